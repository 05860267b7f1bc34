//! Charts of kendall's own results: turns sweeps, sizing runs and simulated time
//! series into the chart inputs of [`chart`](super::chart).

use super::chart::{
    BandPoint, LatencyLoadChart, LoadSeries, SimPoint, SizingChart, SizingPoint, TimePanel,
    TimeSeries, TimeSeriesChart,
};
use crate::model::{Metric, Target};
use crate::model::{Model, RunSettings};
use crate::sim::{SimError, run_replication};
use crate::sizing::SizingResult;
use crate::sweep::Sweep;
use rayon::prelude::*;

/// Latency (ms) against the swept parameter: for every source, the analytic end-to-end
/// mean and p99 as lines and the simulated ones as points with confidence bars; the
/// model's first end-to-end latency SLO as a dashed line.
///
/// # Example
/// ```
/// use kendall::report::plots::sweep_chart;
/// use kendall::{Model, SweepOptions, linspace, sweep};
/// let m = Model::load(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/single_queue.toml")).unwrap();
/// let opts = SweepOptions { parameter: "load".into(), values: linspace(0.5, 1.2, 8), analytic: true, simulate: false };
/// let chart = sweep_chart(&m, &sweep(&m.validate().unwrap(), &m.simulation, &opts, &|_, _| {}).unwrap());
/// assert_eq!(chart.series.len(), 2);
/// ```
pub fn sweep_chart(model: &Model, sweep: &Sweep) -> LatencyLoadChart {
    let mut series = Vec::new();
    let x_label = if sweep.parameter == "load" {
        "load (multiple of the scenario's arrival rates)".to_string()
    } else {
        sweep.parameter.clone()
    };
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
                        analytic.push((p.value, v * 1e3));
                    }
                }
                if let Some(e) = p
                    .simulated
                    .as_ref()
                    .and_then(|r| r.source(&s.name))
                    .and_then(|x| x.get(metric))
                {
                    simulated.push(SimPoint {
                        x: p.value,
                        mean: e.mean * 1e3,
                        lower: e.lower.unwrap_or(e.mean).min(e.mean) * 1e3,
                        upper: e.upper.unwrap_or(e.mean).max(e.mean) * 1e3,
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
            "{}: latency against load",
            model.name.clone().unwrap_or_else(|| "model".into())
        ),
        x_label,
        y_label: "end-to-end latency (ms)".into(),
        series,
        slo: slo.map(|s| (s.limit * 1e3, format!("SLO {s}"))),
        y_max: None,
        size: None,
    }
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
        y_max: None,
        size: None,
    })
}

/// Queue length and end-to-end latency over time, mean across replications with a
/// min–max band, from `settings.time_series` buckets (default: 1/100 of the run).
///
/// # Errors
/// Simulation errors.
pub fn time_series_chart(
    model: &Model,
    settings: &RunSettings,
) -> Result<TimeSeriesChart, SimError> {
    let mut s = settings.clone();
    if s.time_series.is_none() {
        let total = s.warmup + s.horizon.unwrap_or(crate::sim::DEFAULT_HORIZON);
        s.time_series = Some(total / 100.0);
    }
    let valid = model.validate()?;
    let runs: Vec<_> = (0..s.replications)
        .into_par_iter()
        .map(|i| run_replication(&valid, &s, i))
        .collect::<Result<_, _>>()?;
    let buckets = runs.iter().map(|r| r.series.len()).min().unwrap_or(0);
    let band = |get: &dyn Fn(&crate::sim::SeriesBucket) -> Option<f64>| -> Vec<BandPoint> {
        (0..buckets)
            .filter_map(|b| {
                let vals: Vec<f64> = runs.iter().filter_map(|r| get(&r.series[b])).collect();
                if vals.is_empty() {
                    return None;
                }
                let mean = vals.iter().sum::<f64>() / vals.len() as f64;
                let lower = vals.iter().copied().fold(f64::INFINITY, f64::min);
                let upper = vals.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let bucket = &runs[0].series[b];
                Some(BandPoint {
                    t: (bucket.start + 0.5 * bucket.length) / 60.0,
                    mean,
                    lower,
                    upper,
                })
            })
            .collect()
    };
    let queues: Vec<TimeSeries> = model
        .queues
        .iter()
        .enumerate()
        .map(|(q, queue)| TimeSeries {
            name: queue.name.clone(),
            points: band(&|b| b.queue_length.get(q).copied()),
        })
        .filter(|t| !t.points.is_empty())
        .collect();
    let latency: Vec<TimeSeries> = model
        .sources
        .iter()
        .enumerate()
        .map(|(k, src)| TimeSeries {
            name: format!("{} end-to-end", src.name),
            points: band(&|b| b.latency.get(k).copied().flatten().map(|v| v * 1e3)),
        })
        .filter(|t| !t.points.is_empty())
        .collect();
    let slo = model.slo.iter().find(|x| {
        matches!(x.target, Target::AllSources | Target::Source(_))
            && x.metric == Metric::MeanSojourn
    });
    let mut panels = vec![TimePanel {
        y_label: "messages in the queue, L".into(),
        series: queues,
        reference: None,
    }];
    if !latency.is_empty() {
        panels.push(TimePanel {
            y_label: "mean latency (ms)".into(),
            series: latency,
            reference: slo.map(|x| (x.limit * 1e3, format!("SLO {x}"))),
        });
    }
    Ok(TimeSeriesChart {
        title: format!(
            "{}: over time ({} replications, band = min–max)",
            model.name.clone().unwrap_or_else(|| "model".into()),
            s.replications
        ),
        x_label: "time (min)".into(),
        band_label: "min–max over replications".into(),
        panels,
        size: None,
    })
}
