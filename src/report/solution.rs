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
    for e in &s.end_to_end {
        let node = format!("end_to_end:{}", e.source);
        let mm = e
            .mean_method
            .as_ref()
            .map(ToString::to_string)
            .or(e.note.clone())
            .unwrap_or_default();
        t.row([node.clone(), "mean".into(), num(e.mean), mm]);
        let pm = e
            .percentile_method
            .as_ref()
            .map(ToString::to_string)
            .or(e.note.clone())
            .unwrap_or_default();
        let p = e.percentiles;
        for (level, v) in [
            ("p50", p.map(|p| p.p50)),
            ("p95", p.map(|p| p.p95)),
            ("p99", p.map(|p| p.p99)),
            ("p999", p.map(|p| p.p999)),
        ] {
            t.row([node.clone(), level.to_string(), num(v), pm.clone()]);
        }
    }
    t
}

/// The human-readable form of a model solution: one column per node, one row per
/// metric, then each node's method (and the reason for every refused node).
pub fn solution_text(s: &ModelSolution) -> String {
    let solved: Vec<_> = s.nodes.iter().filter(|n| n.solution.is_some()).collect();
    let mut out = String::new();
    if !solved.is_empty() {
        let mut t = Table::new(
            std::iter::once("metric".to_string()).chain(solved.iter().map(|n| n.name.clone())),
        );
        type Getter = fn(&crate::analytic::NodeSolution) -> Option<f64>;
        let rows: [(&str, Getter); 23] = [
            ("arrival_rate (1/s)", |s| Some(s.arrival_rate)),
            ("throughput (1/s)", |s| Some(s.throughput)),
            ("servers", |s| s.servers.map(|c| c as f64)),
            ("utilisation", |s| Some(s.utilisation)),
            ("L", |s| Some(s.l)),
            ("Lq", |s| Some(s.lq)),
            ("W (s)", |s| Some(s.w)),
            ("Wq (s)", |s| Some(s.wq)),
            ("P0", |s| s.p0),
            ("P(wait)", |s| s.p_wait),
            ("P(block)", |s| s.p_block),
            ("wait p50 (s)", |s| s.wait_percentiles.map(|p| p.p50)),
            ("wait p95 (s)", |s| s.wait_percentiles.map(|p| p.p95)),
            ("wait p99 (s)", |s| s.wait_percentiles.map(|p| p.p99)),
            ("wait p999 (s)", |s| s.wait_percentiles.map(|p| p.p999)),
            ("sojourn p50 (s)", |s| s.sojourn_percentiles.map(|p| p.p50)),
            ("sojourn p95 (s)", |s| s.sojourn_percentiles.map(|p| p.p95)),
            ("sojourn p99 (s)", |s| s.sojourn_percentiles.map(|p| p.p99)),
            ("sojourn p999 (s)", |s| {
                s.sojourn_percentiles.map(|p| p.p999)
            }),
            ("P(N=0)", |s| s.state_probabilities.first().copied()),
            ("P(N=1)", |s| s.state_probabilities.get(1).copied()),
            ("P(N=2)", |s| s.state_probabilities.get(2).copied()),
            ("P(N=3)", |s| s.state_probabilities.get(3).copied()),
        ];
        for (name, get) in rows {
            t.row(
                std::iter::once(name.to_string()).chain(
                    solved
                        .iter()
                        .map(|n| num(get(n.solution.as_ref().expect("solved")))),
                ),
            );
        }
        out.push_str(&t.to_text());
        out.push_str("\nmethods:\n");
        for n in &solved {
            let sol = n.solution.as_ref().expect("solved");
            out.push_str(&format!(
                "  {}: {} ({})\n",
                n.name, sol.method, sol.method.reference
            ));
            match &sol.distribution_method {
                Some(d) if d != &sol.method => {
                    out.push_str(&format!("    percentiles: {d} ({})\n", d.reference))
                }
                Some(_) => {}
                None => out
                    .push_str("    percentiles: not known for this method; simulate to get them\n"),
            }
            if let Some(c) = &n.classes {
                out.push_str(&format!("    per class ({}):\n", c.method));
                for k in &c.classes {
                    out.push_str(&format!(
                        "      class {}: arrival_rate {} utilisation {} Wq {} s W {} s Lq {} L {}\n",
                        k.class, num(Some(k.arrival_rate)), num(Some(k.utilisation)), num(Some(k.wq)), num(Some(k.w)), num(Some(k.lq)), num(Some(k.l))
                    ));
                }
            }
        }
    }
    if !s.end_to_end.is_empty() {
        out.push_str("\nend to end (creation until the last descendant is done):\n");
        let mut t = Table::new([
            "source", "mean (s)", "p50 (s)", "p95 (s)", "p99 (s)", "p999 (s)",
        ]);
        for e in &s.end_to_end {
            let p = e.percentiles;
            t.row([
                e.source.clone(),
                num(e.mean),
                num(p.map(|p| p.p50)),
                num(p.map(|p| p.p95)),
                num(p.map(|p| p.p99)),
                num(p.map(|p| p.p999)),
            ]);
        }
        out.push_str(&t.to_text());
        for e in &s.end_to_end {
            if let Some(m) = &e.mean_method {
                out.push_str(&format!("  {} mean: {m}\n", e.source));
            }
            if let Some(m) = &e.percentile_method {
                out.push_str(&format!("  {} percentiles: {m}\n", e.source));
            }
            if let Some(n) = &e.note {
                out.push_str(&format!("  {}: {n}\n", e.source));
            }
        }
    }
    for n in s.nodes.iter().filter(|n| n.solution.is_none()) {
        out.push_str(&format!(
            "  {}: refused: {}\n",
            n.name,
            n.refused.as_deref().unwrap_or("no method")
        ));
    }
    out
}
