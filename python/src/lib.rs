//! `kendall._kendall`: the native half of the Python package.
//!
//! A thin layer over the `kendall` crate: a validated model, the five verbs, and the
//! results as the same JSON the command line prints (so Python, the CLI and Rust give
//! the same figures, bit for bit), plus the tidy rows, text tables, CSV and charts the
//! crate's `report` module draws. Long runs release the GIL, run on a worker thread,
//! and stop cleanly on Ctrl-C (the calling thread polls for signals every 50 ms and
//! sets the crate's stop flag). The Python-facing API is `kendall/__init__.py`.

use kendall::report::{self, tidy};
use kendall::{
    CompareError, Comparison, Model, ModelError, ModelSolution, RunSettings, SimError, SimReport,
    SizingError, SizingOptions, SizingResult, Slo, SolveError, Sweep, SweepError, SweepOptions,
    ValidModel,
};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

/// How often the calling thread looks for Ctrl-C and reports progress during a run.
const POLL: Duration = Duration::from_millis(50);

/// Raises the exception class `name` of `kendall.errors` with `message`, and the
/// validation problems (field path, what to fix) as its `problems` attribute.
fn raise(py: Python<'_>, name: &str, message: String, problems: Vec<(String, String)>) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let class = py.import("kendall.errors")?.getattr(name)?;
        let instance = class.call1((message.clone(),))?;
        instance.setattr("problems", problems.clone())?;
        Ok(PyErr::from_value(instance))
    };
    build().unwrap_or_else(|e| e)
}

/// The exception class for an error of the crate: the first error in the chain that
/// says what kind of failure it is decides (the same reading as the CLI's exit codes).
fn classify(e: &(dyn std::error::Error + 'static)) -> (&'static str, Vec<(String, String)>) {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cause {
        if let Some(m) = c.downcast_ref::<ModelError>() {
            let problems = match m {
                ModelError::Invalid(p) => {
                    p.0.iter()
                        .map(|p| (p.path.clone(), p.message.clone()))
                        .collect()
                }
                _ => Vec::new(),
            };
            return ("ValidationError", problems);
        }
        if let Some(s) = c.downcast_ref::<SimError>() {
            return match s {
                SimError::Model(_) => {
                    cause = c.source();
                    continue;
                }
                SimError::Settings(p) => (
                    "ValidationError",
                    p.0.iter()
                        .map(|p| (p.path.clone(), p.message.clone()))
                        .collect(),
                ),
                // Refused before running, as the CLI's exit code 2: settings to change.
                SimError::Trace { .. }
                | SimError::TraceIo { .. }
                | SimError::TooManyArrivals { .. }
                | SimError::MemoryLimit { .. }
                | SimError::BacklogExceedsCapacity { .. }
                | SimError::PhaseSwitching { .. } => ("ValidationError", Vec::new()),
                SimError::Unstable { .. } => ("UnstableError", Vec::new()),
                SimError::Cancelled => ("CancelledError", Vec::new()),
                _ => ("SimulationError", Vec::new()),
            };
        }
        if let Some(s) = c.downcast_ref::<SolveError>() {
            use kendall::analytic::AnalyticError as A;
            return match s {
                SolveError::Model(_) => {
                    cause = c.source();
                    continue;
                }
                SolveError::Analytic(
                    A::Unstable { .. } | A::UnstableBreakdown { .. } | A::HotPartition { .. },
                ) => ("UnstableError", Vec::new()),
                SolveError::Analytic(A::NoMethod { .. }) => ("NoMethodError", Vec::new()),
                _ => ("ValidationError", Vec::new()),
            };
        }
        if let Some(s) = c.downcast_ref::<SizingError>() {
            match s {
                SizingError::Unreachable { .. } | SizingError::Infeasible { .. } => {
                    return ("SloUnreachableError", Vec::new());
                }
                SizingError::Stopped { .. } => return ("CancelledError", Vec::new()),
                SizingError::NoSlo | SizingError::InvalidOption { .. } => {
                    return ("ValidationError", Vec::new());
                }
                _ => {}
            }
        }
        if let Some(s) = c.downcast_ref::<SweepError>() {
            match s {
                SweepError::Cancelled => return ("CancelledError", Vec::new()),
                SweepError::Parameter { path, reason } => {
                    return ("ValidationError", vec![(path.clone(), reason.clone())]);
                }
                _ => return ("ValidationError", Vec::new()),
            }
        }
        if let Some(p) = c.downcast_ref::<kendall::partial::PartialError>() {
            use kendall::partial::PartialError as P;
            return match p {
                P::Sim(SimError::Cancelled) => ("CancelledError", Vec::new()),
                P::Sim(_) | P::Failed { .. } => ("SimulationError", Vec::new()),
                _ => ("ValidationError", Vec::new()),
            };
        }
        if let Some(CompareError::Threshold { .. }) = c.downcast_ref::<CompareError>() {
            return ("ValidationError", Vec::new());
        }
        cause = c.source();
    }
    ("KendallError", Vec::new())
}

/// The Python exception for an error of the crate.
fn to_py<E: std::error::Error + 'static>(py: Python<'_>, e: E) -> PyErr {
    let (class, problems) = classify(&e);
    raise(py, class, e.to_string(), problems)
}

/// Runs `work` on a worker thread with the GIL released, while this thread wakes every
/// [`POLL`] to look for Ctrl-C (which sets the stop flag `work` watches) and to call
/// `progress(done, total)` when the count moved. A signal's exception is returned once
/// the worker has stopped.
fn interruptible<T: Send>(
    py: Python<'_>,
    progress: Option<&Bound<'_, PyAny>>,
    total: u32,
    work: impl FnOnce(&AtomicBool, &AtomicU32) -> T + Send,
) -> PyResult<T> {
    let stop = AtomicBool::new(false);
    let done = AtomicU32::new(0);
    let mut signal: Option<PyErr> = None;
    let mut shown = u32::MAX;
    let out = std::thread::scope(|scope| {
        let worker = scope.spawn(|| work(&stop, &done));
        loop {
            let finished = py.detach(|| {
                let until = std::time::Instant::now() + POLL;
                while std::time::Instant::now() < until {
                    if worker.is_finished() {
                        return true;
                    }
                    std::thread::sleep(Duration::from_millis(5));
                }
                worker.is_finished()
            });
            if signal.is_none()
                && let Err(e) = py.check_signals()
            {
                stop.store(true, Ordering::Relaxed);
                signal = Some(e);
            }
            let d = done.load(Ordering::Relaxed);
            if let Some(p) = progress
                && d != shown
                && signal.is_none()
            {
                shown = d;
                if let Err(e) = p.call1((d, total)) {
                    stop.store(true, Ordering::Relaxed);
                    signal = Some(e);
                }
            }
            if finished {
                break;
            }
        }
        worker.join()
    });
    let out = out.map_err(|_| PyValueError::new_err("kendall: the worker thread panicked"))?;
    match signal {
        Some(e) => Err(e),
        None => Ok(out),
    }
}

/// The run settings: the scenario's `[simulation]` table with the keys of
/// `overrides` (a JSON object, the same field names and units as the scenario file,
/// so `"12ms"` works) put over it, checked.
fn settings(py: Python<'_>, model: &Model, overrides: Option<&str>) -> PyResult<RunSettings> {
    let mut base = serde_json::to_value(&model.simulation)
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
    if let Some(text) = overrides {
        let extra: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| raise(py, "ValidationError", e.to_string(), Vec::new()))?;
        if let (Some(b), Some(x)) = (base.as_object_mut(), extra.as_object()) {
            for (k, v) in x {
                b.insert(k.clone(), v.clone());
            }
        }
    }
    let s: RunSettings = serde_json::from_value(base).map_err(|e| {
        raise(
            py,
            "ValidationError",
            format!("simulation settings: {e}"),
            vec![("simulation".into(), e.to_string())],
        )
    })?;
    let mut problems = Vec::new();
    s.check(&mut problems);
    if !problems.is_empty() {
        let list: Vec<(String, String)> = problems
            .iter()
            .map(|p| (p.path.clone(), p.message.clone()))
            .collect();
        let text = problems
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n");
        return Err(raise(
            py,
            "ValidationError",
            format!("invalid simulation settings:\n{text}"),
            list,
        ));
    }
    Ok(s)
}

/// SLOs in kendall's grammar; a bad one is a `ValidationError` naming it and how to
/// write one.
/// The heatmap's figure (`metric`, default the worst source's end-to-end p99), refused
/// when the swept model did not ask for it (a percentile level or tail threshold no
/// report carries).
fn parse_figure(
    py: Python<'_>,
    model: &kendall::Model,
    metric: Option<&str>,
) -> PyResult<kendall::model::Figure> {
    let Some(text) = metric else {
        return Ok(Default::default());
    };
    let figure: kendall::model::Figure = text
        .parse()
        .map_err(|e: String| raise(py, "ValidationError", e.clone(), vec![("metric".into(), e)]))?;
    if !model.queries.has(figure.metric) {
        let e = format!(
            "{figure}: the sweep was run without this figure: ask for it first, e.g. model.with_queries(percentiles=[...], at=[...])"
        );
        return Err(raise(
            py,
            "ValidationError",
            e.clone(),
            vec![("metric".into(), e)],
        ));
    }
    Ok(figure)
}

fn parse_slos(py: Python<'_>, slos: &[String]) -> PyResult<Vec<Slo>> {
    slos.iter()
        .map(|text| {
            text.parse().map_err(|e: String| {
                raise(
                    py,
                    "ValidationError",
                    format!("SLO {text:?}: {e}"),
                    vec![("slo".into(), e)],
                )
            })
        })
        .collect()
}

fn json<T: serde::Serialize>(value: &T) -> PyResult<String> {
    serde_json::to_string(value).map_err(|e| PyValueError::new_err(e.to_string()))
}

fn chart_err(py: Python<'_>, e: kendall::report::chart::ChartError) -> PyErr {
    raise(py, "KendallError", e.to_string(), Vec::new())
}

/// A validated model: sources, queues, topics, SLOs and simulation settings.
#[pyclass(name = "Model", module = "kendall._kendall", frozen)]
struct PyModel {
    valid: ValidModel,
}

impl PyModel {
    fn new(py: Python<'_>, model: Model) -> PyResult<Self> {
        Ok(Self {
            valid: model.validate().map_err(|e| to_py(py, e))?,
        })
    }
}

#[pymethods]
impl PyModel {
    /// Reads and validates a scenario file (.toml or .json).
    #[staticmethod]
    fn load(py: Python<'_>, path: std::path::PathBuf) -> PyResult<Self> {
        let model = Model::load(&path).map_err(|e| to_py(py, e))?;
        Self::new(py, model)
    }

    /// Parses and validates a scenario written in TOML.
    #[staticmethod]
    fn from_toml(py: Python<'_>, text: &str) -> PyResult<Self> {
        let model = Model::from_toml_str(text).map_err(|e| to_py(py, e))?;
        Self::new(py, model)
    }

    /// Parses and validates a scenario written in JSON (the scenario file's fields).
    #[staticmethod]
    fn from_json(py: Python<'_>, text: &str) -> PyResult<Self> {
        let model = Model::from_json_str(text).map_err(|e| to_py(py, e))?;
        Self::new(py, model)
    }

    /// The scenario as JSON (every field, defaults filled in).
    fn to_json(&self) -> PyResult<String> {
        json(self.valid.model())
    }

    /// The scenario as TOML.
    fn to_toml(&self) -> PyResult<String> {
        self.valid
            .model()
            .to_toml_string()
            .map_err(|e| PyValueError::new_err(e.to_string()))
    }

    /// The model's name, if it has one.
    #[getter]
    fn name(&self) -> Option<String> {
        self.valid.model().name.clone()
    }

    /// Queue names, in model order.
    #[getter]
    fn queues(&self) -> Vec<String> {
        self.valid
            .model()
            .queues
            .iter()
            .map(|q| q.name.clone())
            .collect()
    }

    /// Source names, in model order.
    #[getter]
    fn sources(&self) -> Vec<String> {
        self.valid
            .model()
            .sources
            .iter()
            .map(|s| s.name.clone())
            .collect()
    }

    /// Topic names, in model order.
    #[getter]
    fn topics(&self) -> Vec<String> {
        self.valid
            .model()
            .topics
            .iter()
            .map(|t| t.name.clone())
            .collect()
    }

    /// The SLOs of the scenario, as written.
    #[getter]
    fn slos(&self) -> Vec<String> {
        self.valid
            .model()
            .slo
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    /// The same model with every arrival rate multiplied by `factor`.
    fn with_load(&self, py: Python<'_>, factor: f64) -> PyResult<Self> {
        Ok(Self {
            valid: self
                .valid
                .with_load_multiplier(factor)
                .map_err(|e| to_py(py, e))?,
        })
    }

    /// The same model asking for more distribution figures: `queries_json` is a
    /// `[queries]` table as JSON (`{"percentiles": [99.95], "at": ["50ms"]}`).
    fn with_queries(&self, py: Python<'_>, queries_json: &str) -> PyResult<Self> {
        let q: kendall::model::Queries = serde_json::from_str(queries_json)
            .map_err(|e| raise(py, "ValidationError", format!("queries: {e}"), Vec::new()))?;
        Ok(Self {
            valid: self.valid.with_queries(&q).map_err(|e| to_py(py, e))?,
        })
    }

    /// The same model with one parameter set (the paths of `kendall sweep --param`:
    /// `load`, `queue.<name>.consumers`, `source.<name>.rate`, `simulation.horizon`, …).
    fn with_parameter(&self, py: Python<'_>, path: &str, value: f64) -> PyResult<Self> {
        Ok(Self {
            valid: kendall::with_parameter(&self.valid, path, value).map_err(|e| to_py(py, e))?,
        })
    }

    /// The run settings this model simulates with, after `overrides` (JSON), as JSON.
    #[pyo3(signature = (overrides=None))]
    fn settings(&self, py: Python<'_>, overrides: Option<&str>) -> PyResult<String> {
        json(&settings(py, self.valid.model(), overrides)?)
    }

    /// Analytic solution.
    fn solve(&self, py: Python<'_>) -> PyResult<PyOutcome> {
        let valid = &self.valid;
        let s = py
            .detach(|| kendall::solve(valid))
            .map_err(|e| to_py(py, e))?;
        Ok(PyOutcome::new(Outcome::Solution(s)))
    }

    /// Simulation with the settings after `overrides`.
    #[pyo3(signature = (overrides=None, progress=None))]
    fn simulate(
        &self,
        py: Python<'_>,
        overrides: Option<&str>,
        progress: Option<Bound<'_, PyAny>>,
    ) -> PyResult<PyOutcome> {
        let s = settings(py, self.valid.model(), overrides)?;
        let valid = &self.valid;
        let r = interruptible(py, progress.as_ref(), s.replications, |stop, done| {
            kendall::sim::simulate_with_control(
                valid,
                &s,
                &|d, _| {
                    done.store(d, Ordering::Relaxed);
                },
                stop,
            )
        })?
        .map_err(|e| to_py(py, e))?;
        Ok(PyOutcome::new(Outcome::Simulation(Box::new(r))))
    }

    /// Analytic against simulated, side by side.
    #[pyo3(signature = (overrides=None, threshold=None, progress=None))]
    fn compare(
        &self,
        py: Python<'_>,
        overrides: Option<&str>,
        threshold: Option<f64>,
        progress: Option<Bound<'_, PyAny>>,
    ) -> PyResult<PyOutcome> {
        let s = settings(py, self.valid.model(), overrides)?;
        let threshold = threshold.unwrap_or(kendall::DEFAULT_FLAG_THRESHOLD);
        let valid = &self.valid;
        let c = interruptible(py, progress.as_ref(), s.replications, |stop, done| {
            kendall::compare_with_control(
                valid,
                &s,
                threshold,
                &|d, _| done.store(d, Ordering::Relaxed),
                stop,
            )
        })?
        .map_err(|e| to_py(py, e))?;
        Ok(PyOutcome::new(Outcome::Comparison(Box::new(c))))
    }

    /// The cheapest deployment meeting `slos` (strings in the SLO grammar, added to the
    /// scenario's own), verified by simulation unless `verify` is false.
    /// `simulator`, when given, runs every simulation of the search: called with the
    /// job's JSON (a `simulate` job, as `job_units`/`run_shard` take), it returns the
    /// report's JSON (as `merge` gives it), e.g. from shards run on a Dask cluster.
    #[pyo3(signature = (slos, overrides=None, queues=Vec::new(), verify=true, time_limit=None, progress=None, simulator=None))]
    #[allow(clippy::too_many_arguments)]
    fn size(
        &self,
        py: Python<'_>,
        slos: Vec<String>,
        overrides: Option<&str>,
        queues: Vec<String>,
        verify: bool,
        time_limit: Option<f64>,
        progress: Option<Bound<'_, PyAny>>,
        simulator: Option<Bound<'_, PyAny>>,
    ) -> PyResult<PyOutcome> {
        let parsed = parse_slos(py, &slos)?;
        let mut model = self.valid.model().clone();
        model.simulation = settings(py, &model, overrides)?;
        let valid = Self::new(py, model)?.valid;
        let options = SizingOptions {
            sizable: queues,
            verify,
            time_limit,
            ..Default::default()
        };
        let simulator = simulator.map(Bound::unbind);
        let r = interruptible(py, progress.as_ref(), 0, |stop, done| {
            let control = |p: &kendall::SizingProgress<'_>| {
                done.store(p.analytic_solves + p.simulations, Ordering::Relaxed);
                if stop.load(Ordering::Relaxed) {
                    kendall::Control::Stop
                } else {
                    kendall::Control::Continue
                }
            };
            let elsewhere = |m: &ValidModel, s: &RunSettings| -> Result<SimReport, SimError> {
                let Some(callable) = &simulator else {
                    return kendall::simulate(m, s);
                };
                let job = kendall::partial::Job::Simulate {
                    model: m.model().clone(),
                    settings: s.clone(),
                };
                let text =
                    serde_json::to_string(&job).map_err(|e| SimError::Elsewhere(e.to_string()))?;
                let report = Python::attach(|py| {
                    callable
                        .call1(py, (text,))
                        .and_then(|r| r.extract::<String>(py))
                        .map_err(|e| e.to_string())
                })
                .map_err(SimError::Elsewhere)?;
                serde_json::from_str(&report).map_err(|e| {
                    SimError::Elsewhere(format!("the simulator returned no report: {e}"))
                })
            };
            kendall::size_with_simulator(&valid, &parsed, &options, &control, &elsewhere)
        })?
        .map_err(|e| to_py(py, e))?;
        Ok(PyOutcome::new(Outcome::Sizing(r)))
    }

    /// `parameter` over `values` (and, with `parameter2`, every pair with `values2`):
    /// analytic at each point, and simulated when `simulate`.
    #[pyo3(signature = (parameter, values, simulate=false, overrides=None, progress=None, parameter2=None, values2=Vec::new()))]
    #[allow(clippy::too_many_arguments)]
    fn sweep(
        &self,
        py: Python<'_>,
        parameter: String,
        values: Vec<f64>,
        simulate: bool,
        overrides: Option<&str>,
        progress: Option<Bound<'_, PyAny>>,
        parameter2: Option<String>,
        values2: Vec<f64>,
    ) -> PyResult<PyOutcome> {
        let s = settings(py, self.valid.model(), overrides)?;
        let options = SweepOptions {
            parameter,
            values,
            second: parameter2.map(|p| kendall::SweepAxis::new(p, values2)),
            analytic: true,
            simulate,
        };
        let valid = &self.valid;
        let total = options.points().min(u32::MAX as usize) as u32;
        let r = interruptible(py, progress.as_ref(), total, |stop, done| {
            kendall::sweep_with_control(
                valid,
                &s,
                &options,
                &|d, _| done.store(d, Ordering::Relaxed),
                stop,
            )
        })?
        .map_err(|e| to_py(py, e))?;
        Ok(PyOutcome::new(Outcome::Sweep(
            Box::new(self.valid.model().clone()),
            r,
        )))
    }

    /// The job `simulate(overrides)` would run, as JSON: for `run_shard` and `merge`,
    /// which split it across processes or machines.
    #[pyo3(signature = (overrides=None))]
    fn simulate_job(&self, py: Python<'_>, overrides: Option<&str>) -> PyResult<String> {
        let settings = settings(py, self.valid.model(), overrides)?;
        json(&kendall::partial::Job::Simulate {
            model: self.valid.model().clone(),
            settings,
        })
    }

    /// The job `sweep(..., simulate=True)` would run, as JSON (see `simulate_job`).
    #[pyo3(signature = (parameter, values, overrides=None, parameter2=None, values2=Vec::new()))]
    fn sweep_job(
        &self,
        py: Python<'_>,
        parameter: String,
        values: Vec<f64>,
        overrides: Option<&str>,
        parameter2: Option<String>,
        values2: Vec<f64>,
    ) -> PyResult<String> {
        let settings = settings(py, self.valid.model(), overrides)?;
        json(&kendall::partial::Job::Sweep {
            model: self.valid.model().clone(),
            settings,
            options: SweepOptions {
                parameter,
                values,
                second: parameter2.map(|p| kendall::SweepAxis::new(p, values2)),
                analytic: true,
                simulate: true,
            },
        })
    }

    /// Every figure of this model (`self`, "a") and `other` ("b") side by side, and the
    /// SLOs (the scenarios' own and `slos`) that flip.
    #[pyo3(signature = (other, slos=Vec::new()))]
    fn diff(&self, py: Python<'_>, other: &PyModel, slos: Vec<String>) -> PyResult<String> {
        let parsed = parse_slos(py, &slos)?;
        let d = py
            .detach(|| kendall::diff(&self.valid, &other.valid, &parsed))
            .map_err(|e| to_py(py, e))?;
        json(&d)
    }
}

enum Outcome {
    Solution(ModelSolution),
    Simulation(Box<SimReport>),
    Comparison(Box<Comparison>),
    Sizing(SizingResult),
    Sweep(Box<Model>, Sweep),
}

/// The result of a verb: its JSON (as the CLI prints it), tidy rows, text, CSV, chart.
#[pyclass(name = "Outcome", module = "kendall._kendall", frozen)]
struct PyOutcome {
    outcome: Outcome,
}

impl PyOutcome {
    fn new(outcome: Outcome) -> Self {
        Self { outcome }
    }
}

#[pymethods]
impl PyOutcome {
    /// `solution`, `simulation`, `comparison`, `sizing` or `sweep`.
    #[getter]
    fn kind(&self) -> &'static str {
        match &self.outcome {
            Outcome::Solution(_) => "solution",
            Outcome::Simulation(_) => "simulation",
            Outcome::Comparison(_) => "comparison",
            Outcome::Sizing(_) => "sizing",
            Outcome::Sweep(..) => "sweep",
        }
    }

    /// The result as JSON: exactly what `kendall <verb> --format json` prints.
    fn json(&self) -> PyResult<String> {
        match &self.outcome {
            Outcome::Solution(s) => json(s),
            Outcome::Simulation(s) => json(s),
            Outcome::Comparison(s) => json(s),
            Outcome::Sizing(s) => json(s),
            Outcome::Sweep(_, s) => json(s),
        }
    }

    /// The tidy long-form rows (`kendall::report::tidy`) as JSON.
    fn tidy(&self) -> PyResult<String> {
        json(&match &self.outcome {
            Outcome::Solution(s) => tidy::solution_rows(s),
            Outcome::Simulation(s) => tidy::simulation_rows(s),
            Outcome::Comparison(s) => tidy::comparison_rows(s),
            Outcome::Sizing(s) => tidy::sizing_rows(s),
            Outcome::Sweep(_, s) => tidy::sweep_rows(s),
        })
    }

    /// The text table `kendall <verb>` prints.
    fn text(&self) -> String {
        match &self.outcome {
            Outcome::Solution(s) => report::solution_text(s),
            Outcome::Simulation(s) => report::simulation_text(s),
            Outcome::Comparison(c) => {
                report::comparison_table(c).to_text()
                    + "\nmethods:\n"
                    + &report::comparison_methods(c)
                    + &report::comparison_summary(c)
            }
            Outcome::Sizing(s) => report::sizing_text(s),
            Outcome::Sweep(_, s) => report::sweep_text(s),
        }
    }

    /// The CSV `kendall <verb> --format csv` prints.
    fn csv(&self) -> String {
        match &self.outcome {
            Outcome::Solution(s) => report::solution_table(s).to_csv(),
            Outcome::Simulation(s) => report::simulation_table(s).to_csv(),
            Outcome::Comparison(c) => report::comparison_csv(c),
            Outcome::Sizing(s) => report::sizing_csv(s),
            Outcome::Sweep(_, s) => report::sweep_csv(s),
        }
    }

    /// The chart kendall draws for this result, as SVG text: latency against the swept
    /// parameter (sweep) or a heatmap of the p99 (two-parameter sweep), consumers against
    /// the SLO (sizing), or the time series (a simulation run with `time_series`). `slos`
    /// are drawn on the time series and hatch the heatmap where not met.
    #[pyo3(signature = (slos=Vec::new(), metric=None))]
    fn svg(&self, py: Python<'_>, slos: Vec<String>, metric: Option<String>) -> PyResult<String> {
        use kendall::report::{chart, plots};
        match &self.outcome {
            Outcome::Sweep(model, s) if s.second.is_some() => {
                let parsed = parse_slos(py, &slos)?;
                let figure = parse_figure(py, model, metric.as_deref())?;
                let c = plots::sweep_heatmap(model, s, &figure, &parsed)
                    .map_err(|e| chart_err(py, e))?;
                chart::heatmap_svg(&c).map_err(|e| chart_err(py, e))
            }
            Outcome::Sweep(model, s) => {
                chart::latency_load_svg(&plots::sweep_chart(model, s)).map_err(|e| chart_err(py, e))
            }
            Outcome::Sizing(s) => {
                let c = plots::sizing_chart(s).ok_or_else(|| {
                    raise(
                        py,
                        "ValidationError",
                        "no latency SLO to chart: size with one such as \"end_to_end.p99 < 200ms\""
                            .into(),
                        Vec::new(),
                    )
                })?;
                chart::sizing_svg(&c).map_err(|e| chart_err(py, e))
            }
            Outcome::Simulation(r) => {
                let parsed = parse_slos(py, &slos)?;
                let c = plots::time_series_chart(r, &parsed).map_err(|e| chart_err(py, e))?;
                chart::time_series_svg(&c).map_err(|e| chart_err(py, e))
            }
            _ => Err(raise(
                py,
                "ValidationError",
                format!(
                    "kendall draws no chart of a {}: chart a sweep, a sizing or a simulation with time_series",
                    self.kind()
                ),
                Vec::new(),
            )),
        }
    }
}

/// Parses one SLO (`"end_to_end.p99 < 200ms"`): JSON of `text` (as kendall writes it),
/// `target`, `metric`, `op` and `limit` (seconds for times).
#[pyfunction]
fn parse_slo(py: Python<'_>, text: &str) -> PyResult<String> {
    let slo: Slo = text
        .parse()
        .map_err(|e: String| raise(py, "ValidationError", e, vec![("slo".into(), text.into())]))?;
    let canonical = slo.to_string();
    json(&serde_json::json!({
        "text": canonical,
        "target": canonical.split('.').next().unwrap_or_default(),
        "metric": slo.metric.name(),
        "op": slo.op,
        "limit": slo.limit,
    }))
}

/// The JSON Schema of an output (`solve`, `simulate`, `compare`, `size`, `sweep`,
/// `diff`), as `kendall schema <output>` prints it.
#[pyfunction]
fn schema(py: Python<'_>, output: &str) -> PyResult<String> {
    use kendall::report::schema::{Output, json_schema};
    let Some(o) = Output::from_name(output) else {
        let names: Vec<&str> = Output::ALL.iter().map(|o| o.name()).collect();
        return Err(raise(
            py,
            "ValidationError",
            format!(
                "no output named {output:?}: use one of {}",
                names.join(", ")
            ),
            Vec::new(),
        ));
    };
    json(&json_schema(o))
}

fn parse_job(py: Python<'_>, job: &str) -> PyResult<kendall::partial::Job> {
    serde_json::from_str(job).map_err(|e| {
        raise(
            py,
            "ValidationError",
            format!("not a kendall job (from Model.simulate_job or Model.sweep_job): {e}"),
            Vec::new(),
        )
    })
}

/// The units of work of a job (replications, over every point of a sweep): what
/// `run_shard` splits.
#[pyfunction]
fn job_units(py: Python<'_>, job: &str) -> PyResult<u64> {
    let job = parse_job(py, job)?;
    py.detach(|| job.units()).map_err(|e| to_py(py, e))
}

/// Runs shard `k` of `n` (1-based) of `job` and returns its partial (the `.kpart`
/// text). Releases the GIL while it runs (all cores, as `simulate`).
#[pyfunction]
fn run_shard(py: Python<'_>, job: &str, k: u32, n: u32) -> PyResult<String> {
    let job = parse_job(py, job)?;
    py.detach(|| kendall::partial::run_shard(&job, k, n, None).and_then(|p| p.to_json()))
        .map_err(|e| to_py(py, e))
}

/// Runs units `[first, end)` of `job` (any split; see `job_units`) and returns its
/// partial. Releases the GIL while it runs.
#[pyfunction]
fn run_units(py: Python<'_>, job: &str, first: u64, end: u64) -> PyResult<String> {
    let job = parse_job(py, job)?;
    py.detach(|| kendall::partial::run_units(&job, first, end, None).and_then(|p| p.to_json()))
        .map_err(|e| to_py(py, e))
}

/// Merges the partials of one job (any order) into its result: the `Simulation` or
/// `Sweep` the run in one process gives, bit for bit. Refuses partials of another
/// model, seed or run, damaged or edited ones, and missing or repeated shards.
#[pyfunction]
fn merge(py: Python<'_>, parts: Vec<String>) -> PyResult<PyOutcome> {
    let named: Vec<(String, &str)> = parts
        .iter()
        .enumerate()
        .map(|(i, t)| (format!("#{}", i + 1), t.as_str()))
        .collect();
    let merged = py
        .detach(|| kendall::partial::merge_named(&named))
        .map_err(|e| to_py(py, e))?;
    Ok(PyOutcome::new(match merged {
        (kendall::partial::Merged::Simulation(r), _) => Outcome::Simulation(r),
        (kendall::partial::Merged::Sweep(s), job) => {
            let kendall::partial::Job::Sweep { model, .. } = job else {
                return Err(PyValueError::new_err("a merged sweep's job is a sweep"));
            };
            Outcome::Sweep(Box::new(model), s)
        }
    }))
}

/// The version of the kendall crate inside this package.
#[pyfunction]
fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

#[pymodule]
fn _kendall(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyModel>()?;
    m.add_class::<PyOutcome>()?;
    m.add_function(wrap_pyfunction!(parse_slo, m)?)?;
    m.add_function(wrap_pyfunction!(schema, m)?)?;
    m.add_function(wrap_pyfunction!(version, m)?)?;
    m.add_function(wrap_pyfunction!(job_units, m)?)?;
    m.add_function(wrap_pyfunction!(run_shard, m)?)?;
    m.add_function(wrap_pyfunction!(run_units, m)?)?;
    m.add_function(wrap_pyfunction!(merge, m)?)?;
    Ok(())
}
