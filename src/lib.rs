//! kendall
pub mod analytic;
pub mod model;
pub mod sim;
