//! Sizing: the smallest (or cheapest) deployment that meets every SLO, with evidence.
//!
//! [`size`] runs one phase after the other (each a method of the crate-private
//! `Search`, in a file named after it):
//! 1. **Floors** (`search.rs`). Every sizable queue starts at the fewest consumers that
//!    keep it stable, and at least its `consumers >=` floor.
//! 2. **Greedy analytic search** (`search.rs`). While an SLO is missed, the consumer is
//!    added where it buys the largest reduction of the total relative shortfall per unit
//!    of `cost_per_consumer` (greedy marginal gain; adding a consumer never makes a
//!    figure worse, so the search only moves up).
//! 3. **Pruning** (`search.rs`). Any consumer whose removal keeps every SLO met is
//!    removed, most expensive queue first.
//! 4. **Verification by simulation** (`verify.rs`). The deployment is simulated with the
//!    model's run settings. An SLO is *met* when its whole confidence interval is on the
//!    right side of the limit, *violated* when it is wholly on the wrong side, otherwise
//!    *undecided* and the replications are doubled (up to `max_replications`): a
//!    confidence-interval stopping rule. When the simulation shows an SLO violated the
//!    result says so, adds a consumer at the queue behind it, and verifies again; an SLO
//!    with no analytic figure is sized by a simulation-only search instead.
//! 5. **Evidence, drains, headroom, curve** (`evidence.rs`, `headroom.rs`). Each SLO's
//!    analytic and simulated figures; drain times of start-up backlogs; the largest
//!    multiplier of every source's rate for which the chosen deployment still meets the
//!    SLOs (analytic, bisection), with the SLO and queue that break first; consumers
//!    against the primary latency SLO.
//!
//! Every analytic figure comes from a memo of full solves keyed by the consumers vector
//! (and load multiplier), so no deployment is solved twice; the number of solves made
//! is [`SizingResult::analytic_solves`]. What happened on the way is a list of typed
//! [`SizingNote`]s.
//!
//! Time-varying profiles are sized at their peak rate (the pointwise stationary
//! approximation, flagged by [`SloEvidence::psa`] and [`SizingNote::PeakRate`]) and
//! verified by simulating the peak rate held steady — the worst point of the day,
//! conservatively for peaks shorter than the queue's relaxation time; `kendall simulate
//! --plot` shows the real profile over time. Queues with a start-up backlog get a
//! drain-time estimate (fluid: backlog / spare capacity) and the simulated drain time.

mod bound;
mod control;
mod evaluate;
mod evaluation;
mod evidence;
mod headroom;
mod note;
mod search;
mod verify;

use crate::analytic::{Method, SolveError};
use crate::model::{ModelError, RunSettings, Slo, ValidModel};
use crate::sim::{Estimate, SimError, SimReport};
pub use bound::BoundReason;
pub use control::{Control, SizingPhase, SizingProgress, StopReason};
pub use evaluate::Verdict;
pub(crate) use evaluate::{analytic_value, simulated_value, unsettled};
pub use note::SizingNote;
use search::Search;
use serde::{Deserialize, Serialize};

/// Knobs of [`size`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SizingOptions {
    /// Queues whose consumers may change; empty = every queue.
    pub sizable: Vec<String>,
    /// Upper bound on the consumers of one queue. Default 100 000.
    pub max_consumers: u32,
    /// Verify the analytic answer by simulation. Default true.
    pub verify: bool,
    /// Most replications the stopping rule may reach. Default 160.
    pub max_replications: u32,
    /// Most verification rounds (each may add a consumer). Default 8.
    pub max_rounds: u32,
    /// Most seconds the whole run may take, checked before every analytic solve and
    /// every simulation (a simulation under way runs to its end, so a run can overshoot
    /// by one simulation); past it the run returns [`SizingError::Stopped`]. `None`: no
    /// limit but the step limits. Default 600 (10 minutes).
    #[serde(default = "default_time_limit")]
    pub time_limit: Option<f64>,
}

fn default_time_limit() -> Option<f64> {
    Some(600.0)
}

impl SizingOptions {
    /// Checks the options: `max_consumers`, `max_replications` ≥ 1, `time_limit` a
    /// finite number of seconds > 0.
    fn check(&self) -> Result<(), SizingError> {
        let bad = |option: &'static str, value: String, fix: &'static str| {
            Err(SizingError::InvalidOption { option, value, fix })
        };
        if self.max_consumers == 0 {
            return bad("max_consumers", "0".into(), "give at least 1");
        }
        if self.max_replications == 0 {
            return bad("max_replications", "0".into(), "give at least 1");
        }
        if let Some(t) = self.time_limit
            && !(t.is_finite() && t > 0.0)
        {
            return bad(
                "time_limit",
                t.to_string(),
                "give a finite number of seconds > 0, or none for no limit",
            );
        }
        Ok(())
    }
}

impl Default for SizingOptions {
    fn default() -> Self {
        Self {
            sizable: vec![],
            max_consumers: 100_000,
            verify: true,
            max_replications: 160,
            max_rounds: 8,
            time_limit: default_time_limit(),
        }
    }
}

/// Consumers chosen for one queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Consumers {
    /// The queue.
    pub queue: String,
    /// Consumers in the scenario as given.
    pub given: u32,
    /// Consumers chosen.
    pub chosen: u32,
    /// Cost of one consumer.
    pub cost_per_consumer: f64,
}

/// One SLO with the figures that show whether it is met.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SloEvidence {
    /// The objective.
    pub slo: Slo,
    /// The worst analytic value over its targets (absent where the analytic side has no
    /// finite figure: no method, or an unstable queue, see `analytic_method`).
    pub analytic: Option<f64>,
    /// Whether the analytic side shows the SLO met (`false` for an unstable queue);
    /// absent without an analytic figure.
    pub analytic_met: Option<bool>,
    /// The method behind it, where the solution labels one.
    pub analytic_method: Option<Method>,
    /// Whether the analytic figure is for time-varying profiles replaced by their peak
    /// rate held steady (the pointwise stationary approximation, an approximation on
    /// top of `analytic_method`).
    pub psa: bool,
    /// The worst simulated value with its confidence interval.
    pub simulated: Option<Estimate>,
    /// Which target that worst value belongs to.
    pub simulated_target: Option<String>,
    /// The simulation's verdict.
    pub verdict: Verdict,
}

/// The largest load multiplier that still meets every SLO.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Headroom {
    /// Largest multiplier of every source's rate meeting every SLO (analytic); `None`
    /// when every SLO still holds at 10⁶ times the load (no limit found: JSON `null`,
    /// never an infinite number).
    pub multiplier: Option<f64>,
    /// The SLO that breaks first beyond it.
    pub breaking_slo: Option<String>,
    /// The queue behind it (the most utilised one on its target).
    pub bottleneck: Option<String>,
}

/// Draining a start-up backlog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Drain {
    /// The queue.
    pub queue: String,
    /// Messages waiting at the start.
    pub backlog: u64,
    /// Fluid estimate: backlog / (c μ − λ), seconds; `None` if the queue cannot drain.
    pub fluid_estimate: Option<f64>,
    /// Simulated time until the last backlog message was done.
    pub simulated: Option<Estimate>,
}

/// One point of the consumers-against-latency curve of a sizing run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CurvePoint {
    /// Consumers at the curve's queue.
    pub consumers: u32,
    /// Analytic value of the primary SLO's metric.
    pub analytic: Option<f64>,
    /// Simulated value with its interval, where simulated.
    pub simulated: Option<Estimate>,
}

/// The answer of [`size`], with its evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SizingResult {
    /// Version of this output's JSON shape ([`SCHEMA_VERSION`](crate::SCHEMA_VERSION)).
    pub schema_version: u32,
    /// Model name.
    pub model: Option<String>,
    /// FNV-1a hash of the scenario as JSON (identifies exactly what was sized).
    pub model_hash: String,
    /// The deployment.
    pub deployment: Vec<Consumers>,
    /// Total cost of the chosen consumers.
    pub total_cost: f64,
    /// Every SLO with its figures.
    pub slos: Vec<SloEvidence>,
    /// Whether every SLO is met: analytically, and by simulation when verified.
    pub all_met: bool,
    /// Master seed of the verification.
    pub seed: u64,
    /// Replications of the final verification (0 when not verified).
    pub replications: u32,
    /// Confidence level of the intervals.
    pub confidence: f64,
    /// What happened on the way: disagreements, added consumers, approximations used.
    pub notes: Vec<SizingNote>,
    /// Full analytic solves of the model this run made (every phase together; the
    /// search memoises them, so no deployment is solved twice).
    #[serde(default)]
    pub analytic_solves: u32,
    /// Headroom of the chosen deployment.
    pub headroom: Option<Headroom>,
    /// Start-up backlogs.
    pub drains: Vec<Drain>,
    /// The queue the curve varies, and the SLO it plots.
    pub curve_queue: Option<String>,
    /// Primary latency SLO of the curve.
    pub curve_slo: Option<Slo>,
    /// Consumers against the primary SLO's value at `curve_queue`.
    pub curve: Vec<CurvePoint>,
    /// The fewest consumers that keep `curve_queue` stable: with fewer its backlog
    /// grows without bound (no steady state), whatever the SLO.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub curve_stable_from: Option<u32>,
}

/// Why sizing failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SizingError {
    /// No SLO was given.
    #[error(
        "no SLO to size for: add `slo = [\"end_to_end.p99 < 200ms\"]` to the scenario or pass --slo"
    )]
    NoSlo,
    /// An SLO names an unknown queue or source, or the model is invalid.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// The analytic side failed for the whole model.
    #[error(transparent)]
    Solve(#[from] SolveError),
    /// The simulation failed.
    #[error(transparent)]
    Sim(#[from] SimError),
    /// Adding consumers cannot meet an SLO.
    #[error("cannot meet {slo}: {reason}")]
    Infeasible {
        /// The SLO.
        slo: String,
        /// Why.
        reason: String,
    },
    /// Even unlimited consumers at every queue leave the SLO's figure at `bound` or
    /// beyond: refused before any search.
    #[error(
        "cannot meet {slo}: with any number of consumers its value cannot get past {}, {reason}",
        bound::value_text(slo.metric, *bound)
    )]
    Unreachable {
        /// The SLO.
        slo: Slo,
        /// The figure's limit as consumers grow without bound (a lower bound for
        /// latencies and `L`, an upper bound for `throughput`, the fixed value for
        /// `dead_letter` and, in a model that loses nothing, `arrival_rate`).
        bound: f64,
        /// Why (boxed: the error stays small).
        reason: Box<BoundReason>,
    },
    /// The run stopped before it had an answer (time limit, cancelled, step limit): no
    /// verdict, only how far it got.
    #[error("sizing stopped during the {phase} before an answer: {reason}")]
    Stopped {
        /// Why.
        reason: StopReason,
        /// The phase it was in.
        phase: SizingPhase,
        /// Consumers per queue of the last deployment tried (model order): how far the
        /// run got, not an answer.
        consumers: Vec<u32>,
    },
    /// A sizing option is out of range.
    #[error("sizing option {option} = {value} is invalid: {fix}")]
    InvalidOption {
        /// The option.
        option: &'static str,
        /// Its value.
        value: String,
        /// What to give instead.
        fix: &'static str,
    },
    /// A queue named in `sizable` does not exist.
    #[error("unknown queue {0:?} in the list of sizable queues")]
    UnknownQueue(String),
}

/// FNV-1a 64-bit hash of a string, as 16 hex digits.
fn fnv1a(text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// Most greedy steps of the analytic search (each adds one consumer and solves at most
/// one deployment per sizable queue); past it the run stops with
/// [`StopReason::StepLimit`] rather than hand on a deployment that misses an SLO.
pub const MAX_GREEDY_STEPS: u32 = 10_000;

/// Finds the smallest (cheapest) consumers per queue meeting every SLO in `slos` (plus
/// the model's own `slo` list), verifies it by simulation, and measures its headroom.
///
/// The phases, in order:
/// 1. bounds: an SLO that unlimited consumers cannot meet (a sojourn percentile below
///    the service time's own, a mean below the mean service along the path, a fixed
///    dead-letter fraction) is refused at once with [`SizingError::Unreachable`];
/// 2. floors: stability and `consumers >=` SLOs;
/// 3. analytic search: for each SLO on one queue, the fewest consumers of that queue
///    meeting it, by galloping (+1, +2, +4, ...) then bisecting (at most
///    2⌈log₂ max_consumers⌉ + 2 solves per queue and SLO); with one sizable queue the
///    same search for every SLO together; then greedy steps (the consumer with the largest
///    shortfall reduction per unit of cost, at most [`MAX_GREEDY_STEPS`]);
/// 4. pruning (most expensive queue first);
/// 5. verification by simulation (confidence-interval stopping rule up to
///    [`SizingOptions::max_replications`], at most [`SizingOptions::max_rounds`] + 1
///    rounds that add consumers, a simulation-only galloping search of at most 20
///    probes plus a bisection for SLOs with no analytic figure);
/// 6. the evidence, drain times, headroom and curve.
///
/// Analytic solves are memoised by deployment and counted in
/// [`SizingResult::analytic_solves`]; what happened on the way is in
/// [`SizingResult::notes`]. The whole run is bounded by [`SizingOptions::time_limit`].
///
/// # Errors
/// [`SizingError`]: no SLO, unknown names, bad options, an SLO no number of consumers can
/// meet ([`SizingError::Unreachable`], [`SizingError::Infeasible`]), the time or step
/// limit ([`SizingError::Stopped`]), or an engine failure.
///
/// # Example
/// ```
/// use kendall::model::{ArrivalProcess, Distribution, Model, Queue, Source};
/// use kendall::{size, SizingOptions};
/// let m = Model::default()
///     .with_source(Source::new("in", ArrivalProcess::Poisson { rate: 90.0 }, "q"))
///     .with_queue(Queue::new("q", 1, Distribution::Exponential { mean: 0.1 }))
///     .validate()
///     .unwrap();
/// let slos = vec!["q.utilisation < 0.8".parse().unwrap()];
/// let r = size(&m, &slos, &SizingOptions { verify: false, ..Default::default() }).unwrap();
/// // 90/s at 10/s per consumer: 12 consumers give 0.75, 11 give 0.818.
/// assert_eq!(r.deployment[0].chosen, 12);
/// assert!(r.notes.is_empty() && r.analytic_solves > 0);
/// // A p99 below the service time's own p99 (0.1 s · ln 100 = 0.46 s) is refused at once.
/// let e = size(&m, &["q.p99 < 400ms".parse().unwrap()], &SizingOptions::default());
/// assert!(matches!(e, Err(kendall::SizingError::Unreachable { .. })));
/// ```
pub fn size(
    valid: &ValidModel,
    slos: &[Slo],
    options: &SizingOptions,
) -> Result<SizingResult, SizingError> {
    size_with_progress(valid, slos, options, &|_| Control::Continue)
}

/// As [`size`], calling `progress` before every analytic solve and every simulation
/// with where the run is; when it returns [`Control::Stop`] the run ends with
/// [`SizingError::Stopped`] ([`StopReason::Cancelled`]) at the next such point.
///
/// # Errors
/// As [`size`].
///
/// # Example
/// ```
/// use kendall::model::{ArrivalProcess, Distribution, Model, Queue, Source};
/// use kendall::{Control, SizingError, SizingOptions, StopReason, size_with_progress};
/// let m = Model::default()
///     .with_source(Source::new("in", ArrivalProcess::Poisson { rate: 90.0 }, "q"))
///     .with_queue(Queue::new("q", 1, Distribution::Exponential { mean: 0.1 }))
///     .validate()
///     .unwrap();
/// let slos = vec!["q.utilisation < 0.01".parse().unwrap()];
/// let options = SizingOptions { verify: false, ..Default::default() };
/// // Stop after three solves.
/// let e = size_with_progress(&m, &slos, &options, &|p| {
///     if p.analytic_solves >= 3 { Control::Stop } else { Control::Continue }
/// })
/// .unwrap_err();
/// assert!(matches!(e, SizingError::Stopped { reason: StopReason::Cancelled, .. }));
/// ```
pub fn size_with_progress(
    valid: &ValidModel,
    slos: &[Slo],
    options: &SizingOptions,
    progress: &dyn Fn(&SizingProgress<'_>) -> Control,
) -> Result<SizingResult, SizingError> {
    size_with_simulator(valid, slos, options, progress, &|m, s| {
        crate::sim::simulate(m, s)
    })
}

/// Runs one simulation of a sizing search: the model and settings to simulate, the
/// report back. [`size`] simulates here; another simulator may split the replications
/// across machines ([`crate::partial`]), and as long as it returns the same report the
/// sizing result is the same.
pub type SizingSimulator<'a> =
    dyn Fn(&ValidModel, &RunSettings) -> Result<SimReport, SimError> + 'a;

/// As [`size_with_progress`], running every simulation of the search (verification,
/// simulated search, simulated headroom) through `simulator`.
///
/// # Errors
/// As [`size`], and the simulator's errors.
///
/// # Example
/// ```
/// use kendall::model::{ArrivalProcess, Distribution, Model, Queue, Source};
/// use kendall::{Control, SizingOptions, size, size_with_simulator};
/// use std::cell::Cell;
/// let m = Model::default()
///     .with_source(Source::new("in", ArrivalProcess::Poisson { rate: 9.0 }, "q"))
///     .with_queue(Queue::new("q", 1, Distribution::Exponential { mean: 0.1 }))
///     .validate()
///     .unwrap();
/// let slos = vec!["q.p99 < 500ms".parse().unwrap()];
/// let options = SizingOptions::default();
/// let calls = Cell::new(0);
/// let counted = size_with_simulator(&m, &slos, &options, &|_| Control::Continue, &|m, s| {
///     calls.set(calls.get() + 1);
///     kendall::simulate(m, s)
/// })
/// .unwrap();
/// assert!(calls.get() >= 1);
/// assert_eq!(counted, size(&m, &slos, &options).unwrap());
/// ```
pub fn size_with_simulator(
    valid: &ValidModel,
    slos: &[Slo],
    options: &SizingOptions,
    progress: &dyn Fn(&SizingProgress<'_>) -> Control,
    simulator: &SizingSimulator<'_>,
) -> Result<SizingResult, SizingError> {
    options.check()?;
    let valid = valid.with_slos(slos)?;
    let all_slos = valid.model().slo.clone();
    let mut search = Search::new(&valid, &all_slos, options, progress, simulator)?;
    search.bounds()?;
    search.floors()?;
    search.gallop()?;
    search.greedy()?;
    search.prune()?;
    search.verify()?;
    search.checkpoint(SizingPhase::Evidence, &search.consumers)?;
    let slos = search.evidence()?;
    if let Some(report) = &search.sim_report {
        for e in slos.iter().filter(|e| e.verdict == Verdict::Unsettled) {
            if let Some(warning) = e
                .simulated_target
                .as_deref()
                .and_then(|t| evaluate::unsettled(report, e.slo.metric, t))
            {
                search.notes.push(SizingNote::Unsettled {
                    slo: e.slo.clone(),
                    warning,
                });
            }
        }
    }
    let drains = search.drains()?;
    let headroom = search.headroom();
    let (curve_queue, curve_slo, curve, curve_stable_from) = search.curve()?;

    let model = valid.model();
    let deployment: Vec<Consumers> = model
        .queues
        .iter()
        .zip(&search.consumers)
        .map(|(q, &chosen)| Consumers {
            queue: q.name.clone(),
            given: q.servers,
            chosen,
            cost_per_consumer: q.cost_per_consumer,
        })
        .collect();
    let total_cost = deployment
        .iter()
        .map(|d| f64::from(d.chosen) * d.cost_per_consumer)
        .sum();
    Ok(SizingResult {
        schema_version: crate::model::SCHEMA_VERSION,
        model: model.name.clone(),
        model_hash: fnv1a(&serde_json::to_string(model).unwrap_or_default()),
        deployment,
        total_cost,
        all_met: evidence::all_met(&slos),
        slos,
        seed: search.settings.seed,
        replications: if options.verify {
            search.settings.replications
        } else {
            0
        },
        confidence: search.settings.confidence,
        analytic_solves: search.evals.solves(),
        notes: search.notes,
        headroom,
        drains,
        curve_queue,
        curve_slo,
        curve,
        curve_stable_from,
    })
}
