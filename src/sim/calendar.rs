//! The event calendar: pending events ordered by (time, insertion sequence).
//!
//! Simultaneous events come out in the order they were scheduled, so a run never
//! depends on heap internals and no simultaneous event is lost or reordered. Times
//! are non-negative, so the IEEE 754 bits of a time order like the time itself: the key
//! is the pair (time bits, sequence) of two integers. The calendar is a 4-ary implicit
//! heap (half the depth of a binary heap, siblings adjacent in memory), padded with
//! sentinels so that every family of children is complete, with O(log n) schedule and
//! pop. Scheduling before the current time is an error
//! ([`SimError::PastEvent`]).
//!
//! A pop is lazy: the popped entry stays at the root as a *hole* until the next call. A
//! simulator handling an event almost always schedules another one; that schedule fills
//! the hole with one sift-down, instead of the removal's sift-down of the last entry
//! plus the insertion's sift-up. The order of events is the same either way: keys are
//! unique.
//!
//! **Slots** keep some events out of the heap: a calendar built by
//! [`Calendar::with_slots`] has a fixed number of slots, each holding at most one pending
//! event with a fixed payload (a source's next arrival: a source never has two pending).
//! A pop compares the heap's head with the earliest slot, found by a winner tree over the
//! slots (O(log slots) per slot update; nothing for a single slot), so a simulator whose
//! every arrival would otherwise take a sift through the heap of completions takes none.
//! Slot events get their sequence number from the same counter as heap events, so the
//! order of events is exactly the order they would have in the heap alone.

use super::error::SimError;

/// Children per node of the heap: a 4-ary heap is half as deep as a binary one and
/// its children sit side by side in memory.
const ARITY: usize = 4;
// The sift-down's tournament is written for four children.
const _: () = assert!(ARITY == 4);

/// Sentinel keys after the last entry, so that every family of children is complete:
/// the sift-down never tests for a partial family.
const PAD: usize = ARITY - 1;

/// The key of a sentinel: above every real key (whose time bits are at most those of
/// +∞).
const SENTINEL: u128 = u128::MAX;

/// A min-calendar of events of type `E` keyed by (time, insertion sequence): a 4-ary
/// implicit heap.
///
/// # Example
/// ```
/// use kendall::sim::Calendar;
/// let mut c = Calendar::with_capacity(8);
/// c.schedule(2.0, "b").unwrap();
/// c.schedule(1.0, "a").unwrap();
/// c.schedule(2.0, "c").unwrap();
/// assert_eq!(c.pop(), Some((1.0, "a")));
/// assert_eq!(c.pop(), Some((2.0, "b")));
/// assert_eq!(c.pop(), Some((2.0, "c")));
/// assert!(c.schedule(1.0, "late").is_err());
/// ```
pub struct Calendar<E> {
    /// The heap: `len` entries, then sentinels (key [`SENTINEL`]) up to at least
    /// `len + PAD` once anything was scheduled. When `hole` is set, entry 0 is the one
    /// popped last (no longer pending) and the entries `1..len` are the pending ones,
    /// each subtree a heap.
    heap: Vec<Entry<E>>,
    len: usize,
    seq: u64,
    now: f64,
    hole: bool,
    /// The key of each slot's pending event ([`SENTINEL`] when empty), then one more
    /// slot that is always empty (the padding leaves of `tree` name it).
    slot_keys: Vec<u128>,
    /// The payload of each slot.
    slot_events: Vec<E>,
    /// A winner tree over the slots: leaf `leaves + i` names slot `i` (the padding
    /// leaves name the empty extra slot), every inner node the slot of the smallest key
    /// below it; node 1 is the earliest slot. `leaves` is a power of two.
    tree: Vec<u32>,
    leaves: usize,
}

/// What [`Calendar::pop_next`] found.
pub(crate) enum Next<E> {
    /// The event of this slot, at this time.
    Slot(f64, usize),
    /// A heap event at this time.
    Event(f64, E),
    /// No event at or before the time asked.
    None,
}

/// A pending event: its key, (time bits << 64) | sequence, one integer compared
/// without branches; and its payload.
#[derive(Clone, Copy)]
struct Entry<E> {
    key: u128,
    event: E,
}

impl<E: Copy> Calendar<E> {
    /// An empty calendar at time 0 with room for `capacity` events.
    pub fn with_capacity(capacity: usize) -> Self {
        Self::with_slots(capacity, Vec::new())
    }

    /// An empty calendar at time 0 with room for `capacity` events in its heap, and one
    /// slot per entry of `slot_events`: slot `i` holds at most one pending event, always
    /// `slot_events[i]`, scheduled with [`Calendar::schedule_slot`]. Memory: one key,
    /// payload and two tree entries per slot.
    ///
    /// # Example
    /// ```
    /// use kendall::sim::Calendar;
    /// let mut c = Calendar::with_slots(8, vec!["arrival 0", "arrival 1"]);
    /// c.schedule_slot(1, 2.0).unwrap();
    /// c.schedule(1.0, "done").unwrap();
    /// c.schedule_slot(0, 2.0).unwrap();
    /// assert_eq!(c.len(), 3);
    /// assert_eq!(c.pop(), Some((1.0, "done")));
    /// // Equal times: in the order they were scheduled, slots or not.
    /// assert_eq!(c.pop(), Some((2.0, "arrival 1")));
    /// assert_eq!(c.pop(), Some((2.0, "arrival 0")));
    /// assert_eq!(c.pop(), None);
    /// ```
    pub fn with_slots(capacity: usize, slot_events: Vec<E>) -> Self {
        let n = slot_events.len();
        let leaves = n.max(1).next_power_of_two();
        let mut tree = vec![n as u32; 2 * leaves];
        for (i, leaf) in tree[leaves..leaves + n].iter_mut().enumerate() {
            *leaf = i as u32;
        }
        Self {
            heap: Vec::with_capacity(capacity + PAD),
            len: 0,
            seq: 0,
            now: 0.0,
            hole: false,
            slot_keys: vec![SENTINEL; n + 1],
            slot_events,
            tree,
            leaves,
        }
    }

    /// The time of the last event popped (0 at the start).
    #[inline]
    pub fn now(&self) -> f64 {
        self.now
    }

    /// Number of pending events: O(slots), the slots are counted rather than a count
    /// kept up to date by every event.
    pub fn len(&self) -> usize {
        let slots = self.slot_keys.iter().filter(|&&k| k != SENTINEL).count();
        self.len - usize::from(self.hole) + slots
    }

    /// Whether no event is pending: O(1), the winner tree names the earliest slot.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == usize::from(self.hole) && self.slot_keys[self.tree[1] as usize] == SENTINEL
    }

    /// Schedules `event` at `time`.
    ///
    /// # Errors
    /// [`SimError::PastEvent`] if `time` is before [`Calendar::now`] or not a number.
    #[inline(always)]
    pub fn schedule(&mut self, time: f64, event: E) -> Result<(), SimError> {
        let entry = Entry {
            key: self.key(time)?,
            event,
        };
        if self.hole {
            // Fill the root left by the last pop.
            self.hole = false;
            self.sift_down(entry);
            return Ok(());
        }
        let mut i = self.len;
        self.len += 1;
        while self.heap.len() < self.len + PAD {
            // Grow the padding (a copy of this payload under the sentinel key).
            self.heap.push(Entry {
                key: SENTINEL,
                event,
            });
        }
        // Sift up with a hole.
        while i > 0 {
            let parent = (i - 1) / ARITY;
            if entry.key < self.heap[parent].key {
                self.heap[i] = self.heap[parent];
                i = parent;
            } else {
                break;
            }
        }
        self.heap[i] = entry;
        Ok(())
    }

    /// The key of an event scheduled now at `time`: (time bits, next sequence number).
    #[inline(always)]
    fn key(&mut self, time: f64) -> Result<u128, SimError> {
        // One comparison, false for NaN as for a time before now.
        if time >= self.now {
            // Non-negative floats order like their bit patterns (time >= now >= 0).
            let key = (u128::from(time.to_bits()) << 64) | u128::from(self.seq);
            self.seq += 1;
            return Ok(key);
        }
        Err(SimError::PastEvent {
            now: self.now,
            time,
        })
    }

    /// Schedules slot `slot`'s event at `time`, replacing its pending one if any.
    ///
    /// # Errors
    /// [`SimError::PastEvent`] as [`Calendar::schedule`]; [`SimError::NoSlot`] if the
    /// calendar has no slot `slot`.
    #[inline(always)]
    pub fn schedule_slot(&mut self, slot: usize, time: f64) -> Result<(), SimError> {
        if slot >= self.slot_events.len() {
            return Err(SimError::NoSlot {
                slot,
                slots: self.slot_events.len(),
            });
        }
        self.slot_keys[slot] = self.key(time)?;
        self.replay(slot);
        Ok(())
    }

    /// Replays the matches on the path from slot `slot`'s leaf to the root of the winner
    /// tree after its key changed (nothing to do with a single slot).
    #[inline(always)]
    fn replay(&mut self, slot: usize) {
        let mut node = (self.leaves + slot) / 2;
        while node > 0 {
            let (a, b) = (self.tree[2 * node], self.tree[2 * node + 1]);
            self.tree[node] = if self.slot_keys[b as usize] < self.slot_keys[a as usize] {
                b
            } else {
                a
            };
            node /= 2;
        }
    }

    /// Removes the earliest event (first scheduled among equal times), advancing the
    /// clock to its time.
    #[inline]
    pub fn pop(&mut self) -> Option<(f64, E)> {
        self.pop_until(f64::INFINITY)
    }

    /// Removes the earliest event if its time is at most `until`, as [`Calendar::pop`].
    #[inline(always)]
    pub fn pop_until(&mut self, until: f64) -> Option<(f64, E)> {
        match self.pop_next(until) {
            Next::Slot(time, slot) => Some((time, self.slot_events[slot])),
            Next::Event(time, event) => Some((time, event)),
            Next::None => None,
        }
    }

    /// Removes the earliest event if its time is at most `until`, telling a slot's event
    /// (by its slot) from a heap event, so that a caller handling slot events apart
    /// branches once.
    #[inline(always)]
    pub(crate) fn pop_next(&mut self, until: f64) -> Next<E> {
        if self.hole {
            // Close the hole: the last entry takes the root and sinks.
            self.hole = false;
            self.len -= 1;
            let n = self.len;
            let last = self.heap[n];
            self.heap[n].key = SENTINEL;
            if n > 0 {
                self.sift_down(last);
            }
        }
        let slot = self.tree[1] as usize;
        let slot_key = self.slot_keys[slot];
        if self.len == 0 || slot_key < self.heap[0].key {
            // The earliest event is a slot's (or there is none: the extra slot's key is
            // the sentinel).
            let time = f64::from_bits((slot_key >> 64) as u64);
            if slot_key == SENTINEL || time > until {
                return Next::None;
            }
            self.now = time;
            self.slot_keys[slot] = SENTINEL;
            self.replay(slot);
            return Next::Slot(time, slot);
        }
        let top = self.heap[0];
        let time = f64::from_bits((top.key >> 64) as u64);
        if time > until {
            return Next::None;
        }
        self.hole = true;
        self.now = time;
        Next::Event(time, top.event)
    }

    /// Places `entry` at the root and sifts it down with a hole.
    #[inline(always)]
    fn sift_down(&mut self, entry: Entry<E>) {
        let n = self.len;
        let mut i = 0;
        loop {
            let first = ARITY * i + 1;
            if first >= n {
                break;
            }
            // A complete family (sentinels fill it up): a branch-free tournament of
            // indices; keys are unique.
            debug_assert!(first + ARITY <= self.heap.len() && i < n);
            // SAFETY: `first < n` and the heap holds at least `n + PAD` entries
            // (sentinels), so `first..first + ARITY` is in bounds; `i < n`.
            let h = unsafe { self.heap.get_unchecked(first..first + ARITY) };
            let a = usize::from(h[1].key < h[0].key);
            let b = 2 + usize::from(h[3].key < h[2].key);
            let c = if h[b].key < h[a].key { b } else { a };
            let child = h[c];
            if child.key < entry.key {
                // SAFETY: as above, `i < n`.
                unsafe { *self.heap.get_unchecked_mut(i) = child };
                i = first + c;
            } else {
                break;
            }
        }
        self.heap[i] = entry;
    }

    /// The time of the earliest pending event.
    #[inline]
    pub fn peek_time(&self) -> Option<f64> {
        let slot = self.slot_keys[self.tree[1] as usize];
        let heap = if self.hole {
            // The earliest pending entry is among the root's children (or none:
            // sentinels only).
            self.heap[1..(1 + ARITY).min(self.heap.len())]
                .iter()
                .map(|e| e.key)
                .min()
                .unwrap_or(SENTINEL)
        } else if self.len > 0 {
            self.heap[0].key
        } else {
            SENTINEL
        };
        let key = heap.min(slot);
        (key != SENTINEL).then(|| f64::from_bits((key >> 64) as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_keep_insertion_order_over_many_events() {
        let mut c = Calendar::with_capacity(0);
        for i in 0..1000u32 {
            c.schedule(f64::from(i % 7), i).unwrap();
        }
        let mut last = (0.0, 0u32);
        let mut n = 0;
        while let Some((t, i)) = c.pop() {
            if n > 0 {
                assert!(t > last.0 || (t == last.0 && i > last.1));
            }
            last = (t, i);
            n += 1;
        }
        assert_eq!(n, 1000);
        assert!(c.schedule(f64::NAN, 0).is_err());
    }

    #[test]
    fn peek_sees_past_the_hole() {
        let mut c = Calendar::with_capacity(0);
        assert_eq!(c.peek_time(), None);
        c.schedule(1.0, 'a').unwrap();
        assert_eq!(c.pop(), Some((1.0, 'a')));
        assert!(c.is_empty());
        assert_eq!(c.peek_time(), None);
        c.schedule(3.0, 'b').unwrap();
        c.schedule(2.0, 'c').unwrap();
        assert_eq!(c.pop(), Some((2.0, 'c')));
        assert_eq!(c.peek_time(), Some(3.0));
        assert_eq!(c.len(), 1);
        assert_eq!(c.pop(), Some((3.0, 'b')));
        assert_eq!(c.pop(), None);
        assert_eq!(c.peek_time(), None);
    }

    /// Interleaved pushes and pops with random, often equal, times come out exactly as
    /// a stable sort by time would order them.
    #[test]
    fn matches_a_stable_sort_under_interleaving() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(9);
        let mut c = Calendar::with_capacity(4);
        let mut pending: Vec<(f64, u32)> = Vec::new();
        let mut id = 0u32;
        for _ in 0..20_000 {
            if rng.random::<f64>() < 0.55 {
                let t = c.now() + f64::from(rng.random_range(0..5u32)) * 0.5;
                c.schedule(t, id).unwrap();
                pending.push((t, id));
                id += 1;
            } else if let Some((t, e)) = {
                let earliest = pending.iter().map(|p| p.0).min_by(f64::total_cmp);
                assert_eq!(c.peek_time(), earliest);
                c.pop()
            } {
                // The earliest pending, first scheduled among equals (ids grow).
                let best = pending
                    .iter()
                    .enumerate()
                    .min_by(|a, b| a.1.0.total_cmp(&b.1.0).then(a.1.1.cmp(&b.1.1)))
                    .map(|(i, _)| i)
                    .unwrap();
                assert_eq!((t, e), pending.swap_remove(best));
            }
        }
        assert_eq!(c.len(), pending.len());
    }

    /// Heap events and slot events (5 slots: a winner tree with padding leaves)
    /// interleaved with pops at random, often equal, times come out exactly as a stable
    /// sort by (time, scheduling order) would order them; a slot rescheduled while
    /// pending replaces its event.
    #[test]
    fn slots_keep_the_order_of_a_stable_sort() {
        use rand::{RngExt, SeedableRng};
        const SLOTS: u32 = 5;
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(4);
        let mut c = Calendar::with_slots(4, (0..SLOTS).map(|i| 1_000_000 + i).collect());
        // (time, order of scheduling, payload)
        let mut pending: Vec<(f64, u64, u32)> = Vec::new();
        let (mut id, mut order) = (0u32, 0u64);
        for _ in 0..30_000 {
            let r = rng.random::<f64>();
            let t = c.now() + f64::from(rng.random_range(0..4u32)) * 0.5;
            if r < 0.3 {
                c.schedule(t, id).unwrap();
                pending.push((t, order, id));
                id += 1;
                order += 1;
            } else if r < 0.55 {
                let slot = rng.random_range(0..SLOTS);
                let event = 1_000_000 + slot;
                c.schedule_slot(slot as usize, t).unwrap();
                pending.retain(|p| p.2 != event);
                pending.push((t, order, event));
                order += 1;
            } else {
                let earliest = pending.iter().map(|p| p.0).min_by(f64::total_cmp);
                assert_eq!(c.peek_time(), earliest);
                let got = c.pop();
                let best = pending
                    .iter()
                    .enumerate()
                    .min_by(|a, b| a.1.0.total_cmp(&b.1.0).then(a.1.1.cmp(&b.1.1)))
                    .map(|(i, _)| i);
                let want = best.map(|i| pending.swap_remove(i)).map(|p| (p.0, p.2));
                assert_eq!(got, want);
            }
            assert_eq!(c.len(), pending.len());
        }
        assert!(c.schedule_slot(SLOTS as usize, c.now()).is_err());
        assert!(c.schedule_slot(0, c.now() - 1.0).is_err());
    }

    #[test]
    fn an_empty_slot_never_pops() {
        let mut c = Calendar::with_slots(0, vec!['s']);
        assert_eq!((c.pop(), c.peek_time(), c.len()), (None, None, 0));
        c.schedule(1.0, 'h').unwrap();
        assert_eq!(c.pop(), Some((1.0, 'h')));
        assert_eq!(c.pop(), None);
        c.schedule_slot(0, 2.0).unwrap();
        assert_eq!(c.pop_until(1.5), None);
        assert_eq!(c.pop_until(2.0), Some((2.0, 's')));
        assert!(c.is_empty());
    }
}
