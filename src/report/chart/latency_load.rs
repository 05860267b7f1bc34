//! Latency against load: analytic curves and simulated estimates of one or several
//! systems over a load axis.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use serde::{Deserialize, Serialize};

use super::layout::{
    Corner, Key, Legend, clip_polyline, colour, draw_off_scale, draw_sim, style_mesh_y,
    titled_plot, x_range, y_top,
};
use super::{
    Chart, ChartError, DEFAULT_SIZE, check_interval, check_level, check_size, check_y_max,
    draw_err, finite, render_svg, render_to_path,
};

/// One simulated estimate: the mean over replications and its confidence interval.
///
/// Drawn as a filled point at `mean` with a bar from `lower` to `upper`. The confidence
/// level is the caller's (typically 95 %, Student's t over replications).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SimPoint {
    /// Position on the x axis (load, time, …).
    pub x: f64,
    /// Point estimate.
    pub mean: f64,
    /// Lower confidence bound, `<= mean`.
    pub lower: f64,
    /// Upper confidence bound, `>= mean`.
    pub upper: f64,
    /// The simulation did not settle for this figure (a warning names it: an
    /// overloaded queue, a backlog still growing, a horizon too short for the tail):
    /// drawn as a hollow ring, with a legend entry saying it is not a figure to stand
    /// behind.
    #[serde(default)]
    pub unsettled: bool,
}

/// One system in a [`LatencyLoadChart`]: an analytic curve and simulated estimates.
///
/// Both parts share the series colour and legend entry; either may be empty, not both. To
/// show mean and p99 of one system, pass two series (`"c = 4, mean"`, `"c = 4, p99"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadSeries {
    /// Legend text.
    pub name: String,
    /// Analytic `(load, latency)` points, drawn as a line in the given order.
    #[serde(default)]
    pub analytic: Vec<(f64, f64)>,
    /// Simulated estimates, drawn as points with confidence-interval bars.
    #[serde(default)]
    pub simulated: Vec<SimPoint>,
}

/// Latency against load, for one or several systems.
///
/// # Y-axis range
/// Latency grows without bound as utilisation approaches 1, so an unclipped axis would
/// squash the interesting region (the knee) into the bottom few pixels. The top of the y
/// axis is therefore:
/// - `y_max` when given;
/// - with an `slo` of value `s`: 3 `s`, lowered to 1.1 × the largest plotted value when all
///   data stay lower, but never below 1.6 `s`, so that the SLO line and its label stay
///   below the legend in the top corner;
/// - otherwise 1.1 × the largest plotted value, capped at 10 × the median of the analytic
///   values and simulated means (so a curve run up to ρ = 0.999 does not flatten the rest).
///
/// The legend goes in the upper-left, upper-right or lower-right corner, whichever covers
/// the fewest drawn points (estimated from the label lengths). It always sits inside the
/// plot: with many series or long names on a small canvas it can cover data, so enlarge
/// `size` or shorten the names (text sizes are fixed in pixels, tuned for [`DEFAULT_SIZE`]).
///
/// Lines are cut where they leave the axis; a simulated mean above it is drawn as a
/// triangle just under the top edge. The bottom is 0 (or the smallest value, if negative).
/// The x axis spans all given x values.
///
/// # Example
/// ```
/// use kendall::report::chart::{latency_load_svg, LatencyLoadChart, LoadSeries};
/// let chart = LatencyLoadChart {
///     title: "M/M/1".into(),
///     x_label: "utilisation ρ".into(),
///     y_label: "mean latency (ms)".into(),
///     series: vec![LoadSeries {
///         name: "µ = 100/s".into(),
///         analytic: vec![(0.1, 11.1), (0.5, 20.0), (0.9, 100.0)],
///         simulated: vec![],
///     }],
///     slo: None,
///     y_max: Some(50.0),
///     size: None,
///     log_y: false,
///     saturation: None,
/// };
/// assert!(latency_load_svg(&chart)?.ends_with("</svg>\n"));
/// # Ok::<(), kendall::report::chart::ChartError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LatencyLoadChart {
    /// Chart title.
    pub title: String,
    /// X-axis label with unit, e.g. `"utilisation ρ"` or `"arrival rate × baseline"`.
    pub x_label: String,
    /// Y-axis label with unit, e.g. `"p99 latency (ms)"`.
    pub y_label: String,
    /// The systems compared; at least one with data.
    pub series: Vec<LoadSeries>,
    /// Service-level objective: `(value, label)`, drawn as a dashed line.
    #[serde(default)]
    pub slo: Option<(f64, String)>,
    /// Top of the y axis; see the type's docs for the default.
    #[serde(default)]
    pub y_max: Option<f64>,
    /// `(width, height)` in pixels; [`DEFAULT_SIZE`] when `None`.
    #[serde(default)]
    pub size: Option<(u32, u32)>,
    /// A logarithmic y axis (powers of ten): latencies from milliseconds to the seconds
    /// near saturation on one chart. Values <= 0 sit at the bottom edge.
    #[serde(default)]
    pub log_y: bool,
    /// Where the system has no steady state on the x axis: shaded, with its label in
    /// the legend (e.g. "unstable beyond 1000 messages/s: payments at ρ = 1").
    #[serde(default)]
    pub saturation: Option<UnstableRegion>,
}

/// An x range with no steady state (a queue at ρ >= 1): `from` to `to`, open-ended
/// where `None`; drawn only where it meets the axis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnstableRegion {
    /// Start (`None`: from the left edge).
    pub from: Option<f64>,
    /// End (`None`: to the right edge).
    pub to: Option<f64>,
    /// The legend entry, naming the bottleneck.
    pub label: String,
}

/// Draws a [`LatencyLoadChart`] to `path` (`.svg` or `.png`).
///
/// # Errors
/// [`ChartError::UnsupportedFormat`] for another extension, [`ChartError::InvalidData`]
/// for non-finite values, `lower > mean`, `upper < mean`, no data, or a bad size or
/// `y_max`; [`ChartError::Draw`] or [`ChartError::Write`] if drawing or writing fails, in
/// which case `path` is left as it was.
///
/// # Example
/// ```
/// use kendall::report::chart::{render_latency_load, LatencyLoadChart, LoadSeries, SimPoint};
/// let chart = LatencyLoadChart {
///     title: "Ledger latency".into(),
///     x_label: "utilisation ρ".into(),
///     y_label: "mean latency (ms)".into(),
///     series: vec![LoadSeries {
///         name: "M/M/1".into(),
///         analytic: vec![(0.2, 12.5), (0.5, 20.0), (0.8, 50.0)],
///         simulated: vec![SimPoint { x: 0.5, mean: 19.8, lower: 19.0, upper: 20.6, unsettled: false }],
///     }],
///     slo: None,
///     y_max: None,
///     size: Some((600, 400)),
///     saturation: None,
///     log_y: false,
/// };
/// let path = std::env::temp_dir().join("kendall_doc_latency_load.png");
/// render_latency_load(&chart, &path)?;
/// assert!(std::fs::metadata(&path)?.len() > 1000);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn render_latency_load(chart: &LatencyLoadChart, path: &Path) -> Result<(), ChartError> {
    render_to_path(chart, path)
}

/// A [`LatencyLoadChart`] as an SVG document.
///
/// # Errors
/// As [`render_latency_load`], without the file errors.
///
/// # Example
/// See [`LatencyLoadChart`].
pub fn latency_load_svg(chart: &LatencyLoadChart) -> Result<String, ChartError> {
    render_svg(chart)
}

impl Chart for LatencyLoadChart {
    fn validate(&self) -> Result<(), ChartError> {
        check_size(self.size)?;
        check_y_max(self.y_max)?;
        check_level("slo", &self.slo)?;
        if self.series.is_empty() {
            return Err(ChartError::InvalidData {
                field: "series".into(),
                problem: "is empty; give at least one series".into(),
            });
        }
        for (i, s) in self.series.iter().enumerate() {
            if s.analytic.is_empty() && s.simulated.is_empty() {
                return Err(ChartError::InvalidData {
                    field: format!("series[{i}]"),
                    problem: "has neither analytic nor simulated points".into(),
                });
            }
            for (j, &(x, y)) in s.analytic.iter().enumerate() {
                finite(|| format!("series[{i}].analytic[{j}].0"), x)?;
                finite(|| format!("series[{i}].analytic[{j}].1"), y)?;
            }
            for (j, p) in s.simulated.iter().enumerate() {
                finite(|| format!("series[{i}].simulated[{j}].x"), p.x)?;
                check_interval(
                    &format!("series[{i}].simulated[{j}]"),
                    p.lower,
                    p.mean,
                    p.upper,
                )?;
            }
        }
        Ok(())
    }

    fn pixel_size(&self) -> (u32, u32) {
        self.size.unwrap_or(DEFAULT_SIZE)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError>
    where
        DB::ErrorType: 'static,
    {
        root.fill(&WHITE).map_err(draw_err)?;
        // On a log axis every y is drawn as log₁₀ y, from the decade below the smallest
        // positive value to the decade above the largest one shown.
        let positive = || {
            self.series
                .iter()
                .flat_map(|s| {
                    s.analytic
                        .iter()
                        .map(|p| p.1)
                        .chain(s.simulated.iter().flat_map(|p| [p.lower, p.mean, p.upper]))
                })
                .chain(self.slo.as_ref().map(|l| l.0))
                .filter(|v| *v > 0.0)
        };
        let (floor_decade, ceil_decade) = if self.log_y {
            let lo = positive().fold(f64::INFINITY, f64::min);
            let hi = self.y_max.unwrap_or_else(|| positive().fold(0.0, f64::max));
            if lo.is_finite() && hi > 0.0 {
                let a = lo.log10().floor();
                let b = hi.log10().ceil().max(a + 1.0);
                (a, b)
            } else {
                (0.0, 1.0)
            }
        } else {
            (0.0, 0.0)
        };
        let ty = |v: f64| {
            if self.log_y {
                if v > 0.0 { v.log10() } else { floor_decade }
            } else {
                v
            }
        };
        let series: Vec<LoadSeries> = self
            .series
            .iter()
            .map(|s| LoadSeries {
                name: s.name.clone(),
                analytic: s.analytic.iter().map(|&(x, y)| (x, ty(y))).collect(),
                simulated: s
                    .simulated
                    .iter()
                    .map(|p| SimPoint {
                        x: p.x,
                        mean: ty(p.mean),
                        lower: ty(p.lower),
                        upper: ty(p.upper),
                        unsettled: p.unsettled,
                    })
                    .collect(),
            })
            .collect();
        let slo = self.slo.as_ref().map(|(v, l)| (ty(*v), l.clone()));
        let xs = series.iter().flat_map(|s| {
            s.analytic
                .iter()
                .map(|p| p.0)
                .chain(s.simulated.iter().map(|p| p.x))
        });
        // The unstable region's finite ends are on the axis too.
        let region_ends = self
            .saturation
            .iter()
            .flat_map(|r| [r.from, r.to])
            .flatten()
            .filter(|v| v.is_finite());
        let (x0, x1) = x_range(xs.chain(region_ends));
        let ys = || {
            series.iter().flat_map(|s| {
                s.analytic
                    .iter()
                    .map(|p| p.1)
                    .chain(s.simulated.iter().flat_map(|p| [p.lower, p.upper]))
            })
        };
        let all_max = ys().fold(f64::NEG_INFINITY, f64::max);
        let (bottom, top) = if self.log_y {
            (floor_decade, ceil_decade)
        } else {
            let bottom = ys().fold(0.0, f64::min);
            let levels: Vec<f64> = series
                .iter()
                .flat_map(|s| {
                    s.analytic
                        .iter()
                        .map(|p| p.1)
                        .chain(s.simulated.iter().map(|p| p.mean))
                })
                .collect();
            let top = y_top(self.y_max, slo.as_ref().map(|s| s.0), &levels, all_max);
            (bottom, if top > bottom { top } else { bottom + 1.0 })
        };

        let mut chart = titled_plot(root, &self.title, (x0, x1), (bottom, top))?;
        let decades = self.log_y.then(|| (top - bottom).round() as usize);
        style_mesh_y(&mut chart, &self.x_label, &self.y_label, false, 10, decades)?;
        let mut legend = Legend::new(&chart, (x0, x1), (bottom, top));
        if let Some(region) = &self.saturation {
            let from = region.from.filter(|v| v.is_finite()).unwrap_or(x0).max(x0);
            let to = region.to.filter(|v| v.is_finite()).unwrap_or(x1).min(x1);
            if from < to {
                let grey = RGBColor(120, 120, 120);
                let anno = chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(from, bottom), (to, top)],
                        grey.mix(0.25).filled(),
                    )))
                    .map_err(draw_err)?;
                legend.entry(anno, region.label.clone(), Key::Region(grey));
            }
        }

        for (i, s) in series.iter().enumerate() {
            let c = colour(i);
            let pieces = clip_polyline(&s.analytic, bottom, top);
            if pieces.is_empty() {
                // Simulated only, or every analytic value off the axis.
                legend.key_only(&mut chart, s.name.clone(), Key::Dot(c))?;
            }
            for (k, piece) in pieces.into_iter().enumerate() {
                legend.footprint.line(&piece);
                let anno = chart
                    .draw_series(LineSeries::new(piece, c.stroke_width(3)))
                    .map_err(draw_err)?;
                if k == 0 {
                    legend.entry(anno, s.name.clone(), Key::LineDot(c));
                }
            }
            // Analytic values above the axis (near saturation): triangles at the edge.
            let off = s.analytic.iter().filter(|p| p.1 > top).map(|p| p.0);
            draw_off_scale(&mut chart, off, (bottom, top), c)?;
            draw_sim(&mut chart, &mut legend, &s.simulated, c)?;
        }
        if let Some((v, label)) = &slo {
            legend.level(&mut chart, *v, label, false)?;
        }
        // Values beyond the top are drawn as triangles at the edge: say so.
        if series.iter().any(|s| {
            s.analytic.iter().any(|p| p.1 > top) || s.simulated.iter().any(|p| p.mean > top)
        }) {
            legend.key_only(
                &mut chart,
                "▲ beyond the axis: saturated (see the table)",
                Key::Triangle(BLACK),
            )?;
        }
        if series.iter().any(|s| !s.analytic.is_empty()) {
            legend.key_only(&mut chart, "analytic (line)", Key::Line(BLACK, 2))?;
        }
        if series.iter().any(|s| !s.simulated.is_empty()) {
            legend.key_only(
                &mut chart,
                "simulated mean ± CI (points, bars)",
                Key::PointBar(BLACK),
            )?;
        }
        if series
            .iter()
            .any(|s| s.simulated.iter().any(|p| p.unsettled))
        {
            legend.key_only(
                &mut chart,
                "hollow: simulation did not settle, not a figure to stand behind",
                Key::Ring(BLACK),
            )?;
        }
        legend.draw(
            &mut chart,
            &[Corner::UpperLeft, Corner::UpperRight, Corner::LowerRight],
        )
    }
}
