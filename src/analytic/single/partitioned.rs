//! A partitioned queue consumed by a consumer group (Kafka-style): min(c, P)
//! single-server queues, one per consumer that owns partitions, each fed by its
//! partitions' share of the messages.
//!
//! With Poisson input of rate λ and keys drawn independently per message (uniform or
//! Zipf keys, hashed to partitions), the stream of consumer k is Poisson of rate λ·s_k
//! (independent splitting) and the consumers are independent queues: M/M/1 (exact,
//! distribution included) or M/G/1 (Pollaczek–Khinchine means exact; the distribution
//! as the crate's M/G/1 gives it). The node's figures are the mixture: W = Σ s_k W_k,
//! Wq = Σ s_k Wq_k, L = Σ L_k, Lq = Σ Lq_k, the utilisation λE(S)/c over the whole group
//! (idle consumers included), and the sojourn CDF Σ s_k F_k(t), inverted for the
//! percentiles (exact where the F_k are).
//!
//! With consumer crashes and rebalances ([`GroupPauses`]), each consumer is an M/G/1
//! whose server pauses at every membership change of the group and redoes a replay
//! batch after its own crash ([`MG1Interrupted`]); the partitions are taken to stay
//! with their owner (the load that moves to the others while a consumer is down is
//! not modelled), and the crashes and restarts of the c consumers are superposed as
//! one Poisson stream. Labelled an approximation; compared with simulation in
//! `tests/integration/rebalance.rs`.
//!
//! Keyless (round-robin) partitioning splits the stream cyclically, not independently,
//! and non-Poisson input is not split into Poisson streams: each consumer is then a
//! GI/G/1 queue (Whitt 1993) with the thinned arrival SCV (1 + s_k(c_a² − 1) for a key
//! split, s_k c_a² for a cyclic one: exact for a consumer taking every n-th message),
//! labelled an approximation.

use crate::analytic::error::AnalyticError;
use crate::analytic::method::{Exactness, Method};
use crate::analytic::metrics::{QueueMetrics, invert_cdf};
use crate::analytic::single::approx::{GGc, GGcFormula};
use crate::analytic::single::interruption::{Interruptions, MG1Interrupted};
use crate::analytic::single::mg1::MG1;
use crate::analytic::single::mm1::MM1;
use crate::model::{Distribution, Keys, Partitioning};
use serde::{Deserialize, Serialize};
use statrs::function::gamma::ln_gamma;

/// One consumer of a partitioned queue, solved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ConsumerSolution {
    /// Consumer index in the group.
    pub consumer: u32,
    /// The partitions it owns.
    pub partitions: Vec<u32>,
    /// Its share of the queue's messages.
    pub share: f64,
    /// Its load λ·share·E(S).
    pub utilisation: f64,
    /// Mean sojourn of its messages, seconds.
    pub w: f64,
    /// 99th percentile of its messages' sojourn, seconds (where known).
    pub p99: Option<f64>,
}

/// The partitions and consumers of a solved partitioned queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PartitionSolution {
    /// Each partition's share of the messages (exact, from the key distribution).
    pub partition_shares: Vec<f64>,
    /// Consumers of the group that own no partition (c − P when c > P): idle, they
    /// add nothing.
    pub idle_consumers: u32,
    /// The consumer with the largest share: it sets the tail.
    pub hottest_consumer: u32,
    /// Consumers that own partitions (those with a zero share are idle too).
    pub consumers: Vec<ConsumerSolution>,
    /// A remark for the reader (idle consumers), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl PartitionSolution {
    /// The hottest consumer's figures.
    pub fn hottest(&self) -> Option<&ConsumerSolution> {
        self.consumers
            .iter()
            .find(|c| c.consumer == self.hottest_consumer)
    }
}

/// The input stream of a partitioned queue, as the solver needs it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum PartitionInput {
    /// Poisson (or per visit in a Jackson network): independent splitting is exact.
    Poisson,
    /// A renewal or QNA stream with this inter-arrival SCV.
    General(f64),
}

/// A consumer group's rebalances, as each consumer of a [`Partitioned`] queue sees
/// them: the group pauses at every crash and every restart of any of its c
/// consumers, and a consumer's own crash (one change in 2c) replays what its
/// partitions completed since the last commit.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupPauses {
    /// Pauses per second ν, the pause D, q = 1/(2c) and the commit interval.
    pub interruptions: Interruptions,
    /// The consumers in the group, c.
    pub consumers: u32,
    /// A consumer's availability A = E\[up\]/(E\[up\] + E\[down\]).
    pub availability: f64,
}

impl GroupPauses {
    /// `consumers` consumers, each up for `up` seconds and down for `down` seconds on
    /// average; each crash and restart pauses the group for `rebalance` seconds; offsets
    /// committed every `commit_interval` seconds (0: after each message).
    ///
    /// ν = 2c/(E\[up\] + E\[down\]) (a crash and a restart per cycle of each consumer)
    /// and q = 1/(2c).
    ///
    /// # Example
    /// ```
    /// use kendall::analytic::GroupPauses;
    /// let g = GroupPauses::new(12, 1800.0, 20.0, 3.0, 5.0);
    /// assert!((g.interruptions.rate - 24.0 / 1820.0).abs() < 1e-15);
    /// assert!((g.interruptions.replay_probability - 1.0 / 24.0).abs() < 1e-15);
    /// ```
    pub fn new(consumers: u32, up: f64, down: f64, rebalance: f64, commit_interval: f64) -> Self {
        let c = f64::from(consumers.max(1));
        Self {
            interruptions: Interruptions {
                rate: 2.0 * c / (up + down),
                pause: Distribution::Deterministic { value: rebalance },
                replay_probability: 1.0 / (2.0 * c),
                replay_window: commit_interval,
            },
            consumers: consumers.max(1),
            availability: up / (up + down),
        }
    }

    /// A membership state this unlikely (a share of the time) may be left out when its
    /// consumers could not keep up: its share is dropped, the others renormalised, and
    /// the method names the share dropped. The tail it would add is below the p999's.
    pub const NEGLIGIBLE: f64 = 1e-4;

    /// The most consumer queues the membership states may add up to.
    pub const MAX_QUEUES: u64 = 20_000;

    /// The membership states to mix: (consumers up, probability), "all up" first, then
    /// fewer and fewer up, until the states left hold less than 10⁻⁹ of the time.
    /// Consumers are up independently with probability A, so the number up is
    /// Binomial(c, A).
    ///
    /// # Errors
    /// [`AnalyticError::NoMethod`] when the states needed take more than
    /// [`GroupPauses::MAX_QUEUES`] consumer queues, or when no consumer may be up for
    /// more than a negligible share of the time.
    pub(crate) fn membership_states(&self) -> Result<Vec<(u32, f64)>, AnalyticError> {
        let c = self.consumers;
        let a = self.availability;
        let ln_choose = |k: u32| {
            ln_gamma(f64::from(c) + 1.0)
                - ln_gamma(f64::from(k) + 1.0)
                - ln_gamma(f64::from(c - k) + 1.0)
        };
        let prob = |k: u32| {
            if a >= 1.0 {
                return if k == c { 1.0 } else { 0.0 };
            }
            (ln_choose(k) + f64::from(k) * a.ln() + f64::from(c - k) * (-a).ln_1p()).exp()
        };
        let mut states = Vec::new();
        let (mut covered, mut queues) = (0.0, 0u64);
        for up in (1..=c).rev() {
            let p = prob(up);
            states.push((up, p));
            covered += p;
            queues += u64::from(up);
            if 1.0 - covered < 1e-9 {
                return Ok(states);
            }
            if queues > Self::MAX_QUEUES {
                return Err(AnalyticError::NoMethod {
                    reason: format!(
                        "the group's membership states (consumers up: {c} down to {up}) need more than {} consumer queues to cover all but 1e-9 of the time; simulate",
                        Self::MAX_QUEUES
                    ),
                });
            }
        }
        // Every consumer down: nothing is consumed.
        let none = prob(0);
        if none < Self::NEGLIGIBLE {
            Ok(states)
        } else {
            Err(AnalyticError::NoMethod {
                reason: format!(
                    "every consumer of the group is down {:.2e} of the time (availability {a:.4} each): the backlog of those periods is not in a steady state; make restarts faster or add consumers, or simulate",
                    none
                ),
            })
        }
    }
}

/// A partitioned queue: the mixture of its consumers' single-server queues.
pub struct Partitioned {
    lambda: f64,
    servers: u32,
    service_mean: f64,
    /// Work per second beyond the messages' own (replays after crashes).
    extra_work: f64,
    /// (message share, time share, queue) of each consumer with a positive share, in
    /// each membership state of the group (only "all up" without crashes): the
    /// messages' shares sum to 1, as do the states' time shares.
    parts: Vec<(f64, f64, Box<dyn QueueMetrics>)>,
    method: Method,
    distribution: Option<Method>,
    solution: PartitionSolution,
}

impl std::fmt::Debug for Partitioned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Partitioned")
            .field("lambda", &self.lambda)
            .field("servers", &self.servers)
            .field("method", &self.method)
            .finish_non_exhaustive()
    }
}

impl Partitioned {
    /// Solves a partitioned queue: `lambda` messages/s, a group of `servers` consumers,
    /// `service` per message, partitioned as `p`, with input `input`; `pauses`: the
    /// group's rebalances as seen by each consumer (Poisson input only), see
    /// [`GroupPauses`]; `formula`: the GI/G/1 approximation where one is needed.
    ///
    /// # Errors
    /// [`AnalyticError::Unstable`] if the whole group is at or beyond saturation;
    /// [`AnalyticError::HotPartition`] if the group's average load is below 1 but some
    /// consumer's is not (hot keys); solver errors of the consumers' queues.
    pub(crate) fn new(
        lambda: f64,
        servers: u32,
        service: &Distribution,
        p: &Partitioning,
        input: PartitionInput,
        pauses: Option<&GroupPauses>,
        formula: GGcFormula,
    ) -> Result<Self, AnalyticError> {
        let mean = service.mean();
        let c = servers.max(1);
        let partition_shares = p.partition_shares();
        let shares = p.consumer_shares(&partition_shares, c);
        let active = c.min(p.partitions) as usize;
        let group = lambda * mean / f64::from(c);
        if group >= 1.0 {
            return Err(AnalyticError::Unstable { utilisation: group });
        }
        // The average over the consumers that own partitions.
        let average = lambda * mean / active as f64;
        let owned = |k: usize| -> Vec<u32> {
            (0..p.partitions)
                .filter(|&i| p.consumer_of(i, c) as usize == k)
                .collect()
        };
        let (hot, hot_share) = shares
            .iter()
            .copied()
            .enumerate()
            .fold((0, 0.0), |b, (k, s)| if s > b.1 { (k, s) } else { b });
        if lambda * hot_share * mean >= 1.0 {
            return Err(AnalyticError::HotPartition {
                consumer: hot as u32,
                partitions: owned(hot),
                share: hot_share,
                utilisation: lambda * hot_share * mean,
                average,
            });
        }
        let keyed = !matches!(p.keys, Keys::RoundRobin);
        let exponential = matches!(service, Distribution::Exponential { .. });
        let states = match pauses {
            Some(g) => g.membership_states()?,
            None => vec![(c, 1.0)],
        };
        let all_up = states[0].1;
        let mut parts: Vec<(f64, f64, Box<dyn QueueMetrics>)> = Vec::new();
        let mut consumers = Vec::new();
        for (k, &s) in shares.iter().enumerate().take(active) {
            if s <= 0.0 {
                continue;
            }
            let rate = lambda * s;
            let queue: Box<dyn QueueMetrics> = match (input, pauses) {
                (PartitionInput::Poisson, Some(g)) => {
                    Box::new(MG1Interrupted::new(rate, service, g.interruptions.clone())?)
                }
                (PartitionInput::General(_), Some(_)) => {
                    return Err(AnalyticError::NoMethod {
                        reason: "rebalances are modelled for Poisson input only (each consumer an M/G/1 with pauses); simulate".into(),
                    });
                }
                (PartitionInput::Poisson, None) if keyed && exponential => {
                    Box::new(MM1::new(rate, 1.0 / mean)?)
                }
                (PartitionInput::Poisson, None) if keyed => Box::new(MG1::new(rate, service)?),
                _ => {
                    let ca2 = match input {
                        PartitionInput::Poisson => 1.0,
                        PartitionInput::General(x) => x,
                    };
                    // Key split: Bernoulli thinning; keyless: a cyclic split.
                    let thinned = if keyed {
                        1.0 + s * (ca2 - 1.0)
                    } else {
                        s * ca2
                    };
                    Box::new(GGc::new(formula, rate, thinned, mean, service.scv(), 1)?)
                }
            };
            consumers.push(ConsumerSolution {
                consumer: k as u32,
                partitions: owned(k),
                share: s,
                utilisation: queue.utilisation(),
                w: queue.mean_sojourn(),
                p99: queue.sojourn_quantile(0.99),
            });
            parts.push((s * all_up, all_up, queue));
        }
        // The states with consumers down: their partitions spread over those up.
        let mut covered = all_up;
        let mut mixed = 1;
        if let Some(g) = pauses {
            for &(up, prob) in &states[1..] {
                let shares = p.consumer_shares(&partition_shares, up);
                let mut state = Vec::new();
                let mut overloaded = None;
                for (k, &s) in shares
                    .iter()
                    .enumerate()
                    .take(up.min(p.partitions) as usize)
                {
                    if s <= 0.0 {
                        continue;
                    }
                    match MG1Interrupted::new(lambda * s, service, g.interruptions.clone()) {
                        Ok(q) => state.push((s * prob, prob, Box::new(q) as Box<dyn QueueMetrics>)),
                        Err(AnalyticError::Unstable { utilisation }) => {
                            overloaded = Some((k, utilisation));
                            break;
                        }
                        Err(e) => return Err(e),
                    }
                }
                match overloaded {
                    None => {
                        covered += prob;
                        mixed += 1;
                        parts.extend(state);
                    }
                    Some(_) if prob < GroupPauses::NEGLIGIBLE => {}
                    Some((k, load)) => {
                        return Err(AnalyticError::NoMethod {
                            reason: format!(
                                "with {} of the {c} consumers down (probability {prob:.2e}), consumer {k} of the others takes a load of {load:.3} >= 1 (pauses and replays included): its backlog grows through those periods, which the quasi-static rebalance model cannot follow; add consumers or partitions, or simulate",
                                c - up
                            ),
                        });
                    }
                }
            }
            for part in &mut parts {
                part.0 /= covered;
                part.1 /= covered;
            }
        }
        let inner = parts.first().map(|(_, _, q)| q.method());
        let exact = parts
            .iter()
            .all(|(_, _, q)| q.method().exactness == Exactness::Exact);
        let base = inner.map_or_else(|| "single-server".to_string(), |m| m.name);
        let split = if keyed {
            "independent key split"
        } else {
            "cyclic (round-robin) split"
        };
        let (name, reference) = match pauses {
            None => (
                format!(
                    "partitioned consumer group: {} independent {} queues ({split}), mixture over key shares",
                    parts.len(),
                    base
                ),
                "Poisson splitting (Ross, Stochastic Processes, 2nd ed., §2.3); per-consumer solver as named; QNA thinning (Whitt 1983) where approximate".to_string(),
            ),
            Some(g) => (
                format!(
                    "consumer group with rebalances: each consumer an M/G/1 paused {:.4} times/s for {} s (every crash and restart) with a replay batch at its own crash (commit window {} s); mixture over key shares and over {mixed} membership states ({c} down to {} consumers up, Binomial(c, A = {:.4}), the partitions spread over those up; quasi-static){}",
                    g.interruptions.rate,
                    g.interruptions.pause.mean(),
                    g.interruptions.replay_window,
                    c + 1 - mixed,
                    g.availability,
                    if 1.0 - covered > 1e-9 {
                        format!("; {:.1e} of the time (fewer consumers up) left out", 1.0 - covered)
                    } else {
                        String::new()
                    },
                ),
                format!(
                    "{}; crashes and restarts of the group's consumers superposed as a Poisson stream (Palm–Khintchine)",
                    MG1Interrupted::REFERENCE
                ),
            ),
        };
        let method = if exact && keyed && input == PartitionInput::Poisson && pauses.is_none() {
            Method::exact(name, reference)
        } else {
            Method::approximation(name, reference)
        };
        let distribution = if parts.iter().all(|(_, _, q)| q.sojourn_cdf(0.0).is_some()) {
            let inner = parts
                .first()
                .and_then(|(_, _, q)| q.distribution_method().or_else(|| Some(q.method())));
            inner.map(|m| Method {
                name: format!(
                    "mixture CDF Σ share·F_k(t) of the consumers' {} distributions, inverted",
                    m.name
                ),
                exactness: if method.exactness == Exactness::Exact {
                    m.exactness
                } else {
                    Exactness::Approximation
                },
                reference: m.reference,
            })
        } else {
            None
        };
        let idle_consumers = p.idle_consumers(c);
        let note = (idle_consumers > 0).then(|| {
            format!(
                "{idle_consumers} of the {c} consumers own no partition and stay idle: a consumer group uses at most {} consumers (the partition count); add partitions to use them",
                p.partitions
            )
        });
        let extra_work = if pauses.is_some() {
            parts
                .iter()
                .map(|(s, t, q)| t * q.utilisation() - lambda * s * mean)
                .sum::<f64>()
                .max(0.0)
        } else {
            0.0
        };
        Ok(Self {
            lambda,
            servers: c,
            service_mean: mean,
            extra_work,
            parts,
            method,
            distribution,
            solution: PartitionSolution {
                partition_shares,
                idle_consumers,
                hottest_consumer: hot as u32,
                consumers,
                note,
            },
        })
    }

    /// The per-partition and per-consumer figures.
    pub fn solution(&self) -> &PartitionSolution {
        &self.solution
    }

    fn mix(&self, f: impl Fn(&dyn QueueMetrics) -> Option<f64>) -> Option<f64> {
        self.parts
            .iter()
            .map(|(s, _, q)| f(q.as_ref()).map(|x| s * x))
            .sum()
    }

    fn quantile(&self, cdf: impl Fn(&dyn QueueMetrics, f64) -> Option<f64>, p: f64) -> Option<f64> {
        if !(p > 0.0 && p < 1.0)
            || self
                .parts
                .iter()
                .any(|(_, _, q)| cdf(q.as_ref(), 0.0).is_none())
        {
            return None;
        }
        let scale = self
            .parts
            .iter()
            .map(|(_, _, q)| q.mean_sojourn())
            .fold(self.service_mean, f64::max);
        invert_cdf(
            |t| self.mix(|q| cdf(q, t)).unwrap_or(1.0).min(1.0),
            p,
            scale,
        )
    }
}

impl QueueMetrics for Partitioned {
    fn method(&self) -> Method {
        self.method.clone()
    }
    fn arrival_rate(&self) -> f64 {
        self.lambda
    }
    fn throughput(&self) -> f64 {
        self.lambda
    }
    fn utilisation(&self) -> f64 {
        (self.lambda * self.service_mean + self.extra_work) / f64::from(self.servers)
    }
    fn servers(&self) -> Option<u64> {
        Some(u64::from(self.servers))
    }
    fn mean_number_in_system(&self) -> f64 {
        self.parts
            .iter()
            .map(|(_, t, q)| t * q.mean_number_in_system())
            .sum()
    }
    fn mean_queue_length(&self) -> f64 {
        self.parts
            .iter()
            .map(|(_, t, q)| t * q.mean_queue_length())
            .sum()
    }
    fn mean_sojourn(&self) -> f64 {
        self.parts
            .iter()
            .map(|(s, _, q)| s * q.mean_sojourn())
            .sum()
    }
    fn mean_wait(&self) -> f64 {
        self.parts.iter().map(|(s, _, q)| s * q.mean_wait()).sum()
    }
    fn prob_empty(&self) -> Option<f64> {
        // Independent consumers (Poisson splitting): empty when every one is.
        if self.method.exactness != Exactness::Exact {
            return None;
        }
        self.parts.iter().map(|(_, _, q)| q.prob_empty()).product()
    }
    fn prob_wait(&self) -> Option<f64> {
        self.mix(|q| q.prob_wait())
    }
    fn prob_block(&self) -> Option<f64> {
        Some(0.0)
    }
    fn wait_cdf(&self, t: f64) -> Option<f64> {
        self.mix(|q| q.wait_cdf(t))
    }
    fn sojourn_cdf(&self, t: f64) -> Option<f64> {
        self.mix(|q| q.sojourn_cdf(t))
    }
    fn wait_quantile(&self, p: f64) -> Option<f64> {
        self.quantile(|q, t| q.wait_cdf(t), p)
    }
    fn sojourn_quantile(&self, p: f64) -> Option<f64> {
        self.quantile(|q, t| q.sojourn_cdf(t), p)
    }
    fn distribution_method(&self) -> Option<Method> {
        self.distribution.clone()
    }
}
