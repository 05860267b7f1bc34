//! One cycle of right-preconditioned restarted GMRES(m).
//!
//! Minimises ‖b − A x‖₂ over x₀ + M⁻¹ K_m(A M⁻¹, r₀), with modified Gram–Schmidt
//! Arnoldi and Givens rotations (Saad (2003), *Iterative Methods for Sparse Linear
//! Systems*, 2nd ed., Algorithm 9.5). The caller restarts it and judges convergence on
//! the true residual.

/// The inner product of two vectors (shared with the BiCGSTAB solver).
pub(super) fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// The Euclidean norm.
pub(super) fn norm(a: &[f64]) -> f64 {
    dot(a, a).sqrt()
}

/// The residual b − A x, with `apply` computing `out = A v`: one product.
pub(super) fn residual(apply: &impl Fn(&[f64], &mut [f64]), b: &[f64], x: &[f64]) -> Vec<f64> {
    let mut r = vec![0.0; b.len()];
    apply(x, &mut r);
    for (ri, bi) in r.iter_mut().zip(b) {
        *ri = bi - *ri;
    }
    r
}

/// Runs at most `max_steps` Arnoldi steps from `x` (updated in place), stopping early
/// when the estimated residual ‖b − A x‖₂ falls to `tol` or the Krylov space stops
/// growing. `apply` computes `out = A v`; `precondition` replaces `v` by M⁻¹ v.
/// Returns the number of steps (matrix–vector products with A) taken.
pub(crate) fn cycle(
    apply: impl Fn(&[f64], &mut [f64]),
    precondition: impl Fn(&mut [f64]),
    b: &[f64],
    x: &mut [f64],
    max_steps: usize,
    tol: f64,
) -> usize {
    let n = b.len();
    let mut r = residual(&apply, b, x);
    let beta = norm(&r);
    if !beta.is_finite() || beta <= tol || max_steps == 0 {
        return 0;
    }
    r.iter_mut().for_each(|v| *v /= beta);
    let mut basis: Vec<Vec<f64>> = vec![r];
    // h[j] is column j of the Hessenberg matrix (length j + 2), rotated in place.
    let mut h: Vec<Vec<f64>> = Vec::new();
    let mut cs: Vec<f64> = Vec::new();
    let mut sn: Vec<f64> = Vec::new();
    let mut g = vec![beta];
    let mut z = vec![0.0; n];
    let mut steps = 0;
    for j in 0..max_steps {
        z.copy_from_slice(&basis[j]);
        precondition(&mut z);
        let mut w = vec![0.0; n];
        apply(&z, &mut w);
        steps += 1;
        let mut col = vec![0.0; j + 2];
        for (i, v) in basis.iter().enumerate() {
            let hij = dot(&w, v);
            col[i] = hij;
            for (wk, vk) in w.iter_mut().zip(v) {
                *wk -= hij * vk;
            }
        }
        let hnext = norm(&w);
        col[j + 1] = hnext;
        for i in 0..j {
            let (a, bb) = (col[i], col[i + 1]);
            col[i] = cs[i] * a + sn[i] * bb;
            col[i + 1] = -sn[i] * a + cs[i] * bb;
        }
        let (a, bb) = (col[j], col[j + 1]);
        let d = a.hypot(bb);
        let (c, s) = if d == 0.0 {
            (1.0, 0.0)
        } else {
            (a / d, bb / d)
        };
        cs.push(c);
        sn.push(s);
        col[j] = d;
        col[j + 1] = 0.0;
        let gj = g[j];
        g[j] = c * gj;
        g.push(-s * gj);
        h.push(col);
        let breakdown = !hnext.is_finite() || hnext <= 1e-300 * beta;
        if !breakdown && j + 1 < max_steps {
            w.iter_mut().for_each(|v| *v /= hnext);
            basis.push(w);
        }
        if g[j + 1].abs() <= tol || breakdown {
            break;
        }
    }
    // Back-substitute H y = g on the k × k upper-triangular part.
    let k = h.len();
    let mut y = vec![0.0; k];
    for i in (0..k).rev() {
        let mut s = g[i];
        for (jj, yj) in y.iter().enumerate().skip(i + 1) {
            s -= h[jj][i] * yj;
        }
        y[i] = if h[i][i] == 0.0 { 0.0 } else { s / h[i][i] };
    }
    z.iter_mut().for_each(|v| *v = 0.0);
    for (yi, v) in y.iter().zip(&basis) {
        for (zk, vk) in z.iter_mut().zip(v) {
            *zk += yi * vk;
        }
    }
    precondition(&mut z);
    for (xk, zk) in x.iter_mut().zip(&z) {
        *xk += zk;
    }
    steps
}
