//! Transient probabilities π(t) = π(0) e^{Qt} by uniformisation.
//!
//! With Λ ≥ max_i q_i and P = I + Q/Λ (a stochastic matrix),
//! π(t) = Σ_{k≥0} e^{−Λt} (Λt)^k / k! · π(0) P^k
//! (Jensen 1953; Stewart (1994), *Introduction to the Numerical Solution of Markov
//! Chains*, §8.4; Grassmann (1977)). The sum is truncated to k ∈ [L, R] chosen so the
//! omitted Poisson mass τ is below ε/2; the weights are computed from the mode outwards
//! by the ratios p_{k+1}/p_k = Λt/(k+1) and normalised over [L, R] (Fox & Glynn, 1988,
//! *Computing Poisson probabilities*, CACM 31(4)), so no e^{−Λt} underflows and no
//! (Λt)^k overflows, whatever Λt.
//!
//! **Error bound.** Every π(0)P^k is a probability vector, so the computed π̃(t) obeys
//! ‖π̃(t) − π(t)‖₁ ≤ 2τ ≤ ε, plus rounding (about (R + 1) × 1e-16). The tail masses are
//! bounded geometrically, since the ratios decrease away from the mode:
//! Σ_{k>R} p_k ≤ p_R · r/(1 − r) with r = Λt/(R+1), and
//! Σ_{k<L} p_k ≤ p_L · s/(1 − s) with s = L/Λt.
//! Cost: R + 1 ≈ Λt + O(√(Λt · ln(1/ε))) sparse vector–matrix products.

use serde::Serialize;

use super::error::CtmcError;
use super::generator::Ctmc;

/// Truncated, normalised Poisson(Λt) weights for uniformisation.
///
/// # Example
/// ```
/// use kendall::analytic::ctmc::PoissonWeights;
/// let w = PoissonWeights::new(1e6, 1e-12).unwrap();
/// assert!(w.truncation_error <= 1e-12);
/// let mode = w.weight(1_000_000);
/// // p(mode) ≈ 1 / √(2π · 10⁶)
/// assert!((mode - 1.0 / (2.0 * std::f64::consts::PI * 1e6).sqrt()).abs() < 1e-9);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct PoissonWeights {
    /// First index kept, L.
    pub left: usize,
    /// Last index kept, R.
    pub right: usize,
    /// Weights for k = L..=R, normalised to sum to 1.
    pub weights: Vec<f64>,
    /// Bound 2τ on the 1-norm error this truncation causes in uniformisation (τ: the
    /// Poisson mass outside [L, R], relative to the mass inside).
    pub truncation_error: f64,
}

impl PoissonWeights {
    /// Poisson(`mean`) weights truncated so that the bound 2τ is ≤ `epsilon`.
    ///
    /// # Errors
    /// [`CtmcError::InvalidParameter`] if `mean` is negative or non-finite or above 1e12,
    /// or `epsilon` is not in [1e-300, 1).
    pub fn new(mean: f64, epsilon: f64) -> Result<Self, CtmcError> {
        if !(mean.is_finite() && (0.0..=1e12).contains(&mean)) {
            return Err(CtmcError::InvalidParameter {
                name: "rate × time (Λt)",
                value: mean,
                rule: "a finite number in [0, 1e12]",
            });
        }
        if !(epsilon.is_finite() && (1e-300..1.0).contains(&epsilon)) {
            return Err(CtmcError::InvalidParameter {
                name: "epsilon",
                value: epsilon,
                rule: "a number in [1e-300, 1)",
            });
        }
        if mean == 0.0 {
            return Ok(Self {
                left: 0,
                right: 0,
                weights: vec![1.0],
                truncation_error: 0.0,
            });
        }
        let mode = mean.floor() as usize;
        // Unnormalised weights relative to w_mode = 1; left part stored reversed.
        let mut down: Vec<f64> = Vec::new(); // w_{mode-1}, w_{mode-2}, ...
        let mut up: Vec<f64> = vec![1.0]; // w_mode, w_{mode+1}, ...
        let mut sum = 1.0;
        let left_bound = |l: usize, wl: f64| {
            if l == 0 {
                0.0
            } else {
                let s = l as f64 / mean;
                wl * s / (1.0 - s)
            }
        };
        let right_bound = |r: usize, wr: f64| {
            let q = mean / (r as f64 + 1.0);
            wr * q / (1.0 - q)
        };
        loop {
            let l = mode - down.len();
            let wl = *down.last().unwrap_or(&1.0);
            let r = mode + up.len() - 1;
            let wr = *up.last().unwrap_or(&1.0);
            let lb = left_bound(l, wl);
            let rb = right_bound(r, wr);
            if 2.0 * (lb + rb) <= epsilon * sum {
                let mut weights: Vec<f64> = down.iter().rev().copied().collect();
                weights.extend_from_slice(&up);
                weights.iter_mut().for_each(|w| *w /= sum);
                return Ok(Self {
                    left: l,
                    right: r,
                    weights,
                    truncation_error: 2.0 * (lb + rb) / sum,
                });
            }
            // Extend the side with the larger bound (or the one not yet finite).
            if l > 0 && lb >= rb {
                let w = wl * l as f64 / mean;
                down.push(w);
                sum += w;
            } else {
                let w = wr * mean / (r as f64 + 1.0);
                up.push(w);
                sum += w;
            }
        }
    }

    /// The weight of index `k` (0 outside [L, R]).
    pub fn weight(&self, k: usize) -> f64 {
        if k < self.left || k > self.right {
            0.0
        } else {
            self.weights[k - self.left]
        }
    }
}

/// A transient distribution π(t) with its accuracy.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct TransientSolution {
    /// π_i(t): the probability of being in state i at time t.
    pub pi: Vec<f64>,
    /// The time t, in seconds.
    pub time: f64,
    /// The uniformisation rate Λ = max_i q_i, per second.
    pub uniformisation_rate: f64,
    /// Vector–matrix products computed (R + 1 terms).
    pub steps: usize,
    /// Bound on ‖π̃(t) − π(t)‖₁ from truncating the Poisson series (rounding excluded).
    pub truncation_error: f64,
}

/// Default truncation bound for [`Ctmc::transient`].
pub const DEFAULT_TRANSIENT_EPSILON: f64 = 1e-12;

impl Ctmc {
    /// π(t) from the initial distribution `initial`, by uniformisation with truncation
    /// error at most [`DEFAULT_TRANSIENT_EPSILON`] (see the module docs).
    ///
    /// # Errors
    /// As [`Ctmc::transient_with`].
    ///
    /// # Example
    /// ```
    /// use kendall::analytic::ctmc::Ctmc;
    /// // Up/down: fail at a = 1, repair at b = 3; start up.
    /// let c = Ctmc::from_triplets(2, [(0, 1, 1.0), (1, 0, 3.0)]).unwrap();
    /// let s = c.transient(&[1.0, 0.0], 0.5).unwrap();
    /// let exact = 0.75 + 0.25 * (-4.0f64 * 0.5).exp();
    /// assert!((s.pi[0] - exact).abs() < 1e-12);
    /// ```
    pub fn transient(&self, initial: &[f64], t: f64) -> Result<TransientSolution, CtmcError> {
        self.transient_with(initial, t, DEFAULT_TRANSIENT_EPSILON)
    }

    /// π(t) with truncation error bound `epsilon` on the 1-norm.
    ///
    /// # Errors
    /// [`CtmcError::InvalidParameter`] for t not finite or negative, or a bad `epsilon`
    /// (see [`PoissonWeights::new`]); [`CtmcError::InvalidInitial`] unless `initial` has
    /// one finite, non-negative entry per state summing to 1 (within 1e-9).
    ///
    /// # Example
    /// ```
    /// use kendall::analytic::ctmc::Ctmc;
    /// let c = Ctmc::from_triplets(2, [(0, 1, 1.0), (1, 0, 3.0)]).unwrap();
    /// let s = c.transient_with(&[0.0, 1.0], 100.0, 1e-14).unwrap();
    /// assert!((s.pi[0] - 0.75).abs() < 1e-12);
    /// assert!(s.truncation_error <= 1e-14);
    /// ```
    pub fn transient_with(
        &self,
        initial: &[f64],
        t: f64,
        epsilon: f64,
    ) -> Result<TransientSolution, CtmcError> {
        let n = self.n_states();
        if !(t.is_finite() && t >= 0.0) {
            return Err(CtmcError::InvalidParameter {
                name: "t",
                value: t,
                rule: "a finite time >= 0 in seconds",
            });
        }
        if initial.len() != n {
            return Err(CtmcError::InvalidInitial {
                reason: format!(
                    "{} entries for {n} states; give one probability per state",
                    initial.len()
                ),
            });
        }
        if let Some(i) = initial.iter().position(|p| !(p.is_finite() && *p >= 0.0)) {
            return Err(CtmcError::InvalidInitial {
                reason: format!(
                    "entry {i} is {}; probabilities must be finite and >= 0",
                    initial[i]
                ),
            });
        }
        let total: f64 = initial.iter().sum();
        if (total - 1.0).abs() > 1e-9 {
            return Err(CtmcError::InvalidInitial {
                reason: format!("entries sum to {total}, not 1"),
            });
        }
        let lambda = self.max_exit_rate();
        let w = PoissonWeights::new(lambda * t, epsilon)?;
        let mut v = initial.to_vec();
        let mut next = vec![0.0; n];
        let mut acc = vec![0.0; n];
        let inv = if lambda > 0.0 { 1.0 / lambda } else { 0.0 };
        for k in 0..=w.right {
            if k >= w.left {
                let wk = w.weights[k - w.left];
                for (a, x) in acc.iter_mut().zip(&v) {
                    *a += wk * x;
                }
            }
            if k < w.right {
                // next = v P = v + (vQ)/Λ.
                for (j, nj) in next.iter_mut().enumerate() {
                    *nj = v[j] + self.left_mul_entry(&v, j) * inv;
                }
                std::mem::swap(&mut v, &mut next);
            }
        }
        Ok(TransientSolution {
            pi: acc,
            time: t,
            uniformisation_rate: lambda,
            steps: w.right + 1,
            truncation_error: w.truncation_error,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytic::ctmc::BirthDeath;

    /// Two states, 0 → 1 at rate a, 1 → 0 at rate b: P(in 0 at t) =
    /// b/(a+b) + (p0 − b/(a+b)) e^{−(a+b)t} (Ross (2014), Introduction to Probability
    /// Models, 11th ed., Example 6.11 / eq. 6.18).
    #[test]
    fn two_state_closed_form() {
        for (a, b) in [(1.0, 3.0), (0.01, 0.2), (50.0, 70.0)] {
            let c = Ctmc::from_triplets(2, [(0, 1, a), (1, 0, b)]).unwrap();
            for p0 in [1.0, 0.0, 0.3] {
                for t in [0.0, 1e-3, 0.1, 1.0, 7.5, 40.0] {
                    let s = c.transient(&[p0, 1.0 - p0], t).unwrap();
                    let inf = b / (a + b);
                    let exact = inf + (p0 - inf) * (-(a + b) * t).exp();
                    assert!(
                        (s.pi[0] - exact).abs() < 1e-12,
                        "a={a} b={b} p0={p0} t={t}: {} vs {exact}",
                        s.pi[0]
                    );
                    assert!((s.pi[0] + s.pi[1] - 1.0).abs() < 1e-12);
                    assert!(s.truncation_error <= DEFAULT_TRANSIENT_EPSILON);
                }
            }
        }
    }

    /// π(t) → π as t grows (M/M/1/K, closed form (1 − ρ)ρⁿ/(1 − ρ^{K+1})).
    #[test]
    fn tends_to_steady_state() {
        let (rho, k) = (0.7f64, 20usize);
        let c = BirthDeath::new(k + 1, |_| rho, |_| 1.0)
            .unwrap()
            .ctmc()
            .unwrap();
        let mut init = vec![0.0; k + 1];
        init[k] = 1.0;
        let exact: Vec<f64> = (0..=k)
            .map(|n| (1.0 - rho) * rho.powi(n as i32) / (1.0 - rho.powi(k as i32 + 1)))
            .collect();
        let dist = |t: f64| {
            let s = c.transient(&init, t).unwrap();
            s.pi.iter()
                .zip(&exact)
                .map(|(p, e)| (p - e).abs())
                .sum::<f64>()
        };
        let (d1, d10, d100, d1000) = (dist(1.0), dist(10.0), dist(100.0), dist(1000.0));
        assert!(d1 > d10 && d10 > d100, "{d1} {d10} {d100}");
        assert!(d1000 < 1e-10, "{d1000}");
    }

    /// Against a second method: π(0) e^{Qt} by nalgebra's Padé matrix exponential, on
    /// an M/M/2/29 chain started full, at several times.
    #[test]
    fn matches_matrix_exponential() {
        let bd = BirthDeath::new(30, |_| 1.7, |n| n.min(2) as f64).unwrap();
        let c = bd.ctmc().unwrap();
        let q = nalgebra::DMatrix::from(&c.generator());
        let mut init = vec![0.0; 30];
        init[29] = 1.0;
        let p0 = nalgebra::RowDVector::from_row_slice(&init);
        for t in [0.3, 2.0, 11.0, 60.0] {
            let expected = &p0 * (&q * t).exp();
            let got = c.transient(&init, t).unwrap();
            for (g, e) in got.pi.iter().zip(expected.iter()) {
                assert!((g - e).abs() < 1e-12, "t={t}: {g} vs {e}");
            }
        }
    }

    /// Weights against the Poisson pmf computed directly (small mean) and the large-mean
    /// normal limit; the truncation bound holds.
    #[test]
    fn poisson_weights() {
        let w = PoissonWeights::new(10.0, 1e-14).unwrap();
        let mut pmf = (-10.0f64).exp();
        for k in 0..60 {
            if k > 0 {
                pmf *= 10.0 / k as f64;
            }
            assert!((w.weight(k) - pmf).abs() < 1e-14, "k={k}");
        }
        assert!(w.truncation_error <= 1e-14);
        assert_eq!(PoissonWeights::new(0.0, 1e-12).unwrap().weights, vec![1.0]);
        // Λt = 1e8: e^{−Λt} underflows, but the weights are fine.
        let w = PoissonWeights::new(1e8, 1e-12).unwrap();
        let s: f64 = w.weights.iter().sum();
        assert!((s - 1.0).abs() < 1e-12);
        assert!(w.left > 0 && w.right < 200_000_000);
        let peak = 1.0 / (2.0 * std::f64::consts::PI * 1e8).sqrt();
        assert!((w.weight(100_000_000) / peak - 1.0).abs() < 1e-8);
        assert!(PoissonWeights::new(-1.0, 1e-12).is_err());
        assert!(PoissonWeights::new(1.0, 0.0).is_err());
        assert!(PoissonWeights::new(f64::NAN, 1e-12).is_err());
    }

    /// The stated bound holds: the exact Poisson mass outside [L, R] (statrs's
    /// regularised-gamma CDF, an independent computation) is at most half of
    /// `truncation_error`, which is at most ε.
    #[test]
    fn truncation_bound_is_valid() {
        use statrs::distribution::{DiscreteCDF, Poisson};
        for mean in [0.5, 3.0, 47.3, 1000.0, 123_456.7] {
            for eps in [1e-6, 1e-10, 1e-14] {
                let w = PoissonWeights::new(mean, eps).unwrap();
                let p = Poisson::new(mean).unwrap();
                let left = if w.left == 0 {
                    0.0
                } else {
                    p.cdf(w.left as u64 - 1)
                };
                let outside = left + p.sf(w.right as u64);
                assert!(w.truncation_error <= eps, "{mean} {eps}");
                assert!(
                    outside <= 0.5 * w.truncation_error * (1.0 + 1e-6) + 1e-16,
                    "mean {mean}, eps {eps}: outside {outside:e} vs bound {:e}",
                    w.truncation_error
                );
                // And the window is not wastefully wide: the bound is within 1000× of
                // the true tail (or both are negligible).
                assert!(
                    w.truncation_error < 2000.0 * outside.max(1e-18),
                    "{mean} {eps}"
                );
            }
        }
    }

    #[test]
    fn rejects_bad_input() {
        let c = Ctmc::from_triplets(2, [(0, 1, 1.0), (1, 0, 3.0)]).unwrap();
        assert!(matches!(
            c.transient(&[1.0, 0.0], -1.0),
            Err(CtmcError::InvalidParameter { name: "t", .. })
        ));
        assert!(c.transient(&[1.0, 0.0], f64::INFINITY).is_err());
        for bad in [&[1.0][..], &[0.5, 0.6], &[1.5, -0.5], &[f64::NAN, 1.0]] {
            assert!(matches!(
                c.transient(bad, 1.0),
                Err(CtmcError::InvalidInitial { .. })
            ));
        }
        assert_eq!(c.transient(&[0.2, 0.8], 0.0).unwrap().pi, vec![0.2, 0.8]);
        // One state: nothing moves.
        let one = Ctmc::from_triplets(1, []).unwrap();
        assert_eq!(one.transient(&[1.0], 5.0).unwrap().pi, vec![1.0]);
    }
}
