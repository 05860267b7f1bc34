//! Service: a consumer for each message (or a place in its line), preemption, and what
//! happens at the end of a service (redelivery, dead letter, routing on, blocking
//! after service), with the short path for plain queues.

use super::arena::{NONE, REPLAY};
use super::queue_state::{Sender, start_service};
use super::replication::{Ev, Replication};
use crate::model::{Dest, NodeId, Queue};
use rand::RngExt;

/// How a message leaves a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Outcome {
    /// Served: routed on.
    Completed,
    /// Out of delivery attempts: to the dead-letter target.
    DeadLetter,
}

impl Replication {
    /// A message in node `j` asks for a consumer.
    #[inline(always)]
    pub(super) fn dispatch(&mut self, j: usize, m: u32) {
        let q = &mut self.queues[j];
        if q.busy < q.shared_servers {
            return self.start(j, m);
        }
        let class = self.arena.msgs[m as usize].class;
        // One test for both uncommon kinds, so a plain queue pays no extra branch.
        if q.own_dispatch {
            if q.ttl < f64::INFINITY {
                return self.dispatch_expiring(j, m);
            }
            if q.part.is_some() {
                return self.dispatch_partitioned(j, m);
            }
            if q.cons.is_some() {
                return self.dispatch_consumers(j, m);
            }
            if let Some(v) = self.victim(j, class) {
                self.preempt(j, v);
                return self.start(j, m);
            }
        }
        self.queues[j].enqueue(m, class);
    }

    /// The service to interrupt for an arrival of class `class`: the lowest priority in
    /// service, below `class`; the most recently started among equals.
    pub(super) fn victim(&self, j: usize, class: u32) -> Option<u32> {
        let mut best: Option<(u32, f64, u32)> = None;
        for &v in &self.queues[j].in_service {
            let msg = &self.arena.msgs[v as usize];
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

    pub(super) fn remove_in_service(&mut self, j: usize, m: u32) {
        let q = &mut self.queues[j];
        let pos = self.arena.msgs[m as usize].pos as usize;
        q.in_service.swap_remove(pos);
        if let Some(&moved) = q.in_service.get(pos) {
            self.arena.msgs[moved as usize].pos = pos as u32;
        }
    }

    pub(super) fn preempt(&mut self, j: usize, v: u32) {
        self.remove_in_service(j, v);
        let now = self.now;
        let msg = &mut self.arena.msgs[v as usize];
        msg.generation = msg.generation.wrapping_add(1);
        msg.served += now - msg.start;
        msg.remaining = (msg.end - now).max(0.0);
        let q = &mut self.queues[j];
        q.busy -= 1;
        q.enqueue_front(v, msg.class);
    }

    #[inline(always)]
    pub(super) fn start(&mut self, j: usize, m: u32) {
        let Self {
            queues,
            arena,
            cal,
            fault,
            now,
            ..
        } = self;
        start_service(
            &mut queues[j],
            m,
            &mut arena.msgs[m as usize],
            *now,
            cal,
            fault,
        );
    }

    /// A completion: void if its service was preempted since; the short path for plain
    /// queues inline, the general one ([`Replication::done_general`]) called.
    #[inline(always)]
    pub(super) fn on_done(&mut self, m: u32, generation: u32) {
        let msg = &self.arena.msgs[m as usize];
        if msg.generation != generation {
            return; // preempted: this completion is void
        }
        if self.queues[msg.node as usize].plain {
            return self.done_plain(m);
        }
        self.done_general(m)
    }

    /// The completion of message `m` in a queue that is not plain: failures and
    /// redelivery, routing, blocking after service.
    fn done_general(&mut self, m: u32) {
        let now = self.now;
        let msg = &mut self.arena.msgs[m as usize];
        // No level changes before `depart` (whose `leave_stats` brings the queue's
        // integrals up to now) or the redelivery branch (which does it itself).
        msg.served += now - msg.start;
        let j = msg.node as usize;
        if self.queues[j].preemptive {
            self.remove_in_service(j, m);
        }
        if self.arena.msgs[m as usize].group == REPLAY {
            return self.discard_replay(j, m);
        }
        if self.is_duplicate(j, m) {
            // Another delivery of it (an ack-timeout copy) finished first.
            return self.discard(j, m);
        }
        let q = &mut self.queues[j];
        if q.fail_p > 0.0 && q.rng.random::<f64>() < q.fail_p {
            let msg = &mut self.arena.msgs[m as usize];
            // Retry until success (`Queue::UNLIMITED_ATTEMPTS`) counts nothing, so a
            // message failing more than u32::MAX times cannot overflow the counter;
            // otherwise `attempts` stops at max_attempts <= u32::MAX − 1.
            if q.max_attempts != Queue::UNLIMITED_ATTEMPTS {
                msg.attempts += 1;
                if msg.attempts >= q.max_attempts {
                    if !self.settle(j, m, true) {
                        return self.discard(j, m);
                    }
                    return self.depart(j, m, Outcome::DeadLetter);
                }
            } else if q.backoff_varies {
                // Counted only for a growing backoff (saturating: no overflow).
                msg.attempts = msg.attempts.saturating_add(1);
            }
            q.touch(now);
            q.c.redeliveries += 1;
            q.busy -= 1;
            if let Some(cs) = q.cons.as_deref_mut() {
                // A nack: the message leaves its consumer's window.
                cs.ack(msg, now, q.in_node, q.waiting, false);
            }
            if q.backoff > 0.0 {
                let delay = if q.backoff_varies {
                    q.next_backoff(msg.attempts)
                } else {
                    q.backoff
                };
                let t = now + delay;
                self.at(t, Ev::Retry(m));
            } else {
                q.enqueue(m, msg.class);
            }
            return self.fill(j);
        }
        self.settle(j, m, false);
        self.depart(j, m, Outcome::Completed)
    }

    /// The completion of message `m` in a plain queue (see `QueueState::plain`): the
    /// steps of `on_done`, `depart`, `leave_stats` and `after_leave` that apply (no
    /// failure draw, no route draw, no blocked consumer or sender), in the same order
    /// and with the same arithmetic, so the results are identical.
    #[inline(always)]
    pub(super) fn done_plain(&mut self, m: u32) {
        let Self {
            queues,
            arena,
            cal,
            fault,
            now,
            totals,
            ..
        } = self;
        let now = *now;
        let msg = &mut arena.msgs[m as usize];
        msg.served += now - msg.start;
        let q = &mut queues[msg.node as usize];
        q.touch(now);
        q.in_node -= 1;
        q.busy -= 1;
        q.record_completion(msg, &arena.roots, now);
        // One consumer became free: in a plain queue a message waits only while every
        // consumer is busy, so at most one message starts (`fill`'s loop, once).
        if q.waiting > 0
            && let Some(n) = q.next_waiting()
        {
            start_service(q, n, &mut arena.msgs[n as usize], now, cal, fault);
        }
        debug_assert!(q.waiting == 0 || q.busy == q.servers);
        totals.completed += 1;
        self.free_msg(m);
    }

    #[inline(always)]
    pub(super) fn route(&mut self, j: usize) -> Dest {
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
    pub(super) fn depart(&mut self, j: usize, m: u32, outcome: Outcome) {
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
            let msg = &mut self.arena.msgs[m as usize];
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
    pub(super) fn leave_stats(&mut self, j: usize, m: u32, outcome: Outcome) {
        let Self {
            queues, arena, now, ..
        } = self;
        let now = *now;
        let q = &mut queues[j];
        q.touch(now);
        let msg = &mut arena.msgs[m as usize];
        q.in_node -= 1;
        q.busy -= 1;
        if msg.held {
            q.blocked_servers -= 1;
            msg.held = false;
        }
        if let Some(p) = &mut q.part {
            p.leave(m, msg, now, outcome == Outcome::Completed);
        }
        if let Some(cs) = q.cons.as_deref_mut() {
            if msg.group != NONE {
                // It settled its ack-timeout group (sim/ack_timeout.rs) and leaves.
                if let Some(t) = cs.timeout.as_deref_mut() {
                    t.release(msg.group);
                }
                msg.group = NONE;
            }
            cs.ack(
                msg,
                now,
                q.in_node,
                q.waiting,
                outcome == Outcome::Completed,
            );
        }
        match outcome {
            Outcome::Completed => q.record_completion(msg, &arena.roots, now),
            Outcome::DeadLetter => q.c.dead_lettered += 1,
        }
    }

    /// A consumer of node `j` and a place in it became free: serve the next message and
    /// let blocked senders in.
    #[inline(always)]
    pub(super) fn after_leave(&mut self, j: usize) {
        self.fill(j);
        if !self.queues[j].senders.is_empty() {
            self.unblock(j);
        }
    }

    #[inline(always)]
    pub(super) fn fill(&mut self, j: usize) {
        let Self {
            queues,
            arena,
            cal,
            fault,
            now,
            ..
        } = self;
        let q = &mut queues[j];
        if q.part.is_some() {
            return self.fill_partitioned(j);
        }
        if q.cons.is_some() {
            return self.fill_consumers(j);
        }
        let expiring = q.ttl < f64::INFINITY;
        while q.busy < q.servers && q.waiting > 0 {
            let Some(m) = q.next_waiting() else { return };
            let msg = &mut arena.msgs[m as usize];
            if expiring && msg.enter + q.ttl <= *now {
                // Found expired at the head (see `sim/expiry.rs`).
                q.expired_found.push(m);
                continue;
            }
            start_service(q, m, msg, *now, cal, fault);
        }
        if expiring && !q.expired_found.is_empty() {
            self.expire_found(j);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::model::{
        ArrivalProcess, Discipline, Distribution, Model, Queue, Route, RunSettings, Source, Topic,
    };
    use crate::sim::ReplicationResult;
    use crate::sim::prepared::Prepared;

    /// Runs replication `replication` of `model` with seed `seed`, the short completion
    /// path for plain queues allowed or not; checks which queues take it.
    fn run(
        model: &Model,
        seed: u64,
        replication: u32,
        general: bool,
        plain: &[bool],
    ) -> ReplicationResult {
        let settings = RunSettings {
            horizon: Some(2000.0),
            warmup: 100.0,
            time_series: Some(250.0),
            replications: 4,
            seed,
            ..RunSettings::default()
        };
        let valid = model.validate().unwrap();
        let mut p = Prepared::from_valid(&valid, &settings).unwrap();
        p.force_general_path = general;
        let mut r = p.replication(replication).unwrap();
        let taken: Vec<bool> = r.queues.iter().map(|q| q.plain).collect();
        if general {
            assert!(taken.iter().all(|p| !p));
        } else {
            assert_eq!(taken, plain);
        }
        r.run_until(f64::INFINITY).unwrap();
        r.finish()
    }

    /// The fast path gives the general path's results, bit for bit.
    fn same_on_both_paths(model: &Model, plain: &[bool]) {
        for seed in [1, 7, 2026] {
            for replication in [0, 3] {
                let fast = run(model, seed, replication, false, plain);
                let general = run(model, seed, replication, true, plain);
                assert!(fast.conservation.created > 1000);
                assert_eq!(fast, general, "seed {seed}, replication {replication}");
                // Debug prints every f64 exactly (sign of zero included).
                assert_eq!(format!("{fast:?}"), format!("{general:?}"));
            }
        }
    }

    fn exp(mean: f64) -> Distribution {
        Distribution::Exponential { mean }
    }

    #[test]
    fn mm1_fast_path_equals_general_path() {
        let model = Model::default()
            .with_source(Source::new(
                "in",
                ArrivalProcess::Poisson { rate: 0.9 },
                "q",
            ))
            .with_queue(Queue::new("q", 1, exp(1.0)));
        same_on_both_paths(&model, &[true]);
    }

    #[test]
    fn mm3_fast_path_equals_general_path() {
        let model = Model::default()
            .with_source(Source::new(
                "in",
                ArrivalProcess::Poisson { rate: 2.5 },
                "q",
            ))
            .with_queue(Queue::new("q", 3, exp(1.0)));
        same_on_both_paths(&model, &[true]);
    }

    /// A tandem into a topic fanning out to two plain listener pools: the front queue
    /// routes on (general path), the listeners' completions exit (fast path).
    #[test]
    fn tandem_and_fan_out_fast_path_equals_general_path() {
        let model = Model::default()
            .with_source(Source::new(
                "in",
                ArrivalProcess::Poisson { rate: 1.5 },
                "front",
            ))
            .with_queue(Queue::new("front", 2, exp(1.0)).with_route(Route::To("t".into())))
            .with_topic(Topic::new("t", ["a", "b"]))
            .with_queue(Queue::new("a", 2, exp(1.0)))
            .with_queue(Queue::new(
                "b",
                3,
                Distribution::Lognormal {
                    mean: 1.5,
                    scv: 2.0,
                },
            ));
        same_on_both_paths(&model, &[false, true, true]);
    }

    /// Non-preemptive priority classes: one line per class, still a plain queue.
    #[test]
    fn priority_fast_path_equals_general_path() {
        let mut low = Source::new("low", ArrivalProcess::Poisson { rate: 1.0 }, "q");
        low.priority = 2;
        let model = Model::default()
            .with_source(Source::new(
                "high",
                ArrivalProcess::Poisson { rate: 0.6 },
                "q",
            ))
            .with_source(low)
            .with_queue(Queue::new("q", 2, exp(1.0)).with_discipline(Discipline::Priority));
        same_on_both_paths(&model, &[true]);
    }
}
