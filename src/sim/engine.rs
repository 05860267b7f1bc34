//! The event loop of one replication.
//!
//! # Semantics
//! * **Events**: source arrivals, service completions, redelivery timers, the end of
//!   warm-up, the end of the run and time-series ticks, kept in a [`Calendar`] ordered by
//!   (time, insertion sequence).
//! * **Messages** live in an arena (a `Vec` with a free list), so no event allocates once
//!   the arena, lines and calendar have grown to their working size. Each source message
//!   is the root of its descendants (topic copies, dead letters); a per-root counter of
//!   live descendants gives the end-to-end latency: created → last descendant done.
//! * **Queues**: `servers` consumers; FIFO, or one line per priority class (class 1
//!   first; FIFO within a class). Non-preemptive priority never interrupts a service;
//!   preemptive-resume interrupts the lowest-priority service in progress (the most
//!   recently started among equals), which later resumes where it stopped.
//! * **Capacity** K counts every message in the node: waiting, in service, in a
//!   redelivery backoff, or held by a blocked consumer. When full, `reject` drops the
//!   arrival (counted); `block` makes the sender wait: a **source** stops producing and
//!   holds its message until room appears (then resumes its arrival process from that
//!   instant); a **consumer** that finished a message bound for the full queue keeps it
//!   and stays occupied (blocking after service) until room appears. Senders are
//!   released in the order they blocked. A **topic** publish never blocks its
//!   publisher: the broker holds the copy for a full blocking subscriber (counted in
//!   flight) until room appears.
//! * **Windows** (closed loop): a source with `window = N` has at most N messages in
//!   flight (created and not yet finished with all descendants, whether done or lost).
//!   The arrival that fills the window schedules no successor: the source pauses, and
//!   the moment one of its messages finishes it resumes with a fresh inter-arrival time
//!   drawn from that instant. For Poisson (and profile) sources this is exact by
//!   memorylessness: the paused source behaves as a single-server station of rate λ.
//!   For other processes it is a modelling choice: a deterministic or renewal source
//!   restarts a whole gap (time elapsed before the pause is not credited); an MMPP
//!   keeps its phase frozen during the pause; a trace releases the timestamps that fell
//!   during the pause one per freed slot, at once. A source blocked by a full queue
//!   keeps its window slot for the held message.
//! * **Broker semantics**: at the end of each service the delivery fails with the
//!   queue's `failure_probability`; a failed message frees its consumer, waits `backoff`
//!   in the node and rejoins the tail of its line; after `max_attempts` failed
//!   deliveries it leaves for the dead-letter target (dropped and counted if none).
//! * **Start-up backlog**: `initial_backlog` messages (priority class 1, no source) are
//!   in the queue at time 0; their completion counts towards `completions`, and the
//!   time the last one is done is reported.
//! * **Randomness**: each source and each queue has its own `Xoshiro256PlusPlus`
//!   stream, seeded from (seed, replication, stream) by SplitMix64 (see
//!   [`stream_seed`]), so a replication's results do not depend on threads, and
//!   changing one queue's service does not disturb the arrivals.

use super::arrivals::{ArrivalGen, read_trace};
use super::calendar::Calendar;
use super::error::SimError;
use super::histogram::Histogram;
use super::report::{
    Conservation, LatencySummary, NodeCounts, QueueRun, ReplicationResult, SeriesBucket, SourceRun,
};
use super::time_weighted::TimeIntegral;
use crate::model::{
    ArrivalProcess, Dest, Discipline, Model, NodeId, OnFull, Problems, RunSettings, Sampler,
    Topology,
};
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution as _, Exp1};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::collections::VecDeque;
use std::sync::Arc;

const NONE: u32 = u32::MAX;
/// Default horizon when neither `horizon` nor `completions` is set, seconds.
pub const DEFAULT_HORIZON: f64 = 1000.0;

/// With a horizon and a count warm-up (`warmup_completions`), the count must be reached
/// by simulated time `warmup + WARMUP_HORIZONS × horizon`; otherwise the run fails with
/// [`SimError::WarmupNotReached`] instead of running forever (e.g. when messages never
/// finish).
pub const WARMUP_HORIZONS: f64 = 10.0;

/// A run without a horizon (stopped by `completions` only) fails with
/// [`SimError::Stalled`] once this many events pass without any message finishing while
/// some message is held by a full blocking queue (a blocking deadlock). Heavy-tailed
/// services without blocking never trip it.
pub const STALL_EVENTS: u64 = 1_000_000;

fn splitmix64(z: u64) -> u64 {
    let mut z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The 64-bit seed of random stream `stream` of replication `replication`:
/// `s = sm(sm(sm(seed) ^ replication) ^ stream)` with `sm` the SplitMix64 finaliser
/// (Steele, Lea & Flood 2014). Streams: source i is stream i, queue j is 2³² + j.
///
/// # Example
/// ```
/// use kendall::sim::stream_seed;
/// assert_ne!(stream_seed(1, 0, 0), stream_seed(1, 1, 0));
/// assert_eq!(stream_seed(7, 3, 2), stream_seed(7, 3, 2));
/// ```
pub fn stream_seed(seed: u64, replication: u32, stream: u64) -> u64 {
    splitmix64(splitmix64(splitmix64(seed) ^ u64::from(replication)) ^ stream)
}

/// The generator of a stream: Xoshiro256++ whose 256-bit state is four successive
/// SplitMix64 outputs from [`stream_seed`].
fn stream_rng(seed: u64, replication: u32, stream: u64) -> Xoshiro256PlusPlus {
    let mut s = stream_seed(seed, replication, stream);
    let mut bytes = [0u8; 32];
    for chunk in bytes.chunks_exact_mut(8) {
        s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
        chunk.copy_from_slice(&splitmix64(s).to_le_bytes());
    }
    Xoshiro256PlusPlus::from_seed(bytes)
}

#[derive(Debug, Clone, Copy)]
enum Ev {
    Arrival(u32),
    Done {
        msg: u32,
        generation: u32,
    },
    Retry(u32),
    Warmup,
    End,
    Sample,
    /// The time limit of the count warm-up.
    Deadline,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Completed,
    DeadLetter,
}

#[derive(Debug, Clone, Copy)]
enum Sender {
    Source(u32),
    Server(u32),
    Detached,
}

#[derive(Debug, Clone, Copy)]
struct Msg {
    root: u32,
    node: u32,
    class: u32,
    attempts: u32,
    generation: u32,
    pos: u32,
    held: bool,
    dead: bool,
    enter: f64,
    served: f64,
    start: f64,
    end: f64,
    remaining: f64,
}

#[derive(Debug, Clone, Copy)]
struct Root {
    created: f64,
    outstanding: u32,
    source: u32,
    lost: bool,
}

#[derive(Debug, Clone, Copy, Default)]
struct Counters {
    /// Messages that reached the node (counted once, whether admitted at once,
    /// rejected, or held for a full blocking node).
    arrived: u64,
    admitted: u64,
    rejected: u64,
    completed: u64,
    dead_lettered: u64,
    redeliveries: u64,
    found_full: u64,
    sojourn_sum: f64,
    wait_sum: f64,
    age_sum: f64,
}

struct QueueState {
    name: String,
    servers: u32,
    capacity: u64,
    block: bool,
    preemptive: bool,
    classed: bool,
    fail_p: f64,
    max_attempts: u32,
    backoff: f64,
    sampler: Sampler,
    rng: Xoshiro256PlusPlus,
    route: Vec<(f64, Dest)>,
    dead_letter: Dest,
    busy: u32,
    blocked_servers: u32,
    waiting: u64,
    in_node: u64,
    lines: Vec<VecDeque<u32>>,
    in_service: Vec<u32>,
    senders: VecDeque<(u32, Sender)>,
    /// ∫ in_node, ∫ (in_node − actively served), ∫ busy.
    levels: TimeIntegral<3>,
    c: Counters,
    warm: Counters,
    warm_area: [f64; 3],
    wait_h: Histogram,
    sojourn_h: Histogram,
    age_h: Histogram,
    /// Only sources feed this node, without blocking: every message enters when its
    /// root is created, so its age at completion is its sojourn (not recorded twice).
    age_is_sojourn: bool,
    /// Time series: area, sojourn sum, completions at the last tick.
    tick: (f64, f64, u64),
    /// No preemption, no failures, no capacity and every completion leaves the
    /// system: a completion takes the short path of [`Replication::on_done`].
    plain: bool,
}

/// A wait of a few rounding units of the clock is no wait: `sojourn − served` of a
/// message served at once is zero up to the rounding of `now`, and P(wait) counts the
/// waits that are not zero.
#[inline(always)]
fn no_wait_below_rounding(wait: f64, now: f64) -> f64 {
    if wait > 8.0 * f64::EPSILON * now {
        wait
    } else {
        0.0
    }
}

impl QueueState {
    /// Counts a completed message and records its sojourn, wait and (for listeners)
    /// age since its root was created.
    #[inline(always)]
    fn record_completion(&mut self, msg: &Msg, roots: &[Root], now: f64) {
        self.c.completed += 1;
        let sojourn = now - msg.enter;
        let wait = no_wait_below_rounding(sojourn - msg.served, now);
        self.c.sojourn_sum += sojourn;
        self.c.wait_sum += wait;
        self.wait_h.record(wait);
        self.sojourn_h.record(sojourn);
        if !self.age_is_sojourn {
            let age = now - roots[msg.root as usize].created;
            self.c.age_sum += age;
            self.age_h.record(age);
        }
    }

    #[inline]
    fn touch(&mut self, now: f64) {
        self.levels.advance(
            now,
            [
                // Via i64: one instruction, where u64 → f64 takes several.
                self.in_node as i64 as f64,
                // Not being served: waiting for a consumer, in redelivery backoff, or
                // finished and held by a blocked consumer, so that Lq = X·Wq with
                // Wq = sojourn − service time (Little's law on the same definition).
                // Never negative: every busy consumer that is not blocked serves a
                // message of the node. Unsigned arithmetic: the same integer, fewer
                // instructions.
                (self.in_node + u64::from(self.blocked_servers) - u64::from(self.busy)) as i64
                    as f64,
                f64::from(self.busy),
            ],
        );
    }

    #[inline]
    fn full_blocking(&self) -> bool {
        self.block && self.in_node >= self.capacity
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct SourceCounters {
    created: u64,
    finished: u64,
    lost: u64,
    e2e_sum: f64,
    e2e_count: u64,
}

struct SourceState {
    name: String,
    arrivals: ArrivalGen,
    rng: Xoshiro256PlusPlus,
    dest: NodeId,
    class: u32,
    c: SourceCounters,
    warm: SourceCounters,
    hist: Histogram,
    tick: (f64, u64),
    /// Most messages in flight (`u64::MAX` without a window).
    window: u64,
    /// Messages created and not yet finished (done or lost, with all descendants).
    in_flight: u64,
    /// The window is full: no arrival is pending until one of its messages finishes.
    paused: bool,
}

/// Starts the service of message `m` (`msg`) by a consumer of `q` at time `now` and
/// schedules its completion; a completion in the past is recorded in `fault`.
#[inline(always)]
fn start_service(
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

/// A model checked and prepared once for any number of replications: the topology,
/// trace files read, priority classes resolved.
pub(crate) struct Prepared<'m> {
    pub(crate) model: &'m Model,
    topology: Topology,
    traces: Vec<Option<Arc<[f64]>>>,
    classes: Vec<u32>,
    age_is_sojourn: Vec<bool>,
    pub(crate) settings: RunSettings,
}

impl<'m> Prepared<'m> {
    pub(crate) fn new(model: &'m Model, settings: &RunSettings) -> Result<Self, SimError> {
        let topology = crate::model::validate_topology(model)?;
        let mut problems = Vec::new();
        settings.check(&mut problems);
        if !problems.is_empty() {
            return Err(SimError::Settings(Problems(problems)));
        }
        for q in &model.queues {
            if let Some(k) = q.capacity
                && q.initial_backlog > k
            {
                return Err(SimError::BacklogExceedsCapacity {
                    queue: q.name.clone(),
                    backlog: q.initial_backlog,
                    capacity: k,
                });
            }
        }
        let traces = model
            .sources
            .iter()
            .map(|s| match &s.arrival {
                ArrivalProcess::Trace { file } => read_trace(file).map(Some),
                _ => Ok(None),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut prios: Vec<u32> = model.sources.iter().map(|s| s.priority).collect();
        prios.push(1);
        prios.sort_unstable();
        prios.dedup();
        let classes = model
            .sources
            .iter()
            .map(|s| prios.binary_search(&s.priority).unwrap_or(0) as u32)
            .collect();
        let mut fed_by_queue = vec![false; model.queues.len()];
        let mut mark = |d: Dest| match d {
            Dest::Node(NodeId::Queue(k)) => fed_by_queue[k] = true,
            Dest::Node(NodeId::Topic(t)) => {
                topology.subscribers[t]
                    .iter()
                    .for_each(|k| fed_by_queue[*k] = true);
            }
            Dest::Exit => {}
        };
        for j in 0..model.queues.len() {
            topology.routes[j].iter().for_each(|(_, d)| mark(*d));
            mark(topology.dead_letter[j]);
        }
        let age_is_sojourn = model
            .queues
            .iter()
            .zip(&fed_by_queue)
            .map(|(q, fed)| !fed && q.on_full != OnFull::Block)
            .collect();
        Ok(Self {
            model,
            topology,
            traces,
            classes,
            age_is_sojourn,
            settings: settings.clone(),
        })
    }

    fn class_count(&self) -> usize {
        self.classes
            .iter()
            .map(|c| *c as usize + 1)
            .max()
            .unwrap_or(1)
    }

    pub(crate) fn servers(&self) -> Vec<u32> {
        self.model.queues.iter().map(|q| q.servers).collect()
    }

    /// Builds replication `replication`, ready to run.
    pub(crate) fn replication(&self, replication: u32) -> Result<Replication, SimError> {
        let model = self.model;
        let st = &self.settings;
        let nclass = self.class_count();
        let mut queues = Vec::with_capacity(model.queues.len());
        for (j, q) in model.queues.iter().enumerate() {
            let classed = q.discipline != Discipline::Fifo;
            let nlines = if classed { nclass } else { 1 };
            queues.push(QueueState {
                name: q.name.clone(),
                servers: q.servers,
                capacity: q.capacity.unwrap_or(u64::MAX),
                block: q.on_full == OnFull::Block,
                preemptive: q.discipline == Discipline::PreemptivePriority,
                classed,
                fail_p: q.failure_probability,
                max_attempts: q.max_attempts,
                backoff: q.backoff,
                sampler: q.service.sampler()?,
                rng: stream_rng(st.seed, replication, (1u64 << 32) + j as u64),
                route: self.topology.routes[j].clone(),
                dead_letter: self.topology.dead_letter[j],
                busy: 0,
                blocked_servers: 0,
                waiting: 0,
                in_node: 0,
                lines: (0..nlines).map(|_| VecDeque::with_capacity(256)).collect(),
                in_service: Vec::with_capacity(if classed { q.servers as usize } else { 0 }),
                senders: VecDeque::new(),
                levels: TimeIntegral::default(),
                c: Counters::default(),
                warm: Counters::default(),
                warm_area: [0.0; 3],
                wait_h: Histogram::new(),
                sojourn_h: Histogram::new(),
                age_h: Histogram::new(),
                age_is_sojourn: self.age_is_sojourn[j],
                tick: (0.0, 0.0, 0),
                plain: q.discipline != Discipline::PreemptivePriority
                    && q.failure_probability == 0.0
                    && q.capacity.is_none()
                    && matches!(self.topology.routes[j].as_slice(), [(_, Dest::Exit)]),
            });
        }
        let mut sources = Vec::with_capacity(model.sources.len());
        for (i, s) in model.sources.iter().enumerate() {
            sources.push(SourceState {
                name: s.name.clone(),
                arrivals: ArrivalGen::new(&s.arrival, self.traces[i].clone())?,
                rng: stream_rng(st.seed, replication, i as u64),
                dest: self.topology.source_dest[i],
                class: self.classes[i],
                c: SourceCounters::default(),
                warm: SourceCounters::default(),
                hist: Histogram::new(),
                tick: (0.0, 0),
                window: s.window.map_or(u64::MAX, u64::from),
                in_flight: 0,
                paused: false,
            });
        }
        let backlog: u64 = model.queues.iter().map(|q| q.initial_backlog).sum();
        let horizon = match (st.horizon, st.completions) {
            (None, None) => Some(DEFAULT_HORIZON),
            (h, _) => h,
        };
        let mut r = Replication {
            cal: Calendar::with_capacity(1024),
            now: 0.0,
            queues,
            sources,
            subscribers: self
                .topology
                .subscribers
                .iter()
                .map(|s| s.iter().map(|q| *q as u32).collect())
                .collect(),
            msgs: Vec::with_capacity(1024 + backlog as usize),
            free_msgs: Vec::with_capacity(1024),
            roots: Vec::with_capacity(1024 + backlog as usize),
            free_roots: Vec::with_capacity(1024),
            totals: Conservation::default(),
            held: 0,
            events: 0,
            replication,
            measuring: false,
            warm_time_ok: st.warmup <= 0.0,
            warm_count_ok: st.warmup_completions.unwrap_or(0) == 0,
            warm_count: st.warmup_completions.unwrap_or(0),
            warm_at: 0.0,
            horizon,
            end_at: f64::INFINITY,
            completions: st.completions,
            finished_roots: 0,
            finished_at_warm: 0,
            stopped: false,
            backlog_left: backlog,
            backlog_drained_at: None,
            resolution: st.time_series,
            series: Vec::new(),
            series_ticks: 0,
            series_last: 0.0,
            fault: None,
            stall_guard: horizon.is_none(),
            last_progress: 0,
        };
        r.init(model)?;
        r.arm(st.warmup)?;
        Ok(r)
    }
}

/// One replication of a model: build it, run it (at once or in steps), read its result.
///
/// `new` allocates everything the run needs; `run_until` processes events without
/// allocating once the message arena, the waiting lines and the calendar have reached
/// their working size (checked by a counting-allocator test).
///
/// # Example
/// ```
/// use kendall::model::{ArrivalProcess, Distribution, Model, Queue, RunSettings, Source};
/// use kendall::sim::Replication;
/// let model = Model::default()
///     .with_source(Source::new("in", ArrivalProcess::Poisson { rate: 5.0 }, "q"))
///     .with_queue(Queue::new("q", 1, Distribution::Exponential { mean: 0.1 }));
/// let settings = RunSettings { horizon: Some(100.0), ..RunSettings::default() };
/// let mut r = Replication::new(&model, &settings, 0).unwrap();
/// r.run_until(50.0).unwrap();
/// r.run_until(f64::INFINITY).unwrap();
/// let result = r.finish();
/// assert_eq!(result.end_time, 100.0);
/// assert!(result.conservation.is_balanced());
/// ```
pub struct Replication {
    cal: Calendar<Ev>,
    now: f64,
    queues: Vec<QueueState>,
    sources: Vec<SourceState>,
    subscribers: Vec<Vec<u32>>,
    msgs: Vec<Msg>,
    free_msgs: Vec<u32>,
    roots: Vec<Root>,
    free_roots: Vec<u32>,
    totals: Conservation,
    held: u64,
    events: u64,
    replication: u32,
    measuring: bool,
    warm_time_ok: bool,
    warm_count_ok: bool,
    warm_count: u64,
    warm_at: f64,
    horizon: Option<f64>,
    end_at: f64,
    completions: Option<u64>,
    finished_roots: u64,
    finished_at_warm: u64,
    stopped: bool,
    backlog_left: u64,
    backlog_drained_at: Option<f64>,
    resolution: Option<f64>,
    series: Vec<SeriesBucket>,
    series_ticks: u64,
    series_last: f64,
    fault: Option<SimError>,
    /// No horizon bounds the run: watch for blocking deadlocks.
    stall_guard: bool,
    /// `events` when a message last finished.
    last_progress: u64,
}

impl Replication {
    /// Validates `model` and `settings` and builds replication `replication` (which
    /// need not be below `settings.replications` here).
    ///
    /// # Errors
    /// [`SimError::Model`], [`SimError::Settings`], trace errors, or
    /// [`SimError::BacklogExceedsCapacity`].
    pub fn new(model: &Model, settings: &RunSettings, replication: u32) -> Result<Self, SimError> {
        Prepared::new(model, settings)?.replication(replication)
    }

    fn init(&mut self, model: &Model) -> Result<(), SimError> {
        for s in 0..self.sources.len() {
            self.schedule_arrival(s);
        }
        for (j, q) in model.queues.iter().enumerate() {
            for _ in 0..q.initial_backlog {
                let root = self.new_root(NONE);
                let m = self.new_msg(root, 0);
                self.totals.created += 1;
                self.admit(j, m);
            }
        }
        self.fault.take().map_or(Ok(()), Err)
    }

    /// Schedules the warm-up and time-series events; called once before running.
    fn arm(&mut self, warmup: f64) -> Result<(), SimError> {
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
            let Some((t, ev)) = self.cal.pop_until(until) else {
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
            };
            self.now = t;
            self.events += 1;
            // Completions first: the most frequent event, tested by one predictable
            // conditional branch rather than through a jump table.
            if let Ev::Done { msg, generation } = ev {
                self.on_done(msg, generation);
            } else {
                self.on_other(t, ev);
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
    fn on_other(&mut self, t: f64, ev: Ev) {
        {
            match ev {
                Ev::Arrival(s) => self.on_arrival(s as usize),
                Ev::Done { msg, generation } => self.on_done(msg, generation),
                Ev::Retry(m) => {
                    let j = self.msgs[m as usize].node as usize;
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
            }
        }
    }

    fn warmup_not_reached(&self) -> SimError {
        SimError::WarmupNotReached {
            needed: self.warm_count,
            finished: self.finished_roots,
            time: self.now,
        }
    }

    /// Called on an arrival after [`STALL_EVENTS`] events without progress: fails the
    /// run if messages are held by full blocking queues, else restarts the count.
    #[cold]
    fn check_stall(&mut self) {
        let blocked = self.held > 0 || self.queues.iter().any(|q| q.blocked_servers > 0);
        if blocked && self.fault.is_none() {
            self.fault = Some(SimError::Stalled {
                time: self.now,
                events: self.events - self.last_progress,
            });
        }
        self.last_progress = self.events;
    }

    /// Schedules an event; scheduling in the past is recorded as the run's fault and
    /// reported by [`Replication::run_until`] right after the current event.
    #[inline(always)]
    fn at(&mut self, time: f64, ev: Ev) {
        if let Err(e) = self.cal.schedule(time, ev)
            && self.fault.is_none()
        {
            self.fault = Some(e);
        }
    }

    fn new_root(&mut self, source: u32) -> u32 {
        let r = Root {
            created: self.now,
            outstanding: 0,
            source,
            lost: false,
        };
        match self.free_roots.pop() {
            Some(i) => {
                self.roots[i as usize] = r;
                i
            }
            None => {
                self.roots.push(r);
                (self.roots.len() - 1) as u32
            }
        }
    }

    #[inline(always)]
    fn new_msg(&mut self, root: u32, class: u32) -> u32 {
        self.roots[root as usize].outstanding += 1;
        self.alloc_msg(root, class)
    }

    /// A message slot for a descendant of `root` (the caller counts it in the root).
    #[inline(always)]
    fn alloc_msg(&mut self, root: u32, class: u32) -> u32 {
        if let Some(i) = self.free_msgs.pop() {
            // A reused slot: every other field is set by `admit` before it is read
            // (the generation carries on, so no stale completion can match it).
            let msg = &mut self.msgs[i as usize];
            msg.root = root;
            msg.class = class;
            return i;
        }
        let m = Msg {
            root,
            node: 0,
            class,
            attempts: 0,
            generation: 0,
            pos: 0,
            held: false,
            dead: false,
            enter: 0.0,
            served: 0.0,
            start: 0.0,
            end: 0.0,
            remaining: -1.0,
        };
        self.msgs.push(m);
        (self.msgs.len() - 1) as u32
    }

    /// A message leaves the system (or is dropped): its root loses a descendant.
    #[inline(always)]
    fn free_msg(&mut self, m: u32) {
        let r = self.msgs[m as usize].root;
        self.free_msgs.push(m);
        let root = &mut self.roots[r as usize];
        root.outstanding -= 1;
        if root.outstanding == 0 {
            self.root_done(r);
        }
    }

    fn drop_msg(&mut self, m: u32) {
        let r = self.msgs[m as usize].root;
        self.roots[r as usize].lost = true;
        self.free_msg(m)
    }

    fn root_done(&mut self, r: u32) {
        let root = self.roots[r as usize];
        self.free_roots.push(r);
        if root.source != NONE {
            let s = &mut self.sources[root.source as usize];
            s.in_flight -= 1;
            if s.paused {
                // A window slot opened: a fresh inter-arrival time from now.
                s.paused = false;
                self.schedule_arrival(root.source as usize);
            }
            let s = &mut self.sources[root.source as usize];
            s.c.finished += 1;
            if root.lost {
                s.c.lost += 1;
            } else {
                let lat = self.now - root.created;
                s.c.e2e_sum += lat;
                s.c.e2e_count += 1;
                s.hist.record(lat);
            }
        } else {
            self.backlog_left -= 1;
            if self.backlog_left == 0 {
                self.backlog_drained_at = Some(self.now);
            }
        }
        self.finished_roots += 1;
        self.last_progress = self.events;
        if self.measuring {
            if let Some(n) = self.completions
                && self.finished_roots - self.finished_at_warm >= n
            {
                self.stopped = true;
            }
        } else if !self.warm_count_ok && self.finished_roots >= self.warm_count {
            self.warm_count_ok = true;
            self.try_warm_up();
        }
    }

    fn try_warm_up(&mut self) {
        if self.measuring || !self.warm_time_ok || !self.warm_count_ok {
            return;
        }
        let now = self.now;
        self.measuring = true;
        self.warm_at = now;
        self.finished_at_warm = self.finished_roots;
        for q in &mut self.queues {
            q.touch(now);
            q.warm = q.c;
            q.warm_area = q.levels.area();
            q.wait_h.clear();
            q.sojourn_h.clear();
            q.age_h.clear();
        }
        for s in &mut self.sources {
            s.warm = s.c;
            s.hist.clear();
        }
        if let Some(h) = self.horizon {
            self.end_at = now + h;
            self.at(now + h, Ev::End);
        }
    }

    #[inline(always)]
    fn schedule_arrival(&mut self, s: usize) {
        let now = self.now;
        let src = &mut self.sources[s];
        if let ArrivalGen::Poisson { mean_gap } = src.arrivals {
            // The common case, inlined.
            let e: f64 = Exp1.sample(&mut src.rng);
            return self.at(now + mean_gap * e, Ev::Arrival(s as u32));
        }
        if let Some(t) = src.arrivals.next(now, &mut src.rng) {
            self.at(t.max(now), Ev::Arrival(s as u32));
        }
    }

    /// Schedules source `s`'s next arrival, or pauses it while its window is full.
    #[inline(always)]
    fn resume(&mut self, s: usize) {
        let src = &mut self.sources[s];
        if src.in_flight < src.window {
            self.schedule_arrival(s);
        } else {
            src.paused = true;
        }
    }

    fn on_arrival(&mut self, s: usize) {
        if self.stall_guard && self.events - self.last_progress > STALL_EVENTS {
            self.check_stall();
        }
        let root = self.new_root(s as u32);
        let class = self.sources[s].class;
        let m = self.new_msg(root, class);
        self.totals.created += 1;
        let src = &mut self.sources[s];
        src.c.created += 1;
        src.in_flight += 1;
        let dest = self.sources[s].dest;
        if let NodeId::Queue(j) = dest
            && self.queues[j].full_blocking()
        {
            self.held += 1;
            let q = &mut self.queues[j];
            q.c.arrived += 1;
            q.c.found_full += 1;
            q.senders.push_back((m, Sender::Source(s as u32)));
            return;
        }
        self.resume(s);
        self.send(dest, m)
    }

    fn send(&mut self, dest: NodeId, m: u32) {
        match dest {
            NodeId::Queue(j) => self.offer(j, m),
            NodeId::Topic(t) => {
                let n = self.subscribers[t].len();
                let (root, class) = {
                    let msg = &self.msgs[m as usize];
                    (msg.root, msg.class)
                };
                // The copies' bookkeeping at once: the root gains n − 1 descendants.
                let copies = n.saturating_sub(1);
                self.roots[root as usize].outstanding += copies as u32;
                self.totals.created += copies as u64;
                for k in 0..copies {
                    let j = self.subscribers[t][k] as usize;
                    let copy = self.alloc_msg(root, class);
                    self.offer(j, copy);
                }
                // The original goes to the last subscriber.
                if let Some(&j) = self.subscribers[t].last() {
                    self.offer(j as usize, m);
                }
            }
        }
    }

    #[inline(always)]
    fn offer(&mut self, j: usize, m: u32) {
        let q = &mut self.queues[j];
        q.c.arrived += 1;
        if q.in_node >= q.capacity {
            q.c.found_full += 1;
            if q.block {
                q.senders.push_back((m, Sender::Detached));
                self.held += 1;
                return;
            }
            q.c.rejected += 1;
            self.totals.rejected += 1;
            return self.drop_msg(m);
        }
        self.admit(j, m)
    }

    #[inline(always)]
    fn admit(&mut self, j: usize, m: u32) {
        let Self {
            queues,
            msgs,
            cal,
            fault,
            now,
            ..
        } = self;
        let now = *now;
        let q = &mut queues[j];
        q.touch(now);
        q.in_node += 1;
        q.c.admitted += 1;
        let msg = &mut msgs[m as usize];
        msg.node = j as u32;
        msg.enter = now;
        msg.served = 0.0;
        msg.attempts = 0;
        msg.remaining = -1.0;
        msg.held = false;
        msg.dead = false;
        if q.busy < q.servers {
            // A free consumer: the common case of `dispatch`.
            return start_service(q, m, msg, now, cal, fault);
        }
        self.dispatch(j, m)
    }

    /// A message in node `j` asks for a consumer.
    #[inline(always)]
    fn dispatch(&mut self, j: usize, m: u32) {
        let q = &mut self.queues[j];
        if q.busy < q.servers {
            return self.start(j, m);
        }
        let class = self.msgs[m as usize].class;
        if q.preemptive
            && let Some(v) = self.victim(j, class)
        {
            self.preempt(j, v);
            return self.start(j, m);
        }
        let q = &mut self.queues[j];
        let line = if q.classed { class as usize } else { 0 };
        q.lines[line].push_back(m);
        q.waiting += 1;
    }

    /// The service to interrupt for an arrival of class `class`: the lowest priority in
    /// service, below `class`; the most recently started among equals.
    fn victim(&self, j: usize, class: u32) -> Option<u32> {
        let mut best: Option<(u32, f64, u32)> = None;
        for &v in &self.queues[j].in_service {
            let msg = &self.msgs[v as usize];
            if msg.class <= class {
                continue;
            }
            let better = match best {
                None => true,
                Some((c, s, _)) => msg.class > c || (msg.class == c && msg.start >= s),
            };
            if better {
                best = Some((msg.class, msg.start, v));
            }
        }
        best.map(|b| b.2)
    }

    fn remove_in_service(&mut self, j: usize, m: u32) {
        let q = &mut self.queues[j];
        let pos = self.msgs[m as usize].pos as usize;
        q.in_service.swap_remove(pos);
        if let Some(&moved) = q.in_service.get(pos) {
            self.msgs[moved as usize].pos = pos as u32;
        }
    }

    fn preempt(&mut self, j: usize, v: u32) {
        self.remove_in_service(j, v);
        let now = self.now;
        let msg = &mut self.msgs[v as usize];
        msg.generation = msg.generation.wrapping_add(1);
        msg.served += now - msg.start;
        msg.remaining = (msg.end - now).max(0.0);
        let q = &mut self.queues[j];
        q.busy -= 1;
        q.lines[msg.class as usize].push_front(v);
        q.waiting += 1;
    }

    #[inline(always)]
    fn start(&mut self, j: usize, m: u32) {
        let Self {
            queues,
            msgs,
            cal,
            fault,
            now,
            ..
        } = self;
        start_service(&mut queues[j], m, &mut msgs[m as usize], *now, cal, fault);
    }

    fn on_done(&mut self, m: u32, generation: u32) {
        let now = self.now;
        let msg = &mut self.msgs[m as usize];
        if msg.generation != generation {
            return; // preempted: this completion is void
        }
        if self.queues[msg.node as usize].plain {
            return self.done_plain(m);
        }
        // No level changes before `depart` (whose `leave_stats` brings the queue's
        // integrals up to now) or the redelivery branch (which does it itself).
        msg.served += now - msg.start;
        let j = msg.node as usize;
        if self.queues[j].preemptive {
            self.remove_in_service(j, m);
        }
        let q = &mut self.queues[j];
        if q.fail_p > 0.0 && q.rng.random::<f64>() < q.fail_p {
            let msg = &mut self.msgs[m as usize];
            msg.attempts += 1;
            if msg.attempts >= q.max_attempts {
                return self.depart(j, m, Outcome::DeadLetter);
            }
            q.touch(now);
            q.c.redeliveries += 1;
            q.busy -= 1;
            if q.backoff > 0.0 {
                let t = now + q.backoff;
                self.at(t, Ev::Retry(m));
            } else {
                let line = if q.classed { msg.class as usize } else { 0 };
                q.lines[line].push_back(m);
                q.waiting += 1;
            }
            return self.fill(j);
        }
        self.depart(j, m, Outcome::Completed)
    }

    /// The completion of message `m` in a plain queue (see `QueueState::plain`): the
    /// steps of `on_done`, `depart`, `leave_stats` and `after_leave` that apply (no
    /// failure draw, no route draw, no blocked consumer or sender), in the same order
    /// and with the same arithmetic, so the results are identical.
    #[inline(always)]
    fn done_plain(&mut self, m: u32) {
        let Self {
            queues,
            msgs,
            roots,
            cal,
            fault,
            now,
            totals,
            ..
        } = self;
        let now = *now;
        let msg = &mut msgs[m as usize];
        msg.served += now - msg.start;
        let q = &mut queues[msg.node as usize];
        q.touch(now);
        q.in_node -= 1;
        q.busy -= 1;
        q.record_completion(msg, roots, now);
        // One consumer became free: in a plain queue a message waits only while every
        // consumer is busy, so at most one message starts (`fill`'s loop, once).
        if q.waiting > 0 {
            let next = if q.classed {
                q.lines.iter_mut().find_map(VecDeque::pop_front)
            } else {
                q.lines[0].pop_front()
            };
            if let Some(n) = next {
                q.waiting -= 1;
                start_service(q, n, &mut msgs[n as usize], now, cal, fault);
            }
        }
        debug_assert!(q.waiting == 0 || q.busy == q.servers);
        totals.completed += 1;
        self.free_msg(m);
    }

    #[inline(always)]
    fn route(&mut self, j: usize) -> Dest {
        let q = &mut self.queues[j];
        if q.route.len() == 1 {
            return q.route[0].1;
        }
        let u: f64 = q.rng.random();
        q.route
            .iter()
            .find(|(c, _)| u < *c)
            .map_or(q.route[q.route.len() - 1].1, |(_, d)| *d)
    }

    #[inline(always)]
    fn depart(&mut self, j: usize, m: u32, outcome: Outcome) {
        let dest = match outcome {
            Outcome::Completed => self.route(j),
            Outcome::DeadLetter => self.queues[j].dead_letter,
        };
        if let Dest::Node(NodeId::Queue(k)) = dest
            && k != j
            && self.queues[k].full_blocking()
        {
            let now = self.now;
            // The level of "not being served" changes here: close the interval first.
            self.queues[j].touch(now);
            self.queues[j].blocked_servers += 1;
            let msg = &mut self.msgs[m as usize];
            msg.held = true;
            msg.dead = outcome == Outcome::DeadLetter;
            let qk = &mut self.queues[k];
            qk.c.arrived += 1;
            qk.c.found_full += 1;
            qk.senders.push_back((m, Sender::Server(j as u32)));
            return;
        }
        self.leave_stats(j, m, outcome);
        self.after_leave(j);
        match dest {
            Dest::Exit => {
                if outcome == Outcome::DeadLetter {
                    self.totals.dead_lettered += 1;
                    self.drop_msg(m)
                } else {
                    self.totals.completed += 1;
                    self.free_msg(m)
                }
            }
            Dest::Node(n) => self.send(n, m),
        }
    }

    /// Statistics and bookkeeping of message `m` leaving node `j` now.
    #[inline(always)]
    fn leave_stats(&mut self, j: usize, m: u32, outcome: Outcome) {
        let Self {
            queues,
            msgs,
            roots,
            now,
            ..
        } = self;
        let now = *now;
        let q = &mut queues[j];
        q.touch(now);
        let msg = &mut msgs[m as usize];
        q.in_node -= 1;
        q.busy -= 1;
        if msg.held {
            q.blocked_servers -= 1;
            msg.held = false;
        }
        match outcome {
            Outcome::Completed => q.record_completion(msg, roots, now),
            Outcome::DeadLetter => q.c.dead_lettered += 1,
        }
    }

    /// A consumer of node `j` and a place in it became free: serve the next message and
    /// let blocked senders in.
    #[inline(always)]
    fn after_leave(&mut self, j: usize) {
        self.fill(j);
        if !self.queues[j].senders.is_empty() {
            self.unblock(j);
        }
    }

    #[inline(always)]
    fn fill(&mut self, j: usize) {
        let Self {
            queues,
            msgs,
            cal,
            fault,
            now,
            ..
        } = self;
        let q = &mut queues[j];
        while q.busy < q.servers && q.waiting > 0 {
            let next = if q.classed {
                q.lines.iter_mut().find_map(VecDeque::pop_front)
            } else {
                q.lines[0].pop_front()
            };
            let Some(m) = next else { return };
            q.waiting -= 1;
            start_service(q, m, &mut msgs[m as usize], *now, cal, fault);
        }
    }

    fn unblock(&mut self, j: usize) {
        loop {
            let q = &mut self.queues[j];
            if q.in_node >= q.capacity {
                return;
            }
            let Some((m, sender)) = q.senders.pop_front() else {
                return;
            };
            match sender {
                Sender::Detached => {
                    self.held -= 1;
                    self.admit(j, m);
                }
                Sender::Source(s) => {
                    self.held -= 1;
                    self.admit(j, m);
                    self.resume(s as usize);
                }
                Sender::Server(i) => {
                    let outcome = if self.msgs[m as usize].dead {
                        Outcome::DeadLetter
                    } else {
                        Outcome::Completed
                    };
                    self.leave_stats(i as usize, m, outcome);
                    self.admit(j, m);
                    self.after_leave(i as usize);
                }
            }
        }
    }

    fn on_sample(&mut self) {
        self.close_bucket();
        if !self.cal.is_empty()
            && let Some(r) = self.resolution
        {
            self.at((self.series_ticks + 1) as f64 * r, Ev::Sample);
        }
    }

    fn close_bucket(&mut self) {
        let now = self.now;
        let length = now - self.series_last;
        if length <= 0.0 {
            return;
        }
        let mut bucket = SeriesBucket {
            start: self.series_last,
            length,
            queue_length: Vec::with_capacity(self.queues.len()),
            sojourn: Vec::with_capacity(self.queues.len()),
            latency: Vec::with_capacity(self.sources.len()),
        };
        for q in &mut self.queues {
            q.touch(now);
            let area = q.levels.area()[0];
            bucket.queue_length.push((area - q.tick.0) / length);
            let n = q.c.completed - q.tick.2;
            bucket
                .sojourn
                .push((n > 0).then(|| (q.c.sojourn_sum - q.tick.1) / n as f64));
            q.tick = (area, q.c.sojourn_sum, q.c.completed);
        }
        for s in &mut self.sources {
            let n = s.c.e2e_count - s.tick.1;
            bucket
                .latency
                .push((n > 0).then(|| (s.c.e2e_sum - s.tick.0) / n as f64));
            s.tick = (s.c.e2e_sum, s.c.e2e_count);
        }
        self.series.push(bucket);
        self.series_ticks += 1;
        self.series_last = now;
    }

    /// Ends the run and computes its statistics.
    pub fn finish(mut self) -> ReplicationResult {
        let now = self.now;
        if self.resolution.is_some() {
            self.close_bucket();
        }
        let measured = if self.measuring {
            now - self.warm_at
        } else {
            0.0
        };
        let per_time = |x: f64| if measured > 0.0 { x / measured } else { 0.0 };
        let summary = |h: &Histogram, sum: f64| {
            let n = h.count();
            (n > 0).then(|| LatencySummary {
                count: n,
                mean: sum / n as f64,
                p50: h.quantile(0.5).unwrap_or(0.0),
                p95: h.quantile(0.95).unwrap_or(0.0),
                p99: h.quantile(0.99).unwrap_or(0.0),
                p999: h.quantile(0.999).unwrap_or(0.0),
            })
        };
        let mut in_flight = self.held;
        let queues = self
            .queues
            .iter_mut()
            .map(|q| {
                q.touch(now);
                in_flight += q.in_node;
                let a = q.levels.area();
                let (c, w) = (q.c, q.warm);
                let rejected = c.rejected - w.rejected;
                let admitted = c.admitted - w.admitted;
                let offers = c.arrived - w.arrived;
                let found_full = c.found_full - w.found_full;
                let busy = per_time(a[2] - q.warm_area[2]);
                QueueRun {
                    name: q.name.clone(),
                    l: per_time(a[0] - q.warm_area[0]),
                    lq: per_time(a[1] - q.warm_area[1]),
                    busy_servers: busy,
                    utilisation: busy / f64::from(q.servers),
                    throughput: per_time((c.completed - w.completed) as f64),
                    admitted,
                    arrived: offers,
                    rejected,
                    completed: c.completed - w.completed,
                    redeliveries: c.redeliveries - w.redeliveries,
                    dead_letters: c.dead_lettered - w.dead_lettered,
                    found_full,
                    rejection_probability: (offers > 0).then(|| rejected as f64 / offers as f64),
                    full_probability: (offers > 0).then(|| found_full as f64 / offers as f64),
                    wait_probability: {
                        let n = q.wait_h.count();
                        (n > 0).then(|| (n - q.wait_h.count_zero()) as f64 / n as f64)
                    },
                    wait: summary(&q.wait_h, c.wait_sum - w.wait_sum),
                    sojourn: summary(&q.sojourn_h, c.sojourn_sum - w.sojourn_sum),
                    end_to_end: if q.age_is_sojourn {
                        summary(&q.sojourn_h, c.sojourn_sum - w.sojourn_sum)
                    } else {
                        summary(&q.age_h, c.age_sum - w.age_sum)
                    },
                    counts: NodeCounts {
                        offered: c.admitted + c.rejected,
                        completed: c.completed,
                        dead_lettered: c.dead_lettered,
                        rejected: c.rejected,
                        in_node: q.in_node,
                    },
                }
            })
            .collect();
        let sources = self
            .sources
            .iter()
            .map(|s| SourceRun {
                name: s.name.clone(),
                created: s.c.created - s.warm.created,
                finished: s.c.finished - s.warm.finished,
                lost: s.c.lost - s.warm.lost,
                latency: summary(&s.hist, s.c.e2e_sum - s.warm.e2e_sum),
            })
            .collect();
        let mut conservation = self.totals;
        conservation.in_flight = in_flight;
        ReplicationResult {
            replication: self.replication,
            end_time: now,
            measured_time: measured,
            events: self.events,
            queues,
            sources,
            conservation,
            backlog_drained_at: self.backlog_drained_at,
            series: std::mem::take(&mut self.series),
        }
    }
}
