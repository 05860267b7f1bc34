//! Inverse questions of one queue: the offered load or the servers that meet an Erlang B
//! (blocking) or Erlang C (waiting) target, and the largest arrival rate an M/M/c queue
//! holds for a latency percentile.
//!
//! - Servers: the forward recursions of [`erlang_b`](super::erlang::erlang_b) run up
//!   from c = 1 and stop at the first c that meets the target (B and C fall as c grows),
//!   at most [`ERLANG_MAX_STEPS`] steps.
//! - Offered load: B(c, a) rises from 0 to 1 and C(c, a) from 0 to 1 on (0, c), so the
//!   load is found by bisection on ln a (B in log space, so targets down to 1e-300
//!   work), to a relative width of 1e-14, at most [`INVERSE_STEPS`] steps of O(c) each.
//! - Maximum throughput for a percentile: the sojourn percentile of M/M/c rises with λ,
//!   so λ ∈ (0, cμ) by bisection on the percentile, to 1e-12 relative.

use super::erlang::{ERLANG_MAX_STEPS, erlang_c, ln_erlang_b};
use super::mmc::MMc;
use crate::analytic::error::{AnalyticError, positive};
use crate::analytic::metrics::QueueMetrics;

/// Most bisection steps of an inverse (each halves the bracket: 200 reach any double).
pub const INVERSE_STEPS: u32 = 200;

fn probability(name: &'static str, p: f64) -> Result<f64, AnalyticError> {
    if p.is_finite() && p > 0.0 && p < 1.0 {
        Ok(p)
    } else {
        Err(AnalyticError::InvalidParameter {
            name,
            value: p,
            rule: "a probability strictly between 0 and 1",
        })
    }
}

fn servers_ok(servers: u64) -> Result<u64, AnalyticError> {
    if servers == 0 || servers > ERLANG_MAX_STEPS {
        return Err(AnalyticError::InvalidParameter {
            name: "servers",
            value: servers as f64,
            rule: "an integer in 1..=10^8",
        });
    }
    Ok(servers)
}

/// Bisection on x ∈ (lo, hi) for the point where `rises(x)` turns true, on ln x.
fn bisect_log(
    mut lo: f64,
    mut hi: f64,
    rises: impl Fn(f64) -> Result<bool, AnalyticError>,
) -> Result<f64, AnalyticError> {
    for _ in 0..INVERSE_STEPS {
        if hi / lo - 1.0 < 1e-14 {
            break;
        }
        let mid = (lo * hi).sqrt();
        if rises(mid)? {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Ok((lo * hi).sqrt())
}

/// The offered load a (erlangs) at which `servers` lose `blocking` of the arrivals:
/// B(c, a) = blocking.
///
/// # Errors
/// [`AnalyticError::InvalidParameter`] for c = 0, c > 10⁸ or a target outside (0, 1).
///
/// # Example
/// ```
/// use kendall::analytic::{erlang_b, erlang_b_load};
/// // Erlang B table: 10 trunks at 1% blocking carry 4.4612 erlangs.
/// let a = erlang_b_load(10, 0.01).unwrap();
/// assert!((a - 4.4612).abs() < 1e-4);
/// assert!((erlang_b(10, a).unwrap() - 0.01).abs() < 1e-14);
/// ```
pub fn erlang_b_load(servers: u64, blocking: f64) -> Result<f64, AnalyticError> {
    let c = servers_ok(servers)?;
    let target = probability("blocking", blocking)?.ln();
    // B >= 1 − c/a: at a = c/(1 − target) the blocking is at least the target; B(c, a)
    // <= a^c/c! bounds the bottom.
    let hi = c as f64 / (1.0 - blocking);
    let lo = (hi * 1e-300).max(f64::MIN_POSITIVE);
    bisect_log(lo, hi, |a| Ok(ln_erlang_b(c, a)? >= target))
}

/// The fewest servers that keep Erlang B blocking at or below `blocking` for offered
/// load `offered_load`.
///
/// # Errors
/// [`AnalyticError::InvalidParameter`] for a non-positive load or a target outside
/// (0, 1); [`AnalyticError::NoMethod`] when it needs more than [`ERLANG_MAX_STEPS`]
/// servers.
///
/// # Example
/// ```
/// use kendall::analytic::erlang_b_servers;
/// // 84.06 erlangs at 1% blocking need 100 trunks (the table's 100-trunk load).
/// assert_eq!(erlang_b_servers(84.0, 0.01).unwrap(), 100);
/// assert_eq!(erlang_b_servers(84.1, 0.01).unwrap(), 101);
/// ```
pub fn erlang_b_servers(offered_load: f64, blocking: f64) -> Result<u64, AnalyticError> {
    positive("offered_load", offered_load)?;
    let target = probability("blocking", blocking)?;
    let mut b = 1.0;
    for k in 1..=ERLANG_MAX_STEPS {
        let ab = offered_load * b;
        b = ab / (k as f64 + ab);
        if b <= target {
            return Ok(k);
        }
    }
    Err(too_many(offered_load))
}

fn too_many(load: f64) -> AnalyticError {
    AnalyticError::NoMethod {
        reason: format!(
            "an offered load of {load} erlangs needs more than {ERLANG_MAX_STEPS} servers for this target"
        ),
    }
}

/// The offered load a (erlangs, below c) at which an arrival to M/M/c waits with
/// probability `wait_probability`: C(c, a) = wait_probability.
///
/// # Errors
/// As [`erlang_b_load`].
///
/// # Example
/// ```
/// use kendall::analytic::{erlang_c, erlang_c_load};
/// // One server: C(1, a) = a.
/// assert!((erlang_c_load(1, 0.3).unwrap() - 0.3).abs() < 1e-14);
/// let a = erlang_c_load(50, 0.2).unwrap();
/// assert!((erlang_c(50, a).unwrap() - 0.2).abs() < 1e-13);
/// ```
pub fn erlang_c_load(servers: u64, wait_probability: f64) -> Result<f64, AnalyticError> {
    let c = servers_ok(servers)?;
    let target = probability("wait_probability", wait_probability)?;
    let hi = c as f64 * (1.0 - 1e-15);
    let lo = (hi * 1e-300).max(f64::MIN_POSITIVE);
    bisect_log(lo, hi, |a| Ok(erlang_c(c, a)? >= target))
}

/// The fewest servers that keep the Erlang C waiting probability at or below
/// `wait_probability` for offered load `offered_load` (always more than the load).
///
/// # Errors
/// As [`erlang_b_servers`].
///
/// # Example
/// ```
/// use kendall::analytic::{erlang_c, erlang_c_servers};
/// let c = erlang_c_servers(80.0, 0.2).unwrap();
/// assert!(erlang_c(c, 80.0).unwrap() <= 0.2 && erlang_c(c - 1, 80.0).unwrap() > 0.2);
/// ```
pub fn erlang_c_servers(offered_load: f64, wait_probability: f64) -> Result<u64, AnalyticError> {
    positive("offered_load", offered_load)?;
    let target = probability("wait_probability", wait_probability)?;
    let a = offered_load;
    let mut b = 1.0;
    for k in 1..=ERLANG_MAX_STEPS {
        let ab = a * b;
        b = ab / (k as f64 + ab);
        let kf = k as f64;
        if kf > a {
            // C = c·B / (c − a + a·B).
            let c = kf * b / (kf - a + a * b);
            if c <= target {
                return Ok(k);
            }
        }
    }
    Err(too_many(offered_load))
}

/// The largest arrival rate an M/M/c queue (service rate `mu`, `servers` consumers)
/// takes while its sojourn `level`-quantile (e.g. 0.99) stays at or below `limit`
/// seconds.
///
/// # Errors
/// [`AnalyticError::InvalidParameter`] for bad rates, servers, level or limit;
/// [`AnalyticError::NoMethod`] when even a vanishing load misses the limit (the service
/// time's own quantile, −ln(1 − level)/μ, is above it: no arrival rate helps).
///
/// # Example
/// ```
/// use kendall::analytic::{mmc_max_arrival_rate, MMc, QueueMetrics};
/// // M/M/1, μ = 10/s: the sojourn is Exp(μ − λ), p99 = ln 100/(μ − λ) <= 1 s gives
/// // λ = 10 − ln 100.
/// let l = mmc_max_arrival_rate(10.0, 1, 0.99, 1.0).unwrap();
/// assert!((l - (10.0 - 100f64.ln())).abs() < 1e-9);
/// assert!(mmc_max_arrival_rate(10.0, 1, 0.99, 0.4).is_err()); // ln 100/10 = 0.46 s
/// ```
pub fn mmc_max_arrival_rate(
    mu: f64,
    servers: u64,
    level: f64,
    limit: f64,
) -> Result<f64, AnalyticError> {
    positive("service_rate", mu)?;
    positive("limit", limit)?;
    let level = probability("level", level)?;
    let c = servers_ok(servers)?;
    let floor = -(-level).ln_1p() / mu;
    if floor > limit {
        return Err(AnalyticError::NoMethod {
            reason: format!(
                "the service time alone has a {:.4}-quantile of {floor} s, above the limit {limit} s: no arrival rate meets it; speed up service",
                level
            ),
        });
    }
    let capacity = c as f64 * mu;
    let quantile = |lambda: f64| -> Result<f64, AnalyticError> {
        MMc::new(lambda, mu, c)?
            .sojourn_quantile(level)
            .ok_or(AnalyticError::NoMethod {
                reason: "the M/M/c sojourn quantile is not available".into(),
            })
    };
    let (mut lo, mut hi) = (0.0, capacity);
    for _ in 0..INVERSE_STEPS {
        if hi - lo <= 1e-12 * hi {
            break;
        }
        let mid = 0.5 * (lo + hi);
        if mid > 0.0 && quantile(mid)? <= limit {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Ok(lo)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytic::single::erlang::erlang_b;

    /// Closed forms: B(1, a) = a/(1 + a), C(1, a) = a; and B(2, a) = a²/(2 + 2a + a²).
    #[test]
    fn inverses_of_closed_forms() {
        for t in [1e-6, 0.01, 0.5, 0.9] {
            assert!((erlang_b_load(1, t).unwrap() - t / (1.0 - t)).abs() < 1e-13 * t / (1.0 - t));
            assert!((erlang_c_load(1, t).unwrap() - t).abs() < 1e-13);
            // a²(1 − t) − 2ta − 2t = 0.
            let a2 = (t + (t * t + 2.0 * t * (1.0 - t)).sqrt()) / (1.0 - t);
            assert!(
                (erlang_b_load(2, t).unwrap() - a2).abs() < 1e-12 * a2,
                "{t}"
            );
        }
    }

    /// Published Erlang B table values (e.g. Cooper, Introduction to Queueing Theory,
    /// table of the offered load for given trunks and blocking).
    #[test]
    fn erlang_b_table() {
        for (c, b, a) in [
            (10, 0.01, 4.4612),
            (20, 0.01, 12.031),
            (50, 0.02, 40.255),
            (100, 0.01, 84.064),
        ] {
            let got = erlang_b_load(c, b).unwrap();
            assert!((got - a).abs() < 1e-3, "c = {c}, B = {b}: {got} vs {a}");
        }
    }

    /// Round trips for large c and tiny targets, and the servers' search brackets.
    #[test]
    fn round_trips() {
        let a = erlang_b_load(100_000, 1e-100).unwrap();
        let lb = ln_erlang_b(100_000, a).unwrap();
        assert!((lb - (1e-100f64).ln()).abs() < 1e-9, "{lb}");
        for (a, t) in [(0.5, 0.01), (80.0, 0.001), (5000.0, 0.05)] {
            let c = erlang_b_servers(a, t).unwrap();
            assert!(erlang_b(c, a).unwrap() <= t && erlang_b(c - 1, a).unwrap() > t);
            let c = erlang_c_servers(a, t).unwrap();
            assert!(erlang_c(c, a).unwrap() <= t);
            if (c - 1) as f64 > a {
                assert!(erlang_c(c - 1, a).unwrap() > t);
            }
        }
    }

    #[test]
    fn bad_input_is_refused() {
        assert!(erlang_b_load(0, 0.1).is_err());
        assert!(erlang_b_load(5, 1.0).is_err());
        assert!(erlang_b_load(5, f64::NAN).is_err());
        assert!(erlang_c_servers(-1.0, 0.1).is_err());
        assert!(erlang_b_servers(1.0, 0.0).is_err());
        assert!(mmc_max_arrival_rate(1.0, 1, 1.5, 1.0).is_err());
    }
}
