//! Client retries in a replication: requests, their attempts, the attempt timers and
//! the backoff before each retry (see [`Retry`](crate::model::Retry) for the semantics).
//!
//! * A retrying source's arrivals are **requests** (`Ev::Request`, in the heap: the
//!   source's calendar slot stays unused). Each attempt is a new root message. A
//!   retrying source is marked `paused` for good (it has no window), so the end of its
//!   attempts takes `root_done`'s uncommon branch and a plain source pays nothing.
//! * Each attempt arms a timer (`Ev::AttemptTimeout`) carrying the request's
//!   generation. Timers are never removed from the calendar: the request's generation
//!   moves on when it succeeds, gives up or starts a backoff, which voids them (as a
//!   preempted service voids its `Done`).
//! * The backoff jitter is drawn from a stream of the source's own
//!   ([`retry_stream`](super::seeding::retry_stream)), so a model without retries
//!   draws exactly what it drew before.
//! * A retrying source has no window (validation) and never blocks: an attempt that
//!   finds a full blocking queue is held by the broker (the client's send is
//!   asynchronous) while its timer runs.
//!
//! Memory: one request slot per request in progress (at most a request's lifetime ×
//! its rate) and one `u32` per root slot; both live in `Vec`s with free lists.

use super::arena::{NONE, Root};
use super::histogram::Histogram;
use super::replication::{Ev, Replication};
use crate::model::{Jitter, Retry};
use rand::RngExt;
use rand_xoshiro::Xoshiro256PlusPlus;

/// Request counters of a retrying source (a snapshot at the end of warm-up is
/// subtracted from the final one).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct RetryCounters {
    /// Requests started.
    pub(super) requests: u64,
    /// Attempts sent (first sends and retries).
    pub(super) attempts: u64,
    /// Requests whose current attempt finished in time.
    pub(super) succeeded: u64,
    /// Requests abandoned after `max_retries` retries timed out.
    pub(super) gave_up: u64,
    /// Attempts that finished after being abandoned (work done for nothing).
    pub(super) wasted: u64,
    /// Attempts that timed out.
    pub(super) timeouts: u64,
    /// Σ request latency (first send → success) of the successful requests.
    pub(super) latency_sum: f64,
}

/// The retry state of one source.
pub(super) struct SourceRetry {
    pub(super) cfg: Retry,
    pub(super) rng: Xoshiro256PlusPlus,
    pub(super) c: RetryCounters,
    pub(super) warm: RetryCounters,
    /// Request latency of the successful requests.
    pub(super) hist: Histogram,
}

impl SourceRetry {
    pub(super) fn new(cfg: Retry, rng: Xoshiro256PlusPlus) -> Self {
        Self {
            cfg,
            rng,
            c: RetryCounters::default(),
            warm: RetryCounters::default(),
            hist: Histogram::new(),
        }
    }

    /// The jittered backoff before retry `k` (1-based).
    fn backoff(&mut self, k: u32) -> f64 {
        let b = self.cfg.backoff_before(k);
        if b <= 0.0 {
            return 0.0;
        }
        match self.cfg.jitter {
            Jitter::None => b,
            Jitter::Full => b * self.rng.random::<f64>(),
            Jitter::Equal => 0.5 * b + 0.5 * b * self.rng.random::<f64>(),
        }
    }
}

/// A request in progress.
#[derive(Debug, Clone, Copy)]
pub(super) struct Request {
    /// Time of its first send.
    first: f64,
    /// Root of its current attempt; `NONE` in a backoff or when free.
    current: u32,
    /// Retries sent so far.
    retries: u32,
    /// Moves on at every change of state: older timers are void.
    generation: u32,
    /// Its source.
    source: u32,
    /// Next free slot (when free).
    next_free: u32,
}

/// Every request in progress, and the request of every attempt's root.
pub(super) struct RetryBook {
    /// Per source: its retry state (`None` for a plain source).
    pub(super) sources: Vec<Option<SourceRetry>>,
    requests: Vec<Request>,
    free: u32,
    /// `root_request[r]`: the request whose attempt root slot `r` holds (stale for
    /// slots of other roots; read only for attempt roots).
    root_request: Vec<u32>,
}

impl RetryBook {
    pub(super) fn new(sources: Vec<Option<SourceRetry>>) -> Self {
        Self {
            sources,
            requests: Vec::with_capacity(256),
            free: NONE,
            root_request: Vec::with_capacity(1024),
        }
    }

    fn alloc(&mut self, now: f64, source: u32) -> u32 {
        let i = self.free;
        if let Some(r) = self.requests.get_mut(i as usize) {
            self.free = r.next_free;
            r.first = now;
            r.current = NONE;
            r.retries = 0;
            r.source = source;
            return i;
        }
        self.requests.push(Request {
            first: now,
            current: NONE,
            retries: 0,
            generation: 0,
            source,
            next_free: NONE,
        });
        (self.requests.len() - 1) as u32
    }

    fn release(&mut self, i: u32) {
        let r = &mut self.requests[i as usize];
        r.current = NONE;
        r.generation = r.generation.wrapping_add(1);
        r.next_free = self.free;
        self.free = i;
    }
}

impl Replication {
    /// A new request of retrying source `s`: its first attempt, and the next request.
    pub(super) fn on_request(&mut self, s: usize) {
        if self.events >= self.stall_check_at {
            self.check_stall();
        }
        let now = self.now;
        let Some(book) = self.retry.as_deref_mut() else {
            return;
        };
        let req = book.alloc(now, s as u32);
        if let Some(r) = book.sources[s].as_mut() {
            r.c.requests += 1;
        }
        self.schedule_arrival(s);
        self.send_attempt(req);
    }

    /// Sends a new attempt of request `req` and arms its timer.
    fn send_attempt(&mut self, req: u32) {
        if self.arena.msgs.len() as u64 >= self.in_flight_cap {
            self.over_cap();
        }
        let now = self.now;
        let Some(book) = self.retry.as_deref_mut() else {
            return;
        };
        let request = book.requests[req as usize];
        let s = request.source as usize;
        let src = &mut self.sources[s];
        src.c.created += 1;
        src.in_flight += 1;
        let (class, dest) = (src.class, src.dest);
        let Some(r) = book.sources[s].as_mut() else {
            return;
        };
        r.c.attempts += 1;
        let timeout = r.cfg.timeout;
        let root = self.arena.new_root(now, request.source);
        let m = self.arena.new_msg(root, class);
        self.totals.created += 1;
        if book.root_request.len() <= root as usize {
            book.root_request.resize(root as usize + 1, NONE);
        }
        book.root_request[root as usize] = req;
        book.requests[req as usize].current = root;
        self.at(
            now + timeout,
            Ev::AttemptTimeout {
                request: req,
                generation: request.generation,
            },
        );
        // Never blocks the client: a full blocking queue holds the attempt (detached).
        self.send(dest, m)
    }

    /// The timer of request `req`'s attempt: void if the request moved on; else the
    /// attempt is abandoned, and the request retries after a backoff or gives up.
    pub(super) fn on_attempt_timeout(&mut self, req: u32, generation: u32) {
        let now = self.now;
        let Some(book) = self.retry.as_deref_mut() else {
            return;
        };
        let request = &mut book.requests[req as usize];
        if request.generation != generation || request.current == NONE {
            return;
        }
        let s = request.source as usize;
        let Some(r) = book.sources[s].as_mut() else {
            return;
        };
        r.c.timeouts += 1;
        if request.retries >= r.cfg.max_retries {
            r.c.gave_up += 1;
            book.release(req);
            return;
        }
        request.current = NONE;
        request.generation = request.generation.wrapping_add(1);
        let generation = request.generation;
        let wait = r.backoff(request.retries + 1);
        self.at(
            now + wait,
            Ev::Resend {
                request: req,
                generation,
            },
        );
    }

    /// The end of request `req`'s backoff: its next attempt.
    pub(super) fn on_resend(&mut self, req: u32, generation: u32) {
        let Some(book) = self.retry.as_deref_mut() else {
            return;
        };
        let request = &mut book.requests[req as usize];
        if request.generation != generation {
            return;
        }
        request.retries += 1;
        self.send_attempt(req);
    }

    /// The last descendant of attempt root `r` is done (the source's attempt figures
    /// are counted by `root_done` as for any source): the request's success (its current attempt, in time, not lost) or a
    /// wasted completion (an abandoned attempt).
    #[cold]
    #[inline(never)]
    pub(super) fn attempt_done(&mut self, r: u32, root: &Root) {
        let now = self.now;
        let s = root.source as usize;
        let Some(book) = self.retry.as_deref_mut() else {
            return;
        };
        let Some(rs) = book.sources[s].as_mut() else {
            return;
        };
        let req = book.root_request.get(r as usize).copied().unwrap_or(NONE);
        match book.requests.get(req as usize) {
            Some(request) if request.current == r => {
                // The current attempt, before its timer (which would have moved the
                // request on): a success unless it was lost; a lost attempt leaves the
                // request waiting for its timer.
                if !root.lost {
                    let lat = now - request.first;
                    rs.c.succeeded += 1;
                    rs.c.latency_sum += lat;
                    rs.hist.record(lat);
                    book.release(req);
                }
            }
            _ => {
                if !root.lost {
                    rs.c.wasted += 1;
                }
            }
        }
    }
}
