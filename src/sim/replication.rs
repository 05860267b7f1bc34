//! One replication of a model: the [`Replication`] type, its run control (the event
//! loop, warm-up, stopping rules, the stall guard) and the end of a message's root.
//!
//! The rest of its event handling lives beside it, one concept per file: entering a
//! node (`admission`), service, preemption and completion (`service`), time series
//! (`sampling`) and the final statistics (`finish`).

use super::arena::{Arena, NONE};
use super::calendar::{Calendar, Next};
use super::error::SimError;
use super::prepared::Prepared;
use super::queue_state::QueueState;
use super::report::{Conservation, SeriesBucket};
use super::source_state::SourceState;
use crate::model::{Model, RunSettings, ValidModel};

/// Default horizon when neither `horizon` nor `completions` is set, seconds.
pub const DEFAULT_HORIZON: f64 = 1000.0;

/// With a horizon and a count warm-up (`warmup_completions`), the count must be reached
/// by simulated time `warmup + WARMUP_HORIZONS × horizon`; otherwise the run fails with
/// [`SimError::WarmupNotReached`] instead of running forever (e.g. when messages never
/// finish).
pub const WARMUP_HORIZONS: f64 = 10.0;

/// A run without a horizon (stopped by `completions` only) fails with
/// [`SimError::Stalled`] once this many events (at most twice as many: the run looks
/// every `STALL_EVENTS` events) pass without any message finishing while some message
/// is held by a full blocking queue (a blocking deadlock). Heavy-tailed services without
/// blocking never trip it.
pub const STALL_EVENTS: u64 = 1_000_000;

/// An event of the calendar.
#[derive(Debug, Clone, Copy)]
pub(super) enum Ev {
    /// The next arrival of a source.
    Arrival(u32),
    /// The end of a service; void if the message's generation has moved on.
    Done {
        /// The message.
        msg: u32,
        /// Its generation when the service started.
        generation: u32,
    },
    /// The end of a message's redelivery backoff.
    Retry(u32),
    /// A queue's expiry check (queues with a `ttl`; see `sim/expiry.rs`).
    Expire(u32),
    /// The end of the warm-up time.
    Warmup,
    /// The end of the run.
    End,
    /// A time-series tick.
    Sample,
    /// The time limit of the count warm-up.
    Deadline,
    /// A consumer crashes (queues with `crash`).
    Crash {
        /// The queue.
        queue: u32,
        /// The consumer.
        consumer: u32,
    },
    /// A consumer's ack-timeout timer (queues with `ack_timeout`; see
    /// `sim/ack_timeout.rs`).
    AckTimeout {
        /// The queue.
        queue: u32,
        /// The consumer.
        consumer: u32,
    },
    /// The end of a consumer group's rebalance pause (partitioned queues with `crash`;
    /// see `sim/rebalance.rs`).
    Rebalance(u32),
    /// A consumer group's periodic offset commit (`commit_interval`).
    Commit(u32),
    /// A crashed consumer restarts.
    Restart {
        /// The queue.
        queue: u32,
        /// The consumer.
        consumer: u32,
    },
    /// A new request of a retrying source (see `retry`).
    Request(u32),
    /// The timeout of a request's attempt; void if the request's generation moved on.
    AttemptTimeout {
        /// The request.
        request: u32,
        /// Its generation when the attempt was sent.
        generation: u32,
    },
    /// The end of a request's backoff: its next attempt.
    Resend {
        /// The request.
        request: u32,
        /// Its generation when the backoff started.
        generation: u32,
    },
    /// A queue's slowdown incident starts (`true`) or ends (`false`).
    Slowdown {
        /// The queue.
        queue: u32,
        /// Whether services from now on are slowed.
        on: bool,
    },
}

/// One replication of a model: build it, run it (at once or in steps), read its result.
///
/// `new` allocates everything the run needs; `run_until` processes events without
/// allocating once the message arena, the waiting lines and the calendar have reached
/// their working size (checked by a counting-allocator test).
///
/// # Semantics
/// * **Events**: source arrivals, service completions, redelivery timers, the end of
///   warm-up, the end of the run and time-series ticks, kept in a [`Calendar`] ordered by
///   (time, insertion sequence). Each source's next arrival waits in a slot of the
///   calendar rather than in its heap, in the same order.
/// * **Messages** live in an arena (a `Vec` with a free list), so no event allocates once
///   the arena, lines and calendar have grown to their working size. Each source message
///   is the root of its descendants (topic copies, dead letters); a per-root counter of
///   live descendants gives the end-to-end latency: created → last descendant done.
/// * **Queues**: `servers` consumers; FIFO, or one line per priority class (class 1
///   first; FIFO within a class). Non-preemptive priority never interrupts a service;
///   preemptive-resume interrupts the lowest-priority service in progress (the most
///   recently started among equals), which later resumes where it stopped.
/// * **Capacity** K counts every message in the node: waiting, in service, in a
///   redelivery backoff, or held by a blocked consumer. When full, `reject` drops the
///   arrival (counted); `block` makes the sender wait: a **source** stops producing and
///   holds its message until room appears (then resumes its arrival process from that
///   instant); a **consumer** that finished a message bound for the full queue keeps it
///   and stays occupied (blocking after service) until room appears. Senders are
///   released in the order they blocked. A **topic** publish never blocks its
///   publisher: the broker holds the copy for a full blocking subscriber (counted in
///   flight) until room appears.
/// * **Windows** (closed loop): a source with `window = N` has at most N messages in
///   flight (created and not yet finished with all descendants, whether done or lost).
///   The arrival that fills the window schedules no successor: the source pauses, and
///   the moment one of its messages finishes it resumes with a fresh inter-arrival time
///   drawn from that instant. For Poisson (and profile) sources this is exact by
///   memorylessness: the paused source behaves as a single-server station of rate λ.
///   For other processes it is a modelling choice: a deterministic or renewal source
///   restarts a whole gap (time elapsed before the pause is not credited); an MMPP
///   keeps its phase frozen during the pause; a trace releases the timestamps that fell
///   during the pause one per freed slot, at once. A source blocked by a full queue
///   keeps its window slot for the held message.
/// * **Broker semantics**: at the end of each service the delivery fails with the
///   queue's `failure_probability`; a failed message frees its consumer, waits `backoff`
///   in the node and rejoins the tail of its line; after `max_attempts` failed
///   deliveries it leaves for the dead-letter target (dropped and counted if none).
/// * **Start-up backlog**: `initial_backlog` messages (priority class 1, no source) are
///   in the queue at time 0; their completion counts towards `completions`, and the
///   time the last one is done is reported.
/// * **Randomness**: each source and each queue has its own `Xoshiro256PlusPlus`
///   stream, seeded from (seed, replication, stream) by SplitMix64 (see
///   [`stream_seed`](super::stream_seed)), so a replication's results do not depend
///   on threads, and changing one queue's service does not disturb the arrivals.
///
/// # Example
/// ```
/// use kendall::model::{ArrivalProcess, Distribution, Model, Queue, RunSettings, Source};
/// use kendall::sim::Replication;
/// let model = Model::default()
///     .with_source(Source::new("in", ArrivalProcess::Poisson { rate: 5.0 }, "q"))
///     .with_queue(Queue::new("q", 1, Distribution::Exponential { mean: 0.1 }));
/// let settings = RunSettings { horizon: Some(100.0), ..RunSettings::default() };
/// let mut r = Replication::new(&model.validate().unwrap(), &settings, 0).unwrap();
/// r.run_until(50.0).unwrap();
/// r.run_until(f64::INFINITY).unwrap();
/// let result = r.finish();
/// assert_eq!(result.end_time, 100.0);
/// assert!(result.conservation.is_balanced());
/// ```
pub struct Replication {
    pub(super) cal: Calendar<Ev>,
    pub(super) now: f64,
    pub(super) queues: Vec<QueueState>,
    pub(super) sources: Vec<SourceState>,
    /// The queues subscribed to each topic.
    pub(super) subscribers: Vec<Vec<u32>>,
    /// Messages in flight and their roots.
    pub(super) arena: Arena,
    pub(super) totals: Conservation,
    /// Messages held for full blocking queues by a source or the broker.
    pub(super) held: u64,
    pub(super) events: u64,
    pub(super) replication: u32,
    /// Warm-up is over: statistics count.
    pub(super) measuring: bool,
    pub(super) warm_time_ok: bool,
    pub(super) warm_count_ok: bool,
    pub(super) warm_count: u64,
    /// Time warm-up ended.
    pub(super) warm_at: f64,
    pub(super) horizon: Option<f64>,
    pub(super) end_at: f64,
    /// The latest time the run can reach (`warmup + (WARMUP_HORIZONS + 1) × horizon`,
    /// infinite without a horizon): arrival generators stop searching there.
    pub(super) arrivals_until: f64,
    pub(super) completions: Option<u64>,
    /// Roots finished with all their descendants.
    pub(super) finished_roots: u64,
    /// The value of `finished_roots` at which `root_done` hands over to the run control
    /// ([`Replication::roots_mark_reached`]): the warm-up count before measuring, the
    /// stopping count after; `u64::MAX` when neither applies. One comparison per root.
    pub(super) roots_mark: u64,
    pub(super) finished_at_warm: u64,
    pub(super) stopped: bool,
    pub(super) backlog_left: u64,
    pub(super) backlog_drained_at: Option<f64>,
    /// Time-series bucket length.
    pub(super) resolution: Option<f64>,
    pub(super) series: Vec<SeriesBucket>,
    pub(super) series_ticks: u64,
    /// Start of the open time-series bucket.
    pub(super) series_last: f64,
    /// The first error of the current event, reported by `run_until`.
    pub(super) fault: Option<SimError>,
    /// The event count at which to look for a blocking deadlock next (`u64::MAX` when a
    /// horizon bounds the run).
    pub(super) stall_check_at: u64,
    /// `finished_roots` at the previous look.
    pub(super) stall_finished: u64,
    /// `events` at the previous look.
    pub(super) stall_since: u64,
    /// Most message slots the arena may hold (from `simulation.memory_limit`).
    pub(super) in_flight_cap: u64,
    /// Most time-series buckets this replication may keep.
    pub(super) bucket_cap: u64,
    /// Crash and restart events pending (at most one per consumer of a queue with
    /// `crash`): when they are all that is left, the run is over (see `crash.rs`).
    pub(super) crash_pending: usize,
    /// Requests of retrying sources (none without retries).
    pub(super) retry: Option<Box<super::retry::RetryBook>>,
    /// Per queue, with a slowdown incident: its normal and slowed service samplers,
    /// swapped into the queue's sampler at the incident's start and end (so a service
    /// pays nothing).
    pub(super) slow: Vec<Option<Box<(crate::model::Sampler, crate::model::Sampler)>>>,
    /// The figures beyond the standard ones the model asks for (read at the end).
    pub(super) queried: crate::model::QueriedMetrics,
}

impl Replication {
    /// Checks `settings` and builds replication `replication` of a validated model
    /// (which need not be below `settings.replications` here).
    ///
    /// # Errors
    /// [`SimError::Settings`], trace errors, or [`SimError::BacklogExceedsCapacity`].
    pub fn new(
        model: &ValidModel,
        settings: &RunSettings,
        replication: u32,
    ) -> Result<Self, SimError> {
        Prepared::from_valid(model, settings)?.replication(replication)
    }

    pub(super) fn init(&mut self, model: &Model) -> Result<(), SimError> {
        for s in 0..self.sources.len() {
            self.schedule_arrival(s);
        }
        self.schedule_crashes();
        for (j, q) in model.queues.iter().enumerate() {
            if let Some(sd) = &q.slowdown {
                self.at(
                    sd.start,
                    Ev::Slowdown {
                        queue: j as u32,
                        on: true,
                    },
                );
                self.at(
                    sd.start + sd.duration,
                    Ev::Slowdown {
                        queue: j as u32,
                        on: false,
                    },
                );
            }
        }
        for (j, q) in model.queues.iter().enumerate() {
            for _ in 0..q.initial_backlog {
                let root = self.arena.new_root(self.now, NONE);
                let m = self.arena.new_msg(root, 0);
                self.totals.created += 1;
                self.admit(j, m);
            }
        }
        self.fault.take().map_or(Ok(()), Err)
    }

    /// Schedules the warm-up and time-series events; called once before running.
    pub(super) fn arm(&mut self, warmup: f64) -> Result<(), SimError> {
        if !self.warm_time_ok {
            self.cal.schedule(warmup, Ev::Warmup)?;
        }
        if !self.warm_count_ok
            && let Some(h) = self.horizon
        {
            self.cal
                .schedule(warmup + WARMUP_HORIZONS * h, Ev::Deadline)?;
        }
        if let Some(r) = self.resolution {
            self.cal.schedule(r, Ev::Sample)?;
        }
        self.try_warm_up();
        self.fault.take().map_or(Ok(()), Err)
    }

    /// The simulated time now.
    pub fn now(&self) -> f64 {
        self.now
    }

    /// Events processed so far.
    pub fn events(&self) -> u64 {
        self.events
    }

    /// Processes events up to time `until` (inclusive) or until the run's stopping rule
    /// fires. Returns `true` once the run is over.
    ///
    /// # Errors
    /// [`SimError::PastEvent`] if an event would be scheduled before the clock.
    pub fn run_until(&mut self, until: f64) -> Result<bool, SimError> {
        while !self.stopped {
            match self.cal.pop_next(until) {
                // Arrivals wait in the calendar's slots, one per source.
                Next::Slot(t, s) => {
                    self.now = t;
                    self.events += 1;
                    self.on_arrival(s);
                }
                Next::Event(t, ev) => {
                    self.now = t;
                    self.events += 1;
                    // Completions first: the most frequent event, tested by one
                    // predictable conditional branch rather than through a jump table.
                    if let Ev::Done { msg, generation } = ev {
                        self.on_done(msg, generation);
                    } else {
                        self.on_other(t, ev);
                    }
                }
                Next::None => {
                    if !self.cal.is_empty() {
                        return Ok(false);
                    }
                    self.stopped = true;
                    if !self.warm_count_ok {
                        return Err(self.warmup_not_reached());
                    }
                    if self.measuring && self.end_at.is_finite() && self.end_at > self.now {
                        self.now = self.end_at;
                    }
                    break;
                }
            }
            if self.fault.is_some()
                && let Some(e) = self.fault.take()
            {
                self.stopped = true;
                return Err(e);
            }
        }
        Ok(true)
    }

    /// Any event but a completion.
    #[inline(always)]
    pub(super) fn on_other(&mut self, t: f64, ev: Ev) {
        {
            match ev {
                Ev::Arrival(s) => self.on_arrival(s as usize),
                Ev::Done { msg, generation } => self.on_done(msg, generation),
                Ev::Retry(m) => {
                    let j = self.arena.msgs[m as usize].node as usize;
                    self.queues[j].touch(t);
                    self.dispatch(j, m);
                }
                Ev::Warmup => {
                    self.warm_time_ok = true;
                    self.try_warm_up();
                }
                Ev::End => self.stopped = true,
                Ev::Sample => self.on_sample(),
                Ev::Deadline => {
                    if !self.warm_count_ok {
                        self.fault = Some(self.warmup_not_reached());
                    }
                }
                Ev::Crash { queue, consumer } => self.on_crash(queue as usize, consumer),
                Ev::Restart { queue, consumer } => self.on_restart(queue as usize, consumer),
                Ev::Request(_)
                | Ev::AttemptTimeout { .. }
                | Ev::Resend { .. }
                | Ev::Slowdown { .. }
                | Ev::AckTimeout { .. }
                | Ev::Rebalance(_)
                | Ev::Commit(_)
                | Ev::Expire(_) => self.on_rare(ev),
            }
        }
    }

    /// Client retries and slowdown incidents: out of line, so that the event loop of a
    /// model without them is compiled as before.
    #[cold]
    #[inline(never)]
    fn on_rare(&mut self, ev: Ev) {
        match ev {
            Ev::Request(s) => self.on_request(s as usize),
            Ev::AttemptTimeout {
                request,
                generation,
            } => self.on_attempt_timeout(request, generation),
            Ev::Resend {
                request,
                generation,
            } => self.on_resend(request, generation),
            Ev::Expire(j) => self.on_expire(j as usize),
            Ev::Rebalance(j) => self.on_rebalance(j as usize),
            Ev::Commit(j) => self.on_commit(j as usize),
            Ev::AckTimeout { queue, consumer } => {
                self.on_ack_timeout(queue as usize, consumer as usize)
            }
            Ev::Slowdown { queue, on } => {
                let j = queue as usize;
                if let Some(s) = self.slow.get(j).and_then(|s| s.as_deref()) {
                    self.queues[j].sampler = if on { s.1.clone() } else { s.0.clone() };
                }
            }
            _ => {}
        }
    }

    pub(super) fn warmup_not_reached(&self) -> SimError {
        SimError::WarmupNotReached {
            needed: self.warm_count,
            finished: self.finished_roots,
            time: self.now,
        }
    }

    /// Called on an arrival once `stall_check_at` is reached, every [`STALL_EVENTS`]
    /// events: if no message finished since the previous look while messages are held
    /// by full blocking queues, fails the run; then the next look is set.
    #[cold]
    #[inline(never)]
    pub(super) fn check_stall(&mut self) {
        if self.finished_roots == self.stall_finished {
            let blocked = self.held > 0 || self.queues.iter().any(|q| q.blocked_servers > 0);
            if blocked && self.fault.is_none() {
                self.fault = Some(SimError::Stalled {
                    time: self.now,
                    events: self.events - self.stall_since,
                });
            }
        }
        self.stall_finished = self.finished_roots;
        self.stall_since = self.events;
        self.stall_check_at = self.events.saturating_add(STALL_EVENTS + 1);
    }

    /// Schedules an event; scheduling in the past is recorded as the run's fault and
    /// reported by [`Replication::run_until`] right after the current event.
    #[inline(always)]
    pub(super) fn at(&mut self, time: f64, ev: Ev) {
        if let Err(e) = self.cal.schedule(time, ev)
            && self.fault.is_none()
        {
            self.fault = Some(e);
        }
    }

    /// Schedules source `s`'s arrival at `time` in its calendar slot; errors are
    /// recorded as in [`Replication::at`].
    #[inline(always)]
    pub(super) fn at_slot(&mut self, s: usize, time: f64) {
        if let Err(e) = self.cal.schedule_slot(s, time)
            && self.fault.is_none()
        {
            self.fault = Some(e);
        }
    }

    /// A message leaves the system (or is dropped): its root loses a descendant.
    #[inline(always)]
    pub(super) fn free_msg(&mut self, m: u32) {
        if let Some(r) = self.arena.free_msg(m) {
            self.root_done(r);
        }
    }

    /// A message is dropped: its root is lost, and loses a descendant.
    pub(super) fn drop_msg(&mut self, m: u32) {
        self.arena.mark_lost(m);
        self.free_msg(m)
    }

    /// A paused source's message finished: a window slot opened (a fresh inter-arrival
    /// time from now), or a retrying source's attempt is done.
    #[cold]
    #[inline(never)]
    fn source_slot_freed(&mut self, r: u32, root: &super::arena::Root) {
        let s = &mut self.sources[root.source as usize];
        if s.retrying {
            self.attempt_done(r, root);
        } else {
            s.paused = false;
            self.schedule_arrival(root.source as usize);
        }
    }

    /// The last descendant of root `r` is done: the source's window and end-to-end
    /// figures, the backlog, and the stopping and warm-up counts.
    #[inline(always)]
    pub(super) fn root_done(&mut self, r: u32) {
        let root = self.arena.release_root(r);
        if root.source != NONE {
            let s = &mut self.sources[root.source as usize];
            s.in_flight -= 1;
            s.c.finished += 1;
            if root.lost {
                s.c.lost += 1;
            } else {
                let lat = self.now - root.created;
                s.c.e2e_sum += lat;
                s.c.e2e_count += 1;
                s.hist.record(lat);
            }
            // A retrying source is always "paused" (it has no window), so its attempts
            // take this uncommon branch and a plain source pays one test.
            if s.paused {
                self.source_slot_freed(r, &root);
            }
        } else {
            self.backlog_left -= 1;
            if self.backlog_left == 0 {
                self.backlog_drained_at = Some(self.now);
            }
        }
        self.finished_roots += 1;
        if self.finished_roots >= self.roots_mark {
            self.roots_mark_reached();
        }
    }

    /// `finished_roots` reached `roots_mark`: the stopping count (measuring) or the
    /// warm-up count.
    #[cold]
    #[inline(never)]
    fn roots_mark_reached(&mut self) {
        if self.measuring {
            self.stopped = true;
        } else {
            self.warm_count_ok = true;
            self.try_warm_up();
        }
        self.set_roots_mark();
    }

    /// Sets `roots_mark` from the run control's state.
    pub(super) fn set_roots_mark(&mut self) {
        self.roots_mark = if self.measuring {
            self.completions
                .map_or(u64::MAX, |n| self.finished_at_warm.saturating_add(n))
        } else if self.warm_count_ok {
            u64::MAX
        } else {
            self.warm_count
        };
    }

    pub(super) fn try_warm_up(&mut self) {
        if self.measuring || !self.warm_time_ok || !self.warm_count_ok {
            return;
        }
        let now = self.now;
        self.measuring = true;
        self.warm_at = now;
        self.finished_at_warm = self.finished_roots;
        self.set_roots_mark();
        for q in &mut self.queues {
            q.touch(now);
            q.warm = q.c;
            q.warm_area = q.levels.area();
            q.wait_h.clear();
            q.sojourn_h.clear();
            q.age_h.clear();
            // The bucket holding the end of the warm-up takes its p99 from the
            // completions after it.
            if let Some(h) = q.window_h.as_deref_mut() {
                h.clear();
            }
            if let Some(p) = &mut q.part {
                p.warm_up(now);
            }
            if let Some(cs) = &mut q.cons {
                cs.warm_up(now);
            }
        }
        for s in &mut self.sources {
            s.warm = s.c;
            s.hist.clear();
            if let Some(h) = s.window_h.as_deref_mut() {
                h.clear();
            }
        }
        if let Some(b) = &mut self.retry {
            for r in b.sources.iter_mut().flatten() {
                r.warm = r.c;
                r.hist.clear();
            }
        }
        if let Some(h) = self.horizon {
            self.end_at = now + h;
            self.at(now + h, Ev::End);
        }
    }
}
