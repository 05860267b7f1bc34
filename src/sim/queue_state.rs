//! The state of one queue during a replication: its consumers, waiting lines (one per
//! priority class), capacity and blocked senders, time-weighted levels and counters.

use super::arena::{Msg, Root};
use super::calendar::Calendar;
use super::consumer::ConsumerState;
use super::error::SimError;
use super::histogram::Histogram;
use super::line::Line;
use super::partition::PartitionState;
use super::rebalance::Group;
use super::replication::Ev;
use super::time_weighted::TimeIntegral;
use crate::model::{Dest, Discipline, OnFull, Queue, Sampler, Topology};
use rand::RngExt;
use rand_distr::{Distribution as _, Exp1};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::collections::VecDeque;

/// Event counts and latency sums of a queue (a snapshot at the end of warm-up is
/// subtracted from the final one).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Counters {
    /// Messages that reached the node (counted once, whether admitted at once,
    /// rejected, or held for a full blocking node).
    pub(super) arrived: u64,
    /// Messages that entered the node.
    pub(super) admitted: u64,
    /// Messages dropped because the node was full.
    pub(super) rejected: u64,
    /// Messages that completed service (successfully).
    pub(super) completed: u64,
    /// Messages that left for the dead-letter target.
    pub(super) dead_lettered: u64,
    /// Expired unserved (`ttl`).
    pub(super) expired: u64,
    /// Pushed out of a full queue by a newer arrival (`on_full = "drop_head"`).
    pub(super) dropped: u64,
    /// Failed deliveries that were retried.
    pub(super) redeliveries: u64,
    /// Copies made by ack timeouts (each entered the node).
    pub(super) copies: u64,
    /// Deliveries discarded as duplicates (another delivery of the message finished
    /// first).
    pub(super) duplicates: u64,
    /// Arrivals that found the node full.
    pub(super) found_full: u64,
    /// Σ sojourn of completed messages.
    pub(super) sojourn_sum: f64,
    /// Σ wait (sojourn − service) of completed messages.
    pub(super) wait_sum: f64,
    /// Σ sojourn² of completed messages (their variance).
    pub(super) sojourn_sq_sum: f64,
    /// Σ wait² of completed messages.
    pub(super) wait_sq_sum: f64,
    /// Σ age since the root was created, at completion.
    pub(super) age_sum: f64,
}

/// Where a blocked message waits to enter a full blocking queue from.
#[derive(Debug, Clone, Copy)]
pub(super) enum Sender {
    /// A source, paused until the message enters.
    Source(u32),
    /// A consumer of that queue, occupied until the message enters.
    Server(u32),
    /// The broker (a topic copy), blocking nobody.
    Detached,
}

/// One queue's state in a replication.
pub(super) struct QueueState {
    pub(super) name: String,
    pub(super) servers: u32,
    /// Consumers any waiting message may take: `servers`, or 0 for a partitioned
    /// queue, whose consumers serve only their own partitions (`part`).
    pub(super) shared_servers: u32,
    /// The partitions of a partitioned queue (Kafka-style consumer group).
    pub(super) part: Option<Box<PartitionState>>,
    /// The consumers of a queue with a prefetch window or crashes (RabbitMQ-style).
    pub(super) cons: Option<Box<ConsumerState>>,
    /// K (`u64::MAX` without a capacity).
    pub(super) capacity: u64,
    /// Full means blocking the sender rather than rejecting.
    pub(super) block: bool,
    /// `on_full = "drop_head"`: a full queue pushes out its oldest waiting message.
    pub(super) drop_head: bool,
    pub(super) preemptive: bool,
    /// Preemptive or partitioned: a message that finds no free shared consumer is
    /// dispatched by its own rule (a victim to preempt, or its partition's consumer).
    pub(super) own_dispatch: bool,
    /// One line per priority class (else one line).
    pub(super) classed: bool,
    pub(super) fail_p: f64,
    pub(super) max_attempts: u32,
    pub(super) backoff: f64,
    /// The redelivery backoff grows or is jittered (see `Queue::redelivery_backoff`):
    /// then `next_backoff` draws it; otherwise it is the constant `backoff`.
    pub(super) backoff_varies: bool,
    backoff_multiplier: f64,
    max_backoff: f64,
    backoff_jitter: crate::model::Jitter,
    pub(super) sampler: Sampler,
    pub(super) rng: Xoshiro256PlusPlus,
    /// Cumulative branch probabilities and their destinations.
    pub(super) route: Vec<(f64, Dest)>,
    pub(super) dead_letter: Dest,
    /// Occupied consumers: serving, or blocked holding a finished message.
    pub(super) busy: u32,
    /// Consumers holding a finished message bound for a full blocking queue.
    pub(super) blocked_servers: u32,
    /// Messages in the lines.
    pub(super) waiting: u64,
    /// Messages in the node (what K bounds).
    pub(super) in_node: u64,
    pub(super) lines: Vec<Line>,
    /// Messages in service (preemptive queues only), with `Msg::pos` their index.
    pub(super) in_service: Vec<u32>,
    /// Messages waiting to enter this full blocking queue, in the order they blocked.
    pub(super) senders: VecDeque<(u32, Sender)>,
    /// ∫ in_node, ∫ (in_node − actively served), ∫ busy.
    pub(super) levels: TimeIntegral<4>,
    pub(super) c: Counters,
    /// `c` at the end of warm-up.
    pub(super) warm: Counters,
    /// `levels` at the end of warm-up.
    pub(super) warm_area: [f64; 4],
    pub(super) wait_h: Histogram,
    pub(super) sojourn_h: Histogram,
    pub(super) age_h: Histogram,
    /// Time series only: `sojourn_h` as it was at the start of the current bucket (the
    /// bucket's p99 is that of the difference; nothing is recorded twice).
    pub(super) window_h: Option<Box<Histogram>>,
    /// Only sources feed this node, without blocking: every message enters when its
    /// root is created, so its age at completion is its sojourn (not recorded twice).
    pub(super) age_is_sojourn: bool,
    /// Time series: area, sojourn sum, completions at the last tick.
    pub(super) tick: (f64, f64, u64),
    /// No preemption, no failures, no capacity and every completion leaves the
    /// system: a completion takes the short path (`Replication::done_plain`).
    pub(super) plain: bool,
    /// Consumer-seconds of work each arrival brings, per consumer: expected deliveries
    /// × mean service / servers (arrival rate × this = offered load per consumer).
    pub(super) work_per_arrival: f64,
    /// Message time to live, seconds; +∞ without a TTL (see `sim/expiry.rs`).
    pub(super) ttl: f64,
    /// When the pending expiry check is due; +∞ when none is pending.
    pub(super) expiry_due: f64,
    /// Messages found expired while consumers were being served, to expire once the
    /// serving loop is done (kept, so no event allocates).
    pub(super) expired_found: Vec<u32>,
}

/// Expected deliveries of a message to a queue that fails each with probability `p`
/// and gives up after `max_attempts`: 1 + p + … + p^(max_attempts − 1).
pub(super) fn expected_deliveries(p: f64, max_attempts: u32) -> f64 {
    let m = f64::from(max_attempts.max(1));
    if p <= 0.0 {
        1.0
    } else if p >= 1.0 {
        m
    } else {
        // (1 − p^m) / (1 − p), with p^m by exp(m ln p) so that m = u32::MAX is fine.
        -(m * p.ln()).exp_m1() / (1.0 - p)
    }
}

/// A wait of a few rounding units of the clock is no wait: `sojourn − served` of a
/// message served at once is zero up to the rounding of `now`, and P(wait) counts the
/// waits that are not zero.
#[inline(always)]
pub(super) fn no_wait_below_rounding(wait: f64, now: f64) -> f64 {
    if wait > 8.0 * f64::EPSILON * now {
        wait
    } else {
        0.0
    }
}

impl QueueState {
    /// The initial (empty) state of queue `j` of a validated model: `queue` is its
    /// definition, `topology` the model's, `classes` the number of priority classes.
    ///
    /// # Errors
    /// [`SimError::Model`] if the service distribution cannot be sampled.
    pub(super) fn new(
        queue: &Queue,
        j: usize,
        topology: &Topology,
        classes: usize,
        age_is_sojourn: bool,
        rng: Xoshiro256PlusPlus,
    ) -> Result<Self, SimError> {
        let q = queue;
        let classed = q.discipline != Discipline::Fifo;
        // A partitioned queue: one line per consumer that owns partitions (with crashes,
        // per consumer: a rebalance can hand partitions to any of them).
        let nlines = match q.partitions {
            Some(_) if q.crash.is_some() => q.servers.max(1) as usize,
            Some(p) => q.servers.min(p).max(1) as usize,
            None if classed => classes,
            None => 1,
        };
        Ok(Self {
            name: q.name.clone(),
            servers: q.servers,
            shared_servers: if q.partitions.is_some() || q.has_consumer_model() {
                0
            } else {
                q.servers
            },
            part: None,
            cons: None,
            capacity: q.capacity.unwrap_or(u64::MAX),
            block: q.on_full == OnFull::Block,
            drop_head: q.on_full == OnFull::DropHead,
            preemptive: q.discipline == Discipline::PreemptivePriority,
            own_dispatch: q.discipline == Discipline::PreemptivePriority
                || q.ttl.is_some()
                || q.partitions.is_some()
                || q.has_consumer_model(),
            classed,
            fail_p: q.failure_probability,
            max_attempts: q.max_attempts,
            backoff: q.backoff,
            backoff_varies: q.backoff_multiplier != 1.0
                || q.backoff_jitter != crate::model::Jitter::None,
            backoff_multiplier: q.backoff_multiplier,
            max_backoff: q.max_backoff.unwrap_or(f64::INFINITY),
            backoff_jitter: q.backoff_jitter,
            sampler: q.service.sampler()?,
            rng,
            route: topology.routes[j].clone(),
            dead_letter: topology.dead_letter[j],
            busy: 0,
            blocked_servers: 0,
            waiting: 0,
            in_node: 0,
            lines: (0..nlines).map(|_| Line::with_capacity(256)).collect(),
            in_service: Vec::with_capacity(if classed { q.servers as usize } else { 0 }),
            senders: VecDeque::new(),
            levels: TimeIntegral::default(),
            c: Counters::default(),
            warm: Counters::default(),
            warm_area: [0.0; 4],
            wait_h: Histogram::new(),
            sojourn_h: Histogram::new(),
            age_h: Histogram::new(),
            window_h: None,
            age_is_sojourn,
            tick: (0.0, 0.0, 0),
            plain: q.discipline != Discipline::PreemptivePriority
                && q.partitions.is_none()
                && !q.has_consumer_model()
                && q.failure_probability == 0.0
                && q.capacity.is_none()
                && q.ttl.is_none()
                && matches!(topology.routes[j].as_slice(), [(_, Dest::Exit)]),
            work_per_arrival: expected_deliveries(q.failure_probability, q.max_attempts)
                * q.service.mean()
                / f64::from(q.servers.max(1)),
            ttl: q.ttl.unwrap_or(f64::INFINITY),
            expiry_due: f64::INFINITY,
            expired_found: Vec::new(),
        })
    }

    /// The backoff before the redelivery after the k-th failed delivery (k >= 1):
    /// min(backoff·multiplier^(k−1), max_backoff), jittered with the queue's stream.
    #[cold]
    pub(super) fn next_backoff(&mut self, k: u32) -> f64 {
        let grown = self.backoff * self.backoff_multiplier.powf(f64::from(k.saturating_sub(1)));
        let b = grown.min(self.max_backoff);
        match self.backoff_jitter {
            crate::model::Jitter::None => b,
            crate::model::Jitter::Full => b * self.rng.random::<f64>(),
            crate::model::Jitter::Equal => 0.5 * b + 0.5 * b * self.rng.random::<f64>(),
        }
    }

    /// Counts a completed message and records its sojourn, wait and (for listeners)
    /// age since its root was created.
    #[inline(always)]
    pub(super) fn record_completion(&mut self, msg: &Msg, roots: &[Root], now: f64) {
        self.c.completed += 1;
        let sojourn = now - msg.enter;
        let wait = no_wait_below_rounding(sojourn - msg.served, now);
        self.c.sojourn_sum += sojourn;
        self.c.wait_sum += wait;
        self.c.sojourn_sq_sum += sojourn * sojourn;
        self.c.wait_sq_sum += wait * wait;
        self.wait_h.record(wait);
        self.sojourn_h.record(sojourn);
        if !self.age_is_sojourn {
            let age = now - roots[msg.root as usize].created;
            self.c.age_sum += age;
            self.age_h.record(age);
        }
    }

    /// Brings the time-weighted levels up to `now`; call before any level changes.
    #[inline]
    pub(super) fn touch(&mut self, now: f64) {
        // Via i64: one instruction, where u64 → f64 takes several.
        let n = self.in_node as i64 as f64;
        self.levels.advance(
            now,
            [
                n,
                // Not being served: waiting for a consumer, in redelivery backoff, or
                // finished and held by a blocked consumer, so that Lq = X·Wq with
                // Wq = sojourn − service time (Little's law on the same definition).
                // Never negative: every busy consumer that is not blocked serves a
                // message of the node. Unsigned arithmetic: the same integer, fewer
                // instructions.
                (self.in_node + u64::from(self.blocked_servers) - u64::from(self.busy)) as i64
                    as f64,
                f64::from(self.busy),
                // N², for Var(N) = E[N²] − L².
                n * n,
            ],
        );
    }

    /// Full, and blocking its senders.
    #[inline]
    pub(super) fn full_blocking(&self) -> bool {
        self.block && self.in_node >= self.capacity
    }

    /// The line of priority class `class`.
    #[inline(always)]
    fn line(&self, class: u32) -> usize {
        if self.classed { class as usize } else { 0 }
    }

    /// Message `m` of class `class` joins the tail of its line.
    #[inline(always)]
    pub(super) fn enqueue(&mut self, m: u32, class: u32) {
        let line = self.line(class);
        self.lines[line].push_back(m);
        self.waiting += 1;
    }

    /// Preempted message `m` of class `class` goes back to the head of its line.
    #[inline(always)]
    pub(super) fn enqueue_front(&mut self, m: u32, class: u32) {
        let line = self.line(class);
        self.lines[line].push_front(m);
        self.waiting += 1;
    }

    /// The next message to serve: the head of the highest-priority line that is not
    /// empty.
    #[inline(always)]
    pub(super) fn next_waiting(&mut self) -> Option<u32> {
        let next = if self.classed {
            self.lines.iter_mut().find_map(Line::pop_front)
        } else {
            self.lines[0].pop_front()
        };
        let m = next?;
        self.waiting -= 1;
        Some(m)
    }
}

impl QueueState {
    /// The consumer group of a partitioned queue with crashes.
    pub(super) fn group(&self) -> Option<&Group> {
        self.part.as_deref()?.group.as_deref()
    }

    /// The consumer group of a partitioned queue with crashes, to change.
    pub(super) fn group_mut(&mut self) -> Option<&mut Group> {
        self.part.as_deref_mut()?.group.as_deref_mut()
    }

    /// The next up-time (`up`) or down-time of one of this queue's consumers, from its
    /// crash stream; `None` for a queue without crashes.
    pub(super) fn crash_draw(&mut self, up: bool) -> Option<f64> {
        if let Some(cs) = self.cons.as_deref_mut() {
            let (u, d) = cs.crash.as_ref()?;
            return Some(if up { u } else { d }.sample(&mut cs.rng));
        }
        let g = self.group_mut()?;
        let (u, d) = &g.crash;
        Some(if up { u } else { d }.sample(&mut g.rng))
    }
}

/// Starts the service of message `m` (`msg`) by a consumer of `q` at time `now` and
/// schedules its completion; a completion in the past is recorded in `fault`.
#[inline(always)]
pub(super) fn start_service(
    q: &mut QueueState,
    m: u32,
    msg: &mut Msg,
    now: f64,
    cal: &mut Calendar<Ev>,
    fault: &mut Option<SimError>,
) {
    q.busy += 1;
    let s = if msg.remaining >= 0.0 {
        let r = msg.remaining;
        msg.remaining = -1.0;
        r
    } else if let Sampler::Exponential { mean } = q.sampler {
        // The common case, inlined.
        let e: f64 = Exp1.sample(&mut q.rng);
        mean * e
    } else {
        q.sampler.sample(&mut q.rng)
    };
    msg.start = now;
    msg.end = now + s;
    if q.preemptive {
        msg.pos = q.in_service.len() as u32;
        q.in_service.push(m);
    }
    let generation = msg.generation;
    if let Err(e) = cal.schedule(now + s, Ev::Done { msg: m, generation })
        && fault.is_none()
    {
        *fault = Some(e);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ArrivalProcess, Distribution, Model, Source};
    use crate::sim::arena::Arena;
    use rand::SeedableRng;

    fn state(
        discipline: Discipline,
        servers: u32,
        classes: usize,
        age_is_sojourn: bool,
    ) -> QueueState {
        let model = Model::default()
            .with_source(Source::new(
                "in",
                ArrivalProcess::Poisson { rate: 1.0 },
                "q",
            ))
            .with_queue(
                Queue::new("q", servers, Distribution::Exponential { mean: 1.0 })
                    .with_discipline(discipline),
            );
        let valid = model.validate().unwrap();
        QueueState::new(
            &model.queues[0],
            0,
            valid.topology(),
            classes,
            age_is_sojourn,
            Xoshiro256PlusPlus::seed_from_u64(1),
        )
        .unwrap()
    }

    /// Levels held on [0, 1), [1, 3), [3, 4), [4, 6), [6, 10):
    /// in node 0, 1, 3, 2, 0; busy 0, 1, 2, 2 (one blocked), 0.
    #[test]
    fn levels_are_time_weighted() {
        let mut q = state(Discipline::Fifo, 2, 1, false);
        q.touch(1.0);
        (q.in_node, q.busy) = (1, 1);
        q.touch(3.0);
        (q.in_node, q.busy) = (3, 2);
        q.touch(4.0);
        // One consumer holds a finished message, the other serves: 1 not being served.
        (q.in_node, q.busy, q.blocked_servers) = (2, 2, 1);
        q.touch(6.0);
        (q.in_node, q.busy, q.blocked_servers) = (0, 0, 0);
        q.touch(10.0);
        // ∫ in node = 1·2 + 3·1 + 2·2; ∫ not served = 0·2 + 1·1 + 1·2;
        // ∫ busy = 1·2 + 2·1 + 2·2; ∫ in node² = 1·2 + 9·1 + 4·2.
        assert_eq!(q.levels.area(), [9.0, 3.0, 8.0, 19.0]);
    }

    #[test]
    fn a_completion_records_sojourn_wait_and_age() {
        let mut arena = Arena::with_capacity(0);
        let root = arena.new_root(1.0, 0);
        let m = arena.new_msg(root, 0);
        let msg = &mut arena.msgs[m as usize];
        (msg.enter, msg.served) = (2.0, 1.5);
        let mut q = state(Discipline::Fifo, 1, 1, false);
        q.record_completion(&arena.msgs[m as usize], &arena.roots, 5.0);
        assert_eq!(q.c.completed, 1);
        assert_eq!(q.c.sojourn_sum, 3.0);
        assert_eq!(q.c.wait_sum, 1.5);
        assert_eq!(q.c.age_sum, 4.0);
        assert_eq!((q.wait_h.count(), q.wait_h.count_zero()), (1, 0));
        assert_eq!((q.sojourn_h.count(), q.age_h.count()), (1, 1));
        // Served at once: a wait of zero; no age recorded where age is sojourn.
        let msg = &mut arena.msgs[m as usize];
        (msg.enter, msg.served) = (5.0, 0.25);
        q.age_is_sojourn = true;
        q.record_completion(&arena.msgs[m as usize], &arena.roots, 5.25);
        assert_eq!(q.c.completed, 2);
        assert_eq!(q.c.sojourn_sum, 3.25);
        assert_eq!(q.c.wait_sum, 1.5);
        assert_eq!(q.c.age_sum, 4.0);
        assert_eq!((q.wait_h.count(), q.wait_h.count_zero()), (2, 1));
        assert_eq!((q.sojourn_h.count(), q.age_h.count()), (2, 1));
        // The other counters are not touched.
        assert_eq!((q.c.arrived, q.c.admitted, q.c.rejected), (0, 0, 0));
    }

    #[test]
    fn expected_deliveries_is_a_geometric_sum() {
        assert_eq!(expected_deliveries(0.0, 5), 1.0);
        assert_eq!(expected_deliveries(1.0, 5), 5.0);
        // 1 + 0.5 + 0.25 = 1.75.
        assert!((expected_deliveries(0.5, 3) - 1.75).abs() < 1e-15);
        // Unlimited attempts: 1 / (1 − p).
        assert!((expected_deliveries(0.2, u32::MAX) - 1.25).abs() < 1e-12);
    }

    #[test]
    fn a_wait_within_clock_rounding_is_zero() {
        // 8 ε · 10⁶ ≈ 1.8e-9.
        assert_eq!(no_wait_below_rounding(1e-10, 1e6), 0.0);
        assert_eq!(no_wait_below_rounding(1e-6, 1e6), 1e-6);
        assert_eq!(no_wait_below_rounding(1e-12, 1.0), 1e-12);
        assert_eq!(no_wait_below_rounding(-1e-12, 1.0), 0.0);
    }

    #[test]
    fn priority_lines_serve_class_by_class_fifo_within() {
        let mut q = state(Discipline::Priority, 1, 3, false);
        assert_eq!(q.lines.len(), 3);
        for (m, class) in [(10, 2), (11, 0), (12, 2), (13, 1), (14, 0)] {
            q.enqueue(m, class);
        }
        assert_eq!(q.waiting, 5);
        // A preempted class-1 message goes back ahead of its class.
        q.enqueue_front(15, 1);
        let order: Vec<u32> = std::iter::from_fn(|| q.next_waiting()).collect();
        assert_eq!(order, [11, 14, 15, 13, 10, 12]);
        assert_eq!(q.waiting, 0);
        assert_eq!(q.next_waiting(), None);
        assert_eq!(q.waiting, 0);
    }

    #[test]
    fn a_fifo_queue_ignores_classes() {
        let mut q = state(Discipline::Fifo, 1, 3, false);
        assert_eq!(q.lines.len(), 1);
        for (m, class) in [(10, 2), (11, 0), (12, 1)] {
            q.enqueue(m, class);
        }
        let order: Vec<u32> = std::iter::from_fn(|| q.next_waiting()).collect();
        assert_eq!(order, [10, 11, 12]);
    }

    #[test]
    fn full_blocking_needs_block_and_capacity_reached() {
        let mut q = state(Discipline::Fifo, 1, 1, false);
        assert_eq!(q.capacity, u64::MAX);
        q.in_node = 5;
        assert!(!q.full_blocking());
        q.capacity = 5;
        assert!(!q.full_blocking(), "reject, not block");
        q.block = true;
        assert!(q.full_blocking());
        q.in_node = 4;
        assert!(!q.full_blocking());
    }

    #[test]
    fn a_plain_queue_is_recognised() {
        assert!(state(Discipline::Fifo, 1, 1, false).plain);
        assert!(state(Discipline::Priority, 1, 2, false).plain);
        assert!(!state(Discipline::PreemptivePriority, 1, 2, false).plain);
    }
}
