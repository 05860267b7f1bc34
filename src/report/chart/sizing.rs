//! Sizing: the achieved latency percentile against the number of consumers, with the SLO
//! and the chosen deployment.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use serde::{Deserialize, Serialize};

use super::layout::{
    Corner, Key, Legend, clip_polyline, colour, draw_off_scale, draw_sim, style_mesh, titled_plot,
    y_top,
};
use super::{
    Chart, ChartError, DEFAULT_SIZE, SimPoint, check_interval, check_level, check_size,
    check_y_max, draw_err, finite, render_svg, render_to_path,
};

/// One simulated estimate at a consumer count, for a [`SizingChart`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SizingPoint {
    /// Number of consumers.
    pub consumers: u32,
    /// Point estimate of the achieved percentile.
    pub mean: f64,
    /// Lower confidence bound, `<= mean`.
    pub lower: f64,
    /// Upper confidence bound, `>= mean`.
    pub upper: f64,
}

/// Achieved latency percentile against the number of consumers, with the SLO and the
/// chosen deployment.
///
/// Give analytic values only for stable consumer counts (utilisation < 1). The y axis
/// follows the rule of [`LatencyLoadChart`](super::LatencyLoadChart) (3 × SLO by default), because the percentile
/// explodes at the smallest stable count; values above the axis show as triangles
/// under its top edge. The chosen count is marked by a dotted vertical line and a ring;
/// the counts below `unstable_below` (no steady state) are shaded and named in the
/// legend, so a curve that starts at the floor does not read as slack.
/// The legend goes top right, or top left if that covers fewer drawn points.
///
/// # Example
/// ```
/// use kendall::report::chart::{sizing_svg, SizingChart};
/// let chart = SizingChart {
///     title: "Ledger consumers".into(),
///     x_label: "consumers".into(),
///     y_label: "p99 latency (ms)".into(),
///     analytic: vec![(3, 900.0), (4, 120.0), (5, 60.0), (6, 48.0)],
///     simulated: vec![],
///     slo: Some((100.0, "SLO: p99 ≤ 100 ms".into())),
///     chosen: Some(5),
///     unstable_below: Some(3),
///     y_max: None,
///     size: None,
/// };
/// let svg = sizing_svg(&chart)?;
/// assert!(svg.contains("Ledger consumers") && svg.contains("unstable: fewer than 3 consumers"));
/// # Ok::<(), kendall::report::chart::ChartError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SizingChart {
    /// Chart title.
    pub title: String,
    /// X-axis label, e.g. `"consumers"`.
    pub x_label: String,
    /// Y-axis label with unit, e.g. `"p99 latency (ms)"`.
    pub y_label: String,
    /// Analytic `(consumers, percentile)` values.
    #[serde(default)]
    pub analytic: Vec<(u32, f64)>,
    /// Simulated estimates with confidence intervals.
    #[serde(default)]
    pub simulated: Vec<SizingPoint>,
    /// Service-level objective `(value, label)`, drawn dashed.
    #[serde(default)]
    pub slo: Option<(f64, String)>,
    /// The consumer count chosen for deployment.
    #[serde(default)]
    pub chosen: Option<u32>,
    /// The fewest consumers that keep the queue stable: fewer are shaded as unstable.
    #[serde(default)]
    pub unstable_below: Option<u32>,
    /// Top of the y axis; default as for [`LatencyLoadChart`](super::LatencyLoadChart).
    #[serde(default)]
    pub y_max: Option<f64>,
    /// `(width, height)` in pixels; [`DEFAULT_SIZE`] when `None`.
    #[serde(default)]
    pub size: Option<(u32, u32)>,
}

/// Draws a [`SizingChart`] to `path` (`.svg` or `.png`).
///
/// # Errors
/// As [`render_latency_load`](super::render_latency_load).
///
/// # Example
/// ```
/// use kendall::report::chart::{render_sizing, SizingChart, SizingPoint};
/// let chart = SizingChart {
///     title: "Sizing".into(),
///     x_label: "consumers".into(),
///     y_label: "p99 latency (ms)".into(),
///     analytic: vec![(2, 400.0), (3, 90.0), (4, 60.0)],
///     simulated: vec![SizingPoint { consumers: 3, mean: 92.0, lower: 85.0, upper: 99.0 }],
///     slo: Some((100.0, "SLO: p99 ≤ 100 ms".into())),
///     chosen: Some(3),
///     unstable_below: None,
///     y_max: None,
///     size: None,
/// };
/// render_sizing(&chart, &std::env::temp_dir().join("kendall_doc_sizing.png"))?;
/// # Ok::<(), kendall::report::chart::ChartError>(())
/// ```
pub fn render_sizing(chart: &SizingChart, path: &Path) -> Result<(), ChartError> {
    render_to_path(chart, path)
}

/// A [`SizingChart`] as an SVG document.
///
/// # Errors
/// As [`render_sizing`], without the file errors.
///
/// # Example
/// See [`SizingChart`].
pub fn sizing_svg(chart: &SizingChart) -> Result<String, ChartError> {
    render_svg(chart)
}

impl Chart for SizingChart {
    fn validate(&self) -> Result<(), ChartError> {
        check_size(self.size)?;
        check_y_max(self.y_max)?;
        check_level("slo", &self.slo)?;
        if self.analytic.is_empty() && self.simulated.is_empty() {
            return Err(ChartError::InvalidData {
                field: "analytic".into(),
                problem: "neither analytic nor simulated points given".into(),
            });
        }
        for (j, &(_, y)) in self.analytic.iter().enumerate() {
            finite(|| format!("analytic[{j}].1"), y)?;
        }
        for (j, p) in self.simulated.iter().enumerate() {
            check_interval(&format!("simulated[{j}]"), p.lower, p.mean, p.upper)?;
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
        let analytic: Vec<(f64, f64)> = {
            let mut a: Vec<(f64, f64)> = self
                .analytic
                .iter()
                .map(|&(c, y)| (f64::from(c), y))
                .collect();
            a.sort_by(|p, q| p.0.total_cmp(&q.0));
            a
        };
        let sim: Vec<SimPoint> = self
            .simulated
            .iter()
            .map(|p| SimPoint {
                x: f64::from(p.consumers),
                mean: p.mean,
                lower: p.lower,
                upper: p.upper,
                unsettled: false,
            })
            .collect();
        // The unstable region shows at least one count below the floor.
        let floor = self.unstable_below.filter(|&n| n >= 2);
        let xs = analytic
            .iter()
            .map(|p| p.0)
            .chain(sim.iter().map(|p| p.x))
            .chain(self.chosen.map(f64::from))
            .chain(floor.map(|n| f64::from(n - 1)));
        let (lo, hi) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
            (a.min(x), b.max(x))
        });
        let (x0, x1) = (lo - 0.5, hi + 0.5);
        let ys = || {
            analytic
                .iter()
                .map(|p| p.1)
                .chain(sim.iter().flat_map(|p| [p.lower, p.upper]))
        };
        let all_max = ys().fold(f64::NEG_INFINITY, f64::max);
        let bottom = ys().fold(0.0, f64::min);
        let levels: Vec<f64> = analytic
            .iter()
            .map(|p| p.1)
            .chain(sim.iter().map(|p| p.mean))
            .collect();
        let top = y_top(self.y_max, self.slo.as_ref().map(|s| s.0), &levels, all_max);
        let top = if top > bottom { top } else { bottom + 1.0 };

        let mut chart = titled_plot(root, &self.title, (x0, x1), (bottom, top))?;
        let n_ticks = ((hi - lo) as usize + 1).min(25);
        style_mesh(&mut chart, &self.x_label, &self.y_label, true, n_ticks)?;
        let mut legend = Legend::new(&chart, (x0, x1), (bottom, top));

        if let Some(n) = floor {
            let grey = RGBColor(120, 120, 120);
            let edge = f64::from(n) - 0.5;
            let anno = chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(x0, bottom), (edge, top)],
                    grey.mix(0.35).filled(),
                )))
                .map_err(draw_err)?;
            legend.entry(
                anno,
                format!("unstable: fewer than {n} consumers"),
                Key::Region(grey),
            );
        }
        let c = colour(0);
        if let Some(n) = self.chosen {
            let x = f64::from(n);
            let green = RGBColor(0, 130, 60);
            let anno = chart
                .draw_series(DashedLineSeries::new(
                    vec![(x, bottom), (x, top)],
                    4,
                    4,
                    green.stroke_width(2),
                ))
                .map_err(draw_err)?;
            legend.entry(anno, format!("chosen: {n} consumers"), Key::Ring(green));
            let at = analytic
                .iter()
                .find(|p| p.0 == x)
                .map(|p| p.1)
                .or_else(|| sim.iter().find(|p| p.x == x).map(|p| p.mean));
            if let Some(y) = at.filter(|y| (bottom..=top).contains(y)) {
                chart
                    .draw_series(std::iter::once(Circle::new(
                        (x, y),
                        12,
                        green.stroke_width(3),
                    )))
                    .map_err(draw_err)?;
            }
        }
        if !analytic.is_empty() {
            let pieces = clip_polyline(&analytic, bottom, top);
            if pieces.is_empty() {
                // Every analytic value above the axis: only triangles are drawn.
                legend.key_only(&mut chart, "analytic", Key::Line(c, 3))?;
            }
            for (k, piece) in pieces.into_iter().enumerate() {
                legend.footprint.line(&piece);
                let anno = chart
                    .draw_series(LineSeries::new(piece, c.stroke_width(3)))
                    .map_err(draw_err)?;
                if k == 0 {
                    legend.entry(anno, "analytic", Key::Line(c, 3));
                }
            }
            let inside = || analytic.iter().filter(|p| (bottom..=top).contains(&p.1));
            chart
                .draw_series(inside().map(|&p| Circle::new(p, 4, WHITE.filled())))
                .map_err(draw_err)?;
            chart
                .draw_series(inside().map(|&p| Circle::new(p, 4, c.stroke_width(2))))
                .map_err(draw_err)?;
        }
        // Analytic values above the axis (just above the smallest stable count): a
        // triangle under the top edge, like off-scale simulated means.
        let off = analytic.iter().filter(|p| p.1 > top).map(|p| p.0);
        draw_off_scale(&mut chart, off, (bottom, top), c)?;
        let sim_colour = colour(1);
        if !sim.is_empty() {
            draw_sim(&mut chart, &mut legend, &sim, sim_colour)?;
            legend.key_only(&mut chart, "simulated mean ± CI", Key::PointBar(sim_colour))?;
        }
        if let Some((v, label)) = &self.slo {
            legend.level(&mut chart, *v, label, true)?;
        }
        legend.draw(&mut chart, &[Corner::UpperRight, Corner::UpperLeft])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every analytic value above the axis: only triangles are drawn, and the legend
    /// still explains them.
    #[test]
    fn off_scale_analytic_values_keep_their_legend_entry() {
        let chart = SizingChart {
            title: "t".into(),
            x_label: "consumers".into(),
            y_label: "p99 (ms)".into(),
            analytic: vec![(2, 900.0), (3, 500.0)],
            simulated: vec![],
            slo: Some((100.0, "SLO".into())),
            chosen: None,
            unstable_below: None,
            y_max: None,
            size: None,
        };
        let svg = sizing_svg(&chart).unwrap();
        assert!(svg.contains("analytic"), "{svg}");
    }
}
