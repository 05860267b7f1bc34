//! Charts of analytic and simulated results, as SVG or PNG files.
//!
//! Four chart kinds, each fed by a plain serde struct that is independent of the rest of
//! the crate (fill it from analytic solutions, simulation summaries, or a JSON file):
//!
//! | chart | input | x | y |
//! |---|---|---|---|
//! | latency against load | [`LatencyLoadChart`] | load (ρ or a rate multiplier) | latency |
//! | over time | [`TimeSeriesChart`] | time | queue length, latency, … (one panel each) |
//! | sizing | [`SizingChart`] | consumers | achieved p99 |
//! | heatmap | [`HeatmapChart`] | a first parameter (load) | a second (consumers); colour: p99 |
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
//!         simulated: vec![SimPoint { x: 0.5, mean: 20.3, lower: 19.6, upper: 21.0, unsettled: false }],
//!     }],
//!     slo: Some((100.0, "SLO: mean ≤ 100 ms".into())),
//!     y_max: None,
//!     size: None,
//!     log_y: false,
//!     saturation: None,
//! };
//! let path = std::env::temp_dir().join("kendall_doc_chart_module.svg");
//! render_latency_load(&chart, &path)?;
//! assert!(std::fs::read_to_string(&path)?.contains("M/M/1 sojourn time"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt::Display;
use std::fs;
use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;
use serde::{Deserialize, Serialize};

mod font;
mod heatmap;
mod latency_load;
mod layout;
mod sizing;
mod time_series;

pub use font::register_fonts;
pub use heatmap::{HeatCell, HeatmapChart, heatmap_svg, render_heatmap};
pub use latency_load::{
    LatencyLoadChart, LoadSeries, SimPoint, UnstableRegion, latency_load_svg, render_latency_load,
};
pub use sizing::{SizingChart, SizingPoint, render_sizing, sizing_svg};
pub use time_series::{
    BandPoint, TimePanel, TimeSeries, TimeSeriesChart, render_time_series, time_series_svg,
};

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
        "chart path {path:?}: {}; name the file *.svg or *.png",
        .extension.as_ref().map_or("no extension".to_string(), |e| format!("unsupported extension \".{e}\""))
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

/// Checks, before any work is done, that a chart can be written to `path`: the extension
/// names a format, the path names a file, and its directory exists and is writable (probed
/// by creating and removing the renderer's temporary sibling file). Returns the format.
///
/// The renderers do these checks themselves when they write; call this first when the
/// chart comes at the end of a long computation, so a typo fails at once.
///
/// # Errors
/// [`ChartError::UnsupportedFormat`] for an extension other than `.svg` or `.png`;
/// [`ChartError::Write`] if the path has no file name or is a directory, or its
/// directory does not exist, is not a directory, or cannot be written.
///
/// # Example
/// ```
/// use kendall::report::chart::{check_output, ChartError, ChartFormat};
/// let dir = std::env::temp_dir();
/// assert_eq!(check_output(&dir.join("latency.svg"))?, ChartFormat::Svg);
/// assert!(matches!(check_output(&dir.join("latency.jpg")), Err(ChartError::UnsupportedFormat { .. })));
/// assert!(matches!(check_output(&dir.join("no-such-dir/latency.png")), Err(ChartError::Write { .. })));
/// # Ok::<(), ChartError>(())
/// ```
pub fn check_output(path: &Path) -> Result<ChartFormat, ChartError> {
    let format = ChartFormat::from_path(path)?;
    let write_err = |message: String| ChartError::Write {
        path: path.to_path_buf(),
        message,
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    match fs::metadata(dir) {
        Err(_) => return Err(write_err(format!("directory {dir:?} does not exist"))),
        Ok(m) if !m.is_dir() => return Err(write_err(format!("{dir:?} is not a directory"))),
        Ok(_) => {}
    }
    if path.is_dir() {
        return Err(write_err("the path is a directory; name a file".into()));
    }
    let probe = partial_path(path, format)?;
    fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&probe)
        .map_err(|e| write_err(format!("directory {dir:?} is not writable ({e})")))?;
    // The probe was just created; a failed removal would only leave an empty file.
    let _ = fs::remove_file(&probe);
    Ok(format)
}

// ---------------------------------------------------------------------------------------
// Backend plumbing
// ---------------------------------------------------------------------------------------

/// A chart that can validate itself and draw on any plotters backend: one implementation
/// per chart kind (`latency_load.rs`, `time_series.rs`, `sizing.rs`, `heatmap.rs`), each drawing through
/// the shared helpers of `layout.rs`; [`render_svg`] and [`render_to_path`] do the rest.
trait Chart {
    /// Every value finite, bounds in order, sizes in range.
    fn validate(&self) -> Result<(), ChartError>;
    /// `(width, height)` of the drawing, pixels.
    fn pixel_size(&self) -> (u32, u32);
    /// Draws the whole chart on `root` (validated beforehand).
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
    let tmp = partial_path(path, format)?;
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

/// The temporary sibling a chart is drawn into before the rename onto `path`: in the same
/// directory, so the final rename is atomic, with the real extension last, as the PNG
/// encoder picks its format from it.
fn partial_path(path: &Path, format: ChartFormat) -> Result<PathBuf, ChartError> {
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
    Ok(path.with_file_name(format!(".{file_name}.{}.partial.{ext}", std::process::id())))
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

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn output_checked_before_drawing() {
        let dir = std::env::temp_dir().join(format!("kendall-check-output-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        assert_eq!(check_output(&dir.join("a.png")).unwrap(), ChartFormat::Png);
        assert_eq!(check_output(&dir.join("a.Svg")).unwrap(), ChartFormat::Svg);
        // Nothing is left behind by the probe.
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 0);
        assert!(matches!(
            check_output(&dir.join("a.jpg")),
            Err(ChartError::UnsupportedFormat { .. })
        ));
        let err = check_output(&dir.join("missing").join("a.png")).unwrap_err();
        assert!(matches!(err, ChartError::Write { .. }), "{err}");
        assert!(err.to_string().contains("does not exist"), "{err}");
        // A file where the directory should be.
        fs::write(dir.join("file"), "x").unwrap();
        let err = check_output(&dir.join("file").join("a.svg")).unwrap_err();
        assert!(err.to_string().contains("not a directory"), "{err}");
        fs::remove_dir_all(&dir).unwrap();
    }
}
