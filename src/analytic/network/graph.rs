//! The sparse structure of a model's flow, and the linear systems on it.
//!
//! The [`Topology`] stores the flow between queues as a dense n × n matrix (validation
//! wants it whole). The analytic side needs, per queue, only its few successors and
//! predecessors, whether it lies on a cycle, and an order in which upstream queues come
//! first; and it solves three linear systems shaped by the flow (traffic equations,
//! QNA variabilities, end-to-end mean times). [`FlowGraph`] is read from the matrix once
//! (O(n²) reads, nothing more), and [`fixed_point`] solves x = b + A x one strongly
//! connected component at a time, in dependency order: an acyclic network is solved by
//! substitution in O(n + edges), and only a cycle pays for a solve, of its own size.

use crate::model::Topology;
use crate::model::strongly_connected_components;

/// Components larger than this are solved by Gauss–Seidel sweeps on the sparse
/// structure (falling back to the dense solve if they do not converge); smaller ones by
/// a dense LU factorisation (at most 256³/3 ≈ 5.6·10⁶ operations each).
const DENSE_LIMIT: usize = 256;

/// Gauss–Seidel sweeps allowed on one large component before the dense fallback.
const MAX_SWEEPS: usize = 2_000;

/// Relative residual at which Gauss–Seidel stops: ‖x − b − A x‖∞ ≤ 10⁻¹⁴ ‖x‖∞.
const SWEEP_TOLERANCE: f64 = 1e-14;

/// Successors, predecessors and cycles of the flow between queues.
#[derive(Debug, Clone)]
pub(crate) struct FlowGraph {
    /// `succ[i]`: (j, flow i → j) for every j with positive flow.
    pub(crate) succ: Vec<Vec<(usize, f64)>>,
    /// `pred[j]`: (i, flow i → j) for every i with positive flow.
    pub(crate) pred: Vec<Vec<(usize, f64)>>,
    /// Whether queue i lies on a cycle (a message leaving it can come back).
    pub(crate) cyclic: Vec<bool>,
    /// Every queue, upstream before downstream (queues of one cycle in any order).
    pub(crate) upstream_first: Vec<usize>,
}

impl FlowGraph {
    /// Reads the flow matrix of `topology` once: O(n²) for n queues.
    pub(crate) fn new(topology: &Topology) -> Self {
        let n = topology.queue_count();
        let flow = &topology.flow;
        let mut succ = vec![Vec::new(); n];
        let mut pred = vec![Vec::new(); n];
        // Column-major storage: walking j outside, i inside reads memory in order.
        for j in 0..n {
            for i in 0..n {
                let p = flow[(i, j)];
                if p > 0.0 {
                    succ[i].push((j, p));
                    pred[j].push((i, p));
                }
            }
        }
        let comps = strongly_connected_components(&succ);
        let mut cyclic = vec![false; n];
        for comp in &comps {
            let on_cycle = comp.len() > 1 || succ[comp[0]].iter().any(|&(j, _)| j == comp[0]);
            for &i in comp {
                cyclic[i] = on_cycle;
            }
        }
        // Tarjan emits a component after every component it reaches: downstream first.
        let upstream_first = comps.into_iter().rev().flatten().collect();
        Self {
            succ,
            pred,
            cyclic,
            upstream_first,
        }
    }

    /// The queues reachable from `start` (themselves included) along positive flow:
    /// O(n + edges).
    pub(crate) fn reachable(&self, start: &[usize]) -> Vec<bool> {
        let mut seen = vec![false; self.succ.len()];
        let mut stack = start.to_vec();
        while let Some(v) = stack.pop() {
            if !std::mem::replace(&mut seen[v], true) {
                stack.extend(self.succ[v].iter().map(|&(j, _)| j).filter(|&j| !seen[j]));
            }
        }
        seen
    }
}

/// Solves x = b + A x, with row i of A given sparsely as `deps[i]` = (j, A_ij)
/// (repeated j add up), one strongly connected component at a time in dependency
/// order: a component without a cycle is one substitution; a cycle of s unknowns is
/// solved densely (LU) when s ≤ 256, otherwise by Gauss–Seidel sweeps (at most 2 000,
/// to a relative residual of 10⁻¹⁴) with the dense solve as fallback. Cost: O(n +
/// nonzeros) plus, per cycle, O(s³) dense or O(sweeps · its nonzeros).
///
/// `None` when a component's system is singular (a cycle without exit) or the result
/// is not finite.
pub(crate) fn fixed_point(deps: &[Vec<(usize, f64)>], b: &[f64]) -> Option<Vec<f64>> {
    let n = deps.len();
    debug_assert_eq!(b.len(), n);
    let mut x = vec![0.0; n];
    let mut local = vec![usize::MAX; n];
    for comp in strongly_connected_components(deps) {
        if let [i] = comp[..] {
            let (mut rhs, mut diag) = (b[i], 0.0);
            for &(j, a) in &deps[i] {
                if j == i {
                    diag += a;
                } else {
                    rhs += a * x[j];
                }
            }
            x[i] = rhs / (1.0 - diag);
            if !x[i].is_finite() {
                return None;
            }
            continue;
        }
        for (k, &i) in comp.iter().enumerate() {
            local[i] = k;
        }
        // Right-hand side with the already-solved components substituted.
        let rhs: Vec<f64> = comp
            .iter()
            .map(|&i| {
                b[i] + deps[i]
                    .iter()
                    .filter(|&&(j, _)| local[j] == usize::MAX)
                    .map(|&(j, a)| a * x[j])
                    .sum::<f64>()
            })
            .collect();
        let solved = if comp.len() > DENSE_LIMIT {
            gauss_seidel(deps, &comp, &local, &rhs)
        } else {
            None
        }
        .or_else(|| dense(deps, &comp, &local, &rhs));
        for &i in &comp {
            local[i] = usize::MAX;
        }
        let solved = solved?;
        for (&i, v) in comp.iter().zip(solved) {
            x[i] = v;
        }
    }
    Some(x)
}

/// (I − A_cc) y = rhs on the component, densely.
fn dense(
    deps: &[Vec<(usize, f64)>],
    comp: &[usize],
    local: &[usize],
    rhs: &[f64],
) -> Option<Vec<f64>> {
    let s = comp.len();
    let mut m = nalgebra::DMatrix::<f64>::identity(s, s);
    for (r, &i) in comp.iter().enumerate() {
        for &(j, a) in &deps[i] {
            if local[j] != usize::MAX {
                m[(r, local[j])] -= a;
            }
        }
    }
    let y = m.lu().solve(&nalgebra::DVector::from_column_slice(rhs))?;
    y.iter()
        .all(|v| v.is_finite())
        .then(|| y.iter().copied().collect())
}

/// Gauss–Seidel on the component: `None` if it has not converged within
/// [`MAX_SWEEPS`] sweeps.
fn gauss_seidel(
    deps: &[Vec<(usize, f64)>],
    comp: &[usize],
    local: &[usize],
    rhs: &[f64],
) -> Option<Vec<f64>> {
    let mut y = rhs.to_vec();
    let row = |y: &[f64], r: usize| -> (f64, f64) {
        let (mut acc, mut diag) = (rhs[r], 0.0);
        for &(j, a) in &deps[comp[r]] {
            match local[j] {
                usize::MAX => {}
                c if c == r => diag += a,
                c => acc += a * y[c],
            }
        }
        (acc, diag)
    };
    for _ in 0..MAX_SWEEPS {
        for r in 0..comp.len() {
            let (acc, diag) = row(&y, r);
            y[r] = acc / (1.0 - diag);
        }
        let scale = y.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        if !scale.is_finite() {
            return None;
        }
        let residual = (0..comp.len()).fold(0.0f64, |m, r| {
            let (acc, diag) = row(&y, r);
            m.max((y[r] - acc - diag * y[r]).abs())
        });
        if residual <= SWEEP_TOLERANCE * scale {
            return Some(y);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A chain: x_i = 1 + 0.5 x_{i+1}, x_{n−1} = 1; by hand x_i = 2 − 0.5^{n−1−i}.
    #[test]
    fn chain_by_substitution() {
        let n = 50;
        let deps: Vec<Vec<(usize, f64)>> = (0..n)
            .map(|i| {
                if i + 1 < n {
                    vec![(i + 1, 0.5)]
                } else {
                    vec![]
                }
            })
            .collect();
        let x = fixed_point(&deps, &vec![1.0; n]).unwrap();
        for (i, v) in x.iter().enumerate() {
            let exact = 2.0 - 0.5f64.powi((n - 1 - i) as i32);
            assert!((v - exact).abs() < 1e-15, "{i}: {v} vs {exact}");
        }
    }

    /// A ring of s unknowns, x_i = 1 + p x_{i+1 mod s}: by symmetry x = 1/(1 − p), for
    /// a small ring (dense) and a large one (Gauss–Seidel), with a tail hanging off it.
    #[test]
    fn rings_dense_and_iterative() {
        for s in [3usize, 1000] {
            let p = 0.9;
            let mut deps: Vec<Vec<(usize, f64)>> = (0..s).map(|i| vec![((i + 1) % s, p)]).collect();
            // A queue feeding into the ring: x_s = 1 + x_0.
            deps.push(vec![(0, 1.0)]);
            let x = fixed_point(&deps, &vec![1.0; s + 1]).unwrap();
            for v in &x[..s] {
                assert!((v - 10.0).abs() < 1e-12, "s {s}: {v}");
            }
            assert!((x[s] - 11.0).abs() < 1e-12);
        }
    }

    /// A cycle without exit is singular: refused, not NaN.
    #[test]
    fn closed_cycle_is_refused() {
        let deps = vec![vec![(1, 1.0)], vec![(0, 1.0)]];
        assert!(fixed_point(&deps, &[1.0, 1.0]).is_none());
        assert!(fixed_point(&[vec![(0, 1.0)]], &[1.0]).is_none());
    }

    #[test]
    fn components_downstream_first() {
        // 0 → 1 ⇄ 2 → 3
        let adj = vec![
            vec![(1, 1.0)],
            vec![(2, 1.0)],
            vec![(1, 0.5), (3, 0.5)],
            vec![],
        ];
        let comps = strongly_connected_components(&adj);
        assert_eq!(comps, vec![vec![3], vec![1, 2], vec![0]]);
    }
}
