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

mod evaluate;
mod evaluation;
mod evidence;
mod headroom;
mod note;
mod search;
mod verify;

use crate::analytic::{Method, SolveError};
use crate::model::{ModelError, Slo, ValidModel};
use crate::sim::{Estimate, SimError};
pub use evaluate::Verdict;
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
}

impl Default for SizingOptions {
    fn default() -> Self {
        Self {
            sizable: vec![],
            max_consumers: 100_000,
            verify: true,
            max_replications: 160,
            max_rounds: 8,
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

/// Finds the smallest (cheapest) consumers per queue meeting every SLO in `slos` (plus
/// the model's own `slo` list), verifies it by simulation, and measures its headroom.
///
/// The phases, in order: floors (stability and `consumers >=` SLOs); greedy analytic
/// search (the consumer with the largest shortfall reduction per unit of cost, at most
/// 100 000 steps); pruning (most expensive queue first); verification by simulation
/// (confidence-interval stopping rule up to [`SizingOptions::max_replications`], at
/// most [`SizingOptions::max_rounds`] + 1 rounds that add consumers, a simulation-only
/// galloping search of at most 20 probes for SLOs with no analytic figure); then the
/// evidence, drain times, headroom and curve. Analytic solves are memoised by
/// deployment and counted in [`SizingResult::analytic_solves`]; what happened on the way
/// is in [`SizingResult::notes`].
///
/// # Errors
/// [`SizingError`]: no SLO, unknown names, an SLO no number of consumers can meet, or
/// an engine failure.
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
/// ```
pub fn size(
    valid: &ValidModel,
    slos: &[Slo],
    options: &SizingOptions,
) -> Result<SizingResult, SizingError> {
    let valid = valid.with_slos(slos)?;
    let all_slos = valid.model().slo.clone();
    let mut search = Search::new(&valid, &all_slos, options)?;
    search.floors()?;
    search.greedy()?;
    search.prune()?;
    search.verify()?;
    let slos = search.evidence()?;
    let drains = search.drains()?;
    let headroom = search.headroom();
    let (curve_queue, curve_slo, curve) = search.curve()?;

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
    })
}
