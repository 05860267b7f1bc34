//! Reports: tables, CSV and JSON of analytic and simulated results, and charts. Every
//! CSV writer of the crate lives here; the computing modules (`sim`, `sweep`, `sizing`,
//! …) do not depend on `report`.

#[cfg(feature = "charts")]
pub mod chart;
mod comparison;
mod diff;
#[cfg(feature = "charts")]
pub mod plots;
pub mod schema;
mod simulation;
mod sizing;
mod solution;
mod sweep;
mod table;
pub mod tidy;

pub use comparison::{comparison_csv, comparison_methods, comparison_summary, comparison_table};
pub use diff::{diff_table, diff_text};
pub use simulation::{simulation_table, simulation_text, time_series_csv};
pub use sizing::{sizing_csv, sizing_text};
pub use solution::{solution_table, solution_text};
pub use sweep::{GRID_FIGURE, sweep_csv, sweep_grid_text, sweep_text};
pub use table::{Table, metric_label, num, num_log10};
