//! Heatmap: one figure over a grid of two parameters (a two-parameter sweep), each cell
//! coloured by its value on a colour bar, with cells where an SLO is not met hatched and
//! unstable or missing points greyed.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use serde::{Deserialize, Serialize};

use super::layout::{AXIS_PX, FONT, Key, LEGEND_PX, TICK_PX, tick_label, title_font_fitting};
use super::{
    Chart, ChartError, DEFAULT_SIZE, check_size, draw_err, finite, render_svg, render_to_path,
};

/// Fill of an unstable cell.
const UNSTABLE: RGBColor = RGBColor(150, 150, 150);
/// Fill of a cell without a figure.
const MISSING: RGBColor = RGBColor(228, 228, 228);
/// Width of the side panel (colour bar and legend), pixels.
const SIDE_PX: u32 = 260;

/// One cell of a [`HeatmapChart`]; in JSON tagged by `kind`.
///
/// # Example
/// ```
/// use kendall::report::chart::HeatCell;
/// let c: HeatCell = serde_json::from_str(r#"{"kind": "value", "value": 12.5, "slo_met": false}"#)?;
/// assert_eq!(c, HeatCell::Value { value: 12.5, slo_met: Some(false) });
/// assert_eq!(serde_json::to_string(&HeatCell::Unstable)?, r#"{"kind":"unstable"}"#);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum HeatCell {
    /// A figure, in the unit of [`HeatmapChart::value_label`], coloured on the colour
    /// bar; `slo_met: Some(false)` hatches the cell.
    Value {
        /// The figure.
        value: f64,
        /// Whether the SLOs hold here (`None`: no SLO, or not known).
        #[serde(default)]
        slo_met: Option<bool>,
    },
    /// A simulated figure the run did not settle for (a simulator warning names it):
    /// coloured like a value, its text marked "?", and named in the legend.
    Unsettled {
        /// The figure.
        value: f64,
    },
    /// No steady state (a utilisation of at least 1): a grey cell.
    Unstable,
    /// No figure (the point failed, or no method gives one): a light grey cell.
    Missing,
}

/// One figure over a grid of two parameters: columns are the first parameter's values
/// (x, left to right), rows the second's (y, bottom to top), drawn as equal cells with
/// each value as a tick label whatever the spacing of the values.
///
/// Cell colours follow the viridis map (dark purple low, yellow high; readable with the
/// common colour-vision deficiencies and in grey), on a logarithmic scale when
/// `log_scale` (for figures spanning orders of magnitude, such as latencies near
/// saturation) or a linear one; the colour bar at the right names `value_label` and its
/// ticks. Cells where an SLO is not met are hatched, unstable cells are mid grey and
/// cells without a figure light grey; the legend under the colour bar lists the marks
/// that occur (and the SLO mark whenever `slo_label` is given). Each cell shows its
/// value when the cells are large enough for text.
///
/// # Example
/// ```
/// use kendall::report::chart::{heatmap_svg, HeatCell, HeatmapChart};
/// let chart = HeatmapChart {
///     title: "p99 over load × consumers".into(),
///     x_label: "offered load (messages/s)".into(),
///     y_label: "consumers at payments".into(),
///     value_label: "end-to-end p99 latency (ms)".into(),
///     x_values: vec![400.0, 800.0],
///     y_values: vec![9.0, 10.0],
///     cells: vec![
///         HeatCell::Value { value: 21.0, slo_met: Some(true) },
///         HeatCell::Value { value: 15.0, slo_met: Some(true) },
///         HeatCell::Unstable,
///         HeatCell::Value { value: 480.0, slo_met: Some(false) },
///     ],
///     log_scale: true,
///     slo_label: Some("end_to_end.p99 < 200ms".into()),
///     size: None,
/// };
/// let svg = heatmap_svg(&chart)?;
/// assert!(svg.contains("SLO not met") && svg.contains("unstable"));
/// # Ok::<(), kendall::report::chart::ChartError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeatmapChart {
    /// Chart title.
    pub title: String,
    /// X-axis label with unit (the first parameter).
    pub x_label: String,
    /// Y-axis label with unit (the second parameter).
    pub y_label: String,
    /// The figure with its unit, over the colour bar, e.g. `"end-to-end p99 latency (ms)"`.
    pub value_label: String,
    /// The columns' values, left to right (at least one, finite).
    pub x_values: Vec<f64>,
    /// The rows' values, bottom to top (at least one, finite).
    pub y_values: Vec<f64>,
    /// `x_values.len() × y_values.len()` cells, row-major by x: `cells[i *
    /// y_values.len() + j]` is at `(x_values[i], y_values[j])` (the order of a
    /// two-parameter [`Sweep`](crate::Sweep)'s points).
    pub cells: Vec<HeatCell>,
    /// A logarithmic colour scale (every value > 0) instead of a linear one.
    #[serde(default)]
    pub log_scale: bool,
    /// The SLOs behind the hatching, for the legend, one line each (`None`: no SLO, no
    /// legend entry unless a cell is marked not met).
    #[serde(default)]
    pub slo_label: Option<String>,
    /// `(width, height)` in pixels; [`DEFAULT_SIZE`] when `None`.
    #[serde(default)]
    pub size: Option<(u32, u32)>,
}

/// Draws a [`HeatmapChart`] to `path` (`.svg` or `.png`).
///
/// # Errors
/// [`ChartError::UnsupportedFormat`] for another extension, [`ChartError::InvalidData`]
/// for no rows or columns, a number of cells other than rows × columns, a value that is
/// not finite (or not > 0 on a log scale), or a bad size; [`ChartError::Draw`] or
/// [`ChartError::Write`] if drawing or writing fails, in which case `path` is left as
/// it was.
///
/// # Example
/// ```
/// use kendall::report::chart::{render_heatmap, HeatCell, HeatmapChart};
/// let chart = HeatmapChart {
///     title: "p99".into(),
///     x_label: "load".into(),
///     y_label: "consumers".into(),
///     value_label: "p99 (ms)".into(),
///     x_values: vec![0.5, 1.0],
///     y_values: vec![2.0],
///     cells: vec![HeatCell::Value { value: 3.0, slo_met: None }, HeatCell::Missing],
///     log_scale: false,
///     slo_label: None,
///     size: Some((700, 400)),
/// };
/// let path = std::env::temp_dir().join("kendall_doc_heatmap.png");
/// render_heatmap(&chart, &path)?;
/// assert!(std::fs::metadata(&path)?.len() > 1000);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn render_heatmap(chart: &HeatmapChart, path: &Path) -> Result<(), ChartError> {
    render_to_path(chart, path)
}

/// A [`HeatmapChart`] as an SVG document.
///
/// # Errors
/// As [`render_heatmap`], without the file errors.
///
/// # Example
/// See [`HeatmapChart`].
pub fn heatmap_svg(chart: &HeatmapChart) -> Result<String, ChartError> {
    render_svg(chart)
}

/// Viridis at five stops (matplotlib's, 0, ¼, ½, ¾, 1), interpolated linearly.
const VIRIDIS: [(f64, f64, f64); 5] = [
    (68.0, 1.0, 84.0),
    (59.0, 82.0, 139.0),
    (33.0, 145.0, 140.0),
    (94.0, 201.0, 98.0),
    (253.0, 231.0, 37.0),
];

/// The colour at `t` in 0..=1 (clamped) of the viridis map.
fn viridis(t: f64) -> RGBColor {
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let x = t * (VIRIDIS.len() - 1) as f64;
    let k = (x.floor() as usize).min(VIRIDIS.len() - 2);
    let f = x - k as f64;
    let (a, b) = (VIRIDIS[k], VIRIDIS[k + 1]);
    let mix = |p: f64, q: f64| (p + f * (q - p)).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// Black or white, whichever reads better on `c`.
fn ink_on(c: RGBColor) -> RGBColor {
    let luma = 0.299 * f64::from(c.0) + 0.587 * f64::from(c.1) + 0.114 * f64::from(c.2);
    if luma > 140.0 { BLACK } else { WHITE }
}

/// A value with three significant digits: `0.0123`, `4.56`, `789`, `12345`.
fn short(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let decimals = (2 - v.abs().log10().floor() as i32).clamp(0, 6) as usize;
    format!("{v:.decimals$}")
}

/// A parameter value as a tick label: four significant digits at most, trailing zeros
/// dropped (`1012`, `957.2`, `0.35`, `12`).
fn value_label(v: f64) -> String {
    if v == 0.0 || !v.is_finite() || v.abs() >= 1e4 {
        return tick_label(v.round());
    }
    let decimals = (3 - v.abs().log10().floor() as i32).clamp(0, 8) as usize;
    tick_label(format!("{v:.decimals$}").parse().unwrap_or(v))
}

/// The colour scale: where a value sits between the ends, 0..=1.
struct Scale {
    lo: f64,
    hi: f64,
    log: bool,
}

impl Scale {
    fn new(values: &[f64], log: bool) -> Self {
        let (mut lo, mut hi) = values
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
                (a.min(v), b.max(v))
            });
        if !lo.is_finite() {
            (lo, hi) = (1.0, 10.0);
        }
        if hi <= lo {
            (lo, hi) = if log || lo > 0.0 {
                (lo / 2.0, hi * 2.0)
            } else {
                (lo - 1.0, hi + 1.0)
            };
        }
        Self { lo, hi, log }
    }

    fn t(&self, v: f64) -> f64 {
        if self.log {
            (v.ln() - self.lo.ln()) / (self.hi.ln() - self.lo.ln())
        } else {
            (v - self.lo) / (self.hi - self.lo)
        }
    }

    /// Tick values and labels on the bar: [`Scale::nice_ticks`], and either end (to three
    /// significant digits) when no tick is near it.
    fn ticks(&self) -> Vec<(f64, String)> {
        let nice = self.nice_ticks();
        let mut ticks: Vec<(f64, String)> = nice.iter().map(|&v| (v, tick_label(v))).collect();
        for end in [self.lo, self.hi] {
            if nice.iter().all(|&v| (self.t(v) - self.t(end)).abs() > 0.1) {
                let label = short(end);
                let label = match label.contains('.') {
                    true => label
                        .trim_end_matches('0')
                        .trim_end_matches('.')
                        .to_string(),
                    false => label,
                };
                ticks.push((end, label));
            }
        }
        ticks
    }

    /// Round tick values: decades (with 2 and 5, or every digit, when there are few) on
    /// a log scale, 1-2-5 steps on a linear one.
    fn nice_ticks(&self) -> Vec<f64> {
        let inside = |v: &f64| *v >= self.lo * (1.0 - 1e-9) && *v <= self.hi * (1.0 + 1e-9);
        if self.log {
            let (a, b) = (
                self.lo.log10().floor() as i32,
                self.hi.log10().ceil() as i32,
            );
            let decades: Vec<f64> = (a..=b).map(|k| 10f64.powi(k)).collect();
            let mut ticks: Vec<f64> = decades.iter().copied().filter(inside).collect();
            for multiples in [
                &[1.0, 2.0, 5.0][..],
                &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0],
            ] {
                if ticks.len() < 3 {
                    ticks = decades
                        .iter()
                        .flat_map(|d| multiples.iter().map(move |m| d * m))
                        .filter(inside)
                        .collect();
                }
            }
            ticks
        } else {
            let raw = (self.hi - self.lo) / 5.0;
            let mag = 10f64.powf(raw.log10().floor());
            let step = [1.0, 2.0, 5.0, 10.0]
                .iter()
                .map(|m| m * mag)
                .find(|s| *s >= raw)
                .unwrap_or(10.0 * mag);
            let first = (self.lo / step).ceil() as i64;
            let last = (self.hi / step).floor() as i64;
            (first..=last).map(|k| k as f64 * step).collect()
        }
    }
}

impl HeatmapChart {
    fn values(&self) -> Vec<f64> {
        self.cells
            .iter()
            .filter_map(|c| match c {
                HeatCell::Value { value, .. } | HeatCell::Unsettled { value } => Some(*value),
                _ => None,
            })
            .collect()
    }

    /// The side legend's entries: key and lines of text.
    fn legend(&self) -> Vec<(Key, Vec<String>)> {
        let mut entries = vec![];
        let not_met = self.cells.iter().any(|c| {
            matches!(
                c,
                HeatCell::Value {
                    slo_met: Some(false),
                    ..
                }
            )
        });
        if self.slo_label.is_some() || not_met {
            let mut lines = vec!["SLO not met (hatched)".to_string()];
            if let Some(s) = &self.slo_label {
                lines.extend(s.lines().map(str::to_string));
            }
            entries.push((Key::Hatched(RGBColor(245, 245, 245), BLACK), lines));
        }
        if self
            .cells
            .iter()
            .any(|c| matches!(c, HeatCell::Unsettled { .. }))
        {
            entries.push((
                Key::Swatch(viridis(0.5)),
                vec![
                    "? not settled".into(),
                    "(a simulator warning".into(),
                    "names the figure)".into(),
                ],
            ));
        }
        if self.cells.contains(&HeatCell::Unstable) {
            entries.push((
                Key::Swatch(UNSTABLE),
                vec!["unstable".into(), "(utilisation ≥ 1)".into()],
            ));
        }
        if self.cells.contains(&HeatCell::Missing) {
            entries.push((
                Key::Swatch(MISSING),
                vec!["no figure".into(), "(error or no method)".into()],
            ));
        }
        entries
    }

    /// Draws the colour bar and the legend in the side panel.
    fn draw_side<DB: DrawingBackend>(
        &self,
        side: &DrawingArea<DB, Shift>,
        scale: &Scale,
        bar_top: i32,
        bar_bottom: i32,
    ) -> Result<(), ChartError>
    where
        DB::ErrorType: 'static,
    {
        let text = |s: &str, at: (i32, i32), pos: Pos, px: f64| {
            side.draw(&Text::new(
                s.to_string(),
                at,
                (FONT, px).into_font().color(&BLACK).pos(pos),
            ))
            .map_err(draw_err)
        };
        let left = 16;
        let width = 26;
        text(
            &self.value_label,
            (left - 4, bar_top - 14),
            Pos::new(HPos::Left, VPos::Bottom),
            LEGEND_PX,
        )?;
        if scale.log {
            text(
                "(log scale)",
                (left - 4, bar_top - 14),
                Pos::new(HPos::Left, VPos::Top),
                TICK_PX - 3.0,
            )?;
        }
        let bar_top = bar_top + if scale.log { 10 } else { 0 };
        let height = (bar_bottom - bar_top).max(20);
        let steps = height.max(1);
        for k in 0..steps {
            let t = 1.0 - (f64::from(k) + 0.5) / f64::from(steps);
            let y = bar_top + k;
            side.draw(&Rectangle::new(
                [(left, y), (left + width, y + 1)],
                viridis(t).filled(),
            ))
            .map_err(draw_err)?;
        }
        side.draw(&Rectangle::new(
            [(left, bar_top), (left + width, bar_top + height)],
            RGBColor(120, 120, 120).stroke_width(1),
        ))
        .map_err(draw_err)?;
        for (v, label) in scale.ticks() {
            let t = scale.t(v).clamp(0.0, 1.0);
            let y = bar_top + ((1.0 - t) * f64::from(height)).round() as i32;
            side.draw(&PathElement::new(
                vec![(left + width, y), (left + width + 6, y)],
                BLACK.stroke_width(1),
            ))
            .map_err(draw_err)?;
            text(
                &label,
                (left + width + 10, y),
                Pos::new(HPos::Left, VPos::Center),
                TICK_PX,
            )?;
        }
        // The legend under the bar.
        let mut y = bar_top + height + 36;
        for (key, lines) in self.legend() {
            key.draw_at(side, (left + 4, y))?;
            for (n, line) in lines.iter().enumerate() {
                let px = if n == 0 { LEGEND_PX } else { TICK_PX - 2.0 };
                text(line, (left + 30, y), Pos::new(HPos::Left, VPos::Center), px)?;
                y += if n == 0 { 20 } else { 17 };
            }
            y += 10;
        }
        Ok(())
    }
}

impl Chart for HeatmapChart {
    fn validate(&self) -> Result<(), ChartError> {
        check_size(self.size)?;
        for (field, values) in [("x_values", &self.x_values), ("y_values", &self.y_values)] {
            if values.is_empty() {
                return Err(ChartError::InvalidData {
                    field: field.into(),
                    problem: "is empty; give at least one value".into(),
                });
            }
            for (i, v) in values.iter().enumerate() {
                finite(|| format!("{field}[{i}]"), *v)?;
            }
        }
        let n = self.x_values.len() * self.y_values.len();
        if self.cells.len() != n {
            return Err(ChartError::InvalidData {
                field: "cells".into(),
                problem: format!(
                    "has {} cells for {} × {} values; give one per pair, row-major by x",
                    self.cells.len(),
                    self.x_values.len(),
                    self.y_values.len()
                ),
            });
        }
        for (i, c) in self.cells.iter().enumerate() {
            if let HeatCell::Value { value, .. } | HeatCell::Unsettled { value } = c {
                finite(|| format!("cells[{i}].value"), *value)?;
                if self.log_scale && *value <= 0.0 {
                    return Err(ChartError::InvalidData {
                        field: format!("cells[{i}].value"),
                        problem: format!(
                            "{value} is not > 0 on a log scale; set log_scale = false"
                        ),
                    });
                }
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
        let (width, _) = root.dim_in_pixel();
        let body = root
            .titled(&self.title, title_font_fitting(&self.title, width))
            .map_err(draw_err)?;
        let (w, _) = body.dim_in_pixel();
        let side_px = SIDE_PX.min(w / 3);
        let (main, side) = body.split_horizontally(w - side_px);
        let (nx, ny) = (self.x_values.len(), self.y_values.len());
        let (x0, x1) = (-0.5, nx as f64 - 0.5);
        let (y0, y1) = (-0.5, ny as f64 - 0.5);
        // Room for the widest y tick label and the rotated axis label.
        let widest = self
            .y_values
            .iter()
            .map(|v| value_label(*v).chars().count())
            .max()
            .unwrap_or(1);
        let y_area = (widest as u32 * 10 + 45).clamp(70, 160);
        let mut chart = ChartBuilder::on(&main)
            .margin(20)
            .x_label_area_size(60)
            .y_label_area_size(y_area)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(draw_err)?;
        let (pw, ph) = chart.plotting_area().dim_in_pixel();
        // Ticks at the cell centres (whole numbers), labelled with the values.
        let label = |values: &[f64], v: f64| {
            let i = v.round();
            if (v - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < values.len() {
                value_label(values[i as usize])
            } else {
                String::new()
            }
        };
        let x_fmt = |v: &f64| label(&self.x_values, *v);
        let y_fmt = |v: &f64| label(&self.y_values, *v);
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc(self.x_label.as_str())
            .y_desc(self.y_label.as_str())
            .axis_desc_style((FONT, AXIS_PX))
            .label_style((FONT, TICK_PX))
            .x_labels(nx.min((pw / 60).max(1) as usize))
            .y_labels(ny.min((ph / 24).max(1) as usize))
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .draw()
            .map_err(draw_err)?;

        let scale = Scale::new(&self.values(), self.log_scale);
        let cell_px = (f64::from(pw) / nx as f64, f64::from(ph) / ny as f64);
        let with_text = cell_px.0 >= 48.0 && cell_px.1 >= 20.0;
        let cell_font = (FONT, (TICK_PX - 2.0).min(cell_px.1 * 0.6));
        for (k, cell) in self.cells.iter().enumerate() {
            let (i, j) = ((k / ny) as f64, (k % ny) as f64);
            let (fill, text, hatch) = match *cell {
                HeatCell::Value { value, slo_met } => {
                    let c = viridis(scale.t(value));
                    (c, short(value), slo_met == Some(false))
                }
                HeatCell::Unsettled { value } => (
                    viridis(scale.t(value)),
                    format!("{} ?", short(value)),
                    false,
                ),
                HeatCell::Unstable => (UNSTABLE, "unstable".to_string(), false),
                HeatCell::Missing => (MISSING, "–".to_string(), false),
            };
            let ink = ink_on(fill);
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(i - 0.5, j - 0.5), (i + 0.5, j + 0.5)],
                    fill.filled(),
                )))
                .map_err(draw_err)?;
            if hatch {
                // Diagonals u - v = d across the cell, clipped to it, about 12 px apart.
                let k = ((cell_px.0 + cell_px.1) / 17.0).clamp(1.0, 16.0) as i32;
                let lines = (0..k).map(|n| {
                    let d = -1.0 + 2.0 * (f64::from(n) + 0.5) / f64::from(k);
                    let (ua, va) = if d >= 0.0 {
                        (d - 0.5, -0.5)
                    } else {
                        (-0.5, -0.5 - d)
                    };
                    let (ub, vb) = if d >= 0.0 {
                        (0.5, 0.5 - d)
                    } else {
                        (0.5 + d, 0.5)
                    };
                    PathElement::new(
                        vec![(i + ua, j + va), (i + ub, j + vb)],
                        ink.mix(0.8).stroke_width(2),
                    )
                });
                chart.draw_series(lines).map_err(draw_err)?;
            }
            let text_px = text.chars().count() as f64 * 8.0;
            if with_text && text_px < cell_px.0 {
                let style = cell_font
                    .into_font()
                    .color(&ink)
                    .pos(Pos::new(HPos::Center, VPos::Center));
                if hatch {
                    // A patch of the cell colour behind the figure, clear of the hatching.
                    let (dx, dy) = ((text_px / 2.0 + 5.0) / cell_px.0, 11.0 / cell_px.1);
                    chart
                        .draw_series(std::iter::once(Rectangle::new(
                            [(i - dx, j - dy), (i + dx, j + dy)],
                            fill.filled(),
                        )))
                        .map_err(draw_err)?;
                }
                chart
                    .draw_series(std::iter::once(Text::new(text, (i, j), style)))
                    .map_err(draw_err)?;
            }
        }
        // Thin white lines between cells large enough to keep their colour.
        let grid = (0..=nx)
            .map(|i| {
                let x = i as f64 - 0.5;
                PathElement::new(vec![(x, y0), (x, y1)], WHITE.stroke_width(1))
            })
            .chain((0..=ny).map(|j| {
                let y = j as f64 - 0.5;
                PathElement::new(vec![(x0, y), (x1, y)], WHITE.stroke_width(1))
            }));
        if cell_px.0.min(cell_px.1) >= 12.0 {
            chart.draw_series(grid).map_err(draw_err)?;
        }

        // The colour bar spans the upper part of the plot's height, the legend below.
        let top = 20 + 40;
        let bottom = top + (f64::from(ph) * 0.5) as i32;
        self.draw_side(&side, &scale, top, bottom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viridis_ends_and_ink() {
        assert_eq!(viridis(0.0), RGBColor(68, 1, 84));
        assert_eq!(viridis(1.0), RGBColor(253, 231, 37));
        assert_eq!(viridis(2.0), viridis(1.0));
        assert_eq!(ink_on(viridis(0.0)), WHITE);
        assert_eq!(ink_on(viridis(1.0)), BLACK);
    }

    #[test]
    fn scales_and_ticks() {
        let log = Scale::new(&[2.0, 20.0, 2000.0], true);
        assert_eq!(log.nice_ticks(), vec![10.0, 100.0, 1000.0]);
        // Both ends are far from a decade: labelled too.
        let labels: Vec<String> = log.ticks().into_iter().map(|t| t.1).collect();
        assert_eq!(labels, ["10", "100", "1000", "2", "2000"]);
        assert!((log.t(20.0) - 1.0 / 3.0).abs() < 1e-12);
        let narrow = Scale::new(&[12.0, 30.0], true);
        assert_eq!(narrow.nice_ticks(), vec![20.0, 30.0]);
        let lin = Scale::new(&[0.0, 10.0], false);
        assert_eq!(lin.nice_ticks(), vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
        assert_eq!(lin.ticks().len(), 6);
        // One value: a range around it.
        let one = Scale::new(&[5.0], false);
        assert!(one.lo < 5.0 && one.hi > 5.0);
        assert_eq!(short(0.012345), "0.0123");
        assert_eq!(value_label(1012.413793), "1012");
        assert_eq!(value_label(957.241379), "957.2");
        assert_eq!(value_label(880.0000000000001), "880");
        assert_eq!(value_label(0.35), "0.35");
        assert_eq!(short(456.7), "457");
    }
}
