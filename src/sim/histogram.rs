//! A streaming, mergeable, log-bucketed histogram for latency percentiles.
//!
//! # Buckets and the error bound
//! A positive value x = 2ᵉ·(1 + f) (IEEE 754, 0 ≤ f < 1) falls in bucket
//! (e, ⌊64 f⌋): each power of two is split into 64 equal sub-buckets, so a bucket is
//! [lo, lo + 2ᵉ/64) with lo ≥ 2ᵉ, and its width is at most lo/64. A quantile is reported
//! as the midpoint of the bucket holding the sample of rank ⌈q·n⌉ (the exact empirical
//! quantile), so the relative error is at most (2ᵉ/128)/lo ≤ **1/128 ≈ 0.78 %** (< 1 %),
//! for values in [2⁻³², 2³²) seconds (0.23 ns to 136 years). Zero is counted exactly
//! (waiting times have an atom at 0) in bucket 0, which also takes values below 2⁻³²
//! (reported as 0); values of 2³² and more are clamped to the last bucket. The bucket
//! index is the top bits of the float's representation: a mask, a shift, a saturating
//! subtraction and a clamp; no logarithm and no branch.
//!
//! Memory is fixed (4097 counters, 32 KiB) whatever the number of samples; two
//! histograms merge by adding counters, so per-replication histograms can be pooled.

use serde::{Deserialize, Serialize};

/// Sub-buckets per power of two: 2^6 = 64.
const SUB_BITS: u32 = 6;
/// Smallest exponent covered: 2^-32 s.
const MIN_EXP: i64 = -32;
/// Number of powers of two covered: [2^-32, 2^32).
const OCTAVES: usize = 64;
/// Number of buckets.
const BUCKETS: usize = OCTAVES << SUB_BITS;
/// Buckets: bucket 0 holds zero (and values below 2^-32), then 64 per power of two.
const BUCKETS_ALL: usize = BUCKETS + 1;
/// Float-bits scale index of bucket 1 (2^-32) minus one, so that 2^-32 maps to 1.
const OFFSET: u64 = (((1023 + MIN_EXP) as u64) << SUB_BITS) - 1;
/// Bits below the sub-bucket index.
const SHIFT: u32 = 52 - SUB_BITS;

/// The guaranteed relative error of [`Histogram::quantile`] for values in range: 1/128.
pub const RELATIVE_ERROR: f64 = 1.0 / 128.0;

/// Streaming log-bucketed histogram of non-negative values (seconds).
///
/// # Example
/// ```
/// use kendall::sim::Histogram;
/// let mut h = Histogram::new();
/// for i in 1..=1000 {
///     h.record(i as f64 * 1e-3);
/// }
/// let p99 = h.quantile(0.99).unwrap();
/// assert!((p99 - 0.990).abs() <= 0.990 * kendall::sim::RELATIVE_ERROR);
/// assert_eq!(Histogram::new().quantile(0.5), None);
/// ```
#[derive(Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(into = "Counts", try_from = "Counts")]
pub struct Histogram {
    /// A fixed-size array, so that recording at a clamped index needs no bounds check.
    counts: Box<[u64; BUCKETS_ALL]>,
}

/// The non-empty buckets of a [`Histogram`]: (bucket index, count) pairs in index
/// order. What a replication's result keeps of each latency (a few hundred pairs for a
/// latency spanning a few decades; at most 4097, 64 KiB), so that the replications of a
/// run, here or merged from elsewhere, pool into one histogram.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Buckets(pub Vec<(u32, u64)>);

impl Buckets {
    /// Whether no bucket holds a value (nothing recorded, or not kept).
    ///
    /// # Example
    /// ```
    /// use kendall::sim::{Buckets, Histogram};
    /// assert!(Buckets::default().is_empty());
    /// let mut h = Histogram::new();
    /// h.record(0.5);
    /// assert!(!h.buckets().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The serialised form of a [`Histogram`]: its counters as a list.
#[derive(Serialize, Deserialize, schemars::JsonSchema)]
struct Counts {
    counts: Vec<u64>,
}

impl From<Histogram> for Counts {
    fn from(h: Histogram) -> Self {
        Self {
            counts: h.counts.to_vec(),
        }
    }
}

impl TryFrom<Counts> for Histogram {
    type Error = String;
    fn try_from(c: Counts) -> Result<Self, String> {
        let n = c.counts.len();
        let counts = c.counts.into_boxed_slice().try_into().map_err(|_| {
            format!("a histogram has {BUCKETS_ALL} counters, not {n}: keep the list whole")
        })?;
        Ok(Self { counts })
    }
}

impl std::fmt::Debug for Histogram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Histogram")
            .field("count", &self.count())
            .finish_non_exhaustive()
    }
}

impl Default for Histogram {
    fn default() -> Self {
        Self::new()
    }
}

impl Histogram {
    /// An empty histogram (allocates its fixed 32 KiB of counters once).
    pub fn new() -> Self {
        Self {
            counts: Box::new([0; BUCKETS_ALL]),
        }
    }

    /// Bucket index of a value (its absolute value; NaN goes to the last bucket).
    #[inline(always)]
    fn index(x: f64) -> usize {
        let b = (x.to_bits() & 0x7FFF_FFFF_FFFF_FFFF) >> SHIFT;
        (b.saturating_sub(OFFSET) as usize).min(BUCKETS_ALL - 1)
    }

    /// Records one value, in seconds (≥ 0; a negative value counts as its magnitude).
    #[inline(always)]
    pub fn record(&mut self, x: f64) {
        // `index` clamps to the last bucket: no bounds check is left.
        self.counts[Self::index(x)] += 1;
    }

    /// Number of values recorded as zero (the first bucket: below 2^-32 s).
    pub fn count_zero(&self) -> u64 {
        self.counts[0]
    }

    /// Number of values recorded.
    pub fn count(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// Forgets every value (keeps the memory).
    pub fn clear(&mut self) {
        self.counts.fill(0);
    }

    /// Adds every value of `other` to `self`.
    ///
    /// # Example
    /// ```
    /// use kendall::sim::Histogram;
    /// let (mut a, mut b) = (Histogram::new(), Histogram::new());
    /// a.record(1.0);
    /// b.record(3.0);
    /// a.merge(&b);
    /// assert_eq!(a.count(), 2);
    /// ```
    pub fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.counts.iter_mut().zip(other.counts.iter()) {
            *a += *b;
        }
    }

    /// The non-empty buckets, to keep or send: see [`Buckets`].
    ///
    /// # Example
    /// ```
    /// use kendall::sim::Histogram;
    /// let mut h = Histogram::new();
    /// h.record(1.0);
    /// h.record(1.0);
    /// h.record(0.0);
    /// let b = h.buckets();
    /// assert_eq!(b.0.len(), 2);
    /// let mut pooled = Histogram::new();
    /// pooled.add(&b);
    /// pooled.add(&b);
    /// assert_eq!(pooled.count(), 6);
    /// assert_eq!(pooled.quantile(0.5), h.quantile(0.5));
    /// ```
    pub fn buckets(&self) -> Buckets {
        Buckets(
            self.counts
                .iter()
                .enumerate()
                .filter(|&(_, &c)| c > 0)
                .map(|(i, &c)| (i as u32, c))
                .collect(),
        )
    }

    /// Adds the counts of `buckets` (see [`Histogram::buckets`]); an index beyond the
    /// last bucket (a damaged file) counts in the last one, as a value too large does.
    pub fn add(&mut self, buckets: &Buckets) {
        for &(i, c) in &buckets.0 {
            let i = (i as usize).min(BUCKETS_ALL - 1);
            self.counts[i] = self.counts[i].saturating_add(c);
        }
    }

    /// Makes `self` a copy of `other` (no allocation).
    pub fn copy_from(&mut self, other: &Histogram) {
        self.counts.copy_from_slice(&other.counts[..]);
    }

    /// The q-quantile of the values recorded in `self` since it held the counts of
    /// `earlier` (a copy taken before, see [`copy_from`](Self::copy_from)): the quantile
    /// of the counter differences, as [`quantile`](Self::quantile). Counters below
    /// `earlier`'s (the histogram was cleared since) count as 0.
    ///
    /// # Example
    /// ```
    /// use kendall::sim::Histogram;
    /// let mut h = Histogram::new();
    /// h.record(10.0);
    /// let mut then = Histogram::new();
    /// then.copy_from(&h);
    /// h.record(1.0);
    /// h.record(1.0);
    /// let p = h.quantile_since(&then, 0.99).unwrap();
    /// assert!((p - 1.0).abs() < 0.01);
    /// ```
    pub fn quantile_since(&self, earlier: &Histogram, q: f64) -> Option<f64> {
        Self::quantile_of(|i| self.counts[i].saturating_sub(earlier.counts[i]), q)
    }

    /// The q-quantile, q in [0, 1]: the midpoint of the bucket holding the value of rank
    /// ⌈q·n⌉ (at least 1) in sorted order; 0 if that value is 0. Within
    /// [`RELATIVE_ERROR`] of the exact empirical quantile. `None` when empty or when
    /// q is outside [0, 1].
    pub fn quantile(&self, q: f64) -> Option<f64> {
        Self::quantile_of(|i| self.counts[i], q)
    }

    /// The share of the values above `t` (seconds, >= 0): P(X > t) of the empirical
    /// law, every bucket above t's counted whole and t's own bucket in proportion to the
    /// part of it above t (values spread evenly inside a bucket). Exact for t = 0 and at
    /// bucket edges; otherwise off by at most the share of t's bucket, whose width is at
    /// most t/64. `None` when empty or for a negative or non-finite t.
    ///
    /// # Example
    /// ```
    /// use kendall::sim::Histogram;
    /// let mut h = Histogram::new();
    /// for x in [0.0, 0.0, 1.0, 2.0] {
    ///     h.record(x);
    /// }
    /// assert_eq!(h.tail(0.0), Some(0.5));
    /// assert_eq!(h.tail(1.5), Some(0.25));
    /// assert_eq!(h.tail(4.0), Some(0.0));
    /// ```
    pub fn tail(&self, t: f64) -> Option<f64> {
        let count = self.count();
        if count == 0 || !(t.is_finite() && t >= 0.0) {
            return None;
        }
        let i = Self::index(t);
        let above: u64 = self.counts[i + 1..].iter().sum();
        let partial = if i == 0 || i == BUCKETS_ALL - 1 {
            0.0
        } else {
            let lo = f64::from_bits((i as u64 + OFFSET) << SHIFT);
            let hi = f64::from_bits((i as u64 + 1 + OFFSET) << SHIFT);
            self.counts[i] as f64 * ((hi - t) / (hi - lo)).clamp(0.0, 1.0)
        };
        Some(((above as f64 + partial) / count as f64).clamp(0.0, 1.0))
    }

    /// The q-quantile of the counters `count_at(0..BUCKETS_ALL)` (see [`quantile`](Self::quantile)).
    fn quantile_of(count_at: impl Fn(usize) -> u64, q: f64) -> Option<f64> {
        let count: u64 = (0..BUCKETS_ALL).map(&count_at).sum();
        if count == 0 || !(0.0..=1.0).contains(&q) {
            return None;
        }
        let rank = ((q * count as f64).ceil() as u64).clamp(1, count);
        let mut seen = 0;
        for i in 0..BUCKETS_ALL {
            seen += count_at(i);
            if seen >= rank {
                if i == 0 {
                    return Some(0.0);
                }
                let lo = f64::from_bits((i as u64 + OFFSET) << SHIFT);
                let hi = f64::from_bits((i as u64 + 1 + OFFSET) << SHIFT);
                return Some(0.5 * (lo + hi));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_distr::{Distribution, Exp1, LogNormal};
    use rand_xoshiro::Xoshiro256PlusPlus;

    fn exact(sorted: &[f64], q: f64) -> f64 {
        let n = sorted.len();
        let rank = ((q * n as f64).ceil() as usize).clamp(1, n);
        sorted[rank - 1]
    }

    /// Quantiles of 200 000 exponential and heavy-tailed lognormal samples, and of a
    /// sample with an atom at zero, lie within the stated bound of the exact empirical
    /// quantile of the sorted sample.
    #[test]
    fn quantiles_within_bound_of_sorted_sample() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
        let ln = LogNormal::new(-3.0, 2.0).unwrap();
        let samples: [Vec<f64>; 3] = [
            (0..200_000)
                .map(|_| {
                    let x: f64 = Exp1.sample(&mut rng);
                    x * 0.01
                })
                .collect(),
            (0..200_000).map(|_| ln.sample(&mut rng)).collect(),
            (0..200_000)
                .map(|i| {
                    let x: f64 = Exp1.sample(&mut rng);
                    if i % 3 == 0 { 0.0 } else { x }
                })
                .collect(),
        ];
        const { assert!(RELATIVE_ERROR < 0.01) };
        for mut xs in samples {
            let mut h = Histogram::new();
            xs.iter().for_each(|x| h.record(*x));
            xs.sort_by(f64::total_cmp);
            for q in [0.0, 0.1, 0.3, 0.5, 0.9, 0.95, 0.99, 0.999, 0.9999, 1.0] {
                let e = exact(&xs, q);
                let got = h.quantile(q).unwrap();
                assert!(
                    (got - e).abs() <= RELATIVE_ERROR * e,
                    "q {q}: {got} vs exact {e}"
                );
            }
        }
    }

    #[test]
    fn merge_equals_recording_everything() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        let (mut a, mut b, mut all) = (Histogram::new(), Histogram::new(), Histogram::new());
        for i in 0..10_000 {
            let x: f64 = Exp1.sample(&mut rng);
            if i % 2 == 0 {
                a.record(x)
            } else {
                b.record(x)
            }
            all.record(x);
        }
        a.merge(&b);
        assert_eq!(a, all);
    }

    #[test]
    fn serde_round_trip_keeps_the_counters() {
        let mut h = Histogram::new();
        h.record(0.5);
        h.record(0.0);
        let json = serde_json::to_string(&h).unwrap();
        assert!(json.starts_with("{\"counts\":[1,"));
        let back: Histogram = serde_json::from_str(&json).unwrap();
        assert_eq!(back, h);
        let short = serde_json::from_str::<Histogram>("{\"counts\":[1,2]}");
        assert!(
            short
                .unwrap_err()
                .to_string()
                .contains("4097 counters, not 2")
        );
    }

    #[test]
    fn bucket_edges() {
        // 1.0 is the start of a bucket; its bucket is [1, 1 + 1/64).
        let i = Histogram::index(1.0);
        assert_eq!(f64::from_bits((i as u64 + OFFSET) << SHIFT), 1.0);
        assert_eq!(
            f64::from_bits((i as u64 + 1 + OFFSET) << SHIFT),
            1.0 + 1.0 / 64.0
        );
        assert_eq!(Histogram::index(0.0), 0);
        assert_eq!(Histogram::index(1e-300), 0);
        assert_eq!(Histogram::index(2f64.powi(-32)), 1);
        assert_eq!(Histogram::index(1e300), BUCKETS_ALL - 1);
        assert_eq!(Histogram::index(f64::NAN), BUCKETS_ALL - 1);
        let mut h = Histogram::new();
        h.record(0.0);
        assert_eq!(h.quantile(1.0), Some(0.0));
        assert_eq!(h.quantile(1.5), None);
    }
}
