//! ·/G/∞: a delay station. Every message finds a free server, so nothing waits and the
//! sojourn time is the service time itself, whatever the arrivals.
//!
//! - W = E\[S\], Wq = 0, P(wait) = 0, L = λ·E\[S\] (Little), Lq = 0; the sojourn
//!   distribution is the service distribution and the wait is 0: exact for any arrival
//!   process and any service law.
//! - With Poisson input (and in a Jackson or BCMP network), N ~ Poisson(λ·E\[S\]) for any
//!   service law (the M/G/∞ insensitivity: Takács 1962): P0 = e^{−λE\[S\]} and
//!   P(N = n) in log space. With other input the distribution of N is left unknown.
//!
//! Utilisation is 0: the busy share of each of infinitely many servers; L is the mean
//! number in service.
//!
//! References: Takács (1962), *Introduction to the Theory of Queues*, §3; Gross,
//! Shortle, Thompson & Harris (2008), *Fundamentals of Queueing Theory* 4th ed., §2.7
//! and §6.2 (M/G/∞); Kleinrock (1975), *Queueing Systems* Vol. 1, §3.4.

use crate::analytic::error::{AnalyticError, positive};
use crate::analytic::method::Method;
use crate::analytic::metrics::QueueMetrics;
use crate::analytic::single::special::ln_poisson_pmf;
use crate::model::Distribution;

/// A delay station (·/G/∞): no waiting, the sojourn is the service time; with Poisson
/// input N ~ Poisson(λE\[S\]) (see the module documentation of `analytic::single::delay`).
///
/// # Errors
/// [`AnalyticError::InvalidParameter`] for a non-finite or non-positive arrival rate.
///
/// # Example
/// ```
/// use kendall::analytic::{GInf, QueueMetrics};
/// use kendall::model::Distribution;
/// let d = GInf::new(200.0, &Distribution::Deterministic { value: 0.005 }, true).unwrap();
/// assert!((d.mean_number_in_system() - 1.0).abs() < 1e-15);
/// assert_eq!(d.mean_wait(), 0.0);
/// assert_eq!(d.sojourn_quantile(0.99), Some(0.005));
/// assert!((d.prob_n(0).unwrap() - (-1f64).exp()).abs() < 1e-15);
/// // Other input: the means and the sojourn law hold, the law of N is unknown.
/// let g = GInf::new(200.0, &Distribution::Exponential { mean: 0.005 }, false).unwrap();
/// assert_eq!(g.prob_n(0), None);
/// // A load of 10⁵: P0 underflows (None), its logarithm does not.
/// let big = GInf::new(1e5, &Distribution::Exponential { mean: 1.0 }, true).unwrap();
/// assert_eq!(big.prob_n(0), None);
/// assert_eq!(big.ln_state_probability(0), Some(-1e5));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct GInf {
    lambda: f64,
    service: Distribution,
    poisson: bool,
}

impl GInf {
    /// A delay station receiving `arrival_rate` messages/s whose service law is
    /// `service`; `poisson_input` when the arrivals are Poisson (or the station sits in a
    /// product-form network), which gives the law of N.
    ///
    /// # Errors
    /// See the type's documentation.
    pub fn new(
        arrival_rate: f64,
        service: &Distribution,
        poisson_input: bool,
    ) -> Result<Self, AnalyticError> {
        Ok(Self {
            lambda: positive("arrival_rate", arrival_rate)?,
            service: service.clone(),
            poisson: poisson_input,
        })
    }

    /// λ·E\[S\], the mean number in service.
    fn load(&self) -> f64 {
        self.lambda * self.service.mean()
    }
}

impl QueueMetrics for GInf {
    fn ln_state_probability(&self, n: u64) -> Option<f64> {
        self.poisson.then(|| ln_poisson_pmf(n, self.load()))
    }
    /// N ~ Poisson(λE\[S\]) with Poisson input: Var(N) = λE\[S\].
    fn var_number(&self) -> Option<f64> {
        self.poisson.then(|| self.load())
    }
    /// The sojourn is the service time.
    fn var_sojourn(&self) -> Option<f64> {
        Some(self.service.variance())
    }
    /// Nothing waits.
    fn var_wait(&self) -> Option<f64> {
        Some(0.0)
    }
    fn method(&self) -> Method {
        let input = if self.poisson {
            "Poisson input: N ~ Poisson(λE[S]) whatever the service law (insensitivity)"
        } else {
            "any input: the means and the sojourn law (the service law) are exact, the law of N is not given"
        };
        Method::exact(
            format!("·/G/∞ delay station: no waiting, sojourn = service time; {input}"),
            "Takács (1962), Introduction to the Theory of Queues, §3; Gross et al. (2008), Fundamentals of Queueing Theory 4th ed., §2.7",
        )
    }
    fn arrival_rate(&self) -> f64 {
        self.lambda
    }
    fn throughput(&self) -> f64 {
        self.lambda
    }
    fn utilisation(&self) -> f64 {
        0.0
    }
    fn servers(&self) -> Option<u64> {
        None
    }
    fn mean_number_in_system(&self) -> f64 {
        self.load()
    }
    fn mean_queue_length(&self) -> f64 {
        0.0
    }
    fn mean_sojourn(&self) -> f64 {
        self.service.mean()
    }
    fn mean_wait(&self) -> f64 {
        0.0
    }
    fn prob_empty(&self) -> Option<f64> {
        self.prob_n(0)
    }
    fn prob_wait(&self) -> Option<f64> {
        Some(0.0)
    }
    fn prob_block(&self) -> Option<f64> {
        Some(0.0)
    }
    /// Poisson(λE\[S\]) pmf with Poisson input, or `None` where it underflows to 0 (as
    /// [`MMInf`](crate::analytic::MMInf); the logarithm is
    /// [`QueueMetrics::ln_state_probability`]).
    fn prob_n(&self, n: u64) -> Option<f64> {
        let p = self.ln_state_probability(n)?.exp();
        (p > 0.0).then_some(p)
    }
    fn wait_cdf(&self, t: f64) -> Option<f64> {
        (t >= 0.0).then_some(1.0)
    }
    fn sojourn_cdf(&self, t: f64) -> Option<f64> {
        self.service.cdf(t)
    }
    fn wait_quantile(&self, p: f64) -> Option<f64> {
        (p > 0.0 && p < 1.0).then_some(0.0)
    }
    fn sojourn_quantile(&self, p: f64) -> Option<f64> {
        self.service.quantile(p)
    }
}
