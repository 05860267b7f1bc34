//! A queue with an ack (visibility) timeout, solved as the same queue fed by every
//! delivery: each message is delivered D times, P(D > k) = pᵏ with p = P(S > τ) (one
//! message at a time per consumer; see [`Queue::ack_timeout`](crate::model::Queue::ack_timeout)),
//! so the consumers see λ E\[D\] = λ/(1 − p) deliveries per second.
//!
//! With one consumer, Poisson arrivals and exponential service the means are exact
//! ([`AckTimeoutMM1`]). Otherwise ([`AckTimeoutQueue`]): exact are the utilisation
//! λ E\[S\]/((1 − p) c) (Wald's identity) and the duplicates per message, p/(1 − p);
//! approximate are the waiting time and L, from the underlying queue at the inflated
//! rate as if the copies were a Poisson stream. They are not: a copy joins the head of
//! the queue right behind a long service, so the true wait is longer (about 12% on W
//! with 4 consumers at 75% load, `tests/integration/ack_timeout.rs`), and a copy may
//! finish before its original; `kendall compare` shows the error.

use crate::analytic::error::{AnalyticError, positive};
use crate::analytic::{Exactness, Method, QueueMetrics};

/// A queue with ack timeouts: an inner queue solved at the delivery rate, reported per
/// message.
pub struct AckTimeoutQueue {
    inner: Box<dyn QueueMetrics>,
    message_rate: f64,
    p: f64,
}

impl AckTimeoutQueue {
    /// Wraps `inner`, the queue solved at `message_rate / (1 − p)` deliveries per
    /// second, where `p` is the probability a delivery times out.
    ///
    /// # Example
    /// ```
    /// use kendall::analytic::{AckTimeoutQueue, MM1, QueueMetrics};
    /// // 50 messages/s, E[S] = 10 ms, p = e^-2: 57.8 deliveries/s.
    /// let p = (-2.0f64).exp();
    /// let inner = MM1::new(50.0 / (1.0 - p), 100.0).unwrap();
    /// let q = AckTimeoutQueue::new(Box::new(inner), 50.0, p);
    /// assert!((q.utilisation() - 0.5 / (1.0 - p)).abs() < 1e-12);
    /// assert_eq!(q.throughput(), 50.0);
    /// assert!((q.duplicates_per_message() - p / (1.0 - p)).abs() < 1e-15);
    /// ```
    pub fn new(inner: Box<dyn QueueMetrics>, message_rate: f64, p: f64) -> Self {
        Self {
            inner,
            message_rate,
            p,
        }
    }

    /// Duplicates per message, p/(1 − p): deliveries beyond the first, each processed
    /// and discarded.
    pub fn duplicates_per_message(&self) -> f64 {
        self.p / (1.0 - self.p)
    }

    /// The probability a delivery times out, p = P(S > τ).
    pub fn timeout_probability(&self) -> f64 {
        self.p
    }
}

impl QueueMetrics for AckTimeoutQueue {
    crate::analytic::metrics::forward_metrics!(
        inner:
        utilisation, servers, mean_number_in_system, mean_queue_length, mean_sojourn,
        mean_wait, prob_wait, prob_empty, prob_n, wait_cdf, sojourn_cdf, wait_quantile,
        sojourn_quantile, wait_tail, sojourn_tail
    );
    fn method(&self) -> Method {
        let m = self.inner.method();
        Method {
            name: format!(
                "{} at the delivery rate λ/(1 − p), p = P(S > ack_timeout) = {:.4}; copies taken as Poisson, a message done when its first delivery ends",
                m.name, self.p
            ),
            exactness: Exactness::Approximation,
            reference: format!(
                "{}; Wald's identity for the work per message (utilisation and duplicates exact)",
                m.reference
            ),
        }
    }
    fn arrival_rate(&self) -> f64 {
        self.message_rate
    }
    fn throughput(&self) -> f64 {
        self.message_rate
    }
    fn distribution_method(&self) -> Option<Method> {
        Some(self.method())
    }
}

/// One consumer taking one message at a time, Poisson arrivals, exponential service and
/// an ack timeout τ: exact means.
///
/// A delivery times out with p = e^{−τ/m}; its copy goes to the head of the queue,
/// so the consumer serves it right after the original: per message the consumer is
/// busy for B = S₁ + … + S_D back to back (the message itself is done after S₁). The
/// queue is M/G/1 with service B: E\[B\] = m/(1 − p) and, from B = S₁ + 1{S₁ > τ}·B′,
/// E\[B²\] = (2m² + 2p(τ + m)E\[B\])/(1 − p); Pollaczek–Khinchine gives
/// Wq = λE\[B²\]/(2(1 − ρ)), ρ = λE\[B\], and W = Wq + m. In the node (copies
/// included, as the broker counts them), each copy stays from the timeout of the
/// delivery before it (m later than τ on average, by memorylessness) to the end of
/// its own service: Lq = λWq + λmp/(1 − p), L = Lq + ρ.
pub struct AckTimeoutMM1 {
    lambda: f64,
    mean: f64,
    p: f64,
    rho: f64,
    wq: f64,
}

impl AckTimeoutMM1 {
    /// `lambda` messages/s, exponential service of mean `mean` seconds, ack timeout
    /// `tau` seconds.
    ///
    /// # Errors
    /// [`AnalyticError::Unstable`] when ρ = λm/(1 − p) ≥ 1 (the timeouts' copies
    /// included); [`AnalyticError::InvalidParameter`] for rates or times that are not
    /// finite and positive.
    ///
    /// # Example
    /// ```
    /// use kendall::analytic::{AckTimeoutMM1, QueueMetrics};
    /// // τ → ∞ is M/M/1: W = 1/(μ − λ).
    /// let q = AckTimeoutMM1::new(50.0, 0.01, 1e3).unwrap();
    /// assert!((q.mean_sojourn() - 0.02).abs() < 1e-12);
    /// ```
    pub fn new(lambda: f64, mean: f64, tau: f64) -> Result<Self, AnalyticError> {
        positive("arrival_rate", lambda)?;
        positive("mean_service", mean)?;
        positive("ack_timeout", tau)?;
        let p = (-tau / mean).exp();
        let b1 = mean / (1.0 - p);
        let rho = lambda * b1;
        if rho >= 1.0 {
            return Err(AnalyticError::Unstable { utilisation: rho });
        }
        let b2 = (2.0 * mean * mean + 2.0 * p * (tau + mean) * b1) / (1.0 - p);
        let wq = lambda * b2 / (2.0 * (1.0 - rho));
        Ok(Self {
            lambda,
            mean,
            p,
            rho,
            wq,
        })
    }

    /// Duplicates per message, p/(1 − p).
    pub fn duplicates_per_message(&self) -> f64 {
        self.p / (1.0 - self.p)
    }
}

impl QueueMetrics for AckTimeoutMM1 {
    fn method(&self) -> Method {
        Method::exact(
            format!(
                "M/M/1 with an ack timeout (p = P(S > τ) = {:.4}): M/G/1 with the back-to-back work of a message and its copies",
                self.p
            ),
            "Pollaczek–Khinchine mean-value formula (Kleinrock 1975, §5.7); Wald's identity for the work per message",
        )
    }
    fn arrival_rate(&self) -> f64 {
        self.lambda
    }
    fn throughput(&self) -> f64 {
        self.lambda
    }
    fn utilisation(&self) -> f64 {
        self.rho
    }
    fn servers(&self) -> Option<u64> {
        Some(1)
    }
    fn mean_number_in_system(&self) -> f64 {
        self.mean_queue_length() + self.rho
    }
    fn mean_queue_length(&self) -> f64 {
        self.lambda * self.wq + self.lambda * self.mean * self.duplicates_per_message()
    }
    fn mean_sojourn(&self) -> f64 {
        self.wq + self.mean
    }
    fn mean_wait(&self) -> f64 {
        self.wq
    }
    fn prob_wait(&self) -> Option<f64> {
        Some(self.rho)
    }
    fn prob_empty(&self) -> Option<f64> {
        Some(1.0 - self.rho)
    }
}
