//! Kafka consumer-group rebalances and offset commits on a partitioned queue.
//!
//! With `crash` on a partitioned queue, a consumer of the group crashes and restarts
//! (see [`Crash`](super::Crash)). Each membership change (a crash, a restart) makes the
//! group **rebalance** (the eager protocol): every consumer stops taking new messages
//! for `rebalance` seconds (the session timeout and the join/sync round trip), the
//! messages already in service finish, and the partitions are then assigned again over
//! the consumers that are up, by the queue's assignment strategy (range or round
//! robin); a partition's waiting messages move with it, in offset order.
//!
//! Offsets are committed every `commit_interval` seconds (Kafka's
//! `auto.commit.interval.ms`; absent: after each message). When a consumer crashes, its
//! message in service loses its work, and every message its partitions completed since
//! the last commit is **replayed** by the partition's next owner: processed again
//! before the partition's waiting messages, counted as a duplicate (its first result
//! already went on; consumers are taken to be idempotent).

use super::error::Problem;
use super::queue::Queue;

impl Queue {
    /// Sets the rebalance pause, seconds ([`Queue::rebalance`]).
    ///
    /// # Example
    /// ```
    /// use kendall::model::{Assignment, Distribution, Keys, Queue};
    /// let q = Queue::new("events", 4, Distribution::Exponential { mean: 0.01 })
    ///     .with_partitions(8, Keys::RoundRobin, Assignment::Range)
    ///     .with_rebalance(3.0)
    ///     .with_commit_interval(5.0);
    /// assert_eq!((q.rebalance, q.commit_interval), (Some(3.0), Some(5.0)));
    /// ```
    pub fn with_rebalance(mut self, pause: f64) -> Self {
        self.rebalance = Some(pause);
        self
    }

    /// Sets the offset commit interval, seconds ([`Queue::commit_interval`]).
    pub fn with_commit_interval(mut self, interval: f64) -> Self {
        self.commit_interval = Some(interval);
        self
    }
}

/// The rules on `rebalance` and `commit_interval`, each refused with its path and the
/// fix.
pub(crate) fn check_rebalance(q: &Queue, path: &str, out: &mut Vec<Problem>) {
    for (field, value, zero_ok) in [
        ("rebalance", q.rebalance, true),
        ("commit_interval", q.commit_interval, false),
    ] {
        let Some(v) = value else { continue };
        let p = format!("{path}.{field}");
        if q.partitions.is_none() {
            out.push(Problem::new(
                p.clone(),
                "applies to a partitioned queue (a Kafka consumer group): set partitions or remove it",
            ));
        }
        let ok = v.is_finite() && (v > 0.0 || (zero_ok && v == 0.0));
        if !ok {
            let least = if zero_ok { ">= 0" } else { "> 0" };
            out.push(Problem::new(
                p,
                format!("must be a finite time {least} (e.g. \"3s\"), got {v}"),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::model::{Assignment, Distribution, Keys, Queue};

    fn parts(q: Queue) -> Queue {
        q.with_partitions(2, Keys::RoundRobin, Assignment::Range)
    }

    use crate::model::test_support::one_queue as model;

    #[test]
    fn bad_values_are_refused_with_the_field_and_the_fix() {
        let exp = Distribution::Exponential { mean: 0.1 };
        let e = model(Queue::new("q", 1, exp.clone()).with_rebalance(1.0))
            .validate()
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("queue \"q\".rebalance") && e.contains("partitions"),
            "{e}"
        );
        for v in [-1.0, f64::NAN, f64::INFINITY] {
            let e = model(parts(Queue::new("q", 1, exp.clone())).with_rebalance(v))
                .validate()
                .unwrap_err()
                .to_string();
            assert!(e.contains("rebalance") && e.contains(">= 0"), "{e}");
        }
        let e = model(parts(Queue::new("q", 1, exp.clone())).with_commit_interval(0.0))
            .validate()
            .unwrap_err()
            .to_string();
        assert!(e.contains("commit_interval") && e.contains("> 0"), "{e}");
        assert!(
            model(
                parts(Queue::new("q", 1, exp))
                    .with_rebalance(0.0)
                    .with_commit_interval(5.0)
            )
            .validate()
            .is_ok()
        );
    }
}
