//! Losses thin the traffic downstream: a queue that rejects part of its arrivals at a
//! full buffer passes on only the share it accepts.
//!
//! The traffic equations alone (λ = λ⁰ + Fᵀλ) send a queue's whole offered rate on to
//! the queues after it. With a finite buffer that rejects, queue i passes on only
//! s_i = 1 − P(block)_i of its offered rate, and P(block)_i depends on its own offered
//! rate λ_i: the rates solve the fixed point λ = λ⁰ + Fᵀ diag(s(λ)) λ.
//!
//! * Off every cycle (the usual case) it is solved in one pass, upstream queues first:
//!   a lossy queue's offered rate is final once the queues before it are, so its
//!   share is computed once. Cost: one solve of each lossy queue, plus one traffic
//!   solve per lossy queue.
//! * When a lossy queue lies on a cycle, the shares are iterated (successive
//!   substitution), at most [`MAX_LOSS_ITERATIONS`] times, to a change below 10⁻¹³;
//!   otherwise the model is refused as unsettled.
//! * A lossy queue whose blocking probability no method gives (a finite buffer with
//!   general service, say) leaves every queue downstream of it unknown: those are
//!   refused with the reason, never given the unthinned rate.

use crate::analytic::error::AnalyticError;
use crate::analytic::network::graph::FlowGraph;
use crate::analytic::network::traffic::{external, external_by_class, solve_redirected};
use crate::model::ValidModel;

/// Most rounds of the loss fixed point when a lossy queue lies on a cycle.
pub const MAX_LOSS_ITERATIONS: usize = 200;

/// Change of every share below which the fixed point has settled.
const LOSS_TOLERANCE: f64 = 1e-13;

/// Rates by queue for each priority class, `(class, rates)`.
type ByClass = Vec<(u32, Vec<f64>)>;

/// Arrival rates with losses taken into account.
#[derive(Debug, Clone)]
pub(crate) struct Thinned {
    /// Offered message rate into each queue, messages/s.
    pub rates: Vec<f64>,
    /// The same per priority class, as [`arrival_rates_by_class`](super::traffic::arrival_rates_by_class).
    pub by_class: Vec<(u32, Vec<f64>)>,
    /// For a queue downstream of a lossy queue whose loss is unknown: why.
    pub unknown: Vec<Option<String>>,
}

/// Solves the traffic with losses. `lossy` lists the queues that may lose messages
/// (reject at a full buffer, or let them expire); `share` gives, for lossy queue i
/// offered `rate` messages/s (and `classes` per class), the share it passes on, or the
/// reason none is known. `redirect[i]` (empty, or one entry per queue) lists where
/// queue i's lost share goes on to (the dead-letter target of expired messages); empty
/// means dropped.
///
/// # Errors
/// Those of the traffic equations, and [`AnalyticError::NoMethod`] when the shares on a
/// cycle do not settle within [`MAX_LOSS_ITERATIONS`] rounds.
pub(crate) fn thinned_rates(
    valid: &ValidModel,
    lossy: &[usize],
    redirect: &[Vec<usize>],
    mut share: impl FnMut(usize, f64, &[(u32, f64)]) -> Result<f64, String>,
) -> Result<Thinned, AnalyticError> {
    let n = valid.model().queues.len();
    let graph = FlowGraph::new(valid.topology());
    let l0 = external(valid)?;
    let class_l0 = external_by_class(valid)?;
    let mut pass = vec![1.0; n];
    let mut why: Vec<Option<String>> = vec![None; n];
    let solve = |pass: &[f64]| -> Result<(Vec<f64>, ByClass), AnalyticError> {
        let p = (!lossy.is_empty()).then_some(pass);
        let rates = solve_redirected(&graph, &l0, p, redirect)?;
        let by_class = class_l0
            .iter()
            .map(|(c, l)| Ok((*c, solve_redirected(&graph, l, p, redirect)?)))
            .collect::<Result<Vec<_>, AnalyticError>>()?;
        Ok((rates, by_class))
    };
    let mut update = |i: usize,
                      rates: &[f64],
                      by_class: &[(u32, Vec<f64>)],
                      pass: &mut [f64],
                      why: &mut [Option<String>]| {
        if rates[i] <= 0.0 {
            pass[i] = 1.0;
            return;
        }
        let classes: Vec<(u32, f64)> = by_class
            .iter()
            .map(|(c, r)| (*c, r[i]))
            .filter(|(_, r)| *r > 0.0)
            .collect();
        match share(i, rates[i], &classes) {
            Ok(s) => {
                pass[i] = s.clamp(0.0, 1.0);
                why[i] = None;
            }
            Err(reason) => {
                pass[i] = 1.0;
                why[i] = Some(reason);
            }
        }
    };
    // A redirected loss adds flow the graph does not show (it may even close a cycle):
    // iterate then too.
    if lossy.iter().any(|&i| graph.cyclic[i]) || redirect.iter().any(|r| !r.is_empty()) {
        let mut settled = false;
        for _ in 0..MAX_LOSS_ITERATIONS {
            let (rates, by_class) = solve(&pass)?;
            let before = pass.clone();
            for &i in lossy {
                update(i, &rates, &by_class, &mut pass, &mut why);
            }
            if before
                .iter()
                .zip(&pass)
                .all(|(a, b)| (a - b).abs() <= LOSS_TOLERANCE)
            {
                settled = true;
                break;
            }
        }
        if !settled {
            return Err(AnalyticError::NoMethod {
                reason: format!(
                    "the losses (full buffers, expiry) on a feedback cycle did not settle in \
                     {MAX_LOSS_ITERATIONS} rounds of the fixed point: simulate this model"
                ),
            });
        }
    } else {
        // Upstream first: a lossy queue's offered rate is final once the lossy queues
        // before it have their shares (one traffic solve per lossy queue, on the graph
        // read once).
        let mut is_lossy = vec![false; n];
        for &i in lossy {
            is_lossy[i] = true;
        }
        for &i in &graph.upstream_first {
            if is_lossy[i] {
                let (rates, by_class) = solve(&pass)?;
                update(i, &rates, &by_class, &mut pass, &mut why);
            }
        }
    }
    let (rates, by_class) = solve(&pass)?;
    let mut unknown: Vec<Option<String>> = vec![None; n];
    for &i in lossy {
        let Some(reason) = &why[i] else { continue };
        let after: Vec<usize> = graph.succ[i].iter().map(|&(j, _)| j).collect();
        let name = &valid.model().queues[i].name;
        for (j, reached) in graph.reachable(&after).into_iter().enumerate() {
            if reached && unknown[j].is_none() {
                unknown[j] = Some(format!(
                    "upstream queue {name:?} rejects an unknown share of its messages at its \
                     full buffer ({reason}), so the rate reaching this queue is unknown: \
                     simulate this model"
                ));
            }
        }
    }
    Ok(Thinned {
        rates,
        by_class,
        unknown,
    })
}
