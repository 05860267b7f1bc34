//! Labels saying how each analytic figure was obtained.

use serde::{Deserialize, Serialize};

/// How trustworthy a figure is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Exactness {
    /// A closed form or exact recursion: exact up to floating-point rounding.
    Exact,
    /// An exact characterisation evaluated numerically (a linear solve, series or
    /// root-finding) to a stated tolerance.
    Numerical,
    /// A named approximation: its error is not bounded; compare with simulation.
    Approximation,
}

/// The method behind a figure: a short name, its exactness and a reference.
///
/// # Example
/// ```
/// use kendall::analytic::{Exactness, Method};
/// let m = Method::exact("M/M/1", "Kleinrock (1975), Queueing Systems Vol. 1, §3.2");
/// assert_eq!(m.exactness, Exactness::Exact);
/// assert_eq!(m.to_string(), "M/M/1 [exact]");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Method {
    /// Short name, e.g. `M/M/c (Erlang C)` or `Allen–Cunneen G/G/c`.
    pub name: String,
    /// Exact, numerical or approximation.
    pub exactness: Exactness,
    /// Where the formula comes from.
    pub reference: String,
}

impl Method {
    /// An exact method.
    pub fn exact(name: impl Into<String>, reference: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            exactness: Exactness::Exact,
            reference: reference.into(),
        }
    }
    /// An exact characterisation evaluated numerically.
    pub fn numerical(name: impl Into<String>, reference: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            exactness: Exactness::Numerical,
            reference: reference.into(),
        }
    }
    /// A named approximation.
    pub fn approximation(name: impl Into<String>, reference: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            exactness: Exactness::Approximation,
            reference: reference.into(),
        }
    }
}

impl std::fmt::Display for Exactness {
    /// `exact`, `numerical` or `approximation`, as in JSON.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Exactness::Exact => "exact",
            Exactness::Numerical => "numerical",
            Exactness::Approximation => "approximation",
        })
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} [{}]", self.name, self.exactness)
    }
}
