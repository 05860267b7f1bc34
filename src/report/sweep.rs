//! A sweep as CSV (every metric) and as text (one line per point).

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

/// The human-readable form of a sweep: one line per point with the busiest queue's
/// utilisation and, for each source, the end-to-end mean and p99 (analytic, and
/// simulated with its interval when simulated), times in a readable unit.
///
/// # Example
/// ```
/// use kendall::{Model, SweepOptions, sweep, report::sweep_text};
/// let m = Model::load(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/single_queue.toml"))
///     .unwrap().validate().unwrap();
/// let opts = SweepOptions { parameter: "load".into(), values: vec![0.5, 0.9], analytic: true, simulate: false };
/// let s = sweep(&m, &m.model().simulation, &opts, &|_, _| {}).unwrap();
/// let text = sweep_text(&s);
/// assert!(text.contains("busiest utilisation") && text.contains("0.72"));
/// ```
pub fn sweep_text(s: &Sweep) -> String {
    use super::simulation::estimate;
    use super::table::num;
    let sources: Vec<String> = s
        .points
        .iter()
        .find_map(|p| match (&p.analytic, &p.simulated) {
            (Some(a), _) => Some(a.end_to_end.iter().map(|e| e.name.clone()).collect()),
            (None, Some(r)) => Some(r.sources.iter().map(|s| s.name.clone()).collect()),
            _ => None,
        })
        .unwrap_or_default();
    let simulated = s.points.iter().any(|p| p.simulated.is_some());
    let p99 = Metric::SojournPercentile(crate::model::Level::P99);
    let mut header = vec![
        s.parameter.clone(),
        "busiest queue".into(),
        "busiest utilisation".into(),
    ];
    for src in &sources {
        header.push(format!("{src} W (s)"));
        header.push(format!("{src} p99 (s)"));
        if simulated {
            header.push(format!("{src} simulated W (s)"));
            header.push(format!("{src} simulated p99 (s)"));
        }
    }
    let mut t = Table::new(header);
    let mut errors = String::new();
    for p in &s.points {
        // The busiest queue: analytic utilisation, else the simulated one.
        let busiest = match (&p.analytic, &p.simulated) {
            (Some(a), _) => a
                .nodes
                .iter()
                .filter_map(|n| Some((n.name.clone(), n.get(Metric::Utilisation)?)))
                .max_by(|x, y| x.1.total_cmp(&y.1))
                .map(|(n, u)| (n, num(Some(u)))),
            (None, Some(r)) => r
                .queues
                .iter()
                .filter_map(|q| Some((q.name.clone(), q.get(Metric::Utilisation)?)))
                .max_by(|x, y| x.1.mean.total_cmp(&y.1.mean))
                .map(|(n, u)| (n, estimate(Some(u)))),
            _ => None,
        };
        let (name, util) = busiest.unwrap_or(("-".into(), "-".into()));
        let mut row = vec![num(Some(p.value)), name, util];
        for src in &sources {
            let a = p.analytic.as_ref().and_then(|a| a.source(src));
            row.push(num(a.and_then(|e| e.get(Metric::MeanSojourn))));
            row.push(num(a.and_then(|e| e.get(p99))));
            if simulated {
                let l = p.simulated.as_ref().and_then(|r| r.source(src));
                row.push(estimate(l.and_then(|e| e.get(Metric::MeanSojourn))));
                row.push(estimate(l.and_then(|e| e.get(p99))));
            }
        }
        t.row(row);
        if let Some(e) = &p.error {
            errors.push_str(&format!(
                "  at {} = {}: {e}\n",
                s.parameter,
                num(Some(p.value))
            ));
        }
    }
    let mut out = t.to_text();
    if !errors.is_empty() {
        out.push_str("points not evaluated:\n");
        out.push_str(&errors);
    }
    out.push_str(
        "(- : no figure at that point; --format csv or json for every metric of every node)\n",
    );
    out
}
