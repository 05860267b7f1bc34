//! An approximate waiting-time distribution for queues whose solver gives only means:
//! M/G/1 with a service time that is not phase-type or deterministic (lognormal,
//! uniform, gamma, empirical) and G/G/c.
//!
//! The wait is taken as an atom at zero of mass 1 − P(wait) and, given a wait, an
//! exponential with the mean the solver computed, E\[Wq\]/P(wait):
//!
//! P(Wq > t) = P(wait) · e^{−θt},  θ = P(wait)/E\[Wq\],
//!
//! the heavy-traffic limit of the GI/G/c wait (Kingman 1961; Köllerström 1974) and the
//! exact law for M/M/c. The sojourn adds the message's own service time S, independent
//! of its wait under FIFO: P(T ≤ t) = (1 − P(wait))·F_S(t) + P(wait)·∫₀ᵗ F_S(t − x)·θe^{−θx} dx,
//! integrated by adaptive Simpson to about 10⁻⁷ with at most [`QUADRATURE_POINTS`]
//! evaluations of F_S (a jump of a deterministic or empirical service time is located to
//! within that budget).
//!
//! P(wait) is the solver's own where it has one (M/G/1: ρ, exact), else Erlang C at the
//! same offered load (exact for M/M/c). Every figure from here is labelled an
//! approximation: the fit keeps two facts of the wait (its mass at zero and its mean)
//! and is exact for M/M/1 and M/M/c. With a heavy-tailed service time (lognormal with a
//! large SCV) the true wait has a heavier tail than the exponential, so the p999 is
//! optimistic; `kendall compare` shows by how much.

use crate::analytic::method::Method;
use crate::analytic::metrics::{QueueMetrics, invert_cdf};
use crate::model::Distribution;

/// Absolute error aimed at by the sojourn CDF's integral.
const TOLERANCE: f64 = 1e-7;

/// Most evaluations of the service CDF per point of the sojourn's CDF.
pub const QUADRATURE_POINTS: usize = 2_000;

/// A solver's means with the fitted waiting-time distribution.
pub(crate) struct WaitFit {
    inner: Box<dyn QueueMetrics>,
    service: Distribution,
    /// The service's observations sorted (empirical service only), for a fast CDF.
    sorted: Option<Vec<f64>>,
    p_wait: f64,
    theta: f64,
}

/// ∫ₐᵇ f by adaptive Simpson (Lyness 1969) to an absolute error of about [`TOLERANCE`], with at
/// most [`QUADRATURE_POINTS`] evaluations of f: past that budget each remaining interval
/// keeps its current estimate (with a smooth f this does not happen).
fn adaptive_simpson(a: f64, b: f64, f: impl Fn(f64) -> f64) -> f64 {
    if b <= a {
        return 0.0;
    }
    let (fa, fm, fb) = (f(a), f((a + b) / 2.0), f(b));
    let whole = (b - a) / 6.0 * (fa + 4.0 * fm + fb);
    let mut evaluations = 3;
    // (a, b, f(a), f(mid), f(b), estimate, tolerance), depth-first.
    let mut stack = vec![(a, b, fa, fm, fb, whole, TOLERANCE)];
    let mut total = 0.0;
    while let Some((a, b, fa, fm, fb, est, tol)) = stack.pop() {
        let m = (a + b) / 2.0;
        if evaluations + 2 > QUADRATURE_POINTS {
            total += est;
            continue;
        }
        let (flm, frm) = (f((a + m) / 2.0), f((m + b) / 2.0));
        evaluations += 2;
        let left = (m - a) / 6.0 * (fa + 4.0 * flm + fm);
        let right = (b - m) / 6.0 * (fm + 4.0 * frm + fb);
        let delta = left + right - est;
        if delta.abs() <= 15.0 * tol || b - a < 1e-12 * (1.0 + b.abs()) {
            total += left + right + delta / 15.0;
        } else {
            stack.push((m, b, fm, frm, fb, right, tol / 2.0));
            stack.push((a, m, fa, flm, fm, left, tol / 2.0));
        }
    }
    total
}

impl WaitFit {
    /// Fits the wait of `inner` (service `service`, `servers` consumers); `inner` back
    /// when it has no finite mean wait, no P(wait) can be had, or the service has no CDF.
    pub(crate) fn new(
        inner: Box<dyn QueueMetrics>,
        service: &Distribution,
        servers: u64,
    ) -> Result<Self, Box<dyn QueueMetrics>> {
        let wq = inner.mean_wait();
        let p_wait = match inner.prob_wait() {
            Some(p) => Some(p),
            None => {
                let a = inner.arrival_rate() * service.mean();
                crate::analytic::single::erlang::erlang_c(servers, a).ok()
            }
        };
        let Some(p_wait) = p_wait else {
            return Err(inner);
        };
        if !(wq.is_finite() && wq >= 0.0 && (0.0..=1.0).contains(&p_wait))
            || service.cdf(service.mean()).is_none()
        {
            return Err(inner);
        }
        let theta = if wq > 0.0 && p_wait > 0.0 {
            p_wait / wq
        } else {
            f64::INFINITY
        };
        let sorted = match service {
            Distribution::Empirical { values } => {
                let mut v = values.clone();
                v.sort_by(f64::total_cmp);
                Some(v)
            }
            _ => None,
        };
        Ok(Self {
            inner,
            service: service.clone(),
            sorted,
            p_wait,
            theta,
        })
    }

    fn service_cdf(&self, t: f64) -> f64 {
        match &self.sorted {
            Some(v) if !v.is_empty() => v.partition_point(|x| *x <= t) as f64 / v.len() as f64,
            _ => self.service.cdf(t).unwrap_or(0.0),
        }
    }

    fn label() -> Method {
        Method::approximation(
            "waiting time fitted as an atom at 0 of mass 1 - P(wait) plus an exponential of mean E[Wq]/P(wait); sojourn = wait + own service",
            "Kingman (1961), Proc. Camb. Phil. Soc. 57(4) (heavy-traffic exponential wait); exact for M/M/1 and M/M/c",
        )
    }
}

impl QueueMetrics for WaitFit {
    crate::analytic::metrics::forward_metrics!(
        inner:
        method, arrival_rate, throughput, utilisation, servers, mean_number_in_system,
        mean_queue_length, mean_sojourn, mean_wait, prob_wait, prob_empty, prob_block,
        prob_n, var_number, var_sojourn, var_wait
    );
    fn wait_cdf(&self, t: f64) -> Option<f64> {
        if t.is_nan() {
            return None;
        }
        if t < 0.0 {
            return Some(0.0);
        }
        Some(1.0 - self.p_wait * (-self.theta * t).exp())
    }
    fn sojourn_cdf(&self, t: f64) -> Option<f64> {
        if t.is_nan() {
            return None;
        }
        if t < 0.0 {
            return Some(0.0);
        }
        let direct = (1.0 - self.p_wait) * self.service_cdf(t);
        if self.p_wait == 0.0 || self.theta.is_infinite() {
            return Some(self.service_cdf(t));
        }
        // ∫₀ᵗ F_S(t − x) θe^{−θx} dx by adaptive Simpson, cut where the weight is below
        // e^{−40} (what lies beyond adds less than that).
        let theta = self.theta;
        let upper = t.min(40.0 / theta);
        let integral = adaptive_simpson(0.0, upper, |x| {
            self.service_cdf((t - x).max(0.0)) * theta * (-theta * x).exp()
        });
        Some((direct + self.p_wait * integral).clamp(0.0, 1.0))
    }
    fn wait_quantile(&self, p: f64) -> Option<f64> {
        if !(p > 0.0 && p < 1.0) {
            return None;
        }
        if p <= 1.0 - self.p_wait || self.theta.is_infinite() {
            return Some(0.0);
        }
        Some(((1.0 - p) / self.p_wait).ln() / -self.theta)
    }
    fn sojourn_quantile(&self, p: f64) -> Option<f64> {
        let scale = self.mean_sojourn();
        invert_cdf(|t| self.sojourn_cdf(t).unwrap_or(1.0), p, scale)
    }
    fn distribution_method(&self) -> Option<Method> {
        Some(Self::label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytic::single::approx::{GGc, GGcFormula};
    use crate::analytic::single::mmc::MMc;

    /// For M/M/c the fit is the exact law: compare with the M/M/c solver's own closed
    /// forms (another code path): wait CDF to rounding, sojourn CDF to the quadrature.
    #[test]
    fn exact_for_mmc() {
        for (lambda, mu, c) in [(0.8, 1.0, 1_u64), (8.0, 1.0, 10), (45.0, 1.0, 50)] {
            let exp = Distribution::Exponential { mean: 1.0 / mu };
            let inner = GGc::new(GGcFormula::AllenCunneen, lambda, 1.0, 1.0 / mu, 1.0, c).unwrap();
            let fit = WaitFit::new(Box::new(inner), &exp, c).ok().unwrap();
            let exact = MMc::new(lambda, mu, c).unwrap();
            for t in [0.0, 0.1, 0.5, 1.0, 3.0, 10.0] {
                let (a, b) = (fit.wait_cdf(t).unwrap(), exact.wait_cdf(t).unwrap());
                assert!((a - b).abs() < 1e-12, "wait c={c} t={t}: {a} vs {b}");
                let (a, b) = (fit.sojourn_cdf(t).unwrap(), exact.sojourn_cdf(t).unwrap());
                assert!((a - b).abs() < 1e-7, "sojourn c={c} t={t}: {a} vs {b}");
            }
            let (a, b) = (
                fit.sojourn_quantile(0.99).unwrap(),
                exact.sojourn_quantile(0.99).unwrap(),
            );
            assert!((a / b - 1.0).abs() < 1e-6, "p99 c={c}: {a} vs {b}");
            let (a, b) = (
                fit.wait_quantile(0.99).unwrap(),
                exact.wait_quantile(0.99).unwrap(),
            );
            assert!((a / b - 1.0).abs() < 1e-10, "wait p99 c={c}: {a} vs {b}");
        }
    }

    /// Uniform service: the sojourn CDF's convolution against a direct numerical
    /// integral on a fine grid (100 000 trapezoids), computed here independently.
    #[test]
    fn convolution_matches_a_fine_grid() {
        let s = Distribution::Uniform { min: 0.5, max: 1.5 };
        let inner = GGc::new(GGcFormula::Whitt1993, 1.5, 1.0, 1.0, s.scv(), 2).unwrap();
        let fit = WaitFit::new(Box::new(inner), &s, 2).ok().unwrap();
        let (pw, theta) = (fit.p_wait, fit.theta);
        for t in [0.6, 1.0, 2.0, 4.0] {
            let n = 100_000;
            let h = t / n as f64;
            let f = |x: f64| s.cdf(t - x).unwrap() * theta * (-theta * x).exp();
            let integral: f64 = (0..n)
                .map(|i| 0.5 * h * (f(i as f64 * h) + f((i + 1) as f64 * h)))
                .sum();
            let want = (1.0 - pw) * s.cdf(t).unwrap() + pw * integral;
            let got = fit.sojourn_cdf(t).unwrap();
            assert!((got - want).abs() < 1e-4, "t={t}: {got} vs {want}");
        }
    }
}
