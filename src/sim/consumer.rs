//! RabbitMQ-style consumers of a shared queue: the prefetch window, round-robin
//! delivery to consumers with credit, and the statistics of consumer crashes
//! (see [`Crash`](crate::model::Crash); the crash and restart events are in
//! [`crash`](super::crash)).
//!
//! State per consumer k: its unacked messages `held[k]` in delivery order (the front is
//! in service while `serving[k]`), whether it is up, and its credit `prefetch −
//! held[k].len()`. The broker queue is the queue's line. The invariant kept after every
//! event: a message is ready in the broker queue only while no consumer that is up has
//! credit (`credit == 0`).
//!
//! Memory: O(c) (validation bounds c to [`MAX_CONSUMERS`](crate::model::MAX_CONSUMERS)
//! for these queues) plus two latency histograms (64 KiB).

use super::arena::Msg;
use super::estimate::Estimate;
use super::histogram::{Buckets, Histogram};
use super::queue_state::start_service;
use super::replication::Replication;
use super::report::pooled_percentile;
use crate::model::Sampler;
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// `Msg::pos` of a message in a consumer queue: the consumer holding it (low bits) and
/// two flags.
pub(super) const INCIDENT: u32 = 1 << 31;
pub(super) const REDELIVERED: u32 = 1 << 30;
pub(super) const CONSUMER: u32 = REDELIVERED - 1;

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

    fn restart(&mut self, t: f64) {
        self.set(t, self.now);
        self.area = 0.0;
        self.max = self.now;
    }
}

/// Counters (a snapshot at the end of warm-up is subtracted).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Counts {
    crashes: u64,
    redelivered: u64,
    completed_redelivered: u64,
    incidents: u64,
    drain_sum: f64,
    incident_sum: f64,
    other_sum: f64,
    /// Crash redeliveries of a message whose service had begun (its work is redone).
    pub(super) restarted: u64,
    /// Deliveries that timed out (each made a copy; see `sim/ack_timeout.rs`).
    pub(super) timeouts: u64,
    /// Deliveries that finished after another delivery of the same message had.
    pub(super) duplicates: u64,
}

/// An incident: from a crash until every consumer is up again and the node's count is
/// back to its level at the crash.
#[derive(Debug, Clone, Copy)]
struct Incident {
    start: f64,
    level: u64,
}

/// The consumers of one queue in one replication.
pub(super) struct ConsumerState {
    prefetch: u32,
    pub(super) held: Vec<VecDeque<u32>>,
    serving: Vec<bool>,
    pub(super) up: Vec<bool>,
    /// Consumers down now.
    down: u32,
    /// Σ credit of the consumers that are up.
    credit: u64,
    /// Round-robin pointer: the consumer offered the next delivery first.
    next: u32,
    /// The consumer that acked last.
    freed: u32,
    /// Up-time and down-time samplers, with their own stream.
    pub(super) crash: Option<(Sampler, Sampler)>,
    pub(super) rng: Xoshiro256PlusPlus,
    /// Ack timeouts (`None` without `ack_timeout`).
    pub(super) timeout: Option<Box<super::ack_timeout::AckTimeouts>>,
    incident: Option<Incident>,
    pub(super) c: Counts,
    warm: Counts,
    unacked: Level,
    ready: Level,
    up_level: Level,
    node: Level,
    incident_h: Histogram,
    other_h: Histogram,
}

impl ConsumerState {
    /// `consumers` consumers with a window of `prefetch`, crashing as `crash` says.
    pub(super) fn new(
        consumers: u32,
        prefetch: u32,
        crash: Option<(Sampler, Sampler)>,
        rng: Xoshiro256PlusPlus,
    ) -> Self {
        let n = consumers as usize;
        let mut up_level = Level::default();
        up_level.set(0.0, u64::from(consumers));
        Self {
            prefetch,
            held: (0..n)
                .map(|_| VecDeque::with_capacity(prefetch.min(64) as usize))
                .collect(),
            serving: vec![false; n],
            up: vec![true; n],
            down: 0,
            credit: u64::from(consumers) * u64::from(prefetch),
            next: 0,
            freed: 0,
            crash,
            rng,
            timeout: None,
            incident: None,
            c: Counts::default(),
            warm: Counts::default(),
            unacked: Level::default(),
            ready: Level::default(),
            up_level,
            node: Level::default(),
            incident_h: Histogram::new(),
            other_h: Histogram::new(),
        }
    }

    /// The next consumer in round-robin order that is up and has credit.
    fn next_with_credit(&mut self) -> Option<u32> {
        let n = self.held.len() as u32;
        for i in 0..n {
            let k = (self.next + i) % n;
            if self.up[k as usize]
                && (self.held[k as usize].len() as u64) < u64::from(self.prefetch)
            {
                self.next = (k + 1) % n;
                return Some(k);
            }
        }
        None
    }

    fn unacked_count(&self, ready: u64, in_node: u64) -> u64 {
        in_node.saturating_sub(ready)
    }

    /// Levels after a change at `now`: `ready` messages in the broker queue, `in_node`
    /// in the node.
    #[inline]
    pub(super) fn levels(&mut self, now: f64, ready: u64, in_node: u64) {
        self.ready.set(now, ready);
        let u = self.unacked_count(ready, in_node);
        self.unacked.set(now, u);
        self.node.set(now, in_node);
    }

    /// A message entering the node (not a redelivery after backoff) at `now`.
    pub(super) fn arrive(&mut self, msg: &mut Msg) {
        msg.pos = if self.incident.is_some() { INCIDENT } else { 0 };
    }

    /// Message `m` leaves consumer k's window (acked, or nacked for a redelivery): one
    /// credit back; `completed` records its latency.
    #[inline(never)]
    pub(super) fn ack(&mut self, msg: &Msg, now: f64, in_node: u64, ready: u64, completed: bool) {
        let k = (msg.pos & CONSUMER) as usize;
        self.held[k].pop_front();
        if let Some(t) = self.timeout.as_deref_mut() {
            t.acked(k);
        }
        self.serving[k] = false;
        if self.up[k] {
            self.credit += 1;
        }
        self.freed = k as u32;
        if completed {
            let sojourn = now - msg.enter;
            if msg.pos & INCIDENT != 0 {
                self.c.incident_sum += sojourn;
                self.incident_h.record(sojourn);
            } else {
                self.c.other_sum += sojourn;
                self.other_h.record(sojourn);
            }
            if msg.pos & REDELIVERED != 0 {
                self.c.completed_redelivered += 1;
            }
        }
        self.levels(now, ready, in_node);
        self.check_drained(now, in_node);
    }

    fn check_drained(&mut self, now: f64, in_node: u64) {
        if self.down == 0
            && let Some(i) = self.incident
            && in_node <= i.level
        {
            self.incident = None;
            self.c.incidents += 1;
            self.c.drain_sum += now - i.start;
        }
    }

    /// The end of warm-up at `now`.
    pub(super) fn warm_up(&mut self, now: f64) {
        self.warm = self.c;
        for l in [
            &mut self.unacked,
            &mut self.ready,
            &mut self.up_level,
            &mut self.node,
        ] {
            l.restart(now);
        }
        self.incident_h.clear();
        self.other_h.clear();
    }

    /// The replication's figures over `measured` seconds ending at `now`.
    pub(super) fn finish(&mut self, now: f64, measured: f64, servers: u32) -> ConsumerPoolRun {
        let per_time = |x: f64| if measured > 0.0 { x / measured } else { 0.0 };
        for l in [
            &mut self.unacked,
            &mut self.ready,
            &mut self.up_level,
            &mut self.node,
        ] {
            l.set(now, l.now);
        }
        let (c, w) = (self.c, self.warm);
        let incidents = c.incidents - w.incidents;
        let ni = self.incident_h.count();
        let no = self.other_h.count();
        ConsumerPoolRun {
            prefetch: self.prefetch,
            crashes: c.crashes - w.crashes,
            availability: (per_time(self.up_level.area) / f64::from(servers.max(1)))
                .clamp(0.0, 1.0),
            redelivered: c.redelivered - w.redelivered,
            completed_redelivered: c.completed_redelivered - w.completed_redelivered,
            restarted: c.restarted - w.restarted,
            timeouts: c.timeouts - w.timeouts,
            duplicates: c.duplicates - w.duplicates,
            mean_unacked: per_time(self.unacked.area).max(0.0),
            mean_ready: per_time(self.ready.area).max(0.0),
            backlog_peak: self.node.max,
            incidents,
            drain_time: (incidents > 0).then(|| (c.drain_sum - w.drain_sum) / incidents as f64),
            incident_completed: ni,
            incident_w: (ni > 0).then(|| (c.incident_sum - w.incident_sum) / ni as f64),
            incident_p99: self.incident_h.quantile(0.99),
            incident_buckets: self.incident_h.buckets(),
            other_completed: no,
            other_w: (no > 0).then(|| (c.other_sum - w.other_sum) / no as f64),
            other_p99: self.other_h.quantile(0.99),
            other_buckets: self.other_h.buckets(),
        }
    }
}

impl Replication {
    /// Message `m` enters consumer queue `j` (or comes back from a redelivery backoff):
    /// it joins the tail of the broker queue, and the broker delivers.
    #[inline(never)]
    pub(super) fn dispatch_consumers(&mut self, j: usize, m: u32) {
        let now = self.now;
        let q = &mut self.queues[j];
        let msg = &mut self.arena.msgs[m as usize];
        if let Some(cs) = q.cons.as_deref_mut()
            && msg.enter == now
            && msg.served == 0.0
        {
            cs.arrive(msg);
        }
        q.enqueue(m, 0);
        self.pump(j);
    }

    /// The broker delivers ready messages to consumers that are up and have credit, in
    /// round-robin order, until the queue is empty or no credit is left; a consumer that
    /// is idle starts the message at once. Also brings the levels up to now.
    #[inline(never)]
    pub(super) fn pump(&mut self, j: usize) {
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
        let Some(mut cs) = q.cons.take() else {
            return;
        };
        let expiring = q.ttl < f64::INFINITY;
        while q.waiting > 0 && cs.credit > 0 {
            let Some(k) = cs.next_with_credit() else {
                break;
            };
            let Some(m) = q.next_waiting() else { break };
            if expiring && arena.msgs[m as usize].enter + q.ttl <= now {
                // Found expired at the head (see `sim/expiry.rs`).
                q.expired_found.push(m);
                continue;
            }
            cs.credit -= 1;
            let ku = k as usize;
            cs.held[ku].push_back(m);
            if let Some(t) = cs.timeout.as_deref_mut() {
                t.delivered(j, ku, now, cal, fault);
            }
            let msg = &mut arena.msgs[m as usize];
            msg.pos = (msg.pos & !CONSUMER) | k;
            if !cs.serving[ku] {
                cs.serving[ku] = true;
                q.touch(now);
                start_service(q, m, msg, now, cal, fault);
            }
        }
        cs.levels(now, q.waiting, q.in_node);
        q.cons = Some(cs);
        if expiring && !q.expired_found.is_empty() {
            self.expire_found(j);
        }
    }

    /// The consumer of queue `j` that acked last starts its next prefetched message;
    /// the broker refills credit.
    #[inline(never)]
    pub(super) fn fill_consumers(&mut self, j: usize) {
        let Self {
            queues,
            arena,
            cal,
            fault,
            now,
            ..
        } = self;
        let q = &mut queues[j];
        if let Some(cs) = q.cons.as_deref_mut() {
            let k = cs.freed as usize;
            if cs.up[k]
                && !cs.serving[k]
                && let Some(&n) = cs.held[k].front()
            {
                cs.serving[k] = true;
                start_service(q, n, &mut arena.msgs[n as usize], *now, cal, fault);
            }
        }
        self.pump(j);
    }

    /// Consumer `k` of queue `j` crashes now: its unacked messages go back to the head
    /// of the broker queue in their order, marked redelivered (a finished message held
    /// by a blocked consumer stays: its work is done). Returns whether it was up.
    pub(super) fn crash_consumer(&mut self, j: usize, k: usize) -> bool {
        if self.queues[j].part.is_some() {
            return self.crash_partitioned(j, k);
        }
        let now = self.now;
        let q = &mut self.queues[j];
        let Some(mut cs) = q.cons.take() else {
            return false;
        };
        if !cs.up[k] {
            q.cons = Some(cs);
            return false;
        }
        q.touch(now);
        cs.up[k] = false;
        cs.down += 1;
        cs.credit -= u64::from(cs.prefetch) - cs.held[k].len() as u64;
        cs.c.crashes += 1;
        let up = cs.up_level.now.saturating_sub(1);
        cs.up_level.set(now, up);
        if cs.incident.is_none() {
            cs.incident = Some(Incident {
                start: now,
                level: q.in_node,
            });
        }
        let mut keep = None;
        if cs.serving[k]
            && let Some(&front) = cs.held[k].front()
        {
            let msg = &mut self.arena.msgs[front as usize];
            if msg.held {
                // Finished and blocked on the next queue: no work to redo.
                keep = cs.held[k].pop_front();
            } else {
                // Its partial work is lost: the pending completion becomes void. The
                // attempt's elapsed service still counts as service, not wait (the
                // wait is the time not being served, as in the analytic figures).
                msg.generation = msg.generation.wrapping_add(1);
                msg.served += now - msg.start;
                q.busy -= 1;
                cs.serving[k] = false;
                cs.c.restarted += 1;
            }
        }
        if let Some(t) = cs.timeout.as_deref_mut() {
            t.crashed(k, keep.is_some());
        }
        while let Some(m) = cs.held[k].pop_back() {
            let msg = &mut self.arena.msgs[m as usize];
            msg.pos |= REDELIVERED;
            q.enqueue_front(m, 0);
            cs.c.redelivered += 1;
        }
        if let Some(m) = keep {
            cs.held[k].push_back(m);
        }
        q.cons = Some(cs);
        self.pump(j);
        if self.queues[j].ttl < f64::INFINITY {
            // Requeued messages keep their deadlines, older than the head's.
            self.arm_expiry(j);
        }
        true
    }

    /// Consumer `k` of queue `j` restarts now with an empty window (but a finished
    /// message it still holds for a blocked queue) and is refilled.
    pub(super) fn restart_consumer(&mut self, j: usize, k: usize) {
        if self.queues[j].part.is_some() {
            return self.restart_partitioned(j, k);
        }
        let now = self.now;
        let q = &mut self.queues[j];
        let in_node = q.in_node;
        let Some(cs) = q.cons.as_deref_mut() else {
            return;
        };
        if cs.up[k] {
            return;
        }
        cs.up[k] = true;
        cs.down -= 1;
        cs.credit += u64::from(cs.prefetch) - cs.held[k].len() as u64;
        let up = cs.up_level.now + 1;
        cs.up_level.set(now, up);
        cs.check_drained(now, in_node);
        self.pump(j);
    }
}

/// The consumers of a prefetch/crash queue in one replication (figures after warm-up).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ConsumerPoolRun {
    /// The prefetch window per consumer.
    pub prefetch: u32,
    /// Consumer crashes.
    pub crashes: u64,
    /// Time-averaged fraction of consumers up.
    pub availability: f64,
    /// Messages returned to the queue by crashes (unacked at the crashed consumer).
    pub redelivered: u64,
    /// Completions of messages that had been returned by a crash.
    pub completed_redelivered: u64,
    /// Crash redeliveries of a message whose service had begun: its work is redone
    /// (a possible duplicate side effect); the rest of `redelivered` were only
    /// prefetched.
    #[serde(default)]
    pub restarted: u64,
    /// Deliveries that timed out (`ack_timeout`), each copied back to the queue.
    #[serde(default)]
    pub timeouts: u64,
    /// Deliveries finished after another delivery of the same message had: work done
    /// twice and discarded (`ack_timeout`).
    #[serde(default)]
    pub duplicates: u64,
    /// Time-averaged messages held unacked at consumers (in service or prefetched).
    pub mean_unacked: f64,
    /// Time-averaged messages ready in the broker queue.
    pub mean_ready: f64,
    /// Largest number of messages in the node.
    pub backlog_peak: u64,
    /// Incidents drained (crash until all consumers are up and the node's count is
    /// back to its level at the crash).
    pub incidents: u64,
    /// Mean drain time of an incident, seconds.
    pub drain_time: Option<f64>,
    /// Completed messages that arrived during an incident.
    pub incident_completed: u64,
    /// Their mean sojourn, seconds.
    pub incident_w: Option<f64>,
    /// Their 99th percentile sojourn, seconds.
    pub incident_p99: Option<f64>,
    /// The non-empty buckets of their sojourn histogram, pooled across replications
    /// for the report's p99.
    #[serde(default, skip_serializing_if = "Buckets::is_empty")]
    pub incident_buckets: Buckets,
    /// Completed messages that arrived outside incidents.
    pub other_completed: u64,
    /// Their mean sojourn, seconds.
    pub other_w: Option<f64>,
    /// Their 99th percentile sojourn, seconds.
    pub other_p99: Option<f64>,
    /// The non-empty buckets of their sojourn histogram (see `incident_buckets`).
    #[serde(default, skip_serializing_if = "Buckets::is_empty")]
    pub other_buckets: Buckets,
}

/// The consumers of a prefetch/crash queue across replications.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ConsumerPoolReport {
    /// The prefetch window per consumer.
    pub prefetch: u32,
    /// Crashes per replication.
    pub crashes: Estimate,
    /// Time-averaged fraction of consumers up.
    pub availability: Estimate,
    /// Messages returned to the queue by crashes, per replication.
    pub redelivered: Estimate,
    /// Messages returned per crash (all replications: Σ redelivered / Σ crashes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redelivered_per_crash: Option<f64>,
    /// Completions of redelivered messages, all replications.
    pub completed_redelivered: u64,
    /// Crash redeliveries of messages whose service had begun (work redone), all
    /// replications.
    #[serde(default)]
    pub restarted: u64,
    /// Deliveries that timed out (`ack_timeout`), per replication.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeouts: Option<Estimate>,
    /// Deliveries discarded as duplicates (`ack_timeout`), per replication.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duplicates: Option<Estimate>,
    /// Duplicates per completed message, all replications (Σ duplicates / Σ
    /// completions): p/(1 − p) for one message at a time, p = P(S > ack_timeout).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duplicates_per_message: Option<f64>,
    /// Time-averaged messages unacked at consumers (in service or prefetched).
    pub mean_unacked: Estimate,
    /// Time-averaged messages ready in the broker queue.
    pub mean_ready: Estimate,
    /// Largest number of messages in the node, per replication.
    pub backlog_peak: Estimate,
    /// Mean drain time of an incident, seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drain_time: Option<Estimate>,
    /// Mean sojourn of messages that arrived during an incident, seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident_w: Option<Estimate>,
    /// 99th percentile sojourn of messages that arrived during an incident, seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident_p99: Option<Estimate>,
    /// Mean sojourn of the other messages, seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other_w: Option<Estimate>,
    /// 99th percentile sojourn of the other messages, seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other_p99: Option<Estimate>,
}

impl ConsumerPoolReport {
    /// Summarises the replications' runs at `confidence`; `None` if there is none.
    pub(super) fn from_runs(runs: &[&ConsumerPoolRun], confidence: f64) -> Option<Self> {
        let first = runs.first()?;
        let zero = Estimate::exact(0.0, runs.len() as u32);
        let est = |f: &dyn Fn(&ConsumerPoolRun) -> Option<f64>| {
            Estimate::from_values(runs.iter().filter_map(|r| f(r)), confidence)
                .map(|e| e.within(0.0, f64::INFINITY))
        };
        let crashes: u64 = runs.iter().map(|r| r.crashes).sum();
        let timeouts = runs.iter().any(|r| r.timeouts > 0 || r.duplicates > 0);
        let duplicates: u64 = runs.iter().map(|r| r.duplicates).sum();
        let completed: u64 = runs
            .iter()
            .map(|r| r.incident_completed + r.other_completed)
            .sum();
        let redelivered: u64 = runs.iter().map(|r| r.redelivered).sum();
        Some(Self {
            prefetch: first.prefetch,
            crashes: est(&|r| Some(r.crashes as f64)).unwrap_or(zero),
            availability: est(&|r| Some(r.availability))
                .map(|e| e.within(0.0, 1.0))
                .unwrap_or(zero),
            redelivered: est(&|r| Some(r.redelivered as f64)).unwrap_or(zero),
            redelivered_per_crash: (crashes > 0).then(|| redelivered as f64 / crashes as f64),
            completed_redelivered: runs.iter().map(|r| r.completed_redelivered).sum(),
            restarted: runs.iter().map(|r| r.restarted).sum(),
            timeouts: if timeouts {
                est(&|r| Some(r.timeouts as f64))
            } else {
                None
            },
            duplicates: if timeouts {
                est(&|r| Some(r.duplicates as f64))
            } else {
                None
            },
            duplicates_per_message: (timeouts && completed > 0)
                .then(|| duplicates as f64 / completed as f64),
            mean_unacked: est(&|r| Some(r.mean_unacked)).unwrap_or(zero),
            mean_ready: est(&|r| Some(r.mean_ready)).unwrap_or(zero),
            backlog_peak: est(&|r| Some(r.backlog_peak as f64)).unwrap_or(zero),
            drain_time: est(&|r| r.drain_time),
            incident_w: est(&|r| r.incident_w),
            incident_p99: pooled_percentile(
                runs.iter().filter_map(|r| r.incident_p99),
                runs.iter().map(|r| &r.incident_buckets),
                0.99,
                confidence,
            ),
            other_w: est(&|r| r.other_w),
            other_p99: pooled_percentile(
                runs.iter().filter_map(|r| r.other_p99),
                runs.iter().map(|r| &r.other_buckets),
                0.99,
                confidence,
            ),
        })
    }
}
