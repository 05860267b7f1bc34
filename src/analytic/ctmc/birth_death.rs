//! Birth–death chains: states 0..n, jumps n → n+1 at rate λ_n and n → n−1 at rate μ_n.
//!
//! The steady state has the product form π_n = π_0 Π_{i=0}^{n−1} λ_i / μ_{i+1}
//! (Kleinrock (1975), *Queueing Systems* Vol. 1, §3.1, eq. (3.11)), evaluated with an
//! extended exponent: each product is kept as m · 2^(64e) with m in [1, 2^64) and an
//! integer e, then divided by the largest before normalising. Neither the products
//! (M/M/c/K with K = 10⁶ spans 10⁻²²⁰⁰⁰) nor π_0 overflow; entries below about
//! 10⁻²⁸⁹ of the largest are set to 0. Unlike summing logarithms (whose absolute
//! rounding grows with |ln π_n|, about 1e-10 relative at n = 10⁶), neighbouring ratios
//! π_{n+1}/π_n keep full double precision.

use super::error::{CtmcError, StateRef};
use super::generator::Ctmc;
use super::steady_state::{SteadyState, SteadyStateMethod, StopReason};

/// Most states a [`BirthDeath`] chain may have: the chain holds two rates per state
/// (16 bytes) and its steady state three more numbers (24 bytes), so 10⁷ states take
/// about 400 MB; the product form costs O(n).
pub const BIRTH_DEATH_MAX_STATES: usize = 10_000_000;

/// A finite birth–death chain with positive rates.
///
/// # Errors
/// [`CtmcError::Empty`] for no states; [`CtmcError::InvalidParameter`] (`n_states`) for
/// more than [`BIRTH_DEATH_MAX_STATES`]; [`CtmcError::InvalidRate`] for a birth rate
/// λ_i (i < n−1) or death rate μ_i (i ≥ 1) that is not finite and > 0.
///
/// # Example
/// ```
/// use kendall::analytic::ctmc::BirthDeath;
/// // M/M/2/4: λ = 3, μ = 2 per server.
/// let bd = BirthDeath::new(5, |_| 3.0, |n| 2.0 * n.min(2) as f64).unwrap();
/// let pi = bd.steady_state().pi;
/// // π_1/π_0 = 3/2, π_2/π_1 = 3/4.
/// assert!((pi[1] / pi[0] - 1.5).abs() < 1e-14);
/// assert!((pi[2] / pi[1] - 0.75).abs() < 1e-14);
/// let chain = bd.ctmc().unwrap();
/// assert_eq!(chain.rate(2, 1), 4.0);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct BirthDeath {
    /// birth[i] = λ_i, the rate i → i+1, for i in 0..n−1.
    birth: Vec<f64>,
    /// death[i] = μ_{i+1}, the rate i+1 → i, for i in 0..n−1.
    death: Vec<f64>,
}

impl BirthDeath {
    /// A chain on `n_states` states with birth rates `birth(i)` (i → i+1, for
    /// i = 0..n−2) and death rates `death(i)` (i → i−1, for i = 1..n−1). Other
    /// arguments are never asked for.
    ///
    /// # Errors
    /// See the type.
    pub fn new(
        n_states: usize,
        birth: impl Fn(usize) -> f64,
        death: impl Fn(usize) -> f64,
    ) -> Result<Self, CtmcError> {
        if n_states == 0 {
            return Err(CtmcError::Empty);
        }
        if n_states > BIRTH_DEATH_MAX_STATES {
            return Err(CtmcError::InvalidParameter {
                name: "n_states",
                value: n_states as f64,
                rule: "at most 10 000 000 (BIRTH_DEATH_MAX_STATES: 16 bytes per state for the chain, 24 more for its steady state); truncate the chain where the tail mass is negligible",
            });
        }
        let s = |i| StateRef {
            index: i,
            label: None,
        };
        const RULE: &str = "finite and > 0 (a zero rate splits a birth–death chain)";
        let mut b = Vec::with_capacity(n_states - 1);
        let mut d = Vec::with_capacity(n_states - 1);
        for i in 0..n_states - 1 {
            let l = birth(i);
            if !(l.is_finite() && l > 0.0) {
                return Err(CtmcError::InvalidRate {
                    from: s(i),
                    to: s(i + 1),
                    rate: l,
                    rule: RULE,
                });
            }
            let m = death(i + 1);
            if !(m.is_finite() && m > 0.0) {
                return Err(CtmcError::InvalidRate {
                    from: s(i + 1),
                    to: s(i),
                    rate: m,
                    rule: RULE,
                });
            }
            b.push(l);
            d.push(m);
        }
        Ok(Self { birth: b, death: d })
    }

    /// Number of states.
    pub fn n_states(&self) -> usize {
        self.birth.len() + 1
    }

    /// λ_i, the rate i → i+1 (`None` for the top state or beyond).
    pub fn birth_rate(&self, i: usize) -> Option<f64> {
        self.birth.get(i).copied()
    }

    /// μ_i, the rate i → i−1 (`None` for state 0 or beyond the top).
    pub fn death_rate(&self, i: usize) -> Option<f64> {
        i.checked_sub(1).and_then(|j| self.death.get(j).copied())
    }

    /// The chain as a [`Ctmc`] (tridiagonal generator).
    ///
    /// # Errors
    /// None in practice (the rates were validated); the `Result` carries the general
    /// constructor's checks.
    pub fn ctmc(&self) -> Result<Ctmc, CtmcError> {
        let t = self
            .birth
            .iter()
            .zip(&self.death)
            .enumerate()
            .flat_map(|(i, (&l, &m))| [(i, i + 1, l), (i + 1, i, m)]);
        Ctmc::from_triplets(self.n_states(), t)
    }

    /// The exact steady state by the product form, with its residual ‖πQ‖₁ (rounding
    /// only); `stop` is [`StopReason::Direct`].
    ///
    /// # Example
    /// ```
    /// use kendall::analytic::ctmc::BirthDeath;
    /// // M/M/1/K, K = 10: π_n = (1 − ρ)ρⁿ / (1 − ρ^{K+1}).
    /// let rho: f64 = 0.8;
    /// let pi = BirthDeath::new(11, |_| 0.8, |_| 1.0).unwrap().steady_state().pi;
    /// let p3 = (1.0 - rho) * rho.powi(3) / (1.0 - rho.powi(11));
    /// assert!((pi[3] - p3).abs() < 1e-15);
    /// ```
    pub fn steady_state(&self) -> SteadyState {
        // π_n/π_0 = m_n · 2^(64 e_n) with m_n in [1, 2^64): each step one rounded
        // multiplication and exact power-of-two rescalings, so neighbouring ratios keep
        // full precision however far the products range.
        const BLOCK: f64 = 18_446_744_073_709_551_616.0; // 2^64
        let n = self.n_states();
        let mut mant = Vec::with_capacity(n);
        let mut expo: Vec<i64> = Vec::with_capacity(n);
        let (mut m, mut e) = (1.0f64, 0i64);
        mant.push(m);
        expo.push(e);
        for (l, d) in self.birth.iter().zip(&self.death) {
            m *= l / d;
            while m >= BLOCK {
                m /= BLOCK;
                e += 1;
            }
            while m < 1.0 {
                m *= BLOCK;
                e -= 1;
            }
            mant.push(m);
            expo.push(e);
        }
        let peak = (0..n)
            .max_by(|&a, &b| expo[a].cmp(&expo[b]).then(mant[a].total_cmp(&mant[b])))
            .unwrap_or(0);
        let mut pi: Vec<f64> = (0..n)
            .map(|i| {
                let d = expo[i] - expo[peak];
                if d < -15 {
                    0.0 // below 2^-896 of the peak
                } else {
                    mant[i] / mant[peak] * 2f64.powi((64 * d) as i32)
                }
            })
            .collect();
        let s = neumaier_sum(&pi);
        pi.iter_mut().for_each(|p| *p /= s);
        let residual = self.residual(&pi);
        SteadyState {
            pi,
            residual,
            iterations: 0,
            stop: StopReason::Direct,
            method: SteadyStateMethod::ProductForm,
        }
    }

    /// ‖πQ‖₁ for this chain's tridiagonal generator (0 for the exact steady state).
    fn residual(&self, pi: &[f64]) -> f64 {
        let n = self.n_states();
        (0..n)
            .map(|j| {
                let mut s = 0.0;
                if j > 0 {
                    s += pi[j - 1] * self.birth[j - 1] - pi[j] * self.death[j - 1];
                }
                if j + 1 < n {
                    s += pi[j + 1] * self.death[j] - pi[j] * self.birth[j];
                }
                s.abs()
            })
            .sum()
    }
}

/// Σ x_i with Neumaier's compensated summation.
fn neumaier_sum(x: &[f64]) -> f64 {
    let (mut s, mut c) = (0.0f64, 0.0f64);
    for &v in x {
        let t = s + v;
        c += if s.abs() >= v.abs() {
            (s - t) + v
        } else {
            (v - t) + s
        };
        s = t;
    }
    s + c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_rates() {
        assert_eq!(BirthDeath::new(0, |_| 1.0, |_| 1.0), Err(CtmcError::Empty));
        let err = BirthDeath::new(5, |i| if i == 2 { 0.0 } else { 1.0 }, |_| 1.0).unwrap_err();
        assert!(
            matches!(&err, CtmcError::InvalidRate { from, to, .. } if from.index == 2 && to.index == 3),
            "{err}"
        );
        let err = BirthDeath::new(5, |_| 1.0, |i| if i == 4 { f64::NAN } else { 1.0 }).unwrap_err();
        assert!(matches!(&err, CtmcError::InvalidRate { from, .. } if from.index == 4));
        // death(0) and birth(n-1) are never asked for.
        let bd = BirthDeath::new(
            3,
            |i| if i < 2 { 1.0 } else { f64::NAN },
            |i| {
                if i > 0 { 1.0 } else { -1.0 }
            },
        )
        .unwrap();
        assert_eq!(bd.birth_rate(2), None);
        assert_eq!(bd.death_rate(0), None);
        assert_eq!(bd.death_rate(2), Some(1.0));
        let one = BirthDeath::new(1, |_| 1.0, |_| 1.0).unwrap();
        assert_eq!(one.steady_state().pi, vec![1.0]);
    }

    /// Erlang loss M/M/c/c: π_c is Erlang B. c = 10, a = 5: B = 0.018384570336648133
    /// (mpmath, 50 digits: tests/reference/ctmc_reference.py), and the direct sum.
    #[test]
    fn erlang_b_at_the_top_state() {
        let c = 10usize;
        let bd = BirthDeath::new(c + 1, |_| 5.0, |n| n as f64).unwrap();
        let pi = bd.steady_state().pi;
        let mut term = 1.0;
        let mut sum = 1.0;
        for k in 1..=c {
            term *= 5.0 / k as f64;
            sum += term;
        }
        assert!((pi[c] - term / sum).abs() < 1e-15);
        assert!((pi[c] - 0.018_384_570_336_648_133).abs() < 1e-15);
    }

    /// No overflow with K = 10⁶ and no underflow of π_0 at ρ > 1.
    #[test]
    fn extreme_ratios() {
        let n = 1_000_000;
        let up = BirthDeath::new(n, |_| 2.0, |_| 1.0).unwrap().steady_state();
        // Mass piles at the top: π_top = (1 − 1/2) / (1 − 2^{-n}) = 1/2.
        assert!((up.pi[n - 1] - 0.5).abs() < 1e-12);
        assert_eq!(up.pi[0], 0.0);
        assert!(up.pi.iter().all(|p| p.is_finite()));
        assert!(up.residual < 1e-12);
    }

    /// Regression: `usize::MAX` states asked for a vector of that capacity and aborted.
    /// Above the stated bound the constructor refuses before asking for any rate.
    #[test]
    fn too_many_states_are_refused_before_allocating() {
        for n in [usize::MAX, BIRTH_DEATH_MAX_STATES + 1] {
            let e = BirthDeath::new(n, |_| unreachable!(), |_| unreachable!()).unwrap_err();
            assert!(
                matches!(
                    e,
                    CtmcError::InvalidParameter {
                        name: "n_states",
                        ..
                    }
                ),
                "{e}"
            );
        }
    }
}
