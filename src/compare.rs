//! Analytic and simulated figures side by side.
//!
//! [`compare`] solves the model analytically ([`solve`](crate::solve)) and simulates it
//! ([`simulate`](crate::simulate)) with the given run settings, then pairs every figure
//! both engines produce: per queue every metric of [`Metric::QUEUE`] and per source
//! every metric of [`Metric::END_TO_END`]. Each [`ComparisonRow`] holds the analytic value with
//! its method, the simulated mean with its confidence interval, the relative error
//! (analytic − simulated) / simulated, and whether the analytic value lies in the
//! interval. A simulated percentile's interval already covers the rounding of its
//! histogram ([`crate::sim::RELATIVE_ERROR`]; see [`Estimate::sectioned`]).
//!
//! Rows whose analytic value is an approximation and whose relative error exceeds the
//! threshold are flagged: that approximation does not hold here, trust the simulation.

use crate::analytic::{Exactness, Method, ModelSolution, SolveError, solve};
use crate::model::{Metric, RunSettings, ValidModel};
use crate::sim::{Estimate, SimError, SimReport, SimWarning, WarningKind, simulate_with_progress};
use serde::{Deserialize, Serialize};

/// Default relative error above which an approximation is flagged.
pub const DEFAULT_FLAG_THRESHOLD: f64 = 0.10;

/// Fewest messages (all replications) through a node for its rows to be checked
/// against the interval; below it the interval of rare events is meaningless.
pub const MIN_COMPARE_SAMPLES: u64 = 100;

/// One figure from both engines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ComparisonRow {
    /// Queue name, or `end_to_end:<source>`.
    pub node: String,
    /// The metric.
    pub metric: Metric,
    /// Analytic value, if the analytic side has one.
    pub analytic: Option<f64>,
    /// Its method.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<Method>,
    /// Why there is no analytic value, and what to do instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Exactness of the analytic value.
    pub exactness: Option<Exactness>,
    /// Simulated estimate with its confidence interval.
    pub simulated: Option<Estimate>,
    /// (analytic − simulated mean) / simulated mean.
    pub relative_error: Option<f64>,
    /// Whether the analytic value lies in the simulated interval (a percentile's covers
    /// its histogram's rounding).
    pub in_interval: Option<bool>,
    /// An approximation whose relative error exceeds the threshold.
    pub flagged: bool,
    /// The simulator's warning on this figure, if any (see the report's `warnings`):
    /// the run did not settle for it, so the row is neither checked against its interval
    /// nor flagged, nor counted in the largest errors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warning: Option<WarningKind>,
}

/// The comparison of a whole model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Comparison {
    /// Version of this output's JSON shape ([`SCHEMA_VERSION`](crate::SCHEMA_VERSION)).
    pub schema_version: u32,
    /// Model name.
    pub model: Option<String>,
    /// Confidence level of the intervals.
    pub confidence: f64,
    /// Replications simulated.
    pub replications: u32,
    /// Threshold used for flags.
    pub threshold: f64,
    /// Every paired figure.
    pub rows: Vec<ComparisonRow>,
    /// The analytic solution, in full.
    pub analytic: ModelSolution,
    /// The simulation report, in full.
    pub simulation: SimReport,
}

impl Comparison {
    /// The rows flagged as approximations off by more than the threshold.
    pub fn flagged(&self) -> impl Iterator<Item = &ComparisonRow> {
        self.rows.iter().filter(|r| r.flagged)
    }

    /// The largest relative error among rows of the given exactness that were checked:
    /// rows the simulator warned about, and rows of a node with fewer than
    /// [`MIN_COMPARE_SAMPLES`] messages (an interval not checked although the simulation
    /// gave one), are left out.
    pub fn largest_error(&self, exactness: Exactness) -> Option<&ComparisonRow> {
        self.rows
            .iter()
            .filter(|r| {
                let has_interval = r
                    .simulated
                    .is_some_and(|s| s.lower.is_some() && s.upper.is_some());
                let sparse = has_interval && r.in_interval.is_none();
                r.exactness == Some(exactness)
                    && r.relative_error.is_some()
                    && r.warning.is_none()
                    && !sparse
            })
            .max_by(|a, b| {
                let ea = a.relative_error.unwrap_or(0.0).abs();
                let eb = b.relative_error.unwrap_or(0.0).abs();
                ea.total_cmp(&eb)
            })
    }
}

/// Why a comparison failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CompareError {
    /// The analytic side failed for the whole model.
    #[error(transparent)]
    Solve(#[from] SolveError),
    /// The simulation failed.
    #[error(transparent)]
    Sim(#[from] SimError),
    /// The flag threshold is not a finite number >= 0.
    #[error("threshold: must be a finite relative error >= 0 (e.g. 0.1 for 10%), got {threshold}")]
    Threshold {
        /// The value given.
        threshold: f64,
    },
}

/// Solves and simulates a validated model with `settings`, pairing every figure.
///
/// # Errors
/// [`CompareError::Threshold`] for a threshold that is not a finite number >= 0;
/// [`CompareError`] when either engine fails for the whole model (per-node refusals
/// are rows with no analytic value instead).
///
/// # Example
/// ```
/// use kendall::{DEFAULT_FLAG_THRESHOLD, Metric, compare};
/// use kendall::model::{ArrivalProcess, Distribution, Model, Queue, RunSettings, Source};
/// let m = Model::default()
///     .with_source(Source::new("in", ArrivalProcess::Poisson { rate: 5.0 }, "q"))
///     .with_queue(Queue::new("q", 1, Distribution::Exponential { mean: 0.1 }))
///     .validate()
///     .unwrap();
/// let s = RunSettings { horizon: Some(2000.0), warmup: 100.0, replications: 4, ..RunSettings::default() };
/// let c = compare(&m, &s, DEFAULT_FLAG_THRESHOLD, &|_, _| {}).unwrap();
/// let l = c.rows.iter().find(|r| r.node == "q" && r.metric == Metric::MeanNumber).unwrap();
/// // A threshold that flags nothing by accident is refused.
/// assert!(compare(&m, &s, f64::NAN, &|_, _| {}).is_err());
/// assert_eq!(l.analytic, Some(1.0));
/// assert!(l.relative_error.unwrap().abs() < 0.2);
/// ```
pub fn compare(
    model: &ValidModel,
    settings: &RunSettings,
    threshold: f64,
    progress: &(dyn Fn(u32, u32) + Sync),
) -> Result<Comparison, CompareError> {
    compare_inner(model, settings, threshold, progress, None)
}

/// As [`compare`], and stops early once `stop` is set (from another thread or a signal
/// handler): the simulation then returns [`SimError::Cancelled`](crate::SimError::Cancelled)
/// inside [`CompareError::Sim`]. Not stopped, it gives exactly the result of [`compare`].
///
/// # Errors
/// As [`compare`].
///
/// # Example
/// ```
/// use kendall::{CompareError, DEFAULT_FLAG_THRESHOLD, Model, RunSettings, SimError, compare_with_control};
/// use std::sync::atomic::AtomicBool;
/// let m = Model::load(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/single_queue.toml"))
///     .unwrap().validate().unwrap();
/// let stop = AtomicBool::new(true);
/// let e = compare_with_control(&m, &RunSettings::default(), DEFAULT_FLAG_THRESHOLD, &|_, _| {}, &stop);
/// assert!(matches!(e, Err(CompareError::Sim(SimError::Cancelled))));
/// ```
pub fn compare_with_control(
    model: &ValidModel,
    settings: &RunSettings,
    threshold: f64,
    progress: &(dyn Fn(u32, u32) + Sync),
    stop: &std::sync::atomic::AtomicBool,
) -> Result<Comparison, CompareError> {
    compare_inner(model, settings, threshold, progress, Some(stop))
}

fn compare_inner(
    model: &ValidModel,
    settings: &RunSettings,
    threshold: f64,
    progress: &(dyn Fn(u32, u32) + Sync),
    stop: Option<&std::sync::atomic::AtomicBool>,
) -> Result<Comparison, CompareError> {
    if !(threshold.is_finite() && threshold >= 0.0) {
        return Err(CompareError::Threshold { threshold });
    }
    let analytic = solve(model)?;
    let simulation = match stop {
        None => simulate_with_progress(model, settings, progress)?,
        Some(stop) => crate::sim::simulate_with_control(model, settings, progress, stop)?,
    };
    let rows = compare_reports(&analytic, &simulation, threshold);
    Ok(Comparison {
        schema_version: crate::model::SCHEMA_VERSION,
        model: model.model().name.clone(),
        confidence: simulation.confidence,
        replications: simulation.replications,
        threshold,
        rows,
        analytic,
        simulation,
    })
}

/// Pairs the figures of an analytic solution and a simulation report of the same model:
/// every metric of [`Metric::QUEUE`] per queue, then [`Metric::END_TO_END`] per source.
/// Use it to compare a report made elsewhere (another seed, a merged run) with the
/// analytic side; [`compare`] runs both engines and calls it.
///
/// # Example
/// ```
/// use kendall::{DEFAULT_FLAG_THRESHOLD, Metric, Model, RunSettings, compare_reports, simulate, solve};
/// let m = Model::load(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/single_queue.toml"))
///     .unwrap().validate().unwrap();
/// let s = RunSettings { horizon: Some(20.0), replications: 2, ..RunSettings::default() };
/// let rows = compare_reports(&solve(&m).unwrap(), &simulate(&m, &s).unwrap(), DEFAULT_FLAG_THRESHOLD);
/// assert_eq!(rows.len(), Metric::QUEUE.len() + Metric::END_TO_END.len());
/// ```
pub fn compare_reports(
    analytic: &ModelSolution,
    sim: &SimReport,
    threshold: f64,
) -> Vec<ComparisonRow> {
    let mut rows = Vec::new();
    for node in &analytic.nodes {
        let Some(q) = sim.queue(&node.name) else {
            continue;
        };
        // Too few messages through this node for its interval to mean anything.
        let sparse = q.counts.completed < MIN_COMPARE_SAMPLES;
        for metric in Metric::QUEUE
            .into_iter()
            .chain(analytic.queried.queue.iter().copied())
        {
            let value = node.get(metric);
            let note = match (value, node.refusal()) {
                (Some(_), _) => None,
                (None, Some(why)) => Some(why.to_string()),
                (None, None) => Some("not known for this method: simulate".to_string()),
            };
            let mut r = row(
                &node.name,
                metric,
                value,
                node.method_of(metric),
                note,
                q.get(metric),
                threshold,
            );
            if sparse {
                r.in_interval = None;
                r.flagged = false;
            }
            unsettle(&mut r, &q.warnings);
            rows.push(r);
        }
    }
    for e in &analytic.end_to_end {
        let Some(s) = sim.source(&e.name) else {
            continue;
        };
        let node = format!("end_to_end:{}", e.name);
        for metric in Metric::END_TO_END
            .into_iter()
            .chain(analytic.queried.end_to_end.iter().copied())
        {
            let value = e.get(metric);
            let note = match value {
                Some(_) => None,
                None => Some(
                    e.note
                        .clone()
                        .unwrap_or_else(|| "not known: simulate".into()),
                ),
            };
            let mut r = row(
                &node,
                metric,
                value,
                e.method_of(metric),
                note,
                s.get(metric),
                threshold,
            );
            unsettle(&mut r, &s.warnings);
            rows.push(r);
        }
    }
    rows
}

/// Marks `r` with the first of `warnings` that names its metric: its interval and
/// error then say nothing about the analytic figure.
fn unsettle(r: &mut ComparisonRow, warnings: &[SimWarning]) {
    if let Some(w) = warnings.iter().find(|w| w.affects(r.metric)) {
        r.warning = Some(w.kind);
        r.in_interval = None;
        r.flagged = false;
    }
}

fn row(
    node: &str,
    metric: Metric,
    analytic: Option<f64>,
    method: Option<&Method>,
    note: Option<String>,
    simulated: Option<Estimate>,
    threshold: f64,
) -> ComparisonRow {
    let relative_error = match (analytic, simulated) {
        (Some(a), Some(s)) if s.mean != 0.0 => Some((a - s.mean) / s.mean.abs()),
        (Some(a), Some(s)) if a == 0.0 && s.mean == 0.0 => Some(0.0),
        _ => None,
    };
    let in_interval = match (analytic, simulated) {
        (Some(a), Some(s)) => match (s.lower, s.upper) {
            (Some(lo), Some(hi)) => {
                // A tolerance of rounding for exact zeros (e.g. P(block) = 0).
                Some(a >= lo - 1e-12 && a <= hi + 1e-12)
            }
            _ => None,
        },
        _ => None,
    };
    let method = analytic.and(method.cloned());
    let exactness = method.as_ref().map(|m| m.exactness);
    let flagged = exactness == Some(Exactness::Approximation)
        && relative_error.is_some_and(|e| e.abs() > threshold)
        && in_interval != Some(true);
    ComparisonRow {
        node: node.to_string(),
        metric,
        analytic,
        method,
        note,
        exactness,
        simulated,
        relative_error,
        in_interval,
        flagged,
        warning: None,
    }
}
