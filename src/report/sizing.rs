//! Tables of sizing results (`kendall size`).

use super::simulation::estimate;
use super::table::{Table, num};
use crate::sizing::{SizingResult, SloEvidence, Verdict};

/// The "analytic method" cell: the method, behind the pointwise stationary
/// approximation when the figure is for the peak rate.
fn analytic_method(e: &SloEvidence) -> String {
    const PSA: &str = "pointwise stationary approximation at the peak rate [approximation]";
    if e.analytic.is_none() {
        return "no analytic figure".into();
    }
    let method = e.analytic_method.as_ref().map(ToString::to_string);
    match (method, e.psa) {
        (Some(m), true) => format!("{PSA}; {m}"),
        (None, true) => PSA.into(),
        (Some(m), false) => m,
        (None, false) => String::new(),
    }
}

/// The human-readable answer: the deployment, each SLO with its evidence, headroom,
/// drains and notes.
pub fn sizing_text(r: &SizingResult) -> String {
    let mut out = String::new();
    out.push_str(if r.all_met {
        "deployment meeting every SLO:\n"
    } else {
        "best deployment found (NOT every SLO met, see below):\n"
    });
    let mut t = Table::new(["queue", "consumers (given)", "consumers (chosen)", "cost"]);
    for d in &r.deployment {
        t.row([
            d.queue.clone(),
            d.given.to_string(),
            d.chosen.to_string(),
            num(Some(f64::from(d.chosen) * d.cost_per_consumer)),
        ]);
    }
    out.push_str(&t.to_text());
    out.push_str(&format!(
        "total cost {}\n\nevidence:\n",
        num(Some(r.total_cost))
    ));
    let mut t = Table::new([
        "slo",
        "analytic",
        "simulated",
        "verdict",
        "where",
        "analytic method",
    ]);
    for e in &r.slos {
        t.row([
            e.slo.to_string(),
            num(e.analytic),
            estimate(e.simulated),
            match e.verdict {
                Verdict::Met => "met".into(),
                Verdict::Violated => "VIOLATED".into(),
                Verdict::Undecided => "undecided".into(),
                Verdict::NotSimulated => "-".into(),
                Verdict::Unsettled => "UNSETTLED".into(),
            },
            e.simulated_target.clone().unwrap_or_default(),
            analytic_method(e),
        ]);
        if e.slo.metric.unit() == crate::model::Unit::Seconds {
            t.mark_seconds(None, [1, 2]);
        }
    }
    out.push_str(&t.to_text());
    if r.replications > 0 {
        out.push_str(&format!(
            "simulated with {} replications, seed {}, {:.0}% intervals; model hash {}\n",
            r.replications,
            r.seed,
            r.confidence * 100.0,
            r.model_hash
        ));
    } else {
        out.push_str(&format!(
            "not verified by simulation; model hash {}\n",
            r.model_hash
        ));
    }
    if let Some(h) = &r.headroom {
        out.push_str(&format!(
            "\nheadroom: every SLO holds up to {}x the current load",
            match h.multiplier {
                Some(m) => format!("{m:.3}"),
                None => "unbounded (checked up to 10⁶)".into(),
            }
        ));
        if let Some(s) = &h.breaking_slo {
            out.push_str(&format!("; beyond it {s} breaks first"));
        }
        if let Some(b) = &h.bottleneck {
            out.push_str(&format!(" (bottleneck: {b})"));
        }
        out.push('\n');
    }
    for d in &r.drains {
        out.push_str(&format!(
            "backlog of {} at {}: drains in {} s (fluid estimate), {} s simulated\n",
            d.backlog,
            d.queue,
            num(d.fluid_estimate),
            estimate(d.simulated)
        ));
    }
    for n in &r.notes {
        out.push_str(&format!("note: {n}\n"));
    }
    out
}

/// CSV: one row per SLO with the chosen deployment in the last column.
pub fn sizing_csv(r: &SizingResult) -> String {
    let mut t = Table::new([
        "slo",
        "analytic",
        "sim_mean",
        "sim_lower",
        "sim_upper",
        "verdict",
        "deployment",
    ]);
    let deployment = r
        .deployment
        .iter()
        .map(|d| format!("{}={}", d.queue, d.chosen))
        .collect::<Vec<_>>()
        .join(";");
    let opt = |v: Option<f64>| v.map_or(String::new(), |x| format!("{x}"));
    for e in &r.slos {
        t.row([
            e.slo.to_string(),
            opt(e.analytic),
            opt(e.simulated.map(|s| s.mean)),
            opt(e.simulated.and_then(|s| s.lower)),
            opt(e.simulated.and_then(|s| s.upper)),
            format!("{:?}", e.verdict).to_lowercase(),
            deployment.clone(),
        ]);
    }
    t.to_csv()
}
