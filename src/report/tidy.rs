//! Every result as tidy long-form rows: one row per (point, node, metric), with the
//! value, its interval, the method and its exactness. The shape a data frame wants
//! (`kendall`'s Python `to_pandas()` is these rows), and the same for every verb.

use super::simulation::affecting;
use crate::analytic::{Exactness, Method, ModelSolution};
use crate::compare::Comparison;
use crate::model::Metric;
use crate::sim::{Estimate, SimReport};
use crate::sizing::SizingResult;
use crate::sweep::Sweep;
use serde::Serialize;

/// The `method` of every simulated row.
pub const SIMULATION: &str = "simulation";

/// One figure in long form.
///
/// Times are seconds, rates per second (the metric's [`Unit`](crate::model::Unit)).
///
/// # Example
/// ```
/// use kendall::{Model, report::tidy, solve};
/// let m = Model::load(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/single_queue.toml")).unwrap();
/// let rows = tidy::solution_rows(&solve(&m.validate().unwrap()).unwrap());
/// let w = rows.iter().find(|r| r.node == "payments" && r.metric == "W").unwrap();
/// assert_eq!(w.engine, "analytic");
/// assert!(w.value.unwrap() > 0.0);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct TidyRow {
    /// The swept parameter's value (sweeps only).
    pub point: Option<f64>,
    /// The second swept parameter's value (two-parameter sweeps only; absent from the
    /// JSON otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub point2: Option<f64>,
    /// A queue, `end_to_end:<source>`, `requests:<source>` or, for sizing,
    /// `deployment` and `slo`.
    pub node: String,
    /// The metric's name ([`Metric`] names, plus a few counters such as `redeliveries`).
    pub metric: String,
    /// `analytic` or `simulation`.
    pub engine: String,
    /// The figure (the mean over replications for a simulated one); `None` where it is
    /// unknown for the method.
    pub value: Option<f64>,
    /// Lower end of the confidence interval (simulated figures).
    pub lower: Option<f64>,
    /// Upper end of the confidence interval (simulated figures).
    pub upper: Option<f64>,
    /// The method's name ([`Method`]), or `simulation`.
    pub method: Option<String>,
    /// `exact`, `numerical`, `approximation` or, for simulated figures, `estimate`.
    pub exactness: Option<String>,
    /// Simulation warnings affecting the figure (`overloaded`, `not_stationary`,
    /// `short_horizon`, joined by `;`), or the reason a figure is missing.
    pub note: Option<String>,
}

fn exactness_name(e: Exactness) -> String {
    match e {
        Exactness::Exact => "exact",
        Exactness::Numerical => "numerical",
        Exactness::Approximation => "approximation",
    }
    .to_string()
}

fn analytic_row(node: &str, metric: &str, value: Option<f64>, method: Option<&Method>) -> TidyRow {
    TidyRow {
        point: None,
        point2: None,
        node: node.to_string(),
        metric: metric.to_string(),
        engine: "analytic".into(),
        value,
        lower: None,
        upper: None,
        method: method.map(|m| m.name.clone()),
        exactness: method.map(|m| exactness_name(m.exactness)),
        note: None,
    }
}

fn simulated_row(node: &str, metric: &str, e: Estimate, warning: String) -> TidyRow {
    TidyRow {
        point: None,
        point2: None,
        node: node.to_string(),
        metric: metric.to_string(),
        engine: SIMULATION.into(),
        value: Some(e.mean),
        lower: e.lower,
        upper: e.upper,
        method: Some(SIMULATION.into()),
        exactness: Some("estimate".into()),
        note: (!warning.is_empty()).then_some(warning),
    }
}

/// The rows of an analytic solution: every queue metric of every node (a refused node
/// gets one `refused` row whose note is the reason), then every end-to-end metric.
/// Metrics the method cannot give have `value: None`.
pub fn solution_rows(s: &ModelSolution) -> Vec<TidyRow> {
    let mut rows = Vec::new();
    for n in &s.nodes {
        if n.solution().is_none() {
            let mut r = analytic_row(&n.name, "refused", None, None);
            r.note = n.refusal().map(str::to_string);
            rows.push(r);
            continue;
        }
        for m in Metric::QUEUE
            .into_iter()
            .chain([Metric::Consumers, Metric::DeadLetter])
            .chain(s.queried.queue.iter().copied())
        {
            let v = n.get(m);
            let mut r = analytic_row(
                &n.name,
                &m.name(),
                v,
                n.method_of(m).filter(|_| v.is_some()),
            );
            if v.is_none() {
                r.note = Some("unknown for this method".into());
            }
            rows.push(r);
        }
    }
    for e in &s.end_to_end {
        let node = format!("end_to_end:{}", e.name);
        for m in Metric::END_TO_END
            .into_iter()
            .chain(s.queried.end_to_end.iter().copied())
        {
            let v = e.get(m);
            let mut r = analytic_row(&node, &m.name(), v, e.method_of(m).filter(|_| v.is_some()));
            if v.is_none() {
                r.note = e.note.clone();
            }
            rows.push(r);
        }
    }
    rows
}

/// The rows of a simulation: every queue metric and counter, every source's end-to-end
/// metrics and, for sources with client retries, the request-level figures. Each with
/// its confidence interval and the warnings that affect it.
pub fn simulation_rows(r: &SimReport) -> Vec<TidyRow> {
    let mut rows = Vec::new();
    for q in &r.queues {
        for m in Metric::QUEUE
            .into_iter()
            .chain(r.queried.queue.iter().copied())
        {
            if let Some(e) = q.get(m) {
                rows.push(simulated_row(
                    &q.name,
                    &m.name(),
                    e,
                    affecting(&q.warnings, m),
                ));
            }
        }
        for (name, get) in super::simulation::EXTRAS {
            if let Some(e) = get(q) {
                rows.push(simulated_row(&q.name, name, e, String::new()));
            }
        }
    }
    for s in &r.sources {
        let node = format!("end_to_end:{}", s.name);
        rows.push(simulated_row(&node, "created", s.created, String::new()));
        for m in Metric::END_TO_END
            .into_iter()
            .chain(r.queried.end_to_end.iter().copied())
        {
            if let Some(e) = s.get(m) {
                rows.push(simulated_row(
                    &node,
                    &m.name(),
                    e,
                    affecting(&s.warnings, m),
                ));
            }
        }
        if let Some(x) = &s.retry {
            let node = format!("requests:{}", s.name);
            for (name, e) in [
                ("request_rate", Some(x.request_rate)),
                ("attempt_rate", Some(x.attempt_rate)),
                ("amplification", Some(x.amplification)),
                ("success_ratio", x.success_ratio),
                ("gave_up_rate", Some(x.gave_up_rate)),
                ("wasted_rate", Some(x.wasted_rate)),
                ("timeout_ratio", Some(x.timeout_ratio)),
            ] {
                if let Some(e) = e {
                    rows.push(simulated_row(&node, name, e, String::new()));
                }
            }
        }
    }
    rows
}

/// The rows of a comparison: for every compared figure an `analytic` row and a
/// `simulation` row (whose note carries the relative error and whether the analytic
/// value is in the interval).
pub fn comparison_rows(c: &Comparison) -> Vec<TidyRow> {
    let mut rows = Vec::new();
    for row in &c.rows {
        let metric = row.metric.name();
        let mut a = analytic_row(&row.node, &metric, row.analytic, row.method.as_ref());
        if a.exactness.is_none() {
            a.exactness = row.exactness.map(exactness_name);
        }
        a.note = row.note.clone();
        rows.push(a);
        if let Some(e) = row.simulated {
            let warning = row
                .warning
                .map(|w| w.name().to_string())
                .unwrap_or_default();
            rows.push(simulated_row(&row.node, &metric, e, warning));
        }
    }
    rows
}

/// The rows of a sweep: each point's analytic and simulated rows with `point` set to
/// the parameter's value (and `point2` to the second parameter's, in a two-parameter
/// sweep).
pub fn sweep_rows(s: &Sweep) -> Vec<TidyRow> {
    let mut rows = Vec::new();
    for p in &s.points {
        let start = rows.len();
        if let Some(a) = &p.analytic {
            rows.extend(solution_rows(a));
        }
        if let Some(r) = &p.simulated {
            rows.extend(simulation_rows(r));
        }
        for r in &mut rows[start..] {
            r.point = Some(p.value);
            r.point2 = p.value2;
        }
    }
    rows
}

/// The rows of a sizing result: the chosen consumers per queue (`node` the queue,
/// metric `consumers`), then per SLO its analytic and verified figures (`node` the
/// SLO as written, metric its metric; the note says met or not).
pub fn sizing_rows(r: &SizingResult) -> Vec<TidyRow> {
    let mut rows = Vec::new();
    for d in &r.deployment {
        let mut row = analytic_row(&d.queue, "consumers", Some(f64::from(d.chosen)), None);
        row.engine = "sizing".into();
        rows.push(row);
    }
    for e in &r.slos {
        let node = e.slo.to_string();
        let metric = e.slo.metric.name();
        let mut a = analytic_row(&node, &metric, e.analytic, e.analytic_method.as_ref());
        a.note = e
            .analytic_met
            .map(|m| if m { "met" } else { "not met" }.to_string());
        rows.push(a);
        if let Some(s) = e.simulated {
            let mut row = simulated_row(&node, &metric, s, String::new());
            row.note = Some(
                match e.verdict {
                    crate::Verdict::Met => "met",
                    crate::Verdict::Violated => "violated",
                    crate::Verdict::Undecided => "undecided",
                    _ => "not simulated",
                }
                .to_string(),
            );
            rows.push(row);
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ArrivalProcess, Distribution, Queue, RunSettings, Source};

    fn model() -> crate::ValidModel {
        crate::Model::default()
            .with_source(Source::new(
                "in",
                ArrivalProcess::Poisson { rate: 2.0 },
                "q",
            ))
            .with_queue(Queue::new("q", 1, Distribution::Exponential { mean: 0.25 }))
            .validate()
            .unwrap()
    }

    #[test]
    fn analytic_rows_carry_value_method_and_exactness() {
        let rows = solution_rows(&crate::solve(&model()).unwrap());
        let w = rows
            .iter()
            .find(|r| r.node == "q" && r.metric == "W")
            .unwrap();
        // M/M/1, lambda 2, mu 4: W = 1 / (mu - lambda) = 0.5 s.
        assert!((w.value.unwrap() - 0.5).abs() < 1e-12);
        assert_eq!(w.exactness.as_deref(), Some("exact"));
        assert!(rows.iter().any(|r| r.node == "end_to_end:in"));
    }

    #[test]
    fn simulated_rows_have_intervals_around_the_mean() {
        let settings = RunSettings {
            horizon: Some(500.0),
            replications: 3,
            ..RunSettings::default()
        };
        let rows = simulation_rows(&crate::simulate(&model(), &settings).unwrap());
        let w = rows
            .iter()
            .find(|r| r.node == "q" && r.metric == "W")
            .unwrap();
        let (lo, v, hi) = (w.lower.unwrap(), w.value.unwrap(), w.upper.unwrap());
        assert!(lo < v && v < hi);
        assert_eq!(w.engine, SIMULATION);
    }
}
