//! `analytic::solve`: every queue of a [`Model`] with the best method that applies.
//!
//! The arrival rate of each queue comes from the traffic equations
//! ([`traffic::arrival_rates`](crate::analytic::network::traffic::arrival_rates)), with each
//! finite buffer that rejects passing on only the share it accepts (a fixed point on
//! the blocking probabilities, `network/loss.rs`). Each queue then gets the
//! most exact method its situation allows, and every figure carries that method's label;
//! where none applies the node is refused with the reason and what to do instead:
//!
//! | situation of the node | method |
//! |---|---|
//! | Poisson input, exponential service, FIFO, unlimited buffer | M/M/1, M/M/c (Erlang C), exact; in an open Jackson network the same per visit |
//! | Poisson input, exponential service, capacity K, `reject` | M/M/c/K, exact |
//! | Poisson sources, exponential FIFO queues, all with finite capacity (tandems, `block`) | exact CTMC of the whole model, numerical |
//! | Poisson input, general service, one server | M/G/1 (Pollaczek–Khinchine), exact means |
//! | Poisson input, priority classes | M/G/1 (Cobham, preemptive-resume) or M/M/c non-preemptive priority, exact means |
//! | Poisson input with general service and c > 1; one renewal source; merged, departure or bursty (MMPP) flows | Whitt (1993) G/G/c with the arrival SCV from the source or from the QNA decomposition (Whitt 1983), approximation |
//! | time-varying profile or trace input, `block` elsewhere, finite K with general service | refused: simulate |
//!
//! Why Whitt (1993) for G/G/c: of the named two-moment approximations (Kingman,
//! Allen–Cunneen, Sakasegawa, Whitt), it was the most accurate against kendall's
//! simulator on the non-exponential test networks (`tests/integration/approximations.rs`: a D/E₂/3
//! stage at ρ = 0.8 is +20% on Wq against +49% for Allen–Cunneen), and it is exact for
//! M/M/c and M/D/1. Queues with redeliveries report per-message figures
//! ([`crate::analytic::network::redelivery::PerMessage`]).

use crate::analytic::chain::ChainSolution;
use crate::analytic::closed::model::{ClosedSolution, ClosedStation, solve_closed};
use crate::analytic::ctmc::whole_model as model_ctmc;
use crate::analytic::error::AnalyticError;
use crate::analytic::method::{Exactness, Method};
use crate::analytic::metrics::{NodeSolution, Percentiles, QueueMetrics, Relabelled};
use crate::analytic::network::end_to_end::{EndToEnd, end_to_end};
use crate::analytic::network::graph::FlowGraph;
use crate::analytic::network::loss::{Thinned, thinned_rates};
use crate::analytic::network::qna::qna;
use crate::analytic::network::redelivery::PerMessage;
use crate::analytic::network::traffic::deliveries_per_message;
use crate::analytic::retry::{RetrySolution, solve_retry_loop};
use crate::analytic::single::approx::{GGc, GGcFormula};
use crate::analytic::single::drop_head::MMcKDropHead;
use crate::analytic::single::map_ph_c::{MapPhC, MarkovianArrivals};
use crate::analytic::single::mg1::MG1;
use crate::analytic::single::mm1::MM1;
use crate::analytic::single::mmc::MMc;
use crate::analytic::single::mmck::MMcK;
use crate::analytic::single::mmpp::MmppMc;
use crate::analytic::single::partitioned::{
    GroupPauses, PartitionInput, PartitionSolution, Partitioned,
};
use crate::analytic::single::priority::{
    Preemption, PriorityClass, PriorityMG1, PriorityMMc, PrioritySolution,
};
use crate::analytic::single::ttl::MMcTtl;
use crate::analytic::{AckTimeoutMM1, AckTimeoutQueue};
use crate::model::{
    ArrivalProcess, Dest, Discipline, Distribution, Metric, Model, ModelError, NodeId, OnFull,
    QueriedMetrics, Topology, ValidModel,
};
use serde::{Deserialize, Serialize};

/// What the analytic side could say about one queue.
///
/// # Example
/// ```
/// use kendall::model::{ArrivalProcess, Distribution, Model, Queue, Source};
/// use kendall::{NodeOutcome, solve};
/// // 10 messages/s into one consumer serving 5/s: unstable, with its utilisation.
/// let m = Model::default()
///     .with_source(Source::new("in", ArrivalProcess::Poisson { rate: 10.0 }, "q"))
///     .with_queue(Queue::new("q", 1, Distribution::Exponential { mean: 0.2 }))
///     .validate()
///     .unwrap();
/// let node = &solve(&m).unwrap().nodes[0];
/// assert!(matches!(node.outcome, NodeOutcome::Unstable { utilisation, .. } if utilisation == 2.0));
/// assert!(node.solution().is_none() && node.refusal().is_some());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "status", rename_all = "snake_case")]
#[non_exhaustive]
pub enum NodeOutcome {
    /// A method applies: every figure with its method.
    Solved {
        /// The figures.
        solution: Box<NodeSolution>,
    },
    /// The queue cannot keep up: its utilisation is at least 1 and it has no capacity
    /// limit, so its backlog grows without bound.
    Unstable {
        /// Offered load per consumer, λ / (c μ) (at least 1; `f64::MAX` when it
        /// overflows).
        utilisation: f64,
        /// What to change, in words.
        reason: String,
    },
    /// No analytic method applies to this queue's situation.
    NoMethod {
        /// Why, and what to do instead (usually: simulate).
        reason: String,
    },
}

/// The analytic result for one queue: its outcome, plus what is known exactly whatever
/// the outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct NodeResult {
    /// The queue's name.
    pub name: String,
    /// Consumers deployed, c (named `servers` as in the simulated report).
    pub servers: u32,
    /// Mean rate of messages into the queue from the traffic equations, messages/s
    /// (first deliveries; redeliveries add to the delivery rate the solution uses).
    pub message_rate: f64,
    /// Fraction of the queue's messages dead-lettered: failure_probability^max_attempts
    /// (exact; 0 without failures or without traffic).
    pub dead_letter: f64,
    /// The solution, or why there is none.
    #[serde(flatten)]
    pub outcome: NodeOutcome,
    /// Per-class figures of a priority queue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classes: Option<PrioritySolution>,
    /// Per-partition shares and per-consumer figures of a partitioned queue (a
    /// Kafka-style topic consumed by a group): the hottest consumer sets the tail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partitions: Option<PartitionSolution>,
}

impl NodeResult {
    /// The solution, if a method applied.
    pub fn solution(&self) -> Option<&NodeSolution> {
        match &self.outcome {
            NodeOutcome::Solved { solution } => Some(solution),
            _ => None,
        }
    }

    /// The utilisation of an unstable queue (at least 1).
    pub fn unstable_utilisation(&self) -> Option<f64> {
        match &self.outcome {
            NodeOutcome::Unstable { utilisation, .. } => Some(*utilisation),
            _ => None,
        }
    }

    /// Why there is no solution, in words (`None` when solved).
    pub fn refusal(&self) -> Option<&str> {
        match &self.outcome {
            NodeOutcome::Solved { .. } => None,
            NodeOutcome::Unstable { reason, .. } | NodeOutcome::NoMethod { reason } => Some(reason),
        }
    }

    /// The value of `metric` for this queue: the solution's figure, or what is known
    /// exactly without one (`consumers`, `dead_letter`).
    ///
    /// # Example
    /// ```
    /// use kendall::{Metric, Model, solve};
    /// let m = Model::load(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/single_queue.toml"))
    ///     .unwrap().validate().unwrap();
    /// let node = &solve(&m).unwrap().nodes[0];
    /// assert_eq!(node.get(Metric::Consumers), Some(10.0));
    /// assert!((node.get(Metric::Utilisation).unwrap() - 0.8).abs() < 1e-12);
    /// ```
    pub fn get(&self, metric: Metric) -> Option<f64> {
        match metric {
            Metric::Consumers => Some(if self.servers == crate::model::Queue::INFINITE_SERVERS {
                f64::INFINITY
            } else {
                f64::from(self.servers)
            }),
            Metric::DeadLetter => Some(self.dead_letter),
            m => self.solution()?.get(m),
        }
    }

    /// The method behind `metric`, if there is a figure.
    pub fn method_of(&self, metric: Metric) -> Option<&Method> {
        match metric {
            Metric::Consumers | Metric::DeadLetter => None,
            m => self.solution().map(|s| s.method_of(m)),
        }
    }
}

/// Analytic results for every queue of a model. This is the JSON shape of
/// `kendall solve --format json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ModelSolution {
    /// Version of this output's JSON shape ([`SCHEMA_VERSION`](crate::SCHEMA_VERSION)).
    pub schema_version: u32,
    /// The model's name, if it has one.
    pub model: Option<String>,
    /// One entry per queue, in model order.
    pub nodes: Vec<NodeResult>,
    /// End-to-end latency per source, in model order.
    pub end_to_end: Vec<EndToEnd>,
    /// For a model with a windowed source: the closed-network solution.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed: Option<ClosedSolution>,
    /// For each retrying source: the fixed points of its retry loop (the rest of the
    /// solution then uses the healthy state's attempt rate, or λ(R + 1) in a storm).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub retries: Vec<RetryResult>,
    /// What the steady-state solution leaves out (e.g. a slowdown incident).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// The figures the model asked for beyond the standard ones (`[queries]`, SLOs),
    /// found in each node's and source's `queried` where the distribution is known.
    #[serde(default, skip_serializing_if = "QueriedMetrics::is_empty")]
    pub queried: QueriedMetrics,
    /// The model's `[[chain]]` blocks, solved (steady state and π(t)).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub chains: Vec<ChainSolution>,
}

/// The retry analysis of one retrying source, or why there is none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RetryResult {
    /// The source.
    pub source: String,
    /// The fixed points of its retry loop.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub solution: Option<RetrySolution>,
    /// Why there is no analysis (the rest of the solution then uses the request rate
    /// without retries), and what to do instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refusal: Option<String>,
}

impl ModelSolution {
    /// The result of the queue called `name`.
    ///
    /// # Example
    /// ```
    /// let m = kendall::Model::load(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/payments.toml"))
    ///     .unwrap().validate().unwrap();
    /// let s = kendall::solve(&m).unwrap();
    /// assert!(s.node("ledger").unwrap().solution().is_some());
    /// assert!(s.source("checkout").unwrap().w.is_some());
    /// assert!(s.node("nope").is_none());
    /// ```
    pub fn node(&self, name: &str) -> Option<&NodeResult> {
        self.nodes.iter().find(|n| n.name == name)
    }

    /// The end-to-end figures of the source called `name`.
    pub fn source(&self, name: &str) -> Option<&EndToEnd> {
        self.end_to_end.iter().find(|e| e.name == name)
    }
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

/// Solves every queue of a validated model with the best applicable method.
///
/// # Errors
/// [`SolveError::Analytic`] when the
/// traffic equations cannot be formed (e.g. a trace source). Nodes that are unstable or
/// have no method are reported per node in [`NodeResult::outcome`], not as an error.
///
/// # Example
/// ```
/// use kendall::{Model, solve};
/// let m = Model::load(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/single_queue.toml")).unwrap();
/// let s = solve(&m.validate().unwrap()).unwrap();
/// let q = s.nodes[0].solution().unwrap();
/// assert!(q.method.name.starts_with("M/M/c"));
/// assert!((q.utilisation - 0.8).abs() < 1e-12);
/// ```
///
/// The model's `[[chain]]` blocks are solved too ([`ModelSolution::chains`]).
pub fn solve(valid: &ValidModel) -> Result<ModelSolution, SolveError> {
    let model = valid.model();
    let chains: Vec<ChainSolution> = model.chains.iter().map(ChainSolution::of).collect();
    let mut solution = if model.sources.is_empty() {
        // Only chains: every queue (if any) has no traffic.
        unsolved(
            model,
            "no traffic reaches this queue (the model has no source)",
        )
    } else {
        solve_queues(valid)?
    };
    solution.chains = chains;
    // A queue without a capacity limit blocks nothing, whatever the method of its other
    // figures (a G/G/c approximation has no blocking figure of its own).
    for (q, n) in model.queues.iter().zip(&mut solution.nodes) {
        if let (None, NodeOutcome::Solved { solution }) = (q.capacity, &mut n.outcome) {
            debug_assert_eq!(q.name, n.name);
            solution.no_capacity_limit();
        }
    }
    Ok(solution)
}

/// A solution in which every queue is refused with `reason` (and nothing else is
/// solved).
fn unsolved(model: &Model, reason: &str) -> ModelSolution {
    ModelSolution {
        schema_version: crate::model::SCHEMA_VERSION,
        model: model.name.clone(),
        nodes: model
            .queues
            .iter()
            .map(|q| NodeResult {
                name: q.name.clone(),
                servers: q.servers,
                message_rate: 0.0,
                dead_letter: 0.0,
                outcome: NodeOutcome::NoMethod {
                    reason: reason.to_string(),
                },
                classes: None,
                partitions: None,
            })
            .collect(),
        end_to_end: Vec::new(),
        closed: None,
        retries: Vec::new(),
        notes: Vec::new(),
        queried: QueriedMetrics::default(),
        chains: Vec::new(),
    }
}

/// [`solve`] for the queues, topics and sources.
fn solve_queues(valid: &ValidModel) -> Result<ModelSolution, SolveError> {
    let (model, topology) = (valid.model(), valid.topology());
    if model.sources.iter().any(|s| s.retry.is_some())
        || model.queues.iter().any(|q| q.slowdown.is_some())
    {
        return solve_with_retries(valid);
    }
    if model.sources.iter().any(|s| s.window.is_some()) {
        return solve_windowed(model, topology);
    }
    let inputs = classify_inputs(valid);
    let Thinned {
        rates,
        by_class,
        unknown,
    } = offered_rates(valid, &inputs)?;
    let whole_chain = model_ctmc::applies(model).is_ok()
        && (model.queues.len() > 1 || model.queues.iter().any(|q| q.on_full == OnFull::Block));
    let (chain, chain_refused) = if whole_chain {
        match model_ctmc::solve_model_ctmc(valid) {
            Ok(c) => (Some(c), None),
            Err(e) => (None, Some(e)),
        }
    } else {
        (None, None)
    };
    let solved: Vec<Result<SolvedNode, AnalyticError>> = (0..model.queues.len())
        .map(|i| {
            if let Some(c) = &chain {
                return Ok(SolvedNode::plain(c.nodes[i].clone()));
            }
            if let Some(reason) = &unknown[i] {
                return Err(AnalyticError::NoMethod {
                    reason: reason.clone(),
                });
            }
            let classes: Vec<(u32, f64)> = by_class
                .iter()
                .map(|(c, r)| (*c, r[i]))
                .filter(|(_, r)| *r > 0.0)
                .collect();
            solve_node(model, i, rates[i], inputs[i], &classes)
                .map_err(|e| match (e, &chain_refused) {
                    // Say why the exact chain, the method that would apply, was refused
                    // (its size and the limit).
                    (
                        AnalyticError::NoMethod { reason },
                        Some(AnalyticError::NoMethod { reason: why }),
                    ) => AnalyticError::NoMethod {
                        reason: format!(
                            "{reason}; the exact CTMC of the whole model was refused: {why}"
                        ),
                    },
                    (e, _) => e,
                })
                .map(|solved| {
                    let q = &model.queues[i];
                    if q.failure_probability > 0.0 {
                        SolvedNode {
                            metrics: Box::new(PerMessage::new(solved.metrics, q, rates[i])),
                            classes: solved.classes,
                            partitions: solved.partitions,
                        }
                    } else {
                        solved
                    }
                })
        })
        .collect();
    let refs: Vec<Option<&dyn QueueMetrics>> = solved
        .iter()
        .map(|r| r.as_ref().ok().map(|s| s.metrics.as_ref()))
        .collect();
    let poisson: Vec<bool> = inputs.iter().map(|i| *i == Input::Poisson).collect();
    let class_w: Vec<Vec<(u32, f64)>> = solved
        .iter()
        .enumerate()
        .map(
            |(i, r)| match r.as_ref().ok().and_then(|s| s.classes.as_ref()) {
                Some(sol) => by_class
                    .iter()
                    .filter(|(_, rates)| rates[i] > 0.0)
                    .zip(&sol.classes)
                    .map(|((p, _), c)| (*p, c.w))
                    .collect(),
                None => vec![],
            },
        )
        .collect();
    // Node figures first: a path of one queue takes that queue's percentiles as they are.
    let queried = model.queried_metrics();
    let solutions: Vec<Option<NodeSolution>> = refs
        .iter()
        .map(|m| m.map(|m| NodeSolution::asking(m, &queried.queue)))
        .collect();
    let sojourns: Vec<Option<Percentiles>> = solutions
        .iter()
        .map(|s| s.as_ref().and_then(|s| s.sojourn))
        .collect();
    let mut end_to_end = end_to_end(
        model,
        topology,
        &refs,
        &sojourns,
        &poisson,
        &class_w,
        &queried.end_to_end,
    );
    if let Some(c) = &chain {
        add_source_hold(&mut end_to_end, &c.source_hold);
    }
    let nodes = model
        .queues
        .iter()
        .zip(solved)
        .zip(solutions)
        .enumerate()
        .map(|(i, ((q, solved), solution))| {
            let (outcome, classes, partitions) = match (solved, solution) {
                (Ok(solved), solution) => (
                    NodeOutcome::Solved {
                        solution: Box::new(solution.unwrap_or_else(|| {
                            NodeSolution::asking(solved.metrics.as_ref(), &queried.queue)
                        })),
                    },
                    solved.classes,
                    solved.partitions,
                ),
                (Err(e), _) => (refusal(e), None, None),
            };
            NodeResult {
                name: q.name.clone(),
                servers: q.servers,
                // An overflowing rate is refused above; JSON cannot carry an infinity.
                message_rate: rates[i].min(f64::MAX),
                dead_letter: dead_letter_fraction(q, rates[i]),
                outcome,
                classes,
                partitions,
            }
        })
        .collect();
    Ok(ModelSolution {
        schema_version: crate::model::SCHEMA_VERSION,
        model: model.name.clone(),
        nodes,
        end_to_end,
        closed: None,
        retries: Vec::new(),
        notes: Vec::new(),
        queried,
        chains: Vec::new(),
    })
}

/// Adds to each source's end-to-end mean the time its messages wait at the source for a
/// full `block` queue (from the whole model's chain): the latency runs from creation.
/// The percentiles, built from the nodes' sojourns alone, would miss it: they are
/// withdrawn for a source that holds.
fn add_source_hold(end_to_end: &mut [EndToEnd], hold: &[f64]) {
    for (e, &h) in end_to_end.iter_mut().zip(hold) {
        if h <= 0.0 {
            continue;
        }
        if let (Some(w), Some(m)) = (&mut e.w, &mut e.w_method) {
            *w += h;
            m.name = format!(
                "{} plus the mean time a message waits at its source for a full blocking queue (P(holding)/X from the chain)",
                m.name
            );
        }
        if e.sojourn.is_some() || !e.queried.is_empty() {
            e.sojourn = None;
            e.sojourn_method = None;
            e.queried.clear();
            e.note = Some(
                "the source holds messages for a full blocking queue, a wait the nodes' distributions do not include: simulate for percentiles".into(),
            );
        }
    }
}

/// Offered rates into every queue (and per priority class) with the losses of full
/// buffers that reject taken out downstream (see [`thinned_rates`]).
fn offered_rates(valid: &ValidModel, inputs: &[Input]) -> Result<Thinned, AnalyticError> {
    let model = valid.model();
    // A queue that rejects at a full buffer passes on only the share it accepts; one
    // with a TTL only the share it serves, its expired messages going to its
    // dead-letter target (if any).
    let lossy: Vec<usize> = (0..model.queues.len())
        .filter(|&i| {
            let q = &model.queues[i];
            (q.capacity.is_some() && q.on_full != OnFull::Block) || q.ttl.is_some()
        })
        .collect();
    let topology = valid.topology();
    let redirect: Vec<Vec<usize>> = model
        .queues
        .iter()
        .enumerate()
        .map(|(i, q)| match topology.dead_letter[i] {
            Dest::Node(n) if dead_letters_losses(q) => topology.entries(n),
            _ => Vec::new(),
        })
        .collect();
    thinned_rates(
        valid,
        &lossy,
        &redirect,
        |i, rate, classes| match solve_node(model, i, rate, inputs[i], classes) {
            Ok(node) => {
                let m = &node.metrics;
                let kept = m.prob_block().map(|b| 1.0 - b);
                let served = m.prob_expire().map_or(Some(1.0), |e| Some(1.0 - e));
                kept.zip(served)
                    .map(|(k, s)| k * s)
                    .ok_or_else(|| format!("{} gives no blocking probability", m.method().name))
            }
            Err(e) => Err(e.to_string()),
        },
    )
}

/// A model with retrying sources (or slowdown incidents): each retry loop solved by its
/// fixed point, then the model solved with the attempt rates of the healthy states.
fn solve_with_retries(valid: &ValidModel) -> Result<ModelSolution, SolveError> {
    let (model, topology) = (valid.model(), valid.topology());
    // Other traffic into a retry loop's queue arrives net of upstream losses.
    let rates = offered_rates(valid, &classify_inputs(valid))?.rates;
    let mut plain = model.clone();
    let mut retries = Vec::new();
    for (i, s) in model.sources.iter().enumerate() {
        let Some(retry) = &s.retry else { continue };
        let outcome = retry_loop(model, topology, i, retry, &rates);
        if let Ok(sol) = &outcome {
            plain.sources[i].arrival = ArrivalProcess::Poisson {
                rate: sol.offered_rate(),
            };
        }
        plain.sources[i].retry = None;
        retries.push(match outcome {
            Ok(sol) => RetryResult {
                source: s.name.clone(),
                solution: Some(sol),
                refusal: None,
            },
            Err(e) => RetryResult {
                source: s.name.clone(),
                solution: None,
                refusal: Some(e.to_string()),
            },
        });
    }
    let mut notes = Vec::new();
    for q in &mut plain.queues {
        if let Some(sd) = q.slowdown.take() {
            notes.push(format!(
                "queue {:?}: the slowdown incident ({}x from {} s for {} s) is ignored: the analytic side solves the steady state; simulate to see the incident",
                q.name, sd.factor, sd.start, sd.duration
            ));
        }
    }
    let mut solution = solve(&ValidModel::try_from(plain)?)?;
    // Figures at an attempt rate from a retry fixed point are approximations, whatever
    // the method that computed them at that rate.
    let relabel = |m: &mut Method| {
        m.exactness = Exactness::Approximation;
        m.name = format!("{} at the retry fixed point (Poisson retries)", m.name);
    };
    for r in &retries {
        let Some(sol) = &r.solution else { continue };
        if let Some(n) = solution.nodes.iter_mut().find(|n| n.name == sol.queue)
            && let NodeOutcome::Solved { solution } = &mut n.outcome
        {
            relabel(&mut solution.method);
            if let Some(d) = &mut solution.distribution_method {
                relabel(d);
            }
        }
        if let Some(e) = solution
            .end_to_end
            .iter_mut()
            .find(|e| e.name == sol.source)
        {
            e.w_method.iter_mut().for_each(relabel);
            e.sojourn_method.iter_mut().for_each(relabel);
        }
    }
    solution.retries = retries;
    solution.notes = notes;
    Ok(solution)
}

/// The retry loop of source `i` (Poisson requests straight into a FIFO queue that
/// routes to exit, with no failures and no capacity).
fn retry_loop(
    model: &Model,
    topology: &Topology,
    i: usize,
    retry: &crate::model::Retry,
    rates: &[f64],
) -> Result<RetrySolution, AnalyticError> {
    let s = &model.sources[i];
    let no = |reason: String| Err(AnalyticError::NoMethod { reason });
    let ArrivalProcess::Poisson { rate } = s.arrival else {
        return no("the retry fixed point is for Poisson requests: simulate".into());
    };
    let NodeId::Queue(j) = topology.source_dest[i] else {
        return no("the retry fixed point needs the source to send to a queue (a topic's fork-join has no sojourn CDF here): simulate".into());
    };
    let q = &model.queues[j];
    if !matches!(topology.routes[j].as_slice(), [(_, Dest::Exit)])
        || q.failure_probability > 0.0
        || q.capacity.is_some()
        || q.partitions.is_some()
    {
        return no(format!(
            "the retry fixed point needs the attempt's whole life in queue {:?}: it must route to exit, with no failures, capacity or partitions (simulate)",
            q.name
        ));
    }
    if model
        .sources
        .iter()
        .enumerate()
        .any(|(k, o)| k != i && o.retry.is_some() && topology.source_dest[k] == NodeId::Queue(j))
    {
        return no(format!(
            "several retrying sources share queue {:?}: their coupled fixed point is not solved here; simulate",
            q.name
        ));
    }
    let other = (rates[j] - rate).max(0.0);
    let capacity = f64::from(q.servers) / q.service.mean() - other;
    if capacity.is_nan() || capacity <= 0.0 {
        return Err(AnalyticError::Unstable {
            utilisation: other * q.service.mean() / f64::from(q.servers),
        });
    }
    solve_retry_loop(&s.name, &q.name, rate, retry, capacity, |x| {
        solve_node(model, j, other + x, Input::Poisson, &[]).map(|n| n.metrics)
    })
}

/// The outcome of a node a solver refused.
fn refusal(e: AnalyticError) -> NodeOutcome {
    match e {
        // λ / (c μ) overflows for rates near f64::MAX: report the largest finite value
        // (JSON would print an infinity as null) and say so in the reason.
        AnalyticError::Unstable { utilisation } if !utilisation.is_finite() => {
            NodeOutcome::Unstable {
                utilisation: f64::MAX,
                reason: format!(
                    "unstable: utilisation > {:e} (it overflows), so the queue grows \
                     without bound; add servers, speed up service or lower the arrival \
                     rate (or set a finite capacity)",
                    f64::MAX
                ),
            }
        }
        AnalyticError::Unstable { utilisation }
        | AnalyticError::HotPartition { utilisation, .. } => NodeOutcome::Unstable {
            utilisation,
            reason: e.to_string(),
        },
        AnalyticError::UnstableBreakdown {
            arrival_rate,
            capacity,
            ..
        } => NodeOutcome::Unstable {
            utilisation: arrival_rate / capacity,
            reason: e.to_string(),
        },
        e => NodeOutcome::NoMethod {
            reason: e.to_string(),
        },
    }
}

/// Fraction of a queue's messages dead-lettered: p^max_attempts, computed in logs so a
/// huge `max_attempts` underflows to 0 instead of overflowing an integer power.
fn dead_letter_fraction(q: &crate::model::Queue, message_rate: f64) -> f64 {
    if message_rate <= 0.0 {
        return 0.0;
    }
    q.exhausted_probability()
}

/// A model with a windowed source: a closed network solved by MVA.
fn solve_windowed(model: &Model, topology: &Topology) -> Result<ModelSolution, SolveError> {
    let queried = model.queried_metrics();
    let refused = |reason: String| ModelSolution {
        queried: queried.clone(),
        ..unsolved(model, &reason)
    };
    let closed = match solve_closed(model, topology) {
        Ok(Some(c)) => c,
        Ok(None) => unreachable!("solve_windowed is called only for windowed models"),
        Err(e) => return Ok(refused(e.to_string())),
    };
    let mut figures = closed.stations.iter();
    let nodes = model
        .queues
        .iter()
        .map(|q| {
            let f = figures.clone().find(|f| f.name == q.name).cloned();
            if f.is_some() {
                figures.next();
            }
            match f {
                Some(f) => NodeResult {
                    name: q.name.clone(),
                    servers: q.servers,
                    message_rate: closed.throughput,
                    dead_letter: dead_letter_fraction(q, closed.throughput),
                    outcome: NodeOutcome::Solved {
                        solution: Box::new(NodeSolution::asking(
                            &ClosedStation {
                                figures: f,
                                servers: q.servers,
                                service_mean: q.service.mean(),
                                method: closed.method.clone(),
                                delay_service: q.is_delay().then(|| q.service.clone()),
                            },
                            &queried.queue,
                        )),
                    },
                    classes: None,
                    partitions: None,
                },
                None => NodeResult {
                    name: q.name.clone(),
                    servers: q.servers,
                    message_rate: 0.0,
                    dead_letter: 0.0,
                    outcome: NodeOutcome::NoMethod {
                        reason: "no traffic reaches this queue".into(),
                    },
                    classes: None,
                    partitions: None,
                },
            }
        })
        .collect();
    let end_to_end = vec![EndToEnd {
        name: closed.source.clone(),
        w: Some(closed.response_time),
        w_method: Some(closed.method.clone()),
        sojourn: None,
        sojourn_method: None,
        grid_cell: None,
        note: Some(
            "percentiles of a closed network are not computed analytically: simulate".into(),
        ),
        queried: Vec::new(),
    }];
    Ok(ModelSolution {
        schema_version: crate::model::SCHEMA_VERSION,
        model: model.name.clone(),
        nodes,
        end_to_end,
        closed: Some(closed),
        retries: Vec::new(),
        notes: Vec::new(),
        queried,
        chains: Vec::new(),
    })
}

/// What is known about the stream of arrivals into a queue.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Input {
    /// A Poisson stream (superposition and splits of Poisson sources and of departures
    /// of M/M/c nodes and delay stations, no feedback).
    Poisson,
    /// A renewal stream (one renewal source, direct): solved exactly where its gaps and
    /// the service are phase-type (PH/PH/c), else as a stream of this inter-arrival SCV.
    Renewal {
        /// The source.
        source: usize,
        /// Its inter-arrival SCV, for the approximations.
        scv: f64,
    },
    /// Part of an open Jackson (BCMP) network with feedback: exponential FIFO servers,
    /// Poisson sources, delays for backoff; per-visit figures are those of M/M/c by the
    /// product form and the arrival theorem, though the stream itself is not Poisson.
    Jackson,
    /// A general stream whose SCV comes from the QNA decomposition.
    Qna(f64),
    /// One MMPP source feeding the queue directly (no upstream queue): solved exactly
    /// where the queue allows it (MMPP/M/c), else as a stream of this inter-arrival SCV.
    Mmpp {
        /// The source.
        source: usize,
        /// Its inter-arrival SCV, for the approximations.
        scv: f64,
    },
    /// Nothing exact or approximate is known here; the reason says why.
    Unknown(&'static str),
}

/// Classifies the input stream of every queue.
pub(crate) fn classify_inputs(valid: &ValidModel) -> Vec<Input> {
    let (model, topology) = (valid.model(), valid.topology());
    let n = model.queues.len();
    let mut source_feeds: Vec<Vec<usize>> = vec![vec![]; n];
    for (s, dest) in topology.source_dest.iter().enumerate() {
        for q in topology.entries(*dest) {
            source_feeds[q].push(s);
        }
    }
    let markov_node = |j: usize| {
        let q = &model.queues[j];
        // A delay station passes a Poisson stream on as Poisson whatever its service
        // law (the departures of M/G/∞: Mirasol 1963), and is a BCMP station.
        if q.is_delay() {
            return true;
        }
        matches!(q.service, Distribution::Exponential { .. })
            && q.capacity.is_none()
            && q.ttl.is_none()
            && q.discipline == Discipline::Fifo
            // A keyed partitioned queue is independent M/M/1 queues whose departures
            // merge into a Poisson stream; a keyless (cyclic) split is not.
            && q
                .partitioning()
                .is_none_or(|p| !matches!(p.keys, crate::model::Keys::RoundRobin))
    };
    let poisson = |s: usize| matches!(model.sources[s].arrival, ArrivalProcess::Poisson { .. });
    let jackson = (0..model.sources.len()).all(poisson) && (0..n).all(markov_node);
    let flows = qna(valid).ok();
    let fallback = |i: usize, reason: &'static str| match &flows {
        Some(f) => Input::Qna(f.arrival_scv[i]),
        None => Input::Unknown(reason),
    };
    // Dead-letter targets of queues with a TTL or drop-head overflow receive the expired
    // or pushed-out messages: a stream clustered in time (a burst of arrivals expires,
    // or overflows, together), not Poisson, with no known variability.
    let mut expiry_fed = vec![false; n];
    for (i, q) in model.queues.iter().enumerate() {
        if let (true, Dest::Node(d)) = (dead_letters_losses(q), topology.dead_letter[i]) {
            for j in topology.entries(d) {
                expiry_fed[j] = true;
            }
        }
    }
    let mut input = vec![Input::Unknown("not classified"); n];
    // One pass, upstream queues first: a queue off every cycle has all its upstream
    // queues classified before it, and a queue on a cycle does not look upstream.
    // O(n + edges) after reading the flow once.
    let graph = FlowGraph::new(topology);
    for &i in &graph.upstream_first {
        let upstream: Vec<usize> = graph.pred[i].iter().map(|&(j, _)| j).collect();
        let feedback = model.queues[i].failure_probability > 0.0 || graph.cyclic[i];
        let sources = &source_feeds[i];
        input[i] = if expiry_fed[i] {
            Input::Unknown(
                "it receives the expired or pushed-out messages of a queue with a ttl or drop-head overflow, a stream that is neither Poisson nor of known variability: simulate",
            )
        } else if jackson && feedback {
            Input::Jackson
        } else if feedback {
            fallback(
                i,
                "the node is on a feedback cycle and a source is time-varying or a trace: simulate",
            )
        } else if sources.iter().all(|&s| poisson(s))
            && upstream
                .iter()
                .all(|&j| input[j] == Input::Poisson && markov_node(j))
        {
            Input::Poisson
        } else if jackson {
            Input::Jackson
        } else if upstream.is_empty() && sources.len() == 1 {
            let arrival = &model.sources[sources[0]].arrival;
            let mmpp_scv = flows
                .as_ref()
                .map(|f| f.arrival_scv[i])
                .or_else(|| arrival.index_of_dispersion());
            match (arrival.interarrival_scv(), mmpp_scv) {
                (_, Some(scv)) if matches!(arrival, ArrivalProcess::Mmpp { .. }) => Input::Mmpp {
                    source: sources[0],
                    scv,
                },
                (Some(scv), _) => Input::Renewal {
                    source: sources[0],
                    scv,
                },
                (None, _) => fallback(
                    i,
                    "time-varying or trace arrivals have no stationary steady state: use the pointwise stationary approximation (sizing) or simulate",
                ),
            }
        } else {
            fallback(i, "a source upstream is time-varying or a trace: simulate")
        };
    }
    input
}

/// A solved node: its metrics and, for priority queues, the per-class figures.
pub(crate) struct SolvedNode {
    /// The node's figures (aggregate over classes).
    pub metrics: Box<dyn QueueMetrics>,
    /// Per-class figures of a priority queue.
    pub classes: Option<PrioritySolution>,
    /// Per-partition and per-consumer figures of a partitioned queue.
    pub partitions: Option<PartitionSolution>,
}

impl SolvedNode {
    fn plain_boxed(metrics: Box<dyn QueueMetrics>) -> Self {
        Self {
            metrics,
            classes: None,
            partitions: None,
        }
    }

    fn plain(m: impl QueueMetrics + 'static) -> Self {
        Self {
            metrics: Box::new(m),
            classes: None,
            partitions: None,
        }
    }
}

/// Solves queue `i` receiving `message_rate` messages/s (per class in `classes`, as
/// `(class, rate)`) whose input stream is `input`.
///
/// # Errors
/// [`AnalyticError::Unstable`] for an infinite-capacity node at ρ >= 1;
/// [`AnalyticError::NoMethod`] with the reason where no method applies.
pub(crate) fn solve_node(
    model: &Model,
    i: usize,
    message_rate: f64,
    input: Input,
    classes: &[(u32, f64)],
) -> Result<SolvedNode, AnalyticError> {
    let q = &model.queues[i];
    if q.ack_timeout.is_some() {
        return solve_ack_timeout(model, i, message_rate, input, classes);
    }
    if message_rate <= 0.0 {
        return Err(AnalyticError::NoMethod {
            reason: "no traffic reaches this queue".into(),
        });
    }
    if !message_rate.is_finite() {
        return Err(AnalyticError::NoMethod {
            reason: format!(
                "the traffic equations give this queue more than {:e} messages/s (beyond \
                 floating point): lower the source rates or raise the exit probability of \
                 the routing loop that feeds it",
                f64::MAX
            ),
        });
    }
    if q.on_full == OnFull::Block {
        return Err(AnalyticError::NoMethod {
            reason: "blocking (on_full = \"block\") holds senders back; use the exact CTMC of a small model or simulate".into(),
        });
    }
    let deliveries = deliveries_per_message(q.failure_probability, q.max_attempts);
    let lambda = message_rate * deliveries;
    let c = u64::from(q.servers);
    let mean = q.service.mean();
    let mu = 1.0 / mean;
    let exponential = matches!(q.service, Distribution::Exponential { .. });
    let no_method = |reason: String| Err(AnalyticError::NoMethod { reason });
    let ca2 = match input {
        Input::Unknown(reason) => return no_method(reason.into()),
        Input::Poisson | Input::Jackson => 1.0,
        Input::Renewal { scv, .. } | Input::Qna(scv) | Input::Mmpp { scv, .. } => scv,
    };
    let markov_input = matches!(input, Input::Poisson | Input::Jackson);

    if q.is_delay() {
        // Nothing waits: a TTL never fires, and the sojourn is the service time.
        return Ok(SolvedNode::plain(
            crate::analytic::single::delay::GInf::new(lambda, &q.service, markov_input)?,
        ));
    }

    if let Some(ttl) = q.ttl {
        return solve_ttl(q, lambda, c, ttl, input);
    }

    if let Some(p) = q.partitioning() {
        let split = if markov_input {
            PartitionInput::Poisson
        } else {
            PartitionInput::General(ca2)
        };
        let pauses = q.crash.as_ref().map(|crash| {
            GroupPauses::new(
                q.servers,
                crash.time_to_failure.mean(),
                crash.restart.mean(),
                q.rebalance.unwrap_or(0.0),
                q.commit_interval.unwrap_or(0.0),
            )
        });
        let node = Partitioned::new(
            lambda,
            q.servers,
            &q.service,
            &p,
            split,
            pauses.as_ref(),
            GGcFormula::of(q),
        )?;
        let partitions = Some(node.solution().clone());
        return Ok(SolvedNode {
            metrics: Box::new(node),
            classes: None,
            partitions,
        });
    }

    if q.has_consumer_model() && !(q.crash.is_none() && (c == 1 || q.prefetch_window() == 1)) {
        return super::single::breakdown::solve_consumers(q, lambda, input == Input::Poisson, ca2)
            .map(SolvedNode::plain_boxed);
    }

    if q.discipline != Discipline::Fifo && classes.len() > 1 {
        if !markov_input || q.capacity.is_some() {
            return no_method("priority classes are solved for Poisson input and unlimited capacity only: simulate".into());
        }
        let rates: Vec<f64> = classes.iter().map(|(_, r)| r * deliveries).collect();
        let preemption = match q.discipline {
            Discipline::PreemptivePriority => Preemption::PreemptiveResume,
            _ => Preemption::NonPreemptive,
        };
        if c == 1 {
            let cls: Vec<PriorityClass> = rates
                .iter()
                .map(|r| PriorityClass::new(*r, q.service.clone()))
                .collect();
            let p = PriorityMG1::new(&cls, preemption)?;
            let sol = p.solution();
            return Ok(SolvedNode {
                metrics: Box::new(p),
                classes: Some(sol),
                partitions: None,
            });
        }
        if exponential && preemption == Preemption::NonPreemptive {
            let p = PriorityMMc::new(&rates, mu, c)?;
            let sol = p.solution();
            return Ok(SolvedNode {
                metrics: Box::new(p),
                classes: Some(sol),
                partitions: None,
            });
        }
        return no_method("preemptive priority or general service with several consumers has no exact method here: simulate".into());
    }

    if let Some(k) = q.capacity {
        if markov_input && exponential && input == Input::Poisson {
            if q.on_full == OnFull::DropHead {
                return Ok(SolvedNode::plain(MMcKDropHead::new(lambda, mu, c, k)?));
            }
            return Ok(SolvedNode::plain(MMcK::new(lambda, mu, c, k)?));
        }
        return no_method(format!(
            "a finite buffer (capacity {k}) is solved exactly only for Poisson input and exponential service (M/M/c/K): simulate"
        ));
    }
    // Markovian arrivals (Poisson, an MMPP, phase-type renewal gaps; a random share of
    // one source's stream is the same process thinned) into consumers with a phase-type
    // service law: MAP/PH/c exactly, as a quasi-birth–death process. Exponential
    // service keeps its own solvers (M/M/c in closed form, MMPP/M/c for any c); M/PH/1
    // is M/G/1's. A formula the queue chose (`method`) is used as asked. Falls through
    // to the approximations beyond the solver's size.
    // The share of its one source's messages the queue gets (all, or a random part).
    let share = match input {
        Input::Mmpp { source, .. } | Input::Renewal { source, .. } => model.sources[source]
            .arrival
            .mean_rate()
            .map_or(1.0, |m| lambda / m),
        _ => 1.0,
    };
    let source_process = match input {
        Input::Mmpp { source, .. } | Input::Renewal { source, .. } => {
            MarkovianArrivals::of(&model.sources[source].arrival)
        }
        _ => None,
    };
    let arrivals = match (input, source_process) {
        (Input::Poisson, _) if !exponential && c > 1 => MarkovianArrivals::poisson(lambda).ok(),
        (Input::Renewal { .. } | Input::Mmpp { .. }, Some(a))
            if !(exponential && matches!(input, Input::Mmpp { .. })) =>
        {
            // A share above 1 (more than the source sends) is not a thinning.
            (share <= 1.0 + 1e-12)
                .then(|| a.thinned(share.min(1.0)).ok())
                .flatten()
        }
        _ => None,
    };
    if let Some(arrivals) = arrivals
        && q.method.is_none()
        && q.failure_probability == 0.0
        && crate::analytic::single::mg1::PhaseType::of(&q.service).is_some()
    {
        match MapPhC::new(&arrivals, &q.service, c) {
            Ok(node) => {
                return Ok(SolvedNode::plain_boxed(
                    if node.distribution_method().is_some() {
                        Box::new(node)
                    } else {
                        with_wait_fit(Box::new(node), &q.service, c)
                    },
                ));
            }
            Err(e @ AnalyticError::Unstable { .. }) => return Err(e),
            Err(_) => {}
        }
    }
    if let Input::Mmpp { source, .. } = input
        && q.failure_probability == 0.0
        && let ArrivalProcess::Mmpp { rates, generator } = &model.sources[source].arrival
    {
        // An MMPP thinned at random is the MMPP with its rates scaled.
        let scaled: Vec<f64> = rates.iter().map(|r| r * share).collect();
        let capacity = c as f64 * mu;
        let peak = scaled.iter().copied().fold(0.0, f64::max);
        if exponential {
            return Ok(SolvedNode::plain(MmppMc::new(&scaled, generator, mu, c)?));
        }
        if peak >= capacity {
            // Bursts above capacity: the backlog they build dominates, and the service
            // law beyond its mean hardly matters (the simulator agrees within its
            // intervals on the bursty example, lognormal SCV 2).
            let inner = MmppMc::new(&scaled, generator, mu, c)?;
            let m = inner.method();
            return Ok(SolvedNode::plain(Relabelled::all(
                Method::approximation(
                    format!(
                        "bursts above capacity (peak rate {peak:.4}/s >= c·μ = {capacity:.4}/s): {} with the mean service time; the service's variability (SCV {:.3}) is left out, as the bursts' backlog dominates",
                        m.name,
                        q.service.scv()
                    ),
                    m.reference,
                ),
                Box::new(inner),
            )));
        }
    }
    if markov_input && exponential {
        if c == 1 {
            return Ok(SolvedNode::plain(relabel(MM1::new(lambda, mu)?, input)));
        }
        return Ok(SolvedNode::plain(relabel(MMc::new(lambda, mu, c)?, input)));
    }
    if input == Input::Poisson && c == 1 {
        let mg1 = MG1::new(lambda, &q.service)?;
        if mg1.wait_cdf(mg1.mean_wait()).is_some() {
            return Ok(SolvedNode::plain(mg1));
        }
        // Exact means; the wait's distribution fitted (labelled an approximation).
        return Ok(SolvedNode::plain_boxed(with_wait_fit(
            Box::new(mg1),
            &q.service,
            c,
        )));
    }
    let approx = GGc::new(GGcFormula::of(q), lambda, ca2, mean, q.service.scv(), c)?;
    let why = match input {
        Input::Poisson => "Poisson input, general service, several consumers".to_string(),
        Input::Renewal { scv, .. } => format!("renewal input with SCV {scv:.3}"),
        Input::Mmpp { scv, .. } => format!(
            "MMPP input with inter-arrival SCV {scv:.3}, bursts below capacity (a two-moment approximation suits them)"
        ),
        Input::Qna(s) => format!("QNA flow (Whitt 1983) with arrival SCV {s:.3}"),
        _ => String::new(),
    };
    let m = approx.method();
    let labelled = Relabelled::all(
        Method {
            name: format!("{}; {why}", m.name),
            ..m
        },
        Box::new(approx),
    );
    Ok(SolvedNode::plain_boxed(with_wait_fit(
        Box::new(labelled),
        &q.service,
        c,
    )))
}

/// A queue with an ack timeout ([`AckTimeoutQueue`]): the same queue without it, fed
/// by every delivery (λ/(1 − p), p = P(S > τ)), reported per message. Consumers taking
/// one message at a time without crashes and an unlimited buffer only: otherwise the
/// time a delivery spends at its consumer is not its service time.
fn solve_ack_timeout(
    model: &Model,
    i: usize,
    message_rate: f64,
    input: Input,
    classes: &[(u32, f64)],
) -> Result<SolvedNode, AnalyticError> {
    let q = &model.queues[i];
    let refuse = |reason: String| Err(AnalyticError::NoMethod { reason });
    if q.prefetch_window() > 1 || q.crash.is_some() || q.capacity.is_some() {
        return refuse(
            "an ack timeout is solved for consumers taking one message at a time (no prefetch > 1), without crashes and without a capacity: the time a delivery spends at its consumer is then its service time; simulate".into(),
        );
    }
    let Some(p) = q.ack_timeout_probability() else {
        return refuse(
            "the service distribution has no CDF to give P(S > ack_timeout): simulate".into(),
        );
    };
    if p >= 1.0 {
        return refuse("every delivery outlasts the ack timeout (P(S > ack_timeout) = 1): messages are redelivered without end; raise ack_timeout".into());
    }
    let exponential = matches!(q.service, Distribution::Exponential { .. });
    if q.servers == 1 && exponential && input == Input::Poisson && q.failure_probability == 0.0 {
        let tau = q.ack_timeout.unwrap_or(f64::INFINITY);
        let exact = AckTimeoutMM1::new(message_rate, q.service.mean(), tau)?;
        return Ok(SolvedNode::plain_boxed(with_wait_fit(
            Box::new(exact),
            &q.service,
            1,
        )));
    }
    let mut plain = model.clone();
    plain.queues[i].ack_timeout = None;
    let inflated = q.timeout_deliveries();
    let rates: Vec<(u32, f64)> = classes.iter().map(|(c, r)| (*c, r * inflated)).collect();
    let node = solve_node(&plain, i, message_rate * inflated, input, &rates)?;
    let deliveries = deliveries_per_message(q.failure_probability, q.max_attempts);
    Ok(SolvedNode::plain(AckTimeoutQueue::new(
        node.metrics,
        message_rate * deliveries,
        p,
    )))
}

/// Whether queue `q` sends the messages it loses to its dead-letter target: expired
/// ones (`ttl`) and pushed-out ones (`drop_head`); rejected arrivals are not
/// dead-lettered (the publisher gets the refusal).
fn dead_letters_losses(q: &crate::model::Queue) -> bool {
    q.ttl.is_some() || (q.capacity.is_some() && q.on_full == OnFull::DropHead)
}

/// A queue with a TTL: M/M/c+D, exact for Poisson input, exponential service and
/// nothing else that holds or returns messages; refused otherwise, with the reason.
fn solve_ttl(
    q: &crate::model::Queue,
    lambda: f64,
    c: u64,
    ttl: f64,
    input: Input,
) -> Result<SolvedNode, AnalyticError> {
    let unsupported = if !matches!(q.service, Distribution::Exponential { .. }) {
        Some("a service time that is not exponential")
    } else if q.capacity.is_some() {
        Some("a capacity limit")
    } else if q.failure_probability > 0.0 {
        Some("failing deliveries (redelivery)")
    } else if q.has_consumer_model() {
        Some("prefetch or consumer crashes")
    } else if input != Input::Poisson {
        Some("an input stream that is not Poisson")
    } else {
        None
    };
    if let Some(what) = unsupported {
        return Err(AnalyticError::NoMethod {
            reason: format!(
                "a queue with a ttl is solved exactly as M/M/c+D (Poisson input, exponential service, no capacity limit, no redelivery, no prefetch or crashes); this one has {what}: simulate"
            ),
        });
    }
    Ok(SolvedNode::plain(MMcTtl::new(
        lambda,
        1.0 / q.service.mean(),
        c,
        ttl,
    )?))
}

/// `inner` with the fitted waiting-time distribution when it can be fitted, else as it is.
fn with_wait_fit(
    inner: Box<dyn QueueMetrics>,
    service: &crate::model::Distribution,
    c: u64,
) -> Box<dyn QueueMetrics> {
    match super::single::wait_fit::WaitFit::new(inner, service, c) {
        Ok(fit) => Box::new(fit),
        Err(inner) => inner,
    }
}

/// Labels an M/M/c figure in a Jackson network as such.
fn relabel(m: impl QueueMetrics + 'static, input: Input) -> Relabelled {
    let base = m.method();
    let method = if input == Input::Jackson {
        Method {
            name: format!("{} per visit in an open Jackson network", base.name),
            exactness: Exactness::Exact,
            reference: format!(
                "Jackson (1963), Operations Research 11(1); arrival theorem; {}",
                base.reference
            ),
        }
    } else {
        base
    };
    Relabelled::all(method, Box::new(m))
}
