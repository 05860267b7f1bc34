//! The discrete-event simulator: runs the very [`Model`](crate::Model) the analytic side solves.
//!
//! It shows what formulas cannot: bursts (MMPP, time-varying profiles, trace replay),
//! finite buffers that reject or block, redeliveries and dead letters, topic fan-out to
//! many listener pools, and percentiles of waiting, sojourn and end-to-end latency.
//!
//! * [`simulate`] runs `settings.replications` independent replications in parallel
//!   (rayon) and returns a [`SimReport`]: every mean and percentile with a Student-t
//!   confidence interval across replications ([`Estimate`]).
//! * [`run_replication`] runs one replication; [`Replication`] steps one.
//! * Run control: stop at `horizon` seconds after warm-up, or after `completions`
//!   source messages are fully done, whichever comes first (1000 s when neither is
//!   set); warm-up deletion by time (`warmup`) and/or count (`warmup_completions`):
//!   statistics start once both are reached.
//! * Every run terminates: a count warm-up not reached by `warmup +`
//!   [`WARMUP_HORIZONS`]` × horizon` (or before events run out) is
//!   [`SimError::WarmupNotReached`]; a run without a horizon that passes
//!   [`STALL_EVENTS`] events with no message finishing while messages wait for full
//!   blocking queues is [`SimError::Stalled`]; a run with nothing left to happen
//!   (no arrivals, or windowed sources paused for good) ends there.
//! * Guarantees: simultaneous events are handled in the order they were scheduled;
//!   one seed gives bit-identical results whatever the number of threads; messages are
//!   conserved (`created = completed + in flight + rejected + dead-lettered`, per node
//!   and overall, see [`Conservation`]); percentiles come from log-bucketed histograms
//!   with relative error ≤ 1/128 ([`Histogram`]) and flat memory.
//!
//! The semantics of blocking, redelivery and priorities are described in
//! [`Replication`].
//!
//! # Example
//! ```
//! use kendall::model::{ArrivalProcess, Distribution, Model, Queue, RunSettings, Source};
//! let model = Model::default()
//!     .with_source(Source::new("in", ArrivalProcess::Poisson { rate: 5.0 }, "q"))
//!     .with_queue(Queue::new("q", 1, Distribution::Exponential { mean: 0.1 }));
//! let settings = RunSettings { horizon: Some(2000.0), warmup: 100.0, replications: 4, ..RunSettings::default() };
//! let report = kendall::sim::simulate(&model.validate().unwrap(), &settings).unwrap();
//! let l = report.queue("q").unwrap().l;
//! // M/M/1 with rho = 0.5: L = 1.
//! assert!((l.mean - 1.0).abs() < 0.2);
//! assert!(report.conservation.is_balanced());
//! ```

mod ack_timeout;
mod admission;
mod arena;
mod arrivals;
mod calendar;
mod consumer;
mod crash;
mod error;
mod estimate;
mod expiry;
mod finish;
mod histogram;
mod line;
mod memory;
mod overflow;
mod partition;
mod prepared;
mod queue_state;
mod rebalance;
mod replication;
mod replications;
mod report;
mod retry;
mod sampling;
mod seeding;
mod service;
mod source_state;
mod time_weighted;
mod warning;
mod welford;

pub use arrivals::{MAX_ARRIVALS, MAX_PHASE_SWITCHES, read_trace};
pub use calendar::Calendar;
pub use consumer::{ConsumerPoolReport, ConsumerPoolRun};
pub use error::SimError;
pub use estimate::Estimate;
pub use histogram::{Buckets, Histogram, RELATIVE_ERROR};
pub use memory::{BYTES_PER_MESSAGE, in_flight_cap};
pub use partition::{
    ConsumerReport, ConsumerRun, PARTITION_HISTOGRAMS, PartitionReport, PartitionRun,
    PartitionsReport, PartitionsRun,
};
pub use replication::{DEFAULT_HORIZON, Replication, STALL_EVENTS, WARMUP_HORIZONS};
pub use report::{
    Conservation, LatencyReport, LatencySummary, NodeCounts, PercentileReport, QueueReport,
    QueueRun, ReplicationResult, RetryReport, RetryRun, SeriesBucket, SimReport, SourceReport,
    SourceRun, TimeSeries,
};
pub use seeding::stream_seed;
pub use time_weighted::TimeIntegral;
pub use warning::{
    Evidence, GROWTH_SHARE, IN_FLIGHT_SHARE, MIN_TAIL_OBSERVATIONS, SHORT_HORIZON_FRACTION,
    SimWarning, WarningKind, relaxation_time, relaxation_time_with_arrivals,
};
pub use welford::Welford;

use crate::model::{RunSettings, ValidModel};

/// Simulates a validated model with `settings`: independent replications in parallel,
/// summarised with confidence intervals.
///
/// # Errors
/// [`SimError::Settings`] for bad settings,
/// trace-file errors, [`SimError::BacklogExceedsCapacity`].
///
/// # Example
/// See the [module documentation](self).
pub fn simulate(model: &ValidModel, settings: &RunSettings) -> Result<SimReport, SimError> {
    simulate_with_progress(model, settings, &|_, _| {})
}

/// As [`simulate`], calling `progress(done, total)` after each replication finishes
/// (from worker threads, in completion order).
///
/// # Errors
/// As [`simulate`].
///
/// # Example
/// ```
/// use kendall::model::{ArrivalProcess, Distribution, Model, Queue, RunSettings, Source};
/// use std::sync::atomic::{AtomicU32, Ordering};
/// let model = Model::default()
///     .with_source(Source::new("in", ArrivalProcess::Poisson { rate: 1.0 }, "q"))
///     .with_queue(Queue::new("q", 1, Distribution::Exponential { mean: 0.5 }));
/// let settings = RunSettings { horizon: Some(100.0), replications: 3, ..RunSettings::default() };
/// let calls = AtomicU32::new(0);
/// kendall::sim::simulate_with_progress(&model.validate().unwrap(), &settings, &|_, total| {
///     assert_eq!(total, 3);
///     calls.fetch_add(1, Ordering::Relaxed);
/// }).unwrap();
/// assert_eq!(calls.load(Ordering::Relaxed), 3);
/// ```
pub fn simulate_with_progress(
    model: &ValidModel,
    settings: &RunSettings,
    progress: &(dyn Fn(u32, u32) + Sync),
) -> Result<SimReport, SimError> {
    replications::run_all(model, settings, progress, None)
}

/// As [`simulate_with_progress`], and stops early once `stop` is set (from another
/// thread or a signal handler): every replication looks at the flag about every
/// million events, and the run then returns [`SimError::Cancelled`]. A run that is not
/// stopped gives exactly the report of [`simulate`].
///
/// # Errors
/// As [`simulate`], and [`SimError::Cancelled`].
///
/// # Example
/// ```
/// use kendall::model::{ArrivalProcess, Distribution, Model, Queue, RunSettings, Source};
/// use kendall::sim::{SimError, simulate_with_control};
/// use std::sync::atomic::AtomicBool;
/// let model = Model::default()
///     .with_source(Source::new("in", ArrivalProcess::Poisson { rate: 1.0 }, "q"))
///     .with_queue(Queue::new("q", 1, Distribution::Exponential { mean: 0.5 }))
///     .validate()
///     .unwrap();
/// let settings = RunSettings { horizon: Some(100.0), replications: 2, ..RunSettings::default() };
/// let go_on = AtomicBool::new(false);
/// let r = simulate_with_control(&model, &settings, &|_, _| {}, &go_on).unwrap();
/// assert_eq!(r, kendall::simulate(&model, &settings).unwrap());
/// let stopped = AtomicBool::new(true);
/// let e = simulate_with_control(&model, &settings, &|_, _| {}, &stopped).unwrap_err();
/// assert!(matches!(e, SimError::Cancelled));
/// ```
pub fn simulate_with_control(
    model: &ValidModel,
    settings: &RunSettings,
    progress: &(dyn Fn(u32, u32) + Sync),
    stop: &std::sync::atomic::AtomicBool,
) -> Result<SimReport, SimError> {
    replications::run_all(model, settings, progress, Some(stop))
}

/// Runs replications `range` (a part of `0..settings.replications`) in parallel and
/// returns their results in replication order: the part of a run one machine does when
/// the replications are split across several. Replication i depends on (seed, i) only,
/// so [`report_from_replications`] on the parts put back in order gives the report of
/// [`simulate`], bit for bit. `stop`, when set, cancels as in [`simulate_with_control`].
///
/// # Errors
/// As [`simulate`] (the error of the lowest failing replication), and
/// [`SimError::NoSuchReplication`] for a range beyond `settings.replications`.
///
/// # Example
/// ```
/// use kendall::model::{ArrivalProcess, Distribution, Model, Queue, RunSettings, Source};
/// use kendall::sim::{report_from_replications, simulate_replications};
/// let model = Model::default()
///     .with_source(Source::new("in", ArrivalProcess::Poisson { rate: 1.0 }, "q"))
///     .with_queue(Queue::new("q", 1, Distribution::Exponential { mean: 0.5 }))
///     .validate()
///     .unwrap();
/// let settings = RunSettings { horizon: Some(200.0), replications: 4, ..RunSettings::default() };
/// let mut runs = simulate_replications(&model, &settings, 0..1, None).unwrap();
/// runs.extend(simulate_replications(&model, &settings, 1..4, None).unwrap());
/// let merged = report_from_replications(&model, &settings, &runs).unwrap();
/// assert_eq!(merged, kendall::simulate(&model, &settings).unwrap());
/// ```
pub fn simulate_replications(
    model: &ValidModel,
    settings: &RunSettings,
    range: std::ops::Range<u32>,
    stop: Option<&std::sync::atomic::AtomicBool>,
) -> Result<Vec<ReplicationResult>, SimError> {
    if range.end > settings.replications {
        return Err(SimError::NoSuchReplication {
            replication: range.end - 1,
            replications: settings.replications,
        });
    }
    let prepared = prepared::Prepared::from_valid(model, settings)?;
    replications::run_range(&prepared, range, &|_, _| {}, stop)
        .into_iter()
        .collect()
}

/// The report of a run from the results of all its replications, `runs[i]` that of
/// replication i (from [`simulate_replications`], here or on other machines): equal to
/// [`simulate`]'s report for the same model and settings.
///
/// # Errors
/// [`SimError::NoSuchReplication`] unless `runs` holds replications 0, 1, …,
/// `settings.replications − 1` in order; the model's own errors as [`simulate`].
pub fn report_from_replications(
    model: &ValidModel,
    settings: &RunSettings,
    runs: &[ReplicationResult],
) -> Result<SimReport, SimError> {
    if let Some((i, r)) = runs
        .iter()
        .enumerate()
        .find(|(i, r)| r.replication as usize != *i)
    {
        return Err(SimError::NoSuchReplication {
            replication: r.replication,
            replications: i as u32,
        });
    }
    if runs.len() != settings.replications as usize {
        return Err(SimError::NoSuchReplication {
            replication: runs.len() as u32,
            replications: settings.replications,
        });
    }
    let prepared = prepared::Prepared::from_valid(model, settings)?;
    replications::summarise(model, settings, &prepared, runs)
}

/// Runs replication `replication` (0-based, below `settings.replications`) alone.
///
/// # Errors
/// As [`simulate`], and [`SimError::NoSuchReplication`] for an index out of range.
///
/// # Example
/// ```
/// use kendall::model::{ArrivalProcess, Distribution, Model, Queue, RunSettings, Source};
/// let model = Model::default()
///     .with_source(Source::new("in", ArrivalProcess::Poisson { rate: 1.0 }, "q"))
///     .with_queue(Queue::new("q", 1, Distribution::Exponential { mean: 0.5 }));
/// let settings = RunSettings { completions: Some(500), ..RunSettings::default() };
/// let valid = model.validate().unwrap();
/// let r = kendall::sim::run_replication(&valid, &settings, 2).unwrap();
/// assert_eq!(r.sources[0].finished, 500);
/// assert!(kendall::sim::run_replication(&valid, &settings, 10).is_err());
/// ```
pub fn run_replication(
    model: &ValidModel,
    settings: &RunSettings,
    replication: u32,
) -> Result<ReplicationResult, SimError> {
    if replication >= settings.replications {
        return Err(SimError::NoSuchReplication {
            replication,
            replications: settings.replications,
        });
    }
    let prepared = prepared::Prepared::from_valid(model, settings)?;
    replications::run_one(&prepared, replication, None)
}
