//! Results: one [`ReplicationResult`] per replication, and the [`SimReport`] that
//! summarises them with confidence intervals. All are plain serde records (JSON field
//! names as below), times in seconds, rates per second.
//!
//! Definitions used throughout:
//! * **In the node** (L): waiting, in service, waiting out a redelivery backoff, or
//!   finished but held by a blocked consumer (blocking after service).
//! * **Waiting** (Lq, wait): in the waiting line only. A message's wait is its sojourn
//!   minus the time it spent in service (all attempts), so it includes backoffs,
//!   preemption and blocking; for a plain FIFO queue it is the classic Wq.
//! * **Sojourn**: admission to the node until it leaves it (after its last attempt).
//! * **Busy servers**: consumers holding a message (serving or blocked after service);
//!   utilisation = busy / servers.
//! * **Throughput**: messages completed (served successfully and left) per second.
//! * **Completions** (run control): source messages fully done, i.e. whose every
//!   descendant (routes, topic copies, dead letters) has left the system.

use super::consumer::{ConsumerPoolReport, ConsumerPoolRun};
use super::estimate::Estimate;
use super::histogram::Histogram;
use super::partition::{PartitionsReport, PartitionsRun};
use super::warning::SimWarning;
use crate::model::{Level, Metric, Queried};
use serde::{Deserialize, Serialize};

/// Mean and percentiles of one latency in one replication, seconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LatencySummary {
    /// Number of messages measured.
    pub count: u64,
    /// Exact sample mean.
    pub mean: f64,
    /// Median (from the histogram, relative error ≤ 1/128).
    pub p50: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
    /// 99.9th percentile.
    pub p999: f64,
    /// The histogram's non-empty buckets: the replications of a run pool them for its
    /// percentiles (see [`Estimate::sectioned`]).
    #[serde(default)]
    pub buckets: super::histogram::Buckets,
}

impl LatencySummary {
    /// The percentile at a standard `level` (`None` for another level).
    ///
    /// # Example
    /// ```
    /// use kendall::model::Level;
    /// use kendall::sim::LatencySummary;
    /// let s = LatencySummary {
    ///     count: 10,
    ///     mean: 1.0,
    ///     p50: 0.8,
    ///     p95: 2.0,
    ///     p99: 3.0,
    ///     p999: 4.0,
    ///     buckets: Default::default(),
    /// };
    /// assert_eq!(s.get(Level::P99), Some(3.0));
    /// assert_eq!(s.get("p9995".parse().unwrap()), None);
    /// ```
    pub fn get(&self, level: Level) -> Option<f64> {
        match level {
            Level::P50 => Some(self.p50),
            Level::P95 => Some(self.p95),
            Level::P99 => Some(self.p99),
            Level::P999 => Some(self.p999),
            _ => None,
        }
    }
}

/// Message conservation of one node, counted over the whole run (warm-up included):
/// `offered + copies = completed + dead_lettered + expired + dropped + rejected +
/// duplicates + in_node`.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct NodeCounts {
    /// Messages that reached the node (admitted or rejected; held blocked senders are
    /// counted once admitted).
    pub offered: u64,
    /// Served successfully and left.
    pub completed: u64,
    /// Left after `max_attempts` failed deliveries.
    pub dead_lettered: u64,
    /// Left unserved when their `ttl` ran out (to the dead-letter target, if any).
    #[serde(default)]
    pub expired: u64,
    /// Pushed out of the full node by a newer arrival (`on_full = "drop_head"`; to the
    /// dead-letter target, if any).
    #[serde(default)]
    pub dropped: u64,
    /// Refused because the node was full (`on_full = "reject"`).
    pub rejected: u64,
    /// Copies made by ack timeouts (`ack_timeout`), each a message in the node.
    #[serde(default)]
    pub copies: u64,
    /// Deliveries discarded as duplicates: another delivery of the same message
    /// finished first (`ack_timeout`).
    #[serde(default)]
    pub duplicates: u64,
    /// Still in the node at the end.
    pub in_node: u64,
}

impl NodeCounts {
    /// Whether `offered + copies = completed + dead_lettered + expired + dropped +
    /// rejected + duplicates + in_node`.
    pub fn is_balanced(&self) -> bool {
        self.offered + self.copies
            == self.completed
                + self.duplicates
                + self.dead_lettered
                + self.expired
                + self.dropped
                + self.rejected
                + self.in_node
    }

    fn add(&mut self, o: &NodeCounts) {
        self.offered += o.offered;
        self.completed += o.completed;
        self.dead_lettered += o.dead_lettered;
        self.expired += o.expired;
        self.dropped += o.dropped;
        self.rejected += o.rejected;
        self.copies += o.copies;
        self.duplicates += o.duplicates;
        self.in_node += o.in_node;
    }
}

/// Message conservation of the whole system over the whole run:
/// `created + copies = completed + in_flight + rejected + dead_lettered + expired +
/// dropped + duplicates`.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct Conservation {
    /// Messages created: by sources, start-up backlogs, and topic copies (a publish to
    /// n subscribers turns one message into n: n − 1 created).
    pub created: u64,
    /// Messages that left the system after service (route to `exit`).
    pub completed: u64,
    /// In a node, or held for a full blocking queue, at the end.
    pub in_flight: u64,
    /// Lost at a full queue.
    pub rejected: u64,
    /// Exhausted and dropped (no dead-letter node).
    pub dead_lettered: u64,
    /// Expired (`ttl`) and dropped (no dead-letter node).
    #[serde(default)]
    pub expired: u64,
    /// Pushed out of a full queue (`on_full = "drop_head"`) and dropped (no dead-letter
    /// node).
    #[serde(default)]
    pub dropped: u64,
    /// Copies made by ack timeouts (`ack_timeout`): a message delivered again while
    /// its first consumer still works on it.
    #[serde(default)]
    pub copies: u64,
    /// Deliveries discarded as duplicates: another delivery of the same message
    /// finished first (`ack_timeout`).
    #[serde(default)]
    pub duplicates: u64,
}

impl Conservation {
    /// Whether `created + copies = completed + in_flight + rejected + dead_lettered +
    /// expired + dropped + duplicates`.
    ///
    /// # Example
    /// ```
    /// use kendall::sim::Conservation;
    /// let c = Conservation {
    ///     created: 10, completed: 4, in_flight: 2, rejected: 1, dead_lettered: 1,
    ///     expired: 1, dropped: 1, copies: 3, duplicates: 3,
    /// };
    /// assert!(c.is_balanced());
    /// ```
    pub fn is_balanced(&self) -> bool {
        self.created + self.copies
            == self.completed
                + self.duplicates
                + self.in_flight
                + self.rejected
                + self.dead_lettered
                + self.expired
                + self.dropped
    }

    pub(crate) fn add(&mut self, o: &Conservation) {
        self.created += o.created;
        self.completed += o.completed;
        self.in_flight += o.in_flight;
        self.rejected += o.rejected;
        self.dead_lettered += o.dead_lettered;
        self.expired += o.expired;
        self.dropped += o.dropped;
        self.copies += o.copies;
        self.duplicates += o.duplicates;
    }
}

/// One queue in one replication (statistics after warm-up).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct QueueRun {
    /// Queue name.
    pub name: String,
    /// Time-averaged number in the node, L.
    pub l: f64,
    /// Time-averaged number waiting, Lq.
    pub lq: f64,
    /// Time-average of N² minus L²: the variance of the number in the node.
    #[serde(default)]
    pub var_n: f64,
    /// Variance of the sojourn of completed messages (E\[W²\] − E\[W\]²), seconds².
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub var_w: Option<f64>,
    /// Variance of the wait of completed messages, seconds².
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub var_wq: Option<f64>,
    /// Time-averaged busy servers.
    pub busy_servers: f64,
    /// busy_servers / servers.
    pub utilisation: f64,
    /// Completions per second.
    pub throughput: f64,
    /// Messages admitted.
    pub admitted: u64,
    /// Messages rejected.
    pub rejected: u64,
    /// Messages completed.
    pub completed: u64,
    /// Deliveries that failed and were redelivered.
    pub redeliveries: u64,
    /// Messages dead-lettered.
    pub dead_letters: u64,
    /// Messages that expired unserved (`ttl`); `None` for a queue without a TTL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expired: Option<u64>,
    /// Messages pushed out by a newer arrival (`on_full = "drop_head"`); `None` for
    /// other queues.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dropped: Option<u64>,
    /// Copies made by ack timeouts; `None` for a queue without `ack_timeout`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub copies: Option<u64>,
    /// Deliveries discarded as duplicates (another delivery of the message finished
    /// first); `None` for a queue without `ack_timeout`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duplicates: Option<u64>,
    /// Arrivals that found the node full (rejected, or made to wait by `block`).
    pub found_full: u64,
    /// Messages that reached the node (admitted at once, rejected, or held because
    /// it was full).
    pub arrived: u64,
    /// rejected / arrived; `None` without arrivals.
    pub rejection_probability: Option<f64>,
    /// found_full / arrived; `None` without arrivals.
    pub full_probability: Option<f64>,
    /// Fraction of completed messages that waited at all (P(Wq > 0)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait_probability: Option<f64>,
    /// Waiting time of completed messages.
    pub wait: Option<LatencySummary>,
    /// Sojourn time of completed messages.
    pub sojourn: Option<LatencySummary>,
    /// Age at completion here: from the creation of the source message to the
    /// completion of its copy at this node (the end-to-end latency "per listener").
    pub end_to_end: Option<LatencySummary>,
    /// Whole-run conservation counts.
    pub counts: NodeCounts,
    /// Per partition and per consumer, for a partitioned queue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partitions: Option<PartitionsRun>,
    /// Prefetch and crash figures, for a queue with `prefetch` or `crash`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consumers: Option<ConsumerPoolRun>,
    /// The figures the model asked for beyond the standard ones (other percentile
    /// levels, P(W > t), P(Wq > t)), from this run's histograms.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub queried: Vec<Queried>,
}

/// One source in one replication.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SourceRun {
    /// Source name.
    pub name: String,
    /// Messages created after warm-up.
    pub created: u64,
    /// Messages fully done after warm-up (every descendant left the system).
    pub finished: u64,
    /// Finished messages of which some descendant was rejected or dropped.
    pub lost: u64,
    /// End-to-end latency (created → last descendant done) of loss-free messages.
    /// For a retrying source these are its attempts.
    pub latency: Option<LatencySummary>,
    /// Request-level figures of a retrying source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry: Option<RetryRun>,
    /// The end-to-end figures the model asked for beyond the standard ones.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub queried: Vec<Queried>,
}

/// The requests of a retrying source in one replication (after warm-up).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RetryRun {
    /// Requests started.
    pub requests: u64,
    /// Attempts sent (first sends and retries).
    pub attempts: u64,
    /// Requests that succeeded (their current attempt finished within its timeout).
    pub succeeded: u64,
    /// Requests that gave up after `max_retries` retries timed out.
    pub gave_up: u64,
    /// Abandoned attempts that finished anyway (work done for nothing).
    pub wasted: u64,
    /// Attempts that timed out.
    pub timeouts: u64,
    /// Request latency (first send → successful completion) of the successful requests.
    pub latency: Option<LatencySummary>,
}

/// The requests of a retrying source across replications.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RetryReport {
    /// Requests started per second.
    pub request_rate: Estimate,
    /// Attempts sent per second (the load the source offers, retries included).
    pub attempt_rate: Estimate,
    /// Attempts per request (amplification): attempts / requests.
    pub amplification: Estimate,
    /// Fraction of the finished requests that succeeded: succeeded / (succeeded + gave up).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success_ratio: Option<Estimate>,
    /// Requests that gave up, per second.
    pub gave_up_rate: Estimate,
    /// Abandoned attempts that finished anyway, per second (wasted work).
    pub wasted_rate: Estimate,
    /// Fraction of the attempts that timed out.
    pub timeout_ratio: Estimate,
    /// Request latency (first send → successful completion) of the successful requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency: Option<LatencyReport>,
}

/// One bucket of the time series of one replication.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SeriesBucket {
    /// Start of the bucket, seconds from the start of the run (warm-up included).
    pub start: f64,
    /// Length of the bucket, seconds (the last one may be shorter).
    pub length: f64,
    /// Time-averaged number in each queue (model order).
    pub queue_length: Vec<f64>,
    /// Mean sojourn of the messages each queue completed in the bucket.
    pub sojourn: Vec<Option<f64>>,
    /// Mean end-to-end latency of each source's messages finished in the bucket.
    pub latency: Vec<Option<f64>>,
    /// p99 of the sojourns each queue completed in the bucket (within 1/128 relative).
    #[serde(default)]
    pub sojourn_p99: Vec<Option<f64>>,
    /// p99 of each source's end-to-end latencies finished in the bucket.
    #[serde(default)]
    pub latency_p99: Vec<Option<f64>>,
    /// Consumer lag: the time-averaged number of messages of each partition in the
    /// node, `partition_lag[q][p]` for partitioned queue q (empty for the others); empty
    /// when the model has no partitioned queue.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub partition_lag: Vec<Vec<f64>>,
}

/// Everything measured in one replication.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ReplicationResult {
    /// Replication index.
    pub replication: u32,
    /// Simulated time at the end, seconds.
    pub end_time: f64,
    /// Simulated time over which statistics were kept (end − end of warm-up).
    pub measured_time: f64,
    /// Events processed.
    pub events: u64,
    /// Per queue, model order.
    pub queues: Vec<QueueRun>,
    /// Per source, model order.
    pub sources: Vec<SourceRun>,
    /// Whole-run conservation counts.
    pub conservation: Conservation,
    /// Time at which the last start-up backlog message was done, if there was a backlog
    /// and it drained.
    pub backlog_drained_at: Option<f64>,
    /// Time series, if `time_series` was set.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub series: Vec<SeriesBucket>,
}

/// Mean and percentiles of a latency across replications, each with its interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LatencyReport {
    /// Messages measured, all replications.
    pub count: u64,
    /// Mean.
    pub mean: Estimate,
    /// Median.
    pub p50: Estimate,
    /// 95th percentile.
    pub p95: Estimate,
    /// 99th percentile.
    pub p99: Estimate,
    /// 99.9th percentile.
    pub p999: Estimate,
}

/// A figure the model asked for beyond the standard ones (another percentile level,
/// a tail probability), estimated across replications.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct QueriedEstimate {
    /// The figure (`p9995`, `wait.P(>50ms)`, ...).
    pub metric: Metric,
    /// Its estimate over the replications (a tail probability's interval clipped to
    /// [0, 1]).
    pub estimate: Estimate,
}

/// The estimates of the queried figures the replications measured (each in the order
/// first met): the mean over replications of each replication's value, with its
/// interval; a wait or sojourn percentile by sectioning, from the pooled histogram of
/// the waits or the sojourns.
fn queried_estimates(
    runs: &[&[Queried]],
    confidence: f64,
    wait: &Histogram,
    sojourn: &Histogram,
) -> Vec<QueriedEstimate> {
    let mut metrics: Vec<Metric> = Vec::new();
    for q in runs.iter().flat_map(|r| r.iter()) {
        if !metrics.contains(&q.metric) {
            metrics.push(q.metric);
        }
    }
    metrics
        .into_iter()
        .filter_map(|metric| {
            let values = runs
                .iter()
                .filter_map(|r| r.iter().find(|q| q.metric == metric).map(|q| q.value));
            let hi = if metric.unit() == crate::model::Unit::Fraction {
                1.0
            } else {
                f64::INFINITY
            };
            let estimate = match metric {
                Metric::WaitPercentile(l) => sectioned(wait, l.p(), values, confidence),
                Metric::SojournPercentile(l) => sectioned(sojourn, l.p(), values, confidence),
                _ => Estimate::from_values(values, confidence),
            }?
            .within(0.0, hi);
            Some(QueriedEstimate { metric, estimate })
        })
        .collect()
}

/// Percentiles of a latency across replications, each with its interval (the JSON
/// shape of `wait` and `sojourn`, as in the analytic solution, plus the count).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PercentileReport {
    /// Messages measured, all replications.
    pub count: u64,
    /// Median.
    pub p50: Estimate,
    /// 95th percentile.
    pub p95: Estimate,
    /// 99th percentile.
    pub p99: Estimate,
    /// 99.9th percentile.
    pub p999: Estimate,
}

impl PercentileReport {
    /// The percentile at `level` (see [`SourceReport::get`] for an example).
    pub fn get(&self, level: Level) -> Option<Estimate> {
        match level {
            Level::P50 => Some(self.p50),
            Level::P95 => Some(self.p95),
            Level::P99 => Some(self.p99),
            Level::P999 => Some(self.p999),
            _ => None,
        }
    }

    fn of(l: &LatencyReport) -> Self {
        Self {
            count: l.count,
            p50: l.p50,
            p95: l.p95,
            p99: l.p99,
            p999: l.p999,
        }
    }
}

/// One queue across replications. Field names are those of the analytic
/// [`NodeSolution`](crate::analytic::NodeSolution) for the same quantities; every
/// [`Metric`] is read with [`QueueReport::get`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct QueueReport {
    /// Queue name.
    pub name: String,
    /// Consumers.
    pub servers: u32,
    /// Offered arrival rate λ (messages reaching the node, admitted or not), messages/s.
    pub arrival_rate: Estimate,
    /// Throughput X, completions per second.
    pub throughput: Estimate,
    /// Utilisation per server.
    pub utilisation: Estimate,
    /// Busy servers.
    pub busy_servers: Estimate,
    /// L.
    pub l: Estimate,
    /// Lq.
    pub lq: Estimate,
    /// Var(N), the variance of the number in the node (the mean over replications of
    /// each one's time-average of N² minus its L²).
    pub var_n: Estimate,
    /// Var(W), the variance of the sojourn of completed messages, seconds².
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub var_w: Option<Estimate>,
    /// Var(Wq), the variance of the wait of completed messages, seconds².
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub var_wq: Option<Estimate>,
    /// W, mean sojourn of completed messages, seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub w: Option<Estimate>,
    /// Wq, mean wait of completed messages, seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wq: Option<Estimate>,
    /// Probability that a message waits at all, P(Wq > 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p_wait: Option<Estimate>,
    /// Probability that an arrival finds the node full (rejected with
    /// `on_full = "reject"`, held with `"block"`); absent without arrivals.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p_block: Option<Estimate>,
    /// Probability that an arrival is rejected (lost); absent without arrivals.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p_reject: Option<Estimate>,
    /// Fraction of the messages that reached the node and were dead-lettered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dead_letter: Option<Estimate>,
    /// P(expire): fraction of the admitted messages that expired unserved (a queue
    /// with a `ttl`; absent otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p_expire: Option<Estimate>,
    /// Percentiles of the waiting time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait: Option<PercentileReport>,
    /// Percentiles of the sojourn time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sojourn: Option<PercentileReport>,
    /// Age at completion at this node (end-to-end latency per listener).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_to_end: Option<LatencyReport>,
    /// Redeliveries per replication.
    pub redeliveries: Estimate,
    /// Dead letters per replication.
    pub dead_letters: Estimate,
    /// Rejected messages per replication.
    pub rejected: Estimate,
    /// Conservation counts summed over replications.
    pub counts: NodeCounts,
    /// Why some of these figures cannot be trusted as steady-state figures (overload,
    /// a growing backlog, a short horizon, too few messages for a percentile), with the
    /// metrics each affects.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<SimWarning>,
    /// Per partition and per consumer, for a partitioned queue (Kafka-style topic
    /// consumed by a group); the node's own figures are the mixture over partitions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partitions: Option<PartitionsReport>,
    /// Prefetch and crash figures (RabbitMQ-style consumers), for a queue with
    /// `prefetch` or `crash`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consumers: Option<ConsumerPoolReport>,
    /// The figures the model asked for beyond the standard ones (other percentile
    /// levels, P(W > t), P(Wq > t)).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub queried: Vec<QueriedEstimate>,
}

impl QueueReport {
    /// The estimate of `metric` for this queue, if the run measured it
    /// (`consumers` is the deployed number, with a zero-width interval).
    ///
    /// # Example
    /// ```
    /// use kendall::{Metric, Model, RunSettings, simulate};
    /// let m = Model::load(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/single_queue.toml"))
    ///     .unwrap().validate().unwrap();
    /// let s = RunSettings { horizon: Some(50.0), replications: 2, ..RunSettings::default() };
    /// let r = simulate(&m, &s).unwrap();
    /// let rho = r.queues[0].get(Metric::Utilisation).unwrap();
    /// assert!((rho.mean - 0.8).abs() < 0.05);
    /// assert_eq!(r.queues[0].get(Metric::Consumers).unwrap().mean, 10.0);
    /// ```
    pub fn get(&self, metric: Metric) -> Option<Estimate> {
        match metric {
            Metric::ArrivalRate => Some(self.arrival_rate),
            Metric::Throughput => Some(self.throughput),
            Metric::Utilisation => Some(self.utilisation),
            Metric::MeanNumber => Some(self.l),
            Metric::MeanQueueLength => Some(self.lq),
            Metric::MeanSojourn => self.w,
            Metric::MeanWait => self.wq,
            Metric::VarNumber => Some(self.var_n),
            Metric::VarSojourn => self.var_w,
            Metric::VarWait => self.var_wq,
            Metric::SojournPercentile(l) if l.is_standard() => self.sojourn?.get(l),
            Metric::WaitPercentile(l) if l.is_standard() => self.wait?.get(l),
            Metric::SojournPercentile(_)
            | Metric::WaitPercentile(_)
            | Metric::SojournTail(_)
            | Metric::WaitTail(_) => queried_estimate(&self.queried, metric),
            Metric::WaitProbability => self.p_wait,
            Metric::Blocking => self.p_block,
            Metric::Expired => self.p_expire,
            Metric::DeadLetter => self.dead_letter,
            Metric::Consumers => Some(Estimate::exact(
                consumers_figure(self.servers),
                self.utilisation.replications,
            )),
        }
    }
}

/// The number of consumers as a figure: infinite for a delay station.
pub(crate) fn consumers_figure(servers: u32) -> f64 {
    if servers == crate::model::Queue::INFINITE_SERVERS {
        f64::INFINITY
    } else {
        f64::from(servers)
    }
}

/// The estimate of `metric` in a list of queried estimates.
fn queried_estimate(queried: &[QueriedEstimate], metric: Metric) -> Option<Estimate> {
    queried
        .iter()
        .find(|q| q.metric == metric)
        .map(|q| q.estimate)
}

/// One source across replications.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SourceReport {
    /// Source name.
    pub name: String,
    /// Messages created per replication (after warm-up).
    pub created: Estimate,
    /// Messages with a lost descendant per replication.
    pub lost: Estimate,
    /// W: mean end-to-end latency (creation until the last descendant is done) of
    /// loss-free messages, seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub w: Option<Estimate>,
    /// Percentiles of the end-to-end latency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sojourn: Option<PercentileReport>,
    /// Warnings of the queues its messages pass through, on its end-to-end figures.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<SimWarning>,
    /// Request-level figures of a retrying source (its `created`, `w` and `sojourn`
    /// are then per attempt).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry: Option<RetryReport>,
    /// The end-to-end figures the model asked for beyond the standard ones.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub queried: Vec<QueriedEstimate>,
}

impl SourceReport {
    /// The estimate of an end-to-end `metric` (`W` or a percentile); `None` for other
    /// metrics or when no message finished.
    ///
    /// # Example
    /// ```
    /// use kendall::{Level, Metric, Model, RunSettings, simulate};
    /// let m = Model::load(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/single_queue.toml"))
    ///     .unwrap().validate().unwrap();
    /// let s = RunSettings { horizon: Some(20.0), replications: 2, ..RunSettings::default() };
    /// let src = &simulate(&m, &s).unwrap().sources[0];
    /// let w = src.get(Metric::MeanSojourn).unwrap();
    /// let p99 = src.get(Metric::SojournPercentile(Level::P99)).unwrap();
    /// assert!(p99.mean > w.mean);
    /// assert!(src.get(Metric::Utilisation).is_none());
    /// ```
    pub fn get(&self, metric: Metric) -> Option<Estimate> {
        match metric {
            Metric::MeanSojourn => self.w,
            Metric::SojournPercentile(l) if l.is_standard() => self.sojourn?.get(l),
            Metric::SojournPercentile(_) | Metric::SojournTail(_) => {
                queried_estimate(&self.queried, metric)
            }
            _ => None,
        }
    }
}

/// The time series across replications: per bucket, the mean over replications and its
/// confidence band (the Student-t interval of the mean over the replications' own bucket
/// values, at the run's confidence level, clipped at 0).
///
/// Every figure is a table indexed `[b][q]` (bucket b, queue q in the order of `queues`) or
/// `[b][s]` (source s in the order of `sources`). The mean and its band are three tables
/// of the same shape (`queue_length`, `queue_length_lower`, `queue_length_upper`), so
/// `queue_length_lower[b][q] <= queue_length[b][q] <= queue_length_upper[b][q]`; with one
/// replication (no interval) the band is the mean itself. A bucket's figures are over the
/// replications that reached it (all of them for runs of fixed length); an `Option` cell
/// is `None` when no replication had a value there (no completion in the bucket), and the
/// mean and its band are then all `None` together. The p99 tables hold the mean over
/// replications of each replication's p99 of the bucket (from a histogram of the bucket's
/// values, within 1/128 relative), with its band the same way. Times in seconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TimeSeries {
    /// Bucket width, seconds.
    pub resolution: f64,
    /// Confidence level of the bands.
    pub confidence: f64,
    /// Start of each bucket, seconds from the start of the run (warm-up included).
    pub start: Vec<f64>,
    /// Length of each bucket, seconds: `resolution`, except that the last may be shorter.
    pub length: Vec<f64>,
    /// Queue names, in the order of the inner vectors.
    pub queues: Vec<String>,
    /// Source names, in the order of the inner vectors.
    pub sources: Vec<String>,
    /// `queue_length[b][q]`: mean over replications of the time-averaged number in
    /// queue q during bucket b.
    pub queue_length: Vec<Vec<f64>>,
    /// Lower end of the band of `queue_length[b][q]`.
    pub queue_length_lower: Vec<Vec<f64>>,
    /// Upper end of the band of `queue_length[b][q]`.
    pub queue_length_upper: Vec<Vec<f64>>,
    /// `sojourn[b][q]`: mean sojourn of completions in the bucket, averaged over the
    /// replications that had some.
    pub sojourn: Vec<Vec<Option<f64>>>,
    /// Lower end of the band of `sojourn[b][q]`.
    pub sojourn_lower: Vec<Vec<Option<f64>>>,
    /// Upper end of the band of `sojourn[b][q]`.
    pub sojourn_upper: Vec<Vec<Option<f64>>>,
    /// `sojourn_p99[b][q]`: p99 of the sojourns of completions in the bucket, averaged
    /// over the replications that had some.
    pub sojourn_p99: Vec<Vec<Option<f64>>>,
    /// Lower end of the band of `sojourn_p99[b][q]`.
    pub sojourn_p99_lower: Vec<Vec<Option<f64>>>,
    /// Upper end of the band of `sojourn_p99[b][q]`.
    pub sojourn_p99_upper: Vec<Vec<Option<f64>>>,
    /// `latency[b][s]`: mean end-to-end latency of source s in the bucket, averaged over
    /// the replications that had some.
    pub latency: Vec<Vec<Option<f64>>>,
    /// Lower end of the band of `latency[b][s]`.
    pub latency_lower: Vec<Vec<Option<f64>>>,
    /// Upper end of the band of `latency[b][s]`.
    pub latency_upper: Vec<Vec<Option<f64>>>,
    /// `latency_p99[b][s]`: p99 of the end-to-end latencies finished in the bucket,
    /// averaged over the replications that had some.
    pub latency_p99: Vec<Vec<Option<f64>>>,
    /// Lower end of the band of `latency_p99[b][s]`.
    pub latency_p99_lower: Vec<Vec<Option<f64>>>,
    /// Upper end of the band of `latency_p99[b][s]`.
    pub latency_p99_upper: Vec<Vec<Option<f64>>>,
    /// When the warm-up ended, seconds from the start of the run (mean over the
    /// replications: a warm-up by count ends at a different time in each); absent
    /// without a warm-up. Buckets before it are not in the run's statistics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warmup_end: Option<f64>,
    /// Consumer lag of each partition, `partition_lag[b][q][p]`: mean over replications
    /// of partition p's time-averaged messages in partitioned queue q during bucket b
    /// (an empty row for queues without partitions); empty when no queue is
    /// partitioned. Summed over p it is `queue_length[b][q]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub partition_lag: Vec<Vec<Vec<f64>>>,
    /// Lower end of the band of `partition_lag[b][q][p]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub partition_lag_lower: Vec<Vec<Vec<f64>>>,
    /// Upper end of the band of `partition_lag[b][q][p]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub partition_lag_upper: Vec<Vec<Vec<f64>>>,
}

/// The mean of `xs` and its confidence band, clipped at 0; the band is the mean itself
/// with fewer than two values. `None` without values.
fn band(xs: impl Iterator<Item = f64>, confidence: f64) -> Option<(f64, f64, f64)> {
    let e = Estimate::from_values(xs, confidence)?.within(0.0, f64::INFINITY);
    Some((e.mean, e.lower.unwrap_or(e.mean), e.upper.unwrap_or(e.mean)))
}

/// Three tables (mean, lower, upper) of optional banded cells, one row per bucket.
type Banded = [Vec<Vec<Option<f64>>>; 3];

fn push_banded(out: &mut Banded, row: Vec<Option<(f64, f64, f64)>>) {
    out[0].push(row.iter().map(|v| v.map(|v| v.0)).collect());
    out[1].push(row.iter().map(|v| v.map(|v| v.1)).collect());
    out[2].push(row.iter().map(|v| v.map(|v| v.2)).collect());
}

impl TimeSeries {
    /// Builds the series from the replications' buckets (`runs` in replication order).
    fn from_runs(resolution: f64, confidence: f64, runs: &[ReplicationResult]) -> Self {
        let first = &runs[0];
        let buckets = runs.iter().map(|r| r.series.len()).max().unwrap_or(0);
        let nq = first.queues.len();
        let ns = first.sources.len();
        let (mut start, mut length) = (Vec::with_capacity(buckets), Vec::with_capacity(buckets));
        let mut lengths: [Vec<Vec<f64>>; 3] = Default::default();
        let (mut sojourn, mut sojourn_p99) = (Banded::default(), Banded::default());
        let (mut latency, mut latency_p99) = (Banded::default(), Banded::default());
        for b in 0..buckets {
            let here: Vec<&SeriesBucket> = runs.iter().filter_map(|r| r.series.get(b)).collect();
            start.push(here[0].start);
            length.push(here[0].length);
            let row: Vec<(f64, f64, f64)> = (0..nq)
                .map(|q| {
                    band(here.iter().map(|h| h.queue_length[q]), confidence)
                        .unwrap_or((0.0, 0.0, 0.0))
                })
                .collect();
            lengths[0].push(row.iter().map(|v| v.0).collect());
            lengths[1].push(row.iter().map(|v| v.1).collect());
            lengths[2].push(row.iter().map(|v| v.2).collect());
            let cells = |n: usize, get: &dyn Fn(&SeriesBucket, usize) -> Option<f64>| {
                (0..n)
                    .map(|i| band(here.iter().filter_map(|h| get(h, i)), confidence))
                    .collect::<Vec<_>>()
            };
            push_banded(&mut sojourn, cells(nq, &|h, q| h.sojourn[q]));
            push_banded(
                &mut sojourn_p99,
                cells(nq, &|h, q| h.sojourn_p99.get(q).copied().flatten()),
            );
            push_banded(&mut latency, cells(ns, &|h, s| h.latency[s]));
            push_banded(
                &mut latency_p99,
                cells(ns, &|h, s| h.latency_p99.get(s).copied().flatten()),
            );
        }
        // Partition lags, where the runs kept them.
        let mut lags: [Vec<Vec<Vec<f64>>>; 3] = Default::default();
        if first.series.iter().any(|b| !b.partition_lag.is_empty()) {
            for b in 0..buckets {
                let here: Vec<&SeriesBucket> =
                    runs.iter().filter_map(|r| r.series.get(b)).collect();
                let mut rows: [Vec<Vec<f64>>; 3] = Default::default();
                for q in 0..nq {
                    let parts = here
                        .iter()
                        .map(|h| h.partition_lag.get(q).map_or(0, Vec::len))
                        .max()
                        .unwrap_or(0);
                    let cells: Vec<(f64, f64, f64)> = (0..parts)
                        .map(|p| {
                            band(
                                here.iter()
                                    .filter_map(|h| h.partition_lag.get(q)?.get(p).copied()),
                                confidence,
                            )
                            .unwrap_or((0.0, 0.0, 0.0))
                        })
                        .collect();
                    rows[0].push(cells.iter().map(|c| c.0).collect());
                    rows[1].push(cells.iter().map(|c| c.1).collect());
                    rows[2].push(cells.iter().map(|c| c.2).collect());
                }
                let [m, lo, hi] = rows;
                lags[0].push(m);
                lags[1].push(lo);
                lags[2].push(hi);
            }
        }
        let [partition_lag, partition_lag_lower, partition_lag_upper] = lags;
        let warmup_end = {
            let ends: Vec<f64> = runs.iter().map(|r| r.end_time - r.measured_time).collect();
            let mean = ends.iter().sum::<f64>() / ends.len().max(1) as f64;
            (mean > 0.0 && mean.is_finite()).then_some(mean)
        };
        let [queue_length, queue_length_lower, queue_length_upper] = lengths;
        let [sojourn, sojourn_lower, sojourn_upper] = sojourn;
        let [sojourn_p99, sojourn_p99_lower, sojourn_p99_upper] = sojourn_p99;
        let [latency, latency_lower, latency_upper] = latency;
        let [latency_p99, latency_p99_lower, latency_p99_upper] = latency_p99;
        TimeSeries {
            resolution,
            confidence,
            start,
            length,
            queues: first.queues.iter().map(|q| q.name.clone()).collect(),
            sources: first.sources.iter().map(|s| s.name.clone()).collect(),
            queue_length,
            queue_length_lower,
            queue_length_upper,
            sojourn,
            sojourn_lower,
            sojourn_upper,
            sojourn_p99,
            sojourn_p99_lower,
            sojourn_p99_upper,
            latency,
            latency_lower,
            latency_upper,
            latency_p99,
            latency_p99_lower,
            latency_p99_upper,
            warmup_end,
            partition_lag,
            partition_lag_lower,
            partition_lag_upper,
        }
    }
}

/// The result of a simulation: every figure with its confidence interval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SimReport {
    /// Version of this output's JSON shape ([`SCHEMA_VERSION`](crate::SCHEMA_VERSION)).
    pub schema_version: u32,
    /// Model name, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Replications run.
    pub replications: u32,
    /// Confidence level of the intervals.
    pub confidence: f64,
    /// Master seed.
    pub seed: u64,
    /// Simulated time with statistics per replication.
    pub measured_time: Estimate,
    /// Events processed, all replications.
    pub events: u64,
    /// Per queue, model order.
    pub queues: Vec<QueueReport>,
    /// Per source, model order.
    pub sources: Vec<SourceReport>,
    /// Conservation counts summed over replications.
    pub conservation: Conservation,
    /// When the start-up backlog had drained (replications where it did).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backlog_drained_at: Option<Estimate>,
    /// Time series, if asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_series: Option<TimeSeries>,
    /// Every warning of every queue and source (see [`SimWarning`]): empty when the
    /// run found nothing to doubt.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<SimWarning>,
    /// The figures the model asked for beyond the standard ones (`[queries]`, SLOs),
    /// found in each queue's and source's `queried`.
    #[serde(
        default,
        skip_serializing_if = "crate::model::QueriedMetrics::is_empty"
    )]
    pub queried: crate::model::QueriedMetrics,
}

impl SimReport {
    /// The report of the queue called `name`.
    pub fn queue(&self, name: &str) -> Option<&QueueReport> {
        self.queues.iter().find(|q| q.name == name)
    }

    /// Whether no queue was found overloaded or unsettled (short-horizon warnings
    /// aside): the figures estimate a steady state.
    ///
    /// # Example
    /// ```
    /// use kendall::{Model, RunSettings, simulate};
    /// let mut m = Model::load(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/single_queue.toml")).unwrap();
    /// let s = RunSettings { horizon: Some(20.0), replications: 2, ..RunSettings::default() };
    /// assert!(simulate(&m.clone().validate().unwrap(), &s).unwrap().is_stationary());
    /// m.queues[0].servers = 1; // offered load 8
    /// let r = simulate(&m.validate().unwrap(), &s).unwrap();
    /// assert!(!r.is_stationary());
    /// assert_eq!(r.queues[0].warnings[0].kind, kendall::sim::WarningKind::Overloaded);
    /// ```
    pub fn is_stationary(&self) -> bool {
        !self.warnings.iter().any(|w| w.kind.is_unsettled())
    }

    /// The report of the source called `name`.
    pub fn source(&self, name: &str) -> Option<&SourceReport> {
        self.sources.iter().find(|s| s.name == name)
    }

    /// Builds the report from replication results (in replication order).
    pub(crate) fn from_runs(
        model: Option<String>,
        servers: &[u32],
        runs: &[ReplicationResult],
        seed: u64,
        confidence: f64,
        resolution: Option<f64>,
    ) -> Option<SimReport> {
        let first = runs.first()?;
        // Every simulated figure is >= 0: intervals are clipped to that support, and
        // fractions (utilisation, probabilities) to [0, 1] below.
        let est = |f: &dyn Fn(&ReplicationResult) -> Option<f64>| {
            Estimate::from_values(runs.iter().filter_map(f), confidence)
                .map(|e| e.within(0.0, f64::INFINITY))
        };
        let fraction = |e: Option<Estimate>| e.map(|e| e.within(0.0, 1.0));
        let zero = Estimate {
            mean: 0.0,
            half_width: None,
            lower: None,
            upper: None,
            replications: 0,
        };
        let latency = |f: &dyn Fn(&ReplicationResult) -> Option<&LatencySummary>| {
            Pooled::new(runs.iter().filter_map(f))
        };
        let queues = first
            .queues
            .iter()
            .enumerate()
            .map(|(i, q0)| {
                let mut counts = NodeCounts::default();
                runs.iter().for_each(|r| counts.add(&r.queues[i].counts));
                let f = |g: fn(&QueueRun) -> f64| est(&|r| Some(g(&r.queues[i]))).unwrap_or(zero);
                let wait = latency(&|r| r.queues[i].wait.as_ref());
                let wait_report = wait.report(confidence);
                let sojourn = latency(&|r| r.queues[i].sojourn.as_ref());
                let sojourn_report = sojourn.report(confidence);
                QueueReport {
                    name: q0.name.clone(),
                    servers: servers.get(i).copied().unwrap_or(1),
                    arrival_rate: est(&|r| {
                        (r.measured_time > 0.0)
                            .then(|| r.queues[i].arrived as f64 / r.measured_time)
                    })
                    .unwrap_or(zero),
                    throughput: f(|q| q.throughput),
                    utilisation: f(|q| q.utilisation).within(0.0, 1.0),
                    busy_servers: f(|q| q.busy_servers),
                    l: f(|q| q.l),
                    lq: f(|q| q.lq),
                    var_n: f(|q| q.var_n),
                    var_w: est(&|r| r.queues[i].var_w),
                    var_wq: est(&|r| r.queues[i].var_wq),
                    w: sojourn_report.map(|l| l.mean),
                    wq: wait_report.map(|l| l.mean),
                    p_wait: fraction(est(&|r| r.queues[i].wait_probability)),
                    p_block: fraction(est(&|r| r.queues[i].full_probability)),
                    p_reject: fraction(est(&|r| r.queues[i].rejection_probability)),
                    dead_letter: fraction(est(&|r| {
                        let q = &r.queues[i];
                        (q.arrived > 0).then(|| q.dead_letters as f64 / q.arrived as f64)
                    })),
                    p_expire: fraction(est(&|r| {
                        let q = &r.queues[i];
                        let expired = q.expired?;
                        (q.admitted > 0).then(|| expired as f64 / q.admitted as f64)
                    })),
                    wait: wait_report.as_ref().map(PercentileReport::of),
                    sojourn: sojourn_report.as_ref().map(PercentileReport::of),
                    end_to_end: latency(&|r| r.queues[i].end_to_end.as_ref()).report(confidence),
                    redeliveries: f(|q| q.redeliveries as f64),
                    dead_letters: f(|q| q.dead_letters as f64),
                    rejected: f(|q| q.rejected as f64),
                    counts,
                    warnings: Vec::new(),
                    partitions: {
                        let parts: Vec<(&PartitionsRun, f64)> = runs
                            .iter()
                            .filter_map(|r| {
                                Some((r.queues[i].partitions.as_ref()?, r.measured_time))
                            })
                            .collect();
                        PartitionsReport::from_runs(&parts, confidence)
                    },
                    consumers: {
                        let runs: Vec<&ConsumerPoolRun> = runs
                            .iter()
                            .filter_map(|r| r.queues[i].consumers.as_ref())
                            .collect();
                        ConsumerPoolReport::from_runs(&runs, confidence)
                    },
                    queried: {
                        let per_run: Vec<&[Queried]> = runs
                            .iter()
                            .map(|r| r.queues[i].queried.as_slice())
                            .collect();
                        queried_estimates(&per_run, confidence, &wait.histogram, &sojourn.histogram)
                    },
                }
            })
            .collect();
        let sources = first
            .sources
            .iter()
            .enumerate()
            .map(|(i, s0)| {
                let retry = s0.retry.as_ref().map(|_| {
                    let rate = |g: fn(&RetryRun) -> u64| {
                        est(&|r| {
                            let x = r.sources[i].retry.as_ref()?;
                            (r.measured_time > 0.0).then(|| g(x) as f64 / r.measured_time)
                        })
                        .unwrap_or(zero)
                    };
                    RetryReport {
                        request_rate: rate(|x| x.requests),
                        attempt_rate: rate(|x| x.attempts),
                        amplification: est(&|r| {
                            let x = r.sources[i].retry.as_ref()?;
                            (x.requests > 0).then(|| x.attempts as f64 / x.requests as f64)
                        })
                        .unwrap_or(zero),
                        success_ratio: fraction(est(&|r| {
                            let x = r.sources[i].retry.as_ref()?;
                            let n = x.succeeded + x.gave_up;
                            (n > 0).then(|| x.succeeded as f64 / n as f64)
                        })),
                        gave_up_rate: rate(|x| x.gave_up),
                        wasted_rate: rate(|x| x.wasted),
                        timeout_ratio: fraction(est(&|r| {
                            let x = r.sources[i].retry.as_ref()?;
                            (x.attempts > 0).then(|| x.timeouts as f64 / x.attempts as f64)
                        }))
                        .unwrap_or(zero),
                        latency: latency(&|r| r.sources[i].retry.as_ref()?.latency.as_ref())
                            .report(confidence),
                    }
                });
                let pooled = latency(&|r| r.sources[i].latency.as_ref());
                let latency = pooled.report(confidence);
                SourceReport {
                    name: s0.name.clone(),
                    created: est(&|r| Some(r.sources[i].created as f64)).unwrap_or(zero),
                    lost: est(&|r| Some(r.sources[i].lost as f64)).unwrap_or(zero),
                    w: latency.map(|l| l.mean),
                    sojourn: latency.as_ref().map(PercentileReport::of),
                    warnings: Vec::new(),
                    retry,
                    queried: {
                        let per_run: Vec<&[Queried]> = runs
                            .iter()
                            .map(|r| r.sources[i].queried.as_slice())
                            .collect();
                        // A source's queried percentiles are of its end-to-end latency (it
                        // has no wait).
                        queried_estimates(
                            &per_run,
                            confidence,
                            &pooled.histogram,
                            &pooled.histogram,
                        )
                    },
                }
            })
            .collect();
        let mut conservation = Conservation::default();
        runs.iter().for_each(|r| conservation.add(&r.conservation));
        let time_series = resolution.map(|res| TimeSeries::from_runs(res, confidence, runs));
        Some(SimReport {
            schema_version: crate::model::SCHEMA_VERSION,
            model,
            replications: runs.len() as u32,
            confidence,
            seed,
            measured_time: est(&|r| Some(r.measured_time)).unwrap_or(zero),
            events: runs.iter().map(|r| r.events).sum(),
            queues,
            sources,
            conservation,
            backlog_drained_at: est(&|r| r.backlog_drained_at),
            time_series,
            warnings: Vec::new(),
            queried: crate::model::QueriedMetrics::default(),
        })
    }
}

/// One latency across the replications: each replication's summary, and the
/// histogram of all their messages pooled (its buckets added once, read by the standard
/// and the queried percentiles alike).
struct Pooled<'a> {
    runs: Vec<&'a LatencySummary>,
    histogram: Histogram,
}

impl<'a> Pooled<'a> {
    fn new(runs: impl Iterator<Item = &'a LatencySummary>) -> Self {
        let runs: Vec<&LatencySummary> = runs.collect();
        let mut histogram = Histogram::new();
        runs.iter().for_each(|x| histogram.add(&x.buckets));
        Self { runs, histogram }
    }

    /// The mean over the replications, and the percentiles by sectioning: the quantile
    /// of the pooled histogram, the replications' own quantiles for the interval (see
    /// [`Estimate::sectioned`]). `None` without a replication that measured it.
    fn report(&self, confidence: f64) -> Option<LatencyReport> {
        let positive = |e: Option<Estimate>| e.map(|e| e.within(0.0, f64::INFINITY));
        let percentile = |level: Level| {
            let sections = self.runs.iter().filter_map(|x| x.get(level));
            positive(sectioned(&self.histogram, level.p(), sections, confidence))
        };
        Some(LatencyReport {
            count: self.runs.iter().map(|x| x.count).sum(),
            mean: positive(Estimate::from_values(
                self.runs.iter().map(|x| x.mean),
                confidence,
            ))?,
            p50: percentile(Level::P50)?,
            p95: percentile(Level::P95)?,
            p99: percentile(Level::P99)?,
            p999: percentile(Level::P999)?,
        })
    }
}

/// The `level` quantile of the messages of every replication pooled (`buckets`: the
/// histograms of all replications, in any grouping), with its sectioning interval from
/// the replications' own quantiles `sections` (see [`Estimate::sectioned`]). For the
/// figures kept beside the standard latencies (per partition, per consumer, during
/// incidents); `None` without a replication that measured it.
pub(super) fn pooled_percentile<'a>(
    sections: impl IntoIterator<Item = f64>,
    buckets: impl IntoIterator<Item = &'a super::Buckets>,
    level: f64,
    confidence: f64,
) -> Option<Estimate> {
    let mut pooled = Histogram::new();
    buckets.into_iter().for_each(|b| pooled.add(b));
    sectioned(&pooled, level, sections.into_iter(), confidence)
        .map(|e| e.within(0.0, f64::INFINITY))
}

/// The `level` quantile of `pooled` with its sectioning interval from the
/// replications' own quantiles `sections` (see [`Estimate::sectioned`]); without a pooled
/// histogram (results from before the buckets were kept), the mean of the sections.
fn sectioned(
    pooled: &Histogram,
    level: f64,
    sections: impl Iterator<Item = f64>,
    confidence: f64,
) -> Option<Estimate> {
    match pooled.quantile(level) {
        Some(p) => Estimate::sectioned(p, sections, confidence, p * super::RELATIVE_ERROR),
        None => Estimate::from_values(sections, confidence),
    }
}
