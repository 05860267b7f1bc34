//! Message TTL: a message that waits in a queue longer than its time to live expires.
//!
//! `ttl = "2s"` on a queue is RabbitMQ's `x-message-ttl` (and the SQS/Azure "time to
//! live" of a queued message): a message still **waiting in the queue** (not yet
//! delivered to a consumer) `ttl` seconds after it entered the queue expires. It is
//! dead-lettered to the queue's `dead_letter` target when there is one (RabbitMQ's
//! dead-letter reason `expired`), and otherwise dropped and counted. The clock starts
//! when the message first enters the queue and is not reset by a redelivery (a requeued
//! message keeps its expiry), as in RabbitMQ.
//!
//! Messages at a consumer (in service, or held in a prefetch window) do not expire.
//! Expiry happens at the head of the queue, as in RabbitMQ: with one TTL for the whole
//! queue the head is the oldest message, so a message expires exactly at its deadline;
//! a message that came back from a redelivery backoff behind younger ones expires when it
//! reaches the head (or is found expired when a consumer asks for it).
//!
//! Analytically a queue with a TTL is the M/M/c+D queue (customers who abandon after a
//! fixed patience), solved exactly
//! ([`MMcTtl`](crate::analytic::MMcTtl)); it is always stable: in overload the TTL
//! bounds the wait and the share that expires grows instead.

use super::error::Problem;
use super::queue::{Discipline, Queue};

impl Queue {
    /// Sets the message time to live, seconds ([`Queue::ttl`]): a message still waiting in
    /// the queue this long after it entered expires.
    ///
    /// # Example
    /// ```
    /// use kendall::model::{Distribution, Queue};
    /// let q = Queue::new("payments", 4, Distribution::Exponential { mean: 0.02 }).with_ttl(2.0);
    /// assert_eq!(q.ttl, Some(2.0));
    /// ```
    pub fn with_ttl(mut self, ttl: f64) -> Self {
        self.ttl = Some(ttl);
        self
    }
}

/// The rules on `ttl`, each refused with its path and the fix.
pub(crate) fn check_ttl(q: &Queue, path: &str, out: &mut Vec<Problem>) {
    let Some(ttl) = q.ttl else { return };
    let field = format!("{path}.ttl");
    if !(ttl.is_finite() && ttl > 0.0) {
        out.push(Problem::new(
            field.clone(),
            format!("must be a finite time > 0 (e.g. \"2s\"), got {ttl}; omit ttl for messages that never expire"),
        ));
    }
    if q.partitions.is_some() {
        out.push(Problem::new(
            field.clone(),
            "cannot be combined with partitions: a Kafka partition keeps messages by retention, not per-message TTL; remove ttl (or partitions)",
        ));
    }
    if q.discipline != Discipline::Fifo {
        out.push(Problem::new(
            field,
            "cannot be combined with a priority discipline yet; remove ttl or set discipline = \"fifo\"",
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::model::{Discipline, Distribution, Model, Queue};

    use crate::model::test_support::one_queue as model;

    #[test]
    fn bad_ttls_are_refused_with_the_field_and_the_fix() {
        let exp = Distribution::Exponential { mean: 0.1 };
        for ttl in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            let e = model(Queue::new("q", 1, exp.clone()).with_ttl(ttl))
                .validate()
                .unwrap_err()
                .to_string();
            assert!(e.contains("queue \"q\".ttl") && e.contains("> 0"), "{e}");
        }
        let mut q = Queue::new("q", 1, exp.clone()).with_ttl(1.0);
        q.discipline = Discipline::Priority;
        let e = model(q).validate().unwrap_err().to_string();
        assert!(e.contains("ttl") && e.contains("fifo"), "{e}");
        assert!(
            model(Queue::new("q", 1, exp).with_ttl(0.5))
                .validate()
                .is_ok()
        );
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
            ttl = "250ms"
            "#,
        )
        .unwrap();
        assert_eq!(m.queues[0].ttl, Some(0.25));
    }
}
