//! Service-level objectives: what a deployment must achieve.
//!
//! Written as `<target>.<metric> <op> <limit>`, in scenario files (`slo = [...]`) and on
//! the command line (`--slo "end_to_end.p99 < 200ms"`):
//!
//! | target | metrics |
//! |---|---|
//! | a queue name | `mean` / `W` (sojourn), `Wq`, `p50`/`p95`/`p99`/`p999` (sojourn), `wait.p99` ..., `P(wait)`, `utilisation`, `blocking`, `dead_letter`, `consumers` |
//! | `end_to_end` (every source) or `end_to_end:<source>` | `mean`, `p50`, `p95`, `p99`, `p999` |
//! | `*` (every queue) | as for a queue |
//!
//! Operators `<`, `<=`, `>`, `>=`; time limits accept units (`250ms`). `consumers >= 3`
//! is a redundancy floor (N+1), not a performance target.

use crate::model::duration::parse_duration;
use serde::{Deserialize, Serialize};
use std::fmt;

/// What an SLO is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// One queue.
    Queue(String),
    /// Every queue.
    AllQueues,
    /// End-to-end latency of one source.
    Source(String),
    /// End-to-end latency of every source.
    AllSources,
}

/// The measured quantity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Mean sojourn (or end-to-end mean), seconds.
    MeanSojourn,
    /// Mean wait, seconds.
    MeanWait,
    /// A sojourn (or end-to-end) percentile, level in (0, 1).
    SojournPercentile(Level),
    /// A waiting-time percentile.
    WaitPercentile(Level),
    /// Per-consumer utilisation.
    Utilisation,
    /// Probability an arrival has to wait (Erlang C for M/M/c).
    WaitProbability,
    /// Probability an arrival finds the queue full.
    Blocking,
    /// Fraction of messages dead-lettered.
    DeadLetter,
    /// Number of consumers (a floor for redundancy).
    Consumers,
}

/// One of the reported percentile levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
    /// The probability level.
    pub fn p(self) -> f64 {
        match self {
            Level::P50 => 0.5,
            Level::P95 => 0.95,
            Level::P99 => 0.99,
            Level::P999 => 0.999,
        }
    }
    fn name(self) -> &'static str {
        match self {
            Level::P50 => "p50",
            Level::P95 => "p95",
            Level::P99 => "p99",
            Level::P999 => "p999",
        }
    }
}

/// Comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    /// `<`
    #[serde(rename = "<")]
    Less,
    /// `<=`
    #[serde(rename = "<=")]
    AtMost,
    /// `>`
    #[serde(rename = ">")]
    Greater,
    /// `>=`
    #[serde(rename = ">=")]
    AtLeast,
}

/// A service-level objective.
///
/// # Example
/// ```
/// use kendall::model::slo::{Slo, Metric, Level, Target};
/// let s: Slo = "end_to_end.p99 < 200ms".parse().unwrap();
/// assert_eq!(s.target, Target::AllSources);
/// assert_eq!(s.metric, Metric::SojournPercentile(Level::P99));
/// assert_eq!(s.limit, 0.2);
/// assert!(s.holds(0.15) && !s.holds(0.25));
/// assert!("payments.p99 < fast".parse::<Slo>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Slo {
    /// What it is about.
    pub target: Target,
    /// The quantity.
    pub metric: Metric,
    /// The comparison.
    pub op: Op,
    /// The limit (seconds for times, a fraction for probabilities and utilisation).
    pub limit: f64,
}

impl Slo {
    /// Whether `value` satisfies the objective.
    pub fn holds(&self, value: f64) -> bool {
        match self.op {
            Op::Less => value < self.limit,
            Op::AtMost => value <= self.limit,
            Op::Greater => value > self.limit,
            Op::AtLeast => value >= self.limit,
        }
    }

    /// How far `value` is from meeting the objective, as a relative shortfall
    /// (0 when met): used to rank candidate deployments.
    pub fn shortfall(&self, value: f64) -> f64 {
        if self.holds(value) {
            return 0.0;
        }
        let scale = self.limit.abs().max(1e-12);
        match self.op {
            Op::Less | Op::AtMost => (value - self.limit) / scale + 1e-9,
            Op::Greater | Op::AtLeast => (self.limit - value) / scale + 1e-9,
        }
    }

    /// Whether smaller values are better (latency, utilisation, blocking).
    pub fn upper_bound(&self) -> bool {
        matches!(self.op, Op::Less | Op::AtMost)
    }
}

impl std::str::FromStr for Slo {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        let help = "write an SLO as <target>.<metric> <op> <limit>, e.g. \"end_to_end.p99 < 200ms\", \"payments.utilisation < 0.7\", \"ledger.consumers >= 3\"";
        let t = text.trim();
        let (pos, op, len) = ["<=", ">=", "<", ">"]
            .iter()
            .find_map(|o| t.find(o).map(|p| (p, *o, o.len())))
            .ok_or_else(|| format!("SLO {text:?} has no comparison operator: {help}"))?;
        let op = match op {
            "<=" => Op::AtMost,
            ">=" => Op::AtLeast,
            "<" => Op::Less,
            _ => Op::Greater,
        };
        let lhs = t[..pos].trim();
        let rhs = t[pos + len..].trim();
        let (target, metric) = lhs
            .rsplit_once('.')
            .ok_or_else(|| format!("SLO {text:?}: no metric after the target: {help}"))?;
        let level = |s: &str| match s {
            "p50" => Some(Level::P50),
            "p95" => Some(Level::P95),
            "p99" => Some(Level::P99),
            "p999" => Some(Level::P999),
            _ => None,
        };
        let unknown = || format!("SLO {text:?}: unknown metric {metric:?}: {help}");
        let (target, metric) = match (target.rsplit_once('.'), level(metric)) {
            (Some((q, "wait")), Some(l)) => (q, Metric::WaitPercentile(l)),
            _ => (target, metric_of(metric, level).ok_or_else(unknown)?),
        };
        let target = match target {
            "end_to_end" => Target::AllSources,
            "*" => Target::AllQueues,
            t if t.starts_with("end_to_end:") => {
                Target::Source(t["end_to_end:".len()..].to_string())
            }
            "" => return Err(format!("SLO {text:?}: empty target: {help}")),
            q => Target::Queue(q.to_string()),
        };
        let is_time = matches!(
            metric,
            Metric::MeanSojourn
                | Metric::MeanWait
                | Metric::SojournPercentile(_)
                | Metric::WaitPercentile(_)
        );
        let limit = if is_time {
            parse_duration(rhs).map_err(|e| format!("SLO {text:?}: {e}"))?
        } else {
            rhs.parse::<f64>()
                .map_err(|_| format!("SLO {text:?}: limit {rhs:?} is not a number: {help}"))?
        };
        if !limit.is_finite() {
            return Err(format!("SLO {text:?}: the limit must be finite"));
        }
        let sources_only = matches!(target, Target::Source(_) | Target::AllSources);
        if sources_only && !matches!(metric, Metric::MeanSojourn | Metric::SojournPercentile(_)) {
            return Err(format!(
                "SLO {text:?}: end-to-end SLOs are on mean or p50/p95/p99/p999 latency"
            ));
        }
        Ok(Slo {
            target,
            metric,
            op,
            limit,
        })
    }
}

fn metric_of(name: &str, level: impl Fn(&str) -> Option<Level>) -> Option<Metric> {
    Some(match name {
        "mean" | "W" | "sojourn" => Metric::MeanSojourn,
        "Wq" | "wait" => Metric::MeanWait,
        "utilisation" | "utilization" => Metric::Utilisation,
        "blocking" | "P(block)" | "rejection" => Metric::Blocking,
        "P(wait)" | "wait_probability" => Metric::WaitProbability,
        "dead_letter" | "dead_letters" => Metric::DeadLetter,
        "consumers" | "servers" => Metric::Consumers,
        other => Metric::SojournPercentile(level(other)?),
    })
}

impl fmt::Display for Slo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let target = match &self.target {
            Target::Queue(q) => q.clone(),
            Target::AllQueues => "*".into(),
            Target::Source(s) => format!("end_to_end:{s}"),
            Target::AllSources => "end_to_end".into(),
        };
        let metric = match self.metric {
            Metric::MeanSojourn => "mean".to_string(),
            Metric::MeanWait => "Wq".to_string(),
            Metric::SojournPercentile(l) => l.name().to_string(),
            Metric::WaitPercentile(l) => format!("wait.{}", l.name()),
            Metric::Utilisation => "utilisation".into(),
            Metric::Blocking => "blocking".into(),
            Metric::WaitProbability => "P(wait)".into(),
            Metric::DeadLetter => "dead_letter".into(),
            Metric::Consumers => "consumers".into(),
        };
        let op = match self.op {
            Op::Less => "<",
            Op::AtMost => "<=",
            Op::Greater => ">",
            Op::AtLeast => ">=",
        };
        let is_time = matches!(
            self.metric,
            Metric::MeanSojourn
                | Metric::MeanWait
                | Metric::SojournPercentile(_)
                | Metric::WaitPercentile(_)
        );
        if is_time {
            write!(f, "{target}.{metric} {op} {}ms", self.limit * 1e3)
        } else {
            write!(f, "{target}.{metric} {op} {}", self.limit)
        }
    }
}

impl TryFrom<String> for Slo {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl From<Slo> for String {
    fn from(s: Slo) -> String {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_form_and_round_trips() {
        for text in [
            "end_to_end.p99 < 200ms",
            "end_to_end:checkout.mean <= 50ms",
            "payments.utilisation < 0.7",
            "payments.wait.p99 < 20ms",
            "payments.blocking < 0.001",
            "payments.P(wait) < 0.2",
            "ledger.consumers >= 3",
            "*.p95 < 1s",
            "dlq.dead_letter < 0.0001",
        ] {
            let s: Slo = text.parse().unwrap();
            let again: Slo = s.to_string().parse().unwrap();
            assert_eq!(s, again, "{text}");
        }
        let s: Slo = "payments.wait.p99 < 20ms".parse().unwrap();
        assert_eq!(s.target, Target::Queue("payments".into()));
        assert_eq!(s.metric, Metric::WaitPercentile(Level::P99));
    }

    #[test]
    fn rejects_with_a_hint() {
        for bad in [
            "payments.p99 200ms",
            "p99 < 1s",
            "payments.speed < 3",
            "end_to_end.utilisation < 0.5",
            "q.p99 < soon",
        ] {
            let e = bad.parse::<Slo>().unwrap_err();
            assert!(e.contains("SLO"), "{bad}: {e}");
        }
    }
}
