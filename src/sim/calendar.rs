//! The event calendar: pending events ordered by (time, insertion sequence).
//!
//! Simultaneous events come out in the order they were scheduled, so a run never
//! depends on heap internals and no simultaneous event is lost or reordered. Times
//! are non-negative, so the IEEE 754 bits of a time order like the time itself: the key
//! is the pair (time bits, sequence) of two integers. The calendar is a 4-ary implicit
//! heap (half the depth of a binary heap, siblings adjacent in memory), with O(log n)
//! schedule and pop. Scheduling before the current time is an error
//! ([`SimError::PastEvent`]).
//!
//! A pop is lazy: the popped entry stays at the root as a *hole* until the next call. A
//! simulator handling an event almost always schedules another one; that schedule fills
//! the hole with one sift-down, instead of the removal's sift-down of the last entry
//! plus the insertion's sift-up. The order of events is the same either way: keys are
//! unique.

use super::error::SimError;

/// A pending event: its key (time bits in the high 64 bits, sequence number in the
/// low 64, one integer compared without branches) and payload.
#[derive(Clone, Copy)]
struct Entry<E> {
    key: u128,
    event: E,
}

impl<E> Entry<E> {
    #[inline(always)]
    fn key(&self) -> u128 {
        self.key
    }

    /// The time bits.
    #[inline(always)]
    fn time(&self) -> u64 {
        (self.key >> 64) as u64
    }

    #[inline(always)]
    fn before(&self, other: &Self) -> bool {
        self.key < other.key
    }
}

/// Children per node of the heap: a 4-ary heap is half as deep as a binary one and
/// its children sit side by side in memory.
const ARITY: usize = 4;
// The sift-down's tournament is written for four children.
const _: () = assert!(ARITY == 4);

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
    /// The heap; when `hole` is set, `heap[0]` is the entry popped last (no longer
    /// pending) and `heap[1..]` are the pending entries, each subtree a heap.
    heap: Vec<Entry<E>>,
    seq: u64,
    now: f64,
    hole: bool,
}

impl<E: Copy> Calendar<E> {
    /// An empty calendar at time 0 with room for `capacity` events.
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            heap: Vec::with_capacity(capacity),
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
        self.heap.len() - usize::from(self.hole)
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
        let mut i = self.heap.len();
        self.heap.push(entry);
        // Sift up with a hole.
        while i > 0 {
            let parent = (i - 1) / ARITY;
            if entry.before(&self.heap[parent]) {
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
            let last = self.heap.pop()?;
            if !self.heap.is_empty() {
                self.sift_down(last);
            }
        }
        let top = *self.heap.first()?;
        if f64::from_bits(top.time()) > until {
            return None;
        }
        self.hole = true;
        self.now = f64::from_bits(top.time());
        Some((self.now, top.event))
    }

    /// Places `entry` at the root and sifts it down with a hole.
    #[inline(always)]
    fn sift_down(&mut self, entry: Entry<E>) {
        let n = self.heap.len();
        let key = entry.key();
        let mut i = 0;
        loop {
            let first = ARITY * i + 1;
            let best = if first + ARITY <= n {
                // A full family: a branch-free tournament of indices (keys are unique).
                let h = &self.heap[first..first + ARITY];
                let a = usize::from(h[1].key < h[0].key);
                let b = 2 + usize::from(h[3].key < h[2].key);
                let best = if h[b].key < h[a].key { b } else { a };
                first + best
            } else if first < n {
                let mut best = first;
                for c in first + 1..n {
                    if self.heap[c].key < self.heap[best].key {
                        best = c;
                    }
                }
                best
            } else {
                break;
            };
            if self.heap[best].key < key {
                self.heap[i] = self.heap[best];
                i = best;
            } else {
                break;
            }
        }
        self.heap[i] = entry;
    }

    /// The time of the earliest pending event.
    #[inline]
    pub fn peek_time(&self) -> Option<f64> {
        let pending = if self.hole {
            // The earliest pending entry is among the root's children.
            let end = (1 + ARITY).min(self.heap.len());
            self.heap.get(1..end)?.iter().min_by_key(|e| e.key())
        } else {
            self.heap.first()
        };
        pending.map(|e| f64::from_bits(e.time()))
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
