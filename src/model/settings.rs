//! How to run a simulation of the model: horizon, warm-up, replications, seed.
//!
//! ```toml
//! [simulation]
//! horizon = "10m"        # simulated time per replication
//! warmup = "30s"         # statistics before this are discarded
//! replications = 10
//! seed = 42
//! confidence = 0.95
//! memory_limit = 1073741824   # bytes per replication (1 GiB, the default)
//! ```

use super::duration::{opt_seconds, seconds};
use super::error::Problem;
use serde::{Deserialize, Serialize};

/// Simulation run settings, stored with the model so a scenario file is complete.
/// Every field has a default; the CLI can override each.
///
/// # Example
/// ```
/// use kendall::model::RunSettings;
/// let s = RunSettings::default();
/// assert_eq!(s.replications, 10);
/// assert_eq!(s.confidence, 0.95);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RunSettings {
    /// Simulated time per replication, seconds (after warm-up). Default 1000 s unless
    /// `completions` is set.
    #[serde(
        default,
        deserialize_with = "opt_seconds",
        skip_serializing_if = "Option::is_none"
    )]
    pub horizon: Option<f64>,
    /// Stop each replication after this many messages have completed (after warm-up).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completions: Option<u64>,
    /// Warm-up time discarded from statistics, seconds. Default 0.
    #[serde(default, deserialize_with = "seconds")]
    pub warmup: f64,
    /// Warm-up by count: discard statistics until this many messages completed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warmup_completions: Option<u64>,
    /// Independent replications (>= 2 for confidence intervals). Default 10.
    #[serde(default = "default_replications")]
    pub replications: u32,
    /// Master seed; replication i uses a stream derived from (seed, i). Default 1.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Confidence level of intervals, in (0, 1). Default 0.95.
    #[serde(default = "default_confidence")]
    pub confidence: f64,
    /// Resolution of the optional time series of queue length and latency, seconds.
    #[serde(
        default,
        deserialize_with = "opt_seconds",
        skip_serializing_if = "Option::is_none"
    )]
    pub time_series: Option<f64>,
    /// Memory a replication may use for what grows with the run, bytes: messages in
    /// flight (start-up backlog included) and time-series buckets. Default
    /// [`DEFAULT_MEMORY_LIMIT`] (1 GiB). A run whose in-flight population would pass
    /// `memory_limit / bytes per message` stops with an "unstable" error naming the
    /// queue whose backlog grew, instead of exhausting memory; settings that would need
    /// more before the run starts are refused with the estimate. Replications run in
    /// parallel, so the process may hold up to (threads × `memory_limit`).
    #[serde(default = "default_memory_limit")]
    pub memory_limit: u64,
}

/// Default [`RunSettings::memory_limit`]: 1 GiB per replication, room for about four
/// million messages in flight; two parallel replications then stay within 2 GiB.
pub const DEFAULT_MEMORY_LIMIT: u64 = 1 << 30;

/// Smallest accepted [`RunSettings::memory_limit`], bytes (1 MiB): what a replication
/// allocates before its first event.
pub const MIN_MEMORY_LIMIT: u64 = 1 << 20;

fn default_memory_limit() -> u64 {
    DEFAULT_MEMORY_LIMIT
}

fn default_replications() -> u32 {
    10
}
fn default_seed() -> u64 {
    1
}
fn default_confidence() -> f64 {
    0.95
}

impl Default for RunSettings {
    fn default() -> Self {
        Self {
            horizon: None,
            completions: None,
            warmup: 0.0,
            warmup_completions: None,
            replications: default_replications(),
            seed: default_seed(),
            confidence: default_confidence(),
            time_series: None,
            memory_limit: DEFAULT_MEMORY_LIMIT,
        }
    }
}

impl RunSettings {
    /// Checks each field, pushing one [`Problem`] per rule broken under `simulation.`.
    pub fn check(&self, out: &mut Vec<Problem>) {
        if let Some(h) = self.horizon
            && !(h.is_finite() && h > 0.0)
        {
            out.push(Problem::new(
                "simulation.horizon",
                format!("must be a finite time > 0, got {h}"),
            ));
        }
        if self.completions == Some(0) {
            out.push(Problem::new("simulation.completions", "must be >= 1"));
        }
        if !(self.warmup.is_finite() && self.warmup >= 0.0) {
            out.push(Problem::new(
                "simulation.warmup",
                format!("must be finite and >= 0, got {}", self.warmup),
            ));
        }
        if self.replications == 0 {
            out.push(Problem::new(
                "simulation.replications",
                "must be >= 1 (>= 2 for confidence intervals)",
            ));
        }
        if !(self.confidence > 0.0 && self.confidence < 1.0) {
            out.push(Problem::new(
                "simulation.confidence",
                format!("must be in (0, 1), e.g. 0.95, got {}", self.confidence),
            ));
        }
        if let Some(r) = self.time_series
            && !(r.is_finite() && r > 0.0)
        {
            out.push(Problem::new(
                "simulation.time_series",
                format!("must be a resolution > 0, got {r}"),
            ));
        }
        if self.memory_limit < MIN_MEMORY_LIMIT {
            out.push(Problem::new(
                "simulation.memory_limit",
                format!(
                    "must be at least {MIN_MEMORY_LIMIT} bytes (1 MiB), got {}",
                    self.memory_limit
                ),
            ));
        }
    }
}
