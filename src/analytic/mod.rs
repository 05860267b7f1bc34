//! Analytic solvers: closed forms, exact recursions and Markov chains.
//!
//! Every single-node solver validates its parameters in its constructor (returning
//! [`AnalyticError`]), implements [`QueueMetrics`], and labels its figures with a
//! [`Method`] saying whether they are exact, numerical or approximations.

pub mod ctmc;
pub mod erlang;
pub mod error;
pub mod method;
pub mod metrics;
pub mod mm1;

pub use error::AnalyticError;
pub use method::{Exactness, Method};
pub use metrics::{NodeSolution, PERCENTILE_LEVELS, Percentiles, QueueMetrics, invert_cdf};
