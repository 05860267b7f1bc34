//! Partitioned queues (Kafka-style topics consumed by a consumer group): key draws,
//! partition ownership, one waiting line per consumer, and per-partition statistics.
//!
//! A message entering a partitioned queue draws a key from the queue's key
//! distribution (its own random stream, [`key_stream`](super::seeding::key_stream)),
//! goes to partition [`partition_of`]`(key, P)` (keyless: the next partition in turn)
//! and waits in the line of the consumer that owns the partition. A consumer serves only
//! its own line, one message at a time, in arrival order: order per key (per partition)
//! holds, checked on every service start (`order_violations`, always 0), and a slow
//! message holds up the ones behind it.
//!
//! Memory: O(P + c) counters, no state per key (Zipf keys by rejection-inversion,
//! `rand_distr::Zipf`), and one latency histogram (32 KiB) per partition when P ≤
//! [`PARTITION_HISTOGRAMS`]; beyond that, partitions and consumers report means only.

use super::arena::{Msg, NONE, REPLAY};
use super::estimate::Estimate;
use super::histogram::{Buckets, Histogram};
use super::queue_state::start_service;
use super::rebalance::{Group, GroupReport, GroupRun};
use super::report::pooled_percentile;
use crate::model::{Keys, Partitioning, partition_of};
use rand::RngExt;
use rand_distr::{Distribution as _, Zipf};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};

/// Partitioned queues with at most this many partitions keep a sojourn histogram per
/// partition (32 KiB each) and report per-partition and per-consumer percentiles.
pub const PARTITION_HISTOGRAMS: u32 = 1024;

/// How keys are drawn: O(1) memory whatever the number of keys.
enum KeyGen {
    /// The next partition in turn.
    RoundRobin { next: u32 },
    /// Keys 1..=n, equally likely.
    Uniform { n: u64 },
    /// Keys 1..=n by rejection-inversion (Hörmann & Derflinger 1996).
    Zipf(Zipf<f64>),
}

/// A count held over time: its time integral since warm-up and its largest value.
#[derive(Debug, Clone, Copy, Default)]
struct Level {
    now: u64,
    last: f64,
    area: f64,
    max: u64,
}

impl Level {
    #[inline]
    fn set(&mut self, t: f64, value: u64) {
        self.area += self.now as f64 * (t - self.last);
        self.last = t;
        self.now = value;
        self.max = self.max.max(value);
    }
}

/// Counters of one partition.
#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    arrived: u64,
    completed: u64,
    sojourn_sum: f64,
}

/// The partition state of one queue in one replication.
pub(super) struct PartitionState {
    keys: KeyGen,
    rng: Xoshiro256PlusPlus,
    /// Owner (consumer) of each partition.
    pub(super) owner: Vec<u32>,
    /// Consumers of the group, idle ones included.
    consumers: u32,
    /// Whether each active consumer is serving (or holding a blocked message).
    busy: Vec<bool>,
    /// The consumer freed by the last message that left (its line is served next).
    pub(super) freed: u32,
    c: Vec<Counts>,
    warm: Vec<Counts>,
    /// Messages of each partition in the node (its lag).
    lag: Vec<Level>,
    /// Each partition's lag area at the start of the current time-series bucket.
    lag_tick: Vec<f64>,
    /// Busy level of each active consumer.
    consumer_busy: Vec<Level>,
    /// Entry time of the last message of each partition to start service.
    last_start: Vec<f64>,
    /// Services started out of arrival order within a partition (must stay 0).
    order_violations: u64,
    hist: Vec<Histogram>,
    /// The message each consumer is serving ([`NONE`] when free).
    pub(super) current: Vec<u32>,
    /// Consumers serving now.
    serving: u32,
    /// Crashes, rebalances and offset replays (queues with `crash`).
    pub(super) group: Option<Box<Group>>,
}

impl PartitionState {
    /// The state of a queue partitioned as `p`, consumed by `consumers`, drawing keys
    /// from `rng`.
    pub(super) fn new(p: &Partitioning, consumers: u32, rng: Xoshiro256PlusPlus) -> Self {
        let n = p.partitions as usize;
        let active = consumers.min(p.partitions) as usize;
        let keys = match &p.keys {
            Keys::RoundRobin => KeyGen::RoundRobin { next: 0 },
            Keys::Uniform { keys } => KeyGen::Uniform { n: *keys },
            // Validation bounds keys to 1..=MAX_KEYS and the exponent to (0, 100].
            Keys::Zipf { keys, exponent } => match Zipf::new(*keys as f64, *exponent) {
                Ok(z) => KeyGen::Zipf(z),
                Err(_) => KeyGen::Uniform { n: *keys },
            },
        };
        Self {
            keys,
            rng,
            owner: (0..p.partitions)
                .map(|i| p.consumer_of(i, consumers))
                .collect(),
            consumers,
            busy: vec![false; active],
            freed: 0,
            c: vec![Counts::default(); n],
            warm: vec![Counts::default(); n],
            lag: vec![Level::default(); n],
            lag_tick: vec![0.0; n],
            consumer_busy: vec![Level::default(); active],
            last_start: vec![f64::NEG_INFINITY; n],
            order_violations: 0,
            hist: if p.partitions <= PARTITION_HISTOGRAMS {
                (0..n).map(|_| Histogram::new()).collect()
            } else {
                Vec::new()
            },
            current: vec![NONE; active],
            serving: 0,
            group: None,
        }
    }

    /// With crashes and rebalances: every consumer of the group can come to own
    /// partitions, so each gets its state.
    pub(super) fn with_group(mut self, group: Group) -> Self {
        let c = self.consumers as usize;
        self.busy.resize(c, false);
        self.consumer_busy.resize(c, Level::default());
        self.current.resize(c, NONE);
        self.group = Some(Box::new(group));
        self
    }

    /// Consumers serving now.
    pub(super) fn serving(&self) -> u32 {
        self.serving
    }

    /// A replayed message joins partition `p` at `now` (its lag grows).
    pub(super) fn replayed(&mut self, p: usize, now: f64) {
        let lag = self.lag[p].now + 1;
        self.lag[p].set(now, lag);
    }

    /// Consumer `k` stops serving at `now` (it crashed).
    pub(super) fn stop(&mut self, k: usize, now: f64) {
        if self.busy[k] {
            self.busy[k] = false;
            self.serving -= 1;
        }
        self.current[k] = NONE;
        self.consumer_busy[k].set(now, 0);
    }

    /// The partition of the next message.
    #[inline]
    fn draw_partition(&mut self) -> u32 {
        let n = self.owner.len() as u32;
        match &mut self.keys {
            KeyGen::RoundRobin { next } => {
                let p = *next;
                *next = if p + 1 == n { 0 } else { p + 1 };
                p
            }
            KeyGen::Uniform { n: keys } => partition_of(self.rng.random_range(1..=*keys), n),
            KeyGen::Zipf(z) => partition_of(z.sample(&mut self.rng) as u64, n),
        }
    }

    /// A message enters at `now`: draws its partition (stored in `msg.pos`), counts it,
    /// and returns the consumer that owns it and whether that consumer is free.
    #[inline]
    pub(super) fn arrive(&mut self, msg: &mut Msg, now: f64) -> (u32, bool) {
        let p = self.draw_partition();
        msg.pos = p;
        let i = p as usize;
        self.c[i].arrived += 1;
        let lag = self.lag[i].now + 1;
        self.lag[i].set(now, lag);
        let k = self.owner[i];
        (k, self.is_free(k))
    }

    /// Consumer `k` starts serving `msg` at `now`: checks order within its partition.
    #[inline]
    pub(super) fn start(&mut self, k: u32, m: u32, msg: &Msg, now: f64) {
        let p = msg.pos as usize;
        if msg.group != REPLAY {
            // A replay repeats older offsets: not an order violation.
            if msg.enter < self.last_start[p] {
                self.order_violations += 1;
            }
            self.last_start[p] = msg.enter;
        }
        self.current[k as usize] = m;
        self.serving += 1;
        self.busy[k as usize] = true;
        self.consumer_busy[k as usize].set(now, 1);
    }

    /// `msg` leaves its partition at `now` (completed when `completed`); its consumer
    /// becomes free and is remembered in `freed`.
    #[inline]
    pub(super) fn leave(&mut self, m: u32, msg: &Msg, now: f64, completed: bool) {
        let p = msg.pos as usize;
        if let Some(g) = self.group.as_deref_mut()
            && g.commit.is_some()
        {
            // Its offset is processed; committed at the next commit.
            g.uncommitted[p] += 1;
        }
        let lag = self.lag[p].now - 1;
        self.lag[p].set(now, lag);
        if completed {
            let sojourn = now - msg.enter;
            self.c[p].completed += 1;
            self.c[p].sojourn_sum += sojourn;
            if let Some(h) = self.hist.get_mut(p) {
                h.record(sojourn);
            }
        }
        // Partitions move only when nothing is in service: the owner served it.
        let k = self.owner[p];
        debug_assert_eq!(self.current[k as usize], m);
        if self.busy[k as usize] {
            self.busy[k as usize] = false;
            self.serving -= 1;
        }
        self.current[k as usize] = NONE;
        self.consumer_busy[k as usize].set(now, 0);
        self.freed = k;
    }

    /// The end of warm-up at `now`: statistics restart.
    pub(super) fn warm_up(&mut self, now: f64) {
        self.warm.clone_from(&self.c);
        if let Some(g) = self.group.as_deref_mut() {
            g.warm_up(now);
        }
        // The lag areas restart at zero: the bucket baselines move with them.
        for (l, tick) in self.lag.iter_mut().zip(&mut self.lag_tick) {
            l.set(now, l.now);
            *tick -= l.area;
        }
        for l in self.lag.iter_mut().chain(self.consumer_busy.iter_mut()) {
            l.set(now, l.now);
            l.area = 0.0;
            l.max = l.now;
        }
        for h in &mut self.hist {
            h.clear();
        }
    }

    /// The time-averaged lag of each partition over the time-series bucket of
    /// `length` seconds ending at `now`; starts the next bucket.
    pub(super) fn bucket_lags(&mut self, now: f64, length: f64) -> Vec<f64> {
        self.lag
            .iter_mut()
            .zip(&mut self.lag_tick)
            .map(|(l, tick)| {
                l.set(now, l.now);
                let mean = ((l.area - *tick) / length).max(0.0);
                *tick = l.area;
                mean
            })
            .collect()
    }

    /// The replication's per-partition and per-consumer figures over `measured`
    /// seconds ending at `now`.
    pub(super) fn finish(&mut self, now: f64, measured: f64) -> PartitionsRun {
        let per_time = |x: f64| if measured > 0.0 { x / measured } else { 0.0 };
        for l in self.lag.iter_mut().chain(self.consumer_busy.iter_mut()) {
            l.set(now, l.now);
        }
        let quantile = |h: &Histogram, q: f64| h.quantile(q);
        let partitions: Vec<PartitionRun> = (0..self.owner.len())
            .map(|p| {
                let (c, w) = (self.c[p], self.warm[p]);
                let completed = c.completed - w.completed;
                PartitionRun {
                    partition: p as u32,
                    consumer: self.owner[p],
                    arrived: c.arrived - w.arrived,
                    completed,
                    throughput: per_time(completed as f64),
                    w: (completed > 0).then(|| (c.sojourn_sum - w.sojourn_sum) / completed as f64),
                    p99: self.hist.get(p).and_then(|h| quantile(h, 0.99)),
                    buckets: self.hist.get(p).map(Histogram::buckets).unwrap_or_default(),
                    mean_lag: per_time(self.lag[p].area),
                    max_lag: self.lag[p].max,
                }
            })
            .collect();
        let consumers = (0..self.busy.len())
            .map(|k| {
                let mine = partitions.iter().filter(|p| p.consumer as usize == k);
                let (mut arrived, mut completed, mut sum) = (0, 0, 0.0);
                let mut h = (!self.hist.is_empty()).then(Histogram::new);
                for p in mine {
                    arrived += p.arrived;
                    completed += p.completed;
                    sum += p.w.unwrap_or(0.0) * p.completed as f64;
                    if let Some(h) = &mut h {
                        h.merge(&self.hist[p.partition as usize]);
                    }
                }
                ConsumerRun {
                    consumer: k as u32,
                    arrived,
                    completed,
                    utilisation: per_time(self.consumer_busy[k].area).clamp(0.0, 1.0),
                    w: (completed > 0).then(|| sum / completed as f64),
                    p99: h.and_then(|h| quantile(&h, 0.99)),
                }
            })
            .collect();
        PartitionsRun {
            idle_consumers: self.consumers.saturating_sub(self.owner.len() as u32),
            order_violations: self.order_violations,
            partitions,
            consumers,
            group: self.group.as_deref_mut().map(|g| g.finish(now, measured)),
        }
    }
}

/// One partition in one replication.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PartitionRun {
    /// Partition index, 0..P.
    pub partition: u32,
    /// The consumer that owns it.
    pub consumer: u32,
    /// Messages that entered it after warm-up.
    pub arrived: u64,
    /// Messages completed after warm-up.
    pub completed: u64,
    /// Completions per second.
    pub throughput: f64,
    /// Mean sojourn of its completed messages, seconds.
    pub w: Option<f64>,
    /// 99th percentile of the sojourn, seconds (partitioned queues with at most
    /// [`PARTITION_HISTOGRAMS`] partitions).
    pub p99: Option<f64>,
    /// The non-empty buckets of its sojourn histogram, pooled across replications for
    /// the report's p99 of the partition and of its owner (empty beyond
    /// [`PARTITION_HISTOGRAMS`] partitions; at most 4 097 pairs, 64 KiB, and typically a
    /// few hundred, so a replication keeps at most P × 64 KiB of them).
    #[serde(default, skip_serializing_if = "Buckets::is_empty")]
    pub buckets: Buckets,
    /// Time-averaged lag: its messages in the node (waiting or in service).
    pub mean_lag: f64,
    /// Largest lag seen after warm-up.
    pub max_lag: u64,
}

/// One consumer of the group in one replication (consumers that own partitions).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ConsumerRun {
    /// Consumer index, 0..min(c, P).
    pub consumer: u32,
    /// Messages that entered its partitions after warm-up.
    pub arrived: u64,
    /// Messages it completed after warm-up.
    pub completed: u64,
    /// Fraction of the time it was busy.
    pub utilisation: f64,
    /// Mean sojourn of its messages, seconds.
    pub w: Option<f64>,
    /// 99th percentile of its messages' sojourn, seconds.
    pub p99: Option<f64>,
}

/// The partitions and consumers of a partitioned queue in one replication.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PartitionsRun {
    /// Consumers of the group that own no partition (c − P when c > P).
    pub idle_consumers: u32,
    /// Services started out of arrival order within a partition: always 0 (checked on
    /// every delivery).
    pub order_violations: u64,
    /// Per partition.
    pub partitions: Vec<PartitionRun>,
    /// Per consumer that owns partitions.
    pub consumers: Vec<ConsumerRun>,
    /// Crashes, rebalances and replays of the group (queues with `crash`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<GroupRun>,
}

/// One partition across replications.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PartitionReport {
    /// Partition index.
    pub partition: u32,
    /// Its owner.
    pub consumer: u32,
    /// Its share of the queue's arrivals.
    pub share: Estimate,
    /// Arrivals per second.
    pub arrival_rate: Estimate,
    /// Completions per second.
    pub throughput: Estimate,
    /// Mean sojourn, seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub w: Option<Estimate>,
    /// 99th percentile of the sojourn, seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p99: Option<Estimate>,
    /// Time-averaged lag (its messages in the node).
    pub mean_lag: Estimate,
    /// Largest lag per replication.
    pub max_lag: Estimate,
}

/// One consumer across replications.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ConsumerReport {
    /// Consumer index.
    pub consumer: u32,
    /// Its share of the queue's arrivals.
    pub share: Estimate,
    /// Fraction of the time busy.
    pub utilisation: Estimate,
    /// Mean sojourn of its messages, seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub w: Option<Estimate>,
    /// 99th percentile of its messages' sojourn, seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p99: Option<Estimate>,
}

/// A partitioned queue's partitions and consumers, with confidence intervals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PartitionsReport {
    /// Consumers of the group that own no partition: they add nothing.
    pub idle_consumers: u32,
    /// Services started out of arrival order within a partition, all replications:
    /// always 0.
    pub order_violations: u64,
    /// The consumer with the largest mean share of arrivals (the one that sets the tail).
    pub hottest_consumer: u32,
    /// Per partition.
    pub partitions: Vec<PartitionReport>,
    /// Per consumer that owns partitions.
    pub consumers: Vec<ConsumerReport>,
    /// Crashes, rebalances and replays of the group (queues with `crash`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<GroupReport>,
}

impl PartitionsReport {
    /// Summarises the replications' runs (`runs[r]` with `measured[r]` seconds) at
    /// `confidence`; `None` if there is no run.
    pub(super) fn from_runs(runs: &[(&PartitionsRun, f64)], confidence: f64) -> Option<Self> {
        let (first, _) = runs.first()?;
        // Every figure here is >= 0 and shares and utilisations are fractions:
        // intervals are clipped to that support, as for the queue's own figures.
        let est = |f: &dyn Fn(&PartitionsRun, f64) -> Option<f64>| {
            Estimate::from_values(runs.iter().filter_map(|(r, t)| f(r, *t)), confidence)
                .map(|e| e.within(0.0, f64::INFINITY))
        };
        let fraction = |e: Option<Estimate>| e.map(|e| e.within(0.0, 1.0));
        let zero = Estimate::exact(0.0, runs.len() as u32);
        let total = |r: &PartitionsRun| r.partitions.iter().map(|p| p.arrived).sum::<u64>();
        let share = |n: u64, r: &PartitionsRun| {
            let t = total(r);
            (t > 0).then(|| n as f64 / t as f64)
        };
        let partitions: Vec<PartitionReport> = first
            .partitions
            .iter()
            .map(|p0| {
                let i = p0.partition as usize;
                PartitionReport {
                    partition: p0.partition,
                    consumer: p0.consumer,
                    share: fraction(est(&|r, _| share(r.partitions[i].arrived, r))).unwrap_or(zero),
                    arrival_rate: est(&|r, t| {
                        (t > 0.0).then(|| r.partitions[i].arrived as f64 / t)
                    })
                    .unwrap_or(zero),
                    throughput: est(&|r, _| Some(r.partitions[i].throughput)).unwrap_or(zero),
                    w: est(&|r, _| r.partitions[i].w),
                    p99: pooled_percentile(
                        runs.iter().filter_map(|(r, _)| r.partitions[i].p99),
                        runs.iter().map(|(r, _)| &r.partitions[i].buckets),
                        0.99,
                        confidence,
                    ),
                    mean_lag: est(&|r, _| Some(r.partitions[i].mean_lag)).unwrap_or(zero),
                    max_lag: est(&|r, _| Some(r.partitions[i].max_lag as f64)).unwrap_or(zero),
                }
            })
            .collect();
        let consumers: Vec<ConsumerReport> = first
            .consumers
            .iter()
            .map(|c0| {
                let k = c0.consumer as usize;
                ConsumerReport {
                    consumer: c0.consumer,
                    share: fraction(est(&|r, _| share(r.consumers[k].arrived, r))).unwrap_or(zero),
                    utilisation: fraction(est(&|r, _| Some(r.consumers[k].utilisation)))
                        .unwrap_or(zero),
                    w: est(&|r, _| r.consumers[k].w),
                    // Its messages are those of the partitions it owned in each run.
                    p99: pooled_percentile(
                        runs.iter().filter_map(|(r, _)| r.consumers[k].p99),
                        runs.iter().flat_map(|(r, _)| {
                            r.partitions
                                .iter()
                                .filter(|p| p.consumer as usize == k)
                                .map(|p| &p.buckets)
                        }),
                        0.99,
                        confidence,
                    ),
                }
            })
            .collect();
        let hottest_consumer = consumers
            .iter()
            .max_by(|a, b| a.share.mean.total_cmp(&b.share.mean))
            .map_or(0, |c| c.consumer);
        Some(Self {
            idle_consumers: first.idle_consumers,
            order_violations: runs.iter().map(|(r, _)| r.order_violations).sum(),
            hottest_consumer,
            partitions,
            consumers,
            group: {
                let groups: Vec<&GroupRun> =
                    runs.iter().filter_map(|(r, _)| r.group.as_ref()).collect();
                GroupReport::from_runs(&groups, confidence)
            },
        })
    }

    /// The consumer that sets the tail (largest share of arrivals).
    pub fn hottest(&self) -> Option<&ConsumerReport> {
        self.consumers
            .iter()
            .find(|c| c.consumer == self.hottest_consumer)
    }

    /// The `n` partitions with the largest mean share, hottest first.
    pub fn hottest_partitions(&self, n: usize) -> Vec<&PartitionReport> {
        let mut v: Vec<&PartitionReport> = self.partitions.iter().collect();
        v.sort_by(|a, b| b.share.mean.total_cmp(&a.share.mean));
        v.truncate(n);
        v
    }
}

impl PartitionState {
    /// Whether consumer `k` is free.
    #[inline]
    fn is_free(&self, k: u32) -> bool {
        !self.busy[k as usize]
            && self
                .group
                .as_deref()
                .is_none_or(|g| g.up[k as usize] && !g.paused)
    }
}

impl super::replication::Replication {
    /// Message `m` enters partitioned queue `j`: its partition's consumer serves it at
    /// once if free, else it joins the tail of that consumer's line.
    pub(super) fn dispatch_partitioned(&mut self, j: usize, m: u32) {
        let Self {
            queues,
            arena,
            cal,
            fault,
            now,
            ..
        } = self;
        let now = *now;
        let q = &mut queues[j];
        let msg = &mut arena.msgs[m as usize];
        let Some(part) = q.part.as_deref_mut() else {
            return;
        };
        let (k, free) = part.arrive(msg, now);
        if free {
            part.start(k, m, msg, now);
            start_service(q, m, msg, now, cal, fault);
        } else {
            q.lines[k as usize].push_back(m);
            q.waiting += 1;
        }
    }

    /// The consumer of partitioned queue `j` freed by the last departure takes the next
    /// message of its own line.
    pub(super) fn fill_partitioned(&mut self, j: usize) {
        let Self {
            queues,
            arena,
            cal,
            fault,
            now,
            ..
        } = self;
        let q = &mut queues[j];
        let Some(part) = q.part.as_deref_mut() else {
            return;
        };
        if part.group.as_deref().is_some_and(|g| g.paused) {
            // A rebalance: nothing starts; once the pause is over and the last
            // message in service has left, the partitions move.
            if part.serving() == 0 && self.reassign_pending(j) {
                self.reassign(j);
            }
            return;
        }
        let k = part.freed;
        if !part.is_free(k) {
            return;
        }
        let Some(n) = q.lines[k as usize].pop_front() else {
            return;
        };
        let msg = &mut arena.msgs[n as usize];
        part.start(k, n, msg, *now);
        q.waiting -= 1;
        start_service(q, n, msg, *now, cal, fault);
    }
}
