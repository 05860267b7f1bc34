//! Closed networks: exact mean value analysis (MVA) and Schweitzer's approximation
//! ([`mva`]), and a model's windowed sources mapped onto a closed network ([`model`]).

pub mod model;
pub mod mva;
