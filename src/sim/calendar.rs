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
        Self {
            heap: Vec::with_capacity(capacity + PAD),
            len: 0,
            seq: 0,
            now: 0.0,
            hole: false,
        }
    }

    /// The time of the last event popped (0 at the start).
    #[inline]
    pub fn now(&self) -> f64 {
        self.now
    }

    /// Number of pending events.
    #[inline]
    pub fn len(&self) -> usize {
        self.len - usize::from(self.hole)
    }

    /// Whether no event is pending.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Schedules `event` at `time`.
    ///
    /// # Errors
    /// [`SimError::PastEvent`] if `time` is before [`Calendar::now`] or not a number.
    #[inline(always)]
    pub fn schedule(&mut self, time: f64, event: E) -> Result<(), SimError> {
        if time.is_nan() || time < self.now {
            return Err(SimError::PastEvent {
                now: self.now,
                time,
            });
        }
        // Non-negative floats order like their bit patterns (time >= now >= 0).
        let entry = Entry {
            key: (u128::from(time.to_bits()) << 64) | u128::from(self.seq),
            event,
        };
        self.seq += 1;
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

    /// Removes the earliest event (first scheduled among equal times), advancing the
    /// clock to its time.
    #[inline]
    pub fn pop(&mut self) -> Option<(f64, E)> {
        self.pop_until(f64::INFINITY)
    }

    /// Removes the earliest event if its time is at most `until`, as [`Calendar::pop`].
    #[inline(always)]
    pub fn pop_until(&mut self, until: f64) -> Option<(f64, E)> {
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
        if self.len == 0 {
            return None;
        }
        let top = self.heap[0];
        let time = f64::from_bits((top.key >> 64) as u64);
        if time > until {
            return None;
        }
        self.hole = true;
        self.now = time;
        Some((time, top.event))
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
        let key = if self.hole {
            // The earliest pending entry is among the root's children (or none:
            // sentinels only).
            self.heap[1..(1 + ARITY).min(self.heap.len())]
                .iter()
                .map(|e| e.key)
                .min()
                .filter(|k| *k != SENTINEL)?
        } else if self.len > 0 {
            self.heap[0].key
        } else {
            return None;
        };
        Some(f64::from_bits((key >> 64) as u64))
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
}
