//! The event calendar: pending events ordered by (time, insertion sequence).
//!
//! Simultaneous events come out in the order they were scheduled, so a run never
//! depends on heap internals and no simultaneous event is lost or reordered. Times
//! are non-negative, so the IEEE 754 bits of a time order like the time itself; the key
//! `(time bits << 64) | sequence` is a single `u128` compared in one instruction pair.
//! Scheduling before the current time is an error ([`SimError::PastEvent`]).

use super::error::SimError;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

#[derive(Clone, Copy)]
struct Entry<E> {
    key: u128,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    /// Reversed, so that the max-heap pops the earliest key.
    fn cmp(&self, other: &Self) -> Ordering {
        other.key.cmp(&self.key)
    }
}

/// A min-calendar of events of type `E` keyed by (time, insertion sequence).
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
    heap: BinaryHeap<Entry<E>>,
    seq: u64,
    now: f64,
}

impl<E: Copy> Calendar<E> {
    /// An empty calendar at time 0 with room for `capacity` events.
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            heap: BinaryHeap::with_capacity(capacity),
            seq: 0,
            now: 0.0,
        }
    }

    /// The time of the last event popped (0 at the start).
    #[inline]
    pub fn now(&self) -> f64 {
        self.now
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// Whether no event is pending.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// Schedules `event` at `time`.
    ///
    /// # Errors
    /// [`SimError::PastEvent`] if `time` is before [`Calendar::now`] or not a number.
    #[inline]
    pub fn schedule(&mut self, time: f64, event: E) -> Result<(), SimError> {
        if time.is_nan() || time < self.now {
            return Err(SimError::PastEvent {
                now: self.now,
                time,
            });
        }
        let key = (u128::from(time.to_bits()) << 64) | u128::from(self.seq);
        self.seq += 1;
        self.heap.push(Entry { key, event });
        Ok(())
    }

    /// Removes the earliest event (first scheduled among equal times), advancing the
    /// clock to its time.
    #[inline]
    pub fn pop(&mut self) -> Option<(f64, E)> {
        let e = self.heap.pop()?;
        self.now = f64::from_bits((e.key >> 64) as u64);
        Some((self.now, e.event))
    }

    /// The time of the earliest pending event.
    pub fn peek_time(&self) -> Option<f64> {
        self.heap
            .peek()
            .map(|e| f64::from_bits((e.key >> 64) as u64))
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
}
