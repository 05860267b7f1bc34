//! M/M/c: Poisson arrivals, c exponential servers, unlimited FIFO buffer (Erlang C).
//!
//! With a = λ/μ and ρ = a/c < 1, C = C(c, a) the Erlang C probability of waiting
//! ([`erlang_c`]) and θ = cμ − λ:
//!
//! - Lq = C·ρ/(1 − ρ), Wq = C/θ, W = Wq + 1/μ, L = λW (Little);
//! - P(N = n) = P0·aⁿ/n! for n ≤ c and π_c·ρ^{n−c} for n ≥ c, with π_c = C(1 − ρ);
//! - wait: an atom 1 − C at zero and P(Wq > t) = C·e^{−θt};
//! - sojourn W = Wq + S with S ~ Exp(μ) independent of Wq:
//!   P(W > t) = (1 − C)e^{−μt} + C·H(t), H the tail of Exp(θ) + Exp(μ) (hypoexponential):
//!   with s = min(θ, μ), f = max(θ, μ), δ = f − s,
//!   H(t) = e^{−st}·[1 + s·(1 − e^{−δt})/δ], written with `expm1` so that it is accurate
//!   as δ → 0; at δ = 0 (cμ − λ = μ, e.g. c = 10, λ = 9, μ = 1) the removable
//!   singularity is replaced by its limit, the Erlang-2 tail e^{−μt}(1 + μt).
//!
//! Large c: P0 is never formed for the means. C comes from the stable Erlang B recursion;
//! state probabilities are computed in log space: ln π_c = ln C + ln(1 − ρ), and for n < c
//! ln π_n = ln π_c + ln pois(n; a) − ln pois(c; a) (Loader's Poisson pmf). A probability
//! that underflows a double (P0 for c = 10⁴ is about 10⁻⁴³⁴⁰) is reported as `None` by
//! [`QueueMetrics::prob_n`] / [`QueueMetrics::prob_empty`]; its logarithm is always
//! available from [`MMc::ln_prob_n`].
//!
//! References: Kleinrock (1975), *Queueing Systems* Vol. 1, §3.5 (Erlang C);
//! Gross, Shortle, Thompson & Harris (2008), *Fundamentals of Queueing Theory* 4th ed.,
//! §2.3 (M/M/c, including the waiting- and sojourn-time distributions).

use crate::analytic::error::{AnalyticError, positive};
use crate::analytic::method::Method;
use crate::analytic::metrics::{QueueMetrics, invert_cdf};
use crate::analytic::single::erlang::erlang_c;
use crate::analytic::single::special::ln_poisson_pmf;

/// An M/M/c queue.
///
/// # Errors
/// [`AnalyticError::InvalidParameter`] for a non-finite or non-positive rate or zero
/// servers; [`AnalyticError::Unstable`] when λ >= cμ.
///
/// # Example
/// ```
/// use kendall::analytic::{QueueMetrics, MMc};
/// // λ = 2, μ = 1, c = 3: C = 4/9, Wq = C/(cμ − λ) = 4/9.
/// let q = MMc::new(2.0, 1.0, 3).unwrap();
/// assert!((q.mean_wait() - 4.0 / 9.0).abs() < 1e-14);
/// // Every wait percentile within the atom 1 − C = 5/9 is exactly 0.
/// assert_eq!(q.wait_quantile(0.5), Some(0.0));
/// // c = 100 000 at ρ = 0.999 works: Wq = C/100.
/// let big = MMc::new(99_900.0, 1.0, 100_000).unwrap();
/// assert!((big.mean_wait() - 0.006_579_935_117_953_026).abs() < 1e-13);
/// assert!(MMc::new(3.0, 1.0, 3).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MMc {
    lambda: f64,
    mu: f64,
    c: u64,
    /// Offered load a = λ/μ.
    a: f64,
    /// Erlang C.
    erlang_c: f64,
    /// ln π_c = ln P(N = c).
    ln_pi_c: f64,
    /// ln(P0·e^a): for n < c, ln π_n = this + ln pois(n; a).
    ln_norm: f64,
    /// ln ρ, accurate near ρ = 1.
    ln_rho: f64,
}

impl MMc {
    /// An M/M/c queue with arrival rate `arrival_rate` λ, per-server service rate
    /// `service_rate` μ and `servers` c.
    ///
    /// Costs O(c) (the Erlang B recursion).
    ///
    /// # Errors
    /// See the type's documentation.
    pub fn new(arrival_rate: f64, service_rate: f64, servers: u64) -> Result<Self, AnalyticError> {
        let lambda = positive("arrival_rate", arrival_rate)?;
        let mu = positive("service_rate", service_rate)?;
        if servers == 0 {
            return Err(AnalyticError::InvalidParameter {
                name: "servers",
                value: 0.0,
                rule: "an integer >= 1",
            });
        }
        let c = servers as f64;
        let a = lambda / mu;
        let rho = lambda / (c * mu);
        if rho >= 1.0 {
            return Err(AnalyticError::Unstable { utilisation: rho });
        }
        let erlang_c = erlang_c(servers, a)?;
        let ln_rho = (-(c - a) / c).ln_1p();
        let ln_pc = ln_poisson_pmf(servers, a);
        let (ln_pi_c, ln_norm) = if erlang_c > 1e-280 {
            // π_c = C(1 − ρ), with 1 − ρ = (c − a)/c not formed from ρ.
            let ln_pi_c = erlang_c.ln() + ((c - a) / c).ln();
            (ln_pi_c, ln_pi_c - ln_pc)
        } else {
            // C underflows (a ≪ c): then P0 = e^{−a}(1 + δ) with |δ| <= 2C < 1e-279, so
            // the head is Poisson(a) to double precision: P0·e^a = 1 exactly here.
            (ln_pc, 0.0)
        };
        Ok(Self {
            lambda,
            mu,
            c: servers,
            a,
            erlang_c,
            ln_pi_c,
            ln_norm,
            ln_rho,
        })
    }

    /// The Erlang C probability C(c, a) that an arrival waits (also
    /// [`QueueMetrics::prob_wait`]).
    ///
    /// # Example
    /// ```
    /// use kendall::analytic::MMc;
    /// // c = 2, a = 1: C = 1/3.
    /// assert!((MMc::new(1.0, 1.0, 2).unwrap().erlang_c() - 1.0 / 3.0).abs() < 1e-15);
    /// ```
    pub fn erlang_c(&self) -> f64 {
        self.erlang_c
    }

    /// θ = cμ − λ, the rate of the conditional waiting time.
    fn theta(&self) -> f64 {
        self.c as f64 * self.mu - self.lambda
    }

    /// ln P(N = n), finite for every n (no underflow): ln π_c + (n − c) ln ρ for n >= c,
    /// ln π_c + ln pois(n; a) − ln pois(c; a) for n < c (where C underflows, a ≪ c, the
    /// head is Poisson(a) to double precision and ln pois(n; a) is used directly).
    ///
    /// # Example
    /// ```
    /// use kendall::analytic::MMc;
    /// // c = 10 000 at ρ = 0.999: P0 ≈ e^{−9990.6} underflows, its logarithm does not.
    /// let q = MMc::new(9_990.0, 1.0, 10_000).unwrap();
    /// assert!(q.ln_prob_n(0) < -9_000.0 && q.ln_prob_n(0).is_finite());
    /// ```
    pub fn ln_prob_n(&self, n: u64) -> f64 {
        if n >= self.c {
            self.ln_pi_c + (n - self.c) as f64 * self.ln_rho
        } else {
            self.ln_norm + ln_poisson_pmf(n, self.a)
        }
    }

    /// Tail of Exp(θ) + Exp(μ), independent, at t >= 0 (see the module docs).
    fn hypo_tail(&self, t: f64) -> f64 {
        let theta = self.theta();
        let (s, f) = if theta <= self.mu {
            (theta, self.mu)
        } else {
            (self.mu, theta)
        };
        let delta = f - s;
        // (1 − e^{−δt})/δ, with its limit t at δ = 0.
        let ratio = if delta == 0.0 {
            t
        } else {
            -(-delta * t).exp_m1() / delta
        };
        (-s * t).exp() * (1.0 + s * ratio)
    }
}

impl QueueMetrics for MMc {
    fn ln_state_probability(&self, n: u64) -> Option<f64> {
        Some(MMc::ln_prob_n(self, n))
    }
    /// Var(N) = E\[N²\] − L², E\[N²\] from the two parts of the law: below c,
    /// Σ n²π_n = a²·P(N <= c − 3) + a·P(N <= c − 2) (n·π_n = a·π_{n−1}); from c on,
    /// C·E\[(c + X)²\] with X geometric of ratio ρ.
    fn var_number(&self) -> Option<f64> {
        let (a, c, erlang) = (self.a, self.c as f64, self.erlang_c);
        let rho = a / c;
        let pi_c = erlang * (1.0 - rho);
        let pi_c1 = pi_c * c / a;
        let pi_c2 = pi_c1 * (c - 1.0) / a;
        let below_c2 = if self.c >= 2 {
            (1.0 - erlang - pi_c1).max(0.0)
        } else {
            0.0
        };
        let below_c3 = if self.c >= 3 {
            (below_c2 - pi_c2).max(0.0)
        } else {
            0.0
        };
        let head = a * a * below_c3 + a * below_c2;
        let x1 = rho / (1.0 - rho);
        let x2 = rho * (1.0 + rho) / ((1.0 - rho) * (1.0 - rho));
        let tail = erlang * (c * c + 2.0 * c * x1 + x2);
        let l = self.mean_number_in_system();
        Some((head + tail - l * l).max(0.0))
    }
    /// Var(W) = Var(Wq) + 1/μ² (the wait and the own service are independent).
    fn var_sojourn(&self) -> Option<f64> {
        Some(self.var_wait()? + 1.0 / (self.mu * self.mu))
    }
    /// The wait is 0 with probability 1 − C, else Exp(θ), θ = cμ − λ:
    /// Var(Wq) = C(2 − C)/θ².
    fn var_wait(&self) -> Option<f64> {
        let theta = self.c as f64 * self.mu - self.lambda;
        Some(self.erlang_c * (2.0 - self.erlang_c) / (theta * theta))
    }
    fn method(&self) -> Method {
        Method::exact(
            "M/M/c (Erlang C)",
            "Kleinrock (1975), Queueing Systems Vol. 1, §3.5; Gross et al. (2008), Fundamentals of Queueing Theory 4th ed., §2.3",
        )
    }
    fn arrival_rate(&self) -> f64 {
        self.lambda
    }
    fn throughput(&self) -> f64 {
        self.lambda
    }
    fn utilisation(&self) -> f64 {
        self.lambda / (self.c as f64 * self.mu)
    }
    fn servers(&self) -> Option<u64> {
        Some(self.c)
    }
    fn mean_number_in_system(&self) -> f64 {
        self.mean_queue_length() + self.a
    }
    fn mean_queue_length(&self) -> f64 {
        self.lambda * self.mean_wait()
    }
    fn mean_sojourn(&self) -> f64 {
        self.mean_wait() + 1.0 / self.mu
    }
    fn mean_wait(&self) -> f64 {
        self.erlang_c / self.theta()
    }
    /// P0, or `None` where it underflows a double (use [`MMc::ln_prob_n`]`(0)`).
    fn prob_empty(&self) -> Option<f64> {
        self.prob_n(0)
    }
    fn prob_wait(&self) -> Option<f64> {
        Some(self.erlang_c)
    }
    fn prob_block(&self) -> Option<f64> {
        Some(0.0)
    }
    /// P(N = n), or `None` where it underflows to exactly 0 (the logarithm is always
    /// available from [`MMc::ln_prob_n`]).
    fn prob_n(&self, n: u64) -> Option<f64> {
        let p = self.ln_prob_n(n).exp();
        (p > 0.0).then_some(p)
    }
    fn wait_cdf(&self, t: f64) -> Option<f64> {
        (t >= 0.0).then(|| 1.0 - self.erlang_c * (-self.theta() * t).exp())
    }
    fn sojourn_cdf(&self, t: f64) -> Option<f64> {
        (t >= 0.0).then(|| {
            let tail =
                (1.0 - self.erlang_c) * (-self.mu * t).exp() + self.erlang_c * self.hypo_tail(t);
            (1.0 - tail).clamp(0.0, 1.0)
        })
    }
    /// 0 for p <= 1 − C (the atom at zero), else ln(C/(1 − p))/θ.
    fn wait_quantile(&self, p: f64) -> Option<f64> {
        if !(p > 0.0 && p < 1.0) {
            return None;
        }
        let c = self.erlang_c;
        if p <= 1.0 - c {
            Some(0.0)
        } else {
            Some((c / (1.0 - p)).ln() / self.theta())
        }
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
    use crate::analytic::single::mm1::MM1;

    fn close(a: f64, b: f64, rel: f64) {
        assert!(
            (a - b).abs() <= rel * b.abs(),
            "{a} vs {b} (rel err {:e})",
            ((a - b) / b).abs()
        );
    }

    /// Bronson (1982), Schaum's Outline of Operations Research, Problem 24.6: s = 3,
    /// λ = 300/yr, 1/μ = 2 days (μ = 182.5/yr). Printed: Lq = 0.352, L = 1.996,
    /// Wq = 0.001175 yr, W = 0.006654 yr, p0 = 0.17754.
    #[test]
    fn bronson_problem_24_6() {
        let q = MMc::new(300.0, 182.5, 3).unwrap();
        assert!((q.mean_queue_length() - 0.352).abs() < 5e-4);
        assert!((q.mean_number_in_system() - 1.996).abs() < 5e-4);
        assert!((q.mean_wait() - 0.001175).abs() < 5e-7);
        assert!((q.mean_sojourn() - 0.006654).abs() < 5e-7);
        assert!((q.prob_empty().unwrap() - 0.17754).abs() < 5e-6);
    }

    /// Reference values from tests/reference/markovian.py (mpmath, 60 digits; sojourn
    /// CDF by numerical quadrature of the convolution, quantiles by root finding).
    #[test]
    fn against_mpmath() {
        // λ = 2, μ = 1, c = 3.
        let q = MMc::new(2.0, 1.0, 3).unwrap();
        close(q.erlang_c(), 0.44444444444444444444, 1e-14);
        close(q.mean_wait(), 0.44444444444444444444, 1e-14);
        close(q.mean_number_in_system(), 2.8888888888888888889, 1e-14);
        close(q.ln_prob_n(0), -2.1972245773362193828, 1e-14);
        close(q.wait_cdf(0.3).unwrap(), 0.67074745747479205587, 1e-14);
        close(q.wait_cdf(6.0).unwrap(), 0.99889833236592606292, 1e-14);
        close(q.sojourn_cdf(0.3).unwrap(), 0.16040601656071974612, 1e-13);
        close(q.sojourn_cdf(1.5).unwrap(), 0.62811639975261695178, 1e-14);
        close(q.sojourn_cdf(6.0).unwrap(), 0.99091124201889001912, 1e-14);
        close(
            q.sojourn_quantile(0.5).unwrap(),
            1.0874128862231670459,
            1e-12,
        );
        close(
            q.sojourn_quantile(0.99).unwrap(),
            5.8911744166032379508,
            1e-12,
        );

        // λ = 9.5, μ = 1, c = 10.
        let q = MMc::new(9.5, 1.0, 10).unwrap();
        close(q.erlang_c(), 0.82558557812569864474, 1e-14);
        close(q.mean_wait(), 1.6511711562513972895, 1e-13);
        close(q.mean_queue_length(), 15.68612598438827425, 1e-13);
        close(q.ln_prob_n(0), -10.59590003930634014, 1e-13);
        close(q.wait_cdf(1.0).unwrap(), 0.49925703465018413915, 1e-13);
        close(q.sojourn_cdf(1.0).unwrap(), 0.23806655036909426341, 1e-13);
        close(q.sojourn_cdf(5.0).unwrap(), 0.86885117464943778716, 1e-13);
        close(
            q.sojourn_quantile(0.5).unwrap(),
            2.0907717072403028268,
            1e-12,
        );
        close(
            q.sojourn_quantile(0.99).unwrap(),
            10.208515979533792379,
            1e-12,
        );
    }

    /// c = 10, λ = 9, μ = 1: cμ − λ = μ, the removable singularity of the sojourn CDF.
    #[test]
    fn removable_singularity() {
        let q = MMc::new(9.0, 1.0, 10).unwrap();
        close(q.erlang_c(), 0.66873152410769699951, 1e-14);
        close(q.mean_wait(), 0.66873152410769699951, 1e-14);
        close(q.mean_number_in_system(), 15.018583716969272996, 1e-14);
        close(q.ln_prob_n(0), -9.5727909019368006015, 1e-14);
        close(q.wait_cdf(2.0).unwrap(), 0.90949702977563313802, 1e-14);
        close(q.sojourn_cdf(0.5).unwrap(), 0.19066625404352843461, 1e-13);
        close(q.sojourn_cdf(2.0).unwrap(), 0.68365877631465358415, 1e-14);
        close(q.sojourn_cdf(10.0).unwrap(), 0.99965099642799302626, 1e-14);
        close(
            q.sojourn_quantile(0.5).unwrap(),
            1.3290918685778315947,
            1e-12,
        );
        close(
            q.sojourn_quantile(0.99).unwrap(),
            6.2498766988540137584,
            1e-12,
        );
        // Next to the singularity the CDF is continuous (no NaN, no jump).
        for eps in [1e-6, 1e-9, 1e-12, 1e-15] {
            for lambda in [9.0 + eps, 9.0 - eps] {
                let n = MMc::new(lambda, 1.0, 10).unwrap();
                for t in [0.1, 1.0, 3.0, 20.0] {
                    let (a, b) = (n.sojourn_cdf(t).unwrap(), q.sojourn_cdf(t).unwrap());
                    assert!(
                        a.is_finite() && (a - b).abs() < 10.0 * eps + 1e-14,
                        "{a} {b}"
                    );
                }
            }
        }
    }

    /// c = 100 000, ρ = 0.999 against mpmath at 40 digits.
    #[test]
    fn huge_c() {
        let q = MMc::new(99_900.0, 1.0, 100_000).unwrap();
        close(q.erlang_c(), 0.65799351179530264945, 1e-12);
        close(q.mean_wait(), 0.0065799351179530264945, 1e-12);
        close(q.mean_sojourn(), 1.0065799351179530265, 1e-14);
        close(q.ln_prob_n(0), -99900.600880029804563, 1e-14);
        assert_eq!(q.prob_empty(), None);
        close(
            q.sojourn_cdf(0.001).unwrap(),
            0.00037365474366187995267,
            1e-11,
        );
        close(
            q.sojourn_cdf(0.01).unwrap(),
            0.0058149735079301298513,
            1e-12,
        );
        close(q.sojourn_cdf(2.0).unwrap(), 0.86376522445746134105, 1e-13);
        close(
            q.sojourn_quantile(0.99).unwrap(),
            4.611794595168693451,
            1e-12,
        );
    }

    /// c = 1000, a = 1: C ≈ 10⁻²⁵⁶⁸ underflows; the state law is Poisson(1) up to a
    /// relative 10⁻²⁵⁶⁸, and ln π_c = ln B(1000, 1) to the same order (mpmath).
    #[test]
    fn underflowing_erlang_c() {
        let q = MMc::new(1.0, 1.0, 1000).unwrap();
        assert_eq!(q.erlang_c(), 0.0);
        assert_eq!(q.mean_wait(), 0.0);
        assert_eq!(q.wait_quantile(0.999), Some(0.0));
        close(q.ln_prob_n(1000), -5913.1281784881633489, 1e-14);
        let mut fact = 1.0;
        for n in 0..20u64 {
            if n > 0 {
                fact *= n as f64;
            }
            close(q.prob_n(n).unwrap(), (-1f64).exp() / fact, 1e-13);
        }
        close(q.sojourn_quantile(0.5).unwrap(), 2f64.ln(), 1e-12);
    }

    #[test]
    fn one_server_is_mm1() {
        for (l, m) in [(0.3, 1.0), (9.0, 10.0), (0.999, 1.0)] {
            let a = MMc::new(l, m, 1).unwrap();
            let b = MM1::new(l, m).unwrap();
            close(a.mean_wait(), b.mean_wait(), 1e-12);
            close(a.mean_number_in_system(), b.mean_number_in_system(), 1e-12);
            for n in [0, 1, 5, 40] {
                close(a.prob_n(n).unwrap(), b.prob_n(n).unwrap(), 1e-12);
            }
            for t in [0.0, 0.5, 3.0, 30.0] {
                close(a.wait_cdf(t).unwrap(), b.wait_cdf(t).unwrap(), 1e-12);
                let (x, y) = (a.sojourn_cdf(t).unwrap(), b.sojourn_cdf(t).unwrap());
                assert!((x - y).abs() <= 1e-12 * y.max(1e-300) + 1e-15, "{x} {y}");
            }
            for p in [0.5, 0.95, 0.999] {
                close(
                    a.wait_quantile(p).unwrap(),
                    b.wait_quantile(p).unwrap(),
                    1e-12,
                );
                close(
                    a.sojourn_quantile(p).unwrap(),
                    b.sojourn_quantile(p).unwrap(),
                    1e-12,
                );
            }
        }
    }

    #[test]
    fn rejects_bad_input() {
        assert!(matches!(
            MMc::new(10.0, 1.0, 10),
            Err(AnalyticError::Unstable { utilisation }) if utilisation == 1.0
        ));
        assert!(matches!(
            MMc::new(1.0, 1.0, 0),
            Err(AnalyticError::InvalidParameter {
                name: "servers",
                ..
            })
        ));
        assert!(matches!(
            MMc::new(1.0, f64::NAN, 2),
            Err(AnalyticError::InvalidParameter {
                name: "service_rate",
                ..
            })
        ));
        assert!(MMc::new(-1.0, 1.0, 2).is_err());
        let q = MMc::new(1.0, 1.0, 2).unwrap();
        assert_eq!(q.wait_cdf(-1.0), None);
        assert_eq!(q.wait_quantile(1.0), None);
        assert_eq!(q.sojourn_quantile(0.0), None);
    }
}
