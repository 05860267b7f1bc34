//! The message arena: in-flight messages and their roots live in `Vec`s with free
//! lists, so no event allocates once they have grown to their working size.
//!
//! Each source message (or start-up backlog message) is the root of its descendants:
//! topic copies, redeliveries and dead letters are the same or new messages of that
//! root. A per-root counter of live descendants tells when the last one is done: the
//! end of the message's end-to-end latency.

/// "No source": the root of a start-up backlog message.
pub(super) const NONE: u32 = u32::MAX;

/// `Msg::group` of a replayed message of a Kafka consumer group (see
/// `sim/rebalance.rs`): processed again, then discarded as a duplicate.
pub(super) const REPLAY: u32 = u32::MAX - 1;

/// A message in flight: where it is and what happened to it there.
#[derive(Debug, Clone, Copy)]
pub(super) struct Msg {
    /// Its root (index into [`Arena::roots`]).
    pub(super) root: u32,
    /// The queue it is in.
    pub(super) node: u32,
    /// Its priority class (0 is the highest).
    pub(super) class: u32,
    /// Failed deliveries in the current node.
    pub(super) attempts: u32,
    /// Incremented when its service is preempted: a completion event of an older
    /// generation is void.
    pub(super) generation: u32,
    /// Its index in the queue's `in_service` (preemptive queues only).
    pub(super) pos: u32,
    /// Finished, and held by its consumer because the next queue is full.
    pub(super) held: bool,
    /// Held on its way to the dead-letter target.
    pub(super) dead: bool,
    /// Its duplicate group in an ack-timeout queue (its copies made by ack timeouts and
    /// itself; see `sim/ack_timeout.rs`), or [`NONE`]. Every message leaving such a
    /// queue has it reset to [`NONE`], so other queues never read it.
    pub(super) group: u32,
    /// Time it entered the node.
    pub(super) enter: f64,
    /// Service received in the node so far.
    pub(super) served: f64,
    /// Start of its current service.
    pub(super) start: f64,
    /// Scheduled end of its current service.
    pub(super) end: f64,
    /// Service left after a preemption; negative when there is none to resume.
    pub(super) remaining: f64,
}

impl Msg {
    /// The message enters node `j` at `now`, fresh: no service yet, first attempt,
    /// nothing held, not dead (every field `admit` and a replay set alike).
    #[inline(always)]
    pub(super) fn enter_node(&mut self, j: usize, now: f64) {
        self.node = j as u32;
        self.enter = now;
        self.served = 0.0;
        self.attempts = 0;
        self.remaining = -1.0;
        self.held = false;
        self.dead = false;
    }
}

/// A source message and the count of its live descendants.
#[derive(Debug, Clone, Copy)]
pub(super) struct Root {
    /// Creation time.
    pub(super) created: f64,
    /// Live descendants.
    pub(super) outstanding: u32,
    /// The source that created it, or [`NONE`] for a backlog message.
    pub(super) source: u32,
    /// Some descendant was rejected or dropped.
    pub(super) lost: bool,
}

/// Messages and roots with their free lists (slots are reused last-freed first).
///
/// The free lists are intrusive: a free message slot holds the index of the next free
/// one in its `root` field, a free root slot in its `source` field, so freeing and
/// reusing a slot is a load and a store, with no second vector to grow or check.
pub(super) struct Arena {
    /// Message slots, live or free.
    pub(super) msgs: Vec<Msg>,
    /// The most recently freed message slot ([`NONE`] when none is free).
    free_msg: u32,
    /// Root slots, live or free.
    pub(super) roots: Vec<Root>,
    /// The most recently freed root slot ([`NONE`] when none is free).
    free_root: u32,
}

impl Arena {
    /// An empty arena with room for `backlog` start-up messages and 1024 more.
    pub(super) fn with_capacity(backlog: usize) -> Self {
        Self {
            msgs: Vec::with_capacity(1024 + backlog),
            free_msg: NONE,
            roots: Vec::with_capacity(1024 + backlog),
            free_root: NONE,
        }
    }

    /// A new root created at `created` by `source` ([`NONE`] for the backlog), with no
    /// descendant yet.
    #[inline(always)]
    pub(super) fn new_root(&mut self, created: f64, source: u32) -> u32 {
        let r = Root {
            created,
            outstanding: 0,
            source,
            lost: false,
        };
        let i = self.free_root;
        if let Some(slot) = self.roots.get_mut(i as usize) {
            self.free_root = slot.source;
            *slot = r;
            return i;
        }
        self.roots.push(r);
        (self.roots.len() - 1) as u32
    }

    /// A new message of `root`, counted in it.
    #[inline(always)]
    pub(super) fn new_msg(&mut self, root: u32, class: u32) -> u32 {
        self.roots[root as usize].outstanding += 1;
        self.alloc_msg(root, class)
    }

    /// A message slot for a descendant of `root` (the caller counts it in the root).
    #[inline(always)]
    pub(super) fn alloc_msg(&mut self, root: u32, class: u32) -> u32 {
        let i = self.free_msg;
        if let Some(msg) = self.msgs.get_mut(i as usize) {
            // A reused slot: every other field is set by `admit` before it is read
            // (the generation carries on, so no stale completion can match it).
            self.free_msg = msg.root;
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
            group: NONE,
            enter: 0.0,
            served: 0.0,
            start: 0.0,
            end: 0.0,
            remaining: -1.0,
        };
        self.msgs.push(m);
        (self.msgs.len() - 1) as u32
    }

    /// Frees message `m`: its root loses a descendant. Returns the root's index when
    /// that was its last one; the caller then releases it with [`Arena::release_root`].
    #[inline(always)]
    pub(super) fn free_msg(&mut self, m: u32) -> Option<u32> {
        let msg = &mut self.msgs[m as usize];
        let r = msg.root;
        msg.root = self.free_msg;
        self.free_msg = m;
        let root = &mut self.roots[r as usize];
        root.outstanding -= 1;
        (root.outstanding == 0).then_some(r)
    }

    /// Frees message slot `m` without touching its root: a duplicate made by an ack
    /// timeout, never counted in its root (whose slot may already be reused).
    pub(super) fn free_slot(&mut self, m: u32) {
        let msg = &mut self.msgs[m as usize];
        msg.group = NONE;
        msg.root = self.free_msg;
        self.free_msg = m;
    }

    /// Frees root `r` (whose descendants are all done) and returns it.
    #[inline(always)]
    pub(super) fn release_root(&mut self, r: u32) -> Root {
        let slot = &mut self.roots[r as usize];
        let root = *slot;
        slot.source = self.free_root;
        self.free_root = r;
        root
    }

    /// Marks the root of message `m` as having lost a descendant.
    pub(super) fn mark_lost(&mut self, m: u32) {
        let r = self.msgs[m as usize].root;
        self.roots[r as usize].lost = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_root_finishes_with_its_last_descendant() {
        let mut a = Arena::with_capacity(0);
        let r = a.new_root(2.5, 7);
        let m1 = a.new_msg(r, 1);
        let m2 = a.new_msg(r, 1);
        assert_eq!(a.roots[r as usize].outstanding, 2);
        assert_eq!(
            (a.msgs[m1 as usize].root, a.msgs[m1 as usize].class),
            (r, 1)
        );
        assert!(a.free_msg(m1).is_none());
        a.mark_lost(m2);
        assert_eq!(a.free_msg(m2), Some(r));
        let root = a.release_root(r);
        assert_eq!(root.created, 2.5);
        assert_eq!(root.source, 7);
        assert_eq!(root.outstanding, 0);
        assert!(root.lost);
    }

    #[test]
    fn freed_slots_are_reused_last_freed_first() {
        let mut a = Arena::with_capacity(0);
        let r = a.new_root(0.0, 0);
        let ms: Vec<u32> = (0..3).map(|_| a.new_msg(r, 0)).collect();
        assert_eq!(ms, [0, 1, 2]);
        a.free_msg(0);
        a.free_msg(2);
        // Slot 2 first, then 0, then a new slot 3.
        assert_eq!(a.new_msg(r, 4), 2);
        assert_eq!(a.msgs[2].class, 4);
        assert_eq!(a.new_msg(r, 0), 0);
        assert_eq!(a.new_msg(r, 0), 3);
        assert_eq!(a.msgs.len(), 4);
        // A freed root slot is reused, reset.
        for m in [1, 2, 0, 3] {
            if let Some(r) = a.free_msg(m) {
                a.release_root(r);
            }
        }
        let r2 = a.new_root(9.0, 3);
        assert_eq!(r2, r);
        assert_eq!(a.roots.len(), 1);
        assert_eq!(a.roots[r2 as usize].outstanding, 0);
        assert!(!a.roots[r2 as usize].lost);
    }

    /// A steady flow with at most 50 roots of up to 3 messages alive: the arena
    /// stops growing at that size and never reallocates.
    #[test]
    fn no_growth_after_steady_state() {
        let mut a = Arena::with_capacity(0);
        let (msgs_cap, roots_cap) = (a.msgs.capacity(), a.roots.capacity());
        let mut live: std::collections::VecDeque<Vec<u32>> = Default::default();
        for i in 0..100_000u32 {
            let r = a.new_root(f64::from(i), 0);
            let n = 1 + i % 3;
            let ms = (0..n).map(|_| a.new_msg(r, 0)).collect();
            live.push_back(ms);
            if live.len() > 50 {
                let ms = live.pop_front().unwrap();
                let last = ms.len() - 1;
                for (k, m) in ms.into_iter().enumerate() {
                    let done = a.free_msg(m);
                    assert_eq!(done.is_some(), k == last);
                    if let Some(r) = done {
                        assert_eq!(a.release_root(r).created, f64::from(i - 50));
                    }
                }
            }
        }
        assert_eq!(a.roots.len(), 51);
        assert!(a.msgs.len() <= 51 * 3);
        assert_eq!(a.msgs.capacity(), msgs_cap);
        assert_eq!(a.roots.capacity(), roots_cap);
    }
}
