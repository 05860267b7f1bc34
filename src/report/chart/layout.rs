//! What the charts share: colours and text sizes, the plot frame and mesh (tick
//! labels), clipping, the y-axis top, level lines, simulated points, and the [`Legend`]:
//! its entries and keys, the footprint of what is drawn, and the corner it goes in. The
//! heatmap draws its keys ([`Key`]) in a side panel with [`Key::draw_at`].

use plotters::chart::SeriesAnno;
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

/// A pixel position on the backend (plotters' `BackendCoord`).
type BackendCoord = (i32, i32);
use plotters::style::FontStyle;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{ChartError, SimPoint, draw_err};

/// Okabe–Ito colours: distinguishable with the common colour-vision deficiencies and on
/// white.
const PALETTE: [RGBColor; 7] = [
    RGBColor(0, 114, 178),   // blue
    RGBColor(213, 94, 0),    // vermillion
    RGBColor(0, 158, 115),   // bluish green
    RGBColor(204, 121, 167), // reddish purple
    RGBColor(230, 159, 0),   // orange
    RGBColor(86, 180, 233),  // sky blue
    RGBColor(120, 120, 120), // grey
];

/// The `i`-th series colour (the palette repeats).
pub(super) fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// Colour of SLO and reference lines.
const SLO_COLOUR: RGBColor = RGBColor(180, 0, 0);
pub(super) const FONT: &str = "sans-serif";
const TITLE_PX: f64 = 28.0;
pub(super) const AXIS_PX: f64 = 20.0;
pub(super) const TICK_PX: f64 = 16.0;
pub(super) const LEGEND_PX: f64 = 16.0;

/// Bold title font. Built with `FontDesc::new`: plotters' `FontDesc::style` keeps the
/// regular glyphs (0.3.7), so a restyled font would stay regular in PNGs.
pub(super) fn title_font() -> FontDesc<'static> {
    FontDesc::new(FontFamily::SansSerif, TITLE_PX, FontStyle::Bold)
}

/// The bold title font, smaller (down to 16 px) when `title` would not fit in `width`
/// pixels at the usual size (DejaVu Sans Bold is about 0.62 em per character).
pub(super) fn title_font_fitting(title: &str, width: u32) -> FontDesc<'static> {
    let chars = title.chars().count().max(1) as f64;
    let px = (f64::from(width.saturating_sub(40)) / (0.62 * chars)).clamp(16.0, TITLE_PX);
    FontDesc::new(FontFamily::SansSerif, px, FontStyle::Bold)
}

/// A chart's plotting context: f64 on both axes.
pub(super) type Ctx<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// A titled single-plot frame (latency against load, sizing): the title on top, room for
/// the axis labels, `x` and `y` as the axis ranges.
pub(super) fn titled_plot<'a, DB: DrawingBackend + 'a>(
    root: &'a DrawingArea<DB, Shift>,
    title: &str,
    (x0, x1): (f64, f64),
    (bottom, top): (f64, f64),
) -> Result<Ctx<'a, DB>, ChartError>
where
    DB::ErrorType: 'static,
{
    ChartBuilder::on(root)
        .caption(title, title_font())
        .margin(20)
        .x_label_area_size(60)
        .y_label_area_size(85)
        .build_cartesian_2d(x0..x1, bottom..top)
        .map_err(draw_err)
}

/// Splits a polyline into the pieces inside `lo..=hi` in y, interpolating the crossings.
pub(super) fn clip_polyline(points: &[(f64, f64)], lo: f64, hi: f64) -> Vec<Vec<(f64, f64)>> {
    let inside = |y: f64| (lo..=hi).contains(&y);
    let cross = |a: (f64, f64), b: (f64, f64), level: f64| {
        let t = (level - a.1) / (b.1 - a.1);
        (a.0 + t * (b.0 - a.0), level)
    };
    let mut pieces: Vec<Vec<(f64, f64)>> = vec![];
    let mut cur: Vec<(f64, f64)> = vec![];
    for (i, &p) in points.iter().enumerate() {
        if i > 0 {
            let q = points[i - 1];
            // Crossings of the two levels between q and p, in order along the segment.
            let mut hits: Vec<(f64, (f64, f64))> = vec![];
            for level in [lo, hi] {
                if (q.1 - level) * (p.1 - level) < 0.0 {
                    let c = cross(q, p, level);
                    hits.push(((level - q.1) / (p.1 - q.1), c));
                }
            }
            hits.sort_by(|a, b| a.0.total_cmp(&b.0));
            for (_, c) in hits {
                if cur.is_empty() {
                    cur.push(c);
                } else {
                    cur.push(c);
                    pieces.push(std::mem::take(&mut cur));
                }
            }
        }
        if inside(p.1) {
            cur.push(p);
        } else if !cur.is_empty() {
            pieces.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        pieces.push(cur);
    }
    pieces
}

/// The x-axis range: all of `xs` with 3 % of the span on each side.
pub(super) fn x_range(xs: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
        (a.min(x), b.max(x))
    });
    let span = if hi > lo { hi - lo } else { lo.abs().max(1.0) };
    (lo - 0.03 * span, hi + 0.03 * span)
}

/// The y-axis top described on [`LatencyLoadChart`](super::LatencyLoadChart). `levels`
/// are the typical plotted values (analytic values and simulated means), `all_max` the
/// largest value plotted.
pub(super) fn y_top(y_max: Option<f64>, slo: Option<f64>, levels: &[f64], all_max: f64) -> f64 {
    let top = if let Some(v) = y_max {
        v
    } else if let Some(s) = slo {
        (1.1 * all_max).clamp(1.6 * s, 3.0 * s)
    } else {
        let mut sorted = levels.to_vec();
        sorted.sort_by(f64::total_cmp);
        let median = sorted.get(sorted.len() / 2).copied().unwrap_or(all_max);
        if median > 0.0 {
            1.1 * all_max.min(10.0 * median)
        } else {
            1.1 * all_max
        }
    };
    if top > 0.0 { top } else { 1.0 }
}

/// A tick value without float noise or trailing zeros: `50`, `0.25`, `1.5e-7`.
pub(super) fn tick_label(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    if v.abs() >= 1e7 || v.abs() < 1e-4 {
        return format!("{v:.3e}")
            .replace(".000e", "e")
            .replace("00e", "e")
            .replace("0e", "e");
    }
    let s = format!("{v:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.to_string() }
}

/// Grid, axis labels and tick labels: `x_labels` ticks on x (integers only if
/// `integer_x`), 8 on y, numbers via [`tick_label`].
pub(super) fn style_mesh<'a, DB: DrawingBackend + 'a>(
    chart: &mut Ctx<'a, DB>,
    x_label: &str,
    y_label: &str,
    integer_x: bool,
    x_labels: usize,
) -> Result<(), ChartError>
where
    DB::ErrorType: 'static,
{
    style_mesh_y(chart, x_label, y_label, integer_x, x_labels, None)
}

/// [`style_mesh`] with a log₁₀ y axis when `log_decades` is `Some(n)`: the plotted y is
/// log₁₀ of the value, ticks fall on the n + 1 powers of ten and read as values.
pub(super) fn style_mesh_y<'a, DB: DrawingBackend + 'a>(
    chart: &mut Ctx<'a, DB>,
    x_label: &str,
    y_label: &str,
    integer_x: bool,
    x_labels: usize,
    log_decades: Option<usize>,
) -> Result<(), ChartError>
where
    DB::ErrorType: 'static,
{
    let int_fmt = |v: &f64| {
        if (v - v.round()).abs() < 1e-9 {
            format!("{}", v.round() as i64)
        } else {
            String::new()
        }
    };
    let num_fmt = |v: &f64| tick_label(*v);
    let pow_fmt = |v: &f64| {
        if (v - v.round()).abs() < 1e-9 {
            tick_label(10f64.powi(v.round() as i32))
        } else {
            String::new()
        }
    };
    let mut mesh = chart.configure_mesh();
    mesh.x_desc(x_label)
        .y_desc(y_label)
        .axis_desc_style((FONT, AXIS_PX))
        .label_style((FONT, TICK_PX))
        .light_line_style(RGBColor(235, 235, 235))
        .bold_line_style(RGBColor(210, 210, 210))
        .x_labels(x_labels);
    match log_decades {
        Some(n) => {
            mesh.y_labels(n + 1).y_label_formatter(&pow_fmt);
        }
        None => {
            mesh.y_labels(8).y_label_formatter(&num_fmt);
        }
    }
    if integer_x {
        mesh.x_label_formatter(&int_fmt);
    } else {
        mesh.x_label_formatter(&num_fmt);
    }
    mesh.draw().map_err(draw_err)
}

/// Draws simulated points with CI bars; points above `top` become triangles just under it.
/// Adds them to the legend's footprint; the legend entry is the caller's.
pub(super) fn draw_sim<'a, DB: DrawingBackend + 'a>(
    chart: &mut Ctx<'a, DB>,
    legend: &mut Legend,
    pts: &[SimPoint],
    c: RGBColor,
) -> Result<(), ChartError>
where
    DB::ErrorType: 'static,
{
    let (bottom, top) = legend.footprint.y;
    let bars = pts.iter().filter(|p| p.lower < top).map(|p| {
        ErrorBar::new_vertical(
            p.x,
            p.lower.max(bottom),
            p.mean.clamp(bottom, top),
            p.upper.min(top),
            c.stroke_width(2),
            10,
        )
    });
    chart.draw_series(bars).map_err(draw_err)?;
    // A figure the simulation did not settle for is a hollow ring.
    let dots = pts.iter().filter(|p| p.mean <= top).map(|p| {
        let style = if p.unsettled {
            c.stroke_width(2)
        } else {
            c.filled()
        };
        Circle::new((p.x, p.mean), 5, style)
    });
    chart.draw_series(dots).map_err(draw_err)?;
    draw_off_scale(
        chart,
        pts.iter().filter(|p| p.mean > top).map(|p| p.x),
        (bottom, top),
        c,
    )?;
    legend.footprint.sim(pts);
    Ok(())
}

/// Marks values above the axis top at these x positions: a triangle just inside the top
/// edge, so the marker stays clear of the title.
pub(super) fn draw_off_scale<'a, DB: DrawingBackend + 'a>(
    chart: &mut Ctx<'a, DB>,
    xs: impl Iterator<Item = f64>,
    (bottom, top): (f64, f64),
    c: RGBColor,
) -> Result<(), ChartError>
where
    DB::ErrorType: 'static,
{
    let inside = top - 0.025 * (top - bottom);
    chart
        .draw_series(xs.map(|x| TriangleMarker::new((x, inside), 7, c.stroke_width(2))))
        .map_err(draw_err)?;
    Ok(())
}

/// The symbol beside a legend entry.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Key {
    /// A line of this width.
    Line(RGBColor, u32),
    /// A thick line through a dot: an analytic curve with simulated points.
    LineDot(RGBColor),
    /// A dot: simulated points only.
    Dot(RGBColor),
    /// A dot with a vertical bar: simulated mean ± CI.
    PointBar(RGBColor),
    /// A ring: a marked choice.
    Ring(RGBColor),
    /// A thick line over a shaded box: a mean over a band.
    Band(RGBColor),
    /// A short thin line: a level (SLO, reference).
    Level(RGBColor),
    /// A shaded box: a region of the plot (e.g. unstable).
    Region(RGBColor),
    /// An outlined triangle: values beyond the top of the axis.
    Triangle(RGBColor),
    /// A filled box: a cell colour (heatmap).
    Swatch(RGBColor),
    /// A box crossed by two diagonal strokes of the second colour: a hatched cell.
    Hatched(RGBColor, RGBColor),
}

impl Key {
    /// The style of the empty series that carries a key-only entry.
    fn carrier(self) -> ShapeStyle {
        match self {
            Self::Line(c, w) => c.stroke_width(w),
            Self::LineDot(c)
            | Self::Dot(c)
            | Self::PointBar(c)
            | Self::Ring(c)
            | Self::Band(c)
            | Self::Level(c)
            | Self::Region(c)
            | Self::Triangle(c) => c.into(),
            Self::Swatch(c) | Self::Hatched(c, _) => c.into(),
        }
    }

    /// The symbol, drawn at the legend position `at`. Every key is the same composition
    /// (a box, a line, a dot, a bar, in that order) with the parts it does not use left
    /// transparent, which no backend draws: one element type for every key.
    fn element<'a, DB: DrawingBackend + 'a>(
        self,
        at: BackendCoord,
    ) -> impl IntoDynElement<'a, DB, BackendCoord> + 'a {
        let none = ShapeStyle::from(TRANSPARENT);
        let mut rect = ([(0, 0), (0, 0)], none);
        let mut line = (vec![(0, 0), (0, 0)], none);
        let mut dot = ((6, 0), 4, none);
        let mut bar = (vec![(0, 0), (0, 0)], none);
        let across = vec![(-4, 0), (16, 0)];
        match self {
            Self::Line(c, w) => line = (across, c.stroke_width(w)),
            Self::LineDot(c) => {
                line = (across, c.stroke_width(3));
                dot.2 = c.filled();
            }
            Self::Dot(c) => dot.2 = c.filled(),
            Self::PointBar(c) => {
                dot.2 = c.filled();
                bar = (vec![(6, -7), (6, 7)], c.stroke_width(2));
            }
            Self::Ring(c) => dot = ((6, 0), 7, c.stroke_width(3)),
            Self::Band(c) => {
                rect = ([(-4, -7), (16, 7)], c.mix(0.22).filled());
                line = (across, c.stroke_width(3));
            }
            Self::Level(c) => line = (vec![(0, 0), (8, 0)], c.stroke_width(2)),
            Self::Region(c) => rect = ([(-4, -7), (16, 7)], c.mix(0.35).filled()),
            Self::Triangle(c) => line = (vec![(0, 5), (6, -6), (12, 5), (0, 5)], c.stroke_width(2)),
            Self::Swatch(c) => rect = ([(-4, -7), (16, 7)], c.filled()),
            Self::Hatched(c, h) => {
                rect = ([(-4, -7), (16, 7)], c.filled());
                line = (vec![(-4, 7), (10, -7)], h.stroke_width(2));
                bar = (vec![(2, 7), (16, -7)], h.stroke_width(2));
            }
        }
        EmptyElement::at(at)
            + Rectangle::new(rect.0, rect.1)
            + PathElement::new(line.0, line.1)
            + Circle::new(dot.0, dot.1, dot.2)
            + PathElement::new(bar.0, bar.1)
    }
}

impl Key {
    /// Draws the key at the pixel position `at` of `area` (outside any plot: a side
    /// legend).
    pub(super) fn draw_at<DB: DrawingBackend>(
        self,
        area: &DrawingArea<DB, Shift>,
        at: BackendCoord,
    ) -> Result<(), ChartError>
    where
        DB::ErrorType: 'static,
    {
        area.draw(&self.element::<DB>(at).into_dyn())
            .map_err(draw_err)
    }
}

/// Where a legend can go, in order of preference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Corner {
    UpperLeft,
    UpperRight,
    LowerRight,
}

impl Corner {
    fn position(self) -> SeriesLabelPosition {
        match self {
            Self::UpperLeft => SeriesLabelPosition::UpperLeft,
            Self::UpperRight => SeriesLabelPosition::UpperRight,
            Self::LowerRight => SeriesLabelPosition::LowerRight,
        }
    }
}

/// Estimated legend size in pixels for these labels (DejaVu Sans at `LEGEND_PX`, marker,
/// padding and margin included).
fn legend_px(labels: &[String]) -> (f64, f64) {
    let chars = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0);
    (
        chars as f64 * 0.5 * LEGEND_PX + 72.0,
        labels.len() as f64 * 21.0 + 32.0,
    )
}

/// The fraction of a plot `plot_h` pixels high to keep free at the top for a legend of
/// `entries` rows (one row of `LEGEND_PX` text ≈ 20 px), between 0.15 and 0.6.
pub(super) fn legend_headroom(entries: usize, plot_h: f64) -> f64 {
    ((entries as f64 * 20.0 + 46.0) / plot_h).clamp(0.15, 0.6)
}

/// The candidate corner whose legend box covers the fewest samples (points in plot
/// fractions, (0, 0) bottom left); ties go to the earlier candidate.
fn pick_corner(
    plot_px: (u32, u32),
    legend: (f64, f64),
    samples: &[(f64, f64)],
    candidates: &[Corner],
) -> Corner {
    let fw = legend.0 / f64::from(plot_px.0.max(1));
    let fh = legend.1 / f64::from(plot_px.1.max(1));
    let covered = |c: Corner| {
        samples
            .iter()
            .filter(|&&(u, v)| match c {
                Corner::UpperLeft => u <= fw && v >= 1.0 - fh,
                Corner::UpperRight => u >= 1.0 - fw && v >= 1.0 - fh,
                Corner::LowerRight => u >= 1.0 - fw && v <= fh,
            })
            .count()
    };
    let mut best = candidates[0];
    let mut best_n = covered(best);
    for &c in &candidates[1..] {
        let n = covered(c);
        if n < best_n {
            best = c;
            best_n = n;
        }
    }
    best
}

/// Samples of what is drawn, in plot fractions: line pieces (interpolated), simulated
/// points with their bars, and the box of a level label.
pub(super) struct Footprint {
    x: (f64, f64),
    y: (f64, f64),
    plot_px: (u32, u32),
    samples: Vec<(f64, f64)>,
}

impl Footprint {
    fn new(x: (f64, f64), y: (f64, f64), plot_px: (u32, u32)) -> Self {
        Self {
            x,
            y,
            plot_px,
            samples: vec![],
        }
    }

    fn point(&mut self, (x, y): (f64, f64)) {
        let u = (x - self.x.0) / (self.x.1 - self.x.0);
        let v = (y.clamp(self.y.0, self.y.1) - self.y.0) / (self.y.1 - self.y.0);
        self.samples.push((u, v));
    }

    /// A drawn polyline (already clipped to the axis).
    pub(super) fn line(&mut self, pts: &[(f64, f64)]) {
        for w in pts.windows(2) {
            for k in 0..=8 {
                let t = f64::from(k) / 8.0;
                self.point((
                    w[0].0 + t * (w[1].0 - w[0].0),
                    w[0].1 + t * (w[1].1 - w[0].1),
                ));
            }
        }
        if let [p] = pts {
            self.point(*p);
        }
    }

    fn sim(&mut self, pts: &[SimPoint]) {
        for p in pts {
            for y in [p.lower, p.mean, p.upper] {
                self.point((p.x, y));
            }
        }
    }

    /// The label drawn above a level line, at the left or right end.
    fn level_label(&mut self, value: f64, label: &str, at_right: bool) {
        let w = (label.chars().count() as f64 * 0.5 * LEGEND_PX + 12.0)
            / f64::from(self.plot_px.0.max(1));
        let h = 24.0 / f64::from(self.plot_px.1.max(1));
        let v0 = (value - self.y.0) / (self.y.1 - self.y.0);
        for i in 0..=10 {
            for j in 0..=2 {
                let u = w * f64::from(i) / 10.0;
                let u = if at_right { 1.0 - u } else { u };
                self.samples.push((u, v0 + h * f64::from(j) / 2.0));
            }
        }
    }
}

/// The legend of one plot: its entries (label and [`Key`], in drawing order) and the
/// footprint of what is drawn, from which [`Legend::draw`] picks the emptiest corner.
///
/// Every labelled series goes through [`Legend::entry`] (or [`Legend::key_only`] for an
/// entry without data, [`Legend::level`] for a level line), so the size estimate always
/// matches the entries drawn.
pub(super) struct Legend {
    labels: Vec<String>,
    /// Samples of what is drawn; [`draw_sim`] and [`Legend::level`] add to it, lines are
    /// added by the caller.
    pub(super) footprint: Footprint,
}

impl Legend {
    /// An empty legend for `chart`, whose axes span `x` and `y`.
    pub(super) fn new<DB: DrawingBackend>(
        chart: &Ctx<'_, DB>,
        x: (f64, f64),
        y: (f64, f64),
    ) -> Self {
        Self {
            labels: vec![],
            footprint: Footprint::new(x, y, chart.plotting_area().dim_in_pixel()),
        }
    }

    /// Gives a drawn series its legend entry.
    pub(super) fn entry<'a, DB: DrawingBackend + 'a>(
        &mut self,
        anno: &mut SeriesAnno<'a, DB>,
        label: impl Into<String>,
        key: Key,
    ) {
        let label = label.into();
        self.labels.push(label.clone());
        anno.label(label).legend(move |p| key.element::<DB>(p));
    }

    /// A legend entry that draws nothing on the plot (a key explaining symbols, or a
    /// series whose data are all off the axis).
    pub(super) fn key_only<'a, DB: DrawingBackend + 'a>(
        &mut self,
        chart: &mut Ctx<'a, DB>,
        label: impl Into<String>,
        key: Key,
    ) -> Result<(), ChartError>
    where
        DB::ErrorType: 'static,
    {
        let anno = chart
            .draw_series(LineSeries::new(Vec::<(f64, f64)>::new(), key.carrier()))
            .map_err(draw_err)?;
        self.entry(anno, label, key);
        Ok(())
    }

    /// A dashed horizontal level line across the plot (an SLO or reference) with its
    /// label above it at the left or right end, and its legend entry.
    pub(super) fn level<'a, DB: DrawingBackend + 'a>(
        &mut self,
        chart: &mut Ctx<'a, DB>,
        value: f64,
        label: &str,
        label_at_right: bool,
    ) -> Result<(), ChartError>
    where
        DB::ErrorType: 'static,
    {
        let (x0, x1) = self.footprint.x;
        let style = SLO_COLOUR.stroke_width(2);
        let anno = chart
            .draw_series(DashedLineSeries::new(
                vec![(x0, value), (x1, value)],
                10,
                6,
                style,
            ))
            .map_err(draw_err)?;
        self.entry(anno, label, Key::Level(SLO_COLOUR));
        let (x, h) = if label_at_right {
            (x1, HPos::Right)
        } else {
            (x0, HPos::Left)
        };
        // Offset a few pixels above the line and away from the axis.
        let label_style = (FONT, LEGEND_PX)
            .into_font()
            .color(&SLO_COLOUR)
            .pos(Pos::new(h, VPos::Bottom));
        let dx = if label_at_right { -8 } else { 8 };
        chart
            .draw_series(std::iter::once(
                EmptyElement::at((x, value)) + Text::new(label.to_string(), (dx, -4), label_style),
            ))
            .map_err(draw_err)?;
        self.footprint.level_label(value, label, label_at_right);
        Ok(())
    }

    /// Draws the legend in whichever of `candidates` covers the fewest drawn samples
    /// (ties to the earlier one).
    pub(super) fn draw<'a, DB: DrawingBackend + 'a>(
        self,
        chart: &mut Ctx<'a, DB>,
        candidates: &[Corner],
    ) -> Result<(), ChartError>
    where
        DB::ErrorType: 'static,
    {
        let corner = pick_corner(
            self.footprint.plot_px,
            legend_px(&self.labels),
            &self.footprint.samples,
            candidates,
        );
        chart
            .configure_series_labels()
            .position(corner.position())
            .margin(12)
            .legend_area_size(36)
            .label_font((FONT, LEGEND_PX))
            .background_style(WHITE.mix(0.9))
            .border_style(RGBColor(160, 160, 160))
            .draw()
            .map_err(draw_err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_cuts_at_top_and_keeps_inside_points() {
        let pts = [(0.0, 1.0), (1.0, 2.0), (2.0, 10.0), (3.0, 2.0)];
        let pieces = clip_polyline(&pts, 0.0, 6.0);
        assert_eq!(pieces.len(), 2);
        assert_eq!(pieces[0], vec![(0.0, 1.0), (1.0, 2.0), (1.5, 6.0)]);
        assert_eq!(pieces[1], vec![(2.5, 6.0), (3.0, 2.0)]);
    }

    #[test]
    fn clip_of_segment_crossing_both_levels() {
        let pieces = clip_polyline(&[(0.0, -1.0), (1.0, 3.0)], 0.0, 2.0);
        assert_eq!(pieces, vec![vec![(0.25, 0.0), (0.75, 2.0)]]);
    }

    #[test]
    fn y_top_rules() {
        assert_eq!(y_top(Some(7.0), Some(1.0), &[], 100.0), 7.0);
        assert_eq!(y_top(None, Some(10.0), &[], 1000.0), 30.0);
        assert_eq!(y_top(None, Some(10.0), &[], 1.0), 16.0);
        assert!((y_top(None, Some(10.0), &[], 20.0) - 22.0).abs() < 1e-12);
        assert!((y_top(None, Some(10.0), &[], 12.0) - 16.0).abs() < 1e-12);
        // No SLO: capped at 10 × the median level (5 here).
        assert!((y_top(None, None, &[1.0, 5.0, 1e6], 1e6) - 55.0).abs() < 1e-9);
        assert!((y_top(None, None, &[1.0, 5.0, 20.0], 20.0) - 22.0).abs() < 1e-12);
    }

    #[test]
    fn legend_goes_to_the_empty_corner() {
        // Data in the upper left: the legend moves to the upper right.
        let samples = [(0.05, 0.95), (0.1, 0.9)];
        let c = pick_corner(
            (1000, 500),
            (200.0, 100.0),
            &samples,
            &[Corner::UpperLeft, Corner::UpperRight],
        );
        assert_eq!(c, Corner::UpperRight);
        let c = pick_corner(
            (1000, 500),
            (200.0, 100.0),
            &[],
            &[Corner::UpperLeft, Corner::UpperRight],
        );
        assert_eq!(c, Corner::UpperLeft);
    }

    #[test]
    fn tick_labels_have_no_float_noise() {
        assert_eq!(tick_label(0.30000000000000004), "0.3");
        assert_eq!(tick_label(50.0), "50");
        assert_eq!(tick_label(-0.0), "0");
    }
}
