//! RabbitMQ-style consumers: the prefetch (QoS) window and crash/restart of each
//! consumer of a shared queue.
//!
//! * `prefetch = N`: a consumer holds at most N unacknowledged messages. The broker
//!   delivers a ready message to the next consumer, in round-robin order, that is up and
//!   has credit (fewer than N unacked); otherwise it waits in the broker queue. Messages
//!   held but not yet worked on wait **at the consumer**, in delivery order. An ack (the
//!   end of a service) frees one credit and the broker pushes the head of the queue.
//!   Absent: one at a time (N = 1), today's behaviour.
//! * `crash = { time_to_failure, restart }`: each consumer independently runs for an
//!   up-time drawn from `time_to_failure`, crashes, and comes back after a `restart` time.
//!   On a crash every unacked message of the consumer (the one in service, whose work is
//!   lost, and the prefetched ones) returns to the **head** of the broker queue in its
//!   original order, marked redelivered; a down consumer receives nothing.

use super::distribution::Distribution;
use super::error::Problem;
use super::queue::{Discipline, Queue};
use serde::{Deserialize, Serialize};

/// The largest prefetch window (RabbitMQ's `basic.qos` prefetch-count is a 16-bit
/// field).
pub const MAX_PREFETCH: u32 = 65_535;

/// The most consumers a queue with `prefetch` or `crash` may have (the simulator keeps
/// a window per consumer).
pub const MAX_CONSUMERS: u32 = 100_000;

/// Crash and restart of each consumer of a queue: up-times drawn from
/// `time_to_failure`, down-times from `restart`, independently per consumer.
///
/// ```toml
/// crash = { time_to_failure = { type = "exponential", mean = "120s" }, restart = { type = "exponential", mean = "10s" } }
/// ```
///
/// # Example
/// ```
/// use kendall::model::{Crash, Distribution};
/// let c = Crash::new(
///     Distribution::Exponential { mean: 120.0 },
///     Distribution::Exponential { mean: 10.0 },
/// );
/// assert!((c.availability() - 120.0 / 130.0).abs() < 1e-15);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Crash {
    /// Up-time of a consumer from (re)start to its next crash.
    pub time_to_failure: Distribution,
    /// Down-time from a crash to the restart.
    pub restart: Distribution,
}

impl Crash {
    /// Crashes after `time_to_failure`, restarts after `restart`.
    pub fn new(time_to_failure: Distribution, restart: Distribution) -> Self {
        Self {
            time_to_failure,
            restart,
        }
    }

    /// Long-run fraction of time a consumer is up: A = E(up) / (E(up) + E(restart)).
    pub fn availability(&self) -> f64 {
        let up = self.time_to_failure.mean();
        up / (up + self.restart.mean())
    }

    /// Both distributions exponential (the exact CTMC applies).
    pub fn is_markovian(&self) -> bool {
        matches!(self.time_to_failure, Distribution::Exponential { .. })
            && matches!(self.restart, Distribution::Exponential { .. })
    }
}

impl Queue {
    /// The prefetch window per consumer: `prefetch`, or 1 when absent.
    ///
    /// # Example
    /// ```
    /// use kendall::model::{Distribution, Queue};
    /// let q = Queue::new("q", 2, Distribution::Exponential { mean: 0.02 }).with_prefetch(50);
    /// assert_eq!(q.prefetch_window(), 50);
    /// ```
    pub fn prefetch_window(&self) -> u32 {
        self.prefetch.unwrap_or(1)
    }

    /// Sets the prefetch window per consumer.
    pub fn with_prefetch(mut self, prefetch: u32) -> Self {
        self.prefetch = Some(prefetch);
        self
    }

    /// Makes each consumer crash and restart.
    ///
    /// # Example
    /// ```
    /// use kendall::model::{Crash, Distribution, Queue};
    /// let q = Queue::new("q", 4, Distribution::Exponential { mean: 0.02 }).with_crash(Crash::new(
    ///     Distribution::Exponential { mean: 120.0 },
    ///     Distribution::Exponential { mean: 10.0 },
    /// ));
    /// assert!(q.has_consumer_model());
    /// ```
    pub fn with_crash(mut self, crash: Crash) -> Self {
        self.crash = Some(crash);
        self
    }

    /// Whether the queue uses per-consumer state (a prefetch window, crashes or an ack
    /// timeout).
    pub fn has_consumer_model(&self) -> bool {
        self.prefetch.is_some() || self.crash.is_some() || self.ack_timeout.is_some()
    }
}

/// The rules on `prefetch` and `crash`, each refused with its path and the fix.
pub(crate) fn check_consumers(q: &Queue, path: &str, out: &mut Vec<Problem>) {
    if let Some(n) = q.prefetch {
        if n == 0 {
            out.push(Problem::new(
                format!("{path}.prefetch"),
                "must be >= 1, got 0: omit prefetch for one message at a time; RabbitMQ's 0 (unlimited) is not a model, give a number (e.g. 100)",
            ));
        } else if n > MAX_PREFETCH {
            out.push(Problem::new(
                format!("{path}.prefetch"),
                format!("must be <= {MAX_PREFETCH} (a 16-bit prefetch-count), got {n}"),
            ));
        }
    }
    if let Some(c) = &q.crash {
        for (field, d) in [
            ("time_to_failure", &c.time_to_failure),
            ("restart", &c.restart),
        ] {
            let p = format!("{path}.crash.{field}");
            let before = out.len();
            d.check(&p, out);
            if out.len() == before && (d.mean().is_nan() || d.mean() <= 0.0) {
                out.push(Problem::new(
                    p,
                    format!("must have a mean > 0 seconds, got {}", d.mean()),
                ));
            }
        }
    }
    if !q.has_consumer_model() {
        return;
    }
    let field = if q.crash.is_some() {
        "crash"
    } else if q.prefetch.is_some() {
        "prefetch"
    } else {
        "ack_timeout"
    };
    if q.partitions.is_some() && (q.prefetch.is_some() || q.ack_timeout.is_some()) {
        let field = if q.prefetch.is_some() {
            "prefetch"
        } else {
            "ack_timeout"
        };
        out.push(Problem::new(
            format!("{path}.{field}"),
            "cannot be combined with partitions: a partition has one owner that reads it in order and commits offsets (use commit_interval), not a shared queue with acks; remove it (or partitions)",
        ));
    }
    if q.discipline != Discipline::Fifo {
        out.push(Problem::new(
            format!("{path}.{field}"),
            "cannot be combined with a priority discipline yet (prefetched messages are already at a consumer); remove it or set discipline = \"fifo\"",
        ));
    }
}
