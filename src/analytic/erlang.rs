//! Erlang B and Erlang C by stable recursions.
//!
//! Erlang B: B(0, a) = 1, B(k, a) = a·B(k−1, a) / (k + a·B(k−1, a)). Every step stays in
//! [0, 1], so c = 100 000 and more work without overflow; no factorial or power is formed.
//! Erlang C from B: C(c, a) = B / (1 − ρ(1 − B)) with ρ = a/c < 1.
//! Reference: Jagerman (1974), "Some properties of the Erlang loss function", BSTJ 53(3).

use super::error::{AnalyticError, positive};

/// Erlang B blocking probability of an M/M/c/c loss system with offered load
/// `offered_load` a = λ/μ (erlangs) and `servers` c.
///
/// # Errors
/// [`AnalyticError::InvalidParameter`] for c = 0 or a non-finite / non-positive load.
///
/// # Example
/// ```
/// use kendall::analytic::erlang::erlang_b;
/// // B(1, 1) = 1/2; B(2, 1) = 1/5.
/// assert!((erlang_b(2, 1.0).unwrap() - 0.2).abs() < 1e-15);
/// ```
pub fn erlang_b(servers: u64, offered_load: f64) -> Result<f64, AnalyticError> {
    let a = positive("offered_load", offered_load)?;
    if servers == 0 {
        return Err(AnalyticError::InvalidParameter {
            name: "servers",
            value: 0.0,
            rule: "an integer >= 1",
        });
    }
    let mut b = 1.0;
    for k in 1..=servers {
        let ab = a * b;
        b = ab / (k as f64 + ab);
    }
    Ok(b)
}

/// Erlang C: the probability that an arrival to an M/M/c queue waits, with offered load
/// a = λ/μ and c servers.
///
/// # Errors
/// [`AnalyticError::InvalidParameter`] as for [`erlang_b`]; [`AnalyticError::Unstable`]
/// when ρ = a/c >= 1.
///
/// # Example
/// ```
/// use kendall::analytic::erlang::erlang_c;
/// // M/M/1: C = ρ.
/// assert!((erlang_c(1, 0.7).unwrap() - 0.7).abs() < 1e-15);
/// // c = 100 000 at ρ = 0.999 is fine.
/// let c = erlang_c(100_000, 99_900.0).unwrap();
/// assert!(c > 0.0 && c < 1.0);
/// ```
pub fn erlang_c(servers: u64, offered_load: f64) -> Result<f64, AnalyticError> {
    let b = erlang_b(servers, offered_load)?;
    let rho = offered_load / servers as f64;
    if rho >= 1.0 {
        return Err(AnalyticError::Unstable { utilisation: rho });
    }
    Ok(b / (1.0 - rho * (1.0 - b)))
}
