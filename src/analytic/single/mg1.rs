//! M/G/1: Poisson arrivals, one server with a general service-time distribution,
//! unlimited FIFO buffer.
//!
//! # Means (exact, any service distribution with finite variance)
//! With ρ = λE\[S\] < 1, the Pollaczek–Khinchine mean-value formula gives
//! Wq = λE\[S²\] / (2(1 − ρ)), W = Wq + E\[S\], Lq = λWq, L = λW, P0 = 1 − ρ and, by PASTA,
//! P(wait) = ρ. Reference: Kleinrock (1975), *Queueing Systems* Vol. 1, ch. 5; Gross &
//! Harris (1998), *Fundamentals of Queueing Theory*, 3rd ed., §5.1.
//!
//! # State probabilities (numerical, exact characterisation)
//! P(N = n) is the stationary law of the chain embedded at departures, which for M/G/1
//! equals the time-stationary law. It is computed by the stable recursion
//! a₀πⱼ = π₀āⱼ₋₁ + Σ_{k=1}^{j−1} πₖāⱼ₋ₖ (only positive terms), where aᵢ is the
//! probability of i arrivals during one service and āᵢ = Σ_{m>i} aₘ
//! (Tijms (2003), *A First Course in Stochastic Models*, Wiley: the M/G/1 queue-length recursion by level crossing). The aᵢ are exact
//! Poisson (deterministic and empirical service) or negative-binomial (exponential,
//! Erlang, gamma, hyperexponential) mixtures. Available for every distribution except
//! lognormal and uniform (`None` there). Terms are computed until the remaining mass is
//! below 1e-13 and the last term below 1e-30 (at most 20 000 terms); `prob_n` is `None`
//! beyond that.
//!
//! # Waiting and sojourn distributions
//! - **Phase-type service** (exponential, Erlang-k with k <= 32 — gamma with a whole
//!   shape <= 32 included — hyperexponential with at most 32 branches): M/PH/1. With service PH(α, T), exit vector t = −T·1 and the
//!   equilibrium (excess) vector β = α(−T)⁻¹ / E\[S\], the wait has an atom 1 − ρ at zero
//!   and P(Wq > x) = ρβ·exp((T + ρtβ)x)·1. The sojourn Wq + S is phase-type with initial
//!   vector (ρβ, (1 − ρ)α) and generator \[\[T + ρtβ, (1 − ρ)tα\], \[0, T\]\]. Evaluated by
//!   the nalgebra matrix exponential (Padé, scaling and squaring) and inverted by
//!   bisection. Reference: Asmussen (2003), *Applied Probability and Queues*, 2nd ed.
//!   (the M/G/1 wait as a geometric sum of ladder heights) and Neuts (1981), *Matrix-Geometric
//!   Solutions in Stochastic Models*, ch. 2.
//! - **Deterministic service** D (M/D/1): Erlang's formula
//!   P(Wq <= t) = (1 − ρ) Σ_{k=0}^{⌊t/D⌋} \[λ(kD − t)\]ᵏ/k! · e^{−λ(kD − t)} alternates in
//!   sign and loses every digit for large t. Instead, write t = kD + u with 0 <= u < D
//!   and look back D − u before the arrival (Franx (2001), "A simple solution for the
//!   M/D/c waiting time distribution", *Oper. Res. Lett.* 29(5)): the arrival waits at
//!   most t iff max(N − 1, 0) + A <= k, where N is the stationary number in system and A
//!   an independent Poisson(λ(D − u)) count. Hence
//!   P(Wq <= kD + u) = e^{−λ(D−u)} Σ_{j=0}^{k} \[λ(D − u)\]ʲ/j! · Q_{k+1−j}, with
//!   Qₙ = P(N <= n) from the stable recursion above. Every term is positive, so the
//!   result is accurate to about 1e-14 absolute at any t (tested against Erlang's formula
//!   in 60-digit arithmetic). The sojourn is exactly Wq + D.
//! - **Otherwise** (gamma, lognormal, uniform, empirical, or too many phases): no exact
//!   distribution here; percentiles are `None` (simulate to get them).
//!
//! # When it applies
//! Poisson arrivals (many independent producers), one consumer, FIFO, no capacity limit.
//! The means are exact for any service law with finite variance; they are sensitive to
//! the service SCV through E\[S²\] = (1 + SCV)E\[S\]².

use std::sync::OnceLock;

use nalgebra::{DMatrix, DVector, RowDVector};
use statrs::function::gamma::ln_gamma;

use crate::analytic::error::{AnalyticError, positive};
use crate::analytic::method::Method;
use crate::analytic::metrics::{QueueMetrics, invert_cdf};
use crate::model::Distribution;

/// Largest number of phases for which the M/PH/1 matrix route is used.
const MAX_PHASES: usize = 32;
/// Most state probabilities computed by the embedded-chain recursion.
const MAX_STATES: usize = 20_000;
/// The recursion stops once the remaining mass is below this.
const STATE_TAIL: f64 = 1e-13;
/// ... and then continues until a term falls below this.
const STATE_FLOOR: f64 = 1e-30;

const PK_REFERENCE: &str =
    "Kleinrock (1975), Queueing Systems Vol. 1, ch. 5 (Pollaczek–Khinchine mean-value formula)";

/// A phase-type representation (α, T) of a service time.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PhaseType {
    /// The initial phase law α.
    pub(crate) alpha: RowDVector<f64>,
    /// The sub-generator T among the transient phases.
    pub(crate) t: DMatrix<f64>,
}

impl PhaseType {
    /// The representation of `d` when it is phase-type (exponential, Erlang, gamma of a
    /// whole shape, hyperexponential; at most 32 phases).
    pub(crate) fn of(d: &Distribution) -> Option<Self> {
        match d {
            Distribution::Exponential { mean } => Some(Self {
                alpha: RowDVector::from_element(1, 1.0),
                t: DMatrix::from_element(1, 1, -1.0 / mean),
            }),
            Distribution::Erlang { k, mean } if (*k as usize) <= MAX_PHASES => {
                let k = *k as usize;
                let r = k as f64 / mean;
                let mut t = DMatrix::zeros(k, k);
                for i in 0..k {
                    t[(i, i)] = -r;
                    if i + 1 < k {
                        t[(i, i + 1)] = r;
                    }
                }
                let mut alpha = RowDVector::zeros(k);
                alpha[0] = 1.0;
                Some(Self { alpha, t })
            }
            // A gamma law with a whole shape is Erlang.
            Distribution::Gamma { shape, mean }
                if shape.fract() == 0.0 && *shape >= 1.0 && *shape <= MAX_PHASES as f64 =>
            {
                Self::of(&Distribution::Erlang {
                    k: *shape as u32,
                    mean: *mean,
                })
            }
            Distribution::Hyperexponential { branches } if branches.len() <= MAX_PHASES => {
                let n = branches.len();
                let alpha = RowDVector::from_iterator(n, branches.iter().map(|b| b.probability));
                let t = DMatrix::from_diagonal(&DVector::from_iterator(
                    n,
                    branches.iter().map(|b| -1.0 / b.mean),
                ));
                Some(Self { alpha, t })
            }
            _ => None,
        }
    }
}

/// The M/PH/1 wait and sojourn as (defective) phase-type laws: P(X > x) = γ exp(Mx) 1.
#[derive(Debug, Clone, PartialEq)]
struct PhWait {
    wait_init: RowDVector<f64>,
    wait_gen: DMatrix<f64>,
    sojourn_init: RowDVector<f64>,
    sojourn_gen: DMatrix<f64>,
}

impl PhWait {
    fn new(ph: &PhaseType, rho: f64, mean: f64) -> Option<Self> {
        let n = ph.t.nrows();
        let exit: DVector<f64> = -(&ph.t * DVector::from_element(n, 1.0));
        // β (−T) = α / E[S]  <=>  (−T)ᵀ βᵀ = αᵀ / E[S].
        let neg_t_tr = (-&ph.t).transpose();
        let beta_col = neg_t_tr.lu().solve(&(ph.alpha.transpose() / mean))?;
        let beta = beta_col.transpose();
        let s = &ph.t + rho * (&exit * &beta);
        let wait_init = rho * &beta;
        let mut generator = DMatrix::zeros(2 * n, 2 * n);
        generator.view_mut((0, 0), (n, n)).copy_from(&s);
        generator
            .view_mut((0, n), (n, n))
            .copy_from(&((1.0 - rho) * (&exit * &ph.alpha)));
        generator.view_mut((n, n), (n, n)).copy_from(&ph.t);
        let mut init = RowDVector::zeros(2 * n);
        init.columns_mut(0, n).copy_from(&wait_init);
        init.columns_mut(n, n).copy_from(&((1.0 - rho) * &ph.alpha));
        Some(Self {
            wait_init,
            wait_gen: s,
            sojourn_init: init,
            sojourn_gen: generator,
        })
    }

    fn tail(init: &RowDVector<f64>, generator: &DMatrix<f64>, x: f64) -> f64 {
        let e = (generator * x).exp();
        let ones = DVector::from_element(generator.nrows(), 1.0);
        (init * e * ones)[(0, 0)].clamp(0.0, 1.0)
    }
}

/// Which exact distributional route applies.
#[derive(Debug, Clone, PartialEq)]
enum Route {
    PhaseType(Box<PhWait>),
    Deterministic(f64),
    None,
}

/// The embedded-chain state probabilities, computed once on demand.
#[derive(Debug, Clone, PartialEq)]
struct States {
    /// P(N = n), n = 0..len.
    pmf: Vec<f64>,
    /// P(N <= n).
    cdf: Vec<f64>,
    /// Whether the tail beyond the last term is below [`STATE_TAIL`].
    complete: bool,
}

/// An M/G/1 queue.
///
/// # Errors
/// [`AnalyticError::InvalidParameter`] for a non-finite or non-positive arrival rate or a
/// zero service mean; [`AnalyticError::InvalidDistribution`] for a service distribution
/// that breaks its own rules; [`AnalyticError::Unstable`] when ρ = λE\[S\] >= 1.
///
/// # Example
/// ```
/// use kendall::analytic::{QueueMetrics, MG1};
/// use kendall::model::Distribution;
/// // M/D/1 at ρ = 0.5: Wq = ρD / (2(1 − ρ)) = 0.5 D.
/// let q = MG1::new(50.0, &Distribution::Deterministic { value: 0.01 }).unwrap();
/// assert!((q.mean_wait() - 0.005).abs() < 1e-15);
/// assert!(q.wait_quantile(0.99).is_some());
/// // Lognormal service: means exact, percentiles unknown.
/// let q = MG1::new(50.0, &Distribution::Lognormal { mean: 0.01, scv: 2.0 }).unwrap();
/// assert!((q.mean_wait() - 0.015).abs() < 1e-15);
/// assert!(q.wait_quantile(0.99).is_none());
/// ```
#[derive(Debug, Clone)]
pub struct MG1 {
    lambda: f64,
    service: Distribution,
    mean: f64,
    second_moment: f64,
    route: Route,
    states: OnceLock<Option<States>>,
}

impl MG1 {
    /// An M/G/1 queue with Poisson arrivals at `arrival_rate` and service law `service`.
    ///
    /// # Errors
    /// See the type's documentation.
    pub fn new(arrival_rate: f64, service: &Distribution) -> Result<Self, AnalyticError> {
        let lambda = positive("arrival_rate", arrival_rate)?;
        let mut problems = Vec::new();
        service.check("service", &mut problems);
        if !problems.is_empty() {
            return Err(AnalyticError::InvalidDistribution {
                reasons: problems
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; "),
            });
        }
        let mean = positive("service.mean", service.mean())?;
        let second_moment = service.second_moment();
        let rho = lambda * mean;
        if rho >= 1.0 {
            return Err(AnalyticError::Unstable { utilisation: rho });
        }
        let route = match service {
            Distribution::Deterministic { value } => Route::Deterministic(*value),
            d => match PhaseType::of(d).and_then(|ph| PhWait::new(&ph, rho, mean)) {
                Some(w) => Route::PhaseType(Box::new(w)),
                None => Route::None,
            },
        };
        Ok(Self {
            lambda,
            service: service.clone(),
            mean,
            second_moment,
            route,
            states: OnceLock::new(),
        })
    }

    /// The service-time distribution.
    pub fn service(&self) -> &Distribution {
        &self.service
    }

    /// How `prob_n` is computed (`None` if it is not available for this service law).
    ///
    /// # Example
    /// ```
    /// use kendall::analytic::{QueueMetrics, MG1};
    /// use kendall::model::Distribution;
    /// let q = MG1::new(0.5, &Distribution::Deterministic { value: 1.0 }).unwrap();
    /// assert!(q.state_method().is_some());
    /// assert!((q.prob_n(0).unwrap() - 0.5).abs() < 1e-15);
    /// let q = MG1::new(0.5, &Distribution::Lognormal { mean: 1.0, scv: 2.0 }).unwrap();
    /// assert!(q.state_method().is_none() && q.prob_n(0).is_none());
    /// ```
    pub fn state_method(&self) -> Option<Method> {
        self.states().map(|_| {
            Method::numerical(
                "M/G/1 embedded Markov chain (stable recursion)",
                "Tijms (2003), A First Course in Stochastic Models (level-crossing recursion)",
            )
        })
    }

    fn rho(&self) -> f64 {
        self.lambda * self.mean
    }

    fn states(&self) -> Option<&States> {
        self.states
            .get_or_init(|| {
                let a = arrivals_during_service(self.lambda, &self.service)?;
                Some(embedded_chain(&a, 1.0 - self.rho()))
            })
            .as_ref()
    }

    /// P(N <= n), with `Some(1.0)` beyond a complete truncation.
    fn state_cdf(&self, n: usize) -> Option<f64> {
        let s = self.states()?;
        match s.cdf.get(n) {
            Some(q) => Some(*q),
            None if s.complete => Some(1.0),
            None => None,
        }
    }

    /// M/D/1 wait CDF by the look-back formula (see the module doc).
    fn md1_wait_cdf(&self, d: f64, t: f64) -> Option<f64> {
        if d == 0.0 {
            return Some(1.0);
        }
        let kf = (t / d).floor();
        if kf > MAX_STATES as f64 {
            return self.states().filter(|s| s.complete).map(|_| 1.0);
        }
        let k = kf as usize;
        let u = (t - kf * d).clamp(0.0, d);
        let m = self.lambda * (d - u);
        // Poisson(m) weights, m < 1: terms die within a few dozen.
        let mut weight = (-m).exp();
        let mut sum = 0.0;
        for j in 0..=k {
            if weight == 0.0 {
                break;
            }
            sum += weight * self.state_cdf(k + 1 - j)?;
            weight *= m / (j + 1) as f64;
        }
        Some(sum.clamp(0.0, 1.0))
    }
}

impl PartialEq for MG1 {
    fn eq(&self, other: &Self) -> bool {
        self.lambda == other.lambda && self.service == other.service
    }
}

/// Probabilities aᵢ of i Poisson(λ) arrivals during one service, truncated where the
/// remaining mass is below 1e-45. `None` where not available (lognormal, uniform).
fn arrivals_during_service(lambda: f64, d: &Distribution) -> Option<Vec<f64>> {
    match d {
        Distribution::Exponential { mean } => negative_binomial(1.0, lambda * mean),
        Distribution::Erlang { k, mean } => {
            let r = f64::from(*k);
            negative_binomial(r, lambda * mean / r)
        }
        Distribution::Gamma { shape, mean } => negative_binomial(*shape, lambda * mean / shape),
        Distribution::Deterministic { value } => poisson(lambda * value),
        Distribution::Hyperexponential { branches } => mixture(
            branches
                .iter()
                .map(|b| (b.probability, negative_binomial(1.0, lambda * b.mean))),
        ),
        Distribution::Empirical { values } => {
            let w = 1.0 / values.len() as f64;
            mixture(values.iter().map(|v| (w, poisson(lambda * v))))
        }
        _ => None,
    }
}

fn mixture(parts: impl Iterator<Item = (f64, Option<Vec<f64>>)>) -> Option<Vec<f64>> {
    let mut out: Vec<f64> = Vec::new();
    for (w, pmf) in parts {
        let pmf = pmf?;
        if out.len() < pmf.len() {
            out.resize(pmf.len(), 0.0);
        }
        for (o, p) in out.iter_mut().zip(pmf) {
            *o += w * p;
        }
    }
    Some(out)
}

/// Poisson(m) pmf until the tail is below 1e-45.
fn poisson(m: f64) -> Option<Vec<f64>> {
    if m == 0.0 {
        return Some(vec![1.0]);
    }
    let ln_m = m.ln();
    let mut out = Vec::new();
    for i in 0..MAX_STATES * 10 {
        let x = i as f64;
        let p = (-m + x * ln_m - ln_gamma(x + 1.0)).exp();
        out.push(p);
        let q = m / (x + 1.0);
        if q < 1.0 && p * q / (1.0 - q) < 1e-45 {
            return Some(out);
        }
    }
    None
}

/// Negative binomial: arrivals during a gamma(shape r, scale θ) time, with `m` = λθ.
/// aᵢ = Γ(i + r)/(Γ(r) i!) pʳ (1 − p)ⁱ with p = 1/(1 + m).
fn negative_binomial(r: f64, m: f64) -> Option<Vec<f64>> {
    let ln_p = -m.ln_1p();
    let ln_q = (m / (1.0 + m)).ln();
    let q_lim = m / (1.0 + m);
    let mut out = Vec::new();
    for i in 0..MAX_STATES * 10 {
        let x = i as f64;
        let p = (ln_gamma(x + r) - ln_gamma(r) - ln_gamma(x + 1.0) + r * ln_p + x * ln_q).exp();
        out.push(p);
        let q = ((x + r) / (x + 1.0) * q_lim).max(q_lim);
        if q < 1.0 && p * q / (1.0 - q) < 1e-45 {
            return Some(out);
        }
    }
    None
}

/// The stable recursion a₀πⱼ = π₀āⱼ₋₁ + Σ_{k=1}^{j−1} πₖāⱼ₋ₖ.
fn embedded_chain(a: &[f64], p0: f64) -> States {
    // Tails ā_i = Σ_{m>i} a_m, summed from the small end for accuracy.
    let mut tail = vec![0.0; a.len()];
    let mut acc = 0.0;
    for i in (0..a.len()).rev() {
        tail[i] = acc;
        acc += a[i];
    }
    let abar = |i: usize| tail.get(i).copied().unwrap_or(0.0);
    let mut pmf = vec![p0];
    let mut cdf = vec![p0];
    let mut complete = false;
    while pmf.len() < MAX_STATES {
        let j = pmf.len();
        let mut s = p0 * abar(j - 1);
        // ā vanishes beyond the truncated pmf, so only the last `tail.len()` terms count.
        let first = (j + 1).saturating_sub(tail.len()).max(1);
        for (k, pk) in pmf.iter().enumerate().skip(first) {
            s += pk * abar(j - k);
        }
        let pj = s / a[0];
        pmf.push(pj);
        cdf.push(cdf[j - 1] + pj);
        if 1.0 - cdf[j] < STATE_TAIL {
            complete = true;
        }
        // Keep going past the tail criterion so that small P(N = n) stay available.
        if complete && pj < STATE_FLOOR {
            break;
        }
    }
    States { pmf, cdf, complete }
}

impl QueueMetrics for MG1 {
    /// Var(N) = λ²·Var(W) + L: N is the number of Poisson arrivals during a sojourn
    /// (the distributional form of Little's law for FIFO M/G/1).
    fn var_number(&self) -> Option<f64> {
        Some(self.lambda * self.lambda * self.var_sojourn()? + self.mean_number_in_system())
    }
    /// Var(W) = Var(Wq) + Var(S) (the wait and the own service are independent).
    fn var_sojourn(&self) -> Option<f64> {
        Some(self.var_wait()? + self.service.variance())
    }
    /// Takács (1962): E\[Wq²\] = 2·E\[Wq\]² + λE\[S³\]/(3(1 − ρ)).
    fn var_wait(&self) -> Option<f64> {
        let wq = self.mean_wait();
        let rho = self.lambda * self.mean;
        let second =
            2.0 * wq * wq + self.lambda * self.service.third_moment() / (3.0 * (1.0 - rho));
        Some((second - wq * wq).max(0.0))
    }
    fn method(&self) -> Method {
        Method::exact("M/G/1 (Pollaczek–Khinchine)", PK_REFERENCE)
    }
    fn arrival_rate(&self) -> f64 {
        self.lambda
    }
    fn throughput(&self) -> f64 {
        self.lambda
    }
    fn utilisation(&self) -> f64 {
        self.rho()
    }
    fn servers(&self) -> Option<u64> {
        Some(1)
    }
    fn mean_number_in_system(&self) -> f64 {
        self.lambda * self.mean_sojourn()
    }
    fn mean_queue_length(&self) -> f64 {
        self.lambda * self.mean_wait()
    }
    fn mean_sojourn(&self) -> f64 {
        self.mean_wait() + self.mean
    }
    fn mean_wait(&self) -> f64 {
        self.lambda * self.second_moment / (2.0 * (1.0 - self.rho()))
    }
    fn prob_empty(&self) -> Option<f64> {
        Some(1.0 - self.rho())
    }
    fn prob_wait(&self) -> Option<f64> {
        Some(self.rho())
    }
    fn prob_block(&self) -> Option<f64> {
        Some(0.0)
    }
    fn prob_n(&self, n: u64) -> Option<f64> {
        let s = self.states()?;
        usize::try_from(n).ok().and_then(|n| s.pmf.get(n).copied())
    }
    fn wait_cdf(&self, t: f64) -> Option<f64> {
        if t.is_nan() || t < 0.0 {
            return None;
        }
        match &self.route {
            Route::PhaseType(w) => Some(1.0 - PhWait::tail(&w.wait_init, &w.wait_gen, t)),
            Route::Deterministic(d) => self.md1_wait_cdf(*d, t),
            Route::None => None,
        }
    }
    fn sojourn_cdf(&self, t: f64) -> Option<f64> {
        if t.is_nan() || t < 0.0 {
            return None;
        }
        match &self.route {
            Route::PhaseType(w) => Some(1.0 - PhWait::tail(&w.sojourn_init, &w.sojourn_gen, t)),
            Route::Deterministic(d) if t < *d => Some(0.0),
            Route::Deterministic(d) => self.md1_wait_cdf(*d, t - d),
            Route::None => None,
        }
    }
    fn wait_quantile(&self, p: f64) -> Option<f64> {
        if matches!(self.route, Route::None) || !(p > 0.0 && p < 1.0) {
            return None;
        }
        if p <= 1.0 - self.rho() {
            return Some(0.0);
        }
        // Each evaluation must succeed, or the quantile is unknown.
        let ok = std::cell::Cell::new(true);
        let q = invert_cdf(
            |t| {
                self.wait_cdf(t).unwrap_or_else(|| {
                    ok.set(false);
                    1.0
                })
            },
            p,
            self.mean_wait().max(self.mean),
        )?;
        ok.get().then_some(q)
    }
    fn sojourn_quantile(&self, p: f64) -> Option<f64> {
        match &self.route {
            Route::None => None,
            // The sojourn is exactly Wq + D.
            Route::Deterministic(d) => self.wait_quantile(p).map(|w| w + d),
            Route::PhaseType(_) => {
                if !(p > 0.0 && p < 1.0) {
                    return None;
                }
                invert_cdf(
                    |t| self.sojourn_cdf(t).unwrap_or(1.0),
                    p,
                    self.mean_sojourn(),
                )
            }
        }
    }
    fn distribution_method(&self) -> Option<Method> {
        match &self.route {
            Route::PhaseType(_) => Some(Method::numerical(
                "M/PH/1 matrix exponential",
                "Asmussen (2003), Applied Probability and Queues, 2nd ed.; Neuts (1981), Matrix-Geometric Solutions, ch. 2",
            )),
            Route::Deterministic(_) => Some(Method::numerical(
                "M/D/1 wait from the number in system (Crommelin–Franx look-back)",
                "Franx (2001), Oper. Res. Lett. 29(5), 221–229; Tijms (2003)",
            )),
            Route::None => None,
        }
    }
}

#[cfg(test)]
#[allow(clippy::excessive_precision)] // reference values pasted with all their digits
mod tests {
    use super::*;
    use crate::analytic::single::mm1::MM1;
    use crate::model::Branch;

    fn close(a: f64, b: f64, tol: f64) {
        assert!(
            (a - b).abs() <= tol * b.abs().max(1e-300),
            "{a} vs {b} (tol {tol})"
        );
    }

    /// Exponential service must reproduce M/M/1 exactly (Kleinrock Vol. 1 §3.2).
    #[test]
    fn reduces_to_mm1() {
        for &(lambda, mu) in &[(0.5, 1.0), (9.0, 10.0), (0.3, 7.0)] {
            let g = MG1::new(lambda, &Distribution::exponential_rate(mu)).unwrap();
            let m = MM1::new(lambda, mu).unwrap();
            close(g.mean_wait(), m.mean_wait(), 1e-12);
            close(g.mean_sojourn(), m.mean_sojourn(), 1e-12);
            close(g.mean_queue_length(), m.mean_queue_length(), 1e-12);
            close(g.mean_number_in_system(), m.mean_number_in_system(), 1e-12);
            close(g.prob_empty().unwrap(), m.prob_empty().unwrap(), 1e-12);
            for n in [0, 1, 2, 5, 20] {
                close(g.prob_n(n).unwrap(), m.prob_n(n).unwrap(), 1e-10);
            }
            for t in [0.0, 0.1, 1.0, 5.0, 30.0] {
                close(g.wait_cdf(t).unwrap(), m.wait_cdf(t).unwrap(), 1e-12);
                close(g.sojourn_cdf(t).unwrap(), m.sojourn_cdf(t).unwrap(), 1e-12);
            }
            for p in [0.05, 0.5, 0.95, 0.99, 0.999] {
                close(
                    g.wait_quantile(p).unwrap(),
                    m.wait_quantile(p).unwrap(),
                    1e-10,
                );
                close(
                    g.sojourn_quantile(p).unwrap(),
                    m.sojourn_quantile(p).unwrap(),
                    1e-10,
                );
            }
        }
    }

    /// P-K means against Gross & Harris (1998) §5.1: M/D/1 Lq = ρ²/(2(1 − ρ)), and
    /// Little's law.
    #[test]
    fn pk_means() {
        let q = MG1::new(0.8, &Distribution::Deterministic { value: 1.0 }).unwrap();
        close(q.mean_queue_length(), 0.64 / 0.4, 1e-13);
        close(q.mean_wait(), 0.8 / 0.4, 1e-13);
        close(q.mean_sojourn(), 3.0, 1e-13);
        close(q.mean_number_in_system(), 0.8 * 3.0, 1e-13);
        // Erlang-4, mean 2, λ = 0.25: E[S²] = (1 + 1/4)·4 = 5, Wq = 0.25·5/(2·0.5).
        let q = MG1::new(0.25, &Distribution::Erlang { k: 4, mean: 2.0 }).unwrap();
        close(q.mean_wait(), 1.25, 1e-13);
        close(q.prob_wait().unwrap(), 0.5, 1e-15);
    }

    /// M/D/1 state probabilities against the closed form in 60-digit arithmetic
    /// (tests/reference/mg1_reference.py, part 2).
    #[test]
    fn md1_state_probabilities() {
        let refs = [
            (0.5, 0, 0.5),
            (0.5, 1, 0.324_360_635_350_064_07),
            (0.5, 2, 0.122_599_961_204_426_51),
            (0.5, 5, 0.003_106_746_345_806_839_5),
            (0.5, 10, 5.804_408_061_667_514_8e-6),
            (0.5, 30, 7.088_185_144_763_992_6e-17),
            (0.9, 0, 0.1),
            (0.9, 1, 0.145_960_311_115_694_97),
            (0.9, 2, 0.137_640_155_321_474_17),
            (0.9, 5, 0.076_254_560_421_966_857),
            (0.9, 10, 0.027_066_447_906_412_993),
            (0.9, 30, 0.000_429_714_096_010_634_85),
        ];
        for (rho, n, p) in refs {
            let q = MG1::new(rho, &Distribution::Deterministic { value: 1.0 }).unwrap();
            close(q.prob_n(n).unwrap(), p, 1e-10);
        }
        let q = MG1::new(0.9, &Distribution::Deterministic { value: 1.0 }).unwrap();
        let total: f64 = (0..5000).map_while(|n| q.prob_n(n)).sum();
        assert!((total - 1.0).abs() < 1e-12);
        // L from the state probabilities matches P-K.
        let l: f64 = (0..5000)
            .map_while(|n| q.prob_n(n).map(|p| n as f64 * p))
            .sum();
        close(l, q.mean_number_in_system(), 1e-10);
    }

    /// M/D/1 wait CDF against Erlang's formula in 60-digit arithmetic
    /// (tests/reference/mg1_reference.py, part 1); absolute tolerance 1e-13.
    #[test]
    fn md1_wait_cdf_matches_erlang_formula() {
        let refs = [
            (0.5, 0.0, 0.5),
            (0.5, 0.3, 0.580_917_121_364_141_56),
            (0.5, 1.0, 0.824_360_635_350_064_07),
            (0.5, 2.5, 0.971_359_369_636_913_65),
            (0.5, 7.25, 0.999_926_859_560_000_91),
            (0.5, 20.0, 0.999_999_999_991_928_06),
            (0.5, 40.5, 1.0),
            (0.5, 80.0, 1.0),
            (0.9, 0.0, 0.1),
            (0.9, 0.3, 0.130_996_445_073_324_74),
            (0.9, 1.0, 0.245_960_311_115_694_97),
            (0.9, 2.5, 0.443_900_297_869_848_99),
            (0.9, 7.25, 0.792_129_302_376_740_76),
            (0.9, 20.0, 0.985_182_656_960_507_78),
            (0.9, 40.5, 0.999_787_901_605_853_12),
            (0.9, 80.0, 0.999_999_940_705_372_51),
        ];
        for (rho, t, f) in refs {
            let q = MG1::new(rho, &Distribution::Deterministic { value: 1.0 }).unwrap();
            let got = q.wait_cdf(t).unwrap();
            assert!((got - f).abs() < 1e-13, "rho {rho} t {t}: {got} vs {f}");
            // Sojourn is exactly wait + D.
            assert!((q.sojourn_cdf(t + 1.0).unwrap() - f).abs() < 1e-13);
        }
        // Scaling: D = 0.01 s, λ = 90/s is the same queue in other units.
        let q = MG1::new(90.0, &Distribution::Deterministic { value: 0.01 }).unwrap();
        assert!((q.wait_cdf(0.2).unwrap() - 0.985_182_656_960_507_78).abs() < 1e-12);
        // Quantiles invert the CDF; the sojourn quantile is the wait quantile + D.
        let p99 = q.wait_quantile(0.99).unwrap();
        assert!((q.wait_cdf(p99).unwrap() - 0.99).abs() < 1e-9);
        close(q.sojourn_quantile(0.99).unwrap(), p99 + 0.01, 1e-12);
        assert_eq!(q.wait_quantile(0.05), Some(0.0));
        // Mean wait by integrating the tail numerically equals P-K.
        let h = 1e-4;
        let mean: f64 = (0..20_000)
            .map(|i| h * (1.0 - q.wait_cdf((i as f64 + 0.5) * h).unwrap()))
            .sum();
        close(mean, q.mean_wait(), 1e-6);
    }

    /// The look-back M/D/1 CDF is continuous across multiples of D, non-decreasing, and
    /// stays exact where Erlang's alternating sum would have lost every digit.
    #[test]
    fn md1_wait_cdf_is_well_behaved() {
        let q = MG1::new(0.9, &Distribution::Deterministic { value: 1.0 }).unwrap();
        for k in 1..60 {
            let at = q.wait_cdf(k as f64).unwrap();
            let before = q.wait_cdf(k as f64 - 1e-12).unwrap();
            assert!((at - before).abs() < 1e-10, "jump at {k}");
        }
        let mut last = 0.0;
        for i in 0..4000 {
            let f = q.wait_cdf(i as f64 * 0.05).unwrap();
            assert!(f >= last - 1e-15 && f <= 1.0);
            last = f;
        }
        assert_eq!(q.wait_cdf(1e9), Some(1.0));
        assert_eq!(q.wait_cdf(-1.0), None);
        assert_eq!(q.wait_cdf(f64::NAN), None);
    }

    /// M/E2/1 and M/H2/1 wait and sojourn CDFs against Talbot inversion of the
    /// Pollaczek–Khinchine transform at 60 digits (tests/reference/mg1_reference.py,
    /// part 3); tolerance 1e-12 absolute.
    #[test]
    fn mph1_cdfs_match_transform_inversion() {
        let e2 = MG1::new(0.9, &Distribution::Erlang { k: 2, mean: 1.0 }).unwrap();
        for (t, w, s) in [
            (0.5, 0.150_849_195_842_593_23, 0.031_493_231_368_506_314),
            (2.0, 0.304_379_968_532_887_68, 0.200_204_837_955_548_30),
            (10.0, 0.763_576_817_221_153_93, 0.728_138_865_576_990_93),
            (40.0, 0.995_868_921_789_249_80, 0.995_249_706_075_502_37),
        ] {
            assert!((e2.wait_cdf(t).unwrap() - w).abs() < 1e-12, "E2 wait {t}");
            assert!(
                (e2.sojourn_cdf(t).unwrap() - s).abs() < 1e-12,
                "E2 sojourn {t}"
            );
        }
        let h2 = MG1::new(
            0.5,
            &Distribution::Hyperexponential {
                branches: vec![
                    Branch {
                        probability: 0.9,
                        mean: 0.5,
                    },
                    Branch {
                        probability: 0.1,
                        mean: 5.5,
                    },
                ],
            },
        )
        .unwrap();
        for (t, w, s) in [
            (0.5, 0.592_620_541_088_072_98, 0.322_535_624_938_898_42),
            (2.0, 0.702_813_872_229_317_55, 0.617_032_644_006_704_04),
            (10.0, 0.884_911_149_188_853_48, 0.858_181_375_427_635_26),
            (40.0, 0.996_467_832_844_766_67, 0.995_647_476_978_476_41),
        ] {
            assert!((h2.wait_cdf(t).unwrap() - w).abs() < 1e-12, "H2 wait {t}");
            assert!(
                (h2.sojourn_cdf(t).unwrap() - s).abs() < 1e-12,
                "H2 sojourn {t}"
            );
        }
        // Percentiles are the inverse of the CDF; the sojourn p99 exceeds the wait p99.
        let w99 = h2.wait_quantile(0.99).unwrap();
        let s99 = h2.sojourn_quantile(0.99).unwrap();
        assert!((h2.wait_cdf(w99).unwrap() - 0.99).abs() < 1e-9);
        assert!((h2.sojourn_cdf(s99).unwrap() - 0.99).abs() < 1e-9);
        assert!(s99 > w99);
    }

    /// Erlang-3 state probabilities: the embedded-chain recursion against the M/PH/1
    /// distributional Little's law P(N = n) = γ [λ(λI − M)⁻¹]ⁿ (λI − M)⁻¹ m₀, where
    /// (γ, M) is the sojourn phase-type law and m₀ = −M·1 (a second, independent method).
    #[test]
    fn erlang_states_by_two_methods() {
        let lambda = 0.7;
        let q = MG1::new(lambda, &Distribution::Erlang { k: 3, mean: 1.0 }).unwrap();
        let Route::PhaseType(w) = &q.route else {
            panic!("phase type expected")
        };
        let m = &w.sojourn_gen;
        let n = m.nrows();
        let exit = -(m * DVector::from_element(n, 1.0));
        let inv = (DMatrix::identity(n, n) * lambda - m)
            .try_inverse()
            .unwrap();
        let mut row = w.sojourn_init.clone();
        for k in 0..40u64 {
            let p = (&row * &inv * &exit)[(0, 0)];
            close(q.prob_n(k).unwrap(), p, 1e-9);
            row = lambda * (&row * &inv);
        }
    }

    #[test]
    fn no_percentiles_without_an_exact_route() {
        for d in [
            Distribution::Lognormal {
                mean: 1.0,
                scv: 3.0,
            },
            Distribution::Gamma {
                shape: 2.5,
                mean: 1.0,
            },
            Distribution::Uniform { min: 0.5, max: 1.5 },
        ] {
            let q = MG1::new(0.5, &d).unwrap();
            assert!(q.wait_quantile(0.99).is_none());
            assert!(q.sojourn_quantile(0.5).is_none());
            assert!(q.distribution_method().is_none());
            close(q.mean_wait(), 0.5 * d.second_moment() / 1.0, 1e-13);
        }
        // A whole-shape gamma is Erlang, with its exact distribution.
        let g2 = MG1::new(
            0.9,
            &Distribution::Gamma {
                shape: 2.0,
                mean: 1.0,
            },
        )
        .unwrap();
        let e2 = MG1::new(0.9, &Distribution::Erlang { k: 2, mean: 1.0 }).unwrap();
        assert_eq!(g2.wait_cdf(3.0), e2.wait_cdf(3.0));
        // Gamma has exact state probabilities; lognormal does not.
        let g = MG1::new(
            0.5,
            &Distribution::Gamma {
                shape: 2.5,
                mean: 1.0,
            },
        )
        .unwrap();
        let total: f64 = (0..5000).map_while(|n| g.prob_n(n)).sum();
        assert!((total - 1.0).abs() < 1e-12);
        let l: f64 = (0..5000)
            .map_while(|n| g.prob_n(n).map(|p| n as f64 * p))
            .sum();
        close(l, g.mean_number_in_system(), 1e-10);
    }

    #[test]
    fn rejects_bad_input() {
        let d = Distribution::Exponential { mean: 1.0 };
        assert!(matches!(
            MG1::new(1.0, &d),
            Err(AnalyticError::Unstable { .. })
        ));
        assert!(matches!(
            MG1::new(f64::NAN, &d),
            Err(AnalyticError::InvalidParameter {
                name: "arrival_rate",
                ..
            })
        ));
        assert!(matches!(
            MG1::new(0.5, &Distribution::Exponential { mean: -1.0 }),
            Err(AnalyticError::InvalidDistribution { .. })
        ));
        assert!(matches!(
            MG1::new(0.5, &Distribution::Deterministic { value: 0.0 }),
            Err(AnalyticError::InvalidParameter {
                name: "service.mean",
                ..
            })
        ));
    }
}

#[cfg(test)]
mod heavy_load {
    use super::*;
    use crate::analytic::NodeSolution;

    /// ρ = 0.99 (M/D/1) and Erlang-32 at ρ = 0.95: percentiles exist, invert the CDF,
    /// and the full record is built.
    #[test]
    fn high_load_percentiles() {
        let q = MG1::new(0.99, &Distribution::Deterministic { value: 1.0 }).unwrap();
        let s = NodeSolution::from_metrics(&q);
        let w = s.wait.unwrap();
        assert!((q.wait_cdf(w.p999).unwrap() - 0.999).abs() < 1e-9);
        assert!(w.p50 < w.p95 && w.p95 < w.p99 && w.p99 < w.p999);
        // ρ = 0.999: about 17 000 state probabilities, still complete and fast.
        let q = MG1::new(0.999, &Distribution::Deterministic { value: 1.0 }).unwrap();
        let p999 = q.wait_quantile(0.999).unwrap();
        assert!((q.wait_cdf(p999).unwrap() - 0.999).abs() < 1e-9);
        let q = MG1::new(0.95, &Distribution::Erlang { k: 32, mean: 1.0 }).unwrap();
        let s = NodeSolution::from_metrics(&q);
        let w = s.sojourn.unwrap();
        assert!((q.sojourn_cdf(w.p99).unwrap() - 0.99).abs() < 1e-9);
    }
}
