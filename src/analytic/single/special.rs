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

/// Loader's Stirling-formula error δ(n) = ln n! − (n + ½) ln n + n − ½ ln 2π.
fn stirlerr(n: u64) -> f64 {
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
        assert_eq!(ln_geom_sum(0.5, 0), f64::NEG_INFINITY);
        assert_eq!(truncated_geometric_mean(0.0, 10), 5.0);
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
}
