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
//! Keyless (round-robin) partitioning splits the stream cyclically, not independently,
//! and non-Poisson input is not split into Poisson streams: each consumer is then a
//! GI/G/1 queue (Whitt 1993) with the thinned arrival SCV (1 + s_k(c_a² − 1) for a key
//! split, s_k c_a² for a cyclic one: exact for a consumer taking every n-th message),
//! labelled an approximation.

use crate::analytic::error::AnalyticError;
use crate::analytic::method::{Exactness, Method};
use crate::analytic::metrics::{QueueMetrics, invert_cdf};
use crate::analytic::single::approx::{GGc, GGcFormula};
use crate::analytic::single::mg1::MG1;
use crate::analytic::single::mm1::MM1;
use crate::model::{Distribution, Keys, Partitioning};
use serde::{Deserialize, Serialize};

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

/// A partitioned queue: the mixture of its consumers' single-server queues.
pub struct Partitioned {
    lambda: f64,
    servers: u32,
    service_mean: f64,
    /// (share, queue) of each consumer with a positive share.
    parts: Vec<(f64, Box<dyn QueueMetrics>)>,
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
    /// `service` per message, partitioned as `p`, with input `input`.
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
        let mut parts: Vec<(f64, Box<dyn QueueMetrics>)> = Vec::new();
        let mut consumers = Vec::new();
        for (k, &s) in shares.iter().enumerate().take(active) {
            if s <= 0.0 {
                continue;
            }
            let rate = lambda * s;
            let queue: Box<dyn QueueMetrics> = match input {
                PartitionInput::Poisson if keyed && exponential => {
                    Box::new(MM1::new(rate, 1.0 / mean)?)
                }
                PartitionInput::Poisson if keyed => Box::new(MG1::new(rate, service)?),
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
                    Box::new(GGc::new(
                        GGcFormula::Whitt1993,
                        rate,
                        thinned,
                        mean,
                        service.scv(),
                        1,
                    )?)
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
            parts.push((s, queue));
        }
        let inner = parts.first().map(|(_, q)| q.method());
        let exact = parts
            .iter()
            .all(|(_, q)| q.method().exactness == Exactness::Exact);
        let base = inner.map_or_else(|| "single-server".to_string(), |m| m.name);
        let split = if keyed {
            "independent key split"
        } else {
            "cyclic (round-robin) split"
        };
        let name = format!(
            "partitioned consumer group: {} independent {} queues ({split}), mixture over key shares",
            parts.len(),
            base
        );
        let reference = "Poisson splitting (Ross, Stochastic Processes, 2nd ed., §2.3); per-consumer solver as named; QNA thinning (Whitt 1983) where approximate";
        let method = if exact && keyed && input == PartitionInput::Poisson {
            Method::exact(name, reference)
        } else {
            Method::approximation(name, reference)
        };
        let distribution = if parts.iter().all(|(_, q)| q.sojourn_cdf(0.0).is_some()) {
            let inner = parts
                .first()
                .and_then(|(_, q)| q.distribution_method().or_else(|| Some(q.method())));
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
        Ok(Self {
            lambda,
            servers: c,
            service_mean: mean,
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
            .map(|(s, q)| f(q.as_ref()).map(|x| s * x))
            .sum()
    }

    fn quantile(&self, cdf: impl Fn(&dyn QueueMetrics, f64) -> Option<f64>, p: f64) -> Option<f64> {
        if !(p > 0.0 && p < 1.0)
            || self
                .parts
                .iter()
                .any(|(_, q)| cdf(q.as_ref(), 0.0).is_none())
        {
            return None;
        }
        let scale = self
            .parts
            .iter()
            .map(|(_, q)| q.mean_sojourn())
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
        self.lambda * self.service_mean / f64::from(self.servers)
    }
    fn servers(&self) -> Option<u64> {
        Some(u64::from(self.servers))
    }
    fn mean_number_in_system(&self) -> f64 {
        self.parts
            .iter()
            .map(|(_, q)| q.mean_number_in_system())
            .sum()
    }
    fn mean_queue_length(&self) -> f64 {
        self.parts.iter().map(|(_, q)| q.mean_queue_length()).sum()
    }
    fn mean_sojourn(&self) -> f64 {
        self.parts.iter().map(|(s, q)| s * q.mean_sojourn()).sum()
    }
    fn mean_wait(&self) -> f64 {
        self.parts.iter().map(|(s, q)| s * q.mean_wait()).sum()
    }
    fn prob_empty(&self) -> Option<f64> {
        // Independent consumers (Poisson splitting): empty when every one is.
        if self.method.exactness != Exactness::Exact {
            return None;
        }
        self.parts.iter().map(|(_, q)| q.prob_empty()).product()
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
