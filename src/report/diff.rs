//! Tables of two scenarios side by side (`kendall diff`).

use super::table::{Table, num};
use crate::Diff;

const HEADER: [&str; 7] = [
    "node",
    "metric",
    "a",
    "b",
    "change",
    "relative_change",
    "note",
];

fn push_row(t: &mut Table, r: &crate::DiffRow) {
    t.row([
        r.node.clone(),
        r.metric.to_string(),
        num(r.a),
        num(r.b),
        num(r.change),
        r.relative_change
            .map_or("-".into(), |x| format!("{:+.2}%", 100.0 * x)),
        r.note.clone().unwrap_or_default(),
    ]);
    if r.metric.unit() == crate::model::Unit::Seconds {
        t.mark_seconds(Some(1), [2, 3, 4]);
    }
}

/// One row per (node, metric): `node, metric, a, b, change, relative_change, note`.
///
/// # Example
/// ```
/// use kendall::{Model, diff, report::diff_table};
/// let a = Model::load(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/single_queue.toml"))
///     .unwrap().validate().unwrap();
/// let d = diff(&a, &a.with_load_multiplier(1.1).unwrap(), &[]).unwrap();
/// assert!(diff_table(&d).to_csv().contains("payments,arrival_rate,800,880"));
/// assert!(diff_table(&d).to_text().contains("W (ms)"));
/// ```
pub fn diff_table(d: &Diff) -> Table {
    let mut t = Table::new(HEADER);
    for r in &d.rows {
        if r.a.is_none() && r.b.is_none() && r.note.is_none() {
            continue;
        }
        push_row(&mut t, r);
    }
    t
}

/// The human-readable diff: the figures that changed (all of them with `--format
/// csv`), then every SLO in both scenarios and which flip.
pub fn diff_text(d: &Diff) -> String {
    let mut out = format!("a: {}\nb: {}\n\n", d.a, d.b);
    let mut t = Table::new(HEADER);
    let mut unchanged = 0;
    for r in &d.rows {
        if r.a.is_none() && r.b.is_none() && r.note.is_none() {
            continue;
        }
        if r.a == r.b && r.note.is_none() {
            unchanged += 1;
            continue;
        }
        push_row(&mut t, r);
    }
    out.push_str(&t.to_text());
    out.push_str(&format!(
        "({unchanged} figures unchanged; --format csv or json for every figure)\n"
    ));
    if !d.slos.is_empty() {
        out.push_str("\nSLOs (analytic figures, worst target):\n");
        let mut s = Table::new(["slo", "a", "b", "met in a", "met in b", ""]);
        let yes = |m: Option<bool>| match m {
            Some(true) => "yes",
            Some(false) => "no",
            None => "-",
        };
        for c in &d.slos {
            s.row([
                c.slo.to_string(),
                num(c.a),
                num(c.b),
                yes(c.met_a).into(),
                yes(c.met_b).into(),
                if c.flips {
                    "FLIPS".into()
                } else {
                    String::new()
                },
            ]);
            if c.slo.metric.unit() == crate::model::Unit::Seconds {
                s.mark_seconds(None, [1, 2]);
            }
        }
        out.push_str(&s.to_text());
        let flips = d.flipped().count();
        out.push_str(&match flips {
            0 => "no SLO flips\n".to_string(),
            n => format!("{n} SLO(s) flip\n"),
        });
    }
    out
}
