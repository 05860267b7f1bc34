//! The embedded DejaVu Sans font, registered with plotters once per process.

use std::sync::OnceLock;

use plotters::style::{FontStyle, register_font};

use super::ChartError;

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
