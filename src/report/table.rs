//! A plain table rendered as aligned text or as CSV.

/// Rows of string cells under a header.
///
/// # Example
/// ```
/// use kendall::report::Table;
/// let mut t = Table::new(["metric", "value"]);
/// t.row(["L", "9"]);
/// assert!(t.to_text().contains("metric"));
/// assert_eq!(t.to_csv(), "# schema_version=1\nmetric,value\nL,9\n");
/// ```
#[derive(Debug, Clone, Default)]
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column names.
    pub fn new<S: Into<String>>(header: impl IntoIterator<Item = S>) -> Self {
        Self {
            header: header.into_iter().map(Into::into).collect(),
            rows: vec![],
        }
    }

    /// Appends a row.
    pub fn row<S: Into<String>>(&mut self, cells: impl IntoIterator<Item = S>) {
        self.rows.push(cells.into_iter().map(Into::into).collect());
    }

    /// Aligned text, numbers right-aligned, with a rule under the header.
    pub fn to_text(&self) -> String {
        let cols = self.header.len();
        let mut width = vec![0; cols];
        for r in std::iter::once(&self.header).chain(&self.rows) {
            for (c, cell) in r.iter().enumerate().take(cols) {
                width[c] = width[c].max(cell.chars().count());
            }
        }
        let mut out = String::new();
        let line = |r: &Vec<String>, out: &mut String| {
            for (c, cell) in r.iter().enumerate().take(cols) {
                let pad = width[c] - cell.chars().count();
                let numeric = cell.parse::<f64>().is_ok() || cell == "-";
                if c > 0 {
                    out.push_str("  ");
                }
                if numeric && c > 0 {
                    out.push_str(&" ".repeat(pad));
                    out.push_str(cell);
                } else {
                    out.push_str(cell);
                    if c + 1 < cols {
                        out.push_str(&" ".repeat(pad));
                    }
                }
            }
            out.push('\n');
        };
        line(&self.header, &mut out);
        out.push_str(
            &width
                .iter()
                .map(|w| "-".repeat(*w))
                .collect::<Vec<_>>()
                .join("  "),
        );
        out.push('\n');
        for r in &self.rows {
            line(r, &mut out);
        }
        out
    }

    /// RFC 4180 CSV (cells with commas, quotes or newlines are quoted), after a first
    /// line `# schema_version=N` ([`SCHEMA_VERSION`](crate::SCHEMA_VERSION); read with
    /// `comment="#"` in pandas).
    pub fn to_csv(&self) -> String {
        let esc = |s: &String| {
            if s.contains([',', '"', '\n']) {
                format!("\"{}\"", s.replace('"', "\"\""))
            } else {
                s.clone()
            }
        };
        let mut out = format!("# schema_version={}\n", crate::SCHEMA_VERSION);
        for r in std::iter::once(&self.header).chain(&self.rows) {
            out.push_str(&r.iter().map(esc).collect::<Vec<_>>().join(","));
            out.push('\n');
        }
        out
    }
}

/// Formats a number with 6 significant digits, or `-` when absent.
pub fn num(x: Option<f64>) -> String {
    match x {
        None => "-".into(),
        Some(0.0) => "0".into(),
        Some(v) if v.abs() >= 1e-4 && v.abs() < 1e7 => {
            let digits = (5 - v.abs().log10().floor() as i32).max(0) as usize;
            let s = format!("{v:.digits$}");
            if s.contains('.') {
                s.trim_end_matches('0').trim_end_matches('.').to_string()
            } else {
                s
            }
        }
        Some(v) => format!("{v:.5e}"),
    }
}

/// A metric's name with its unit, for a row label or column header: `W (s)`,
/// `throughput (1/s)`, `utilisation`.
///
/// # Example
/// ```
/// use kendall::{Metric, report::metric_label};
/// assert_eq!(metric_label(Metric::MeanSojourn), "W (s)");
/// assert_eq!(metric_label(Metric::Utilisation), "utilisation");
/// ```
pub fn metric_label(m: crate::model::Metric) -> String {
    use crate::model::Unit;
    match m.unit() {
        Unit::Seconds => format!("{m} (s)"),
        Unit::PerSecond => format!("{m} (1/s)"),
        _ => m.to_string(),
    }
}
