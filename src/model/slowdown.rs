//! A slowdown incident on a queue: for a while, every service takes longer.

use super::duration::seconds;
use super::error::Problem;
use serde::{Deserialize, Serialize};

/// A slowdown incident (a GC pause storm, a slow database, a noisy neighbour): services
/// that **start** in [`start`, `start + duration`) take `factor` times longer (each
/// drawn service time is multiplied by `factor`). Simulation only: the analytic side
/// solves the steady state and ignores it (with a note).
///
/// ```toml
/// slowdown = { start = "60s", duration = "20s", factor = 3 }
/// ```
///
/// # Example
/// ```
/// use kendall::model::Slowdown;
/// let s = Slowdown { start: 60.0, duration: 20.0, factor: 3.0 };
/// assert!(s.covers(60.0) && s.covers(79.9) && !s.covers(80.0));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Slowdown {
    /// When the incident starts, seconds from the start of the run (warm-up included).
    #[serde(deserialize_with = "seconds")]
    pub start: f64,
    /// How long it lasts, seconds (> 0).
    #[serde(deserialize_with = "seconds")]
    pub duration: f64,
    /// Service-time multiplier during the incident (>= 1 slows down; > 0).
    pub factor: f64,
}

/// Largest slowdown factor: 10⁶ (a service a million times longer is an outage).
pub const MAX_SLOWDOWN_FACTOR: f64 = 1e6;

impl Slowdown {
    /// Whether a service starting at `t` is slowed.
    pub fn covers(&self, t: f64) -> bool {
        t >= self.start && t < self.start + self.duration
    }

    /// Checks the fields; problems are pushed with `path` (e.g. `queue "q".slowdown`).
    pub(crate) fn check(&self, path: &str, out: &mut Vec<Problem>) {
        if !(self.start.is_finite() && self.start >= 0.0 && self.start <= super::MAX_TIME) {
            out.push(Problem::new(
                format!("{path}.start"),
                format!("must be a time >= 0 (e.g. \"60s\"), got {}", self.start),
            ));
        }
        if !(self.duration.is_finite() && self.duration > 0.0 && self.duration <= super::MAX_TIME) {
            out.push(Problem::new(
                format!("{path}.duration"),
                format!("must be a time > 0 (e.g. \"20s\"), got {}", self.duration),
            ));
        }
        if !(self.factor.is_finite() && self.factor > 0.0 && self.factor <= MAX_SLOWDOWN_FACTOR) {
            out.push(Problem::new(
                format!("{path}.factor"),
                format!(
                    "must be a number > 0 and at most {MAX_SLOWDOWN_FACTOR:e} (3: services take three times longer), got {}",
                    self.factor
                ),
            ));
        }
    }
}
