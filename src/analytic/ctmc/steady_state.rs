//! Steady state π of a chain: πQ = 0, Σ π_i = 1.
//!
//! Three methods, one result type:
//! - [`Ctmc::steady_state_dense`]: a direct LU solve (nalgebra, partial pivoting) of
//!   Qᵀπ = 0 with one equation replaced by the normalisation Σ π_i = 1. O(n³) time and
//!   O(n²) memory: for chains up to a few thousand states.
//! - [`Ctmc::steady_state_iterative`]: Krylov methods preconditioned by ILU(0) (a short
//!   GMRES probe, then BiCGSTAB, then GMRES(m)), on sparse storage, for large chains
//!   (10⁶ states and more). See that method for why.
//! - [`super::BirthDeath::steady_state`]: the exact product form of birth–death chains.
//!
//! [`Ctmc::steady_state`] picks dense up to [`AUTO_DENSE_LIMIT`] states and iterative
//! above, and refuses a result that did not converge.

use nalgebra::{DMatrix, DVector};
use serde::Serialize;

use super::bicgstab;
use super::error::CtmcError;
use super::generator::{Csr, Ctmc};
use super::gmres;
use super::ilu::Ilu0;
use crate::analytic::method::Method;

/// [`Ctmc::steady_state`] solves chains of at most this many states densely.
///
/// Measured (`cargo bench --bench ctmc`): dense LU of 500 states takes about 12 ms and
/// grows as n³, while GMRES + ILU(0) on a 500-state birth–death chain takes 60 µs; the
/// dense solve is kept for small chains because it needs no convergence.
pub const AUTO_DENSE_LIMIT: usize = 500;

/// [`Ctmc::steady_state_dense`] refuses chains larger than this (the dense matrix alone
/// would take n² × 8 bytes: 800 MB at this limit).
pub const DENSE_MAX_STATES: usize = 10_000;

/// Most doubles kept in the GMRES Krylov basis (2²⁶ doubles = 512 MB).
const KRYLOV_MAX_DOUBLES: usize = 1 << 26;

/// Length of the first, probing GMRES cycle of [`Ctmc::steady_state_iterative`].
const GMRES_PROBE_STEPS: usize = 10;

/// The algorithm behind a [`SteadyState`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SteadyStateMethod {
    /// Dense LU with partial pivoting on Qᵀ with a normalisation row.
    DenseLu,
    /// Restarted GMRES preconditioned by ILU(0), on the generator with one state's
    /// probability pinned.
    GmresIlu0,
    /// BiCGSTAB preconditioned by ILU(0), on the generator with one state's probability
    /// pinned (tried before GMRES: constant memory and no orthogonalisation).
    BicgstabIlu0,
    /// The birth–death product form π_n ∝ Π_{i<n} λ_i / μ_{i+1}, with an
    /// extended exponent.
    ProductForm,
    /// The caller's starting guess ([`Ctmc::steady_state_iterative_from`]), normalised,
    /// already met the residual tolerance: no iteration was needed.
    VerifiedStart,
}

impl SteadyStateMethod {
    /// The method label for reports.
    ///
    /// # Example
    /// ```
    /// use kendall::analytic::ctmc::SteadyStateMethod;
    /// assert_eq!(SteadyStateMethod::GmresIlu0.method().to_string(),
    ///            "CTMC steady state, GMRES + ILU(0) [numerical]");
    /// ```
    pub fn method(self) -> Method {
        match self {
            Self::DenseLu => Method::numerical(
                "CTMC steady state, dense LU",
                "Stewart (1994), Introduction to the Numerical Solution of Markov Chains, §2.3",
            ),
            Self::GmresIlu0 => Method::numerical(
                "CTMC steady state, GMRES + ILU(0)",
                "Saad (2003), Iterative Methods for Sparse Linear Systems, §9.3 and §10.3; Stewart (1994), §4.6",
            ),
            Self::BicgstabIlu0 => Method::numerical(
                "CTMC steady state, BiCGSTAB + ILU(0)",
                "van der Vorst (1992), SIAM J. Sci. Stat. Comput. 13(2); Saad (2003), §7.4.2 and §10.3; Stewart (1994), §4.6",
            ),
            Self::VerifiedStart => Method::numerical(
                "CTMC steady state, starting guess verified by its residual",
                "Stewart (1994), Introduction to the Numerical Solution of Markov Chains, §1.4 (πQ = 0)",
            ),
            Self::ProductForm => Method::exact(
                "Birth–death product form",
                "Kleinrock (1975), Queueing Systems Vol. 1, §3.1, eq. (3.11)",
            ),
        }
    }
}

/// Why a steady-state solve stopped.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case", tag = "reason")]
pub enum StopReason {
    /// The residual ‖πQ‖₁ reached `tolerance` (absolute, probability per second).
    Converged {
        /// The residual bound met, `tolerance` × Σ_j π_j q_j (0 for a one-state chain).
        tolerance: f64,
    },
    /// The iteration limit was hit with the residual still above `tolerance`: π is only
    /// an approximation.
    MaxIterations {
        /// The residual bound that was not met.
        tolerance: f64,
    },
    /// GMRES could not reduce its residual any further (rounding level) while the
    /// true residual is still above `tolerance`: π is only an approximation.
    Stagnated {
        /// The residual bound that was not met.
        tolerance: f64,
    },
    /// A direct method (no iteration): the residual says how accurate it is.
    Direct,
}

/// A steady-state distribution with the evidence of its accuracy.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct SteadyState {
    /// π_i, the long-run fraction of time in state i; non-negative, summing to 1.
    pub pi: Vec<f64>,
    /// ‖πQ‖₁ = Σ_j |Σ_i π_i q_ij| for the returned π (probability per second; 0 for the
    /// exact answer). It bounds the ∞-norm too.
    pub residual: f64,
    /// Iterations (matrix–vector products with the generator) spent; 0 for direct methods.
    pub iterations: usize,
    /// Why the solver stopped.
    pub stop: StopReason,
    /// The algorithm used.
    pub method: SteadyStateMethod,
}

impl SteadyState {
    /// Whether π can be trusted: converged, or computed directly.
    pub fn is_converged(&self) -> bool {
        matches!(self.stop, StopReason::Converged { .. } | StopReason::Direct)
    }

    /// `self` if it converged (or was computed directly), else an error.
    ///
    /// # Errors
    /// [`CtmcError::NotConverged`] when [`SteadyState::stop`] is
    /// [`StopReason::MaxIterations`] or [`StopReason::Stagnated`].
    ///
    /// # Example
    /// ```
    /// use kendall::analytic::ctmc::{Ctmc, SteadyStateOptions};
    /// let c = Ctmc::from_triplets(3, [(0, 1, 1.0), (1, 2, 1.0), (2, 0, 1.0), (1, 0, 5.0)]).unwrap();
    /// let opts = SteadyStateOptions { max_iterations: 0, ..Default::default() };
    /// let ss = c.steady_state_iterative(&opts).unwrap();
    /// assert!(!ss.is_converged());
    /// assert!(ss.into_converged().is_err());
    /// ```
    pub fn into_converged(self) -> Result<Self, CtmcError> {
        match self.stop {
            StopReason::MaxIterations { tolerance } | StopReason::Stagnated { tolerance } => {
                Err(CtmcError::NotConverged {
                    iterations: self.iterations,
                    residual: self.residual,
                    tolerance,
                })
            }
            StopReason::Converged { .. } | StopReason::Direct => Ok(self),
        }
    }
}

/// Settings of the iterative steady-state solver.
#[derive(Debug, Clone, PartialEq)]
pub struct SteadyStateOptions {
    /// Relative tolerance: stop when ‖πQ‖₁ ≤ `tolerance` × Σ_j π_j q_j, the residual
    /// relative to the chain's total transition rate (independent of the time unit, and
    /// of fast states that are rarely visited). Default 1e-13 (the rounding floor is
    /// about 1e-15); must be finite and > 0.
    pub tolerance: f64,
    /// Most matrix–vector products with the generator in all (BiCGSTAB takes at most
    /// half of them before GMRES takes over). Default 2000.
    pub max_iterations: usize,
    /// Initial GMRES restart length m (Krylov vectors kept: m × n doubles). Default 30.
    /// Each cycle that ends unconverged doubles m, up to max(`restart`, min(500,
    /// 2²⁶ / n)), so the Krylov basis stays under 512 MB: restarted GMRES can stall
    /// where a longer basis converges.
    pub restart: usize,
    /// The state whose probability is pinned to 1 before normalising. `None` (default)
    /// picks the state of smallest exit rate, and re-pins on the largest entry if the
    /// pinned state turns out to be improbable (see [`Ctmc::steady_state_iterative`]).
    pub reference_state: Option<usize>,
}

impl Default for SteadyStateOptions {
    fn default() -> Self {
        Self {
            tolerance: 1e-13,
            max_iterations: 2000,
            restart: 30,
            reference_state: None,
        }
    }
}

/// Outcome of one pinned solve.
enum Pinned {
    /// The pinned state looks improbable: pin this state instead.
    Repin(usize),
    /// The raw solution x, and (π, residual, how it ended, residual bound) if it
    /// normalises.
    Solved(Vec<f64>, Option<(Vec<f64>, f64, Ended, f64)>),
}

/// How a pinned solve ended.
#[derive(Clone, Copy)]
enum Ended {
    Converged,
    MaxIterations,
    Stagnated,
}

/// Clamps rounding negatives to 0, normalises, and checks finiteness.
fn normalise(x: &[f64]) -> Option<Vec<f64>> {
    let s: f64 = x.iter().map(|v| v.max(0.0)).sum();
    if !(s.is_finite() && s > 0.0) || x.iter().any(|v| !v.is_finite()) {
        return None;
    }
    Some(x.iter().map(|v| v.max(0.0) / s).collect())
}

impl Ctmc {
    /// The steady state by the method suited to the chain's size (dense LU up to
    /// [`AUTO_DENSE_LIMIT`] states, GMRES + ILU(0) above, default options), refusing a
    /// non-converged result.
    ///
    /// # Errors
    /// [`CtmcError::NotConverged`] if the iterative solver hits its limit;
    /// [`CtmcError::SolveFailed`] if a factorisation fails (not expected for a valid chain).
    ///
    /// # Example
    /// ```
    /// use kendall::analytic::ctmc::Ctmc;
    /// let c = Ctmc::from_triplets(2, [(0, 1, 1.0), (1, 0, 3.0)]).unwrap();
    /// let ss = c.steady_state().unwrap();
    /// assert!((ss.pi[0] - 0.75).abs() < 1e-15);
    /// ```
    pub fn steady_state(&self) -> Result<SteadyState, CtmcError> {
        self.steady_state_with(&SteadyStateOptions::default())?
            .into_converged()
    }

    /// Like [`Ctmc::steady_state`] with explicit options for the iterative case; returns a
    /// non-converged result as such (`stop == MaxIterations`) rather than an error.
    ///
    /// # Errors
    /// As [`Ctmc::steady_state_iterative`] and [`Ctmc::steady_state_dense`].
    ///
    /// # Example
    /// ```
    /// use kendall::analytic::ctmc::{Ctmc, SteadyStateOptions};
    /// let c = Ctmc::from_triplets(2, [(0, 1, 1.0), (1, 0, 3.0)]).unwrap();
    /// let ss = c.steady_state_with(&SteadyStateOptions::default()).unwrap();
    /// assert!(ss.is_converged());
    /// ```
    pub fn steady_state_with(&self, opts: &SteadyStateOptions) -> Result<SteadyState, CtmcError> {
        self.require_irreducible()?;
        if self.n_states() <= AUTO_DENSE_LIMIT {
            self.steady_state_dense()
        } else {
            self.steady_state_iterative(opts)
        }
    }

    /// The steady state by a direct dense solve: LU with partial pivoting (nalgebra) of
    /// Qᵀ with its first row replaced by ones, right-hand side e₀. Rounding negatives are
    /// set to 0 and π renormalised; the residual ‖πQ‖₁ is reported. O(n³).
    ///
    /// # Errors
    /// [`CtmcError::TooLargeForDense`] above [`DENSE_MAX_STATES`] states;
    /// [`CtmcError::SolveFailed`] if the LU solve fails or gives non-finite values.
    ///
    /// # Example
    /// ```
    /// use kendall::analytic::ctmc::{Ctmc, StopReason};
    /// let c = Ctmc::from_triplets(3, [(0, 1, 2.0), (1, 2, 2.0), (2, 1, 1.0), (1, 0, 1.0)]).unwrap();
    /// let ss = c.steady_state_dense().unwrap();
    /// // Birth–death with ratio 2: π ∝ (1, 2, 4).
    /// assert!((ss.pi[2] - 4.0 / 7.0).abs() < 1e-14);
    /// assert_eq!(ss.stop, StopReason::Direct);
    /// ```
    pub fn steady_state_dense(&self) -> Result<SteadyState, CtmcError> {
        self.require_irreducible()?;
        let n = self.n_states();
        if n > DENSE_MAX_STATES {
            return Err(CtmcError::TooLargeForDense {
                n_states: n,
                limit: DENSE_MAX_STATES,
            });
        }
        let mut a = DMatrix::<f64>::zeros(n, n);
        for j in 0..n {
            a[(j, j)] = -self.exit[j];
        }
        for (i, j, r) in self.transitions() {
            a[(j, i)] = r;
        }
        for i in 0..n {
            a[(0, i)] = 1.0;
        }
        let mut b = DVector::<f64>::zeros(n);
        b[0] = 1.0;
        let x = a.lu().solve(&b).ok_or_else(|| CtmcError::SolveFailed {
            reason: "the LU factorisation of the normalised generator is singular".into(),
        })?;
        let pi = normalise(x.as_slice()).ok_or_else(|| CtmcError::SolveFailed {
            reason: "the dense solve gave non-finite or all-zero probabilities".into(),
        })?;
        let residual = self.residual(&pi).unwrap_or(f64::INFINITY);
        Ok(SteadyState {
            pi,
            residual,
            iterations: 0,
            stop: StopReason::Direct,
            method: SteadyStateMethod::DenseLu,
        })
    }

    /// The steady state by GMRES(m) preconditioned with ILU(0), for large sparse chains.
    ///
    /// **The system.** One state k is pinned, x_k = 1, and its balance equation dropped:
    /// the other equations Σ_{i≠k} x_i q_ij = −q_kj (j ≠ k) form a nonsingular system
    /// whose negated matrix is an M-matrix (every state reaches k). Then π = x / Σ x.
    /// Pinning keeps the sparsity pattern (a normalisation row would be dense).
    ///
    /// **Why GMRES + ILU(0).** ILU(0) of an M-matrix exists and is stable, costs one pass
    /// over the nonzeros, and is exact for tridiagonal matrices, so birth–death chains
    /// (M/M/c/K with 10⁶ states) converge in one step; for general chains it is the
    /// standard robust preconditioner (Stewart 1994, §4.6; Saad 2003, §10.3). GMRES
    /// minimises the residual, so unlike BiCGSTAB it cannot break down erratically, and
    /// unlike Gauss–Seidel or SOR its speed does not collapse on nearly decomposable or
    /// slowly mixing chains (Gauss–Seidel would need ~10⁴ sweeps on the M/M/10/10⁶ test).
    ///
    /// **Order of the solvers.** A GMRES probe of at most 10 steps comes first (it
    /// settles chains on which ILU(0) is nearly exact); then BiCGSTAB, on at most half
    /// the remaining `max_iterations`: it keeps eight vectors whatever the number of
    /// steps and does no orthogonalisation, where GMRES's basis cost m × n doubles of
    /// memory and O(m n) work per step (the 10⁶-state blocking tandem: 1 GB and 35 s of
    /// CPU with GMRES, 0.48 GB and 20 s with BiCGSTAB, 2.4e-13 residual). BiCGSTAB's
    /// shadow residual is mixed with a fixed pseudo-random vector, as r̂ = r₀ alone
    /// breaks down at once on grid-like chains; if it breaks down or stalls, GMRES of
    /// growing length continues from its best iterate. [`SteadyState::method`] names
    /// the solver whose iterate was returned.
    ///
    /// **Choice of k.** If π_k is tiny, x = π/π_k overflows (in M/M/c/K, π_K/π_0 can be
    /// 10⁻²⁰⁰⁰⁰). k defaults to the state of smallest exit rate (the empty state of most
    /// queues: long visits weigh heavily); if the result is not finite or π_k < 10⁻¹⁰⁰,
    /// the solve is repeated (at most three times) pinned on the largest entry found.
    ///
    /// **Stopping.** After each GMRES cycle the true residual ‖πQ‖₁ of the normalised,
    /// clamped π is computed; the solver stops with [`StopReason::Converged`] when it is
    /// ≤ `tolerance` × Σ_j π_j q_j (the total rate of transitions out of states in
    /// steady state, so the test is relative to the flows it balances), and otherwise with [`StopReason::MaxIterations`] after
    /// `max_iterations` steps (or [`StopReason::Stagnated`] if GMRES can make no further
    /// progress), never claiming convergence it did not measure.
    ///
    /// **What the residual guarantees.** ‖π̂ − π‖₁ ≤ ‖π̂Q‖₁ · ‖Q^#‖∞ (Q^# the group
    /// inverse, of the order of the chain's mixing time), so slowly mixing or stiff
    /// chains need a smaller `tolerance` for the same accuracy in π. Nearly completely
    /// decomposable chains are the hard case: with two blocks coupled by a flow below the
    /// residual tolerance, the split of mass between the blocks is not determined by the
    /// residual at all (an 800-state example coupled at 1e-6 met a residual of 3e-13 with
    /// the split wrong by 1%). Solve such chains densely (exact to rounding) when they
    /// are small enough, or tighten `tolerance` below the coupling flow.
    ///
    /// # Errors
    /// [`CtmcError::InvalidParameter`] for a bad tolerance, restart or reference state;
    /// [`CtmcError::SolveFailed`] if the ILU(0) factorisation hits a zero pivot or the
    /// result is not finite after re-pinning.
    ///
    /// # Example
    /// ```
    /// use kendall::analytic::ctmc::{Ctmc, SteadyStateOptions, StopReason};
    /// // M/M/1/4999 with ρ = 0.5: π_n ∝ 0.5^n.
    /// let k = 5000;
    /// let t = (0..k - 1).flat_map(|i| [(i, i + 1, 1.0), (i + 1, i, 2.0)]);
    /// let c = Ctmc::from_triplets(k, t).unwrap();
    /// let ss = c.steady_state_iterative(&SteadyStateOptions::default()).unwrap();
    /// assert!(matches!(ss.stop, StopReason::Converged { .. }));
    /// assert!((ss.pi[1] - 0.25).abs() < 1e-12);
    /// ```
    pub fn steady_state_iterative(
        &self,
        opts: &SteadyStateOptions,
    ) -> Result<SteadyState, CtmcError> {
        self.require_irreducible()?;
        self.iterative(opts, None)
    }

    /// Like [`Ctmc::steady_state_iterative`], starting from a guess of π instead of
    /// the pinned state alone.
    ///
    /// `start` holds one finite, non-negative weight per state, not all zero (its scale
    /// does not matter). A good guess, such as a product-form approximation of a
    /// network, saves most iterations: on a chain whose mass sits near one corner of a
    /// large state space the Krylov solvers otherwise move mass about one transition
    /// further per step. Convergence is judged exactly as without a start (the true
    /// residual ‖πQ‖₁ against `tolerance` × Σ_j π_j q_j), so a poor guess costs
    /// iterations, and the result meets the same residual bound whatever the start
    /// (the error in π is that bound times the chain's mixing time); a start that already meets the tolerance is returned
    /// after one residual evaluation, with `iterations == 0`, without factorising
    /// anything. The pinned state is chosen as without a start; the start is used
    /// where it gives that state at least 1e-100 of its largest weight (else the
    /// solve starts from the pinned state alone).
    ///
    /// # Errors
    /// As [`Ctmc::steady_state_iterative`]; [`CtmcError::InvalidInitial`] unless
    /// `start` has one finite, non-negative entry per state with a positive sum.
    ///
    /// # Example
    /// ```
    /// use kendall::analytic::ctmc::{Ctmc, SteadyStateMethod, SteadyStateOptions, StopReason};
    /// // M/M/1/4999 with ρ = 0.5, started from its exact geometric law.
    /// let k = 5000;
    /// let t = (0..k - 1).flat_map(|i| [(i, i + 1, 1.0), (i + 1, i, 2.0)]);
    /// let c = Ctmc::from_triplets(k, t).unwrap();
    /// let start: Vec<f64> = (0..k).map(|n| 0.5f64.powi(n as i32)).collect();
    /// let ss = c.steady_state_iterative_from(&SteadyStateOptions::default(), &start).unwrap();
    /// assert!(matches!(ss.stop, StopReason::Converged { .. }));
    /// assert_eq!(ss.iterations, 0);
    /// assert_eq!(ss.method, SteadyStateMethod::VerifiedStart);
    /// assert!((ss.pi[1] - 0.25).abs() < 1e-12);
    /// ```
    pub fn steady_state_iterative_from(
        &self,
        opts: &SteadyStateOptions,
        start: &[f64],
    ) -> Result<SteadyState, CtmcError> {
        self.require_irreducible()?;
        let n = self.n_states();
        if start.len() != n {
            return Err(CtmcError::InvalidInitial {
                reason: format!(
                    "{} entries for {n} states; give one weight per state",
                    start.len()
                ),
            });
        }
        if let Some(i) = start.iter().position(|p| !(p.is_finite() && *p >= 0.0)) {
            return Err(CtmcError::InvalidInitial {
                reason: format!(
                    "entry {i} is {}; starting weights must be finite and >= 0",
                    start[i]
                ),
            });
        }
        let total: f64 = start.iter().sum();
        if !(total.is_finite() && total > 0.0) {
            return Err(CtmcError::InvalidInitial {
                reason: format!(
                    "the starting weights sum to {total}; give at least one positive weight (and a finite sum)"
                ),
            });
        }
        self.iterative(opts, Some(start))
    }

    /// [`Ctmc::steady_state_iterative`] with an optional, checked start.
    fn iterative(
        &self,
        opts: &SteadyStateOptions,
        start: Option<&[f64]>,
    ) -> Result<SteadyState, CtmcError> {
        let n = self.n_states();
        if !(opts.tolerance.is_finite() && opts.tolerance > 0.0) {
            return Err(CtmcError::InvalidParameter {
                name: "tolerance",
                value: opts.tolerance,
                rule: "a finite number > 0",
            });
        }
        if opts.restart == 0 {
            return Err(CtmcError::InvalidParameter {
                name: "restart",
                value: 0.0,
                rule: "an integer >= 1",
            });
        }
        if let Some(k) = opts.reference_state
            && k >= n
        {
            return Err(CtmcError::InvalidParameter {
                name: "reference_state",
                value: k as f64,
                rule: "a state index below the number of states",
            });
        }
        if n == 1 {
            return Ok(SteadyState {
                pi: vec![1.0],
                residual: 0.0,
                iterations: 0,
                stop: StopReason::Converged { tolerance: 0.0 },
                method: SteadyStateMethod::GmresIlu0,
            });
        }
        let mut k = opts.reference_state.unwrap_or_else(|| {
            (0..n)
                .min_by(|&a, &b| self.exit[a].total_cmp(&self.exit[b]))
                .unwrap_or(0)
        });
        let mut iterations = 0;
        let mut method = SteadyStateMethod::GmresIlu0;
        let mut last: Option<SteadyState> = None;
        for attempt in 0..3 {
            // The user's pin is kept; the last attempt solves whatever the pin.
            let check_pin = opts.reference_state.is_none() && attempt < 2;
            let (x, outcome) =
                match self.pinned_solve(k, opts, start, &mut iterations, &mut method, check_pin)? {
                    Pinned::Repin(next) => {
                        k = next;
                        continue;
                    }
                    Pinned::Solved(x, o) => (x, o),
                };
            if let Some((pi, residual, ended, target)) = outcome {
                let top = pi.iter().copied().fold(0.0, f64::max);
                let well_pinned = pi[k] >= 1e-100 * top;
                let state = SteadyState {
                    pi,
                    residual,
                    iterations,
                    stop: match ended {
                        Ended::Converged => StopReason::Converged { tolerance: target },
                        Ended::MaxIterations => StopReason::MaxIterations { tolerance: target },
                        Ended::Stagnated => StopReason::Stagnated { tolerance: target },
                    },
                    method,
                };
                if well_pinned || opts.reference_state.is_some() {
                    return Ok(state);
                }
                last = Some(state);
            }
            // Re-pin on the largest finite entry.
            let next = (0..n)
                .filter(|&i| x[i].is_finite())
                .max_by(|&a, &b| x[a].total_cmp(&x[b]));
            match next {
                Some(next) if next != k && opts.reference_state.is_none() => k = next,
                _ => break,
            }
        }
        last.ok_or_else(|| CtmcError::SolveFailed {
            reason: format!(
                "the iterative solve gave non-finite probabilities even after re-pinning on state {k}; \
                 set SteadyStateOptions::reference_state to a likely state"
            ),
        })
    }

    /// One pinned solve. With `check_pin`, first estimates the solution's direction with
    /// one scale-safe ILU(0) solve and asks to re-pin if state k looks improbable
    /// (below 1e-100 of the largest entry). Otherwise returns the raw x and
    /// (π, residual, converged) if x normalises to a finite distribution.
    fn pinned_solve(
        &self,
        k: usize,
        opts: &SteadyStateOptions,
        start: Option<&[f64]>,
        iterations: &mut usize,
        method: &mut SteadyStateMethod,
        check_pin: bool,
    ) -> Result<Pinned, CtmcError> {
        let n = self.n_states();
        let tol = opts.tolerance;
        // (π, ‖πQ‖₁, tolerance × Σ π_j q_j) for the current x.
        let measure = |x: &[f64]| {
            normalise(x).map(|pi| {
                let res = self.residual(&pi).unwrap_or(f64::INFINITY);
                let flow: f64 = pi.iter().zip(&self.exit).map(|(p, q)| p * q).sum();
                (pi, res, tol * flow)
            })
        };
        // The start scaled to x_k = 1, if state k carries enough of its weight for the
        // scaled entries to stay below 1e100; else the pinned state alone.
        let mut x: Vec<f64> = match start {
            Some(w) if w[k] > 0.0 && w[k] >= 1e-100 * w.iter().copied().fold(0.0, f64::max) => {
                let mut x: Vec<f64> = w.iter().map(|v| v / w[k]).collect();
                x[k] = 1.0;
                x
            }
            _ => {
                let mut x = vec![0.0; n];
                x[k] = 1.0;
                x
            }
        };
        // A start that already meets the tolerance needs no factorisation.
        if start.is_some()
            && let Some((pi, res, bound)) = measure(&x)
            && res <= bound
        {
            *method = SteadyStateMethod::VerifiedStart;
            return Ok(Pinned::Solved(x, Some((pi, res, Ended::Converged, bound))));
        }
        // A': row j ≠ k holds Qᵀ's row j without column k; row k is e_k.
        let mut offsets = Vec::with_capacity(n + 1);
        let mut idx = Vec::with_capacity(self.n_transitions() + n);
        let mut val = Vec::with_capacity(self.n_transitions() + n);
        let mut b = vec![0.0; n];
        offsets.push(0);
        for j in 0..n {
            if j == k {
                idx.push(k);
                val.push(1.0);
                b[k] = 1.0;
            } else {
                let mut diag_done = false;
                for (i, r) in self.inc.row(j) {
                    if i == k {
                        b[j] = -r;
                        continue;
                    }
                    if !diag_done && i > j {
                        idx.push(j);
                        val.push(-self.exit[j]);
                        diag_done = true;
                    }
                    idx.push(i);
                    val.push(r);
                }
                if !diag_done {
                    idx.push(j);
                    val.push(-self.exit[j]);
                }
            }
            offsets.push(idx.len());
        }
        // A' itself is not kept: its product is computed from the chain's incoming
        // rates (one copy of the matrix fewer in memory).
        let ilu = Ilu0::new(Csr { offsets, idx, val }).map_err(|row| CtmcError::SolveFailed {
            reason: format!("ILU(0) hit a zero or non-finite pivot at state {row}"),
        })?;
        let apply = |v: &[f64], out: &mut [f64]| {
            for (j, o) in out.iter_mut().enumerate() {
                *o = if j == k {
                    v[k]
                } else {
                    let mut s = -v[j] * self.exit[j];
                    for (i, r) in self.inc.row(j) {
                        if i != k {
                            s += r * v[i];
                        }
                    }
                    s
                };
            }
        };
        let precondition = |v: &mut [f64]| ilu.solve_in_place(v);
        if check_pin {
            let mut d = b.clone();
            ilu.solve_direction_in_place(&mut d);
            let top = (0..n)
                .filter(|&i| d[i].is_finite())
                .max_by(|&p, &q| d[p].abs().total_cmp(&d[q].abs()));
            if let Some(top) = top
                && (!d[k].is_finite() || d[k].abs() < 1e-100 * d[top].abs())
            {
                return Ok(Pinned::Repin(top));
            }
        }
        let sqrt_n = (n as f64).sqrt();
        let mut restart = opts.restart;
        let restart_cap = opts.restart.max((KRYLOV_MAX_DOUBLES / n).min(500));
        // 0: a short GMRES probe; 1: BiCGSTAB; 2: GMRES cycles of growing length.
        let mut phase = 0;
        loop {
            let s: f64 = x.iter().map(|v| v.max(0.0)).sum();
            let result = measure(&x);
            let bound = match &result {
                Some((pi, res, bound)) if *res <= *bound => {
                    let out = (pi.clone(), *res, Ended::Converged, *bound);
                    return Ok(Pinned::Solved(x, Some(out)));
                }
                Some((_, _, bound)) => *bound,
                None => 0.0,
            };
            if *iterations >= opts.max_iterations || result.is_none() {
                let out = result.map(|(pi, res, b)| (pi, res, Ended::MaxIterations, b));
                return Ok(Pinned::Solved(x, out));
            }
            // ‖πQ‖₁ ≤ 2‖r‖₁ / Σx ≤ 2√n ‖r‖₂ / Σx: this inner tolerance suffices.
            let inner_tol = bound * s.max(1.0) / (2.0 * sqrt_n);
            if phase == 1 {
                // BiCGSTAB next, on at most half the remaining budget: on large chains
                // it is several times cheaper than GMRES per step and keeps no Krylov
                // basis; if it stalls, GMRES continues from its best iterate.
                phase = 2;
                *method = SteadyStateMethod::BicgstabIlu0;
                let budget = (opts.max_iterations - *iterations) / 2;
                *iterations += bicgstab::solve(apply, precondition, &b, &mut x, budget, inner_tol);
                continue;
            }
            *method = SteadyStateMethod::GmresIlu0;
            // The probe: chains on which ILU(0) is (nearly) exact, such as birth–death
            // chains, converge here in a step or two.
            let length = if phase == 0 {
                restart.min(GMRES_PROBE_STEPS)
            } else {
                restart
            };
            let steps = gmres::cycle(
                apply,
                precondition,
                &b,
                &mut x,
                length.min(opts.max_iterations - *iterations),
                inner_tol,
            );
            *iterations += steps;
            // Restarting can stall GMRES: grow the basis on every cycle that has not
            // converged, within the memory cap.
            if phase == 0 {
                phase = 1;
            } else {
                restart = (restart * 2).min(restart_cap);
            }
            if steps == 0 {
                // GMRES sees a residual at its tolerance (or not finite): no progress
                // is possible, so report the state as it is.
                let out = measure(&x).map(|(pi, res, b)| {
                    let ended = if res <= b {
                        Ended::Converged
                    } else {
                        Ended::Stagnated
                    };
                    (pi, res, ended, b)
                });
                return Ok(Pinned::Solved(x, out));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytic::ctmc::BirthDeath;

    /// M/M/1/K closed form (1 − ρ)ρⁿ / (1 − ρ^{K+1}) (Kleinrock (1975) Vol. 1, eq. 3.44),
    /// evaluated directly, independently of the solvers.
    fn mm1k(rho: f64, k: usize) -> Vec<f64> {
        (0..=k)
            .map(|n| (1.0 - rho) * rho.powi(n as i32) / (1.0 - rho.powi(k as i32 + 1)))
            .collect()
    }

    /// M/M/c/K closed form (Gross & Harris, Fundamentals of Queueing Theory, 4th ed.,
    /// §2.5, eq. 2.59): π_n = π_0 aⁿ/n! for n ≤ c, π_0 a^c/c! ρ^{n−c} above, by direct
    /// summation (fine for the moderate K used with it).
    fn mmck(lambda: f64, mu: f64, c: usize, k: usize) -> Vec<f64> {
        let a = lambda / mu;
        let rho = a / c as f64;
        let mut w = Vec::with_capacity(k + 1);
        let mut fact = 1.0;
        for n in 0..=k {
            if n <= c {
                if n > 0 {
                    fact *= n as f64;
                }
                w.push(a.powi(n as i32) / fact);
            } else {
                w.push(a.powi(c as i32) / fact * rho.powi((n - c) as i32));
            }
        }
        let s: f64 = w.iter().sum();
        w.into_iter().map(|x| x / s).collect()
    }

    fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
        assert_eq!(a.len(), b.len());
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f64::max)
    }

    fn converged(ss: &SteadyState) -> bool {
        matches!(ss.stop, StopReason::Converged { .. })
    }

    #[test]
    fn mm1k_three_ways() {
        for (rho, k) in [(0.5, 10usize), (0.9, 200), (1.3, 150), (1.0, 50)] {
            let bd = BirthDeath::new(k + 1, |_| rho, |_| 1.0).unwrap();
            let chain = bd.ctmc().unwrap();
            let exact = if rho == 1.0 {
                vec![1.0 / (k + 1) as f64; k + 1]
            } else {
                mm1k(rho, k)
            };
            let dense = chain.steady_state_dense().unwrap();
            let iter = chain
                .steady_state_iterative(&SteadyStateOptions::default())
                .unwrap();
            let prod = bd.steady_state();
            assert!(converged(&iter), "{iter:?}");
            assert_eq!(dense.stop, StopReason::Direct);
            for (name, ss) in [("dense", &dense), ("iterative", &iter), ("product", &prod)] {
                let d = max_abs_diff(&ss.pi, &exact);
                assert!(d < 1e-13, "{name} rho={rho} K={k}: max diff {d}");
                assert!(ss.residual < 1e-13, "{name}: residual {}", ss.residual);
                assert!((ss.pi.iter().sum::<f64>() - 1.0).abs() < 1e-13);
            }
        }
    }

    #[test]
    fn mmck_three_ways() {
        for (lambda, mu, c, k) in [
            (9.5, 1.0, 10usize, 300usize),
            (4.0, 0.5, 3, 60),
            (30.0, 1.0, 20, 40),
        ] {
            let bd = BirthDeath::new(k + 1, |_| lambda, |n| n.min(c) as f64 * mu).unwrap();
            let chain = bd.ctmc().unwrap();
            let exact = mmck(lambda, mu, c, k);
            let dense = chain.steady_state_dense().unwrap();
            let iter = chain
                .steady_state_iterative(&SteadyStateOptions::default())
                .unwrap();
            let prod = bd.steady_state();
            assert!(converged(&iter));
            for ss in [&dense, &iter, &prod] {
                let d = max_abs_diff(&ss.pi, &exact);
                assert!(d < 1e-13, "{:?}: max diff {d}", ss.method);
                // Relative agreement on every entry that is not tiny: dense LU is only
                // accurate to ~1e-17 absolute; the sparse and product forms are
                // accurate relative to each entry.
                let floor = if ss.method == SteadyStateMethod::DenseLu {
                    1e-6
                } else {
                    1e-200
                };
                for (p, e) in ss.pi.iter().zip(&exact) {
                    if *e > floor {
                        assert!((p - e).abs() <= 1e-9 * e, "{:?}: {p} vs {e}", ss.method);
                    }
                }
            }
        }
    }

    /// Two finite queues in tandem (not birth–death: ILU(0) is inexact here), dense vs
    /// iterative. State (a, b) with a, b in 0..=m.
    #[test]
    fn tandem_dense_vs_iterative() {
        let m = 29; // 900 states
        let id = |a: usize, b: usize| a * (m + 1) + b;
        let (lambda, mu1, mu2) = (1.0, 1.3, 1.1);
        let mut t = Vec::new();
        for a in 0..=m {
            for b in 0..=m {
                if a < m {
                    t.push((id(a, b), id(a + 1, b), lambda));
                }
                if a > 0 && b < m {
                    t.push((id(a, b), id(a - 1, b + 1), mu1));
                }
                if b > 0 {
                    t.push((id(a, b), id(a, b - 1), mu2));
                }
            }
        }
        let chain = Ctmc::from_triplets((m + 1) * (m + 1), t).unwrap();
        let dense = chain.steady_state_dense().unwrap();
        let iter = chain
            .steady_state_iterative(&SteadyStateOptions::default())
            .unwrap();
        assert!(converged(&iter), "{:?} {}", iter.stop, iter.residual);
        assert!(iter.iterations > 1);
        let StopReason::Converged { tolerance } = iter.stop else {
            panic!()
        };
        assert!(iter.residual <= tolerance && tolerance <= 1e-12 * chain.max_exit_rate());
        assert!(dense.residual < 1e-13);
        let d = max_abs_diff(&dense.pi, &iter.pi);
        assert!(d < 1e-11, "max diff {d}");
    }

    /// An iteration limit is reported as such, never as convergence.
    #[test]
    fn max_iterations_is_honest() {
        let m = 29;
        let id = |a: usize, b: usize| a * (m + 1) + b;
        let mut t = Vec::new();
        for a in 0..=m {
            for b in 0..=m {
                if a < m {
                    t.push((id(a, b), id(a + 1, b), 1.0));
                }
                if a > 0 && b < m {
                    t.push((id(a, b), id(a - 1, b + 1), 1.3));
                }
                if b > 0 {
                    t.push((id(a, b), id(a, b - 1), 1.1));
                }
            }
        }
        let chain = Ctmc::from_triplets((m + 1) * (m + 1), t).unwrap();
        let opts = SteadyStateOptions {
            max_iterations: 2,
            ..Default::default()
        };
        let ss = chain.steady_state_iterative(&opts).unwrap();
        assert!(matches!(ss.stop, StopReason::MaxIterations { .. }));
        assert!(ss.iterations <= 2);
        let StopReason::MaxIterations { tolerance } = ss.stop else {
            panic!()
        };
        assert!(ss.residual > tolerance);
        assert!(matches!(
            ss.into_converged(),
            Err(CtmcError::NotConverged { .. })
        ));
    }

    /// The default pin (smallest exit rate: the top state here) has π ≈ 2^-5000: the
    /// solver must notice and re-pin on the likely state.
    #[test]
    fn repins_when_reference_state_is_improbable() {
        let k = 5000;
        let bd = BirthDeath::new(k, |i| if i == 0 { 5.0 } else { 1.0 }, |_| 2.0).unwrap();
        let chain = bd.ctmc().unwrap();
        assert!(chain.exit_rate(k - 1) < chain.exit_rate(0));
        let ss = chain
            .steady_state_iterative(&SteadyStateOptions::default())
            .unwrap();
        assert!(converged(&ss), "{ss:?}");
        let exact = bd.steady_state();
        assert!(max_abs_diff(&ss.pi, &exact.pi) < 1e-13);
    }

    #[test]
    fn single_state_and_bad_options() {
        let c = Ctmc::from_triplets(1, []).unwrap();
        assert_eq!(c.steady_state().unwrap().pi, vec![1.0]);
        assert_eq!(
            c.steady_state_iterative(&SteadyStateOptions::default())
                .unwrap()
                .pi,
            vec![1.0]
        );
        let c = Ctmc::from_triplets(2, [(0, 1, 1.0), (1, 0, 1.0)]).unwrap();
        for opts in [
            SteadyStateOptions {
                tolerance: 0.0,
                ..Default::default()
            },
            SteadyStateOptions {
                tolerance: f64::NAN,
                ..Default::default()
            },
            SteadyStateOptions {
                restart: 0,
                ..Default::default()
            },
            SteadyStateOptions {
                reference_state: Some(2),
                ..Default::default()
            },
        ] {
            assert!(matches!(
                c.steady_state_iterative(&opts),
                Err(CtmcError::InvalidParameter { .. })
            ));
        }
    }

    /// A start changes the cost, not the guarantee: on M/M/1/K (closed form) a start
    /// that is exact converges at once, and starts that are wrong (uniform; the mass
    /// at the wrong end, with ρ = 1.3 where it belongs at the top; one state only)
    /// still converge to the closed form, judged by the same residual test.
    #[test]
    fn start_changes_cost_not_answer() {
        for (rho, k) in [(0.9f64, 2000usize), (1.3, 1500)] {
            let chain = BirthDeath::new(k + 1, |_| rho, |_| 1.0)
                .unwrap()
                .ctmc()
                .unwrap();
            let exact = mm1k(rho, k);
            let uniform = vec![1.0; k + 1];
            let wrong_end: Vec<f64> = (0..=k).map(|n| 0.5f64.powi(n as i32)).collect();
            let mut one = vec![0.0; k + 1];
            one[k / 2] = 3.0;
            for (name, start) in [
                ("exact", exact.clone()),
                ("uniform", uniform),
                ("wrong end", wrong_end),
                ("one state", one),
            ] {
                // π's error is at most the residual times the mixing time (~10³
                // here): a tolerance of 1e-15 makes it 1e-12 whatever the start.
                let opts = SteadyStateOptions {
                    tolerance: 1e-15,
                    ..Default::default()
                };
                let ss = chain.steady_state_iterative_from(&opts, &start).unwrap();
                assert!(converged(&ss), "{name}: {ss:?}");
                if name == "exact" {
                    assert_eq!(ss.iterations, 0);
                    assert_eq!(ss.method, SteadyStateMethod::VerifiedStart);
                }
                let d = max_abs_diff(&ss.pi, &exact);
                assert!(d < 1e-12, "rho {rho}, {name}: {d}");
            }
        }
    }

    #[test]
    fn bad_starts_are_refused() {
        let c = Ctmc::from_triplets(2, [(0, 1, 1.0), (1, 0, 1.0)]).unwrap();
        let o = SteadyStateOptions::default();
        for start in [
            vec![1.0],
            vec![1.0, -0.5],
            vec![f64::NAN, 1.0],
            vec![f64::INFINITY, 1.0],
            vec![0.0, 0.0],
            vec![f64::MAX, f64::MAX],
        ] {
            let err = c.steady_state_iterative_from(&o, &start).unwrap_err();
            assert!(
                matches!(err, CtmcError::InvalidInitial { .. }),
                "{start:?}: {err}"
            );
        }
    }

    /// The required scale: M/M/10/K with K + 1 = 10⁶ states, λ = 9.5, μ = 1.
    #[test]
    fn million_state_birth_death() {
        let n = 1_000_000;
        let bd = BirthDeath::new(n, |_| 9.5, |i| i.min(10) as f64).unwrap();
        let chain = bd.ctmc().unwrap();
        let start = std::time::Instant::now();
        let ss = chain.steady_state().unwrap();
        let elapsed = start.elapsed();
        eprintln!(
            "10^6-state M/M/10/K: {:?}, {} iterations, residual {:e}, {elapsed:?}",
            ss.method, ss.iterations, ss.residual
        );
        assert_eq!(ss.method, SteadyStateMethod::GmresIlu0);
        assert!(converged(&ss));
        assert!(ss.residual < 1e-10);
        let exact = bd.steady_state();
        assert!(exact.residual < 1e-13);
        let d = max_abs_diff(&ss.pi, &exact.pi);
        assert!(d < 1e-13, "max diff {d}");
        // 50-digit references (tests/reference/ctmc_reference.py).
        for (i, r) in [
            (0, 2.501_837_409_358_306_4e-5),
            (10, 0.041_279_278_906_284_93),
            (100, 4.081_845_647_770_787e-4),
        ] {
            for (name, p) in [("iterative", ss.pi[i]), ("product", exact.pi[i])] {
                assert!((p - r).abs() <= 1e-12 * r, "{name} pi_{i}: {p} vs {r}");
            }
        }
        let l: f64 = ss.pi.iter().enumerate().map(|(n, p)| n as f64 * p).sum();
        assert!((l - 25.186_125_984_388_274).abs() < 1e-9 * 25.2, "L = {l}");
        // And against the closed form on the head of the distribution (the tail is
        // below 1e-300 by n ≈ 14 000): relative 1e-9.
        let head = mmck(9.5, 1.0, 10, 2000);
        for (n, e) in head.iter().enumerate().take(1000) {
            assert!(
                (ss.pi[n] - e).abs() <= 1e-9 * e,
                "n={n}: {} vs {e}",
                ss.pi[n]
            );
        }
    }
}

#[cfg(test)]
mod robustness {
    use super::*;
    use rand::{RngExt, SeedableRng};
    use rand_xoshiro::Xoshiro256PlusPlus;

    /// Random sparse chains with rates spread over six decades, and a nearly completely
    /// decomposable chain (two blocks coupled at 1e-6): GMRES + ILU(0) against dense LU.
    #[test]
    fn random_and_stiff_chains() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
        for (n, extra, coupling) in [(800usize, 4usize, 1.0), (800, 3, 1e-2)] {
            let mut t = Vec::new();
            let half = n / 2;
            for i in 0..n {
                // A ring inside each half keeps the chain irreducible.
                let (lo, len) = if i < half {
                    (0, half)
                } else {
                    (half, n - half)
                };
                let next = lo + (i - lo + 1) % len;
                t.push((i, next, 10f64.powf(rng.random_range(-3.0..3.0))));
                for _ in 0..extra {
                    let j = lo + rng.random_range(0..len);
                    if j != i {
                        t.push((i, j, 10f64.powf(rng.random_range(-3.0..3.0))));
                    }
                }
            }
            t.push((0, half, coupling));
            t.push((half, 0, coupling));
            let chain = Ctmc::from_triplets(n, t).unwrap();
            let dense = chain.steady_state_dense().unwrap();
            // The error is at most the residual times the conditioning (here ~1e4–1e5:
            // rates down to 1e-3), so a tighter tolerance buys a proportionally better π.
            for (tolerance, max_err) in [(1e-12, 1e-6), (1e-15, 1e-9)] {
                let opts = SteadyStateOptions {
                    tolerance,
                    ..Default::default()
                };
                let iter = chain.steady_state_iterative(&opts).unwrap();
                let d: f64 = dense
                    .pi
                    .iter()
                    .zip(&iter.pi)
                    .map(|(a, b)| (a - b).abs())
                    .sum();
                eprintln!(
                    "n={n} coupling={coupling} tol={tolerance:e}: {} iterations, residual {:e} \
                     (dense {:e}), ‖π_dense − π_iter‖₁ = {d:e}",
                    iter.iterations, iter.residual, dense.residual
                );
                assert!(
                    matches!(iter.stop, StopReason::Converged { .. }),
                    "{:?}",
                    iter.stop
                );
                assert!(d < max_err, "coupling {coupling}, tol {tolerance}: {d}");
            }
        }
    }
}
