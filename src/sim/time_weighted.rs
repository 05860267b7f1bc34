//! Time-weighted integrals of piecewise-constant levels (queue length, busy servers).
//!
//! A level x(t) that changes only at events has time average
//! (1/T)∫₀ᵀ x(t) dt = (1/T) Σ xᵢ (tᵢ₊₁ − tᵢ). [`TimeIntegral`] keeps the running
//! integral of `N` levels that share their change instants, so one subtraction and `N`
//! multiply-adds update all of them.

/// Running integrals ∫ xᵢ(t) dt of `N` piecewise-constant levels.
///
/// # Example
/// ```
/// use kendall::sim::TimeIntegral;
/// let mut t = TimeIntegral::<1>::default();
/// t.advance(2.0, [0.0]);   // level 0 on [0, 2)
/// t.advance(5.0, [3.0]);   // level 3 on [2, 5)
/// assert_eq!(t.area()[0], 9.0);
/// assert_eq!(t.last(), 5.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimeIntegral<const N: usize> {
    last: f64,
    area: [f64; N],
}

impl<const N: usize> Default for TimeIntegral<N> {
    fn default() -> Self {
        Self {
            last: 0.0,
            area: [0.0; N],
        }
    }
}

impl<const N: usize> TimeIntegral<N> {
    /// Adds `levels × (now − last)` to the integrals and moves the clock to `now`.
    /// `levels` are the values held since the previous call.
    #[inline]
    pub fn advance(&mut self, now: f64, levels: [f64; N]) {
        let dt = now - self.last;
        for (a, x) in self.area.iter_mut().zip(levels) {
            *a += x * dt;
        }
        self.last = now;
    }

    /// The integrals so far.
    pub fn area(&self) -> [f64; N] {
        self.area
    }

    /// Time of the last update.
    pub fn last(&self) -> f64 {
        self.last
    }
}
