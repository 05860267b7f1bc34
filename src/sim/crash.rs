//! Consumer crashes and restarts: the events that take a consumer of a queue with
//! `crash` down and bring it back, drawn from the queue's crash stream
//! ([`crash_stream`](super::seeding::crash_stream)) so that adding crashes to a queue
//! leaves its service times and every other stream as they were.
//!
//! Each consumer alternates: up for a `time_to_failure` draw, down for a `restart`
//! draw. At most one crash or restart event per consumer is pending, so the calendar
//! holds at most `servers` of them per queue.
//!
//! Crashes alone never end: a run without a horizon (stopped by `completions`) whose
//! sources have run dry would step from crash to restart forever. So once nothing but
//! crash and restart events (and the time-series tick they keep alive) is pending and no
//! message is left in the system, no further crash or restart is scheduled: the
//! calendar drains and the run ends as it would without crashes.

use super::replication::{Ev, Replication};

impl Replication {
    /// Schedules the first crash of every consumer of every queue with crashes.
    pub(super) fn schedule_crashes(&mut self) {
        for j in 0..self.queues.len() {
            // Only queues with crashes (their consumers are bounded by validation); a
            // delay station has u32::MAX "servers".
            let q = &self.queues[j];
            let crashes = q.cons.as_ref().is_some_and(|c| c.crash.is_some())
                || q.part.as_ref().is_some_and(|p| p.group.is_some());
            let servers = if crashes { q.servers } else { 0 };
            for k in 0..servers {
                // Unconditionally: arrivals, the backlog and the end are not yet in place.
                self.schedule_crash(j, k, false);
            }
            self.schedule_commit(j, false);
        }
    }

    /// Schedules the next crash of consumer `k` of queue `j`, an up-time from now.
    /// With `check`, nothing is scheduled once crashes are all that is left.
    fn schedule_crash(&mut self, j: usize, k: u32, check: bool) {
        let now = self.now;
        let Some(up) = self.queues[j].crash_draw(true) else {
            return;
        };
        let t = now + up;
        if check && self.crashes_alone() {
            return;
        }
        self.crash_pending += 1;
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
        self.crash_pending -= 1;
        if !self.crash_consumer(j, k as usize) {
            return;
        }
        let now = self.now;
        let Some(down) = self.queues[j].crash_draw(false) else {
            return;
        };
        let t = now + down;
        if self.crashes_alone() {
            return;
        }
        self.crash_pending += 1;
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
        self.crash_pending -= 1;
        self.restart_consumer(j, k as usize);
        self.schedule_crash(j, k, true);
    }

    /// Nothing but crashes, restarts and the time-series tick is pending and no message
    /// is in the system: nothing can happen any more.
    pub(super) fn crashes_alone(&self) -> bool {
        let tick = usize::from(self.resolution.is_some());
        self.cal.len() <= self.crash_pending + tick
            && self.held == 0
            && self.queues.iter().all(|q| q.in_node == 0)
    }
}
