//! M/G/1 with server interruptions: the consumer stops for a pause at Poisson times,
//! and some pauses bring a batch of replayed messages to redo first (a Kafka consumer
//! group's rebalances, see [`Queue::rebalance`](crate::model::Queue::rebalance)).
//!
//! Messages arrive as a Poisson stream of rate λ and take S each (any law with a
//! finite second moment). Interruptions arrive as an independent Poisson stream of
//! rate ν, busy or idle; each one takes the server for X = D + I·B: a fixed pause D,
//! and with probability q (I = 1) a replay batch B of N messages (service S each),
//! N ~ Poisson(λ·U·T) with U uniform on (0, 1): the messages completed since the last
//! offset commit, T seconds apart. Interruptions pre-empt messages (resume): they are
//! the higher of two priority classes, the messages the lower one, FIFO among them.
//!
//! With σ₁ = νE\[X\], σ = σ₁ + λE\[S\] < 1 and R = (νE\[X²\] + λE\[S²\])/2 (the mean
//! residual work seen by an arrival), the preemptive-resume priority formulas give
//! (Kleinrock 1976, *Queueing Systems* Vol. 2, §3.7; Takagi 1991, *Queueing Analysis*
//! Vol. 1, §3.5):
//! - Wq = R/((1 − σ₁)(1 − σ)): from arrival to the start of service (the work found,
//!   V, stretched by the interruptions that arrive meanwhile);
//! - W = Wq + E\[S\]/(1 − σ₁) (the service stretched the same way); L = λW, Lq = λWq;
//! - P(wait) = σ (PASTA: the server has work), utilisation λE\[S\] + νqE\[B\] (replays
//!   are work done twice).
//!
//! Distributions, by transforms: the interruptions' busy period Θ solves
//! Θ*(s) = X*(s + ν(1 − Θ*(s))) (iterated: a contraction of ratio σ₁); with
//! η(s) = s + ν(1 − Θ*(s)) and the work found by an arrival
//! V*(u) = (1 − σ)u/(u − λ(1 − S*(u)) − ν(1 − X*(u))) (Pollaczek–Khinchine for the two
//! classes together), the wait has transform V*(η(s)) and the sojourn V*(η(s))·S*(η(s)),
//! with X*(s) = e^{−sD}(1 − q + q·B*(s)) and B*(s) = (1 − e^{−z})/z, z = λT(1 − S*(s)).
//! They are inverted numerically (Euler, Abate & Whitt 1995: see
//! [`transform`](super::transform)), about 1e-8 absolute, and the percentiles found by
//! root finding. No lognormal service (no transform): means only.

use crate::analytic::error::{AnalyticError, positive};
use crate::analytic::method::Method;
use crate::analytic::metrics::{QueueMetrics, invert_cdf};
use crate::analytic::single::transform::{self, C, lst};
use crate::model::Distribution;

/// Most iterations of the busy-period fixed point (it contracts by σ₁ each time).
const MAX_ITERATIONS: usize = 100_000;

/// The interruptions of an [`MG1Interrupted`] server.
///
/// # Example
/// ```
/// use kendall::analytic::Interruptions;
/// use kendall::model::Distribution;
/// // A 3 s pause about every 76 s; one in 24 brings back 5 s of completed messages.
/// let i = Interruptions {
///     rate: 1.0 / 76.0,
///     pause: Distribution::Deterministic { value: 3.0 },
///     replay_probability: 1.0 / 24.0,
///     replay_window: 5.0,
/// };
/// assert_eq!(i.pause.mean(), 3.0);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Interruptions {
    /// Interruptions per second (Poisson), ν.
    pub rate: f64,
    /// The pause each one takes, D (seconds; any law with a finite second moment,
    /// `Deterministic { value: 0.0 }` for none).
    pub pause: Distribution,
    /// The probability q that an interruption also brings a replay batch.
    pub replay_probability: f64,
    /// T, seconds: a replay batch redoes the messages completed in the last U·T seconds
    /// (U uniform on (0, 1)); 0 for none.
    pub replay_window: f64,
}

/// M/G/1 whose server is interrupted at Poisson times (preemptive-resume priority of
/// the interruptions), with replay batches: see the module docs.
///
/// # Errors
/// [`AnalyticError::InvalidParameter`] for a non-finite or negative parameter (a
/// non-positive arrival rate), [`AnalyticError::Unstable`] when σ = νE\[X\] + λE\[S\] >= 1.
///
/// # Example
/// ```
/// use kendall::analytic::{Interruptions, MG1Interrupted, QueueMetrics};
/// use kendall::model::Distribution;
/// let service = Distribution::Exponential { mean: 1.0 };
/// // No interruptions: M/M/1 with λ = 0.5, μ = 1, W = 2.
/// let none = Interruptions {
///     rate: 0.0,
///     pause: Distribution::Deterministic { value: 0.0 },
///     replay_probability: 0.0,
///     replay_window: 0.0,
/// };
/// let q = MG1Interrupted::new(0.5, &service, none.clone()).unwrap();
/// assert!((q.mean_sojourn() - 2.0).abs() < 1e-12);
/// assert!((q.sojourn_cdf(1.0).unwrap() - (1.0 - (-0.5f64).exp())).abs() < 1e-7);
/// // A pause of 10 s every 100 s: σ₁ = 0.1, σ = 0.6, R = (0.01·100 + 0.5·2)/2 = 1,
/// // W = R/((1 − σ₁)(1 − σ)) + E[S]/(1 − σ₁) = 3.888…
/// let pauses = Interruptions {
///     rate: 0.01,
///     pause: Distribution::Deterministic { value: 10.0 },
///     ..none
/// };
/// let p = MG1Interrupted::new(0.5, &service, pauses).unwrap();
/// assert!((p.mean_sojourn() - (1.0 / (0.9 * 0.4) + 1.0 / 0.9)).abs() < 1e-12);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct MG1Interrupted {
    lambda: f64,
    service: Distribution,
    int: Interruptions,
    /// ν·E\[X\].
    sigma1: f64,
    /// σ₁ + λE\[S\].
    sigma: f64,
    wq: f64,
    w: f64,
    replay_work: f64,
    /// The service law has a transform (not lognormal).
    transforms: bool,
}

impl MG1Interrupted {
    /// Where the formulas come from.
    pub const REFERENCE: &'static str = "Kleinrock (1976), Queueing Systems Vol. 2, §3.7; Takagi (1991), Queueing Analysis Vol. 1, §3.5 (M/G/1 with preemptive-resume interruptions)";

    /// `lambda` messages/s served by `service`, interrupted by `int`.
    pub fn new(
        lambda: f64,
        service: &Distribution,
        int: Interruptions,
    ) -> Result<Self, AnalyticError> {
        positive("arrival_rate", lambda)?;
        let (p1, p2) = (int.pause.mean(), int.pause.second_moment());
        for (name, v) in [
            ("interruption_rate", int.rate),
            ("pause", p1),
            ("pause_second_moment", p2),
            ("replay_window", int.replay_window),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(AnalyticError::InvalidParameter {
                    name,
                    value: v,
                    rule: "a finite number >= 0",
                });
            }
        }
        let q = int.replay_probability;
        if !(0.0..=1.0).contains(&q) {
            return Err(AnalyticError::InvalidParameter {
                name: "replay_probability",
                value: q,
                rule: "a probability in [0, 1]",
            });
        }
        let m1 = service.mean();
        let m2 = service.second_moment();
        // Replay batch: N ~ Poisson(ΛU), Λ = λT; E[N] = Λ/2, E[N²] = Λ/2 + Λ²/3.
        let big = lambda * int.replay_window;
        let (en, en2) = (big / 2.0, big / 2.0 + big * big / 3.0);
        let eb = en * m1;
        let eb2 = en * (m2 - m1 * m1) + en2 * m1 * m1;
        let ex = p1 + q * eb;
        let ex2 = p2 + q * (2.0 * p1 * eb + eb2);
        let sigma1 = int.rate * ex;
        let sigma = sigma1 + lambda * m1;
        if sigma.is_nan() || sigma >= 1.0 {
            return Err(AnalyticError::Unstable { utilisation: sigma });
        }
        let r = (int.rate * ex2 + lambda * m2) / 2.0;
        let wq = r / ((1.0 - sigma1) * (1.0 - sigma));
        let w = wq + m1 / (1.0 - sigma1);
        if !(w.is_finite()) {
            return Err(AnalyticError::InvalidParameter {
                name: "service",
                value: m2,
                rule: "a law with a finite second moment",
            });
        }
        Ok(Self {
            lambda,
            service: service.clone(),
            sigma1,
            sigma,
            wq,
            w,
            replay_work: int.rate * q * eb,
            transforms: ![service, &int.pause]
                .iter()
                .any(|d| matches!(d, Distribution::Lognormal { .. })),
            int,
        })
    }

    /// ν·E\[X\]: the share of time the interruptions take the server.
    pub fn interrupted_share(&self) -> f64 {
        self.sigma1
    }

    /// X*(s): one interruption's work.
    fn x_star(&self, s: C) -> Option<C> {
        let one = C::new(1.0, 0.0);
        let q = self.int.replay_probability;
        let batch = if q > 0.0 && self.int.replay_window > 0.0 {
            let z = (one - lst(&self.service, s)?) * (self.lambda * self.int.replay_window);
            if z.norm() < 1e-8 {
                one - z / 2.0
            } else {
                (one - (-z).exp()) / z
            }
        } else {
            one
        };
        Some(lst(&self.int.pause, s)? * (one * (1.0 - q) + batch * q))
    }

    /// η(s) = s + ν(1 − Θ*(s)), Θ the interruptions' busy period.
    fn eta(&self, s: C) -> Option<C> {
        let nu = self.int.rate;
        if nu == 0.0 {
            return Some(s);
        }
        let one = C::new(1.0, 0.0);
        let mut theta = self.x_star(s)?;
        for _ in 0..MAX_ITERATIONS {
            let next = self.x_star(s + (one - theta) * nu)?;
            let step = (next - theta).norm();
            theta = next;
            if step <= 1e-13 {
                return Some(s + (one - theta) * nu);
            }
        }
        None
    }

    /// V*(u): the work an arrival finds.
    fn v_star(&self, u: C) -> Option<C> {
        let one = C::new(1.0, 0.0);
        let den = u
            - (one - lst(&self.service, u)?) * self.lambda
            - (one - self.x_star(u)?) * self.int.rate;
        Some(u * (1.0 - self.sigma) / den)
    }

    fn cdf(&self, t: f64, sojourn: bool) -> Option<f64> {
        if !self.transforms || t.is_nan() || t < 0.0 {
            return None;
        }
        if t == 0.0 {
            return Some(if sojourn { 0.0 } else { 1.0 - self.sigma });
        }
        if t.is_infinite() {
            return Some(1.0);
        }
        transform::invert_cdf(
            |s| {
                let eta = self.eta(s)?;
                let v = self.v_star(eta)?;
                if sojourn {
                    Some(v * lst(&self.service, eta)?)
                } else {
                    Some(v)
                }
            },
            t,
        )
    }
}

impl QueueMetrics for MG1Interrupted {
    fn method(&self) -> Method {
        Method::exact(
            "M/G/1 with Poisson server interruptions and replay batches (preemptive-resume priority of the interruptions)",
            Self::REFERENCE,
        )
    }
    fn arrival_rate(&self) -> f64 {
        self.lambda
    }
    fn throughput(&self) -> f64 {
        self.lambda
    }
    fn utilisation(&self) -> f64 {
        self.lambda * self.service.mean() + self.replay_work
    }
    fn servers(&self) -> Option<u64> {
        Some(1)
    }
    fn mean_number_in_system(&self) -> f64 {
        self.lambda * self.w
    }
    fn mean_queue_length(&self) -> f64 {
        self.lambda * self.wq
    }
    fn mean_sojourn(&self) -> f64 {
        self.w
    }
    fn mean_wait(&self) -> f64 {
        self.wq
    }
    fn prob_wait(&self) -> Option<f64> {
        Some(self.sigma)
    }
    fn wait_cdf(&self, t: f64) -> Option<f64> {
        self.cdf(t, false)
    }
    fn sojourn_cdf(&self, t: f64) -> Option<f64> {
        self.cdf(t, true)
    }
    fn wait_quantile(&self, p: f64) -> Option<f64> {
        if !self.transforms {
            return None;
        }
        invert_cdf(|t| self.cdf(t, false).unwrap_or(1.0), p, self.w)
    }
    fn sojourn_quantile(&self, p: f64) -> Option<f64> {
        if !self.transforms {
            return None;
        }
        invert_cdf(|t| self.cdf(t, true).unwrap_or(1.0), p, self.w)
    }
    fn distribution_method(&self) -> Option<Method> {
        self.transforms.then(|| {
            Method::numerical(
                "Laplace transform of the wait/sojourn inverted numerically (Euler algorithm, ~1e-8 absolute)",
                "Abate & Whitt (1995), ORSA J. Computing 7(1); Takagi (1991) §3.5",
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none() -> Interruptions {
        Interruptions {
            rate: 0.0,
            pause: Distribution::Deterministic { value: 0.0 },
            replay_probability: 0.0,
            replay_window: 0.0,
        }
    }

    /// Without interruptions: M/M/1 and M/D/1 (independent closed forms).
    #[test]
    fn reduces_to_mg1() {
        let q = MG1Interrupted::new(0.8, &Distribution::Exponential { mean: 1.0 }, none()).unwrap();
        for t in [0.5f64, 3.0, 10.0, 25.0] {
            let exact = 1.0 - (-0.2 * t).exp();
            assert!((q.sojourn_cdf(t).unwrap() - exact).abs() < 1e-7);
            let wait = 1.0 - 0.8 * (-0.2 * t).exp();
            assert!((q.wait_cdf(t).unwrap() - wait).abs() < 1e-7);
        }
        let p99 = q.sojourn_quantile(0.99).unwrap();
        assert!((p99 - 100f64.ln() / 0.2).abs() < 1e-5, "{p99}");
        // M/D/1, ρ = 0.5: Wq = ρD/(2(1 − ρ)) = 0.5.
        let d =
            MG1Interrupted::new(0.5, &Distribution::Deterministic { value: 1.0 }, none()).unwrap();
        assert!((d.mean_wait() - 0.5).abs() < 1e-12);
    }

    /// Exponential interruptions: a two-class preemptive M/M/1, solved as a CTMC in
    /// tests/reference/interruption_reference.py (mean by Little, tail by the tagged
    /// message's absorbing chain and uniformisation).
    #[test]
    fn matches_the_ctmc_reference() {
        let int = Interruptions {
            rate: 0.05,
            pause: Distribution::Exponential { mean: 4.0 },
            replay_probability: 0.0,
            replay_window: 0.0,
        };
        let q = MG1Interrupted::new(0.5, &Distribution::Exponential { mean: 1.0 }, int).unwrap();
        assert!((q.mean_sojourn() - 6.6666666666703716).abs() < 1e-10);
        for (t, tail) in [
            (1.0, 0.7620988161069525),
            (5.0, 0.37556807493215294),
            (20.0, 0.08091463400258254),
            (60.0, 0.002721018243970451),
        ] {
            let got = 1.0 - q.sojourn_cdf(t).unwrap();
            assert!((got - tail).abs() < 1e-7, "P(T > {t}): {got} vs {tail}");
        }
    }

    /// The mean from the inverted distribution, ∫(1 − F), against the closed form: the
    /// transforms and the priority formula agree (deterministic pauses with replays).
    #[test]
    fn transform_mean_matches_the_formula() {
        let int = Interruptions {
            rate: 0.02,
            pause: Distribution::Deterministic { value: 3.0 },
            replay_probability: 0.25,
            replay_window: 5.0,
        };
        let q = MG1Interrupted::new(2.0, &Distribution::Exponential { mean: 0.2 }, int).unwrap();
        // Trapezoid on a fine grid up to far in the tail.
        let (h, n) = (0.01, 20_000);
        let mut area = 0.0;
        let mut prev = 1.0 - q.sojourn_cdf(1e-9).unwrap();
        for i in 1..=n {
            let tail = 1.0 - q.sojourn_cdf(i as f64 * h).unwrap();
            area += (prev + tail) / 2.0 * h;
            prev = tail;
        }
        assert!(prev < 1e-7, "tail at {}: {prev}", n as f64 * h);
        let rel = (area - q.mean_sojourn()).abs() / q.mean_sojourn();
        assert!(rel < 1e-4, "{area} vs {}", q.mean_sojourn());
    }

    #[test]
    fn refuses_bad_input() {
        let s = Distribution::Exponential { mean: 1.0 };
        assert!(MG1Interrupted::new(0.0, &s, none()).is_err());
        let bad = Interruptions {
            replay_window: -1.0,
            ..none()
        };
        assert!(MG1Interrupted::new(0.5, &s, bad).is_err());
        let q = Interruptions {
            replay_probability: 1.5,
            ..none()
        };
        assert!(MG1Interrupted::new(0.5, &s, q).is_err());
        // σ = 0.1·6 + 0.5 >= 1.
        let heavy = Interruptions {
            rate: 0.1,
            pause: Distribution::Deterministic { value: 6.0 },
            ..none()
        };
        assert!(matches!(
            MG1Interrupted::new(0.5, &s, heavy),
            Err(AnalyticError::Unstable { .. })
        ));
        let ln = Distribution::Lognormal {
            mean: 1.0,
            scv: 1.0,
        };
        let q = MG1Interrupted::new(0.5, &ln, none()).unwrap();
        assert!(q.sojourn_quantile(0.99).is_none() && q.mean_sojourn() > 1.0);
    }
}
