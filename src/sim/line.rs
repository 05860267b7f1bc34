//! A waiting line: the messages of a queue (or one priority class, or one partition's
//! consumer) waiting for a consumer, first in first out.
//!
//! A ring buffer of message indices whose capacity is a power of two, so that a
//! position is a mask of a running counter: `push_back` and `pop_front` are a store or
//! load, an add and a compare (a `VecDeque` computes a wrap-around per call). The
//! buffer doubles when full and never shrinks, so a line stops allocating once it has
//! reached its working size.

/// A FIFO of message indices (see the module docs). Its length is below 2^32: message
/// indices are `u32`.
#[derive(Debug, Clone)]
pub(super) struct Line {
    /// The slots; `buf.len()` is a power of two, `mask + 1`.
    buf: Box<[u32]>,
    /// `buf.len() − 1`: a position's slot is `position & mask`, always in bounds.
    mask: u32,
    /// Position of the front (a running counter, taken modulo the capacity).
    head: u32,
    /// Position after the back; `tail − head` is the length.
    tail: u32,
}

impl Line {
    /// An empty line with room for at least `capacity` messages.
    pub(super) fn with_capacity(capacity: usize) -> Self {
        let n = capacity.clamp(1, 1 << 31).next_power_of_two();
        Self {
            buf: vec![0; n].into_boxed_slice(),
            mask: (n - 1) as u32,
            head: 0,
            tail: 0,
        }
    }

    /// The slot of position `p`.
    #[inline(always)]
    fn slot(&self, p: u32) -> usize {
        let i = (p & self.mask) as usize;
        debug_assert!(i < self.buf.len());
        i
    }

    /// Messages waiting.
    #[inline(always)]
    pub(super) fn len(&self) -> usize {
        self.tail.wrapping_sub(self.head) as usize
    }

    /// Whether no message waits.
    #[inline(always)]
    pub(super) fn is_empty(&self) -> bool {
        self.tail == self.head
    }

    /// Message `m` joins the back.
    #[inline(always)]
    pub(super) fn push_back(&mut self, m: u32) {
        if self.len() == self.buf.len() {
            self.grow();
        }
        let i = self.slot(self.tail);
        // SAFETY: `slot` masks with `mask = buf.len() − 1` (`buf.len()` a power of two),
        // so `i < buf.len()`.
        unsafe { *self.buf.get_unchecked_mut(i) = m };
        self.tail = self.tail.wrapping_add(1);
    }

    /// Message `m` joins the front (a preempted or replayed message).
    #[inline]
    pub(super) fn push_front(&mut self, m: u32) {
        if self.len() == self.buf.len() {
            self.grow();
        }
        self.head = self.head.wrapping_sub(1);
        let i = self.slot(self.head);
        self.buf[i] = m;
    }

    /// The message at the front, if any.
    #[inline(always)]
    pub(super) fn front(&self) -> Option<&u32> {
        if self.is_empty() {
            return None;
        }
        self.buf.get(self.slot(self.head))
    }

    /// Takes the message at the front, if any.
    #[inline(always)]
    pub(super) fn pop_front(&mut self) -> Option<u32> {
        if self.is_empty() {
            return None;
        }
        let i = self.slot(self.head);
        // SAFETY: as in `push_back`, `i < buf.len()`.
        let m = unsafe { *self.buf.get_unchecked(i) };
        self.head = self.head.wrapping_add(1);
        Some(m)
    }

    /// Takes every message, front first.
    pub(super) fn drain(&mut self) -> impl Iterator<Item = u32> + '_ {
        std::iter::from_fn(move || self.pop_front())
    }

    /// Doubles the capacity, keeping the order (cold: a line grows a few times in a
    /// run, to its working size).
    #[cold]
    #[inline(never)]
    fn grow(&mut self) {
        let old = self.buf.len();
        let mut buf = vec![0; 2 * old].into_boxed_slice();
        for (k, slot) in buf.iter_mut().take(old).enumerate() {
            *slot = self.buf[self.slot(self.head.wrapping_add(k as u32))];
        }
        self.buf = buf;
        self.mask = (2 * old - 1) as u32;
        self.head = 0;
        self.tail = old as u32;
    }
}

#[cfg(test)]
mod tests {
    use super::Line;
    use std::collections::VecDeque;

    /// Any sequence of pushes and pops gives what a `VecDeque` gives, through growth
    /// and with the counters wrapping around u32.
    #[test]
    fn behaves_like_a_vecdeque() {
        for start in [0u32, u32::MAX - 5] {
            let mut line = Line::with_capacity(1);
            line.head = start;
            line.tail = start;
            let mut model = VecDeque::new();
            let mut x = 12345u64;
            for step in 0..20_000u32 {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                match (x >> 60) % 4 {
                    0 | 1 => {
                        line.push_back(step);
                        model.push_back(step);
                    }
                    2 if step % 7 == 0 => {
                        line.push_front(step);
                        model.push_front(step);
                    }
                    _ => assert_eq!(line.pop_front(), model.pop_front()),
                }
                assert_eq!(line.len(), model.len());
                assert_eq!(line.front(), model.front());
            }
            let rest: Vec<u32> = line.drain().collect();
            assert_eq!(rest, Vec::from(model));
            assert!(line.is_empty());
        }
    }

    #[test]
    fn stops_growing_at_its_working_size() {
        let mut line = Line::with_capacity(4);
        for m in 0..5 {
            line.push_back(m);
        }
        let cap = line.buf.len();
        assert_eq!(cap, 8);
        for m in 0..100_000 {
            line.pop_front();
            line.push_back(m);
        }
        assert_eq!(line.buf.len(), cap);
    }
}
