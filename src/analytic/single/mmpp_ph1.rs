//! MMPP/PH/1: one consumer fed by a Markov-modulated Poisson process, with a
//! phase-type service law (exponential, Erlang, hyperexponential, gamma of a whole
//! shape), solved exactly as a quasi-birth–death process.
//!
//! Level n is the number in the node; the phase is (arrival phase i, service phase j)
//! while the consumer is busy, the arrival phase alone at level 0. With D₁ = diag(λ),
//! D₀ = Q − D₁ the MMPP's blocks and (α, T) the service law (t = −T1):
//! A₀ = D₁ ⊗ I, A₁ = D₀ ⊗ I + I ⊗ T, A₂ = I ⊗ tα above the boundary; level 0 has D₀
//! within it, D₁ ⊗ α up and I ⊗ t down. R comes from [`Qbd`] (logarithmic reduction);
//! π₀ and π₁ from the boundary equations π₀D₀ + π₁(I ⊗ t) = 0,
//! π₀(D₁ ⊗ α) + π₁(A₁ + RA₂) = 0 with π₀1 + π₁(I − R)⁻¹1 = 1; then π_{n+1} = π_n R.
//!
//! Figures: P0 = π₀1; L = π₁(I − R)⁻²1; E\[N²\] = π₁(I + R)(I − R)⁻³1; the mean arrival
//! rate λ̄ = θλ (θ the MMPP's stationary phase law); W = L/λ̄, Wq = W − E\[S\],
//! Lq = λ̄Wq; P(wait) = 1 − π₀λ/λ̄ (arrivals that find the consumer busy). Exact up to
//! floating point (labelled numerical); the wait distribution is not given here.
//!
//! References: Neuts (1981), *Matrix-Geometric Solutions in Stochastic Models*, ch. 3;
//! Latouche & Ramaswami (1999), *Introduction to Matrix Analytic Methods in Stochastic
//! Modeling*, ch. 6 and §8.4; Lucantoni (1991), Stochastic Models 7(1) (the MAP/G/1
//! queue, of which MMPP/PH/1 is a case).

use nalgebra::{DMatrix, DVector, RowDVector};

use crate::analytic::ctmc::Qbd;
use crate::analytic::ctmc::qbd::stationary;
use crate::analytic::error::AnalyticError;
use crate::analytic::method::Method;
use crate::analytic::metrics::QueueMetrics;
use crate::analytic::single::mg1::PhaseType;
use crate::model::Distribution;

/// Most phases per level (arrival phases × service phases).
pub const MMPP_PH1_MAX_PHASES: usize = 400;

/// Levels whose probabilities are kept for P(N = n): until the tail mass left is below
/// 1e-15 of the total, or this many.
const MAX_LEVELS: usize = 10_000;

/// An MMPP/PH/1 queue, solved as a quasi-birth–death process: level n the number in
/// the node, phase (arrival phase, service phase); R by logarithmic reduction
/// ([`Qbd`](crate::analytic::ctmc::Qbd)), the boundary by one linear solve; P0, P(N = n),
/// L, E\[N²\], W and Wq by Little's law, and the arrival-weighted P(wait). Labelled
/// numerical (exact up to floating point).
///
/// # Errors
/// [`AnalyticError::InvalidParameter`] for a bad MMPP, a service law that is not
/// phase-type, or more than [`MMPP_PH1_MAX_PHASES`] phases; [`AnalyticError::Unstable`]
/// when λ̄·E\[S\] >= 1.
///
/// # Example
/// ```
/// use kendall::analytic::{MmppPh1, QueueMetrics};
/// use kendall::model::Distribution;
/// // One arrival phase: M/E2/1 at rho = 0.5, whose L is rho + lambda²E[S²]/(2(1 − rho)).
/// let q = MmppPh1::new(&[0.5], &[vec![0.0]], &Distribution::Erlang { k: 2, mean: 1.0 }).unwrap();
/// let l = 0.5 + 0.25 * 1.5 / (2.0 * 0.5);
/// assert!((q.mean_number_in_system() - l).abs() < 1e-10);
/// assert!((q.prob_empty().unwrap() - 0.5).abs() < 1e-12);
/// ```
#[derive(Debug, Clone)]
pub struct MmppPh1 {
    lambda: f64,
    mean_service: f64,
    p0: f64,
    p_wait: f64,
    l: f64,
    second: f64,
    /// P(N = n) for n = 0, 1, ... (see `MAX_LEVELS`).
    levels: Vec<f64>,
    iterations: u32,
    residual: f64,
}

impl MmppPh1 {
    /// The queue fed by the MMPP (`rates` per phase, phase `generator`), served by one
    /// consumer whose service law is `service`.
    ///
    /// # Errors
    /// See the type's documentation.
    pub fn new(
        rates: &[f64],
        generator: &[Vec<f64>],
        service: &Distribution,
    ) -> Result<Self, AnalyticError> {
        let bad = |name: &'static str, value: f64, rule: &'static str| {
            Err(AnalyticError::InvalidParameter { name, value, rule })
        };
        let ma = rates.len();
        if ma == 0 || generator.len() != ma || generator.iter().any(|r| r.len() != ma) {
            return bad(
                "generator",
                ma as f64,
                "a square matrix with one row per rate",
            );
        }
        if rates.iter().any(|r| !(r.is_finite() && *r >= 0.0)) || rates.iter().all(|r| *r == 0.0) {
            return bad("rates", 0.0, "finite, >= 0 and not all 0");
        }
        let Some(ph) = PhaseType::of(service) else {
            return bad(
                "service",
                service.mean(),
                "a phase-type law (exponential, Erlang, hyperexponential, gamma of a whole shape)",
            );
        };
        let ms = ph.t.nrows();
        let m = ma * ms;
        if m > MMPP_PH1_MAX_PHASES {
            return bad("phases", m as f64, "at most 400 arrival × service phases");
        }
        // The MMPP's blocks.
        let mut d0 = DMatrix::<f64>::zeros(ma, ma);
        for i in 0..ma {
            let mut out = 0.0;
            for j in 0..ma {
                if i != j {
                    let q = generator[i][j];
                    if !(q.is_finite() && q >= 0.0) {
                        return bad("generator", q, "finite rates >= 0 off the diagonal");
                    }
                    d0[(i, j)] = q;
                    out += q;
                }
            }
            d0[(i, i)] = -out - rates[i];
        }
        let d1 = DMatrix::from_diagonal(&DVector::from_column_slice(rates));
        let q_phase = &d0 + &d1;
        let Some(theta) = stationary(&q_phase) else {
            return bad("generator", 0.0, "an irreducible phase process");
        };
        let lambda: f64 = (0..ma).map(|i| theta[i] * rates[i]).sum();
        let mean_service = service.mean();
        let rho = lambda * mean_service;
        if rho.is_nan() || rho >= 1.0 {
            return Err(AnalyticError::Unstable { utilisation: rho });
        }
        let ia = DMatrix::<f64>::identity(ma, ma);
        let is = DMatrix::<f64>::identity(ms, ms);
        let ones_s = DVector::from_element(ms, 1.0);
        let exit = -(&ph.t * &ones_s); // t
        let t_alpha = &exit * &ph.alpha; // t α (ms × ms)
        let up = d1.kronecker(&is);
        let local = d0.kronecker(&is) + ia.kronecker(&ph.t);
        let down = ia.kronecker(&t_alpha);
        let qbd = Qbd::new(up.clone(), local.clone(), down.clone())?;
        let sol = qbd.solve()?;
        let r = &sol.r;
        // Boundary: x [[D0, D1⊗α], [I⊗t, A1 + R A2]] = 0, x = [π0, π1], normalised.
        let n = ma + m;
        let mut mat = DMatrix::<f64>::zeros(n, n);
        mat.view_mut((0, 0), (ma, ma)).copy_from(&d0);
        mat.view_mut((0, ma), (ma, m))
            .copy_from(&d1.kronecker(&ph.alpha));
        mat.view_mut((ma, 0), (m, ma))
            .copy_from(&ia.kronecker(&exit));
        mat.view_mut((ma, ma), (m, m))
            .copy_from(&(&local + r * &down));
        let eye = DMatrix::<f64>::identity(m, m);
        let Some(inv) = (&eye - r).try_inverse() else {
            return Err(AnalyticError::NoMethod {
                reason: "I − R is singular (the QBD is at the edge of stability)".into(),
            });
        };
        let ones = DVector::from_element(m, 1.0);
        let tail_ones = &inv * &ones; // (I − R)⁻¹ 1
        // Replace the last column by the normalisation: π0·1 + π1 (I − R)⁻¹ 1 = 1.
        for i in 0..ma {
            mat[(i, n - 1)] = 1.0;
        }
        for i in 0..m {
            mat[(ma + i, n - 1)] = tail_ones[i];
        }
        let mut rhs = RowDVector::<f64>::zeros(n);
        rhs[n - 1] = 1.0;
        let Some(x) = mat.transpose().lu().solve(&rhs.transpose()) else {
            return Err(AnalyticError::NoMethod {
                reason: "the boundary equations of the QBD are singular".into(),
            });
        };
        let pi0 = RowDVector::from_iterator(ma, (0..ma).map(|i| x[i]));
        let pi1 = RowDVector::from_iterator(m, (0..m).map(|i| x[ma + i]));
        let p0: f64 = pi0.sum();
        let l = (&pi1 * &inv * &tail_ones)[(0, 0)];
        let inv3 = &inv * &inv * &inv;
        let second = (&pi1 * (&eye + r) * inv3 * &ones)[(0, 0)];
        let arrivals_idle: f64 = (0..ma).map(|i| pi0[i] * rates[i]).sum();
        let p_wait = (1.0 - arrivals_idle / lambda).clamp(0.0, 1.0);
        // Level masses for P(N = n).
        let mut levels = vec![p0];
        let mut v = pi1.clone();
        let mut mass = p0;
        while levels.len() < MAX_LEVELS {
            let p = v.sum();
            levels.push(p);
            mass += p;
            if 1.0 - mass < 1e-15 {
                break;
            }
            v = &v * r;
        }
        for (name, v) in [("L", l), ("P0", p0), ("E[N²]", second)] {
            if !v.is_finite() || v < -1e-12 {
                return Err(AnalyticError::NoMethod {
                    reason: format!("the QBD solution gives {name} = {v}: not trusted"),
                });
            }
        }
        Ok(Self {
            lambda,
            mean_service,
            p0: p0.clamp(0.0, 1.0),
            p_wait,
            l: l.max(0.0),
            second: second.max(0.0),
            levels,
            iterations: sol.iterations,
            residual: sol.residual,
        })
    }
}

impl QueueMetrics for MmppPh1 {
    fn method(&self) -> Method {
        Method::numerical(
            format!(
                "MMPP/PH/1 as a quasi-birth–death process (R by logarithmic reduction, {} steps, residual {:.1e}; boundary by one linear solve)",
                self.iterations, self.residual
            ),
            "Neuts (1981), Matrix-Geometric Solutions in Stochastic Models; Latouche & Ramaswami (1999), §8.4; Lucantoni (1991), Stochastic Models 7(1)",
        )
    }
    fn arrival_rate(&self) -> f64 {
        self.lambda
    }
    fn throughput(&self) -> f64 {
        self.lambda
    }
    fn utilisation(&self) -> f64 {
        self.lambda * self.mean_service
    }
    fn servers(&self) -> Option<u64> {
        Some(1)
    }
    fn mean_number_in_system(&self) -> f64 {
        self.l
    }
    fn mean_queue_length(&self) -> f64 {
        (self.l - self.utilisation()).max(0.0)
    }
    fn mean_sojourn(&self) -> f64 {
        self.l / self.lambda
    }
    fn mean_wait(&self) -> f64 {
        (self.mean_sojourn() - self.mean_service).max(0.0)
    }
    fn prob_empty(&self) -> Option<f64> {
        Some(self.p0)
    }
    fn prob_wait(&self) -> Option<f64> {
        Some(self.p_wait)
    }
    fn prob_block(&self) -> Option<f64> {
        Some(0.0)
    }
    fn prob_n(&self, n: u64) -> Option<f64> {
        self.levels.get(usize::try_from(n).ok()?).copied()
    }
    /// Var(N) = E\[N²\] − L².
    fn var_number(&self) -> Option<f64> {
        Some((self.second - self.l * self.l).max(0.0))
    }
}
