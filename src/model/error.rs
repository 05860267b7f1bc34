//! Errors raised while building, validating or loading a model.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::PathBuf;

/// One problem found by validation: where it is (`queue "ledger".service.mean`) and
/// what is wrong with it, including the fix.
///
/// # Example
/// ```
/// use kendall::model::Problem;
/// let p = Problem::new("queue \"ledger\".servers", "must be >= 1, got 0");
/// assert_eq!(p.to_string(), "queue \"ledger\".servers: must be >= 1, got 0");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Problem {
    /// Path of the offending field, e.g. `queue "ledger".service.mean`.
    pub path: String,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl Problem {
    /// A problem at `path` with `message`. Numbers that Rust prints in full (`1e300`
    /// as 301 digits, `f64::MIN_POSITIVE` as 300 zeros) are shown in scientific
    /// notation, so a message stays readable whatever value it quotes.
    ///
    /// ```
    /// use kendall::model::Problem;
    /// let p = Problem::new("source \"s\".arrival.rate", format!("got {}", 1e300));
    /// assert_eq!(p.message, "got 1e300");
    /// ```
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            message: compact_numbers(message.into()),
        }
    }
}

/// Rewrites every decimal literal longer than [`LONG_NUMBER`] characters (only f64's
/// full `Display` makes those; u64::MAX has 20 digits) in scientific notation.
fn compact_numbers(message: String) -> String {
    let is_num = |c: char| c.is_ascii_digit() || c == '.';
    if !message.contains(|c: char| c.is_ascii_digit()) {
        return message;
    }
    let mut out = String::with_capacity(message.len());
    let mut rest = message.as_str();
    while let Some(start) = rest.find(|c: char| c.is_ascii_digit()) {
        out.push_str(&rest[..start]);
        let len = rest[start..]
            .find(|c: char| !is_num(c))
            .unwrap_or(rest.len() - start);
        let token = &rest[start..start + len];
        match token.parse::<f64>() {
            Ok(v) if len > LONG_NUMBER => out.push_str(&format!("{v:e}")),
            _ => out.push_str(token),
        }
        rest = &rest[start + len..];
    }
    out.push_str(rest);
    out
}

/// The length past which a number in a message is written in scientific notation.
const LONG_NUMBER: usize = 21;

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Every problem found in one validation pass, listed one per line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Problems(pub Vec<Problem>);

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "  - {p}")?;
        }
        Ok(())
    }
}

/// Why a model could not be built or loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// Validation found one or more problems; each names its field and the fix.
    #[error("the model has {} problem(s):\n{}", .0.0.len(), .0)]
    Invalid(Problems),
    /// The scenario file could not be read.
    #[error("cannot read scenario file {path}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The scenario file is not valid TOML/JSON, or has unknown or mistyped fields.
    #[error("scenario file {path} is not a valid {format} scenario: {message}")]
    Parse {
        /// The file (or `<string>`).
        path: PathBuf,
        /// `TOML` or `JSON`.
        format: &'static str,
        /// The parser's message, with line and field where it knows them.
        message: String,
    },
    /// The file extension is not one kendall reads.
    #[error("scenario file {path} has an unknown extension: use .toml or .json")]
    UnknownFormat {
        /// The file.
        path: PathBuf,
    },
}

impl ModelError {
    /// The validation problems, if this is a validation error.
    pub fn problems(&self) -> &[Problem] {
        match self {
            ModelError::Invalid(p) => &p.0,
            _ => &[],
        }
    }
}
