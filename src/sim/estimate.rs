//! Confidence intervals across independent replications (Student's t).
//!
//! From replication values x₁..xₙ: mean x̄, sample standard deviation s, and the
//! half-width h = t_{n−1, (1+γ)/2} · s / √n at confidence γ; the interval is
//! [x̄ − h, x̄ + h]. Valid when the replications are independent and their values are
//! roughly normal (true for means of long runs). Reference: Law (2015), *Simulation
//! Modeling and Analysis*, 5th ed., §9.4.1.

use super::welford::Welford;
use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, StudentsT};

/// A figure estimated from independent replications, with its confidence interval.
/// `half_width`, `lower` and `upper` are absent with fewer than two replications.
///
/// # Example
/// ```
/// use kendall::sim::Estimate;
/// let e = Estimate::from_values([1.0, 2.0, 3.0], 0.95).unwrap();
/// assert_eq!(e.mean, 2.0);
/// // t(2, 0.975) = 4.302653, s = 1: h = 4.302653 / sqrt(3)
/// assert!((e.half_width.unwrap() - 2.484138).abs() < 1e-6);
/// assert!(Estimate::from_values([5.0], 0.95).unwrap().half_width.is_none());
/// assert!(Estimate::from_values([], 0.95).is_none());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Estimate {
    /// The estimate: the mean over the replications; for a simulated percentile, the
    /// quantile of all replications' messages pooled (see [`Estimate::sectioned`]).
    pub mean: f64,
    /// Half-width of the confidence interval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub half_width: Option<f64>,
    /// Lower end of the confidence interval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lower: Option<f64>,
    /// Upper end of the confidence interval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upper: Option<f64>,
    /// Number of replications that produced a value.
    pub replications: u32,
}

impl Estimate {
    /// A figure known exactly (a deployed number, not a measurement): the interval
    /// has zero width.
    ///
    /// # Example
    /// ```
    /// let e = kendall::sim::Estimate::exact(4.0, 10);
    /// assert_eq!((e.lower, e.upper, e.half_width), (Some(4.0), Some(4.0), Some(0.0)));
    /// ```
    pub fn exact(value: f64, replications: u32) -> Self {
        Self {
            mean: value,
            half_width: Some(0.0),
            lower: Some(value),
            upper: Some(value),
            replications,
        }
    }

    /// The estimate from replication values at confidence level `confidence` in (0, 1).
    /// `None` when there are no values or `confidence` is not in (0, 1); non-finite
    /// values are skipped.
    pub fn from_values(values: impl IntoIterator<Item = f64>, confidence: f64) -> Option<Self> {
        if !(confidence > 0.0 && confidence < 1.0) {
            return None;
        }
        let mut w = Welford::default();
        for v in values {
            if v.is_finite() {
                w.add(v);
            }
        }
        let mean = w.mean()?;
        let n = w.count();
        let half_width = w.sample_variance().and_then(|var| {
            let t = StudentsT::new(0.0, 1.0, (n - 1) as f64)
                .ok()?
                .inverse_cdf(0.5 * (1.0 + confidence));
            let h = t * (var / n as f64).sqrt();
            h.is_finite().then_some(h)
        });
        Some(Self {
            mean,
            half_width,
            lower: half_width.map(|h| mean - h),
            upper: half_width.map(|h| mean + h),
            replications: n as u32,
        })
    }

    /// A quantile estimated by sectioning (Asmussen & Glynn (2007), *Stochastic
    /// Simulation*, §III.5a; Nakayama (2014), "Confidence intervals using sectioning
    /// for the quantile", ACM TOMACS 24(4)). The point is `pooled`, the quantile of all
    /// replications' observations together, whose bias is that of one run as long as
    /// all of them (the mean of the replications' own quantiles keeps the bias of one
    /// short run: a p999 at heavy load came out 35% low, far outside its interval). The
    /// half-width is t_{n−1, (1+γ)/2} · s / √n with s² = Σ(ξᵢ − pooled)²/(n − 1), the
    /// spread of the n replications' own quantiles `sections` about the pooled one,
    /// plus `resolution`, the bound on the rounding of a quantile by the histogram, so
    /// that no interval is narrower than the binning (all replications' p999 in one
    /// bucket gave "± 0"). `None` without a finite `pooled` or a section, or when
    /// `confidence` is not in (0, 1); no interval with one section. Non-finite sections
    /// are skipped.
    ///
    /// # Example
    /// ```
    /// use kendall::sim::Estimate;
    /// // Sections 1, 2, 3 about a pooled 2.5: s² = (2.25 + 0.25 + 0.25)/2 = 1.375.
    /// let e = Estimate::sectioned(2.5, [1.0, 2.0, 3.0], 0.95, 0.01).unwrap();
    /// assert_eq!(e.mean, 2.5);
    /// let h = 4.302653 * (1.375f64 / 3.0).sqrt() + 0.01;
    /// assert!((e.half_width.unwrap() - h).abs() < 1e-6);
    /// // Every section in one bucket: the interval is the rounding bound, not zero.
    /// let e = Estimate::sectioned(0.5, [0.5, 0.5], 0.95, 0.004).unwrap();
    /// assert_eq!((e.lower, e.upper), (Some(0.496), Some(0.504)));
    /// ```
    pub fn sectioned(
        pooled: f64,
        sections: impl IntoIterator<Item = f64>,
        confidence: f64,
        resolution: f64,
    ) -> Option<Self> {
        if !(confidence > 0.0 && confidence < 1.0 && pooled.is_finite()) {
            return None;
        }
        let (mut n, mut sq) = (0u64, 0.0);
        for x in sections.into_iter().filter(|x| x.is_finite()) {
            n += 1;
            sq += (x - pooled) * (x - pooled);
        }
        if n == 0 {
            return None;
        }
        let half_width = (n > 1).then(|| {
            let t = StudentsT::new(0.0, 1.0, (n - 1) as f64)
                .ok()?
                .inverse_cdf(0.5 * (1.0 + confidence));
            let h = t * (sq / (n - 1) as f64 / n as f64).sqrt() + resolution.max(0.0);
            h.is_finite().then_some(h)
        });
        let half_width = half_width.flatten();
        Some(Self {
            mean: pooled,
            half_width,
            lower: half_width.map(|h| pooled - h),
            upper: half_width.map(|h| pooled + h),
            replications: n as u32,
        })
    }

    /// The same estimate with its interval clipped to the support `[lo, hi]` of the
    /// quantity (a utilisation or probability cannot leave [0, 1], a time or count
    /// cannot be negative): the Student-t interval intersected with the support, so it
    /// may be asymmetric about the mean; `half_width` stays the t half-width.
    ///
    /// # Example
    /// ```
    /// let e = kendall::sim::Estimate::from_values([0.0, 0.0, 1.0], 0.95).unwrap();
    /// assert!(e.lower.unwrap() < 0.0 && e.upper.unwrap() > 1.0);
    /// let p = e.within(0.0, 1.0);
    /// assert_eq!((p.lower, p.upper), (Some(0.0), Some(1.0)));
    /// assert_eq!(p.mean, e.mean);
    /// ```
    pub fn within(self, lo: f64, hi: f64) -> Self {
        Self {
            lower: self.lower.map(|l| l.clamp(lo, hi)),
            upper: self.upper.map(|u| u.clamp(lo, hi)),
            ..self
        }
    }

    /// Whether `value` lies in the confidence interval (`false` without one).
    pub fn covers(&self, value: f64) -> bool {
        matches!((self.lower, self.upper), (Some(l), Some(u)) if l <= value && value <= u)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantiles_from_tables() {
        // Student t table (e.g. Law 2015, Table T.1): t(9, 0.975) = 2.262157,
        // t(4, 0.995) = 4.604095.
        let xs = [1.0, 3.0, 2.0, 5.0, 4.0, 6.0, 8.0, 7.0, 9.0, 10.0];
        let e = Estimate::from_values(xs, 0.95).unwrap();
        let s = (xs.iter().map(|x| (x - 5.5f64).powi(2)).sum::<f64>() / 9.0).sqrt();
        assert!((e.half_width.unwrap() - 2.262157 * s / 10f64.sqrt()).abs() < 1e-5);
        let e = Estimate::from_values([1.0, 2.0, 3.0, 4.0, 5.0], 0.99).unwrap();
        let s = 2.5f64.sqrt();
        assert!((e.half_width.unwrap() - 4.604095 * s / 5f64.sqrt()).abs() < 1e-5);
        assert!(e.covers(3.0) && !e.covers(100.0));
    }
}
