//! M/M/c/K: Poisson arrivals, c exponential servers, at most K messages in the node
//! (those in service included, so the waiting room holds K − c); an arrival that finds
//! K present is rejected.
//!
//! Stable at every load, ρ = λ/(cμ) >= 1 and ρ = 1 exactly included. With a = λ/μ and
//! m = K − c, the stationary law is π_n ∝ aⁿ/n! for n <= c and π_c·ρ^{n−c} for c <= n <= K.
//!
//! - P(block) = π_K (PASTA); throughput X = λ(1 − π_K); utilisation X/(cμ).
//! - Lq = Σ (n − c)π_n, L = Lq + X/μ; W = L/X and Wq = Lq/X per **admitted** message
//!   (Little's law with the admitted rate).
//! - An admitted arrival sees state n with probability π_n/(1 − π_K); if n >= c it waits
//!   for n − c + 1 completions at rate cμ. So
//!   P(Wq > t) = Σ_{n=c}^{K−1} π_n/(1 − π_K) · P(Erlang(n − c + 1, cμ) > t), and the
//!   sojourn adds an independent Exp(μ) service.
//!
//! Numerics. Everything is normalised in log space relative to π_c: the head
//! Σ_{n<c} aⁿ/n! / (a^c/c!) = c/(a·B(c − 1, a)) comes from the (log-space) Erlang B
//! recursion, and the geometric part Σ_{j=0}^{m} ρ^j from expm1 ratios that are exact at
//! ρ = 1 (where the textbook closed forms are 0/0) and never overflow for ρ > 1. The
//! means use the mean of a truncated geometric law (series near ρ = 1), the variances its
//! variance in closed form (a Bernoulli series where the closed form would cancel) and
//! the mixture of the states below c and from c on (central moments, no E[X²] − E[X]²).
//! The cost is O(c) to build, O(1) per mean, state probability and Var(Wq), Var(W), and
//! O(c) for Var(N) (the states below c are summed, skipped where their mass underflows),
//! whatever K is (K = 10⁹ is instant).
//!
//! The waiting- and sojourn-time tails use uniformisation at rate r = cμ: a wait of
//! J Erlang phases plus a service Exp(μ), which is a Geometric(1/c) number of rate-r
//! phases, is Erlang(J + G, r) and P(time > t) = Σ_i pois(i; rt)·P(J + G > i). The
//! weights P(J + G > i) have closed geometric forms, every term is positive (no
//! cancellation). Cost per CDF evaluation:
//! - ρ < 1 with the truncation provably invisible (its effect bounded by
//!   P′·(e^{−θt}·B + 2ρ^m) <= 10⁻¹⁷ absolute, see `geometric_limit_tail`): the M/M/c
//!   closed forms, O(1) (c = 10⁵, K = 10⁶, ρ = 0.999 solves in milliseconds);
//! - above saturation (ρ > 1, m >= 1000), the wait and the sojourn: incomplete gamma
//!   functions in Temme's uniform form whose large exponents cancel exactly
//!   (`wait_tail_closed`: two terms; `sojourn_tail_closed`: five, the wait's and the
//!   service's), O(1), where the terms' magnitudes show that at most 3 digits are lost
//!   (checked at each evaluation; scanning c in {1, 2, 10, 10⁵} and m = 10⁴..10⁹, the
//!   integral below was needed only for ρ − 1 <= 10⁻⁴, where the truncation shows) and where
//!   every term that is not below e^{−800} is in range: Temme's table for |η| <= 1.5
//!   (λ from about 0.3 to 3.33), and above that the upper asymptotic series with the
//!   same exponent (`gamma_uniform`), so the second term Q(m, ρy) (λ ≈ ρ near the mean
//!   wait) is O(1) at every ρ > 1 (ρ = 4, 5, 10 tested; c = 10⁵, ρ = 5, K = 10⁹ solves
//!   in milliseconds). Below λ ≈ 0.3 a term that is not negligible (m of a few
//!   thousand; for the sojourn at c = 2 the service term at λ₁/2) still declines;
//! - the wait at ρ = 1 exactly (m >= 1000): C0·[(m − y)·Q(m, y) + m·pois(m; y)] with
//!   both terms in Temme's form (`wait_tail_critical`), O(1); positive terms up to the
//!   mean wait, and beyond it declined only where the tail is below ~e^{−500};
//! - the sojourn at ρ = 1 exactly (m >= 1000): the wait's form plus
//!   (1 − P(wait))·e^{−μt} + C0·c·[Q(m, y) + e^{−μt}s^m·P(m, y/s) − e^{−μt}],
//!   s = c/(c − 1) (c = 1: the wait's form with m + 1 phases), every gamma term in
//!   Temme's form with the wait's exponential (`sojourn_tail_critical`), O(1); the
//!   integral below is the fallback only where the terms' magnitudes show more than 3
//!   digits lost (m ≪ c near the mean wait, loss about c/(m + √c); and far beyond the
//!   mean wait, tails below ~1e-140, as for the wait);
//! - wherever the forms above decline (m >= 1000): at 1 < ρ <= ~1 + 10⁻⁴, where they
//!   would lose digits, just below ρ = 1, where the truncation shows (m·|ln ρ| up to
//!   about 100), and in their far tails, the wait and the sojourn as one integral of
//!   the wait's density in phases, f(s) = C0·e^{(ρ−1)s}·Q(m, ρs), from y on for the wait
//!   and against the service's e^{min(0, (s − y)/c)} for the sojourn (`tail_integral`):
//!   a positive, log-concave integrand, no cancellation at any ρ; in closed form below
//!   the point s* from which Q(m, ρs) differs from 1 by more than 10⁻¹⁸, 31-point
//!   Gauss–Kronrod panels above it (marched out from the mode, sized to the local slope
//!   and curvature; at most 48), each evaluation one Temme form with the large exponents
//!   cancelled as in the closed forms. O(1): about 130 evaluations (at most 1 500), some
//!   0.1 ms, whatever K (c = 10⁵, ρ = 1 − 10⁻¹², K = 10¹³ solves in 0.02 s; the window
//!   sum took 32 s); equal to the window sum to 5e-13 from the bulk to tails of 1e-200
//!   (c in {1, 2, 10, 10⁵}, m up to 10⁶, ρ − 1 from −10⁻³ to 10⁻⁴, and ρ from 0.9 to 10;
//!   the window's own rounding) and to mpmath at K = 10⁹ and 10¹³ to 2e-14;
//! - otherwise (m < 1000, a window of at most a few thousand terms, or where the
//!   integral's error estimate is not met, which the tests never saw) the sum over a
//!   window of O(√(rt·ln(rt/10⁻¹⁸))) Poisson terms, a few multiplications each (closed
//!   forms only at the window's ends, recurrences that only add positive terms
//!   inside), or O(1) where a Bernstein bound shows the sum cannot change the double
//!   result.
//!
//! A percentile takes about 10–15 evaluations (safeguarded regula falsi,
//! [`invert_cdf`]).
//!
//! References: Gross, Shortle, Thompson & Harris (2008), *Fundamentals of Queueing
//! Theory* 4th ed., §2.5 (M/M/c/K) and §2.5.1 (waiting times of admitted customers);
//! Kleinrock (1975), *Queueing Systems* Vol. 1, §3.6 (M/M/1/K); uniformisation:
//! Tijms (2003), *A First Course in Stochastic Models*, §4.5.

use crate::analytic::error::{AnalyticError, positive};
use crate::analytic::method::Method;
use crate::analytic::metrics::{QueueMetrics, invert_cdf};
use crate::analytic::single::erlang::ln_erlang_b_unchecked;
use crate::analytic::single::special::{
    TEMME_MIN_A, gamma_uniform, gauss_kronrod_31, ln_geom_sum, ln_poisson_pmf, log_add_exp, phi,
    phi_u, poisson_mixture, stirlerr, truncated_geometric_mean, truncated_geometric_var,
};

/// The closed-form tails give way to the window sum where their terms exceed the result
/// by more than this factor (more than 3 digits lost to cancellation).
const MAX_LOSS: f64 = 1e3;

/// A gamma term whose exponent m·φ(λ) exceeds this is below e^{−800}: it counts as 0
/// (or its complement as 1) in the closed-form tails.
const NEGLIGIBLE: f64 = 800.0;

/// An M/M/c/K queue (finite capacity K, arrivals beyond it rejected).
///
/// # Errors
/// [`AnalyticError::InvalidParameter`] for a non-finite or non-positive rate, zero
/// servers, or a capacity below the number of servers.
///
/// # Example
/// ```
/// use kendall::analytic::{QueueMetrics, MMcK};
/// // M/M/1/K at ρ = 1 exactly: every state has probability 1/(K + 1).
/// let q = MMcK::new(2.0, 2.0, 1, 9).unwrap();
/// assert!((q.prob_block().unwrap() - 0.1).abs() < 1e-15);
/// assert!((q.mean_number_in_system() - 4.5).abs() < 1e-12);
/// // Little's law with the admitted rate.
/// let l = q.throughput() * q.mean_sojourn();
/// assert!((l - q.mean_number_in_system()).abs() < 1e-12);
/// // M/M/c/c is the Erlang loss system.
/// let b = MMcK::new(5.0, 1.0, 10, 10).unwrap();
/// assert!((b.prob_block().unwrap() - 0.018384570336648133).abs() < 1e-15);
/// assert!(MMcK::new(1.0, 1.0, 3, 2).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MMcK {
    lambda: f64,
    mu: f64,
    c: u64,
    k: u64,
    a: f64,
    /// ln ρ.
    x: f64,
    /// ln π_c.
    ln_pi_c: f64,
    /// ln π_K.
    ln_pi_k: f64,
    /// ln(P0·e^a): for n < c, ln π_n = this + ln pois(n; a).
    ln_norm: f64,
    /// 1 − π_K, computed as a sum (no cancellation when π_K is close to 1).
    admit: f64,
    /// ln(C0·ρ^{c0_anchor}) with C0 = π_c/(1 − π_K): an admitted arrival sees c + j
    /// with probability C0·ρ^j.
    ln_c0: f64,
    /// The j at which `ln_c0` is anchored: 0 for ρ <= 1, m − 1 for ρ > 1.
    c0_anchor: u64,
    /// P(an admitted arrival waits) = Σ_{n=c}^{K−1} π_n / (1 − π_K).
    p_wait: f64,
    /// Lq.
    lq: f64,
    /// P(N < c) and P(N >= c), each computed from its own sum (no 1 − x).
    w_head: f64,
    w_tail: f64,
    /// P(an admitted arrival does not wait) = 1 − `p_wait`, from its own sum.
    no_wait: f64,
}

impl MMcK {
    /// E[c − N | N < c] and Var(N | N < c): the head's law is Poisson(a) restricted to
    /// 0..c − 1, summed in two passes (mean, then central moment: no E[X²] − E[X]²)
    /// outwards from min(⌊a⌋, c − 1) with weights relative to it, stopping where a
    /// weight falls below 10⁻³⁰⁰ of it. O(c).
    fn head_moments(&self) -> (f64, f64) {
        let (c, a) = (self.c, self.a);
        let start = (a.floor() as u64).min(c - 1);
        let visit = |f: &mut dyn FnMut(u64, f64)| {
            let (mut n, mut h) = (start, 1.0);
            f(n, h);
            while n > 0 {
                h *= n as f64 / a;
                n -= 1;
                if h < 1e-300 {
                    break;
                }
                f(n, h);
            }
            let (mut n, mut h) = (start, 1.0);
            while n + 1 < c {
                h *= a / (n + 1) as f64;
                n += 1;
                if h < 1e-300 {
                    break;
                }
                f(n, h);
            }
        };
        let (mut s0, mut s1) = (0.0, 0.0);
        visit(&mut |n, h| {
            s0 += h;
            s1 += h * (c - n) as f64;
        });
        let gap = s1 / s0;
        let mut s2 = 0.0;
        visit(&mut |n, h| {
            let d = (c - n) as f64 - gap;
            s2 += h * d * d;
        });
        (gap, s2 / s0)
    }

    /// An M/M/c/K queue with arrival rate `arrival_rate` λ, per-server service rate
    /// `service_rate` μ, `servers` c and `capacity` K >= c (messages in service included).
    ///
    /// Costs O(c); independent of K.
    ///
    /// # Errors
    /// See the type's documentation.
    pub fn new(
        arrival_rate: f64,
        service_rate: f64,
        servers: u64,
        capacity: u64,
    ) -> Result<Self, AnalyticError> {
        let lambda = positive("arrival_rate", arrival_rate)?;
        let mu = positive("service_rate", service_rate)?;
        if servers == 0 {
            return Err(AnalyticError::InvalidParameter {
                name: "servers",
                value: 0.0,
                rule: "an integer >= 1",
            });
        }
        if capacity < servers {
            return Err(AnalyticError::InvalidParameter {
                name: "capacity",
                value: capacity as f64,
                rule: "an integer >= servers (K counts the messages in service too)",
            });
        }
        let cf = servers as f64;
        let a = lambda / mu;
        let x = (lambda / (cf * mu)).ln();
        let m = capacity - servers;
        // Head Σ_{n<c} u_n with u_n = π_n/π_c: c/(a·B(c − 1, a)).
        let ln_head = (cf / a).ln() - ln_erlang_b_unchecked(servers - 1, a)?;
        // Geometric sums Σ_{j=0}^{m} ρ^j and Σ_{j=0}^{m−1} ρ^j, divided by e^{shift}:
        // for ρ > 1 they are anchored at their largest term ρ^m, so no two large logs
        // cancel (ρ = 3, K = 10⁶ keeps full precision).
        let mf = m as f64;
        let (shift, g_all, g_wait) = if x > 0.0 {
            (mf * x, ln_geom_sum(-x, m + 1), ln_geom_sum(-x, m) - x)
        } else {
            (0.0, ln_geom_sum(x, m + 1), ln_geom_sum(x, m))
        };
        let head = ln_head - shift;
        let ln_z = log_add_exp(head, g_all); // ln(Σ_n π_n/π_c) − shift
        let ln_admit_rel = log_add_exp(head, g_wait);
        let admit = (ln_admit_rel - ln_z).exp();
        let ln_pi_c = -ln_z - shift;
        let ln_pi_k = mf * x - shift - ln_z;
        let p_wait = (g_wait - ln_admit_rel).exp();
        let no_wait = (head - ln_admit_rel).exp();
        let w_head = (head - ln_z).exp();
        let w_tail = (g_all - ln_z).exp();
        let lq = (g_all - ln_z).exp() * truncated_geometric_mean(x, m);
        // ln(C0·ρ^j) with C0 = π_c/(1 − π_K), anchored at j = 0 (ρ <= 1) or j = m − 1.
        let (ln_c0, c0_anchor) = if x > 0.0 {
            (ln_pi_k - x - (ln_admit_rel - ln_z), m.saturating_sub(1))
        } else {
            (ln_pi_c - (ln_admit_rel - ln_z), 0)
        };
        // For n < c: ln π_n = ln_norm + ln pois(n; a), ln_norm = ln(P0·e^a). Anchored at
        // P0 when the states below c hold most of the mass (a ≪ c: π_c relative to P0 is
        // tiny, and going through it would cost ~ulp(ln π_c) of precision), else at π_c.
        let ln_pc = ln_poisson_pmf(servers, a);
        let ln_below_c = poisson_mixture(a, servers, |_| 1.0).ln(); // ln P(Poisson(a) < c)
        let ln_from_c = ln_pc + ln_geom_sum(x, m + 1); // ln[pois(c; a)·Σ_{j<=m} ρ^j]
        let ln_norm = if ln_below_c >= ln_from_c {
            -log_add_exp(ln_below_c, ln_from_c)
        } else {
            ln_pi_c - ln_pc
        };
        Ok(Self {
            lambda,
            mu,
            c: servers,
            k: capacity,
            ln_norm,
            a,
            x,
            ln_pi_c,
            ln_pi_k,
            admit,
            ln_c0,
            c0_anchor,
            p_wait,
            lq,
            w_head,
            w_tail,
            no_wait,
        })
    }

    /// Capacity K (messages in service included).
    ///
    /// # Example
    /// ```
    /// use kendall::analytic::MMcK;
    /// assert_eq!(MMcK::new(1.0, 1.0, 2, 50).unwrap().capacity(), 50);
    /// ```
    pub fn capacity(&self) -> u64 {
        self.k
    }

    fn m(&self) -> u64 {
        self.k - self.c
    }

    /// ln P(N = n) for n <= K (−∞ beyond K): ln π_c + (n − c) ln ρ for n >= c and
    /// ln(P0·e^a) + ln pois(n; a) for n < c. Finite where P(N = n)
    /// underflows a double.
    ///
    /// # Example
    /// ```
    /// use kendall::analytic::MMcK;
    /// let q = MMcK::new(3.0, 1.0, 1, 1_000_000).unwrap();
    /// // P0 = (ρ − 1)/(ρ^{K+1} − 1) with ρ = 3 is far below the smallest double.
    /// assert!(q.ln_prob_n(0) < -1e6 && q.ln_prob_n(0).is_finite());
    /// ```
    pub fn ln_prob_n(&self, n: u64) -> f64 {
        if n > self.k {
            f64::NEG_INFINITY
        } else if n >= self.c {
            if self.x > 0.0 {
                self.ln_pi_k - (self.k - n) as f64 * self.x
            } else {
                self.ln_pi_c + (n - self.c) as f64 * self.x
            }
        } else {
            self.ln_norm + ln_poisson_pmf(n, self.a)
        }
    }

    /// ln(C0·ρ^j), computed from the anchor so that no large logs cancel where the
    /// value matters.
    fn ln_c0_at(&self, j: u64) -> f64 {
        self.ln_c0 + (j as f64 - self.c0_anchor as f64) * self.x
    }

    /// P(J > i) = Σ_{j=i}^{m−1} C0·ρ^j for the number J of Erlang phases an admitted
    /// arrival waits (0 for i >= m).
    fn wait_phases_tail(&self, i: u64) -> f64 {
        let m = self.m();
        if i >= m {
            return 0.0;
        }
        let ln = if self.x > 0.0 {
            self.ln_c0_at(m - 1) + ln_geom_sum(-self.x, m - i)
        } else {
            self.ln_c0_at(i) + ln_geom_sum(self.x, m - i)
        };
        ln.exp()
    }

    /// P(J + G > i), G ~ Geometric(1/c) on {1, 2, ...} the service in rate-cμ phases:
    /// P(J > i) + P(J = 0)·q^i + Σ_{k=1}^{min(i, m)} C0·ρ^{k−1}·q^{i−k}, q = (c − 1)/c.
    /// Evaluated in closed form (used once per tail evaluation, and by the tests).
    #[cfg(test)]
    fn sojourn_phases_tail(&self, i: u64) -> f64 {
        let (e, s) = self.service_phases_parts(i);
        (self.wait_phases_tail(i) + e + s).min(1.0)
    }

    /// C0·ρ^j, the probability that an admitted arrival finds c + j present.
    fn c0_at(&self, j: u64) -> f64 {
        if j >= self.m() {
            0.0
        } else {
            self.ln_c0_at(j).exp()
        }
    }

    /// The two service parts of P(J + G > i) in closed form: P(J = 0)·q^i and
    /// Σ_{k=1}^{min(i, m)} C0·ρ^{k−1}·q^{i−k} (q = (c − 1)/c; q = 0 for c = 1, where G = 1).
    fn service_phases_parts(&self, i: u64) -> (f64, f64) {
        if self.c == 1 {
            let e = if i == 0 { 1.0 - self.p_wait } else { 0.0 };
            let s = if i >= 1 && i <= self.m() {
                self.c0_at(i - 1)
            } else {
                0.0
            };
            return (e, s);
        }
        let cf = self.c as f64;
        let ln_q = (-1.0 / cf).ln_1p(); // ln((c − 1)/c)
        let fi = i as f64;
        let e = (1.0 - self.p_wait) * (fi * ln_q).exp();
        let big_m = i.min(self.m());
        let s = if big_m >= 1 {
            // ln(ρ/q) = ln ρ − ln q from the two logs, not ln(a/(c − 1)): near ρ = 1 with
            // c large it is about 1/c, and rounding a/(c − 1) would put an absolute error
            // of ~10⁻¹⁶ into it, multiplied by up to m in the geometric sum (c = 10⁵,
            // m = 10⁶, ρ = 1: 4e-12 relative on P(J + G > i)).
            let ratio = self.x - ln_q;
            // Anchor the geometric sum at its largest term.
            let ln = if ratio > 0.0 {
                self.ln_c0_at(big_m - 1) + (fi - big_m as f64) * ln_q + ln_geom_sum(-ratio, big_m)
            } else {
                self.ln_c0_at(0) + (fi - 1.0) * ln_q + ln_geom_sum(ratio, big_m)
            };
            ln.exp()
        } else {
            0.0
        };
        (e, s)
    }

    /// The M/M/c limit, where it agrees with the exact tail to 10⁻¹⁷ absolute: for
    /// ρ < 1 an admitted waiting arrival's phases are a geometric law truncated at m,
    /// and without the truncation the wait given waiting is Exp(θ), θ = cμ − λ.
    /// Writing W′ for that untruncated wait (weight P′ = C0/(1 − ρ)), the waits removed
    /// by the truncation have mass P′·ρ^m in all, and
    /// P(Wq > t) = P′·[e^{−θt}·(1 − P(Poisson(ρy) > m)) − ρ^m·P(Poisson(y) <= m)], y = cμt,
    /// so the untruncated forms P′·e^{−θt} (wait) and P(J = 0)·e^{−μt} + P′·H(t)
    /// (sojourn, H the Exp(θ) + Exp(μ) tail) are off by at most
    /// P′·(e^{−θt}·B + 2ρ^m), B >= P(Poisson(ρy) > m) the Bernstein bound. `None` when
    /// that bound exceeds 10⁻¹⁷ (or ρ >= 1): the caller sums exactly.
    fn geometric_limit_tail(&self, t: f64, sojourn: bool) -> Option<f64> {
        const EPS: f64 = 1e-17;
        if self.x >= 0.0 || self.m() == 0 {
            return None;
        }
        let cf = self.c as f64;
        let theta = cf * self.mu - self.lambda;
        let p_prime = (self.ln_c0_at(0) - (-self.x.exp_m1()).ln()).exp();
        let mf = self.m() as f64;
        let rho_m = (mf * self.x).exp();
        let mean = self.x.exp() * self.phase_rate() * t;
        let d = mf - mean;
        let b = if d > 0.0 {
            (-d * d / (2.0 * (mean + d / 3.0))).exp()
        } else {
            1.0
        };
        let e_theta = (-theta * t).exp();
        let bound = p_prime * (e_theta * b + 2.0 * rho_m);
        if bound.is_nan() || bound > EPS {
            return None;
        }
        if !sojourn {
            return Some(p_prime * e_theta);
        }
        // H(t) = e^{−st}·[1 + s·(1 − e^{−δt})/δ], s the smaller rate, δ the difference.
        let (slow, fast) = if theta <= self.mu {
            (theta, self.mu)
        } else {
            (self.mu, theta)
        };
        let delta = fast - slow;
        let ratio = if delta == 0.0 {
            t
        } else {
            -(-delta * t).exp_m1() / delta
        };
        let h = (-slow * t).exp() * (1.0 + slow * ratio);
        Some(((1.0 - self.p_wait) * (-self.mu * t).exp() + p_prime * h).min(1.0))
    }

    /// P(Wq > t) in closed form above saturation (ρ > 1), O(1) whatever K: with
    /// y = cμt and Q(a, x) = P(Poisson(x) < a),
    /// P(Wq > t) = Σ_{j<m} C0ρ^j·Q(j + 1, y) = C0ρ^m/(ρ − 1)·[Q(m, y) − ρ^{−m}e^{y(ρ−1)}Q(m, ρy)]
    /// (swap the sums: Σ_{i<m} pois(i; y)·Σ_{j=i}^{m−1} ρ^j). With λ₁ = y/m, λ₂ = ρλ₁ and
    /// Temme's form Q(m, λm) = e^{−mφ(λ)}·G(λ)/√(2πm) ([`gamma_uniform`]) the large
    /// exponents cancel exactly: ρ^{−m}e^{y(ρ−1)}·e^{−mφ(λ₂)} = e^{−mφ(λ₁)}, so
    /// - λ₁ >= 1: the bracket is e^{−mφ(λ₁)}/√(2πm)·(G(λ₁) − G(λ₂));
    /// - λ₁ < 1 <= λ₂: it is 1 − e^{−mφ(λ₁)}/√(2πm)·(H(λ₁) + G(λ₂)) (H the P-side form);
    /// - λ₂ < 1: Q(m, y) − e^{−mΔ}Q(m, ρy) with mΔ = m·[φ(1/ρ) + (ρ − 1)(1 − λ₂)/ρ], a sum
    ///   of positive parts (never (1 − m) ln ρ + y(ρ − 1) itself).
    ///
    /// `None` (the caller falls back to the integral, `tail_integral`, then to the
    /// window sum) where [`gamma_uniform`] declines (m < 1000, or
    /// η < −1.5: λ below about 0.3, beyond Temme's table on the lower side) or where the
    /// difference would lose more than 3 digits (ρ close to 1: about log₁₀(ρ/(ρ − 1))
    /// digits are lost); 0 where e^{−mφ(λ₁)} < e^{−800}. Above the table (λ₂ > 3.33, ρ
    /// above about 3.3) `gamma_uniform` uses the upper series with the same exponent.
    fn wait_tail_closed(&self, y: f64) -> Option<f64> {
        let m = self.m();
        if self.x <= 0.0 || m == 0 {
            return None;
        }
        // ln(C0ρ^m/(ρ − 1)).
        self.gamma_pair_tail(m, y, self.ln_c0_at(m) - self.x.exp_m1().ln())
    }

    /// P(Wq > t) in closed form at ρ = 1 exactly, O(1) whatever K: with y = cμt,
    /// Σ_{j<m} Q(j + 1, y) = Σ_{i<m} pois(i; y)·(m − i) = (m − y)·Q(m, y) + y·pois(m − 1; y)
    /// (E[N·1{N < m}] = y·P(N < m − 1) for N ~ Poisson(y)), so
    /// P(Wq > t) = C0·[(m − y)·Q(m, y) + m·pois(m; y)]. With u = y/m − 1 and Temme's form
    /// ([`gamma_uniform`]), pois(m; y) = e^{−mφ(λ)}/√(2πm)·e^{−δ(m)} (δ Stirling's
    /// remainder) carries the same exponential as Q, so
    /// - y < m: C0·[(m − y)·(1 − E·H) + m·E·e^{−δ}], E = e^{−mφ(λ)}/√(2πm): two positive
    ///   terms, no cancellation (E·H = P(m, y) < 1);
    /// - y >= m: C0·m·E·(e^{−δ} − u·G), which cancels further out (u·G → 1 as mη² grows,
    ///   about log₁₀(mη²) digits lost): `None` beyond 3 digits (tails below about
    ///   e^{−500}, where the CDF is 1 to the last bit anyway), as for m < 1000, where
    ///   Temme's form is not used. Where mφ(λ) > 800: C0·(m − y) below the mean, 0 above.
    fn wait_tail_critical(&self, y: f64) -> Option<f64> {
        self.critical_phases_tail(self.m(), y)
    }

    /// C0·Σ_{j<n} Q(j + 1, y) at ρ = 1 exactly: [`MMcK::wait_tail_critical`] with n
    /// phases (n = m there; n = m + 1 for the sojourn at c = 1), same cases and `None`s.
    fn critical_phases_tail(&self, n: u64, y: f64) -> Option<f64> {
        if self.x != 0.0 || n == 0 || !(y >= 0.0 && y.is_finite()) {
            return None;
        }
        let mf = n as f64;
        let c0 = self.ln_c0_at(0).exp();
        let u = (y - mf) / mf;
        if mf * phi_u(u) > NEGLIGIBLE {
            return Some(if u < 0.0 { c0 * (mf - y) } else { 0.0 });
        }
        let g = gamma_uniform(mf, u)?;
        let e = g.ln_pre.exp();
        let e_delta = (-stirlerr(n)).exp();
        if u < 0.0 {
            return Some(c0 * ((mf - y) * (1.0 - e * g.scaled) + mf * e * e_delta));
        }
        let d = e_delta - u * g.scaled;
        if d.is_nan() || d <= 0.0 || e_delta > MAX_LOSS * d {
            return None;
        }
        Some(c0 * mf * e * d)
    }

    /// e^{ln_front}·[Q(n, y) − ρ^{−n}e^{y(ρ−1)}Q(n, ρy)] for ρ > 1, the bracket of
    /// [`MMcK::wait_tail_closed`] (n = m there; n = m + 1 for the sojourn at c = 1),
    /// with the same cases, the same 3-digit limit and the same `None`s.
    fn gamma_pair_tail(&self, n: u64, y: f64, ln_front: f64) -> Option<f64> {
        if self.x <= 0.0 || n == 0 || !y.is_finite() {
            return None;
        }
        let mf = n as f64;
        let rm1 = self.x.exp_m1();
        // λ₁ − 1 and λ₂ − 1 = (λ₁ − 1) + (ρ − 1)λ₁, kept apart from λ (near 1 the
        // rounding of y/n would cost the digits of λ − 1).
        let u1 = (y - mf) / mf;
        let u2 = u1 + rm1 * (y / mf);
        let f1 = phi_u(u1);
        if u1 >= 0.0 {
            if mf * f1 > NEGLIGIBLE {
                return Some(0.0);
            }
            let (g1, g2) = (gamma_uniform(mf, u1)?, gamma_uniform(mf, u2)?);
            let d = g1.scaled - g2.scaled;
            if d.is_nan() || d <= 0.0 || g1.scaled > MAX_LOSS * d {
                return None;
            }
            return Some((ln_front + g1.ln_pre).exp() * d);
        }
        // λ₁ < 1: Q(m, y) = 1 − P(m, y).
        let (p1, pre1) = if mf * f1 > NEGLIGIBLE {
            (0.0, 0.0)
        } else {
            let g1 = gamma_uniform(mf, u1)?;
            let pre = g1.ln_pre.exp();
            (pre * g1.scaled, pre)
        };
        let q1 = 1.0 - p1;
        let term2 = self.shifted_gamma_term(mf, pre1, u2)?;
        let b = q1 - term2;
        if b.is_nan() || b <= 0.0 || q1 > MAX_LOSS * b {
            return None;
        }
        Some(ln_front.exp() * b)
    }

    /// ρ^{−n}e^{y(ρ−1)}·Q(n, ρy) for ρ > 1 in units of E = e^{−nφ(λ₁)}/√(2πn) where its
    /// exponent cancels against E's, the term the wait and the sojourn forms subtract
    /// (`nf` = n, `e1` = E, 0 where negligible; `u2` = λ₂ − 1 with λ₂ = ρy/n):
    /// E·G(λ₂) for λ₂ >= 1 (Temme's scaled form), and e^{−nΔ}·Q(n, ρy) below it with
    /// nΔ = n·[φ(1/ρ) + (ρ − 1)(1 − λ₂)/ρ] > 0 (never (1 − n) ln ρ + y(ρ − 1) itself).
    /// `None` where [`gamma_uniform`] declines a term that is not negligible.
    fn shifted_gamma_term(&self, nf: f64, e1: f64, u2: f64) -> Option<f64> {
        if u2 >= 0.0 {
            if e1 == 0.0 {
                return Some(0.0);
            }
            return Some(e1 * gamma_uniform(nf, u2)?.scaled);
        }
        let inv_rho = (-self.x).exp();
        let delta = phi(inv_rho) - self.x.exp_m1() * u2 * inv_rho;
        let q2 = if nf * phi_u(u2) > NEGLIGIBLE {
            1.0
        } else {
            gamma_uniform(nf, u2)?.q()
        };
        Some((-nf * delta).exp() * q2)
    }

    /// P(W > t) in closed form above saturation (ρ > 1), O(1) whatever K, y = cμt.
    ///
    /// With r = cμ, P(Erlang(n, r) + Exp(μ) > t) = Q(n, y) + e^{−μt}·sⁿ·P(n, z) for c >= 2
    /// (s = r/(r − μ) = c/(c − 1), z = y/s; condition on the Erlang part), summed over
    /// the waits (n = j + 1 with probability C0ρ^j, j < m) plus the atom 1 − P(wait) at
    /// no wait. With σ = ρs, Σ_{j<m} σ^j·P(j + 1, z) = Σ_{i>=1} pois(i; z)·(σ^{min(i, m)} − 1)/(σ − 1)
    /// and Σ_{i<m} pois(i; z)·σ^i = e^{z(σ−1)}Q(m, σz), where σz = ρy and
    /// e^{−μt}e^{z(σ−1)} = e^{y(ρ−1)}, so that P(W > t) is P(Wq > t) plus
    /// (1 − P(wait))·e^{−μt} plus
    /// C0·s/(σ − 1)·[e^{y(ρ−1)}Q(m, ρy) + e^{−μt}σ^m·P(m, z) − e^{−μt}].
    /// For ρ > 1, s/(σ − 1) = c/(c(ρ − 1) + 1) (σ − 1 is never small there).
    ///
    /// With F = C0ρ^m, E = e^{−mφ(λ₁)}/√(2πm) and λ₁ = y/m, λ₂ = ρλ₁, λ₃ = λ₁/s, both
    /// gamma terms carry E exactly, as in [`MMcK::wait_tail_closed`]:
    /// ρ^{−m}e^{y(ρ−1)}e^{−mφ(λ₂)} = E·√(2πm) = ρ^{−m}e^{−μt}σ^m·e^{−mφ(λ₃)}. So
    /// P(W > t) = F·[Q(m, y)/(ρ − 1) − A·k_A + B·k_S] − C0·k_S·e^{−μt} + (1 − P(wait))·e^{−μt}
    /// with k_S = s/(σ − 1), k_A = 1/(ρ − 1) − k_S = 1/((ρ − 1)(c(ρ − 1) + 1)) > 0,
    /// A = ρ^{−m}e^{y(ρ−1)}Q(m, ρy) (E·G(λ₂) for λ₂ >= 1, e^{−mΔ}Q(m, ρy) below as in
    /// the wait) and B = ρ^{−m}e^{−μt}σ^m·P(m, z) (E·H(λ₃) for λ₃ < 1, and
    /// e^{−m[(λ₃ − 1)/(c − 1) + φ(s)]}·P(m, z) from λ₃ = 1 on, both exponents positive).
    ///
    /// Five terms of known sign: `None` (the caller falls back to `tail_integral`) where their
    /// magnitudes exceed 10³ times the result (more than 3 digits lost: the A term
    /// against the first, for ρ near 1 with c(ρ − 1) ≪ 1, as in the wait; for
    /// c(ρ − 1) >= 1 the A term is small), where Temme's form is not used (m < 1000,
    /// η < −1.5 on a term that is not negligible), or on a NaN. Terms below e^{−800}
    /// are 0. For c = 1 the service is one more phase at rate r = μ:
    /// P(W > t) = Σ_{j<=m} C0ρ^{j−1}·Q(j + 1, y), the wait's form with m + 1 phases.
    fn sojourn_tail_closed(&self, y: f64) -> Option<f64> {
        let m = self.m();
        if self.x <= 0.0 || m == 0 || !y.is_finite() {
            return None;
        }
        let rm1 = self.x.exp_m1();
        // ln F, F = C0ρ^m.
        let ln_f = self.ln_c0_at(m);
        if self.c == 1 {
            // Σ_{j<=m} C0ρ^{j−1}Q(j + 1, y) = C0ρ^m/(ρ − 1)·[Q(m + 1, y) − …].
            return self.gamma_pair_tail(m + 1, y, ln_f - rm1.ln());
        }
        let mf = m as f64;
        let cf = self.c as f64;
        let lam1 = y / mf;
        // λ − 1 for the three arguments, from u1 (see `gamma_pair_tail`):
        // λ₂ − 1 = u1 + (ρ − 1)λ₁, λ₃ − 1 = u1 − λ₁/c (λ₃ = λ₁(c − 1)/c).
        let u1 = (y - mf) / mf;
        let u2 = u1 + rm1 * lam1;
        let u3 = u1 - lam1 / cf;
        let live = |u: f64| mf * phi_u(u) <= NEGLIGIBLE;
        // E = e^{−mφ(λ₁)}/√(2πm) and Q(m, y).
        let (e1, q1) = if live(u1) {
            let g = gamma_uniform(mf, u1)?;
            (g.ln_pre.exp(), g.q())
        } else {
            (0.0, if u1 >= 0.0 { 0.0 } else { 1.0 })
        };
        let a_term = self.shifted_gamma_term(mf, e1, u2)?;
        let b_term = if u3 < 0.0 {
            if e1 == 0.0 {
                0.0
            } else {
                e1 * gamma_uniform(mf, u3)?.scaled
            }
        } else {
            let q3 = if live(u3) {
                gamma_uniform(mf, u3)?.q()
            } else {
                0.0
            };
            let phi_s = phi_u(1.0 / (cf - 1.0));
            (-mf * (u3 / (cf - 1.0) + phi_s)).exp() * (1.0 - q3)
        };
        let f = ln_f.exp();
        let k_s = cf / (cf * rm1 + 1.0);
        let k_a = 1.0 / (rm1 * (cf * rm1 + 1.0));
        let mu_t = y / cf;
        let terms = [
            f * q1 / rm1,
            -f * a_term * k_a,
            f * b_term * k_s,
            -(self.ln_c0_at(0) - mu_t).exp() * k_s,
            self.no_wait * (-mu_t).exp(),
        ];
        let sum: f64 = terms.iter().sum();
        let size: f64 = terms.iter().map(|v| v.abs()).sum();
        if size == 0.0 {
            return Some(0.0);
        }
        if !(sum > 0.0 && size <= MAX_LOSS * sum) {
            return None;
        }
        Some(sum.min(1.0))
    }

    /// P(W > t) in closed form at ρ = 1 exactly, O(1) whatever K, y = cμt. For c >= 2,
    /// the form of [`MMcK::sojourn_tail_closed`] at ρ = 1 (σ = s = c/(c − 1),
    /// s/(σ − 1) = c, z = y/s, e^{−μt}e^{z(s−1)} = 1):
    /// P(W > t) = P(Wq > t) + (1 − P(wait))·e^{−μt} + C0·c·[Q(m, y) + e^{−μt}s^m·P(m, z) − e^{−μt}],
    /// the bracket being e^{−μt}·Σ_i pois(i; z)·(s^{min(i, m)} − 1) >= 0, with P(Wq > t)
    /// as in [`MMcK::wait_tail_critical`]. With E = e^{−mφ(λ₁)}/√(2πm), λ₁ = y/m and
    /// λ₃ = λ₁/s, e^{−μt}s^m·e^{−mφ(λ₃)} = e^{−mφ(λ₁)} exactly, so every gamma term
    /// carries E and the bracket is written per region so that no term is much larger
    /// than it needs to be:
    /// - λ₁ < 1: (1 − e^{−μt}) (as −expm1) − E·H(λ₁) + E·H(λ₃);
    /// - λ₃ < 1 <= λ₁: E·G(λ₁) + E·H(λ₃) − e^{−μt};
    /// - λ₃ >= 1: e^{−μt}(s^m − 1) − E·G(λ₃) + E·G(λ₁) (e^{−μt}s^m·Q(m, z) = E·G(λ₃)),
    ///   e^{−μt}s^m = e^{−m[(λ₃ − 1)/(c − 1) + φ(s)]}, both exponents positive.
    ///
    /// Products E·G are formed as one exponential (never set to 0 because E alone
    /// underflows). The wait enters as its two parts (positive below the mean wait,
    /// C0·m·E·(e^{−δ} − u·G) above it). Six or seven terms of known sign: `None` (the
    /// caller falls back to `tail_integral`) where their magnitudes exceed 10³ times the result (m ≪ c
    /// near y = m, where the bracket is O(m/c) against terms of order 1: the loss is
    /// about c/(m + √c); or the wait's parts far beyond the mean wait, as for the wait),
    /// where Temme's form is not used (m < 1000, or λ₁ below about 0.3 with E not
    /// negligible), or on a NaN. For c = 1 the service is one more phase at rate μ:
    /// C0·Σ_{j<=m} Q(j + 1, y), the wait's form with n = m + 1 phases (P(no wait) = C0
    /// there), C0·[(n − y)Q(n, y) + n·pois(n; y)].
    fn sojourn_tail_critical(&self, y: f64) -> Option<f64> {
        let m = self.m();
        if self.x != 0.0 || m == 0 || !(y >= 0.0 && y.is_finite()) {
            return None;
        }
        if self.c == 1 {
            return self.critical_phases_tail(m + 1, y);
        }
        let mf = m as f64;
        let cf = self.c as f64;
        let c0 = self.ln_c0_at(0).exp();
        let cc = c0 * cf; // C0·c
        let mu_t = y / cf;
        let e_mu = (-mu_t).exp();
        let lam1 = y / mf;
        // λ₁ − 1 and λ₃ − 1 = (λ₁ − 1) − λ₁/c, kept apart from λ (see `gamma_pair_tail`).
        let u1 = (y - mf) / mf;
        let u3 = u1 - lam1 / cf;
        let e_delta = (-stirlerr(m)).exp();
        let ln_e = -mf * phi_u(u1) - 0.5 * (2.0 * std::f64::consts::PI * mf).ln();
        // Terms in units of E (`in_e`, summed before E's one exponential, so that its
        // rounding, ~|ln E|·ε, is not amplified by their cancellation) and plain ones.
        let mut in_e = [0.0f64; 4];
        let mut plain = [0.0f64; 3];
        plain[0] = self.no_wait * e_mu;
        if u1 < 0.0 {
            // P(m, y) = E·H(λ₁) and e^{−μt}s^m·P(m, z) = E·H(λ₃) (λ₃ < λ₁ < 1), both
            // below E·O(√m): 0 where E is negligible.
            let (h1, h3) = if mf * phi_u(u1) > NEGLIGIBLE {
                (0.0, 0.0)
            } else {
                (gamma_uniform(mf, u1)?.scaled, gamma_uniform(mf, u3)?.scaled)
            };
            let p1 = (ln_e + h1.ln()).exp();
            plain[1] = c0 * (mf - y) * (1.0 - p1);
            plain[2] = -cc * (-mu_t).exp_m1();
            in_e[0] = c0 * mf * e_delta;
            in_e[1] = -cc * h1;
            in_e[2] = cc * h3;
        } else {
            // Q(m, y) = E·G(λ₁); gamma_uniform does not decline for λ >= 1 (m >= 1000).
            let g1 = gamma_uniform(mf, u1)?.scaled;
            in_e[0] = c0 * mf * e_delta;
            in_e[1] = -c0 * mf * u1 * g1;
            in_e[2] = cc * g1;
            if u3 < 0.0 {
                in_e[3] = cc * gamma_uniform(mf, u3)?.scaled;
                plain[1] = -cc * e_mu;
            } else {
                // e^{−μt}(s^m − 1) − e^{−μt}s^m·Q(m, z), one exponential for both.
                let ln_sm = mf * (1.0 / (cf - 1.0)).ln_1p(); // ln s^m
                let phi_s = phi_u(1.0 / (cf - 1.0));
                let e_mu_sm = (-mf * (u3 / (cf - 1.0) + phi_s)).exp(); // e^{−μt}s^m
                let q3 = gamma_uniform(mf, u3)?.q();
                plain[1] = cc * e_mu_sm * -(-ln_sm).exp_m1();
                plain[2] = -cc * e_mu_sm * q3;
            }
        }
        let sum_e: f64 = in_e.iter().sum();
        let size_e: f64 = in_e.iter().map(|v| v.abs()).sum();
        let with_e = |v: f64| {
            if v == 0.0 {
                0.0
            } else {
                v.signum() * (ln_e + v.abs().ln()).exp()
            }
        };
        let sum = with_e(sum_e) + plain.iter().sum::<f64>();
        let size = with_e(size_e) + plain.iter().map(|v| v.abs()).sum::<f64>();
        if size == 0.0 {
            return Some(0.0);
        }
        if !(sum > 0.0 && size <= MAX_LOSS * sum) {
            return None;
        }
        Some(sum.min(1.0))
    }

    /// P(Wq > t) (`sojourn` false) or P(W > t) (true) as one integral over the phase
    /// time, O(1) whatever K, exact for any ρ; used where the closed forms decline (ρ near
    /// 1, where they would lose digits or the truncation at K shows; their far tails).
    /// With y = cμt, δ = ρ − 1 and f(s) = C0·e^{δs}·Q(m, ρs) the density of the wait in
    /// phases of rate cμ (Σ_{j<m} (ρs)^j/j! = e^{ρs}·Q(m, ρs) sums the Erlang densities
    /// C0ρ^j·s^j e^{−s}/j!),
    /// P(Wq > t) = ∫_y^∞ f(s) ds and, the service being an independent Exp(μ),
    /// P(W > t) = (1 − P(wait))·e^{−y/c} + ∫_0^∞ f(s)·e^{min(0, (s − y)/c)} ds
    /// (P(Wq > t) plus the waits u < t whose service outlasts t − u). Both integrands are
    /// positive (no cancellation at any ρ) and log-concave (Q(m, ·) is the survival
    /// function of a log-concave law, the other factors exponentials of concave
    /// functions), with the sojourn's kink at s = y.
    ///
    /// - Below s*, where m·φ(ρs*/m) = 40 (ρs*/m about 1 − 9/√m), P(m, ρs) < 10⁻¹⁸: Q = 1
    ///   there and the integral of the exponentials is closed (expm1: no loss as the
    ///   rate δ, or δ + 1/c under the sojourn's factor, goes to 0).
    /// - From s* on: 31-point Gauss–Kronrod panels ([`gauss_kronrod_31`]), marched out
    ///   from a point near the mode (where d ln f/ds = δ − ρ·h(ρs) is 0, or −1/c left of
    ///   the kink, h the hazard of Gamma(m, 1) from the same Temme form: Newton on ln h,
    ///   which is increasing, at most 8 steps, from its normal approximation) in both
    ///   directions. A panel's predicted log-variation, |slope|·w + curvature·w²/2, is at
    ///   most 20, its width at most 5/√curvature, with the curvature of ln f bounded by
    ///   1.1ρ²/(m·max(1, λ₂)²) at the panel's lowest λ₂ = ρs/m (ρ²·h′, h′ <= 1.1/m and
    ///   decaying as 1/λ² above the mean); panels end at the kink. A panel is halved
    ///   until |Kronrod − Gauss| is within 10⁻¹⁴ of the sum (or of the exponents'
    ///   rounding, 2ε·|ln f|: noise to that difference, 2e-13 at tails of 1e-200). A
    ///   march stops where log-concavity bounds what is left beyond the panel's end b,
    ///   by g(b)/|d ln g/ds at b|, below 10⁻¹⁷ of the sum, or at s*. About 4–7 panels,
    ///   130 evaluations on average (233 at most seen), at most 48 panels; panels a
    ///   third as variable and half as wide change the result by < 4e-15 (or the
    ///   exponents' rounding), so it is converged.
    ///
    /// The integrand is scaled in log space, every exponent formed without large terms
    /// that cancel: relative to C0ρ^m (`ln_c0_at(m)`), f(s) = e^{−mφ(λ₁)}·G(λ₂)/√(2πm)
    /// for λ₂ >= 1 (λ₁ = s/m: the exponents of C0ρ^m, e^{δs} and Temme's form of Q cancel
    /// exactly, as in [`MMcK::wait_tail_closed`]) and below it e^{−m[φ(1/ρ) + δ(1 − λ₂)/ρ]}
    /// (ρ > 1; m[φ(ρ) + δ(λ₁ − 1)] for ρ <= 1) times 1 − P(m, ρs), so that at K = 10¹³,
    /// where ρ^m can be e^{1000}, nothing over- or underflows; the nodes are offsets
    /// s − m, exact to their own ulp.
    ///
    /// `None` (the caller sums the window) for m < 1000 (Temme's form is not used), for
    /// ρ < 1 with m·|ln ρ| > 2 000 (there the M/M/c forms hold to 10⁻¹⁷, and the
    /// exponents here would carry ε·m·|ln ρ|), where Temme's form declines at a node, or
    /// where the error estimate (Σ|Kronrod − Gauss|, the embedded 15-point rule's error,
    /// so generous for the Kronrod value returned, plus the truncation bounds) exceeds
    /// 10⁻¹³ of the result (or 16ε·|ln f|, or 10⁻³⁰⁵ in absolute terms: a CDF is 1
    /// there), or beyond 48 panels.
    fn tail_integral(&self, y: f64, sojourn: bool) -> Option<f64> {
        /// Largest predicted variation of the log-integrand over one panel.
        const SPAN: f64 = 20.0;
        /// Largest panel width, over √(curvature bound).
        const WIDTH: f64 = 5.0;
        self.tail_integral_panels(y, sojourn, SPAN, WIDTH)
    }

    /// [`MMcK::tail_integral`] with panels of log-variation `span` and width
    /// `width`/√curvature at most (a test compares finer panels).
    fn tail_integral_panels(
        &self,
        y: f64,
        sojourn: bool,
        span: f64,
        width_cap: f64,
    ) -> Option<f64> {
        /// A march stops where the bound on the rest is below this share of the sum.
        const TRUNCATE: f64 = 1e-17;
        /// A panel is halved where |Kronrod − Gauss| exceeds this share of the sum.
        const PANEL_TOL: f64 = 1e-14;
        /// The result is returned only if the error estimate is below this share of it…
        const ACCEPT: f64 = 1e-13;
        /// … or below e^{FLOOR} = 10⁻³⁰⁵ in the tail (tails below 10⁻³⁰⁰ are not needed
        /// to 1e-13: a CDF is 1 there).
        const FLOOR: f64 = -702.0;
        const MAX_PANELS: usize = 48;
        let m = self.m();
        let mf = m as f64;
        // Below saturation with m·|ln ρ| > 2000 the tails are M/M/c's to 10⁻¹⁷
        // (`geometric_limit_tail`; from about 100 on) and the exponents here would carry
        // rounding of ~ε·m·|ln ρ|.
        if !(mf >= TEMME_MIN_A && y >= 0.0 && y.is_finite() && mf * self.x >= -2000.0) {
            return None;
        }
        let ig = CriticalIntegrand::new(self);
        let (rho, delta) = (ig.rho, ig.delta);
        let inv_c = 1.0 / self.c as f64;
        // s* − m, where λ₂ = 1 + u*.
        let d_star = mf * (plateau_edge(mf) - delta) / rho;
        let d_y = y - mf;
        // Closed-form pieces below s*: ∫_a^b e^{ln f(s) + extra} with Q = 1, extra the
        // sojourn's (s − y)/c where it applies (slope κ in all).
        let segment = |a: f64, b: f64, kappa: f64, extra_b: f64| {
            let len = b - a;
            if len <= 0.0 {
                return f64::NEG_INFINITY;
            }
            let ln_int = if kappa == 0.0 {
                len.ln()
            } else if kappa > 0.0 {
                (-(-kappa * len).exp_m1() / kappa).ln()
            } else {
                -kappa * len + (-(kappa * len).exp_m1() / -kappa).ln()
            };
            ig.ln_plateau(b) + extra_b + ln_int
        };
        let mut ln_plateau = f64::NEG_INFINITY;
        if sojourn {
            let top = d_y.min(d_star);
            ln_plateau = segment(-mf, top, delta + inv_c, (top - d_y) * inv_c);
        }
        if d_y < d_star {
            ln_plateau = log_add_exp(ln_plateau, segment(d_y, d_star, delta, 0.0));
        }
        let lo = if sojourn { d_star } else { d_y.max(d_star) };
        // The sojourn's factor e^{(s − y)/c} below y, where y is inside the quadrature.
        let kink = sojourn && d_y > lo;
        let below = |d: f64| kink && d < d_y;
        let extra = |d: f64| if below(d) { (d - d_y) * inv_c } else { 0.0 };
        let (d0, p0) = if kink {
            let py = ig.at(d_y)?;
            if py.slope + inv_c <= 0.0 {
                ig.mode((delta + inv_c) / rho, lo, d_y)?
            } else if py.slope >= 0.0 {
                ig.mode(delta / rho, d_y, f64::INFINITY)?
            } else {
                (d_y, py)
            }
        } else {
            ig.mode(delta / rho, lo, f64::INFINITY)?
        };
        let scale = (p0.ln_f + extra(d0)).max(ln_plateau);
        let plateau = (ln_plateau - scale).exp();
        // The width over which |slope|·w + curvature·w²/2 = SPAN (and at most WIDTH/√
        // curvature), the curvature of ln f in s bounded from λ₂ = ρs/m at the panel's
        // lower end (the smallest on it): ρ²·h′(ρs) <= 1.1ρ²/(m·max(1, λ₂)²).
        let width = |slope: f64, lowest: f64| {
            let lam2 = 1.0 + lowest / mf + delta * (1.0 + lowest / mf);
            let curvature = 1.1 * rho * rho / (mf * lam2.max(1.0).powi(2));
            let s = slope.abs();
            (2.0 * span / ((s * s + 2.0 * curvature * span).sqrt() + s))
                .min(width_cap / curvature.sqrt())
        };
        let (mut sum, mut err, mut panels) = (0.0f64, 0.0f64, 0usize);
        // ln of one unit of `sum` in the tail: errors below e^{FLOOR} there do not count.
        let unit = self.ln_c0_at(m) + scale;
        // One panel from `a` (log-integrand `level` there) towards `end`, of width `w` at
        // most, halved until it meets its tolerance: |Kronrod − Gauss| within PANEL_TOL
        // of the sum, or within the rounding of the log-integrand's exponent (up to
        // 2ε·|ln f|, which |Kronrod − Gauss| sees as noise: 1e-13 for tails of 1e-200),
        // or below e^{FLOOR} in the tail. (other end, Kronrod value, |Kronrod − Gauss|).
        let mut deepest = 0.0f64;
        let mut panel = |a: f64, level: f64, mut w: f64, end: f64, sum: f64| {
            deepest = deepest.max(level.abs());
            let tol = PANEL_TOL.max(2.0 * f64::EPSILON * (level.abs() + span));
            loop {
                panels += 1;
                if panels > MAX_PANELS {
                    return None;
                }
                let b = if end > a {
                    (a + w).min(end)
                } else {
                    (a - w).max(end)
                };
                let (k, g) = gauss_kronrod_31(a.min(b), a.max(b), |d| {
                    Some((ig.at(d)?.ln_f + extra(d) - scale).exp())
                })?;
                let e = (k - g).abs();
                if e <= tol * (sum + plateau + k) || unit + e.ln() < FLOOR {
                    return Some((b, k, e));
                }
                w = 0.5 * (b - a).abs();
            }
        };
        // Upwards from the mode (to the kink first, if below it).
        let (mut a, mut pa) = (d0, p0);
        loop {
            let slope = pa.slope + if below(a) { inv_c } else { 0.0 };
            let end = if below(a) { d_y } else { f64::INFINITY };
            let (b, k, e) = panel(a, pa.ln_f, width(slope, a), end, sum)?;
            sum += k;
            err += e;
            let pb = ig.at(b)?;
            let slope_b = pb.slope + if below(b) { inv_c } else { 0.0 };
            if slope_b < 0.0 {
                let rest = (pb.ln_f + extra(b) - scale).exp() / -slope_b;
                if rest <= TRUNCATE * (sum + plateau) {
                    err += rest;
                    break;
                }
            }
            (a, pa) = (b, pb);
        }
        // Downwards from the mode to s* (or y), the kink first if above it.
        let (mut a, mut pa) = (d0, p0);
        while a > lo {
            let slope = pa.slope + if kink && a <= d_y { inv_c } else { 0.0 };
            let end = if kink && a > d_y { d_y } else { lo };
            // The curvature bound at the far end a − w, then the width it allows.
            let w = width(slope, a - width(slope, a));
            let (b, k, e) = panel(a, pa.ln_f, w, end, sum)?;
            sum += k;
            err += e;
            if b <= lo {
                break;
            }
            let pb = ig.at(b)?;
            let slope_b = pb.slope + if kink && b <= d_y { inv_c } else { 0.0 };
            if slope_b > 0.0 {
                let rest = (pb.ln_f + extra(b) - scale).exp() / slope_b;
                if rest <= TRUNCATE * (sum + plateau) {
                    err += rest;
                    break;
                }
            }
            (a, pa) = (b, pb);
        }
        let total = sum + plateau;
        let accept = ACCEPT.max(16.0 * f64::EPSILON * (deepest + span));
        if !(total > 0.0 && (err <= accept * total || unit + err.ln() < FLOOR)) {
            return None;
        }
        let mut tail = (self.ln_c0_at(m) + scale + total.ln()).exp();
        if sojourn {
            tail += self.no_wait * (-y / self.c as f64).exp();
        }
        Some(tail.min(1.0))
    }

    /// P(J <= i) = P(J = 0) + Σ_{j<min(i, m)} C0·ρ^j, computed as a sum (no cancellation).
    fn wait_phases_cdf(&self, i: u64) -> f64 {
        let n = i.min(self.m());
        let waits = if n == 0 {
            0.0
        } else {
            (self.ln_c0_at(0) + ln_geom_sum(self.x, n)).exp()
        };
        ((1.0 - self.p_wait) + waits).min(1.0)
    }

    /// P(Erlang(J + G·[sojourn], cμ) > t) = Σ_i pois(i; y)·R(i), y = cμt, with
    /// R(i) = P(J > i) (+ the service parts of P(J + G > i) when `sojourn`).
    ///
    /// Every term is positive (no cancellation). The closed forms are evaluated only at
    /// the ends of the summation window; inside it the Poisson weights and the phase
    /// tails follow recurrences in the direction in which they only add positive terms
    /// (P(J > i) downwards, the service parts upwards), so a term costs a few
    /// multiplications and one division.
    ///
    /// The window, with i0 = min(mode, support − 1) and p0 = pois(i0; y): upwards to
    /// y + d, where the Bernstein bound P(Poisson(y) >= y + d) <= exp(−d²/(2(y + d/3)))
    /// is at most 10⁻¹⁸·p0 (R is non-increasing, so the part left out is below 10⁻¹⁸ of
    /// the sum, which is at least R(hi)·p0); downwards from the top until the Poisson
    /// mass below is under 10⁻¹⁸·pois(i1)·R(i1) (i1 = min(i0, m)), one term of the sum. Its length is
    /// O(√(y·ln(y/10⁻¹⁸))), whatever K is, and shorter when the support cuts it.
    ///
    /// Two O(1) bounds answer first where the sum cannot change the double result:
    /// the tail is returned as 0 when P(Poisson(y) < j) + R(j) <= 2·10⁻¹⁷ for
    /// j = y − √(2y·ln 10¹⁷), and as 1 when P(Poisson(y) > j) + P(J <= j) <= 2·10⁻¹⁷ for
    /// j = y + d₁₇ (the Bernstein bound at 10⁻¹⁷); P(J + G <= j) <= P(J <= j).
    fn phase_mixture(&self, y: f64, sojourn: bool) -> f64 {
        const TOL: f64 = 1e-18;
        const EPS: f64 = 1e-17;
        let m = self.m();
        let support = if sojourn { u64::MAX } else { m };
        if support == 0 {
            return 0.0;
        }
        let r_exact = |i: u64| {
            let w = self.wait_phases_tail(i);
            if sojourn {
                let (e, s) = self.service_phases_parts(i);
                (w + e + s).min(1.0)
            } else {
                w
            }
        };
        if y == 0.0 {
            return r_exact(0);
        }
        // The Bernstein half-width d with exp(−d²/(2(y + d/3))) = e^{−l}.
        let upper_d = |l: f64| l / 3.0 + (l * l / 9.0 + 2.0 * l * y).sqrt();
        let l_eps = (1.0 / EPS).ln();
        let j_lo = y - (2.0 * y * l_eps).sqrt();
        if (1.0..9.0e15).contains(&j_lo) && r_exact(j_lo.floor() as u64) <= EPS {
            return 0.0;
        }
        let j_hi = y + upper_d(l_eps);
        if j_hi < 9.0e15 && self.wait_phases_cdf(j_hi.ceil() as u64) <= EPS {
            return 1.0;
        }
        let mode = if y < 9.0e15 {
            y.floor() as u64
        } else {
            u64::MAX
        };
        let i0 = mode.min(support - 1);
        let ln_p0 = ln_poisson_pmf(i0, y);
        let p0 = ln_p0.exp();
        if p0 == 0.0 {
            return 0.0;
        }
        // One term of the sum, the floor of the lower stopping rule: at i1 = min(i0, m),
        // where R > 0 (for c = 1 the sojourn weight vanishes beyond m).
        let i1 = i0.min(m);
        let r0 = ln_poisson_pmf(i1, y).exp() * r_exact(i1);
        let hi = if i0 < mode {
            i0
        } else {
            // `as` saturates; the window is O(√y) long above the mode.
            let top = (y + upper_d((1.0 / TOL).ln() - ln_p0)).ceil() as u64;
            top.min(support - 1).max(i0)
        };
        let rho = self.x.exp();
        let inv_rho = (-self.x).exp();
        let inv_y = 1.0 / y;
        let floor = TOL * r0;
        let mut sum = 0.0;
        // P(J > i) from hi down: P(J > i − 1) = P(J > i) + C0·ρ^{i−1}; stop below i0
        // once the Poisson mass below is negligible.
        let mut w = self.wait_phases_tail(hi);
        let mut p = ln_poisson_pmf(hi, y).exp();
        let mut t = self.c0_at(hi.min(m.saturating_sub(1)));
        let mut i = hi;
        loop {
            if p < f64::MIN_POSITIVE {
                p = ln_poisson_pmf(i, y).exp();
            }
            sum += p * w;
            if i == 0 {
                break;
            }
            let fi = (i - 1) as f64;
            let next = p * i as f64 * inv_y;
            // Poisson mass below i − 1 <= next·y/(y − fi) (ratio bound; y − fi > 1).
            if i <= i0 && fi + 1.0 < y && next * y <= floor * (y - fi) {
                break;
            }
            p = next;
            i -= 1;
            if i < m {
                // t = C0·ρ^i grows downwards for ρ < 1: recomputed while below the
                // smallest normal double, where a product keeps too few digits to grow
                // (a subnormal 5e-324 times ρ stays 5e-324).
                if i + 1 < m {
                    t *= inv_rho;
                }
                if t < f64::MIN_POSITIVE && self.x < 0.0 {
                    t = self.c0_at(i);
                }
                w += t;
            }
        }
        let lo = i;
        if sojourn {
            // The service parts u = e + s from lo up to hi: e(i + 1) = q·e(i) and
            // s(i + 1) = q·s(i) + [i < m]·C0·ρ^i, so u(i + 1) = q·u(i) + [i < m]·C0·ρ^i.
            let q = if self.c == 1 {
                0.0
            } else {
                (self.c - 1) as f64 / self.c as f64
            };
            let (e, s) = self.service_phases_parts(lo);
            let mut u = e + s;
            let mut p = ln_poisson_pmf(lo, y).exp();
            let mut t = self.c0_at(lo);
            let mut i = lo;
            loop {
                // Subnormal weights are recomputed: their lost digits would be carried
                // up the window by the recurrence.
                if p < f64::MIN_POSITIVE {
                    p = ln_poisson_pmf(i, y).exp();
                }
                sum += p * u;
                if i == hi {
                    break;
                }
                u = q * u + if i < m { t } else { 0.0 };
                i += 1;
                p *= y / i as f64;
                if i < m {
                    // Grows upwards for ρ > 1: recomputed while subnormal, as above.
                    t *= rho;
                    if t < f64::MIN_POSITIVE && self.x > 0.0 {
                        t = self.c0_at(i);
                    }
                }
            }
        }
        sum
    }

    fn phase_rate(&self) -> f64 {
        self.c as f64 * self.mu
    }
}

/// m·φ(λ₂) below which the lower gamma P(m, ρs) counts as 0 in [`MMcK::tail_integral`]:
/// there P(m, ρs) <= e^{−40}/(|η|√(2πm)) < 10⁻¹⁸ of Q = 1 − P.
const PLATEAU_EXPONENT: f64 = 40.0;

/// λ − 1 < 0 with m·φ(λ) = [`PLATEAU_EXPONENT`] (Newton from −√(2·40/m), where φ > u²/2:
/// monotone, φ being convex and decreasing there).
fn plateau_edge(mf: f64) -> f64 {
    let target = PLATEAU_EXPONENT / mf;
    let mut u = -(2.0 * target).sqrt();
    for _ in 0..60 {
        let step = (phi_u(u) - target) * (1.0 + u) / u;
        u -= step;
        if step.abs() <= 1e-15 * u.abs() {
            break;
        }
    }
    u
}

/// The integrand of [`MMcK::tail_integral`] at one phase time s (given as s − m).
#[derive(Debug, Clone, Copy)]
struct IntegrandPoint {
    /// ln f(s) − ln(C0ρ^m), f(s) = C0·e^{δs}·Q(m, ρs).
    ln_f: f64,
    /// d ln f/ds = δ − ρ·h(ρs).
    slope: f64,
    /// h(v) = pdf/Q of Gamma(m, 1) at v = ρs, and dh/dv = h·(h − (1 + m(λ₂ − 1))/v).
    hazard: f64,
    hazard_slope: f64,
}

/// The wait's density in phases, f(s) = C0·e^{δs}·Q(m, ρs), relative to C0ρ^m, in the
/// forms of [`MMcK::tail_integral`].
struct CriticalIntegrand {
    mf: f64,
    rho: f64,
    /// δ = ρ − 1.
    delta: f64,
    /// φ(1/ρ) for ρ > 1, φ(ρ) otherwise.
    phi_ref: f64,
    above: bool,
    /// ½ ln(2πm).
    half_ln: f64,
    /// e^{−δ(m)}, Stirling's correction: pdf(v) = e^{ln_pre}·e^{−δ(m)}/λ₂.
    inv_gamma_star: f64,
}

impl CriticalIntegrand {
    fn new(q: &MMcK) -> Self {
        let m = q.m();
        let mf = m as f64;
        let above = q.x > 0.0;
        let delta = q.x.exp_m1();
        CriticalIntegrand {
            mf,
            rho: q.x.exp(),
            delta,
            phi_ref: if above {
                phi_u((-q.x).exp_m1())
            } else {
                phi_u(delta)
            },
            above,
            half_ln: 0.5 * (2.0 * std::f64::consts::PI * mf).ln(),
            inv_gamma_star: (-stirlerr(m)).exp(),
        }
    }

    /// ln f − ln(C0ρ^m) where Q(m, ρs) = 1 (below s*), at s = m + d.
    fn ln_plateau(&self, d: f64) -> f64 {
        let mf = self.mf;
        let u1 = d / mf;
        if self.above {
            let u2 = u1 + self.delta * (1.0 + u1);
            -mf * (self.phi_ref - self.delta / self.rho * u2)
        } else {
            mf * self.phi_ref + mf * self.delta * u1
        }
    }

    /// The integrand at s = m + d; `None` where Temme's form declines (not from s* on).
    fn at(&self, d: f64) -> Option<IntegrandPoint> {
        #[cfg(test)]
        tests::EVALS.with(|n| n.set(n.get() + 1));
        let mf = self.mf;
        let u1 = d / mf;
        let u2 = u1 + self.delta * (1.0 + u1);
        let lam2 = 1.0 + u2;
        let g = gamma_uniform(mf, u2)?;
        let (ln_f, hazard) = if u2 >= 0.0 {
            (
                -mf * phi_u(u1) - self.half_ln + g.scaled.ln(),
                self.inv_gamma_star / (lam2 * g.scaled),
            )
        } else {
            let pre = g.ln_pre.exp();
            let p = pre * g.scaled;
            (
                self.ln_plateau(d) + (-p).ln_1p(),
                pre * self.inv_gamma_star / lam2 / (1.0 - p),
            )
        };
        let hazard_slope = hazard * (hazard - (1.0 + mf * u2) / (mf * lam2));
        Some(IntegrandPoint {
            ln_f,
            slope: self.delta - self.rho * hazard,
            hazard,
            hazard_slope,
        })
    }

    /// A point near the mode of the integrand on [lo, hi] (as s − m) where d ln f/ds is
    /// δ − ρτ (τ = δ/ρ: 0; τ = (δ + 1/c)/ρ: −1/c), i.e. h(ρs) = τ: `lo` for τ <= 0 (h > 0),
    /// else Newton on ln h (increasing) from the normal approximation (h ≈ ψ(z)/√m,
    /// ψ(z) ≈ z + 1/z for z large, ≈ the normal density for z ≪ 0), to within 0.1√m/ρ
    /// or 8 steps, clamped to [lo, hi]. Only the start of the march: any point will do.
    fn mode(&self, tau: f64, lo: f64, hi: f64) -> Option<(f64, IntegrandPoint)> {
        if tau <= 0.0 || tau.is_nan() {
            return Some((lo, self.at(lo)?));
        }
        let (mf, rho) = (self.mf, self.rho);
        let sigma = mf.sqrt();
        let k = tau * sigma;
        let z = if k >= 1.0 {
            k - 1.0 / k
        } else if k * (2.0 * std::f64::consts::PI).sqrt() < 1.0 {
            -(-2.0 * (k * (2.0 * std::f64::consts::PI).sqrt()).ln()).sqrt()
        } else {
            0.0
        };
        let mut d = ((z * sigma - self.delta * mf) / rho).clamp(lo, hi);
        let mut p = self.at(d)?;
        for _ in 0..8 {
            let step = -(p.hazard.ln() - tau.ln()) * p.hazard / p.hazard_slope / rho;
            if !step.is_finite() {
                break;
            }
            let next = (d + step).clamp(lo, hi);
            if (next - d).abs() <= 0.1 * sigma / rho {
                break;
            }
            d = next;
            p = self.at(d)?;
        }
        Some((d, p))
    }
}

impl QueueMetrics for MMcK {
    fn ln_state_probability(&self, n: u64) -> Option<f64> {
        Some(MMcK::ln_prob_n(self, n))
    }
    fn method(&self) -> Method {
        Method::exact(
            "M/M/c/K",
            "Gross et al. (2008), Fundamentals of Queueing Theory 4th ed., §2.5",
        )
    }
    fn arrival_rate(&self) -> f64 {
        self.lambda
    }
    fn throughput(&self) -> f64 {
        self.lambda * self.admit
    }
    fn utilisation(&self) -> f64 {
        // X ≤ cμ exactly; λ(1 − π_K) rounds a few ulps over it under extreme overload.
        (self.throughput() / (self.c as f64 * self.mu)).min(1.0)
    }
    fn servers(&self) -> Option<u64> {
        Some(self.c)
    }
    fn mean_number_in_system(&self) -> f64 {
        self.lq + self.a * self.admit
    }
    fn mean_queue_length(&self) -> f64 {
        self.lq
    }
    /// W per admitted message: L / X.
    fn mean_sojourn(&self) -> f64 {
        self.mean_number_in_system() / self.throughput()
    }
    /// Wq per admitted message: Lq / X.
    fn mean_wait(&self) -> f64 {
        self.lq / self.throughput()
    }
    /// P0, or `None` where it underflows a double (see [`MMcK::ln_prob_n`]).
    fn prob_empty(&self) -> Option<f64> {
        self.prob_n(0)
    }
    /// The probability that an admitted arrival waits.
    fn prob_wait(&self) -> Option<f64> {
        Some(self.p_wait)
    }
    fn prob_block(&self) -> Option<f64> {
        Some(self.ln_pi_k.exp())
    }
    /// P(N = n): exactly 0 for n > K; `None` where a positive probability underflows a
    /// double (see [`MMcK::ln_prob_n`]).
    fn prob_n(&self, n: u64) -> Option<f64> {
        if n > self.k {
            return Some(0.0);
        }
        let p = self.ln_prob_n(n).exp();
        (p > 0.0).then_some(p)
    }
    /// Var(N) as a mixture of the states below c (weight w_H: Poisson(a) restricted to
    /// them, summed, O(c)) and those from c on (weight w_T: c plus a truncated
    /// geometric law on 0..m, its variance in closed form, O(1)):
    /// Var = w_H·Var_H + w_T·Var_T + w_H·w_T·(mean_T − mean_H)², every term positive, so
    /// a small variance is not lost in E\[N²\] − L². The head is skipped where w_H
    /// underflows (far above saturation). Nothing grows with K.
    fn var_number(&self) -> Option<f64> {
        let m = self.m();
        let var_t = truncated_geometric_var(self.x, m);
        if self.w_head == 0.0 {
            return Some(var_t);
        }
        let (gap_h, var_h) = self.head_moments();
        // mean_T − mean_H = (c + E[j]) − (c − gap_H).
        let gap = gap_h + truncated_geometric_mean(self.x, m);
        Some(self.w_head * var_h + self.w_tail * var_t + self.w_head * self.w_tail * gap * gap)
    }
    /// Var(Wq) per admitted message. An admitted arrival waits J Erlang phases of rate
    /// cμ, J = 0 with probability 1 − P(wait) and J = 1 + j with j truncated geometric
    /// on 0..m − 1 otherwise, so Var(Wq) = (E\[J\] + Var(J))/(cμ)² with
    /// Var(J) = P(wait)·Var(j) + P(wait)·(1 − P(wait))·(1 + E\[j\])² (closed forms, O(1)
    /// whatever K; every term positive).
    fn var_wait(&self) -> Option<f64> {
        let m = self.m();
        if m == 0 {
            return Some(0.0);
        }
        let rate = self.phase_rate();
        let mean_j = 1.0 + truncated_geometric_mean(self.x, m - 1);
        let var_j = truncated_geometric_var(self.x, m - 1);
        let p = self.p_wait;
        let e = p * mean_j;
        let v = p * var_j + p * self.no_wait * mean_j * mean_j;
        Some((e + v) / (rate * rate))
    }
    /// Var(W) = Var(Wq) + 1/μ²: the message's own service is independent of its wait.
    fn var_sojourn(&self) -> Option<f64> {
        Some(self.var_wait()? + 1.0 / (self.mu * self.mu))
    }
    fn wait_cdf(&self, t: f64) -> Option<f64> {
        if t.is_nan() || t < 0.0 {
            return None;
        }
        let y = self.phase_rate() * t;
        if !y.is_finite() {
            return Some(1.0);
        }
        let tail = self
            .geometric_limit_tail(t, false)
            .or_else(|| self.wait_tail_closed(y))
            .or_else(|| self.wait_tail_critical(y))
            .or_else(|| self.tail_integral(y, false))
            .unwrap_or_else(|| self.phase_mixture(y, false));
        Some((1.0 - tail).clamp(0.0, 1.0))
    }
    fn sojourn_cdf(&self, t: f64) -> Option<f64> {
        if t.is_nan() || t < 0.0 {
            return None;
        }
        let y = self.phase_rate() * t;
        if !y.is_finite() {
            return Some(1.0);
        }
        let tail = self
            .geometric_limit_tail(t, true)
            .or_else(|| self.sojourn_tail_closed(y))
            .or_else(|| self.sojourn_tail_critical(y))
            .or_else(|| self.tail_integral(y, true))
            .unwrap_or_else(|| self.phase_mixture(y, true));
        Some((1.0 - tail).clamp(0.0, 1.0))
    }
    /// 0 for p <= 1 − P(wait) (the atom at zero); otherwise by bisection on the exact
    /// CDF ([`invert_cdf`], relative precision 1e-13).
    fn wait_quantile(&self, p: f64) -> Option<f64> {
        if !(p > 0.0 && p < 1.0) {
            return None;
        }
        if p <= 1.0 - self.p_wait {
            return Some(0.0);
        }
        invert_cdf(
            |t| self.wait_cdf(t).unwrap_or(0.0),
            p,
            self.mean_wait().max(1.0 / self.phase_rate()),
        )
    }
    /// By bisection on the exact CDF ([`invert_cdf`], relative precision 1e-13).
    fn sojourn_quantile(&self, p: f64) -> Option<f64> {
        invert_cdf(
            |t| self.sojourn_cdf(t).unwrap_or(0.0),
            p,
            self.mean_sojourn(),
        )
    }
}

#[cfg(test)]
// Reference values are pasted with all the digits mpmath printed.
#[allow(clippy::excessive_precision)]
mod tests {
    use super::*;
    use crate::analytic::single::erlang::erlang_b;
    use nalgebra::{DMatrix, DVector};

    thread_local! {
        /// Evaluations of the integrand of `tail_integral` on this thread.
        pub(super) static EVALS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    }

    fn close(a: f64, b: f64, rel: f64) {
        assert!(
            (a - b).abs() <= rel * b.abs(),
            "{a} vs {b} (rel err {:e})",
            ((a - b) / b).abs()
        );
    }

    /// A second method: the birth–death generator solved densely (πQ = 0, Σπ = 1).
    /// A closed-form tail (`closed`, the wait's or the sojourn's by `sojourn`) at time t
    /// against a reference value, to `tol` relative, and the CDF it serves: 1 − CDF to
    /// `tol` relative or ~1e-16 absolute.
    fn check_tail(
        q: &MMcK,
        sojourn: bool,
        closed: fn(&MMcK, f64) -> Option<f64>,
        (t, want): (f64, f64),
        tol: f64,
    ) {
        close(closed(q, q.phase_rate() * t).unwrap(), want, tol);
        let cdf = if sojourn {
            q.sojourn_cdf(t)
        } else {
            q.wait_cdf(t)
        };
        let tail = 1.0 - cdf.unwrap();
        assert!(
            (tail - want).abs() <= tol * want + 3e-16,
            "{tail} vs {want}"
        );
    }

    /// The wait or sojourn percentiles p50..p999 equal those inverted from the window sum
    /// (the general path) to `tol`, and round-trip through the CDF.
    fn quantiles_match_window(q: &MMcK, sojourn: bool, tol: f64) {
        let cdf = |t: f64| {
            if sojourn {
                q.sojourn_cdf(t)
            } else {
                q.wait_cdf(t)
            }
            .unwrap()
        };
        for p in [0.5, 0.95, 0.99, 0.999] {
            let (t, mean) = if sojourn {
                (q.sojourn_quantile(p).unwrap(), q.mean_sojourn())
            } else {
                (q.wait_quantile(p).unwrap(), q.mean_wait())
            };
            let window = invert_cdf(
                |t| 1.0 - q.phase_mixture(q.phase_rate() * t, sojourn),
                p,
                mean,
            )
            .unwrap();
            close(t, window, tol);
            assert!(cdf(t) >= p);
            assert!(cdf(t * (1.0 - 2e-13)) < p, "{p}: {t}");
        }
    }

    fn ctmc_stationary(lambda: f64, mu: f64, c: u64, k: u64) -> Vec<f64> {
        let n = (k + 1) as usize;
        let mut q = DMatrix::<f64>::zeros(n, n);
        for i in 0..n {
            if i + 1 < n {
                q[(i, i + 1)] = lambda;
            }
            if i > 0 {
                q[(i, i - 1)] = mu * (i as u64).min(c) as f64;
            }
            let out: f64 = (0..n).filter(|&j| j != i).map(|j| q[(i, j)]).sum();
            q[(i, i)] = -out;
        }
        // Replace one balance equation by the normalisation.
        let mut at = q.transpose();
        for j in 0..n {
            at[(n - 1, j)] = 1.0;
        }
        let mut rhs = DVector::<f64>::zeros(n);
        rhs[n - 1] = 1.0;
        let pi = at.lu().solve(&rhs).unwrap();
        pi.iter().copied().collect()
    }

    #[test]
    fn state_probabilities_match_ctmc() {
        for (l, m, c, k) in [
            (5.0, 1.0, 3, 10),
            (3.0, 1.0, 1, 5),
            (1.0, 1.0, 1, 10),
            (2.0, 1.0, 2, 6),
            (40.0, 2.0, 20, 60),
            (0.7, 1.3, 4, 4),
        ] {
            let q = MMcK::new(l, m, c, k).unwrap();
            let pi = ctmc_stationary(l, m, c, k);
            for (n, p) in pi.iter().enumerate() {
                close(q.prob_n(n as u64).unwrap(), *p, 1e-11);
            }
            let s: f64 = (0..=k).map(|n| q.prob_n(n).unwrap()).sum();
            close(s, 1.0, 1e-13);
            let l_direct: f64 = pi.iter().enumerate().map(|(n, p)| n as f64 * p).sum();
            close(q.mean_number_in_system(), l_direct, 1e-11);
        }
    }

    /// tests/reference/markovian.py (mpmath, 50 digits; wait tails from Erlang tails,
    /// sojourn tails from the Erlang-plus-exponential convolution in closed form).
    #[test]
    fn against_mpmath() {
        struct Case {
            q: (f64, f64, u64, u64),
            means: [f64; 8], // P0, PK, X, L, Lq, W, Wq, Pw
            wait: &'static [(f64, f64)],
            sojourn: &'static [(f64, f64)],
        }
        let cases = [
            Case {
                q: (5.0, 1.0, 3, 10),
                means: [
                    0.00054118577589572081743,
                    0.40276004745706817617,
                    2.9861997627146591192,
                    8.5664305539911997303,
                    5.5802307912765406112,
                    2.8686729739083933494,
                    1.8686729739083933494,
                    0.98323632434259973599,
                ],
                wait: &[
                    (0.2, 0.96930950000598546963),
                    (1.0, 0.8181814181653405369),
                    (3.0, 0.12198378345879854841),
                ],
                sojourn: &[
                    (0.2, 0.99574093201823720772),
                    (1.0, 0.94293894798220942393),
                    (3.0, 0.40585003866078650224),
                ],
            },
            Case {
                q: (3.0, 1.0, 1, 5),
                means: [
                    0.0027472527472527472527,
                    0.66758241758241758242,
                    0.99725274725274725275,
                    4.5082417582417582418,
                    3.510989010989010989,
                    4.5206611570247933884,
                    3.5206611570247933884,
                    0.99173553719008264463,
                ],
                wait: &[(0.5, 0.97088766242223707632), (2.0, 0.75832497549110252152)],
                sojourn: &[(0.5, 0.99293549050967332486), (2.0, 0.88694941823664350969)],
            },
            Case {
                q: (1.0, 1.0, 1, 10),
                means: [
                    0.090909090909090909091,
                    0.090909090909090909091,
                    0.90909090909090909091,
                    5.0,
                    4.0909090909090909091,
                    5.5,
                    4.5,
                    0.9,
                ],
                wait: &[(1.0, 0.80000001223732929205), (5.0, 0.40540156578533994882)],
                sojourn: &[(1.0, 0.90000000109478145818), (5.0, 0.50221876005471946765)],
            },
            Case {
                q: (2.0, 1.0, 2, 6),
                means: [
                    0.076923076923076923077,
                    0.15384615384615384615,
                    1.6923076923076923077,
                    3.2307692307692307692,
                    1.5384615384615384615,
                    1.9090909090909090909,
                    0.90909090909090909091,
                    0.72727272727272727273,
                ],
                wait: &[(0.5, 0.54624523083032344722), (2.0, 0.14208495622775606531)],
                sojourn: &[(0.5, 0.85401897001208398443), (2.0, 0.39990898917986342089)],
            },
            Case {
                q: (40.0, 2.0, 20, 60),
                means: [
                    5.0119172673288153775e-10,
                    0.02160126524966481578,
                    39.135949390013407369,
                    37.281012199731852624,
                    17.71303750472514894,
                    0.95260272922483664138,
                    0.45260272922483664138,
                    0.88312727653626661733,
                ],
                wait: &[(0.1, 0.7948145488826399507), (1.0, 0.055590247492177988439)],
                sojourn: &[(0.1, 0.97054374995538806216), (1.0, 0.40639487062857780122)],
            },
            Case {
                q: (3.0, 1.0, 5, 8),
                means: [
                    0.048119953419885089551,
                    0.02104766762585773817,
                    2.9368569971224267855,
                    3.1286246354913528444,
                    0.19176763836892605888,
                    1.0652968934329532049,
                    0.065296893432953204876,
                    0.19509437672040896579,
                ],
                wait: &[
                    (0.1, 0.1500264498626836129),
                    (1.0, 0.0075518727142964647072),
                ],
                sojourn: &[(0.1, 0.92115041632753283018), (1.0, 0.39939628884814984621)],
            },
            Case {
                q: (150.0, 1.0, 100, 130),
                means: [
                    3.990421775402193505e-66,
                    0.3333333939346800923,
                    99.999990909797986155,
                    128.00000643050311185,
                    28.000015520705125697,
                    1.2800001806596333181,
                    0.28000018065963331806,
                    0.99999505760961217017,
                ],
                wait: &[
                    (0.05, 0.99993673982480091103),
                    (0.2, 0.92353637049527054815),
                ],
                sojourn: &[
                    (0.05, 0.99999886482693330191),
                    (0.2, 0.99818992252875881185),
                ],
            },
        ];
        for case in cases {
            let (l, m, c, k) = case.q;
            let q = MMcK::new(l, m, c, k).unwrap();
            let got = [
                q.prob_empty().unwrap(),
                q.prob_block().unwrap(),
                q.throughput(),
                q.mean_number_in_system(),
                q.mean_queue_length(),
                q.mean_sojourn(),
                q.mean_wait(),
                q.prob_wait().unwrap(),
            ];
            for (g, w) in got.iter().zip(case.means) {
                close(*g, w, 1e-12);
            }
            for &(t, tail) in case.wait {
                close(1.0 - q.wait_cdf(t).unwrap(), tail, 1e-12);
            }
            for &(t, tail) in case.sojourn {
                close(1.0 - q.sojourn_cdf(t).unwrap(), tail, 1e-12);
            }
        }
    }

    #[test]
    fn loss_system_is_erlang_b() {
        for (c, a) in [
            (1u64, 0.5),
            (10, 5.0),
            (30, 25.0),
            (1000, 950.0),
            (1000, 1200.0),
        ] {
            let q = MMcK::new(a, 1.0, c, c).unwrap();
            close(q.prob_block().unwrap(), erlang_b(c, a).unwrap(), 1e-12);
            assert_eq!(q.prob_wait(), Some(0.0));
            assert_eq!(q.mean_queue_length(), 0.0);
            assert_eq!(q.wait_cdf(0.0), Some(1.0));
            assert_eq!(q.wait_quantile(0.99), Some(0.0));
            close(q.mean_sojourn(), 1.0, 1e-12);
            close(q.sojourn_quantile(0.5).unwrap(), 2f64.ln(), 1e-12);
        }
    }

    /// Kleinrock (1975) §3.6: M/M/1/K has π_n = (1 − ρ)ρⁿ/(1 − ρ^{K+1}), and 1/(K + 1)
    /// at ρ = 1; L = K/2 at ρ = 1. Also ρ = 3 (π_K → 1 − 1/ρ = 2/3 as K grows) and
    /// K = 10⁶.
    #[test]
    fn mm1k_closed_forms_and_extremes() {
        let (rho, k) = (0.5f64, 12u64);
        let q = MMcK::new(rho, 1.0, 1, k).unwrap();
        for n in 0..=k {
            let want = (1.0 - rho) * rho.powi(n as i32) / (1.0 - rho.powi(k as i32 + 1));
            close(q.prob_n(n).unwrap(), want, 1e-13);
        }
        for k in [1u64, 7, 1_000_000] {
            let q = MMcK::new(4.0, 4.0, 1, k).unwrap();
            let kf = k as f64;
            close(q.prob_n(0).unwrap(), 1.0 / (kf + 1.0), 1e-12);
            close(q.prob_block().unwrap(), 1.0 / (kf + 1.0), 1e-12);
            close(q.mean_number_in_system(), kf / 2.0, 1e-12);
        }
        let q = MMcK::new(3.0, 1.0, 1, 1_000_000).unwrap();
        close(q.prob_block().unwrap(), 2.0 / 3.0, 1e-12);
        close(q.mean_number_in_system(), 1e6 - 0.5, 1e-12); // K − 1/(ρ − 1) + O(ρ^{−K})
        assert_eq!(q.prob_empty(), None);
        // ρ just either side of 1 at K = 10⁶ (series regime of the truncated geometric).
        for lambda in [1.0 - 1e-9, 1.0 + 1e-9] {
            let q = MMcK::new(lambda, 1.0, 1, 1_000_000).unwrap();
            assert!((q.mean_number_in_system() - 5e5).abs() < 100.0);
            let w = q.wait_quantile(0.99).unwrap();
            assert!(w.is_finite() && w > 9e5 && w < 1.1e6, "{w}");
        }
    }

    #[test]
    fn large_k_tends_to_mmc() {
        use crate::analytic::single::mmc::MMc;
        let (l, m, c) = (8.0, 1.0, 10);
        let a = MMcK::new(l, m, c, 2000).unwrap();
        let b = MMc::new(l, m, c).unwrap();
        close(a.mean_wait(), b.mean_wait(), 1e-12);
        close(a.mean_number_in_system(), b.mean_number_in_system(), 1e-12);
        close(a.prob_wait().unwrap(), b.prob_wait().unwrap(), 1e-12);
        for n in [0, 3, 10, 50] {
            close(a.prob_n(n).unwrap(), b.prob_n(n).unwrap(), 1e-12);
        }
        for t in [0.0, 0.05, 0.5, 2.0, 8.0] {
            close(a.wait_cdf(t).unwrap(), b.wait_cdf(t).unwrap(), 1e-12);
            close(a.sojourn_cdf(t).unwrap(), b.sojourn_cdf(t).unwrap(), 1e-12);
        }
        for p in [0.3, 0.5, 0.95, 0.999] {
            let (x, y) = (a.wait_quantile(p).unwrap(), b.wait_quantile(p).unwrap());
            assert!((x - y).abs() <= 1e-11 * y, "{x} {y}");
            close(
                a.sojourn_quantile(p).unwrap(),
                b.sojourn_quantile(p).unwrap(),
                1e-11,
            );
        }
    }

    /// a ≪ c: the head is Poisson(a) to double precision (π_c ≈ 10⁻²⁵⁶⁸).
    #[test]
    fn light_load_many_servers() {
        let q = MMcK::new(1.0, 1.0, 1000, 2000).unwrap();
        let mut fact = 1.0;
        for n in 0..20u64 {
            if n > 0 {
                fact *= n as f64;
            }
            close(q.prob_n(n).unwrap(), (-1f64).exp() / fact, 1e-13);
        }
        close(q.ln_prob_n(1000), -5913.1281784881633489, 1e-14);
        assert_eq!(q.prob_block(), Some(0.0));
        close(q.mean_number_in_system(), 1.0, 1e-13);
    }

    #[test]
    fn quantiles_round_trip() {
        let q = MMcK::new(5.0, 1.0, 3, 10).unwrap();
        for p in [0.1, 0.5, 0.9, 0.99, 0.999] {
            let t = q.sojourn_quantile(p).unwrap();
            close(q.sojourn_cdf(t).unwrap(), p, 1e-12);
            let t = q.wait_quantile(p).unwrap();
            if t > 0.0 {
                close(q.wait_cdf(t).unwrap(), p, 1e-12);
            } else {
                assert!(q.wait_cdf(0.0).unwrap() >= p);
            }
        }
    }

    /// P(Poisson(y) <= k − 1) = P(Erlang(k, 1) > y) by the plain series (y <= 600 here,
    /// so e^{−y} does not underflow).
    fn erlang_tail_direct(k: u64, y: f64) -> f64 {
        let mut term = (-y).exp();
        let mut sum = 0.0;
        for i in 0..k {
            sum += term;
            term *= y / (i + 1) as f64;
        }
        sum
    }

    /// P(Poisson(y) >= k) summed upwards from 0 and keeping the terms from k on.
    fn poisson_upper_direct(k: u64, y: f64) -> f64 {
        let mut term = (-y).exp();
        let mut sum = 0.0;
        for i in 0..k + 4000 {
            if i >= k {
                sum += term;
            }
            term *= y / (i + 1) as f64;
        }
        sum
    }

    /// A second method at moderate K (mostly ρ > 1): π_n from the birth–death ratios
    /// normalised by a plain sum; P(Wq > t) = Σ_n π_n/(1 − π_K)·P(Erlang(n − c + 1, cμ) > t)
    /// term by term; the sojourn by the convolution of each Erlang with the service,
    /// P(Erl(k, r) + Exp(μ) > t) = P(Erl(k, r) > t) + e^{−μt}(r/(r − μ))^k·P(Erl(k, r − μ) <= t)
    /// (no uniformisation, no recurrences in the phase tails).
    #[test]
    fn overload_tails_match_direct_sums() {
        for (lambda, mu, c, k, times) in [
            (7.5f64, 1.0f64, 5u64, 60u64, &[5.0, 10.0, 11.0, 12.0][..]),
            (24.0, 1.0, 20, 400, &[17.5, 18.5, 19.0, 19.5][..]),
            (1.3, 1.0, 1, 80, &[40.0, 60.0, 75.0][..]),
            // ρ = 0.9 where the truncation (ρ^m ≈ 5e-14) is too large for the M/M/c form.
            (9.0, 1.0, 10, 300, &[0.5, 2.0, 10.0, 20.0][..]),
        ] {
            let q = MMcK::new(lambda, mu, c, k).unwrap();
            let mut w = vec![1.0f64];
            for n in 1..=k {
                let prev = *w.last().unwrap();
                w.push(prev * lambda / (mu * n.min(c) as f64));
            }
            let z: f64 = w.iter().sum();
            let pi: Vec<f64> = w.iter().map(|x| x / z).collect();
            let admit = 1.0 - pi[k as usize];
            let r = c as f64 * mu;
            for &t in times {
                let mut wait = 0.0;
                let mut soj = 0.0;
                for n in 0..k {
                    let pa = pi[n as usize] / admit;
                    if n < c {
                        soj += pa * (-mu * t).exp();
                        continue;
                    }
                    let phases = n - c + 1;
                    let e = erlang_tail_direct(phases, r * t);
                    wait += pa * e;
                    let conv = if c == 1 {
                        // r − μ = 0: Erl(k, μ) + Exp(μ) = Erl(k + 1, μ).
                        erlang_tail_direct(phases + 1, mu * t)
                    } else {
                        e + (-mu * t).exp()
                            * (r / (r - mu)).powi(phases as i32)
                            * poisson_upper_direct(phases, (r - mu) * t)
                    };
                    soj += pa * conv;
                }
                // 1 − CDF carries ~1e-16 absolute: relative 1e-11, or 2e-16 absolute.
                for (got, want) in [
                    (1.0 - q.wait_cdf(t).unwrap(), wait),
                    (1.0 - q.sojourn_cdf(t).unwrap(), soj),
                ] {
                    assert!(
                        (got - want).abs() <= 1e-11 * want + 2e-16,
                        "{lambda} {c} {k} t = {t}: {got} vs {want}"
                    );
                }
            }
        }
    }

    /// Far above saturation with many servers (c = 10⁵, K = 10⁷, ρ = 1.2), where the
    /// phase weights C0·ρ^i climb out of the subnormal range inside the summation
    /// window: against tests/reference/mmck_overload.py (mpmath, 30 digits, Poisson
    /// tails summed apart; no uniformisation). A subnormal weight once stuck at 5e-324
    /// (ρ times it rounds back to it) and the sojourn CDF came out as the wait's.
    #[test]
    fn overload_many_servers_matches_mpmath() {
        let q = MMcK::new(1.2e7, 100.0, 100_000, 10_000_000).unwrap();
        for (t, wait, sojourn) in [
            (0.9895, 0.056180000475854818, 0.00074359713307624568),
            (0.99, 0.50067622303295438, 0.012333464926791345),
            (0.9905, 0.94414223439536771, 0.049104316424990525),
            (0.995, 1.0, 0.3931993713198359),
            (1.0, 1.0, 0.63195681437257936),
            (1.01, 1.0, 0.86460447854442708),
            (1.03, 1.0, 0.98167620875484117),
        ] {
            // A CDF is 1 − (a tail summed to ~1e-12 absolute at this window length).
            for (got, want) in [
                (q.wait_cdf(t).unwrap(), wait),
                (q.sojourn_cdf(t).unwrap(), sojourn),
            ] {
                assert!(
                    (got - want).abs() <= 1e-9 * want + 1e-11,
                    "t = {t}: {got} vs {want}"
                );
            }
        }
        // The median sojourn is the wait's (≈ 0.99 s) plus about ln 2 · 10 ms of service.
        let p50 = q.sojourn_quantile(0.5).unwrap();
        assert!((p50 - 0.99693).abs() < 1e-4, "{p50}");
    }

    /// At huge K and ρ < 1 the truncation is invisible: the tails are M/M/c's (the
    /// closed-form path), and the cost does not depend on K (c = 10⁵, K = 10⁹).
    #[test]
    fn huge_k_below_saturation_is_mmc() {
        use crate::analytic::single::mmc::MMc;
        for (l, m, c, k) in [
            (8.0, 1.0, 10u64, 1_000_000_000u64),
            (9_990_000.0, 100.0, 100_000, 1_000_000_000),
        ] {
            let a = MMcK::new(l, m, c, k).unwrap();
            let b = MMc::new(l, m, c).unwrap();
            let mean = b.mean_sojourn();
            for f in [0.0, 0.01, 0.3, 1.0, 3.0, 10.0] {
                let t = f * mean;
                close(a.wait_cdf(t).unwrap(), b.wait_cdf(t).unwrap(), 1e-12);
                close(a.sojourn_cdf(t).unwrap(), b.sojourn_cdf(t).unwrap(), 1e-12);
            }
            for p in [0.5, 0.99, 0.999] {
                close(
                    a.sojourn_quantile(p).unwrap(),
                    b.sojourn_quantile(p).unwrap(),
                    1e-11,
                );
            }
        }
    }

    /// The closed-form phase tails the summation window starts from, against plain sums
    /// of C0·ρ^j (ρ = 1.2, m = 298).
    #[test]
    fn window_recurrences_match_closed_form_per_term() {
        // Each R(i) from the recurrences equals the closed form at the window's points.
        let q = MMcK::new(2.4, 1.0, 2, 300).unwrap();
        for i in [0u64, 1, 5, 150, 297, 298, 299, 300, 400] {
            let direct: f64 = (i..q.m()).map(|j| q.c0_at(j)).sum();
            close(q.wait_phases_tail(i).max(1e-300), direct.max(1e-300), 1e-12);
            close(
                q.wait_phases_cdf(i),
                1.0 - q.p_wait + (0..i.min(q.m())).map(|j| q.c0_at(j)).sum::<f64>(),
                1e-12,
            );
        }
        let _ = q.sojourn_phases_tail(3);
    }

    /// The windowed recurrences against the term-by-term closed forms summed by the
    /// generic Poisson mixture (every weight from its own closed form).
    #[test]
    fn window_sum_matches_closed_form_terms() {
        for (l, mu, c, k) in [
            (1.0, 1.0, 1u64, 1000u64),
            (1.0, 1.0, 1, 50),
            (1.3, 1.0, 1, 200),
            (24.0, 1.0, 20, 400),
            (9.0, 1.0, 10, 300),
        ] {
            let q = MMcK::new(l, mu, c, k).unwrap();
            for y in [0.3, 5.0, 40.0, 200.0, 380.0, 700.0, 990.0, 1000.0, 1100.0] {
                let w = crate::analytic::single::special::poisson_mixture(y, q.m(), |i| {
                    q.wait_phases_tail(i)
                });
                let s = crate::analytic::single::special::poisson_mixture(y, u64::MAX, |i| {
                    q.sojourn_phases_tail(i)
                });
                let (gw, gs) = (q.phase_mixture(y, false), q.phase_mixture(y, true));
                assert!(
                    (gw - w).abs() <= 1e-13 * w + 1e-17,
                    "{l} {c} {k} y={y}: {gw} vs {w}"
                );
                assert!(
                    (gs - s).abs() <= 1e-13 * s + 1e-17,
                    "{l} {c} {k} y={y}: {gs} vs {s}"
                );
            }
        }
    }

    /// The variances against a second method at small K: the state law from the
    /// birth–death ratios normalised by a plain sum, Var(N) = Σ (n − L)²π_n and E[Wq²] = Σ_{n=c}^{K−1} π_n/(1 − π_K)·
    /// (j + 1)(j + 2)/(cμ)² summed state by state (two-pass central sums).
    #[test]
    fn variances_match_state_sums() {
        for (l, mu, c, k) in [
            (5.0, 1.0, 3u64, 10u64),
            (3.0, 1.0, 1, 5),
            (1.0, 1.0, 1, 10),
            (2.0, 1.0, 2, 6),
            (40.0, 2.0, 20, 60),
            (0.7, 1.3, 4, 4),
            (3.0, 1.0, 5, 8),
            (150.0, 1.0, 100, 130),
            (1.0, 1.0, 30, 200),
            (9.0, 1.0, 10, 300),
            (30.0, 1.0, 10, 150),
        ] {
            let q = MMcK::new(l, mu, c, k).unwrap();
            let mut pi = vec![1.0f64];
            for n in 1..=k {
                let prev = *pi.last().unwrap();
                pi.push(prev * l / (mu * n.min(c) as f64));
            }
            let z: f64 = pi.iter().sum();
            pi.iter_mut().for_each(|p| *p /= z);
            let mean: f64 = pi.iter().enumerate().map(|(n, p)| n as f64 * p).sum();
            let var_n: f64 = pi
                .iter()
                .enumerate()
                .map(|(n, p)| (n as f64 - mean).powi(2) * p)
                .sum();
            let admit = 1.0 - pi[k as usize];
            let r = c as f64 * mu;
            let phases = |n: usize| {
                if n < c as usize {
                    0.0
                } else {
                    (n - c as usize + 1) as f64
                }
            };
            let ew: f64 = (0..k as usize).map(|n| pi[n] / admit * phases(n) / r).sum();
            let var_wq: f64 = (0..k as usize)
                .map(|n| {
                    let j = phases(n);
                    // E[(Wq − ew)² | J] = J/r² + (J/r − ew)².
                    pi[n] / admit * (j / (r * r) + (j / r - ew).powi(2))
                })
                .sum();
            close(q.var_number().unwrap(), var_n, 1e-10);
            if var_wq > 0.0 {
                close(q.var_wait().unwrap(), var_wq, 1e-10);
            } else {
                assert_eq!(q.var_wait(), Some(0.0));
            }
            close(q.var_sojourn().unwrap(), var_wq + 1.0 / (mu * mu), 1e-10);
        }
    }

    /// Large K (no variance was given beyond 2·10⁶ states): against
    /// tests/reference/mmck_variance_reference.py (raw moments at 60 digits).
    #[test]
    fn variances_against_mpmath() {
        for ((l, mu, c, k), want) in [
            (
                (1.2e7, 100.0, 100_000u64, 1_000_000_000u64),
                [30.0, 9.99900025e-6, 0.00010999900025],
            ),
            (
                (3.0, 1.0, 3, 100_000_000),
                [
                    833333331481481.67078,
                    92592596090534.672268,
                    92592596090535.672268,
                ],
            ),
            (
                (9.99e6, 100.0, 100_000, 1_000_000),
                [
                    1047557.2692800346995,
                    8.8303156202589021203e-9,
                    0.0001000088303156202589,
                ],
            ),
            (
                (8.00000095367431640625, 1.0, 8, 10_000_000),
                [
                    7773012546790.3780446,
                    121453391700.54425234,
                    121453391701.54425234,
                ],
            ),
            (
                (2.4, 1.0, 2, 1_000_000_000),
                [30.000000000000012212, 250000005.75, 250000006.75],
            ),
            (
                (50.0, 1.0, 100, 3_000_000),
                [
                    50.000000017281385133,
                    2.608510962995296819e-13,
                    1.0000000000002608511,
                ],
            ),
        ] {
            let q = MMcK::new(l, mu, c, k).unwrap();
            let got = [
                q.var_number().unwrap(),
                q.var_wait().unwrap(),
                q.var_sojourn().unwrap(),
            ];
            for (g, w) in got.iter().zip(want) {
                close(*g, w, 1e-11);
            }
        }
    }

    /// The closed-form wait tail above saturation against the window sum (the
    /// uniformised Poisson mixture with every weight from its own closed form, summed by
    /// the generic `poisson_mixture`: no early exits), tails from 1 down to 1e-300.
    #[test]
    fn wait_tail_closed_matches_window_sum() {
        let (mut used, mut used_high) = (0, 0);
        for &c in &[1u64, 2, 10, 100_000] {
            for &rho in &[1.01f64, 1.2, 3.0, 4.0, 5.0, 10.0] {
                for &m in &[2_000u64, 100_000, 1_000_000] {
                    let q = MMcK::new(rho * c as f64, 1.0, c, c + m).unwrap();
                    let mf = m as f64;
                    for &f in &[
                        0.3, 0.7, 0.9, 0.99, 0.999, 0.9999, 1.0, 1.0001, 1.001, 1.003, 1.01, 1.03,
                        1.1, 1.3, 1.6, 2.5,
                    ] {
                        let y = f * mf;
                        let Some(got) = q.wait_tail_closed(y) else {
                            continue;
                        };
                        let want = crate::analytic::single::special::poisson_mixture(y, m, |i| {
                            q.wait_phases_tail(i)
                        });
                        if want < 1e-300 {
                            assert!(got < 1e-290, "{c} {rho} {m} {f}: {got} vs {want}");
                            continue;
                        }
                        used += 1;
                        if rho > 3.5 {
                            used_high += 1;
                        }
                        assert!(
                            (got - want).abs() <= 1e-12 * want,
                            "c {c} rho {rho} m {m} y/m {f}: {got} vs {want} (rel {:e})",
                            (got - want) / want
                        );
                    }
                }
            }
        }
        eprintln!("wait: closed form at {used} points, {used_high} at rho >= 4");
        assert!(used > 200, "{used}");
        // ρ in {4, 5, 10}: beyond Temme's table for ρλ, the upper series.
        assert!(used_high >= 450, "{used_high}");
    }

    /// K = 10⁹, c = 10⁵, ρ = 1.2: against tests/reference/mmck_wait_tail_large_k.py
    /// (mpmath's incomplete gamma at 50 digits, at the double y = cμ·t kendall forms:
    /// the tail's condition number in y is about m·|λ − 1| ≈ 10⁵ here, so the rounding
    /// of y alone would move it by 1e-11). 2e-12: ρ = 1.2 is exact there, kendall's
    /// ln ρ is rounded.
    #[test]
    fn wait_tail_large_k_against_mpmath() {
        let q = MMcK::new(1.2e7, 100.0, 100_000, 1_000_000_000).unwrap();
        for (t, want) in [
            (99.98, 0.99921755377712869924),
            (99.985, 0.94306961912580306197),
            (99.99, 0.49993271310354829916),
            (99.9905, 0.43711407036175865677),
            (99.995, 0.05689785388423877436),
            (100.0, 0.00078210641770782677633),
            (100.01, 1.2692950176375511999e-10),
        ] {
            check_tail(&q, false, MMcK::wait_tail_closed, (t, want), 2e-12);
        }
    }

    /// The closed-form sojourn tail above saturation (and at ρ = 1 exactly,
    /// `sojourn_tail_critical`) against the window sum (every weight P(J + G > i) from
    /// its own closed form, summed by the generic `poisson_mixture`: no early exits), at
    /// y = cμt from the bulk (y/m = 0.3) to the far tail (the service's: y = m + c·L, L
    /// up to 570, tails to ~1e-250).
    #[test]
    fn sojourn_tail_closed_matches_window_sum() {
        let (mut used, mut total, mut worst, mut used_high) = (0, 0, 0.0f64, 0);
        let (mut used_1, mut total_1, mut worst_1) = (0, 0, 0.0f64);
        for &c in &[1u64, 2, 10, 100_000] {
            for &rho in &[1.0f64, 1.01, 1.2, 3.0, 4.0, 5.0, 10.0] {
                let closed = if rho == 1.0 {
                    MMcK::sojourn_tail_critical
                } else {
                    MMcK::sojourn_tail_closed
                };
                for &m in &[2_000u64, 100_000, 1_000_000] {
                    // λ = ρcμ: ρ = 1 exactly (ln ρ = 0) at ρ = 1.
                    let q = MMcK::new(rho * c as f64, 1.0, c, c + m).unwrap();
                    assert_eq!(q.x == 0.0, rho == 1.0);
                    let (mf, cf) = (m as f64, c as f64);
                    let bulk = [
                        0.3, 0.7, 0.9, 0.99, 0.999, 0.9999, 1.0, 1.0001, 1.001, 1.003, 1.01, 1.03,
                        1.1, 1.3, 1.6, 2.5,
                    ]
                    .map(|f| f * mf);
                    let service = [1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 570.0].map(|l| mf + cf * l);
                    for y in bulk.into_iter().chain(service) {
                        total += 1;
                        if rho == 1.0 {
                            total_1 += 1;
                        }
                        let Some(got) = closed(&q, y) else {
                            continue;
                        };
                        let want =
                            crate::analytic::single::special::poisson_mixture(y, u64::MAX, |i| {
                                q.sojourn_phases_tail(i)
                            });
                        if want < 1e-300 {
                            assert!(got < 1e-290, "{c} {rho} {m} {y}: {got} vs {want}");
                            continue;
                        }
                        used += 1;
                        if rho > 3.5 {
                            used_high += 1;
                        }
                        let rel = (got - want).abs() / want;
                        worst = worst.max(rel);
                        if rho == 1.0 {
                            used_1 += 1;
                            worst_1 = worst_1.max(rel);
                        }
                        assert!(
                            rel <= 1e-12,
                            "c {c} rho {rho} m {m} y {y}: {got} vs {want} (rel {rel:e})"
                        );
                    }
                }
            }
        }
        eprintln!(
            "sojourn: closed form at {used} of {total} points ({used_high} at rho >= 4), worst {worst:e}; \
             at rho = 1 exactly {used_1} of {total_1}, worst {worst_1:e}"
        );
        assert!(used * 4 > total * 3, "{used} of {total}");
        assert!(used_high >= 700, "{used_high}");
        assert!(used_1 * 10 > total_1 * 9, "rho = 1: {used_1} of {total_1}");
    }

    /// Where the terms cancel (c(ρ − 1) ≪ 1 and ρ near 1: about log₁₀(ρ/(ρ − 1)) digits
    /// lost) the closed form declines and the CDF is the integral's (`tail_integral`),
    /// which equals the window sum (the path before it) to 1e-12.
    #[test]
    fn sojourn_tail_closed_declines_where_digits_would_be_lost() {
        // ρ = 1 + 10⁻⁵ beyond the mean wait: the A term nearly cancels the first.
        for (c, m, f) in [
            (1u64, 100_000u64, 1.01),
            (1, 1_000_000, 1.01),
            (2, 100_000, 1.003),
            (2, 100_000, 1.01),
            (10, 100_000, 1.003),
            (10, 1_000_000, 1.01),
        ] {
            let q = MMcK::new(1.00001 * c as f64, 1.0, c, c + m).unwrap();
            let y = f * m as f64;
            assert!(q.sojourn_tail_closed(y).is_none(), "{c} {m} {f}");
            let t = y / q.phase_rate();
            let got = q.tail_integral(y, true).unwrap();
            let want = poisson_mixture(y, u64::MAX, |i| q.sojourn_phases_tail(i));
            close(got, want, 1e-12);
            assert_eq!(q.sojourn_cdf(t).unwrap(), (1.0 - got).clamp(0.0, 1.0));
        }
    }

    /// K = 10⁹ above saturation (ρ = 1.2; c = 10⁵ and c = 2): the sojourn tail against
    /// tests/reference/mmck_sojourn_tail_large_k.py (mpmath's incomplete gamma at 50
    /// digits, the closed form checked there against the brute-force sum over the waits
    /// at small K; the same double y = cμt as kendall), from the bulk to ~1e-250. 2e-12
    /// as for the wait (kendall's ln ρ is rounded). The percentiles equal those
    /// inverted from the window sum (`phase_mixture`, the previous path) to 1e-12 and
    /// round-trip through the CDF.
    #[test]
    fn sojourn_tail_large_k_against_mpmath() {
        let big = MMcK::new(1.2e7, 100.0, 100_000, 1_000_000_000).unwrap();
        let two = MMcK::new(2.4, 1.0, 2, 1_000_000_000).unwrap();
        let cases: [(&MMcK, &[(f64, f64)]); 2] = [
            (
                &big,
                &[
                    (99.985, 0.99314971040117654262),
                    (99.99, 0.89517266310012381204),
                    (99.995, 0.62887627490316435811),
                    (99.9974, 0.50040901086335539161),
                    (100.0, 0.38664668231272672664),
                    (100.02, 0.052336844853184749414),
                    (100.06, 0.00095858275090663792714),
                    (100.2, 7.9708908701617111137e-10),
                    (101.0, 1.4386273449375713296e-44),
                    (105.75, 7.3802216796774412026e-251),
                ],
            ),
            (
                &two,
                &[
                    (499970000.0, 0.97110159187915874975),
                    (499990000.0, 0.73640165538718438896),
                    (500000000.0, 0.49993271646802750742),
                    (500010000.0, 0.26349092477264186448),
                    (500030000.0, 0.028881169184582551533),
                    (500100000.0, 1.2718966578300035058e-10),
                    (500300000.0, 1.5083592469677915198e-80),
                    (500530000.0, 1.8136924709458438494e-246),
                ],
            ),
        ];
        for (q, points) in cases {
            for &(t, want) in points {
                check_tail(q, true, MMcK::sojourn_tail_closed, (t, want), 2e-12);
            }
        }
        quantiles_match_window(&big, true, 1e-12);
    }

    /// K = 10⁹, c = 10⁵, ρ = 5: the second incomplete gamma Q(m, ρy) is beyond Temme's
    /// table (ρy/m ≈ 5), so the closed forms use the upper series there. Wait and sojourn
    /// tails against tests/reference/mmck_tail_rho5_large_k.py (mpmath's incomplete
    /// gamma at 50 digits, the same double y = cμt as kendall), 2e-12 as at ρ = 1.2; the
    /// closed forms must not decline, and the CDFs give the same tails.
    #[test]
    fn tails_rho5_large_k_against_mpmath() {
        let q = MMcK::new(5e7, 100.0, 100_000, 1_000_000_000).unwrap();
        for (t, want) in [
            (99.98, 0.9992179574806476369),
            (99.985, 0.94308679111606162473),
            (99.99, 0.49999264049549424126),
            (99.995, 0.056915016574734900675),
            (100.0, 0.00078250988580505327798),
            (100.01, 1.270529493592461908e-10),
        ] {
            check_tail(&q, false, MMcK::wait_tail_closed, (t, want), 2e-12);
        }
        for (t, want) in [
            (99.99, 0.89519143710063212797),
            (100.0, 0.38666501083526910392),
            (100.02, 0.052339330847100290901),
            (100.06, 0.00095862828347347457535),
            (100.2, 7.9712694865315028705e-10),
            (101.0, 1.4386956795656192941e-44),
        ] {
            check_tail(&q, true, MMcK::sojourn_tail_closed, (t, want), 2e-12);
        }
    }

    /// The closed-form wait tail at ρ = 1 exactly against the window sum (weights from
    /// their closed form, generic `poisson_mixture`), from the bulk to ~1e-250.
    #[test]
    fn wait_tail_critical_matches_window_sum() {
        let (mut used, mut total, mut worst) = (0, 0, 0.0f64);
        for &c in &[1u64, 2, 10, 100_000] {
            for &m in &[2_000u64, 100_000, 1_000_000] {
                // λ = cμ: ρ = 1 exactly (ln ρ = 0).
                let q = MMcK::new(c as f64, 1.0, c, c + m).unwrap();
                assert_eq!(q.x, 0.0);
                let mf = m as f64;
                let bulk = [0.01, 0.3, 0.7, 0.9, 0.99, 0.999, 0.9999, 1.0].map(|f| f * mf);
                let tail = [0.5, 1.0, 2.0, 3.0, 5.0, 8.0, 12.0, 20.0, 30.0]
                    .map(|k| mf + k * mf.sqrt())
                    .into_iter()
                    .chain([1.001, 1.01, 1.1, 1.3].map(|f| f * mf));
                for y in bulk.into_iter().chain(tail) {
                    total += 1;
                    let Some(got) = q.wait_tail_critical(y) else {
                        continue;
                    };
                    let want = crate::analytic::single::special::poisson_mixture(y, m, |i| {
                        q.wait_phases_tail(i)
                    });
                    if want < 1e-300 {
                        assert!(got < 1e-290, "{c} {m} {y}: {got} vs {want}");
                        continue;
                    }
                    used += 1;
                    let rel = (got - want).abs() / want;
                    worst = worst.max(rel);
                    assert!(
                        rel <= 1e-12,
                        "c {c} m {m} y {y}: {got} vs {want} (rel {rel:e})"
                    );
                }
            }
        }
        eprintln!("closed form at {used} of {total} points, worst {worst:e}");
        assert!(used * 4 > total * 3, "{used} of {total}");
        // 36 standard deviations out (tail ~1e-280) u·G cancels e^{−δ} to more than 3
        // digits: declined, and the CDF is 1 there anyway.
        let q = MMcK::new(1.0, 1.0, 1, 1_000_001).unwrap();
        assert!(q.wait_tail_critical(1.036e6).is_none());
        assert_eq!(q.wait_cdf(1.036e6), Some(1.0));
        // Off ρ = 1 (by one ulp of λ) it is not used.
        let q = MMcK::new(100_000f64.next_up(), 1.0, 100_000, 1_100_000).unwrap();
        assert!(q.wait_tail_critical(1e6).is_none());
    }

    /// K = 10⁹ at ρ = 1 exactly (c = 10⁵ and c = 1): against
    /// tests/reference/mmck_wait_tail_rho1_large_k.py (mpmath's incomplete gamma at 50
    /// digits, the closed form checked there against the brute-force sum at small K;
    /// the same double y = cμt as kendall), to 1e-13 (ρ = 1 is exact on both sides;
    /// 2e-14 seen). The window sum, the previous path, is off by up to 3e-11 here
    /// (10⁵ terms at y = 10⁹), so the wait percentiles equal those inverted from it to
    /// 1e-10 only; they round-trip through the CDF.
    #[test]
    fn wait_tail_critical_large_k_against_mpmath() {
        let big = MMcK::new(1e7, 100.0, 100_000, 1_000_000_000).unwrap();
        let one = MMcK::new(1.0, 1.0, 1, 1_000_000_000).unwrap();
        let cases: [(&MMcK, &[(f64, f64)]); 2] = [
            (
                &big,
                &[
                    (0.001, 0.99998960296468728348),
                    (50.0, 0.4999497969997171419),
                    (99.98, 0.00010001668853438371884),
                    (99.99, 0.000012616288442946093537),
                    (99.995, 7.6824644448109368197e-7),
                    (100.0, 6.7328070873870976332e-9),
                    (100.01, 6.0702674596382213428e-16),
                    (100.03, 1.4164444403363139777e-42),
                    (100.06, 1.1096952436351820759e-114),
                ],
            ),
            (
                &one,
                &[
                    (1000.0, 0.999998999),
                    (500000000.0, 0.499999999),
                    (999990000.0, 0.000018240577230097609387),
                    (1000000000.0, 0.000012615162613254715894),
                    (1000100000.0, 6.7356040187851033874e-9),
                    (1000200000.0, 6.0814121913555282177e-16),
                    (1000400000.0, 1.4273078974926142519e-42),
                ],
            ),
        ];
        for (q, points) in cases {
            for &(t, want) in points {
                check_tail(q, false, MMcK::wait_tail_critical, (t, want), 1e-13);
            }
        }
        quantiles_match_window(&big, false, 1e-10);
    }

    /// K = 10⁹ at ρ = 1 exactly (c = 10⁵ and c = 2): the sojourn tail against
    /// tests/reference/mmck_sojourn_tail_rho1_large_k.py (mpmath's incomplete gamma at
    /// 50 digits, the closed form checked there against the brute-force sum over the
    /// waits at small K; the same double y = cμt as kendall), from the bulk to ~1e-222,
    /// to 2e-12 (5e-14 seen); the closed form must not decline at these points (for
    /// c = 2 it does from ~25 standard deviations beyond the mean wait, tails ~1e-147,
    /// where the wait's two parts cancel). The percentiles round-trip through the CDF
    /// and equal those inverted from the window sum (`phase_mixture`, the previous path)
    /// to 1e-10 only, as for the wait: its ~10⁵ terms at y ~ 10⁹ are off by a few 1e-12
    /// (at the p50s, mpmath's tail is 0.5 − 1.2e-15 (c = 10⁵) and 0.5 − 1.3e-15 (c = 2)
    /// at kendall's, 0.5 + 2.4e-12 and 0.5 − 2.0e-12 at the window sum's).
    #[test]
    fn sojourn_tail_critical_large_k_against_mpmath() {
        let big = MMcK::new(1e7, 100.0, 100_000, 1_000_000_000).unwrap();
        let two = MMcK::new(2.0, 1.0, 2, 1_000_000_000).unwrap();
        let cases: [(&MMcK, &[(f64, f64)]); 2] = [
            (
                &big,
                &[
                    (0.001, 0.99999947852189867702),
                    (50.0, 0.50004980696110936377),
                    (99.9, 0.0010000996139222187275),
                    (99.98, 0.0002000204296452454427),
                    (99.99, 0.00010214444831556890449),
                    (99.995, 0.000063664998595021034525),
                    (100.0, 0.000038677182092680757009),
                    (100.01, 0.000014228758004987317599),
                    (100.03, 1.9256529947142069739e-6),
                    (100.1, 1.7559682377959314653e-9),
                    (100.5, 7.4599751351972182767e-27),
                    (101.0, 1.438842590782624176e-48),
                    (105.0, 2.7556275843240934709e-222),
                ],
            ),
            (
                &two,
                &[
                    (1000.0, 0.99999800049999900025),
                    (250000000.0, 0.50000000025000000013),
                    (499970000.0, 0.000060351926195783455474),
                    (499990000.0, 0.000025057869543561502897),
                    (500000000.0, 0.000012615662627972988922),
                    (500010000.0, 5.0580072513080315813e-6),
                    (500030000.0, 3.5200957998412856611e-7),
                    (500100000.0, 6.0826856538267621996e-16),
                    (500300000.0, 2.5091731734714589859e-86),
                ],
            ),
        ];
        let mut worst = 0.0f64;
        for (q, points) in cases {
            for &(t, want) in points {
                let got = q.sojourn_tail_critical(q.phase_rate() * t).unwrap();
                worst = worst.max((got - want).abs() / want);
                check_tail(q, true, MMcK::sojourn_tail_critical, (t, want), 2e-12);
            }
        }
        eprintln!("sojourn at rho = 1, K = 1e9 against mpmath: worst {worst:e}");
        quantiles_match_window(&big, true, 1e-10);
        quantiles_match_window(&two, true, 1e-10);
    }

    /// Near ρ = 1 at K = 10⁹ and 10¹³ (c = 10⁵ with μ = 100, and c = 2; ρ = 1 − 10⁻¹²,
    /// 1 − 10⁻⁸, 1 + 10⁻⁶): wait and sojourn tails against
    /// tests/reference/mmck_tail_near_critical_large_k.py (mpmath at 50 digits, the closed
    /// forms with its own incomplete gamma, checked there against the sums over the waits
    /// at small K; kendall's rounded ln ρ and the same double y = cμt), from the bulk to
    /// tails of 1e-34: `tail_integral` to 1e-13 (2e-14 seen), the CDFs' tails to 2e-12
    /// or 3e-16 absolute. (Not ρ = 1 − 10⁻⁸ at
    /// K = 10¹³, which the script prints too: m·|ln ρ| = 10⁵ there, the integral declines
    /// and the CDFs are M/M/c's, which take θ = cμ − λ as it is, exact in doubles, where
    /// the other forms take ρ from the rounded ln(λ/(cμ)): δ differs by ~1e-8 relative,
    /// the tails by about θt·1e-8.)
    /// The percentiles at c = 10⁵, ρ = 1 − 10⁻¹², K = 10⁹ equal those inverted from the
    /// window sum (the previous path, off by a few 1e-12 at y ~ 10⁹) to 1e-10.
    #[test]
    fn tail_integral_large_k_against_mpmath() {
        #[allow(clippy::type_complexity)]
        let cases: [((f64, f64, u64, u64), &[(f64, f64, f64)]); 10] = [
            (
                (9999999.99999, 100.0, 100_000, 1_000_000_000),
                &[
                    (49.995, 0.49987480332230965319, 0.49997481328951691484),
                    (
                        99.89001,
                        0.00099950019309025027323,
                        0.0010994602683271788716,
                    ),
                    (
                        99.9836757609,
                        0.000063485417279472709681,
                        0.00016320325829325271423,
                    ),
                    (99.99, 0.000012609981667529046324, 0.00010209339561046301271),
                    (
                        99.9994863586,
                        1.2083769529201059365e-8,
                        0.00004069487568114307765,
                    ),
                    (
                        100.021621195,
                        2.3883742521222452019e-29,
                        4.4488502497463948143e-6,
                    ),
                ],
            ),
            (
                (9999999.99999, 100.0, 100_000, 10_000_000_000_000),
                &[
                    (
                        499999.995,
                        0.0066898968212610113225,
                        0.0066898974948468025532,
                    ),
                    (
                        998999.99001,
                        4.5593287938692150257e-7,
                        4.5593746155288864547e-7,
                    ),
                    (
                        999999.357544,
                        2.8813716884549987089e-10,
                        2.9257783749623757118e-10,
                    ),
                    (
                        999999.99,
                        5.7231926549472519483e-11,
                        5.9557391152102328203e-11,
                    ),
                    (
                        1000000.93868,
                        5.4825694723122932704e-14,
                        6.1651426342543113399e-14,
                    ),
                    (
                        1000003.15228,
                        1.0723273072015949397e-34,
                        1.5791155006983567289e-34,
                    ),
                ],
            ),
            (
                (1.999999999998, 1.0, 2, 1_000_000_000),
                &[
                    (249999999.5, 0.49987500201813147041, 0.49987500401813138808),
                    (
                        499499999.001,
                        0.00099950059312992679122,
                        0.00099950259213211553219,
                    ),
                    (
                        499968376.223,
                        0.000063482269092930853933,
                        0.000063484222625970443298,
                    ),
                    (
                        499999999.0,
                        0.000012609356212109605918,
                        0.000012610355754260902599,
                    ),
                    (
                        500047433.165,
                        1.2083169196771646428e-8,
                        1.2085868950785429613e-8,
                    ),
                    (
                        500158112.883,
                        2.3882510045901862451e-29,
                        2.3897913290585983361e-29,
                    ),
                ],
            ),
            (
                (1.999999999998, 1.0, 2, 10_000_000_000_000),
                &[
                    (
                        2500000000000.0,
                        0.0066935862966441824124,
                        0.0066935862966576601109,
                    ),
                    (
                        4995000000000.0,
                        4.5638840547835670765e-7,
                        4.5638840557009152764e-7,
                    ),
                    (
                        4999996837720.0,
                        2.8842511762612689794e-10,
                        2.8842520638256198855e-10,
                    ),
                    (
                        5000000000000.0,
                        5.7289093566434710493e-11,
                        5.7289138977577152632e-11,
                    ),
                    (
                        5000004743420.0,
                        5.4877930001413707484e-14,
                        5.4878052601493987819e-14,
                    ),
                    (
                        5000015811390.0,
                        1.0734621047837714658e-34,
                        1.0734690259478649613e-34,
                    ),
                ],
            ),
            (
                (9999999.9, 100.0, 100_000, 1_000_000_000),
                &[
                    (49.995, 0.0066961494589845156462, 0.0067028978039857723284),
                    (99.89001, 4.56708726476572311e-7, 5.0265862310419867175e-7),
                    (
                        99.9836757609,
                        2.8875274070769417199e-8,
                        7.4286708502209196293e-8,
                    ),
                    (99.99, 5.7343198090485618942e-9, 4.6464807822580551269e-8),
                    (
                        99.9994863586,
                        5.4944014161518423891e-12,
                        1.8520623508583948344e-8,
                    ),
                    (
                        100.021621195,
                        1.0859182425980488701e-32,
                        2.0247138511456253586e-9,
                    ),
                ],
            ),
            (
                (1.99999998, 1.0, 2, 1_000_000_000),
                &[
                    (
                        249999999.5,
                        0.0066928507255985864933,
                        0.0066928508603636441114,
                    ),
                    (
                        499499999.001,
                        4.5629984643945650159e-7,
                        4.5630076360521008346e-7,
                    ),
                    (
                        499968376.223,
                        2.8847966705485763062e-8,
                        2.8848854668829172786e-8,
                    ),
                    (
                        499999999.0,
                        5.7288967407758983028e-9,
                        5.7293508943245869803e-9,
                    ),
                    (
                        500047433.165,
                        5.4892047686000642488e-12,
                        5.4904312334228798304e-12,
                    ),
                    (
                        500158112.883,
                        1.084889084287043086e-32,
                        1.0855887936876693509e-32,
                    ),
                ],
            ),
            (
                (10000010.0, 100.0, 100_000, 1_000_000_000),
                &[
                    (99.69, 0.95018803436844238482, 0.9547163948800635016),
                    (99.89, 0.63193659161097395516, 0.66539690146201935221),
                    (99.99, 0.012369195699811214256, 0.092625852911791937915),
                    (
                        99.9994863586,
                        0.000011987660834694105598,
                        0.037010062965872394014,
                    ),
                    (
                        100.021621195,
                        2.3820076572126409857e-26,
                        0.0040460287293992240349,
                    ),
                ],
            ),
            (
                (10000010.0, 100.0, 100_000, 10_000_000_000_000),
                &[
                    (
                        999999.041317,
                        0.99374751312436544638,
                        0.99420483002467428181,
                    ),
                    (999999.673772, 0.7452372069423630404, 0.75464793403556181603),
                    (999999.99, 0.38383681899227563736, 0.39554283933235399012),
                    (
                        1000000.93868,
                        0.00064834361123362831978,
                        0.00072618520108394922484,
                    ),
                    (
                        1000003.15228,
                        1.8071387896897851339e-24,
                        2.6584149421373714672e-24,
                    ),
                ],
            ),
            (
                (2.000002, 1.0, 2, 1_000_000_000),
                &[
                    (498499999.0, 0.95018803187789551372, 0.95018813150163250226),
                    (499499999.0, 0.63193657320818341061, 0.63193730933356468292),
                    (
                        499999999.0,
                        0.012369802104864995999,
                        0.012370777405362313677,
                    ),
                    (
                        500047433.165,
                        0.000011988254274141548481,
                        0.000011990931396563982021,
                    ),
                    (
                        500158112.883,
                        2.3821216274455451667e-26,
                        2.3836579549943393194e-26,
                    ),
                ],
            ),
            (
                (2.000002, 1.0, 2, 10_000_000_000_000),
                &[
                    (
                        4999995256580.0,
                        0.99374755216990992866,
                        0.99374756197501706425,
                    ),
                    (
                        4999998418860.0,
                        0.74523701374741011963,
                        0.74523720596284839293,
                    ),
                    (
                        5000000000000.0,
                        0.38383658716568279114,
                        0.38383681949195968369,
                    ),
                    (
                        5000004743420.0,
                        0.00064831417946357262369,
                        0.0006483155826162698247,
                    ),
                    (
                        5000015811390.0,
                        1.8072443517281964427e-24,
                        1.8072559783629154387e-24,
                    ),
                ],
            ),
        ];
        let (mut worst, mut points) = (0.0f64, 0);
        for ((lambda, mu, c, k), rows) in cases {
            let q = MMcK::new(lambda, mu, c, k).unwrap();
            for &(t, wait, sojourn) in rows {
                let y = q.phase_rate() * t;
                for (soj, want) in [(false, wait), (true, sojourn)] {
                    let what = format!("lambda {lambda} c {c} K {k} t {t} sojourn {soj}");
                    let got = q
                        .tail_integral(y, soj)
                        .unwrap_or_else(|| panic!("{what}: declined"));
                    let rel = (got - want).abs() / want;
                    assert!(rel <= 1e-13, "{what}: {got} vs {want} (rel {rel:e})");
                    worst = worst.max(rel);
                    points += 1;
                    let cdf = if soj { q.sojourn_cdf(t) } else { q.wait_cdf(t) }.unwrap();
                    let tail = 1.0 - cdf;
                    assert!(
                        (tail - want).abs() <= 2e-12 * want + 3e-16,
                        "{what}: CDF tail {tail} vs {want}"
                    );
                }
            }
        }
        eprintln!("integral against mpmath: {points} points, worst {worst:e}");
        let big = MMcK::new(9_999_999.999_99, 100.0, 100_000, 1_000_000_000).unwrap();
        quantiles_match_window(&big, false, 1e-10);
        quantiles_match_window(&big, true, 1e-10);
    }

    /// The panel sizing of `tail_integral` rests on the hazard h of Gamma(m, 1): h′(v) <=
    /// 1.1/(m·max(1, v/m)²) (it is about 1/m near the mean, (m − 1)/v² far above it, and
    /// vanishes far below), h increasing (log-concavity). Checked on a grid of v from
    /// s* (m·φ(v/m) = 40 below the mean) to 50m, for m from 10³ to 10¹³, where the
    /// slopes agree with the difference quotients of ln Q.
    #[test]
    fn gamma_hazard_bounds_for_panel_sizing() {
        for m in [1_000u64, 2_000, 100_000, 1_000_000_000, 10_000_000_000_000] {
            let mf = m as f64;
            // ρ = 1 exactly: λ₂ = λ₁ = s/m, d ln f/ds = −h(s).
            let q = MMcK::new(1.0, 1.0, 1, m + 1).unwrap();
            assert_eq!(q.x, 0.0);
            let ig = CriticalIntegrand::new(&q);
            let lo = mf * plateau_edge(mf);
            let mut last = 0.0f64;
            let n = 400;
            for i in 0..=n {
                // Dense near the mean, then out to 50m.
                let f = f64::from(i) / f64::from(n);
                let d = if f < 0.5 {
                    lo * (1.0 - 2.0 * f)
                } else {
                    (2.0 * f - 1.0).powi(3) * 49.0 * mf + (2.0 * f - 1.0) * 40.0 * mf.sqrt()
                };
                let p = ig.at(d).unwrap();
                let lam = 1.0 + d / mf;
                let bound = 1.1 / (mf * lam.max(1.0).powi(2));
                // h′ = h·(h − (m − 1)/v + 1): the difference carries ~ε·h² of rounding.
                assert!(
                    p.hazard_slope <= bound + 4.0 * f64::EPSILON * p.hazard * p.hazard,
                    "m {m} lambda {lam}: h' = {:e} > {bound:e}",
                    p.hazard_slope
                );
                assert!(p.hazard >= last, "m {m} lambda {lam}: h decreasing");
                last = p.hazard;
                // The slope against a central difference of ln f.
                let step = 1e-3 * mf.sqrt();
                let (a, b) = (ig.at(d - step).unwrap(), ig.at(d + step).unwrap());
                let quotient = (b.ln_f - a.ln_f) / (2.0 * step);
                assert!(
                    (quotient - p.slope).abs() <= 1e-4 * p.slope.abs() + 1e-9 / mf.sqrt(),
                    "m {m} lambda {lam}: slope {} vs {quotient}",
                    p.slope
                );
            }
        }
    }

    /// `tail_integral` (wait and sojourn) against the window sum (the uniformised Poisson
    /// mixture with every weight from its own closed form, generic `poisson_mixture`: a
    /// second method, no recurrences) over c × m × ρ and y = cμt from the bulk (y/m =
    /// 0.01) to tails of 1e-200: y/m in {0.01, 0.3, 0.7, 0.9, 0.99, 0.999},
    /// m + k√m for k from −5 to 30, k/|δ| for a geometric wait (m|δ| > 10, ρ < 1),
    /// `extra` (as multiples of m) and for the sojourn m + c·L (L from 1 to 300). Returns,
    /// per ρ, the points compared (tails >= 1e-200) and the worst relative error; panics
    /// if the integral declines or is off by more than 1e-12.
    fn integral_against_window(
        cs: &[u64],
        ms: &[u64],
        rhos: &[f64],
        extra: &[f64],
    ) -> Vec<(u64, f64)> {
        let mut by_rho = vec![(0u64, 0.0f64); rhos.len()];
        let (mut evals_max, mut evals_sum, mut points) = (0u64, 0u64, 0u64);
        let mut worst_self = 0.0f64;
        for &c in cs {
            for &m in ms {
                for (ir, &rho) in rhos.iter().enumerate() {
                    let q = MMcK::new(rho * c as f64, 1.0, c, c + m).unwrap();
                    let (mf, cf) = (m as f64, c as f64);
                    if q.x * mf < -2000.0 {
                        // M/M/c's tails to 1e-17 (`geometric_limit_tail`): not used.
                        assert!(q.tail_integral(mf, false).is_none());
                        continue;
                    }
                    let d = q.x.exp_m1();
                    let mut ys: Vec<f64> = [0.01, 0.3, 0.7, 0.9, 0.99, 0.999]
                        .iter()
                        .chain(extra)
                        .map(|f| f * mf)
                        .collect();
                    let ks = [
                        -5.0, -3.0, -1.0, 0.0, 1.0, 2.0, 3.0, 5.0, 8.0, 12.0, 20.0, 30.0,
                    ];
                    ys.extend(ks.iter().map(|k| mf + k * mf.sqrt()));
                    if d * mf < -10.0 {
                        ys.extend([1.0, 10.0, 100.0, 300.0].iter().map(|k| k / -d));
                    }
                    for sojourn in [false, true] {
                        let service = [1.0, 3.0, 10.0, 30.0, 100.0, 300.0].map(|l| mf + cf * l);
                        let ys = ys.iter().chain(if sojourn { &service[..] } else { &[] });
                        for &y in ys {
                            let want = if sojourn {
                                poisson_mixture(y, u64::MAX, |i| q.sojourn_phases_tail(i))
                            } else {
                                poisson_mixture(y, m, |i| q.wait_phases_tail(i))
                            };
                            EVALS.with(|n| n.set(0));
                            let got = q.tail_integral(y, sojourn);
                            let evals = EVALS.with(|n| n.get());
                            let what = format!("c {c} m {m} rho {rho} y {y} sojourn {sojourn}");
                            let got = got.unwrap_or_else(|| panic!("{what}: declined"));
                            if want < 1e-200 {
                                assert!(got < 1e-190, "{what}: {got} vs {want}");
                                continue;
                            }
                            let rel = (got - want).abs() / want;
                            assert!(rel <= 1e-12, "{what}: {got} vs {want} (rel {rel:e})");
                            // Panels of a third of the log-variation and half the width.
                            let fine = q.tail_integral_panels(y, sojourn, 20.0 / 3.0, 2.5).unwrap();
                            let self_rel = (got - fine).abs() / fine;
                            let noise = 8.0 * f64::EPSILON * got.ln().abs();
                            assert!(
                                self_rel <= 1e-14_f64.max(noise),
                                "{what}: {got} vs finer panels {fine} (rel {self_rel:e})"
                            );
                            worst_self = worst_self.max(self_rel / 1e-14_f64.max(noise));
                            by_rho[ir].0 += 1;
                            by_rho[ir].1 = by_rho[ir].1.max(rel);
                            points += 1;
                            evals_sum += evals;
                            evals_max = evals_max.max(evals);
                        }
                    }
                }
            }
        }
        for (rho, (n, w)) in rhos.iter().zip(&by_rho) {
            eprintln!("rho {rho}: {n} points, worst {w:e}");
        }
        eprintln!(
            "integrand evaluations: mean {}, max {evals_max}; against finer panels, worst {worst_self:.2} of the tolerance",
            evals_sum / points.max(1)
        );
        by_rho
    }

    /// The near-critical corners the integral is for: ρ − 1 from −1e-3 to 1e-4, c in
    /// {1, 2, 10, 10⁵}, m in {2 000, 10⁵, 10⁶}, wait and sojourn, tails from ~1 to 1e-200,
    /// against the window sum to 1e-12 (4.5e-13 seen, at tails of 1e-72..1e-142 where
    /// the window's own terms carry the rounding of their exponents: at c = 1, m = 2 000,
    /// ρ = 0.999, y = m + 20√m, mpmath (the sum over the waits at 40 digits) gives
    /// 4.17951677471832776e-73, the integral 4.1795167747183013e-73, the window
    /// 4.1795167747200677e-73).
    #[test]
    fn tail_integral_matches_window_sum() {
        let rhos = [
            1.0 - 1e-3,
            1.0 - 1e-5,
            1.0 - 1e-8,
            1.0 - 1e-12,
            1.0 + 1e-12,
            1.0 + 1e-8,
            1.0 + 1e-5,
            1.0 + 1e-4,
        ];
        let by_rho = integral_against_window(
            &[1, 2, 10, 100_000],
            &[2_000, 100_000, 1_000_000],
            &rhos,
            &[],
        );
        assert!(by_rho.iter().all(|&(n, _)| n >= 400), "{by_rho:?}");
    }

    /// The integral is exact for any ρ (it is used wherever the closed forms decline):
    /// away from ρ = 1 too, below saturation where m·|ln ρ| <= 2 000 (beyond, it declines:
    /// M/M/c's tails hold there to 1e-17) and above saturation up to
    /// ρ = 10 (where the second gamma is beyond Temme's table), wait and sojourn, to 1e-12.
    #[test]
    fn tail_integral_matches_window_sum_away_from_critical() {
        let by_rho = integral_against_window(
            &[1, 10, 100_000],
            &[2_000, 100_000],
            &[0.9, 0.99, 1.01, 1.2, 3.0, 10.0],
            &[0.5, 1.05, 1.2, 1.5, 3.0],
        );
        assert!(by_rho.iter().all(|&(n, _)| n >= 100), "{by_rho:?}");
    }

    #[test]
    fn rejects_bad_input() {
        assert!(matches!(
            MMcK::new(1.0, 1.0, 3, 2),
            Err(AnalyticError::InvalidParameter {
                name: "capacity",
                ..
            })
        ));
        assert!(matches!(
            MMcK::new(1.0, 1.0, 0, 2),
            Err(AnalyticError::InvalidParameter {
                name: "servers",
                ..
            })
        ));
        assert!(matches!(
            MMcK::new(f64::INFINITY, 1.0, 1, 2),
            Err(AnalyticError::InvalidParameter {
                name: "arrival_rate",
                ..
            })
        ));
        assert!(MMcK::new(1.0, 0.0, 1, 2).is_err());
        let q = MMcK::new(1.0, 1.0, 1, 3).unwrap();
        assert_eq!(q.wait_cdf(f64::NAN), None);
        assert_eq!(q.prob_n(4), Some(0.0));
    }
}
