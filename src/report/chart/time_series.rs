//! Quantities over time: one panel per quantity, a mean line over a shaded band per
//! series.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use serde::{Deserialize, Serialize};

use super::layout::{
    Corner, Key, Legend, colour, legend_headroom, style_mesh, title_font, x_range,
};
use super::{
    Chart, ChartError, DEFAULT_SIZE, check_interval, check_level, check_size, draw_err, finite,
    render_svg, render_to_path,
};

/// One point of a time series: the mean over replications and a band around it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BandPoint {
    /// Time, in the unit of the chart's x label.
    pub t: f64,
    /// Mean across replications.
    pub mean: f64,
    /// Bottom of the band (minimum, or lower confidence bound), `<= mean`.
    pub lower: f64,
    /// Top of the band (maximum, or upper confidence bound), `>= mean`.
    pub upper: f64,
}

/// One curve of a [`TimePanel`]: a mean line over a shaded band.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimeSeries {
    /// Legend text.
    pub name: String,
    /// Points in increasing time; at least one.
    pub points: Vec<BandPoint>,
}

/// One panel (one y quantity) of a [`TimeSeriesChart`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimePanel {
    /// Y-axis label with unit, e.g. `"queue length (messages)"`.
    pub y_label: String,
    /// Curves drawn in this panel; at least one.
    pub series: Vec<TimeSeries>,
    /// Optional reference level `(value, label)`, e.g. an SLO, drawn dashed.
    #[serde(default)]
    pub reference: Option<(f64, String)>,
}

/// Quantities over time (e.g. a peak-hour profile), one panel per quantity, stacked
/// vertically over a shared time axis.
///
/// Each panel's y axis runs from 0 (or the lowest band value, if negative) to above the
/// highest band value or reference level, by as much as the legend in the top right corner
/// needs (estimated from its number of entries and the panel height).
///
/// # Example
/// ```
/// use kendall::report::chart::{time_series_svg, BandPoint, TimePanel, TimeSeries, TimeSeriesChart};
/// let pts = (0..=60).map(|m| {
///     let mean = 10.0 + (m as f64 / 10.0).sin().abs() * 5.0;
///     BandPoint { t: m as f64, mean, lower: mean - 2.0, upper: mean + 3.0 }
/// }).collect();
/// let chart = TimeSeriesChart {
///     title: "Peak hour".into(),
///     x_label: "time (min)".into(),
///     band_label: "min–max over 10 replications".into(),
///     panels: vec![TimePanel {
///         y_label: "queue length (messages)".into(),
///         series: vec![TimeSeries { name: "orders".into(), points: pts }],
///         reference: None,
///     }],
///     size: None,
///     marker: Some((5.0, "end of warm-up".into())),
/// };
/// assert!(time_series_svg(&chart)?.contains("Peak hour"));
/// # Ok::<(), kendall::report::chart::ChartError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimeSeriesChart {
    /// Chart title.
    pub title: String,
    /// X-axis label with unit, e.g. `"time (min)"`.
    pub x_label: String,
    /// What the shaded band is, shown in the legend, e.g. `"95 % CI over 20 replications"`.
    pub band_label: String,
    /// Panels, top to bottom; at least one.
    pub panels: Vec<TimePanel>,
    /// `(width, height)` in pixels; [`DEFAULT_SIZE`] (taller per extra panel) when `None`.
    #[serde(default)]
    pub size: Option<(u32, u32)>,
    /// A time to mark on every panel `(t, label)` (in the x unit), drawn as a dotted
    /// vertical line, e.g. the end of the warm-up: what lies before it is not in the
    /// run's statistics.
    #[serde(default)]
    pub marker: Option<(f64, String)>,
}

/// Draws a [`TimeSeriesChart`] to `path` (`.svg` or `.png`).
///
/// # Errors
/// As [`render_latency_load`](super::render_latency_load); also [`ChartError::InvalidData`] if a series' times do not
/// increase.
///
/// # Example
/// ```
/// use kendall::report::chart::{render_time_series, BandPoint, TimePanel, TimeSeries, TimeSeriesChart};
/// let points = (0..=10).map(|s| BandPoint { t: s as f64, mean: 3.0, lower: 2.0, upper: 4.5 }).collect();
/// let chart = TimeSeriesChart {
///     title: "Queue over time".into(),
///     x_label: "time (s)".into(),
///     band_label: "min–max over 5 replications".into(),
///     panels: vec![TimePanel {
///         y_label: "queue length".into(),
///         series: vec![TimeSeries { name: "payments".into(), points }],
///         reference: None,
///     }],
///     size: None,
///     marker: Some((5.0, "end of warm-up".into())),
/// };
/// render_time_series(&chart, &std::env::temp_dir().join("kendall_doc_time.svg"))?;
/// # Ok::<(), kendall::report::chart::ChartError>(())
/// ```
pub fn render_time_series(chart: &TimeSeriesChart, path: &Path) -> Result<(), ChartError> {
    render_to_path(chart, path)
}

/// A [`TimeSeriesChart`] as an SVG document.
///
/// # Errors
/// As [`render_time_series`], without the file errors.
///
/// # Example
/// See [`TimeSeriesChart`].
pub fn time_series_svg(chart: &TimeSeriesChart) -> Result<String, ChartError> {
    render_svg(chart)
}

impl Chart for TimeSeriesChart {
    fn validate(&self) -> Result<(), ChartError> {
        check_size(self.size)?;
        if self.panels.is_empty() {
            return Err(ChartError::InvalidData {
                field: "panels".into(),
                problem: "is empty; give at least one panel".into(),
            });
        }
        if let Some((t, _)) = &self.marker {
            finite(|| "marker".into(), *t)?;
        }
        for (i, panel) in self.panels.iter().enumerate() {
            check_level(&format!("panels[{i}].reference"), &panel.reference)?;
            if panel.series.is_empty() {
                return Err(ChartError::InvalidData {
                    field: format!("panels[{i}].series"),
                    problem: "is empty; give at least one series".into(),
                });
            }
            for (j, s) in panel.series.iter().enumerate() {
                if s.points.is_empty() {
                    return Err(ChartError::InvalidData {
                        field: format!("panels[{i}].series[{j}].points"),
                        problem: "is empty".into(),
                    });
                }
                for (k, p) in s.points.iter().enumerate() {
                    let f = format!("panels[{i}].series[{j}].points[{k}]");
                    finite(|| format!("{f}.t"), p.t)?;
                    check_interval(&f, p.lower, p.mean, p.upper)?;
                    if k > 0 && p.t <= s.points[k - 1].t {
                        return Err(ChartError::InvalidData {
                            field: format!("{f}.t"),
                            problem: "times must increase strictly; sort the points".into(),
                        });
                    }
                }
            }
        }
        Ok(())
    }

    fn pixel_size(&self) -> (u32, u32) {
        let extra = (self.panels.len().saturating_sub(1) as u32).min(4);
        self.size
            .unwrap_or((DEFAULT_SIZE.0, DEFAULT_SIZE.1 + 380 * extra))
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError>
    where
        DB::ErrorType: 'static,
    {
        root.fill(&WHITE).map_err(draw_err)?;
        // The same gap above the title as `ChartBuilder::caption` leaves on the other charts.
        let body = root
            .margin(12, 0, 0, 0)
            .titled(&self.title, title_font())
            .map_err(draw_err)?;
        let xs = self
            .panels
            .iter()
            .flat_map(|p| p.series.iter().flat_map(|s| s.points.iter().map(|q| q.t)));
        let (x0, x1) = x_range(xs);
        let areas = body.split_evenly((self.panels.len(), 1));
        let last = self.panels.len() - 1;
        for (pi, (panel, area)) in self.panels.iter().zip(areas.iter()).enumerate() {
            let pts = || panel.series.iter().flat_map(|s| s.points.iter());
            let hi = pts()
                .map(|p| p.upper)
                .chain(panel.reference.as_ref().map(|r| r.0))
                .fold(f64::NEG_INFINITY, f64::max);
            let bottom = pts().map(|p| p.lower).fold(0.0, f64::min);
            // Leave the top free for the legend (series, reference, band key).
            let entries = panel.series.len() + usize::from(panel.reference.is_some()) + 1;
            let x_area = if pi == last { 60 } else { 35 };
            let plot_h = f64::from(area.dim_in_pixel().1.saturating_sub(30 + x_area).max(1));
            let legend_frac = legend_headroom(entries, plot_h);
            let top = if hi > bottom {
                bottom + (hi - bottom) / (1.0 - legend_frac)
            } else {
                bottom + 1.0
            };
            let mut chart = ChartBuilder::on(area)
                .margin(20)
                .margin_top(10)
                .x_label_area_size(x_area)
                .y_label_area_size(85)
                .build_cartesian_2d(x0..x1, bottom..top)
                .map_err(draw_err)?;
            let x_label = if pi == last {
                self.x_label.as_str()
            } else {
                ""
            };
            style_mesh(&mut chart, x_label, &panel.y_label, false, 12)?;
            let mut legend = Legend::new(&chart, (x0, x1), (bottom, top));
            for (si, s) in panel.series.iter().enumerate() {
                let c = colour(si);
                let band: Vec<(f64, f64)> = s
                    .points
                    .iter()
                    .map(|p| (p.t, p.upper))
                    .chain(s.points.iter().rev().map(|p| (p.t, p.lower)))
                    .collect();
                chart
                    .draw_series(std::iter::once(Polygon::new(band, c.mix(0.22).filled())))
                    .map_err(draw_err)?;
                let anno = chart
                    .draw_series(LineSeries::new(
                        s.points.iter().map(|p| (p.t, p.mean)),
                        c.stroke_width(3),
                    ))
                    .map_err(draw_err)?;
                legend.entry(anno, s.name.clone(), Key::Band(c));
            }
            if let Some((v, label)) = &panel.reference {
                legend.level(&mut chart, *v, label, false)?;
            }
            if let Some((t, label)) = &self.marker
                && (x0..=x1).contains(t)
            {
                let grey = RGBColor(90, 90, 90);
                chart
                    .draw_series(DashedLineSeries::new(
                        vec![(*t, bottom), (*t, top)],
                        4,
                        4,
                        grey.stroke_width(2),
                    ))
                    .map_err(draw_err)?;
                if pi == 0 {
                    let style = ("sans-serif", 15).into_font().color(&grey);
                    chart
                        .draw_series(std::iter::once(
                            EmptyElement::at((*t, bottom))
                                + Text::new(label.clone(), (6, -22), style),
                        ))
                        .map_err(draw_err)?;
                }
            }
            legend.key_only(
                &mut chart,
                format!("line: mean; band: {}", self.band_label),
                Key::Band(RGBColor(90, 90, 90)),
            )?;
            // The headroom above keeps the top right free.
            legend.draw(&mut chart, &[Corner::UpperRight])?;
        }
        Ok(())
    }
}
