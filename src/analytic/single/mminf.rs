//! M/M/∞: Poisson arrivals, a server for every message (no waiting, no blocking).
//!
//! With a = λ/μ: N ~ Poisson(a), so P(N = n) = e^{−a}aⁿ/n!, L = a, Lq = 0; W = 1/μ,
//! Wq = 0; the sojourn time is the service time, Exp(μ); the wait is 0 with probability 1.
//! Stable for every λ. Reference: Kleinrock (1975), *Queueing Systems* Vol. 1, §3.4;
//! Gross et al. (2008), *Fundamentals of Queueing Theory* 4th ed., §2.7.

use crate::analytic::error::{AnalyticError, positive};
use crate::analytic::method::Method;
use crate::analytic::metrics::QueueMetrics;
use crate::analytic::single::special::ln_poisson_pmf;

/// An M/M/∞ queue (infinite-server, "delay" node): a good model of a consumer pool so
/// large that it never saturates, or of a pure network/processing delay.
///
/// [`QueueMetrics::utilisation`] is 0: the per-server busy fraction of infinitely many
/// servers (the mean number busy is a = λ/μ, [`QueueMetrics::mean_number_in_system`]).
///
/// # Errors
/// [`AnalyticError::InvalidParameter`] for a non-finite or non-positive rate.
///
/// # Example
/// ```
/// use kendall::analytic::{QueueMetrics, MMInf};
/// let q = MMInf::new(3.0, 2.0).unwrap();
/// assert!((q.mean_number_in_system() - 1.5).abs() < 1e-15);
/// assert!((q.prob_n(0).unwrap() - (-1.5f64).exp()).abs() < 1e-15);
/// assert_eq!(q.wait_quantile(0.99), Some(0.0));
/// assert!(MMInf::new(0.0, 1.0).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MMInf {
    lambda: f64,
    mu: f64,
}

impl MMInf {
    /// An M/M/∞ queue with arrival rate `arrival_rate` λ and service rate `service_rate` μ.
    ///
    /// # Errors
    /// See the type's documentation.
    pub fn new(arrival_rate: f64, service_rate: f64) -> Result<Self, AnalyticError> {
        Ok(Self {
            lambda: positive("arrival_rate", arrival_rate)?,
            mu: positive("service_rate", service_rate)?,
        })
    }

    /// ln P(N = n) = −a + n ln a − ln n!, finite where P(N = n) underflows.
    ///
    /// # Example
    /// ```
    /// use kendall::analytic::MMInf;
    /// let q = MMInf::new(1e6, 1.0).unwrap();
    /// assert!(q.ln_prob_n(0) == -1e6);
    /// ```
    pub fn ln_prob_n(&self, n: u64) -> f64 {
        ln_poisson_pmf(n, self.lambda / self.mu)
    }
}

impl QueueMetrics for MMInf {
    fn ln_state_probability(&self, n: u64) -> Option<f64> {
        Some(MMInf::ln_prob_n(self, n))
    }
    fn method(&self) -> Method {
        Method::exact("M/M/∞", "Kleinrock (1975), Queueing Systems Vol. 1, §3.4")
    }
    fn arrival_rate(&self) -> f64 {
        self.lambda
    }
    fn throughput(&self) -> f64 {
        self.lambda
    }
    /// 0: the busy fraction of each of infinitely many servers.
    fn utilisation(&self) -> f64 {
        0.0
    }
    fn servers(&self) -> Option<u64> {
        None
    }
    fn mean_number_in_system(&self) -> f64 {
        self.lambda / self.mu
    }
    fn mean_queue_length(&self) -> f64 {
        0.0
    }
    fn mean_sojourn(&self) -> f64 {
        1.0 / self.mu
    }
    fn mean_wait(&self) -> f64 {
        0.0
    }
    /// e^{−a}, or `None` where it underflows (a > ~745; see [`MMInf::ln_prob_n`]).
    fn prob_empty(&self) -> Option<f64> {
        self.prob_n(0)
    }
    fn prob_wait(&self) -> Option<f64> {
        Some(0.0)
    }
    fn prob_block(&self) -> Option<f64> {
        Some(0.0)
    }
    /// Poisson(a) pmf (Loader's algorithm), or `None` where it underflows to 0.
    fn prob_n(&self, n: u64) -> Option<f64> {
        let p = self.ln_prob_n(n).exp();
        (p > 0.0).then_some(p)
    }
    fn wait_cdf(&self, t: f64) -> Option<f64> {
        (t >= 0.0).then_some(1.0)
    }
    fn sojourn_cdf(&self, t: f64) -> Option<f64> {
        (t >= 0.0).then(|| -(-self.mu * t).exp_m1())
    }
    fn wait_quantile(&self, p: f64) -> Option<f64> {
        (p > 0.0 && p < 1.0).then_some(0.0)
    }
    fn sojourn_quantile(&self, p: f64) -> Option<f64> {
        (p > 0.0 && p < 1.0).then(|| -(-p).ln_1p() / self.mu)
    }
}

#[cfg(test)]
// Reference values are pasted with all the digits mpmath printed.
#[allow(clippy::excessive_precision)]
mod tests {
    use super::*;
    use crate::analytic::single::mmc::MMc;

    fn close(a: f64, b: f64, rel: f64) {
        assert!((a - b).abs() <= rel * b.abs(), "{a} vs {b}");
    }

    /// Poisson pmf against mpmath (tests/reference/markovian.py) and direct products.
    #[test]
    fn poisson_state_probabilities() {
        let q = MMInf::new(2.5, 1.0).unwrap();
        close(q.ln_prob_n(3), -1.5428872736055898053, 1e-14);
        close(
            q.prob_n(3).unwrap(),
            (-2.5f64).exp() * 2.5f64.powi(3) / 6.0,
            1e-14,
        );
        let s: f64 = (0..100).map(|n| q.prob_n(n).unwrap()).sum();
        close(s, 1.0, 1e-14);
        let l: f64 = (0..100).map(|n| n as f64 * q.prob_n(n).unwrap()).sum();
        close(l, q.mean_number_in_system(), 1e-13);
        let big = MMInf::new(1e5, 1.0).unwrap();
        close(big.ln_prob_n(99_900), -6.7249185246954993522, 1e-13);
        assert_eq!(big.prob_empty(), None);
    }

    /// Little's law, and M/M/c with c far above the load behaves as M/M/∞.
    #[test]
    fn identities() {
        let q = MMInf::new(4.0, 0.5).unwrap();
        close(
            q.mean_number_in_system(),
            q.throughput() * q.mean_sojourn(),
            1e-15,
        );
        let c = MMc::new(4.0, 0.5, 200).unwrap();
        close(c.mean_sojourn(), q.mean_sojourn(), 1e-15);
        for n in [0, 4, 8, 20] {
            close(c.prob_n(n).unwrap(), q.prob_n(n).unwrap(), 1e-12);
        }
        for p in [0.5, 0.99] {
            close(
                c.sojourn_quantile(p).unwrap(),
                q.sojourn_quantile(p).unwrap(),
                1e-12,
            );
            let t = q.sojourn_quantile(p).unwrap();
            close(q.sojourn_cdf(t).unwrap(), p, 1e-14);
        }
    }

    #[test]
    fn rejects_bad_input() {
        assert!(matches!(
            MMInf::new(1.0, -2.0),
            Err(AnalyticError::InvalidParameter {
                name: "service_rate",
                ..
            })
        ));
        assert!(MMInf::new(f64::NAN, 1.0).is_err());
        let q = MMInf::new(1.0, 1.0).unwrap();
        assert_eq!(q.sojourn_quantile(1.0), None);
        assert_eq!(q.wait_cdf(-0.5), None);
    }
}
