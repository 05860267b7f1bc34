//! M/M/c+D: a queue whose messages expire after a fixed time to live (`ttl`) in the queue.
//!
//! Poisson arrivals λ, c exponential consumers of rate μ, FIFO, and a deterministic
//! patience τ: a message still waiting τ after it arrived leaves unserved (RabbitMQ's
//! `x-message-ttl`, see [`crate::model::Queue::ttl`]). The queue is stable for every
//! load: the TTL bounds the wait.
//!
//! **Method** (Baccelli & Hébuterne 1981; Zeltyn & Mandelbaum 2005, the M/M/n+G queue).
//! Let V be the *offered wait* seen by an arrival: the time until a consumer would take
//! it if it never expired. With a = λ/μ, H(x) = min(x, τ) and π_j the probability of j
//! busy consumers and no wait (j < c):
//!
//! - π_j ∝ a^j/j! (j < c); the density of V on x > 0 is v(x) = λ π_{c−1} e^{λH(x) − cμx};
//! - normalisation: π_{c−1}·(S + λJ) = 1 with S = Σ_{j<c} π_j/π_{c−1} = 1/B(c − 1, a)
//!   (Erlang B; S = 1 for c = 1) and J = ∫₀^∞ e^{λH(x) − cμx} dx
//!   = ∫₀^τ e^{−δx} dx + e^{−δτ}/(cμ), δ = cμ − λ;
//! - an arrival waits with probability P(V > 0) = λJ/(S + λJ), expires with
//!   P(V > τ) = λe^{−δτ}/(cμ)/(S + λJ), and otherwise waits V (≤ τ) and is served.
//!
//! Figures, with the conventions of [`QueueMetrics`]: `throughput` is the rate of
//! messages **served**, λ(1 − P(expire)); `utilisation` = throughput/(cμ); W, Wq, the
//! percentiles and P(wait) are those of served messages (an expired message has no
//! sojourn to report: it waited exactly τ); Lq = λ·E[min(V, τ)] counts every waiting
//! message, those that will expire included, and L = Lq + throughput/μ. So Little's law
//! holds on the waiting room over all arrivals (Lq = λ·E[min(V, τ)]), not as
//! Lq = throughput·Wq.
//!
//! Numerically every integral is written as ∫₀^m e^{g₀ + kx} dx (and with a factor x)
//! around the larger end point, with `expm1` and short series near k = 0, so nothing
//! overflows however far the load is above capacity (δ < 0) or the TTL is long; the
//! normaliser is carried scaled by σ = min(1, e^{δτ}). Cost O(c) (the Erlang B
//! recursion), then O(1) per figure and per CDF evaluation.
//!
//! Checks in the tests: as τ → ∞ the M/M/c (Erlang C) figures; as τ → 0 Erlang B
//! (a message that finds every consumer busy expires at once: M/M/c/c); for c = 1 the
//! published closed form P(expire) = (1 − ρ)ρe^{−(μ−λ)τ}/(1 − ρ²e^{−(μ−λ)τ}); and the
//! utilisation from the state probabilities against throughput/(cμ).

use crate::analytic::error::{AnalyticError, positive};
use crate::analytic::method::Method;
use crate::analytic::metrics::{QueueMetrics, invert_cdf};
#[cfg(test)]
use crate::analytic::single::erlang::erlang_b;
use crate::analytic::single::erlang::ln_erlang_b;
use crate::analytic::single::special::ln_poisson_pmf;

/// An M/M/c+D queue: messages that wait longer than the TTL expire.
///
/// # Errors
/// [`AnalyticError::InvalidParameter`] for a non-finite or non-positive rate or TTL, or
/// zero servers. Never [`AnalyticError::Unstable`]: the TTL bounds the wait.
///
/// # Example
/// ```
/// use kendall::analytic::{MMcTtl, QueueMetrics};
/// // M/M/1 at λ = μ = 1 (critical without a TTL) with a TTL of 2 s:
/// // P(expire) = 1/(2 + λτ) = 1/4 (the c = 1, δ = 0 case of the closed form).
/// let q = MMcTtl::new(1.0, 1.0, 1, 2.0).unwrap();
/// assert!((q.prob_expire() - 0.25).abs() < 1e-15);
/// assert!((q.throughput() - 0.75).abs() < 1e-15);
/// // Overload is fine: the TTL bounds the wait, the expired share grows.
/// let over = MMcTtl::new(50.0, 1.0, 10, 0.5).unwrap();
/// assert!(over.prob_expire() > 0.79 && over.mean_wait() < 0.5);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MMcTtl {
    lambda: f64,
    mu: f64,
    c: u64,
    ttl: f64,
    /// δ = cμ − λ.
    delta: f64,
    /// ln σ = min(0, δτ): every scaled quantity below is multiplied by σ.
    ln_sigma: f64,
    /// σ·S: the no-wait states relative to π_{c−1}.
    s: f64,
    /// σ·∫₀^τ e^{−δx} dx.
    i0: f64,
    /// σ·∫₀^τ x e^{−δx} dx.
    i1: f64,
    /// σ·e^{−δτ}/(cμ).
    e1: f64,
    /// The normaliser σ·(S + λJ) = s + λ(i0 + e1).
    d: f64,
}

/// φ₀(y) = ∫₀¹ e^{−yu} du = (1 − e^{−y})/y, for any real y with |y| not huge negative
/// (callers pass y ≥ 0 only).
fn phi0(y: f64) -> f64 {
    if y.abs() < 1e-8 {
        1.0 - y / 2.0
    } else {
        -(-y).exp_m1() / y
    }
}

/// φ₁(y) = ∫₀¹ u e^{−yu} du, y ≥ 0.
fn phi1(y: f64) -> f64 {
    if y < 1.0 {
        // Σ_k (−y)^k / (k! (k + 2)): 30 terms leave < 1/30! of the sum.
        let (mut term, mut sum) = (1.0, 0.0);
        for k in 0..30 {
            sum += term / (k as f64 + 2.0);
            term *= -y / (k as f64 + 1.0);
        }
        sum
    } else {
        (1.0 - (-y).exp() * (1.0 + y)) / (y * y)
    }
}

/// ψ(z) = ∫₀¹ u e^{−z(1−u)} du, z ≥ 0.
fn psi(z: f64) -> f64 {
    if z < 1.0 {
        // Σ_k (−z)^k / (k! (k + 1)(k + 2)).
        let (mut term, mut sum) = (1.0, 0.0);
        for k in 0..30 {
            let kf = k as f64;
            sum += term / ((kf + 1.0) * (kf + 2.0));
            term *= -z / (kf + 1.0);
        }
        sum
    } else {
        (z - 1.0 + (-z).exp()) / (z * z)
    }
}

/// ∫₀^m e^{g₀ + kx} dx for m ≥ 0, written around the larger end point so that no
/// exponential above e^{max(g₀, g₀ + km)} is formed.
fn int_exp(g0: f64, k: f64, m: f64) -> f64 {
    if m <= 0.0 {
        return 0.0;
    }
    if k >= 0.0 {
        m * (g0 + k * m).exp() * phi0(k * m)
    } else {
        m * g0.exp() * phi0(-k * m)
    }
}

/// ∫₀^m x e^{g₀ + kx} dx for m ≥ 0, likewise.
fn int_x_exp(g0: f64, k: f64, m: f64) -> f64 {
    if m <= 0.0 {
        return 0.0;
    }
    if k >= 0.0 {
        m * m * (g0 + k * m).exp() * psi(k * m)
    } else {
        m * m * g0.exp() * phi1(-k * m)
    }
}

impl MMcTtl {
    /// An M/M/c+D queue with arrival rate `arrival_rate` λ, per-consumer service rate
    /// `service_rate` μ, `servers` c and time to live `ttl` τ (seconds).
    ///
    /// # Errors
    /// See the type's documentation.
    pub fn new(
        arrival_rate: f64,
        service_rate: f64,
        servers: u64,
        ttl: f64,
    ) -> Result<Self, AnalyticError> {
        let lambda = positive("arrival_rate", arrival_rate)?;
        let mu = positive("service_rate", service_rate)?;
        let ttl = positive("ttl", ttl)?;
        if servers == 0 {
            return Err(AnalyticError::InvalidParameter {
                name: "servers",
                value: 0.0,
                rule: "an integer >= 1",
            });
        }
        let c = servers as f64;
        let a = lambda / mu;
        let delta = c * mu - lambda;
        let ln_sigma = (delta * ttl).min(0.0);
        // S = 1/B(c − 1, a), B(0, a) = 1.
        let ln_b = if servers == 1 {
            0.0
        } else {
            ln_erlang_b(servers - 1, a)?
        };
        // σ·S in logs: 1/B overflows a double where c ≫ a (B(1000, 1) ≈ e^{−5913});
        // capped there, where every waiting figure is 0 in doubles anyway.
        let s = (ln_sigma - ln_b).exp().min(f64::MAX / 4.0);
        let i0 = int_exp(ln_sigma, -delta, ttl);
        let i1 = int_x_exp(ln_sigma, -delta, ttl);
        let e1 = (ln_sigma - delta * ttl).exp() / (c * mu);
        let d = s + lambda * (i0 + e1);
        Ok(Self {
            lambda,
            mu,
            c: servers,
            ttl,
            delta,
            ln_sigma,
            s,
            i0,
            i1,
            e1,
            d,
        })
    }

    /// P(expire): the share of arrivals that wait the whole TTL and leave unserved.
    pub fn prob_expire(&self) -> f64 {
        (self.lambda * self.e1 / self.d).clamp(0.0, 1.0)
    }

    /// The TTL τ, seconds.
    pub fn ttl(&self) -> f64 {
        self.ttl
    }

    /// σ·(S + λ I₀): the served arrivals, relative to the normaliser.
    fn served_mass(&self) -> f64 {
        self.s + self.lambda * self.i0
    }

    /// P(Wq ≤ t) for a served message: the atom of those served at once plus the
    /// truncated exponential density of V on (0, τ].
    fn served_wait_cdf(&self, t: f64) -> f64 {
        if t < 0.0 {
            return 0.0;
        }
        if t >= self.ttl {
            return 1.0;
        }
        let part = self.s + self.lambda * int_exp(self.ln_sigma, -self.delta, t);
        (part / self.served_mass()).clamp(0.0, 1.0)
    }

    /// P(W ≤ t) for a served message: its wait (≤ τ) plus an independent Exp(μ)
    /// service.
    fn served_sojourn_cdf(&self, t: f64) -> f64 {
        if t <= 0.0 {
            return 0.0;
        }
        let m = t.min(self.ttl);
        // ∫₀^m f(x) (1 − e^{−μ(t−x)}) dx with f(x) = λσe^{−δx}/served_mass, split in
        // two integrals each written around its larger end point.
        let whole = int_exp(self.ln_sigma, -self.delta, m);
        let tail = int_exp(self.ln_sigma - self.mu * t, self.mu - self.delta, m);
        let atom = self.s * -(-self.mu * t).exp_m1();
        ((atom + self.lambda * (whole - tail)) / self.served_mass()).clamp(0.0, 1.0)
    }
}

impl QueueMetrics for MMcTtl {
    fn method(&self) -> Method {
        Method::exact(
            "M/M/c+D (TTL: deterministic patience)",
            "Baccelli & Hébuterne (1981), On queues with impatient customers; Zeltyn & Mandelbaum (2005), Queueing Systems 51, the M/M/n+G queue",
        )
    }
    fn arrival_rate(&self) -> f64 {
        self.lambda
    }
    fn throughput(&self) -> f64 {
        self.lambda * (1.0 - self.prob_expire())
    }
    fn utilisation(&self) -> f64 {
        (self.throughput() / (self.c as f64 * self.mu)).clamp(0.0, 1.0)
    }
    fn servers(&self) -> Option<u64> {
        Some(self.c)
    }
    fn mean_number_in_system(&self) -> f64 {
        self.mean_queue_length() + self.throughput() / self.mu
    }
    fn mean_queue_length(&self) -> f64 {
        // λ·E[min(V, τ)] = λ·λσ(I₁ + τ e^{−δτ}/(cμ))/normaliser.
        self.lambda * self.lambda * (self.i1 + self.ttl * self.e1) / self.d
    }
    fn mean_sojourn(&self) -> f64 {
        self.mean_wait() + 1.0 / self.mu
    }
    fn mean_wait(&self) -> f64 {
        // E[V | V ≤ τ] = λσI₁ / (σ(S + λI₀)).
        self.lambda * self.i1 / self.served_mass()
    }
    fn prob_empty(&self) -> Option<f64> {
        // π₀ = π_{c−1}·pois(0; a)/pois(c − 1; a), π_{c−1} = σ/normaliser.
        let a = self.lambda / self.mu;
        let ln = self.ln_sigma - self.d.ln() + ln_poisson_pmf(0, a) - ln_poisson_pmf(self.c - 1, a);
        let p = ln.exp();
        (p > 0.0 && p.is_finite()).then_some(p.min(1.0))
    }
    fn prob_wait(&self) -> Option<f64> {
        // Served after a wait, over served: λσI₀/(σ(S + λI₀)).
        Some((self.lambda * self.i0 / self.served_mass()).clamp(0.0, 1.0))
    }
    fn prob_block(&self) -> Option<f64> {
        // No capacity limit: nothing is refused at the door.
        Some(0.0)
    }
    fn prob_expire(&self) -> Option<f64> {
        Some(MMcTtl::prob_expire(self))
    }
    fn wait_cdf(&self, t: f64) -> Option<f64> {
        Some(self.served_wait_cdf(t))
    }
    fn sojourn_cdf(&self, t: f64) -> Option<f64> {
        Some(self.served_sojourn_cdf(t))
    }
    fn wait_quantile(&self, p: f64) -> Option<f64> {
        if !(p > 0.0 && p < 1.0) {
            return None;
        }
        let scale = self.mean_wait().max(self.ttl * 1e-3);
        invert_cdf(|t| self.served_wait_cdf(t), p, scale).map(|t| t.min(self.ttl))
    }
    fn sojourn_quantile(&self, p: f64) -> Option<f64> {
        if !(p > 0.0 && p < 1.0) {
            return None;
        }
        invert_cdf(|t| self.served_sojourn_cdf(t), p, self.mean_sojourn())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytic::single::mmc::MMc;

    fn close(a: f64, b: f64, rel: f64) {
        assert!(
            (a - b).abs() <= rel * b.abs().max(1e-300),
            "{a} vs {b} (rel {})",
            (a - b).abs() / b.abs()
        );
    }

    /// c = 1: the published closed form P(expire) = (1 − ρ)ρe^{−(μ−λ)τ}/(1 − ρ²e^{−(μ−λ)τ})
    /// (written here independently of the solver's integrals), and the wait of a served
    /// message: a truncated exponential of rate μ − λ with atom 1 − ρ·(1 − e^{−(μ−λ)τ})/(…).
    #[test]
    fn one_consumer_matches_the_closed_form() {
        for (lambda, mu, tau) in [
            (0.5, 1.0, 1.0),
            (0.9, 1.0, 3.0),
            (2.0, 1.0, 0.7),
            (1.0, 3.0, 0.01),
        ] {
            let q = MMcTtl::new(lambda, mu, 1, tau).unwrap();
            let rho: f64 = lambda / mu;
            let e = (-(mu - lambda) * tau).exp();
            let pexp = (1.0 - rho) * rho * e / (1.0 - rho * rho * e);
            close(q.prob_expire(), pexp, 1e-13);
            // P(V = 0) = π₀ = (1 − ρ)/(1 − ρ²e) (the normaliser of the c = 1 case).
            close(
                q.prob_empty().unwrap(),
                (1.0 - rho) / (1.0 - rho * rho * e),
                1e-13,
            );
            // E[V; V ≤ τ] = π₀ λ ∫₀^τ x e^{−(μ−λ)x} dx, by 4000-point Simpson here.
            let n = 4000;
            let h = tau / n as f64;
            let f = |x: f64| x * (-(mu - lambda) * x).exp();
            let mut simpson = f(0.0) + f(tau);
            for k in 1..n {
                simpson += if k % 2 == 1 { 4.0 } else { 2.0 } * f(k as f64 * h);
            }
            simpson *= h / 3.0;
            let p0 = (1.0 - rho) / (1.0 - rho * rho * e);
            close(q.mean_wait(), p0 * lambda * simpson / (1.0 - pexp), 1e-10);
        }
    }

    /// τ → ∞: the M/M/c figures (Erlang C).
    #[test]
    fn a_long_ttl_is_mmc() {
        for (lambda, mu, c) in [
            (2.0, 1.0, 3u64),
            (9.0, 1.0, 10),
            (0.5, 1.0, 1),
            (95.0, 1.0, 100),
        ] {
            let q = MMcTtl::new(lambda, mu, c, 1e4).unwrap();
            let m = MMc::new(lambda, mu, c).unwrap();
            assert!(q.prob_expire() < 1e-300);
            close(q.mean_wait(), m.mean_wait(), 1e-12);
            close(q.mean_queue_length(), m.mean_queue_length(), 1e-12);
            close(q.mean_number_in_system(), m.mean_number_in_system(), 1e-12);
            close(q.prob_wait().unwrap(), m.prob_wait().unwrap(), 1e-12);
            close(q.prob_empty().unwrap(), m.prob_empty().unwrap(), 1e-12);
            for p in [0.5, 0.95, 0.99, 0.999] {
                close(
                    q.sojourn_quantile(p).unwrap(),
                    m.sojourn_quantile(p).unwrap(),
                    1e-9,
                );
                let (a, b) = (q.wait_quantile(p).unwrap(), m.wait_quantile(p).unwrap());
                assert!((a - b).abs() <= 1e-9 * b.max(1.0), "{p}: {a} vs {b}");
            }
            for t in [0.1, 1.0, 5.0] {
                close(q.sojourn_cdf(t).unwrap(), m.sojourn_cdf(t).unwrap(), 1e-11);
            }
        }
    }

    /// τ → 0: a message that finds every consumer busy expires at once, so P(expire)
    /// is Erlang B of M/M/c/c, at any load (here also far above capacity).
    #[test]
    fn a_vanishing_ttl_is_erlang_b() {
        for (lambda, mu, c) in [
            (2.0, 1.0, 3u64),
            (30.0, 1.0, 10),
            (0.5, 1.0, 1),
            (1000.0, 1.0, 100),
        ] {
            let q = MMcTtl::new(lambda, mu, c, 1e-12).unwrap();
            close(q.prob_expire(), erlang_b(c, lambda / mu).unwrap(), 1e-9);
            assert!(q.mean_wait() < 1e-11);
        }
    }

    /// Busy consumers from the state probabilities (Σ j π_j + c·P(V > 0)) equal
    /// throughput/μ; the CDFs are proper and the quantiles invert them.
    #[test]
    fn identities_hold_far_above_capacity() {
        for (lambda, mu, c, tau) in [
            (3.0, 1.0, 2u64, 0.8),
            (50.0, 1.0, 10, 0.5),
            (5000.0, 1.0, 100, 2.0),
            (1e6, 1.0, 1000, 10.0), // δτ ≈ −10⁷: nothing may overflow
            (4.0, 1.0, 4, 1.0),     // δ = 0
        ] {
            let q = MMcTtl::new(lambda, mu, c, tau).unwrap();
            for x in [
                q.prob_expire(),
                q.mean_wait(),
                q.mean_queue_length(),
                q.utilisation(),
            ] {
                assert!(x.is_finite() && x >= 0.0, "{x}");
            }
            assert!(q.mean_wait() <= tau);
            // Σ_{j<c} j π_j = a·Σ_{j<c−1} π_j, and P(V > 0) = λ(I0 + E1)σ/normaliser.
            let a = lambda / mu;
            let pi_cm1 = q.ln_sigma.exp() / q.d;
            let b = if c == 1 {
                1.0
            } else {
                erlang_b(c - 1, a).unwrap()
            };
            let below = if c == 1 {
                0.0
            } else {
                // Σ_{j<c−1} π_j = π_{c−1}(1/B(c−1, a) − 1), times a.
                pi_cm1 * (1.0 / b - 1.0) * a
            };
            let busy = below + c as f64 * lambda * (q.i0 + q.e1) / q.d;
            close(busy, q.throughput() / mu, 1e-9);
            for p in [0.5, 0.99] {
                let t = q.sojourn_quantile(p).unwrap();
                close(q.sojourn_cdf(t).unwrap(), p, 1e-9);
            }
            assert_eq!(q.wait_cdf(tau).unwrap(), 1.0);
        }
    }

    #[test]
    fn bad_input_is_refused() {
        assert!(MMcTtl::new(1.0, 1.0, 0, 1.0).is_err());
        assert!(MMcTtl::new(1.0, 1.0, 1, 0.0).is_err());
        assert!(MMcTtl::new(1.0, 1.0, 1, f64::NAN).is_err());
        assert!(MMcTtl::new(-1.0, 1.0, 1, 1.0).is_err());
    }
}
