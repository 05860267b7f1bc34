//! Welford's streaming mean and variance.
//!
//! For each new value x: n ← n + 1, δ = x − m, m ← m + δ/n, M2 ← M2 + δ(x − m).
//! The sample variance is M2/(n − 1). Numerically stable where the textbook
//! Σx² − n·m² is not. Reference: Welford (1962), *Technometrics* 4(3), 419–420.

use serde::{Deserialize, Serialize};

/// Streaming mean and variance of a sequence of values.
///
/// # Example
/// ```
/// use kendall::sim::Welford;
/// let mut w = Welford::default();
/// for x in [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0] {
///     w.add(x);
/// }
/// assert_eq!(w.mean(), Some(5.0));
/// assert!((w.sample_variance().unwrap() - 32.0 / 7.0).abs() < 1e-12);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Welford {
    n: u64,
    mean: f64,
    m2: f64,
}

impl Welford {
    /// Adds one value.
    #[inline]
    pub fn add(&mut self, x: f64) {
        self.n += 1;
        let delta = x - self.mean;
        self.mean += delta / self.n as f64;
        self.m2 += delta * (x - self.mean);
    }

    /// Number of values added.
    pub fn count(&self) -> u64 {
        self.n
    }

    /// The mean; `None` before the first value.
    pub fn mean(&self) -> Option<f64> {
        (self.n > 0).then_some(self.mean)
    }

    /// The sample variance M2/(n − 1); `None` with fewer than two values.
    pub fn sample_variance(&self) -> Option<f64> {
        (self.n > 1).then(|| (self.m2 / (self.n - 1) as f64).max(0.0))
    }

    /// Merges another accumulator (Chan et al. 1979 parallel formula).
    ///
    /// # Example
    /// ```
    /// use kendall::sim::Welford;
    /// let (mut a, mut b, mut all) = (Welford::default(), Welford::default(), Welford::default());
    /// for x in [1.0, 2.0, 3.0] { a.add(x); all.add(x); }
    /// for x in [10.0, 20.0] { b.add(x); all.add(x); }
    /// a.merge(&b);
    /// assert!((a.mean().unwrap() - all.mean().unwrap()).abs() < 1e-12);
    /// assert!((a.sample_variance().unwrap() - all.sample_variance().unwrap()).abs() < 1e-9);
    /// ```
    pub fn merge(&mut self, other: &Welford) {
        if other.n == 0 {
            return;
        }
        if self.n == 0 {
            *self = *other;
            return;
        }
        let n = self.n + other.n;
        let delta = other.mean - self.mean;
        let nf = n as f64;
        self.mean += delta * other.n as f64 / nf;
        self.m2 += other.m2 + delta * delta * self.n as f64 * other.n as f64 / nf;
        self.n = n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_for_large_offsets() {
        // Values 1e9 + {4, 7, 13, 16}: variance 30 exactly (Knuth TAOCP vol. 2 §4.2.2).
        let mut w = Welford::default();
        for x in [4.0, 7.0, 13.0, 16.0] {
            w.add(1e9 + x);
        }
        assert!((w.sample_variance().unwrap() - 30.0).abs() < 1e-6);
        assert_eq!(Welford::default().mean(), None);
    }
}
