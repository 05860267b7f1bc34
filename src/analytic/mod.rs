//! Analytic solvers: closed forms, exact recursions and Markov chains.
//!
//! Every single-node solver validates its parameters in its constructor (returning
//! [`AnalyticError`]), implements [`QueueMetrics`], and labels its figures with a
//! [`Method`] saying whether they are exact, numerical or approximations.

pub mod approx;
pub mod closed;
pub mod closed_model;
pub mod ctmc;
pub mod end_to_end;
pub mod erlang;
pub mod error;
pub mod fork_join;
pub mod method;
pub mod metrics;
pub mod mg1;
pub mod mm1;
pub mod mmc;
pub mod mmck;
pub mod mminf;
pub mod model_ctmc;
pub mod priority;
pub mod qna;
pub mod redelivery;
pub mod solve;
pub(crate) mod special;
pub mod traffic;

pub use error::AnalyticError;
pub use method::{Exactness, Method};
pub use metrics::{NodeSolution, PERCENTILE_LEVELS, Percentiles, QueueMetrics, invert_cdf};
