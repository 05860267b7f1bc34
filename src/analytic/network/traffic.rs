//! Traffic equations: the mean arrival rate of every queue of a model.
//!
//! With λ⁰ the outside traffic into each queue (every source's mean rate added to each
//! queue its messages enter, a topic's subscribers each getting every event) and F the
//! flow matrix of the [`Topology`] (routing, topic copies, dead-lettering), the rates
//! solve λ = λ⁰ + Fᵀλ. Validation has already proved that the flow converges (the
//! spectral radius of F is below 1), so I − Fᵀ is non-singular.
//! Redeliveries are counted separately: a queue with failure probability f and m
//! attempts serves each message (1 − fᵐ)/(1 − f) times on average.

use crate::analytic::error::AnalyticError;
use crate::analytic::network::graph::{FlowGraph, fixed_point};
use crate::model::ValidModel;

/// Mean message arrival rate into each queue (first deliveries, not redeliveries),
/// messages/s, by queue index.
///
/// # Errors
/// [`AnalyticError::NoMethod`] when a source's mean rate is not known in advance
/// (a trace replay).
///
/// # Example
/// ```
/// use kendall::analytic::arrival_rates;
/// use kendall::model::Model;
/// let m = Model::load(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/payments.toml")).unwrap();
/// let rates = arrival_rates(&m.validate().unwrap()).unwrap();
/// // Every listener of the settlement topic sees every payment.
/// assert!(rates.iter().all(|r| (r - 800.0).abs() < 1e-9));
/// ```
pub fn arrival_rates(valid: &ValidModel) -> Result<Vec<f64>, AnalyticError> {
    solve_on(&FlowGraph::new(valid.topology()), &external(valid)?, None)
}

/// Expected deliveries per message at a queue with failure probability `f` and
/// `max_attempts` m: 1 + f + … + f^{m−1} = (1 − fᵐ)/(1 − f); 1/(1 − f) for
/// [`Queue::UNLIMITED_ATTEMPTS`](crate::model::Queue::UNLIMITED_ATTEMPTS) (retry until
/// success).
///
/// # Example
/// ```
/// use kendall::analytic::deliveries_per_message;
/// assert!((deliveries_per_message(0.5, 3) - 1.75).abs() < 1e-15);
/// assert_eq!(deliveries_per_message(0.0, 5), 1.0);
/// // Retry until success: 1/(1 − f).
/// assert_eq!(deliveries_per_message(0.5, kendall::model::Queue::UNLIMITED_ATTEMPTS), 2.0);
/// ```
pub fn deliveries_per_message(f: f64, max_attempts: u32) -> f64 {
    // One closed form for both engines, kept with the model (`Queue::deliveries_per_message`).
    crate::model::deliveries_per_message(f, max_attempts)
}

/// Deliveries that matter for a distribution over deliveries: at most `max_attempts`,
/// and no more than the k with fᵏ below 10⁻¹⁵ (a message still failing after that many
/// deliveries is rarer than rounding error), so a huge `max_attempts` costs nothing.
pub(crate) fn effective_attempts(f: f64, max_attempts: u32) -> u32 {
    if f <= 0.0 {
        return max_attempts.min(1);
    }
    let k = (1e-15f64.ln() / f.ln()).ceil();
    if k >= f64::from(max_attempts) {
        max_attempts
    } else {
        (k as u32).max(1)
    }
}

/// Mean message arrival rate into each queue for each priority class (the `priority`
/// of the sources), as `(class, rates by queue index)` sorted by class, 1 first.
/// Messages keep their source's class through the network.
///
/// # Errors
/// As [`arrival_rates`].
///
/// # Example
/// ```
/// use kendall::analytic::arrival_rates_by_class;
/// use kendall::model::Model;
/// let m = Model::load(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/single_queue.toml")).unwrap();
/// let by_class = arrival_rates_by_class(&m.validate().unwrap()).unwrap();
/// assert_eq!(by_class, vec![(1, vec![800.0])]);
/// ```
pub fn arrival_rates_by_class(valid: &ValidModel) -> Result<Vec<(u32, Vec<f64>)>, AnalyticError> {
    let graph = FlowGraph::new(valid.topology());
    external_by_class(valid)?
        .into_iter()
        .map(|(class, l0)| Ok((class, solve_on(&graph, &l0, None)?)))
        .collect()
}

/// The outside traffic into each queue per priority class, `(class, rates by queue)`
/// sorted by class, 1 first.
pub(crate) fn external_by_class(valid: &ValidModel) -> Result<Vec<(u32, Vec<f64>)>, AnalyticError> {
    let (model, topology) = (valid.model(), valid.topology());
    let mut classes: Vec<u32> = model.sources.iter().map(|s| s.priority).collect();
    classes.sort_unstable();
    classes.dedup();
    classes
        .into_iter()
        .map(|class| {
            let mut l0 = vec![0.0; topology.queue_count()];
            for (s, dest) in model.sources.iter().zip(&topology.source_dest) {
                if s.priority != class {
                    continue;
                }
                let r = s.arrival.mean_rate().ok_or_else(|| AnalyticError::NoMethod {
                    reason: format!(
                        "source {:?} is a trace: its rate is known only from its file: simulate",
                        s.name
                    ),
                })?;
                for q in topology.entries(*dest) {
                    l0[q] += r;
                }
            }
            Ok((class, l0))
        })
        .collect()
}

/// The outside traffic into each queue (all classes), messages/s.
pub(crate) fn external(valid: &ValidModel) -> Result<Vec<f64>, AnalyticError> {
    let (model, topology) = (valid.model(), valid.topology());
    topology
        .external_rates(model)
        .ok_or_else(|| AnalyticError::NoMethod {
            reason: "a trace source's rate is known only from its file: simulate this model".into(),
        })
}

/// λ = λ⁰ + Fᵀ diag(pass) λ on the sparse structure of the flow, queue i passing on only
/// the share `pass[i]` of the messages it is offered (1 for all when `None`; the rest
/// are lost at a full buffer): substitution along acyclic parts, a solve per cycle (see
/// [`fixed_point`]); O(n + edges) plus the cycles.
pub(crate) fn solve_on(
    graph: &FlowGraph,
    l0: &[f64],
    pass: Option<&[f64]>,
) -> Result<Vec<f64>, AnalyticError> {
    solve_redirected(graph, l0, pass, &[])
}

/// [`solve_on`], and queue i's lost share 1 − `pass[i]` sent on to each queue of
/// `redirect[i]` (a dead-letter target of expired messages; empty = dropped).
pub(crate) fn solve_redirected(
    graph: &FlowGraph,
    l0: &[f64],
    pass: Option<&[f64]>,
    redirect: &[Vec<usize>],
) -> Result<Vec<f64>, AnalyticError> {
    let scaled;
    let pred = match pass {
        Some(pass) => {
            let mut p = graph
                .pred
                .iter()
                .map(|preds| preds.iter().map(|&(i, w)| (i, w * pass[i])).collect())
                .collect::<Vec<Vec<(usize, f64)>>>();
            for (i, targets) in redirect.iter().enumerate() {
                let lost = 1.0 - pass[i];
                if lost > 0.0 {
                    for &j in targets {
                        p[j].push((i, lost));
                    }
                }
            }
            scaled = p;
            &scaled
        }
        None => &graph.pred,
    };
    let lambda = fixed_point(pred, l0).ok_or_else(|| AnalyticError::NoMethod {
        reason: "the traffic equations are singular (a cycle without exit)".into(),
    })?;
    Ok(lambda.iter().map(|x| x.max(0.0)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ArrivalProcess, Distribution, Model, Queue, Route, Source};

    #[test]
    fn deliveries_match_the_direct_sum() {
        for f in [0.0f64, 1e-9, 0.01, 0.3, 0.5, 0.9, 0.999] {
            for m in [1u32, 2, 3, 10, 100] {
                let direct: f64 = (0..m).map(|k| f.powi(k as i32)).sum();
                let closed = deliveries_per_message(f, m);
                assert!(
                    (closed - direct).abs() <= 1e-14 * direct,
                    "f {f} m {m}: {closed} vs {direct}"
                );
            }
        }
        assert_eq!(effective_attempts(0.5, 3), 3);
        assert_eq!(effective_attempts(0.5, u32::MAX), 50); // 0.5^50 < 1e-15 <= 0.5^49
        assert_eq!(effective_attempts(0.0, u32::MAX), 1);
    }

    /// Regression: a huge `max_attempts` used to loop once per attempt and overflow an
    /// `i32` power (a false "flow equations do not converge", or minutes of work).
    #[test]
    fn huge_max_attempts_solve_at_once() {
        for (f, m) in [(0.5, u32::MAX), (0.0, 2_147_483_649), (0.5, 100_000_000)] {
            let mut q = Queue::new("a", 2, Distribution::Exponential { mean: 0.1 })
                .with_route(Route::To("b".into()));
            q.failure_probability = f;
            q.max_attempts = m;
            let model = Model::default()
                .with_source(Source::new(
                    "in",
                    ArrivalProcess::Poisson { rate: 1.0 },
                    "a",
                ))
                .with_queue(q)
                .with_queue(Queue::new("b", 1, Distribution::Exponential { mean: 0.1 }))
                .validate()
                .unwrap();
            let start = std::time::Instant::now();
            let rates = arrival_rates(&model).unwrap();
            assert!((rates[1] - 1.0).abs() < 1e-12, "{rates:?}");
            let s = crate::analytic::solve(&model).unwrap();
            let a = s.node("a").unwrap().solution().unwrap();
            // 1/(1 - f) deliveries per message of mean 0.1 s each, on 2 consumers.
            let deliveries = 1.0 / (1.0 - f);
            let rho = deliveries * 0.1 / 2.0;
            assert!(
                (a.utilisation - rho).abs() < 1e-12,
                "{} vs {rho}",
                a.utilisation
            );
            assert!(
                start.elapsed().as_secs_f64() < 5.0,
                "took {:?}",
                start.elapsed()
            );
        }
    }
}
