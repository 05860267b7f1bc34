//! MMPP/M/c: bursty (Markov-modulated Poisson) arrivals, c exponential consumers,
//! unlimited FIFO buffer, solved exactly as a quasi-birth–death process.
//!
//! The arrivals switch between m phases with generator Q, arriving at rate λᵢ in phase
//! i (Λ = diag(λ)); level n is the number of messages in the node. Up: Λ; within a
//! level: Q − Λ − min(n, c)μI; down: min(n, c)μI. Above c the blocks do not depend on
//! n, so π_{n+1} = π_n R for n >= c with R and G from the [`Qbd`] (logarithmic
//! reduction); the levels 0..c by level reduction through first-passage matrices,
//! π_n = π_{n−1}R_n with M_n = −(Q − Λ − nμI + ΛG_{n+1}), R_n = ΛM_n⁻¹,
//! G_n = M_n⁻¹nμ (G_{c+1} = G, each kept stochastic), and π₀(Q − Λ + ΛG₁) = 0 (the
//! null vector by SVD), normalised. Stable iff λ̄ = θΛ1 < cμ (θ the phases'
//! stationary law).
//!
//! Figures, with λ̄ the mean rate and Π = π_c(I − R)⁻¹ (the mass at levels >= c, by
//! phase): L = Σ_{n<c} n π_n 1 + cΠ1 + π_cR(I − R)⁻²1, Lq = π_cR(I − R)⁻²1, W = L/λ̄,
//! Wq = Lq/λ̄ (Little), P(N = n) = π_n1, P0 = π₀1, utilisation λ̄/(cμ). An arrival sees
//! level n in phase i with probability π_n(i)λᵢ/λ̄ (arrivals are more likely in busy
//! phases: P(wait) = ΠΛ1/λ̄, not the time average). If it finds n >= c it waits for
//! n − c + 1 completions at rate cμ, whatever the arrivals do (FIFO), so
//! P(Wq > t) = Σ_k π_cR^kΛ1/λ̄ · P(Erlang(k + 1, cμ) > t) = π_c(I − R)⁻¹e^{−cμ(I−R)t}Λ1/λ̄,
//! a matrix exponential; the sojourn adds an independent Exp(μ), evaluated with the
//! exponential of a block matrix. Percentiles by root finding on these CDFs: exact up to
//! the floating point.
//!
//! References: Neuts (1981), *Matrix-Geometric Solutions in Stochastic Models*, ch. 3 and
//! 6; Latouche & Ramaswami (1999), *Introduction to Matrix Analytic Methods in Stochastic
//! Modeling*, ch. 6 and 8; Fischer & Meier-Hellstern (1993), "The Markov-modulated
//! Poisson process (MMPP) cookbook", *Performance Evaluation* 18(2).

use nalgebra::{DMatrix, DVector, RowDVector};

use crate::analytic::ctmc::Qbd;
use crate::analytic::ctmc::qbd::{boundary_levels, level_mass, stationary};
use crate::analytic::error::{AnalyticError, positive};
use crate::analytic::method::Method;
use crate::analytic::metrics::{QueueMetrics, invert_cdf};

/// The most consumers × phases² the boundary levels may cost (a level reduction of c
/// levels of m phases is O(c·m³)).
pub const MMPP_MAX_WORK: usize = 50_000_000;

/// MMPP/M/c solved as a QBD (see the module docs).
///
/// # Errors
/// [`AnalyticError::InvalidParameter`] for a bad rate, generator or size;
/// [`AnalyticError::Unstable`] when λ̄ >= cμ; [`AnalyticError::NoMethod`] when the
/// solver fails or the model is beyond [`MMPP_MAX_WORK`].
///
/// # Example
/// ```
/// use kendall::analytic::{MmppMc, QueueMetrics};
/// // Two phases with the same rate: Poisson, so M/M/1 with ρ = 0.5.
/// let q = MmppMc::new(&[1.0, 1.0], &[vec![-0.3, 0.3], vec![0.7, -0.7]], 2.0, 1).unwrap();
/// assert!((q.mean_number_in_system() - 1.0).abs() < 1e-12);
/// assert!((q.sojourn_quantile(0.99).unwrap() - 100f64.ln()).abs() < 1e-9);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct MmppMc {
    mu: f64,
    c: u64,
    mean_rate: f64,
    /// π_n for n = 0..=c, by phase.
    head: Vec<RowDVector<f64>>,
    r: DMatrix<f64>,
    /// I − R.
    i_minus_r: DMatrix<f64>,
    /// π_c(I − R)⁻¹: the mass at levels >= c, by phase (normalised).
    waiting_mass: RowDVector<f64>,
    /// Arrival rates by phase, as a column.
    lambda: DVector<f64>,
    l: f64,
    lq: f64,
    /// E\[N²\].
    second: f64,
    /// E\[Wq²\].
    wait_second: f64,
    p_wait: f64,
    iterations: u32,
    residual: f64,
}

impl MmppMc {
    /// Arrival `rates` by phase, phase `generator`, service rate `mu`, `c` consumers.
    pub fn new(
        rates: &[f64],
        generator: &[Vec<f64>],
        mu: f64,
        c: u64,
    ) -> Result<Self, AnalyticError> {
        positive("service_rate", mu)?;
        let m = rates.len();
        if m == 0 || generator.len() != m || generator.iter().any(|row| row.len() != m) {
            return Err(AnalyticError::InvalidParameter {
                name: "generator",
                value: m as f64,
                rule: "a square matrix with one row per rate",
            });
        }
        if c == 0 {
            return Err(AnalyticError::InvalidParameter {
                name: "servers",
                value: 0.0,
                rule: "an integer >= 1",
            });
        }
        if (c as usize).saturating_mul(m * m * m) > MMPP_MAX_WORK {
            return Err(AnalyticError::NoMethod {
                reason: format!(
                    "MMPP/M/c with {c} consumers and {m} phases is beyond the exact solver's budget ({MMPP_MAX_WORK} operations for its boundary levels): simulate"
                ),
            });
        }
        if rates.iter().any(|r| !(r.is_finite() && *r >= 0.0)) || rates.iter().all(|r| *r == 0.0) {
            return Err(AnalyticError::InvalidParameter {
                name: "rates",
                value: rates.iter().copied().fold(f64::NAN, f64::min),
                rule: "finite rates >= 0, at least one > 0",
            });
        }
        let q = DMatrix::from_fn(m, m, |i, j| generator[i][j]);
        let lam = DMatrix::from_diagonal(&DVector::from_row_slice(rates));
        let cmu = c as f64 * mu;
        let up = lam.clone();
        let down = DMatrix::<f64>::identity(m, m) * cmu;
        let local = &q - &lam - &down;
        let qbd = Qbd::new(up, local, down)?;
        let theta = stationary(&q).ok_or(AnalyticError::InvalidParameter {
            name: "generator",
            value: f64::NAN,
            rule: "an irreducible generator (its phases must communicate)",
        })?;
        let lambda = DVector::from_row_slice(rates);
        let mean_rate = (&theta * &lambda)[(0, 0)];
        if mean_rate >= cmu {
            return Err(AnalyticError::Unstable {
                utilisation: mean_rate / cmu,
            });
        }
        let sol = qbd.solve()?;
        let r = sol.r.clone();
        let id = DMatrix::<f64>::identity(m, m);
        let fail = |why: &str| AnalyticError::NoMethod {
            reason: format!("the MMPP/M/c boundary could not be solved ({why}): simulate"),
        };
        // Levels 0..=c by level reduction (`boundary_levels`): U_n = Λ,
        // L_n = Q − Λ − nμI, D_n = nμI; M_n is a diagonally dominant M-matrix whose rows
        // sum to nμ.
        let cu = c as usize;
        let (head, inv_ir) = boundary_levels(
            cu,
            |_| lam.clone(),
            |n| &q - &lam - &id * (n as f64 * mu),
            |n| &id * (n as f64 * mu),
            &sol,
        )
        .map_err(fail)?;
        let ones = DVector::from_element(m, 1.0);
        let pi_c = &head[cu];
        let lq = (pi_c * &r * &inv_ir * &inv_ir * &ones)[(0, 0)];
        let l = head[..cu]
            .iter()
            .enumerate()
            .map(|(n, p)| n as f64 * p.sum())
            .sum::<f64>()
            + c as f64 * (pi_c * &inv_ir * &ones)[(0, 0)]
            + lq;
        let waiting_mass = pi_c * &inv_ir;
        let p_wait = ((&waiting_mass * &lambda)[(0, 0)] / mean_rate).clamp(0.0, 1.0);
        // E[N²] = Σ_{n<c} n²π_n1 + Σ_j (c + j)²π_cR^j1, with Σ_j jR^j = R(I − R)⁻² and
        // Σ_j j²R^j = R(I + R)(I − R)⁻³.
        let cf = c as f64;
        let s0 = (pi_c * &inv_ir * &ones)[(0, 0)];
        let s2 = (pi_c * &r * (&id + &r) * &inv_ir * &inv_ir * &inv_ir * &ones)[(0, 0)];
        let second = head[..cu]
            .iter()
            .enumerate()
            .map(|(n, p)| (n * n) as f64 * p.sum())
            .sum::<f64>()
            + cf * cf * s0
            + 2.0 * cf * lq
            + s2;
        // P(Wq > t) = a·e^{−cμ(I − R)t}·Λ1 with a = π_c(I − R)⁻¹/λ̄, so
        // E[Wq²] = 2∫t P(Wq > t) dt = 2a(cμ(I − R))⁻²Λ1.
        let wait_second =
            2.0 * (&waiting_mass * &inv_ir * &inv_ir * &lambda)[(0, 0)] / (mean_rate * cmu * cmu);
        Ok(Self {
            mu,
            c,
            mean_rate,
            head,
            i_minus_r: &id - &r,
            waiting_mass,
            r,
            lambda,
            l,
            lq,
            second,
            wait_second,
            p_wait,
            iterations: sol.iterations,
            residual: sol.residual,
        })
    }

    /// P(Wq > t) = π_c(I − R)⁻¹e^{−cμ(I−R)t}Λ1/λ̄.
    fn wait_tail(&self, t: f64) -> f64 {
        let exponent = &self.i_minus_r * (-(self.c as f64) * self.mu * t);
        let v = &self.waiting_mass * exponent.exp() * &self.lambda;
        (v[(0, 0)] / self.mean_rate).clamp(0.0, 1.0)
    }

    /// P(Wq + S > t), S ~ Exp(μ): e^{−μt} + μ·a·[exp(Bt)]₁₂, B = [[M, b], [0, −μ]] with
    /// P(Wq > t) = a·e^{Mt}·b.
    fn sojourn_tail(&self, t: f64) -> f64 {
        let m = self.r.nrows();
        let cmu = self.c as f64 * self.mu;
        let a = &self.waiting_mass / self.mean_rate;
        let b = &self.lambda;
        let mut big = DMatrix::<f64>::zeros(m + 1, m + 1);
        big.view_mut((0, 0), (m, m))
            .copy_from(&(&self.i_minus_r * (-cmu)));
        big.view_mut((0, m), (m, 1)).copy_from(b);
        big[(m, m)] = -self.mu;
        let e = (big * t).exp();
        let conv = (&a * e.view((0, m), (m, 1)))[(0, 0)];
        ((-self.mu * t).exp() + self.mu * conv).clamp(0.0, 1.0)
    }

    /// Logarithmic-reduction steps and the residual of R.
    pub fn solver_figures(&self) -> (u32, f64) {
        (self.iterations, self.residual)
    }
}

impl QueueMetrics for MmppMc {
    fn method(&self) -> Method {
        Method::numerical(
            format!(
                "MMPP/M/c as a quasi-birth–death process: R by logarithmic reduction ({} steps, residual {:.1e}), levels 0..c by level reduction",
                self.iterations, self.residual
            ),
            "Neuts (1981), Matrix-Geometric Solutions; Latouche & Ramaswami (1999), §8.4; Fischer & Meier-Hellstern (1993), the MMPP cookbook",
        )
    }
    fn arrival_rate(&self) -> f64 {
        self.mean_rate
    }
    fn throughput(&self) -> f64 {
        self.mean_rate
    }
    fn utilisation(&self) -> f64 {
        self.mean_rate / (self.c as f64 * self.mu)
    }
    fn servers(&self) -> Option<u64> {
        Some(self.c)
    }
    fn mean_number_in_system(&self) -> f64 {
        self.l
    }
    fn mean_queue_length(&self) -> f64 {
        self.lq
    }
    fn mean_sojourn(&self) -> f64 {
        self.l / self.mean_rate
    }
    fn mean_wait(&self) -> f64 {
        self.lq / self.mean_rate
    }
    fn prob_empty(&self) -> Option<f64> {
        Some(self.head[0].sum())
    }
    fn prob_wait(&self) -> Option<f64> {
        Some(self.p_wait)
    }
    fn prob_block(&self) -> Option<f64> {
        Some(0.0)
    }
    /// Var(N) = E\[N²\] − L².
    fn var_number(&self) -> Option<f64> {
        Some((self.second - self.l * self.l).max(0.0))
    }
    /// Var(Wq) from the wait's matrix-exponential law.
    fn var_wait(&self) -> Option<f64> {
        let w = self.mean_wait();
        Some((self.wait_second - w * w).max(0.0))
    }
    /// Var(W) = Var(Wq) + 1/μ² (the own service is independent of the wait).
    fn var_sojourn(&self) -> Option<f64> {
        Some(self.var_wait()? + 1.0 / (self.mu * self.mu))
    }
    fn prob_n(&self, n: u64) -> Option<f64> {
        let c = self.c;
        if n <= c {
            return Some(self.head[n as usize].sum());
        }
        Some(level_mass(&self.head[c as usize], &self.r, n - c))
    }
    fn wait_cdf(&self, t: f64) -> Option<f64> {
        (t >= 0.0).then(|| 1.0 - self.wait_tail(t))
    }
    fn sojourn_cdf(&self, t: f64) -> Option<f64> {
        (t >= 0.0).then(|| 1.0 - self.sojourn_tail(t))
    }
    fn wait_quantile(&self, p: f64) -> Option<f64> {
        invert_cdf(|t| 1.0 - self.wait_tail(t), p, self.mean_sojourn())
    }
    fn sojourn_quantile(&self, p: f64) -> Option<f64> {
        invert_cdf(|t| 1.0 - self.sojourn_tail(t), p, self.mean_sojourn())
    }
    fn distribution_method(&self) -> Option<Method> {
        Some(Method::numerical(
            "the level an arrival finds (arrival-weighted, by phase), Erlang waits at rate cμ summed as a matrix exponential π_c(I − R)⁻¹e^{−cμ(I−R)t}Λ1/λ̄; the sojourn adds Exp(μ) (block exponential)",
            "Neuts (1981), ch. 3; Latouche & Ramaswami (1999)",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytic::ctmc::Ctmc;

    /// MMPP(2)/M/2 and MMPP(2)/M/20 against a truncated CTMC of the same queue solved by the crate's
    /// sparse steady-state solver (a second method): L, P0, P(wait) (arrival-weighted)
    /// and P(N = n) to 1e-10.
    #[test]
    fn matches_a_truncated_ctmc() {
        // (rates, generator, μ, c, levels): a light case, and bursts above the capacity
        // of 20 consumers (where the boundary needs the first-passage recursion).
        let cases = [
            ([0.5, 4.0], [[-0.1, 0.1], [0.4, -0.4]], 1.5, 2u64, 400usize),
            ([10.0, 30.0], [[-0.5, 0.5], [1.0, -1.0]], 1.0, 20, 1500),
        ];
        for (rates, g, mu, c, levels) in cases {
            let generator_: Vec<Vec<f64>> = g.iter().map(|r| r.to_vec()).collect();
            let q = MmppMc::new(&rates, &generator_, mu, c).unwrap();
            let idx = |n: usize, i: usize| n * 2 + i;
            let mut t = Vec::new();
            for n in 0..levels {
                for i in 0..2 {
                    let j = 1 - i;
                    t.push((idx(n, i), idx(n, j), g[i][j]));
                    if n + 1 < levels {
                        t.push((idx(n, i), idx(n + 1, i), rates[i]));
                    }
                    if n > 0 {
                        t.push((idx(n, i), idx(n - 1, i), mu * n.min(c as usize) as f64));
                    }
                }
            }
            let pi = Ctmc::from_triplets(levels * 2, t)
                .unwrap()
                .steady_state()
                .unwrap()
                .pi;
            let level = |n: usize| pi[idx(n, 0)] + pi[idx(n, 1)];
            let l: f64 = (0..levels).map(|n| n as f64 * level(n)).sum();
            assert!(
                level(levels - 1) < 1e-15,
                "truncation {}",
                level(levels - 1)
            );
            let got = q.mean_number_in_system();
            assert!((got - l).abs() < 1e-9 * l, "c = {c}: L {got} vs {l}");
            assert!((q.prob_empty().unwrap() - level(0)).abs() < 1e-10);
            for n in [1u64, 2, 3, 10, 40] {
                assert!(
                    (q.prob_n(n).unwrap() - level(n as usize)).abs() < 1e-10,
                    "c = {c}, n = {n}"
                );
            }
            let mean = q.arrival_rate();
            let waits: f64 = (c as usize..levels)
                .map(|n| pi[idx(n, 0)] * rates[0] + pi[idx(n, 1)] * rates[1])
                .sum::<f64>()
                / mean;
            assert!((q.prob_wait().unwrap() - waits).abs() < 1e-10, "c = {c}");
        }
    }

    /// The wait CDF against the sum Σ P(level n found) P(Erlang(n − c + 1, cμ) > t) over
    /// the levels (no matrix exponential), and the sojourn's mean against W.
    #[test]
    fn distributions_by_a_second_route() {
        let rates = [1.0, 6.0];
        let generator_ = vec![vec![-0.2, 0.2], vec![0.5, -0.5]];
        let (mu, c) = (1.2, 3u64);
        let q = MmppMc::new(&rates, &generator_, mu, c).unwrap();
        let cmu = c as f64 * mu;
        let lam = DVector::from_row_slice(&rates);
        for t in [0.1, 1.0, 4.0] {
            let mut tail = 0.0;
            let mut v = q.head[c as usize].clone();
            for k in 0..3000 {
                let found = (&v * &lam)[(0, 0)] / q.arrival_rate();
                // P(Erlang(k + 1, cμ) > t) = Σ_{j<=k} e^{−x} x^j / j!
                let x = cmu * t;
                let mut term = (-x).exp();
                let mut erl = term;
                for j in 1..=k {
                    term *= x / j as f64;
                    erl += term;
                }
                tail += found * erl;
                v = &v * &q.r;
            }
            assert!(
                (1.0 - q.wait_cdf(t).unwrap() - tail).abs() < 1e-12,
                "t = {t}"
            );
        }
        // E[T] = ∫ P(T > t) dt by the trapezoid rule.
        let (h, n) = (0.002, 40_000);
        let area: f64 = (0..n)
            .map(|i| {
                let (a, b) = (i as f64 * h, (i + 1) as f64 * h);
                (q.sojourn_tail(a) + q.sojourn_tail(b)) / 2.0 * h
            })
            .sum();
        assert!(
            (area - q.mean_sojourn()).abs() < 1e-5 * q.mean_sojourn(),
            "{area} vs {}",
            q.mean_sojourn()
        );
    }

    #[test]
    fn refuses_bad_input() {
        let g = vec![vec![-1.0, 1.0], vec![1.0, -1.0]];
        assert!(matches!(
            MmppMc::new(&[1.0, 3.0], &g, 1.0, 2),
            Err(AnalyticError::Unstable { .. })
        ));
        assert!(MmppMc::new(&[1.0], &g, 1.0, 2).is_err());
        assert!(MmppMc::new(&[1.0, -1.0], &g, 1.0, 2).is_err());
        assert!(MmppMc::new(&[1.0, 1.0], &g, 1.0, 0).is_err());
        assert!(MmppMc::new(&[1.0, 1.0], &g, 0.0, 1).is_err());
    }
}
