//! Message TTL in the simulator: messages that wait too long in a queue expire.
//!
//! A queue with a `ttl` (see [`crate::model::Queue::ttl`]) keeps at most one pending
//! expiry check (`Ev::Expire`) in the calendar, due at the deadline of the message at
//! the head of its line (the time it entered the queue plus the TTL; a redelivered
//! message keeps its deadline). When it fires, every message at the head whose deadline
//! has passed expires, and the check is armed again for the new head. A consumer that
//! takes a message whose deadline has passed (one that came back from a redelivery
//! backoff behind younger messages) expires it instead: expiry happens at the head, as in
//! RabbitMQ. Only queues with a TTL take these paths (`own_dispatch`, never `plain`).
//!
//! An expired message leaves the queue like a dead letter: to the queue's `dead_letter`
//! target when there is one, otherwise dropped and counted (its root is lost: it has no
//! end-to-end latency).

use super::replication::{Ev, Replication};
use crate::model::Dest;

impl Replication {
    /// A message for queue `j` (with a TTL) that found no free consumer: it joins the
    /// line (or, with prefetch or crashes, the broker's queue), and the expiry check is
    /// armed if it is the head.
    #[inline(never)]
    pub(super) fn dispatch_expiring(&mut self, j: usize, m: u32) {
        if self.queues[j].cons.is_some() {
            self.dispatch_consumers(j, m);
        } else {
            let class = self.arena.msgs[m as usize].class;
            self.queues[j].enqueue(m, class);
        }
        self.arm_expiry(j);
    }

    /// Schedules queue `j`'s expiry check at its head's deadline, unless one is
    /// already due no later.
    pub(super) fn arm_expiry(&mut self, j: usize) {
        let q = &self.queues[j];
        let Some(&head) = q.lines.iter().find_map(|l| l.front()) else {
            return;
        };
        let due = self.arena.msgs[head as usize].enter + q.ttl;
        if due < q.expiry_due {
            self.queues[j].expiry_due = due;
            self.at(due.max(self.now), Ev::Expire(j as u32));
        }
    }

    /// Queue `j`'s expiry check: expires every head whose deadline has passed, then
    /// arms the check for the new head. A check superseded by an earlier one is void.
    pub(super) fn on_expire(&mut self, j: usize) {
        let now = self.now;
        if self.queues[j].expiry_due > now {
            return; // superseded: an earlier check ran and re-armed
        }
        self.queues[j].expiry_due = f64::INFINITY;
        self.expire_heads(j);
        self.arm_expiry(j);
    }

    /// Expires the messages at the head of queue `j` whose deadline has passed.
    pub(super) fn expire_heads(&mut self, j: usize) {
        let now = self.now;
        loop {
            let q = &mut self.queues[j];
            let Some(line) = q.lines.first_mut() else {
                return;
            };
            let Some(&head) = line.front() else { return };
            if self.arena.msgs[head as usize].enter + q.ttl > now {
                return;
            }
            line.pop_front();
            q.waiting -= 1;
            self.expire(j, head);
        }
    }

    /// Expires the messages that a serving loop of queue `j` found past their deadline.
    pub(super) fn expire_found(&mut self, j: usize) {
        while let Some(m) = self.queues[j].expired_found.pop() {
            self.expire(j, m);
        }
    }

    /// Message `m`, taken out of queue `j`'s line, expires; its place lets a blocked
    /// sender in.
    fn expire(&mut self, j: usize, m: u32) {
        self.leave_unserved(j, m, Unserved::Expired);
        if !self.queues[j].senders.is_empty() {
            self.unblock(j);
        }
    }
}

/// Why a waiting message leaves its queue without being served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Unserved {
    /// Its `ttl` ran out.
    Expired,
    /// A newer arrival pushed it out of the full queue (`drop_head`).
    PushedOut,
}

impl Replication {
    /// Message `m`, already taken out of queue `j`'s line, leaves unserved: counted,
    /// then sent to the queue's dead-letter target, or dropped (its root is lost).
    pub(super) fn leave_unserved(&mut self, j: usize, m: u32, why: Unserved) {
        let now = self.now;
        let q = &mut self.queues[j];
        q.touch(now);
        q.in_node -= 1;
        match why {
            Unserved::Expired => q.c.expired += 1,
            Unserved::PushedOut => q.c.dropped += 1,
        }
        if let Some(cs) = q.cons.as_deref_mut() {
            cs.levels(now, q.waiting, q.in_node);
        }
        match q.dead_letter {
            Dest::Exit => {
                match why {
                    Unserved::Expired => self.totals.expired += 1,
                    Unserved::PushedOut => self.totals.dropped += 1,
                }
                self.drop_msg(m);
            }
            Dest::Node(n) => self.send(n, m),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::model::{ArrivalProcess, Distribution, Model, Queue, RunSettings, Source};
    use crate::sim::{Replication, simulate};

    /// Deterministic arrivals and service: which messages expire is worked out by hand.
    #[test]
    fn deterministic_expiry_counts_by_hand() {
        // Arrivals every 1 s from t = 1; service 2.5 s; TTL 1.2 s; one consumer.
        // A waiting message is served if the consumer frees before its deadline
        // (arrival + 1.2), else expires. Consumer free at 3.5: 2 expires (3.2), 3 served
        // (to 6); 4 expires (5.2); 5 served (to 8.5); 6 (7.2) and 7 (8.2) expire; 8
        // served (to 11); 9 expires; 10 served (to 13.5); 11, 12 expire; 13 served (to
        // 16); 14 expires; 15 served (to 18.5); 16, 17 expire; 18 served (to 21);
        // 19 expires at 20.2; 20 still waits at the end, 20.5.
        let q = Queue::new("q", 1, Distribution::Deterministic { value: 2.5 }).with_ttl(1.2);
        let m = Model::default()
            .with_source(Source::new(
                "in",
                ArrivalProcess::Deterministic { rate: 1.0 },
                "q",
            ))
            .with_queue(q)
            .validate()
            .unwrap();
        let s = RunSettings {
            horizon: Some(20.5),
            warmup: 0.0,
            replications: 1,
            ..RunSettings::default()
        };
        let mut r = Replication::new(&m, &s, 0).unwrap();
        r.run_until(f64::INFINITY).unwrap();
        let res = r.finish();
        let q = &res.queues[0];
        assert_eq!(q.expired, Some(11));
        assert_eq!(q.counts.completed, 7); // 1, 3, 5, 8, 10, 13, 15
        assert_eq!(q.counts.in_node, 2); // 18 in service, 20 waiting
        assert!(q.counts.is_balanced(), "{:?}", q.counts);
        assert!(res.conservation.is_balanced(), "{:?}", res.conservation);
        assert_eq!(res.conservation.expired, 11);
        // Every served message waited at most the TTL.
        assert!(q.wait.as_ref().unwrap().p999 <= 1.2 * (1.0 + 1.0 / 128.0));
    }

    #[test]
    fn expired_messages_go_to_the_dead_letter_queue() {
        let mut q = Queue::new("q", 1, Distribution::Exponential { mean: 1.0 }).with_ttl(0.5);
        q.dead_letter = Some("dlq".into());
        let m = Model::default()
            .with_source(Source::new(
                "in",
                ArrivalProcess::Poisson { rate: 3.0 },
                "q",
            ))
            .with_queue(q)
            .with_queue(Queue::new(
                "dlq",
                4,
                Distribution::Exponential { mean: 0.01 },
            ))
            .validate()
            .unwrap();
        let s = RunSettings {
            horizon: Some(2000.0),
            replications: 2,
            ..RunSettings::default()
        };
        let r = simulate(&m, &s).unwrap();
        let (q, dlq) = (&r.queues[0], &r.queues[1]);
        let p = q.p_expire.unwrap().mean;
        assert!(p > 0.5 && p < 0.8, "{p}");
        // The DLQ receives exactly the expired messages.
        assert_eq!(dlq.counts.offered, q.counts.expired);
        assert!(q.counts.is_balanced() && dlq.counts.is_balanced());
        assert!(r.conservation.is_balanced());
        assert_eq!(r.conservation.expired, 0);
    }
}
