//! Watching and stopping a sizing run: progress reports, a time limit, and a callback
//! that can say stop.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The phase a sizing run is in (see [`size`](super::size) for what each does).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SizingPhase {
    /// Refusing SLOs beyond what unlimited consumers can reach.
    Bounds,
    /// Stability and `consumers >=` floors.
    Floors,
    /// The analytic search (galloping and bisection per queue, then greedy steps).
    Search,
    /// Removing consumers that are not needed.
    Prune,
    /// Verification by simulation.
    Verify,
    /// The simulation-only search for SLOs with no analytic figure.
    SimulationSearch,
    /// Evidence, headroom and the curve.
    Evidence,
}

impl fmt::Display for SizingPhase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Bounds => "bounds",
            Self::Floors => "floors",
            Self::Search => "analytic search",
            Self::Prune => "pruning",
            Self::Verify => "verification by simulation",
            Self::SimulationSearch => "simulation-only search",
            Self::Evidence => "evidence",
        })
    }
}

/// Where a sizing run is, passed to the callback of
/// [`size_with_progress`](super::size_with_progress) before every analytic solve and every
/// simulation.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SizingProgress<'a> {
    /// The phase.
    pub phase: SizingPhase,
    /// Consumers per queue of the deployment being tried, in model order.
    pub consumers: &'a [u32],
    /// Full analytic solves made so far.
    pub analytic_solves: u32,
    /// Simulations (each of all its replications) started so far.
    pub simulations: u32,
    /// Seconds since the run started.
    pub elapsed: f64,
}

/// What the progress callback wants next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// Go on.
    Continue,
    /// Stop as soon as possible: the run returns [`SizingError::Stopped`](super::SizingError::Stopped)
    /// with [`StopReason::Cancelled`].
    Stop,
}

/// Why a sizing run stopped before it had an answer.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum StopReason {
    /// [`SizingOptions::time_limit`](super::SizingOptions::time_limit) passed.
    TimeLimit {
        /// The limit, seconds.
        seconds: f64,
    },
    /// The progress callback returned [`Control::Stop`].
    Cancelled,
    /// The greedy analytic search took its most steps
    /// ([`MAX_GREEDY_STEPS`](super::MAX_GREEDY_STEPS)) with an SLO still missed.
    StepLimit {
        /// Steps taken.
        steps: u32,
    },
}

impl fmt::Display for StopReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TimeLimit { seconds } => write!(
                f,
                "the time limit of {seconds} s passed (raise it with --time-limit or SizingOptions::time_limit)"
            ),
            Self::Cancelled => f.write_str("the caller cancelled it"),
            Self::StepLimit { steps } => write!(
                f,
                "the analytic search took {steps} steps and an SLO is still missed (the SLO is barely reachable: loosen it or size fewer queues)"
            ),
        }
    }
}
