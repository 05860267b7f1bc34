//! Quasi-birth–death processes: the matrices G and R of a level-independent QBD by
//! logarithmic reduction.
//!
//! A QBD moves between levels n = 0, 1, … one at a time, each level holding m phases.
//! Above its boundary the generator is level-independent: `up` (A₀, level n → n + 1),
//! `local` (A₁, within a level, its diagonal making the rows of A₀ + A₁ + A₂ sum to 0)
//! and `down` (A₂, n → n − 1). G, the phase at which the level below is first reached,
//! is the minimal non-negative solution of A₂ + A₁G + A₀G² = 0, and R, the expected
//! time in phases of level n + 1 per unit time in level n, the minimal solution of
//! A₀ + RA₁ + R²A₂ = 0; the stationary levels above the boundary are π_{n+1} = π_n R.
//!
//! G is found by **logarithmic reduction** (Latouche & Ramaswami 1993; *Introduction to
//! Matrix Analytic Methods in Stochastic Modeling*, 1999, §8.4): with B₀ = (−A₁)⁻¹A₀,
//! B₂ = (−A₁)⁻¹A₂, G ← B₂, T ← B₀, then repeatedly
//! U = B₀B₂ + B₂B₀, B₀ ← (I − U)⁻¹B₀², B₂ ← (I − U)⁻¹B₂², G ← G + TB₂, T ← TB₀, until
//! G is stochastic to 1e-14, or the steps stop changing it while it is stochastic to
//! 1e-10 (the rounding floor of an ill-conditioned QBD) (each step doubles the levels it accounts for: quadratic
//! convergence, about log₂ of the busy periods' length in levels); then
//! R = A₀(−(A₁ + A₀G))⁻¹ (Neuts 1981, *Matrix-Geometric Solutions in Stochastic Models*).
//! The solution carries the iterations, the stopping reason and the residual
//! ‖A₀ + RA₁ + R²A₂‖∞.

use nalgebra::{DMatrix, RowDVector};

use crate::analytic::error::AnalyticError;

/// Most logarithmic-reduction steps (each doubles the levels covered: 64 covers 2⁶⁴).
pub const QBD_MAX_ITERATIONS: u32 = 64;

/// G is accepted once ‖1 − G·1‖∞ is below this.
pub const QBD_TOLERANCE: f64 = 1e-14;

/// When further steps no longer change G (an ill-conditioned QBD, e.g. bursts far
/// above capacity), G is accepted if ‖1 − G·1‖∞ is below this; else refused.
pub const QBD_FLOOR: f64 = 1e-10;

/// The level-independent blocks of a QBD (see the module docs).
///
/// # Example
/// ```
/// use kendall::analytic::ctmc::Qbd;
/// use nalgebra::DMatrix;
/// // M/M/1 as a one-phase QBD: λ = 1, μ = 2, so R = ρ = 1/2 and G = 1.
/// let q = Qbd::new(
///     DMatrix::from_element(1, 1, 1.0),
///     DMatrix::from_element(1, 1, -3.0),
///     DMatrix::from_element(1, 1, 2.0),
/// ).unwrap();
/// let s = q.solve().unwrap();
/// assert!((s.r[(0, 0)] - 0.5).abs() < 1e-14 && (s.g[(0, 0)] - 1.0).abs() < 1e-14);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Qbd {
    up: DMatrix<f64>,
    local: DMatrix<f64>,
    down: DMatrix<f64>,
}

/// G and R of a [`Qbd`], with how they were found.
#[derive(Debug, Clone, PartialEq)]
pub struct QbdSolution {
    /// First passage to the level below, by phase (stochastic).
    pub g: DMatrix<f64>,
    /// The matrix-geometric rate: π_{n+1} = π_n R above the boundary.
    pub r: DMatrix<f64>,
    /// Logarithmic-reduction steps taken.
    pub iterations: u32,
    /// ‖A₀ + RA₁ + R²A₂‖∞.
    pub residual: f64,
}

impl Qbd {
    /// The blocks `up` (A₀), `local` (A₁) and `down` (A₂), square and of one size.
    ///
    /// # Errors
    /// [`AnalyticError::InvalidParameter`] for blocks of different or zero size, a
    /// negative or non-finite rate off the diagonal of A₁ or anywhere in A₀ and A₂, or
    /// rows of A₀ + A₁ + A₂ that do not sum to 0 (relative 1e-9).
    pub fn new(
        up: DMatrix<f64>,
        local: DMatrix<f64>,
        down: DMatrix<f64>,
    ) -> Result<Self, AnalyticError> {
        let m = up.nrows();
        let square = |b: &DMatrix<f64>| b.nrows() == m && b.ncols() == m;
        if m == 0 || !square(&up) || !square(&local) || !square(&down) {
            return Err(AnalyticError::InvalidParameter {
                name: "qbd_blocks",
                value: m as f64,
                rule: "three square blocks of one size >= 1",
            });
        }
        for i in 0..m {
            let mut sum = 0.0;
            let mut scale: f64 = 0.0;
            for j in 0..m {
                for (b, off_diagonal) in [(&up, true), (&local, i != j), (&down, true)] {
                    let v = b[(i, j)];
                    if !v.is_finite() || (off_diagonal && v < 0.0) {
                        return Err(AnalyticError::InvalidParameter {
                            name: "qbd_rate",
                            value: v,
                            rule: "a finite rate >= 0 (off the diagonal of the local block)",
                        });
                    }
                    sum += v;
                    scale = scale.max(v.abs());
                }
            }
            if sum.abs() > 1e-9 * scale.max(1e-300) {
                return Err(AnalyticError::InvalidParameter {
                    name: "qbd_row_sum",
                    value: sum,
                    rule: "0: each row of up + local + down sums to 0 (a generator)",
                });
            }
        }
        Ok(Self { up, local, down })
    }

    /// Phases per level.
    pub fn phases(&self) -> usize {
        self.up.nrows()
    }

    /// The mean drift θA₀1 − θA₂1 of the level, θ the stationary law of the phase
    /// generator A₀ + A₁ + A₂: negative iff the QBD is positive recurrent (for an
    /// irreducible phase generator). `None` if θ cannot be solved for.
    pub fn drift(&self) -> Option<f64> {
        self.level_rates().map(|(up, down)| up - down)
    }

    /// θA₀1 and θA₂1: the mean rates up and down a level, θ the stationary law of the
    /// phase generator.
    fn level_rates(&self) -> Option<(f64, f64)> {
        let theta = stationary(&(&self.up + &self.local + &self.down))?;
        let ones = nalgebra::DVector::from_element(self.phases(), 1.0);
        Some((
            (&theta * (&self.up * &ones))[(0, 0)],
            (&theta * (&self.down * &ones))[(0, 0)],
        ))
    }

    /// G and R by logarithmic reduction.
    ///
    /// # Errors
    /// [`AnalyticError::Unstable`] when the drift is not negative (the levels grow
    /// without bound; `utilisation` is θA₀1 / θA₂1); [`AnalyticError::NoMethod`] when a
    /// block is singular or G is not stochastic after [`QBD_MAX_ITERATIONS`] steps.
    pub fn solve(&self) -> Result<QbdSolution, AnalyticError> {
        let m = self.phases();
        let fail = |why: String| AnalyticError::NoMethod {
            reason: format!("the quasi-birth–death solver failed: {why}"),
        };
        let (upward, downward) = self
            .level_rates()
            .ok_or_else(|| fail("the phase process has no stationary law".into()))?;
        let ones = nalgebra::DVector::from_element(m, 1.0);
        if upward >= downward {
            return Err(AnalyticError::Unstable {
                utilisation: upward / downward,
            });
        }
        let inv = (-&self.local)
            .try_inverse()
            .ok_or_else(|| fail("the local block is singular".into()))?;
        let mut b0 = &inv * &self.up;
        let mut b2 = &inv * &self.down;
        let mut g = b2.clone();
        let mut t = b0.clone();
        let identity = DMatrix::<f64>::identity(m, m);
        let mut iterations = 0;
        let defect_of = |g: &DMatrix<f64>| {
            (g * &ones)
                .iter()
                .map(|x| (1.0 - x).abs())
                .fold(
                    0.0,
                    |a: f64, b| if b.is_nan() { f64::NAN } else { a.max(b) },
                )
        };
        let mut increment = f64::INFINITY;
        loop {
            let defect = defect_of(&g);
            if !defect.is_finite() {
                return Err(fail(format!("G is not finite after {iterations} steps")));
            }
            // Converged; or the steps no longer change G (the rounding floor of an
            // ill-conditioned QBD: accepted while G is stochastic to 1e-10).
            if defect < QBD_TOLERANCE || (increment < 1e-18 && defect < QBD_FLOOR) {
                break;
            }
            if iterations == QBD_MAX_ITERATIONS || increment < 1e-18 {
                return Err(fail(format!(
                    "G is not stochastic after {iterations} steps (defect {defect:.1e})"
                )));
            }
            let u = &b0 * &b2 + &b2 * &b0;
            let step = (&identity - u)
                .try_inverse()
                .ok_or_else(|| fail(format!("I − U is singular at step {iterations}")))?;
            b0 = &step * (&b0 * &b0);
            b2 = &step * (&b2 * &b2);
            let add = &t * &b2;
            increment = add.amax();
            g += add;
            t = &t * &b0;
            iterations += 1;
        }
        let r = &self.up
            * (-(&self.local + &self.up * &g))
                .try_inverse()
                .ok_or_else(|| fail("A₁ + A₀G is singular".into()))?;
        let res = &self.up + &r * &self.local + &r * &r * &self.down;
        let residual = res
            .row_iter()
            .map(|row| row.iter().map(|v| v.abs()).sum::<f64>())
            .fold(0.0, f64::max);
        Ok(QbdSolution {
            g,
            r,
            iterations,
            residual,
        })
    }
}

/// The non-negative row vector x with x·b = 0 and Σx = 1, by the SVD of bᵀ (the right
/// singular vector of its smallest singular value): stable where the level-0 balance
/// nearly cancels (bursts far above capacity), where replacing an equation by the
/// normalisation loses every digit.
pub(crate) fn null_row(b: &DMatrix<f64>) -> Option<RowDVector<f64>> {
    let svd = b.transpose().svd(false, true);
    let v_t = svd.v_t?;
    let (k, _) = svd
        .singular_values
        .iter()
        .enumerate()
        .min_by(|a, b| a.1.total_cmp(b.1))?;
    let x = v_t.row(k).into_owned();
    let sum = x.sum();
    if !(sum.is_finite() && sum != 0.0) {
        return None;
    }
    let x = x / sum;
    x.iter().all(|v| *v > -1e-9).then(|| x.map(|v| v.max(0.0)))
}

/// The stationary levels 0..=c of a QBD whose blocks depend on the level up to c and
/// repeat from c on, with R and G of the repeating blocks in `sol`: by linear level
/// reduction through first-passage matrices (Latouche & Ramaswami 1999, §10.2):
/// G_{c+1} = G, M_n = −(L_n + U_nG_{n+1}), G_n = M_n⁻¹D_n with its rows renormalised
/// (stochastic, so rounding does not grow over many levels), R_n = U_{n−1}M_n⁻¹; π₀ the
/// null vector of L₀ + U₀G₁ ([`null_row`]); π_n = π_{n−1}R_n; all normalised together
/// with the levels above c, Σ_{j>=0} π_cRʲ1 = π_c(I − R)⁻¹1.
///
/// `up(n)` is U_n for n = 0..=c (U_c the repeating block), `local(n)` L_n for 0..=c,
/// `down(n)` D_n for 1..=c; levels may differ in size below c. Returns π₀ … π_c and
/// (I − R)⁻¹, or what failed (for the caller's message).
pub(crate) fn boundary_levels(
    c: usize,
    up: impl Fn(usize) -> DMatrix<f64>,
    local: impl Fn(usize) -> DMatrix<f64>,
    down: impl Fn(usize) -> DMatrix<f64>,
    sol: &QbdSolution,
) -> Result<(Vec<RowDVector<f64>>, DMatrix<f64>), &'static str> {
    let mut g_next = sol.g.clone();
    let mut rs = Vec::with_capacity(c);
    for n in (1..=c).rev() {
        let m_n = -(local(n) + up(n) * &g_next);
        let inv = m_n.try_inverse().ok_or("a singular level")?;
        rs.push(up(n - 1) * &inv);
        let mut g_n = &inv * down(n);
        for mut row in g_n.row_iter_mut() {
            let sum = row.sum();
            if sum > 0.0 {
                row /= sum;
            }
        }
        g_next = g_n;
    }
    rs.reverse(); // rs[n − 1] = R_n
    let pi0 = null_row(&(local(0) + up(0) * &g_next)).ok_or("a singular level 0")?;
    let mut levels = Vec::with_capacity(c + 1);
    levels.push(pi0);
    for rn in &rs {
        let next = &levels[levels.len() - 1] * rn;
        levels.push(next);
    }
    let m = sol.r.nrows();
    let inv = (DMatrix::<f64>::identity(m, m) - &sol.r)
        .try_inverse()
        .ok_or("I − R is singular")?;
    let ones = nalgebra::DVector::from_element(m, 1.0);
    let total =
        levels[..c].iter().map(|p| p.sum()).sum::<f64>() + (&levels[c] * &inv * &ones)[(0, 0)];
    if !(total.is_finite() && total > 0.0) {
        return Err("the probabilities do not normalise");
    }
    for p in &mut levels {
        *p /= total;
    }
    Ok((levels, inv))
}

/// The mass π R^k 1 of the level k above `start` = π in a matrix-geometric law, by
/// repeated squaring (k can be large: O(log k) products).
pub(crate) fn level_mass(start: &RowDVector<f64>, r: &DMatrix<f64>, k: u64) -> f64 {
    let mut power = r.clone();
    let mut k = k;
    let mut v = start.clone();
    while k > 0 {
        if k & 1 == 1 {
            v = &v * &power;
        }
        k >>= 1;
        if k > 0 {
            power = &power * &power;
        }
    }
    v.sum().max(0.0)
}

/// The stationary row vector θ of an irreducible generator q (θq = 0, θ1 = 1).
pub(crate) fn stationary(q: &DMatrix<f64>) -> Option<nalgebra::RowDVector<f64>> {
    let m = q.nrows();
    let mut a = q.transpose();
    for j in 0..m {
        a[(m - 1, j)] = 1.0;
    }
    let mut rhs = nalgebra::DVector::<f64>::zeros(m);
    rhs[m - 1] = 1.0;
    let x = a.lu().solve(&rhs)?;
    x.iter()
        .all(|v| v.is_finite() && *v > -1e-12)
        .then(|| x.transpose().map(|v| v.max(0.0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diag(v: &[f64]) -> DMatrix<f64> {
        DMatrix::from_diagonal(&nalgebra::DVector::from_row_slice(v))
    }

    /// MMPP(2)/M/1: R from logarithmic reduction against R from the plain fixed-point
    /// iteration R ← −(A₀ + R²A₂)A₁⁻¹ (a second method, run to its own convergence).
    #[test]
    fn r_matches_the_fixed_point_iteration() {
        let (l, mu) = ([1.0, 5.0], 4.0);
        let q = DMatrix::from_row_slice(2, 2, &[-0.2, 0.2, 0.5, -0.5]);
        let up = diag(&l);
        let down = diag(&[mu, mu]);
        let local = &q - &up - &down;
        let s = Qbd::new(up.clone(), local.clone(), down.clone())
            .unwrap()
            .solve()
            .unwrap();
        assert!(s.residual < 1e-13, "{}", s.residual);
        let inv = local.clone().try_inverse().unwrap();
        let mut r = DMatrix::<f64>::zeros(2, 2);
        for _ in 0..200_000 {
            r = -(&up + &r * &r * &down) * &inv;
        }
        assert!((&r - &s.r).amax() < 1e-12, "{r} vs {}", s.r);
        assert!(s.iterations < 30);
    }

    #[test]
    fn unstable_and_malformed_blocks_are_refused() {
        let one = |v: f64| DMatrix::from_element(1, 1, v);
        assert!(matches!(
            Qbd::new(one(2.0), one(-3.0), one(1.0)).unwrap().solve(),
            Err(AnalyticError::Unstable { .. })
        ));
        assert!(Qbd::new(one(1.0), one(-2.0), one(2.0)).is_err());
        assert!(Qbd::new(one(-1.0), one(-1.0), one(2.0)).is_err());
        assert!(Qbd::new(DMatrix::zeros(0, 0), one(0.0), one(0.0)).is_err());
    }
}
