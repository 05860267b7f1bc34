//! Reading an SLO's achieved value off an analytic solution or a simulation report.

use crate::analytic::{Method, ModelSolution};
use crate::model::{Metric, Slo, Target};
use crate::sim::{Estimate, SimReport};
use serde::{Deserialize, Serialize};

/// Whether the simulation shows an SLO met.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The whole confidence interval is on the right side of the limit.
    Met,
    /// The whole confidence interval is on the wrong side.
    Violated,
    /// The interval straddles the limit: more replications are needed to tell.
    Undecided,
    /// No simulated figure for this SLO.
    NotSimulated,
    /// The simulated figure does not violate the SLO, but the run that produced it did
    /// not settle for it (a [`SimWarning`](crate::sim::SimWarning) on its target names
    /// the metric: an overloaded queue, a backlog still growing, a horizon too short for
    /// the load's tail percentiles), so it cannot show the SLO met.
    Unsettled,
}

/// The message of the first warning in `report` on `target`'s `metric` (target names as
/// [`simulated_value`] gives them: a queue, or `end_to_end:<source>`): each warning
/// lists the metrics it makes untrustworthy (a short horizon, for instance, only the
/// tail percentiles).
pub(crate) fn unsettled(report: &SimReport, metric: Metric, target: &str) -> Option<String> {
    report
        .warnings
        .iter()
        .find(|w| w.node == target && w.affects(metric))
        .map(|w| w.message.clone())
}

/// The worst analytic value of `slo` over its targets (the largest for an upper bound,
/// the smallest for a lower bound), with the method of that value (`None` when the
/// solution does not label it). `Some(∞)` when a target is unstable; `None` when the
/// analytic side has no figure.
pub(crate) fn analytic_value(sol: &ModelSolution, slo: &Slo) -> Option<(f64, Option<Method>)> {
    let mut values: Vec<(f64, Option<Method>)> = Vec::new();
    match &slo.target {
        Target::Queue(_) | Target::AllQueues => {
            for node in sol
                .nodes
                .iter()
                .filter(|n| slo.target.covers_queue(&n.name))
            {
                let method = |n: &crate::analytic::NodeResult| {
                    n.method_of(slo.metric).cloned().unwrap_or_else(|| {
                        Method::exact(
                            "deployment and failure settings",
                            "the scenario: consumers as deployed, dead-lettering from the failure probability and max_attempts",
                        )
                    })
                };
                match (node.get(slo.metric), node.unstable_utilisation()) {
                    (Some(v), _) => values.push((v, Some(method(node)))),
                    (None, Some(_)) => values.push((f64::INFINITY, Some(unstable()))),
                    // A queue no traffic reaches has nothing to meet.
                    (None, None) if node.message_rate <= 0.0 => {}
                    (None, None) => return None,
                }
            }
        }
        Target::Source(_) | Target::AllSources => {
            if sol.nodes.iter().any(|n| n.unstable_utilisation().is_some()) {
                return Some((f64::INFINITY, Some(unstable())));
            }
            for e in sol
                .end_to_end
                .iter()
                .filter(|e| slo.target.covers_source(&e.name))
            {
                values.push((e.get(slo.metric)?, e.method_of(slo.metric).cloned()));
            }
        }
    }
    worst(slo, values)
}

/// The label of an infinite figure: a queue on the target is unstable (ρ ≥ 1).
fn unstable() -> Method {
    Method::exact(
        "unstable: utilisation >= 1, figures grow without bound",
        "stability condition λ < c μ (Kleinrock 1975, §3.5)",
    )
}

fn worst<T>(slo: &Slo, values: Vec<(f64, T)>) -> Option<(f64, T)> {
    values.into_iter().reduce(|a, b| {
        let b_worse = if slo.upper_bound() {
            b.0 > a.0
        } else {
            b.0 < a.0
        };
        if b_worse { b } else { a }
    })
}

/// The worst simulated estimate of `slo` over its targets, and the name of that target.
pub(crate) fn simulated_value(report: &SimReport, slo: &Slo) -> Option<(Estimate, String)> {
    let mut values: Vec<(f64, (Estimate, String))> = Vec::new();
    match &slo.target {
        Target::Queue(_) | Target::AllQueues => {
            for q in report
                .queues
                .iter()
                .filter(|q| slo.target.covers_queue(&q.name))
            {
                if let Some(e) = q.get(slo.metric) {
                    values.push((e.mean, (e, q.name.clone())));
                }
            }
        }
        Target::Source(_) | Target::AllSources => {
            for s in report
                .sources
                .iter()
                .filter(|s| slo.target.covers_source(&s.name))
            {
                if let Some(e) = s.get(slo.metric) {
                    values.push((e.mean, (e, format!("end_to_end:{}", s.name))));
                }
            }
        }
    }
    worst(slo, values).map(|(_, v)| v)
}

/// The verdict of a simulated estimate against an SLO (a percentile's interval
/// already covers the rounding of its histogram: see `Estimate::sectioned`).
pub(crate) fn verdict(slo: &Slo, est: Option<&Estimate>) -> Verdict {
    let Some(e) = est else {
        return Verdict::NotSimulated;
    };
    let (lo, hi) = match (e.lower, e.upper) {
        (Some(l), Some(h)) => (l, h),
        _ => (e.mean, e.mean),
    };
    let good_lo = slo.holds(lo);
    let good_hi = slo.holds(hi);
    match (good_lo, good_hi) {
        (true, true) => Verdict::Met,
        (false, false) => Verdict::Violated,
        _ => Verdict::Undecided,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytic::NodeOutcome;
    use crate::model::test_support::one_queue;
    use crate::model::{Distribution, Queue};

    /// An SLO on P(block) of a finite queue whose method gave no blocking figure has no
    /// analytic value (the SLO is then decided by simulation), never a 0 that passes:
    /// `NodeSolution::get` used to read a missing P(block) as 0.
    #[test]
    fn an_slo_on_a_blocking_figure_the_method_does_not_give_has_no_analytic_value() {
        // M/M/2/4 with λ = 1, μ = 2 (a = 1/2): p_n ∝ aⁿ/n! for n <= 2, a²/2·(a/2)ⁿ⁻²
        // above: 1, 1/2, 1/8, 1/32, 1/128, so P(block) = p₄ = (1/128)/(213/128) = 1/213.
        let m =
            one_queue(Queue::new("q", 2, Distribution::Exponential { mean: 0.5 }).with_capacity(4))
                .validate()
                .unwrap();
        let mut s = crate::solve(&m).unwrap();
        let slo: Slo = "q.p_block < 0.01".parse().unwrap();
        let (v, method) = analytic_value(&s, &slo).unwrap();
        assert!((v - 1.0 / 213.0).abs() < 1e-15, "{v}");
        assert_eq!(method.unwrap().exactness, crate::analytic::Exactness::Exact);
        // The same queue under a method without a blocking figure.
        let NodeOutcome::Solved { solution } = &mut s.nodes[0].outcome else {
            panic!("solved")
        };
        solution.p_block = None;
        assert_eq!(s.nodes[0].get(Metric::Blocking), None);
        assert_eq!(analytic_value(&s, &slo), None);
    }
}
