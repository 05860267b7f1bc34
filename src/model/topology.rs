//! Validation of a [`Model`] and its resolved form, the [`Topology`]: names replaced by
//! indices, routes as cumulative probabilities, topics as lists of subscribers.

use super::error::{ModelError, Problem, Problems};
use super::route::EXIT;
use super::{Discipline, Model, OnFull, Queue};
use nalgebra::DMatrix;
use std::collections::HashMap;

/// A node of the model by index: `Queue(i)` is `model.queues[i]`, `Topic(t)` is
/// `model.topics[t]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NodeId {
    /// A queue or listener pool.
    Queue(usize),
    /// A topic.
    Topic(usize),
}

/// A destination: leave the system, or go to a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dest {
    /// Leave the system.
    Exit,
    /// Go to (or publish to) this node.
    Node(NodeId),
}

/// The validated model with names resolved to indices, shared by both engines.
#[derive(Debug, Clone, PartialEq)]
pub struct Topology {
    /// Destination of each source's messages, by source index.
    pub source_dest: Vec<NodeId>,
    /// For each queue, its route as `(cumulative probability, destination)`; the last
    /// cumulative probability is 1.
    pub routes: Vec<Vec<(f64, Dest)>>,
    /// For each queue, where exhausted messages go (`Exit` = dropped and counted).
    pub dead_letter: Vec<Dest>,
    /// For each topic, the indices of its subscribed queues.
    pub subscribers: Vec<Vec<usize>>,
    /// `flow[i][j]`: expected number of messages entering queue j per message entering
    /// queue i (routing, topic copies, dead-lettering; redeliveries excluded).
    pub flow: DMatrix<f64>,
    /// Names of the queues, by index.
    pub queue_names: Vec<String>,
}

impl Topology {
    /// Number of queues.
    pub fn queue_count(&self) -> usize {
        self.queue_names.len()
    }

    /// The queues a message sent to `node` enters (one, or a topic's subscribers).
    ///
    /// Total: a node that is not in this topology (an index from another model) enters
    /// no queue, so the result is empty rather than a panic; only indices below
    /// [`Topology::queue_count`] are ever returned.
    ///
    /// # Example
    /// ```
    /// use kendall::model::{Model, NodeId};
    /// let m = Model::load(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/payments.toml")).unwrap();
    /// let valid = m.validate().unwrap();
    /// let t = valid.topology();
    /// assert_eq!(t.entries(NodeId::Queue(0)), [0]);
    /// assert!(t.entries(NodeId::Queue(99)).is_empty());
    /// assert!(t.entries(NodeId::Topic(99)).is_empty());
    /// ```
    pub fn entries(&self, node: NodeId) -> Vec<usize> {
        let n = self.queue_count();
        match node {
            NodeId::Queue(q) if q < n => vec![q],
            NodeId::Queue(_) => Vec::new(),
            NodeId::Topic(t) => self
                .subscribers
                .get(t)
                .map(|subs| subs.iter().copied().filter(|&q| q < n).collect())
                .unwrap_or_default(),
        }
    }

    /// The branches of queue `i`'s route as (probability, destination), in order; none
    /// for an index that is not a queue of this topology.
    pub fn route_shares(&self, i: usize) -> impl Iterator<Item = (f64, Dest)> + '_ {
        shares(self.routes.get(i).map_or(&[][..], Vec::as_slice))
    }

    /// Number of queues the flow matrix covers (the queue count of a topology made by
    /// validation); indices at or above it have no flow.
    fn flow_size(&self) -> usize {
        self.queue_count()
            .min(self.flow.nrows())
            .min(self.flow.ncols())
    }

    /// The queues reachable from `start` (themselves included) along positive flow, as
    /// one flag per queue. Start indices that are not queues of this topology are
    /// ignored. O(n²) for n queues.
    ///
    /// # Example
    /// ```
    /// use kendall::model::Model;
    /// let m = Model::load(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/payments.toml")).unwrap();
    /// let valid = m.validate().unwrap();
    /// let t = valid.topology();
    /// assert!(t.reachable(&[0]).iter().all(|r| *r)); // payments reaches every listener
    /// assert!(!t.on_cycle(0));
    /// assert!(t.reachable(&[usize::MAX]).iter().all(|r| !*r));
    /// ```
    pub fn reachable(&self, start: &[usize]) -> Vec<bool> {
        let n = self.queue_count();
        let m = self.flow_size();
        let mut seen = vec![false; n];
        let mut stack: Vec<usize> = start.iter().copied().filter(|&v| v < n).collect();
        while let Some(v) = stack.pop() {
            if !std::mem::replace(&mut seen[v], true) && v < m {
                stack.extend((0..m).filter(|&j| self.flow[(v, j)] > 0.0));
            }
        }
        seen
    }

    /// Whether queue `i` lies on a cycle: a message leaving it can come back. `false`
    /// for an index that is not a queue of this topology.
    pub fn on_cycle(&self, i: usize) -> bool {
        let m = self.flow_size();
        if i >= m {
            return false;
        }
        let next: Vec<usize> = (0..m).filter(|&j| self.flow[(i, j)] > 0.0).collect();
        self.reachable(&next)[i]
    }

    /// Mean arrival rate of outside traffic into each queue, messages/s: each source's
    /// mean rate added to every queue its messages enter. `None` where a source's rate
    /// is unknown before running (a trace).
    pub fn external_rates(&self, model: &Model) -> Option<Vec<f64>> {
        let mut l0 = vec![0.0; self.queue_count()];
        for (s, dest) in model.sources.iter().zip(&self.source_dest) {
            let r = s.arrival.mean_rate()?;
            for q in self.entries(*dest) {
                l0[q] += r;
            }
        }
        Some(l0)
    }
}

fn name_list(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("{n:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

struct Names<'a> {
    ids: HashMap<&'a str, NodeId>,
    all: Vec<&'a str>,
}

impl Names<'_> {
    fn unknown(&self, name: &str, what: &str) -> String {
        let close = self
            .all
            .iter()
            .map(|n| (edit_distance(n, name), *n))
            .filter(|(d, _)| *d <= 2)
            .min();
        match close {
            Some((_, n)) => format!("unknown {what} {name:?}: did you mean {n:?}?"),
            None if self.all.is_empty() => {
                format!("unknown {what} {name:?}: the model has no queues or topics")
            }
            None => format!(
                "unknown {what} {name:?}: known are {}",
                name_list(&self.all)
            ),
        }
    }
}

/// The rules on a queue's number of consumers (the only ones a change of consumers can
/// break): at least one, and no more than the capacity.
pub(crate) fn check_servers(q: &super::Queue, out: &mut Vec<Problem>) {
    let path = format!("queue {:?}", q.name);
    if q.is_delay() {
        // A delay station: nothing waits, so nothing that shapes a waiting line or a
        // consumer applies.
        let conflicts = [
            ("capacity", q.capacity.is_some()),
            ("prefetch", q.prefetch.is_some()),
            ("crash", q.crash.is_some()),
            ("ack_timeout", q.ack_timeout.is_some()),
            ("partitions", q.partitions.is_some()),
            ("discipline", q.discipline != super::Discipline::Fifo),
        ];
        for (field, set) in conflicts {
            if set {
                out.push(Problem::new(
                    format!("{path}.{field}"),
                    "does not apply to a delay station (consumers = \"infinite\": every message is served at once): remove it, or give a number of consumers",
                ));
            }
        }
        return;
    }
    if q.servers == 0 {
        out.push(Problem::new(
            format!("{path}.servers"),
            "must be >= 1, got 0",
        ));
    }
    if q.has_consumer_model() && q.servers > super::MAX_CONSUMERS {
        out.push(Problem::new(
            format!("{path}.servers"),
            format!(
                "must be <= {} with prefetch or crash (a window per consumer is kept), got {}",
                super::MAX_CONSUMERS,
                q.servers
            ),
        ));
    }
    if let Some(k) = q.capacity
        && k < u64::from(q.servers.max(1))
    {
        out.push(Problem::new(
            format!("{path}.capacity"),
            format!(
                "must be >= servers ({}): capacity K counts messages in service too, got {k}",
                q.servers
            ),
        ));
    }
}

/// The rules on a partitioned queue (`partitions`, `keys`, `assignment`): the
/// partitioning's own ranges, and the features a partitioned queue does not combine
/// with (each refused with the fix).
fn check_partitions(q: &super::Queue, path: &str, out: &mut Vec<Problem>) {
    let Some(p) = q.partitioning() else {
        for (set, field) in [
            (q.keys.is_some(), "keys"),
            (q.assignment.is_some(), "assignment"),
        ] {
            if set {
                out.push(Problem::new(
                    format!("{path}.{field}"),
                    "needs partitions: set partitions = N (a Kafka-style partitioned topic) or remove it",
                ));
            }
        }
        return;
    };
    p.check(path, out);
    let refuse = |field: &str, why: &str, out: &mut Vec<Problem>| {
        out.push(Problem::new(
            format!("{path}.{field}"),
            format!("cannot be combined with partitions: {why}"),
        ));
    };
    if q.discipline != super::Discipline::Fifo {
        refuse(
            "discipline",
            "a partition is consumed in offset order; remove discipline (or partitions)",
            out,
        );
    }
    if q.capacity.is_some() {
        refuse(
            "capacity",
            "a partitioned log keeps every message (retention is not modelled); remove capacity",
            out,
        );
    }
    if q.failure_probability > 0.0 {
        refuse(
            "failure_probability",
            "failed deliveries and retries of a partitioned topic are not modelled yet; set it to 0 (or remove partitions)",
            out,
        );
    }
}

pub(crate) fn validate(model: &Model) -> Result<Topology, ModelError> {
    let mut out = Vec::new();
    model.queries.check(&mut out);
    let mut chain_names = std::collections::HashSet::new();
    for c in &model.chains {
        c.check(&mut out);
        if !chain_names.insert(c.name.as_str()) {
            out.push(Problem::new(
                format!("chain {:?}.name", c.name),
                "is used twice: chain names must be unique",
            ));
        }
    }
    let mut ids: HashMap<&str, NodeId> = HashMap::new();
    let mut all = Vec::new();
    for (i, q) in model.queues.iter().enumerate() {
        check_name(&q.name, &format!("queue[{i}].name"), &mut out);
        if ids.insert(q.name.as_str(), NodeId::Queue(i)).is_some() {
            out.push(Problem::new(
                format!("queue {:?}.name", q.name),
                "is used twice: queue and topic names must be unique",
            ));
        } else {
            all.push(q.name.as_str());
        }
    }
    for (t, topic) in model.topics.iter().enumerate() {
        check_name(&topic.name, &format!("topic[{t}].name"), &mut out);
        if ids.insert(topic.name.as_str(), NodeId::Topic(t)).is_some() {
            out.push(Problem::new(
                format!("topic {:?}.name", topic.name),
                "is used twice: queue and topic names must be unique",
            ));
        } else {
            all.push(topic.name.as_str());
        }
    }
    let names = Names { ids, all };

    if model.sources.is_empty() && model.chains.is_empty() {
        out.push(Problem::new(
            "source",
            "the model needs at least one [[source]] producing messages (or a [[chain]])",
        ));
    }
    let mut source_names = HashMap::new();
    let mut source_dest = Vec::new();
    for (i, s) in model.sources.iter().enumerate() {
        let path = format!("source {:?}", s.name);
        check_name(&s.name, &format!("source[{i}].name"), &mut out);
        if source_names.insert(s.name.as_str(), i).is_some() {
            out.push(Problem::new(
                format!("{path}.name"),
                "is used twice: source names must be unique",
            ));
        }
        s.arrival.check(&format!("{path}.arrival"), &mut out);
        if s.window == Some(0) {
            out.push(Problem::new(
                format!("{path}.window"),
                "must be >= 1 message in flight (or removed for no limit)",
            ));
        }
        // With a window the source is a closed network's think station: its mean time
        // between messages, 1 / rate, must be a time the solvers can hold.
        if s.window.is_some()
            && let Some(rate) = s.arrival.mean_rate()
            && rate > 0.0
            && 1.0 / rate > super::MAX_TIME
        {
            out.push(Problem::new(
                format!("{path}.arrival"),
                format!(
                    "with a window, the mean time between messages (1 / rate = {:e} s) must be at most {:e} s: raise the rate or remove the window",
                    1.0 / rate,
                    super::MAX_TIME
                ),
            ));
        }
        if let Some(r) = &s.retry {
            r.check(&format!("{path}.retry"), &mut out);
            if s.window.is_some() {
                out.push(Problem::new(
                    format!("{path}.retry"),
                    "cannot be combined with window: a windowed source is a closed loop that waits for its messages, a retrying client re-sends them; remove one of the two",
                ));
            }
        }
        if s.priority == 0 {
            out.push(Problem::new(
                format!("{path}.priority"),
                "must be >= 1 (1 is the highest class)",
            ));
        }
        match names.ids.get(s.to.as_str()) {
            Some(id) => source_dest.push(*id),
            None => {
                out.push(Problem::new(
                    format!("{path}.to"),
                    names.unknown(&s.to, "queue or topic"),
                ));
                source_dest.push(NodeId::Queue(usize::MAX));
            }
        }
    }

    let resolve = |name: &str, path: String, out: &mut Vec<Problem>| -> Dest {
        if name == EXIT {
            return Dest::Exit;
        }
        match names.ids.get(name) {
            Some(id) => Dest::Node(*id),
            None => {
                out.push(Problem::new(path, names.unknown(name, "queue or topic")));
                Dest::Exit
            }
        }
    };

    let mut routes = Vec::new();
    let mut dead_letter = Vec::new();
    for q in &model.queues {
        let path = format!("queue {:?}", q.name);
        check_servers(q, &mut out);
        q.service.check(&format!("{path}.service"), &mut out);
        if q.capacity.is_none() && q.on_full == OnFull::Block {
            out.push(Problem::new(
                format!("{path}.on_full"),
                "\"block\" needs a capacity: set capacity or remove on_full",
            ));
        }
        if q.on_full == OnFull::DropHead {
            check_drop_head(q, &path, &mut out);
        }
        if q.retries_until_success() && q.failure_probability == 1.0 {
            out.push(Problem::new(
                format!("{path}.failure_probability"),
                "must be < 1 with max_attempts = \"unlimited\": every delivery fails, so no message would ever complete; lower it or set a finite max_attempts",
            ));
        } else if !(q.failure_probability.is_finite()
            && (0.0..1.0).contains(&q.failure_probability))
        {
            out.push(Problem::new(
                format!("{path}.failure_probability"),
                format!("must be in [0, 1), got {}", q.failure_probability),
            ));
        }
        if !(q.cost_per_consumer.is_finite() && q.cost_per_consumer > 0.0) {
            out.push(Problem::new(
                format!("{path}.cost_per_consumer"),
                format!("must be a finite number > 0, got {}", q.cost_per_consumer),
            ));
        }
        if q.max_attempts == 0 {
            out.push(Problem::new(
                format!("{path}.max_attempts"),
                "must be >= 1 (deliveries before dead-lettering), got 0",
            ));
        }
        if !(q.backoff.is_finite() && q.backoff >= 0.0) {
            out.push(Problem::new(
                format!("{path}.backoff"),
                format!("must be finite and >= 0, got {}", q.backoff),
            ));
        }
        check_partitions(q, &path, &mut out);
        super::check_consumers(q, &path, &mut out);
        super::check_ttl(q, &path, &mut out);
        super::check_ack_timeout(q, &path, &mut out);
        super::check_rebalance(q, &path, &mut out);
        super::check_backoff_growth(q, &path, &mut out);
        if let Some(sd) = &q.slowdown {
            sd.check(&format!("{path}.slowdown"), &mut out);
        }
        dead_letter.push(match &q.dead_letter {
            Some(d) if d == &q.name => {
                out.push(Problem::new(
                    format!("{path}.dead_letter"),
                    "cannot be the queue itself: name a separate dead-letter queue",
                ));
                Dest::Exit
            }
            Some(d) => resolve(d, format!("{path}.dead_letter"), &mut out),
            None => Dest::Exit,
        });
        let branches = q.route.branches();
        let mut cumulative = Vec::with_capacity(branches.len());
        let mut acc = 0.0;
        if branches.is_empty() {
            out.push(Problem::new(
                format!("{path}.route"),
                "needs at least one branch (or \"exit\")",
            ));
        }
        for (b, branch) in branches.iter().enumerate() {
            let bpath = if matches!(q.route, super::Route::Choice(_)) {
                format!("{path}.route[{b}]")
            } else {
                format!("{path}.route")
            };
            if !(branch.probability.is_finite()
                && branch.probability > 0.0
                && branch.probability <= 1.0)
            {
                out.push(Problem::new(
                    format!("{bpath}.probability"),
                    format!("must be in (0, 1], got {}", branch.probability),
                ));
            }
            acc += branch.probability;
            cumulative.push((acc, resolve(&branch.to, format!("{bpath}.to"), &mut out)));
        }
        if !branches.is_empty() && (acc - 1.0).abs() > 1e-9 {
            out.push(Problem::new(
                format!("{path}.route"),
                format!("probabilities must sum to 1, got {acc}"),
            ));
        }
        if let Some(last) = cumulative.last_mut() {
            last.0 = 1.0;
        }
        routes.push(cumulative);
    }

    let mut subscribers = Vec::new();
    for topic in &model.topics {
        let path = format!("topic {:?}.subscribers", topic.name);
        if topic.subscribers.is_empty() {
            out.push(Problem::new(
                &path,
                "needs at least one subscribed listener pool (a queue)",
            ));
        }
        let mut subs = Vec::new();
        for (k, s) in topic.subscribers.iter().enumerate() {
            match names.ids.get(s.as_str()) {
                Some(NodeId::Queue(q)) => {
                    if subs.contains(q) {
                        out.push(Problem::new(
                            format!("{path}[{k}]"),
                            format!("{s:?} is subscribed twice"),
                        ));
                    }
                    subs.push(*q);
                }
                Some(NodeId::Topic(_)) => out.push(Problem::new(
                    format!("{path}[{k}]"),
                    format!("{s:?} is a topic: subscribers must be queues (listener pools)"),
                )),
                None => out.push(Problem::new(
                    format!("{path}[{k}]"),
                    names.unknown(s, "queue"),
                )),
            }
        }
        subscribers.push(subs);
    }

    for (k, slo) in model.slo.iter().enumerate() {
        use super::slo::Target;
        match &slo.target {
            Target::Queue(q) if !matches!(names.ids.get(q.as_str()), Some(NodeId::Queue(_))) => {
                out.push(Problem::new(format!("slo[{k}]"), names.unknown(q, "queue")));
            }
            Target::Source(s) if !source_names.contains_key(s.as_str()) => {
                out.push(Problem::new(
                    format!("slo[{k}]"),
                    format!("unknown source {s:?} in {slo}"),
                ));
            }
            _ => {}
        }
    }

    if !out.is_empty() {
        return Err(ModelError::Invalid(Problems(out)));
    }

    let n = model.queues.len();
    let entries = |d: Dest| -> Vec<usize> {
        match d {
            Dest::Exit => vec![],
            Dest::Node(NodeId::Queue(q)) => vec![q],
            Dest::Node(NodeId::Topic(t)) => subscribers[t].clone(),
        }
    };
    let mut flow = DMatrix::<f64>::zeros(n, n);
    for (i, q) in model.queues.iter().enumerate() {
        let exhausted = q.exhausted_probability();
        for (p, d) in shares(&routes[i]) {
            for j in entries(d) {
                flow[(i, j)] += (1.0 - exhausted) * p;
            }
        }
        for j in entries(dead_letter[i]) {
            flow[(i, j)] += exhausted;
        }
    }
    check_flow(
        &flow,
        &model
            .queues
            .iter()
            .map(|q| q.name.as_str())
            .collect::<Vec<_>>(),
        &mut out,
    );
    if !out.is_empty() {
        return Err(ModelError::Invalid(Problems(out)));
    }
    Ok(Topology {
        source_dest,
        routes,
        dead_letter,
        subscribers,
        flow,
        queue_names: model.queues.iter().map(|q| q.name.clone()).collect(),
    })
}

/// Per-branch probabilities of a route stored as cumulative probabilities.
fn shares(route: &[(f64, Dest)]) -> impl Iterator<Item = (f64, Dest)> + '_ {
    route.iter().scan(0.0, |prev, (c, d)| {
        let p = c - *prev;
        *prev = *c;
        Some((p, *d))
    })
}

fn check_name(name: &str, path: &str, out: &mut Vec<Problem>) {
    if name.trim().is_empty() {
        out.push(Problem::new(path, "must not be empty"));
    } else if name == EXIT {
        out.push(Problem::new(
            path,
            "\"exit\" is reserved for leaving the system: choose another name",
        ));
    }
}

/// Flow converges iff the spectral radius of `flow` is below 1, iff `I - flow` is a
/// non-singular M-matrix, iff its inverse exists and is entry-wise non-negative. Where it
/// fails, the offending strongly connected components are named.
fn check_flow(flow: &DMatrix<f64>, names: &[&str], out: &mut Vec<Problem>) {
    // The spectral radius of a non-negative matrix is the largest over its strongly
    // connected components: check each cycle on its own (an acyclic network of n queues
    // costs O(n²) reads instead of an O(n³) inverse).
    let comps = strongly_connected(flow);
    let cyclic = |comp: &[usize]| comp.len() > 1 || flow[(comp[0], comp[0])] > 0.0;
    let component =
        |comp: &[usize]| DMatrix::from_fn(comp.len(), comp.len(), |a, b| flow[(comp[a], comp[b])]);
    if comps
        .iter()
        .all(|comp| !cyclic(comp) || converges(&component(comp)))
    {
        return;
    }
    for comp in comps {
        if !cyclic(&comp) || converges(&component(&comp)) {
            continue;
        }
        let members: Vec<&str> = comp.iter().map(|i| names[*i]).collect();
        let leaks = comp.iter().any(|i| {
            let row_sum: f64 = comp.iter().map(|j| flow[(*i, *j)]).sum();
            row_sum < 1.0 - 1e-12
        });
        let message = if leaks {
            "messages are copied around this cycle faster than they leave it (topic fan-out feeding back): the flow grows without bound; lower the loop probabilities or the fan-out".to_string()
        } else {
            "no message ever leaves this cycle: give one of its routes a branch to \"exit\" (or to a node outside the cycle) with probability > 0".to_string()
        };
        out.push(Problem::new(
            format!("cycle {}", members.join(" -> ")),
            message,
        ));
    }
    if out.is_empty() {
        out.push(Problem::new(
            "route",
            "the flow equations of the routes do not converge",
        ));
    }
}

/// Whether the spectral radius of the non-negative matrix `m` is below 1, by one LU
/// solve (O(s³/3) for s rows, a third of an inverse): x = (I − m)⁻¹·1 exists and is
/// positive iff it is (then x − m x = 1 > 0 bounds the radius by max(1 − 1/xᵢ) < 1,
/// Collatz–Wielandt; conversely x = Σ mᵏ·1 ≥ 1). Tolerances absorb rounding: xᵢ ≥ ½
/// (exactly ≥ 1) and the residual of the solve at most 10⁻⁶ relative.
fn converges(m: &DMatrix<f64>) -> bool {
    let n = m.nrows();
    if n > 256 && converges_by_sweeps(m) {
        return true;
    }
    let a = DMatrix::<f64>::identity(n, n) - m;
    let ones = nalgebra::DVector::<f64>::from_element(n, 1.0);
    let Some(x) = a.clone().lu().solve(&ones) else {
        return false;
    };
    if !x.iter().all(|v| v.is_finite() && *v >= 0.5) {
        return false;
    }
    let scale = x.amax();
    (&a * &x - &ones).amax() <= 1e-6 * scale
}

/// A cheaper certificate for a large sparse cycle: Gauss–Seidel sweeps on x = 1 + m x
/// (at most 500, each O(nonzeros)) until some x > 0 satisfies m x ≤ (1 − 10⁻⁹) x row by
/// row, which bounds the spectral radius below 1 (Collatz–Wielandt). `false` means
/// only "no certificate yet": the caller falls back to the LU solve.
fn converges_by_sweeps(m: &DMatrix<f64>) -> bool {
    let n = m.nrows();
    let rows = positive_entries(m);
    let mut x = vec![1.0; n];
    let mx = |x: &[f64], i: usize| rows[i].iter().map(|&(j, v)| v * x[j]).sum::<f64>();
    for _ in 0..500 {
        for i in 0..n {
            x[i] = 1.0 + mx(&x, i);
        }
        if !x.iter().all(|v| v.is_finite()) {
            return false;
        }
        if (0..n).all(|i| mx(&x, i) <= (1.0 - 1e-9) * x[i]) {
            return true;
        }
    }
    false
}

/// Tarjan's strongly connected components of the graph with an edge i→j where m[i][j] > 0.
fn strongly_connected(m: &DMatrix<f64>) -> Vec<Vec<usize>> {
    strongly_connected_components(&positive_entries(m))
}

/// Row i of `m` as its positive entries (j, m_ij), j ascending: the sparse form of a
/// dense flow matrix (O(n²) reads).
fn positive_entries(m: &DMatrix<f64>) -> Vec<Vec<(usize, f64)>> {
    let n = m.nrows();
    (0..n)
        .map(|i| {
            (0..n)
                .filter(|&j| m[(i, j)] > 0.0)
                .map(|j| (j, m[(i, j)]))
                .collect()
        })
        .collect()
}

/// Tarjan's strongly connected components of the graph with an edge i → j for every
/// `(j, _)` in `adj[i]`, iteratively (no recursion, so no stack overflow on a chain of a
/// million). Every component comes after all the components it has an edge into.
/// O(n + edges) time and memory.
pub(crate) fn strongly_connected_components(adj: &[Vec<(usize, f64)>]) -> Vec<Vec<usize>> {
    let n = adj.len();
    let mut index = vec![usize::MAX; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut comps = Vec::new();
    let mut counter = 0;
    for root in 0..n {
        if index[root] != usize::MAX {
            continue;
        }
        let mut call: Vec<(usize, usize)> = vec![(root, 0)];
        index[root] = counter;
        low[root] = counter;
        counter += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some(&mut (v, ref mut next)) = call.last_mut() {
            if let Some(&(w, _)) = adj[v].get(*next) {
                *next += 1;
                if index[w] == usize::MAX {
                    index[w] = counter;
                    low[w] = counter;
                    counter += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    call.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
            } else {
                call.pop();
                if let Some(&(parent, _)) = call.last() {
                    low[parent] = low[parent].min(low[v]);
                }
                if low[v] == index[v] {
                    let mut comp = Vec::new();
                    while let Some(w) = stack.pop() {
                        on_stack[w] = false;
                        comp.push(w);
                        if w == v {
                            break;
                        }
                    }
                    comp.reverse();
                    comps.push(comp);
                }
            }
        }
    }
    comps
}

/// The rules on `on_full = "drop_head"`, each refused with its path and the fix.
fn check_drop_head(q: &Queue, path: &str, out: &mut Vec<Problem>) {
    let field = format!("{path}.on_full");
    match q.capacity {
        None => out.push(Problem::new(
            field.clone(),
            "\"drop_head\" needs a capacity: set capacity (the most messages in the node) or remove on_full",
        )),
        Some(k) if k <= u64::from(q.servers) => out.push(Problem::new(
            field.clone(),
            format!(
                "\"drop_head\" needs capacity > consumers (a waiting message to push out), got capacity {k} with {} consumers: raise capacity or use on_full = \"reject\"",
                q.servers
            ),
        )),
        Some(_) => {}
    }
    if q.partitions.is_some() || q.has_consumer_model() || q.discipline != Discipline::Fifo {
        out.push(Problem::new(
            field,
            "\"drop_head\" is supported on plain FIFO queues only (no partitions, prefetch, crash or priority discipline) yet: use on_full = \"reject\" there",
        ));
    }
}
