//! A plain table rendered as aligned text or as CSV.
//!
//! CSV keeps every figure as computed, times in SI seconds. Text is for reading: a row
//! or column of times (a label ending in ` (s)`, or a row marked with
//! [`Table::mark_seconds`]) is shown in the unit that suits its largest figure (s, ms
//! or µs, named in the label), and an interval `mean ± half-width` is rounded to the
//! half-width's second significant digit.

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
    /// Rows of times whose label does not say so (a `metric` column with `W`, `p99`),
    /// with the column that holds the label.
    seconds_rows: Vec<(usize, Option<usize>, Vec<usize>)>,
}

impl Table {
    /// A table with these column names.
    pub fn new<S: Into<String>>(header: impl IntoIterator<Item = S>) -> Self {
        Self {
            header: header.into_iter().map(Into::into).collect(),
            rows: vec![],
            seconds_rows: vec![],
        }
    }

    /// Appends a row.
    pub fn row<S: Into<String>>(&mut self, cells: impl IntoIterator<Item = S>) {
        self.rows.push(cells.into_iter().map(Into::into).collect());
    }

    /// Marks the last row as one of times in seconds, in `columns`, whose label (in
    /// column `label_column`) carries no unit: the text form shows those cells in a
    /// readable unit and names it after the label (or, without a label column, in
    /// each cell).
    ///
    /// # Example
    /// ```
    /// use kendall::report::Table;
    /// let mut t = Table::new(["node", "metric", "value"]);
    /// t.row(["payments", "W", "0.0120459"]);
    /// t.mark_seconds(Some(1), [2]);
    /// assert!(t.to_text().contains("W (ms)"));
    /// assert!(t.to_text().contains("12.0459"));
    /// assert!(t.to_csv().contains("payments,W,0.0120459"));
    /// ```
    pub fn mark_seconds(
        &mut self,
        label_column: Option<usize>,
        columns: impl IntoIterator<Item = usize>,
    ) {
        if let Some(last) = self.rows.len().checked_sub(1) {
            self.seconds_rows
                .push((last, label_column, columns.into_iter().collect()));
        }
    }

    /// The table as it is shown: times in a readable unit, intervals rounded.
    fn readable(&self) -> (Vec<String>, Vec<Vec<String>>) {
        let mut header = self.header.clone();
        let mut rows: Vec<Vec<String>> = self
            .rows
            .iter()
            .map(|r| r.iter().map(|c| compact_interval(c)).collect())
            .collect();
        // Columns of times: every cell below a header `… (s)`.
        for (c, h) in self.header.iter().enumerate() {
            let Some(base) = h.strip_suffix(" (s)") else {
                continue;
            };
            let cells: Vec<&String> = self.rows.iter().filter_map(|r| r.get(c)).collect();
            if let Some(unit) = TimeUnit::for_cells(cells.iter().map(|s| s.as_str())) {
                header[c] = format!("{base} ({})", unit.symbol);
                for (r, row) in self.rows.iter().enumerate() {
                    if let Some(cell) = row.get(c) {
                        rows[r][c] = compact_interval(&unit.rescale(cell));
                    }
                }
            }
        }
        // Rows of times: a first cell `… (s)` (every other cell a time), or marked.
        let labelled = self
            .rows
            .iter()
            .enumerate()
            .filter(|(_, r)| r.first().is_some_and(|l| l.ends_with(" (s)")))
            .map(|(i, r)| (i, Some(0), (1..r.len()).collect::<Vec<_>>()));
        let marked = self.seconds_rows.iter().cloned();
        for (r, label, columns) in marked.chain(labelled) {
            let row = &self.rows[r];
            let values = columns.iter().filter_map(|&c| row.get(c));
            let Some(unit) = TimeUnit::for_cells(values.map(String::as_str)) else {
                continue;
            };
            if let Some(l) = label
                && let Some(cell) = row.get(l)
            {
                rows[r][l] = match cell.strip_suffix(" (s)") {
                    Some(base) => format!("{base} ({})", unit.symbol),
                    None => format!("{cell} ({})", unit.symbol),
                };
            }
            for &c in &columns {
                if let Some(cell) = row.get(c) {
                    let shown = compact_interval(&unit.rescale(cell));
                    rows[r][c] = match label {
                        None if cell != "-" => format!("{shown} {}", unit.symbol),
                        _ => shown,
                    };
                }
            }
        }
        (header, rows)
    }

    /// Aligned text, numbers right-aligned, with a rule under the header; times in a
    /// readable unit and intervals rounded (see the module documentation).
    pub fn to_text(&self) -> String {
        let (header, rows) = self.readable();
        let cols = header.len();
        let mut width = vec![0; cols];
        for r in std::iter::once(&header).chain(&rows) {
            for (c, cell) in r.iter().enumerate().take(cols) {
                width[c] = width[c].max(cell.chars().count());
            }
        }
        let mut out = String::new();
        let line = |r: &Vec<String>, out: &mut String| {
            for (c, cell) in r.iter().enumerate().take(cols) {
                let pad = width[c] - cell.chars().count();
                let numeric = is_figure(cell);
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
        line(&header, &mut out);
        out.push_str(
            &width
                .iter()
                .map(|w| "-".repeat(*w))
                .collect::<Vec<_>>()
                .join("  "),
        );
        out.push('\n');
        for r in &rows {
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
        Some(v) if v == f64::INFINITY => "infinite".into(),
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

/// A probability given by its base-10 logarithm `x`: as [`num`] while a double holds
/// 10^x, else `10^-391.23 (underflow)`, the explicit mark that the figure exists but is
/// below the smallest double.
///
/// # Example
/// ```
/// use kendall::report::num_log10;
/// assert_eq!(num_log10(-2.0), "0.01");
/// assert_eq!(num_log10(-391.234), "10^-391.23 (underflow)");
/// ```
pub fn num_log10(x: f64) -> String {
    let v = 10f64.powf(x);
    if v >= f64::MIN_POSITIVE {
        num(Some(v))
    } else {
        format!("10^{x:.2} (underflow)")
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
        Unit::SquareSeconds => format!("{m} (s²)"),
        _ => m.to_string(),
    }
}

/// Whether a cell holds a figure (right-aligned): a number, `-`, `mean ± half-width`,
/// either with a time unit or a warning mark after it.
fn is_figure(cell: &str) -> bool {
    let mut core = cell.trim_end_matches(" !");
    for unit in [" ms", " µs", " s"] {
        core = core.strip_suffix(unit).unwrap_or(core);
    }
    core == "-" || core.split(" ± ").all(|x| x.parse::<f64>().is_ok())
}

/// A unit of time for showing a row or column of figures in seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
struct TimeUnit {
    symbol: &'static str,
    per_second: f64,
}

impl TimeUnit {
    /// The unit for cells whose largest figure is `max` seconds: s from 1 s up (and for
    /// all zeros), ms from 1 ms, µs below. None when a cell holds something that is
    /// not a figure (then the cells stay in seconds, as labelled).
    fn for_cells<'a>(cells: impl IntoIterator<Item = &'a str>) -> Option<TimeUnit> {
        let mut max = 0.0_f64;
        for cell in cells {
            for token in cell.split_whitespace() {
                match token_kind(token) {
                    Token::Number(v) if v.is_finite() => max = max.max(v.abs()),
                    Token::Number(_) | Token::Text => {}
                    Token::Malformed => return None,
                }
            }
        }
        let unit = |symbol, per_second| Some(TimeUnit { symbol, per_second });
        if max == 0.0 || max >= 1.0 {
            unit("s", 1.0)
        } else if max >= 1e-3 {
            unit("ms", 1e3)
        } else {
            unit("µs", 1e6)
        }
    }

    /// Every figure in `cell` in this unit (words and markers left as they are).
    fn rescale(self, cell: &str) -> String {
        if self.per_second == 1.0 {
            return cell.to_string();
        }
        cell.split(' ')
            .map(|token| {
                let core = token
                    .trim_start_matches(['[', '('])
                    .trim_end_matches([',', ']', ')']);
                match core.parse::<f64>() {
                    Ok(v) if v.is_finite() => {
                        token.replacen(core, &num(Some(v * self.per_second)), 1)
                    }
                    _ => token.to_string(),
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The unit [`Table::to_text`] shows times in when the largest is `max` seconds:
/// `(symbol, per_second)`, e.g. `("ms", 1000.0)`.
pub(crate) fn time_unit(max: f64) -> (&'static str, f64) {
    TimeUnit::for_cells([num(Some(max)).as_str()]).map_or(("s", 1.0), |u| (u.symbol, u.per_second))
}

/// What one whitespace-separated token of a cell is.
enum Token {
    Number(f64),
    /// Words, signs, markers: no digits.
    Text,
    /// Digits that do not read as a number (`12ms`, `1.2.3`): not to be rescaled.
    Malformed,
}

fn token_kind(token: &str) -> Token {
    let core = token
        .trim_start_matches(['[', '('])
        .trim_end_matches([',', ']', ')']);
    match core.parse::<f64>() {
        Ok(v) => Token::Number(v),
        Err(_) if core.chars().any(|c| c.is_ascii_digit()) => Token::Malformed,
        Err(_) => Token::Text,
    }
}

/// `mean ± half-width` rounded to the half-width's second significant digit (both
/// parts), so an interval shows the digits it supports: `800.005 ± 1.63637` reads
/// `800.0 ± 1.6`. Other cells are returned as they are.
fn compact_interval(cell: &str) -> String {
    let Some((m, rest)) = cell.split_once(" ± ") else {
        return cell.to_string();
    };
    let (h, tail) = match rest.split_once(' ') {
        Some((h, tail)) => (h, Some(tail)),
        None => (rest, None),
    };
    let (Ok(mean), Ok(half)) = (m.parse::<f64>(), h.parse::<f64>()) else {
        return cell.to_string();
    };
    if !(mean.is_finite() && half.is_finite() && half > 0.0) {
        return cell.to_string();
    }
    if half <= 1e-12 * mean.abs() {
        // Rounding noise of equal replications (a deterministic delay): no interval.
        let shown = format!("{m} ± 0");
        return match tail {
            Some(t) => format!("{shown} {t}"),
            None => shown,
        };
    }
    let d = half.log10().floor() as i32;
    let shown = if d >= 2 {
        let q = 10f64.powi(d - 1);
        format!("{} ± {}", (mean / q).round() * q, (half / q).round() * q)
    } else {
        let decimals = (1 - d) as usize;
        format!("{mean:.decimals$} ± {half:.decimals$}")
    };
    match tail {
        Some(t) => format!("{shown} {t}"),
        None => shown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_show_the_digits_the_half_width_supports() {
        assert_eq!(compact_interval("800.005 ± 1.63637"), "800.0 ± 1.6");
        assert_eq!(compact_interval("0.799845 ± 0.00193465"), "0.7998 ± 0.0019");
        assert_eq!(compact_interval("160001 ± 327.274"), "160000 ± 330");
        assert_eq!(compact_interval("0 ± 0"), "0 ± 0");
        assert_eq!(compact_interval("9.67 ± 0.14 !"), "9.67 ± 0.14 !");
        assert_eq!(compact_interval("abc"), "abc");
    }

    #[test]
    fn time_rows_and_columns_get_a_readable_unit() {
        let mut t = Table::new(["metric", "a", "b"]);
        t.row(["W (s)", "0.0120459", "0.00698216"]);
        t.row(["p99 (s)", "2.5", "0.4"]);
        t.row(["Wq (s)", "0.000012", "0"]);
        t.row(["L", "9.6", "5.5"]);
        let text = t.to_text();
        assert!(text.contains("W (ms)") && text.contains("12.0459") && text.contains("6.98216"));
        assert!(text.contains("p99 (s)") && text.contains("2.5"));
        assert!(text.contains("Wq (µs)") && text.contains("12"));
        assert!(text.contains("9.6"));
        let mut c = Table::new(["source", "W (s)"]);
        c.row(["checkout", "0.0120882 ± 0.000184596"]);
        let text = c.to_text();
        assert!(
            text.contains("W (ms)") && text.contains("12.09 ± 0.18"),
            "{text}"
        );
        // A cell that is not a figure keeps the row in seconds.
        let mut m = Table::new(["metric", "a"]);
        m.row(["W (s)", "12ms"]);
        assert!(m.to_text().contains("W (s)"));
        // CSV unchanged.
        assert!(c.to_csv().contains("0.0120882 ± 0.000184596"));
    }
}
