//! M/M/c/K with drop-head (push-out) overflow: RabbitMQ's default `max-length` policy.
//!
//! When the queue is full an arrival is still admitted and the **oldest waiting**
//! message is pushed out (dropped, or dead-lettered with reason `maxlen`), where
//! `on_full = "reject"` refuses the arrival instead. The number of messages in the
//! node follows the same birth–death chain either way, so L, Lq, P0, P(N = n), the
//! share of arrivals that find it full and the throughput are those of M/M/c/K
//! ([`MMcK`]). What changes is *which* message is lost, and so the wait of the served
//! ones: pushed-out messages are the oldest, so the served ones wait less.
//!
//! **Tagged-message chain.** A message that must wait sits at position j of the
//! waiting line (1 = head) with b messages behind it; the line holds N = K − c when
//! full. With all c consumers busy while anyone waits, from (j, b):
//! - a service completion (rate cμ) moves it to j − 1 (from j = 1: it is served);
//! - an arrival (rate λ) adds one behind it, (j, b + 1), or, when the line is full
//!   (j + b = N), pushes out the head: (j − 1, b + 1) (from j = 1: it is dropped).
//!
//! An arrival that sees n in the node (PASTA: the M/M/c/K probabilities π_n) starts at
//! (n − c + 1, 0) for c ≤ n < K, and at (N, 0) when the node is full (the head leaves
//! as it joins); for n < c it is served at once. The probability of being served and
//! the expected wait (of the served, and of all) solve a finite linear recursion that
//! j only decreases and b only increases, so it is evaluated in one pass, row j after
//! row j − 1, b downwards: exact, O(N²) time and O(N) memory, refused beyond
//! [`MAX_DROP_HEAD_LINE`] waiting places.
//!
//! Reported: W, Wq and P(wait) of the **served** messages (as for every node, the
//! figures of messages that finish), the rest from M/M/c/K; no percentiles (the wait
//! is phase-type but its distribution is not computed here). Checks: the share of
//! arrivals eventually pushed out equals π_K; λ·E[time waiting, over all arrivals]
//! equals Lq (Little); and with K = c + 1 the served wait has a closed form (tests).

use crate::analytic::error::AnalyticError;
use crate::analytic::method::Method;
use crate::analytic::metrics::QueueMetrics;
use crate::analytic::single::mmck::MMcK;

/// The most waiting places (K − c) the tagged-message chain is evaluated for: about
/// 12.5·10⁶ states, a fraction of a second.
pub const MAX_DROP_HEAD_LINE: u64 = 5_000;

/// An M/M/c/K queue whose overflow pushes out the oldest waiting message.
///
/// # Errors
/// Those of [`MMcK::new`]; [`AnalyticError::InvalidParameter`] when K = c (there is no
/// waiting message to push out) and [`AnalyticError::NoMethod`] when K − c exceeds
/// [`MAX_DROP_HEAD_LINE`].
///
/// # Example
/// ```
/// use kendall::analytic::{MMcK, MMcKDropHead, QueueMetrics};
/// let drop = MMcKDropHead::new(1.5, 1.0, 1, 5).unwrap();
/// let reject = MMcK::new(1.5, 1.0, 1, 5).unwrap();
/// // Same number in the node, same losses...
/// assert_eq!(drop.mean_number_in_system(), reject.mean_number_in_system());
/// assert_eq!(drop.throughput(), reject.throughput());
/// // ...but the served messages wait less: the oldest are the ones pushed out.
/// assert!(drop.mean_wait() < reject.mean_wait());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct MMcKDropHead {
    inner: MMcK,
    /// E[Wq | served].
    wq: f64,
    /// P(Wq > 0 | served).
    p_wait: f64,
    /// P(an arrival is eventually pushed out).
    pushed_out: f64,
    /// E[time waiting], over every arrival (pushed-out ones included).
    wait_all: f64,
}

impl MMcKDropHead {
    /// The queue with arrival rate λ, per-consumer service rate μ, `servers` c and
    /// `capacity` K > c.
    ///
    /// # Errors
    /// See the type's documentation.
    pub fn new(
        arrival_rate: f64,
        service_rate: f64,
        servers: u64,
        capacity: u64,
    ) -> Result<Self, AnalyticError> {
        let inner = MMcK::new(arrival_rate, service_rate, servers, capacity)?;
        if capacity <= servers {
            return Err(AnalyticError::InvalidParameter {
                name: "capacity",
                value: capacity as f64,
                rule: "an integer > servers for drop-head (a waiting message to push out)",
            });
        }
        let line = capacity - servers;
        if line > MAX_DROP_HEAD_LINE {
            return Err(AnalyticError::NoMethod {
                reason: format!(
                    "drop-head overflow is solved exactly for at most {MAX_DROP_HEAD_LINE} waiting places (capacity − consumers), this queue has {line}: simulate, or use on_full = \"reject\" for the same L and losses"
                ),
            });
        }
        let (lambda, cmu) = (arrival_rate, servers as f64 * service_rate);
        let n = line as usize;
        let step = 1.0 / (lambda + cmu);
        let (pl, pm) = (lambda * step, cmu * step);
        // Per row j: served probability P, E[wait·1{served}] U, E[wait] T, for b = 0..=N−j.
        let mut prev_p = vec![0.0; n + 2];
        let mut prev_u = vec![0.0; n + 2];
        let mut prev_t = vec![0.0; n + 2];
        let (mut cur_p, mut cur_u, mut cur_t) = (prev_p.clone(), prev_u.clone(), prev_t.clone());
        // Values at (j, 0), j = 1..=N: where arrivals start.
        let mut start = vec![(0.0, 0.0, 0.0); n + 1];
        for (j, slot) in start.iter_mut().enumerate().skip(1) {
            let top = n - j; // largest b on row j
            for b in (0..=top).rev() {
                // Service completion: to (j − 1, b), or served from j = 1.
                let (sp, su, st) = if j == 1 {
                    (1.0, 0.0, 0.0)
                } else {
                    (prev_p[b], prev_u[b], prev_t[b])
                };
                // Arrival: (j, b + 1) if there is room, else push-out to (j − 1, b + 1)
                // (dropped from j = 1).
                let (ap, au, at) = if b < top {
                    (cur_p[b + 1], cur_u[b + 1], cur_t[b + 1])
                } else if j == 1 {
                    (0.0, 0.0, 0.0)
                } else {
                    (prev_p[b + 1], prev_u[b + 1], prev_t[b + 1])
                };
                let p = pm * sp + pl * ap;
                cur_p[b] = p;
                cur_u[b] = step * p + pm * su + pl * au;
                cur_t[b] = step + pm * st + pl * at;
            }
            *slot = (cur_p[0], cur_u[0], cur_t[0]);
            std::mem::swap(&mut prev_p, &mut cur_p);
            std::mem::swap(&mut prev_u, &mut cur_u);
            std::mem::swap(&mut prev_t, &mut cur_t);
        }
        // Mix over what an arrival sees (PASTA).
        let (c, k) = (servers, capacity);
        let pi = |m: u64| inner.ln_prob_n(m).exp();
        let mut served_at_once = 0.0;
        for m in 0..c {
            served_at_once += pi(m);
        }
        let (mut served_after_wait, mut u, mut t) = (0.0, 0.0, 0.0);
        for m in c..=k {
            let j = if m == k { n } else { (m - c + 1) as usize };
            let (sp, su, st) = start[j];
            let w = pi(m);
            served_after_wait += w * sp;
            u += w * su;
            t += w * st;
        }
        let served = served_at_once + served_after_wait;
        Ok(Self {
            inner,
            wq: if served > 0.0 { u / served } else { 0.0 },
            p_wait: if served > 0.0 {
                (served_after_wait / served).clamp(0.0, 1.0)
            } else {
                0.0
            },
            pushed_out: (1.0 - served).clamp(0.0, 1.0),
            wait_all: t,
        })
    }

    /// The share of arrivals that are eventually pushed out (equal to P(full)).
    pub fn pushed_out(&self) -> f64 {
        self.pushed_out
    }

    /// E[time waiting] over every arrival, pushed-out ones included (λ times it is Lq).
    pub fn mean_wait_all(&self) -> f64 {
        self.wait_all
    }
}

impl QueueMetrics for MMcKDropHead {
    crate::analytic::metrics::forward_metrics!(
        inner:
        arrival_rate, throughput, utilisation, servers, mean_number_in_system,
        mean_queue_length, prob_empty, prob_n
    );
    fn method(&self) -> Method {
        Method::exact(
            "M/M/c/K with drop-head (push-out) overflow: tagged-message chain",
            "Gross et al. (2008), §2.5 (M/M/c/K); the push-out wait by first-step analysis of the tagged message's position",
        )
    }
    fn mean_sojourn(&self) -> f64 {
        self.wq + self.inner.mean_sojourn() - self.inner.mean_wait()
    }
    fn mean_wait(&self) -> f64 {
        self.wq
    }
    fn prob_wait(&self) -> Option<f64> {
        Some(self.p_wait)
    }
    /// P(an arrival finds the node full): it is admitted, and the head pushed out.
    fn prob_block(&self) -> Option<f64> {
        self.inner.prob_block()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, rel: f64) {
        assert!((a - b).abs() <= rel * b.abs().max(1e-300), "{a} vs {b}");
    }

    /// The two identities that hold whatever the order of service: every arrival at a
    /// full node pushes exactly one message out, and Little's law on the waiting line.
    #[test]
    fn losses_and_little_hold() {
        for (lambda, mu, c, k) in [
            (0.8, 1.0, 1u64, 3u64),
            (1.5, 1.0, 1, 10),
            (12.0, 1.0, 10, 40),
            (30.0, 1.0, 10, 200),
            (5.0, 2.0, 3, 4),
        ] {
            let q = MMcKDropHead::new(lambda, mu, c, k).unwrap();
            close(q.pushed_out(), q.prob_block().unwrap(), 1e-10);
            close(lambda * q.mean_wait_all(), q.mean_queue_length(), 1e-10);
            // Served messages wait less than under reject (FIFO, no push-out), at least
            // as long as zero.
            let reject = MMcK::new(lambda, mu, c, k).unwrap();
            assert!(q.mean_wait() <= reject.mean_wait() * (1.0 + 1e-12));
            assert!(q.mean_wait() >= 0.0);
        }
    }

    /// K = c + 1 (one waiting place): a waiting message is served if a consumer frees
    /// before the next arrival pushes it out, P = cμ/(λ + cμ), and then it waited
    /// Exp(λ + cμ): E[Wq | served] = P(wait | served)/(λ + cμ), with
    /// P(wait | served) = (π_c + π_{c+1})·P / (1 − π_{c+1}).
    #[test]
    fn one_waiting_place_closed_form() {
        for (lambda, mu, c) in [(1.0, 1.0, 1u64), (3.0, 1.0, 2), (0.5, 2.0, 4)] {
            let q = MMcKDropHead::new(lambda, mu, c, c + 1).unwrap();
            let cmu = c as f64 * mu;
            let stay = cmu / (lambda + cmu);
            let pc = q.prob_n(c).unwrap();
            let pk = q.prob_n(c + 1).unwrap();
            let p_wait = (pc + pk) * stay / (1.0 - pk);
            close(q.prob_wait().unwrap(), p_wait, 1e-12);
            close(q.mean_wait(), p_wait / (lambda + cmu), 1e-12);
        }
    }

    #[test]
    fn refusals() {
        assert!(MMcKDropHead::new(1.0, 1.0, 2, 2).is_err());
        assert!(matches!(
            MMcKDropHead::new(1.0, 1.0, 1, 1 + MAX_DROP_HEAD_LINE + 1),
            Err(AnalyticError::NoMethod { .. })
        ));
    }
}
