//! Errors of the Markov-chain machinery.

use std::fmt;

/// A state named in an error: its index and, when the chain has labels, its label.
///
/// # Example
/// ```
/// use kendall::analytic::ctmc::StateRef;
/// let s = StateRef { index: 3, label: Some("busy".into()) };
/// assert_eq!(s.to_string(), "3 (\"busy\")");
/// assert_eq!(StateRef { index: 4, label: None }.to_string(), "4");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateRef {
    /// The state's index, 0-based, as in the generator.
    pub index: usize,
    /// The state's label, if the chain was built with labels.
    pub label: Option<String>,
}

impl fmt::Display for StateRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.label {
            Some(l) => write!(f, "{} ({l:?})", self.index),
            None => write!(f, "{}", self.index),
        }
    }
}

/// How many states of a list an error message prints before "… and N more".
const SHOWN: usize = 8;

/// Formats a list of states, shortened to its first [`SHOWN`] entries.
pub(crate) fn state_list(states: &[StateRef]) -> String {
    let mut s = String::from("{");
    for (i, st) in states.iter().take(SHOWN).enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        s.push_str(&st.to_string());
    }
    if states.len() > SHOWN {
        s.push_str(&format!(", … and {} more", states.len() - SHOWN));
    }
    s.push('}');
    s
}

fn reducible_message(closed_classes: &[Vec<StateRef>], transient: &[StateRef]) -> String {
    let classes: Vec<String> = closed_classes
        .iter()
        .take(SHOWN)
        .map(|c| state_list(c))
        .collect();
    let mut msg = format!(
        "the chain is reducible, so its steady state is not unique or not positive: {} closed class(es) {}",
        closed_classes.len(),
        classes.join(", ")
    );
    if closed_classes.len() > SHOWN {
        msg.push_str(&format!(" … and {} more", closed_classes.len() - SHOWN));
    }
    if !transient.is_empty() {
        msg.push_str(&format!(
            "; transient states (never re-entered once left) {}",
            state_list(transient)
        ));
    }
    msg.push_str(
        "; add the missing transitions so that every state can reach every other, or drop the transient states",
    );
    msg
}

/// Why a Markov chain or one of its solvers refused its input.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum CtmcError {
    /// A chain needs at least one state.
    #[error("the chain has no states; give at least one state")]
    Empty,
    /// A generator that is not square.
    #[error("the generator is {rows}x{cols}; it must be square (one row and column per state)")]
    NotSquare {
        /// Number of rows given.
        rows: usize,
        /// Number of columns given.
        cols: usize,
    },
    /// A transition names a state outside `0..n_states`.
    #[error(
        "transition {from} -> {to} names a state outside 0..{n_states}; state indices are 0-based and below the number of states"
    )]
    StateOutOfRange {
        /// Source state index.
        from: usize,
        /// Target state index.
        to: usize,
        /// Number of states of the chain.
        n_states: usize,
    },
    /// A transition rate that is negative, non-finite or otherwise out of range.
    #[error("rate {from} -> {to} must be {rule}, got {rate}")]
    InvalidRate {
        /// Source state.
        from: StateRef,
        /// Target state.
        to: StateRef,
        /// The rejected rate.
        rate: f64,
        /// The rule it breaks.
        rule: &'static str,
    },
    /// A diagonal entry given among the off-diagonal triplets.
    #[error(
        "triplet ({state}, {state}) is on the diagonal; give only off-diagonal rates, the diagonal is derived as minus the row sum"
    )]
    DiagonalTriplet {
        /// The state whose diagonal was given.
        state: usize,
    },
    /// A row of a full generator that does not sum to zero.
    #[error(
        "row {state} of the generator sums to {sum:e}, not 0 (tolerance {tolerance:e}); set the diagonal to minus the sum of the row's off-diagonal rates"
    )]
    RowSum {
        /// The offending state.
        state: StateRef,
        /// The row sum found.
        sum: f64,
        /// The tolerance allowed (relative to the row's magnitude).
        tolerance: f64,
    },
    /// The chain is not irreducible: it has several closed classes, or transient states.
    #[error("{}", reducible_message(closed_classes, transient))]
    Reducible {
        /// The closed communicating classes (a chain that enters one never leaves it).
        closed_classes: Vec<Vec<StateRef>>,
        /// States in no closed class: the chain leaves them for good.
        transient: Vec<StateRef>,
    },
    /// The number of labels does not match the number of states.
    #[error("{labels} labels given for {n_states} states; give one label per state")]
    LabelCount {
        /// Number of labels given.
        labels: usize,
        /// Number of states.
        n_states: usize,
    },
    /// A numeric parameter out of range (time, tolerance, iteration limit, ...).
    #[error("{name} must be {rule}, got {value}")]
    InvalidParameter {
        /// The parameter's name.
        name: &'static str,
        /// The rejected value.
        value: f64,
        /// The rule it breaks.
        rule: &'static str,
    },
    /// An initial distribution that is not a probability vector over the chain's states.
    #[error("initial distribution invalid: {reason}")]
    InvalidInitial {
        /// What is wrong and how to fix it.
        reason: String,
    },
    /// A dense method asked of a chain too large for a dense matrix.
    #[error(
        "{n_states} states is too many for a dense solve (limit {limit}); use the iterative method"
    )]
    TooLargeForDense {
        /// Number of states of the chain.
        n_states: usize,
        /// Largest chain the dense method accepts.
        limit: usize,
    },
    /// The linear solve failed (a singular or non-finite system).
    #[error("the steady-state solve failed: {reason}")]
    SolveFailed {
        /// What happened.
        reason: String,
    },
    /// An iterative solve stopped at its iteration limit above its tolerance.
    #[error(
        "not converged after {iterations} iterations: residual {residual:e} > tolerance {tolerance:e}; raise max_iterations or loosen the tolerance"
    )]
    NotConverged {
        /// Iterations spent.
        iterations: usize,
        /// Residual reached.
        residual: f64,
        /// Residual required.
        tolerance: f64,
    },
}
