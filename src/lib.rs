//! kendall
pub mod analytic;
pub mod model;
