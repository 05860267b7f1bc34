//! What no number of consumers can buy: a bound on each SLO's figure as the consumers of
//! every queue grow without limit, so that an SLO beyond it is refused at once instead of
//! searched for.
//!
//! As c → ∞ at every queue nobody waits, so:
//! - a queue's sojourn percentile is at least its service time's percentile (a message
//!   spends at least its first delivery in service, whatever the waiting, the priority or
//!   the redeliveries), and its mean sojourn `W` at least the mean service time;
//! - an end-to-end figure is at least that of the queues every message of the source
//!   certainly visits, one after the other (a *chain*): the mean at least the sum of
//!   their mean service times, a percentile at least
//!   `max_i (percentile of S_i + Σ_{j≠i} min S_j)` (the percentile of a sum is not the
//!   sum of percentiles, but it is at least any one term's percentile plus the others'
//!   least values); over a topic's fan-out, the largest over the subscribers' chains
//!   (the last copy done is at least as late as any one copy);
//! - `dead_letter` is fᵐ whatever the consumers (failure probability, max_attempts);
//! - a queue's `arrival_rate` and `throughput` are at most what the sources send it
//!   (the loss-free traffic equations: consumers can only remove losses upstream), so a
//!   `throughput > x` beyond that is refused; when nothing in the model can lose or hold
//!   back a message (no capacity, no publisher window, no client retries, no crashes) the
//!   arrival rate is fixed, and the mean number in the queue `L` is at least the work in
//!   service, λ × deliveries × E\[S\] (Little's law with W ≥ deliveries × E\[S\]);
//! - `Wq`, wait percentiles, `P(wait)`, `P(block)`, `Lq`, `utilisation` go to 0: always
//!   reachable; other metrics are left to the search (which is bounded).
//!
//! A chain stops at a probabilistic route, at a queue that dead-letters some messages
//! (those do not go on) and where it would revisit a queue, so every chain is a part of
//! what every message certainly does and the bound stays a bound.

use crate::model::{Dest, Level, Metric, NodeId, Op, Slo, Target, ValidModel};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Most chains followed per source (topics of topics multiply them); beyond it the chains
/// found so far give a smaller, still valid, bound.
const MAX_CHAINS: usize = 64;

/// Relative margin a bound is shrunk by before it refuses an SLO, against rounding in the
/// quantile functions: only an SLO beyond the bound by more is refused.
const MARGIN: f64 = 1e-9;

/// Why an SLO's figure cannot go past a bound, whatever the consumers (see
/// [`SizingError::Unreachable`](super::SizingError::Unreachable)).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum BoundReason {
    /// A queue's sojourn percentile is at least its service time's percentile.
    ServicePercentile {
        /// The queue.
        queue: String,
        /// The percentile.
        level: Level,
    },
    /// A queue's mean sojourn is at least its mean service time.
    ServiceMean {
        /// The queue.
        queue: String,
    },
    /// A source's end-to-end percentile is at least that of the service times along the
    /// queues its messages certainly visit in turn.
    PathPercentile {
        /// The source.
        source: String,
        /// The queues in order.
        path: Vec<String>,
        /// The percentile.
        level: Level,
    },
    /// A source's end-to-end mean is at least the sum of the mean service times along the
    /// queues its messages certainly visit in turn.
    PathMean {
        /// The source.
        source: String,
        /// The queues in order.
        path: Vec<String>,
    },
    /// The dead-lettered fraction fᵐ depends on the failure probability and
    /// `max_attempts` only.
    DeadLetter {
        /// The queue.
        queue: String,
    },
    /// A queue's arrival rate and throughput are set by the sources (at most their
    /// loss-free rate into it), not by its consumers.
    SourceRate {
        /// The queue.
        queue: String,
    },
    /// A queue's mean number of messages is at least the work in service: arrival rate ×
    /// deliveries per message × mean service time.
    WorkInService {
        /// The queue.
        queue: String,
    },
}

/// Which way a bound holds the figure, whatever the consumers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    /// The figure is at least the bound: refuses `<` / `<=` SLOs below it.
    Floor,
    /// The figure is at most the bound: refuses `>` / `>=` SLOs above it.
    Ceiling,
    /// The figure is the bound: refuses any SLO it breaks.
    Fixed,
}

impl fmt::Display for BoundReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ServicePercentile { queue, level } => write!(
                f,
                "the {level} of queue {queue:?}'s service time alone; a faster service (or a looser limit) is needed"
            ),
            Self::ServiceMean { queue } => write!(
                f,
                "the mean service time of queue {queue:?}; a faster service (or a looser limit) is needed"
            ),
            Self::PathPercentile {
                source,
                path,
                level,
            } => write!(
                f,
                "the {level} of the service times alone along {}, which every message of source {source:?} goes through; faster services, a shorter path (or a looser limit) are needed",
                path_text(path)
            ),
            Self::PathMean { source, path } => write!(
                f,
                "the sum of the mean service times along {}, which every message of source {source:?} goes through; faster services, a shorter path (or a looser limit) are needed",
                path_text(path)
            ),
            Self::DeadLetter { queue } => write!(
                f,
                "queue {queue:?} dead-letters the fraction failure_probability^max_attempts whatever its consumers; change failure_probability or max_attempts"
            ),
            Self::SourceRate { queue } => write!(
                f,
                "the rate the sources send to queue {queue:?}, which its consumers cannot change; only other traffic (or another limit) can"
            ),
            Self::WorkInService { queue } => write!(
                f,
                "the messages in service alone at queue {queue:?} (arrival rate × deliveries × mean service time, whatever the consumers); faster service, less traffic (or a looser limit) is needed"
            ),
        }
    }
}

fn path_text(path: &[String]) -> String {
    path.iter()
        .map(|q| format!("{q:?}"))
        .collect::<Vec<_>>()
        .join(" → ")
}

/// Seconds as a short text with a unit (`79.3ms`, `1.5s`); other units as plain numbers.
pub(crate) fn value_text(metric: Metric, v: f64) -> String {
    if metric.is_time() {
        if v < 1.0 {
            format!("{:.4}ms", v * 1e3)
        } else {
            format!("{v:.4}s")
        }
    } else {
        format!("{v:.6}")
    }
}

/// The chains of queues every message of the source sent to `start` certainly visits in
/// turn (see the module documentation), at most [`MAX_CHAINS`], each at most as long as
/// the number of queues.
fn chains(valid: &ValidModel, start: NodeId) -> Vec<Vec<usize>> {
    let topology = valid.topology();
    let queues = &valid.model().queues;
    let mut done = Vec::new();
    let mut open: Vec<Vec<usize>> = topology
        .entries(start)
        .into_iter()
        .map(|q| vec![q])
        .collect();
    while let Some(chain) = open.pop() {
        if done.len() + open.len() >= MAX_CHAINS {
            done.push(chain);
            continue;
        }
        let last = *chain.last().expect("chains are never empty");
        let shares: Vec<(f64, Dest)> = topology.route_shares(last).collect();
        let next = match shares.as_slice() {
            [(p, Dest::Node(node))]
                if *p >= 1.0 - 1e-12 && queues[last].exhausted_probability() <= 0.0 =>
            {
                topology.entries(*node)
            }
            _ => vec![],
        };
        let next: Vec<usize> = next.into_iter().filter(|j| !chain.contains(j)).collect();
        if next.is_empty() {
            done.push(chain);
            continue;
        }
        for j in next {
            let mut c = chain.clone();
            c.push(j);
            open.push(c);
        }
    }
    done
}

/// A queue with crashes whose service law is neither exponential nor deterministic: a
/// restarted service is a new draw, possibly shorter, so its service time bounds
/// nothing.
fn restarts_may_shorten(q: &crate::model::Queue) -> bool {
    q.crash.is_some()
        && !matches!(
            q.service,
            crate::model::Distribution::Exponential { .. }
                | crate::model::Distribution::Deterministic { .. }
        )
}

/// What the loss-free traffic equations say of the queues' arrival rates whatever the
/// consumers, worked out once per SLO check: whether they bound each rate from above
/// (`ceiling`: false with client retries, publisher windows or crashes, which change what
/// is sent), whether they give it exactly (`fixed`: also no capacity anywhere, so nothing
/// is lost or held back), and the rates themselves, solved on first use.
struct SourceRates<'a> {
    valid: &'a ValidModel,
    ceiling: bool,
    fixed: bool,
    rates: std::cell::OnceCell<Option<Vec<f64>>>,
}

impl<'a> SourceRates<'a> {
    fn new(valid: &'a ValidModel) -> Self {
        let model = valid.model();
        let closed_or_retrying = model
            .sources
            .iter()
            .any(|s| s.window.is_some() || s.retry.is_some());
        let crashes = model.queues.iter().any(|q| q.crash.is_some());
        let losses = model.queues.iter().any(|q| q.capacity.is_some());
        let ceiling = !closed_or_retrying && !crashes;
        Self {
            valid,
            ceiling,
            fixed: ceiling && !losses,
            rates: std::cell::OnceCell::new(),
        }
    }

    /// Queue `i`'s loss-free arrival rate, when it is an upper bound (`ceiling`).
    fn of(&self, i: usize) -> Option<f64> {
        if !self.ceiling {
            return None;
        }
        self.rates
            .get_or_init(|| crate::analytic::arrival_rates(self.valid).ok())
            .as_ref()?
            .get(i)
            .copied()
    }
}

/// The bound of one queue's figure as its consumers grow without limit, with the reason
/// and which way it holds; `None` when the figure goes to 0 or is left to the search.
fn queue_bound(
    valid: &ValidModel,
    rates: &SourceRates<'_>,
    i: usize,
    metric: Metric,
) -> Option<(f64, BoundReason, Side)> {
    let q = &valid.model().queues[i];
    let queue = q.name.clone();
    match metric {
        Metric::ArrivalRate | Metric::Throughput => {
            let side = if rates.fixed && metric == Metric::ArrivalRate {
                Side::Fixed
            } else {
                Side::Ceiling
            };
            return Some((rates.of(i)?, BoundReason::SourceRate { queue }, side));
        }
        Metric::DeadLetter => {
            return Some((
                q.exhausted_probability(),
                BoundReason::DeadLetter { queue },
                Side::Fixed,
            ));
        }
        _ => {}
    }
    // With crashes a service restarts from scratch on another consumer: the time to
    // complete still dominates one service time for exponential (memoryless) and
    // deterministic service, but a new draw of a more variable law may be shorter, so
    // no bound is claimed there.
    if restarts_may_shorten(q) {
        return None;
    }
    match metric {
        Metric::SojournPercentile(level) => Some((
            q.service.quantile(level.p())?,
            BoundReason::ServicePercentile { queue, level },
            Side::Floor,
        )),
        Metric::MeanSojourn => Some((
            q.service.mean(),
            BoundReason::ServiceMean { queue },
            Side::Floor,
        )),
        Metric::MeanNumber if rates.fixed => Some((
            rates.of(i)? * q.deliveries_per_message() * q.service.mean(),
            BoundReason::WorkInService { queue },
            Side::Floor,
        )),
        _ => None,
    }
}

/// The bound of a source's end-to-end figure, with the reason (the chain that gives it).
fn source_bound(valid: &ValidModel, s: usize, metric: Metric) -> Option<(f64, BoundReason)> {
    let model = valid.model();
    let source = model.sources[s].name.clone();
    let names = |c: &[usize]| c.iter().map(|&i| model.queues[i].name.clone()).collect();
    let mut best: Option<(f64, Vec<usize>)> = None;
    for chain in chains(valid, valid.topology().source_dest[s]) {
        // A chain through such a queue is left out: the max over the others is still
        // a lower bound.
        if chain
            .iter()
            .any(|&i| restarts_may_shorten(&model.queues[i]))
        {
            continue;
        }
        let service = |i: usize| &model.queues[i].service;
        let value = match metric {
            Metric::MeanSojourn => chain.iter().map(|&i| service(i).mean()).sum(),
            Metric::SojournPercentile(level) => {
                let mins: f64 = chain.iter().map(|&i| service(i).support_min()).sum();
                let mut v: f64 = 0.0;
                for &i in &chain {
                    if let Some(q) = service(i).quantile(level.p()) {
                        v = v.max(q + mins - service(i).support_min());
                    }
                }
                v
            }
            _ => return None,
        };
        if best.as_ref().is_none_or(|(b, _)| value > *b) {
            best = Some((value, chain));
        }
    }
    let (value, chain) = best?;
    let path = names(&chain);
    let reason = match metric {
        Metric::SojournPercentile(level) => BoundReason::PathPercentile {
            source,
            path,
            level,
        },
        _ => BoundReason::PathMean { source, path },
    };
    Some((value, reason))
}

/// The first target of `slo` whose bound already breaks it: the bound and why. Only
/// queues that traffic reaches count (a queue nobody sends to has nothing to meet).
pub(crate) fn unreachable(valid: &ValidModel, slo: &Slo) -> Option<(f64, BoundReason)> {
    let model = valid.model();
    let topology = valid.topology();
    let breaks = |b: f64, side: Side| {
        // Give the SLO the benefit of rounding: shrink an upper bound's bound, and the
        // other way round for `>` SLOs.
        let b = match slo.op {
            Op::Less | Op::AtMost => b * (1.0 - MARGIN),
            Op::Greater | Op::AtLeast => b * (1.0 + MARGIN),
        };
        let applies = match side {
            Side::Floor => slo.upper_bound(),
            Side::Ceiling => !slo.upper_bound(),
            Side::Fixed => true,
        };
        applies && b.is_finite() && !slo.holds(b)
    };
    match &slo.target {
        Target::Queue(_) | Target::AllQueues => {
            let entries: Vec<usize> = topology
                .source_dest
                .iter()
                .flat_map(|d| topology.entries(*d))
                .collect();
            let reached = topology.reachable(&entries);
            let rates = SourceRates::new(valid);
            (0..model.queues.len())
                .filter(|&i| reached[i] && slo.target.covers_queue(&model.queues[i].name))
                .filter_map(|i| queue_bound(valid, &rates, i, slo.metric))
                .find(|(b, _, side)| breaks(*b, *side))
                .map(|(b, reason, _)| (b, reason))
        }
        Target::Source(_) | Target::AllSources => (0..model.sources.len())
            .filter(|&s| slo.target.covers_source(&model.sources[s].name))
            .filter_map(|s| source_bound(valid, s, slo.metric))
            .find(|(b, _)| breaks(*b, Side::Floor)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ArrivalProcess, Distribution, Model, Queue, Route, Source, Topic};

    fn chain_model() -> ValidModel {
        // in → a (det 0.1 s) → topic t → {b (exp mean 0.2), c (det 0.3 s) → d (exp 0.05)}
        Model::default()
            .with_source(Source::new(
                "in",
                ArrivalProcess::Poisson { rate: 1.0 },
                "a",
            ))
            .with_queue(
                Queue::new("a", 1, Distribution::Deterministic { value: 0.1 })
                    .with_route(Route::To("t".into())),
            )
            .with_topic(Topic::new("t", ["b", "c"]))
            .with_queue(Queue::new("b", 1, Distribution::Exponential { mean: 0.2 }))
            .with_queue(
                Queue::new("c", 1, Distribution::Deterministic { value: 0.3 })
                    .with_route(Route::To("d".into())),
            )
            .with_queue(Queue::new("d", 1, Distribution::Exponential { mean: 0.05 }))
            .validate()
            .unwrap()
    }

    #[test]
    fn end_to_end_bounds_follow_chains_and_fan_out() {
        let v = chain_model();
        // Means: a→b = 0.3, a→c→d = 0.45: the larger.
        let (w, why) = source_bound(&v, 0, Metric::MeanSojourn).unwrap();
        assert!((w - 0.45).abs() < 1e-12, "{w}");
        assert!(matches!(why, BoundReason::PathMean { ref path, .. } if path == &["a", "c", "d"]));
        // p99: a→b = 0.1 + 0.2 ln 100 = 1.0210; a→c→d = 0.4 + 0.05 ln 100 = 0.6303.
        let (p, _) = source_bound(&v, 0, Metric::SojournPercentile(Level::P99)).unwrap();
        assert!((p - (0.1 + 0.2 * 100f64.ln())).abs() < 1e-9, "{p}");
        let slo: Slo = "end_to_end.p99 < 1s".parse().unwrap();
        assert!(unreachable(&v, &slo).is_some());
        let slo: Slo = "end_to_end.p99 < 1.1s".parse().unwrap();
        assert!(unreachable(&v, &slo).is_none());
        // Queue figures: b's p99 is its service's; Wq and utilisation are never refused.
        let slo: Slo = "b.p99 < 900ms".parse().unwrap();
        let (b, _) = unreachable(&v, &slo).unwrap();
        assert!((b - 0.2 * 100f64.ln()).abs() < 1e-9);
        for s in ["b.Wq < 1us", "*.utilisation < 1e-9", "b.P(wait) < 1e-9"] {
            assert!(unreachable(&v, &s.parse().unwrap()).is_none(), "{s}");
        }
    }

    /// Rates are the sources', not the consumers': `throughput > λ` and, when nothing can
    /// be lost, `arrival_rate < λ` are refused; `L` is at least λ × deliveries × E[S].
    #[test]
    fn rates_and_work_in_service_bound_their_figures() {
        // in (1/s) → a (det 0.1 s) → t → {b, c → d}: every queue sees 1 message/s.
        let v = chain_model();
        let refused = |s: &str| unreachable(&v, &s.parse().unwrap());
        let (b, why) = refused("b.throughput > 1.5").unwrap();
        assert!((b - 1.0).abs() < 1e-12 && matches!(why, BoundReason::SourceRate { .. }));
        assert!(refused("b.throughput >= 0.9").is_none());
        assert!(refused("d.arrival_rate < 0.5").is_some());
        assert!(refused("d.arrival_rate < 2").is_none());
        // L of c (deterministic 0.3 s at 1/s) is at least 0.3.
        let (l, why) = refused("c.L < 0.25").unwrap();
        assert!((l - 0.3).abs() < 1e-12 && matches!(why, BoundReason::WorkInService { .. }));
        assert!(refused("c.L < 0.31").is_none());
        assert!(refused("c.Lq < 1e-9").is_none());
        // With a capacity somewhere, losses can lower the arrival rate and L: only the
        // ceiling on throughput is left.
        let mut m = v.model().clone();
        m.queues[0].capacity = Some(3);
        let v = m.validate().unwrap();
        let refused = |s: &str| unreachable(&v, &s.parse().unwrap());
        assert!(refused("d.arrival_rate < 0.5").is_none());
        assert!(refused("c.L < 0.25").is_none());
        assert!(refused("b.throughput > 1.5").is_some());
    }

    #[test]
    fn chains_stop_at_choices_and_dead_letters() {
        // A probabilistic route ends the chain: only a's service counts.
        let v = Model::default()
            .with_source(Source::new(
                "in",
                ArrivalProcess::Poisson { rate: 1.0 },
                "a",
            ))
            .with_queue(
                Queue::new("a", 1, Distribution::Deterministic { value: 0.1 }).with_route(
                    Route::Choice(vec![
                        crate::model::RouteBranch {
                            to: "b".into(),
                            probability: 0.5,
                        },
                        crate::model::RouteBranch {
                            to: "exit".into(),
                            probability: 0.5,
                        },
                    ]),
                ),
            )
            .with_queue(Queue::new(
                "b",
                1,
                Distribution::Deterministic { value: 5.0 },
            ))
            .validate()
            .unwrap();
        let (w, _) = source_bound(&v, 0, Metric::MeanSojourn).unwrap();
        assert!((w - 0.1).abs() < 1e-12);
        // Dead-lettering fraction: 0.5² = 0.25 whatever the consumers.
        let mut m = v.into_model();
        m.queues[0].failure_probability = 0.5;
        m.queues[0].max_attempts = 2;
        m.queues[0].route = Route::To("b".into());
        let v = m.validate().unwrap();
        let (w, _) = source_bound(&v, 0, Metric::MeanSojourn).unwrap();
        assert!((w - 0.1).abs() < 1e-12, "a dead-letters some messages: {w}");
        let (d, why) = unreachable(&v, &"a.dead_letter < 0.2".parse().unwrap()).unwrap();
        assert_eq!(d, 0.25);
        assert!(why.to_string().contains("max_attempts"));
        assert!(unreachable(&v, &"a.dead_letter < 0.3".parse().unwrap()).is_none());
    }
}
