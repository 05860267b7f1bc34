//! Client retries by a fixed point on the offered load (Erlang-X style): the attempt
//! rate Λ a retrying source offers when each attempt times out with the probability the
//! queue's own sojourn gives at that load.
//!
//! With request rate λ, R retries, timeout τ and p(Λ) = P(T > τ) the sojourn tail of
//! an attempt in the queue at attempt rate Λ (plus any other traffic there):
//!
//! Λ = F(Λ) = λ · Σ_{k=0..R} p(Λ)^k,
//!
//! treating the merged first attempts and retries as a Poisson stream (the
//! approximation: retries are delayed copies of timed-out attempts, correlated with
//! congestion). **Every** fixed point on [λ, capacity) is found: a scan of
//! g(Λ) = F(Λ) − Λ on [`SCAN_POINTS`] points (uniform, plus points crowding towards
//! capacity), each sign change refined by bisection to [`BISECTION_STEPS`] steps at
//! most. A fixed point is stable when F crosses the diagonal from above (g goes from
//! positive to negative). At capacity p → 1 and F → λ(R + 1): if λ(R + 1) ≥ capacity the queue also
//! has an **overload** state (every attempt times out, the queue saturates), reported
//! as a saturated state. So:
//!
//! * one stable fixed point below capacity and λ(R + 1) < capacity: **healthy**;
//! * no fixed point below capacity: **retry storm** (only the overload state);
//! * a stable fixed point below capacity and the overload state (or two stable fixed
//!   points below capacity): **metastable**: a transient (a slowdown, a burst) can tip
//!   the system into the storm, which then persists after the cause is gone.
//!
//! For a state, the request figures: amplification A = Σ p^k, success probability
//! 1 − p^(R+1), and the mean latency of successful requests
//! Σ_k p^k(1 − p)[Σ_{j≤k}(τ + E b_j) + E[T | T ≤ τ]] / (1 − p^(R+1)), with E b_j the
//! mean jittered backoff before retry j and E[T | T ≤ τ] = (τF(τ) − ∫₀^τ F)/F(τ) from
//! the queue's sojourn CDF F (integrated by composite Simpson on [`SIMPSON_CELLS`]
//! cells).

use crate::analytic::error::AnalyticError;
use crate::analytic::method::{Exactness, Method};
use crate::analytic::metrics::QueueMetrics;
use crate::model::Retry;
use serde::{Deserialize, Serialize};

/// Points of the scan for sign changes of F(Λ) − Λ on [λ, capacity): half uniform,
/// half crowding geometrically towards capacity (gaps down to 10⁻¹² of the range).
pub const SCAN_POINTS: usize = 2000;

/// Most bisection steps refining one bracketed fixed point (each halves the bracket:
/// 200 steps reach any double).
pub const BISECTION_STEPS: u32 = 200;

/// Cells of the composite Simpson rule for ∫₀^τ F(t) dt.
pub const SIMPSON_CELLS: usize = 4096;

/// The state of a retrying source's queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RetryState {
    /// One stable state, below capacity.
    Healthy,
    /// A healthy stable state and a storm state: a transient can tip it into the
    /// storm, which persists.
    Metastable,
    /// No state below capacity: retries overload the queue.
    Storm,
}

/// One state (fixed point) of the retry loop.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RetryFixedPoint {
    /// Attempt rate Λ, attempts/s.
    pub attempt_rate: f64,
    /// Attempts per request, Λ/λ.
    pub amplification: f64,
    /// Probability that an attempt times out, p = P(T > timeout).
    pub timeout_probability: f64,
    /// Probability that a request succeeds, 1 − p^(R+1).
    pub success_probability: f64,
    /// Utilisation of the queue per consumer (all its traffic): the fraction of time a
    /// consumer is busy, 1 in the overload state.
    pub utilisation: f64,
    /// Attempts offered per unit of the capacity left for them, Λ/capacity: above 1 in
    /// the overload state (by how much the storm exceeds what the queue can serve).
    pub offered_load: f64,
    /// Mean latency of successful requests (first send → success), seconds; absent in
    /// the overload state (no request succeeds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean_request_latency: Option<f64>,
    /// Whether the state attracts (F crosses the diagonal from above); an unstable
    /// fixed point is the threshold between two stable states.
    pub stable: bool,
    /// The overload state at capacity (p = 1, every attempt times out).
    pub saturated: bool,
}

/// The retry analysis of one source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RetrySolution {
    /// The source.
    pub source: String,
    /// The queue its attempts go to.
    pub queue: String,
    /// Request rate λ, requests/s.
    pub request_rate: f64,
    /// Attempt rate at which the queue saturates, c·μ minus its other traffic.
    pub capacity: f64,
    /// Healthy, metastable or storm.
    pub state: RetryState,
    /// Every state, by increasing attempt rate (stable and unstable fixed points, and
    /// the overload state when λ(R + 1) >= capacity).
    pub fixed_points: Vec<RetryFixedPoint>,
    /// How the figures were obtained.
    pub method: Method,
    /// What this means and what to do, in words.
    pub advice: String,
}

impl RetrySolution {
    /// The healthy state: the stable fixed point of lowest attempt rate, if any.
    pub fn healthy(&self) -> Option<&RetryFixedPoint> {
        self.fixed_points.iter().find(|f| f.stable && !f.saturated)
    }

    /// The attempt rate the rest of the model sees: the healthy state's, or λ(R + 1)
    /// in a storm.
    pub fn offered_rate(&self) -> f64 {
        self.healthy()
            .or(self.fixed_points.last())
            .map_or(self.request_rate, |f| f.attempt_rate)
    }
}

/// The method label of every retry figure.
pub fn retry_method(sojourn: &Method) -> Method {
    let exactness = Exactness::Approximation;
    Method {
        name: format!("fixed point, Poisson retries (sojourn CDF: {})", sojourn.name),
        exactness,
        reference: "Erlang-X style fixed point on the offered load with retrials treated as Poisson (Jouini, Koole & Roubos 2013; Aguir et al. 2004)".into(),
    }
}

/// Solves the retry loop of a source of `request_rate` λ with `retry`, whose attempts
/// go to a queue that saturates at attempt rate `capacity`; `node(Λ)` gives the queue's
/// solver at attempt rate Λ (its other traffic included by the caller), which must know
/// its sojourn CDF.
///
/// # Errors
/// [`AnalyticError::NoMethod`] if the queue's solver has no sojourn CDF at the timeout
/// (saying why), or fails below capacity; [`AnalyticError::InvalidParameter`] for a
/// rate that is not finite and > 0.
///
/// # Example
/// ```
/// use kendall::analytic::{MMc, RetryState, solve_retry_loop};
/// use kendall::model::Retry;
/// // 8 requests/s into one consumer of rate 10/s, timeout 0.5 s, 3 retries.
/// let retry = Retry::new(0.5, 3);
/// let s = solve_retry_loop("api", "q", 8.0, &retry, 10.0, |x| {
///     Ok(Box::new(MMc::new(x, 10.0, 1)?) as Box<dyn kendall::analytic::QueueMetrics>)
/// })
/// .unwrap();
/// assert_eq!(s.state, RetryState::Storm);
/// ```
pub fn solve_retry_loop(
    source: &str,
    queue: &str,
    request_rate: f64,
    retry: &Retry,
    capacity: f64,
    node: impl Fn(f64) -> Result<Box<dyn QueueMetrics>, AnalyticError>,
) -> Result<RetrySolution, AnalyticError> {
    if !(request_rate.is_finite() && request_rate > 0.0) {
        return Err(AnalyticError::InvalidParameter {
            name: "request_rate",
            value: request_rate,
            rule: "finite and > 0",
        });
    }
    if !(capacity.is_finite() && capacity > 0.0) {
        return Err(AnalyticError::InvalidParameter {
            name: "capacity",
            value: capacity,
            rule: "finite and > 0",
        });
    }
    let tau = retry.timeout;
    let r = retry.max_retries;
    let storm_rate = request_rate * f64::from(r + 1);
    let mut sojourn_method = None;
    // p(Λ): the attempt's timeout probability at attempt rate Λ.
    let tail = |x: f64| -> Result<f64, AnalyticError> {
        let m = node(x)?;
        let cdf = m.sojourn_cdf(tau).ok_or_else(|| AnalyticError::NoMethod {
            reason: format!(
                "the retry fixed point needs P(T > timeout), and {} gives no sojourn-time distribution: use exponential service (M/M/c) or simulate",
                m.method().name
            ),
        })?;
        Ok((1.0 - cdf).clamp(0.0, 1.0))
    };
    let amplification = |p: f64| (0..=r).fold((0.0, 1.0), |(s, pk), _| (s + pk, pk * p)).0;
    let g =
        |x: f64| -> Result<f64, AnalyticError> { Ok(request_rate * amplification(tail(x)?) - x) };

    let mut fixed = Vec::new();
    if request_rate < capacity {
        // Scan points: uniform on [λ, cap) and geometric towards cap.
        let span = capacity - request_rate;
        let half = SCAN_POINTS / 2;
        let mut xs: Vec<f64> = (0..half)
            .map(|i| request_rate + span * i as f64 / half as f64)
            .chain(
                (0..half)
                    .map(|i| capacity - span * 10f64.powf(-12.0 * (i + 1) as f64 / half as f64)),
            )
            .filter(|x| *x >= request_rate && *x < capacity)
            .collect();
        xs.sort_by(f64::total_cmp);
        xs.dedup();
        let m0 = node(xs[0])?;
        sojourn_method = Some(m0.distribution_method().unwrap_or_else(|| m0.method()));
        let mut prev = (xs[0], g(xs[0])?);
        if prev.1 == 0.0 {
            fixed.push((xs[0], true));
        }
        for &x in &xs[1..] {
            let gx = g(x)?;
            if gx == 0.0 {
                fixed.push((x, prev.1 > 0.0));
            } else if prev.1 != 0.0 && (prev.1 > 0.0) != (gx > 0.0) {
                let (mut lo, mut hi, mut glo) = (prev.0, x, prev.1);
                for _ in 0..BISECTION_STEPS {
                    let mid = 0.5 * (lo + hi);
                    if mid <= lo || mid >= hi {
                        break;
                    }
                    let gm = g(mid)?;
                    if gm == 0.0 {
                        lo = mid;
                        hi = mid;
                        break;
                    }
                    if (gm > 0.0) == (glo > 0.0) {
                        lo = mid;
                        glo = gm;
                    } else {
                        hi = mid;
                    }
                }
                // F crosses the diagonal from above (g: + to −): stable.
                fixed.push((0.5 * (lo + hi), prev.1 > 0.0));
            }
            prev = (x, gx);
        }
    }
    let mut states = Vec::new();
    for &(x, stable) in &fixed {
        let p = tail(x)?;
        let m = node(x)?;
        let cdf = 1.0 - p;
        let cond_t = if cdf > 0.0 {
            let n = SIMPSON_CELLS;
            let step = tau / n as f64;
            let mut acc = 0.0;
            for i in 0..=n {
                let w = if i == 0 || i == n {
                    1.0
                } else if i % 2 == 1 {
                    4.0
                } else {
                    2.0
                };
                acc += w * m.sojourn_cdf(i as f64 * step).unwrap_or(0.0);
            }
            let integral = acc * step / 3.0;
            Some(((tau * cdf - integral) / cdf).clamp(0.0, tau))
        } else {
            None
        };
        let success = 1.0 - p.powi(r as i32 + 1);
        let latency = cond_t.filter(|_| success > 0.0).map(|ct| {
            let mut sum = 0.0;
            let mut before = 0.0; // Σ_{j<=k} (τ + E b_j)
            let mut pk = 1.0;
            for k in 0..=r {
                if k > 0 {
                    before += tau + retry.mean_backoff_before(k);
                }
                sum += pk * (1.0 - p) * (before + ct);
                pk *= p;
            }
            sum / success
        });
        states.push(RetryFixedPoint {
            attempt_rate: x,
            amplification: x / request_rate,
            timeout_probability: p,
            success_probability: success,
            utilisation: m.utilisation(),
            offered_load: x / capacity,
            mean_request_latency: latency,
            stable,
            saturated: false,
        });
    }
    let overload = storm_rate >= capacity;
    if overload {
        states.push(RetryFixedPoint {
            attempt_rate: storm_rate,
            amplification: f64::from(r + 1),
            timeout_probability: 1.0,
            success_probability: 0.0,
            // Saturated: every consumer busy all the time.
            utilisation: 1.0,
            offered_load: storm_rate / capacity,
            mean_request_latency: None,
            stable: true,
            saturated: true,
        });
    }
    let stable_below = states.iter().filter(|s| s.stable && !s.saturated).count();
    let state = match (stable_below, overload) {
        (0, _) => RetryState::Storm,
        (1, false) => RetryState::Healthy,
        _ => RetryState::Metastable,
    };
    let advice = match state {
        RetryState::Healthy => "one stable state: retries add load but cannot run away".to_string(),
        RetryState::Metastable => format!(
            "metastable: besides the healthy state there is a retry storm (attempt rate {:.4} /s, success {:.3}); a slowdown or burst can tip the queue into the storm, which persists after the cause is gone. Fixes: add consumers until λ(R + 1) = {storm_rate:.4} /s is below capacity, fewer retries, a longer timeout, larger backoff with jitter, or a retry budget / circuit breaker",
            states
                .iter()
                .rev()
                .find(|s| s.stable)
                .map_or(storm_rate, |s| s.attempt_rate),
            states
                .iter()
                .rev()
                .find(|s| s.stable)
                .map_or(0.0, |s| s.success_probability),
        ),
        RetryState::Storm => format!(
            "retry storm: no state below capacity ({capacity:.4} attempts/s); retries drive the attempt rate to {storm_rate:.4} /s and requests fail. Fixes: add consumers, speed up service, lengthen the timeout, fewer retries, or a retry budget / circuit breaker"
        ),
    };
    let sojourn_method = match sojourn_method {
        Some(m) => m,
        None => {
            let m = node(request_rate.min(capacity * 0.5))?;
            m.distribution_method().unwrap_or_else(|| m.method())
        }
    };
    Ok(RetrySolution {
        source: source.to_string(),
        queue: queue.to_string(),
        request_rate,
        capacity,
        state,
        fixed_points: states,
        method: retry_method(&sojourn_method),
        advice,
    })
}
