//! The `[[chain]]` blocks of a scenario solved by the CTMC module: the steady state and
//! π(t) at the times asked for, with the expected reward of each.
//!
//! See [`ChainSolution`].

use crate::analytic::ctmc::Ctmc;
use crate::analytic::method::Method;
use crate::model::Chain;
use serde::{Deserialize, Serialize};

/// The distribution of a [`Chain`] at one time (or in the long run), with its accuracy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ChainDistribution {
    /// The time, seconds from the initial state; absent for the steady state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<f64>,
    /// The probability of each state, in the chain's state order.
    pub pi: Vec<f64>,
    /// The expected reward Σ πᵢ·rᵢ (absent when the chain has no `reward`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reward: Option<f64>,
    /// Bound on the error: ‖πQ‖₁ for the steady state, the uniformisation truncation
    /// bound on ‖π̃(t) − π(t)‖₁ for a time.
    pub error_bound: f64,
}

/// The solution of one `[[chain]]`.
///
/// # Example
/// ```
/// use kendall::model::{Chain, Transition};
/// let chain = Chain {
///     name: "link".into(),
///     states: vec!["up".into(), "down".into()],
///     transitions: vec![
///         Transition { from: "up".into(), to: "down".into(), rate: 1.0 },
///         Transition { from: "down".into(), to: "up".into(), rate: 3.0 },
///     ],
///     initial: None,
///     at: vec![0.5],
///     reward: [("up".to_string(), 1.0)].into(),
/// };
/// let s = kendall::analytic::ChainSolution::of(&chain);
/// // Availability 3/4 in the long run; 3/4 + e^{-2}/4 at t = 0.5 from "up".
/// assert!((s.steady_state.unwrap().reward.unwrap() - 0.75).abs() < 1e-12);
/// let exact = 0.75 + 0.25 * (-2.0f64).exp();
/// assert!((s.transient[0].reward.unwrap() - exact).abs() < 1e-11);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ChainSolution {
    /// The chain's name.
    pub name: String,
    /// Its states, in order.
    pub states: Vec<String>,
    /// The long-run distribution; absent (with `note`) when the chain has none that is
    /// unique (several closed classes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steady_state: Option<ChainDistribution>,
    /// How the steady state was computed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steady_state_method: Option<Method>,
    /// π(t) from the initial state at each time asked for (uniformisation).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub transient: Vec<ChainDistribution>,
    /// What could not be computed, and why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl ChainSolution {
    /// Solves a validated chain (see [`Chain::check`]).
    pub fn of(chain: &Chain) -> Self {
        let mut out = ChainSolution {
            name: chain.name.clone(),
            states: chain.states.clone(),
            steady_state: None,
            steady_state_method: None,
            transient: Vec::new(),
            note: None,
        };
        let triplets = chain
            .transitions
            .iter()
            .filter_map(|t| Some((chain.state(&t.from)?, chain.state(&t.to)?, t.rate)));
        // Built without the irreducibility check: an absorbing chain has π(t); its
        // steady state is refused below with the classes named.
        let ctmc = match Ctmc::from_triplets_reducible(chain.states.clone(), triplets) {
            Ok(c) => c,
            Err(e) => {
                out.note = Some(format!("the chain cannot be built: {e}"));
                return out;
            }
        };
        let rewards = (!chain.reward.is_empty()).then(|| chain.rewards());
        let reward_of = |pi: &[f64]| {
            rewards
                .as_ref()
                .map(|r| r.iter().zip(pi).map(|(r, p)| r * p).sum::<f64>())
        };
        match ctmc.steady_state().and_then(|s| s.into_converged()) {
            Ok(s) => {
                out.steady_state_method = Some(s.method.method());
                out.steady_state = Some(ChainDistribution {
                    time: None,
                    reward: reward_of(&s.pi),
                    pi: s.pi,
                    error_bound: s.residual,
                });
            }
            Err(e) => {
                out.note = Some(format!(
                    "no unique steady state: {e} (a chain with several closed classes, or absorbing states reached from more than one class, depends on where it starts: ask for π(t) with `at`)"
                ));
            }
        }
        let mut initial = vec![0.0; chain.states.len()];
        if let Some(p) = initial.get_mut(chain.initial_state()) {
            *p = 1.0;
        }
        for &t in &chain.at {
            match ctmc.transient(&initial, t) {
                Ok(s) => out.transient.push(ChainDistribution {
                    time: Some(t),
                    reward: reward_of(&s.pi),
                    pi: s.pi,
                    error_bound: s.truncation_error,
                }),
                Err(e) => {
                    let why = format!("π({t}) not computed: {e}");
                    out.note = Some(match out.note.take() {
                        Some(n) => format!("{n}; {why}"),
                        None => why,
                    });
                }
            }
        }
        out
    }
}
