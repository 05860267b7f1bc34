//! Incomplete LU factorisation with no fill-in, ILU(0), on a [`Csr`] matrix.
//!
//! L (unit lower) and U share the sparsity pattern of A: the factorisation runs the
//! IKJ Gaussian elimination but drops every update that would land outside A's
//! pattern (Saad (2003), *Iterative Methods for Sparse Linear Systems*, 2nd ed.,
//! Algorithm 10.4). For a tridiagonal matrix no update is dropped, so ILU(0) is the
//! exact LU factorisation. For a (negated) nonsingular M-matrix, such as a generator
//! with one state removed, the pivots exist and keep their sign (Meijerink & van der
//! Vorst, 1977).

use super::generator::Csr;

/// The ILU(0) factors, stored in one CSR array like A.
#[derive(Debug, Clone)]
pub(crate) struct Ilu0 {
    lu: Csr,
    /// Position of each row's diagonal entry in `lu.idx`/`lu.val`.
    diag: Vec<usize>,
}

impl Ilu0 {
    /// Factorises `a` (rows sorted by column, every diagonal entry present).
    ///
    /// Returns `Err(row)` for a missing, zero or non-finite pivot.
    pub(crate) fn new(a: Csr) -> Result<Self, usize> {
        let n = a.offsets.len() - 1;
        let mut lu = a;
        let mut diag = vec![usize::MAX; n];
        for (i, d) in diag.iter_mut().enumerate() {
            for p in lu.offsets[i]..lu.offsets[i + 1] {
                if lu.idx[p] == i {
                    *d = p;
                }
            }
            if *d == usize::MAX {
                return Err(i);
            }
        }
        let mut pos = vec![usize::MAX; n];
        for i in 0..n {
            let (start, end) = (lu.offsets[i], lu.offsets[i + 1]);
            for p in start..end {
                pos[lu.idx[p]] = p;
            }
            for p in start..end {
                let k = lu.idx[p];
                if k >= i {
                    break;
                }
                let l = lu.val[p] / lu.val[diag[k]];
                lu.val[p] = l;
                for q in diag[k] + 1..lu.offsets[k + 1] {
                    let j = lu.idx[q];
                    let t = pos[j];
                    if t != usize::MAX {
                        lu.val[t] -= l * lu.val[q];
                    }
                }
            }
            for p in start..end {
                pos[lu.idx[p]] = usize::MAX;
            }
            let piv = lu.val[diag[i]];
            if !(piv.is_finite() && piv != 0.0) {
                return Err(i);
            }
        }
        Ok(Self { lu, diag })
    }

    /// Solves (LU) x = b in place (`x` holds b on entry).
    pub(crate) fn solve_in_place(&self, x: &mut [f64]) {
        let n = self.diag.len();
        for i in 0..n {
            let mut s = x[i];
            for p in self.lu.offsets[i]..self.diag[i] {
                s -= self.lu.val[p] * x[self.lu.idx[p]];
            }
            x[i] = s;
        }
        for i in (0..n).rev() {
            let mut s = x[i];
            for p in self.diag[i] + 1..self.lu.offsets[i + 1] {
                s -= self.lu.val[p] * x[self.lu.idx[p]];
            }
            x[i] = s / self.lu.val[self.diag[i]];
        }
    }

    /// Solves (LU) x = b in place, rescaling the whole vector by 2^-300 whenever an
    /// entry passes 2^300: returns the direction of the solution when its entries span
    /// more than the double range (tiny ones flush to 0). Used to find the most probable
    /// state before pinning.
    pub(crate) fn solve_direction_in_place(&self, x: &mut [f64]) {
        const BIG: f64 = 2.037_035_976_334_486e90; // 2^300
        const SHRINK: f64 = 1.0 / BIG;
        let n = self.diag.len();
        let rescale = |x: &mut [f64]| x.iter_mut().for_each(|v| *v *= SHRINK);
        for i in 0..n {
            let mut s = x[i];
            for p in self.lu.offsets[i]..self.diag[i] {
                s -= self.lu.val[p] * x[self.lu.idx[p]];
            }
            x[i] = s;
            if s.abs() > BIG {
                rescale(x);
            }
        }
        for i in (0..n).rev() {
            let mut s = x[i];
            for p in self.diag[i] + 1..self.lu.offsets[i + 1] {
                s -= self.lu.val[p] * x[self.lu.idx[p]];
            }
            x[i] = s / self.lu.val[self.diag[i]];
            if x[i].abs() > BIG {
                rescale(x);
            }
        }
    }
}
