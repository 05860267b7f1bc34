//! Continuous-time Markov chains: a validated sparse generator, its steady state (dense
//! direct, iterative sparse, birth–death product form) and its transient distribution
//! (uniformisation).
//!
//! - [`Ctmc`]: a finite, irreducible chain from off-diagonal rates `(from, to, rate)` or
//!   a full generator; invalid or reducible chains are errors naming the states.
//! - [`Ctmc::steady_state`]: π with πQ = 0, Σπ = 1, by dense LU up to
//!   [`AUTO_DENSE_LIMIT`] states and ILU(0)-preconditioned GMRES / BiCGSTAB above; every [`SteadyState`]
//!   carries its residual ‖πQ‖₁, iteration count and [`StopReason`].
//! - [`Ctmc::transient`]: π(t) by uniformisation with a stated truncation bound.
//! - [`BirthDeath`]: birth–death chains from rate functions, with the exact product form.
//! - [`Qbd`]: quasi-birth–death processes, G and R by logarithmic reduction.
//!
//! # Example
//! ```
//! use kendall::analytic::ctmc::BirthDeath;
//! // M/M/10/10⁵ at λ = 9.5, μ = 1.
//! let bd = BirthDeath::new(100_000, |_| 9.5, |n| n.min(10) as f64).unwrap();
//! let exact = bd.steady_state();
//! let numeric = bd.ctmc().unwrap().steady_state().unwrap();
//! assert!(numeric.residual < 1e-10);
//! assert!((numeric.pi[0] - exact.pi[0]).abs() < 1e-12);
//! ```

mod bicgstab;
mod birth_death;
mod error;
mod generator;
mod gmres;
mod ilu;
pub(crate) mod qbd;
mod steady_state;
mod transient;
pub(crate) mod whole_model;

pub use birth_death::{BIRTH_DEATH_MAX_STATES, BirthDeath};
pub use error::{CtmcError, StateRef};
pub use generator::Ctmc;
pub use qbd::{QBD_FLOOR, QBD_MAX_ITERATIONS, QBD_TOLERANCE, Qbd, QbdSolution};
pub use steady_state::{
    AUTO_DENSE_LIMIT, DENSE_MAX_STATES, SteadyState, SteadyStateMethod, SteadyStateOptions,
    StopReason,
};
pub use transient::{DEFAULT_TRANSIENT_EPSILON, PoissonWeights, TransientSolution};
pub use whole_model::{CtmcNode, MAX_STATES, ModelChain, solve_model_ctmc};
