//! Distribution queries: the percentile levels and tail thresholds a model asks for
//! beyond the four percentiles every report carries.
//!
//! See [`Queries`].

use super::duration::seconds_vec;
use super::error::Problem;
use super::metric::{Level, Metric, Threshold};
use super::slo::Slo;
use serde::{Deserialize, Serialize};

/// Most percentile levels, and most thresholds, one model may ask for (each list).
pub const MAX_QUERIES: usize = 64;

/// Figures of the latency distributions a model asks for (`[queries]` in a scenario
/// file; `--percentiles` and `--at` on the command line), reported by both engines for
/// every queue (wait and sojourn) and every source (end-to-end), wherever the
/// distribution is known:
///
/// - `percentiles`: levels in per cent beyond p50/p95/p99/p999, e.g. `[99.95, 99.99]`
///   (reported as `p9995`, `wait.p9995`, ...);
/// - `at`: thresholds t, giving P(W > t) and P(Wq > t), the share of messages slower
///   than t (reported as `P(>50ms)`, `wait.P(>50ms)`).
///
/// An SLO on such a figure (`payments.wait.P(> 50ms) < 0.01`, `end_to_end.p9995 <
/// 200ms`) asks for it by itself. At most [`MAX_QUERIES`] of each.
///
/// # Example
/// ```
/// let m: kendall::Model = toml::from_str(r#"
/// [[source]]
/// name = "in"
/// arrival = { type = "poisson", rate = 5.0 }
/// to = "q"
/// [[queue]]
/// name = "q"
/// consumers = 1
/// service = { type = "exponential", mean = "100ms" }
/// [queries]
/// percentiles = [99.95]
/// at = ["250ms"]
/// "#).unwrap();
/// let asked = m.validate().unwrap().queried_metrics();
/// let names: Vec<String> = asked.queue.iter().map(|m| m.to_string()).collect();
/// assert_eq!(names, ["wait.p9995", "p9995", "wait.P(>250ms)", "P(>250ms)"]);
/// assert_eq!(asked.end_to_end.len(), 2);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Queries {
    /// Percentile levels, per cent, each in (0, 100) (`99.95` is p9995).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub percentiles: Vec<f64>,
    /// Thresholds t, seconds (or `"50ms"`), each finite and >= 0: P(W > t) and P(Wq > t).
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "seconds_vec"
    )]
    pub at: Vec<f64>,
}

impl Queries {
    /// Whether nothing is asked for.
    pub fn is_empty(&self) -> bool {
        self.percentiles.is_empty() && self.at.is_empty()
    }

    /// Whether reports carry `metric`: a figure every report carries, or a percentile
    /// level or tail threshold asked for here.
    ///
    /// # Example
    /// ```
    /// use kendall::{Metric, model::Queries};
    /// let q = Queries { percentiles: vec![99.95], at: vec![] };
    /// assert!(q.has("wait.p9995".parse().unwrap()) && q.has(Metric::Utilisation));
    /// assert!(!q.has("P(>50ms)".parse().unwrap()));
    /// ```
    pub fn has(&self, metric: Metric) -> bool {
        match metric {
            Metric::SojournPercentile(l) | Metric::WaitPercentile(l) if !l.is_standard() => self
                .percentiles
                .iter()
                .any(|p| Level::from_percent(*p) == Some(l)),
            Metric::SojournTail(t) | Metric::WaitTail(t) => {
                self.at.iter().any(|x| Threshold::new(*x) == Some(t))
            }
            _ => true,
        }
    }

    /// Asks for `metric` too, where reports do not carry it yet ([`Queries::has`]): its
    /// percentile level or tail threshold is added, once.
    ///
    /// # Example
    /// ```
    /// use kendall::{Metric, model::Queries};
    /// let mut q = Queries::default();
    /// q.ask("wait.p9995".parse().unwrap());
    /// q.ask("p9995".parse().unwrap());
    /// q.ask("P(>50ms)".parse().unwrap());
    /// q.ask(Metric::Utilisation); // always reported
    /// assert_eq!((q.percentiles.len(), q.at.len()), (1, 1));
    /// assert!((q.percentiles[0] - 99.95).abs() < 1e-12 && q.at[0] == 0.05);
    /// ```
    pub fn ask(&mut self, metric: Metric) {
        if self.has(metric) {
            return;
        }
        match metric {
            Metric::SojournPercentile(l) | Metric::WaitPercentile(l) => {
                self.percentiles.push(l.p() * 100.0);
            }
            Metric::SojournTail(t) | Metric::WaitTail(t) => self.at.push(t.seconds()),
            _ => {}
        }
    }

    /// Checks each entry, pushing one [`Problem`] per rule broken under `queries.`.
    pub fn check(&self, out: &mut Vec<Problem>) {
        for (name, len) in [
            ("percentiles", self.percentiles.len()),
            ("at", self.at.len()),
        ] {
            if len > MAX_QUERIES {
                out.push(Problem::new(
                    format!("queries.{name}"),
                    format!("at most {MAX_QUERIES} entries (found {len})"),
                ));
            }
        }
        for (i, p) in self.percentiles.iter().enumerate() {
            if Level::from_percent(*p).is_none() {
                out.push(Problem::new(
                    format!("queries.percentiles[{i}]"),
                    format!(
                        "{p} is not a percentile level: write a percentage strictly between 0 and 100 with at most 7 decimals, e.g. 99.95"
                    ),
                ));
            }
        }
        for (i, t) in self.at.iter().enumerate() {
            if Threshold::new(*t).is_none() {
                out.push(Problem::new(
                    format!("queries.at[{i}]"),
                    format!("{t} is not a time threshold: write a finite time >= 0, e.g. \"50ms\""),
                ));
            }
        }
    }
}

/// A figure a model asked for beyond the standard ones (another percentile level, a
/// tail probability P(W > t); see [`Queries`]), with its value: in the analytic
/// solution, and in each simulated replication.
///
/// # Example
/// ```
/// use kendall::{Metric, analytic::{MM1, NodeSolution}};
/// let tail: Metric = "P(>2s)".parse().unwrap();
/// let s = NodeSolution::asking(&MM1::new(0.5, 1.0).unwrap(), &[tail]);
/// // M/M/1 sojourn ~ Exp(0.5): P(W > 2) = e^-1.
/// assert!((s.get(tail).unwrap() - (-1f64).exp()).abs() < 1e-15);
/// assert_eq!(s.queried[0].metric, tail);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Queried {
    /// The figure (`p9995`, `wait.P(>50ms)`, ...).
    pub metric: Metric,
    /// Its value: seconds for a percentile, a probability for a tail.
    pub value: f64,
}

/// The figures beyond the standard ones that reports carry: per queue and per source.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct QueriedMetrics {
    /// Per queue: for each level its wait and sojourn percentile, then for each
    /// threshold P(Wq > t) and P(W > t).
    pub queue: Vec<Metric>,
    /// Per source (end to end): each level's percentile, then each P(T > t).
    pub end_to_end: Vec<Metric>,
}

impl QueriedMetrics {
    /// The levels and thresholds of `queries` and of the `slos` on such figures, each
    /// once, in increasing order (levels first).
    pub(crate) fn of(queries: &Queries, slos: &[Slo]) -> Self {
        let mut levels: Vec<Level> = queries
            .percentiles
            .iter()
            .filter_map(|p| Level::from_percent(*p))
            .collect();
        let mut at: Vec<Threshold> = queries
            .at
            .iter()
            .filter_map(|t| Threshold::new(*t))
            .collect();
        for s in slos {
            match s.metric {
                Metric::SojournPercentile(l) | Metric::WaitPercentile(l) => levels.push(l),
                Metric::SojournTail(t) | Metric::WaitTail(t) => at.push(t),
                _ => {}
            }
        }
        levels.retain(|l| !l.is_standard());
        levels.sort();
        levels.dedup();
        at.sort();
        at.dedup();
        let mut out = QueriedMetrics::default();
        for &l in &levels {
            out.queue.push(Metric::WaitPercentile(l));
            out.queue.push(Metric::SojournPercentile(l));
            out.end_to_end.push(Metric::SojournPercentile(l));
        }
        for &t in &at {
            out.queue.push(Metric::WaitTail(t));
            out.queue.push(Metric::SojournTail(t));
            out.end_to_end.push(Metric::SojournTail(t));
        }
        out
    }

    /// Whether nothing beyond the standard figures is asked for.
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }
}

impl super::Model {
    /// The figures beyond the standard ones that both engines report for this model
    /// (its [`Queries`] and its SLOs on such figures; see [`QueriedMetrics`]).
    pub fn queried_metrics(&self) -> QueriedMetrics {
        QueriedMetrics::of(&self.queries, &self.slo)
    }
}
