//! The exact CTMC of a small finite model: several queues with finite buffers, `reject`
//! or `block`, topics, probabilistic routes — the exact reference where product form
//! does not hold (e.g. a tandem with blocking).
//!
//! Applies when every source is Poisson, every service exponential, every queue FIFO
//! with a finite `capacity`, there are no redeliveries, and the state space is at most
//! [`MAX_STATES`]. The state holds, per queue, the number of messages n (in service,
//! waiting, or finished but blocked) and the number b of consumers holding a finished
//! message that cannot enter a full `block` queue (blocking after service); per source,
//! whether it holds a message for a full `block` queue. A held message enters as soon as
//! a place frees up. Each `block` queue may have one sender (one source or one queue), and
//! a queue sending to a `block` queue must send all its messages there, so that the state
//! fixes who moves next; `block` queues cannot subscribe to a topic (a copy cannot be
//! held back for one listener only). The chain is built with [`Ctmc`] and solved by its
//! steady-state solvers; figures follow from π by Little's law (W and Wq per admitted
//! message).

use crate::analytic::ctmc::{AUTO_DENSE_LIMIT, Ctmc, SteadyState, SteadyStateOptions};
use crate::analytic::error::AnalyticError;
use crate::analytic::method::Method;
use crate::analytic::metrics::QueueMetrics;
use crate::analytic::network::traffic::arrival_rates;
use crate::model::{
    ArrivalProcess, Dest, Discipline, Distribution, Model, NodeId, OnFull, Topology, ValidModel,
};
use std::collections::HashMap;

/// Largest state space the builder accepts.
pub const MAX_STATES: usize = 2_000_000;

/// The solved chain of a whole model: its queues' figures, the sources' holding times
/// and the solver's residual.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelChain {
    /// Per queue, in model order.
    pub nodes: Vec<CtmcNode>,
    /// Per source, in model order: the mean time a created message is held by its source
    /// because the `block` queue it is sent to is full, seconds, over all the source's
    /// messages (P(holding)/X by Little's law, X = λ·P(not holding) the rate of
    /// created messages); 0 for a source that never holds. Part of the end-to-end
    /// latency, which runs from creation.
    pub source_hold: Vec<f64>,
    /// Residual of the steady-state solution.
    pub residual: f64,
}

/// Per-queue figures from the exact chain.
#[derive(Debug, Clone, PartialEq)]
pub struct CtmcNode {
    method: Method,
    servers: u32,
    offered: f64,
    throughput: f64,
    l: f64,
    lq: f64,
    occupied: f64,
    serving: f64,
    service_mean: f64,
    p0: f64,
    p_full: f64,
    dist: Vec<f64>,
}

impl QueueMetrics for CtmcNode {
    fn method(&self) -> Method {
        self.method.clone()
    }
    fn arrival_rate(&self) -> f64 {
        self.offered
    }
    fn throughput(&self) -> f64 {
        self.throughput
    }
    fn utilisation(&self) -> f64 {
        self.occupied / f64::from(self.servers)
    }
    fn servers(&self) -> Option<u64> {
        Some(u64::from(self.servers))
    }
    fn mean_number_in_system(&self) -> f64 {
        self.l
    }
    fn mean_queue_length(&self) -> f64 {
        self.lq
    }
    fn mean_sojourn(&self) -> f64 {
        self.l / self.throughput
    }
    /// Wq = Lq / X, from the queue-length distribution directly: a sum of
    /// non-negative terms, so never negative. (Equal to W − E(S) in exact arithmetic,
    /// since the mean number in service is X·E(S); the difference of the two cancels
    /// to −10⁻¹⁸ where nothing ever waits.)
    fn mean_wait(&self) -> f64 {
        if self.lq > 0.0 {
            self.lq / self.throughput
        } else {
            0.0
        }
    }
    fn prob_empty(&self) -> Option<f64> {
        Some(self.p0)
    }
    fn prob_block(&self) -> Option<f64> {
        Some(self.p_full)
    }
    fn prob_n(&self, n: u64) -> Option<f64> {
        Some(self.dist.get(n as usize).copied().unwrap_or(0.0))
    }
}

/// A built chain with the facts to read figures off it.
struct Layout {
    /// Radix per component: queues' n, queues' b, sources' held flag.
    cap: Vec<usize>,
    servers: Vec<usize>,
    mu: Vec<f64>,
    /// Sender of each `block` queue: Left(queue) / Right(source).
    blocked_sender: Vec<Option<Sender>>,
    /// The `block` destination of each queue that sends to one.
    block_dest: Vec<Option<usize>>,
    source_block: Vec<Option<usize>>,
}

#[derive(Clone, Copy, PartialEq)]
enum Sender {
    Queue(usize),
    Source(usize),
}

/// State: n per queue, b per queue, h per source.
type State = Vec<usize>;

/// The reachable states in the order found, stored flat (`dim` entries each), with a
/// map from each state's 64-bit hash to its index; a state whose hash collides with an
/// earlier, different state's goes to an exact map instead. No allocation per state
/// (bar collisions): 8 × `dim` bytes per state, plus about 16 in the map.
struct StateSpace {
    flat: FlatStates,
    by_hash: HashMap<u64, usize, BuildStateHasher>,
    collided: HashMap<State, usize, BuildStateHasher>,
}

/// `count` states of `dim` components each (possibly none), stored back to back.
struct FlatStates {
    dim: usize,
    count: usize,
    flat: Vec<usize>,
}

impl FlatStates {
    fn len(&self) -> usize {
        self.count
    }
    fn get(&self, i: usize) -> &[usize] {
        &self.flat[i * self.dim..(i + 1) * self.dim]
    }
    fn iter(&self) -> impl Iterator<Item = &[usize]> + '_ {
        (0..self.count).map(|i| self.get(i))
    }
}

impl StateSpace {
    /// An empty space of states with `dim` components.
    fn new(dim: usize) -> Self {
        Self {
            flat: FlatStates {
                dim,
                count: 0,
                flat: Vec::new(),
            },
            by_hash: HashMap::default(),
            collided: HashMap::default(),
        }
    }
    fn hash(y: &[usize]) -> u64 {
        use std::hash::Hasher;
        let mut h = StateHasher::default();
        for &v in y {
            h.write_usize(v);
        }
        h.finish()
    }
    fn len(&self) -> usize {
        self.flat.len()
    }
    fn get(&self, i: usize) -> &[usize] {
        self.flat.get(i)
    }
    /// The index of state `y`, if it is known.
    fn find(&self, y: &[usize]) -> Option<usize> {
        match self.by_hash.get(&Self::hash(y)) {
            Some(&i) if self.get(i) == y => Some(i),
            Some(_) => self.collided.get(y).copied(),
            None => None,
        }
    }
    /// Adds state `y` (not yet known) and returns its index.
    fn push(&mut self, y: &[usize]) -> usize {
        let i = self.len();
        match self.by_hash.entry(Self::hash(y)) {
            std::collections::hash_map::Entry::Occupied(_) => {
                self.collided.insert(y.to_vec(), i);
            }
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(i);
            }
        }
        self.flat.flat.extend_from_slice(y);
        self.flat.count += 1;
        i
    }
    /// The states alone, the maps freed.
    fn into_flat(self) -> FlatStates {
        self.flat
    }
}

/// A multiply–rotate hash for the enumeration's state → index map (the FxHash scheme of
/// rustc): states are short vectors of small integers, for which SipHash's resistance
/// to chosen keys is not needed and costs a third of the enumeration time.
#[derive(Default, Clone, Copy)]
struct StateHasher(u64);

impl std::hash::Hasher for StateHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.write_u64(u64::from_le_bytes(w));
        }
        for &b in chunks.remainder() {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_usize(&mut self, v: usize) {
        self.write_u64(v as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

type BuildStateHasher = std::hash::BuildHasherDefault<StateHasher>;

/// Whether the exact model CTMC applies, and why not.
///
/// # Errors
/// [`AnalyticError::NoMethod`] naming the first condition that fails.
pub fn applies(model: &Model) -> Result<(), AnalyticError> {
    let no = |reason: String| Err(AnalyticError::NoMethod { reason });
    for s in &model.sources {
        if !matches!(s.arrival, ArrivalProcess::Poisson { .. }) || s.window.is_some() {
            return no(format!(
                "source {:?}: the exact chain needs Poisson sources without windows",
                s.name
            ));
        }
    }
    for q in &model.queues {
        if !matches!(q.service, Distribution::Exponential { .. }) {
            return no(format!(
                "queue {:?}: the exact chain needs exponential service",
                q.name
            ));
        }
        if q.capacity.is_none() {
            return no(format!(
                "queue {:?}: the exact chain needs a finite capacity on every queue",
                q.name
            ));
        }
        if q.on_full == OnFull::DropHead {
            return no(format!(
                "queue {:?}: drop-head overflow loses the oldest message, which the chain's per-node waits do not follow; the queue alone is solved as M/M/c/K with drop-head",
                q.name
            ));
        }
        if q.ttl.is_some() {
            return no(format!(
                "queue {:?}: a TTL (a fixed patience) is not a Markov chain; the queue alone is solved as M/M/c+D",
                q.name
            ));
        }
        if q.discipline != Discipline::Fifo || q.failure_probability > 0.0 {
            return no(format!(
                "queue {:?}: the exact chain covers FIFO queues without redeliveries",
                q.name
            ));
        }
    }
    Ok(())
}

/// Builds and solves the exact CTMC of `model`, returning per-queue figures in model
/// order and the steady state's residual.
///
/// # Errors
/// [`AnalyticError::NoMethod`] when the model is outside the class above or its state
/// space exceeds [`MAX_STATES`]; solver failures are reported the same way.
///
/// # Example
/// ```
/// use kendall::analytic::{QueueMetrics, ctmc::solve_model_ctmc};
/// use kendall::model::{ArrivalProcess, Distribution, Model, OnFull, Queue, Route, Source};
/// // A tandem: the second queue holds 2 and blocks the first one's consumer when full.
/// let mut second = Queue::new("b", 1, Distribution::Exponential { mean: 1.0 }).with_capacity(2);
/// second.on_full = OnFull::Block;
/// let m = Model::default()
///     .with_source(Source::new("s", ArrivalProcess::Poisson { rate: 0.5 }, "a"))
///     .with_queue(Queue::new("a", 1, Distribution::Exponential { mean: 1.0 }).with_capacity(3).with_route(Route::To("b".into())))
///     .with_queue(second);
/// let chain = solve_model_ctmc(&m.validate().unwrap()).unwrap();
/// assert!(chain.residual < 1e-10);
/// // Flow conservation: what the first queue admits, the second serves.
/// let nodes = &chain.nodes;
/// assert!((nodes[0].throughput() - nodes[1].throughput()).abs() < 1e-9);
/// // The first queue rejects when full: its source never holds a message.
/// assert_eq!(chain.source_hold, vec![0.0]);
/// ```
pub fn solve_model_ctmc(valid: &ValidModel) -> Result<ModelChain, AnalyticError> {
    let (model, topology) = (valid.model(), valid.topology());
    applies(model)?;
    let no = |reason: String| AnalyticError::NoMethod { reason };
    let nq = model.queues.len();
    let ns = model.sources.len();
    let cap: Vec<usize> = model
        .queues
        .iter()
        .map(|q| q.capacity.expect("checked") as usize)
        .collect();
    let servers: Vec<usize> = model.queues.iter().map(|q| q.servers as usize).collect();
    let mu: Vec<f64> = model
        .queues
        .iter()
        .map(|q| 1.0 / q.service.mean())
        .collect();
    let blocks = |j: usize| model.queues[j].on_full == OnFull::Block;
    let mut blocked_sender: Vec<Option<Sender>> = vec![None; nq];
    let mut block_dest = vec![None; nq];
    let mut source_block = vec![None; ns];
    let claim = |j: usize,
                 who: Sender,
                 blocked_sender: &mut Vec<Option<Sender>>|
     -> Result<(), AnalyticError> {
        match blocked_sender[j] {
            Some(other) if other != who => Err(no(format!(
                "queue {:?} blocks and has several senders: the exact chain needs one sender per blocking queue",
                model.queues[j].name
            ))),
            _ => {
                blocked_sender[j] = Some(who);
                Ok(())
            }
        }
    };
    for (s, dest) in topology.source_dest.iter().enumerate() {
        match dest {
            NodeId::Queue(j) if blocks(*j) => {
                claim(*j, Sender::Source(s), &mut blocked_sender)?;
                source_block[s] = Some(*j);
            }
            NodeId::Topic(t) if topology.subscribers[*t].iter().any(|&j| blocks(j)) => {
                return Err(no(
                    "a blocking listener subscribed to a topic: simulate".into()
                ));
            }
            _ => {}
        }
    }
    for (i, routes) in topology.routes.iter().enumerate() {
        for (_, d) in routes {
            match d {
                Dest::Node(NodeId::Queue(j)) if blocks(*j) => {
                    if routes.len() != 1 {
                        return Err(no(format!(
                            "queue {:?} sends only part of its messages to the blocking queue {:?}: simulate",
                            model.queues[i].name, model.queues[*j].name
                        )));
                    }
                    if *j == i {
                        return Err(no("a blocking queue routing to itself: simulate".into()));
                    }
                    claim(*j, Sender::Queue(i), &mut blocked_sender)?;
                    block_dest[i] = Some(*j);
                }
                Dest::Node(NodeId::Topic(t))
                    if topology.subscribers[*t].iter().any(|&j| blocks(j)) =>
                {
                    return Err(no(
                        "a blocking listener subscribed to a topic: simulate".into()
                    ));
                }
                _ => {}
            }
        }
    }
    let layout = Layout {
        cap,
        servers,
        mu,
        blocked_sender,
        block_dest,
        source_block,
    };

    // Radices: n_i in 0..=K_i, b_i in 0..=c_i (only for queues sending to a block queue),
    // h_s in 0..=1 (only for sources sending to one).
    let mut radix: Vec<usize> = layout.cap.iter().map(|k| k + 1).collect();
    radix.extend((0..nq).map(|i| {
        if layout.block_dest[i].is_some() {
            layout.servers[i].min(layout.cap[i]) + 1
        } else {
            1
        }
    }));
    radix.extend((0..ns).map(|s| {
        if layout.source_block[s].is_some() {
            2
        } else {
            1
        }
    }));
    // Count before building, with checked arithmetic. A lower bound: every vector of
    // counts n_i ≤ K_i over the queues that traffic reaches is a reachable state (no
    // message held). An upper bound: per queue, the pairs (n, b) with b ≤ min(n, c)
    // (a consumer holds a blocked message only after serving it),
    // Σ_{n=0}^{K} (min(n, c) + 1) = (K + 1) + c(c + 1)/2 + c(K − c); per source, its
    // held flag, set only while its queue is full (min(K, c) + 1 more pairs there).
    // Over the limit by the lower bound: refused here, in microseconds, instead of
    // after seconds and gigabytes of enumeration; under it by the upper bound: built
    // without doubt; in between, the enumeration stops at the limit.
    let entries: Vec<usize> = topology
        .source_dest
        .iter()
        .flat_map(|d| topology.entries(*d))
        .collect();
    let fed = topology.reachable(&entries);
    let lower = (0..nq).filter(|&i| fed[i]).try_fold(1usize, |acc, i| {
        acc.checked_mul(layout.cap[i].checked_add(1)?)
    });
    let pairs = |i: usize| -> Option<usize> {
        let k = layout.cap[i];
        let c = (radix[nq + i] - 1).min(k); // 0 when the queue never holds a message
        let held = layout
            .source_block
            .iter()
            .filter(|t| **t == Some(i))
            .count();
        (k + 1)
            .checked_add(c.checked_mul(c + 1)? / 2)?
            .checked_add(c.checked_mul(k - c)?)?
            .checked_add(held.checked_mul(c + 1)?)
    };
    let upper = (0..nq).try_fold(1usize, |acc, i| acc.checked_mul(pairs(i)?));
    match lower {
        Some(l) if l <= MAX_STATES => {}
        Some(l) => {
            return Err(no(format!(
                "the exact chain would have at least {l} states, over the limit of {MAX_STATES}: lower the capacities, or simulate"
            )));
        }
        None => {
            return Err(no(format!(
                "the exact chain would have more than {} states (the count overflows), over the limit of {MAX_STATES}: lower the capacities, or simulate",
                usize::MAX
            )));
        }
    }
    let upper_note = match upper {
        Some(u) => format!("at most {u}"),
        None => "the upper bound overflows".to_string(),
    };
    // Enumerate reachable states from the empty state by breadth-first search.
    let mut states = StateSpace::new(radix.len());
    states.push(&vec![0; radix.len()]);
    let mut triplets: Vec<(usize, usize, f64)> = Vec::new();
    let (mut x, mut scratch) = (State::new(), State::new());
    let mut head = 0;
    let mut full = false;
    while head < states.len() && !full {
        x.clear();
        x.extend_from_slice(states.get(head));
        transitions(model, topology, &layout, &x, &mut scratch, |y, rate| {
            if *y == x || full {
                return;
            }
            let j = match states.find(y) {
                Some(j) => j,
                None if states.len() >= MAX_STATES => {
                    full = true;
                    return;
                }
                None => states.push(y),
            };
            triplets.push((head, j, rate));
        });
        head += 1;
    }
    if full {
        return Err(no(format!(
            "the exact chain has more than {MAX_STATES} states (the limit; {upper_note}): lower the capacities, or simulate"
        )));
    }
    // The state → index map is not needed past enumeration: free it before the chain
    // and its solver allocate.
    let states = states.into_flat();
    let chain =
        Ctmc::from_triplets(states.len(), triplets).map_err(|e| no(format!("exact chain: {e}")))?;
    // Large chains start from a product-form guess (see `product_form_start`); small
    // ones are solved directly.
    let ss: SteadyState = match product_form_start(valid, &layout, &states) {
        Some(start) if states.len() > AUTO_DENSE_LIMIT => chain
            .steady_state_iterative_from(&SteadyStateOptions::default(), &start)
            .and_then(SteadyState::into_converged),
        _ => chain.steady_state(),
    }
    .map_err(|e| no(format!("exact chain: {e}")))?;
    let method = Method::numerical(
        format!(
            "exact CTMC of the whole model ({} states, residual {:.1e}, {:?})",
            states.len(),
            ss.residual,
            ss.method
        ),
        "Markov chain of the model's joint state; steady state by kendall's CTMC solvers",
    );
    let mut nodes = Vec::with_capacity(nq);
    for i in 0..nq {
        let mut l = 0.0;
        let mut lq = 0.0;
        let mut occupied = 0.0;
        let mut serving = 0.0;
        let mut completions = 0.0;
        let mut dist = vec![0.0; layout.cap[i] + 1];
        for (x, p) in states.iter().zip(&ss.pi) {
            let n = x[i];
            let b = x[nq + i];
            l += p * n as f64;
            let occ = n.min(layout.servers[i]);
            // Waiting means not being served: queued, or finished and held by a blocked
            // consumer (so Lq = X·Wq with Wq = W − E[S], as the simulator measures it).
            lq += p * (n - (occ - b)) as f64;
            occupied += p * occ as f64;
            serving += p * (occ - b) as f64;
            completions += p * (occ - b) as f64 * layout.mu[i];
            dist[n] += p;
        }
        // Offered and refused-or-held arrival rates, by replaying each state's events.
        let (offered, full) = offered_rates(model, topology, &layout, &states, &ss.pi, i);
        nodes.push(CtmcNode {
            method: method.clone(),
            servers: model.queues[i].servers,
            offered,
            throughput: completions,
            l,
            lq,
            occupied,
            serving,
            service_mean: 1.0 / layout.mu[i],
            p0: dist[0],
            p_full: if offered > 0.0 { full / offered } else { 0.0 },
            dist,
        });
    }
    let source_hold = model
        .sources
        .iter()
        .enumerate()
        .map(|(s, src)| {
            let held: f64 = states
                .iter()
                .zip(&ss.pi)
                .filter(|(x, _)| x[2 * nq + s] == 1)
                .map(|(_, p)| p)
                .sum();
            let created = src.arrival.mean_rate().unwrap_or(0.0) * (1.0 - held);
            if held > 0.0 && created > 0.0 {
                held / created
            } else {
                0.0
            }
        })
        .collect();
    Ok(ModelChain {
        nodes,
        source_hold,
        residual: ss.residual,
    })
}

/// A starting guess for the iterative solver: each queue's count distributed as its own
/// M/M/c/K (offered rate from the traffic equations, which ignore blocking and loss),
/// independently of the others, and the blocked/held flags uniform; unnormalised, the
/// largest weight 1. Exact for a Jackson network far from its capacities (the blocking
/// tandem with large buffers), a rough start elsewhere; the solver judges convergence
/// on the chain's own residual either way. `None` if the traffic equations do not
/// apply. Cost: O(Σ K_i) for the marginals and O(states × queues) for the products.
fn product_form_start(
    valid: &ValidModel,
    layout: &Layout,
    states: &FlatStates,
) -> Option<Vec<f64>> {
    let rates = arrival_rates(valid).ok()?;
    // log p_i(n) = Σ_{m ≤ n} ln(λ_i / (min(m, c_i) μ_i)), shifted so that the largest is 0.
    let marginals: Vec<Vec<f64>> = rates
        .iter()
        .enumerate()
        .map(|(i, &lambda)| {
            let mut log_p = Vec::with_capacity(layout.cap[i] + 1);
            let mut acc = 0.0;
            log_p.push(0.0);
            for m in 1..=layout.cap[i] {
                let down = m.min(layout.servers[i]) as f64 * layout.mu[i];
                acc += (lambda / down).ln();
                log_p.push(acc);
            }
            let top = log_p.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            log_p.iter().map(|l| (l - top).exp()).collect()
        })
        .collect();
    let start: Vec<f64> = states
        .iter()
        .map(|x| marginals.iter().enumerate().map(|(i, p)| p[x[i]]).product())
        .collect();
    start
        .iter()
        .all(|w| w.is_finite())
        .then_some(start)
        .filter(|s| s.iter().any(|w| *w > 0.0))
}

/// Arrival attempts aimed at queue `target` per second, and those that found it full.
fn offered_rates(
    model: &Model,
    topology: &Topology,
    layout: &Layout,
    states: &FlatStates,
    pi: &[f64],
    target: usize,
) -> (f64, f64) {
    let nq = model.queues.len();
    let mut offered = 0.0;
    let mut full = 0.0;
    for (x, p) in states.iter().zip(pi) {
        let is_full = x[target] >= layout.cap[target];
        let mut aim = |rate: f64| {
            offered += p * rate;
            if is_full {
                full += p * rate;
            }
        };
        for (s, src) in model.sources.iter().enumerate() {
            if x[2 * nq + s] == 1 {
                continue;
            }
            let rate = src.arrival.mean_rate().unwrap_or(0.0);
            if topology.entries(topology.source_dest[s]).contains(&target) {
                aim(rate);
            }
        }
        for i in 0..nq {
            let serving = x[i].min(layout.servers[i]) - x[nq + i];
            if serving == 0 {
                continue;
            }
            let rate = serving as f64 * layout.mu[i];
            for (share, d) in topology.route_shares(i) {
                if let Dest::Node(node) = d
                    && topology.entries(node).contains(&target)
                {
                    aim(rate * share);
                }
            }
        }
    }
    (offered, full)
}

/// Calls `emit(next state, rate)` for each transition out of state `x`; next states are
/// settled (every held message that can move has moved). `y` is scratch space, reused
/// so that no transition allocates.
fn transitions(
    model: &Model,
    topology: &Topology,
    layout: &Layout,
    x: &[usize],
    y: &mut State,
    mut emit: impl FnMut(&State, f64),
) {
    let nq = model.queues.len();
    for (s, src) in model.sources.iter().enumerate() {
        if x[2 * nq + s] == 1 {
            continue;
        }
        let rate = src.arrival.mean_rate().unwrap_or(0.0);
        y.clear();
        y.extend_from_slice(x);
        match topology.source_dest[s] {
            NodeId::Queue(j) => {
                if y[j] < layout.cap[j] {
                    y[j] += 1;
                } else if layout.source_block[s] == Some(j) {
                    y[2 * nq + s] = 1;
                }
            }
            NodeId::Topic(t) => {
                for &j in &topology.subscribers[t] {
                    if y[j] < layout.cap[j] {
                        y[j] += 1;
                    }
                }
            }
        }
        settle(layout, nq, y);
        emit(y, rate);
    }
    for i in 0..nq {
        let serving = x[i].min(layout.servers[i]) - x[nq + i];
        if serving == 0 {
            continue;
        }
        let rate = serving as f64 * layout.mu[i];
        for (share, d) in topology.route_shares(i) {
            y.clear();
            y.extend_from_slice(x);
            match &d {
                Dest::Exit => y[i] -= 1,
                Dest::Node(NodeId::Queue(j)) if layout.block_dest[i] == Some(*j) => {
                    if y[*j] < layout.cap[*j] {
                        y[i] -= 1;
                        y[*j] += 1;
                    } else {
                        y[nq + i] += 1;
                    }
                }
                Dest::Node(NodeId::Queue(j)) => {
                    y[i] -= 1;
                    if y[*j] < layout.cap[*j] {
                        y[*j] += 1;
                    }
                }
                Dest::Node(NodeId::Topic(t)) => {
                    y[i] -= 1;
                    for &j in &topology.subscribers[*t] {
                        if y[j] < layout.cap[j] {
                            y[j] += 1;
                        }
                    }
                }
            }
            settle(layout, nq, y);
            emit(y, rate * share);
        }
    }
}

/// Moves held messages into queues that have room, until none can move.
fn settle(layout: &Layout, nq: usize, y: &mut State) {
    loop {
        let mut moved = false;
        for j in 0..nq {
            if y[j] >= layout.cap[j] {
                continue;
            }
            match layout.blocked_sender[j] {
                Some(Sender::Queue(i)) if y[nq + i] > 0 => {
                    y[nq + i] -= 1;
                    y[i] -= 1;
                    y[j] += 1;
                    moved = true;
                }
                Some(Sender::Source(s)) if y[2 * nq + s] == 1 => {
                    y[2 * nq + s] = 0;
                    y[j] += 1;
                    moved = true;
                }
                _ => {}
            }
        }
        if !moved {
            return;
        }
    }
}
