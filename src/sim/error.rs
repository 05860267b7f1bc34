//! Errors of the simulator.

use crate::model::{ModelError, Problems};
use std::path::PathBuf;

/// Why a simulation could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// The model failed validation; each problem names its field and fix.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// The run settings are invalid.
    #[error("invalid simulation settings:\n{0}")]
    Settings(Problems),
    /// A trace file could not be read.
    #[error("cannot read arrival trace {path}: {source}")]
    TraceIo {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A line of a trace file is malformed, negative or out of order.
    #[error("arrival trace {path}, line {line}: {message}")]
    Trace {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// A simulation run elsewhere (a caller's simulator, e.g. shards on a cluster)
    /// failed; the message says how.
    #[error("the simulation run elsewhere failed: {0}")]
    Elsewhere(String),
    /// The caller asked the run to stop (the `stop` flag of
    /// [`simulate_with_control`](super::simulate_with_control)); nothing is reported.
    #[error("the simulation was stopped before it finished")]
    Cancelled,
    /// An event was scheduled before the current simulated time (an engine bug or a
    /// negative sampled time).
    #[error("event scheduled in the past: at {time} s while the clock reads {now} s")]
    PastEvent {
        /// The simulated time now.
        now: f64,
        /// The requested time.
        time: f64,
    },
    /// A start-up backlog larger than the queue's capacity.
    #[error(
        "queue {queue:?}.initial_backlog ({backlog}) exceeds its capacity ({capacity}): raise capacity or lower the backlog"
    )]
    BacklogExceedsCapacity {
        /// The queue.
        queue: String,
        /// The backlog asked for.
        backlog: u64,
        /// Its capacity K.
        capacity: u64,
    },
    /// The count warm-up (`warmup_completions`) was not reached: by the time limit
    /// `warmup + WARMUP_HORIZONS × horizon` (see
    /// [`WARMUP_HORIZONS`](super::WARMUP_HORIZONS)), or before the run ran out
    /// of events.
    #[error(
        "simulation.warmup_completions = {needed} was not reached: only {finished} messages finished by t = {time} s; lower simulation.warmup_completions, warm up by time (simulation.warmup) instead, or check that messages can finish"
    )]
    WarmupNotReached {
        /// Messages that had to finish before statistics start.
        needed: u64,
        /// Messages finished when the run gave up.
        finished: u64,
        /// The simulated time when the run gave up, seconds.
        time: f64,
    },
    /// A run without a horizon processed [`STALL_EVENTS`](super::STALL_EVENTS)
    /// events in a row without any message finishing, while messages were held by full
    /// blocking queues: a blocking deadlock that would run forever.
    #[error(
        "the run stalled at t = {time} s: {events} events without any message finishing while messages wait for full blocking queues (a blocking deadlock); set simulation.horizon to bound the run, or give the blocking queues more capacity or on_full = \"reject\""
    )]
    Stalled {
        /// The simulated time when the run gave up, seconds.
        time: f64,
        /// Events since the last message finished.
        events: u64,
    },
    /// The messages in flight passed the cap derived from `simulation.memory_limit`
    /// (see [`in_flight_cap`](super::in_flight_cap)): a backlog that keeps growing,
    /// because a queue gets more work than its consumers can do. Stopped instead of
    /// exhausting memory.
    #[error(
        "unstable: queue {queue:?} holds {in_node} messages and {in_flight} are in flight at t = {time} s, past the cap of {cap} ({memory_limit} bytes of simulation.memory_limit / {bytes_per_message} bytes per message){}; add consumers, lower the load, give the queue a capacity with on_full = \"reject\", or raise simulation.memory_limit",
        offered_load.map_or(String::new(), |a| format!(", offered load {a:.3} per consumer"))
    )]
    Unstable {
        /// The queue holding the most messages.
        queue: String,
        /// Its offered load per consumer, a = λ × deliveries × E\[S\] / c, from the
        /// arrivals it saw so far; `None` before any arrival.
        offered_load: Option<f64>,
        /// Messages in that queue.
        in_node: u64,
        /// Messages in flight in the whole model (arena slots in use or reserved).
        in_flight: u64,
        /// The cap.
        cap: u64,
        /// `simulation.memory_limit`, bytes, rounded down to a whole number of
        /// messages.
        memory_limit: u64,
        /// The estimate of memory per message in flight, bytes.
        bytes_per_message: u64,
        /// Simulated time when the run stopped, seconds.
        time: f64,
    },
    /// Settings or a model that would need more memory than `simulation.memory_limit`
    /// before the run starts; refused before allocating.
    #[error(
        "{field} would need about {needed} bytes, more than simulation.memory_limit = {limit} bytes: {fix}"
    )]
    MemoryLimit {
        /// The field responsible (e.g. `queue "q".initial_backlog`,
        /// `simulation.time_series`).
        field: String,
        /// The estimate, bytes (saturating at `u64::MAX`).
        needed: u64,
        /// `simulation.memory_limit`, bytes.
        limit: u64,
        /// How to fix it.
        fix: String,
    },
    /// An MMPP source would change phase more than
    /// [`MAX_PHASE_SWITCHES`](super::MAX_PHASE_SWITCHES) times in one replication: it
    /// switches so much faster than it emits messages that the run would be spent on
    /// phase changes (and its bursts average out); refused before the run.
    #[error(
        "source {source_name:?}.arrival: the MMPP would change phase about {switches:.3e} times in one replication of {span:.3e} s (more than {limit:e}): its generator switches far faster than it emits messages, so its bursts average out; use type = \"poisson\" with rate = {mean_rate:e} (its long-run rate), lower the generator's rates, or shorten the run"
    )]
    PhaseSwitching {
        /// The source's name.
        source_name: String,
        /// Expected phase changes in one replication.
        switches: f64,
        /// The replication's expected span, seconds (warm-up included).
        span: f64,
        /// The limit.
        limit: f64,
        /// The long-run arrival rate, 1/s.
        mean_rate: f64,
    },
    /// The open-loop sources would create more than
    /// [`MAX_ARRIVALS`](super::MAX_ARRIVALS) messages in one replication; refused
    /// before the run (it would take hours).
    #[error(
        "the sources would create about {arrivals:.3e} messages in one replication of {span:.3e} s (more than {limit:e}; {busiest:?} alone sends {busiest_rate:e}/s): such a run takes hours; shorten simulation.horizon (or warmup), stop by simulation.completions, or scale the rates down and the capacities with them"
    )]
    TooManyArrivals {
        /// Expected arrivals in one replication.
        arrivals: f64,
        /// The replication's span, seconds (warm-up included).
        span: f64,
        /// The limit.
        limit: f64,
        /// The source with the highest rate.
        busiest: String,
        /// Its long-run rate, 1/s.
        busiest_rate: f64,
    },
    /// The replication index is not below `replications`.
    #[error("replication {replication} does not exist: settings ask for {replications}")]
    NoSuchReplication {
        /// The index asked for.
        replication: u32,
        /// The number of replications.
        replications: u32,
    },
    /// [`Calendar::schedule_slot`](super::Calendar::schedule_slot) named a slot the
    /// calendar does not have.
    #[error(
        "calendar slot {slot} does not exist: the calendar has {slots} slots (build it with Calendar::with_slots and one event per slot)"
    )]
    NoSlot {
        /// The slot asked for.
        slot: usize,
        /// The number of slots.
        slots: usize,
    },
}
