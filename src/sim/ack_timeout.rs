//! Ack (visibility) timeouts: a delivery unacknowledged `ack_timeout` seconds after it
//! reached its consumer is copied back to the head of the queue (see
//! [`Queue::ack_timeout`](crate::model::Queue::ack_timeout)).
//!
//! The consumer keeps the original and finishes it. Each delivery times out at most
//! once, so a message's deliveries form a chain: with one message at a time per
//! consumer a delivery spawns the next one with probability p = P(S > τ), whatever
//! became of the earlier ones (the broker counts only the latest delivery's ack).
//! A message and its copies form a
//! **group** (`Msg::group`): the first member to finish acknowledges the message (its
//! latency, its route onward; the root counts the group once, and the winner carries
//! that count); every member finishing after it is a **duplicate**: its work is
//! discarded and counted, and its slot freed without touching the root. A member that
//! would be dead-lettered while another member is alive is discarded too, so a group
//! ends in exactly one outcome.
//!
//! Timers: each consumer's held messages are in delivery order, so their deadlines are
//! too. One pending [`Ev::AckTimeout`] per consumer is armed at the deadline of its
//! oldest delivery that has not timed out; when it fires, every delivery past its
//! deadline times out (each once: `timed[k]` counts the leading held messages already
//! done), and the timer is re-armed for the next. Memory: O(consumers × prefetch) for
//! the delivery times plus one group per message with a live copy.

use super::arena::NONE;
use super::calendar::Calendar;
use super::consumer::{INCIDENT, REDELIVERED};
use super::error::SimError;
use super::replication::{Ev, Replication};
use std::collections::VecDeque;

/// A message and its copies in one queue.
#[derive(Debug, Clone, Copy)]
pub(super) struct Group {
    /// Some member finished (or was dead-lettered): the others are duplicates.
    done: bool,
    /// Members still in the node; doubles as the free-list link of a free group.
    live: u32,
}

/// The ack-timeout state of one queue's consumers.
pub(super) struct AckTimeouts {
    tau: f64,
    /// Delivery time of each message held by consumer k, parallel to its `held[k]`.
    sent: Vec<VecDeque<f64>>,
    /// The leading messages of `held[k]` that have already timed out.
    timed: Vec<u32>,
    /// Whether consumer k has a pending timer.
    armed: Vec<bool>,
    groups: Vec<Group>,
    free_group: u32,
    /// Copies made by one timer (reused: no allocation once grown).
    scratch: Vec<u32>,
}

impl AckTimeouts {
    /// `consumers` consumers whose deliveries time out after `tau` seconds.
    pub(super) fn new(consumers: u32, prefetch: u32, tau: f64) -> Self {
        let n = consumers as usize;
        Self {
            tau,
            sent: (0..n)
                .map(|_| VecDeque::with_capacity(prefetch.min(64) as usize))
                .collect(),
            timed: vec![0; n],
            armed: vec![false; n],
            groups: Vec::new(),
            free_group: NONE,
            scratch: Vec::new(),
        }
    }

    /// Consumer `k` of queue `j` received a message at `now`: its timer is armed if it
    /// had none.
    #[inline]
    pub(super) fn delivered(
        &mut self,
        j: usize,
        k: usize,
        now: f64,
        cal: &mut Calendar<Ev>,
        fault: &mut Option<SimError>,
    ) {
        self.sent[k].push_back(now);
        if !self.armed[k] {
            self.armed[k] = true;
            let ev = Ev::AckTimeout {
                queue: j as u32,
                consumer: k as u32,
            };
            if let Err(e) = cal.schedule(now + self.tau, ev)
                && fault.is_none()
            {
                *fault = Some(e);
            }
        }
    }

    /// Consumer `k` acked (or nacked) its oldest held message.
    #[inline]
    pub(super) fn acked(&mut self, k: usize) {
        self.sent[k].pop_front();
        self.timed[k] = self.timed[k].saturating_sub(1);
    }

    /// Consumer `k` crashed: its held messages went back to the queue, but a finished
    /// one it keeps for a blocked next queue (`keep`), which cannot time out.
    pub(super) fn crashed(&mut self, k: usize, keep: bool) {
        self.sent[k].clear();
        self.timed[k] = 0;
        if keep {
            self.sent[k].push_back(f64::NEG_INFINITY);
            self.timed[k] = 1;
        }
    }

    fn new_group(&mut self) -> u32 {
        let g = Group {
            done: false,
            live: 1,
        };
        let i = self.free_group;
        if let Some(slot) = self.groups.get_mut(i as usize) {
            self.free_group = slot.live;
            *slot = g;
            return i;
        }
        self.groups.push(g);
        (self.groups.len() - 1) as u32
    }

    /// Whether group `g` is settled (a member finished or was dead-lettered).
    #[inline]
    pub(super) fn is_done(&self, g: u32) -> bool {
        self.groups[g as usize].done
    }

    /// Members of group `g` in the node.
    pub(super) fn live(&self, g: u32) -> u32 {
        self.groups[g as usize].live
    }

    /// A member of group `g` settles it: every other member is a duplicate.
    #[inline]
    pub(super) fn settle(&mut self, g: u32) {
        self.groups[g as usize].done = true;
    }

    /// A member of group `g` left the node; the group is freed with its last member.
    #[inline]
    pub(super) fn release(&mut self, g: u32) {
        if g == NONE {
            return;
        }
        let slot = &mut self.groups[g as usize];
        slot.live -= 1;
        if slot.live == 0 {
            slot.live = self.free_group;
            self.free_group = g;
        }
    }
}

impl Replication {
    /// Consumer `k` of queue `j`'s timer: every held delivery past its deadline times
    /// out and is copied to the head of the queue (in delivery order), unless it is
    /// finished and waiting for a blocked next queue; the timer is re-armed for the
    /// next deadline. A delivery of an already settled message times out too: the
    /// broker knows only that its latest delivery is unacked (an ack of an older
    /// delivery is refused), so it delivers the message again.
    pub(super) fn on_ack_timeout(&mut self, j: usize, k: usize) {
        let Self {
            queues,
            arena,
            cal,
            fault,
            totals,
            now,
            ..
        } = self;
        let now = *now;
        let q = &mut queues[j];
        let Some(mut cs) = q.cons.take() else {
            return;
        };
        let Some(mut t) = cs.timeout.take() else {
            q.cons = Some(cs);
            return;
        };
        t.armed[k] = false;
        t.scratch.clear();
        // Each pass moves `timed[k]` on by one: at most prefetch passes.
        loop {
            let i = t.timed[k] as usize;
            let Some(&sent) = t.sent[k].get(i) else { break };
            let due = sent + t.tau;
            if due > now {
                t.armed[k] = true;
                let ev = Ev::AckTimeout {
                    queue: j as u32,
                    consumer: k as u32,
                };
                if let Err(e) = cal.schedule(due, ev)
                    && fault.is_none()
                {
                    *fault = Some(e);
                }
                break;
            }
            t.timed[k] += 1;
            let m = cs.held[k][i];
            let msg = arena.msgs[m as usize];
            if msg.held {
                continue; // finished, waiting for the next queue: nothing to redo
            }
            let g = if msg.group == NONE {
                let g = t.new_group();
                arena.msgs[m as usize].group = g;
                g
            } else {
                msg.group
            };
            t.groups[g as usize].live += 1;
            let c = arena.alloc_msg(msg.root, msg.class);
            let copy = &mut arena.msgs[c as usize];
            copy.node = msg.node;
            copy.attempts = msg.attempts;
            copy.pos = REDELIVERED | (msg.pos & INCIDENT);
            copy.held = false;
            copy.dead = false;
            copy.group = g;
            copy.enter = msg.enter;
            copy.served = 0.0;
            copy.remaining = -1.0;
            t.scratch.push(c);
        }
        let n = t.scratch.len() as u64;
        if n > 0 {
            q.touch(now);
            for &c in t.scratch.iter().rev() {
                q.enqueue_front(c, 0);
            }
            q.in_node += n;
            q.c.copies += n;
            totals.copies += n;
            cs.c.timeouts += n;
        }
        cs.timeout = Some(t);
        cs.levels(now, q.waiting, q.in_node);
        q.cons = Some(cs);
        if n > 0 {
            self.pump(j);
        }
    }

    /// Message `m` of queue `j` finished a delivery that no longer counts (another
    /// delivery of it settled the message): its consumer acks it, its work is counted
    /// as a duplicate, and its slot is freed without touching its root.
    pub(super) fn discard(&mut self, j: usize, m: u32) {
        let Self {
            queues,
            arena,
            totals,
            now,
            ..
        } = self;
        let now = *now;
        let q = &mut queues[j];
        q.touch(now);
        q.in_node -= 1;
        q.busy -= 1;
        q.c.duplicates += 1;
        totals.duplicates += 1;
        let msg = &arena.msgs[m as usize];
        if let Some(cs) = q.cons.as_deref_mut() {
            cs.c.duplicates += 1;
            if let Some(t) = cs.timeout.as_deref_mut() {
                t.release(msg.group);
            }
            cs.ack(msg, now, q.in_node, q.waiting, false);
        }
        arena.free_slot(m);
        self.after_leave(j);
    }

    /// Whether message `m` of queue `j` belongs to a settled group: its delivery is a
    /// duplicate.
    #[inline]
    pub(super) fn is_duplicate(&self, j: usize, m: u32) -> bool {
        let g = self.arena.msgs[m as usize].group;
        g != NONE
            && self.queues[j]
                .cons
                .as_deref()
                .and_then(|c| c.timeout.as_deref())
                .is_some_and(|t| t.is_done(g))
    }

    /// Message `m` of queue `j` is about to settle (finish, or be dead-lettered when
    /// `dead`): returns false when it must be discarded instead (dead-lettered while
    /// another copy of it is still in the node, which carries the message on).
    #[inline]
    pub(super) fn settle(&mut self, j: usize, m: u32, dead: bool) -> bool {
        let g = self.arena.msgs[m as usize].group;
        if g == NONE {
            return true;
        }
        let Some(t) = self.queues[j]
            .cons
            .as_deref_mut()
            .and_then(|c| c.timeout.as_deref_mut())
        else {
            return true;
        };
        if dead && t.live(g) > 1 {
            return false;
        }
        t.settle(g);
        true
    }
}
