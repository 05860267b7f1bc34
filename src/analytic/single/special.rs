//! Numerical building blocks shared by the Markovian solvers (crate-private).
//!
//! Everything here works in log space or with `expm1`/`ln_1p` so that the solvers never
//! form a quantity that overflows or underflows a double while the answer they need is
//! representable (P0 of an M/M/c with c = 10⁴ is about 10⁻⁴³⁴⁰; ρ^K of an M/M/1/K at
//! ρ = 3, K = 10⁶ overflows).

use std::f64::consts::PI;

/// ln(eˣ + eʸ) without overflow; either argument may be −∞.
pub(crate) fn log_add_exp(x: f64, y: f64) -> f64 {
    let (hi, lo) = if x >= y { (x, y) } else { (y, x) };
    if lo == f64::NEG_INFINITY {
        return hi;
    }
    hi + (lo - hi).exp().ln_1p()
}

/// ln Σ_{j=0}^{n−1} e^{jx}, the log of a geometric sum with ratio eˣ; −∞ for n = 0.
///
/// Uses expm1(nx)/expm1(x), which is accurate for x near 0 (the ratio-one limit n is
/// exact at x = 0), and factors out the largest term for x > 0 so nothing overflows.
pub(crate) fn ln_geom_sum(x: f64, n: u64) -> f64 {
    if n == 0 {
        return f64::NEG_INFINITY;
    }
    let nf = n as f64;
    if x == 0.0 {
        nf.ln()
    } else if x < 0.0 {
        ((nf * x).exp_m1() / x.exp_m1()).ln()
    } else {
        (nf - 1.0) * x + ((-nf * x).exp_m1() / (-x).exp_m1()).ln()
    }
}

/// Mean of the truncated geometric law on {0, …, m} with P(j) ∝ e^{jx}:
/// Σ j e^{jx} / Σ e^{jx}. Exact limit m/2 at x = 0; a cumulant series (discrete-uniform
/// cumulants κ₂ = (N²−1)/12, κ₄ = −(N⁴−1)/120, κ₆ = (N⁶−1)/252, N = m + 1) where
/// N|x| < 0.05, the closed form 1/expm1(y) − N/expm1(Ny) (y = −x) elsewhere, and the
/// reflection E(x) = m − E(−x) for x > 0.
pub(crate) fn truncated_geometric_mean(x: f64, m: u64) -> f64 {
    if m == 0 {
        return 0.0;
    }
    let mf = m as f64;
    if x > 0.0 {
        return mf - truncated_geometric_mean(-x, m);
    }
    let y = -x;
    let n = mf + 1.0;
    if n * y < 0.05 {
        let n2 = n * n;
        let y2 = y * y;
        0.5 * mf - y * (n2 - 1.0) / 12.0 + y * y2 * (n2 * n2 - 1.0) / 720.0
            - y * y2 * y2 * (n2 * n2 * n2 - 1.0) / 30240.0
    } else {
        1.0 / y.exp_m1() - n / (n * y).exp_m1()
    }
}

/// Variance of the truncated geometric law on {0, …, m} with P(j) ∝ e^{jx} (the
/// companion of [`truncated_geometric_mean`]), without the cancellation of
/// E[j²] − E[j]²: it is the second derivative of ln Σ e^{jx}, which with y = |x| and
/// N = m + 1 is f(y) − N²·f(Ny), f(z) = 1/(4 sinh²(z/2)) = e^{−z}/expm1(−z)². Both
/// terms are about 1/y² when Ny is small, so there the exactly cancelling parts are
/// removed: with g(z) = f(z) − 1/z² (a Bernoulli series below 1.5, 14 terms),
/// Var = g(y) − N²·g(Ny), whose terms are ≤ 1/12 and −N²g(Ny) >= N²/12·(…) dominates.
/// For y >= 1.5 the plain form (N²f(Ny) ≤ N²e^{−Ny} is then negligible or small); for
/// m < 64 a direct two-pass sum. Exact m(m + 2)/12 at x = 0; symmetric in x.
pub(crate) fn truncated_geometric_var(x: f64, m: u64) -> f64 {
    if m == 0 {
        return 0.0;
    }
    let y = x.abs();
    if m < 64 {
        let w = |j: u64| (-(j as f64) * y).exp();
        let s0: f64 = (0..=m).map(w).sum();
        let mean = (0..=m).map(|j| j as f64 * w(j)).sum::<f64>() / s0;
        return (0..=m)
            .map(|j| {
                let d = j as f64 - mean;
                d * d * w(j)
            })
            .sum::<f64>()
            / s0;
    }
    if y == 0.0 {
        let mf = m as f64;
        return mf * (mf + 2.0) / 12.0;
    }
    let n = (m as f64) + 1.0;
    let f = |z: f64| {
        let d = (-z).exp_m1();
        (-z).exp() / (d * d)
    };
    if y >= 1.5 {
        return f(y) - n * n * f(n * y);
    }
    // g(z) = −Σ_{k>=1} (2k − 1)·B_{2k}·z^{2k−2}/(2k)!.
    const G: [f64; 14] = [
        -0.08333333333333333,
        0.004166666666666667,
        -0.00016534391534391533,
        5.787037037037037e-06,
        -1.8789081289081288e-07,
        5.812609152556243e-09,
        -1.7397297489890083e-10,
        5.084520444483875e-12,
        -1.4596305495672335e-13,
        4.1322505272603176e-15,
        -1.1568905939556482e-16,
        3.2095268777368804e-18,
        -8.836767599073669e-20,
        2.4174497053001377e-21,
    ];
    let g = |z: f64| {
        if z < 1.5 {
            let z2 = z * z;
            G.iter().rev().fold(0.0, |acc, &c| acc * z2 + c)
        } else {
            f(z) - 1.0 / (z * z)
        }
    };
    g(y) - n * n * g(n * y)
}

/// Loader's Stirling-formula error δ(n) = ln n! − (n + ½) ln n + n − ½ ln 2π.
pub(crate) fn stirlerr(n: u64) -> f64 {
    const S0: f64 = 1.0 / 12.0;
    const S1: f64 = 1.0 / 360.0;
    const S2: f64 = 1.0 / 1260.0;
    const S3: f64 = 1.0 / 1680.0;
    const S4: f64 = 1.0 / 1188.0;
    if n <= 15 {
        // n! is exact in a double for n <= 18.
        let fact: f64 = (1..=n).map(|k| k as f64).product();
        let nf = n as f64;
        return fact.ln() - (nf + 0.5) * nf.ln() + nf - 0.5 * (2.0 * PI).ln();
    }
    let nf = n as f64;
    let nn = nf * nf;
    if n > 500 {
        (S0 - S1 / nn) / nf
    } else if n > 80 {
        (S0 - (S1 - S2 / nn) / nn) / nf
    } else if n > 35 {
        (S0 - (S1 - (S2 - S3 / nn) / nn) / nn) / nf
    } else {
        (S0 - (S1 - (S2 - (S3 - S4 / nn) / nn) / nn) / nn) / nf
    }
}

/// Loader's deviance term x ln(x/np) + np − x, by a series when x ≈ np.
fn bd0(x: f64, np: f64) -> f64 {
    if (x - np).abs() < 0.1 * (x + np) {
        let mut v = (x - np) / (x + np);
        let mut s = (x - np) * v;
        let mut ej = 2.0 * x * v;
        v *= v;
        for j in 1..1000 {
            ej *= v;
            let s1 = s + ej / f64::from(2 * j + 1);
            if s1 == s {
                return s1;
            }
            s = s1;
        }
        return s;
    }
    x * (x / np).ln() + np - x
}

/// ln P(Poisson(y) = i) = −y + i ln y − ln i!, accurate to a few ulps for any i and y by
/// Loader's saddle-point form (Loader 2000, "Fast and accurate computation of binomial
/// probabilities"; the algorithm of R's `dpois`). −∞ where the probability is 0.
pub(crate) fn ln_poisson_pmf(i: u64, y: f64) -> f64 {
    if y == 0.0 {
        return if i == 0 { 0.0 } else { f64::NEG_INFINITY };
    }
    if i == 0 {
        return -y;
    }
    let x = i as f64;
    -stirlerr(i) - bd0(x, y) - 0.5 * (2.0 * PI * x).ln()
}

/// Σ_{i ≥ 0} P(Poisson(y) = i) · r(i) for a non-increasing `r` with values in [0, 1]
/// that vanishes from `support` on (`u64::MAX` for no bound).
///
/// This is the uniformisation form of a phase-type tail: if a time is a mixture of
/// Erlang(N, ν) with P(N > i) = r(i), then P(time > t) = Σ pois(i; νt) r(i). All terms
/// are non-negative, so there is no cancellation. The sum starts at the Poisson mode
/// (or at the end of the support) and walks outwards by the pmf ratio recurrences until
/// the remaining mass is below 1e-18 of the sum, so the cost is O(√y) evaluations of r.
pub(crate) fn poisson_mixture(y: f64, support: u64, r: impl Fn(u64) -> f64) -> f64 {
    if support == 0 {
        return 0.0;
    }
    if y == 0.0 {
        return r(0);
    }
    let mode = if y < 9.0e15 {
        y.floor() as u64
    } else {
        u64::MAX
    };
    let i0 = mode.min(support - 1);
    let p0 = ln_poisson_pmf(i0, y).exp();
    if p0 == 0.0 {
        return 0.0;
    }
    const TOL: f64 = 1e-18;
    let mut sum = 0.0;
    // Upwards from i0 (r is non-increasing and the pmf decreases past the mode).
    let mut p = p0;
    let mut i = i0;
    loop {
        let ri = r(i);
        if ri == 0.0 {
            break;
        }
        sum += p * ri;
        i += 1;
        if i >= support {
            break;
        }
        p *= y / i as f64;
        let fi = i as f64;
        if p == 0.0 || (fi > y + 1.0 && p * (fi + 1.0) / (fi + 1.0 - y) <= TOL * sum) {
            break;
        }
    }
    // Downwards from i0 − 1 (r <= 1 and the pmf decreases below the mode).
    let mut p = p0;
    let mut i = i0;
    while i > 0 {
        p *= i as f64 / y;
        i -= 1;
        if p == 0.0 {
            break;
        }
        sum += p * r(i);
        let fi = i as f64;
        if fi + 1.0 < y && p * y / (y - fi) <= TOL * sum {
            break;
        }
    }
    sum
}

/// φ(λ) = λ − 1 − ln λ for λ > 0 (+∞ at 0), accurate near λ = 1 where the two sides
/// cancel: with u = λ − 1 and t = u/(2 + u), ln λ = 2 atanh t, so
/// φ = u·t − 2(t³/3 + t⁵/5 + …), every term of one sign (|t| <= 1/3 on [½, 2]).
pub(crate) fn phi(lambda: f64) -> f64 {
    phi_u(lambda - 1.0)
}

/// φ(1 + u), from u itself: λ − 1 is known more precisely than λ near 1 (λ = y/m
/// rounded keeps only ~12 digits of λ − 1 = 10⁻⁴).
pub(crate) fn phi_u(u: f64) -> f64 {
    if !(-0.5..=1.0).contains(&u) {
        return u - u.ln_1p();
    }
    let t = u / (2.0 + u);
    let t2 = t * t;
    let mut pow = t * t2;
    let mut series = 0.0f64;
    let mut k = 3.0;
    while pow.abs() > 1e-17 * series.abs().max(f64::MIN_POSITIVE) {
        series += pow / k;
        pow *= t2;
        k += 2.0;
    }
    u * t - 2.0 * series
}

/// The scaled complementary error function erfcx(x) = e^{x²}·erfc(x) for x >= 0, to
/// about 1e-15 relative (checked against mpmath): below ½ as e^{x²} − (2/√π)·Σ
/// 2ⁿx^{2n+1}/(2n + 1)!! (positive terms; the series is e^{x²}·erf x) with x² split so
/// that e^{x²} of its large part is exact; from ½ on the Laplace continued fraction
/// erfcx(x) = 1/(√π·(x + ½/(x + 1/(x + (3/2)/(x + …))))), 200/x² + 20 levels below 4
/// (at most 820) and 24 from 4 on (10⁻¹⁶). (statrs' erfc is off by 4e-11 at x = 1.)
pub(crate) fn erfcx(x: f64) -> f64 {
    if x < 0.5 {
        let hi = f64::from_bits(x.to_bits() & 0xffff_ffff_f800_0000);
        let lo = x - hi;
        let e = (hi * hi).exp() * (lo * (x + hi)).exp();
        let x2 = 2.0 * x * x;
        let mut term = x;
        let mut sum = 0.0;
        let mut n = 0.0;
        loop {
            sum += term;
            if term <= 1e-17 * sum {
                break;
            }
            n += 1.0;
            term *= x2 / (2.0 * n + 1.0);
        }
        return e - 2.0 / PI.sqrt() * sum;
    }
    let levels = if x >= 4.0 {
        24
    } else {
        (200.0 / (x * x)).ceil() as u32 + 20
    };
    let mut t = x;
    for k in (1..=levels).rev() {
        t = x + f64::from(k) / 2.0 / t;
    }
    1.0 / (t * PI.sqrt())
}

/// Below this a, [`gamma_uniform`] declines (the caller sums the Poisson window, which
/// costs O(√a) there, i.e. at most a few hundred terms): from it on the seven terms of
/// Temme's series leave an error below c₇/a⁷ ≈ 10⁻²⁴ and the table's truncation
/// (|η| <= 1.5) below 10⁻¹⁸ of the result (both checked against mpmath in the tests).
pub(crate) const TEMME_MIN_A: f64 = 1000.0;

/// The largest |η| for which the Taylor table of c_k(η) is used (its radius of
/// convergence is 2√π ≈ 3.54: the 40 terms leave < 10⁻¹⁸ at 1.5).
const TEMME_MAX_ETA: f64 = 1.5;

/// One regularised incomplete gamma function in Temme's uniform form (DLMF 8.12.3–8.12.10)
/// with its exponential factored out: for λ = x/a >= 1 (`upper`)
/// Q(a, x) = e^{ln_pre}·scaled, otherwise P(a, x) = e^{ln_pre}·scaled, where
/// ln_pre = −a·φ(λ) − ½ ln(2πa) and scaled is G = √(πa/2)·erfcx(η√(a/2)) + S
/// (upper) or H = √(πa/2)·erfcx(−η√(a/2)) − S, S = Σ_{k<=6} c_k(η)·a^{−k}, ½η² = φ(λ).
///
/// Factoring the exponential out is what lets a caller combine two of them whose
/// exponents cancel exactly (M/M/c/K above saturation) without forming the large
/// exponents.
#[derive(Debug, Clone, Copy)]
pub(crate) struct GammaUniform {
    /// λ >= 1: the value is Q; otherwise P.
    pub upper: bool,
    /// −a·φ(λ) − ½ ln(2πa).
    pub ln_pre: f64,
    /// G (upper) or H, as above; positive.
    pub scaled: f64,
}

impl GammaUniform {
    /// Q(a, x).
    pub fn q(&self) -> f64 {
        let v = self.ln_pre.exp() * self.scaled;
        if self.upper { v } else { 1.0 - v }
    }
}

/// Temme's uniform expansion of Q(a, x) / P(a, x) (see [`GammaUniform`]) at
/// x = a·(1 + u), u = λ − 1 given directly (see [`phi_u`]); above the table (η > 1.5,
/// λ > 3.33) the same scaled form from the upper series ([`gamma_upper_series`]);
/// `None` where it is not used: a below [`TEMME_MIN_A`], η < −1.5 (λ below about 0.3),
/// or arguments that are not finite and positive. O(1): 7 polynomials of degree 39, or
/// at most 40 terms of the series.
pub(crate) fn gamma_uniform(a: f64, u: f64) -> Option<GammaUniform> {
    if !(a >= TEMME_MIN_A && a.is_finite() && u > -1.0 && u.is_finite()) {
        return None;
    }
    let f = phi_u(u);
    let eta = if u >= 0.0 {
        (2.0 * f).sqrt()
    } else {
        -(2.0 * f).sqrt()
    };
    if eta.abs() > TEMME_MAX_ETA {
        return if u > 0.0 {
            gamma_upper_series(a, u, f)
        } else {
            None
        };
    }
    let mut s = 0.0;
    let mut ak = 1.0;
    for row in &TEMME_C {
        s += row.iter().rev().fold(0.0, |acc, &c| acc * eta + c) * ak;
        ak /= a;
    }
    let base = (PI * a / 2.0).sqrt() * erfcx(eta.abs() * (a / 2.0).sqrt());
    let upper = u >= 0.0;
    Some(GammaUniform {
        upper,
        ln_pre: -a * f - 0.5 * (2.0 * PI * a).ln(),
        scaled: if upper { base + s } else { base - s },
    })
}

/// The smallest λ = x/a for which [`gamma_upper_series`] is used (it is called only
/// beyond Temme's table, λ > 3.33; from 3 on its terms shrink by at least 1/3 each).
const UPPER_SERIES_MIN_LAMBDA: f64 = 3.0;

/// Q(a, x) for x = λa, λ >= 3, in the scaled form of [`GammaUniform`] (`f` = φ(λ)):
/// Q(a, x) = x^{a−1}e^{−x}/Γ(a)·Σ_{k>=0} (a − 1)(a − 2)…(a − k)/x^k (the asymptotic
/// series, DLMF 8.11.2; for integer a it ends at k = a − 1 and is exact) and
/// x^{a−1}e^{−x}/Γ(a) = e^{−aφ(λ)}/(λ·√(2πa)·Γ*(a)), Γ*(a) = e^{δ(a)} Stirling's
/// correction, so G = Σ/(λ·Γ*(a)) with no large exponent: the exponent is the same
/// e^{−aφ(λ)} as Temme's, which keeps callers' cancellations exact. The terms are
/// positive and their ratios (a − k)/x are below 1/λ <= 1/3 and decreasing, so the
/// remainder after a term t is below t/(1 − 1/λ); summed until t < 10⁻¹⁷ of the sum
/// (at most 40 terms at λ = 3; a >= 1000, so the series has not turned divergent).
fn gamma_upper_series(a: f64, u: f64, f: f64) -> Option<GammaUniform> {
    let lambda = 1.0 + u;
    if !(lambda >= UPPER_SERIES_MIN_LAMBDA && a >= TEMME_MIN_A) {
        return None;
    }
    let x = a * lambda;
    let mut term = 1.0;
    let mut sum = 1.0;
    let mut k = 1.0;
    while term > 1e-17 * sum && k < a {
        term *= (a - k) / x;
        sum += term;
        k += 1.0;
    }
    // δ(a) = 1/(12a) − 1/(360a³) + 1/(1260a⁵) − …: for a >= 1000 the first two leave
    // < 10⁻¹⁸.
    let a2 = a * a;
    let delta = (1.0 / 12.0 - 1.0 / (360.0 * a2)) / a;
    Some(GammaUniform {
        upper: true,
        ln_pre: -a * f - 0.5 * (2.0 * PI * a).ln(),
        scaled: sum / (lambda * delta.exp()),
    })
}

/// The 31-point Gauss–Kronrod rule on [−1, 1] and its embedded 15-point Gauss rule
/// (Kronrod 1965; the rule of QUADPACK's qk31): the Kronrod nodes ±x_k with x_15 = 0,
/// the Gauss nodes ±x_1, ±x_3, …, x_15. Generated by tests/reference/gauss_kronrod.py
/// (mpmath at 60 digits: the Stieltjes polynomial's zeros and the weights that integrate
/// P_0..P_30 exactly, checked there to be exact up to degree 46 (Gauss: 29)).
#[allow(clippy::excessive_precision, clippy::unreadable_literal)]
const GK31_X: [f64; 16] = [
    0.99800229869339706029,
    0.98799251802048542849,
    0.96773907567913913426,
    0.93727339240070590431,
    0.89726453234408190088,
    0.8482065834104272162,
    0.79041850144246593297,
    0.72441773136017004742,
    0.65099674129741697053,
    0.57097217260853884754,
    0.48508186364023968069,
    0.3941513470775633699,
    0.29918000715316881217,
    0.2011940939974345223,
    0.10114206691871749903,
    0.0,
];

/// Kronrod weights of [`GK31_X`].
#[allow(clippy::excessive_precision, clippy::unreadable_literal)]
const GK31_WK: [f64; 16] = [
    0.0053774798729233489878,
    0.015007947329316122538,
    0.025460847326715320187,
    0.035346360791375846222,
    0.044589751324764876608,
    0.053481524690928087265,
    0.062009567800670640285,
    0.06985412131872825871,
    0.076849680757720378894,
    0.083080502823133021038,
    0.088564443056211770647,
    0.093126598170825321225,
    0.096642726983623678505,
    0.099173598721791959332,
    0.10076984552387559504,
    0.10133000701479154902,
];

/// Gauss weights of the nodes x_1, x_3, …, x_15 of [`GK31_X`].
#[allow(clippy::excessive_precision, clippy::unreadable_literal)]
const GK31_WG: [f64; 8] = [
    0.030753241996117268355,
    0.070366047488108124709,
    0.10715922046717193501,
    0.13957067792615431445,
    0.16626920581699393355,
    0.18616100001556221103,
    0.19843148532711157646,
    0.20257824192556127288,
];

/// ∫_a^b f by the 31-point Gauss–Kronrod rule: (Kronrod, Gauss) with the 15-point Gauss
/// rule embedded, so |Kronrod − Gauss| estimates the error of the Gauss value (and
/// bounds the Kronrod value's generously: that rule is exact for degree 46, Gauss for
/// 29). `None` if `f` declines at a node. 31 evaluations of `f`.
pub(crate) fn gauss_kronrod_31(
    a: f64,
    b: f64,
    mut f: impl FnMut(f64) -> Option<f64>,
) -> Option<(f64, f64)> {
    let mid = 0.5 * (a + b);
    let half = 0.5 * (b - a);
    let (mut k, mut g) = (0.0, 0.0);
    for (j, (&x, &w)) in GK31_X.iter().zip(&GK31_WK).enumerate() {
        let v = if x == 0.0 {
            f(mid)?
        } else {
            f(mid - half * x)? + f(mid + half * x)?
        };
        k += w * v;
        if j % 2 == 1 {
            g += GK31_WG[j / 2] * v;
        }
    }
    Some((k * half, g * half))
}

// Generated by tests/reference/temme_coefficients.py (exact rational arithmetic, the
// doubles correctly rounded): Taylor coefficients of Temme's c_k(η), k = 0..6.
#[allow(clippy::excessive_precision, clippy::unreadable_literal)]
const TEMME_C: [[f64; 40]; 7] = [
    [
        -0.3333333333333333,
        0.08333333333333333,
        -0.014814814814814815,
        0.0011574074074074073,
        0.0003527336860670194,
        -0.0001787551440329218,
        3.919263178522438e-05,
        -2.185448510679992e-06,
        -1.85406221071516e-06,
        8.296711340953087e-07,
        -1.7665952736826078e-07,
        6.707853543401498e-09,
        1.0261809784240309e-08,
        -4.382036018453353e-09,
        9.14769958223679e-10,
        -2.5514193994946248e-11,
        -5.830772132550426e-11,
        2.4361948020667415e-11,
        -5.0276692801141755e-12,
        1.1004392031956135e-13,
        3.371763262400985e-13,
        -1.392388722418162e-13,
        2.8534893807047445e-14,
        -5.139111834242572e-16,
        -1.9752288294349442e-15,
        8.099521156704561e-16,
        -1.6522531216398162e-16,
        2.5305430097478883e-18,
        1.1686939738559576e-17,
        -4.770037049820485e-18,
        9.699126059056237e-19,
        -1.2932565538038175e-20,
        -6.969230253185693e-20,
        2.835145432176937e-20,
        -5.7509821590070474e-21,
        6.792953783488915e-23,
        4.182125426111336e-22,
        -1.6971539620047604e-22,
        3.43621593839432e-23,
        -3.643995779628021e-25,
    ],
    [
        -0.001851851851851852,
        -0.003472222222222222,
        0.0026455026455026454,
        -0.0009902263374485596,
        0.00020576131687242798,
        -4.018775720164609e-07,
        -1.8098550334489977e-05,
        7.64916091608111e-06,
        -1.6120900894563446e-06,
        4.647127802807434e-09,
        1.378633446915721e-07,
        -5.752545603517705e-08,
        1.1951628599778148e-08,
        -1.7543241719747647e-11,
        -1.0091543710600413e-09,
        4.162792991842583e-10,
        -8.56390702649298e-11,
        6.067215101604758e-14,
        7.1624989648114856e-12,
        -2.933186643771437e-12,
        5.996696365683689e-13,
        -2.1671786527323313e-16,
        -4.978339972369262e-14,
        2.0291628823713425e-14,
        -4.13125571381061e-15,
        8.286516239883097e-19,
        3.4100308869333327e-16,
        -1.3854195302893971e-16,
        2.812346653228875e-17,
        -3.406444194143029e-21,
        -2.3109797315115572e-18,
        9.366757064132256e-19,
        -1.8972570152858488e-19,
        1.4912630740339597e-23,
        1.5534900047251396e-20,
        -6.285130454237188e-21,
        1.2709110113722471e-21,
        -6.863385717627884e-26,
        -1.0376493982513261e-22,
        4.192119650489165e-23,
    ],
    [
        0.004133597883597883,
        -0.0026813271604938273,
        0.0007716049382716049,
        2.0093878600823047e-06,
        -0.0001073665322636516,
        5.2923448829120125e-05,
        -1.2760635188618728e-05,
        3.423578734096138e-08,
        1.3721957309062934e-06,
        -6.298992138380055e-07,
        1.4280614206064242e-07,
        -2.0477098421990866e-10,
        -1.409252991086752e-08,
        6.228974084922022e-09,
        -1.3670488396617114e-09,
        9.428356159014678e-13,
        1.2872252400089318e-10,
        -5.5645956134363323e-11,
        1.197593554636698e-11,
        -4.1689782251838634e-15,
        -1.0940640427884595e-12,
        4.662239946390136e-13,
        -9.905105763906907e-14,
        1.8931876768373515e-17,
        8.859221872591127e-15,
        -3.737820398046405e-15,
        7.868833639035156e-16,
        -9.000027395741211e-20,
        -6.928881229347671e-17,
        2.9020384270164786e-17,
        -6.067854696810877e-18,
        4.472120729796853e-22,
        5.279446144449786e-19,
        -2.198811233485732e-19,
        4.5732827721348786e-20,
        -2.3035862647067298e-24,
        -3.941615586470973e-21,
        1.6343373741206338e-21,
        -3.38496214687294e-22,
        1.2197072676409612e-26,
    ],
    [
        0.0006494341563786008,
        0.00022947209362139917,
        -0.0004691894943952557,
        0.00026772063206283885,
        -7.561801671883977e-05,
        -2.396505113867297e-07,
        1.1082654115347302e-05,
        -5.6749528269915965e-06,
        1.4230900732435883e-06,
        -2.7861080291528143e-11,
        -1.6958404091930278e-07,
        8.099464905388083e-08,
        -1.9111168485973655e-08,
        2.3928620439808118e-12,
        2.0620131815488797e-09,
        -9.460496661855133e-10,
        2.1541049775774907e-10,
        -1.388823336813903e-14,
        -2.1894761681963938e-11,
        9.790998951171684e-12,
        -2.178219188018096e-12,
        6.208819573407901e-17,
        2.126978363279737e-13,
        -9.344688791517433e-14,
        2.045367122678285e-14,
        -2.58260790403495e-19,
        -1.9405297673344544e-15,
        8.415979290484816e-16,
        -1.8200430439538226e-16,
        1.0735443641247309e-21,
        1.6896828315252834e-17,
        -7.256111746942148e-18,
        1.5547292746622028e-18,
        -4.605994752275239e-24,
        -1.4191358137761748e-19,
        6.047066498377825e-20,
        -1.2861734793467812e-20,
        2.0623332993667594e-26,
        1.158166408846306e-21,
        -4.904109085068004e-22,
    ],
    [
        -0.0008618882909167117,
        0.0007840392217200666,
        -0.0002990724803031902,
        -1.4638452578843418e-06,
        6.641498215465122e-05,
        -3.968365047179435e-05,
        1.1375726970678419e-05,
        2.507497226237533e-10,
        -1.6954149536558305e-06,
        8.907507532205309e-07,
        -2.292934834000805e-07,
        2.956794137544049e-11,
        2.8865829742708783e-08,
        -1.4189739437803219e-08,
        3.4463580499464896e-09,
        -2.3024517174528067e-13,
        -3.9409233028046403e-10,
        1.86023389685045e-10,
        -4.356323005056618e-11,
        1.278600101629623e-15,
        4.67927502665792e-12,
        -2.149246470613483e-12,
        4.908815614809652e-13,
        -6.33859148489156e-18,
        -5.045332069080094e-14,
        2.2722958222901286e-14,
        -5.096082608472402e-15,
        3.0552097557171355e-20,
        5.069021676310552e-16,
        -2.249383695648181e-16,
        4.9751114221314184e-17,
        -1.4903016393517331e-22,
        -4.8250457744004236e-18,
        2.1164667685646584e-18,
        -4.630211328749248e-19,
        7.474753874999949e-25,
        4.40102275680519e-20,
        -1.9125986486817926e-20,
        4.147392206376728e-21,
        -3.863984731116609e-27,
    ],
    [
        -0.00033679855336635813,
        -6.972813758365857e-05,
        0.0002772753244959392,
        -0.00019932570516188847,
        6.797780477937208e-05,
        1.419062920643967e-07,
        -1.3594048189768693e-05,
        8.018470256334202e-06,
        -2.291481176508095e-06,
        -3.252473551298454e-10,
        3.4652846491085265e-07,
        -1.8447187191171344e-07,
        4.8240967037894184e-08,
        -1.7989466721743514e-14,
        -6.306194500013523e-09,
        3.162417628774568e-09,
        -7.840924253697429e-10,
        5.192679165254041e-15,
        9.358944242306784e-11,
        -4.513426216163278e-11,
        1.0799129993116828e-11,
        -3.661886712685252e-17,
        -1.210902069055155e-12,
        5.680743584990564e-13,
        -1.3249659916340829e-13,
        1.8987240764284076e-19,
        1.4193390236794701e-14,
        -6.523214701424697e-15,
        1.4925242636202885e-15,
        -8.800389458732369e-22,
        -1.544022252303382e-16,
        6.984341350227234e-17,
        -1.5742663876248805e-17,
        3.932986381427749e-24,
        1.5843727014454443e-18,
        -7.076615532716853e-19,
        1.5760057594727924e-19,
        -1.7631877362613744e-26,
        -1.5511791464815588e-20,
        6.85706989477331e-21,
    ],
    [
        0.0005313079364639922,
        -0.0005921664373536939,
        0.0002708782096718045,
        7.902353232660328e-07,
        -8.153969367561969e-05,
        5.61168275310625e-05,
        -1.8329116582843375e-05,
        -3.0796134506033047e-09,
        3.465155368803609e-06,
        -2.0291327396058603e-06,
        5.788792863149004e-07,
        2.338630673826657e-13,
        -8.828600746330484e-08,
        4.7435958880408125e-08,
        -1.2545415020710383e-08,
        8.649648858010293e-14,
        1.6846058979264062e-09,
        -8.575492823577594e-10,
        2.1598224929232125e-10,
        -7.613230520476153e-16,
        -2.6639822008536144e-11,
        1.3065700536611057e-11,
        -3.1799163902367977e-12,
        4.710976121367431e-18,
        3.6902800842763465e-13,
        -1.7612674046201426e-13,
        4.179066786051478e-14,
        -2.5344679379178804e-20,
        -4.632065942001605e-15,
        2.165145485964643e-15,
        -5.037651764097622e-16,
        1.288867868779697e-22,
        5.386866698963065e-17,
        -2.476815238761488e-17,
        5.673620333096777e-18,
        -6.476428622565631e-25,
        -5.894480465018107e-19,
        2.6742571406222053e-19,
        -6.048508564705739e-20,
        3.2922941808752546e-27,
    ],
];

#[cfg(test)]
// Reference values are pasted with all the digits mpmath printed.
#[allow(clippy::excessive_precision)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, rel: f64) {
        assert!(
            (a - b).abs() <= rel * b.abs(),
            "{a} vs {b} (rel {})",
            ((a - b) / b).abs()
        );
    }

    /// Against direct summation in the regime where that is accurate.
    #[test]
    fn geometric_helpers_match_direct_sums() {
        for &x in &[
            -3.0, -0.1, -1e-3, -1e-7, -1e-12, 0.0, 1e-12, 1e-7, 1e-3, 0.1, 2.0,
        ] {
            for &m in &[1u64, 2, 7, 50, 400] {
                // Weights scaled by the largest, e^{jx − max}.
                let top = if x > 0.0 { m as f64 * x } else { 0.0 };
                let w: Vec<f64> = (0..=m).map(|j| (j as f64 * x - top).exp()).collect();
                let s: f64 = w.iter().sum();
                let sj: f64 = w.iter().enumerate().map(|(j, w)| j as f64 * w).sum();
                close(ln_geom_sum(x, m + 1) - top, s.ln(), 1e-12);
                close(truncated_geometric_mean(x, m), sj / s, 1e-11);
            }
        }
        // The variance against a two-pass central sum (no E[j²] − E[j]²), both sides of
        // the branch points (m = 64, y = 1.5, y = 1.5/N).
        for &x in &[
            -3.0, -1.6, -1.5, -1.4, -0.1, -0.0149, -1e-3, -1e-7, 0.0, 1e-7, 0.02, 1.5, 2.0,
        ] {
            for &m in &[1u64, 2, 7, 63, 64, 100, 400, 5000] {
                let top = if x > 0.0 { m as f64 * x } else { 0.0 };
                let w: Vec<f64> = (0..=m).map(|j| (j as f64 * x - top).exp()).collect();
                let s: f64 = w.iter().sum();
                let mean = w.iter().enumerate().map(|(j, w)| j as f64 * w).sum::<f64>() / s;
                let var = w
                    .iter()
                    .enumerate()
                    .map(|(j, w)| (j as f64 - mean).powi(2) * w)
                    .sum::<f64>()
                    / s;
                close(truncated_geometric_var(x, m), var, 1e-13);
            }
        }
        // Large m, against f(y) − N²f(Ny) at 80 digits in mpmath.
        for (x, m, want) in [
            (-0.1823215567939546, 1_000_000_000u64, 30.000000000000011209),
            (1e-09, 100_000_000, 832916848602740.33919),
            (-1e-09, 100_000_000, 832916848602740.33919),
            (3e-08, 100_000_000, 559701063338104.79402),
            (-0.001, 5000, 829362.82978926667967),
            (1.0986122886681098, 1_000_000_000, 0.74999999999999986393),
            (-0.002, 1000, 69097.844292972399599),
            (1.4, 100, 0.43444318941654235922),
            (1.6, 100, 0.31696434951797294853),
            (0.0149, 100, 761.75209482514826253),
        ] {
            close(truncated_geometric_var(x, m), want, 1e-14);
        }
        assert_eq!(ln_geom_sum(0.5, 0), f64::NEG_INFINITY);
        assert_eq!(truncated_geometric_var(0.0, 10), 10.0);
        assert_eq!(truncated_geometric_var(0.3, 0), 0.0);
        assert_eq!(truncated_geometric_mean(0.0, 10), 5.0);
    }

    /// The Gauss–Kronrod tables: ∫_{−1}^{1} x^d = 2/(d + 1) (d even) exactly for d up to 46
    /// (Kronrod) and 29 (Gauss), and not beyond; the Gauss nodes are the zeros of P₁₅.
    #[test]
    fn gauss_kronrod_31_is_exact_to_its_degrees() {
        for d in 0..=50i32 {
            let (k, g) = gauss_kronrod_31(-1.0, 1.0, |x| Some(x.powi(d))).unwrap();
            let exact = if d % 2 == 0 {
                2.0 / f64::from(d + 1)
            } else {
                0.0
            };
            if d <= 46 {
                assert!(
                    (k - exact).abs() <= 1e-15,
                    "Kronrod, degree {d}: {k} vs {exact}"
                );
            } else if d % 2 == 0 {
                assert!(
                    (k - exact).abs() > 1e-17,
                    "Kronrod, degree {d}: {}",
                    k - exact
                );
            }
            if d <= 29 {
                assert!(
                    (g - exact).abs() <= 1e-15,
                    "Gauss, degree {d}: {g} vs {exact}"
                );
            } else if d % 2 == 0 {
                assert!(
                    (g - exact).abs() > 1e-12,
                    "Gauss, degree {d}: {}",
                    g - exact
                );
            }
        }
        // P₁₅ at the Gauss nodes, by the three-term recurrence.
        for j in (1..16).step_by(2) {
            let x = GK31_X[j];
            let (mut p0, mut p1) = (1.0, x);
            for n in 1..15 {
                let n = f64::from(n);
                (p0, p1) = (p1, ((2.0 * n + 1.0) * x * p1 - n * p0) / (n + 1.0));
            }
            assert!(p1.abs() < 1e-14, "{x}: {p1}");
        }
        // On [a, b] the rule scales: ∫_2^5 e^s = e^5 − e^2.
        let (k, _) = gauss_kronrod_31(2.0, 5.0, |s| Some(s.exp())).unwrap();
        close(k, 5f64.exp() - 2f64.exp(), 1e-15);
    }

    /// ln P(Poisson(y) = i) against mpmath at 50 digits (tests/reference/markovian.py).
    #[test]
    fn poisson_pmf_against_mpmath() {
        let cases: [(u64, f64, f64); 6] = [
            (0, 2.5, -2.5),
            (3, 2.5, -1.5428872736055898053),
            (10, 1.0, -16.104412573075515295),
            (1000, 1000.0, -4.3728995060262968242),
            (99_900, 100_000.0, -6.7249185246954993522),
            (20, 1e4, -9858.1288090212298303),
        ];
        for (i, y, want) in cases {
            close(ln_poisson_pmf(i, y), want, 1e-13);
        }
    }

    #[test]
    fn poisson_mixture_of_erlang_tail() {
        // r(i) = [i < k] gives P(Poisson(y) < k) = P(Erlang(k, 1) > y).
        // k = 1: e^{-y}; k = 2: (1 + y) e^{-y}.
        let y = 3.0;
        close(
            poisson_mixture(y, 1, |i| if i < 1 { 1.0 } else { 0.0 }),
            (-y).exp(),
            1e-14,
        );
        close(
            poisson_mixture(y, 2, |i| if i < 2 { 1.0 } else { 0.0 }),
            (1.0 + y) * (-y).exp(),
            1e-14,
        );
        // r = 1 everywhere sums the pmf to 1, also for a large mean.
        close(poisson_mixture(1e6, u64::MAX, |_| 1.0), 1.0, 1e-12);
        close(poisson_mixture(0.3, u64::MAX, |_| 1.0), 1.0, 1e-14);
    }

    /// erfcx and φ against mpmath at 40 digits (the arguments are the doubles shown).
    #[test]
    fn erfcx_and_phi_against_mpmath() {
        for (x, want) in [
            (0.0, 1.0),
            (0.3, 0.7345993345676551499198),
            (1.0, 0.4275835761558070044108),
            (2.5, 0.2108063640611435806471),
            (3.99, 0.1373240409142297043244),
            (4.0, 0.1369994576250613898894),
            (7.0, 0.07980005432915293348986),
            (30.0, 0.01879588886141675149713),
            (30000.0, 0.00001880631944114392099813),
        ] {
            close(erfcx(x), want, 1e-15);
        }
        for (l, want) in [
            (1e-3, 5.908755278982137031258),
            (0.3, 0.503972804325936018528),
            (0.5, 0.1931471805599453094172),
            (0.9, 0.005360515657826298760339),
            (0.999, 5.003335835335010320497e-7),
            (0.999999999, 4.999999720514022418099e-19),
            (1.0000001, 4.99999967250536285279e-15),
            (1.001, 4.996669164667231665011e-7),
            (1.3, 0.03763573553250895821272),
            (2.0, 0.3068528194400546905828),
            (3.0, 0.9013877113318903086048),
            (50.0, 45.08797699457185394138),
        ] {
            close(phi(l), want, 4e-16);
        }
    }

    /// Temme's expansion against mpmath at 50 digits (tests/reference/gamma_uniform_reference.py):
    /// ln Q(a, x) for x >= a and ln P(a, x) below, a from 10³ to 10¹⁰, x/a from 0.3 to 3.
    /// The value is e^{ln_pre}·scaled, so the error of its log is its relative error; the
    /// arguments carry their own rounding (x = a·r in doubles: a relative change δ of x
    /// moves ln Q by about a·|ln r|·δ), hence 1e-14 plus a few ulps of the exponent.
    #[test]
    fn gamma_uniform_against_mpmath() {
        let cases: [(f64, f64, f64); 72] = [
            (1.000000e+03, 0.3, -507.989639330013700898162),
            (1.000000e+03, 0.5, -196.8289190608625310334677),
            (1.000000e+03, 0.9, -7.505769994233889739991373),
            (1.000000e+03, 0.99, -0.9688443502997509193177537),
            (1.000000e+03, 0.999, -0.7101175134130144491410453),
            (1.000000e+03, 1.0, -0.7015932366459724956799348),
            (1.000000e+03, 1.001, -0.7273483348977841603551945),
            (1.000000e+03, 1.01, -0.9879987451417628072246219),
            (1.000000e+03, 1.1, -6.850125014436274122943672),
            (1.000000e+03, 1.5, -98.22056818336461456641375),
            (1.000000e+03, 2.0, -311.2277110099989818194747),
            (1.000000e+03, 3.0, -906.454506990074468603814),
            (1.000000e+04, 0.3, -5044.895546574328785531763),
            (1.000000e+04, 0.5, -1936.302975331597581776736),
            (1.000000e+04, 0.9, -56.83548616875222431753997),
            (1.000000e+04, 0.99, -1.841047246366830835497373),
            (1.000000e+04, 0.999, -0.7733113065674338752865168),
            (1.000000e+04, 1.0, -0.6958103403038200668035749),
            (1.000000e+04, 1.001, -0.7790045972016467894477101),
            (1.000000e+04, 1.01, -1.841046884823721316289207),
            (1.000000e+04, 1.1, -50.13045668620439384352639),
            (1.000000e+04, 1.5, -950.1804880123546142253665),
            (1.000000e+04, 2.0, -3074.052511373137591274869),
            (1.000000e+04, 3.0, -9020.094452541679484246275),
            (1.000000e+05, 0.3, -50403.59916587095405469428),
            (1.000000e+05, 0.5, -19320.70033091159429532993),
            (1.000000e+05, 0.9, -540.425280683323631955393),
            (1.000000e+05, 0.99, -7.185592740789712344384926),
            (1.000000e+05, 0.999, -0.9774353049631036285072201),
            (1.000000e+05, 1.0, -0.6939885786567971653592891),
            (1.000000e+05, 1.001, -0.979350695162349278285371),
            (1.000000e+05, 1.01, -7.120426961055119935291777),
            (1.000000e+05, 1.1, -473.3559336737655754737836),
            (1.000000e+05, 1.5, -9459.471504094227016396713),
            (1.000000e+05, 2.0, -30691.95736610369224321824),
            (1.000000e+05, 3.0, -90146.13968996851080392653),
            (1.000000e+06, 0.3, -503980.2743454998430249372),
            (1.000000e+06, 0.5, -193154.3141086602556152285),
            (1.000000e+06, 0.9, -5366.039856607684580078256),
            (1.000000e+06, 0.99, -53.56704246543251868475503),
            (1.000000e+06, 0.999, -1.841021899379400937658932),
            (1.000000e+06, 1.0, -0.6934131774557282440505954),
            (1.000000e+06, 1.001, -1.84102189901771788205184),
            (1.000000e+06, 1.01, -52.9005283091403381922669),
            (1.000000e+06, 1.1, -4695.344414448539454695319),
            (1.000000e+06, 1.5, -94542.02544455050022184455),
            (1.000000e+06, 2.0, -306860.6461359502027259597),
            (1.000000e+06, 3.0, -901396.2311737163876619442),
            (1.000000e+08, 0.3, -50397290.20519757005070026),
            (1.000000e+08, 0.5, -19314727.49212627639596531),
            (1.000000e+08, 0.9, -536059.3924773428940617852),
            (1.000000e+08, 0.99, -5039.10955783956397148523),
            (1.000000e+08, 0.999, -53.2646338789022612710277),
            (1.000000e+08, 1.0, -0.6931737770656574716158306),
            (1.000000e+08, 1.001, -53.19798642354688661165747),
            (1.000000e+08, 1.01, -4972.438892886361176899502),
            (1.000000e+08, 1.1, -468989.8462624278202687454),
            (1.000000e+08, 1.5, -9453498.62531534725643439),
            (1.000000e+08, 2.0, -30685292.0732843950724648),
            (1.000000e+08, 3.0, -90138781.95561512493460949),
            (1.000000e+10, 0.3, -5039728055.334549239585228),
            (1.000000e+10, 0.5, -1931471817.33816991199561),
            (1.000000e+10, 0.9, -53605166.70754190179257542),
            (1.000000e+10, 0.99, -503366.3617092149253223719),
            (1.000000e+10, 0.999, -5008.860043929263700390988),
            (1.000000e+10, 1.0, -0.6931498401786847698967951),
            (1.000000e+10, 1.001, -5002.193373461404989852911),
            (1.000000e+10, 1.01, -496699.2950139945898348765),
            (1.000000e+10, 1.1, -46898212.08603039649316088),
            (1.000000e+10, 1.5, -945348930.657072998443158),
            (1.000000e+10, 2.0, -3068528206.832410904210913),
            (1.000000e+10, 3.0, -9013877126.443914264865727),
        ];
        for (a, r, want) in cases {
            let g = gamma_uniform(a, r - 1.0).unwrap();
            assert_eq!(g.upper, r >= 1.0);
            let got = g.ln_pre + g.scaled.ln();
            let tol = 1e-14 + 4.0 * f64::EPSILON * want.abs();
            assert!(
                (got - want).abs() <= tol,
                "a = {a:e}, x/a = {r}: {got} vs {want} (diff {:e})",
                got - want
            );
            if want > -700.0 {
                // The small tail as a plain double, and its complement (exp(want)
                // carries want's own rounding, |want|·ε relative).
                let tail = want.exp();
                let q = if g.upper { tail } else { 1.0 - tail };
                assert!(
                    (g.q() - q).abs() <= tol * q.max(tail),
                    "a = {a:e}, x/a = {r}: Q {} vs {q}",
                    g.q()
                );
            }
        }
        // Declined: a below the threshold, |η| beyond the table, bad arguments.
        assert!(gamma_uniform(999.0, 0.0).is_none());
        // λ = 4 is beyond the table: the upper series (tested below).
        assert!(gamma_uniform(1e6, 3.0).is_some_and(|g| g.upper));
        assert!(gamma_uniform(1e6, -0.9).is_none());
        assert!(gamma_uniform(1e6, f64::NAN).is_none());
        assert!(gamma_uniform(f64::INFINITY, 0.0).is_none());
    }

    /// ln Q(a, x) beyond Temme's table, by the upper series (`gamma_upper_series`),
    /// against mpmath (tests/reference/gamma_upper_series_reference.py, 50 digits), and
    /// through [`gamma_uniform`] where it takes over (λ > 3.33); at λ = 3 and 3.33 the
    /// series and Temme's form both apply and must agree. Tolerance as for Temme's form.
    #[test]
    fn gamma_upper_series_against_mpmath() {
        let cases: [(f64, f64, f64); 15] = [
            (1.000000e+03, 3.0, -906.454506990074468603814),
            (1.000000e+03, 3.33, -1132.247076489334646550228),
            (1.000000e+03, 5.0, -2396.321593767206105893312),
            (1.000000e+03, 10.0, -6703.985154521729913817257),
            (1.000000e+03, 100.0, -94403.79784357095283538907),
            (1.000000e+06, 3.0, -901396.2311737163876619442),
            (1.000000e+06, 3.33, -1127036.36857042402187914),
            (1.000000e+06, 5.0, -2390571.300554468765266971),
            (1.000000e+06, 10.0, -6697424.930924550629110255),
            (1.000000e+06, 100.0, -94394842.23582566448973742),
            (1.000000e+09, 3.0, -901387723.3056089416759117),
            (1.000000e+09, 3.33, -1127027708.134087260829602),
            (1.000000e+09, 5.0, -2390562100.232765438592843),
            (1.000000e+09, 10.0, -6697414920.483750345202896),
            (1.000000e+09, 100.0, -94394829829.88759993387002),
        ];
        for (a, r, want) in cases {
            let u = r - 1.0;
            let tol = 1e-14 + 4.0 * f64::EPSILON * want.abs();
            let s = gamma_upper_series(a, u, phi_u(u)).unwrap();
            let g = gamma_uniform(a, u).unwrap();
            assert!(s.upper && g.upper);
            for (name, v) in [("series", s), ("gamma_uniform", g)] {
                let got = v.ln_pre + v.scaled.ln();
                assert!(
                    (got - want).abs() <= tol,
                    "{name}: a = {a:e}, x/a = {r}: {got} vs {want} (diff {:e})",
                    got - want
                );
            }
            // Same exponent as Temme's, so the scaled parts must agree where both apply.
            assert_eq!(s.ln_pre, g.ln_pre);
            if r <= 3.33 {
                assert!((s.scaled / g.scaled - 1.0).abs() < 1e-14, "a = {a:e}, {r}");
            }
        }
        assert!(gamma_upper_series(1e6, 1.5, phi_u(1.5)).is_none());
        assert!(gamma_upper_series(999.0, 4.0, phi_u(4.0)).is_none());
    }
}
