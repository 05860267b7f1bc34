//! Warnings on simulated figures the run cannot stand behind: an overloaded queue, a
//! backlog that kept growing, a horizon too short for the load.
//!
//! A simulation always returns its figures, but a mean or a p99 of a queue whose
//! backlog grows through the run describes the length of the run, not the system:
//! every affected figure is marked. The checks run once, on the replications' results
//! (no cost in the event loop):
//!
//! * [`WarningKind::Overloaded`]: a queue without a capacity whose offered load per
//!   consumer, a = λ × expected deliveries × E\[S\] / c (λ measured: the messages that
//!   reached it per second), is ≥ 1 with confidence: the lower end of its interval
//!   across replications (the mean with one replication) is ≥ 1. No steady state
//!   exists.
//! * [`WarningKind::NotStationary`]: the queue's backlog grew through the measured
//!   window by more than [`GROWTH_SHARE`] of its arrivals per replication, with the
//!   interval of that share above zero (so a growth within the run's own spread does not
//!   count); or, over the whole run, more than [`IN_FLIGHT_SHARE`] of the messages
//!   offered to it are still in it at the end.
//! * [`WarningKind::ShortHorizon`]: the estimated relaxation time τ of the queue is at
//!   least [`SHORT_HORIZON_FRACTION`] of the measured time per replication (see
//!   [`relaxation_time`]).
//! * [`WarningKind::FewObservations`]: a queue or source measured so few messages per
//!   replication that a percentile level p has fewer than [`MIN_TAIL_OBSERVATIONS`]
//!   observations above it (n·(1 − p) < 5): that percentile is read off the last few
//!   messages of each replication, not estimated. It affects only those levels (a
//!   dead-letter queue that saw one message per run has no p50 to stand behind; a
//!   100-second run at 50 messages/s has a p99 but no p999). It is added only to a node
//!   without another warning (those already mark every percentile), and never passed
//!   on: a quiet dead-letter queue says nothing of its sources' end-to-end figures.
//! * [`WarningKind::TailBias`]: a percentile of a queue (wait or sojourn) or of a
//!   source's end-to-end latency whose replications' own quantiles ξᵢ differ from the
//!   quantile ξ of all their messages pooled (the figure reported, see
//!   [`Estimate::sectioned`]) by more than their Student-t interval allows,
//!   |mean ξᵢ − ξ| > t · s/√n with s the spread of the ξᵢ, and by more than twice the
//!   histogram's rounding. Without bias the two agree to second order (the pooled
//!   quantile is close to the mean of the sections), so the gap measures how much the
//!   quantile moves between a run of one replication's length and one of all of them:
//!   the tail has not settled, and the pooled figure is likely biased the same way
//!   (at load 0.95 an M/M/1's p999 from ten 200 s replications is 10% low). Found
//!   per level; it affects that level and the higher ones of the same latency. Added
//!   only to a node without another warning.
//!
//! Each warning names the node, says why in words, carries its evidence and lists the
//! metrics it affects; a source whose messages pass through a flagged queue gets the
//! same warning on its end-to-end figures.

use super::estimate::Estimate;
use super::report::{ReplicationResult, SimReport};
use crate::model::{Dest, Level, Metric, Model, NodeId, Topology};
use serde::{Deserialize, Serialize};

/// A queue's backlog growth over the measured window, as a share of its arrivals, above
/// which it is not stationary (2%). A stationary queue's backlog at the end differs from
/// the one at the start by O(L) messages, a vanishing share of λT arrivals; a queue at
/// offered load 1 + ε grows by about ε/(1 + ε) of its arrivals, so this flags loads
/// above about 1.02 in any run long enough to measure them, and short runs where the
/// queue is still filling (L ≥ 2% of the arrivals: the horizon is under 50 mean
/// sojourns).
pub const GROWTH_SHARE: f64 = 0.02;

/// Share of the messages offered to a queue over the whole run that are still in it at
/// the end, above which it is not stationary (25%): the run is under four mean
/// sojourns long, or a start-up backlog has not drained.
pub const IN_FLIGHT_SHARE: f64 = 0.25;

/// A queue's estimated relaxation time τ at or above this fraction of the measured
/// time (1/10) gives a short-horizon warning. A run of T covers about T/(2τ)
/// independent stretches of the queue's history: below 5 of them per replication, the
/// transient from the start weighs about τ/T ≥ 10% on time averages, and tail
/// percentiles (p99, p999), which need many independent congestion episodes, come out
/// biased low with intervals too narrow.
pub const SHORT_HORIZON_FRACTION: f64 = 0.1;

/// The fewest observations above a percentile level per replication (on average) for
/// the simulated percentile to count as an estimate (5): with n messages per
/// replication, level p is flagged when n·(1 − p) < 5, so p999 needs 5 000 messages per
/// replication, p99 500 and p50 10. The number of observations above the true quantile
/// is Binomial(n, 1 − p); below the textbook n(1 − p) ≥ 5 of its normal approximation
/// the per-replication quantile is one of the few largest values of the run (biased,
/// and its spread across replications says little).
pub const MIN_TAIL_OBSERVATIONS: f64 = 5.0;

/// Why a figure is marked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum WarningKind {
    /// Offered load per consumer ≥ 1 on a queue without a capacity: no steady state.
    Overloaded,
    /// The backlog grew through the run (or most messages were still in the queue at
    /// the end): the figures have not settled.
    NotStationary,
    /// The horizon is short for the load: percentiles biased low, intervals too narrow.
    ShortHorizon,
    /// Too few messages measured per replication for the higher percentile levels
    /// (fewer than [`MIN_TAIL_OBSERVATIONS`] above the level).
    FewObservations,
    /// A percentile still moves with the length of the run: the replications' own
    /// quantiles differ with confidence from the quantile of all of them pooled, so the
    /// pooled figure is likely biased the same way.
    TailBias,
}

impl WarningKind {
    /// The name used in JSON and tables: `overloaded`, `not_stationary`,
    /// `short_horizon`, `few_observations`, `tail_bias`.
    ///
    /// # Example
    /// ```
    /// assert_eq!(kendall::sim::WarningKind::ShortHorizon.name(), "short_horizon");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            WarningKind::Overloaded => "overloaded",
            WarningKind::NotStationary => "not_stationary",
            WarningKind::ShortHorizon => "short_horizon",
            WarningKind::FewObservations => "few_observations",
            WarningKind::TailBias => "tail_bias",
        }
    }

    /// Whether figures under this warning have no steady state to estimate (as
    /// opposed to a steady state estimated from too short a run).
    pub fn is_unsettled(self) -> bool {
        matches!(self, WarningKind::Overloaded | WarningKind::NotStationary)
    }
}

/// The figures behind a warning (those that apply; all per replication, averaged).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Evidence {
    /// Offered load per consumer, a = λ × deliveries × E\[S\] / c.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offered_load: Option<f64>,
    /// Lower end of the interval of `offered_load` across replications.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offered_load_lower: Option<f64>,
    /// Growth of the number in the node over the measured window, messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backlog_growth: Option<f64>,
    /// `backlog_growth` / messages that reached the node in the window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub growth_share: Option<f64>,
    /// Share of the messages offered over the whole run still in the node at the end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_flight_share: Option<f64>,
    /// Measured utilisation per consumer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utilisation: Option<f64>,
    /// Estimated relaxation time τ, seconds (see [`relaxation_time`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relaxation_time: Option<f64>,
    /// Messages measured per replication (the mean over replications): the sample
    /// behind the node's percentiles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observations: Option<f64>,
    /// Measured time per replication, seconds.
    pub measured_time: f64,
}

/// One warning on the figures of one node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SimWarning {
    /// What is wrong.
    pub kind: WarningKind,
    /// The node: a queue name, or `end_to_end:<source>`.
    pub node: String,
    /// The queue whose state caused it (the node itself for a queue).
    pub queue: String,
    /// What is wrong, the evidence in words and what to do.
    pub message: String,
    /// The figures behind it.
    pub evidence: Evidence,
    /// The metrics of `node` it affects.
    pub metrics: Vec<Metric>,
}

impl SimWarning {
    /// Whether it affects `metric` of its node: one of its `metrics`, or a figure of
    /// the same distribution (another percentile level, a tail probability) when it
    /// affects that distribution's p99. A [`WarningKind::FewObservations`] warning
    /// affects exactly the percentile levels p of its distributions with
    /// `observations`·(1 − p) < [`MIN_TAIL_OBSERVATIONS`] (any level, not only the
    /// four standard ones).
    ///
    /// # Example
    /// ```
    /// use kendall::{Level, Metric, sim::{Evidence, SimWarning, WarningKind}};
    /// let w = SimWarning {
    ///     kind: WarningKind::ShortHorizon,
    ///     node: "q".into(),
    ///     queue: "q".into(),
    ///     message: String::new(),
    ///     evidence: Evidence::default(),
    ///     metrics: vec![Metric::SojournPercentile(Level::P99)],
    /// };
    /// assert!(w.affects("P(>50ms)".parse().unwrap()) && w.affects("p9995".parse().unwrap()));
    /// assert!(!w.affects("wait.P(>50ms)".parse().unwrap()));
    /// ```
    pub fn affects(&self, metric: Metric) -> bool {
        if self.kind == WarningKind::TailBias {
            // The levels found biased, and every higher level of the same latency.
            return match metric {
                Metric::SojournPercentile(l) | Metric::WaitPercentile(l) => {
                    self.metrics.iter().any(|m| match (m, metric) {
                        (Metric::SojournPercentile(k), Metric::SojournPercentile(_))
                        | (Metric::WaitPercentile(k), Metric::WaitPercentile(_)) => l.p() >= k.p(),
                        _ => false,
                    })
                }
                m => self.metrics.contains(&m),
            };
        }
        if self.kind == WarningKind::FewObservations {
            return match metric {
                Metric::SojournPercentile(l) | Metric::WaitPercentile(l) => {
                    let family =
                        |m: &Metric| std::mem::discriminant(m) == std::mem::discriminant(&metric);
                    self.metrics.iter().any(family)
                        && too_few(self.evidence.observations.unwrap_or(0.0), l)
                }
                m => self.metrics.contains(&m),
            };
        }
        let family = match metric {
            Metric::SojournPercentile(_) | Metric::SojournTail(_) => {
                Metric::SojournPercentile(crate::model::Level::P99)
            }
            Metric::WaitPercentile(_) | Metric::WaitTail(_) => {
                Metric::WaitPercentile(crate::model::Level::P99)
            }
            m => m,
        };
        self.metrics.contains(&metric) || self.metrics.contains(&family)
    }
}

/// Whether `observations` messages per replication are too few for percentile `level`
/// (fewer than [`MIN_TAIL_OBSERVATIONS`] above it).
fn too_few(observations: f64, level: crate::model::Level) -> bool {
    // A NaN count (never produced) counts as too few.
    observations * (1.0 - level.p()) < MIN_TAIL_OBSERVATIONS || observations.is_nan()
}

/// The warning on a node (a queue, or `end_to_end:<source>`) whose percentiles rest on
/// too few messages, if any level of `metrics` (all of that node's) is affected; `None`
/// otherwise. `observations` is the mean number of messages measured per replication.
fn few_observations(
    node: &str,
    observations: f64,
    metrics: &[Metric],
    measured: f64,
) -> Option<SimWarning> {
    let affected: Vec<Metric> = metrics
        .iter()
        .copied()
        .filter(|m| match m {
            Metric::SojournPercentile(l) | Metric::WaitPercentile(l) => too_few(observations, *l),
            _ => false,
        })
        .collect();
    // The highest standard level affected sets the advice.
    let worst = crate::model::Level::ALL
        .into_iter()
        .filter(|l| too_few(observations, *l))
        .collect::<Vec<_>>();
    let last = worst.last()?;
    if affected.is_empty() {
        return None;
    }
    let needed = MIN_TAIL_OBSERVATIONS / (1.0 - last.p());
    let levels = worst
        .iter()
        .map(|l| l.name())
        .collect::<Vec<_>>()
        .join(", ");
    let what = if node.starts_with("end_to_end:") {
        node.to_string()
    } else {
        format!("queue {node:?}")
    };
    let horizon = if observations > 0.0 && measured > 0.0 {
        format!(
            "simulate about {} s per replication (now {}) for {}",
            short(measured * needed / observations),
            short(measured),
            last.name()
        )
    } else {
        "send it more traffic or simulate much longer".to_string()
    };
    Some(SimWarning {
        kind: WarningKind::FewObservations,
        node: node.to_string(),
        queue: node.to_string(),
        message: format!(
            "{what}: only {} messages measured per replication, too few for its {levels} (a level p needs {} observations above it per replication: {} messages for {}), so those percentiles are the last few messages of each run, not estimates: {horizon}; more replications do not remove the bias",
            short(observations),
            MIN_TAIL_OBSERVATIONS,
            short(needed),
            last.name(),
        ),
        evidence: Evidence {
            observations: Some(observations),
            measured_time: measured,
            ..Evidence::default()
        },
        metrics: affected,
    })
}

/// The mean over replications of a count (a replication without it counts 0); 0 for
/// no replications.
fn mean_count(
    runs: &[ReplicationResult],
    count: impl Fn(&ReplicationResult) -> Option<u64>,
) -> f64 {
    runs.iter()
        .map(|r| count(r).unwrap_or(0) as f64)
        .sum::<f64>()
        / runs.len().max(1) as f64
}

/// Messages admitted to a queue in the measured window that did not leave it
/// (served, dead-lettered, expired or pushed out): its backlog growth.
fn left_behind(x: &super::report::QueueRun) -> f64 {
    x.admitted as f64
        - x.completed as f64
        - x.dead_letters as f64
        - x.expired.unwrap_or(0) as f64
        - x.dropped.unwrap_or(0) as f64
        + x.copies.unwrap_or(0) as f64
        - x.duplicates.unwrap_or(0) as f64
}

/// What the checks need to know of a queue of the model.
#[derive(Debug, Clone)]
pub(crate) struct QueueFacts {
    servers: u32,
    capacity: Option<u64>,
    /// The message TTL, seconds: like a capacity, it bounds the queue (in overload
    /// messages expire instead of piling up).
    ttl: Option<f64>,
    mean_service: f64,
    scv: f64,
    work_per_arrival: f64,
    /// Variability of the arrivals into the queue: the rate-weighted asymptotic index of
    /// dispersion of the sources that reach it (1 for Poisson; a queue keeps its input's
    /// long-run variability, so upstream queues do not change it).
    arrival_dispersion: f64,
    /// The longest mean time an MMPP source reaching the queue stays in one phase,
    /// seconds (0 without one): a run must see many bursts to average over them.
    phase_time: f64,
}

/// What the checks need to know of the model: its queues, and which queues each
/// source's messages can reach.
#[derive(Debug, Clone)]
pub(crate) struct Facts {
    queues: Vec<QueueFacts>,
    /// `reach[s][j]`: messages of source s can enter queue j.
    reach: Vec<Vec<bool>>,
}

impl Facts {
    /// The facts of a validated model and its topology. Cost O(sources × (queues +
    /// routes)).
    pub(crate) fn new(model: &Model, topology: &Topology) -> Self {
        let queues = model
            .queues
            .iter()
            .map(|q| QueueFacts {
                servers: q.servers.max(1),
                capacity: q.capacity,
                ttl: q.ttl,
                mean_service: q.service.mean(),
                scv: q.service.scv(),
                work_per_arrival: super::queue_state::expected_deliveries(
                    q.failure_probability,
                    q.max_attempts,
                ) * q.service.mean()
                    / f64::from(q.servers.max(1)),
                arrival_dispersion: 1.0,
                phase_time: 0.0,
            })
            .collect::<Vec<_>>();
        let n = queues.len();
        let entries = |node: NodeId| -> Vec<usize> {
            match node {
                NodeId::Queue(j) => vec![j],
                NodeId::Topic(t) => topology.subscribers.get(t).cloned().unwrap_or_default(),
            }
        };
        let reach = topology
            .source_dest
            .iter()
            .map(|&d| {
                let mut seen = vec![false; n];
                let mut stack = entries(d);
                // Each queue is pushed at most once per edge into it: bounded by the
                // model's routes.
                while let Some(j) = stack.pop() {
                    if j >= n || seen[j] {
                        continue;
                    }
                    seen[j] = true;
                    let next = topology.routes[j]
                        .iter()
                        .map(|(_, d)| *d)
                        .chain(std::iter::once(topology.dead_letter[j]));
                    for d in next {
                        if let Dest::Node(node) = d {
                            stack.extend(entries(node).into_iter().filter(|k| !seen[*k]));
                        }
                    }
                }
                seen
            })
            .collect::<Vec<Vec<bool>>>();
        let mut queues = queues;
        for (j, q) in queues.iter_mut().enumerate() {
            let (mut rate, mut weighted) = (0.0, 0.0);
            for (s, source) in model.sources.iter().enumerate() {
                if !reach[s][j] {
                    continue;
                }
                let r = source.arrival.mean_rate().unwrap_or(0.0);
                // Profiles and traces have no stationary dispersion: count them as Poisson.
                let idc = source.arrival.index_of_dispersion().unwrap_or(1.0);
                rate += r;
                weighted += r * idc;
                q.phase_time = q.phase_time.max(phase_time(&source.arrival));
            }
            if rate > 0.0 && weighted.is_finite() {
                q.arrival_dispersion = weighted / rate;
            }
        }
        Self { queues, reach }
    }
}

/// The longest mean sojourn in one phase of an MMPP (1 / the smallest total rate out of
/// a phase), seconds; 0 for other arrival processes.
fn phase_time(a: &crate::model::ArrivalProcess) -> f64 {
    match a {
        crate::model::ArrivalProcess::Mmpp { generator, .. } => generator
            .iter()
            .enumerate()
            .filter_map(|(i, row)| row.get(i).map(|d| -d))
            .filter(|out| *out > 0.0 && out.is_finite())
            .map(|out| 1.0 / out)
            .fold(0.0, f64::max),
        _ => 0.0,
    }
}

/// Estimated relaxation time of a queue fed by Poisson arrivals, seconds: how long its
/// state takes to forget where it started. [`relaxation_time_with_arrivals`] with an
/// index of dispersion of 1.
///
/// # Example
/// ```
/// use kendall::sim::relaxation_time;
/// // M/M/1 at ρ = 0.81: 1 / (1 − 0.9)² = 100 mean services.
/// let t = relaxation_time(1.0, 1.0, 1, None, 0.81).unwrap();
/// assert!((t - 100.0).abs() < 1e-9);
/// assert!(relaxation_time(1.0, 1.0, 1, None, 1.0).is_none());
/// ```
pub fn relaxation_time(
    mean_service: f64,
    scv: f64,
    servers: u32,
    capacity: Option<u64>,
    utilisation: f64,
) -> Option<f64> {
    relaxation_time_with_arrivals(mean_service, scv, 1.0, servers, capacity, utilisation)
}

/// Estimated relaxation time of a queue, seconds, for arrivals of asymptotic index of
/// dispersion `arrival_dispersion` (1 Poisson, 0 deterministic, the inter-arrival SCV of
/// a renewal process, above 1 for bursty MMPP traffic).
///
/// τ = E\[S\] · max(1, ((I + SCV) / 2) / (c (1 − √ρ)²)), the relaxation time of M/M/1,
/// 1 / (μ (1 − √ρ)²) (Morse 1955; Cohen, *The Single Server Queue*, II.2.4), with
/// c consumers serving at rate cμ and the variability factor (I + SCV)/2 of the
/// heavy-traffic approximation (Whitt, *Stochastic-Process Limits*, 2002: the
/// reflected-Brownian relaxation time scales with the variability of arrivals and
/// service). For a capacity K, at most E\[S\] (K − c + 1)² / (π² c): the spectral gap of
/// the birth–death chain of the waiting room at ρ = 1. `None` when ρ ≥ 1 without a
/// capacity (no steady state).
///
/// # Example
/// ```
/// use kendall::sim::{relaxation_time, relaxation_time_with_arrivals};
/// // Bursty arrivals (I = 9) into M/M/1-like service at ρ = 0.81: five times as long.
/// let poisson = relaxation_time(1.0, 1.0, 1, None, 0.81).unwrap();
/// let bursty = relaxation_time_with_arrivals(1.0, 1.0, 9.0, 1, None, 0.81).unwrap();
/// assert!((bursty / poisson - 5.0).abs() < 1e-9);
/// ```
pub fn relaxation_time_with_arrivals(
    mean_service: f64,
    scv: f64,
    arrival_dispersion: f64,
    servers: u32,
    capacity: Option<u64>,
    utilisation: f64,
) -> Option<f64> {
    let c = f64::from(servers.max(1));
    let bounded = capacity.map(|k| {
        let room = k.saturating_sub(u64::from(servers)) as f64 + 1.0;
        mean_service * (room * room / (std::f64::consts::PI.powi(2) * c)).max(1.0)
    });
    let rho = utilisation.max(0.0);
    let variability = 0.5 * (arrival_dispersion.max(0.0) + scv);
    let heavy = if rho < 1.0 {
        let gap = (1.0 - rho.sqrt()).powi(2);
        Some(mean_service * (variability / (c * gap)).max(1.0))
    } else {
        None
    };
    match (heavy, bounded) {
        (Some(h), Some(b)) => Some(h.min(b)),
        (h, b) => h.or(b),
    }
}

/// The metrics of a queue that a warning of `kind` affects.
fn queue_metrics(kind: WarningKind) -> Vec<Metric> {
    Metric::QUEUE
        .into_iter()
        .filter(|m| match kind {
            WarningKind::ShortHorizon => matches!(
                m,
                Metric::MeanNumber
                    | Metric::MeanQueueLength
                    | Metric::MeanSojourn
                    | Metric::MeanWait
                    | Metric::SojournPercentile(_)
                    | Metric::WaitPercentile(_)
                    | Metric::WaitProbability
            ),
            _ => !matches!(
                m,
                Metric::ArrivalRate | Metric::Consumers | Metric::Blocking
            ),
        })
        .collect()
}

/// Adds the warnings to `report` (built from `runs`, in replication order).
pub(crate) fn diagnose(report: &mut SimReport, runs: &[ReplicationResult], facts: &Facts) {
    let confidence = report.confidence;
    let measured = report.measured_time.mean;
    let mut all = Vec::new();
    // Too few observations: per node, never inherited (a quiet dead-letter queue says
    // nothing about the end-to-end percentiles of the sources that reach it).
    let mut few = Vec::new();
    for (j, f) in facts.queues.iter().enumerate() {
        let Some(q) = report.queues.get_mut(j) else {
            continue;
        };
        let per_run = |g: &dyn Fn(&ReplicationResult) -> Option<f64>| {
            Estimate::from_values(runs.iter().filter_map(g), confidence)
        };
        let offered = per_run(&|r| {
            let x = r.queues.get(j)?;
            (r.measured_time > 0.0).then(|| match &x.partitions {
                // A partitioned queue: the hottest consumer's load (keys are pinned to
                // consumers, so the group's average says nothing about stability).
                Some(p) => {
                    p.consumers.iter().map(|c| c.arrived).max().unwrap_or(0) as f64
                        / r.measured_time
                        * f.mean_service
                }
                None => x.arrived as f64 / r.measured_time * f.work_per_arrival,
            })
        });
        let growth = per_run(&|r| {
            let x = r.queues.get(j)?;
            Some(left_behind(x))
        });
        let share = per_run(&|r| {
            let x = r.queues.get(j)?;
            (x.arrived > 0).then(|| left_behind(x) / x.arrived as f64)
        });
        let in_flight_share =
            (q.counts.offered > 0).then(|| q.counts.in_node as f64 / q.counts.offered as f64);
        let rho = q.utilisation.mean;
        let mut evidence = Evidence {
            offered_load: offered.map(|e| e.mean),
            offered_load_lower: offered.and_then(|e| e.lower),
            backlog_growth: growth.map(|e| e.mean),
            growth_share: share.map(|e| e.mean),
            in_flight_share,
            utilisation: Some(rho),
            relaxation_time: None,
            observations: None,
            measured_time: measured,
        };
        let sure = |e: &Estimate, above: f64| e.lower.unwrap_or(e.mean) >= above;
        let overloaded =
            offered.filter(|e| f.capacity.is_none() && f.ttl.is_none() && sure(e, 1.0));
        let growing =
            share.is_some_and(|e| e.mean > GROWTH_SHARE && e.lower.unwrap_or(e.mean) > 0.0);
        let stuck = in_flight_share.is_some_and(|s| s > IN_FLIGHT_SHARE);
        let name = q.name.clone();
        let pct = |x: Option<f64>| x.map_or("-".to_string(), |x| format!("{:.1}%", 100.0 * x));
        let hot = q.partitions.as_ref().and_then(|p| p.hottest());
        let warning = if let (Some(load), Some(hot)) = (overloaded, hot) {
            Some((
                WarningKind::Overloaded,
                format!(
                    "queue {name:?} is overloaded at its hottest consumer: consumer {} gets {:.2}% of the arrivals, an offered load of {:.3} >= 1 (the group's average is {:.3} per consumer), so the backlog of its partitions grows without bound; its figures describe the length of this run, not a steady state: spread the hot keys (more partitions, a finer key, split the hottest keys), speed up service or lower the load",
                    hot.consumer,
                    100.0 * hot.share.mean,
                    load.mean,
                    q.arrival_rate.mean * f.work_per_arrival,
                ),
            ))
        } else if let Some(load) = overloaded {
            let a = load.mean;
            Some((
                WarningKind::Overloaded,
                format!(
                    "queue {name:?} is overloaded: offered load {a:.3} per consumer (arrival rate {:.4}/s × {:.4} s of consumer time per message / {} consumers) ≥ 1, so its backlog grows without bound ({} of its arrivals in the measured window were still in it at the end); its figures describe the length of this run, not a steady state: give it at least {} consumers, lower the load, or give it a capacity",
                    q.arrival_rate.mean,
                    f.work_per_arrival * f64::from(f.servers),
                    f.servers,
                    pct(evidence.growth_share),
                    ((a * f64::from(f.servers)).floor() as u64).saturating_add(1),
                ),
            ))
        } else if growing || stuck {
            let why = if growing {
                format!(
                    "its backlog grew by {:.0} messages per replication over the measured {} s ({} of its arrivals)",
                    evidence.backlog_growth.unwrap_or(0.0),
                    short(measured),
                    pct(evidence.growth_share)
                )
            } else {
                format!(
                    "{} of the messages offered to it were still in it at the end of the run",
                    pct(in_flight_share)
                )
            };
            Some((
                WarningKind::NotStationary,
                format!(
                    "queue {name:?} did not settle: {why} (offered load {} per consumer); the figures have no steady state in this run: lengthen simulation.warmup and simulation.horizon, or check the load and any start-up backlog",
                    evidence
                        .offered_load
                        .map_or("-".into(), |a| format!("{a:.3}")),
                ),
            ))
        } else {
            // A run must also see many of the sources' bursts: the longest phase counts
            // as a relaxation time of its own.
            let tau = relaxation_time_with_arrivals(
                f.mean_service,
                f.scv,
                f.arrival_dispersion,
                f.servers,
                // A TTL bounds the waiting line at about λτ messages: an equivalent
                // capacity of c + ⌈λτ⌉.
                f.capacity.or_else(|| {
                    let lambda = q.arrival_rate.mean;
                    f.ttl
                        .map(|t| u64::from(f.servers) + (lambda * t).ceil().min(1e15) as u64)
                }),
                rho,
            )
            .map(|t| match (f.ttl, offered) {
                // With a TTL every message leaves within τ of arriving; from an empty
                // start the offered wait drifts at |a − 1| per second (a the offered load
                // per consumer) until it reaches τ: about τ(1 + 1/|a − 1|), when that is
                // shorter than the diffusion bound.
                (Some(ttl), Some(o)) if (o.mean - 1.0).abs() > 1e-6 => {
                    t.min(ttl * (1.0 + 1.0 / (o.mean - 1.0).abs()))
                }
                _ => t,
            })
            .map(|t| t.max(f.phase_time));
            evidence.relaxation_time = tau;
            match tau {
                Some(t) if measured > 0.0 && t >= SHORT_HORIZON_FRACTION * measured => Some((
                    WarningKind::ShortHorizon,
                    format!(
                        "queue {name:?}: the horizon is short for its load: estimated relaxation time {} s at utilisation {rho:.3}{} is {} of the measured {} s per replication, so its means and tail percentiles are biased (p99 and p999 low) and their intervals too narrow: simulate at least {} s per replication",
                        short(t),
                        if (f.arrival_dispersion - 1.0).abs() > 1e-9 || f.phase_time > 0.0 {
                            format!(
                                " with arrivals of index of dispersion {:.3}{}",
                                f.arrival_dispersion,
                                if f.phase_time > 0.0 {
                                    format!(" and bursts lasting up to {} s", short(f.phase_time))
                                } else {
                                    String::new()
                                }
                            )
                        } else {
                            String::new()
                        },
                        share_of(t, measured),
                        short(measured),
                        short(t / SHORT_HORIZON_FRACTION),
                    ),
                )),
                _ => None,
            }
        };
        if let Some((kind, message)) = warning {
            let w = SimWarning {
                kind,
                node: name.clone(),
                queue: name,
                message,
                evidence,
                metrics: queue_metrics(kind),
            };
            q.warnings.push(w.clone());
            all.push((j, w));
        }
        let observations = mean_count(runs, |r| {
            r.queues
                .get(j)
                .and_then(|x| x.sojourn.as_ref())
                .map(|l| l.count)
        });
        if !runs.is_empty()
            && q.warnings.is_empty()
            && let Some(w) = few_observations(&q.name, observations, &Metric::QUEUE, measured)
        {
            q.warnings.push(w.clone());
            few.push(w);
        }
        if q.warnings.is_empty() {
            // The wait's percentiles (`true`), then the sojourn's.
            let found: Vec<Gap> = [true, false]
                .into_iter()
                .filter_map(|wait| {
                    let (family, pooled): (fn(Level) -> Metric, _) = if wait {
                        (Metric::WaitPercentile, q.wait.as_ref())
                    } else {
                        (Metric::SojournPercentile, q.sojourn.as_ref())
                    };
                    gap(family, pooled?, confidence, |l| {
                        runs.iter()
                            .filter_map(|r| {
                                let x = r.queues.get(j)?;
                                let s = if wait { &x.wait } else { &x.sojourn };
                                s.as_ref()?.get(l)
                            })
                            .collect()
                    })
                })
                .collect();
            if let Some(w) = tail_bias(&q.name, &found, measured) {
                q.warnings.push(w.clone());
                few.push(w);
            }
        }
    }
    let mut source_warnings = Vec::new();
    for (s, src) in report.sources.iter_mut().enumerate() {
        for (j, w) in &all {
            let reaches = facts.reach.get(s).and_then(|r| r.get(*j)) == Some(&true);
            if !reaches {
                continue;
            }
            let node = format!("end_to_end:{}", src.name);
            // W and the percentiles: all of them, whatever the kind.
            let metrics = Metric::END_TO_END.to_vec();
            let sw = SimWarning {
                kind: w.kind,
                message: format!(
                    "{node}: its messages pass through queue {:?}, which is {}: the end-to-end figures inherit it",
                    w.queue,
                    match w.kind {
                        WarningKind::Overloaded => "overloaded",
                        WarningKind::NotStationary => "not stationary",
                        WarningKind::ShortHorizon => "simulated over a short horizon for its load",
                        WarningKind::FewObservations => "measured on too few messages",
                        WarningKind::TailBias => "simulated over too short a run for its tail",
                    }
                ),
                node,
                queue: w.queue.clone(),
                evidence: w.evidence,
                metrics,
            };
            src.warnings.push(sw.clone());
            source_warnings.push(sw);
        }
    }
    for (s, src) in report.sources.iter_mut().enumerate() {
        let observations = mean_count(runs, |r| {
            r.sources
                .get(s)
                .and_then(|x| x.latency.as_ref())
                .map(|l| l.count)
        });
        let node = format!("end_to_end:{}", src.name);
        if !runs.is_empty()
            && src.warnings.is_empty()
            && let Some(w) = few_observations(&node, observations, &Metric::END_TO_END, measured)
        {
            src.warnings.push(w.clone());
            source_warnings.push(w);
        }
        if src.warnings.is_empty()
            && let Some(pooled) = src.sojourn.as_ref()
        {
            let found: Vec<Gap> = gap(Metric::SojournPercentile, pooled, confidence, |l| {
                runs.iter()
                    .filter_map(|r| r.sources.get(s)?.latency.as_ref()?.get(l))
                    .collect()
            })
            .into_iter()
            .collect();
            if let Some(w) = tail_bias(&node, &found, measured) {
                src.warnings.push(w.clone());
                source_warnings.push(w);
            }
        }
    }
    report.warnings = all
        .into_iter()
        .map(|(_, w)| w)
        .chain(few)
        .chain(source_warnings)
        .collect();
}

/// The lowest standard level of one latency whose replications' own quantiles differ
/// from the pooled one (see [`WarningKind::TailBias`]): the metric, the replications'
/// mean quantile, the pooled quantile.
type Gap = (Metric, f64, f64);

/// The lowest standard level of a latency (`family`) at which the replications' own
/// quantiles `sections(level)` differ from the pooled ones of `pooled` by more than their
/// Student-t interval and twice the histogram's rounding; `None` if no level does.
fn gap(
    family: fn(Level) -> Metric,
    pooled: &super::report::PercentileReport,
    confidence: f64,
    sections: impl Fn(Level) -> Vec<f64>,
) -> Option<Gap> {
    Level::ALL.into_iter().find_map(|level| {
        let xs = sections(level);
        let e = Estimate::from_values(xs, confidence)?;
        let p = pooled.get(level)?.mean;
        let d = (e.mean - p).abs();
        (d > e.half_width? && d > 2.0 * super::RELATIVE_ERROR * p).then_some((
            family(level),
            e.mean,
            p,
        ))
    })
}

/// The [`WarningKind::TailBias`] warning on `node` for the gaps `found`, if any.
fn tail_bias(node: &str, found: &[Gap], measured: f64) -> Option<SimWarning> {
    let &(metric, own, pooled) = found.first()?;
    let what = if node.starts_with("end_to_end:") {
        node.to_string()
    } else {
        format!("queue {node:?}")
    };
    let from = found
        .iter()
        .map(|(m, ..)| format!("{m} and above"))
        .collect::<Vec<_>>()
        .join(", ");
    Some(SimWarning {
        kind: WarningKind::TailBias,
        node: node.to_string(),
        queue: node.to_string(),
        message: format!(
            "{what}: its tail has not settled in runs of {} s: the replications' own {metric} average {} s against {} s for all their messages pooled, so the percentile still moves with the length of the run and the reported (pooled) figure is likely {} too; affected: {from}; simulate longer replications (more replications of the same length do not remove the bias)",
            short(measured),
            short(own),
            short(pooled),
            if own < pooled { "low" } else { "high" },
        ),
        evidence: Evidence {
            measured_time: measured,
            ..Evidence::default()
        },
        metrics: found.iter().map(|g| g.0).collect(),
    })
}

/// A number in a warning: four decimals at most (trailing zeros dropped), in scientific
/// notation outside [1e-3, 1e6) so that a degenerate run (a measured time of 1e-308 s) stays one line.
fn short(x: f64) -> String {
    if x == 0.0 || (1e-3..1e6).contains(&x.abs()) {
        let s = format!("{x:.4}");
        // Trailing zeros say nothing: 600.0000 reads 600.
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        format!("{x:.3e}")
    }
}

/// `part` as a percentage of `whole`, or "many times" when the ratio is not a
/// printable percentage.
fn share_of(part: f64, whole: f64) -> String {
    let r = part / whole;
    if r.is_finite() && r < 1e4 {
        format!("{:.0}%", 100.0 * r)
    } else {
        format!("{} times", short(r.min(f64::MAX)))
    }
}
