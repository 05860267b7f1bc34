//! Charts of analytic and simulated results, as SVG or PNG files.
//!
//! Three chart kinds, each fed by a plain serde struct that is independent of the rest of
//! the crate (fill it from analytic solutions, simulation summaries, or a JSON file):
//!
//! | chart | input | x | y |
//! |---|---|---|---|
//! | latency against load | [`LatencyLoadChart`] | load (ρ or a rate multiplier) | latency |
//! | over time | [`TimeSeriesChart`] | time | queue length, latency, … (one panel each) |
//! | sizing | [`SizingChart`] | consumers | achieved p99 |
//!
//! Analytic figures are drawn as lines, simulated ones as filled points with
//! confidence-interval bars ([`SimPoint`]), an optional service-level objective as a dashed
//! horizontal line. Values are plotted in the units the caller gives them in: put the unit
//! in the axis label (`"p99 latency (ms)"`); no conversion happens here.
//!
//! The format follows the output path's extension, `.svg` or `.png` (any case); anything
//! else is [`ChartError::UnsupportedFormat`]. A chart is drawn completely into a temporary
//! file next to the target and renamed onto it only when every drawing step succeeded, so a
//! failure never leaves a half-drawn chart under the requested name.
//!
//! Text is set in DejaVu Sans, embedded through the `dejavu` crate and registered with
//! plotters once per process ([`register_fonts`], called by every renderer): no system
//! fonts or fontconfig are needed, and µ, ρ, λ, ≤ render in PNGs. SVG files name the
//! `sans-serif` family and leave the glyphs to the viewer.
//!
//! `cargo run --example chart_demo -- DIR` renders one chart of each kind with M/M/c
//! numbers into `DIR` (e.g. for the README images).
//!
//! # Example
//! ```
//! use kendall::report::chart::{render_latency_load, LatencyLoadChart, LoadSeries, SimPoint};
//! let chart = LatencyLoadChart {
//!     title: "M/M/1 sojourn time".into(),
//!     x_label: "utilisation ρ".into(),
//!     y_label: "mean latency (ms)".into(),
//!     series: vec![LoadSeries {
//!         name: "M/M/1, µ = 100/s".into(),
//!         analytic: (1..=19).map(|i| { let r = i as f64 / 20.0; (r, 10.0 / (1.0 - r)) }).collect(),
//!         simulated: vec![SimPoint { x: 0.5, mean: 20.3, lower: 19.6, upper: 21.0 }],
//!     }],
//!     slo: Some((100.0, "SLO: mean ≤ 100 ms".into())),
//!     y_max: None,
//!     size: None,
//! };
//! let path = std::env::temp_dir().join("kendall_doc_chart_module.svg");
//! render_latency_load(&chart, &path)?;
//! assert!(std::fs::read_to_string(&path)?.contains("M/M/1 sojourn time"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt::Display;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};
use serde::{Deserialize, Serialize};

/// Width and height in pixels used when a chart's `size` is `None`.
pub const DEFAULT_SIZE: (u32, u32) = (1000, 640);

/// Smallest width or height accepted, in pixels: below it titles and legends cannot fit.
pub const MIN_SIZE: u32 = 200;

/// Largest width or height accepted, in pixels (a 8000 × 8000 RGB bitmap is 192 MB).
pub const MAX_SIZE: u32 = 8000;

/// Why a chart could not be drawn or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ChartError {
    /// The output path does not end in `.svg` or `.png`.
    #[error(
        "chart path {path:?}: unsupported extension {extension:?}; name the file *.svg or *.png"
    )]
    UnsupportedFormat {
        /// The path given.
        path: PathBuf,
        /// Its extension, if any.
        extension: Option<String>,
    },
    /// A figure is not finite, a bound is out of order, or a series is empty.
    #[error("chart data {field}: {problem}")]
    InvalidData {
        /// Where the bad value is, e.g. `series[1].simulated[3].lower`.
        field: String,
        /// What is wrong and how to fix it.
        problem: String,
    },
    /// The embedded DejaVu font could not be registered with plotters.
    #[error("registering the embedded DejaVu font failed ({style}); the dejavu crate is corrupt")]
    Font {
        /// Which font style failed.
        style: &'static str,
    },
    /// plotters reported an error while drawing.
    #[error("drawing the chart failed: {0}")]
    Draw(String),
    /// The file could not be written (missing directory, no permission, full disk).
    #[error(
        "writing chart file {path:?} failed: {message}; check the directory exists and is writable"
    )]
    Write {
        /// The file being written (the final path, or its temporary sibling).
        path: PathBuf,
        /// The underlying error.
        message: String,
    },
}

/// Turns any plotters error into [`ChartError::Draw`].
fn draw_err<E: Display>(e: E) -> ChartError {
    ChartError::Draw(e.to_string())
}

/// Output format, chosen by a path's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum ChartFormat {
    /// Scalable vector graphics (`.svg`); text stays text.
    Svg,
    /// Portable network graphics (`.png`); text rasterised with DejaVu Sans.
    Png,
}

impl ChartFormat {
    /// The format named by `path`'s extension, `svg` or `png` in any case.
    ///
    /// # Errors
    /// [`ChartError::UnsupportedFormat`] for any other extension or none.
    ///
    /// # Example
    /// ```
    /// use kendall::report::chart::ChartFormat;
    /// use std::path::Path;
    /// assert_eq!(ChartFormat::from_path(Path::new("a/b.PNG"))?, ChartFormat::Png);
    /// assert!(ChartFormat::from_path(Path::new("b.jpg")).is_err());
    /// # Ok::<(), kendall::report::chart::ChartError>(())
    /// ```
    pub fn from_path(path: &Path) -> Result<Self, ChartError> {
        let ext = path.extension().and_then(|e| e.to_str());
        match ext.map(str::to_ascii_lowercase).as_deref() {
            Some("svg") => Ok(Self::Svg),
            Some("png") => Ok(Self::Png),
            _ => Err(ChartError::UnsupportedFormat {
                path: path.to_path_buf(),
                extension: path.extension().map(|e| e.to_string_lossy().into_owned()),
            }),
        }
    }
}

/// Registers DejaVu Sans (regular, bold, oblique) as plotters' `sans-serif` family.
///
/// Runs once per process; later calls return the first outcome. Every renderer calls it,
/// so callers need it only when drawing with plotters directly.
///
/// # Errors
/// [`ChartError::Font`] if a font in the `dejavu` crate does not parse (never expected).
///
/// # Example
/// ```
/// kendall::report::chart::register_fonts()?;
/// # Ok::<(), kendall::report::chart::ChartError>(())
/// ```
pub fn register_fonts() -> Result<(), ChartError> {
    // `OnceLock` rather than `Once`, to keep the outcome for later calls.
    static REGISTERED: OnceLock<Option<&'static str>> = OnceLock::new();
    let failed = REGISTERED.get_or_init(|| {
        for (name, style, bytes) in [
            ("regular", FontStyle::Normal, dejavu::sans::regular()),
            ("bold", FontStyle::Bold, dejavu::sans::bold()),
            ("oblique", FontStyle::Italic, dejavu::sans::oblique()),
        ] {
            if register_font("sans-serif", style, bytes).is_err() {
                return Some(name);
            }
        }
        None
    });
    match failed {
        Some(style) => Err(ChartError::Font { style }),
        None => Ok(()),
    }
}

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
}

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
}

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
/// follows the rule of [`LatencyLoadChart`] (3 × SLO by default), because the percentile
/// explodes at the smallest stable count; values above the axis show as triangles
/// under its top edge. The chosen count is marked by a dotted vertical line and a ring.
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
///     y_max: None,
///     size: None,
/// };
/// assert!(sizing_svg(&chart)?.contains("Ledger consumers"));
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
    /// Top of the y axis; default as for [`LatencyLoadChart`].
    #[serde(default)]
    pub y_max: Option<f64>,
    /// `(width, height)` in pixels; [`DEFAULT_SIZE`] when `None`.
    #[serde(default)]
    pub size: Option<(u32, u32)>,
}

// ---------------------------------------------------------------------------------------
// Public renderers
// ---------------------------------------------------------------------------------------

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
///         simulated: vec![SimPoint { x: 0.5, mean: 19.8, lower: 19.0, upper: 20.6 }],
///     }],
///     slo: None,
///     y_max: None,
///     size: Some((600, 400)),
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

/// Draws a [`TimeSeriesChart`] to `path` (`.svg` or `.png`).
///
/// # Errors
/// As [`render_latency_load`]; also [`ChartError::InvalidData`] if a series' times do not
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

/// Draws a [`SizingChart`] to `path` (`.svg` or `.png`).
///
/// # Errors
/// As [`render_latency_load`].
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

// ---------------------------------------------------------------------------------------
// Backend plumbing
// ---------------------------------------------------------------------------------------

/// A chart that can validate itself and draw on any plotters backend.
trait Chart {
    fn validate(&self) -> Result<(), ChartError>;
    fn pixel_size(&self) -> (u32, u32);
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError>
    where
        DB::ErrorType: 'static;
}

fn check_size(size: Option<(u32, u32)>) -> Result<(), ChartError> {
    if let Some((w, h)) = size {
        for (name, v) in [("width", w), ("height", h)] {
            if !(MIN_SIZE..=MAX_SIZE).contains(&v) {
                return Err(ChartError::InvalidData {
                    field: format!("size.{name}"),
                    problem: format!("{v} px is outside {MIN_SIZE}..={MAX_SIZE}"),
                });
            }
        }
    }
    Ok(())
}

fn render_svg<C: Chart>(chart: &C) -> Result<String, ChartError> {
    register_fonts()?;
    chart.validate()?;
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, chart.pixel_size()).into_drawing_area();
        chart.draw(&root)?;
        root.present().map_err(draw_err)?;
    }
    Ok(out)
}

fn render_to_path<C: Chart>(chart: &C, path: &Path) -> Result<(), ChartError> {
    let format = ChartFormat::from_path(path)?;
    register_fonts()?;
    chart.validate()?;
    let file_name = path
        .file_name()
        .ok_or_else(|| ChartError::Write {
            path: path.to_path_buf(),
            message: "the path has no file name".into(),
        })?
        .to_string_lossy();
    let ext = match format {
        ChartFormat::Svg => "svg",
        ChartFormat::Png => "png",
    };
    // Same directory, so the final rename is atomic; keep the real extension last, as the
    // PNG encoder picks its format from it.
    let tmp = path.with_file_name(format!(".{file_name}.{}.partial.{ext}", std::process::id()));
    let result = match format {
        ChartFormat::Svg => render_svg(chart).and_then(|svg| {
            fs::write(&tmp, svg).map_err(|e| ChartError::Write {
                path: tmp.clone(),
                message: e.to_string(),
            })
        }),
        ChartFormat::Png => draw_png(chart, &tmp),
    };
    let result = result.and_then(|()| {
        fs::rename(&tmp, path).map_err(|e| ChartError::Write {
            path: path.to_path_buf(),
            message: e.to_string(),
        })
    });
    if result.is_err() {
        // The temporary file may not exist; nothing more to report if removal fails.
        let _ = fs::remove_file(&tmp);
    }
    result
}

fn draw_png<C: Chart>(chart: &C, tmp: &Path) -> Result<(), ChartError> {
    let root = BitMapBackend::new(tmp, chart.pixel_size()).into_drawing_area();
    chart.draw(&root)?;
    root.present().map_err(|e| ChartError::Write {
        path: tmp.to_path_buf(),
        message: e.to_string(),
    })
}

// ---------------------------------------------------------------------------------------
// Validation helpers
// ---------------------------------------------------------------------------------------

fn finite(field: impl FnOnce() -> String, v: f64) -> Result<(), ChartError> {
    if v.is_finite() {
        Ok(())
    } else {
        Err(ChartError::InvalidData {
            field: field(),
            problem: format!("{v} is not a finite number; leave such points out"),
        })
    }
}

fn check_interval(field: &str, lower: f64, mean: f64, upper: f64) -> Result<(), ChartError> {
    finite(|| format!("{field}.lower"), lower)?;
    finite(|| format!("{field}.mean"), mean)?;
    finite(|| format!("{field}.upper"), upper)?;
    if lower > mean || mean > upper {
        return Err(ChartError::InvalidData {
            field: field.to_string(),
            problem: format!(
                "needs lower <= mean <= upper, got {lower} <= {mean} <= {upper}; swap the bounds"
            ),
        });
    }
    Ok(())
}

fn check_level(field: &str, level: &Option<(f64, String)>) -> Result<(), ChartError> {
    if let Some((v, _)) = level {
        finite(|| format!("{field}.0"), *v)?;
        if *v <= 0.0 {
            return Err(ChartError::InvalidData {
                field: format!("{field}.0"),
                problem: format!("{v} must be > 0"),
            });
        }
    }
    Ok(())
}

fn check_y_max(y_max: Option<f64>) -> Result<(), ChartError> {
    if let Some(v) = y_max
        && !(v.is_finite() && v > 0.0)
    {
        return Err(ChartError::InvalidData {
            field: "y_max".into(),
            problem: format!("{v} must be finite and > 0"),
        });
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Drawing helpers
// ---------------------------------------------------------------------------------------

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

fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

const SLO_COLOUR: RGBColor = RGBColor(180, 0, 0);
const FONT: &str = "sans-serif";
const TITLE_PX: f64 = 28.0;
const AXIS_PX: f64 = 20.0;
const TICK_PX: f64 = 16.0;
const LEGEND_PX: f64 = 16.0;

/// Bold title font. Built with `FontDesc::new`: plotters' `FontDesc::style` keeps the
/// regular glyphs (0.3.7), so a restyled font would stay regular in PNGs.
fn title_font() -> FontDesc<'static> {
    FontDesc::new(FontFamily::SansSerif, TITLE_PX, FontStyle::Bold)
}

type Ctx<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// Splits a polyline into the pieces inside `lo..=hi` in y, interpolating the crossings.
fn clip_polyline(points: &[(f64, f64)], lo: f64, hi: f64) -> Vec<Vec<(f64, f64)>> {
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

fn x_range(xs: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
        (a.min(x), b.max(x))
    });
    let span = if hi > lo { hi - lo } else { lo.abs().max(1.0) };
    (lo - 0.03 * span, hi + 0.03 * span)
}

/// The y-axis top described on [`LatencyLoadChart`]. `levels` are the typical plotted
/// values (analytic values and simulated means), `all_max` the largest value plotted.
fn y_top(y_max: Option<f64>, slo: Option<f64>, levels: &[f64], all_max: f64) -> f64 {
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

/// Where a legend can go, in order of preference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Corner {
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
struct Footprint {
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

    fn line(&mut self, pts: &[(f64, f64)]) {
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

/// A tick value without float noise or trailing zeros: `50`, `0.25`, `1.5e-7`.
fn tick_label(v: f64) -> String {
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

fn style_mesh<'a, DB: DrawingBackend + 'a>(
    chart: &mut Ctx<'a, DB>,
    x_label: &str,
    y_label: &str,
    integer_x: bool,
    x_labels: usize,
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
    let mut mesh = chart.configure_mesh();
    mesh.x_desc(x_label)
        .y_desc(y_label)
        .axis_desc_style((FONT, AXIS_PX))
        .label_style((FONT, TICK_PX))
        .light_line_style(RGBColor(235, 235, 235))
        .bold_line_style(RGBColor(210, 210, 210))
        .x_labels(x_labels)
        .y_labels(8);
    mesh.y_label_formatter(&num_fmt);
    if integer_x {
        mesh.x_label_formatter(&int_fmt);
    } else {
        mesh.x_label_formatter(&num_fmt);
    }
    mesh.draw().map_err(draw_err)
}

fn draw_level<'a, DB: DrawingBackend + 'a>(
    chart: &mut Ctx<'a, DB>,
    (x0, x1): (f64, f64),
    value: f64,
    label: &str,
    label_at_right: bool,
) -> Result<(), ChartError>
where
    DB::ErrorType: 'static,
{
    let style = SLO_COLOUR.stroke_width(2);
    chart
        .draw_series(DashedLineSeries::new(
            vec![(x0, value), (x1, value)],
            10,
            6,
            style,
        ))
        .map_err(draw_err)?
        .label(label.to_string())
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 8, y)], style));
    use plotters::style::text_anchor::{HPos, Pos, VPos};
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
    Ok(())
}

/// Draws simulated points with CI bars; points above `top` become triangles just under it.
fn draw_sim<'a, DB: DrawingBackend + 'a>(
    chart: &mut Ctx<'a, DB>,
    pts: &[SimPoint],
    (bottom, top): (f64, f64),
    c: RGBColor,
) -> Result<(), ChartError>
where
    DB::ErrorType: 'static,
{
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
    let dots = pts
        .iter()
        .filter(|p| p.mean <= top)
        .map(|p| Circle::new((p.x, p.mean), 5, c.filled()));
    chart.draw_series(dots).map_err(draw_err)?;
    // Just inside the top edge, so the marker stays clear of the title.
    let inside = top - 0.025 * (top - bottom);
    let off = pts
        .iter()
        .filter(|p| p.mean > top)
        .map(|p| TriangleMarker::new((p.x, inside), 7, c.stroke_width(2)));
    chart.draw_series(off).map_err(draw_err)?;
    Ok(())
}

fn draw_legend<'a, DB: DrawingBackend + 'a>(
    chart: &mut Ctx<'a, DB>,
    pos: SeriesLabelPosition,
) -> Result<(), ChartError>
where
    DB::ErrorType: 'static,
{
    chart
        .configure_series_labels()
        .position(pos)
        .margin(12)
        .legend_area_size(36)
        .label_font((FONT, LEGEND_PX))
        .background_style(WHITE.mix(0.9))
        .border_style(RGBColor(160, 160, 160))
        .draw()
        .map_err(draw_err)
}

/// Legend key explaining lines vs points, in black, without drawing anything on the plot.
fn key_entries<'a, DB: DrawingBackend + 'a>(
    chart: &mut Ctx<'a, DB>,
    analytic: bool,
    simulated: bool,
) -> Result<(), ChartError>
where
    DB::ErrorType: 'static,
{
    let none: Vec<(f64, f64)> = vec![];
    if analytic {
        chart
            .draw_series(LineSeries::new(none.clone(), BLACK.stroke_width(2)))
            .map_err(draw_err)?
            .label("analytic (line)")
            .legend(|(x, y)| {
                PathElement::new(vec![(x - 4, y), (x + 16, y)], BLACK.stroke_width(2))
            });
    }
    if simulated {
        chart
            .draw_series(LineSeries::new(none, BLACK))
            .map_err(draw_err)?
            .label("simulated mean ± CI (points, bars)")
            .legend(|(x, y)| {
                EmptyElement::at((x + 6, y))
                    + Circle::new((0, 0), 4, BLACK.filled())
                    + PathElement::new(vec![(0, -7), (0, 7)], BLACK.stroke_width(2))
            });
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Latency against load
// ---------------------------------------------------------------------------------------

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
        let xs = self.series.iter().flat_map(|s| {
            s.analytic
                .iter()
                .map(|p| p.0)
                .chain(s.simulated.iter().map(|p| p.x))
        });
        let (x0, x1) = x_range(xs);
        let ys = || {
            self.series.iter().flat_map(|s| {
                s.analytic
                    .iter()
                    .map(|p| p.1)
                    .chain(s.simulated.iter().flat_map(|p| [p.lower, p.upper]))
            })
        };
        let all_max = ys().fold(f64::NEG_INFINITY, f64::max);
        let bottom = ys().fold(0.0, f64::min);
        let levels: Vec<f64> = self
            .series
            .iter()
            .flat_map(|s| {
                s.analytic
                    .iter()
                    .map(|p| p.1)
                    .chain(s.simulated.iter().map(|p| p.mean))
            })
            .collect();
        let top = y_top(self.y_max, self.slo.as_ref().map(|s| s.0), &levels, all_max);
        let top = if top > bottom { top } else { bottom + 1.0 };

        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, title_font())
            .margin(20)
            .x_label_area_size(60)
            .y_label_area_size(85)
            .build_cartesian_2d(x0..x1, bottom..top)
            .map_err(draw_err)?;
        style_mesh(&mut chart, &self.x_label, &self.y_label, false, 10)?;

        for (i, s) in self.series.iter().enumerate() {
            let c = colour(i);
            let pieces = clip_polyline(&s.analytic, bottom, top);
            for (k, piece) in pieces.into_iter().enumerate() {
                let anno = chart
                    .draw_series(LineSeries::new(piece, c.stroke_width(3)))
                    .map_err(draw_err)?;
                if k == 0 {
                    anno.label(s.name.clone()).legend(move |(x, y)| {
                        EmptyElement::at((x, y))
                            + PathElement::new(vec![(-4, 0), (16, 0)], c.stroke_width(3))
                            + Circle::new((6, 0), 4, c.filled())
                    });
                }
            }
            if s.analytic.is_empty() || clip_polyline(&s.analytic, bottom, top).is_empty() {
                chart
                    .draw_series(LineSeries::new(Vec::<(f64, f64)>::new(), c))
                    .map_err(draw_err)?
                    .label(s.name.clone())
                    .legend(move |(x, y)| Circle::new((x + 6, y), 4, c.filled()));
            }
            draw_sim(&mut chart, &s.simulated, (bottom, top), c)?;
        }
        if let Some((v, label)) = &self.slo {
            draw_level(&mut chart, (x0, x1), *v, label, false)?;
        }
        let any_analytic = self.series.iter().any(|s| !s.analytic.is_empty());
        let any_sim = self.series.iter().any(|s| !s.simulated.is_empty());
        key_entries(&mut chart, any_analytic, any_sim)?;
        let mut labels: Vec<String> = self.series.iter().map(|s| s.name.clone()).collect();
        labels.extend(self.slo.iter().map(|s| s.1.clone()));
        labels.extend(any_analytic.then(|| "analytic (line)".to_string()));
        labels.extend(any_sim.then(|| "simulated mean ± CI (points, bars)".to_string()));
        let plot_px = chart.plotting_area().dim_in_pixel();
        let mut fp = Footprint::new((x0, x1), (bottom, top), plot_px);
        for s in &self.series {
            for piece in clip_polyline(&s.analytic, bottom, top) {
                fp.line(&piece);
            }
            fp.sim(&s.simulated);
        }
        if let Some((v, label)) = &self.slo {
            fp.level_label(*v, label, false);
        }
        let corner = pick_corner(
            plot_px,
            legend_px(&labels),
            &fp.samples,
            &[Corner::UpperLeft, Corner::UpperRight, Corner::LowerRight],
        );
        draw_legend(&mut chart, corner.position())
    }
}

// ---------------------------------------------------------------------------------------
// Over time
// ---------------------------------------------------------------------------------------

impl Chart for TimeSeriesChart {
    fn validate(&self) -> Result<(), ChartError> {
        check_size(self.size)?;
        if self.panels.is_empty() {
            return Err(ChartError::InvalidData {
                field: "panels".into(),
                problem: "is empty; give at least one panel".into(),
            });
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
            // Leave the top free for the legend: its height over the plot height, estimated
            // from the entry count (one line of LEGEND_PX text ≈ 20 px each).
            let entries = panel.series.len() + usize::from(panel.reference.is_some()) + 1;
            let x_area = if pi == last { 60 } else { 35 };
            let plot_h = f64::from(area.dim_in_pixel().1.saturating_sub(30 + x_area).max(1));
            let legend_frac = ((entries as f64 * 20.0 + 46.0) / plot_h).clamp(0.15, 0.6);
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
                chart
                    .draw_series(LineSeries::new(
                        s.points.iter().map(|p| (p.t, p.mean)),
                        c.stroke_width(3),
                    ))
                    .map_err(draw_err)?
                    .label(s.name.clone())
                    .legend(move |(x, y)| {
                        EmptyElement::at((x, y))
                            + Rectangle::new([(-4, -7), (16, 7)], c.mix(0.22).filled())
                            + PathElement::new(vec![(-4, 0), (16, 0)], c.stroke_width(3))
                    });
            }
            if let Some((v, label)) = &panel.reference {
                draw_level(&mut chart, (x0, x1), *v, label, false)?;
            }
            let grey = RGBColor(90, 90, 90);
            chart
                .draw_series(LineSeries::new(Vec::<(f64, f64)>::new(), grey))
                .map_err(draw_err)?
                .label(format!("line: mean; band: {}", self.band_label))
                .legend(move |(x, y)| {
                    EmptyElement::at((x, y))
                        + Rectangle::new([(-4, -7), (16, 7)], grey.mix(0.22).filled())
                        + PathElement::new(vec![(-4, 0), (16, 0)], grey.stroke_width(3))
                });
            draw_legend(&mut chart, SeriesLabelPosition::UpperRight)?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// Sizing
// ---------------------------------------------------------------------------------------

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
            })
            .collect();
        let xs = analytic
            .iter()
            .map(|p| p.0)
            .chain(sim.iter().map(|p| p.x))
            .chain(self.chosen.map(f64::from));
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

        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, title_font())
            .margin(20)
            .x_label_area_size(60)
            .y_label_area_size(85)
            .build_cartesian_2d(x0..x1, bottom..top)
            .map_err(draw_err)?;
        let n_ticks = ((hi - lo) as usize + 1).min(25);
        style_mesh(&mut chart, &self.x_label, &self.y_label, true, n_ticks)?;

        let c = colour(0);
        if let Some(n) = self.chosen {
            let x = f64::from(n);
            let green = RGBColor(0, 130, 60);
            chart
                .draw_series(DashedLineSeries::new(
                    vec![(x, bottom), (x, top)],
                    4,
                    4,
                    green.stroke_width(2),
                ))
                .map_err(draw_err)?
                .label(format!("chosen: {n} consumers"))
                .legend(move |(x, y)| {
                    EmptyElement::at((x + 6, y)) + Circle::new((0, 0), 7, green.stroke_width(3))
                });
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
            for (k, piece) in clip_polyline(&analytic, bottom, top)
                .into_iter()
                .enumerate()
            {
                let anno = chart
                    .draw_series(LineSeries::new(piece, c.stroke_width(3)))
                    .map_err(draw_err)?;
                if k == 0 {
                    anno.label("analytic").legend(move |(x, y)| {
                        PathElement::new(vec![(x - 4, y), (x + 16, y)], c.stroke_width(3))
                    });
                }
            }
            chart
                .draw_series(
                    analytic
                        .iter()
                        .filter(|p| (bottom..=top).contains(&p.1))
                        .map(|&p| Circle::new(p, 4, WHITE.filled())),
                )
                .map_err(draw_err)?;
            chart
                .draw_series(
                    analytic
                        .iter()
                        .filter(|p| (bottom..=top).contains(&p.1))
                        .map(|&p| Circle::new(p, 4, c.stroke_width(2))),
                )
                .map_err(draw_err)?;
        }
        // Analytic values above the axis (just above the smallest stable count): a
        // triangle under the top edge, like off-scale simulated means.
        let inside = top - 0.025 * (top - bottom);
        chart
            .draw_series(
                analytic
                    .iter()
                    .filter(|p| p.1 > top)
                    .map(|p| TriangleMarker::new((p.0, inside), 7, c.stroke_width(2))),
            )
            .map_err(draw_err)?;
        let sim_colour = colour(1);
        if !sim.is_empty() {
            draw_sim(&mut chart, &sim, (bottom, top), sim_colour)?;
            chart
                .draw_series(LineSeries::new(Vec::<(f64, f64)>::new(), sim_colour))
                .map_err(draw_err)?
                .label("simulated mean ± CI")
                .legend(move |(x, y)| {
                    EmptyElement::at((x + 6, y))
                        + Circle::new((0, 0), 4, sim_colour.filled())
                        + PathElement::new(vec![(0, -7), (0, 7)], sim_colour.stroke_width(2))
                });
        }
        if let Some((v, label)) = &self.slo {
            draw_level(&mut chart, (x0, x1), *v, label, true)?;
        }
        let mut labels: Vec<String> = vec![];
        labels.extend(self.chosen.map(|n| format!("chosen: {n} consumers")));
        labels.extend((!analytic.is_empty()).then(|| "analytic".to_string()));
        labels.extend((!sim.is_empty()).then(|| "simulated mean ± CI".to_string()));
        labels.extend(self.slo.iter().map(|s| s.1.clone()));
        let plot_px = chart.plotting_area().dim_in_pixel();
        let mut fp = Footprint::new((x0, x1), (bottom, top), plot_px);
        for piece in clip_polyline(&analytic, bottom, top) {
            fp.line(&piece);
        }
        fp.sim(&sim);
        if let Some((v, label)) = &self.slo {
            fp.level_label(*v, label, true);
        }
        let corner = pick_corner(
            plot_px,
            legend_px(&labels),
            &fp.samples,
            &[Corner::UpperRight, Corner::UpperLeft],
        );
        draw_legend(&mut chart, corner.position())
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
    fn format_from_extension() {
        assert_eq!(
            ChartFormat::from_path(Path::new("x.SVG")).unwrap(),
            ChartFormat::Svg
        );
        assert!(matches!(
            ChartFormat::from_path(Path::new("x")),
            Err(ChartError::UnsupportedFormat {
                extension: None,
                ..
            })
        ));
    }
}
