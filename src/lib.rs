//! # kendall
//!
//! Queueing-theory capacity modelling for message-queue and event-driven systems:
//! producers, broker queues with consumer pools, topics fanning out to listener pools.
//! One [`model::Model`] is run by two engines: exact and approximate analytic solvers
//! ([`analytic`]) and a discrete-event simulator.
//!
//! - [`model`]: the shared description (sources, queues, topics, routes, distributions),
//!   validation, scenario files.
//! - [`analytic`]: single-node formulas (M/M/1, M/M/c, M/M/c/K, M/G/1, priorities,
//!   G/G/c approximations), Markov chains, and [`analytic::solve::solve`] for a model.
//! - [`sim`]: the discrete-event simulator of the same model: replications in parallel,
//!   every figure with a confidence interval.
//! - [`compare`]: both engines side by side; [`sizing`]: the smallest deployment meeting
//!   SLOs, verified by simulation; [`sweep`]: metrics over load or a parameter.
//! - [`report`]: tables, CSV, JSON and charts.
//!
//! ```
//! use kendall::analytic::{QueueMetrics, mm1::MM1};
//! let q = MM1::new(800.0, 1000.0).unwrap();
//! assert!((q.mean_sojourn() - 0.005).abs() < 1e-15);
//! ```

#![warn(missing_docs)]

pub mod analytic;
pub mod compare;
pub mod model;
pub mod report;
pub mod sim;
pub mod sizing;
pub mod sweep;
