//! # kendall
//!
//! Queueing-theory capacity modelling for message-queue and event-driven systems:
//! producers, broker queues with consumer pools, topics fanning out to listener pools.
//!
//! **One model, two engines.** Describe the deployment once as a [`Model`] (in Rust or
//! a TOML/JSON scenario file), [`validate`](Model::validate) it once into a
//! [`ValidModel`], then:
//!
//! | verb | answers | result |
//! |---|---|---|
//! | [`solve`] | every queue by the most exact analytic method that applies, each figure labelled with its [`Method`](analytic::Method) | [`ModelSolution`] |
//! | [`simulate`] | the same model by discrete-event simulation, every figure with a confidence interval | [`SimReport`] |
//! | [`compare`] | both side by side: relative error, whether the analytic value is in the interval | [`Comparison`] |
//! | [`size`] | the cheapest consumers per queue meeting the SLOs, verified by simulation | [`SizingResult`] |
//! | [`sweep`] | any of these over a range of load or of one parameter, or a grid of two | [`Sweep`] |
//!
//! Every figure is named by one [`Metric`] (`W`, `Wq`, `p99`, `wait.p99`, `P(block)`,
//! ...): the SLO grammar, [`NodeResult::get`], [`QueueReport::get`](sim::QueueReport::get),
//! compare rows, CSV and charts all use the same names.
//!
//! The modules hold the details: [`model`] (the description, validation, SLOs),
//! [`analytic`] (single-queue formulas, networks, closed networks, Markov chains),
//! [`sim`] (the simulator and its statistics) and [`report`] (tables, CSV, and with the
//! `charts` feature, SVG/PNG charts).
//!
//! # Features
//! - `charts` (default): [`report::chart`] and [`report::plots`] with plotters and an
//!   embedded font.
//! - `cli` (default): the `kendall` binary (clap, anyhow, indicatif); implies `charts`.
//!
//! With `default-features = false` the library builds with neither.
//!
//! # Example
//! A payment queue feeding a ledger queue, built in Rust, solved, simulated and compared:
//! ```
//! use kendall::model::{ArrivalProcess, Distribution, Queue, Route, Source};
//! use kendall::{DEFAULT_FLAG_THRESHOLD, Metric, Model, RunSettings, compare, simulate, solve};
//!
//! let model = Model::default()
//!     .with_source(Source::new("checkout", ArrivalProcess::Poisson { rate: 80.0 }, "payments"))
//!     .with_queue(
//!         Queue::new("payments", 2, Distribution::Exponential { mean: 0.01 })
//!             .with_route(Route::To("ledger".into())),
//!     )
//!     .with_queue(Queue::new("ledger", 1, Distribution::Exponential { mean: 0.005 }))
//!     .validate()
//!     .unwrap();
//!
//! // Analytic: M/M/2 then M/M/1 (a Jackson tandem), exact.
//! let solution = solve(&model).unwrap();
//! let ledger = solution.node("ledger").unwrap();
//! assert!((ledger.get(Metric::Utilisation).unwrap() - 0.4).abs() < 1e-12);
//! // M/M/1 at rho = 0.4: W = 1 / (mu - lambda) = 1 / 120 s.
//! assert!((ledger.get(Metric::MeanSojourn).unwrap() - 1.0 / 120.0).abs() < 1e-12);
//!
//! // Simulated: the same figure with a 95% confidence interval.
//! let settings = RunSettings { horizon: Some(200.0), warmup: 10.0, replications: 4, ..RunSettings::default() };
//! let report = simulate(&model, &settings).unwrap();
//! let w = report.queue("ledger").unwrap().get(Metric::MeanSojourn).unwrap();
//! assert!((w.mean - 1.0 / 120.0).abs() < 0.001);
//!
//! // Side by side.
//! let c = compare(&model, &settings, DEFAULT_FLAG_THRESHOLD, &|_, _| {}).unwrap();
//! let row = c.rows.iter().find(|r| r.node == "ledger" && r.metric == Metric::MeanSojourn).unwrap();
//! assert!(row.relative_error.unwrap().abs() < 0.15);
//! ```

#![warn(missing_docs)]

pub mod analytic;
mod compare;
mod diff;
pub mod model;
pub mod partial;
pub mod report;
pub mod sim;
mod sizing;
mod sweep;

pub use analytic::{ModelSolution, NodeOutcome, NodeResult, SolveError, solve};
pub use compare::{
    CompareError, Comparison, ComparisonRow, DEFAULT_FLAG_THRESHOLD, MIN_COMPARE_SAMPLES, compare,
    compare_reports, compare_with_control,
};
pub use diff::{Diff, DiffRow, SloChange, diff};
pub use model::{Level, Metric, Model, ModelError, RunSettings, SCHEMA_VERSION, Slo, ValidModel};
pub use sim::{SimError, SimReport, simulate};
pub use sizing::{
    BoundReason, Consumers, Control, CurvePoint, Drain, Headroom, MAX_GREEDY_STEPS, SizingError,
    SizingNote, SizingOptions, SizingPhase, SizingProgress, SizingResult, SizingSimulator,
    SloEvidence, StopReason, Verdict, size, size_with_progress, size_with_simulator,
};
pub use sweep::{
    MAX_SWEEP_POINTS, SWEEP_QUEUE_METRICS, Sweep, SweepAxis, SweepError, SweepOptions, SweepPoint,
    linspace, sweep, sweep_with_control, with_parameter,
};
