//! Right-preconditioned BiCGSTAB (van der Vorst 1992; Saad (2003), *Iterative Methods
//! for Sparse Linear Systems*, 2nd ed., Algorithm 7.7 with right preconditioning).
//!
//! Short recurrences: eight vectors of length n whatever the number of steps, against
//! GMRES's growing Krylov basis, and no orthogonalisation cost per step. It can break
//! down or stagnate, so it keeps the iterate of smallest recursive residual, stops
//! when that has not improved for a while, and the caller (which judges convergence on
//! the true residual) falls back to GMRES.

use super::gmres::{dot, norm, residual};

/// Iterations without a new smallest residual after which the run is abandoned.
const PATIENCE: usize = 25;

/// Runs BiCGSTAB from `x` (left holding the iterate of smallest residual norm),
/// taking at most `max_products` matrix–vector products with A (two per iteration),
/// and stopping when the recursive residual ‖b − A x‖₂ reaches `tol`, on breakdown,
/// or after [`PATIENCE`] iterations without a new smallest residual. `apply` computes
/// `out = A v`; `precondition` replaces `v` by M⁻¹ v. Returns the number of products.
pub(crate) fn solve(
    apply: impl Fn(&[f64], &mut [f64]),
    precondition: impl Fn(&mut [f64]),
    b: &[f64],
    x: &mut [f64],
    max_products: usize,
    tol: f64,
) -> usize {
    let n = b.len();
    let mut r = residual(&apply, b, x);
    let mut products = 1;
    let mut best_norm = norm(&r);
    if !best_norm.is_finite() || best_norm <= tol || max_products < 3 {
        return products;
    }
    let mut best = x.to_vec();
    // The shadow residual: r₀ plus a deterministic pseudo-random vector of the same
    // norm. With r̂ = r₀ alone, a start x = e_k gives an r₀ supported on k's neighbours
    // only, and (r̂, r) can vanish after one step on chains with a bipartite structure
    // (the tandem queue's grid): an immediate breakdown.
    let mut state = 0x9E37_79B9_7F4A_7C15_u64;
    let scale = best_norm / (n as f64).sqrt();
    let r_hat: Vec<f64> = r
        .iter()
        .map(|rk| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            rk + scale * ((state >> 11) as f64 / (1u64 << 53) as f64 - 0.5)
        })
        .collect();
    let mut p = vec![0.0; n];
    let mut v = vec![0.0; n];
    let mut p_hat = vec![0.0; n];
    let mut s = vec![0.0; n];
    let mut s_hat = vec![0.0; n];
    let mut t = vec![0.0; n];
    let (mut rho, mut alpha, mut omega) = (1.0_f64, 1.0_f64, 1.0_f64);
    let mut since_best = 0;
    while products + 2 <= max_products {
        let rho_new = dot(&r_hat, &r);
        if rho_new == 0.0 || !rho_new.is_finite() {
            break;
        }
        let beta = (rho_new / rho) * (alpha / omega);
        rho = rho_new;
        for ((pk, rk), vk) in p.iter_mut().zip(&r).zip(&v) {
            *pk = rk + beta * (*pk - omega * vk);
        }
        p_hat.copy_from_slice(&p);
        precondition(&mut p_hat);
        apply(&p_hat, &mut v);
        products += 1;
        let rv = dot(&r_hat, &v);
        if rv == 0.0 || !rv.is_finite() {
            break;
        }
        alpha = rho / rv;
        for ((sk, rk), vk) in s.iter_mut().zip(&r).zip(&v) {
            *sk = rk - alpha * vk;
        }
        let s_norm = norm(&s);
        if s_norm <= tol {
            for (xk, pk) in x.iter_mut().zip(&p_hat) {
                *xk += alpha * pk;
            }
            return products;
        }
        s_hat.copy_from_slice(&s);
        precondition(&mut s_hat);
        apply(&s_hat, &mut t);
        products += 1;
        let tt = dot(&t, &t);
        omega = if tt > 0.0 { dot(&t, &s) / tt } else { 0.0 };
        for ((xk, pk), sk) in x.iter_mut().zip(&p_hat).zip(&s_hat) {
            *xk += alpha * pk + omega * sk;
        }
        for ((rk, sk), tk) in r.iter_mut().zip(&s).zip(&t) {
            *rk = sk - omega * tk;
        }
        let r_norm = norm(&r);
        if !r_norm.is_finite() {
            break;
        }
        if r_norm < best_norm {
            best_norm = r_norm;
            best.copy_from_slice(x);
            since_best = 0;
            if r_norm <= tol {
                return products;
            }
        } else {
            since_best += 1;
            if since_best >= PATIENCE {
                break;
            }
        }
        if omega == 0.0 || !omega.is_finite() {
            break;
        }
    }
    x.copy_from_slice(&best);
    products
}
