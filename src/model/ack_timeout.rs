//! Ack (visibility) timeout: a delivery not acknowledged in time is delivered again.
//!
//! `ack_timeout = "30s"` on a queue is the SQS visibility timeout (and RabbitMQ's
//! per-delivery `consumer_timeout`, Azure Service Bus's lock duration): a delivery still
//! unacknowledged `ack_timeout` seconds after it reached its consumer (counted from the
//! delivery, so time spent in a prefetch window counts) is **redelivered**: a copy goes
//! back to the head of the queue, marked redelivered, and the next consumer with credit
//! gets it. The first consumer is not told: it keeps the message and finishes its work.
//! So a message that times out is **processed twice** (or more, if the copy times out
//! too): the first delivery to finish acknowledges the message (its latency, its route
//! onward); every later one is a **duplicate**: its work is done again and discarded
//! (counted, not routed: consumers are assumed idempotent). Each delivery times out at
//! most once.
//!
//! Copies are not limited by `max_attempts` (which counts failed deliveries); they stop
//! when a delivery finishes within the timeout. With one message at a time per consumer
//! (no `prefetch`), a delivery times out when its service time S exceeds the timeout τ,
//! so a message has D deliveries with P(D > k) = pᵏ, p = P(S > τ): E\[D\] = 1/(1 − p),
//! duplicates per message p/(1 − p), work per message E\[S\]/(1 − p) (Wald's identity:
//! whether another delivery follows depends only on the service times so far). An
//! `ack_timeout` at or below the shortest service time (p = 1) would redeliver every
//! message forever: refused.
//!
//! Analytically the queue is solved with that extra work: utilisation and duplicates
//! exactly (prefetch 1), W and percentiles by the M/M/c or M/G/c queue at the inflated
//! arrival rate λ/(1 − p), labelled approximate (copies are not a Poisson stream).

use super::error::Problem;
use super::queue::Queue;

impl Queue {
    /// Sets the ack (visibility) timeout, seconds ([`Queue::ack_timeout`]): a delivery
    /// not acknowledged this long after it reached its consumer is redelivered; the
    /// first to finish counts, later ones are duplicates.
    ///
    /// # Example
    /// ```
    /// use kendall::model::{Distribution, Queue};
    /// let q = Queue::new("payments", 4, Distribution::Exponential { mean: 0.02 })
    ///     .with_ack_timeout(0.1);
    /// assert_eq!(q.ack_timeout, Some(0.1));
    /// assert!(q.has_consumer_model());
    /// ```
    pub fn with_ack_timeout(mut self, timeout: f64) -> Self {
        self.ack_timeout = Some(timeout);
        self
    }

    /// The probability p = P(S > τ) that a delivery's service outlasts the ack timeout
    /// τ: the share of deliveries that time out when consumers take one message at a
    /// time (with a prefetch window the time at the consumer is longer, so more do).
    /// `None` without an ack timeout or when the service distribution has no CDF.
    ///
    /// # Example
    /// ```
    /// use kendall::model::{Distribution, Queue};
    /// let q = Queue::new("q", 1, Distribution::Exponential { mean: 0.02 }).with_ack_timeout(0.1);
    /// assert!((q.ack_timeout_probability().unwrap() - (-5.0f64).exp()).abs() < 1e-15);
    /// ```
    pub fn ack_timeout_probability(&self) -> Option<f64> {
        let tau = self.ack_timeout?;
        self.service.cdf(tau).map(|f| (1.0 - f).clamp(0.0, 1.0))
    }

    /// Expected deliveries per message caused by ack timeouts, 1/(1 − p) with
    /// p = [`Queue::ack_timeout_probability`] (one message at a time per consumer): 1
    /// without an ack timeout, +∞ when every delivery times out.
    ///
    /// # Example
    /// ```
    /// use kendall::model::{Distribution, Queue};
    /// let q = Queue::new("q", 1, Distribution::Exponential { mean: 1.0 }).with_ack_timeout(2f64.ln());
    /// // p = 1/2: two deliveries per message, one of them a duplicate.
    /// assert!((q.timeout_deliveries() - 2.0).abs() < 1e-12);
    /// ```
    pub fn timeout_deliveries(&self) -> f64 {
        match self.ack_timeout_probability() {
            Some(p) if p >= 1.0 => f64::INFINITY,
            Some(p) => 1.0 / (1.0 - p),
            None => 1.0,
        }
    }
}

/// The rules on `ack_timeout`, each refused with its path and the fix.
pub(crate) fn check_ack_timeout(q: &Queue, path: &str, out: &mut Vec<Problem>) {
    let Some(tau) = q.ack_timeout else { return };
    let field = format!("{path}.ack_timeout");
    if !(tau.is_finite() && tau > 0.0) {
        out.push(Problem::new(
            field,
            format!("must be a finite time > 0 (e.g. \"30s\"), got {tau}; omit ack_timeout for deliveries that never time out"),
        ));
        return;
    }
    let shortest = q.service.support_min();
    if tau <= shortest {
        out.push(Problem::new(
            field.clone(),
            format!(
                "{tau} s is not longer than the shortest service time ({shortest} s): every delivery would time out and be redelivered forever; raise ack_timeout above the service time (or remove it)"
            ),
        ));
    }
    if q.ttl.is_some() {
        out.push(Problem::new(
            field,
            "cannot be combined with ttl yet (a redelivered copy would expire on its own); remove one of them",
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::model::{Distribution, Model, Queue};

    use crate::model::test_support::one_queue as model;

    #[test]
    fn bad_timeouts_are_refused_with_the_field_and_the_fix() {
        let exp = Distribution::Exponential { mean: 0.1 };
        for tau in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            let e = model(Queue::new("q", 1, exp.clone()).with_ack_timeout(tau))
                .validate()
                .unwrap_err()
                .to_string();
            assert!(
                e.contains("queue \"q\".ack_timeout") && e.contains("> 0"),
                "{e}"
            );
        }
        let det = Distribution::Deterministic { value: 0.5 };
        let e = model(Queue::new("q", 1, det.clone()).with_ack_timeout(0.5))
            .validate()
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("ack_timeout") && e.contains("shortest service time"),
            "{e}"
        );
        assert!(
            model(Queue::new("q", 1, det).with_ack_timeout(0.6))
                .validate()
                .is_ok()
        );
        let e = model(
            Queue::new("q", 1, exp.clone())
                .with_ack_timeout(1.0)
                .with_ttl(2.0),
        )
        .validate()
        .unwrap_err()
        .to_string();
        assert!(e.contains("ack_timeout") && e.contains("ttl"), "{e}");
        let mut p = Queue::new("q", 1, exp).with_ack_timeout(1.0);
        p.partitions = Some(2);
        let e = model(p).validate().unwrap_err().to_string();
        assert!(e.contains("ack_timeout") && e.contains("partitions"), "{e}");
    }

    #[test]
    fn a_scenario_file_accepts_a_duration() {
        let m = Model::from_toml_str(
            r#"
            [[source]]
            name = "in"
            arrival = { type = "poisson", rate = 1 }
            to = "q"
            [[queue]]
            name = "q"
            consumers = 1
            service = { type = "exponential", mean = "10ms" }
            ack_timeout = "250ms"
            "#,
        )
        .unwrap();
        assert_eq!(m.queues[0].ack_timeout, Some(0.25));
        assert!(m.validate().is_ok());
    }
}
