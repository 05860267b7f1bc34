//! Tables of simulation reports (`kendall simulate`).

use super::table::metric_label as label;
use super::table::{Table, num};
use crate::model::Metric;
use crate::sim::{Estimate, QueueReport, SimReport, SimWarning};

/// The marker after a figure some warning affects, in tables (`!`), explained by a
/// footnote under the table.
pub const WARNING_MARK: &str = " !";

/// The kinds of the `warnings` that affect `metric`, joined by `;` (empty if none).
pub(crate) fn affecting(warnings: &[SimWarning], metric: Metric) -> String {
    let mut kinds: Vec<&str> = warnings
        .iter()
        .filter(|w| w.affects(metric))
        .map(|w| w.kind.name())
        .collect();
    kinds.dedup();
    kinds.join(";")
}

/// `cell`, marked when a warning affects `metric`.
fn marked(cell: String, warnings: &[SimWarning], metric: Metric) -> String {
    if cell != "-" && warnings.iter().any(|w| w.affects(metric)) {
        cell + WARNING_MARK
    } else {
        cell
    }
}

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

/// Figures of a queue that are not metrics of the shared vocabulary (counts and
/// diagnostics), by name.
pub(crate) type Extra = (&'static str, fn(&QueueReport) -> Option<Estimate>);

pub(crate) const EXTRAS: [Extra; 6] = [
    ("busy_servers", |q| Some(q.busy_servers)),
    ("P(reject)", |q| q.p_reject),
    ("dead_letter", |q| q.dead_letter),
    ("redeliveries", |q| Some(q.redeliveries)),
    ("dead_letters", |q| Some(q.dead_letters)),
    ("rejected", |q| Some(q.rejected)),
];

/// The hottest partitions shown in the text report (all are in the JSON).
const HOT_PARTITIONS_SHOWN: usize = 3;

/// The text section of a partitioned queue: its hottest partitions and consumer.
fn partitions_text(name: &str, p: &crate::sim::PartitionsReport) -> String {
    let mut out = format!(
        "\n{name:?}: {} partitions, {} consumers with partitions{}; the {} hottest partitions (all in --format json):\n",
        p.partitions.len(),
        p.consumers.len(),
        if p.idle_consumers > 0 {
            format!(
                ", {} idle consumers (more consumers than partitions: they add nothing)",
                p.idle_consumers
            )
        } else {
            String::new()
        },
        HOT_PARTITIONS_SHOWN.min(p.partitions.len()),
    );
    let mut t = Table::new([
        "partition",
        "consumer",
        "share",
        "arrival_rate (1/s)",
        "W (s)",
        "p99 (s)",
        "mean lag",
        "max lag",
    ]);
    for x in p.hottest_partitions(HOT_PARTITIONS_SHOWN) {
        t.row([
            x.partition.to_string(),
            x.consumer.to_string(),
            estimate(Some(x.share)),
            estimate(Some(x.arrival_rate)),
            estimate(x.w),
            estimate(x.p99),
            estimate(Some(x.mean_lag)),
            estimate(Some(x.max_lag)),
        ]);
    }
    out.push_str(&t.to_text());
    if let Some(g) = &p.group {
        out.push_str(&format!(
            "consumer group: crashes / run {}, rebalances / run {}, paused {} of the time, replayed / run {} ({} per crash: processed again and discarded), {} in service at a crash (work redone)\n",
            estimate(Some(g.crashes)),
            estimate(Some(g.rebalances)),
            estimate(Some(g.paused_fraction)),
            estimate(Some(g.replayed)),
            g.replayed_per_crash
                .map_or_else(|| "-".to_string(), |x| num(Some(x))),
            g.restarted,
        ));
    }
    if let Some(h) = p.hottest() {
        out.push_str(&format!(
            "hottest consumer {}: share {}, utilisation {}, W {} s, p99 {} s; order violations within partitions: {}\n",
            h.consumer,
            estimate(Some(h.share)),
            estimate(Some(h.utilisation)),
            estimate(h.w),
            estimate(h.p99),
            p.order_violations
        ));
    }
    out
}

/// The text section of a queue with prefetch or crashes (RabbitMQ-style consumers).
fn consumers_text(name: &str, c: &crate::sim::ConsumerPoolReport) -> String {
    let per_crash = c
        .redelivered_per_crash
        .map_or_else(|| "-".to_string(), |x| num(Some(x)));
    let mut out = format!(
        "\n{name:?}: prefetch {}; crashes / run {}, availability {}, redelivered / run {} ({per_crash} per crash, {} completed after redelivery)\n",
        c.prefetch,
        estimate(Some(c.crashes)),
        estimate(Some(c.availability)),
        estimate(Some(c.redelivered)),
        c.completed_redelivered,
    );
    if c.restarted > 0 {
        out.push_str(&format!(
            "{} of the redelivered messages were in service at the crash (work redone: possible duplicate side effects)\n",
            c.restarted
        ));
    }
    if let (Some(t), Some(d)) = (c.timeouts, c.duplicates) {
        out.push_str(&format!(
            "ack timeouts / run {}, duplicates / run {} ({} per completed message: processed twice, discarded)\n",
            estimate(Some(t)),
            estimate(Some(d)),
            c.duplicates_per_message
                .map_or_else(|| "-".to_string(), |x| num(Some(x))),
        ));
    }
    out.push_str(&format!(
        "mean unacked at consumers {}, mean ready in the queue {}, backlog peak {}, drain time after an incident {} s\n",
        estimate(Some(c.mean_unacked)),
        estimate(Some(c.mean_ready)),
        estimate(Some(c.backlog_peak)),
        estimate(c.drain_time),
    ));
    let mut t = Table::new(["messages", "W (s)", "p99 (s)"]);
    t.row([
        "arrived during an incident".to_string(),
        estimate(c.incident_w),
        estimate(c.incident_p99),
    ]);
    t.row([
        "arrived outside incidents".to_string(),
        estimate(c.other_w),
        estimate(c.other_p99),
    ]);
    out.push_str(&t.to_text());
    out
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
    for m in Metric::QUEUE
        .into_iter()
        .chain(r.queried.queue.iter().copied())
    {
        t.row(
            std::iter::once(label(m)).chain(
                r.queues
                    .iter()
                    .map(|q| marked(estimate(q.get(m)), &q.warnings, m)),
            ),
        );
    }
    for (name, get) in EXTRAS {
        let name = match name {
            "redeliveries" | "dead_letters" | "rejected" => format!("{name} / run"),
            n => n.to_string(),
        };
        t.row(std::iter::once(name).chain(r.queues.iter().map(|q| estimate(get(q)))));
    }
    out.push_str(&t.to_text());
    for q in &r.queues {
        if let Some(p) = &q.partitions {
            out.push_str(&partitions_text(&q.name, p));
        }
        if let Some(c) = &q.consumers {
            out.push_str(&consumers_text(&q.name, c));
        }
    }
    if !r.sources.is_empty() {
        out.push_str("\nend to end (creation until the last descendant is done):\n");
        let metrics: Vec<Metric> = Metric::END_TO_END
            .into_iter()
            .chain(r.queried.end_to_end.iter().copied())
            .collect();
        let mut t = Table::new(
            ["source".to_string(), "created / run".to_string()]
                .into_iter()
                .chain(metrics.iter().copied().map(label)),
        );
        for s in &r.sources {
            let mut row = vec![s.name.clone(), estimate(Some(s.created))];
            row.extend(
                metrics
                    .iter()
                    .map(|m| marked(estimate(s.get(*m)), &s.warnings, *m)),
            );
            t.row(row);
        }
        out.push_str(&t.to_text());
    }
    let retrying: Vec<_> = r
        .sources
        .iter()
        .filter_map(|s| Some((s.name.as_str(), s.retry.as_ref()?)))
        .collect();
    if !retrying.is_empty() {
        out.push_str("
client retries (requests: first send until the success of an attempt within its timeout; the rows above are per attempt):
");
        let mut t = Table::new(
            ["figure".to_string()]
                .into_iter()
                .chain(retrying.iter().map(|(n, _)| n.to_string())),
        );
        type Row<'a> = (
            &'a str,
            &'a dyn Fn(&crate::sim::RetryReport) -> Option<Estimate>,
        );
        let rows: [Row; 12] = [
            ("requests / s", &|x| Some(x.request_rate)),
            ("attempts / s", &|x| Some(x.attempt_rate)),
            ("attempts per request", &|x| Some(x.amplification)),
            ("success ratio", &|x| x.success_ratio),
            ("gave up / s", &|x| Some(x.gave_up_rate)),
            ("wasted completions / s", &|x| Some(x.wasted_rate)),
            ("attempts timed out", &|x| Some(x.timeout_ratio)),
            ("request latency mean (s)", &|x| x.latency.map(|l| l.mean)),
            ("request latency p50 (s)", &|x| x.latency.map(|l| l.p50)),
            ("request latency p95 (s)", &|x| x.latency.map(|l| l.p95)),
            ("request latency p99 (s)", &|x| x.latency.map(|l| l.p99)),
            ("request latency p999 (s)", &|x| x.latency.map(|l| l.p999)),
        ];
        for (name, get) in rows {
            t.row(
                std::iter::once(name.to_string())
                    .chain(retrying.iter().map(|(_, x)| estimate(get(x)))),
            );
        }
        out.push_str(&t.to_text());
    }
    if !r.warnings.is_empty() {
        out.push_str(&format!(
            "\n{} figures marked{WARNING_MARK} are not steady-state estimates to stand behind:\n",
            if r.is_stationary() {
                "WARNING:"
            } else {
                "WARNING: NOT STATIONARY:"
            }
        ));
        for w in &r.warnings {
            out.push_str(&format!("  ! {}: {}\n", w.kind.name(), w.message));
        }
    }
    let c = &r.conservation;
    // Expired and pushed-out messages are shown only where a queue can lose them.
    let mut losses = String::new();
    if c.expired > 0 {
        losses.push_str(&format!(" + expired {}", c.expired));
    }
    if c.dropped > 0 {
        losses.push_str(&format!(" + pushed out {}", c.dropped));
    }
    if c.duplicates > 0 {
        losses.push_str(&format!(" + duplicates {}", c.duplicates));
    }
    let copies = if c.copies > 0 {
        format!(" + copies {} (ack timeouts, replays)", c.copies)
    } else {
        String::new()
    };
    out.push_str(&format!(
        "\nconservation (all replications): created {}{copies} = completed {} + in flight {} + rejected {} + dead-lettered {}{losses}{}\n",
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

/// The time series in long form, one row per bucket, node and metric:
/// `node,metric,start,end,mean,lower,upper` (seconds; `lower`/`upper` the confidence
/// band across replications; empty cells where no replication had a value). Metrics:
/// `L`, `W` and `p99` per queue, `W` and `p99` per `end_to_end:<source>`.
///
/// # Example
/// ```
/// use kendall::{Model, report::time_series_csv};
/// let m = Model::load(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/single_queue.toml")).unwrap();
/// let mut s = m.simulation.clone();
/// (s.replications, s.horizon, s.time_series) = (2, Some(20.0), Some(10.0));
/// let r = kendall::simulate(&m.validate().unwrap(), &s).unwrap();
/// let csv = time_series_csv(r.time_series.as_ref().unwrap());
/// assert!(csv.lines().nth(1).unwrap().starts_with("node,metric,start,end,mean,lower,upper"));
/// assert!(csv.contains("\npayments,p99,"));
/// ```
pub fn time_series_csv(ts: &crate::sim::TimeSeries) -> String {
    let mut out = format!(
        "# schema_version={}\nnode,metric,start,end,mean,lower,upper\n",
        crate::SCHEMA_VERSION
    );
    let cell = |x: Option<f64>| x.map_or(String::new(), |v| format!("{v}"));
    let mut row = |node: &str, metric: &str, b: usize, v: [Option<f64>; 3]| {
        let start = ts.start[b];
        let end = start + ts.length.get(b).copied().unwrap_or(ts.resolution);
        out.push_str(&format!(
            "{},{metric},{start},{end},{},{},{}\n",
            csv_field(node),
            cell(v[0]),
            cell(v[1]),
            cell(v[2])
        ));
    };
    for (q, name) in ts.queues.iter().enumerate() {
        for b in 0..ts.start.len() {
            let l = [
                Some(ts.queue_length[b][q]),
                Some(ts.queue_length_lower[b][q]),
                Some(ts.queue_length_upper[b][q]),
            ];
            row(name, "L", b, l);
            let w = [
                ts.sojourn[b][q],
                ts.sojourn_lower[b][q],
                ts.sojourn_upper[b][q],
            ];
            row(name, "W", b, w);
            let p = [
                ts.sojourn_p99[b][q],
                ts.sojourn_p99_lower[b][q],
                ts.sojourn_p99_upper[b][q],
            ];
            row(name, "p99", b, p);
        }
    }
    // Consumer lag per partition: node `<queue>/p<partition>`, metric `lag`.
    for (q, name) in ts.queues.iter().enumerate() {
        let parts = ts
            .partition_lag
            .first()
            .and_then(|r| r.get(q))
            .map_or(0, Vec::len);
        for p in 0..parts {
            let node = format!("{name}/p{p}");
            for b in 0..ts.start.len() {
                let get = |t: &Vec<Vec<Vec<f64>>>| t.get(b)?.get(q)?.get(p).copied();
                let v = [
                    get(&ts.partition_lag),
                    get(&ts.partition_lag_lower),
                    get(&ts.partition_lag_upper),
                ];
                row(&node, "lag", b, v);
            }
        }
    }
    for (k, name) in ts.sources.iter().enumerate() {
        let node = format!("end_to_end:{name}");
        for b in 0..ts.start.len() {
            let w = [
                ts.latency[b][k],
                ts.latency_lower[b][k],
                ts.latency_upper[b][k],
            ];
            row(&node, "W", b, w);
            let p = [
                ts.latency_p99[b][k],
                ts.latency_p99_lower[b][k],
                ts.latency_p99_upper[b][k],
            ];
            row(&node, "p99", b, p);
        }
    }
    out
}

/// A CSV field, quoted when it holds a comma, a quote or a line break.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// One row per (node, metric):
/// `node,metric,mean,half_width,lower,upper,replications,warning`. Nodes are queue
/// names and `end_to_end:<source>`; `warning` lists the kinds of the warnings that
/// affect the figure (`overloaded`, `not_stationary`, `short_horizon`, joined by `;`),
/// empty when none does.
pub fn simulation_table(r: &SimReport) -> Table {
    let mut t = Table::new([
        "node",
        "metric",
        "mean",
        "half_width",
        "lower",
        "upper",
        "replications",
        "warning",
    ]);
    let mut add = |node: &str, metric: &str, e: Option<Estimate>, warning: String| {
        if let Some(e) = e {
            t.row([
                node.to_string(),
                metric.to_string(),
                format!("{}", e.mean),
                e.half_width.map_or(String::new(), |v| format!("{v}")),
                e.lower.map_or(String::new(), |v| format!("{v}")),
                e.upper.map_or(String::new(), |v| format!("{v}")),
                e.replications.to_string(),
                warning,
            ]);
        }
    };
    for q in &r.queues {
        for m in Metric::QUEUE
            .into_iter()
            .chain(r.queried.queue.iter().copied())
        {
            add(&q.name, &m.name(), q.get(m), affecting(&q.warnings, m));
        }
        for (name, get) in EXTRAS {
            add(&q.name, name, get(q), String::new());
        }
    }
    for s in &r.sources {
        let node = format!("end_to_end:{}", s.name);
        add(&node, "created", Some(s.created), String::new());
        for m in Metric::END_TO_END
            .into_iter()
            .chain(r.queried.end_to_end.iter().copied())
        {
            add(&node, &m.name(), s.get(m), affecting(&s.warnings, m));
        }
        if let Some(x) = &s.retry {
            let node = format!("requests:{}", s.name);
            add(&node, "request_rate", Some(x.request_rate), String::new());
            add(&node, "attempt_rate", Some(x.attempt_rate), String::new());
            add(&node, "amplification", Some(x.amplification), String::new());
            add(&node, "success_ratio", x.success_ratio, String::new());
            add(&node, "gave_up_rate", Some(x.gave_up_rate), String::new());
            add(&node, "wasted_rate", Some(x.wasted_rate), String::new());
            add(&node, "timeout_ratio", Some(x.timeout_ratio), String::new());
            if let Some(l) = x.latency {
                for (m, e) in [
                    ("W", l.mean),
                    ("p50", l.p50),
                    ("p95", l.p95),
                    ("p99", l.p99),
                    ("p999", l.p999),
                ] {
                    add(&node, m, Some(e), String::new());
                }
            }
        }
    }
    t
}
