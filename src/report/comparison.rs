//! Tables of analytic-versus-simulated comparisons (`kendall compare`).

use super::simulation::{WARNING_MARK, estimate};
use super::table::{Table, num};
use crate::analytic::Exactness;
use crate::compare::Comparison;
use crate::sim::WarningKind;

/// The side-by-side table: node, metric, analytic value, simulated mean ± half-width,
/// relative error, whether the analytic value is in the interval, and the method as a
/// key `[k]` with its exactness (the methods in full: [`comparison_methods`]), so a
/// line fits a terminal.
pub fn comparison_table(c: &Comparison) -> Table {
    let keys = method_keys(c);
    let mut t = Table::new([
        "node",
        "metric",
        "analytic",
        "simulated",
        "rel_error",
        "in_ci",
        "flag",
        "method",
    ]);
    for r in &c.rows {
        if r.analytic.is_none() && r.simulated.is_none() {
            continue;
        }
        t.row([
            r.node.clone(),
            r.metric.to_string(),
            num(r.analytic),
            match r.warning {
                Some(_) if r.simulated.is_some() => estimate(r.simulated) + WARNING_MARK,
                _ => estimate(r.simulated),
            },
            r.relative_error
                .map_or("-".into(), |e| format!("{:+.2}%", 100.0 * e)),
            r.in_interval
                .map_or("-".into(), |b| if b { "yes".into() } else { "no".into() }),
            if r.flagged {
                "APPROX OFF".into()
            } else {
                String::new()
            },
            {
                let text = method_or_note(r);
                let k = 1 + keys.iter().position(|m| *m == text).unwrap_or(0);
                match r.exactness {
                    Some(e) if r.method.is_some() => format!("[{k}] {e}"),
                    _ => format!("[{k}]"),
                }
            },
        ]);
        if r.metric.unit() == crate::model::Unit::Seconds {
            t.mark_seconds(Some(1), [2, 3]);
        }
    }
    t
}

/// The distinct methods (or notes) of the shown rows, in order of first appearance.
fn method_keys(c: &Comparison) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    for r in &c.rows {
        if r.analytic.is_none() && r.simulated.is_none() {
            continue;
        }
        let text = method_or_note(r);
        if !keys.contains(&text) {
            keys.push(text);
        }
    }
    keys
}

/// The methods behind the keys of [`comparison_table`], one per line: `[k] method`.
///
/// # Example
/// ```
/// use kendall::{DEFAULT_FLAG_THRESHOLD, Model, compare, model::RunSettings};
/// use kendall::report::{comparison_methods, comparison_table};
/// let m = Model::load(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/single_queue.toml")).unwrap();
/// let settings = RunSettings { horizon: Some(50.0), replications: 2, ..RunSettings::default() };
/// let c = compare(&m.validate().unwrap(), &settings, DEFAULT_FLAG_THRESHOLD, &|_, _| {}).unwrap();
/// assert!(comparison_table(&c).to_text().contains("[1] exact"));
/// assert!(comparison_methods(&c).starts_with("[1] M/M/c"));
/// ```
pub fn comparison_methods(c: &Comparison) -> String {
    method_keys(c)
        .iter()
        .enumerate()
        .map(|(k, m)| format!("[{}] {m}\n", k + 1))
        .collect()
}

/// The row's method, or why it has no analytic value.
fn method_or_note(r: &crate::compare::ComparisonRow) -> String {
    match (&r.method, &r.note) {
        (Some(m), _) => m.to_string(),
        (None, Some(n)) => n.clone(),
        (None, None) => String::new(),
    }
}

/// CSV with plain numbers: `node,metric,analytic,sim_mean,sim_lower,sim_upper,relative_error,in_interval,flagged,exactness,method,warning`.
pub fn comparison_csv(c: &Comparison) -> String {
    let mut t = Table::new([
        "node",
        "metric",
        "analytic",
        "sim_mean",
        "sim_lower",
        "sim_upper",
        "relative_error",
        "in_interval",
        "flagged",
        "exactness",
        "method",
        "warning",
    ]);
    let opt = |v: Option<f64>| v.map_or(String::new(), |x| format!("{x}"));
    for r in &c.rows {
        t.row([
            r.node.clone(),
            r.metric.to_string(),
            opt(r.analytic),
            opt(r.simulated.map(|s| s.mean)),
            opt(r.simulated.and_then(|s| s.lower)),
            opt(r.simulated.and_then(|s| s.upper)),
            opt(r.relative_error),
            r.in_interval.map_or(String::new(), |b| b.to_string()),
            r.flagged.to_string(),
            match r.exactness {
                Some(Exactness::Exact) => "exact".into(),
                Some(Exactness::Numerical) => "numerical".into(),
                Some(Exactness::Approximation) => "approximation".into(),
                None => String::new(),
            },
            method_or_note(r),
            r.warning.map_or(String::new(), |k| k.name().to_string()),
        ]);
    }
    t.to_csv()
}

/// A summary under the table: flagged approximations and the largest errors by kind,
/// each saying whether the simulation's interval covers the analytic figure.
pub fn comparison_summary(c: &Comparison) -> String {
    // The level in per cent to a tenth (0.999 × 100 is not 99.9 in binary).
    let level = (c.confidence * 1000.0).round() / 10.0;
    let mut out = format!(
        "\n{} replications, {level}% intervals; approximations flagged above {:.0}% relative error\n",
        c.replications,
        c.threshold * 100.0
    );
    for (kind, label) in [
        (Exactness::Exact, "exact"),
        (Exactness::Numerical, "numerical"),
        (Exactness::Approximation, "approximation"),
    ] {
        if let Some(r) = c.largest_error(kind) {
            // Whether the simulation's interval covers the analytic figure: a large
            // error inside a wide interval is noise, not a disagreement.
            let verdict = match r.in_interval {
                Some(true) => format!(
                    ", inside the simulation's {}% interval",
                    c.confidence * 100.0
                ),
                Some(false) => format!(
                    ", outside the simulation's {}% interval",
                    c.confidence * 100.0
                ),
                None => String::new(),
            };
            out.push_str(&format!(
                "largest error of {label} figures: {:+.2}% ({} {}{verdict})\n",
                100.0 * r.relative_error.unwrap_or(0.0),
                r.node,
                r.metric
            ));
        }
    }
    let warned = c.rows.iter().filter(|r| r.warning.is_some()).count();
    if warned > 0 {
        let mut kinds: Vec<&str> = c
            .rows
            .iter()
            .filter_map(|r| r.warning.map(|k| k.name()))
            .collect();
        kinds.sort_unstable();
        kinds.dedup();
        let few = WarningKind::FewObservations.name();
        let why = match (kinds.contains(&few), kinds.iter().any(|k| *k != few)) {
            (true, false) => "rest on too few messages",
            (true, true) => {
                "come from a run that did not settle for them or rest on too few messages"
            }
            _ => "come from a run that did not settle for them",
        };
        out.push_str(&format!(
            "{warned} simulated figures marked{WARNING_MARK} {why} ({}): not checked against their intervals nor counted above; see `kendall simulate` for the warnings and what to do\n",
            kinds.join(", ")
        ));
    }
    let flagged: Vec<_> = c.flagged().collect();
    if flagged.is_empty() {
        out.push_str("no approximation off by more than the threshold\n");
    } else {
        for r in flagged {
            out.push_str(&format!(
                "FLAG {} {}: {} is off by {:+.1}% from the simulation: trust the simulation here\n",
                r.node,
                r.metric,
                method_or_note(r),
                100.0 * r.relative_error.unwrap_or(0.0)
            ));
        }
    }
    out
}
