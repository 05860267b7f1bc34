//! Birth–death chains: states 0..n, jumps n → n+1 at rate λ_n and n → n−1 at rate μ_n.
//!
//! The steady state has the product form π_n = π_0 Π_{i=0}^{n−1} λ_i / μ_{i+1}
//! (Kleinrock (1975), *Queueing Systems* Vol. 1, §3.1, eq. (3.11)), evaluated here in
//! log space: ln π_n − ln π_0 = Σ_{i<n} (ln λ_i − ln μ_{i+1}), shifted by its maximum
//! before exponentiating, so neither the products (M/M/c/K with K = 10⁶ spans 10⁻²²⁰⁰⁰)
//! nor π_0 overflow; entries below 10⁻³⁰⁸ of the largest underflow to 0.

use super::error::{CtmcError, StateRef};
use super::generator::Ctmc;
use super::steady_state::{SteadyState, SteadyStateMethod, StopReason};

/// A finite birth–death chain with positive rates.
///
/// # Errors
/// [`CtmcError::Empty`] for no states; [`CtmcError::InvalidRate`] for a birth rate
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

    /// ln(π_n / π_0) for every n: Σ_{i<n} (ln λ_i − ln μ_{i+1}).
    pub fn log_unnormalised(&self) -> Vec<f64> {
        let mut out = Vec::with_capacity(self.n_states());
        let mut acc = 0.0;
        out.push(0.0);
        for (l, m) in self.birth.iter().zip(&self.death) {
            acc += l.ln() - m.ln();
            out.push(acc);
        }
        out
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
        let logs = self.log_unnormalised();
        let top = logs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let mut pi: Vec<f64> = logs.iter().map(|l| (l - top).exp()).collect();
        let s: f64 = pi.iter().sum();
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
