//! Service-level objectives: what a deployment must achieve.
//!
//! Written as `<target>.<metric> <op> <limit>`, in scenario files (`slo = [...]`) and on
//! the command line (`--slo "end_to_end.p99 < 200ms"`):
//!
//! | target | metrics |
//! |---|---|
//! | a queue name | any [`Metric`]: `W` (mean sojourn), `Wq`, `p50`/`p95`/`p99`/`p999` (sojourn) or any level (`p9995`), `wait.p99` ..., `P(>50ms)`, `wait.P(>50ms)`, `P(wait)`, `P(block)`, `utilisation`, `L`, `Lq`, `throughput`, `dead_letter`, `consumers` |
//! | `end_to_end` (every source) or `end_to_end:<source>` | `W` (mean), `p50`, `p95`, `p99`, `p999`, any level (`p9995`), `P(>200ms)` |
//! | `*` (every queue) | as for a queue |
//!
//! Metric names are those of [`Metric`] (aliases such as `mean` and `blocking` are
//! accepted and printed back in the canonical form).
//! Operators `<`, `<=`, `>`, `>=`; time limits accept units (`250ms`). `consumers >= 3`
//! is a redundancy floor (N+1), not a performance target.

use crate::model::Metric;
use crate::model::parse_duration;
use serde::{Deserialize, Serialize};
use std::fmt;

/// What an SLO is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
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

impl Target {
    /// Whether the target covers the queue called `name` (that queue, or every queue).
    ///
    /// # Example
    /// ```
    /// use kendall::model::Target;
    /// assert!(Target::AllQueues.covers_queue("ledger"));
    /// assert!(!Target::Queue("risk".into()).covers_queue("ledger"));
    /// assert!(!Target::AllSources.covers_queue("ledger"));
    /// ```
    pub fn covers_queue(&self, name: &str) -> bool {
        match self {
            Target::Queue(q) => q == name,
            Target::AllQueues => true,
            Target::Source(_) | Target::AllSources => false,
        }
    }

    /// Whether the target covers the end-to-end latency of the source called `name`.
    ///
    /// # Example
    /// ```
    /// use kendall::model::Target;
    /// assert!(Target::AllSources.covers_source("checkout"));
    /// assert!(!Target::AllQueues.covers_source("checkout"));
    /// ```
    pub fn covers_source(&self, name: &str) -> bool {
        match self {
            Target::Source(s) => s == name,
            Target::AllSources => true,
            Target::Queue(_) | Target::AllQueues => false,
        }
    }
}

/// Comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
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
/// use kendall::model::{Slo, Metric, Level, Target};
/// let s: Slo = "end_to_end.p99 < 200ms".parse().unwrap();
/// assert_eq!(s.target, Target::AllSources);
/// assert_eq!(s.metric, Metric::SojournPercentile(Level::P99));
/// assert_eq!(s.limit, 0.2);
/// assert!(s.holds(0.15) && !s.holds(0.25));
/// assert!("payments.p99 < fast".parse::<Slo>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
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
        // The first comparison outside parentheses (a tail metric holds one: `P(>50ms)`).
        let mut depth = 0i32;
        let pos = t
            .char_indices()
            .find(|&(_, c)| {
                match c {
                    '(' => depth += 1,
                    ')' => depth -= 1,
                    _ => {}
                }
                depth == 0 && (c == '<' || c == '>')
            })
            .map(|(i, _)| i)
            .ok_or_else(|| format!("SLO {text:?} has no comparison operator: {help}"))?;
        let op = if t[pos + 1..].starts_with('=') {
            &t[pos..pos + 2]
        } else {
            &t[pos..pos + 1]
        };
        let len = op.len();
        let op = match op {
            "<=" => Op::AtMost,
            ">=" => Op::AtLeast,
            "<" => Op::Less,
            _ => Op::Greater,
        };
        let lhs = t[..pos].trim();
        let rhs = t[pos + len..].trim();
        let super::figure::Figure { target, metric } = lhs
            .parse()
            .map_err(|e: String| format!("SLO {text:?}: {e}; {help}"))?;
        let limit = if metric.is_time() {
            parse_duration(rhs).map_err(|e| format!("SLO {text:?}: {e}"))?
        } else {
            rhs.parse::<f64>()
                .map_err(|_| format!("SLO {text:?}: limit {rhs:?} is not a number: {help}"))?
        };
        if !limit.is_finite() {
            return Err(format!("SLO {text:?}: the limit must be finite"));
        }
        Ok(Slo {
            target,
            metric,
            op,
            limit,
        })
    }
}

/// The target as written before the metric: the queue's name, `*`, `end_to_end` or
/// `end_to_end:<source>`.
impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Queue(q) => f.write_str(q),
            Target::AllQueues => f.write_str("*"),
            Target::Source(s) => write!(f, "end_to_end:{s}"),
            Target::AllSources => f.write_str("end_to_end"),
        }
    }
}

impl fmt::Display for Slo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let target = &self.target;
        let metric = self.metric.name();
        let op = match self.op {
            Op::Less => "<",
            Op::AtMost => "<=",
            Op::Greater => ">",
            Op::AtLeast => ">=",
        };
        if self.metric.is_time() {
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
    use crate::model::Level;

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
        // A tail probability: the comparison inside P(...) is not the SLO's.
        let s: Slo = "payments.wait.P(> 50ms) < 0.01".parse().unwrap();
        assert_eq!(s.metric.to_string(), "wait.P(>50ms)");
        assert_eq!((s.op, s.limit), (Op::Less, 0.01));
        assert_eq!(s.to_string(), "payments.wait.P(>50ms) < 0.01");
        let s: Slo = "end_to_end.P(>200ms) >= 0.5".parse().unwrap();
        assert_eq!((s.op, s.target.clone()), (Op::AtLeast, Target::AllSources));
        let s: Slo = "end_to_end.p9995 < 200ms".parse().unwrap();
        assert_eq!(s.limit, 0.2);
        assert!("end_to_end.P(>200ms < 0.01".parse::<Slo>().is_err());
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
