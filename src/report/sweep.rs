//! CSV of a sweep.

use super::table::Table;
use crate::model::Metric;
use crate::sweep::{SWEEP_QUEUE_METRICS, Sweep};

/// CSV of a sweep: `<parameter>,node,metric,analytic,sim_mean,sim_lower,sim_upper`, for
/// every queue ([`SWEEP_QUEUE_METRICS`](crate::SWEEP_QUEUE_METRICS)) and source (every metric of
/// [`Metric::END_TO_END`]), metric names as in [`Metric`].
pub fn sweep_csv(s: &Sweep) -> String {
    let mut t = Table::new([
        s.parameter.as_str(),
        "node",
        "metric",
        "analytic",
        "sim_mean",
        "sim_lower",
        "sim_upper",
    ]);
    let opt = |v: Option<f64>| v.map_or(String::new(), |x| format!("{x}"));
    for p in &s.points {
        let mut row =
            |node: String, metric: Metric, a: Option<f64>, e: Option<crate::sim::Estimate>| {
                t.row([
                    format!("{}", p.value),
                    node,
                    metric.to_string(),
                    opt(a),
                    opt(e.map(|e| e.mean)),
                    opt(e.and_then(|e| e.lower)),
                    opt(e.and_then(|e| e.upper)),
                ]);
            };
        let names: Vec<String> = match (&p.analytic, &p.simulated) {
            (Some(a), _) => a.nodes.iter().map(|n| n.name.clone()).collect(),
            (None, Some(r)) => r.queues.iter().map(|q| q.name.clone()).collect(),
            _ => vec![],
        };
        for name in names {
            let a = p.analytic.as_ref().and_then(|a| a.node(&name));
            let q = p.simulated.as_ref().and_then(|r| r.queue(&name));
            for metric in SWEEP_QUEUE_METRICS {
                row(
                    name.clone(),
                    metric,
                    a.and_then(|n| n.get(metric)),
                    q.and_then(|q| q.get(metric)),
                );
            }
        }
        let sources: Vec<String> = match (&p.analytic, &p.simulated) {
            (Some(a), _) => a.end_to_end.iter().map(|e| e.name.clone()).collect(),
            (None, Some(r)) => r.sources.iter().map(|s| s.name.clone()).collect(),
            _ => vec![],
        };
        for src in sources {
            let a = p.analytic.as_ref().and_then(|a| a.source(&src));
            let l = p.simulated.as_ref().and_then(|r| r.source(&src));
            for metric in Metric::END_TO_END {
                row(
                    format!("end_to_end:{src}"),
                    metric,
                    a.and_then(|e| e.get(metric)),
                    l.and_then(|s| s.get(metric)),
                );
            }
        }
    }
    t.to_csv()
}
