//! Charts of kendall's own results: turns sweeps, sizing runs and simulated time
//! series into the chart inputs of [`chart`](super::chart).

use super::chart::ChartError;
use super::chart::{
    BandPoint, HeatCell, HeatmapChart, LatencyLoadChart, LoadSeries, SimPoint, SizingChart,
    SizingPoint, TimePanel, TimeSeries, TimeSeriesChart, UnstableRegion,
};
use super::sweep::{CellFigure, GridCell, figure_unit, grid_cell};
use crate::model::{Figure, Metric, Slo, Target};
use crate::model::{Model, RunSettings};
use crate::sim::SimReport;
use crate::sizing::SizingResult;
use crate::sweep::Sweep;

/// Latency (ms) against the swept parameter: for every source, the analytic end-to-end
/// mean and p99 as lines and the simulated ones as points with confidence bars (hollow
/// where a simulator warning names the figure: it did not settle); the model's first
/// end-to-end latency SLO as a dashed line.
///
/// # Example
/// ```
/// use kendall::report::plots::sweep_chart;
/// use kendall::{Model, SweepOptions, linspace, sweep};
/// let m = Model::load(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/single_queue.toml")).unwrap();
/// let opts = SweepOptions { parameter: "load".into(), values: linspace(0.5, 1.2, 8).unwrap(), second: None, analytic: true, simulate: false };
/// let chart = sweep_chart(&m, &sweep(&m.validate().unwrap(), &m.simulation, &opts, &|_, _| {}).unwrap());
/// assert_eq!(chart.series.len(), 2);
/// ```
pub fn sweep_chart(model: &Model, sweep: &Sweep) -> LatencyLoadChart {
    let mut series = Vec::new();
    let (what, x_label, scale) = parameter_axis(model, &sweep.parameter);
    for s in &model.sources {
        for metric in [
            Metric::MeanSojourn,
            Metric::SojournPercentile(crate::model::Level::P99),
        ] {
            let label = if metric == Metric::MeanSojourn {
                "mean".to_string()
            } else {
                metric.to_string()
            };
            let mut analytic = Vec::new();
            let mut simulated = Vec::new();
            for p in &sweep.points {
                if let Some(v) = p
                    .analytic
                    .as_ref()
                    .and_then(|a| a.source(&s.name))
                    .and_then(|e| e.get(metric))
                {
                    let unstable = p.analytic.as_ref().is_some_and(|a| {
                        a.nodes.iter().any(|n| n.unstable_utilisation().is_some())
                    });
                    if !unstable && v.is_finite() {
                        analytic.push((p.value * scale, v * 1e3));
                    }
                }
                if let Some(r) = &p.simulated
                    && let Some(e) = r.source(&s.name).and_then(|x| x.get(metric))
                {
                    let node = format!("end_to_end:{}", s.name);
                    simulated.push(SimPoint {
                        x: p.value * scale,
                        mean: e.mean * 1e3,
                        lower: e.lower.unwrap_or(e.mean).min(e.mean) * 1e3,
                        upper: e.upper.unwrap_or(e.mean).max(e.mean) * 1e3,
                        unsettled: crate::sizing::unsettled(r, metric, &node).is_some(),
                    });
                }
            }
            if !analytic.is_empty() || !simulated.is_empty() {
                series.push(LoadSeries {
                    name: format!("{} end-to-end {label}", s.name),
                    analytic,
                    simulated,
                });
            }
        }
    }
    let slo = model.slo.iter().find(|s| {
        matches!(s.target, Target::AllSources | Target::Source(_))
            && matches!(s.metric, Metric::MeanSojourn | Metric::SojournPercentile(_))
    });
    LatencyLoadChart {
        title: format!(
            "{}: latency against {what}",
            model.name.clone().unwrap_or_else(|| "model".into())
        ),
        x_label,
        y_label: "end-to-end latency (ms)".into(),
        series,
        slo: slo.map(|s| (s.limit * 1e3, format!("SLO {s}"))),
        y_max: None,
        size: None,
        log_y: false,
        saturation: saturation(model, sweep, scale).and_then(|r| {
            // Close the region at the swept values; none if the sweep never reaches it.
            let xs = sweep.points.iter().map(|p| p.value * scale);
            let (lo, hi) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
                (a.min(x), b.max(x))
            });
            let from = r.from.unwrap_or(lo);
            let to = r.to.unwrap_or(hi);
            (from < to && from >= lo && to <= hi).then_some(UnstableRegion {
                from: Some(from),
                to: Some(to),
                ..r
            })
        }),
    }
}

/// Where a sweep's system saturates, on the chart's x axis: for `load`, the load at
/// which the busiest queue without a buffer limit reaches ρ = 1 (utilisation grows in
/// proportion to the load: v/ρ from any point with an analytic figure); for
/// `queue.<q>.servers`, the consumers below which that queue is unstable (c·ρ). `None`
/// for other parameters or without an analytic figure.
fn saturation(model: &Model, sweep: &Sweep, scale: f64) -> Option<UnstableRegion> {
    let parts: Vec<&str> = sweep.parameter.split('.').collect();
    let rho = |n: &crate::analytic::NodeResult| {
        n.unstable_utilisation()
            .or_else(|| n.get(Metric::Utilisation))
            .filter(|r| r.is_finite() && *r > 0.0)
    };
    for p in &sweep.points {
        let Some(a) = &p.analytic else { continue };
        if p.value2.is_some() || p.value.is_nan() || p.value <= 0.0 {
            continue;
        }
        match parts.as_slice() {
            ["load"] => {
                let busiest = a
                    .nodes
                    .iter()
                    .filter(|n| {
                        model
                            .queue(&n.name)
                            .is_some_and(|q| q.capacity.is_none() && !q.is_delay())
                    })
                    .filter_map(|n| rho(n).map(|r| (n.name.clone(), r)))
                    .max_by(|x, y| x.1.total_cmp(&y.1));
                if let Some((name, r)) = busiest {
                    let x = p.value / r * scale;
                    let unit = if scale == 1.0 {
                        "× the scenario's rates"
                    } else {
                        "messages/s"
                    };
                    let at = crate::report::num(Some(x));
                    return Some(UnstableRegion {
                        from: Some(x),
                        to: None,
                        label: format!("unstable beyond {at} {unit}: {name} at ρ = 1"),
                    });
                }
            }
            ["queue", q, "servers" | "consumers"] => {
                if let Some(n) = a.nodes.iter().find(|n| n.name == *q)
                    && let Some(r) = rho(n)
                {
                    let c = p.value * r;
                    return Some(UnstableRegion {
                        from: None,
                        to: Some(c),
                        label: format!(
                            "unstable at {} consumers or fewer: {q} at ρ ≥ 1",
                            crate::report::num(Some(c))
                        ),
                    });
                }
            }
            _ => return None,
        }
    }
    None
}

/// A two-parameter sweep as a heatmap: x the first parameter, y the second (axis labels
/// and units from [`parameter_axis`]), each cell `figure` (the default
/// [`GRID_FIGURE`](crate::report::GRID_FIGURE) is the end-to-end p99 latency of the
/// worst source; the figure of [`sweep_grid_text`](crate::report::sweep_grid_text)), in
/// the unit the colour bar names (times in a readable unit, rates in messages/s,
/// fractions bare): simulated (the mean over replications) when the sweep simulated,
/// else analytic. Cells where one of the SLOs
/// (the model's own and `slos`, evaluated on the same engine's figures) is not met are
/// hatched; points with a queue at utilisation ≥ 1 (or found overloaded by the
/// simulation) are "unstable", points without a figure "no figure". The colour scale is
/// logarithmic when the figures span a factor of 3 or more.
///
/// # Errors
/// [`ChartError::InvalidData`] for a one-parameter sweep (field `second`).
///
/// # Example
/// ```
/// use kendall::report::plots::sweep_heatmap;
/// use kendall::{Model, SweepAxis, SweepOptions, linspace, sweep};
/// let m = Model::load(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/single_queue.toml")).unwrap();
/// let opts = SweepOptions {
///     values: linspace(0.5, 1.1, 4).unwrap(),
///     second: Some(SweepAxis::new("queue.payments.servers", vec![9.0, 10.0, 12.0])),
///     ..SweepOptions::default()
/// };
/// let s = sweep(&m.validate().unwrap(), &m.simulation, &opts, &|_, _| {}).unwrap();
/// let slo = "end_to_end.p99 < 50ms".parse().unwrap();
/// let chart = sweep_heatmap(&m, &s, &Default::default(), &[slo]).unwrap();
/// assert_eq!((chart.x_values.len(), chart.y_values.len(), chart.cells.len()), (4, 3, 12));
/// assert_eq!(chart.y_label, "consumers at payments");
/// assert_eq!(chart.value_label, "end-to-end latency p99, worst source (ms)");
/// let util = sweep_heatmap(&m, &s, &"payments.utilisation".parse().unwrap(), &[]).unwrap();
/// assert_eq!(util.value_label, "payments utilisation");
/// assert!(util.title.contains("payments utilisation over offered load"));
/// ```
pub fn sweep_heatmap(
    model: &Model,
    sweep: &Sweep,
    figure: &Figure,
    slos: &[Slo],
) -> Result<HeatmapChart, ChartError> {
    let axis = sweep.second.as_ref().ok_or_else(|| ChartError::InvalidData {
        field: "second".into(),
        problem: "a heatmap needs a two-parameter sweep: give a second parameter (--param2 with --values2 or --from2/--to2/--steps2); chart a one-parameter sweep with sweep_chart".into(),
    })?;
    let mut all: Vec<Slo> = Vec::new();
    for s in model.slo.iter().chain(slos) {
        if !all.contains(s) {
            all.push(s.clone());
        }
    }
    let simulated = sweep.points.iter().any(|p| p.simulated.is_some());
    let (what1, x_label, scale1) = parameter_axis(model, &sweep.parameter);
    let (what2, y_label, scale2) = parameter_axis(model, &axis.parameter);
    let grid: Vec<GridCell> = sweep
        .points
        .iter()
        .map(|p| grid_cell(p, simulated, figure, &all))
        .collect();
    let max = grid
        .iter()
        .filter_map(|c| match c.figure {
            CellFigure::Value(v, _) => Some(v),
            _ => None,
        })
        .fold(0.0, f64::max);
    let (unit, scale) = figure_unit(figure, max);
    let cells: Vec<HeatCell> = grid
        .iter()
        .map(|c| match c.figure {
            CellFigure::Value(v, _) if c.unsettled => HeatCell::Unsettled { value: v * scale },
            CellFigure::Value(v, _) => HeatCell::Value {
                value: v * scale,
                slo_met: c.slo_met,
            },
            CellFigure::Unstable => HeatCell::Unstable,
            CellFigure::Missing => HeatCell::Missing,
        })
        .collect();
    let (lo, hi) = cells
        .iter()
        .filter_map(|c| match c {
            HeatCell::Value { value, .. } | HeatCell::Unsettled { value } => Some(*value),
            _ => None,
        })
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
    let engine = if simulated { "simulated" } else { "analytic" };
    Ok(HeatmapChart {
        title: format!(
            "{}: {} over {what1} × {what2} ({engine})",
            model.name.clone().unwrap_or_else(|| "model".into()),
            if *figure == Figure::default() {
                "p99 latency".to_string()
            } else {
                figure.describe()
            }
        ),
        x_label,
        y_label,
        value_label: if unit.is_empty() {
            figure.describe()
        } else {
            format!("{} ({unit})", figure.describe())
        },
        x_values: sweep.rows().map(|r| r[0].value * scale1).collect(),
        y_values: axis.values.iter().map(|v| v * scale2).collect(),
        cells,
        log_scale: lo > 0.0 && hi / lo >= 3.0,
        slo_label: (!all.is_empty()).then(|| {
            all.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        }),
        size: None,
    })
}

/// What a swept parameter is, for a chart: its meaning (for the title), the axis label
/// with its unit, and the factor from the swept value to the axis. A load multiplier is
/// drawn as the offered rate in messages per second (the sources' mean rates times the
/// multiplier) when the rates are known.
///
/// # Example
/// ```
/// use kendall::Model;
/// use kendall::report::plots::parameter_axis;
/// let m = Model::load(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/single_queue.toml")).unwrap();
/// let (what, label, scale) = parameter_axis(&m, "load");
/// assert_eq!((what.as_str(), scale), ("offered load", 800.0));
/// assert!(label.contains("messages/s"));
/// let (what, _, scale) = parameter_axis(&m, "queue.payments.consumers");
/// assert_eq!((what.as_str(), scale), ("consumers at payments", 1.0));
/// ```
pub fn parameter_axis(model: &Model, parameter: &str) -> (String, String, f64) {
    if parameter == "load" {
        let rates: Option<f64> = model.sources.iter().map(|s| s.arrival.mean_rate()).sum();
        return match rates {
            Some(r) if r > 0.0 && r.is_finite() => (
                "offered load".into(),
                format!(
                    "offered load (messages/s; the scenario's rates = {})",
                    crate::report::num(Some(r))
                ),
                r,
            ),
            _ => (
                "load".into(),
                "load (multiple of the scenario's arrival rates)".into(),
                1.0,
            ),
        };
    }
    let parts: Vec<&str> = parameter.split('.').collect();
    let (what, unit) = match parts.as_slice() {
        ["queue", q, "servers" | "consumers"] => (format!("consumers at {q}"), ""),
        ["queue", q, "service", "mean"] => (format!("mean service time at {q}"), " (s)"),
        ["queue", q, "capacity"] => (format!("capacity of {q}"), " (messages)"),
        ["queue", q, "failure_probability"] => (format!("failure probability at {q}"), ""),
        ["source", s, "arrival", "rate"] | ["source", s, "rate"] => {
            (format!("arrival rate of {s}"), " (messages/s)")
        }
        ["simulation", "horizon"] => ("simulated horizon".into(), " (s)"),
        _ => (parameter.to_string(), ""),
    };
    (what.clone(), format!("{what}{unit}"), 1.0)
}

/// Consumers at the sizing run's curve queue against the primary SLO's value (ms for
/// latencies), with the SLO and the chosen deployment marked. `None` without a curve.
pub fn sizing_chart(r: &SizingResult) -> Option<SizingChart> {
    let queue = r.curve_queue.as_ref()?;
    let slo = r.curve_slo.as_ref()?;
    let chosen = r
        .deployment
        .iter()
        .find(|d| &d.queue == queue)
        .map(|d| d.chosen);
    Some(SizingChart {
        title: format!(
            "{}: consumers at {queue} against {slo}",
            r.model.clone().unwrap_or_else(|| "model".into())
        ),
        x_label: format!("consumers at {queue}"),
        y_label: "latency (ms)".into(),
        analytic: r
            .curve
            .iter()
            .filter_map(|p| p.analytic.map(|v| (p.consumers, v * 1e3)))
            .collect(),
        simulated: r
            .curve
            .iter()
            .filter_map(|p| {
                p.simulated.map(|e| SizingPoint {
                    consumers: p.consumers,
                    mean: e.mean * 1e3,
                    lower: e.lower.unwrap_or(e.mean).min(e.mean) * 1e3,
                    upper: e.upper.unwrap_or(e.mean).max(e.mean) * 1e3,
                })
            })
            .collect(),
        slo: Some((slo.limit * 1e3, format!("SLO {slo}"))),
        chosen,
        unstable_below: r.curve_stable_from,
        y_max: None,
        size: None,
    })
}

/// The time-series resolution `simulate --plot` uses when the settings give none: 1/100 of
/// the run (warm-up plus horizon, [`DEFAULT_HORIZON`](crate::sim::DEFAULT_HORIZON) when
/// the run is limited by completions only), so the chart has about 100 buckets.
///
/// # Example
/// ```
/// use kendall::model::RunSettings;
/// use kendall::report::plots::default_resolution;
/// let s = RunSettings { warmup: 60.0, horizon: Some(540.0), ..RunSettings::default() };
/// assert_eq!(default_resolution(&s), 6.0);
/// ```
pub fn default_resolution(settings: &RunSettings) -> f64 {
    (settings.warmup + settings.horizon.unwrap_or(crate::sim::DEFAULT_HORIZON)) / 100.0
}

/// Queue length and end-to-end latency over time from a simulation report's
/// [`time_series`](SimReport::time_series): per queue and per source, the mean across
/// replications as a line over its confidence band; each source's mean and p99
/// end-to-end latency per bucket, each with its band; the first p99 (else mean)
/// end-to-end latency objective among `slos` as a reference line. Nothing is simulated
/// here: run the simulation with `time_series` set (see [`default_resolution`]).
///
/// Time is in minutes at the middle of each bucket, latency in ms.
///
/// # Errors
/// [`ChartError::InvalidData`] if the report has no time series, or one without the
/// band tables.
///
/// # Example
/// ```
/// use kendall::model::Model;
/// use kendall::report::plots::time_series_chart;
/// let m = Model::load(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/single_queue.toml")).unwrap();
/// let mut s = m.simulation.clone();
/// s.replications = 2;
/// s.horizon = Some(60.0);
/// s.time_series = Some(10.0);
/// let report = kendall::sim::simulate(&m.validate().unwrap(), &s).unwrap();
/// let chart = time_series_chart(&report, &m.slo).unwrap();
/// assert_eq!(chart.panels[0].series[0].name, "payments");
/// ```
pub fn time_series_chart(report: &SimReport, slos: &[Slo]) -> Result<TimeSeriesChart, ChartError> {
    let ts = report
        .time_series
        .as_ref()
        .ok_or_else(|| ChartError::InvalidData {
            field: "time_series".into(),
            problem: "the simulation report has no time series; set simulation.time_series".into(),
        })?;
    let buckets = ts.start.len();
    if ts.queue_length_lower.len() != buckets
        || ts.queue_length_upper.len() != buckets
        || ts.latency_lower.len() != buckets
        || ts.latency_upper.len() != buckets
        || ts.latency_p99.len() != buckets
    {
        return Err(ChartError::InvalidData {
            field: "time_series".into(),
            problem: "the band tables do not match the buckets; simulate again".into(),
        });
    }
    let t = |b: usize| {
        let length = ts.length.get(b).copied().unwrap_or(ts.resolution);
        (ts.start[b] + 0.5 * length) / 60.0
    };
    let queues: Vec<TimeSeries> = ts
        .queues
        .iter()
        .enumerate()
        .map(|(q, name)| TimeSeries {
            name: name.clone(),
            points: (0..buckets)
                .map(|b| BandPoint {
                    t: t(b),
                    mean: ts.queue_length[b][q],
                    lower: ts.queue_length_lower[b][q],
                    upper: ts.queue_length_upper[b][q],
                })
                .collect(),
        })
        .filter(|t| !t.points.is_empty())
        .collect();
    // Per source: the mean latency and the p99 of each bucket, each with its band.
    let tables = [
        ("mean", &ts.latency, &ts.latency_lower, &ts.latency_upper),
        (
            "p99",
            &ts.latency_p99,
            &ts.latency_p99_lower,
            &ts.latency_p99_upper,
        ),
    ];
    let latency: Vec<TimeSeries> = ts
        .sources
        .iter()
        .enumerate()
        .flat_map(|(k, name)| {
            tables
                .iter()
                .map(move |(what, mean, lower, upper)| TimeSeries {
                    name: format!("{name} {what}"),
                    points: (0..buckets)
                        .filter_map(|b| {
                            Some(BandPoint {
                                t: t(b),
                                mean: (*mean)[b][k]? * 1e3,
                                lower: (*lower)[b][k]? * 1e3,
                                upper: (*upper)[b][k]? * 1e3,
                            })
                        })
                        .collect(),
                })
        })
        .filter(|t| !t.points.is_empty())
        .collect();
    // The end-to-end latency SLO to draw: a p99 one first (the panel shows the p99),
    // else a mean one.
    let e2e = |m: Metric| {
        slos.iter().find(move |x| {
            matches!(x.target, Target::AllSources | Target::Source(_)) && x.metric == m
        })
    };
    let slo = e2e(Metric::SojournPercentile(crate::model::Level::P99))
        .or_else(|| e2e(Metric::MeanSojourn));
    let mut panels = vec![TimePanel {
        y_label: "messages in the queue, L".into(),
        series: queues,
        reference: None,
    }];
    if !latency.is_empty() {
        panels.push(TimePanel {
            y_label: "end-to-end latency, mean and p99 (ms)".into(),
            series: latency,
            reference: slo.map(|x| (x.limit * 1e3, format!("SLO {x}"))),
        });
    }
    Ok(TimeSeriesChart {
        title: format!(
            "{}: over time ({} replications, bands = {:.0}% intervals)",
            report.model.clone().unwrap_or_else(|| "model".into()),
            report.replications,
            100.0 * ts.confidence
        ),
        x_label: "time (min)".into(),
        band_label: format!("{:.0}% confidence interval", 100.0 * ts.confidence),
        panels,
        size: None,
        marker: ts
            .warmup_end
            .map(|w| (w / 60.0, format!("warm-up ends ({w:.0} s)"))),
    })
}
