//! A sweep as CSV (every metric) and as text (one line per point, or for a
//! two-parameter sweep a grid of one figure).

use super::table::Table;
use crate::model::{Figure, Metric, Slo, Target, Unit};
use crate::sim::{Estimate, WarningKind};
use crate::sweep::{SWEEP_QUEUE_METRICS, Sweep, SweepPoint};

/// CSV of a sweep: `<parameter>,node,metric,analytic,sim_mean,sim_lower,sim_upper`, for
/// every queue ([`SWEEP_QUEUE_METRICS`](crate::SWEEP_QUEUE_METRICS)) and source (every metric of
/// [`Metric::END_TO_END`]), metric names as in [`Metric`]. A two-parameter sweep has
/// both parameters as the first two columns
/// (`<parameter>,<second parameter>,node,...`), one row per grid point, node and metric,
/// in the sweep's row-major order.
///
/// # Example
/// ```
/// use kendall::{Model, SweepAxis, SweepOptions, sweep, report::sweep_csv};
/// let m = Model::load(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/single_queue.toml"))
///     .unwrap().validate().unwrap();
/// let opts = SweepOptions {
///     values: vec![0.5, 0.9],
///     second: Some(SweepAxis::new("queue.payments.servers", vec![10.0, 12.0])),
///     ..SweepOptions::default()
/// };
/// let csv = sweep_csv(&sweep(&m, &m.model().simulation, &opts, &|_, _| {}).unwrap());
/// assert!(csv.contains("\nload,queue.payments.servers,node,metric,analytic,"));
/// assert!(csv.contains("\n0.9,12,end_to_end:checkout,p99,"));
/// ```
pub fn sweep_csv(s: &Sweep) -> String {
    let second = s.second.as_ref().map(|a| a.parameter.as_str());
    let mut t = Table::new([s.parameter.as_str()].into_iter().chain(second).chain([
        "node",
        "metric",
        "analytic",
        "sim_mean",
        "sim_lower",
        "sim_upper",
    ]));
    let opt = |v: Option<f64>| v.map_or(String::new(), |x| format!("{x}"));
    for p in &s.points {
        let mut row = |node: String, metric: Metric, a: Option<f64>, e: Option<Estimate>| {
            let values = [p.value]
                .into_iter()
                .chain(p.value2)
                .map(|v| format!("{v}"));
            t.row(values.chain([
                node,
                metric.to_string(),
                opt(a),
                opt(e.map(|e| e.mean)),
                opt(e.and_then(|e| e.lower)),
                opt(e.and_then(|e| e.upper)),
            ]));
        };
        // The figures the model asked for ([queries], SLOs, --at, --percentiles).
        let queried = match (&p.analytic, &p.simulated) {
            (Some(a), _) => a.queried.clone(),
            (None, Some(r)) => r.queried.clone(),
            _ => Default::default(),
        };
        let names: Vec<String> = match (&p.analytic, &p.simulated) {
            (Some(a), _) => a.nodes.iter().map(|n| n.name.clone()).collect(),
            (None, Some(r)) => r.queues.iter().map(|q| q.name.clone()).collect(),
            _ => vec![],
        };
        for name in names {
            let a = p.analytic.as_ref().and_then(|a| a.node(&name));
            let q = p.simulated.as_ref().and_then(|r| r.queue(&name));
            for metric in SWEEP_QUEUE_METRICS
                .into_iter()
                .chain(queried.queue.iter().copied())
            {
                row(
                    name.clone(),
                    metric,
                    a.and_then(|n| n.get(metric)),
                    q.and_then(|q| q.get(metric)),
                );
            }
        }
        let sources: Vec<String> = match (&p.analytic, &p.simulated) {
            (Some(a), _) => a.end_to_end.iter().map(|e| e.name.clone()).collect(),
            (None, Some(r)) => r.sources.iter().map(|s| s.name.clone()).collect(),
            _ => vec![],
        };
        for src in sources {
            let a = p.analytic.as_ref().and_then(|a| a.source(&src));
            let l = p.simulated.as_ref().and_then(|r| r.source(&src));
            for metric in Metric::END_TO_END
                .into_iter()
                .chain(queried.end_to_end.iter().copied())
            {
                row(
                    format!("end_to_end:{src}"),
                    metric,
                    a.and_then(|e| e.get(metric)),
                    l.and_then(|s| s.get(metric)),
                );
            }
        }
    }
    t.to_csv()
}

/// The human-readable form of a sweep: one line per point with the busiest queue's
/// utilisation and, for each source, the end-to-end mean and p99 (analytic, and
/// simulated with its interval when simulated), times in a readable unit. A
/// two-parameter sweep is shown as [`sweep_grid_text`] with no SLOs.
///
/// # Example
/// ```
/// use kendall::{Model, SweepOptions, sweep, report::sweep_text};
/// let m = Model::load(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/single_queue.toml"))
///     .unwrap().validate().unwrap();
/// let opts = SweepOptions { parameter: "load".into(), values: vec![0.5, 0.9], second: None, analytic: true, simulate: false };
/// let s = sweep(&m, &m.model().simulation, &opts, &|_, _| {}).unwrap();
/// let text = sweep_text(&s);
/// assert!(text.contains("busiest utilisation") && text.contains("0.72"));
/// ```
pub fn sweep_text(s: &Sweep) -> String {
    if s.second.is_some() {
        return sweep_grid_text(s, &Figure::default(), &[]);
    }
    use super::simulation::estimate;
    use super::table::num;
    let sources: Vec<String> = s
        .points
        .iter()
        .find_map(|p| match (&p.analytic, &p.simulated) {
            (Some(a), _) => Some(a.end_to_end.iter().map(|e| e.name.clone()).collect()),
            (None, Some(r)) => Some(r.sources.iter().map(|s| s.name.clone()).collect()),
            _ => None,
        })
        .unwrap_or_default();
    let simulated = s.points.iter().any(|p| p.simulated.is_some());
    let p99 = Metric::SojournPercentile(crate::model::Level::P99);
    let mut header = vec![
        s.parameter.clone(),
        "busiest queue".into(),
        "busiest utilisation".into(),
    ];
    for src in &sources {
        header.push(format!("{src} W (s)"));
        header.push(format!("{src} p99 (s)"));
        if simulated {
            header.push(format!("{src} simulated W (s)"));
            header.push(format!("{src} simulated p99 (s)"));
        }
    }
    let mut t = Table::new(header);
    let mut errors = String::new();
    let mut unsettled = false;
    for p in &s.points {
        // The busiest queue: analytic utilisation, else the simulated one.
        let busiest = match (&p.analytic, &p.simulated) {
            (Some(a), _) => a
                .nodes
                .iter()
                .filter_map(|n| Some((n.name.clone(), n.get(Metric::Utilisation)?)))
                .max_by(|x, y| x.1.total_cmp(&y.1))
                .map(|(n, u)| (n, num(Some(u)))),
            (None, Some(r)) => r
                .queues
                .iter()
                .filter_map(|q| Some((q.name.clone(), q.get(Metric::Utilisation)?)))
                .max_by(|x, y| x.1.mean.total_cmp(&y.1.mean))
                .map(|(n, u)| (n, estimate(Some(u)))),
            _ => None,
        };
        let (name, util) = busiest.unwrap_or(("-".into(), "-".into()));
        let mut row = vec![num(Some(p.value)), name, util];
        for src in &sources {
            let a = p.analytic.as_ref().and_then(|a| a.source(src));
            row.push(num(a.and_then(|e| e.get(Metric::MeanSojourn))));
            row.push(num(a.and_then(|e| e.get(p99))));
            if simulated {
                let l = p.simulated.as_ref().and_then(|r| r.source(src));
                let node = format!("end_to_end:{src}");
                for metric in [Metric::MeanSojourn, p99] {
                    let mut cell = estimate(l.and_then(|e| e.get(metric)));
                    // A figure the simulator warned about (it did not settle) is marked.
                    let warned = p
                        .simulated
                        .as_ref()
                        .is_some_and(|r| crate::sizing::unsettled(r, metric, &node).is_some());
                    if warned && cell != "-" {
                        unsettled = true;
                        cell.push_str(" ?");
                    }
                    row.push(cell);
                }
            }
        }
        t.row(row);
        if let Some(e) = &p.error {
            errors.push_str(&format!(
                "  at {} = {}: {e}\n",
                s.parameter,
                num(Some(p.value))
            ));
        }
    }
    let mut out = t.to_text();
    if !errors.is_empty() {
        out.push_str("points not evaluated:\n");
        out.push_str(&errors);
    }
    if unsettled {
        out.push_str(UNSETTLED_NOTE);
    }
    out.push_str(
        "(- : no figure at that point; --format csv or json for every metric of every node)\n",
    );
    out
}

/// The footnote of a `?` mark in a sweep's table.
const UNSETTLED_NOTE: &str = "(? : the simulation did not settle for this figure (overloaded, not stationary, or too short a horizon for the tail): not a figure to stand behind; --format json names the warning)\n";

/// The figure a two-parameter sweep shows per point unless asked for another
/// ([`Figure::default`]; `kendall sweep --metric`): the end-to-end p99 latency of the
/// worst source (the p99 the one-parameter table shows per source), written as an SLO's
/// left-hand side.
///
/// # Example
/// ```
/// let slo: kendall::Slo = format!("{} < 200ms", kendall::report::GRID_FIGURE).parse().unwrap();
/// assert_eq!(slo.metric, kendall::Metric::SojournPercentile(kendall::Level::P99));
/// assert_eq!(kendall::model::Figure::default().to_string(), kendall::report::GRID_FIGURE);
/// ```
pub const GRID_FIGURE: &str = "end_to_end.p99";

/// What one point of a two-parameter sweep shows (crate-internal: the grid text and the
/// heatmap read the same cells).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum CellFigure {
    /// The figure in seconds; for a simulated sweep the mean over replications with its
    /// estimate.
    Value(f64, Option<Estimate>),
    /// A queue's utilisation is at least 1 (analytic), or the simulation found a queue
    /// overloaded: no steady state, no figure worth showing.
    Unstable,
    /// No figure: the point failed, or no method gives one.
    Missing,
}

/// One cell of a two-parameter sweep: its figure, whether every SLO holds there (`None`
/// without SLOs or when a figure an SLO needs is missing and none fails), and whether a
/// simulator warning names the figure (the run did not settle for it: overloaded, not
/// stationary, or a horizon too short for the tail).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct GridCell {
    pub(crate) figure: CellFigure,
    pub(crate) slo_met: Option<bool>,
    pub(crate) unsettled: bool,
}

/// The unit a grid or heatmap shows `figure` in, when its largest value is `max` (SI
/// units): `(symbol, per SI unit)`, symbol empty for a fraction or count.
pub(crate) fn figure_unit(figure: &Figure, max: f64) -> (&'static str, f64) {
    match figure.metric.unit() {
        Unit::Seconds => super::table::time_unit(max),
        Unit::PerSecond => ("messages/s", 1.0),
        Unit::Messages => ("messages", 1.0),
        Unit::SquareMessages => ("messages²", 1.0),
        Unit::SquareSeconds => ("s²", 1.0),
        Unit::Fraction | Unit::Count => ("", 1.0),
    }
}

/// The cell of point `p`: `figure` simulated when `simulated` (the sweep simulated),
/// else analytic (the largest over its target's queues or sources); `slos` evaluated on
/// the same engine's figures.
pub(crate) fn grid_cell(
    p: &SweepPoint,
    simulated: bool,
    figure: &Figure,
    slos: &[Slo],
) -> GridCell {
    use crate::sizing::{analytic_value, simulated_value, unsettled};
    let unstable = p
        .analytic
        .as_ref()
        .is_some_and(|a| a.nodes.iter().any(|n| n.unstable_utilisation().is_some()))
        || p.simulated
            .as_ref()
            .is_some_and(|r| r.warnings.iter().any(|w| w.kind == WarningKind::Overloaded));
    // The value, its estimate when simulated, and whether a simulator warning names
    // it on the node it was read from (the worst of the target's).
    let value = |slo: &Slo| -> Option<(f64, Option<Estimate>, bool)> {
        if simulated {
            let r = p.simulated.as_ref()?;
            let (e, node) = simulated_value(r, slo)?;
            let warned = unsettled(r, slo.metric, &node).is_some();
            Some((e.mean, Some(e), warned))
        } else {
            let (v, _) = analytic_value(p.analytic.as_ref()?, slo)?;
            Some((v, None, false))
        }
    };
    let read = value(&figure.below(0.0));
    let unsettled = read.is_some_and(|(_, _, warned)| warned);
    let figure = match read {
        _ if unstable => CellFigure::Unstable,
        Some((v, e, _)) if v.is_finite() => CellFigure::Value(v, e),
        _ => CellFigure::Missing,
    };
    let mut slo_met = (!slos.is_empty()).then_some(true);
    for slo in slos {
        match value(slo) {
            Some((v, _, _)) if !slo.holds(v) => {
                slo_met = Some(false);
                break;
            }
            Some(_) => {}
            None => slo_met = None,
        }
    }
    GridCell {
        figure,
        slo_met,
        unsettled,
    }
}

/// The human-readable form of a two-parameter sweep: a grid with one row per value of
/// the first parameter and one column per value of the second, each cell `figure` (the
/// default, [`GRID_FIGURE`], is the end-to-end p99 latency of the worst source; a target
/// covering several queues or sources shows the largest of theirs), analytic, then
/// simulated (mean ± confidence half-width) when the sweep simulated; one unit for the
/// whole grid (times in a readable unit, rates in messages/s, fractions bare).
/// `unstable` marks points where a queue's utilisation is at least 1, `-` points
/// without a figure, and `!` after a figure points where one of `slos` is not met (on
/// the same engine's figures). A one-parameter sweep is shown as [`sweep_text`].
///
/// # Example
/// ```
/// use kendall::{Model, SweepAxis, SweepOptions, sweep, report::sweep_grid_text};
/// let m = Model::load(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/single_queue.toml"))
///     .unwrap().validate().unwrap();
/// let opts = SweepOptions {
///     values: vec![0.5, 1.3],
///     second: Some(SweepAxis::new("queue.payments.servers", vec![10.0, 14.0])),
///     ..SweepOptions::default()
/// };
/// let s = sweep(&m, &m.model().simulation, &opts, &|_, _| {}).unwrap();
/// let slo = "end_to_end.p99 < 30ms".parse().unwrap();
/// let text = sweep_grid_text(&s, &Default::default(), &[slo]);
/// assert!(text.contains("load \\ queue.payments.servers"));
/// assert!(text.contains("unstable")); // load 1.3 on 10 consumers: utilisation 1.04
/// assert!(text.contains("(ms)"));
/// // Another figure: the utilisation of the queue, a bare fraction.
/// let text = sweep_grid_text(&s, &"payments.utilisation".parse().unwrap(), &[]);
/// assert!(text.starts_with("payments.utilisation, analytic"));
/// assert!(text.contains("0.5 ")); // load 0.5 on 14 consumers... and the rest
/// ```
pub fn sweep_grid_text(s: &Sweep, figure: &Figure, slos: &[Slo]) -> String {
    use super::table::num;
    let Some(axis) = &s.second else {
        return sweep_text(s);
    };
    let simulated = s.points.iter().any(|p| p.simulated.is_some());
    let analytic = s.points.iter().any(|p| p.analytic.is_some());
    let mut engines = vec![];
    if analytic {
        engines.push(false);
    }
    if simulated {
        engines.push(true);
    }
    let cells: Vec<Vec<GridCell>> = engines
        .iter()
        .map(|&sim| {
            s.points
                .iter()
                .map(|p| grid_cell(p, sim, figure, slos))
                .collect()
        })
        .collect();
    let max = cells
        .iter()
        .flatten()
        .filter_map(|c| match c.figure {
            CellFigure::Value(v, e) => Some(e.and_then(|e| e.upper).unwrap_or(v).max(v)),
            _ => None,
        })
        .fold(0.0, f64::max);
    let (unit, per_second) = figure_unit(figure, max);
    let unit = if unit.is_empty() {
        String::new()
    } else {
        format!(" ({unit})")
    };
    let whose = match figure.target {
        Target::AllSources => ", worst source",
        Target::AllQueues => ", worst queue",
        Target::Queue(_) | Target::Source(_) => "",
    };
    let mut out = String::new();
    let mut marked = false;
    let mut unstable = false;
    let mut unsettled = false;
    for (k, &sim) in engines.iter().enumerate() {
        let engine = if sim {
            "simulated, mean ± confidence half-width"
        } else {
            "analytic"
        };
        if k > 0 {
            out.push('\n');
        }
        out.push_str(&format!(
            "{figure}{unit}{whose}, {engine}: rows {}, columns {}\n",
            s.parameter, axis.parameter
        ));
        let header = std::iter::once(format!("{} \\ {}", s.parameter, axis.parameter))
            .chain(axis.values.iter().map(|v| num(Some(*v))));
        let mut t = Table::new(header);
        for (row, points) in cells[k].chunks(axis.values.len().max(1)).zip(s.rows()) {
            let mut line = vec![num(Some(points[0].value))];
            for c in row {
                let mut cell = match c.figure {
                    CellFigure::Value(v, e) => match e.and_then(|e| Some((e.lower?, e.upper?))) {
                        Some((lo, hi)) => format!(
                            "{} ± {}",
                            num(Some(v * per_second)),
                            num(Some((hi - lo) / 2.0 * per_second))
                        ),
                        None => num(Some(v * per_second)),
                    },
                    CellFigure::Unstable => {
                        unstable = true;
                        "unstable".into()
                    }
                    CellFigure::Missing => "-".into(),
                };
                if c.slo_met == Some(false) && c.figure != CellFigure::Unstable {
                    marked = true;
                    cell.push_str(" !");
                }
                if c.unsettled && matches!(c.figure, CellFigure::Value(..)) {
                    unsettled = true;
                    cell.push_str(" ?");
                }
                line.push(cell);
            }
            t.row(line);
        }
        out.push_str(&t.to_text());
    }
    let mut errors = String::new();
    for p in &s.points {
        if let (Some(e), Some(v2)) = (&p.error, p.value2) {
            errors.push_str(&format!(
                "  at {} = {}, {} = {}: {e}\n",
                s.parameter,
                num(Some(p.value)),
                axis.parameter,
                num(Some(v2))
            ));
        }
    }
    if !errors.is_empty() {
        out.push_str("points not evaluated:\n");
        out.push_str(&errors);
    }
    if marked {
        let list: Vec<String> = slos.iter().map(ToString::to_string).collect();
        out.push_str(&format!("(! : an SLO is not met: {})\n", list.join(", ")));
    }
    if unstable {
        out.push_str("(unstable : a queue's utilisation is at least 1, no steady state)\n");
    }
    if unsettled {
        out.push_str(UNSETTLED_NOTE);
    }
    out.push_str(
        "(- : no figure at that point; --format csv or json for every metric of every node)\n",
    );
    out
}
