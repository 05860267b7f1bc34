//! Markov chains in a scenario (`[[chain]]`): states and transition rates, solved by the
//! CTMC module for the steady state and for π(t) at given times.
//!
//! See [`Chain`].

use super::duration::seconds_vec;
use super::error::Problem;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Most states of one `[[chain]]`.
pub const MAX_CHAIN_STATES: usize = 100_000;
/// Most transitions of one `[[chain]]`.
pub const MAX_CHAIN_TRANSITIONS: usize = 1_000_000;
/// Most times at which one chain's π(t) is asked for.
pub const MAX_CHAIN_TIMES: usize = 64;

/// A continuous-time Markov chain given by its states and transition rates (a consumer's
/// health, a broker's failover states, a partition leader's moves): `kendall solve`
/// reports its steady state and π(t) at the times asked for, from the initial state,
/// and the expected reward (e.g. availability) of each.
///
/// ```toml
/// [[chain]]
/// name = "consumer-health"
/// states = ["up", "degraded", "down"]
/// transitions = [
///   { from = "up", to = "degraded", rate = 0.01 },
///   { from = "degraded", to = "up", rate = 0.5 },
///   { from = "degraded", to = "down", rate = 0.05 },
///   { from = "down", to = "up", rate = 0.2 },
/// ]
/// initial = "up"
/// at = ["1m", "1h"]
/// reward = { up = 1.0, degraded = 0.5 }
/// ```
///
/// Rates are per second. At most [`MAX_CHAIN_STATES`] states,
/// [`MAX_CHAIN_TRANSITIONS`] transitions and [`MAX_CHAIN_TIMES`] times.
///
/// # Example
/// ```
/// let m: kendall::Model = toml::from_str(r#"
/// [[chain]]
/// name = "link"
/// states = ["up", "down"]
/// transitions = [{ from = "up", to = "down", rate = 1.0 }, { from = "down", to = "up", rate = 3.0 }]
/// "#).unwrap();
/// let s = kendall::solve(&m.validate().unwrap()).unwrap();
/// assert!((s.chains[0].steady_state.as_ref().unwrap().pi[0] - 0.75).abs() < 1e-12);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Chain {
    /// A name for reports.
    pub name: String,
    /// The states' names, each once.
    pub states: Vec<String>,
    /// The transitions with their rates, per second (> 0; each pair once).
    pub transitions: Vec<Transition>,
    /// The state at time 0 for π(t) (default: the first state).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial: Option<String>,
    /// Times at which to report π(t), seconds (or `"1h"`).
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "seconds_vec"
    )]
    pub at: Vec<f64>,
    /// A reward per state (states left out earn 0): its expected value in the steady
    /// state and at each time (availability, capacity, cost rate).
    #[serde(default, skip_serializing_if = "HashMap::is_empty")]
    pub reward: HashMap<String, f64>,
}

/// One transition of a [`Chain`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Transition {
    /// From this state.
    pub from: String,
    /// To this state (another one).
    pub to: String,
    /// Rate, per second (finite, > 0).
    pub rate: f64,
}

impl Chain {
    /// The index of state `name`.
    pub fn state(&self, name: &str) -> Option<usize> {
        self.states.iter().position(|s| s == name)
    }

    /// The index of the initial state (the first state by default).
    pub fn initial_state(&self) -> usize {
        self.initial
            .as_deref()
            .and_then(|s| self.state(s))
            .unwrap_or(0)
    }

    /// The reward of each state, in state order (0 for those not named).
    pub fn rewards(&self) -> Vec<f64> {
        self.states
            .iter()
            .map(|s| self.reward.get(s).copied().unwrap_or(0.0))
            .collect()
    }

    /// Checks the chain, pushing one [`Problem`] per rule broken under
    /// `chain "<name>"`.
    pub fn check(&self, out: &mut Vec<Problem>) {
        let path = format!("chain {:?}", self.name);
        if self.states.is_empty() {
            out.push(Problem::new(
                format!("{path}.states"),
                "give at least one state",
            ));
        }
        if self.states.len() > MAX_CHAIN_STATES {
            out.push(Problem::new(
                format!("{path}.states"),
                format!(
                    "at most {MAX_CHAIN_STATES} states (found {}): lump states together",
                    self.states.len()
                ),
            ));
            return;
        }
        if self.transitions.len() > MAX_CHAIN_TRANSITIONS {
            out.push(Problem::new(
                format!("{path}.transitions"),
                format!(
                    "at most {MAX_CHAIN_TRANSITIONS} transitions (found {})",
                    self.transitions.len()
                ),
            ));
            return;
        }
        let mut seen = HashMap::new();
        for (i, s) in self.states.iter().enumerate() {
            if s.is_empty() {
                out.push(Problem::new(
                    format!("{path}.states[{i}]"),
                    "is empty: name the state",
                ));
            } else if seen.insert(s.as_str(), i).is_some() {
                out.push(Problem::new(
                    format!("{path}.states[{i}]"),
                    format!("{s:?} is listed twice: each state once"),
                ));
            }
        }
        let mut pairs = HashMap::new();
        for (k, t) in self.transitions.iter().enumerate() {
            let at = format!("{path}.transitions[{k}]");
            for (field, name) in [("from", &t.from), ("to", &t.to)] {
                if !seen.contains_key(name.as_str()) {
                    out.push(Problem::new(
                        format!("{at}.{field}"),
                        format!("unknown state {name:?}: use one of the chain's states"),
                    ));
                }
            }
            if t.from == t.to {
                out.push(Problem::new(
                    format!("{at}.to"),
                    "a transition goes to another state (the rate of staying is implied)",
                ));
            }
            if !(t.rate.is_finite() && t.rate > 0.0) {
                out.push(Problem::new(
                    format!("{at}.rate"),
                    format!("must be finite and > 0 (per second), got {}", t.rate),
                ));
            }
            if pairs.insert((t.from.as_str(), t.to.as_str()), k).is_some() {
                out.push(Problem::new(
                    at.clone(),
                    format!(
                        "{} -> {} is given twice: give each pair once, with the sum of the rates",
                        t.from, t.to
                    ),
                ));
            }
        }
        if let Some(s) = &self.initial
            && !seen.contains_key(s.as_str())
        {
            out.push(Problem::new(
                format!("{path}.initial"),
                format!("unknown state {s:?}: use one of the chain's states"),
            ));
        }
        if self.at.len() > MAX_CHAIN_TIMES {
            out.push(Problem::new(
                format!("{path}.at"),
                format!("at most {MAX_CHAIN_TIMES} times (found {})", self.at.len()),
            ));
        }
        for (i, t) in self.at.iter().enumerate() {
            if !(t.is_finite() && *t >= 0.0) {
                out.push(Problem::new(
                    format!("{path}.at[{i}]"),
                    format!("must be a finite time >= 0, got {t}"),
                ));
            }
        }
        let mut rewarded: Vec<&String> = self.reward.keys().collect();
        rewarded.sort();
        for s in rewarded {
            let v = self.reward[s];
            if !seen.contains_key(s.as_str()) {
                out.push(Problem::new(
                    format!("{path}.reward.{s}"),
                    format!("unknown state {s:?}: use one of the chain's states"),
                ));
            } else if !v.is_finite() {
                out.push(Problem::new(
                    format!("{path}.reward.{s}"),
                    format!("must be finite, got {v}"),
                ));
            }
        }
    }
}
