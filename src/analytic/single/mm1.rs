//! M/M/1: Poisson arrivals, one exponential server, unlimited FIFO buffer.
//!
//! With ρ = λ/μ < 1: P(N = n) = (1 − ρ)ρⁿ, L = ρ/(1 − ρ), W = 1/(μ − λ),
//! Wq = ρ/(μ − λ). The sojourn time is exponential with rate μ − λ; the wait has an
//! atom 1 − ρ at zero and P(Wq > t) = ρ e^{−(μ−λ)t}.
//! Reference: Kleinrock (1975), *Queueing Systems* Vol. 1, §3.2 and §5.6.

use crate::analytic::error::{AnalyticError, positive};
use crate::analytic::method::Method;
use crate::analytic::metrics::QueueMetrics;

/// An M/M/1 queue.
///
/// # Errors
/// [`AnalyticError::InvalidParameter`] for a non-finite or non-positive rate;
/// [`AnalyticError::Unstable`] when λ >= μ.
///
/// # Example
/// ```
/// use kendall::analytic::{QueueMetrics, MM1};
/// let q = MM1::new(9.0, 10.0).unwrap();
/// assert!((q.mean_sojourn() - 1.0).abs() < 1e-12);
/// assert!(MM1::new(10.0, 10.0).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MM1 {
    lambda: f64,
    mu: f64,
}

impl MM1 {
    /// An M/M/1 queue with arrival rate `arrival_rate` and service rate `service_rate`.
    ///
    /// # Errors
    /// See the type's documentation.
    pub fn new(arrival_rate: f64, service_rate: f64) -> Result<Self, AnalyticError> {
        let lambda = positive("arrival_rate", arrival_rate)?;
        let mu = positive("service_rate", service_rate)?;
        let rho = lambda / mu;
        if rho >= 1.0 {
            return Err(AnalyticError::Unstable { utilisation: rho });
        }
        Ok(Self { lambda, mu })
    }

    fn rho(&self) -> f64 {
        self.lambda / self.mu
    }
}

impl QueueMetrics for MM1 {
    /// ln P(N = n) = ln(1 − ρ) + n ln ρ.
    fn ln_state_probability(&self, n: u64) -> Option<f64> {
        let rho = self.lambda / self.mu;
        Some((-rho).ln_1p() + n as f64 * rho.ln())
    }
    /// Var(N) = ρ/(1 − ρ)².
    fn var_number(&self) -> Option<f64> {
        let rho = self.lambda / self.mu;
        Some(rho / ((1.0 - rho) * (1.0 - rho)))
    }
    /// The sojourn is Exp(μ − λ): Var(W) = 1/(μ − λ)².
    fn var_sojourn(&self) -> Option<f64> {
        let d = self.mu - self.lambda;
        Some(1.0 / (d * d))
    }
    /// The wait is 0 with probability 1 − ρ, else Exp(μ − λ): Var(Wq) = ρ(2 − ρ)/(μ − λ)².
    fn var_wait(&self) -> Option<f64> {
        let rho = self.lambda / self.mu;
        let d = self.mu - self.lambda;
        Some(rho * (2.0 - rho) / (d * d))
    }
    fn method(&self) -> Method {
        Method::exact("M/M/1", "Kleinrock (1975), Queueing Systems Vol. 1, §3.2")
    }
    fn arrival_rate(&self) -> f64 {
        self.lambda
    }
    fn throughput(&self) -> f64 {
        self.lambda
    }
    fn utilisation(&self) -> f64 {
        self.rho()
    }
    fn servers(&self) -> Option<u64> {
        Some(1)
    }
    fn mean_number_in_system(&self) -> f64 {
        self.rho() / (1.0 - self.rho())
    }
    fn mean_queue_length(&self) -> f64 {
        let r = self.rho();
        r * r / (1.0 - r)
    }
    fn mean_sojourn(&self) -> f64 {
        1.0 / (self.mu - self.lambda)
    }
    fn mean_wait(&self) -> f64 {
        self.rho() / (self.mu - self.lambda)
    }
    fn prob_empty(&self) -> Option<f64> {
        Some(1.0 - self.rho())
    }
    fn prob_wait(&self) -> Option<f64> {
        Some(self.rho())
    }
    fn prob_block(&self) -> Option<f64> {
        Some(0.0)
    }
    fn prob_n(&self, n: u64) -> Option<f64> {
        // exp/ln keeps huge n from overflowing the exponent type.
        Some((1.0 - self.rho()) * (n as f64 * self.rho().ln()).exp())
    }
    fn wait_cdf(&self, t: f64) -> Option<f64> {
        (t >= 0.0).then(|| 1.0 - self.rho() * (-(self.mu - self.lambda) * t).exp())
    }
    fn sojourn_cdf(&self, t: f64) -> Option<f64> {
        (t >= 0.0).then(|| -(-(self.mu - self.lambda) * t).exp_m1())
    }
    fn wait_quantile(&self, p: f64) -> Option<f64> {
        if !(p > 0.0 && p < 1.0) {
            return None;
        }
        let r = self.rho();
        if p <= 1.0 - r {
            Some(0.0)
        } else {
            Some(((r / (1.0 - p)).ln()) / (self.mu - self.lambda))
        }
    }
    fn sojourn_quantile(&self, p: f64) -> Option<f64> {
        (p > 0.0 && p < 1.0).then(|| -(-p).ln_1p() / (self.mu - self.lambda))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytic::metrics::invert_cdf;

    /// Kleinrock Vol. 1 §3.2 numbers at ρ = 0.9, μ = 1: L = 9, Lq = 8.1, W = 10, Wq = 9.
    #[test]
    fn textbook_values() {
        let q = MM1::new(0.9, 1.0).unwrap();
        let close = |a: f64, b: f64| assert!((a - b).abs() <= 1e-12 * b.abs(), "{a} vs {b}");
        close(q.mean_number_in_system(), 9.0);
        close(q.mean_queue_length(), 8.1);
        close(q.mean_sojourn(), 10.0);
        close(q.mean_wait(), 9.0);
        // Little's law.
        close(
            q.mean_number_in_system(),
            q.arrival_rate() * q.mean_sojourn(),
        );
        // p99 sojourn = ln(100) / 0.1.
        close(q.sojourn_quantile(0.99).unwrap(), 100f64.ln() / 0.1);
        // p50 wait: P(Wq > t) = 0.9 e^{-0.1 t} = 0.5 => t = 10 ln 1.8.
        close(q.wait_quantile(0.5).unwrap(), 10.0 * 1.8f64.ln());
        assert_eq!(q.wait_quantile(0.05), Some(0.0));
        // Quantiles agree with numerical inversion of the CDFs.
        let t = invert_cdf(|t| q.sojourn_cdf(t).unwrap(), 0.95, 10.0).unwrap();
        close(t, q.sojourn_quantile(0.95).unwrap());
        let s: f64 = (0..2000).map(|n| q.prob_n(n).unwrap()).sum();
        assert!((s - 1.0).abs() < 1e-12);
    }

    #[test]
    fn rejects_bad_input() {
        assert!(
            matches!(MM1::new(1.0, 1.0), Err(AnalyticError::Unstable { utilisation }) if utilisation == 1.0)
        );
        assert!(matches!(
            MM1::new(-1.0, 1.0),
            Err(AnalyticError::InvalidParameter {
                name: "arrival_rate",
                ..
            })
        ));
        assert!(MM1::new(1.0, f64::NAN).is_err());
        assert!(MM1::new(f64::INFINITY, 1.0).is_err());
    }
}
