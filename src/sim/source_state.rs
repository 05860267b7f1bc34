//! The state of one source during a replication: its arrival process and random
//! stream, its window of messages in flight, and its end-to-end latency counters.

use super::arrivals::ArrivalGen;
use super::histogram::Histogram;
use crate::model::NodeId;
use rand_xoshiro::Xoshiro256PlusPlus;

/// Counts and end-to-end latency sums of a source (a snapshot at the end of warm-up is
/// subtracted from the final one).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct SourceCounters {
    /// Messages created.
    pub(super) created: u64,
    /// Messages finished with all their descendants (done or lost).
    pub(super) finished: u64,
    /// Finished messages of which some descendant was rejected or dropped.
    pub(super) lost: u64,
    /// Σ end-to-end latency of the finished messages not lost.
    pub(super) e2e_sum: f64,
    /// Finished messages not lost.
    pub(super) e2e_count: u64,
}

/// One source's state in a replication.
pub(super) struct SourceState {
    pub(super) name: String,
    pub(super) arrivals: ArrivalGen,
    pub(super) rng: Xoshiro256PlusPlus,
    /// Where its messages go.
    pub(super) dest: NodeId,
    /// Priority class of its messages (0 is the highest).
    pub(super) class: u32,
    pub(super) c: SourceCounters,
    /// `c` at the end of warm-up.
    pub(super) warm: SourceCounters,
    /// End-to-end latencies.
    pub(super) hist: Histogram,
    /// Time series only: `hist` as it was at the start of the current bucket (the
    /// bucket's p99 is that of the difference).
    pub(super) window_h: Option<Box<Histogram>>,
    /// Time series: latency sum and count at the last tick.
    pub(super) tick: (f64, u64),
    /// Most messages in flight (`u64::MAX` without a window).
    pub(super) window: u64,
    /// Messages created and not yet finished (done or lost, with all descendants).
    pub(super) in_flight: u64,
    /// The window is full: no arrival is pending until one of its messages finishes.
    pub(super) paused: bool,
    /// A retrying source: its arrivals are requests (its retry state lives in the
    /// replication's `RetryBook`, so this struct keeps its size).
    pub(super) retrying: bool,
}

impl SourceState {
    /// The initial state of a source.
    pub(super) fn new(
        name: &str,
        arrivals: ArrivalGen,
        rng: Xoshiro256PlusPlus,
        dest: NodeId,
        class: u32,
        window: Option<u32>,
        retrying: bool,
    ) -> Self {
        // A retrying source's Poisson arrivals are drawn as a renewal process of
        // exponential gaps (the same law), so that they skip the inlined Poisson path
        // of `schedule_arrival` and become requests.
        let arrivals = match (retrying, arrivals) {
            (true, ArrivalGen::Poisson { mean_gap }) => {
                ArrivalGen::Renewal(crate::model::Sampler::Exponential { mean: mean_gap })
            }
            (_, a) => a,
        };
        Self {
            name: name.to_owned(),
            arrivals,
            rng,
            dest,
            class,
            c: SourceCounters::default(),
            warm: SourceCounters::default(),
            hist: Histogram::new(),
            window_h: None,
            tick: (0.0, 0),
            window: window.map_or(u64::MAX, u64::from),
            in_flight: 0,
            paused: retrying,
            retrying,
        }
    }
}
