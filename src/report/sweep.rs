//! CSV of a sweep: one row per point, node and metric.

use super::Table;
use crate::analytic::NodeSolution;
use crate::sim::{Estimate, QueueReport};
use crate::sweep::Sweep;

/// CSV of a sweep: `value,node,metric,analytic,sim_mean,sim_lower,sim_upper`, for every
/// queue (utilisation, L, W, Wq, sojourn p99, P(block)) and source (end-to-end mean and
/// p99). The header's first column is the parameter's name. Analytic figures come from
/// the analytic solution, `sim_*` from the simulation's estimate and confidence interval;
/// a cell is empty where the figure is not available.
///
/// # Example
/// ```
/// use kendall::model::Model;
/// use kendall::report::sweep_csv;
/// use kendall::sweep::{run, SweepOptions};
/// let m = Model::load(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/single_queue.toml")).unwrap();
/// let opts = SweepOptions { parameter: "load".into(), values: vec![0.5, 0.8], analytic: true, simulate: false };
/// let csv = sweep_csv(&run(&m, &m.simulation, &opts, &|_, _| {}).unwrap());
/// assert!(csv.starts_with("load,node,metric,analytic,sim_mean,sim_lower,sim_upper\n"));
/// ```
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
        let names: Vec<String> = match (&p.analytic, &p.simulated) {
            (Some(a), _) => a.nodes.iter().map(|n| n.name.clone()).collect(),
            (None, Some(r)) => r.queues.iter().map(|q| q.name.clone()).collect(),
            _ => vec![],
        };
        for name in names {
            let a = p
                .analytic
                .as_ref()
                .and_then(|a| a.nodes.iter().find(|n| n.name == name))
                .and_then(|n| n.solution.as_ref());
            let q = p.simulated.as_ref().and_then(|r| r.queue(&name));
            type A = fn(&NodeSolution) -> Option<f64>;
            type S = fn(&QueueReport) -> Option<Estimate>;
            let metrics: [(&str, A, S); 6] = [
                (
                    "utilisation",
                    |s| Some(s.utilisation),
                    |q| Some(q.utilisation),
                ),
                ("L", |s| Some(s.l), |q| Some(q.l)),
                ("W", |s| Some(s.w), |q| q.sojourn.map(|l| l.mean)),
                ("Wq", |s| Some(s.wq), |q| q.wait.map(|l| l.mean)),
                (
                    "sojourn.p99",
                    |s| s.sojourn_percentiles.map(|p| p.p99),
                    |q| q.sojourn.map(|l| l.p99),
                ),
                (
                    "P(block)",
                    |s| s.p_block,
                    |q| q.full_probability.or(q.rejection_probability),
                ),
            ];
            for (metric, fa, fs) in metrics {
                let e = q.and_then(fs);
                t.row([
                    format!("{}", p.value),
                    name.clone(),
                    metric.to_string(),
                    opt(a.and_then(fa)),
                    opt(e.map(|e| e.mean)),
                    opt(e.and_then(|e| e.lower)),
                    opt(e.and_then(|e| e.upper)),
                ]);
            }
        }
        let sources: Vec<String> = match (&p.analytic, &p.simulated) {
            (Some(a), _) => a.end_to_end.iter().map(|e| e.source.clone()).collect(),
            (None, Some(r)) => r.sources.iter().map(|s| s.name.clone()).collect(),
            _ => vec![],
        };
        for src in sources {
            let a = p
                .analytic
                .as_ref()
                .and_then(|a| a.end_to_end.iter().find(|e| e.source == src));
            let l = p
                .simulated
                .as_ref()
                .and_then(|r| r.source(&src))
                .and_then(|s| s.latency);
            for (metric, av, sv) in [
                ("end_to_end.mean", a.and_then(|e| e.mean), l.map(|l| l.mean)),
                (
                    "end_to_end.p99",
                    a.and_then(|e| e.percentiles.map(|p| p.p99)),
                    l.map(|l| l.p99),
                ),
            ] {
                t.row([
                    format!("{}", p.value),
                    format!("end_to_end:{src}"),
                    metric.to_string(),
                    opt(av),
                    opt(sv.map(|e| e.mean)),
                    opt(sv.and_then(|e| e.lower)),
                    opt(sv.and_then(|e| e.upper)),
                ]);
            }
        }
    }
    t.to_csv()
}
