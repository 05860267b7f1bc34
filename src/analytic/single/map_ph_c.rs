//! MAP/PH/c: c consumers with a phase-type service law, fed by a Markovian arrival
//! process (Poisson, an MMPP, or a renewal stream with phase-type gaps, thinned at
//! random or not), unlimited FIFO buffer, solved exactly as a level-dependent
//! quasi-birth–death process. M/PH/c, PH/PH/c and MMPP/PH/c are its cases.
//!
//! **States.** Level n is the number of messages in the node; its phase is (arrival
//! phase a, service configuration k), k = (k₁ … k_m) the number of busy consumers in
//! each service phase (Σk = min(n, c)): C(min(n, c) + m − 1, m − 1) configurations
//! (Ramaswami & Lucantoni 1985: counting servers per phase, not labelling them). With
//! the MAP's blocks (D₀, D₁) and the service law (α, T), t = −T1:
//! up, arrival a → a' at rate D₁(a, a'): below c a consumer starts in phase j w.p. αⱼ;
//! within a level, D₀ among arrival phases and kⱼT(j, j') for a consumer moving j → j';
//! down, a completion in phase j at rate kⱼtⱼ: below c the consumer goes idle, above c
//! it takes the next message, starting in phase j' w.p. α_j'.
//!
//! **Solution.** Above c the blocks do not depend on n: G and R of the [`Qbd`]
//! (logarithmic reduction); π_{n+1} = π_n R for n >= c. Levels 0..c by linear level
//! reduction through first-passage matrices (Latouche & Ramaswami 1999, §10.2):
//! G_{c+1} = G, M_n = −(L_n + U_nG_{n+1}), G_n = M_n⁻¹D_n (rows kept stochastic),
//! R_n = U_{n−1}M_n⁻¹, π_n = π_{n−1}R_n, and π₀(L₀ + U₀G₁) = 0 (the null vector by SVD),
//! normalised. Stable iff λ̄E\[S\] < c (λ̄ = θD₁1, θ the MAP's phase law).
//!
//! **Figures.** P(N = n) = π_n1; L and E\[N²\] from the head and the matrix-geometric
//! sums Σ_{j>=0}(c + j)^k π_cR^j1 in closed form; W = L/λ̄, Wq = Lq/λ̄ (Little). An
//! arrival sees (n, a, k) with probability π_n(a, k)(D₁1)ₐ/λ̄, so P(wait) is the mass
//! of n >= c so weighted.
//!
//! **Wait and sojourn laws.** An arrival that finds c + j messages waits, FIFO, for
//! j + 1 completions of the c busy consumers, whatever arrives after it. Uniformising
//! the consumers' configuration chain at rate ν (the largest total service rate), the
//! wait is Erlang(M, ν) given the number M of uniformised steps it lasts, so
//! P(Wq > t) = Σᵢ pois(i; νt)·P(M > i): the sequence P(M > i) is computed once, by
//! propagating the arrival's view (remaining completions, configuration) one step at a
//! time (sparse, O(levels × non-zeros) per step), the sojourn adding the message's own
//! service phases. No cancellation (every term is non-negative), truncated at 1e-16 of
//! mass; E\[Wq\] = E\[M\]/ν and E\[Wq²\] = E\[M(M + 1)\]/ν² give Var(Wq), and
//! Var(W) = Var(Wq) + Var(S) (the own service is independent of the wait). Percentiles
//! by root finding on these CDFs. Exact up to floating point (labelled numerical); when
//! the propagation would exceed [`MAP_PH_C_LAW_WORK`] the laws are not given.
//!
//! References: Neuts (1981), *Matrix-Geometric Solutions in Stochastic Models*;
//! Latouche & Ramaswami (1999), *Introduction to Matrix Analytic Methods in Stochastic
//! Modeling*, ch. 6, 8 and 10; Ramaswami & Lucantoni (1985), "Algorithms for the
//! multi-server queue with phase type service", *Stochastic Models* 1(3); Asmussen &
//! Møller (2001), "Calculation of the steady state waiting time distribution in GI/PH/c
//! and MAP/PH/c queues", *Queueing Systems* 37.

use std::collections::HashMap;

use nalgebra::{DMatrix, DVector, RowDVector};

use crate::analytic::ctmc::Qbd;
use crate::analytic::ctmc::qbd::{boundary_levels, level_mass, stationary};
use crate::analytic::error::AnalyticError;
use crate::analytic::method::Method;
use crate::analytic::metrics::{QueueMetrics, invert_cdf};
use crate::analytic::single::mg1::PhaseType;
use crate::analytic::single::special::poisson_mixture;
use crate::model::{ArrivalProcess, Distribution};

/// Most phases in one level (arrival phases × service configurations at c busy).
pub const MAP_PH_C_MAX_PHASES: usize = 400;

/// Most floating-point work the boundary levels may cost (Σₙ mₙ³ over levels 0..c).
pub const MAP_PH_C_MAX_WORK: f64 = 4e9;

/// Most uniformised steps of the wait's law.
const MAX_STEPS: usize = 2_000_000;

/// Most floating-point work for the wait's law (levels × non-zeros × steps).
pub const MAP_PH_C_LAW_WORK: f64 = 2e9;

/// Most levels above c whose probabilities are kept (P(N = n) further out by powers
/// of R).
const MAX_CACHED_LEVELS: usize = 20_000;

/// Most numbers held for the arrival's view (levels × configurations): 40 MB.
const MAX_VIEW: usize = 5_000_000;

/// Mass below which the arrival's view and the wait's law are truncated.
const TAIL: f64 = 1e-16;

/// A Markovian arrival process (D₀, D₁): D₀ the transitions without an arrival (its
/// diagonal the total rates out), D₁ those with one; D₀ + D₁ is a generator.
///
/// # Example
/// ```
/// use kendall::analytic::MarkovianArrivals;
/// use kendall::model::Distribution;
/// let poisson = MarkovianArrivals::poisson(3.0).unwrap();
/// assert!((poisson.mean_rate() - 3.0).abs() < 1e-12);
/// // Erlang-2 gaps of mean 0.5 s: 2 arrivals per second, two phases.
/// let e2 = MarkovianArrivals::renewal(&Distribution::Erlang { k: 2, mean: 0.5 }).unwrap();
/// assert_eq!(e2.phases(), 2);
/// assert!((e2.mean_rate() - 2.0).abs() < 1e-12);
/// // Keeping each arrival with probability 1/4 keeps a quarter of the rate.
/// assert!((e2.thinned(0.25).unwrap().mean_rate() - 0.5).abs() < 1e-12);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct MarkovianArrivals {
    d0: DMatrix<f64>,
    d1: DMatrix<f64>,
    /// Its name in Kendall's notation: M, PH, MMPP or MAP.
    kind: &'static str,
    /// θ, the stationary law of D₀ + D₁.
    theta: RowDVector<f64>,
}

impl MarkovianArrivals {
    /// The blocks D₀ and D₁, named `kind` in the method label.
    ///
    /// # Errors
    /// [`AnalyticError::InvalidParameter`] for blocks of different or zero size, a
    /// negative or non-finite rate (off the diagonal of D₀, anywhere in D₁), rows of
    /// D₀ + D₁ that do not sum to 0, no arrivals at all, or a reducible phase process.
    pub fn new(
        d0: DMatrix<f64>,
        d1: DMatrix<f64>,
        kind: &'static str,
    ) -> Result<Self, AnalyticError> {
        let bad = |name: &'static str, value: f64, rule: &'static str| {
            Err(AnalyticError::InvalidParameter { name, value, rule })
        };
        let m = d0.nrows();
        if m == 0 || d0.ncols() != m || d1.nrows() != m || d1.ncols() != m {
            return bad("map_blocks", m as f64, "two square blocks of one size >= 1");
        }
        for i in 0..m {
            let mut sum = 0.0;
            let mut scale: f64 = 0.0;
            for j in 0..m {
                for (v, off) in [(d0[(i, j)], i != j), (d1[(i, j)], true)] {
                    if !v.is_finite() || (off && v < 0.0) {
                        return bad("map_rate", v, "finite rates >= 0 (off the diagonal of D0)");
                    }
                    sum += v;
                    scale = scale.max(v.abs());
                }
            }
            if sum.abs() > 1e-9 * scale.max(1e-300) {
                return bad("map_row_sum", sum, "0: each row of D0 + D1 sums to 0");
            }
        }
        if d1.iter().all(|v| *v == 0.0) {
            return bad("map_arrivals", 0.0, "some arrival rate > 0 in D1");
        }
        let Some(theta) = stationary(&(&d0 + &d1)) else {
            return bad(
                "map_phases",
                m as f64,
                "an irreducible phase process (its phases must communicate)",
            );
        };
        Ok(Self {
            d0,
            d1,
            kind,
            theta,
        })
    }

    /// Poisson arrivals at `rate`.
    ///
    /// # Errors
    /// [`AnalyticError::InvalidParameter`] unless the rate is finite and > 0.
    pub fn poisson(rate: f64) -> Result<Self, AnalyticError> {
        crate::analytic::error::positive("arrival_rate", rate)?;
        Self::new(
            DMatrix::from_element(1, 1, -rate),
            DMatrix::from_element(1, 1, rate),
            "M",
        )
    }

    /// An MMPP: Poisson at `rates[i]` in phase i, phases switching by `generator`.
    ///
    /// # Errors
    /// See [`Self::new`].
    pub fn mmpp(rates: &[f64], generator: &[Vec<f64>]) -> Result<Self, AnalyticError> {
        let m = rates.len();
        if generator.len() != m || generator.iter().any(|r| r.len() != m) {
            return Err(AnalyticError::InvalidParameter {
                name: "generator",
                value: m as f64,
                rule: "a square matrix with one row per rate",
            });
        }
        let mut d0 = DMatrix::<f64>::zeros(m, m);
        for i in 0..m {
            let mut out = 0.0;
            for j in 0..m {
                if i != j {
                    d0[(i, j)] = generator[i][j];
                    out += generator[i][j];
                }
            }
            d0[(i, i)] = -out - rates[i];
        }
        let d1 = DMatrix::from_diagonal(&DVector::from_column_slice(rates));
        Self::new(d0, d1, "MMPP")
    }

    /// A renewal stream whose gaps follow the phase-type law `gap` (exponential,
    /// Erlang, hyperexponential, gamma of a whole shape): D₀ = T, D₁ = tα.
    ///
    /// # Errors
    /// [`AnalyticError::InvalidParameter`] when `gap` is not phase-type.
    pub fn renewal(gap: &Distribution) -> Result<Self, AnalyticError> {
        let Some(ph) = PhaseType::of(gap) else {
            return Err(AnalyticError::InvalidParameter {
                name: "interarrival",
                value: gap.mean(),
                rule: "a phase-type law (exponential, Erlang, hyperexponential, gamma of a whole shape)",
            });
        };
        let n = ph.t.nrows();
        let exit = -(&ph.t * DVector::from_element(n, 1.0));
        let kind = if n == 1 { "M" } else { "PH" };
        Self::new(ph.t.clone(), &exit * &ph.alpha, kind)
    }

    /// The arrivals of `process` when it is Markovian (Poisson, MMPP, renewal with
    /// phase-type gaps); `None` otherwise.
    pub fn of(process: &ArrivalProcess) -> Option<Self> {
        match process {
            ArrivalProcess::Poisson { rate } => Self::poisson(*rate).ok(),
            ArrivalProcess::Mmpp { rates, generator } => Self::mmpp(rates, generator).ok(),
            ArrivalProcess::Renewal { interarrival } => Self::renewal(interarrival).ok(),
            _ => None,
        }
    }

    /// Each arrival kept with probability `share` (independently): D₁ ← share·D₁, the
    /// rest moved to D₀ (the phase still changes, no arrival). Share 1 is the identity.
    ///
    /// # Errors
    /// [`AnalyticError::InvalidParameter`] unless 0 < share <= 1.
    pub fn thinned(&self, share: f64) -> Result<Self, AnalyticError> {
        if !(share > 0.0 && share <= 1.0) {
            return Err(AnalyticError::InvalidParameter {
                name: "share",
                value: share,
                rule: "a probability in (0, 1]",
            });
        }
        if share == 1.0 {
            return Ok(self.clone());
        }
        let kind = if self.kind == "M" || self.kind == "MMPP" {
            self.kind
        } else {
            "MAP"
        };
        Self::new(&self.d0 + &self.d1 * (1.0 - share), &self.d1 * share, kind)
    }

    /// Phases of the process.
    pub fn phases(&self) -> usize {
        self.d0.nrows()
    }

    /// The mean arrival rate θD₁1.
    pub fn mean_rate(&self) -> f64 {
        (&self.theta * (&self.d1 * DVector::from_element(self.phases(), 1.0)))[(0, 0)]
    }
}

/// The service configurations of `busy` consumers over `phases` phases, in a fixed
/// order, with their index.
fn configurations(busy: usize, phases: usize) -> (Vec<Vec<u32>>, HashMap<Vec<u32>, usize>) {
    let mut out = Vec::new();
    let mut current = vec![0u32; phases];
    fn fill(i: usize, left: u32, current: &mut Vec<u32>, out: &mut Vec<Vec<u32>>) {
        if i + 1 == current.len() {
            current[i] = left;
            out.push(current.clone());
            return;
        }
        for v in (0..=left).rev() {
            current[i] = v;
            fill(i + 1, left - v, current, out);
        }
    }
    fill(0, busy as u32, &mut current, &mut out);
    let index = out
        .iter()
        .enumerate()
        .map(|(i, k)| (k.clone(), i))
        .collect();
    (out, index)
}

/// C(n + m − 1, m − 1) as a float (configurations of n consumers over m phases).
fn count_configurations(n: usize, m: usize) -> f64 {
    (1..m).fold(1.0, |acc, i| acc * (n + i) as f64 / i as f64)
}

/// Sparse K × K matrix as (row, column, value).
type Sparse = Vec<(usize, usize, f64)>;

/// The blocks of one level's service part, over configurations: within the level (phase
/// moves, with the diagonal of all service rates), and the completions (to the
/// configurations of one fewer busy consumer, or, with `restart`, of the same number).
struct ServiceBlocks {
    local: Sparse,
    completions: Sparse,
}

impl ServiceBlocks {
    /// ν: the largest total service rate of a configuration (minus the smallest
    /// diagonal entry), the rate that uniformises the configuration chain.
    fn uniformisation_rate(&self) -> f64 {
        self.local
            .iter()
            .filter(|(i, j, _)| i == j)
            .map(|(_, _, v)| -v)
            .fold(0.0, f64::max)
    }
}

fn service_blocks(
    ph: &PhaseType,
    configs: &[Vec<u32>],
    lower: &HashMap<Vec<u32>, usize>,
    same: &HashMap<Vec<u32>, usize>,
    restart: bool,
) -> ServiceBlocks {
    let m = ph.t.nrows();
    let exit: Vec<f64> = (0..m).map(|j| -ph.t.row(j).sum()).collect();
    let mut local = Vec::new();
    let mut completions = Vec::new();
    for (i, k) in configs.iter().enumerate() {
        let mut diagonal = 0.0;
        for j in 0..m {
            if k[j] == 0 {
                continue;
            }
            let busy = f64::from(k[j]);
            diagonal += busy * ph.t[(j, j)];
            for j2 in 0..m {
                if j2 != j && ph.t[(j, j2)] > 0.0 {
                    let mut to = k.clone();
                    to[j] -= 1;
                    to[j2] += 1;
                    local.push((i, same[&to], busy * ph.t[(j, j2)]));
                }
            }
            if exit[j] > 0.0 {
                let mut to = k.clone();
                to[j] -= 1;
                if restart {
                    for j2 in 0..m {
                        if ph.alpha[j2] > 0.0 {
                            let mut next = to.clone();
                            next[j2] += 1;
                            completions.push((i, same[&next], busy * exit[j] * ph.alpha[j2]));
                        }
                    }
                } else {
                    completions.push((i, lower[&to], busy * exit[j]));
                }
            }
        }
        local.push((i, i, diagonal));
    }
    ServiceBlocks { local, completions }
}

/// Dense (a, k) × (a', k') block: the arrival part `arrival` (ma × ma) combined with a
/// service part over configurations, `rows` × `cols` configurations per arrival phase.
fn kron_dense(arrival: &DMatrix<f64>, service: &Sparse, rows: usize, cols: usize) -> DMatrix<f64> {
    let ma = arrival.nrows();
    let mut out = DMatrix::zeros(ma * rows, ma * cols);
    for a in 0..ma {
        for a2 in 0..ma {
            let x = arrival[(a, a2)];
            if x == 0.0 {
                continue;
            }
            for &(i, j, v) in service {
                out[(a * rows + i, a2 * cols + j)] += x * v;
            }
        }
    }
    out
}

/// The arrival's view of the busy node and the laws it implies (see the module docs).
#[derive(Debug, Clone, PartialEq)]
struct WaitLaw {
    /// Uniformisation rate ν.
    nu: f64,
    /// P(M > i): the wait lasts more than i uniformised steps.
    wait: Vec<f64>,
    /// The same for the sojourn.
    sojourn: Vec<f64>,
    /// E\[Wq²\] and E\[W²\].
    wait_second: f64,
    sojourn_second: f64,
}

impl WaitLaw {
    /// `view[j]`: P(an arrival finds c + j messages, configuration k), by k.
    fn new(view: &[RowDVector<f64>], ph: &PhaseType, blocks: &ServiceBlocks) -> Option<Self> {
        let kc = view.first()?.len();
        let ms = ph.t.nrows();
        let nu = blocks.uniformisation_rate();
        if !(nu > 0.0 && nu.is_finite()) {
            return None;
        }
        let work =
            (view.len() as f64) * (blocks.local.len() + blocks.completions.len() + ms * ms) as f64;
        // P0 = I + S0/ν, P1 = S1/ν.
        let p0: Sparse = blocks
            .local
            .iter()
            .map(|&(i, j, v)| (i, j, if i == j { 1.0 + v / nu } else { v / nu }))
            .collect();
        let p1: Sparse = blocks
            .completions
            .iter()
            .map(|&(i, j, v)| (i, j, v / nu))
            .collect();
        let exit_prob: Vec<f64> = (0..kc)
            .map(|i| p1.iter().filter(|e| e.0 == i).map(|e| e.2).sum())
            .collect();
        // Own service: I + T/ν.
        let own = DMatrix::<f64>::identity(ms, ms) + &ph.t / nu;
        let levels = view.len();
        let mut u: Vec<f64> = view.iter().flat_map(|v| v.iter().copied()).collect();
        let mut next = vec![0.0; u.len()];
        let waiting: f64 = u.iter().sum();
        let mut v = &ph.alpha * (1.0 - waiting).max(0.0);
        let mut wait = Vec::new();
        let mut sojourn = Vec::new();
        let mut top = levels; // levels at or above `top` hold no mass any more
        loop {
            let g: f64 = u[..top * kc].iter().sum();
            let gs = g + v.sum();
            if gs < TAIL {
                break;
            }
            if wait.len() >= MAX_STEPS || work * wait.len() as f64 > MAP_PH_C_LAW_WORK {
                return None;
            }
            wait.push(g);
            sojourn.push(gs);
            // One step: within a level by P0, down a level by P1; from level 0 a
            // completion starts the message's own service.
            next[..top * kc].iter_mut().for_each(|x| *x = 0.0);
            let mut started = 0.0;
            for lvl in 0..top {
                let base = lvl * kc;
                for &(i, j, p) in &p0 {
                    next[base + j] += u[base + i] * p;
                }
                if lvl == 0 {
                    started = (0..kc).map(|i| u[i] * exit_prob[i]).sum();
                } else {
                    let below = base - kc;
                    for &(i, j, p) in &p1 {
                        next[below + j] += u[base + i] * p;
                    }
                }
            }
            std::mem::swap(&mut u, &mut next);
            while top > 0 && u[(top - 1) * kc..top * kc].iter().all(|x| *x < 1e-300) {
                top -= 1;
            }
            v = &v * &own + &ph.alpha * started;
        }
        let moments = |tail: &[f64]| {
            let m1: f64 = tail.iter().sum();
            let m2: f64 = tail
                .iter()
                .enumerate()
                .map(|(i, g)| (2 * i + 1) as f64 * g)
                .sum();
            (m1 + m2) / (nu * nu)
        };
        Some(Self {
            nu,
            wait_second: moments(&wait),
            sojourn_second: moments(&sojourn),
            wait,
            sojourn,
        })
    }

    fn tail(&self, law: &[f64], t: f64) -> f64 {
        if t < 0.0 {
            return 1.0;
        }
        poisson_mixture(self.nu * t, law.len() as u64, |i| law[i as usize]).clamp(0.0, 1.0)
    }
}

/// A MAP/PH/c queue solved as a quasi-birth–death process (see the module docs).
///
/// # Errors
/// [`AnalyticError::InvalidParameter`] for `c` = 0 or a service law that is not
/// phase-type; [`AnalyticError::Unstable`] when λ̄E\[S\] >= c;
/// [`AnalyticError::NoMethod`] beyond [`MAP_PH_C_MAX_PHASES`] phases per level or
/// [`MAP_PH_C_MAX_WORK`], or when the boundary cannot be solved.
///
/// # Example
/// ```
/// use kendall::analytic::{MapPhC, MarkovianArrivals, QueueMetrics};
/// use kendall::model::Distribution;
/// // M/M/2 through the general solver: λ = 1, E[S] = 1, so ρ = 1/2 and L = 4/3.
/// let q = MapPhC::new(
///     &MarkovianArrivals::poisson(1.0).unwrap(),
///     &Distribution::Exponential { mean: 1.0 },
///     2,
/// )
/// .unwrap();
/// assert!((q.mean_number_in_system() - 4.0 / 3.0).abs() < 1e-12);
/// // P(Wq > t) = P(wait)·e^{−(cμ − λ)t} with P(wait) = 1/3.
/// assert!((q.wait_tail(1.0).unwrap() - (-1f64).exp() / 3.0).abs() < 1e-12);
/// ```
#[derive(Debug, Clone)]
pub struct MapPhC {
    kind: String,
    c: u64,
    lambda: f64,
    mean_service: f64,
    service_var: f64,
    /// P(N = n) for n = 0..=c.
    head: Vec<f64>,
    /// P(N = c + 1 + j) for j = 0, 1, … (see `MAX_CACHED_LEVELS`).
    above: Vec<f64>,
    /// π_c and R, for the levels above c.
    pi_c: RowDVector<f64>,
    r: DMatrix<f64>,
    l: f64,
    lq: f64,
    second: f64,
    p_wait: f64,
    law: Option<WaitLaw>,
    iterations: u32,
    residual: f64,
}

impl MapPhC {
    /// The queue fed by `arrivals`, with `c` consumers whose service law is `service`.
    ///
    /// # Errors
    /// See the type's documentation.
    pub fn new(
        arrivals: &MarkovianArrivals,
        service: &Distribution,
        c: u64,
    ) -> Result<Self, AnalyticError> {
        let Some(ph) = PhaseType::of(service) else {
            return Err(AnalyticError::InvalidParameter {
                name: "service",
                value: service.mean(),
                rule: "a phase-type law (exponential, Erlang, hyperexponential, gamma of a whole shape)",
            });
        };
        if c == 0 {
            return Err(AnalyticError::InvalidParameter {
                name: "servers",
                value: 0.0,
                rule: "an integer >= 1",
            });
        }
        let ma = arrivals.phases();
        let ms = ph.t.nrows();
        let lambda = arrivals.mean_rate();
        let mean_service = service.mean();
        let load = lambda * mean_service / c as f64;
        if load.is_nan() || load >= 1.0 {
            return Err(AnalyticError::Unstable { utilisation: load });
        }
        let beyond = |what: String| AnalyticError::NoMethod {
            reason: format!("{what}: beyond the exact MAP/PH/c solver; simulate"),
        };
        let top = (ma as f64) * count_configurations(c as usize, ms);
        if top > MAP_PH_C_MAX_PHASES as f64 {
            return Err(beyond(format!(
                "{ma} arrival phases × {} service configurations of {c} consumers over {ms} phases is {top} phases per level (at most {MAP_PH_C_MAX_PHASES})",
                count_configurations(c as usize, ms)
            )));
        }
        let work: f64 = (0..=c as usize)
            .map(|n| (ma as f64 * count_configurations(n, ms)).powi(3))
            .sum();
        if work > MAP_PH_C_MAX_WORK {
            return Err(beyond(format!(
                "the boundary levels cost {work:.1e} operations (at most {MAP_PH_C_MAX_WORK:.0e})"
            )));
        }
        let cu = c as usize;
        let ia = DMatrix::<f64>::identity(ma, ma);
        // Configurations per level 0..=c.
        let levels: Vec<_> = (0..=cu).map(|n| configurations(n, ms)).collect();
        let size = |n: usize| levels[n.min(cu)].0.len();
        // Arrival starting a consumer: configuration k → k + e_j w.p. α_j.
        let start = |n: usize| -> Sparse {
            let (from, _) = &levels[n];
            let (_, to) = &levels[n + 1];
            let mut out = Vec::new();
            for (i, k) in from.iter().enumerate() {
                for j in 0..ms {
                    if ph.alpha[j] > 0.0 {
                        let mut next = k.clone();
                        next[j] += 1;
                        out.push((i, to[&next], ph.alpha[j]));
                    }
                }
            }
            out
        };
        let identity_sparse = |k: usize| -> Sparse { (0..k).map(|i| (i, i, 1.0)).collect() };
        // Blocks of level n: U_n (up), L_n (local), D_n (down).
        let local_of = |blocks: &ServiceBlocks, n: usize| {
            kron_dense(&arrivals.d0, &identity_sparse(size(n)), size(n), size(n))
                + kron_dense(&ia, &blocks.local, size(n), size(n))
        };
        let mut ups = Vec::with_capacity(cu);
        let mut locals = Vec::with_capacity(cu + 1);
        let mut downs = Vec::with_capacity(cu + 1);
        for n in 0..=cu {
            let lower = if n == 0 {
                &levels[0].1
            } else {
                &levels[n - 1].1
            };
            let blocks = service_blocks(&ph, &levels[n].0, lower, &levels[n].1, false);
            locals.push(local_of(&blocks, n));
            downs.push(if n == 0 {
                DMatrix::zeros(0, 0)
            } else {
                kron_dense(&ia, &blocks.completions, size(n), size(n - 1))
            });
            if n < cu {
                ups.push(kron_dense(&arrivals.d1, &start(n), size(n), size(n + 1)));
            }
        }
        // Above c: the same configurations, completions restart a consumer.
        let busy = service_blocks(&ph, &levels[cu].0, &levels[cu].1, &levels[cu].1, true);
        let kc = size(cu);
        let up = kron_dense(&arrivals.d1, &identity_sparse(kc), kc, kc);
        let down = kron_dense(&ia, &busy.completions, kc, kc);
        let qbd = Qbd::new(up.clone(), locals[cu].clone(), down.clone())?;
        let sol = qbd.solve()?;
        let fail = |why: &str| AnalyticError::NoMethod {
            reason: format!("the MAP/PH/c boundary could not be solved ({why}): simulate"),
        };
        // Levels 0..=c by level reduction; at level c the up block is D1 ⊗ I.
        let (pis, inv) = boundary_levels(
            cu,
            |n| if n == cu { up.clone() } else { ups[n].clone() },
            |n| locals[n].clone(),
            |n| downs[n].clone(),
            &sol,
        )
        .map_err(fail)?;
        let m = kc * ma;
        let id = DMatrix::<f64>::identity(m, m);
        let r = sol.r;
        let ones = DVector::from_element(m, 1.0);
        let inv1 = &inv * &ones;
        let pi_c = pis[cu].clone();
        // Σ_j R^j = (I − R)⁻¹, Σ_j jR^j = R(I − R)⁻², Σ_j j²R^j = R(I + R)(I − R)⁻³.
        let s0 = (&pi_c * &inv1)[(0, 0)];
        let s1 = (&pi_c * &r * &inv * &inv1)[(0, 0)];
        let s2 = (&pi_c * &r * (&id + &r) * &inv * &inv * &inv1)[(0, 0)];
        let cf = c as f64;
        let head_sum = |pow: i32| -> f64 {
            pis[..cu]
                .iter()
                .enumerate()
                .map(|(n, p)| (n as f64).powi(pow) * p.sum())
                .sum()
        };
        let lq = s1;
        let l = head_sum(1) + cf * s0 + s1;
        let second = head_sum(2) + cf * cf * s0 + 2.0 * cf * s1 + s2;
        // Arrival weighting: (D1 1)_a for every configuration.
        let arrival_rate_of = &arrivals.d1 * DVector::from_element(ma, 1.0);
        let weight = DVector::from_iterator(m, (0..m).map(|i| arrival_rate_of[i / kc] / lambda));
        let p_wait = (&pi_c * &inv * &weight)[(0, 0)].clamp(0.0, 1.0);
        for (name, v) in [("L", l), ("Lq", lq), ("E[N²]", second)] {
            if !v.is_finite() || v < -1e-9 {
                return Err(fail(&format!("{name} = {v}")));
            }
        }
        // The arrival's view above c, marginal over the arrival phase: levels until the
        // mass left is below 1e-16, about ln(1e-16)/ln η with η = sp(R). The law's
        // propagation then costs about levels × non-zeros × steps, with steps at least
        // levels·ν·E[S]/c (the time to serve them, uniformised): estimated first, so a
        // queue beyond the budget costs nothing here (its percentiles are then fitted).
        let eta = r
            .complex_eigenvalues()
            .iter()
            .map(|z| z.norm())
            .fold(0.0, f64::max);
        let levels_needed = if eta < 1e-300 {
            1.0
        } else {
            (TAIL.ln() / eta.min(1.0 - 1e-16).ln()).max(1.0) + 1.0
        };
        let nnz = (busy.local.len() + busy.completions.len()) as f64;
        let law_work =
            levels_needed * nnz * levels_needed * busy.uniformisation_rate() * mean_service / cf;
        // One pass over the levels above c: their masses (kept for P(N = n), at most
        // MAX_CACHED_LEVELS) and, when the law is within budget, the arrival's view.
        let want_law = law_work <= MAP_PH_C_LAW_WORK;
        let mut view = Vec::new();
        let mut above = Vec::new();
        let mut level = pi_c.clone();
        let mut seen = 0.0;
        let mut mass_left = (&pi_c * &inv1)[(0, 0)];
        let mut settled = false;
        loop {
            let mass = level.sum();
            if above.len() < MAX_CACHED_LEVELS {
                above.push(mass.max(0.0));
            }
            mass_left -= mass;
            let room = (view.len() + 1) * kc <= MAX_VIEW;
            if want_law && !settled && room {
                let weighted = level.component_mul(&weight.transpose());
                let mut by_config = RowDVector::<f64>::zeros(kc);
                for i in 0..m {
                    by_config[i % kc] += weighted[i];
                }
                seen += by_config.sum();
                view.push(by_config);
            }
            // The view is complete once what it misses is below 1e-16, relative to
            // P(wait) or absolute (the mass left above).
            let done = mass_left < TAIL || mass < 1e-300;
            settled = settled
                || (want_law && room && (done || p_wait - seen < TAIL * p_wait.max(1e-300)));
            let view_over = !want_law || settled || !room;
            if done || (view_over && above.len() >= MAX_CACHED_LEVELS) {
                break;
            }
            level = &level * &r;
        }
        let law = settled.then(|| WaitLaw::new(&view, &ph, &busy)).flatten();
        Ok(Self {
            kind: format!("{}/{}/{c}", arrivals.kind, if ms == 1 { "M" } else { "PH" }),
            c,
            lambda,
            mean_service,
            service_var: service.variance(),
            head: pis.iter().map(|p| p.sum().max(0.0)).collect(),
            above: above.into_iter().skip(1).collect(),
            pi_c,
            r,
            l: l.max(0.0),
            lq: lq.max(0.0),
            second: second.max(0.0),
            p_wait,
            law,
            iterations: sol.iterations,
            residual: sol.residual,
        })
    }

    /// Logarithmic-reduction steps and the residual of R.
    pub fn solver_figures(&self) -> (u32, f64) {
        (self.iterations, self.residual)
    }
}

impl QueueMetrics for MapPhC {
    fn method(&self) -> Method {
        Method::numerical(
            format!(
                "{} as a quasi-birth–death process (consumers counted per service phase; R by logarithmic reduction, {} steps, residual {:.1e}; levels 0..c by level reduction)",
                self.kind, self.iterations, self.residual
            ),
            "Neuts (1981), Matrix-Geometric Solutions in Stochastic Models; Latouche & Ramaswami (1999), ch. 8 and 10; Ramaswami & Lucantoni (1985), Stochastic Models 1(3)",
        )
    }
    fn arrival_rate(&self) -> f64 {
        self.lambda
    }
    fn throughput(&self) -> f64 {
        self.lambda
    }
    fn utilisation(&self) -> f64 {
        self.lambda * self.mean_service / self.c as f64
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
        self.l / self.lambda
    }
    fn mean_wait(&self) -> f64 {
        self.lq / self.lambda
    }
    fn prob_empty(&self) -> Option<f64> {
        self.head.first().copied()
    }
    fn prob_wait(&self) -> Option<f64> {
        Some(self.p_wait)
    }
    fn prob_block(&self) -> Option<f64> {
        Some(0.0)
    }
    fn prob_n(&self, n: u64) -> Option<f64> {
        if n <= self.c {
            return self.head.get(n as usize).copied();
        }
        if let Some(p) = self.above.get((n - self.c - 1) as usize) {
            return Some(*p);
        }
        Some(level_mass(&self.pi_c, &self.r, n - self.c))
    }
    fn var_number(&self) -> Option<f64> {
        Some((self.second - self.l * self.l).max(0.0))
    }
    fn var_wait(&self) -> Option<f64> {
        let law = self.law.as_ref()?;
        let w = self.mean_wait();
        Some((law.wait_second - w * w).max(0.0))
    }
    fn var_sojourn(&self) -> Option<f64> {
        Some(self.var_wait()? + self.service_var)
    }
    fn wait_cdf(&self, t: f64) -> Option<f64> {
        self.wait_tail(t).map(|p| 1.0 - p)
    }
    fn sojourn_cdf(&self, t: f64) -> Option<f64> {
        self.sojourn_tail(t).map(|p| 1.0 - p)
    }
    fn wait_tail(&self, t: f64) -> Option<f64> {
        let law = self.law.as_ref()?;
        (t >= 0.0).then(|| law.tail(&law.wait, t))
    }
    fn sojourn_tail(&self, t: f64) -> Option<f64> {
        let law = self.law.as_ref()?;
        (t >= 0.0).then(|| law.tail(&law.sojourn, t))
    }
    fn wait_quantile(&self, p: f64) -> Option<f64> {
        let law = self.law.as_ref()?;
        invert_cdf(|t| 1.0 - law.tail(&law.wait, t), p, self.mean_sojourn())
    }
    fn sojourn_quantile(&self, p: f64) -> Option<f64> {
        let law = self.law.as_ref()?;
        invert_cdf(|t| 1.0 - law.tail(&law.sojourn, t), p, self.mean_sojourn())
    }
    fn distribution_method(&self) -> Option<Method> {
        self.law.as_ref().map(|_| {
            Method::numerical(
                "the queue an arrival finds (arrival-weighted, by service configuration), its wait the uniformised count of the consumers' completions, P(Wq > t) = Σ pois(i; νt)·P(M > i) (no cancellation, mass truncated at 1e-16); the sojourn adds its own phase-type service",
                "Latouche & Ramaswami (1999); Asmussen & Møller (2001), Queueing Systems 37",
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) {
        assert!((a - b).abs() <= tol * b.abs().max(1e-300), "{a} vs {b}");
    }

    /// M/M/c through the general solver against Erlang C in closed form.
    #[test]
    fn exponential_service_is_erlang_c() {
        let (lambda, c) = (2.4, 3u64);
        let q = MapPhC::new(
            &MarkovianArrivals::poisson(lambda).unwrap(),
            &Distribution::Exponential { mean: 1.0 },
            c,
        )
        .unwrap();
        // Erlang C for a = 2.4, c = 3: P0 = 1/(1 + a + a²/2 + a³/(6(1 − ρ))).
        let a: f64 = 2.4;
        let rho = a / 3.0;
        let p0 = 1.0 / (1.0 + a + a * a / 2.0 + a.powi(3) / (6.0 * (1.0 - rho)));
        let pw = a.powi(3) / (6.0 * (1.0 - rho)) * p0;
        close(q.prob_empty().unwrap(), p0, 1e-12);
        close(q.prob_wait().unwrap(), pw, 1e-12);
        close(q.mean_wait(), pw / (3.0 - lambda), 1e-12);
        for t in [0.1, 1.0, 5.0, 20.0] {
            close(
                q.wait_tail(t).unwrap(),
                pw * (-(3.0 - lambda) * t).exp(),
                1e-10,
            );
        }
        // Var(Wq) = P_W(2 − P_W)/(cμ − λ)².
        close(q.var_wait().unwrap(), pw * (2.0 - pw) / (0.6 * 0.6), 1e-10);
    }

    #[test]
    fn configurations_are_counted() {
        let (k, idx) = configurations(3, 3);
        assert_eq!(k.len(), 10);
        assert_eq!(count_configurations(3, 3), 10.0);
        assert!(k.iter().all(|v| v.iter().sum::<u32>() == 3));
        assert_eq!(idx.len(), 10);
    }
}
