//! JSON Schemas of kendall's JSON outputs, generated from the Rust types (schemars,
//! JSON Schema draft 2020-12).
//!
//! Every JSON output carries `schema_version` ([`SCHEMA_VERSION`](crate::SCHEMA_VERSION)).
//! The schemas are published in `src/report/schemas/<output>.schema.json` and printed by
//! `kendall schema <output>`; a test checks that the published files equal the ones
//! generated from the types and that every bundled example's output validates against
//! them. Times are seconds and rates are per second throughout.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A JSON output of kendall, by the command that prints it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "snake_case")]
pub enum Output {
    /// The output of `kendall solve --format json`, a ModelSolution.
    Solve,
    /// The output of `kendall simulate --format json`, a SimReport.
    Simulate,
    /// The output of `kendall compare --format json`, a Comparison.
    Compare,
    /// The output of `kendall size --format json`, a SizingResult.
    Size,
    /// The output of `kendall sweep --format json`, a Sweep.
    Sweep,
    /// The output of `kendall diff --format json`, a Diff.
    Diff,
}

impl Output {
    /// Every output.
    pub const ALL: [Output; 6] = [
        Output::Solve,
        Output::Simulate,
        Output::Compare,
        Output::Size,
        Output::Sweep,
        Output::Diff,
    ];

    /// The command's name: `solve`, `simulate`, `compare`, `size`, `sweep`, `diff`.
    pub fn name(self) -> &'static str {
        match self {
            Output::Solve => "solve",
            Output::Simulate => "simulate",
            Output::Compare => "compare",
            Output::Size => "size",
            Output::Sweep => "sweep",
            Output::Diff => "diff",
        }
    }

    /// The file the schema is published in, `<name>.schema.json`.
    pub fn file_name(self) -> String {
        format!("{}.schema.json", self.name())
    }

    /// The output called `name`.
    pub fn from_name(name: &str) -> Option<Output> {
        Output::ALL.into_iter().find(|o| o.name() == name)
    }
}

impl fmt::Display for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The JSON Schema of `output`, generated from its type.
///
/// # Example
/// ```
/// use kendall::report::schema::{Output, json_schema};
/// let s = json_schema(Output::Solve);
/// assert_eq!(s["title"], "ModelSolution");
/// assert!(s["required"].as_array().unwrap().iter().any(|f| f == "schema_version"));
/// ```
pub fn json_schema(output: Output) -> serde_json::Value {
    let schema = match output {
        Output::Solve => schemars::schema_for!(crate::ModelSolution),
        Output::Simulate => schemars::schema_for!(crate::SimReport),
        Output::Compare => schemars::schema_for!(crate::Comparison),
        Output::Size => schemars::schema_for!(crate::SizingResult),
        Output::Sweep => schemars::schema_for!(crate::Sweep),
        Output::Diff => schemars::schema_for!(crate::Diff),
    };
    serde_json::to_value(schema).unwrap_or(serde_json::Value::Null)
}
