//! A queue whose consumers crash and restart (servers with breakdowns): the exact CTMC
//! on (messages in the node n, consumers up u) for Poisson arrivals, exponential service
//! and exponential up- and down-times.
//!
//! Each of c consumers is up for an Exp(φ) time, then down for an Exp(r) time,
//! independently. A crash returns the consumer's message to the queue and the service
//! restarts from scratch elsewhere (preemptive-repeat; with exponential service this is
//! the same as resuming), so with prefetch 1 (or a single consumer) the busy consumers
//! are min(n, u) and the chain is
//!
//! * (n, u) → (n + 1, u) at rate λ,
//! * (n, u) → (n − 1, u) at rate μ·min(n, u),
//! * (n, u) → (n, u − 1) at rate u·φ, (n, u) → (n, u + 1) at rate (c − u)·r.
//!
//! A quasi-birth–death process (level n, phase u) whose blocks do not depend on n from
//! level c on (all the consumers up are busy): G and R of the [`Qbd`] (logarithmic
//! reduction, its steps and residual in the method label), the levels 0..c by linear
//! level reduction through first-passage matrices (G_{c+1} = G,
//! M_n = −(L_n + λG_{n+1}), G_n = M_n⁻¹D_n, R_n = λM_n⁻¹), π₀(L₀ + λG₁) = 0, and
//! π_n = π_c Rⁿ⁻ᶜ above: no truncation, at most [`MAX_BREAKDOWN_CONSUMERS`] consumers
//! (O(c⁴) work). Figures: L = E[n], busy = E[min(n, u)], Lq = L − busy, W = L/λ and
//! Wq = W − 1/μ (Little), utilisation busy/c, availability A = r/(φ + r), each level
//! sum above c in closed form (Σ_j R^j = (I − R)⁻¹, Σ_j jR^j = R(I − R)⁻²). Stable iff
//! λ < c·μ·A.
//!
//! **Wait** means the time a message spends in the node not being served: its sojourn
//! less the service of all its attempts, a crashed attempt's elapsed service included
//! (the simulator records the same). With exponential service the service received
//! over all attempts is Exp(μ) (memorylessness), so E\[wait\] = W − 1/μ, and Lq = L −
//! busy (messages not in active service, requeued ones included) = λ·Wq since busy =
//! λ/μ. P(wait) = P(wait > 0) also counts a message that started at once but whose
//! consumer crashed while no other consumer up was idle.
//!
//! Waiting and sojourn distributions follow a tagged message through an absorbing
//! chain on (p, u), p its position (messages ahead of it, those in service included,
//! plus itself; later arrivals never overtake it) and u the consumers up: the first
//! min(p, u) positions are in service; a message ahead completes at rate
//! μ·(min(p, u) − [p <= u]) (p → p − 1), the tagged one at μ when p <= u (done), and u
//! moves as above. For one consumer this is the documented discipline exactly. For
//! several it is an **approximation**: a crash there pre-empts the last-positioned
//! message in service, whereas the documented (and simulated) discipline requeues the
//! crashed consumer's own message while the others keep theirs. Same count process, so
//! the same means, but a different distribution (an audit's exact chain on (messages
//! ahead, consumers up, messages in the node) puts the sojourn p50..p999 of λ = 1.5,
//! c = 3, μ = 1, up 2 s, down 1 s at 1.9970 / 8.0046 / 12.048 / 17.789 s against this
//! chain's 2.0292 / 7.9076 / 11.918 / 17.647: −1.6% … +1.1%; the error shrinks as
//! crashes become rare against service). So for c > 1 the percentiles are labelled
//! approximations and P(wait) is not reported (`simulate` gives it). The wait counts
//! time in the waiting states only (p > u): the service states are censored, their
//! rows carry no s in the transform. It starts from what an arrival finds,
//! (n + 1, u) with probability π(n, u) (PASTA). In transforms: the vectors H_p(s) of
//! E\[e^{−sT}\] from position p solve one (c + 1)-phase linear system per position
//! p <= c; above c every phase is waiting, so H_p = G(s)^{p−c}·H_c with the one-step
//! passage G(s) = (sI − T)⁻¹·diag(μu), and the stationary levels are matrix-geometric,
//! π_n = π_c·Rⁿ⁻ᶜ (n >= c), so
//! Σ_{n>=c} π_n H_{n+1} = π_c·Y·G·H_c with Y = Σ_k R^k G^k, summed by doubling
//! (S ← S + R^j·S·G^j, 2^j terms at step j). The CDFs are the transforms inverted
//! numerically (Euler, Abate & Whitt 1995, ~1e-8 absolute) and the percentiles found
//! by root finding; for at most [`MAX_TRANSFORM_CONSUMERS`] consumers (the cost grows
//! as c⁴ per point). P(wait = 0) is the wait transform as s → ∞ (waiting states 0).
//! Checked against uniformisation of the same chain, and for one consumer against the
//! independent reference `tests/reference/crash_wait_reference.py`, in the tests.
//!
//! Reference: Mitrani & Avi-Itzhak (1968), "A many-server queue with service
//! interruptions", Operations Research 16(3); Neuts (1981), matrix-geometric solutions
//! (the independent check in `tests/reference/breakdown_reference.py`).

use nalgebra::DMatrix;

use crate::analytic::ctmc::Qbd;
use crate::analytic::ctmc::qbd::boundary_levels;
use crate::analytic::error::{AnalyticError, positive};
use crate::analytic::method::Method;
use crate::analytic::metrics::{QueueMetrics, Relabelled, invert_cdf};
use crate::analytic::single::transform::{self, C};

/// The most consumers of the exact chain: its c + 1 boundary levels of c + 1 phases
/// cost about (c + 1)⁴ operations (250: 4·10⁹, a few seconds).
pub const MAX_BREAKDOWN_CONSUMERS: u64 = 250;

/// The most consumers for which the waiting and sojourn distributions are derived.
pub const MAX_TRANSFORM_CONSUMERS: u64 = 16;

/// M/M/c with independent consumer breakdowns, solved exactly as a quasi-birth–death
/// process.
///
/// # Example
/// ```
/// use kendall::analytic::MMcBreakdown;
/// use kendall::analytic::QueueMetrics;
/// // c = 1, λ = 0.5, μ = 1, up Exp(0.1), down Exp(1): L = 1.32323… (matrix-geometric).
/// let q = MMcBreakdown::new(0.5, 1.0, 1, 0.1, 1.0).unwrap();
/// assert!((q.mean_number_in_system() - 1.3232323232323232).abs() < 1e-9);
/// assert!((q.availability() - 10.0 / 11.0).abs() < 1e-12);
/// ```
#[derive(Debug, Clone)]
pub struct MMcBreakdown {
    lambda: f64,
    mu: f64,
    c: u64,
    phi: f64,
    r: f64,
    availability: f64,
    /// The solved chain.
    solved: Solved,
    /// P(wait = 0) of an arriving message from the tagged chain (at most
    /// [`MAX_TRANSFORM_CONSUMERS`] consumers; exact for one consumer only).
    no_wait: Option<f64>,
}

impl MMcBreakdown {
    /// Arrival rate `lambda`, service rate `mu` per consumer, `c` consumers, each
    /// failing at rate `phi` (1 / mean up-time) and restarting at rate `r`
    /// (1 / mean down-time).
    ///
    /// # Errors
    /// [`AnalyticError::InvalidParameter`] for a rate that is not a finite number > 0
    /// or c = 0; [`AnalyticError::UnstableBreakdown`] when λ >= c·μ·A;
    /// [`AnalyticError::NoMethod`] beyond [`MAX_BREAKDOWN_CONSUMERS`] consumers or when
    /// the solver fails.
    pub fn new(lambda: f64, mu: f64, c: u64, phi: f64, r: f64) -> Result<Self, AnalyticError> {
        positive("arrival_rate", lambda)?;
        positive("service_rate", mu)?;
        positive("failure_rate", phi)?;
        positive("restart_rate", r)?;
        if c == 0 {
            return Err(AnalyticError::InvalidParameter {
                name: "servers",
                value: 0.0,
                rule: "an integer >= 1",
            });
        }
        let availability = r / (phi + r);
        let capacity = c as f64 * mu * availability;
        if lambda >= capacity {
            return Err(AnalyticError::UnstableBreakdown {
                arrival_rate: lambda,
                capacity,
                availability,
            });
        }
        if c > MAX_BREAKDOWN_CONSUMERS {
            return Err(too_large(c));
        }
        let mut q = Self {
            lambda,
            mu,
            c,
            phi,
            r,
            availability,
            solved: solve_qbd(lambda, mu, c, phi, r)?,
            no_wait: None,
        };
        if c <= MAX_TRANSFORM_CONSUMERS {
            q.no_wait = q.no_wait_probability();
        }
        Ok(q)
    }

    /// The long-run fraction of consumers up, A = r / (φ + r).
    pub fn availability(&self) -> f64 {
        self.availability
    }
}

impl PartialEq for MMcBreakdown {
    fn eq(&self, other: &Self) -> bool {
        (self.lambda, self.mu, self.c, self.phi, self.r)
            == (other.lambda, other.mu, other.c, other.phi, other.r)
    }
}

impl MMcBreakdown {
    /// E\[e^{−sT}\] of the sojourn T (or of the wait, `wait`) of an arriving message:
    /// see the module docs. `None` if a system is singular or Y does not converge.
    fn transform(&self, s: C, wait: bool) -> Option<C> {
        self.transform_at(s, wait, false)
    }

    /// P(wait = 0) of an arriving message in the positional chain: the wait transform
    /// as s → ∞ (a waiting state contributes 0, the service states none of the time).
    fn no_wait_probability(&self) -> Option<f64> {
        let p = self.transform_at(C::new(0.0, 0.0), true, true)?.re;
        (p.is_finite() && (-1e-9..=1.0 + 1e-9).contains(&p)).then(|| p.clamp(0.0, 1.0))
    }

    /// [`Self::transform`]; with `at_infinity` (for the wait) the limit s → ∞ of the
    /// waiting states (`s` unused), i.e. P(wait = 0).
    fn transform_at(&self, s: C, wait: bool, at_infinity: bool) -> Option<C> {
        let c = self.c as usize;
        let m = c + 1;
        let zero = C::new(0.0, 0.0);
        let one = C::new(1.0, 0.0);
        let (mu, phi, r) = (self.mu, self.phi, self.r);
        // (sI − generator) restricted to one position, with exits `exit(u)`.
        let system = |exit: &dyn Fn(usize) -> f64| {
            let mut a = DMatrix::<C>::zeros(m, m);
            for u in 0..m {
                let down = u as f64 * phi;
                let up = (c - u) as f64 * r;
                a[(u, u)] = s + down + up + exit(u);
                if u > 0 {
                    a[(u, u - 1)] = C::new(-down, 0.0);
                }
                if u < c {
                    a[(u, u + 1)] = C::new(-up, 0.0);
                }
            }
            a
        };
        let mut total = zero;
        let mut h = nalgebra::DVector::<C>::zeros(m);
        for p in 1..=c {
            let mut a = system(&|u| mu * p.min(u) as f64);
            let mut b = nalgebra::DVector::<C>::zeros(m);
            for u in 0..m {
                let tagged = p <= u;
                if wait && !tagged && at_infinity {
                    // Waiting: as s → ∞ nothing of it is left.
                    a.row_mut(u).fill(zero);
                    a[(u, u)] = one;
                    b[u] = zero;
                    continue;
                }
                if wait && tagged {
                    // In service: its time is not wait (censored), so no s here; a
                    // crash may send it back to waiting.
                    a[(u, u)] -= s;
                }
                let ahead = p.min(u) - usize::from(tagged);
                b[u] = h[u] * (mu * ahead as f64) + if tagged { mu } else { 0.0 };
            }
            h = a.lu().solve(&b)?;
            let found = &self.solved.head[(p - 1) * m..p * m];
            total += found.iter().zip(h.iter()).map(|(x, y)| y * *x).sum::<C>();
        }
        if at_infinity {
            // Every position above c waits.
            return total.re.is_finite().then_some(total);
        }
        // Above c: G = (sI − T)⁻¹·diag(μu).
        let mut g = system(&|u| mu * u as f64).try_inverse()?;
        for u in 0..m {
            let d = mu * u as f64;
            g.column_mut(u).iter_mut().for_each(|x| *x *= d);
        }
        // Y = Σ_k R^k G^k by doubling.
        let mut rk = self.solved.rate_matrix.map(|x| C::new(x, 0.0));
        let mut gk = g.clone();
        let mut y = DMatrix::<C>::identity(m, m);
        let norm = |x: &DMatrix<C>| {
            x.row_iter()
                .map(|row| row.iter().map(|v| v.norm()).sum::<f64>())
                .fold(0.0, f64::max)
        };
        let mut converged = false;
        for _ in 0..64 {
            y = &y + &rk * &y * &gk;
            if norm(&rk) * norm(&gk) < 1e-17 {
                converged = true;
                break;
            }
            rk = &rk * &rk;
            gk = &gk * &gk;
        }
        if !converged {
            return None;
        }
        let pi_c = nalgebra::RowDVector::<C>::from_iterator(
            m,
            self.solved.head[c * m..].iter().map(|x| C::new(*x, 0.0)),
        );
        total += (pi_c * y * g * h)[(0, 0)];
        total.re.is_finite().then_some(total)
    }

    /// P(time <= t) by inverting the transform; `None` beyond
    /// [`MAX_TRANSFORM_CONSUMERS`].
    fn cdf(&self, t: f64, wait: bool) -> Option<f64> {
        if self.c > MAX_TRANSFORM_CONSUMERS || t.is_nan() || t < 0.0 {
            return None;
        }
        if t == 0.0 {
            return if wait { self.no_wait } else { Some(0.0) };
        }
        if t.is_infinite() {
            return Some(1.0);
        }
        transform::invert_cdf(|s| self.transform(s, wait), t)
    }
}

fn too_large(c: u64) -> AnalyticError {
    AnalyticError::NoMethod {
        reason: format!(
            "the consumer-breakdown chain with {c} consumers is beyond the exact solver ({MAX_BREAKDOWN_CONSUMERS} consumers, about (c + 1)⁴ operations): simulate"
        ),
    }
}

/// The solved chain: π of the levels 0..=c (by phase, flattened), R, and the figures.
#[derive(Debug, Clone)]
struct Solved {
    /// π(n, u) for the levels n <= c (above: π_c·Rⁿ⁻ᶜ).
    head: Vec<f64>,
    /// The matrix-geometric rate R of the levels above c.
    rate_matrix: DMatrix<f64>,
    l: f64,
    busy: f64,
    p_empty: f64,
    iterations: u32,
    residual: f64,
}

/// The chain as a QBD (see the module docs).
fn solve_qbd(lambda: f64, mu: f64, c: u64, phi: f64, r: f64) -> Result<Solved, AnalyticError> {
    use nalgebra::{DVector, RowDVector};
    let m = c as usize + 1;
    let cu = c as usize;
    let no = |e: &str| AnalyticError::NoMethod {
        reason: format!("the consumer-breakdown chain could not be solved ({e}): simulate"),
    };
    // Within level n: crashes and restarts, and the diagonal of every rate out.
    let local = |n: usize| {
        let mut b = DMatrix::<f64>::zeros(m, m);
        for u in 0..m {
            let (down, up) = (u as f64 * phi, (m - 1 - u) as f64 * r);
            if u > 0 {
                b[(u, u - 1)] = down;
            }
            if u + 1 < m {
                b[(u, u + 1)] = up;
            }
            b[(u, u)] = -(down + up + lambda + mu * n.min(u) as f64);
        }
        b
    };
    let service = |n: usize| {
        DMatrix::from_diagonal(&DVector::from_iterator(
            m,
            (0..m).map(|u| mu * n.min(u) as f64),
        ))
    };
    let up = DMatrix::<f64>::identity(m, m) * lambda;
    let qbd = Qbd::new(up.clone(), local(cu), service(cu))?;
    let sol = qbd.solve().map_err(|e| match e {
        AnalyticError::Unstable { .. } => no("the levels drift upwards"),
        other => other,
    })?;
    let (levels, inv) = boundary_levels(cu, |_| up.clone(), local, service, &sol).map_err(no)?;
    let ones = DVector::from_element(m, 1.0);
    let ups = DVector::from_iterator(m, (0..m).map(|u| u as f64));
    let tail = |p: &RowDVector<f64>, v: &DVector<f64>| (p * &inv * v)[(0, 0)];
    let pi_c = &levels[cu];
    // Above c: Σ_{n>=c} n π_n 1 = c·π_c(I − R)⁻¹1 + π_c R(I − R)⁻²1; every consumer up
    // is busy (min(n, u) = u) and every arrival waits (n >= u).
    let beyond = tail(pi_c, &ones);
    let l = levels[..cu]
        .iter()
        .enumerate()
        .map(|(n, p)| n as f64 * p.sum())
        .sum::<f64>()
        + c as f64 * beyond
        + (pi_c * &sol.r * &inv * &inv * &ones)[(0, 0)];
    let mut busy = tail(pi_c, &ups);
    for (n, p) in levels[..cu].iter().enumerate() {
        for u in 0..m {
            busy += n.min(u) as f64 * p[u];
        }
    }
    let p_empty = levels[0].sum();
    for (name, v) in [("L", l), ("busy", busy)] {
        if !v.is_finite() || v < -1e-9 {
            return Err(no(&format!("{name} = {v}")));
        }
    }
    Ok(Solved {
        head: levels
            .iter()
            .flat_map(|p| p.iter().map(|x| x.max(0.0)))
            .collect(),
        rate_matrix: sol.r,
        l: l.max(0.0),
        busy: busy.max(0.0),
        p_empty: p_empty.clamp(0.0, 1.0),
        iterations: sol.iterations,
        residual: sol.residual,
    })
}

impl QueueMetrics for MMcBreakdown {
    fn method(&self) -> Method {
        Method::numerical(
            format!(
                "M/M/c with consumer crashes: CTMC on (messages, consumers up) as a quasi-birth–death process (R by logarithmic reduction, {} steps, residual {:.1e}; levels 0..c by level reduction; no truncation); availability A = {:.6}; Wq = W − 1/μ is the mean time not in service (a crashed attempt counts as service){}",
                self.solved.iterations,
                self.solved.residual,
                self.availability,
                if self.c == 1 {
                    "; P(wait) = P(any time not in service), from the tagged chain"
                } else {
                    "; P(wait) not derived for several consumers (the tagged chain of the documented discipline is not solved here): `simulate` gives it"
                }
            ),
            "Mitrani & Avi-Itzhak (1968), Operations Research 16(3): servers with breakdowns; Neuts (1981); Latouche & Ramaswami (1999); Little's law; PASTA",
        )
    }
    fn arrival_rate(&self) -> f64 {
        self.lambda
    }
    fn throughput(&self) -> f64 {
        self.lambda
    }
    fn utilisation(&self) -> f64 {
        self.solved.busy / self.c as f64
    }
    fn servers(&self) -> Option<u64> {
        Some(self.c)
    }
    fn mean_number_in_system(&self) -> f64 {
        self.solved.l
    }
    fn mean_queue_length(&self) -> f64 {
        (self.solved.l - self.solved.busy).max(0.0)
    }
    fn mean_sojourn(&self) -> f64 {
        self.solved.l / self.lambda
    }
    fn mean_wait(&self) -> f64 {
        (self.solved.l / self.lambda - 1.0 / self.mu).max(0.0)
    }
    fn prob_empty(&self) -> Option<f64> {
        Some(self.solved.p_empty)
    }
    fn prob_wait(&self) -> Option<f64> {
        // Exact for one consumer only; for several the positional chain's figure is an
        // approximation, and P(wait) carries the (numerical) label of the means.
        (self.c == 1)
            .then(|| 1.0 - self.no_wait.unwrap_or(f64::NAN))
            .filter(|p| p.is_finite())
    }
    fn wait_cdf(&self, t: f64) -> Option<f64> {
        self.cdf(t, true)
    }
    fn sojourn_cdf(&self, t: f64) -> Option<f64> {
        self.cdf(t, false)
    }
    fn wait_quantile(&self, p: f64) -> Option<f64> {
        self.cdf(1.0, true)?;
        invert_cdf(|t| self.cdf(t, true).unwrap_or(1.0), p, self.mean_sojourn())
    }
    fn sojourn_quantile(&self, p: f64) -> Option<f64> {
        self.cdf(1.0, false)?;
        invert_cdf(
            |t| self.cdf(t, false).unwrap_or(1.0),
            p,
            self.mean_sojourn(),
        )
    }
    fn distribution_method(&self) -> Option<Method> {
        const REFS: &str = "Mitrani & Avi-Itzhak (1968); Neuts (1981), Matrix-Geometric Solutions; Abate & Whitt (1995), ORSA J. Computing 7(1)";
        (self.c <= MAX_TRANSFORM_CONSUMERS).then(|| {
            if self.c == 1 {
                Method::numerical(
                    "tagged message's absorbing chain on (position, consumer up) from what it finds (PASTA), exact for one consumer; the wait is its time not in service (the service states censored): transforms per position, matrix-geometric above c, inverted numerically (Euler, ~1e-8 absolute)",
                    REFS,
                )
            } else {
                Method::approximation(
                    "tagged message's chain on (position, consumers up) that keeps the first min(position, up) messages in service, so a crash pre-empts the last of them rather than the crashed consumer's own message: right mean, approximate distribution (sojourn percentiles within about 2% of the exact chain when up-times are a few service times, closer when crashes are rare); the wait is its time not in service; transforms inverted numerically (Euler); `simulate` for the documented discipline",
                    REFS,
                )
            }
        })
    }
}

/// The analytic figures of a queue with `prefetch` and/or `crash` receiving `lambda`
/// deliveries/s (`poisson`: a Poisson stream; else a stream of arrival SCV `ca2`).
///
/// * Crashes, Poisson input, exponential service, up- and restart times, no capacity,
///   no failures, and prefetch 1 or one consumer: [`MMcBreakdown`], the exact chain.
/// * The same with prefetch N > 1 and several consumers: the same chain as the
///   **pooled (prefetch-1) approximation**, a lower bound on the latency (prefetch
///   lets a consumer hold messages while another idles), labelled an approximation.
/// * Prefetch without crashes (N > 1, several consumers): M/M/c or G/G/c figures of
///   the pooled queue, labelled the same approximation.
/// * Otherwise with crashes: G/G/c (Whitt 1993) with the capacity adjusted for
///   availability (mean service E[S]/A), labelled an approximation that ignores the
///   backlog an outage builds (optimistic when restarts are long).
///
/// # Errors
/// [`AnalyticError::UnstableBreakdown`] when λ >= c·μ·A; [`AnalyticError::NoMethod`]
/// for a capacity (not modelled with crashes) or a chain too large; the inner solvers'
/// errors.
pub(crate) fn solve_consumers(
    q: &crate::model::Queue,
    lambda: f64,
    poisson: bool,
    ca2: f64,
) -> Result<Box<dyn QueueMetrics>, AnalyticError> {
    use crate::analytic::single::approx::{GGc, GGcFormula};
    use crate::analytic::single::mm1::MM1;
    use crate::analytic::single::mmc::MMc;
    use crate::model::Distribution;
    let c = u64::from(q.servers);
    let mean = q.service.mean();
    let mu = 1.0 / mean;
    let exponential = matches!(q.service, Distribution::Exponential { .. });
    let pooled = q.prefetch_window() > 1 && c > 1;
    let pooled_note = |base: Method| {
        Method::approximation(
            format!(
                "pooled (prefetch-1) figures for prefetch {}: a lower bound on latency, since a consumer may hold up to {} messages while another idles; from {}",
                q.prefetch_window(),
                q.prefetch_window(),
                base.name
            ),
            base.reference,
        )
    };
    if q.capacity.is_some() {
        return Err(AnalyticError::NoMethod {
            reason:
                "a capacity with prefetch or consumer crashes has no analytic method here: simulate"
                    .into(),
        });
    }
    let Some(crash) = &q.crash else {
        // Prefetch > 1 with several consumers, no crashes.
        let inner: Box<dyn QueueMetrics> = if poisson && exponential {
            if c == 1 {
                Box::new(MM1::new(lambda, mu)?)
            } else {
                Box::new(MMc::new(lambda, mu, c)?)
            }
        } else {
            Box::new(GGc::new(
                GGcFormula::of(q),
                lambda,
                ca2,
                mean,
                q.service.scv(),
                c,
            )?)
        };
        return Ok(Box::new(Relabelled::means_only(
            pooled_note(inner.method()),
            inner,
        )));
    };
    let availability = crash.availability();
    let capacity = c as f64 * mu * availability;
    if lambda >= capacity {
        return Err(AnalyticError::UnstableBreakdown {
            arrival_rate: lambda,
            capacity,
            availability,
        });
    }
    if poisson && exponential && crash.is_markovian() && q.failure_probability == 0.0 {
        let phi = 1.0 / crash.time_to_failure.mean();
        let r = 1.0 / crash.restart.mean();
        let exact = MMcBreakdown::new(lambda, mu, c, phi, r)?;
        if !pooled {
            return Ok(Box::new(exact));
        }
        let method = pooled_note(exact.method());
        return Ok(Box::new(Relabelled::all(method, Box::new(exact))));
    }
    let inner = GGc::new(
        GGcFormula::of(q),
        lambda,
        ca2,
        mean / availability,
        q.service.scv(),
        c,
    )?;
    let base = inner.method();
    Ok(Box::new(Relabelled::means_only(
        Method::approximation(
            format!(
                "availability-adjusted capacity: {} with mean service E[S]/A, A = {availability:.6}; ignores the backlog an outage builds (optimistic when restarts are long against service)",
                base.name
            ),
            base.reference,
        ),
        Box::new(inner),
    )))
}

#[cfg(test)]
#[allow(clippy::excessive_precision)] // reference values as mpmath printed them
mod tests {
    use super::*;
    use crate::analytic::ctmc::Ctmc;
    use crate::analytic::method::Exactness;

    // The test oracle: the chain truncated at `n_max` (arrivals refused there), solved
    // by linear level reduction with no R or G (the method kendall used before the QBD).
    /// π of the chain truncated at level `n_max`, its residual ‖πQ‖₁, and R_{c+1}.
    ///
    /// The chain is a level-dependent quasi-birth–death process (level n, phase u), so π
    /// is found by linear level reduction: the last level gives π_N = π_{N−1} R_N, and
    /// backwards π_n = π_{n−1} R_n with R_n = λ (−(L_n + R_{n+1} D_{n+1}))⁻¹ (L_n the local
    /// block, D_n the service block); π_0 solves π_0 (L_0 + R_1 D_1) = 0. A direct method,
    /// O(N c³); the generator is built as a [`Ctmc`] (which checks it) and its residual
    /// reported.
    fn solve_truncated(
        lambda: f64,
        mu: f64,
        c: u64,
        phi: f64,
        r: f64,
        n_max: usize,
    ) -> Result<(Vec<f64>, f64, DMatrix<f64>), AnalyticError> {
        use nalgebra::DVector;
        let m = c as usize + 1;
        let no = |e: String| AnalyticError::NoMethod {
            reason: format!("the consumer-breakdown chain could not be solved ({e}): simulate"),
        };
        // Phase generator (crashes and restarts) without its diagonal.
        let phase_out = |u: usize| u as f64 * phi + (m - 1 - u) as f64 * r;
        let local = |n: usize| {
            let mut b = DMatrix::<f64>::zeros(m, m);
            for u in 0..m {
                if u > 0 {
                    b[(u, u - 1)] = u as f64 * phi;
                }
                if u + 1 < m {
                    b[(u, u + 1)] = (m - 1 - u) as f64 * r;
                }
                let up = if n < n_max { lambda } else { 0.0 };
                b[(u, u)] = -(phase_out(u) + up + mu * n.min(u) as f64);
            }
            b
        };
        let down = |n: usize, x: &mut DMatrix<f64>| {
            // x · D_n: scale column u by μ min(n, u).
            for u in 0..m {
                let d = mu * n.min(u) as f64;
                for row in 0..m {
                    x[(row, u)] *= d;
                }
            }
        };
        // R_n for n = 1..=N, stored (bounded: (N + 1)·m states <= MAX_BREAKDOWN_STATES).
        let mut rs: Vec<DMatrix<f64>> = Vec::with_capacity(n_max);
        let mut next: Option<DMatrix<f64>> = None; // R_{n+1} D_{n+1}
        for n in (1..=n_max).rev() {
            let mut a = local(n);
            if let Some(rd) = &next {
                a += rd;
            }
            let inv = (-a)
                .try_inverse()
                .ok_or_else(|| no(format!("a singular block at level {n}")))?;
            let rn = inv * lambda;
            let mut rd = rn.clone();
            down(n, &mut rd);
            next = Some(rd);
            rs.push(rn);
        }
        rs.reverse(); // rs[n − 1] = R_n
        let mut a0 = local(0);
        if let Some(rd) = &next {
            a0 += rd;
        }
        // x a0 = 0 with Σx = 1: transpose, replace the last equation by the sum.
        let mut at = a0.transpose();
        for j in 0..m {
            at[(m - 1, j)] = 1.0;
        }
        let mut rhs = DVector::<f64>::zeros(m);
        rhs[m - 1] = 1.0;
        let x0 = at
            .lu()
            .solve(&rhs)
            .ok_or_else(|| no("a singular boundary level".into()))?;
        let mut pi = Vec::with_capacity((n_max + 1) * m);
        let mut level: Vec<f64> = x0.iter().map(|v| v.max(0.0)).collect();
        pi.extend_from_slice(&level);
        for rn in &rs {
            let mut nextl = vec![0.0; m];
            for (v, out) in nextl.iter_mut().enumerate() {
                *out = (0..m).map(|u| level[u] * rn[(u, v)]).sum::<f64>().max(0.0);
            }
            pi.extend_from_slice(&nextl);
            level = nextl;
        }
        let total: f64 = pi.iter().sum();
        if !(total.is_finite() && total > 0.0) {
            return Err(no("the probabilities do not normalise".into()));
        }
        for p in &mut pi {
            *p /= total;
        }
        // The generator as a Ctmc: checked, and the residual of π.
        let idx = |n: usize, u: usize| n * m + u;
        let mut t = Vec::with_capacity((n_max + 1) * m * 4);
        for n in 0..=n_max {
            for u in 0..m {
                if n < n_max {
                    t.push((idx(n, u), idx(n + 1, u), lambda));
                }
                if n > 0 && u > 0 {
                    t.push((idx(n, u), idx(n - 1, u), mu * n.min(u) as f64));
                }
                if u > 0 {
                    t.push((idx(n, u), idx(n, u - 1), u as f64 * phi));
                }
                if u + 1 < m {
                    t.push((idx(n, u), idx(n, u + 1), (m - 1 - u) as f64 * r));
                }
            }
        }
        let chain = Ctmc::from_triplets((n_max + 1) * m, t).map_err(|e| no(e.to_string()))?;
        let residual = chain
            .residual(&pi)
            .ok_or_else(|| no("no residual".into()))?;
        // R_{c+1}: far from the truncation, the rate of the matrix-geometric levels.
        let rate = rs[c as usize].clone();
        Ok((pi, residual, rate))
    }
    use crate::analytic::single::special::poisson_mixture;

    /// P(still in the node (or waiting) after k uniformised jumps), k = 0, 1, …, of
    /// the tagged message's chain started from the whole truncated π: a second method
    /// (no transforms, no matrix-geometric step).
    fn uniformised_tails(
        pi: &[f64],
        c: usize,
        mu: f64,
        phi: f64,
        r: f64,
        wait: bool,
    ) -> (f64, Vec<f64>) {
        let m = c + 1;
        let levels = pi.len() / m;
        let rate = c as f64 * (mu + phi.max(r));
        let mut v = pi.to_vec();
        if wait {
            for (n, level) in v.chunks_mut(m).enumerate() {
                for (u, x) in level.iter_mut().enumerate() {
                    if n < u {
                        *x = 0.0;
                    }
                }
            }
        }
        let mut next = vec![0.0; v.len()];
        let mut out = vec![v.iter().sum::<f64>()];
        while *out.last().unwrap() > 1e-13 {
            next.iter_mut().for_each(|x| *x = 0.0);
            for pos in 1..=levels {
                for u in 0..m {
                    let x = v[(pos - 1) * m + u];
                    let tagged = pos <= u;
                    let ahead = pos.min(u) - usize::from(tagged);
                    let down = u as f64 * phi;
                    let up = (c - u) as f64 * r;
                    let done = mu * ahead as f64;
                    let own = if tagged { mu } else { 0.0 };
                    next[(pos - 1) * m + u] += x * (rate - down - up - done - own) / rate;
                    let mut go = |p: usize, w: usize, f: f64| {
                        if !(wait && p <= w) {
                            next[(p - 1) * m + w] += x * f / rate;
                        }
                    };
                    if u > 0 {
                        go(pos, u - 1, down);
                    }
                    if u < c {
                        go(pos, u + 1, up);
                    }
                    if ahead > 0 {
                        go(pos - 1, u, done);
                    }
                }
            }
            std::mem::swap(&mut v, &mut next);
            out.push(v.iter().sum::<f64>());
        }
        (rate, out)
    }

    /// The waiting and sojourn CDFs (transforms, matrix-geometric levels, Euler
    /// inversion) against uniformisation of the same chain over every truncated level.
    #[test]
    fn distributions_match_uniformisation() {
        for (c, lambda, mu, phi, r) in [(1u64, 0.5, 1.0, 0.1, 1.0), (3, 2.0, 1.0, 0.05, 0.5)] {
            let q = MMcBreakdown::new(lambda, mu, c, phi, r).unwrap();
            let (pi, _, _) = solve_truncated(lambda, mu, c, phi, r, 600).unwrap();
            // The sojourn only: the oracle's wait ends at the first start of service,
            // kendall's is the time not in service (checked below against its own
            // reference).
            for wait in [false] {
                let (rate, a) = uniformised_tails(&pi, c as usize, mu, phi, r, wait);
                for t in [0.3, 2.0, 8.0, 30.0] {
                    let oracle = poisson_mixture(rate * t, a.len() as u64, |k| a[k as usize]);
                    let got = 1.0 - q.cdf(t, wait).unwrap();
                    assert!(
                        (got - oracle).abs() < 1e-7,
                        "c = {c}, wait = {wait}, t = {t}: {got} vs {oracle}"
                    );
                }
            }
            // The percentiles invert the CDF.
            let p99 = q.sojourn_quantile(0.99).unwrap();
            assert!((q.sojourn_cdf(p99).unwrap() - 0.99).abs() < 1e-7);
        }
        // Beyond the consumer limit: no distribution, said so.
        let big = MMcBreakdown::new(10.0, 1.0, MAX_TRANSFORM_CONSUMERS + 1, 0.01, 1.0).unwrap();
        assert!(big.sojourn_quantile(0.99).is_none() && big.distribution_method().is_none());
    }

    /// The wait (time not in service) against tests/reference/crash_wait_reference.py:
    /// for c = 1 its exact tagged chain (documented discipline: waiting states
    /// (ahead, up, in system), service states (up, in system), truncated at 200, its
    /// waiting time by censoring the service states, expm_multiply and Brent); for
    /// c = 3 (λ 1.5, μ 1, up 2 s, down 1 s) the same censoring of kendall's positional
    /// chain (the approximation), with the exact chain's figures in comments.
    #[test]
    fn wait_is_the_time_not_in_service() {
        let rel = |a: f64, b: f64| (a - b).abs() / b.abs();
        // c = 1: exact. P(wait) = 1 − π(0, 1)·μ/(μ + φ) = 1 − (1 − 0.5909…)/1.1.
        let q = MMcBreakdown::new(0.5, 1.0, 1, 0.1, 1.0).unwrap();
        assert!(rel(q.prob_wait().unwrap(), 0.6280991735537188) < 1e-9);
        for (t, f) in [
            (0.3, 0.4438081876467558),
            (2.0, 0.7122720878945481),
            (8.0, 0.9683549169192788),
            (30.0, 0.999989502840319),
        ] {
            assert!((q.wait_cdf(t).unwrap() - f).abs() < 1e-7, "t = {t}");
        }
        for (p, x) in [
            (0.5, 0.5670359156206043),
            (0.95, 6.745901971091573),
            (0.99, 11.162037104462703),
            (0.999, 17.48552712608613),
        ] {
            // ~1e-8 absolute on the CDF: a few 1e-6 relative at p999 (low density).
            assert!(rel(q.wait_quantile(p).unwrap(), x) < 1e-5, "p = {p}");
        }
        for (p, x) in [(0.5, 1.7894027243842316), (0.99, 12.502251008026601)] {
            assert!(rel(q.sojourn_quantile(p).unwrap(), x) < 1e-6, "p = {p}");
        }
        assert_eq!(
            q.distribution_method().unwrap().exactness,
            Exactness::Numerical
        );
        // c = 3: no P(wait) (not derived for the documented discipline; exact
        // 0.7593360595648903, the positional chain's 0.7550971357960282), the
        // percentiles labelled approximations.
        let q = MMcBreakdown::new(1.5, 1.0, 3, 0.5, 1.0).unwrap();
        assert!(q.prob_wait().is_none());
        assert_eq!(
            q.distribution_method().unwrap().exactness,
            Exactness::Approximation
        );
        assert_eq!(q.method().exactness, Exactness::Numerical);
        assert!((1.0 - q.wait_cdf(0.0).unwrap() - 0.7550971357960282).abs() < 1e-9);
        for (p, x) in [
            (0.5, 0.8819403147694521),  // exact 0.8716575409820615
            (0.99, 10.571418035684644), // exact 10.588616560345208
        ] {
            assert!(rel(q.wait_quantile(p).unwrap(), x) < 1e-6, "p = {p}");
        }
        // Its mean is W − 1/μ = Wq: −d/ds of the transform at 0.
        let h = 1e-6;
        let mean = (1.0 - q.transform(C::new(h, 0.0), true).unwrap().re) / h;
        assert!(
            rel(mean, q.mean_wait()) < 1e-4,
            "{mean} vs {}",
            q.mean_wait()
        );
        // Little: Lq (not in active service) = λ·Wq.
        assert!(rel(q.mean_queue_length(), 1.5 * q.mean_wait()) < 1e-9);
    }

    /// Values from tests/reference/breakdown_reference.py (matrix-geometric, mpmath,
    /// no truncation).
    #[test]
    fn matches_the_matrix_geometric_reference() {
        let cases = [
            // (c, λ, μ, φ, r, L, Lq, P(wait))
            (
                1,
                0.5,
                1.0,
                0.1,
                1.0,
                1.3232323232323232,
                0.82323232323232323,
                0.59090909090909091,
            ),
            (
                2,
                1.0,
                1.0,
                0.05,
                0.5,
                1.6727355651046186,
                0.67273556510461857,
                0.43892912209746015,
            ),
            (
                4,
                150.0,
                50.0,
                1.0 / 120.0,
                0.1,
                62.816974753516536,
                59.816974753516536,
                0.65834188914991796,
            ),
        ];
        for (c, lam, mu, phi, r, l, lq, pw) in cases {
            let q = MMcBreakdown::new(lam, mu, c, phi, r).unwrap();
            let rel = |a: f64, b: f64| (a - b).abs() / b.abs();
            assert!(
                rel(q.mean_number_in_system(), l) < 1e-10,
                "c={c}: L {}",
                q.mean_number_in_system()
            );
            assert!(rel(q.mean_queue_length(), lq) < 1e-10, "c={c}: Lq");
            // P(an arrival finds every consumer up busy): no longer P(wait) (the wait
            // is the time not in service, a crash included; see the test above).
            let found_busy = 1.0 - q.no_wait.unwrap();
            if c == 1 {
                // P(wait = 0) = π(0, 1)·μ/(μ + φ): served at once, and no crash first.
                assert!(rel(1.0 - (1.0 - pw) * mu / (mu + phi), found_busy) < 1e-10);
            } else {
                assert!(q.prob_wait().is_none());
                assert!(found_busy >= pw - 1e-12, "c={c}");
            }
            assert!(rel(q.mean_sojourn(), l / lam) < 1e-7);
            assert!(rel(q.utilisation(), lam / (c as f64 * mu)) < 1e-7);
        }
    }

    /// The QBD's levels 0..=c against the chain truncated far out (P(n = N) < 1e-20)
    /// and solved with no R or G, at 1e-10 (1e-18 absolute for states far below).
    #[test]
    fn qbd_matches_the_truncated_chain() {
        for (c, lambda, mu, phi, r) in [
            (1u64, 0.5, 1.0, 0.1, 1.0),
            (3, 2.0, 1.0, 0.05, 0.5),
            (6, 4.0, 1.0, 0.02, 0.4),
        ] {
            let q = MMcBreakdown::new(lambda, mu, c, phi, r).unwrap();
            let n_max = 2000;
            let (pi, residual, _) = solve_truncated(lambda, mu, c, phi, r, n_max).unwrap();
            let m = c as usize + 1;
            assert!(pi[n_max * m..].iter().sum::<f64>() < 1e-20);
            assert!(residual < 1e-12, "{residual}");
            for (i, (a, b)) in q.solved.head.iter().zip(&pi).enumerate() {
                // Relative 1e-10, or 1e-18 absolute for the states far below the mass.
                assert!(
                    (a - b).abs() <= 1e-10 * b + 1e-18,
                    "c = {c}, state {i}: {a} vs {b}"
                );
            }
            let l: f64 = (0..=n_max)
                .map(|n| n as f64 * pi[n * m..(n + 1) * m].iter().sum::<f64>())
                .sum();
            assert!(
                (q.mean_number_in_system() - l).abs() < 1e-10 * l,
                "c = {c}: L"
            );
        }
        assert!(MMcBreakdown::new(10.0, 1.0, MAX_BREAKDOWN_CONSUMERS + 1, 0.01, 1.0).is_err());
    }

    #[test]
    fn beyond_the_available_capacity_is_refused_with_the_figures() {
        // c μ A = 4 · 50 · 12/13 = 184.6 < 190.
        let e = MMcBreakdown::new(190.0, 50.0, 4, 1.0 / 120.0, 0.1).unwrap_err();
        let text = e.to_string();
        assert!(text.contains("184.6"), "{text}");
        assert!(text.contains("0.923"), "{text}");
        assert!(MMcBreakdown::new(1.0, 1.0, 0, 0.1, 1.0).is_err());
        assert!(MMcBreakdown::new(1.0, 1.0, 2, 0.0, 1.0).is_err());
    }
}
