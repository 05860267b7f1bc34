//! End-to-end latency per source: from a message's creation until its last descendant
//! (every topic copy, every follow-up) is done — the figure a payment architect quotes.
//!
//! With T(i) the time from a message's arrival at queue i until everything it causes
//! is finished:
//! - T(i) = (time at i over all its deliveries, backoffs included) + T(next),
//! - T(next) is 0 on exit, T(j) for a queue, the route's mixture for a probabilistic
//!   choice, and max over the subscribers for a topic (fork-join).
//!
//! **Means.** Without fan-out the mean is the visit-weighted sum of the nodes' mean
//! sojourns (linearity of expectation: exact whenever the node means are, cycles
//! included, by solving m = τ + P m). With fan-out the mean of the maximum needs the
//! joint law: for identical plain M/M/1 leaf listeners fed by the topic alone it is
//! exact at K = 2 (Flatto–Hahn / Nelson–Tantawi), and W is labelled as exact as the
//! node means when every join on the paths is that case; beyond K = 2 it is the
//! Nelson–Tantawi approximation; otherwise the maximum of *independent* branches is
//! used, an upper bound since the branches share arrivals (labelled approximation).
//!
//! **Percentiles** come from the distributions of the nodes' sojourn times, combined on
//! a grid of 4096 cells (convolution for successive nodes, mixture for routes, product
//! of CDFs for fan-out), assuming successive sojourns independent; a path of one queue
//! takes that queue's own percentiles, with no grid. A tandem of M/M/1 queues fed by
//! Poisson arrivals (up to [`MAX_HYPOEXPONENTIAL_STAGES`]) has independent exponential
//! sojourns (Reich 1957): its end-to-end time is hypoexponential, and its percentiles
//! come exactly from that phase-type CDF (a matrix exponential), with no grid. Otherwise
//! the grid is labelled numerical where the nodes' distributions are exact and
//! independent, an approximation elsewhere. A path percentile is never the sum of node
//! percentiles.

use crate::analytic::method::{Exactness, Method};
use crate::analytic::metrics::{
    Percentiles, Queried, QueueMetrics, distribution_figure, invert_cdf, queried_value,
};
use crate::analytic::network::fork_join::homogeneous_mm1;
use crate::analytic::network::graph::{FlowGraph, fixed_point};
use crate::model::{Dest, Distribution, Metric, Model, NodeId, Topology};
use serde::{Deserialize, Serialize};

/// End-to-end latency of one source's messages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EndToEnd {
    /// The source's name.
    pub name: String,
    /// W: mean time from creation until the last descendant is done, seconds.
    pub w: Option<f64>,
    /// How W was obtained.
    pub w_method: Option<Method>,
    /// p50/p95/p99/p999 of that time, seconds.
    pub sojourn: Option<Percentiles>,
    /// How the percentiles were obtained.
    pub sojourn_method: Option<Method>,
    /// Width of the grid cell the percentiles were computed on, seconds: each
    /// percentile is within about one cell per node on the path of the exact value of
    /// the method.
    pub grid_cell: Option<f64>,
    /// Why a figure is missing, and what to do instead.
    pub note: Option<String>,
    /// The figures the model asked for beyond the standard ones (other percentile
    /// levels, P(T > t)), by the method of the percentiles.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub queried: Vec<Queried>,
}

impl EndToEnd {
    /// The value of an end-to-end `metric` (`W` or a sojourn percentile); `None` for
    /// other metrics or when unknown.
    ///
    /// # Example
    /// ```
    /// use kendall::{Level, Metric, Model, solve};
    /// let m = Model::load(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/single_queue.toml"))
    ///     .unwrap().validate().unwrap();
    /// let e = &solve(&m).unwrap().end_to_end[0];
    /// // One M/M/c queue: the end-to-end latency is its sojourn.
    /// let node = &solve(&m).unwrap().nodes[0];
    /// assert_eq!(e.get(Metric::MeanSojourn), node.get(Metric::MeanSojourn));
    /// assert!(e.method_of(Metric::SojournPercentile(Level::P99)).is_some());
    /// assert!(e.get(Metric::Utilisation).is_none());
    /// ```
    pub fn get(&self, metric: Metric) -> Option<f64> {
        match metric {
            Metric::MeanSojourn => self.w,
            Metric::SojournPercentile(l) if l.is_standard() => self.sojourn?.get(l),
            Metric::SojournPercentile(_) | Metric::SojournTail(_) => {
                queried_value(&self.queried, metric)
            }
            _ => None,
        }
    }

    /// The method behind `metric`, if there is a figure.
    pub fn method_of(&self, metric: Metric) -> Option<&Method> {
        match metric {
            Metric::MeanSojourn => self.w_method.as_ref(),
            Metric::SojournPercentile(_) | Metric::SojournTail(_) => {
                self.get(metric).and(self.sojourn_method.as_ref())
            }
            _ => None,
        }
    }
}

/// Cells of the grid on which distributions are combined.
pub(crate) const CELLS: usize = 4096;

/// Largest relative gap between the grid's mean and the exact mean of a path (no
/// fan-out) for which percentiles from the grid are reported.
const GRID_MEAN_TOLERANCE: f64 = 0.01;

/// A distribution on the grid: `mass[k]` at time k·h.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Grid {
    pub(crate) mass: Vec<f64>,
}

impl Grid {
    pub(crate) fn atom_zero() -> Self {
        let mut mass = vec![0.0; CELLS];
        mass[0] = 1.0;
        Self { mass }
    }
    pub(crate) fn from_cdf(cdf: &dyn Fn(f64) -> Option<f64>, h: f64) -> Option<Self> {
        let mut mass = vec![0.0; CELLS];
        let mut prev = 0.0;
        for (k, m) in mass.iter_mut().enumerate() {
            let f = if k + 1 == CELLS {
                1.0
            } else {
                cdf((k as f64 + 0.5) * h)?
            };
            *m = (f - prev).max(0.0);
            prev = prev.max(f);
        }
        Some(Self { mass })
    }
    pub(crate) fn convolve(&self, other: &Grid) -> Grid {
        let mut out = vec![0.0; CELLS];
        // Only the support of `other` (up to its last non-zero cell) is walked: the cost
        // is O(CELLS · support), not O(CELLS²), for a node far shorter than the horizon.
        let support = other
            .mass
            .iter()
            .rposition(|m| *m != 0.0)
            .map_or(0, |k| k + 1);
        for (i, a) in self.mass.iter().enumerate() {
            if *a == 0.0 {
                continue;
            }
            let inside = support.min(CELLS - i);
            for (j, b) in other.mass[..inside].iter().enumerate() {
                out[i + j] += a * b;
            }
            // Mass pushed beyond the horizon stays in the last cell.
            if inside < support {
                let spill: f64 = other.mass[inside..support].iter().sum();
                out[CELLS - 1] += a * spill;
            }
        }
        Grid { mass: out }
    }
    pub(crate) fn shift(&self, cells: usize) -> Grid {
        let mut out = vec![0.0; CELLS];
        for (k, m) in self.mass.iter().enumerate() {
            out[(k + cells).min(CELLS - 1)] += m;
        }
        Grid { mass: out }
    }
    pub(crate) fn mix(parts: &[(f64, Grid)]) -> Grid {
        let mut out = vec![0.0; CELLS];
        for (w, g) in parts {
            for (o, m) in out.iter_mut().zip(&g.mass) {
                *o += w * m;
            }
        }
        Grid { mass: out }
    }
    pub(crate) fn cdf(&self) -> Vec<f64> {
        let mut acc = 0.0;
        self.mass
            .iter()
            .map(|m| {
                acc += m;
                acc.min(1.0)
            })
            .collect()
    }
    pub(crate) fn max_of(parts: &[Grid]) -> Grid {
        let cdfs: Vec<Vec<f64>> = parts.iter().map(Grid::cdf).collect();
        let mut prev = 0.0;
        let mass = (0..CELLS)
            .map(|k| {
                let f: f64 = cdfs.iter().map(|c| c[k]).product();
                let m = (f - prev).max(0.0);
                prev = prev.max(f);
                m
            })
            .collect();
        Grid { mass }
    }
    pub(crate) fn mean(&self, h: f64) -> f64 {
        self.mass
            .iter()
            .enumerate()
            .map(|(k, m)| k as f64 * h * m)
            .sum()
    }
    pub(crate) fn quantile(&self, p: f64, h: f64) -> f64 {
        let mut acc = 0.0;
        for (k, m) in self.mass.iter().enumerate() {
            if acc + m >= p {
                // Interpolate within the cell [k - 1/2, k + 1/2].
                let frac = if *m > 0.0 { (p - acc) / m } else { 0.5 };
                return ((k as f64 - 0.5 + frac) * h).max(0.0);
            }
            acc += m;
        }
        (CELLS - 1) as f64 * h
    }
    /// P(T > t) on the grid's piecewise-linear CDF (the one [`Grid::quantile`] inverts).
    pub(crate) fn tail(&self, t: f64, h: f64) -> f64 {
        let x = t / h + 0.5;
        let k = x.floor();
        if k >= CELLS as f64 {
            return 0.0;
        }
        let k = k.max(0.0) as usize;
        let below: f64 = self.mass[..k].iter().sum();
        let within = self.mass[k] * (x - k as f64).clamp(0.0, 1.0);
        (1.0 - below - within).clamp(0.0, 1.0)
    }
}

/// Per-node facts the end-to-end computation needs.
struct NodeFacts<'a> {
    metrics: Option<&'a dyn QueueMetrics>,
    /// The node's sojourn percentiles, as its own figures report them.
    sojourn: Option<Percentiles>,
    /// Sojourn of one delivery is exactly known and successive nodes' sojourns are
    /// independent (M/M/1 with Poisson input, single visit).
    reich: bool,
    /// Mean sojourn of this source's priority class at a priority queue.
    class_w: Option<f64>,
    /// Its sojourn is independent of the other nodes' on a path: `reich`, or a delay
    /// station with Poisson input (a message's own service time touches no one else,
    /// and the others leave it as a Poisson stream: Mirasol 1963).
    independent: bool,
}

/// End-to-end latency for every source of `model`, given each queue's solved metrics
/// (`None` where the node could not be solved) and whether its input is Poisson.
///
/// # Example
/// ```
/// use kendall::{Model, solve};
/// let m = Model::load(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/payments.toml")).unwrap();
/// let s = solve(&m.validate().unwrap()).unwrap();
/// let e2e = &s.end_to_end[0];
/// // At least the payment queue's mean plus the slowest listener's mean.
/// assert!(e2e.w.unwrap() > 0.0120459 + 0.00698);
/// assert!(e2e.sojourn.unwrap().p99 > e2e.w.unwrap());
/// ```
/// `sojourns[i]` are queue i's sojourn percentiles as its node figures report them (a
/// path of that one queue takes them as they are). `class_w[i]` lists, for a priority queue i, the mean sojourn of each priority class
/// as `(priority, W)`; a source's messages use their own class's figure there (and have
/// no percentiles through it). `queried` are the end-to-end figures the model asks for
/// beyond the standard ones ([`QueriedMetrics::end_to_end`](crate::model::QueriedMetrics)).
pub(crate) fn end_to_end(
    model: &Model,
    topology: &Topology,
    nodes: &[Option<&dyn QueueMetrics>],
    sojourns: &[Option<Percentiles>],
    poisson_input: &[bool],
    class_w: &[Vec<(u32, f64)>],
    queried: &[Metric],
) -> Vec<EndToEnd> {
    // The flow's structure, read once for all sources.
    let graph = FlowGraph::new(topology);
    model
        .sources
        .iter()
        .zip(&topology.source_dest)
        .map(|(s, dest)| {
            let facts: Vec<NodeFacts> = model
                .queues
                .iter()
                .enumerate()
                .map(|(i, q)| NodeFacts {
                    metrics: nodes[i],
                    sojourn: sojourns.get(i).copied().flatten(),
                    reich: poisson_input[i]
                        && q.servers == 1
                        && matches!(q.service, Distribution::Exponential { .. })
                        && q.failure_probability == 0.0
                        && q.capacity.is_none(),
                    independent: poisson_input[i] && q.is_delay(),
                    class_w: class_w
                        .get(i)
                        .and_then(|c| c.iter().find(|(p, _)| *p == s.priority))
                        .map(|(_, w)| *w),
                })
                .collect();
            one_source(
                model,
                topology,
                &graph,
                &facts,
                (&s.name, Dest::Node(*dest)),
                queried,
            )
        })
        .collect()
}

/// Outgoing branches of queue i as (probability, destination), dead-lettering included.
fn branches(model: &Model, topology: &Topology, i: usize) -> Vec<(f64, Dest)> {
    let q = &model.queues[i];
    let exhausted = q.exhausted_probability();
    let mut out: Vec<(f64, Dest)> = topology
        .route_shares(i)
        .map(|(p, d)| (p * (1.0 - exhausted), d))
        .collect();
    if exhausted > 0.0 {
        out.push((exhausted, topology.dead_letter[i]));
    }
    out
}

/// The most queues of a tandem solved as one hypoexponential (its matrix exponential
/// costs O(n³) per evaluation); longer tandems use the grid.
pub const MAX_HYPOEXPONENTIAL_STAGES: usize = 32;

/// The sojourn rates μᵢ − λ of the queues from `start` when they form a chain of
/// M/M/1 queues fed by Poisson arrivals (each with one route onward, all reachable
/// queues on it, at most [`MAX_HYPOEXPONENTIAL_STAGES`], at least two), each node's
/// sojourn checked to be the exponential of its mean; else `None`.
fn reich_tandem(
    model: &Model,
    topology: &Topology,
    facts: &[NodeFacts],
    start: Dest,
    members: &[usize],
) -> Option<Vec<f64>> {
    let Dest::Node(NodeId::Queue(mut i)) = start else {
        return None;
    };
    let mut rates = Vec::new();
    loop {
        let q = &model.queues[i];
        let f = &facts[i];
        let m = f.metrics?;
        let plain = plain_reich(q, f);
        let w = m.mean_sojourn();
        let exponential = [1.0, 3.0].iter().all(|&k| {
            m.sojourn_cdf(k * w)
                .is_some_and(|c| (c - (1.0 - (-k).exp())).abs() < 1e-12)
        });
        if !(plain && exponential && w > 0.0 && w.is_finite())
            || rates.len() == MAX_HYPOEXPONENTIAL_STAGES
        {
            return None;
        }
        rates.push(1.0 / w);
        match branches(model, topology, i).as_slice() {
            [(p, Dest::Exit)] if *p == 1.0 => break,
            [(p, Dest::Node(NodeId::Queue(j)))] if *p == 1.0 => {
                if rates.len() > members.len() {
                    return None;
                }
                i = *j;
            }
            _ => return None,
        }
    }
    (rates.len() >= 2 && rates.len() == members.len()).then_some(rates)
}

/// Queue `q` (with facts `f`) is Reich's M/M/1 (Poisson input, one exponential
/// consumer, no failures or capacity) with no other feature: no priority class, TTL,
/// partitions or consumer model (prefetch, crashes, ack timeout), FIFO.
fn plain_reich(q: &crate::model::Queue, f: &NodeFacts) -> bool {
    f.reich
        && f.class_w.is_none()
        && q.ttl.is_none()
        && q.partitions.is_none()
        && !q.has_consumer_model()
        && q.discipline == crate::model::Discipline::Fifo
}

/// Whether `a` and `b` agree to 1e-12 relative.
fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * a.abs().max(b.abs())
}

/// (λ, μ) of queue `i` when it is a plain M/M/1 ([`plain_reich`]) whose solved mean
/// sojourn is that of M/M/1, 1/(μ − λ); else `None`.
fn plain_mm1(model: &Model, facts: &[NodeFacts], i: usize) -> Option<(f64, f64)> {
    let (q, f) = (&model.queues[i], &facts[i]);
    let m = f.metrics?;
    let (lambda, mu) = (m.arrival_rate(), 1.0 / q.service.mean());
    let mm1 = plain_reich(q, f)
        && lambda > 0.0
        && lambda < mu
        && close(m.mean_sojourn() * (mu - lambda), 1.0);
    mm1.then_some((lambda, mu))
}

/// Whether queue `j`'s only input is topic `t`'s copies: no source sends to it, no queue
/// routes or dead-letters to it, and it subscribes to no other topic.
fn fed_only_by_topic(topology: &Topology, t: usize, j: usize) -> bool {
    let to_j = Dest::Node(NodeId::Queue(j));
    !topology.source_dest.contains(&NodeId::Queue(j))
        && topology.routes.iter().flatten().all(|(_, d)| *d != to_j)
        && !topology.dead_letter.contains(&to_j)
        && topology
            .subscribers
            .iter()
            .enumerate()
            .all(|(u, subs)| u == t || !subs.contains(&j))
}

/// The common (λ, μ) of topic `t`'s subscribers when they are identical plain M/M/1
/// listeners ([`plain_mm1`]) that route only to exit and receive nothing but this
/// topic's copies, so that every event forks into the same arrival at each: the case
/// the fork-join formulas ([`homogeneous_mm1`]) describe. `None` otherwise (a
/// listener with crashes, or with traffic of its own, is not that case).
fn identical_mm1_leaves(
    model: &Model,
    topology: &Topology,
    facts: &[NodeFacts],
    t: usize,
) -> Option<(f64, f64)> {
    let mut common: Option<(f64, f64)> = None;
    for &j in &topology.subscribers[t] {
        let (lambda, mu) = plain_mm1(model, facts, j)?;
        let leaf =
            matches!(branches(model, topology, j).as_slice(), [(p, Dest::Exit)] if *p == 1.0);
        if !leaf || !fed_only_by_topic(topology, t, j) {
            return None;
        }
        match common {
            Some((l, m)) if !(close(l, lambda) && close(m, mu)) => return None,
            _ => common = Some((lambda, mu)),
        }
    }
    common
}

/// P(T > t) of the sum of independent exponentials of `rates`: α·e^{St}·1 with S
/// bidiagonal (−rᵢ on the diagonal, rᵢ above), α = e₁ (percentiles by root finding).
fn hypoexponential_tail(rates: &[f64]) -> impl Fn(f64) -> f64 {
    let n = rates.len();
    let mut s = nalgebra::DMatrix::<f64>::zeros(n, n);
    for (k, &r) in rates.iter().enumerate() {
        s[(k, k)] = -r;
        if k + 1 < n {
            s[(k, k + 1)] = r;
        }
    }
    move |t: f64| {
        let e = (&s * t).exp();
        e.row(0).sum().clamp(0.0, 1.0)
    }
}

fn mean_time_at(facts: &[NodeFacts], m: &dyn QueueMetrics, i: usize) -> f64 {
    facts[i].class_w.unwrap_or_else(|| m.mean_sojourn())
}

fn one_source(
    model: &Model,
    topology: &Topology,
    graph: &FlowGraph,
    facts: &[NodeFacts],
    (name, start): (&str, Dest),
    queried: &[Metric],
) -> EndToEnd {
    let mut result = EndToEnd {
        name: name.to_string(),
        w: None,
        w_method: None,
        sojourn: None,
        sojourn_method: None,
        grid_cell: None,
        note: None,
        queried: Vec::new(),
    };
    // The queried figures from a quantile function and a tail function of the time.
    let figures = |quantile: &dyn Fn(f64) -> Option<f64>, tail: &dyn Fn(f64) -> Option<f64>| {
        queried
            .iter()
            .filter_map(|&metric| {
                let v = match metric {
                    Metric::SojournPercentile(l) => quantile(l.p()),
                    Metric::SojournTail(t) => tail(t.seconds()),
                    _ => None,
                }?;
                v.is_finite().then_some(Queried { metric, value: v })
            })
            .collect::<Vec<_>>()
    };
    let entries = match start {
        Dest::Node(n) => topology.entries(n),
        Dest::Exit => vec![],
    };
    let reach = graph.reachable(&entries);
    let members: Vec<usize> = (0..reach.len()).filter(|&i| reach[i]).collect();
    if let Some(&bad) = members.iter().find(|&&i| facts[i].metrics.is_none()) {
        result.note = Some(format!(
            "queue {:?} on the path has no analytic solution: simulate for end-to-end latency",
            model.queues[bad].name
        ));
        return result;
    }
    // Messages that expire at a queue with a TTL (or are pushed out by drop-head
    // overflow) and a dead-letter target go on after waiting, a branch the node's figures (those of served messages) do not
    // describe. (Expired messages without a target are lost: like the simulator, the
    // end-to-end figures then describe the messages that were not lost.)
    if let Some(&bad) = members.iter().find(|&&i| {
        let Some(m) = facts[i].metrics else {
            return false;
        };
        let pushed_out = model.queues[i].on_full == crate::model::OnFull::DropHead
            && model.queues[i].capacity.is_some()
            && m.prob_block().is_some_and(|p| p > 0.0);
        topology.dead_letter[i] != Dest::Exit
            && (m.prob_expire().is_some_and(|p| p > 0.0) || pushed_out)
    }) {
        result.note = Some(format!(
            "messages that expire or are pushed out at queue {:?} go on to its dead-letter target, a branch the analytic end-to-end latency does not cover: simulate for end-to-end latency",
            model.queues[bad].name
        ));
        return result;
    }
    let fan_out = matches!(start, Dest::Node(NodeId::Topic(_)))
        || members.iter().any(|&i| {
            branches(model, topology, i)
                .iter()
                .any(|(_, d)| matches!(d, Dest::Node(NodeId::Topic(_))))
        });
    let weakest = members
        .iter()
        .map(|&i| facts[i].metrics.expect("checked").method().exactness)
        .max_by_key(|e| match e {
            Exactness::Exact => 0,
            Exactness::Numerical => 1,
            Exactness::Approximation => 2,
        })
        .unwrap_or(Exactness::Exact);
    let cyclic = members.iter().any(|&i| graph.cyclic[i]);
    if cyclic {
        if fan_out {
            result.note =
                Some("a cycle through a topic fan-out: simulate for end-to-end latency".into());
            return result;
        }
        // m = tau + P m on the reachable queues (no fan-out: rows are route splits),
        // sparse: substitution along acyclic parts, a solve per cycle.
        let mut local = vec![usize::MAX; reach.len()];
        for (r, &i) in members.iter().enumerate() {
            local[i] = r;
        }
        let mut deps: Vec<Vec<(usize, f64)>> = vec![Vec::new(); members.len()];
        let mut tau = vec![0.0; members.len()];
        for (r, &i) in members.iter().enumerate() {
            tau[r] = mean_time_at(facts, facts[i].metrics.expect("checked"), i);
            for (p, d) in branches(model, topology, i) {
                if let Dest::Node(NodeId::Queue(j)) = d
                    && local[j] != usize::MAX
                {
                    deps[r].push((local[j], p));
                }
            }
        }
        if let Some(m) = fixed_point(&deps, &tau) {
            result.w = Some(entries.iter().map(|&e| m[local[e]]).sum());
            result.w_method = Some(label(
                weakest,
                "visit-weighted sum of per-node mean sojourns (paths with cycles)",
            ));
        }
        result.note =
            Some("percentiles of paths with cycles are not computed analytically: simulate".into());
        return result;
    }

    // One queue and nothing after it: the end-to-end time is that queue's sojourn, whose
    // percentiles it knows at full precision; no grid, and no O(cells) evaluations of
    // its CDF (each O(√(cμt)) for an M/M/c/K far above saturation).
    if let Dest::Node(NodeId::Queue(i)) = start
        && members == [i]
        && facts[i].class_w.is_none()
        && branches(model, topology, i)
            .iter()
            .all(|(_, d)| *d == Dest::Exit)
    {
        let m = facts[i].metrics.expect("checked");
        result.w = Some(mean_time_at(facts, m, i));
        result.w_method = Some(label(weakest, "the one queue's mean sojourn"));
        result.sojourn = facts[i].sojourn;
        result.queried = queried
            .iter()
            .filter_map(|&metric| {
                distribution_figure(m, metric).map(|value| Queried { metric, value })
            })
            .collect();
        match result.sojourn {
            Some(_) => {
                result.sojourn_method = Some(m.distribution_method().unwrap_or_else(|| m.method()));
            }
            None => {
                result.note = Some(
                    "the queue has no known sojourn distribution: simulate for percentiles".into(),
                );
            }
        }
        return result;
    }

    // A tandem of M/M/1 queues fed by Poisson arrivals: independent exponential
    // sojourns (Reich 1957), so the end-to-end time is hypoexponential, exact
    // percentiles from its phase-type CDF, no grid.
    if let Some(rates) = reich_tandem(model, topology, facts, start, &members) {
        result.w = Some(rates.iter().map(|r| 1.0 / r).sum());
        result.w_method = Some(label(
            weakest,
            "sum of per-node mean sojourns along the routes",
        ));
        let tail = hypoexponential_tail(&rates);
        let mean = result.w.unwrap_or(1.0);
        let quantile = |p: f64| invert_cdf(|t| 1.0 - tail(t), p, mean);
        result.sojourn = Percentiles::from_fn(quantile);
        if result.sojourn.is_some() {
            result.queried = figures(&quantile, &|t| Some(tail(t)));
        }
        result.sojourn_method = result.sojourn.map(|_| {
            Method::exact(
                format!(
                    "hypoexponential: the sum of the {} M/M/1 sojourns Exp(μᵢ − λ), independent in a Poisson-fed tandem; CDF by the matrix exponential of its phase-type form",
                    rates.len()
                ),
                "Reich (1957), Ann. Math. Statist. 28(3); Burke (1956), Oper. Res. 4(6)",
            )
        });
        if result.sojourn.is_some() {
            return result;
        }
    }

    // Grid horizon: the longest path, each node counted at a far quantile of its time
    // (the reachable queues form a DAG here), so it bounds any path's time; summing
    // over every reachable queue instead would make the cells of a wide fan-out
    // far coarser than its nodes. Longest path by one pass downstream-first over the
    // DAG: O(members + edges).
    let mut longest = vec![0.0f64; reach.len()];
    for &i in graph.upstream_first.iter().rev().filter(|&&i| reach[i]) {
        // Node figures are per message: redeliveries and backoffs are already inside.
        let m = facts[i].metrics.expect("checked");
        let here = m
            .sojourn_quantile(1.0 - 1e-9)
            .unwrap_or(40.0 * m.mean_sojourn());
        let after = graph.succ[i]
            .iter()
            .map(|&(j, _)| longest[j])
            .fold(0.0, f64::max);
        longest[i] = here + after;
    }
    let horizon = entries.iter().map(|&e| longest[e]).fold(0.0, f64::max);
    let h = horizon / CELLS as f64;
    let mut memo: Memo = vec![None; model.queues.len()];
    let mut joins = Joins::default();
    let total = time_from(model, topology, facts, start, h, &mut memo, &mut joins);
    let Some((mean, grid)) = total else {
        result.note =
            Some("end-to-end latency could not be formed from the nodes' figures: simulate".into());
        return result;
    };
    result.w = Some(mean);
    result.w_method = Some(if !fan_out {
        label(weakest, "sum of per-node mean sojourns along the routes")
    } else if joins.exact > 0 && joins.approximate == 0 && joins.independent == 0 {
        // Every join is two identical M/M/1 listeners fed by a Poisson stream: the
        // mean is a sum of node means and exact fork-join means (linearity of
        // expectation), as exact as the node means are. Only the mean: the
        // percentiles still join the branches as independent.
        labelled(
            weakest,
            "sum of per-node mean sojourns along the routes, each topic join of two identical M/M/1 listeners by its exact mean (12 − ρ)/8 · 1/(μ − λ) (Flatto–Hahn)",
            "Flatto & Hahn (1984), SIAM J. Appl. Math. 44(5); Nelson & Tantawi (1988), IEEE Trans. Computers 37(6), eq. (3); linearity of expectation over the routes",
        )
    } else if joins.exact + joins.approximate > 0 {
        Method::approximation(
            "fork-join of identical M/M/1 listeners (Flatto–Hahn exact for 2, Nelson–Tantawi beyond); other joins as independent branches",
            "Nelson & Tantawi (1988), IEEE Trans. Computers 37(6)",
        )
    } else {
        Method::approximation(
            "fork-join as the maximum of independent branches (an upper bound: listeners share arrivals)",
            "Nelson & Tantawi (1988); Baccelli, Massey & Towsley (1989)",
        )
    });
    // The grid's own check: without fan-out its mean must match the exact sum of node
    // means. A path of many nodes, each far shorter than a cell (a chain of 1 000 queues
    // on a 4 096-cell grid), rounds every node's time and shifts the percentiles with
    // it: refuse those rather than print them.
    if let Some(g) = &grid
        && !fan_out
    {
        let grid_mean = g.mean(h);
        if (grid_mean - mean).abs() > GRID_MEAN_TOLERANCE * mean {
            result.note = Some(format!(
                "the path is too long for a {CELLS}-cell grid (cell {h:.3e} s): its mean is off by {:.1}% from the exact {mean:.6} s, so percentiles are not reported; simulate for them",
                100.0 * (grid_mean - mean).abs() / mean
            ));
            return result;
        }
    }
    match grid {
        Some(g) => {
            result.sojourn = Percentiles::from_fn(|p| Some(g.quantile(p, h)));
            result.queried = figures(&|p| Some(g.quantile(p, h)), &|t| Some(g.tail(t, h)));
            result.grid_cell = Some(h);
            let independent = {
                // Independent when every node but delay stations is Reich's M/M/1, or
                // when at most one node is not a delay station.
                let others: Vec<usize> = members
                    .iter()
                    .copied()
                    .filter(|&i| !facts[i].independent)
                    .collect();
                !fan_out && (others.len() <= 1 || others.iter().all(|&i| facts[i].reich))
            };
            let grid_note = format!(
                "numerical convolution on a {CELLS}-cell grid, cell {:.3e} s",
                h
            );
            result.sojourn_method = Some(if independent {
                Method::numerical(
                    format!("exact sojourn distributions combined ({grid_note})"),
                    "Reich (1957), Ann. Math. Stat. 28: independent sojourns in tandem M/M/1; Mirasol (1963), Oper. Res. 11: M/G/∞ departures are Poisson",
                )
            } else {
                Method::approximation(
                    format!("node sojourn distributions combined as if independent ({grid_note})"),
                    "independence approximation; fork-join as maximum of independent branches",
                )
            });
        }
        None => {
            result.note = Some(
                "a node on the path has no known sojourn distribution: simulate for percentiles"
                    .into(),
            );
        }
    }
    result
}

fn label(weakest: Exactness, what: &str) -> Method {
    labelled(weakest, what, "linearity of expectation over the routes")
}

/// `what` with `reference`, as exact as the weakest node figure it is built on.
fn labelled(weakest: Exactness, what: &str, reference: &str) -> Method {
    match weakest {
        Exactness::Exact => Method::exact(what, reference),
        Exactness::Numerical => Method::numerical(what, reference),
        Exactness::Approximation => {
            Method::approximation(format!("{what} (from approximate node figures)"), reference)
        }
    }
}

type Memo = Vec<Option<Option<(f64, Option<Grid>)>>>;

/// How the topic joins on a source's paths were formed, counted as
/// [`time_from`] meets them.
#[derive(Debug, Default)]
struct Joins {
    /// By an exact mean: two identical M/M/1 listeners (Flatto–Hahn).
    exact: u32,
    /// By the Nelson–Tantawi approximation: more identical M/M/1 listeners.
    approximate: u32,
    /// As the maximum of independent branches (an upper bound).
    independent: u32,
}

/// Mean and (if known) grid distribution of the time from arriving at `dest` until
/// everything is done.
#[allow(clippy::too_many_arguments)]
fn time_from(
    model: &Model,
    topology: &Topology,
    facts: &[NodeFacts],
    dest: Dest,
    h: f64,
    memo: &mut Memo,
    joins: &mut Joins,
) -> Option<(f64, Option<Grid>)> {
    match dest {
        Dest::Exit => Some((0.0, Some(Grid::atom_zero()))),
        Dest::Node(NodeId::Queue(i)) => {
            if let Some(done) = &memo[i] {
                return done.clone();
            }
            let value = queue_time(model, topology, facts, i, h, memo, joins);
            memo[i] = Some(value.clone());
            value
        }
        Dest::Node(NodeId::Topic(t)) => {
            let subs = &topology.subscribers[t];
            let parts: Vec<(f64, Option<Grid>)> = subs
                .iter()
                .map(|&j| {
                    time_from(
                        model,
                        topology,
                        facts,
                        Dest::Node(NodeId::Queue(j)),
                        h,
                        memo,
                        joins,
                    )
                })
                .collect::<Option<_>>()?;
            let grids: Option<Vec<Grid>> = parts.iter().map(|(_, g)| g.clone()).collect();
            let max_grid = grids.map(|g| Grid::max_of(&g));
            // Identical M/M/1 leaves fed by this topic alone: the fork-join formulas.
            if subs.len() >= 2
                && let Some((lambda, mu)) = identical_mm1_leaves(model, topology, facts, t)
                && let Ok(fj) = homogeneous_mm1(subs.len() as u32, lambda, mu)
            {
                match fj.method.exactness {
                    Exactness::Exact => joins.exact += 1,
                    _ => joins.approximate += 1,
                }
                return Some((fj.mean_response, max_grid));
            }
            let mean = max_grid.as_ref().map(|g| g.mean(h))?;
            joins.independent += 1;
            Some((mean, max_grid))
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn queue_time(
    model: &Model,
    topology: &Topology,
    facts: &[NodeFacts],
    i: usize,
    h: f64,
    memo: &mut Memo,
    joins: &mut Joins,
) -> Option<(f64, Option<Grid>)> {
    let m = facts[i].metrics?;
    let here_mean = mean_time_at(facts, m, i);
    // Distribution of the time at this node (per message: a node with redeliveries
    // already reports its sojourn over all deliveries).
    let here = if facts[i].class_w.is_some() {
        None
    } else {
        Grid::from_cdf(&|t| m.sojourn_cdf(t), h)
    };
    let mut after_mean = 0.0;
    let mut after_parts = Vec::new();
    let mut grid_known = here.is_some();
    for (p, d) in branches(model, topology, i) {
        let (mean, grid) = time_from(model, topology, facts, d, h, memo, joins)?;
        after_mean += p * mean;
        match grid {
            Some(g) => after_parts.push((p, g)),
            None => grid_known = false,
        }
    }
    let grid = if grid_known {
        let after = Grid::mix(&after_parts);
        here.map(|g| after.convolve(&g))
    } else {
        None
    };
    Some((here_mean + after_mean, grid))
}

/// The distribution of the total time of a message over its deliveries: `one` is the
/// per-delivery sojourn, a delivery fails with probability `f`, at most `max_attempts`;
/// after the k-th failure the message waits a backoff drawn uniformly on `backoff(k)` =
/// (lo, hi) (a point when lo = hi); deliveries are taken as independent.
pub(crate) fn deliveries_grid(
    one: &Grid,
    f: f64,
    max_attempts: u32,
    backoff: &dyn Fn(u32) -> (f64, f64),
    h: f64,
) -> Grid {
    if f == 0.0 || max_attempts <= 1 {
        return one.clone();
    }
    let mut parts = Vec::new();
    let mut acc = one.clone();
    let mut reach = 1.0; // f^(k-1): probability of a k-th delivery
    for k in 1..=max_attempts {
        let p = if k < max_attempts {
            reach * (1.0 - f)
        } else {
            reach
        };
        reach *= f;
        parts.push((p, acc.clone()));
        if k < max_attempts {
            let (lo, hi) = backoff(k);
            acc = acc.convolve(one);
            let uniform = (hi > lo)
                .then(|| Grid::from_cdf(&|t| Some(((t - lo) / (hi - lo)).clamp(0.0, 1.0)), h))
                .flatten();
            acc = match uniform {
                Some(u) => acc.convolve(&u),
                None => acc.shift((lo / h).round() as usize),
            };
        }
    }
    Grid::mix(&parts)
}
