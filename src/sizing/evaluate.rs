//! Reading an SLO's achieved value off an analytic solution or a simulation report.

use crate::analytic::solve::ModelSolution;
use crate::model::Model;
use crate::model::slo::{Level, Metric, Slo, Target};
use crate::sim::histogram::RELATIVE_ERROR;
use crate::sim::{Estimate, LatencyReport, SimReport};
use serde::{Deserialize, Serialize};

/// Whether the simulation shows an SLO met.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
}

/// The worst analytic value of `slo` over its targets (the largest for an upper bound,
/// the smallest for a lower bound), with the method of that value. `Some(∞)` when a
/// target is unstable; `None` when the analytic side has no figure.
pub fn analytic_value(model: &Model, sol: &ModelSolution, slo: &Slo) -> Option<(f64, String)> {
    let mut values: Vec<(f64, String)> = Vec::new();
    match &slo.target {
        Target::Queue(_) | Target::AllQueues => {
            for (q, node) in model.queues.iter().zip(&sol.nodes) {
                if let Target::Queue(name) = &slo.target
                    && &q.name != name
                {
                    continue;
                }
                if slo.metric == Metric::Consumers {
                    values.push((f64::from(q.servers), "deployment".into()));
                    continue;
                }
                if slo.metric == Metric::DeadLetter {
                    let v = if q.failure_probability > 0.0 && node.message_rate > 0.0 {
                        q.failure_probability.powi(q.max_attempts as i32)
                    } else {
                        0.0
                    };
                    values.push((v, "failure_probability ^ max_attempts (exact)".into()));
                    continue;
                }
                if node.unstable_utilisation.is_some() {
                    values.push((f64::INFINITY, "unstable".into()));
                    continue;
                }
                let Some(s) = &node.solution else {
                    if node.message_rate <= 0.0 {
                        continue;
                    }
                    return None;
                };
                let pick = |p: Option<crate::analytic::Percentiles>, l: Level| {
                    p.map(|p| match l {
                        Level::P50 => p.p50,
                        Level::P95 => p.p95,
                        Level::P99 => p.p99,
                        Level::P999 => p.p999,
                    })
                };
                let (v, m) = match slo.metric {
                    Metric::MeanSojourn => (Some(s.w), &s.method),
                    Metric::MeanWait => (Some(s.wq), &s.method),
                    Metric::Utilisation => (Some(s.utilisation), &s.method),
                    Metric::Blocking => (Some(s.p_block.unwrap_or(0.0)), &s.method),
                    Metric::WaitProbability => (s.p_wait, &s.method),
                    Metric::SojournPercentile(l) => (
                        pick(s.sojourn_percentiles, l),
                        s.distribution_method.as_ref().unwrap_or(&s.method),
                    ),
                    Metric::WaitPercentile(l) => (
                        pick(s.wait_percentiles, l),
                        s.distribution_method.as_ref().unwrap_or(&s.method),
                    ),
                    Metric::Consumers | Metric::DeadLetter => unreachable!("handled above"),
                };
                values.push((v?, m.to_string()));
            }
        }
        Target::Source(_) | Target::AllSources => {
            if sol.nodes.iter().any(|n| n.unstable_utilisation.is_some()) {
                return Some((f64::INFINITY, "a queue is unstable".into()));
            }
            for e in &sol.end_to_end {
                if let Target::Source(name) = &slo.target
                    && &e.source != name
                {
                    continue;
                }
                let (v, m) = match slo.metric {
                    Metric::MeanSojourn => (e.mean, e.mean_method.as_ref()),
                    Metric::SojournPercentile(l) => (
                        e.percentiles.map(|p| match l {
                            Level::P50 => p.p50,
                            Level::P95 => p.p95,
                            Level::P99 => p.p99,
                            Level::P999 => p.p999,
                        }),
                        e.percentile_method.as_ref(),
                    ),
                    _ => (None, None),
                };
                values.push((v?, m.map(ToString::to_string).unwrap_or_default()));
            }
        }
    }
    worst(slo, values)
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
pub fn simulated_value(model: &Model, report: &SimReport, slo: &Slo) -> Option<(Estimate, String)> {
    let mut values: Vec<(f64, (Estimate, String))> = Vec::new();
    let latency = |l: &LatencyReport, m: Metric| match m {
        Metric::MeanSojourn | Metric::MeanWait => Some(l.mean),
        Metric::SojournPercentile(lv) | Metric::WaitPercentile(lv) => Some(match lv {
            Level::P50 => l.p50,
            Level::P95 => l.p95,
            Level::P99 => l.p99,
            Level::P999 => l.p999,
        }),
        _ => None,
    };
    match &slo.target {
        Target::Queue(_) | Target::AllQueues => {
            for (q, r) in model.queues.iter().zip(&report.queues) {
                if let Target::Queue(name) = &slo.target
                    && &q.name != name
                {
                    continue;
                }
                let est = match slo.metric {
                    Metric::Consumers => Some(exact(f64::from(q.servers))),
                    Metric::Utilisation => Some(r.utilisation),
                    Metric::Blocking => r.full_probability.or(r.rejection_probability),
                    Metric::WaitProbability => r.wait_probability,
                    Metric::DeadLetter => {
                        let offered = r.counts.offered.max(1) as f64;
                        Some(exact(r.counts.dead_lettered as f64 / offered))
                    }
                    Metric::MeanSojourn | Metric::SojournPercentile(_) => {
                        r.sojourn.as_ref().and_then(|l| latency(l, slo.metric))
                    }
                    Metric::MeanWait | Metric::WaitPercentile(_) => {
                        r.wait.as_ref().and_then(|l| latency(l, slo.metric))
                    }
                };
                if let Some(e) = est {
                    values.push((e.mean, (e, q.name.clone())));
                }
            }
        }
        Target::Source(_) | Target::AllSources => {
            for s in &report.sources {
                if let Target::Source(name) = &slo.target
                    && &s.name != name
                {
                    continue;
                }
                if let Some(e) = s.latency.as_ref().and_then(|l| latency(l, slo.metric)) {
                    values.push((e.mean, (e, format!("end_to_end:{}", s.name))));
                }
            }
        }
    }
    worst(slo, values).map(|(_, v)| v)
}

fn exact(v: f64) -> Estimate {
    Estimate {
        mean: v,
        half_width: Some(0.0),
        lower: Some(v),
        upper: Some(v),
        replications: 1,
    }
}

/// The verdict of a simulated estimate against an SLO; percentile intervals are
/// widened by the histogram's relative error bound.
pub fn verdict(slo: &Slo, est: Option<&Estimate>) -> Verdict {
    let Some(e) = est else {
        return Verdict::NotSimulated;
    };
    let widen = match slo.metric {
        Metric::SojournPercentile(_) | Metric::WaitPercentile(_) => RELATIVE_ERROR,
        _ => 0.0,
    };
    let (lo, hi) = match (e.lower, e.upper) {
        (Some(l), Some(h)) => (l - widen * l.abs(), h + widen * h.abs()),
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
