//! A figure of a report: a metric of a target, the left-hand side of an SLO
//! (`end_to_end.p99`, `payments.utilisation`, `*.wait.p99`, `payments.P(>50ms)`).
//!
//! Two-parameter sweeps show one figure per grid point (`kendall sweep --metric`); the
//! SLO parser reads its left-hand side with the same rules.

use super::metric::Metric;
use super::slo::{Op, Slo, Target};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A metric of a target, written `<target>.<metric>` as an SLO's left-hand side:
/// `end_to_end.p99` (the worst source), `end_to_end:checkout.W`, `payments.utilisation`,
/// `*.wait.p99` (the worst queue), `payments.P(>50ms)`. Where the target covers several
/// queues or sources, the figure is the largest of theirs.
///
/// # Example
/// ```
/// use kendall::model::{Figure, Metric, Target};
/// let f: Figure = "payments.utilisation".parse().unwrap();
/// assert_eq!(f.target, Target::Queue("payments".into()));
/// assert_eq!(f.metric, Metric::Utilisation);
/// assert_eq!(Figure::default().to_string(), "end_to_end.p99");
/// assert_eq!("end_to_end.mean".parse::<Figure>().unwrap().to_string(), "end_to_end.W");
/// assert!("payments.speed".parse::<Figure>().is_err());
/// assert!("end_to_end.utilisation".parse::<Figure>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(try_from = "String", into = "String")]
pub struct Figure {
    /// Whose figure.
    pub target: Target,
    /// The quantity.
    pub metric: Metric,
}

impl Default for Figure {
    /// The end-to-end p99 latency of the worst source.
    fn default() -> Self {
        Figure {
            target: Target::AllSources,
            metric: Metric::SojournPercentile(super::metric::Level::P99),
        }
    }
}

/// How to write a figure, for error messages.
pub(crate) const FIGURE_HELP: &str = "write <target>.<metric>: the target a queue name, `*` (every queue), `end_to_end` (every source) or `end_to_end:<source>`; the metric W, Wq, p99, wait.p99, P(>50ms), P(wait), utilisation, P(block), L, throughput, ...";

impl Figure {
    /// The SLO `<figure> < limit` (what the report readers take: the largest value over
    /// the target's queues or sources).
    pub(crate) fn below(&self, limit: f64) -> Slo {
        Slo {
            target: self.target.clone(),
            metric: self.metric,
            op: Op::Less,
            limit,
        }
    }

    /// A short description with no unit: "end-to-end latency p99, worst source",
    /// "payments utilisation", "wait.p99, worst queue".
    ///
    /// # Example
    /// ```
    /// use kendall::model::Figure;
    /// assert_eq!(Figure::default().describe(), "end-to-end latency p99, worst source");
    /// let f: Figure = "payments.wait.p99".parse().unwrap();
    /// assert_eq!(f.describe(), "payments wait.p99");
    /// let f: Figure = "end_to_end:checkout.W".parse().unwrap();
    /// assert_eq!(f.describe(), "end-to-end latency W of checkout");
    /// ```
    pub fn describe(&self) -> String {
        let m = self.metric.name();
        match &self.target {
            Target::AllSources => format!("end-to-end latency {m}, worst source"),
            Target::Source(s) => format!("end-to-end latency {m} of {s}"),
            Target::AllQueues => format!("{m}, worst queue"),
            Target::Queue(q) => format!("{q} {m}"),
        }
    }
}

impl std::str::FromStr for Figure {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        let lhs = text.trim();
        // The leftmost split whose right-hand side is a metric name: `payments.wait.p99`
        // is (payments, wait.p99); a queue name may itself contain dots.
        let (target, metric) = lhs
            .match_indices('.')
            .find_map(|(i, _)| Metric::from_name(&lhs[i + 1..]).map(|m| (&lhs[..i], m)))
            .ok_or_else(|| {
                format!("{text:?} has no known metric after the target: {FIGURE_HELP}")
            })?;
        let target = match target {
            "end_to_end" => Target::AllSources,
            "*" => Target::AllQueues,
            t if t.starts_with("end_to_end:") => {
                Target::Source(t["end_to_end:".len()..].to_string())
            }
            "" => return Err(format!("{text:?} has an empty target: {FIGURE_HELP}")),
            q => Target::Queue(q.to_string()),
        };
        let sources_only = matches!(target, Target::Source(_) | Target::AllSources);
        if sources_only && !metric.applies_end_to_end() {
            return Err(format!(
                "{text:?}: end-to-end figures are the mean (W), a percentile (p99, p9995) or a tail probability (P(>200ms)) of the latency"
            ));
        }
        Ok(Figure { target, metric })
    }
}

impl fmt::Display for Figure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.target, self.metric.name())
    }
}

impl TryFrom<String> for Figure {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl From<Figure> for String {
    fn from(f: Figure) -> String {
        f.to_string()
    }
}
