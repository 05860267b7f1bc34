//! Tables of analytic solutions (`kendall solve`).

use super::table::metric_label;
use super::table::{Table, num, num_log10};
use crate::analytic::{ChainDistribution, ChainSolution, ModelSolution};
use crate::model::Metric;

/// The states n whose P(N = n) the text table prints: 0, 1, 2, 3.
const TABLE_STATES: u64 = 4;

/// One row per (node, metric): `node, metric, value, method`. Percentile rows name
/// the distribution's method. Refused nodes get one `refused` row with the reason.
/// State rows: `P(N=n)` for the states before the listed ones that the text table
/// prints (n = 0..3; with a `log10(P(N=n))` row where the probability is below the
/// smallest double), then the first five listed states from `state_offset` on.
///
/// # Example
/// ```
/// use kendall::{Model, report::solution_table, solve};
/// let m = Model::load(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/single_queue.toml")).unwrap();
/// let t = solution_table(&solve(&m.validate().unwrap()).unwrap());
/// assert!(t.to_csv().contains("payments,W,"));
/// ```
pub fn solution_table(s: &ModelSolution) -> Table {
    let mut t = Table::new(["node", "metric", "value", "method"]);
    for n in &s.nodes {
        let Some(sol) = n.solution() else {
            t.row([
                n.name.clone(),
                "refused".into(),
                "-".into(),
                n.refusal().unwrap_or_default().to_string(),
            ]);
            continue;
        };
        let unknown = "unknown for this method: simulate to get percentiles and tail probabilities";
        for m in Metric::QUEUE
            .into_iter()
            .chain([Metric::Consumers, Metric::DeadLetter])
            .chain(s.queried.queue.iter().copied())
        {
            let value = n.get(m);
            let method = match (n.method_of(m), value) {
                (Some(method), Some(_)) => method.to_string(),
                _ if m.is_distributional() => unknown.to_string(),
                // Consumers and dead-lettering: known without a method.
                (None, Some(_)) => "exact: from the deployment and failure settings".to_string(),
                (_, None) => "not given by this method".to_string(),
            };
            t.row([n.name.clone(), m.to_string(), num(value), method]);
            if m.unit() == crate::model::Unit::Seconds {
                t.mark_seconds(Some(1), [2]);
            }
        }
        let method = sol.method.to_string();
        t.row([n.name.clone(), "P0".into(), num(sol.p0), method.clone()]);
        if let (None, Some(x)) = (sol.p0, sol.log10_p0) {
            // P0 below the smallest double: its logarithm.
            t.row([
                n.name.clone(),
                "log10(P0)".into(),
                format!("{x}"),
                method.clone(),
            ]);
        }
        // The states before the listed ones that the text table prints (P(N=0..3)), each
        // with its logarithm where a double cannot hold it; then the first listed ones.
        for k in 0..sol.state_offset.min(TABLE_STATES) {
            let p = sol.state_probability(k);
            t.row([n.name.clone(), format!("P(N={k})"), num(p), method.clone()]);
            if let (None, Some(x)) = (p, sol.log10_state_probability(k)) {
                t.row([
                    n.name.clone(),
                    format!("log10(P(N={k}))"),
                    format!("{x}"),
                    method.clone(),
                ]);
            }
        }
        for (k, p) in sol.state_probabilities.iter().enumerate().take(5) {
            t.row([
                n.name.clone(),
                format!("P(N={})", sol.state_offset + k as u64),
                num(Some(*p)),
                method.clone(),
            ]);
        }
    }
    for e in &s.end_to_end {
        let node = format!("end_to_end:{}", e.name);
        for m in Metric::END_TO_END
            .into_iter()
            .chain(s.queried.end_to_end.iter().copied())
        {
            let method = e
                .method_of(m)
                .map(ToString::to_string)
                .or(e.note.clone())
                .unwrap_or_default();
            t.row([node.clone(), m.to_string(), num(e.get(m)), method]);
            if m.unit() == crate::model::Unit::Seconds {
                t.mark_seconds(Some(1), [2]);
            }
        }
    }
    for c in &s.chains {
        let node = format!("chain:{}", c.name);
        let method = c
            .steady_state_method
            .as_ref()
            .map_or_else(|| c.note.clone().unwrap_or_default(), ToString::to_string);
        for (label, d) in chain_columns(c) {
            let at = match d.time {
                None => String::new(),
                Some(_) => format!("@{}", label.trim_start_matches("t = ")),
            };
            let how = if d.time.is_some() {
                "CTMC transient, uniformisation [numerical]".to_string()
            } else {
                method.clone()
            };
            for (state, p) in c.states.iter().zip(&d.pi) {
                t.row([
                    node.clone(),
                    format!("P({state}){at}"),
                    num(Some(*p)),
                    how.clone(),
                ]);
            }
            if let Some(r) = d.reward {
                t.row([
                    node.clone(),
                    format!("reward{at}"),
                    num(Some(r)),
                    how.clone(),
                ]);
            }
        }
    }
    t
}

/// The lines of a partitioned queue: its hottest partitions and consumer.
fn partitions_text(p: &crate::analytic::PartitionSolution) -> String {
    let mut hot: Vec<(usize, f64)> = p.partition_shares.iter().copied().enumerate().collect();
    hot.sort_by(|a, b| b.1.total_cmp(&a.1));
    let shown: Vec<String> = hot
        .iter()
        .take(3)
        .map(|(i, s)| format!("{i} ({:.2}%)", 100.0 * s))
        .collect();
    let mut out = format!(
        "    {} partitions, {} consumers with messages; hottest partitions: {} (all in --format json)\n",
        p.partition_shares.len(),
        p.consumers.len(),
        shown.join(", ")
    );
    if let Some(h) = p.hottest() {
        out.push_str(&format!(
            "    hottest consumer {} (partitions {:?}): share {:.2}%, utilisation {}, W {} s, p99 {} s\n",
            h.consumer,
            h.partitions,
            100.0 * h.share,
            num(Some(h.utilisation)),
            num(Some(h.w)),
            num(h.p99)
        ));
    }
    if let Some(note) = &p.note {
        out.push_str(&format!("    note: {note}\n"));
    }
    out
}

/// The human-readable form of a model solution: one column per node, one row per
/// metric, then each node's method (and the reason for every refused node).
pub fn solution_text(s: &ModelSolution) -> String {
    let solved: Vec<_> = s.nodes.iter().filter(|n| n.solution().is_some()).collect();
    let mut out = String::new();
    if !solved.is_empty() {
        let mut t = Table::new(
            std::iter::once("metric".to_string()).chain(solved.iter().map(|n| n.name.clone())),
        );
        let row = |t: &mut Table,
                   name: String,
                   get: &dyn Fn(&crate::analytic::NodeResult) -> Option<f64>| {
            t.row(std::iter::once(name).chain(solved.iter().map(|n| num(get(n)))));
        };
        row(&mut t, "consumers".into(), &|n| n.get(Metric::Consumers));
        for m in Metric::QUEUE
            .into_iter()
            .chain(s.queried.queue.iter().copied())
        {
            row(&mut t, metric_label(m), &|n| n.get(m));
        }
        // State probabilities: as the JSON gives them (the listed ones from
        // `state_offset` on, the head before it), 10^x where a double cannot hold them.
        let state = |s: &crate::analytic::NodeSolution, k: u64| -> String {
            match (s.state_probability(k), s.log10_state_probability(k)) {
                (Some(p), _) => num(Some(p)),
                (None, Some(x)) => num_log10(x),
                (None, None) => "-".into(),
            }
        };
        t.row(
            std::iter::once("P0".to_string()).chain(solved.iter().map(|n| {
                n.solution()
                    .map_or("-".into(), |s| match (s.p0, s.log10_p0) {
                        (Some(p), _) => num(Some(p)),
                        (None, Some(x)) => num_log10(x),
                        (None, None) => "-".into(),
                    })
            })),
        );
        for k in 0..TABLE_STATES {
            t.row(
                std::iter::once(format!("P(N={k})")).chain(
                    solved
                        .iter()
                        .map(|n| n.solution().map_or("-".into(), |s| state(s, k))),
                ),
            );
        }
        out.push_str(&t.to_text());
        out.push_str("\nmethods:\n");
        for n in &solved {
            let Some(sol) = n.solution() else { continue };
            out.push_str(&format!(
                "  {}: {} ({})\n",
                n.name, sol.method, sol.method.reference
            ));
            if let Some(b) = &sol.p_block_method {
                out.push_str(&format!("    P(block): {b}\n"));
            }
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
            if let Some(p) = &n.partitions {
                out.push_str(&partitions_text(p));
            }
        }
    }
    if !s.end_to_end.is_empty() {
        out.push_str("\nend to end (creation until the last descendant is done):\n");
        let metrics: Vec<Metric> = Metric::END_TO_END
            .into_iter()
            .chain(s.queried.end_to_end.iter().copied())
            .collect();
        let mut t = Table::new(
            std::iter::once("source".to_string()).chain(metrics.iter().copied().map(metric_label)),
        );
        for e in &s.end_to_end {
            t.row(std::iter::once(e.name.clone()).chain(metrics.iter().map(|m| num(e.get(*m)))));
        }
        out.push_str(&t.to_text());
        for e in &s.end_to_end {
            if let Some(m) = &e.w_method {
                out.push_str(&format!("  {} W: {m}\n", e.name));
            }
            if let Some(m) = &e.sojourn_method {
                out.push_str(&format!("  {} percentiles: {m}\n", e.name));
            }
            if let Some(n) = &e.note {
                out.push_str(&format!("  {}: {n}\n", e.name));
            }
        }
    }
    for n in s.nodes.iter().filter(|n| n.solution().is_none()) {
        out.push_str(&format!(
            "  {}: refused: {}\n",
            n.name,
            n.refusal().unwrap_or("no method")
        ));
    }
    for r in &s.retries {
        out.push_str(&retry_text(r));
    }
    for c in &s.chains {
        out.push_str(&chain_text(c));
    }
    for n in &s.notes {
        out.push_str(&format!("note: {n}\n"));
    }
    out
}

/// The columns of a chain's distributions: the steady state, then each time.
fn chain_columns(c: &ChainSolution) -> Vec<(String, &ChainDistribution)> {
    c.steady_state
        .iter()
        .map(|d| ("steady state".to_string(), d))
        .chain(c.transient.iter().map(|d| {
            let t = d.time.unwrap_or(0.0);
            (
                format!(
                    "t = {}",
                    crate::model::Threshold::new(t).map_or(format!("{t}s"), |t| t.name())
                ),
                d,
            )
        }))
        .collect()
}

/// The section of one `[[chain]]`: each state's probability in the steady state and at
/// each time, the expected reward, the method and the error bounds.
fn chain_text(c: &ChainSolution) -> String {
    let mut out = format!("\nchain {:?}:\n", c.name);
    let cols = chain_columns(c);
    if !cols.is_empty() {
        let mut t = Table::new(
            std::iter::once("state".to_string()).chain(cols.iter().map(|(h, _)| h.clone())),
        );
        for (i, state) in c.states.iter().enumerate() {
            t.row(
                std::iter::once(state.clone())
                    .chain(cols.iter().map(|(_, d)| num(d.pi.get(i).copied()))),
            );
        }
        if cols.iter().any(|(_, d)| d.reward.is_some()) {
            t.row(
                std::iter::once("expected reward".to_string())
                    .chain(cols.iter().map(|(_, d)| num(d.reward))),
            );
        }
        out.push_str(&t.to_text());
    }
    if let Some(m) = &c.steady_state_method {
        let residual = c.steady_state.as_ref().map_or(0.0, |d| d.error_bound);
        out.push_str(&format!(
            "  steady state: {m}, residual ‖πQ‖₁ = {residual:.1e}\n"
        ));
    }
    if !c.transient.is_empty() {
        let worst = c
            .transient
            .iter()
            .map(|d| d.error_bound)
            .fold(0.0, f64::max);
        out.push_str(&format!(
            "  π(t): uniformisation from the initial state, truncation error <= {worst:.1e}\n"
        ));
    }
    if let Some(n) = &c.note {
        out.push_str(&format!("  note: {n}\n"));
    }
    out
}

/// The fixed points of one retry loop, as text.
fn retry_text(r: &crate::analytic::RetryResult) -> String {
    let Some(sol) = &r.solution else {
        return format!(
            "\nclient retries of {}: refused: {}\n",
            r.source,
            r.refusal.as_deref().unwrap_or("no method")
        );
    };
    let mut out = format!(
        "\nclient retries of {} into {} (requests {} /s, capacity {} attempts/s): {}\n",
        sol.source,
        sol.queue,
        num(Some(sol.request_rate)),
        num(Some(sol.capacity)),
        match sol.state {
            crate::analytic::RetryState::Healthy => "HEALTHY",
            crate::analytic::RetryState::Metastable => "METASTABLE",
            crate::analytic::RetryState::Storm => "RETRY STORM",
        }
    );
    let mut t = Table::new([
        "state",
        "attempts/s",
        "attempts/request",
        "P(timeout)",
        "P(success)",
        "utilisation",
        "offered load",
        "request latency (s)",
    ]);
    for f in &sol.fixed_points {
        let kind = match (f.saturated, f.stable) {
            (true, _) => "storm (overload)",
            (false, true) => "stable",
            (false, false) => "unstable (threshold)",
        };
        t.row([
            kind.to_string(),
            num(Some(f.attempt_rate)),
            num(Some(f.amplification)),
            num(Some(f.timeout_probability)),
            num(Some(f.success_probability)),
            num(Some(f.utilisation)),
            num(Some(f.offered_load)),
            num(f.mean_request_latency),
        ]);
    }
    out.push_str(&t.to_text());
    out.push_str(&format!(
        "  method: {} ({})\n",
        sol.method, sol.method.reference
    ));
    out.push_str("  the queue and end-to-end figures above are per attempt, at the healthy state's attempt rate (the storm's without one)\n");
    out.push_str(&format!("  {}\n", sol.advice));
    out
}
