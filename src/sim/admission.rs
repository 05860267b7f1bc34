//! Messages entering nodes: source arrivals, topic fan-out, admission or rejection at
//! a full queue, and the release of senders blocked by a full queue.

use super::arrivals::ArrivalGen;
use super::queue_state::{Sender, start_service};
use super::replication::Replication;
use super::service::Outcome;
use crate::model::NodeId;
use rand_distr::{Distribution as _, Exp1};

impl Replication {
    /// Schedules source `s`'s next arrival in its calendar slot (a source has at most
    /// one pending arrival: none while paused, blocked or exhausted).
    #[inline(always)]
    pub(super) fn schedule_arrival(&mut self, s: usize) {
        let now = self.now;
        let src = &mut self.sources[s];
        if let ArrivalGen::Poisson { mean_gap } = src.arrivals {
            // The common case, inlined.
            let e: f64 = Exp1.sample(&mut src.rng);
            return self.at_slot(s, now + mean_gap * e);
        }
        if let Some(t) = src.arrivals.next(now, self.arrivals_until, &mut src.rng) {
            if src.retrying {
                // A retrying source's arrivals are requests, in the heap (its arrival
                // generator is never the inlined Poisson one: see `SourceState::new`).
                return self.at(t.max(now), super::replication::Ev::Request(s as u32));
            }
            self.at_slot(s, t.max(now));
        }
    }

    /// Schedules source `s`'s next arrival, or pauses it while its window is full.
    #[inline(always)]
    pub(super) fn resume(&mut self, s: usize) {
        let src = &mut self.sources[s];
        if src.in_flight < src.window {
            self.schedule_arrival(s);
        } else {
            src.paused = true;
        }
    }

    #[inline(always)]
    pub(super) fn on_arrival(&mut self, s: usize) {
        if self.events >= self.stall_check_at {
            self.check_stall();
        }
        if self.arena.msgs.len() as u64 >= self.in_flight_cap {
            self.over_cap();
        }
        // One look-up of the source.
        let src = &mut self.sources[s];
        src.c.created += 1;
        src.in_flight += 1;
        let (class, dest) = (src.class, src.dest);
        let root = self.arena.new_root(self.now, s as u32);
        let m = self.arena.new_msg(root, class);
        self.totals.created += 1;
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

    #[inline(always)]
    pub(super) fn send(&mut self, dest: NodeId, m: u32) {
        match dest {
            NodeId::Queue(j) => self.offer(j, m),
            NodeId::Topic(t) => {
                let n = self.subscribers[t].len();
                let (root, class) = {
                    let msg = &self.arena.msgs[m as usize];
                    (msg.root, msg.class)
                };
                // The copies' bookkeeping at once: the root gains n − 1 descendants.
                let copies = n.saturating_sub(1);
                self.arena.roots[root as usize].outstanding += copies as u32;
                self.totals.created += copies as u64;
                for k in 0..copies {
                    let j = self.subscribers[t][k] as usize;
                    let copy = self.arena.alloc_msg(root, class);
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
    pub(super) fn offer(&mut self, j: usize, m: u32) {
        let q = &mut self.queues[j];
        q.c.arrived += 1;
        if q.in_node >= q.capacity {
            q.c.found_full += 1;
            if q.block {
                q.senders.push_back((m, Sender::Detached));
                self.held += 1;
                return;
            }
            if q.drop_head && q.waiting > 0 {
                return self.push_out(j, m);
            }
            q.c.rejected += 1;
            self.totals.rejected += 1;
            return self.drop_msg(m);
        }
        self.admit(j, m)
    }

    #[inline(always)]
    pub(super) fn admit(&mut self, j: usize, m: u32) {
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
        q.touch(now);
        q.in_node += 1;
        q.c.admitted += 1;
        let msg = &mut arena.msgs[m as usize];
        msg.enter_node(j, now);
        if q.busy < q.shared_servers {
            // A free consumer: the common case of `dispatch`.
            return start_service(q, m, msg, now, cal, fault);
        }
        self.dispatch(j, m)
    }

    pub(super) fn unblock(&mut self, j: usize) {
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
                    let outcome = if self.arena.msgs[m as usize].dead {
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
}
