//! Tables of analytic solutions (`kendall solve`).

use super::table::{Table, num};
use crate::analytic::solve::ModelSolution;

/// One row per (node, metric): `node, metric, value, method`. Percentile rows name
/// the distribution's method. Refused nodes get one `refused` row with the reason.
///
/// # Example
/// ```
/// use kendall::{analytic::solve::solve, model::Model, report::solution_table};
/// let m = Model::load(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/single_queue.toml")).unwrap();
/// let t = solution_table(&solve(&m).unwrap());
/// assert!(t.to_csv().contains("payments,W,"));
/// ```
pub fn solution_table(s: &ModelSolution) -> Table {
    let mut t = Table::new(["node", "metric", "value", "method"]);
    for n in &s.nodes {
        let Some(sol) = &n.solution else {
            t.row([
                n.name.clone(),
                "refused".into(),
                "-".into(),
                n.refused.clone().unwrap_or_default(),
            ]);
            continue;
        };
        let m = sol.method.to_string();
        let mut add = |metric: &str, v: Option<f64>, method: &str| {
            t.row([
                n.name.clone(),
                metric.to_string(),
                num(v),
                method.to_string(),
            ]);
        };
        add("arrival_rate", Some(sol.arrival_rate), &m);
        add("throughput", Some(sol.throughput), &m);
        add("utilisation", Some(sol.utilisation), &m);
        add("servers", sol.servers.map(|c| c as f64), &m);
        add("L", Some(sol.l), &m);
        add("Lq", Some(sol.lq), &m);
        add("W", Some(sol.w), &m);
        add("Wq", Some(sol.wq), &m);
        add("P0", sol.p0, &m);
        add("P(wait)", sol.p_wait, &m);
        add("P(block)", sol.p_block, &m);
        let dm = sol
            .distribution_method
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_else(|| "unknown for this method: simulate to get percentiles".into());
        for (name, p) in [
            ("wait", sol.wait_percentiles),
            ("sojourn", sol.sojourn_percentiles),
        ] {
            for (level, v) in [
                ("p50", p.map(|p| p.p50)),
                ("p95", p.map(|p| p.p95)),
                ("p99", p.map(|p| p.p99)),
                ("p999", p.map(|p| p.p999)),
            ] {
                add(&format!("{name}.{level}"), v, &dm);
            }
        }
        for (k, p) in sol.state_probabilities.iter().enumerate().take(5) {
            add(&format!("P(N={k})"), Some(*p), &m);
        }
    }
    t
}
