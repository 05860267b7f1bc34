//! Two scenarios side by side: a what-if.
//!
//! [`diff`] solves both models analytically ([`solve`](crate::solve)) and pairs every
//! figure by node name and metric: per queue every metric of [`Metric::QUEUE`] and its
//! consumers, per source every metric of [`Metric::END_TO_END`]. Each [`DiffRow`] holds
//! both values, the change b − a and the relative change (b − a) / a. A node that exists
//! in one scenario only, or that one side cannot solve, has its value missing on that
//! side and the reason in `note`.
//!
//! Then every SLO (the union of both scenarios' `slo` lists and any given) is evaluated
//! on both sides, as `kendall size` does analytically (the worst target): an
//! [`SloChange`] says whether it holds in a and in b and whether it **flips**.

use crate::analytic::{ModelSolution, NodeResult, SolveError, solve};
use crate::model::{Metric, Slo, ValidModel};
use crate::sizing::analytic_value;
use serde::{Deserialize, Serialize};

/// One figure in both scenarios.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DiffRow {
    /// Queue name, or `end_to_end:<source>`.
    pub node: String,
    /// The metric.
    pub metric: Metric,
    /// The value in scenario a (seconds for times), if it has one.
    pub a: Option<f64>,
    /// The value in scenario b.
    pub b: Option<f64>,
    /// b − a, when both exist.
    pub change: Option<f64>,
    /// (b − a) / a, when both exist and a ≠ 0.
    pub relative_change: Option<f64>,
    /// Why a value is missing (the node is unstable, refused, or absent on that side).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One SLO evaluated in both scenarios (analytic figures).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SloChange {
    /// The objective.
    pub slo: Slo,
    /// Its worst analytic figure in a (infinite when a target is unstable: JSON null).
    pub a: Option<f64>,
    /// The same in b.
    pub b: Option<f64>,
    /// Whether it holds in a; none when a has no figure for it.
    pub met_a: Option<bool>,
    /// Whether it holds in b.
    pub met_b: Option<bool>,
    /// It holds on one side and not on the other.
    pub flips: bool,
}

/// Every figure of two scenarios side by side, and the SLOs that flip.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Diff {
    /// Version of this output's JSON shape ([`SCHEMA_VERSION`](crate::SCHEMA_VERSION)).
    pub schema_version: u32,
    /// Name of scenario a.
    pub a: String,
    /// Name of scenario b.
    pub b: String,
    /// Every figure, queues first then sources, in a's order then b's new nodes.
    pub rows: Vec<DiffRow>,
    /// Every SLO in both scenarios.
    pub slos: Vec<SloChange>,
}

impl Diff {
    /// The SLOs that hold on one side only.
    pub fn flipped(&self) -> impl Iterator<Item = &SloChange> {
        self.slos.iter().filter(|s| s.flips)
    }
}

/// Solves `a` and `b` and pairs their figures; `slos` are evaluated besides the
/// scenarios' own.
///
/// # Errors
/// [`SolveError`] when either model cannot be solved at all (per-node refusals are
/// missing values with a note instead).
///
/// # Example
/// ```
/// use kendall::{Model, diff};
/// let a = Model::load(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/single_queue.toml"))
///     .unwrap().validate().unwrap();
/// let b = a.with_load_multiplier(1.2).unwrap();
/// let slo = "payments.p99 < 50ms".parse().unwrap();
/// let d = diff(&a, &b, &[slo]).unwrap();
/// let rate = d.rows.iter().find(|r| r.node == "payments" && r.metric == kendall::Metric::ArrivalRate).unwrap();
/// assert!((rate.relative_change.unwrap() - 0.2).abs() < 1e-12);
/// assert_eq!(d.flipped().count(), 1); // p99 49.5 ms at 800/s, 125 ms at 960/s
/// ```
pub fn diff(a: &ValidModel, b: &ValidModel, slos: &[Slo]) -> Result<Diff, SolveError> {
    let (sa, sb) = (solve(a)?, solve(b)?);
    let mut rows = Vec::new();
    let mut queues: Vec<&str> = sa.nodes.iter().map(|n| n.name.as_str()).collect();
    for n in &sb.nodes {
        if !queues.contains(&n.name.as_str()) {
            queues.push(&n.name);
        }
    }
    // The queried figures of either side, each once.
    let union = |a: &[Metric], b: &[Metric]| {
        let mut all = a.to_vec();
        all.extend(b.iter().filter(|m| !a.contains(m)));
        all
    };
    let queried_queue = union(&sa.queried.queue, &sb.queried.queue);
    let queried_e2e = union(&sa.queried.end_to_end, &sb.queried.end_to_end);
    for name in queues {
        let (na, nb) = (sa.node(name), sb.node(name));
        let note = side_notes(
            na.map(node_note),
            nb.map(node_note),
            na.is_some(),
            nb.is_some(),
        );
        for metric in Metric::QUEUE
            .into_iter()
            .chain([Metric::Consumers, Metric::DeadLetter])
            .chain(queried_queue.iter().copied())
        {
            rows.push(row(
                name.to_string(),
                metric,
                na.and_then(|n| n.get(metric)),
                nb.and_then(|n| n.get(metric)),
                note.clone(),
            ));
        }
    }
    let mut sources: Vec<&str> = sa.end_to_end.iter().map(|e| e.name.as_str()).collect();
    for e in &sb.end_to_end {
        if !sources.contains(&e.name.as_str()) {
            sources.push(&e.name);
        }
    }
    for name in sources {
        let (ea, eb) = (sa.source(name), sb.source(name));
        let note = side_notes(
            ea.map(|e| e.note.clone()),
            eb.map(|e| e.note.clone()),
            ea.is_some(),
            eb.is_some(),
        );
        for metric in Metric::END_TO_END
            .into_iter()
            .chain(queried_e2e.iter().copied())
        {
            rows.push(row(
                format!("end_to_end:{name}"),
                metric,
                ea.and_then(|e| e.get(metric)),
                eb.and_then(|e| e.get(metric)),
                note.clone(),
            ));
        }
    }
    let mut all: Vec<Slo> = Vec::new();
    for s in a.model().slo.iter().chain(&b.model().slo).chain(slos) {
        if !all.contains(s) {
            all.push(s.clone());
        }
    }
    let slos = all.into_iter().map(|s| slo_change(&sa, &sb, s)).collect();
    let name = |v: &ValidModel, dflt: &str| v.model().name.clone().unwrap_or(dflt.into());
    Ok(Diff {
        schema_version: crate::model::SCHEMA_VERSION,
        a: name(a, "a"),
        b: name(b, "b"),
        rows,
        slos,
    })
}

fn row(
    node: String,
    metric: Metric,
    a: Option<f64>,
    b: Option<f64>,
    note: Option<String>,
) -> DiffRow {
    let change = a.zip(b).map(|(a, b)| b - a).filter(|c| c.is_finite());
    let relative_change = a
        .zip(change)
        .filter(|(a, _)| *a != 0.0)
        .map(|(a, c)| c / a)
        .filter(|r| r.is_finite());
    DiffRow {
        node,
        metric,
        a,
        b,
        change,
        relative_change,
        note: if a.is_some() && b.is_some() {
            None
        } else {
            note
        },
    }
}

/// Why a queue has no figures: unstable or refused.
fn node_note(n: &NodeResult) -> Option<String> {
    if let Some(u) = n.unstable_utilisation() {
        return Some(format!("unstable (utilisation {u:.4})"));
    }
    n.refusal().map(|r| format!("refused: {r}"))
}

fn side_notes(
    a: Option<Option<String>>,
    b: Option<Option<String>>,
    in_a: bool,
    in_b: bool,
) -> Option<String> {
    let side = |label: &str, present: bool, note: Option<Option<String>>| match (
        present,
        note.flatten(),
    ) {
        (false, _) => Some(format!("{label}: not in this scenario")),
        (true, Some(n)) => Some(format!("{label}: {n}")),
        (true, None) => None,
    };
    let notes: Vec<String> = [side("a", in_a, a), side("b", in_b, b)]
        .into_iter()
        .flatten()
        .collect();
    (!notes.is_empty()).then(|| notes.join("; "))
}

fn slo_change(sa: &ModelSolution, sb: &ModelSolution, slo: Slo) -> SloChange {
    let (a, b) = (
        analytic_value(sa, &slo).map(|v| v.0),
        analytic_value(sb, &slo).map(|v| v.0),
    );
    let (met_a, met_b) = (a.map(|v| slo.holds(v)), b.map(|v| slo.holds(v)));
    SloChange {
        flips: matches!((met_a, met_b), (Some(x), Some(y)) if x != y),
        // JSON cannot carry an infinity: an unstable side has no figure, and fails.
        a: a.filter(|v| v.is_finite()),
        b: b.filter(|v| v.is_finite()),
        met_a,
        met_b,
        slo,
    }
}
