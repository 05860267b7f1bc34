//! Reports: tables, CSV and JSON of analytic and simulated results.

pub mod chart;
pub mod solution;
pub mod table;

pub use solution::{solution_table, solution_text};
pub use table::{Table, num};
