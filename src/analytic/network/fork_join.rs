//! Fork-join: a topic fans each event out to K listener pools, and the event is done
//! when every listener has finished it.
//!
//! The event's response time is the maximum of its K branch sojourn times. The
//! branches see the same arrivals, so their sojourn times are positively correlated
//! (associated), and no closed form is known beyond K = 2 homogeneous M/M/1 branches.
//!
//! - [`two_branch_mm1`]: exact mean for K = 2 identical M/M/1 branches (Flatto & Hahn
//!   1984; Nelson & Tantawi 1988): R₂ = (12 − ρ)/8 · 1/(μ − λ).
//! - [`nelson_tantawi`]: the Nelson–Tantawi scaling approximation for K >= 2 identical
//!   M/M/1 branches.
//! - [`homogeneous_mm1`]: picks the best of these for K and labels it.
//! - [`independent_max`] / [`independent_max_of_nodes`]: heterogeneous branches (any
//!   rates, servers, service distributions): the mean and percentiles of the maximum of
//!   *independent* branch sojourn times with the given CDFs. Because the true sojourn
//!   times are associated, P(max <= t) >= Π_k F_k(t): the independent maximum is
//!   stochastically larger, so its mean and percentiles are upper bounds on the true
//!   ones (Nelson & Tantawi 1988; Baccelli, Massey & Towsley 1989). Labelled an
//!   approximation.
//!
//! # Example
//! ```
//! use kendall::analytic::{homogeneous_mm1, independent_max};
//! // An event fanned out to 2 listener pools, each an M/M/1 at ρ = 0.5 (μ = 1):
//! let r = homogeneous_mm1(2, 0.5, 1.0).unwrap();
//! assert!((r.mean_response - 2.875).abs() < 1e-12);
//! // Independent branches (sojourn Exp(0.5) each) overstate it: H₂/(μ − λ) = 3.
//! let f = |t: f64| -(-0.5 * t).exp_m1();
//! let ind = independent_max(&[&f, &f], 2.0).unwrap();
//! assert!((ind.mean - 3.0).abs() < 1e-10 && ind.mean > r.mean_response);
//! ```

use crate::analytic::error::{AnalyticError, positive};
use crate::analytic::method::{Exactness, Method};
use crate::analytic::metrics::{Percentiles, QueueMetrics, invert_cdf};
use serde::{Deserialize, Serialize};

/// The K-th harmonic number H_K = 1 + 1/2 + … + 1/K (H_0 = 0).
///
/// # Example
/// ```
/// use kendall::analytic::harmonic;
/// assert_eq!(harmonic(2), 1.5);
/// ```
pub fn harmonic(k: u32) -> f64 {
    // Summed from the small terms up for accuracy.
    (1..=k).rev().map(|i| 1.0 / i as f64).sum()
}

fn rho_of(arrival_rate: f64, service_rate: f64) -> Result<f64, AnalyticError> {
    let lambda = positive("arrival_rate", arrival_rate)?;
    let mu = positive("service_rate", service_rate)?;
    let rho = lambda / mu;
    if rho >= 1.0 {
        return Err(AnalyticError::Unstable { utilisation: rho });
    }
    Ok(rho)
}

/// Exact mean response time of a fork-join of two identical M/M/1 branches:
/// R₂ = (12 − ρ)/8 · 1/(μ − λ), ρ = λ/μ < 1.
///
/// Reference: Flatto & Hahn (1984), "Two parallel queues created by arrivals with two
/// demands I", SIAM J. Appl. Math. 44(5); in this form Nelson & Tantawi (1988),
/// "Approximate analysis of fork/join synchronization in parallel queues", IEEE Trans.
/// Computers 37(6), eq. (3).
///
/// # Errors
/// [`AnalyticError::InvalidParameter`] for a non-finite or non-positive rate;
/// [`AnalyticError::Unstable`] when λ >= μ.
///
/// # Example
/// ```
/// use kendall::analytic::two_branch_mm1;
/// // ρ = 0.5, μ = 1: (11.5/8)·2 = 2.875, between one branch (2) and two independent
/// // branches (3).
/// assert!((two_branch_mm1(0.5, 1.0).unwrap() - 2.875).abs() < 1e-15);
/// ```
pub fn two_branch_mm1(arrival_rate: f64, service_rate: f64) -> Result<f64, AnalyticError> {
    let rho = rho_of(arrival_rate, service_rate)?;
    Ok((12.0 - rho) / 8.0 / (service_rate - arrival_rate))
}

/// Nelson–Tantawi approximation of the mean response time of a fork-join of K >= 2
/// identical M/M/1 branches:
///
/// R_K ≈ [H_K/H₂ + (4/11)·(1 − H_K/H₂)·ρ] · (12 − ρ)/8 · 1/(μ − λ),
///
/// with H_K the K-th harmonic number (H₂ = 3/2). It scales the exact K = 2 value; the
/// coefficient 4ρ/11 was fitted to simulations with 2 <= K <= 32 (beyond 32 it is an
/// extrapolation). At K = 2 it equals [`two_branch_mm1`].
///
/// Reference: Nelson & Tantawi (1988), IEEE Trans. Computers 37(6), 739–743; the form
/// above as printed in Thomasian (2014), "Analysis of fork/join and related queueing
/// systems", ACM Computing Surveys 47(2), Table I, eq. (3).
///
/// # Errors
/// [`AnalyticError::InvalidParameter`] for K < 2 or a bad rate;
/// [`AnalyticError::Unstable`] when λ >= μ.
///
/// # Example
/// ```
/// use kendall::analytic::{nelson_tantawi, two_branch_mm1};
/// let r2 = two_branch_mm1(0.7, 1.0).unwrap();
/// assert!((nelson_tantawi(2, 0.7, 1.0).unwrap() - r2).abs() < 1e-12);
/// assert!(nelson_tantawi(8, 0.7, 1.0).unwrap() > r2);
/// ```
pub fn nelson_tantawi(
    branches: u32,
    arrival_rate: f64,
    service_rate: f64,
) -> Result<f64, AnalyticError> {
    if branches < 2 {
        return Err(AnalyticError::InvalidParameter {
            name: "branches",
            value: branches as f64,
            rule: "an integer >= 2 (one branch is a plain M/M/1)",
        });
    }
    let rho = rho_of(arrival_rate, service_rate)?;
    let h = harmonic(branches) / 1.5;
    Ok((h + 4.0 / 11.0 * (1.0 - h) * rho) * (12.0 - rho) / 8.0 / (service_rate - arrival_rate))
}

/// A mean fork-join response time and how it was obtained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ForkJoinMean {
    /// Mean time from the fork until the last branch finishes, seconds.
    pub mean_response: f64,
    /// Exact (K <= 2) or the Nelson–Tantawi approximation (K >= 3).
    pub method: Method,
}

/// Mean response time of a fork-join of K identical M/M/1 branches by the best method
/// for K: K = 1 is an M/M/1 (1/(μ − λ), exact), K = 2 [`two_branch_mm1`] (exact),
/// K >= 3 [`nelson_tantawi`] (approximation; its method name says when K > 32 lies
/// outside the validated range).
///
/// # Errors
/// [`AnalyticError::InvalidParameter`] for K = 0 or a bad rate;
/// [`AnalyticError::Unstable`] when λ >= μ.
///
/// # Example
/// ```
/// use kendall::analytic::{Exactness, homogeneous_mm1};
/// let r = homogeneous_mm1(5, 0.5, 1.0).unwrap();
/// assert_eq!(r.method.exactness, Exactness::Approximation);
/// ```
pub fn homogeneous_mm1(
    branches: u32,
    arrival_rate: f64,
    service_rate: f64,
) -> Result<ForkJoinMean, AnalyticError> {
    match branches {
        0 => Err(AnalyticError::InvalidParameter {
            name: "branches",
            value: 0.0,
            rule: "an integer >= 1",
        }),
        1 => {
            rho_of(arrival_rate, service_rate)?;
            Ok(ForkJoinMean {
                mean_response: 1.0 / (service_rate - arrival_rate),
                method: Method::exact("M/M/1", "Kleinrock (1975), Queueing Systems Vol. 1, §3.2"),
            })
        }
        2 => Ok(ForkJoinMean {
            mean_response: two_branch_mm1(arrival_rate, service_rate)?,
            method: Method::exact(
                "two-branch M/M/1 fork-join (Flatto–Hahn)",
                "Flatto & Hahn (1984), SIAM J. Appl. Math. 44(5); Nelson & Tantawi (1988), \
                 IEEE Trans. Computers 37(6)",
            ),
        }),
        k => Ok(ForkJoinMean {
            mean_response: nelson_tantawi(k, arrival_rate, service_rate)?,
            method: Method::approximation(
                if k <= 32 {
                    "Nelson–Tantawi fork-join approximation"
                } else {
                    "Nelson–Tantawi fork-join approximation (extrapolated beyond K = 32)"
                },
                "Nelson & Tantawi (1988), IEEE Trans. Computers 37(6); Thomasian (2014), \
                 ACM Computing Surveys 47(2), Table I eq. (3)",
            ),
        }),
    }
}

/// Mean and percentiles of the maximum of independent branch sojourn times.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct IndependentMax {
    /// E[max_k T_k] with the T_k independent, seconds.
    pub mean: f64,
    /// Estimated absolute error of the numerical integration, seconds (Gauss–Kronrod
    /// error estimates plus the neglected tail). It does not include the error of the
    /// independence assumption itself.
    pub error_estimate: f64,
    /// p50, p95, p99, p999 of the independent maximum: the t with Π_k F_k(t) = p.
    pub percentiles: Percentiles,
    /// Labelled an approximation (an upper-bound-style estimate of the fork-join).
    pub method: Method,
}

fn max_method() -> Method {
    Method::approximation(
        "maximum of independent branch sojourn times (upper bound for associated branches)",
        "Nelson & Tantawi (1988), IEEE Trans. Computers 37(6); Baccelli, Massey & Towsley \
         (1989), JACM 36(3); Kemper & Mandjes (2012), OR Spectrum 34",
    )
}

/// Relative accuracy asked of the integral.
const REL_TOL: f64 = 1e-12;

// 15-point Gauss–Kronrod rule on [-1, 1] (QUADPACK qk15): nodes, Kronrod weights, and
// the 7-point Gauss weights of the odd-indexed nodes.
const XGK: [f64; 8] = [
    0.991_455_371_120_812_6,
    0.949_107_912_342_758_5,
    0.864_864_423_359_769_1,
    0.741_531_185_599_394_4,
    0.586_087_235_467_691_1,
    0.405_845_151_377_397_2,
    0.207_784_955_007_898_5,
    0.0,
];
const WGK: [f64; 8] = [
    0.022_935_322_010_529_22,
    0.063_092_092_629_978_55,
    0.104_790_010_322_250_2,
    0.140_653_259_715_525_9,
    0.169_004_726_639_267_9,
    0.190_350_578_064_785_4,
    0.204_432_940_075_298_9,
    0.209_482_141_084_727_8,
];
const WG: [f64; 4] = [
    0.129_484_966_168_869_7,
    0.279_705_391_489_276_7,
    0.381_830_050_505_118_9,
    0.417_959_183_673_469_4,
];

/// One Gauss–Kronrod panel: (Kronrod value, |Kronrod − Gauss|).
fn gk15(
    f: &mut impl FnMut(f64) -> Result<f64, AnalyticError>,
    a: f64,
    b: f64,
) -> Result<(f64, f64), AnalyticError> {
    let c = 0.5 * (a + b);
    let h = 0.5 * (b - a);
    let fc = f(c)?;
    let mut kron = WGK[7] * fc;
    let mut gauss = WG[3] * fc;
    for j in 0..7 {
        let s = f(c - h * XGK[j])? + f(c + h * XGK[j])?;
        kron += WGK[j] * s;
        if j % 2 == 1 {
            gauss += WG[j / 2] * s;
        }
    }
    Ok((kron * h, ((kron - gauss) * h).abs()))
}

/// Adaptive Gauss–Kronrod on [a, b] to absolute tolerance `tol` by bisection.
fn adaptive(
    f: &mut impl FnMut(f64) -> Result<f64, AnalyticError>,
    a: f64,
    b: f64,
    tol: f64,
) -> Result<(f64, f64), AnalyticError> {
    let mut stack = vec![(a, b, 0u32)];
    let (mut value, mut error) = (0.0, 0.0);
    while let Some((lo, hi, depth)) = stack.pop() {
        let (v, e) = gk15(f, lo, hi)?;
        // Accept when the panel meets its share of the tolerance, or when it can no
        // longer be split meaningfully (a jump of the CDF: its error is then ~1 ulp·width).
        let share = tol * (hi - lo) / (b - a);
        if e <= share.max(f64::EPSILON * v.abs())
            || depth >= 60
            || hi - lo <= 4.0 * f64::EPSILON * hi
        {
            value += v;
            error += e;
        } else {
            let mid = 0.5 * (lo + hi);
            stack.push((lo, mid, depth + 1));
            stack.push((mid, hi, depth + 1));
        }
    }
    Ok((value, error))
}

/// Π_k F_k(t), checking each value is a probability.
fn product_cdf(cdfs: &[&dyn Fn(f64) -> f64], t: f64) -> Result<f64, AnalyticError> {
    let mut prod = 1.0;
    for f in cdfs {
        let v = f(t);
        if !(0.0..=1.0).contains(&v) {
            return Err(AnalyticError::InvalidParameter {
                name: "cdf",
                value: v,
                rule: "a probability in [0, 1] at every t >= 0 (a branch CDF returned something else)",
            });
        }
        prod *= v;
    }
    Ok(prod)
}

fn check_inputs(cdfs: &[&dyn Fn(f64) -> f64], scale: f64) -> Result<(), AnalyticError> {
    positive("scale", scale)?;
    if cdfs.is_empty() {
        return Err(AnalyticError::InvalidParameter {
            name: "cdfs",
            value: 0.0,
            rule: "a non-empty list of branch sojourn CDFs",
        });
    }
    Ok(())
}

/// Mean and percentiles of max_k T_k for independent T_k with CDFs `cdfs`:
///
/// E\[max\] = ∫₀^∞ (1 − Π_k F_k(t)) dt,  and the p-quantile solves Π_k F_k(t) = p.
///
/// Used as an estimate of a fork-join with heterogeneous branches (different rates,
/// servers or service distributions): each F_k is the sojourn CDF of branch k on its
/// own (e.g. [`QueueMetrics::sojourn_cdf`]). Independence is an assumption: real
/// branches fed by the same events are positively correlated, so these figures are
/// upper bounds on the true mean and percentiles (Baccelli, Massey & Towsley 1989),
/// tight when the branches are lightly loaded (at ρ → 0 the branches are independent)
/// or when one branch dominates. For identical M/M/1 branches they give H_K/(μ − λ)
/// against the Nelson–Tantawi value (ρ = 0.5, K = 2: 3 against the exact 2.875).
///
/// Numerics: the integral is taken over [0, s], [s, 2s], [2s, 4s], … (s = `scale`,
/// a typical branch time such as the largest branch mean) by adaptive 15-point
/// Gauss–Kronrod quadrature to relative accuracy 1e-12, until a segment adds less than
/// 1e-15 of the total and the integrand is below 1e-15; quantiles by bisection to
/// relative precision 1e-13 ([`invert_cdf`]). CDF jumps (deterministic times, atoms at
/// zero) are handled by bisection down to rounding width.
///
/// # Errors
/// [`AnalyticError::InvalidParameter`] for an empty list, a non-positive or non-finite
/// `scale`, or a CDF value outside [0, 1] (NaN included);
/// [`AnalyticError::NoMethod`] when the tail has not died out by 2^200·scale (a CDF
/// that never reaches 1), or a percentile cannot be bracketed.
///
/// # Example
/// ```
/// use kendall::analytic::independent_max;
/// // Exp(1) and Exp(2): E[max] = 1 + 1/2 − 1/3.
/// let f1 = |t: f64| -(-t).exp_m1();
/// let f2 = |t: f64| -(-2.0 * t).exp_m1();
/// let m = independent_max(&[&f1, &f2], 1.0).unwrap();
/// assert!((m.mean - (1.0 + 0.5 - 1.0 / 3.0)).abs() < 1e-11);
/// ```
pub fn independent_max(
    cdfs: &[&dyn Fn(f64) -> f64],
    scale: f64,
) -> Result<IndependentMax, AnalyticError> {
    check_inputs(cdfs, scale)?;
    let mut integrand = |t: f64| product_cdf(cdfs, t).map(|p| 1.0 - p);
    let (mut total, mut error) = adaptive(&mut integrand, 0.0, scale, REL_TOL * scale)?;
    if total < 0.5 * scale {
        // The scale overstated the times: tighten to the size of the integral itself.
        (total, error) = adaptive(&mut integrand, 0.0, scale, REL_TOL * total.max(1e-300))?;
    }
    let mut a = scale;
    let mut done = false;
    for _ in 0..200 {
        let b = 2.0 * a;
        let tol = REL_TOL * total.max(f64::MIN_POSITIVE);
        let (v, e) = adaptive(&mut integrand, a, b, tol)?;
        total += v;
        error += e;
        a = b;
        if v <= 1e-15 * total && integrand(b)? <= 1e-15 {
            // The tail beyond b is at most about the last segment's worth again.
            error += v;
            done = true;
            break;
        }
    }
    if !done {
        return Err(AnalyticError::NoMethod {
            reason: format!(
                "the maximum's tail 1 − Π F_k(t) has not died out by t = {a:e} s: check that every branch CDF tends to 1, or simulate"
            ),
        });
    }
    let percentiles = Percentiles::from_fn(|p| independent_max_quantile(cdfs, p, scale).ok())
        .ok_or_else(|| AnalyticError::NoMethod {
            reason: "a percentile of the maximum could not be bracketed".into(),
        })?;
    Ok(IndependentMax {
        mean: total,
        error_estimate: error,
        percentiles,
        method: max_method(),
    })
}

/// The p-quantile of max_k T_k for independent T_k: the smallest t with
/// Π_k F_k(t) >= p, by bracketing from `scale` and bisection (relative precision 1e-13).
///
/// # Errors
/// [`AnalyticError::InvalidParameter`] for p outside (0, 1), an empty list, a bad
/// `scale` or a CDF value outside [0, 1]; [`AnalyticError::NoMethod`] if the product
/// never reaches p.
///
/// # Example
/// ```
/// use kendall::analytic::independent_max_quantile;
/// // Three Exp(1): (1 − e^{−t})³ = p  ⇒  t = −ln(1 − p^{1/3}).
/// let f = |t: f64| -(-t).exp_m1();
/// let t = independent_max_quantile(&[&f, &f, &f], 0.99, 1.0).unwrap();
/// assert!((t - -(1.0 - 0.99f64.powf(1.0 / 3.0)).ln()).abs() < 1e-11);
/// ```
pub fn independent_max_quantile(
    cdfs: &[&dyn Fn(f64) -> f64],
    p: f64,
    scale: f64,
) -> Result<f64, AnalyticError> {
    check_inputs(cdfs, scale)?;
    if !(p > 0.0 && p < 1.0) {
        return Err(AnalyticError::InvalidParameter {
            name: "p",
            value: p,
            rule: "a probability strictly between 0 and 1",
        });
    }
    // Validate the CDFs at 0 and at the scale before the search (which cannot fail).
    product_cdf(cdfs, 0.0)?;
    product_cdf(cdfs, scale)?;
    let bad = std::cell::RefCell::new(None);
    let t = invert_cdf(
        |t| match product_cdf(cdfs, t) {
            Ok(v) => v,
            Err(e) => {
                bad.borrow_mut().get_or_insert(e);
                1.0
            }
        },
        p,
        scale,
    );
    if let Some(e) = bad.into_inner() {
        return Err(e);
    }
    t.ok_or_else(|| AnalyticError::NoMethod {
        reason: format!("Π F_k(t) never reaches {p}: check that every branch CDF tends to 1"),
    })
}

/// [`independent_max`] over solved nodes (one per listener pool), from each node's
/// exact sojourn CDF; `scale` is the largest mean sojourn.
///
/// # Errors
/// [`AnalyticError::NoMethod`] naming the first node without a known sojourn CDF (its
/// method), plus the errors of [`independent_max`].
///
/// # Example
/// ```
/// use kendall::analytic::{QueueMetrics, independent_max_of_nodes, MM1};
/// let fast = MM1::new(0.5, 2.0).unwrap();
/// let slow = MM1::new(0.5, 1.0).unwrap();
/// let m = independent_max_of_nodes(&[&fast, &slow]).unwrap();
/// // Exp(1.5) and Exp(0.5): 1/1.5 + 1/0.5 − 1/2.
/// assert!((m.mean - (1.0 / 1.5 + 2.0 - 0.5)).abs() < 1e-10);
/// ```
pub fn independent_max_of_nodes(
    nodes: &[&dyn QueueMetrics],
) -> Result<IndependentMax, AnalyticError> {
    for n in nodes {
        if n.sojourn_cdf(0.0).is_none() {
            return Err(AnalyticError::NoMethod {
                reason: format!(
                    "the sojourn-time distribution of a {} branch is not known: simulate the fork-join",
                    n.method()
                ),
            });
        }
    }
    let closures: Vec<Box<dyn Fn(f64) -> f64 + '_>> = nodes
        .iter()
        .map(|n| {
            Box::new(move |t: f64| n.sojourn_cdf(t).unwrap_or(f64::NAN)) as Box<dyn Fn(f64) -> f64>
        })
        .collect();
    let refs: Vec<&dyn Fn(f64) -> f64> = closures.iter().map(|b| b.as_ref()).collect();
    let scale = nodes.iter().map(|n| n.mean_sojourn()).fold(0.0, f64::max);
    let mut out = independent_max(&refs, scale)?;
    if nodes.iter().any(|n| {
        let m = n.distribution_method().unwrap_or_else(|| n.method());
        m.exactness == Exactness::Approximation
    }) {
        out.method
            .name
            .push_str("; some branch CDFs are approximations");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytic::single::mm1::MM1;
    use nalgebra::{DMatrix, DVector};

    fn rel(a: f64, b: f64) -> f64 {
        (a - b).abs() / b.abs()
    }

    #[test]
    fn two_branch_limits_and_nelson_tantawi_at_k2() {
        // ρ → 0: the branches are independent single services, E[max of two Exp(μ)]
        // = 1.5/μ.
        let mu = 3.0;
        let r = two_branch_mm1(1e-9, mu).unwrap();
        assert!(rel(r, 1.5 / mu) < 1e-8);
        for rho in [0.01, 0.3, 0.5, 0.9, 0.99] {
            let (l, m) = (rho * 2.0, 2.0);
            let exact = two_branch_mm1(l, m).unwrap();
            // N–T at K = 2 coincides with the exact value.
            assert!(rel(nelson_tantawi(2, l, m).unwrap(), exact) < 1e-14);
            // Between one branch 1/(μ−λ) and two independent branches 1.5/(μ−λ).
            assert!(exact > 1.0 / (m - l) && exact < 1.5 / (m - l));
            // N–T grows with K and stays below the independent bound H_K/(μ−λ).
            let mut last = exact;
            for k in 3..=32 {
                let nt = nelson_tantawi(k, l, m).unwrap();
                assert!(nt > last && nt <= harmonic(k) / (m - l) * (1.0 + 1e-12));
                last = nt;
            }
        }
        let h = homogeneous_mm1(2, 0.5, 1.0).unwrap();
        assert_eq!(h.method.exactness, Exactness::Exact);
        assert_eq!(homogeneous_mm1(1, 0.5, 1.0).unwrap().mean_response, 2.0);
        assert!(
            homogeneous_mm1(40, 0.5, 1.0)
                .unwrap()
                .method
                .name
                .contains("extrapolated")
        );
        // A value of the published formula by hand: K = 4, ρ = 0.5, μ = 1:
        // H_4 = 25/12, H_4/H_2 = 25/18; [25/18 − (4/11)(7/18)(0.5)]·(11.5/8)·2.
        let by_hand = (25.0 / 18.0 - 4.0 / 11.0 * 7.0 / 18.0 * 0.5) * 11.5 / 8.0 * 2.0;
        assert!(rel(nelson_tantawi(4, 0.5, 1.0).unwrap(), by_hand) < 1e-14);
    }

    /// Second method: the CTMC of two M/M/1 queues fed by the same Poisson arrivals,
    /// truncated at B = 40 per queue (arrivals blocked when either is full; blocking
    /// probability ≈ 2·0.5⁴⁰ ≈ 2e-12 at ρ = 0.5), solved densely. With FIFO queues the
    /// unfinished events are the latest max(n₁, n₂) arrivals, so by Little's law the
    /// mean response is E[max(n₁, n₂)] / (admitted rate).
    #[test]
    fn two_branch_against_truncated_ctmc() {
        let (lambda, mu, b) = (0.5, 1.0, 40usize);
        let w = b + 1;
        let idx = |i: usize, j: usize| i * w + j;
        let s = w * w;
        let mut q = DMatrix::<f64>::zeros(s, s);
        for i in 0..=b {
            for j in 0..=b {
                let a = idx(i, j);
                let mut add = |to: usize, rate: f64| {
                    q[(a, to)] += rate;
                    q[(a, a)] -= rate;
                };
                if i < b && j < b {
                    add(idx(i + 1, j + 1), lambda);
                }
                if i > 0 {
                    add(idx(i - 1, j), mu);
                }
                if j > 0 {
                    add(idx(i, j - 1), mu);
                }
            }
        }
        let mut a = q.transpose();
        for c in 0..s {
            a[(s - 1, c)] = 1.0;
        }
        let mut rhs = DVector::<f64>::zeros(s);
        rhs[s - 1] = 1.0;
        let pi = a.lu().solve(&rhs).unwrap();
        let (mut l, mut blocked) = (0.0, 0.0);
        for i in 0..=b {
            for j in 0..=b {
                let p = pi[idx(i, j)];
                l += p * i.max(j) as f64;
                if i == b || j == b {
                    blocked += p;
                }
            }
        }
        let r_ctmc = l / (lambda * (1.0 - blocked));
        let r = two_branch_mm1(lambda, mu).unwrap();
        eprintln!("two-branch fork-join at ρ = 0.5: CTMC {r_ctmc:.12}, formula {r:.12}");
        assert!(rel(r, r_ctmc) < 1e-9, "{r} vs {r_ctmc}");
        // The marginal of each queue is M/M/1: E[n₁] = ρ/(1−ρ) = 1.
        let n1: f64 = (0..=b)
            .flat_map(|i| (0..=b).map(move |j| (i, j)))
            .map(|(i, j)| pi[idx(i, j)] * i as f64)
            .sum();
        assert!(rel(n1, 1.0) < 1e-9);
    }

    /// E[max of K independent Exp(μ)] = H_K/μ; heterogeneous rates by
    /// inclusion–exclusion E[max] = Σ_{S≠∅} (−1)^{|S|+1} / Σ_{k∈S} μ_k; percentiles of
    /// identical exponentials t = −ln(1 − p^{1/K})/μ.
    #[test]
    fn independent_max_closed_forms() {
        for mu in [0.25, 1.0, 40.0] {
            let f = move |t: f64| -(-mu * t).exp_m1();
            for k in 1..=10usize {
                let cdfs: Vec<&dyn Fn(f64) -> f64> = vec![&f; k];
                let m = independent_max(&cdfs, 1.0 / mu).unwrap();
                let want = harmonic(k as u32) / mu;
                assert!(
                    rel(m.mean, want) < 1e-10,
                    "mu={mu} K={k}: {} vs {want}",
                    m.mean
                );
                assert!(m.error_estimate < 1e-9 * want);
                for (got, p) in [
                    (m.percentiles.p50, 0.5f64),
                    (m.percentiles.p99, 0.99),
                    (m.percentiles.p999, 0.999),
                ] {
                    let t = -(-p.powf(1.0 / k as f64)).ln_1p() / mu;
                    assert!(rel(got, t) < 1e-11, "K={k} p={p}: {got} vs {t}");
                }
            }
        }
        let rates = [0.5, 1.0, 2.0, 3.5, 7.0];
        let fs: Vec<Box<dyn Fn(f64) -> f64>> = rates
            .iter()
            .map(|&r| Box::new(move |t: f64| -(-r * t).exp_m1()) as Box<dyn Fn(f64) -> f64>)
            .collect();
        let refs: Vec<&dyn Fn(f64) -> f64> = fs.iter().map(|b| b.as_ref()).collect();
        let mut want = 0.0;
        for mask in 1u32..(1 << rates.len()) {
            let sum: f64 = (0..rates.len())
                .filter(|i| mask & (1 << i) != 0)
                .map(|i| rates[i])
                .sum();
            let sign = if mask.count_ones() % 2 == 1 {
                1.0
            } else {
                -1.0
            };
            want += sign / sum;
        }
        let m = independent_max(&refs, 2.0).unwrap();
        assert!(rel(m.mean, want) < 1e-10, "{} vs {want}", m.mean);
        // A poor scale (far too large, or far too small) still gives the answer.
        assert!(rel(independent_max(&refs, 1e4).unwrap().mean, want) < 1e-10);
        assert!(rel(independent_max(&refs, 1e-6).unwrap().mean, want) < 1e-10);
    }

    /// CDFs with jumps: a deterministic branch d = 1 and an Exp(1) branch:
    /// E[max(X, 1)] = 1 + E[(X − 1)⁺] = 1 + e⁻¹; and an atom at zero (a branch that is
    /// instantaneous with probability 0.3, else Exp(2)) together with Exp(2).
    #[test]
    fn independent_max_with_jumps_and_atoms() {
        let det = |t: f64| if t >= 1.0 { 1.0 } else { 0.0 };
        let exp1 = |t: f64| -(-t).exp_m1();
        let m = independent_max(&[&det, &exp1], 1.0).unwrap();
        assert!(rel(m.mean, 1.0 + (-1.0f64).exp()) < 1e-10, "{}", m.mean);
        // Median of max: P(max <= t) = 0 below 1, then 1 − e^{−t} at t >= 1 (0.632 > 0.5).
        assert!(rel(m.percentiles.p50, 1.0) < 1e-12);
        let atom = |t: f64| 0.3 + 0.7 * -(-2.0 * t).exp_m1();
        let exp2 = |t: f64| -(-2.0 * t).exp_m1();
        // E[max] = ∫ 1 − F₁F₂: with u = e^{−2t}: F₁ = 1 − 0.7u, F₂ = 1 − u;
        // 1 − F₁F₂ = 1.7u − 0.7u², ∫ = 1.7/2 − 0.7/4.
        let m = independent_max(&[&atom, &exp2], 0.5).unwrap();
        assert!(rel(m.mean, 1.7 / 2.0 - 0.7 / 4.0) < 1e-10);
    }

    #[test]
    fn nodes_and_bounds() {
        // Identical M/M/1 listener pools: the independent maximum H_K/(μ−λ) bounds the
        // exact (K = 2) and Nelson–Tantawi (K > 2) values from above.
        let q = MM1::new(0.6, 1.0).unwrap();
        for k in 2..=6usize {
            let nodes: Vec<&dyn QueueMetrics> = vec![&q; k];
            let ind = independent_max_of_nodes(&nodes).unwrap();
            let want = harmonic(k as u32) / 0.4;
            assert!(rel(ind.mean, want) < 1e-10);
            assert!(ind.mean > homogeneous_mm1(k as u32, 0.6, 1.0).unwrap().mean_response);
            assert_eq!(ind.method.exactness, Exactness::Approximation);
        }
    }

    #[test]
    fn rejects_bad_input() {
        assert!(matches!(
            two_branch_mm1(1.0, 1.0),
            Err(AnalyticError::Unstable { .. })
        ));
        assert!(two_branch_mm1(-1.0, 1.0).is_err());
        assert!(nelson_tantawi(1, 0.5, 1.0).is_err());
        assert!(homogeneous_mm1(0, 0.5, 1.0).is_err());
        assert!(homogeneous_mm1(3, 2.0, 1.0).is_err());
        let f = |t: f64| -(-t).exp_m1();
        assert!(independent_max(&[], 1.0).is_err());
        assert!(independent_max(&[&f], 0.0).is_err());
        assert!(independent_max(&[&f], f64::NAN).is_err());
        let broken = |_t: f64| f64::NAN;
        assert!(matches!(
            independent_max(&[&f, &broken], 1.0),
            Err(AnalyticError::InvalidParameter { name: "cdf", .. })
        ));
        let defective = |t: f64| 0.5 * -(-t).exp_m1();
        assert!(matches!(
            independent_max(&[&defective], 1.0),
            Err(AnalyticError::NoMethod { .. })
        ));
        assert!(independent_max_quantile(&[&f], 1.0, 1.0).is_err());
        assert!(independent_max_quantile(&[&defective], 0.9, 1.0).is_err());
        assert!(independent_max_quantile(&[&broken], 0.9, 1.0).is_err());
    }
}
