//! Sweeps: metrics over a range of load, or of any one numeric parameter of the model.
//!
//! The parameter is `load` (a multiplier of every source's rate) or a path into the
//! scenario, written with the same field names as the scenario file:
//! `queue.<name>.<field>[.<field>...]` (e.g. `queue.payments.servers`,
//! `queue.payments.service.mean`), `source.<name>.<field>...` (e.g.
//! `source.checkout.arrival.rate`), or `simulation.<field>`. Times are seconds. Each
//! point is solved analytically and/or simulated; points run in parallel (rayon), and a
//! point that fails (an invalid value, an unstable node) records its error instead of
//! stopping the sweep.

use crate::analytic::{ModelSolution, solve};
use crate::model::{Metric, Model, RunSettings, ValidModel};
use crate::sim::{SimReport, simulate, simulate_with_control};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::atomic::{AtomicBool, Ordering};

/// What to vary and how to evaluate each point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SweepOptions {
    /// `load` or a parameter path.
    pub parameter: String,
    /// The values to try.
    pub values: Vec<f64>,
    /// Solve each point analytically.
    pub analytic: bool,
    /// Simulate each point.
    pub simulate: bool,
}

/// One point of a sweep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SweepPoint {
    /// The parameter's value.
    pub value: f64,
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
    /// The points, in the order of the values.
    pub points: Vec<SweepPoint>,
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
    /// More points than [`MAX_SWEEP_POINTS`]; refused before anything is allocated.
    #[error(
        "{steps} sweep points (--steps or --values) is more than the {max} a sweep may hold (each point keeps its solution and report in memory, a few kilobytes to a megabyte): sweep a narrower range, or split the sweep"
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
/// let opts = SweepOptions { parameter: "load".into(), values: vec![0.5, 1.0, 1.3], analytic: true, simulate: false };
/// let s = sweep(&m, &m.model().simulation, &opts, &|_, _| {}).unwrap();
/// assert!(s.points[2].analytic.as_ref().unwrap().nodes[0].unstable_utilisation().is_some()); // rho = 1.04
/// ```
pub fn sweep(
    model: &ValidModel,
    settings: &RunSettings,
    options: &SweepOptions,
    progress: &(dyn Fn(u32, u32) + Sync),
) -> Result<Sweep, SweepError> {
    sweep_points(model, settings, options, progress, None)
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
/// let options = SweepOptions { parameter: "load".into(), values: vec![0.5, 0.9], analytic: true, simulate: false };
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
    sweep_points(model, settings, options, progress, Some(stop))
}

fn sweep_points(
    model: &ValidModel,
    settings: &RunSettings,
    options: &SweepOptions,
    progress: &(dyn Fn(u32, u32) + Sync),
    stop: Option<&AtomicBool>,
) -> Result<Sweep, SweepError> {
    let stopped = || stop.is_some_and(|s| s.load(Ordering::Relaxed));
    if options.values.is_empty() {
        return Err(SweepError::NoValues);
    }
    check_points(options.values.len())?;
    // Fail early on a wrong path.
    with_parameter(model, &options.parameter, options.values[0])?;
    settings_at(settings, &options.parameter, options.values[0])?;
    let total = options.values.len() as u32;
    let done = std::sync::atomic::AtomicU32::new(0);
    let points = options
        .values
        .par_iter()
        .map(|&value| {
            let mut point = SweepPoint {
                value,
                analytic: None,
                simulated: None,
                error: None,
            };
            if stopped() {
                return point;
            }
            let at = with_parameter(model, &options.parameter, value)
                .and_then(|m| Ok((m, settings_at(settings, &options.parameter, value)?)));
            match at {
                Err(e) => point.error = Some(e.to_string()),
                Ok((m, settings)) => {
                    if options.analytic {
                        match solve(&m) {
                            Ok(s) => point.analytic = Some(s),
                            Err(e) => point.error = Some(e.to_string()),
                        }
                    }
                    if options.simulate {
                        let run = match stop {
                            None => simulate(&m, &settings),
                            Some(stop) => simulate_with_control(&m, &settings, &|_, _| {}, stop),
                        };
                        match run {
                            Ok(r) => point.simulated = Some(r),
                            Err(e) => point.error = Some(e.to_string()),
                        }
                    }
                }
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
        points,
    })
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
    use crate::model::{ArrivalProcess, Distribution, Queue, Source};

    fn mm1() -> ValidModel {
        Model::default()
            .with_source(Source::new(
                "in",
                ArrivalProcess::Poisson { rate: 1.0 },
                "q",
            ))
            .with_queue(Queue::new("q", 1, Distribution::Exponential { mean: 0.5 }))
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
