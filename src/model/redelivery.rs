//! Broker redelivery backoff: the delay before a failed (nacked) message is delivered
//! again, constant or exponential with a cap and jitter.
//!
//! A queue with `failure_probability` f redelivers a failed message after a backoff
//! (at most `max_attempts` deliveries, alias `max_deliveries`, then it is
//! dead-lettered). The backoff before delivery k + 1 (after the k-th failure) is
//! b_k = min(`backoff` · `backoff_multiplier`^(k−1), `max_backoff`), randomised by
//! `backoff_jitter` ([`Jitter`]: `none`, the default, keeps it exact; `full` draws
//! uniformly on [0, b_k]; `equal` on [b_k/2, b_k]). The defaults (multiplier 1, no
//! jitter) are a constant backoff, as before these fields existed.
//!
//! ```toml
//! [[queue]]
//! name = "payments"
//! consumers = 8
//! service = { type = "exponential", mean = "10ms" }
//! failure_probability = 0.05
//! max_deliveries = 5              # alias of max_attempts
//! backoff = "100ms"               # first redelivery after 100 ms…
//! backoff_multiplier = 2          # …then 200 ms, 400 ms, …
//! max_backoff = "1s"              # …at most 1 s
//! backoff_jitter = "full"         # uniform on [0, b]
//! ```

use super::error::Problem;
use super::queue::Queue;
use super::retry::Jitter;

impl Queue {
    /// The backoff b_k before the redelivery that follows the k-th failed delivery
    /// (k >= 1), before jitter, seconds.
    ///
    /// # Example
    /// ```
    /// use kendall::model::{Distribution, Jitter, Queue};
    /// let q = Queue::new("q", 1, Distribution::Exponential { mean: 0.01 })
    ///     .with_redelivery(0.1, 5, 0.1)
    ///     .with_backoff_growth(2.0, Some(0.3), Jitter::None);
    /// assert_eq!(q.redelivery_backoff(1), 0.1);
    /// assert_eq!(q.redelivery_backoff(2), 0.2);
    /// assert_eq!(q.redelivery_backoff(3), 0.3); // capped
    /// ```
    pub fn redelivery_backoff(&self, k: u32) -> f64 {
        let r = self.backoff_multiplier;
        let grown = if r == 1.0 {
            self.backoff
        } else {
            // r^(k−1) overflows to +∞ for large k: the cap then applies.
            self.backoff * r.powf(f64::from(k.saturating_sub(1)))
        };
        match self.max_backoff {
            Some(cap) => grown.min(cap),
            None => grown,
        }
    }

    /// The range [lo, hi] the jittered k-th backoff is drawn from (uniformly; lo = hi
    /// without jitter).
    pub fn redelivery_backoff_range(&self, k: u32) -> (f64, f64) {
        let b = self.redelivery_backoff(k);
        match self.backoff_jitter {
            Jitter::None => (b, b),
            Jitter::Full => (0.0, b),
            Jitter::Equal => (0.5 * b, b),
        }
    }

    /// Expected total backoff of one message over all its deliveries,
    /// Σ_{k=1}^{m−1} f^k·E[jittered b_k], in closed form (geometric sums before and
    /// after the cap; constant time for any `max_attempts`, "unlimited" included).
    /// +∞ when it diverges (a growing backoff without cap and unlimited attempts with
    /// f·multiplier ≥ 1; validation refuses an uncapped growing backoff).
    ///
    /// # Example
    /// ```
    /// use kendall::model::{Distribution, Jitter, Queue};
    /// // Constant 0.1 s, f = 0.5, 3 deliveries: 0.1·(0.5 + 0.25).
    /// let q = Queue::new("q", 1, Distribution::Exponential { mean: 0.01 }).with_redelivery(0.5, 3, 0.1);
    /// assert!((q.mean_total_backoff() - 0.075).abs() < 1e-15);
    /// ```
    pub fn mean_total_backoff(&self) -> f64 {
        let f = self.failure_probability;
        if f <= 0.0 || self.backoff == 0.0 {
            return 0.0;
        }
        let jitter = match self.backoff_jitter {
            Jitter::None => 1.0,
            Jitter::Full => 0.5,
            Jitter::Equal => 0.75,
        };
        // Backoffs follow failures 1..=n, n = m − 1 (unbounded for "unlimited").
        let n = if self.retries_until_success() {
            f64::INFINITY
        } else {
            f64::from(self.max_attempts.saturating_sub(1))
        };
        let (b, r) = (self.backoff, self.backoff_multiplier);
        // Failures k < kc have uncapped backoffs b·r^(k−1); from kc on, the cap.
        let kc = match self.max_backoff {
            Some(cap) if cap <= b => 1.0,
            Some(cap) if r > 1.0 => 1.0 + ((cap / b).ln() / r.ln()).ceil(),
            _ => f64::INFINITY,
        };
        let uncapped = n.min(kc - 1.0);
        // Σ_{k=1}^{u} f^k b r^(k−1) = (b/r)·Σ_{k=1}^{u} q^k, q = f·r.
        let q = f * r;
        let geometric = |q: f64, from: f64, to: f64| -> f64 {
            // Σ_{k=from}^{to} q^k for integers from ≤ to (to may be +∞ when q < 1).
            if to < from {
                return 0.0;
            }
            if q == 1.0 {
                return to - from + 1.0;
            }
            let head = from * q.ln();
            let tail = if to.is_infinite() {
                0.0
            } else {
                ((to + 1.0) * q.ln()).exp()
            };
            if q < 1.0 {
                (head.exp() - tail) / (1.0 - q)
            } else {
                (tail - head.exp()) / (q - 1.0)
            }
        };
        let before = if uncapped >= 1.0 {
            if q >= 1.0 && uncapped.is_infinite() {
                return f64::INFINITY;
            }
            b / r * geometric(q, 1.0, uncapped)
        } else {
            0.0
        };
        let after = match self.max_backoff {
            Some(cap) if kc.is_finite() && n >= kc => cap * geometric(f, kc, n),
            _ => 0.0,
        };
        jitter * (before + after)
    }

    /// Sets how the redelivery backoff grows: `multiplier` (>= 1) per failure, capped at
    /// `max_backoff` seconds, randomised by `jitter`.
    pub fn with_backoff_growth(
        mut self,
        multiplier: f64,
        max_backoff: Option<f64>,
        jitter: Jitter,
    ) -> Self {
        self.backoff_multiplier = multiplier;
        self.max_backoff = max_backoff;
        self.backoff_jitter = jitter;
        self
    }
}

/// The rules on the backoff growth fields, each refused with its path and the fix.
pub(crate) fn check_backoff_growth(q: &Queue, path: &str, out: &mut Vec<Problem>) {
    let r = q.backoff_multiplier;
    if !(r.is_finite() && r >= 1.0) {
        out.push(Problem::new(
            format!("{path}.backoff_multiplier"),
            format!("must be a finite number >= 1 (1 = constant backoff), got {r}"),
        ));
    }
    match q.max_backoff {
        Some(cap) if !(cap.is_finite() && cap > 0.0) => out.push(Problem::new(
            format!("{path}.max_backoff"),
            format!("must be a finite time > 0 (e.g. \"30s\"), got {cap}"),
        )),
        None if r > 1.0 => out.push(Problem::new(
            format!("{path}.max_backoff"),
            "is required with backoff_multiplier > 1: an uncapped exponential backoff grows without bound; set one (e.g. \"30s\")",
        )),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Distribution, Model};

    fn q(f: f64, m: u32, b: f64, r: f64, cap: Option<f64>, j: Jitter) -> Queue {
        Queue::new("q", 1, Distribution::Exponential { mean: 0.01 })
            .with_redelivery(f, m, b)
            .with_backoff_growth(r, cap, j)
    }

    /// The closed form against the direct sum Σ_{k=1}^{m−1} f^k E[b_k].
    #[test]
    fn closed_form_matches_the_direct_sum() {
        for (f, m, b, r, cap, j) in [
            (0.5, 3, 0.1, 1.0, None, Jitter::None),
            (0.3, 10, 0.05, 2.0, Some(0.4), Jitter::Full),
            (0.9, 200, 0.01, 1.5, Some(2.0), Jitter::Equal),
            (
                0.9,
                Queue::UNLIMITED_ATTEMPTS,
                0.01,
                1.5,
                Some(2.0),
                Jitter::None,
            ),
            (
                0.2,
                Queue::UNLIMITED_ATTEMPTS,
                0.1,
                3.0,
                Some(100.0),
                Jitter::Full,
            ),
            (0.5, 40, 1.0, 2.0, Some(0.5), Jitter::None), // cap below the base
        ] {
            let queue = q(f, m, b, r, cap, j);
            let terms = if m == Queue::UNLIMITED_ATTEMPTS {
                2000
            } else {
                m - 1
            };
            let mut direct = 0.0;
            for k in 1..=terms {
                let (lo, hi) = queue.redelivery_backoff_range(k);
                direct += f64::powi(f, k as i32) * 0.5 * (lo + hi);
            }
            let closed = queue.mean_total_backoff();
            assert!(
                (closed - direct).abs() <= 1e-12 * direct,
                "{f} {m} {b} {r} {cap:?} {j:?}: {closed} vs {direct}"
            );
        }
    }

    #[test]
    fn growth_needs_a_cap_and_a_sane_multiplier() {
        let model = |queue: Queue| crate::model::test_support::one_queue(queue).validate();
        let e = model(q(0.1, 3, 0.1, 2.0, None, Jitter::None))
            .unwrap_err()
            .to_string();
        assert!(e.contains("max_backoff") && e.contains("required"), "{e}");
        let e = model(q(0.1, 3, 0.1, 0.5, Some(1.0), Jitter::None))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("backoff_multiplier") && e.contains(">= 1"),
            "{e}"
        );
        assert!(model(q(0.1, 3, 0.1, 2.0, Some(1.0), Jitter::Full)).is_ok());
    }

    #[test]
    fn max_deliveries_is_max_attempts() {
        let m = Model::from_toml_str(
            r#"
            [[source]]
            name = "in"
            arrival = { type = "poisson", rate = 1 }
            to = "q"
            [[queue]]
            name = "q"
            consumers = 1
            service = { type = "exponential", mean = "10ms" }
            failure_probability = 0.1
            max_deliveries = 4
            backoff = "100ms"
            backoff_multiplier = 2
            max_backoff = "1s"
            backoff_jitter = "equal"
            "#,
        )
        .unwrap();
        let q = &m.queues[0];
        assert_eq!(q.max_attempts, 4);
        assert_eq!(q.backoff_jitter, Jitter::Equal);
        assert_eq!(q.max_backoff, Some(1.0));
    }
}
