//! Errors of the analytic solvers.

/// Why an analytic solver refused its input.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum AnalyticError {
    /// An infinite-capacity node at or beyond saturation: no steady state exists.
    #[error(
        "unstable: utilisation {utilisation:.6} >= 1, so the queue grows without bound; add servers, speed up service or lower the arrival rate (or set a finite capacity)"
    )]
    Unstable {
        /// The per-server utilisation ρ = λ / (c μ) (or its analogue).
        utilisation: f64,
    },
    /// A partitioned queue whose consumer group keeps up on average, but one consumer
    /// cannot: its partitions get too large a share of the keys (hot keys), so their
    /// backlog grows without bound.
    #[error(
        "unstable: consumer {consumer} of the group (partitions {partitions:?}) receives {share_pct:.2}% of the messages, a load of {utilisation:.4} >= 1, while the consumers that own partitions average {average:.4}: the backlog of its partitions grows without bound (per-key order pins every message of a key to one consumer); spread the hot keys over more partitions, use a less skewed key (e.g. merchant + order id), split the hottest keys, speed up service or lower the rate",
        share_pct = 100.0 * share
    )]
    HotPartition {
        /// The overloaded consumer.
        consumer: u32,
        /// The partitions it owns.
        partitions: Vec<u32>,
        /// Its share of the messages.
        share: f64,
        /// Its load λ·share·E(S) (at least 1).
        utilisation: f64,
        /// The average load of the consumers that own partitions (below 1 if the
        /// group's total capacity would suffice).
        average: f64,
    },
    /// A queue whose consumers crash: the arrival rate reaches the capacity left by
    /// the crashes, c·μ·A with A the availability of a consumer.
    #[error(
        "unstable: arrival rate {arrival_rate:.6}/s >= c·μ·A = {capacity:.4}/s, the capacity the consumers give with availability A = {availability:.6} (up-time / (up-time + restart)): the backlog grows without bound; add consumers, make crashes rarer or restarts faster, speed up service or lower the rate"
    )]
    UnstableBreakdown {
        /// λ, messages/s.
        arrival_rate: f64,
        /// c·μ·A, messages/s.
        capacity: f64,
        /// A = E(up) / (E(up) + E(restart)).
        availability: f64,
    },
    /// A parameter is non-finite, zero or negative, or otherwise out of range.
    #[error("{name} must be {rule}, got {value}")]
    InvalidParameter {
        /// The parameter's name (`arrival_rate`, `service_rate`, `servers`, ...).
        name: &'static str,
        /// The rejected value.
        value: f64,
        /// The rule it breaks, e.g. `a finite number > 0`.
        rule: &'static str,
    },
    /// No method in kendall applies to this input; the reason says why and what to do.
    #[error("no analytic method applies: {reason}")]
    NoMethod {
        /// Why, and what to do instead (often: simulate).
        reason: String,
    },
    /// A distribution given to a solver breaks one of its rules (the reasons carry the
    /// field path, e.g. `service.mean: must be a finite number > 0, got -1`).
    #[error("invalid distribution: {reasons}")]
    InvalidDistribution {
        /// Every rule broken, `; `-separated.
        reasons: String,
    },
    /// A field of one named station of a closed network (or one branch of a fork-join)
    /// is out of range.
    #[error("station \"{station}\".{field} must be {rule}, got {value}")]
    InvalidStation {
        /// The station's name.
        station: String,
        /// The field (`service_time`, `visits`, `servers`).
        field: &'static str,
        /// The rejected value.
        value: f64,
        /// The rule it breaks.
        rule: &'static str,
    },
}

/// Checks that `value` is finite and > 0.
pub(crate) fn positive(name: &'static str, value: f64) -> Result<f64, AnalyticError> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(AnalyticError::InvalidParameter {
            name,
            value,
            rule: "a finite number > 0",
        })
    }
}
