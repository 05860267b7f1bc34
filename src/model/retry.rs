//! Client retries: a producer that abandons an attempt after a timeout and sends a new
//! one after a backoff with jitter (the retry load feeds back into the arrivals).

use super::duration::{opt_seconds, seconds};
use super::error::Problem;
use serde::{Deserialize, Serialize};

/// Most retries per request: 100. Each request has at most `max_retries + 1` attempts
/// in flight over its life, so this bounds the attempts (and timers) one request can
/// cause; real clients use a handful.
pub const MAX_RETRIES: u32 = 100;

/// How a backoff b is randomised before a retry (the AWS architecture blog's names).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Jitter {
    /// Uniform on [0, b] (mean b/2).
    #[default]
    Full,
    /// b/2 plus uniform on [0, b/2] (mean 3b/4).
    Equal,
    /// Exactly b.
    None,
}

/// Client retries of a source: every message of the source is a **request** sent as an
/// **attempt** (a message, the root of its descendants).
///
/// Semantics (the common client-library behaviour):
/// * If the attempt has not finished (all its descendants done) within `timeout` of its
///   send, the client abandons it. The abandoned attempt **keeps running** in the
///   broker and its consumers (wasted work): nothing cancels it.
/// * After the k-th timeout (k = 1..=`max_retries`) the client waits the backoff
///   b_k = min(backoff · multiplier^(k−1), max_backoff), jittered (see [`Jitter`]), and
///   sends a new attempt.
/// * A request **succeeds** when its current attempt finishes within its timeout. An
///   abandoned attempt that finishes later is **wasted**. An attempt lost in the system
///   (rejected at a full queue, or dead-lettered) is not a success: the client learns
///   nothing until its timeout, then retries (no negative acknowledgement is modelled).
/// * After `max_retries` retries have timed out, the request **gives up**.
///
/// Defaults: `multiplier` 2, no `max_backoff`, `jitter` full, `backoff` 0.
///
/// ```toml
/// [[source]]
/// name = "checkout"
/// arrival = { type = "poisson", rate = 80.0 }
/// to = "payments"
/// retry = { timeout = "200ms", max_retries = 3, backoff = "50ms", multiplier = 2.0, max_backoff = "2s", jitter = "full" }
/// ```
///
/// # Example
/// ```
/// use kendall::model::{Jitter, Retry};
/// let r = Retry::new(0.2, 3).with_backoff(0.05, 2.0, Some(0.15));
/// assert_eq!(r.backoff_before(1), 0.05);
/// assert_eq!(r.backoff_before(2), 0.1);
/// assert_eq!(r.backoff_before(3), 0.15); // capped by max_backoff
/// assert_eq!(r.mean_backoff_before(1), 0.025); // full jitter: half on average
/// assert_eq!(r.jitter, Jitter::Full);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Retry {
    /// Time after an attempt's send at which the client abandons it, seconds (> 0).
    #[serde(deserialize_with = "seconds")]
    pub timeout: f64,
    /// Retries after the first attempt (0..=[`MAX_RETRIES`]).
    pub max_retries: u32,
    /// Base backoff before the first retry, seconds (>= 0). Default 0.
    #[serde(default, deserialize_with = "seconds")]
    pub backoff: f64,
    /// Growth of the backoff per retry (>= 1). Default 2.
    #[serde(default = "two")]
    pub multiplier: f64,
    /// Largest backoff, seconds. Default: none.
    #[serde(
        default,
        deserialize_with = "opt_seconds",
        skip_serializing_if = "Option::is_none"
    )]
    pub max_backoff: Option<f64>,
    /// How the backoff is randomised. Default `full`.
    #[serde(default)]
    pub jitter: Jitter,
}

fn two() -> f64 {
    2.0
}

impl Retry {
    /// Retries after `timeout` seconds, at most `max_retries` of them, with no backoff
    /// (multiplier 2, full jitter).
    pub fn new(timeout: f64, max_retries: u32) -> Self {
        Self {
            timeout,
            max_retries,
            backoff: 0.0,
            multiplier: 2.0,
            max_backoff: None,
            jitter: Jitter::Full,
        }
    }

    /// Sets the base backoff, its multiplier and its cap (seconds).
    pub fn with_backoff(mut self, backoff: f64, multiplier: f64, max_backoff: Option<f64>) -> Self {
        self.backoff = backoff;
        self.multiplier = multiplier;
        self.max_backoff = max_backoff;
        self
    }

    /// Sets the jitter.
    pub fn with_jitter(mut self, jitter: Jitter) -> Self {
        self.jitter = jitter;
        self
    }

    /// The backoff b_k before retry k (1-based), before jitter:
    /// min(backoff · multiplier^(k−1), max_backoff). Computed in logs so a large k
    /// saturates at the cap (or +∞ capped by nothing: not reachable after validation,
    /// k <= [`MAX_RETRIES`]).
    pub fn backoff_before(&self, k: u32) -> f64 {
        let raw = if self.backoff == 0.0 {
            0.0
        } else {
            self.backoff
                * self
                    .multiplier
                    .powi(k.saturating_sub(1).min(i32::MAX as u32) as i32)
        };
        match self.max_backoff {
            Some(cap) => raw.min(cap),
            None => raw,
        }
    }

    /// The mean jittered backoff before retry k: b_k/2 (full), 3b_k/4 (equal), b_k (none).
    pub fn mean_backoff_before(&self, k: u32) -> f64 {
        let b = self.backoff_before(k);
        match self.jitter {
            Jitter::Full => b / 2.0,
            Jitter::Equal => 0.75 * b,
            Jitter::None => b,
        }
    }

    /// Checks the fields; problems are pushed with `path` (e.g. `source "x".retry`).
    pub(crate) fn check(&self, path: &str, out: &mut Vec<Problem>) {
        if !(self.timeout.is_finite() && self.timeout > 0.0 && self.timeout <= super::MAX_TIME) {
            out.push(Problem::new(
                format!("{path}.timeout"),
                format!(
                    "must be a time > 0 and at most {:e} s (e.g. \"200ms\"), got {}",
                    super::MAX_TIME,
                    self.timeout
                ),
            ));
        }
        if self.max_retries > MAX_RETRIES {
            out.push(Problem::new(
                format!("{path}.max_retries"),
                format!(
                    "must be at most {MAX_RETRIES} (got {}): clients retry a handful of times; each retry is another attempt in the system",
                    self.max_retries
                ),
            ));
        }
        if !(self.backoff.is_finite() && self.backoff >= 0.0 && self.backoff <= super::MAX_TIME) {
            out.push(Problem::new(
                format!("{path}.backoff"),
                format!(
                    "must be a time >= 0 and at most {:e} s, got {}",
                    super::MAX_TIME,
                    self.backoff
                ),
            ));
        }
        if !(self.multiplier.is_finite() && self.multiplier >= 1.0) {
            out.push(Problem::new(
                format!("{path}.multiplier"),
                format!(
                    "must be a finite number >= 1 (1: a constant backoff; 2: doubling), got {}",
                    self.multiplier
                ),
            ));
        } else if self.max_backoff.is_none()
            && self.backoff > 0.0
            && self
                .backoff_before(self.max_retries.min(MAX_RETRIES))
                .partial_cmp(&super::MAX_TIME)
                .is_none_or(|o| o == std::cmp::Ordering::Greater)
        {
            out.push(Problem::new(
                format!("{path}.multiplier"),
                format!(
                    "the backoff before retry {} grows past {:e} s: lower the multiplier or set max_backoff",
                    self.max_retries,
                    super::MAX_TIME
                ),
            ));
        }
        if let Some(cap) = self.max_backoff
            && !(cap.is_finite() && cap >= 0.0)
        {
            out.push(Problem::new(
                format!("{path}.max_backoff"),
                format!("must be a time >= 0 (or removed for no cap), got {cap}"),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let r = Retry::new(1.0, 5).with_backoff(0.1, 3.0, Some(2.0));
        assert_eq!(r.backoff_before(1), 0.1);
        assert!((r.backoff_before(2) - 0.3).abs() < 1e-15);
        assert!((r.backoff_before(3) - 0.9).abs() < 1e-15);
        assert_eq!(r.backoff_before(4), 2.0);
        assert!((r.with_jitter(Jitter::Equal).mean_backoff_before(1) - 0.075).abs() < 1e-15);
    }

    #[test]
    fn bad_fields_are_named_with_a_fix() {
        let mut r = Retry::new(0.0, 1000).with_backoff(-1.0, 0.5, Some(f64::NAN));
        r.timeout = -1.0;
        let mut out = Vec::new();
        r.check("source \"s\".retry", &mut out);
        let text: Vec<String> = out.iter().map(|p| p.to_string()).collect();
        for field in [
            "timeout",
            "max_retries",
            "backoff",
            "multiplier",
            "max_backoff",
        ] {
            assert!(
                text.iter().any(|t| t.contains(&format!("retry.{field}"))),
                "{field}: {text:?}"
            );
        }
    }

    #[test]
    fn reads_durations_and_defaults() {
        let r: Retry =
            toml::from_str("timeout = \"200ms\"\nmax_retries = 3\nbackoff = \"50ms\"").unwrap();
        assert_eq!(r.timeout, 0.2);
        assert_eq!(r.backoff, 0.05);
        assert_eq!(r.multiplier, 2.0);
        assert_eq!(r.jitter, Jitter::Full);
        assert!(r.max_backoff.is_none());
    }
}
