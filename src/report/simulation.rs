//! Tables of simulation reports (`kendall simulate`).

use super::table::{Table, num};
use crate::sim::{Estimate, LatencyReport, SimReport};

/// `mean ± half-width` (or just the mean with one replication).
pub fn estimate(e: Option<Estimate>) -> String {
    match e {
        None => "-".into(),
        Some(e) => match e.half_width {
            Some(h) => format!("{} ± {}", num(Some(e.mean)), num(Some(h))),
            None => num(Some(e.mean)),
        },
    }
}

type QueueGetter = fn(&crate::sim::QueueReport) -> Option<Estimate>;

/// A latency field of a report, by name.
type LatencyField = (&'static str, fn(&LatencyReport) -> Estimate);

fn latency_rows() -> [LatencyField; 5] {
    [
        ("mean", |l| l.mean),
        ("p50", |l| l.p50),
        ("p95", |l| l.p95),
        ("p99", |l| l.p99),
        ("p999", |l| l.p999),
    ]
}

/// Human-readable report: one column per queue with every metric as `mean ± half-width`
/// at the report's confidence level, then end-to-end latency per source.
pub fn simulation_text(r: &SimReport) -> String {
    let mut out = format!(
        "{} replications, {:.0}% confidence intervals (Student t), seed {}, {} events, measured time {} s per replication\n\n",
        r.replications,
        r.confidence * 100.0,
        r.seed,
        r.events,
        num(Some(r.measured_time.mean))
    );
    let mut t = Table::new(
        std::iter::once("metric".to_string()).chain(r.queues.iter().map(|q| q.name.clone())),
    );
    let rows: [(&str, QueueGetter); 11] = [
        ("throughput (1/s)", |q| Some(q.throughput)),
        ("utilisation", |q| Some(q.utilisation)),
        ("busy consumers", |q| Some(q.busy_servers)),
        ("L", |q| Some(q.l)),
        ("Lq", |q| Some(q.lq)),
        ("P(reject)", |q| q.rejection_probability),
        ("P(full)", |q| q.full_probability),
        ("P(wait)", |q| q.wait_probability),
        ("redeliveries / run", |q| Some(q.redeliveries)),
        ("dead letters / run", |q| Some(q.dead_letters)),
        ("rejected / run", |q| Some(q.rejected)),
    ];
    for (name, get) in rows {
        t.row(std::iter::once(name.to_string()).chain(r.queues.iter().map(|q| estimate(get(q)))));
    }
    for (kind, pick) in [
        (
            "wait",
            (|q| q.wait) as fn(&crate::sim::QueueReport) -> Option<LatencyReport>,
        ),
        ("sojourn", |q| q.sojourn),
    ] {
        for (level, get) in latency_rows() {
            t.row(
                std::iter::once(format!("{kind} {level} (s)"))
                    .chain(r.queues.iter().map(|q| estimate(pick(q).as_ref().map(get)))),
            );
        }
    }
    out.push_str(&t.to_text());
    if !r.sources.is_empty() {
        out.push_str("\nend to end (creation until the last descendant is done):\n");
        let mut t = Table::new([
            "source",
            "created / run",
            "mean (s)",
            "p50 (s)",
            "p95 (s)",
            "p99 (s)",
            "p999 (s)",
        ]);
        for s in &r.sources {
            let mut row = vec![s.name.clone(), estimate(Some(s.created))];
            row.extend(
                latency_rows()
                    .iter()
                    .map(|(_, get)| estimate(s.latency.as_ref().map(get))),
            );
            t.row(row);
        }
        out.push_str(&t.to_text());
    }
    let c = &r.conservation;
    out.push_str(&format!(
        "\nconservation (all replications): created {} = completed {} + in flight {} + rejected {} + dead-lettered {}{}\n",
        c.created,
        c.completed,
        c.in_flight,
        c.rejected,
        c.dead_lettered,
        if c.is_balanced() { "" } else { "  (NOT BALANCED)" }
    ));
    if let Some(d) = r.backlog_drained_at {
        out.push_str(&format!(
            "start-up backlog drained after {} s\n",
            estimate(Some(d))
        ));
    }
    out
}

/// One row per (node, metric): `node,metric,mean,half_width,lower,upper,replications`.
/// Nodes are queue names and `end_to_end:<source>`.
pub fn simulation_table(r: &SimReport) -> Table {
    let mut t = Table::new([
        "node",
        "metric",
        "mean",
        "half_width",
        "lower",
        "upper",
        "replications",
    ]);
    let mut add = |node: &str, metric: &str, e: Option<Estimate>| {
        if let Some(e) = e {
            t.row([
                node.to_string(),
                metric.to_string(),
                format!("{}", e.mean),
                e.half_width.map_or(String::new(), |v| format!("{v}")),
                e.lower.map_or(String::new(), |v| format!("{v}")),
                e.upper.map_or(String::new(), |v| format!("{v}")),
                e.replications.to_string(),
            ]);
        }
    };
    for q in &r.queues {
        add(&q.name, "throughput", Some(q.throughput));
        add(&q.name, "utilisation", Some(q.utilisation));
        add(&q.name, "busy_servers", Some(q.busy_servers));
        add(&q.name, "L", Some(q.l));
        add(&q.name, "Lq", Some(q.lq));
        add(&q.name, "P(reject)", q.rejection_probability);
        add(&q.name, "P(full)", q.full_probability);
        add(&q.name, "P(wait)", q.wait_probability);
        add(&q.name, "redeliveries", Some(q.redeliveries));
        add(&q.name, "dead_letters", Some(q.dead_letters));
        add(&q.name, "rejected", Some(q.rejected));
        for (kind, l) in [("wait", q.wait), ("sojourn", q.sojourn)] {
            for (level, get) in latency_rows() {
                add(&q.name, &format!("{kind}.{level}"), l.as_ref().map(get));
            }
        }
    }
    for s in &r.sources {
        let node = format!("end_to_end:{}", s.name);
        add(&node, "created", Some(s.created));
        for (level, get) in latency_rows() {
            add(
                &node,
                &format!("latency.{level}"),
                s.latency.as_ref().map(get),
            );
        }
    }
    t
}
