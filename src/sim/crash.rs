//! Consumer crashes and restarts: the events that take a consumer of a queue with
//! `crash` down and bring it back, drawn from the queue's crash stream
//! ([`crash_stream`](super::seeding::crash_stream)) so that adding crashes to a queue
//! leaves its service times and every other stream as they were.
//!
//! Each consumer alternates: up for a `time_to_failure` draw, down for a `restart`
//! draw. At most one crash or restart event per consumer is pending, so the calendar
//! holds at most `servers` of them per queue.

use super::replication::{Ev, Replication};

impl Replication {
    /// Schedules the first crash of every consumer of every queue with crashes.
    pub(super) fn schedule_crashes(&mut self) {
        for j in 0..self.queues.len() {
            let servers = self.queues[j].servers;
            for k in 0..servers {
                self.schedule_crash(j, k);
            }
        }
    }

    /// Schedules the next crash of consumer `k` of queue `j`, an up-time from now.
    fn schedule_crash(&mut self, j: usize, k: u32) {
        let now = self.now;
        let Some(cs) = self.queues[j].cons.as_deref_mut() else {
            return;
        };
        let Some((up, _)) = &cs.crash else { return };
        let t = now + up.sample(&mut cs.rng);
        self.at(
            t,
            Ev::Crash {
                queue: j as u32,
                consumer: k,
            },
        );
    }

    /// Consumer `k` of queue `j` crashes now; its restart is scheduled.
    #[cold]
    #[inline(never)]
    pub(super) fn on_crash(&mut self, j: usize, k: u32) {
        if !self.crash_consumer(j, k as usize) {
            return;
        }
        let now = self.now;
        let Some(cs) = self.queues[j].cons.as_deref_mut() else {
            return;
        };
        let Some((_, down)) = &cs.crash else { return };
        let t = now + down.sample(&mut cs.rng);
        self.at(
            t,
            Ev::Restart {
                queue: j as u32,
                consumer: k,
            },
        );
    }

    /// Consumer `k` of queue `j` restarts now; its next crash is scheduled.
    #[cold]
    #[inline(never)]
    pub(super) fn on_restart(&mut self, j: usize, k: u32) {
        self.restart_consumer(j, k as usize);
        self.schedule_crash(j, k);
    }
}
