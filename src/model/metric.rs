//! The metric vocabulary: one name for each quantity, shared by everything.
//!
//! See [`Metric`].

use serde::{Deserialize, Serialize};
use std::fmt;

/// One of the reported percentile levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// 50th.
    P50,
    /// 95th.
    P95,
    /// 99th.
    P99,
    /// 99.9th.
    P999,
}

impl Level {
    /// Every level, in increasing order.
    pub const ALL: [Level; 4] = [Level::P50, Level::P95, Level::P99, Level::P999];

    /// The probability level.
    ///
    /// # Example
    /// ```
    /// assert_eq!(kendall::Level::P999.p(), 0.999);
    /// ```
    pub fn p(self) -> f64 {
        match self {
            Level::P50 => 0.5,
            Level::P95 => 0.95,
            Level::P99 => 0.99,
            Level::P999 => 0.999,
        }
    }

    /// The name: `p50`, `p95`, `p99`, `p999`.
    ///
    /// # Example
    /// ```
    /// assert_eq!(kendall::Level::P95.name(), "p95");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Level::P50 => "p50",
            Level::P95 => "p95",
            Level::P99 => "p99",
            Level::P999 => "p999",
        }
    }

    /// The level called `name` (`p50`, `p95`, `p99`, `p999`).
    ///
    /// # Example
    /// ```
    /// assert_eq!(kendall::Level::from_name("p99"), Some(kendall::Level::P99));
    /// assert_eq!(kendall::Level::from_name("p98"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.name() == name)
    }
}

/// A measured quantity of a queue, or of a source's end-to-end latency: the one
/// metric vocabulary.
///
/// The names below are the names of the SLO grammar ([`Slo`](super::Slo)), of the
/// analytic and the simulated results ([`NodeSolution::get`](crate::analytic::NodeSolution::get),
/// [`QueueReport::get`](crate::sim::QueueReport::get)), of `compare` rows, sweep
/// columns, sizing evidence, table headers, CSV `metric` cells and chart labels. A
/// layer that reports "every metric" iterates over [`Metric::QUEUE`] or
/// [`Metric::END_TO_END`] instead of keeping a list of its own.
///
/// | name | metric | unit |
/// |---|---|---|
/// | `arrival_rate` | λ offered to the node | messages/s |
/// | `throughput` | X, messages admitted (and, in steady state, completed) | messages/s |
/// | `utilisation` | ρ, busy fraction per consumer | fraction |
/// | `L`, `Lq` | mean number in the node, waiting | messages |
/// | `W`, `Wq` | mean sojourn (wait + service), mean wait | seconds |
/// | `p50` `p95` `p99` `p999` | sojourn percentiles | seconds |
/// | `wait.p50` ... `wait.p999` | waiting-time percentiles | seconds |
/// | `P(wait)` | probability a message waits at all | fraction |
/// | `P(block)` | probability an arrival finds the node full | fraction |
/// | `P(expire)` | probability a message expires unserved (`ttl`) | fraction |
/// | `dead_letter` | fraction of messages dead-lettered | fraction |
/// | `consumers` | c, consumers deployed | count |
///
/// For an end-to-end target (`end_to_end`, `end_to_end:<source>`) `W` is the mean and
/// `p99` the percentile of the time from a message's creation until its last
/// descendant is done.
///
/// Parsing accepts a few aliases (`mean` and `sojourn` for `W`, `wait` for `Wq`,
/// `blocking` for `P(block)`, `utilization`, `servers`, `sojourn.p99` for `p99`);
/// printing always gives the canonical name.
///
/// # Example
/// ```
/// use kendall::{Level, Metric};
/// let m: Metric = "wait.p99".parse().unwrap();
/// assert_eq!(m, Metric::WaitPercentile(Level::P99));
/// assert_eq!(m.to_string(), "wait.p99");
/// assert_eq!("mean".parse::<Metric>().unwrap().name(), "W");
/// assert!(m.is_time() && m.is_percentile());
/// assert_eq!(Metric::QUEUE.len(), 18);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(try_from = "String", into = "String")]
pub enum Metric {
    /// λ, the offered arrival rate, messages/s (`arrival_rate`).
    ArrivalRate,
    /// X, the admitted rate, messages/s (`throughput`).
    Throughput,
    /// ρ, the per-consumer busy fraction (`utilisation`).
    Utilisation,
    /// L, mean number in the node (`L`).
    MeanNumber,
    /// Lq, mean number waiting (`Lq`).
    MeanQueueLength,
    /// W, mean sojourn (or end-to-end mean), seconds (`W`).
    MeanSojourn,
    /// Wq, mean wait, seconds (`Wq`).
    MeanWait,
    /// A sojourn (or end-to-end) percentile, seconds (`p99`).
    SojournPercentile(Level),
    /// A waiting-time percentile, seconds (`wait.p99`).
    WaitPercentile(Level),
    /// Probability a message has to wait (`P(wait)`; Erlang C for M/M/c).
    WaitProbability,
    /// Probability an arrival finds the node full (`P(block)`).
    Blocking,
    /// Probability an admitted message expires unserved at a queue with a TTL
    /// (`P(expire)`).
    Expired,
    /// Fraction of messages dead-lettered (`dead_letter`).
    DeadLetter,
    /// Number of consumers (`consumers`; a floor for redundancy in SLOs).
    Consumers,
}

/// What a metric is measured in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// Seconds.
    Seconds,
    /// Messages per second.
    PerSecond,
    /// A fraction in [0, 1].
    Fraction,
    /// A mean number of messages.
    Messages,
    /// A whole number (consumers).
    Count,
}

impl Metric {
    /// Every per-queue metric both engines report, in report order (18).
    pub const QUEUE: [Metric; 18] = [
        Metric::ArrivalRate,
        Metric::Throughput,
        Metric::Utilisation,
        Metric::MeanNumber,
        Metric::MeanQueueLength,
        Metric::MeanSojourn,
        Metric::MeanWait,
        Metric::WaitProbability,
        Metric::Blocking,
        Metric::Expired,
        Metric::WaitPercentile(Level::P50),
        Metric::WaitPercentile(Level::P95),
        Metric::WaitPercentile(Level::P99),
        Metric::WaitPercentile(Level::P999),
        Metric::SojournPercentile(Level::P50),
        Metric::SojournPercentile(Level::P95),
        Metric::SojournPercentile(Level::P99),
        Metric::SojournPercentile(Level::P999),
    ];

    /// Every end-to-end metric of a source: the mean and the four percentiles.
    pub const END_TO_END: [Metric; 5] = [
        Metric::MeanSojourn,
        Metric::SojournPercentile(Level::P50),
        Metric::SojournPercentile(Level::P95),
        Metric::SojournPercentile(Level::P99),
        Metric::SojournPercentile(Level::P999),
    ];

    /// The canonical name (see the table on [`Metric`]).
    pub fn name(self) -> &'static str {
        use Level::*;
        match self {
            Metric::ArrivalRate => "arrival_rate",
            Metric::Throughput => "throughput",
            Metric::Utilisation => "utilisation",
            Metric::MeanNumber => "L",
            Metric::MeanQueueLength => "Lq",
            Metric::MeanSojourn => "W",
            Metric::MeanWait => "Wq",
            Metric::SojournPercentile(P50) => "p50",
            Metric::SojournPercentile(P95) => "p95",
            Metric::SojournPercentile(P99) => "p99",
            Metric::SojournPercentile(P999) => "p999",
            Metric::WaitPercentile(P50) => "wait.p50",
            Metric::WaitPercentile(P95) => "wait.p95",
            Metric::WaitPercentile(P99) => "wait.p99",
            Metric::WaitPercentile(P999) => "wait.p999",
            Metric::WaitProbability => "P(wait)",
            Metric::Blocking => "P(block)",
            Metric::Expired => "P(expire)",
            Metric::DeadLetter => "dead_letter",
            Metric::Consumers => "consumers",
        }
    }

    /// The metric called `name`, canonical or alias; `None` for an unknown name.
    pub fn from_name(name: &str) -> Option<Metric> {
        let percentile = |s: &str| Level::from_name(s);
        Some(match name {
            "arrival_rate" | "lambda" => Metric::ArrivalRate,
            "throughput" | "X" => Metric::Throughput,
            "utilisation" | "utilization" | "rho" => Metric::Utilisation,
            "L" => Metric::MeanNumber,
            "Lq" => Metric::MeanQueueLength,
            "W" | "mean" | "sojourn" | "sojourn.mean" => Metric::MeanSojourn,
            "Wq" | "wait" | "wait.mean" => Metric::MeanWait,
            "P(wait)" | "p_wait" | "wait_probability" => Metric::WaitProbability,
            "P(block)" | "p_block" | "blocking" | "rejection" => Metric::Blocking,
            "P(expire)" | "p_expire" | "expired" | "expiry" => Metric::Expired,
            "dead_letter" | "dead_letters" => Metric::DeadLetter,
            "consumers" | "servers" => Metric::Consumers,
            other => {
                if let Some(l) = other.strip_prefix("wait.").and_then(percentile) {
                    Metric::WaitPercentile(l)
                } else {
                    let level = other.strip_prefix("sojourn.").unwrap_or(other);
                    Metric::SojournPercentile(percentile(level)?)
                }
            }
        })
    }

    /// Its unit.
    pub fn unit(self) -> Unit {
        match self {
            Metric::ArrivalRate | Metric::Throughput => Unit::PerSecond,
            Metric::Utilisation
            | Metric::WaitProbability
            | Metric::Blocking
            | Metric::Expired
            | Metric::DeadLetter => Unit::Fraction,
            Metric::MeanNumber | Metric::MeanQueueLength => Unit::Messages,
            Metric::MeanSojourn
            | Metric::MeanWait
            | Metric::SojournPercentile(_)
            | Metric::WaitPercentile(_) => Unit::Seconds,
            Metric::Consumers => Unit::Count,
        }
    }

    /// Whether it is a time (seconds).
    pub fn is_time(self) -> bool {
        self.unit() == Unit::Seconds
    }

    /// Whether it is a percentile (estimated from a histogram in the simulator, with
    /// its relative error bound).
    pub fn is_percentile(self) -> bool {
        matches!(
            self,
            Metric::SojournPercentile(_) | Metric::WaitPercentile(_)
        )
    }

    /// Whether it applies to an end-to-end target (the mean and the percentiles).
    pub fn applies_end_to_end(self) -> bool {
        matches!(self, Metric::MeanSojourn | Metric::SojournPercentile(_))
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An unknown metric name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown metric {0:?}: use one of arrival_rate, throughput, utilisation, L, Lq, W, Wq, p50, p95, p99, p999, wait.p50 ... wait.p999, P(wait), P(block), P(expire), dead_letter, consumers"
)]
pub struct UnknownMetric(pub String);

impl std::str::FromStr for Metric {
    type Err = UnknownMetric;
    fn from_str(s: &str) -> Result<Self, UnknownMetric> {
        Metric::from_name(s.trim()).ok_or_else(|| UnknownMetric(s.to_string()))
    }
}

impl TryFrom<String> for Metric {
    type Error = UnknownMetric;
    fn try_from(s: String) -> Result<Self, UnknownMetric> {
        s.parse()
    }
}

impl From<Metric> for String {
    fn from(m: Metric) -> String {
        m.name().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_canonical_name_round_trips() {
        let all = Metric::QUEUE
            .into_iter()
            .chain([Metric::DeadLetter, Metric::Consumers]);
        let mut seen = std::collections::HashSet::new();
        for m in all {
            assert!(seen.insert(m.name()), "duplicate name {}", m.name());
            assert_eq!(m.name().parse::<Metric>().unwrap(), m);
            let json = serde_json::to_string(&m).unwrap();
            assert_eq!(json, format!("\"{}\"", m.name()));
            assert_eq!(serde_json::from_str::<Metric>(&json).unwrap(), m);
        }
        assert_eq!(seen.len(), 20);
    }

    #[test]
    fn aliases_and_unknown_names() {
        assert_eq!("sojourn.p99".parse::<Metric>().unwrap().name(), "p99");
        assert_eq!("blocking".parse::<Metric>().unwrap(), Metric::Blocking);
        assert_eq!("servers".parse::<Metric>().unwrap(), Metric::Consumers);
        for bad in ["p98", "wait.p98", "speed", "", "wait."] {
            let e = bad.parse::<Metric>().unwrap_err();
            assert!(e.to_string().contains("unknown metric"), "{bad}");
        }
    }

    #[test]
    fn units() {
        assert_eq!(Metric::Throughput.unit(), Unit::PerSecond);
        assert!(Metric::WaitPercentile(Level::P50).is_time());
        assert!(!Metric::Blocking.is_time());
        assert!(Metric::END_TO_END.iter().all(|m| m.applies_end_to_end()));
        assert_eq!(
            Metric::QUEUE
                .iter()
                .filter(|m| m.applies_end_to_end())
                .count(),
            5
        );
    }
}
