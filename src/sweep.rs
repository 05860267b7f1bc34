//! Sweeps: metrics over a range of load, or of any numeric parameter of the model, or
//! over a grid of two parameters (load × consumers).
//!
//! The parameter is `load` (a multiplier of every source's rate) or a path into the
//! scenario, written with the same field names as the scenario file:
//! `queue.<name>.<field>[.<field>...]` (e.g. `queue.payments.servers`,
//! `queue.payments.service.mean`), `source.<name>.<field>...` (e.g.
//! `source.checkout.arrival.rate`), or `simulation.<field>`. Times are seconds. Each
//! point is solved analytically and/or simulated; points run in parallel (rayon), and a
//! point that fails (an invalid value, an unstable node) records its error instead of
//! stopping the sweep.
//!
//! A two-parameter sweep ([`SweepOptions::second`]) evaluates every pair of values: the
//! point `(v1, v2)` is the point `v1` of the one-parameter sweep of the model with the
//! second parameter set to `v2` (same code path, same figures bit for bit, same seed).
//! Its points are in row-major order: `points[i * n2 + j]` is `(values[i],
//! second.values[j])`, `n2 = second.values.len()`.

use crate::analytic::{ModelSolution, solve};
use crate::model::{Metric, Model, RunSettings, ValidModel};
use crate::sim::{SimReport, simulate, simulate_with_control};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::borrow::Cow;
use std::sync::atomic::{AtomicBool, Ordering};

/// What to vary and how to evaluate each point.
///
/// The default sweeps nothing (no values) over `load`, analytically, with no second
/// parameter: set `values` (and `second` for a grid) and keep the rest with
/// `..SweepOptions::default()`.
///
/// # Example
/// ```
/// use kendall::{SweepAxis, SweepOptions};
/// let grid = SweepOptions {
///     values: vec![0.5, 0.8, 1.1],
///     second: Some(SweepAxis::new("queue.payments.servers", vec![9.0, 10.0])),
///     ..SweepOptions::default()
/// };
/// assert_eq!(grid.points(), 6);
/// assert!(grid.analytic && !grid.simulate);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SweepOptions {
    /// `load` or a parameter path.
    pub parameter: String,
    /// The values to try.
    pub values: Vec<f64>,
    /// A second parameter and its values, for a grid of `values.len() ×
    /// second.values.len()` points (`None`: a one-parameter sweep). It must differ from
    /// `parameter`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub second: Option<SweepAxis>,
    /// Solve each point analytically.
    pub analytic: bool,
    /// Simulate each point.
    pub simulate: bool,
}

impl Default for SweepOptions {
    /// `load` with no values, no second parameter, analytic only.
    fn default() -> Self {
        Self {
            parameter: "load".into(),
            values: vec![],
            second: None,
            analytic: true,
            simulate: false,
        }
    }
}

impl SweepOptions {
    /// The number of points: `values.len()`, times `second.values.len()` for a grid
    /// (saturating, so an absurd grid is still refused by [`MAX_SWEEP_POINTS`]).
    ///
    /// # Example
    /// ```
    /// use kendall::{SweepAxis, SweepOptions};
    /// let o = SweepOptions { values: vec![1.0, 2.0], ..SweepOptions::default() };
    /// assert_eq!(o.points(), 2);
    /// let o = SweepOptions { second: Some(SweepAxis::new("queue.q.servers", vec![1.0, 2.0, 3.0])), ..o };
    /// assert_eq!(o.points(), 6);
    /// ```
    pub fn points(&self) -> usize {
        match &self.second {
            None => self.values.len(),
            Some(axis) => self.values.len().saturating_mul(axis.values.len()),
        }
    }
}

/// One swept parameter and its values: the second axis of a two-parameter sweep
/// ([`SweepOptions::second`], [`Sweep::second`]).
///
/// # Example
/// ```
/// use kendall::SweepAxis;
/// let axis = SweepAxis::new("queue.payments.servers", vec![2.0, 3.0, 4.0]);
/// assert_eq!(axis.parameter, "queue.payments.servers");
/// assert_eq!(axis.values.len(), 3);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SweepAxis {
    /// `load` or a parameter path, as [`SweepOptions::parameter`].
    pub parameter: String,
    /// The values to try, in order.
    pub values: Vec<f64>,
}

impl SweepAxis {
    /// The axis `parameter` over `values`.
    ///
    /// # Example
    /// ```
    /// let axis = kendall::SweepAxis::new("load", kendall::linspace(0.5, 1.0, 3).unwrap());
    /// assert_eq!(axis.values, vec![0.5, 0.75, 1.0]);
    /// ```
    pub fn new(parameter: impl Into<String>, values: Vec<f64>) -> Self {
        Self {
            parameter: parameter.into(),
            values,
        }
    }
}

/// One point of a sweep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SweepPoint {
    /// The parameter's value.
    pub value: f64,
    /// The second parameter's value (two-parameter sweeps only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value2: Option<f64>,
    /// Analytic solution.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analytic: Option<ModelSolution>,
    /// Simulation report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub simulated: Option<SimReport>,
    /// Why this point could not be evaluated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A whole sweep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Sweep {
    /// Version of this output's JSON shape ([`SCHEMA_VERSION`](crate::SCHEMA_VERSION)).
    pub schema_version: u32,
    /// The parameter varied.
    pub parameter: String,
    /// The second parameter and its values, in a two-parameter sweep.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub second: Option<SweepAxis>,
    /// The points, in the order of the values; in a two-parameter sweep row-major,
    /// `points[i * n2 + j]` at `(value i, second value j)` with `n2` second values.
    pub points: Vec<SweepPoint>,
}

impl Sweep {
    /// The points one first value at a time: one chunk per first value (all the points
    /// for a one-parameter sweep, in chunks of one), each with the second parameter's
    /// values in order.
    ///
    /// # Example
    /// ```
    /// use kendall::{Model, SweepAxis, SweepOptions, sweep};
    /// let m = Model::load(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/single_queue.toml"))
    ///     .unwrap().validate().unwrap();
    /// let opts = SweepOptions {
    ///     values: vec![0.5, 0.9],
    ///     second: Some(SweepAxis::new("queue.payments.servers", vec![10.0, 12.0, 14.0])),
    ///     ..SweepOptions::default()
    /// };
    /// let s = sweep(&m, &m.model().simulation, &opts, &|_, _| {}).unwrap();
    /// let rows: Vec<_> = s.rows().collect();
    /// assert_eq!((rows.len(), rows[1].len()), (2, 3));
    /// assert_eq!((rows[1][2].value, rows[1][2].value2), (0.9, Some(14.0)));
    /// ```
    pub fn rows(&self) -> std::slice::Chunks<'_, SweepPoint> {
        let n2 = self.second.as_ref().map_or(1, |a| a.values.len()).max(1);
        self.points.chunks(n2)
    }
}

/// Why a sweep could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SweepError {
    /// The parameter path does not name a numeric field of the model.
    #[error("parameter {path:?}: {reason}")]
    Parameter {
        /// The path.
        path: String,
        /// What is wrong and how to write it.
        reason: String,
    },
    /// The `stop` flag of [`sweep_with_control`] was set; nothing is reported.
    #[error("the sweep was stopped before it finished")]
    Cancelled,
    /// No values to sweep.
    #[error("no values to sweep: give --values or --from/--to/--steps")]
    NoValues,
    /// A second parameter without values.
    #[error("no values for the second parameter: give --values2 or --from2/--to2/--steps2")]
    NoSecondValues,
    /// More points than [`MAX_SWEEP_POINTS`]; refused before anything is allocated. In a
    /// two-parameter sweep `steps` is the product of the two numbers of values.
    #[error(
        "{steps} sweep points (--steps or --values, times --steps2 or --values2 for two parameters) is more than the {max} a sweep may hold (each point keeps its solution and report in memory, a few kilobytes to a megabyte): give fewer steps, sweep a narrower range, or split the sweep"
    )]
    TooManyPoints {
        /// The number of points asked for.
        steps: u64,
        /// [`MAX_SWEEP_POINTS`].
        max: u64,
    },
}

/// The most points one sweep may have: 100 000. Every point keeps its analytic solution
/// and simulation report (from a few kilobytes to about a megabyte with a time series)
/// until the sweep returns, and a chart cannot show more.
pub const MAX_SWEEP_POINTS: usize = 100_000;

/// The model with `parameter` set to `value`.
///
/// # Errors
/// [`SweepError::Parameter`] when the path does not exist or is not numeric, or the
/// resulting model is invalid (the validation message is included).
///
/// # Example
/// ```
/// use kendall::{Model, with_parameter};
/// let m = Model::load(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/single_queue.toml"))
///     .unwrap().validate().unwrap();
/// let m2 = with_parameter(&m, "queue.payments.servers", 12.0).unwrap();
/// assert_eq!(m2.model().queues[0].servers, 12);
/// let m3 = with_parameter(&m, "queue.payments.service.mean", 0.02).unwrap();
/// assert_eq!(m3.model().queues[0].service.mean(), 0.02);
/// assert!(with_parameter(&m, "queue.nope.servers", 1.0).is_err());
/// ```
pub fn with_parameter(
    valid: &ValidModel,
    parameter: &str,
    value: f64,
) -> Result<ValidModel, SweepError> {
    let err = |reason: String| SweepError::Parameter {
        path: parameter.to_string(),
        reason,
    };
    if parameter == "load" {
        return valid
            .with_load_multiplier(value)
            .map_err(|e| err(e.to_string()));
    }
    // Consumers change without re-checking the rest of the scenario.
    if let ["queue", name, "servers" | "consumers"] =
        parameter.split('.').collect::<Vec<_>>().as_slice()
        && let Some(i) = valid.queue_index(name)
    {
        if !(value.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&value)) {
            return Err(err(format!("is a whole number of consumers, got {value}")));
        }
        return valid
            .with_servers(i, value as u32)
            .map_err(|e| err(e.to_string()));
    }
    let model = valid.model();
    let mut doc = serde_json::to_value(model).map_err(|e| err(e.to_string()))?;
    let parts: Vec<&str> = parameter.split('.').collect();
    let (collection, rest) = match parts.as_slice() {
        ["queue", name, rest @ ..] | ["source", name, rest @ ..] if !rest.is_empty() => {
            let key = parts[0];
            let list = doc
                .get_mut(key)
                .and_then(Value::as_array_mut)
                .ok_or_else(|| err(format!("the model has no {key}s")))?;
            let item = list
                .iter_mut()
                .find(|v| v.get("name").and_then(Value::as_str) == Some(name))
                .ok_or_else(|| err(format!("no {key} named {name:?}")))?;
            (item, rest)
        }
        ["simulation", rest @ ..] if !rest.is_empty() => (
            doc.get_mut("simulation")
                .ok_or_else(|| err("no simulation settings".into()))?,
            rest,
        ),
        _ => {
            return Err(err(
                "write load, queue.<name>.<field>, source.<name>.<field> or simulation.<field> (e.g. queue.payments.servers)".into(),
            ));
        }
    };
    set_number(
        collection,
        rest,
        value,
        parameter.starts_with("simulation."),
    )
    .map_err(err)?;
    let m: Model = serde_json::from_value(doc).map_err(|e| err(e.to_string()))?;
    m.validate().map_err(|e| err(e.to_string()))
}

/// Sets the number at `path` below `root` to `value`, keeping whole numbers whole. With
/// `optional`, a missing last field is added (an unset optional setting such as
/// `horizon`); the typed read that follows rejects a field that does not exist.
fn set_number(root: &mut Value, path: &[&str], value: f64, optional: bool) -> Result<(), String> {
    let Some((last, parents)) = path.split_last() else {
        return Err("names no field".into());
    };
    let mut node = root;
    for (k, key) in parents.iter().enumerate() {
        node = node
            .get_mut(*key)
            .ok_or_else(|| format!("no field {:?} at {}", key, path[..k].join(".")))?;
    }
    let Some(object) = node.as_object_mut() else {
        return Err(format!("{} is not a section", parents.join(".")));
    };
    let new = match object.get(*last) {
        Some(Value::Number(n)) if n.is_u64() || n.is_i64() => {
            if value.fract() != 0.0 || value < 0.0 {
                return Err(format!("is a whole number, got {value}"));
            }
            Value::from(value as u64)
        }
        Some(Value::Number(_)) => Value::from(value),
        None | Some(Value::Null) if optional => Value::from(value),
        None => return Err(format!("no field {last:?} at {}", parents.join("."))),
        _ => return Err("is not a number".into()),
    };
    object.insert((*last).to_string(), new);
    Ok(())
}

/// The run settings of a sweep point: `settings` itself, or for a `simulation.<field>`
/// parameter, `settings` with that field set to `value` (so the swept value, not the
/// command line's, is the one simulated).
///
/// # Errors
/// [`SweepError::Parameter`] when the field does not exist, is not a number, or the
/// value is not allowed there.
fn settings_at(
    settings: &RunSettings,
    parameter: &str,
    value: f64,
) -> Result<RunSettings, SweepError> {
    let Some(rest) = parameter.strip_prefix("simulation.") else {
        return Ok(settings.clone());
    };
    let err = |reason: String| SweepError::Parameter {
        path: parameter.to_string(),
        reason,
    };
    let mut doc = serde_json::to_value(settings).map_err(|e| err(e.to_string()))?;
    let path: Vec<&str> = rest.split('.').collect();
    set_number(&mut doc, &path, value, true).map_err(err)?;
    let s: RunSettings = serde_json::from_value(doc).map_err(|e| err(e.to_string()))?;
    let mut problems = Vec::new();
    s.check(&mut problems);
    match problems.is_empty() {
        true => Ok(s),
        false => Err(err(crate::model::Problems(problems).to_string())),
    }
}

/// `steps` evenly spaced values from `from` to `to` inclusive.
///
/// # Errors
/// [`SweepError::TooManyPoints`] for more than [`MAX_SWEEP_POINTS`] steps, before
/// allocating.
///
/// # Example
/// ```
/// assert_eq!(kendall::linspace(0.5, 1.0, 3).unwrap(), vec![0.5, 0.75, 1.0]);
/// assert!(kendall::linspace(0.5, 1.0, usize::MAX).is_err());
/// ```
pub fn linspace(from: f64, to: f64, steps: usize) -> Result<Vec<f64>, SweepError> {
    check_points(steps)?;
    Ok(match steps {
        0 => vec![],
        1 => vec![from],
        n => (0..n)
            .map(|i| from + (to - from) * i as f64 / (n - 1) as f64)
            .collect(),
    })
}

fn check_points(n: usize) -> Result<(), SweepError> {
    if n > MAX_SWEEP_POINTS {
        return Err(SweepError::TooManyPoints {
            steps: n as u64,
            max: MAX_SWEEP_POINTS as u64,
        });
    }
    Ok(())
}

/// Runs the sweep, calling `progress(done, total)` as points finish.
///
/// # Errors
/// [`SweepError`] when the parameter is invalid for every value (checked on the first),
/// there are no values, or more than [`MAX_SWEEP_POINTS`]. Per-point failures are recorded in the point.
///
/// # Example
/// ```
/// use kendall::{Model, SweepOptions, sweep};
/// let m = Model::load(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/single_queue.toml"))
///     .unwrap().validate().unwrap();
/// let opts = SweepOptions { parameter: "load".into(), values: vec![0.5, 1.0, 1.3], second: None, analytic: true, simulate: false };
/// let s = sweep(&m, &m.model().simulation, &opts, &|_, _| {}).unwrap();
/// assert!(s.points[2].analytic.as_ref().unwrap().nodes[0].unstable_utilisation().is_some()); // rho = 1.04
/// ```
pub fn sweep(
    model: &ValidModel,
    settings: &RunSettings,
    options: &SweepOptions,
    progress: &(dyn Fn(u32, u32) + Sync),
) -> Result<Sweep, SweepError> {
    sweep_points(model, settings, options, progress, None, &local)
}

/// As [`sweep`], and stops early once `stop` is set (from another thread or a signal
/// handler): points not started are skipped, simulations under way stop within about a
/// million events, and the sweep returns [`SweepError::Cancelled`]. Not stopped, it
/// gives exactly the result of [`sweep`].
///
/// # Errors
/// As [`sweep`], and [`SweepError::Cancelled`].
///
/// # Example
/// ```
/// use kendall::{Model, RunSettings, SweepError, SweepOptions, sweep_with_control};
/// use std::sync::atomic::AtomicBool;
/// let m = Model::load(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/single_queue.toml"))
///     .unwrap().validate().unwrap();
/// let options = SweepOptions { parameter: "load".into(), values: vec![0.5, 0.9], second: None, analytic: true, simulate: false };
/// let stop = AtomicBool::new(true);
/// let e = sweep_with_control(&m, &RunSettings::default(), &options, &|_, _| {}, &stop);
/// assert!(matches!(e, Err(SweepError::Cancelled)));
/// ```
pub fn sweep_with_control(
    model: &ValidModel,
    settings: &RunSettings,
    options: &SweepOptions,
    progress: &(dyn Fn(u32, u32) + Sync),
    stop: &AtomicBool,
) -> Result<Sweep, SweepError> {
    let simulate_here = |_: usize, m: &ValidModel, s: &RunSettings| {
        simulate_with_control(m, s, &|_, _| {}, stop).map_err(|e| e.to_string())
    };
    sweep_points(
        model,
        settings,
        options,
        progress,
        Some(stop),
        &simulate_here,
    )
}

/// Simulates the point with index `i` (grid order) on its model and settings: here and
/// now, or from replications run elsewhere (see [`crate::partial`]); the error's text is
/// the point's error.
pub(crate) type PointSimulator<'a> =
    dyn Fn(usize, &ValidModel, &RunSettings) -> Result<SimReport, String> + Sync + 'a;

/// Simulates a point here, in one go.
fn local(_: usize, m: &ValidModel, s: &RunSettings) -> Result<SimReport, String> {
    simulate(m, s).map_err(|e| e.to_string())
}

/// The checked grid of a sweep, row-major: the first parameter's values outer, the
/// second's inner.
fn grid_of(
    model: &ValidModel,
    settings: &RunSettings,
    options: &SweepOptions,
) -> Result<Vec<(f64, Option<f64>)>, SweepError> {
    if options.values.is_empty() {
        return Err(SweepError::NoValues);
    }
    if options.second.as_ref().is_some_and(|a| a.values.is_empty()) {
        return Err(SweepError::NoSecondValues);
    }
    check_points(options.points())?;
    if let Some(axis) = &options.second
        && same_parameter(&options.parameter, &axis.parameter)
    {
        return Err(SweepError::Parameter {
            path: axis.parameter.clone(),
            reason: format!(
                "is the first parameter ({}) too: sweep two different parameters",
                options.parameter
            ),
        });
    }
    // Fail early on a wrong path (of either parameter).
    let second = options
        .second
        .as_ref()
        .map(|a| (a.parameter.as_str(), a.values[0]));
    base_at(model, settings, second).and_then(|(m, s)| {
        with_parameter(&m, &options.parameter, options.values[0])?;
        settings_at(&s, &options.parameter, options.values[0])
    })?;
    Ok(match &options.second {
        None => options.values.iter().map(|&v| (v, None)).collect(),
        Some(axis) => options
            .values
            .iter()
            .flat_map(|&v| axis.values.iter().map(move |&v2| (v, Some(v2))))
            .collect(),
    })
}

/// The model and settings of the point `(value, value2)`, or why it has none.
fn point_at(
    model: &ValidModel,
    settings: &RunSettings,
    options: &SweepOptions,
    value: f64,
    value2: Option<f64>,
) -> Result<(ValidModel, RunSettings), SweepError> {
    let second = options
        .second
        .as_ref()
        .zip(value2)
        .map(|(a, v2)| (a.parameter.as_str(), v2));
    let (m, s) = base_at(model, settings, second)?;
    Ok((
        with_parameter(&m, &options.parameter, value)?,
        settings_at(&s, &options.parameter, value)?,
    ))
}

/// The simulations a sweep runs, in grid order: each point's model and settings, or
/// `None` for a point that has none (its error is recorded when the sweep runs).
///
/// # Errors
/// As [`sweep`], for the sweep as a whole.
pub(crate) fn sweep_jobs(
    model: &ValidModel,
    settings: &RunSettings,
    options: &SweepOptions,
) -> Result<Vec<Option<(ValidModel, RunSettings)>>, SweepError> {
    Ok(grid_of(model, settings, options)?
        .into_iter()
        .map(|(v, v2)| point_at(model, settings, options, v, v2).ok())
        .collect())
}

pub(crate) fn sweep_points(
    model: &ValidModel,
    settings: &RunSettings,
    options: &SweepOptions,
    progress: &(dyn Fn(u32, u32) + Sync),
    stop: Option<&AtomicBool>,
    simulator: &PointSimulator<'_>,
) -> Result<Sweep, SweepError> {
    let stopped = || stop.is_some_and(|s| s.load(Ordering::Relaxed));
    let grid = grid_of(model, settings, options)?;
    let total = grid.len() as u32;
    let done = std::sync::atomic::AtomicU32::new(0);
    let points = grid
        .par_iter()
        .enumerate()
        .map(|(i, &(value, value2))| {
            let mut point = SweepPoint {
                value,
                value2,
                analytic: None,
                simulated: None,
                error: None,
            };
            if stopped() {
                return point;
            }
            match point_at(model, settings, options, value, value2) {
                Err(e) => point.error = Some(e.to_string()),
                Ok((m, s)) => evaluate(&mut point, i, &m, &s, options, simulator),
            }
            let d = done.fetch_add(1, Ordering::Relaxed) + 1;
            progress(d, total);
            point
        })
        .collect();
    if stopped() {
        return Err(SweepError::Cancelled);
    }
    Ok(Sweep {
        schema_version: crate::model::SCHEMA_VERSION,
        parameter: options.parameter.clone(),
        second: options.second.clone(),
        points,
    })
}

/// The model and settings a one-parameter sweep of the first parameter runs on: the
/// given ones, or with the second parameter set to its value at this point.
fn base_at<'a>(
    model: &'a ValidModel,
    settings: &'a RunSettings,
    second: Option<(&str, f64)>,
) -> Result<(Cow<'a, ValidModel>, Cow<'a, RunSettings>), SweepError> {
    Ok(match second {
        None => (Cow::Borrowed(model), Cow::Borrowed(settings)),
        Some((parameter, value)) => (
            Cow::Owned(with_parameter(model, parameter, value)?),
            Cow::Owned(settings_at(settings, parameter, value)?),
        ),
    })
}

/// Whether two parameter paths name the same field (`servers` and `consumers` are one).
fn same_parameter(a: &str, b: &str) -> bool {
    let canonical = |p: &str| p.replace(".consumers", ".servers");
    canonical(a) == canonical(b)
}

/// Evaluates the point `i` on its own model and settings: solved, and simulated by
/// `simulator`.
fn evaluate(
    point: &mut SweepPoint,
    i: usize,
    model: &ValidModel,
    settings: &RunSettings,
    options: &SweepOptions,
    simulator: &PointSimulator<'_>,
) {
    if options.analytic {
        match solve(model) {
            Ok(s) => point.analytic = Some(s),
            Err(e) => point.error = Some(e.to_string()),
        }
    }
    if options.simulate {
        match simulator(i, model, settings) {
            Ok(r) => point.simulated = Some(r),
            Err(e) => point.error = Some(e),
        }
    }
}

/// The metrics a sweep's CSV and chart report per queue.
pub const SWEEP_QUEUE_METRICS: [Metric; 6] = [
    Metric::Utilisation,
    Metric::MeanNumber,
    Metric::MeanSojourn,
    Metric::MeanWait,
    Metric::SojournPercentile(crate::model::Level::P99),
    Metric::Blocking,
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::test_support::one_queue;
    use crate::model::{Distribution, Queue};

    /// M/M/1 at ρ = 0.5: one Poisson source at 1/s into `q`, service of mean 0.5 s.
    pub(super) fn mm1() -> ValidModel {
        one_queue(Queue::new("q", 1, Distribution::Exponential { mean: 0.5 }))
            .validate()
            .unwrap()
    }

    /// Regression: a swept `simulation.<field>` is the value simulated, not the one of
    /// the settings given (the command line's), even when that field was unset.
    #[test]
    fn a_swept_simulation_setting_is_the_one_simulated() {
        let m = mm1();
        let given = RunSettings {
            horizon: Some(50.0),
            warmup: 0.0,
            replications: 2,
            ..RunSettings::default()
        };
        let opts = SweepOptions {
            parameter: "simulation.horizon".into(),
            values: vec![10.0, 300.0],
            second: None,
            analytic: false,
            simulate: true,
        };
        let s = sweep(&m, &given, &opts, &|_, _| {}).unwrap();
        let measured: Vec<f64> = s
            .points
            .iter()
            .map(|p| p.simulated.as_ref().unwrap().measured_time.mean)
            .collect();
        assert_eq!(measured, vec![10.0, 300.0]);
        // An unset optional setting is set by the sweep too.
        let unset = RunSettings {
            horizon: None,
            completions: Some(100),
            replications: 2,
            ..RunSettings::default()
        };
        let opts = SweepOptions {
            parameter: "simulation.horizon".into(),
            values: vec![5.0],
            ..opts
        };
        let s = sweep(&m, &unset, &opts, &|_, _| {}).unwrap();
        let r = s.points[0].simulated.as_ref().unwrap();
        assert!(r.measured_time.mean <= 5.0, "{:?}", r.measured_time);
        // A field that does not exist is refused up front, naming the parameter.
        let bad = SweepOptions {
            parameter: "simulation.horizn".into(),
            ..opts
        };
        let e = sweep(&m, &given, &bad, &|_, _| {}).unwrap_err();
        assert!(e.to_string().contains("simulation.horizn"), "{e}");
    }
}

#[cfg(test)]
mod grid_tests {
    use super::tests::mm1;
    use super::*;

    fn grid(simulate: bool) -> SweepOptions {
        SweepOptions {
            parameter: "load".into(),
            values: vec![0.5, 1.5, 2.5],
            second: Some(SweepAxis::new("queue.q.servers", vec![1.0, 2.0])),
            analytic: true,
            simulate,
        }
    }

    /// A two-parameter sweep's point (v1, v2) is the point v1 of the one-parameter sweep
    /// of the model with v2 set: the same figures, bit for bit, analytic and simulated
    /// (same seed), errors included (load 2.5 on one consumer is unstable).
    #[test]
    fn a_grid_point_is_the_one_parameter_point_with_the_second_value_set() {
        let m = mm1();
        let settings = RunSettings {
            horizon: Some(200.0),
            warmup: 10.0,
            replications: 2,
            seed: 7,
            ..RunSettings::default()
        };
        let opts = grid(true);
        let s = sweep(&m, &settings, &opts, &|_, _| {}).unwrap();
        assert_eq!(s.points.len(), 6);
        assert_eq!(s.second, opts.second);
        let axis = opts.second.clone().unwrap();
        for (j, &v2) in axis.values.iter().enumerate() {
            let fixed = with_parameter(&m, &axis.parameter, v2).unwrap();
            let one = SweepOptions {
                second: None,
                ..opts.clone()
            };
            let line = sweep(&fixed, &settings, &one, &|_, _| {}).unwrap();
            for (i, p) in line.points.iter().enumerate() {
                let q = &s.points[i * axis.values.len() + j];
                assert_eq!((q.value, q.value2), (p.value, Some(v2)));
                assert_eq!(q.analytic, p.analytic, "analytic at ({}, {v2})", p.value);
                assert_eq!(q.simulated, p.simulated, "simulated at ({}, {v2})", p.value);
                assert_eq!(q.error, p.error);
            }
        }
        // Load 1.5 on one consumer (rho = 0.75) is stable, 2.5 is not.
        let unstable = |p: &SweepPoint| {
            p.analytic
                .as_ref()
                .is_some_and(|a| a.nodes.iter().any(|n| n.unstable_utilisation().is_some()))
        };
        assert!(!unstable(&s.points[2]) && unstable(&s.points[4]) && !unstable(&s.points[5]));
    }

    /// Row-major order: the first parameter outer, the second inner, whatever the
    /// number of threads.
    #[test]
    fn grid_order_is_row_major_and_thread_independent() {
        let m = mm1();
        let opts = grid(false);
        let s = sweep(&m, &RunSettings::default(), &opts, &|_, _| {}).unwrap();
        let order: Vec<(f64, Option<f64>)> = s.points.iter().map(|p| (p.value, p.value2)).collect();
        assert_eq!(
            order,
            vec![
                (0.5, Some(1.0)),
                (0.5, Some(2.0)),
                (1.5, Some(1.0)),
                (1.5, Some(2.0)),
                (2.5, Some(1.0)),
                (2.5, Some(2.0)),
            ]
        );
        let rows: Vec<Vec<f64>> = s
            .rows()
            .map(|r| r.iter().map(|p| p.value2.unwrap()).collect())
            .collect();
        assert_eq!(rows, vec![vec![1.0, 2.0]; 3]);
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let again = one.install(|| sweep(&m, &RunSettings::default(), &opts, &|_, _| {}));
        assert_eq!(again.unwrap(), s);
        // A one-parameter sweep has no second value and one point per row.
        let line = sweep(
            &m,
            &RunSettings::default(),
            &SweepOptions {
                second: None,
                ..opts
            },
            &|_, _| {},
        )
        .unwrap();
        assert!(line.points.iter().all(|p| p.value2.is_none()));
        assert_eq!(line.rows().count(), 3);
    }

    /// The grid is bounded by the product of its sides, checked before any allocation;
    /// missing, repeated or wrong second parameters are refused up front.
    #[test]
    fn grid_size_and_parameters_are_checked() {
        let m = mm1();
        let side = (MAX_SWEEP_POINTS as f64).sqrt() as usize + 1;
        let big = SweepOptions {
            values: vec![1.0; side],
            second: Some(SweepAxis::new("queue.q.servers", vec![1.0; side])),
            ..SweepOptions::default()
        };
        let e = sweep(&m, &RunSettings::default(), &big, &|_, _| {}).unwrap_err();
        assert!(
            matches!(e, SweepError::TooManyPoints { steps, .. } if steps == (side * side) as u64),
            "{e}"
        );
        assert!(e.to_string().contains("--steps2"), "{e}");
        let empty = SweepOptions {
            values: vec![1.0],
            second: Some(SweepAxis::new("queue.q.servers", vec![])),
            ..SweepOptions::default()
        };
        let e = sweep(&m, &RunSettings::default(), &empty, &|_, _| {}).unwrap_err();
        assert!(matches!(e, SweepError::NoSecondValues), "{e}");
        assert!(e.to_string().contains("--values2"), "{e}");
        let same = SweepOptions {
            parameter: "queue.q.servers".into(),
            values: vec![1.0],
            second: Some(SweepAxis::new("queue.q.consumers", vec![2.0])),
            ..SweepOptions::default()
        };
        let e = sweep(&m, &RunSettings::default(), &same, &|_, _| {}).unwrap_err();
        assert!(e.to_string().contains("two different parameters"), "{e}");
        let wrong = SweepOptions {
            values: vec![1.0],
            second: Some(SweepAxis::new("queue.nope.servers", vec![2.0])),
            ..SweepOptions::default()
        };
        let e = sweep(&m, &RunSettings::default(), &wrong, &|_, _| {}).unwrap_err();
        assert!(
            e.to_string().contains("queue.nope.servers") && e.to_string().contains("no queue"),
            "{e}"
        );
    }
}
