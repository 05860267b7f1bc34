//! Analytic and simulated figures side by side.
//!
//! [`run`] solves the model analytically ([`analytic::solve`](crate::analytic::solve::solve))
//! and simulates it ([`sim::simulate`](crate::sim::simulate)) with the model's run
//! settings, then pairs every figure both engines produce: per queue (utilisation,
//! throughput, L, Lq, W, Wq, blocking, and the wait and sojourn percentiles) and per
//! source (end-to-end mean and percentiles). Each [`Row`] holds the analytic value with
//! its method, the simulated mean with its confidence interval, the relative error
//! (analytic − simulated) / simulated, and whether the analytic value lies in the
//! interval. Simulated percentiles come from histograms with relative error at most
//! [`crate::sim::histogram::RELATIVE_ERROR`], so their interval is
//! widened by that bound before the check.
//!
//! Rows whose analytic value is an approximation and whose relative error exceeds the
//! threshold are flagged: that approximation does not hold here, trust the simulation.

use crate::analytic::solve::{ModelSolution, SolveError, solve};
use crate::analytic::{Exactness, Method, NodeSolution, Percentiles};
use crate::model::{Model, RunSettings};
use crate::sim::histogram::RELATIVE_ERROR;
use crate::sim::{Estimate, LatencyReport, SimError, SimReport, simulate_with_progress};
use serde::{Deserialize, Serialize};

/// Default relative error above which an approximation is flagged.
pub const DEFAULT_THRESHOLD: f64 = 0.10;

/// Fewest messages (all replications) through a node for its rows to be checked
/// against the interval; below it the interval of rare events is meaningless.
pub const MIN_SAMPLES: u64 = 100;

/// One figure from both engines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// Queue name, or `end_to_end:<source>`.
    pub node: String,
    /// Metric name (`L`, `W`, `sojourn.p99`, ...).
    pub metric: String,
    /// Analytic value, if the analytic side has one.
    pub analytic: Option<f64>,
    /// Its method, or why there is none.
    pub method: String,
    /// Exactness of the analytic value.
    pub exactness: Option<Exactness>,
    /// Simulated estimate with its confidence interval.
    pub simulated: Option<Estimate>,
    /// (analytic − simulated mean) / simulated mean.
    pub relative_error: Option<f64>,
    /// Whether the analytic value lies in the simulated interval (widened by the
    /// histogram bound for percentiles).
    pub in_interval: Option<bool>,
    /// An approximation whose relative error exceeds the threshold.
    pub flagged: bool,
}

/// The comparison of a whole model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// Model name.
    pub model: Option<String>,
    /// Confidence level of the intervals.
    pub confidence: f64,
    /// Replications simulated.
    pub replications: u32,
    /// Threshold used for flags.
    pub threshold: f64,
    /// Every paired figure.
    pub rows: Vec<Row>,
    /// The analytic solution, in full.
    pub analytic: ModelSolution,
    /// The simulation report, in full.
    pub simulation: SimReport,
}

impl Comparison {
    /// The rows flagged as approximations off by more than the threshold.
    pub fn flagged(&self) -> impl Iterator<Item = &Row> {
        self.rows.iter().filter(|r| r.flagged)
    }

    /// The largest relative error among rows of the given exactness.
    pub fn largest_error(&self, exactness: Exactness) -> Option<&Row> {
        self.rows
            .iter()
            .filter(|r| r.exactness == Some(exactness) && r.relative_error.is_some())
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
}

/// Solves and simulates `model` with `settings`, pairing every figure.
///
/// # Errors
/// [`CompareError`] when either engine fails for the whole model (per-node refusals
/// are rows with no analytic value instead).
///
/// # Example
/// ```
/// use kendall::compare::{run, DEFAULT_THRESHOLD};
/// use kendall::model::{ArrivalProcess, Distribution, Model, Queue, RunSettings, Source};
/// let m = Model::default()
///     .with_source(Source::new("in", ArrivalProcess::Poisson { rate: 5.0 }, "q"))
///     .with_queue(Queue::new("q", 1, Distribution::Exponential { mean: 0.1 }));
/// let s = RunSettings { horizon: Some(2000.0), warmup: 100.0, replications: 4, ..RunSettings::default() };
/// let c = run(&m, &s, DEFAULT_THRESHOLD, &|_, _| {}).unwrap();
/// let l = c.rows.iter().find(|r| r.node == "q" && r.metric == "L").unwrap();
/// assert_eq!(l.analytic, Some(1.0));
/// assert!(l.relative_error.unwrap().abs() < 0.2);
/// ```
pub fn run(
    model: &Model,
    settings: &RunSettings,
    threshold: f64,
    progress: &(dyn Fn(u32, u32) + Sync),
) -> Result<Comparison, CompareError> {
    let analytic = solve(model)?;
    let simulation = simulate_with_progress(model, settings, progress)?;
    let rows = pair(&analytic, &simulation, threshold);
    Ok(Comparison {
        model: model.name.clone(),
        confidence: simulation.confidence,
        replications: simulation.replications,
        threshold,
        rows,
        analytic,
        simulation,
    })
}

/// Pairs the figures of an analytic solution and a simulation report of the same model.
pub fn pair(analytic: &ModelSolution, sim: &SimReport, threshold: f64) -> Vec<Row> {
    let mut rows = Vec::new();
    for node in &analytic.nodes {
        let Some(q) = sim.queues.iter().find(|q| q.name == node.name) else {
            continue;
        };
        let sol = node.solution.as_ref();
        let why = node.refused.clone().unwrap_or_default();
        // Too few messages through this node for its interval to mean anything.
        let sparse = q.counts.completed < MIN_SAMPLES;
        let first = rows.len();
        let method = sol.map(|s| s.method.clone());
        type Get = fn(&NodeSolution) -> Option<f64>;
        let plain: [(&str, Get, Option<Estimate>); 8] = [
            ("utilisation", |s| Some(s.utilisation), Some(q.utilisation)),
            ("throughput", |s| Some(s.throughput), Some(q.throughput)),
            ("L", |s| Some(s.l), Some(q.l)),
            ("Lq", |s| Some(s.lq), Some(q.lq)),
            ("W", |s| Some(s.w), q.sojourn.map(|l| l.mean)),
            ("Wq", |s| Some(s.wq), q.wait.map(|l| l.mean)),
            (
                "P(block)",
                |s| s.p_block,
                q.full_probability.or(q.rejection_probability),
            ),
            ("P(wait)", |s| s.p_wait, q.wait_probability),
        ];
        for (metric, get, simulated) in plain {
            let value = sol.and_then(get);
            rows.push(row(
                &node.name,
                metric,
                value,
                method.as_ref(),
                &why,
                simulated,
                0.0,
                threshold,
            ));
        }
        let dist_method = sol.and_then(|s| s.distribution_method.clone());
        for (name, pct, lat) in [
            ("wait", sol.and_then(|s| s.wait_percentiles), q.wait),
            (
                "sojourn",
                sol.and_then(|s| s.sojourn_percentiles),
                q.sojourn,
            ),
        ] {
            let why = if sol.is_some() {
                "not known for this method: simulate".to_string()
            } else {
                why.clone()
            };
            percentile_rows(
                &mut rows,
                &node.name,
                name,
                pct,
                dist_method.as_ref(),
                &why,
                lat,
                threshold,
            );
        }
        if sparse {
            for r in &mut rows[first..] {
                r.in_interval = None;
                r.flagged = false;
            }
        }
    }
    for e in &analytic.end_to_end {
        let Some(s) = sim.sources.iter().find(|s| s.name == e.source) else {
            continue;
        };
        let node = format!("end_to_end:{}", e.source);
        let why = e.note.clone().unwrap_or_default();
        rows.push(row(
            &node,
            "mean",
            e.mean,
            e.mean_method.as_ref(),
            &why,
            s.latency.map(|l| l.mean),
            0.0,
            threshold,
        ));
        percentile_rows(
            &mut rows,
            &node,
            "latency",
            e.percentiles,
            e.percentile_method.as_ref(),
            &why,
            s.latency,
            threshold,
        );
    }
    rows
}

/// A percentile level: name, analytic accessor, simulated accessor.
type Level = (
    &'static str,
    fn(&Percentiles) -> f64,
    fn(&LatencyReport) -> Estimate,
);

#[allow(clippy::too_many_arguments)]
fn percentile_rows(
    rows: &mut Vec<Row>,
    node: &str,
    name: &str,
    analytic: Option<Percentiles>,
    method: Option<&Method>,
    why: &str,
    sim: Option<LatencyReport>,
    threshold: f64,
) {
    let levels: [Level; 4] = [
        ("p50", |p| p.p50, |l| l.p50),
        ("p95", |p| p.p95, |l| l.p95),
        ("p99", |p| p.p99, |l| l.p99),
        ("p999", |p| p.p999, |l| l.p999),
    ];
    for (level, a, s) in levels {
        rows.push(row(
            node,
            &format!("{name}.{level}"),
            analytic.as_ref().map(a),
            method,
            why,
            sim.as_ref().map(s),
            RELATIVE_ERROR,
            threshold,
        ));
    }
}

#[allow(clippy::too_many_arguments)]
fn row(
    node: &str,
    metric: &str,
    analytic: Option<f64>,
    method: Option<&Method>,
    why: &str,
    simulated: Option<Estimate>,
    widen: f64,
    threshold: f64,
) -> Row {
    let relative_error = match (analytic, simulated) {
        (Some(a), Some(s)) if s.mean != 0.0 => Some((a - s.mean) / s.mean.abs()),
        (Some(a), Some(s)) if a == 0.0 && s.mean == 0.0 => Some(0.0),
        _ => None,
    };
    let in_interval = match (analytic, simulated) {
        (Some(a), Some(s)) => match (s.lower, s.upper) {
            (Some(lo), Some(hi)) => {
                let lo = lo - widen * lo.abs();
                let hi = hi + widen * hi.abs();
                // A tolerance of rounding for exact zeros (e.g. P(block) = 0).
                Some(a >= lo - 1e-12 && a <= hi + 1e-12)
            }
            _ => None,
        },
        _ => None,
    };
    let exactness = analytic.and(method.map(|m| m.exactness));
    let flagged = exactness == Some(Exactness::Approximation)
        && relative_error.is_some_and(|e| e.abs() > threshold)
        && in_interval != Some(true);
    Row {
        node: node.to_string(),
        metric: metric.to_string(),
        analytic,
        method: match (analytic, method) {
            (Some(_), Some(m)) => m.to_string(),
            _ => why.to_string(),
        },
        exactness,
        simulated,
        relative_error,
        in_interval,
        flagged,
    }
}
