//! Times in seconds, written in scenario files either as a number of seconds or as a
//! string with a unit: `"250us"`, `"12ms"`, `"1.5s"`, `"2m"`, `"1h"`.
//!
//! The Rust API always takes seconds as `f64`; these helpers are what serde uses to read
//! scenario files.

use serde::de::{self, Deserializer, Visitor};
use std::fmt;

/// Parses a duration written as seconds (`"0.5"`) or with a unit suffix
/// (`ns`, `us`, `µs`, `ms`, `s`, `m`/`min`, `h`, `d`) and returns seconds.
///
/// # Errors
/// Returns a message naming the accepted forms when the text is not a finite,
/// non-negative number followed by a known unit.
///
/// # Example
/// ```
/// use kendall::model::parse_duration;
/// assert_eq!(parse_duration("12ms").unwrap(), 0.012);
/// assert_eq!(parse_duration("2m").unwrap(), 120.0);
/// assert_eq!(parse_duration("1.5").unwrap(), 1.5);
/// assert_eq!(parse_duration("1h30m").unwrap(), 5400.0);
/// assert!(parse_duration("12 parsecs").is_err());
/// ```
pub fn parse_duration(text: &str) -> Result<f64, String> {
    let t = text.trim();
    let bad = || {
        format!(
            "cannot read duration {text:?}: write seconds as a number or a string like \"12ms\", \"1.5s\", \"2m\", \"1h30m\""
        )
    };
    if t.is_empty() {
        return Err(bad());
    }
    let mut rest = t;
    let mut seconds = 0.0;
    let mut parts = 0;
    while !rest.is_empty() {
        // A number (exponents allowed: no unit starts with 'e'), then an optional unit.
        let end = rest
            .char_indices()
            .find(|&(k, c)| {
                !(c.is_ascii_digit()
                    || c == '.'
                    || ((c == 'e' || c == 'E') && k > 0)
                    || ((c == '+' || c == '-') && (k == 0 || rest[..k].ends_with(['e', 'E']))))
            })
            .map_or(rest.len(), |(k, _)| k);
        let value: f64 = rest[..end].trim().parse().map_err(|_| bad())?;
        rest = rest[end..].trim_start();
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.' || c.is_whitespace())
            .unwrap_or(rest.len());
        let unit = &rest[..unit_end];
        rest = rest[unit_end..].trim_start();
        let scale = match unit {
            "" if parts == 0 && rest.is_empty() => 1.0,
            "s" | "sec" => 1.0,
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "m" | "min" => 60.0,
            "h" => 3600.0,
            "d" => 86400.0,
            "" => return Err(bad()),
            other => {
                return Err(format!(
                    "unknown time unit {other:?} in {text:?}: use one of ns, us, ms, s, m, h, d"
                ));
            }
        };
        seconds += value * scale;
        parts += 1;
    }
    if !seconds.is_finite() || seconds < 0.0 {
        return Err(format!("duration {text:?} must be finite and >= 0"));
    }
    Ok(seconds)
}

struct SecondsVisitor;

impl Visitor<'_> for SecondsVisitor {
    type Value = f64;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a time in seconds (a number) or a string like \"12ms\", \"1.5s\", \"2m\"")
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<f64, E> {
        Ok(v)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<f64, E> {
        Ok(v as f64)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<f64, E> {
        Ok(v as f64)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<f64, E> {
        parse_duration(v).map_err(E::custom)
    }
}

/// serde `deserialize_with` for an `f64` field holding seconds.
///
/// # Errors
/// Fails on anything that is neither a number nor a duration string.
pub fn seconds<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    d.deserialize_any(SecondsVisitor)
}

/// serde `deserialize_with` for an `Option<f64>` field holding seconds.
///
/// # Errors
/// Fails on anything that is neither a number nor a duration string.
pub fn opt_seconds<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    seconds(d).map(Some)
}

/// serde `deserialize_with` for a list of times in seconds (e.g. empirical samples).
///
/// # Errors
/// Fails on any element that is neither a number nor a duration string.
pub fn seconds_vec<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
    #[derive(serde::Deserialize)]
    struct S(#[serde(deserialize_with = "seconds")] f64);
    let v: Vec<S> = serde::Deserialize::deserialize(d)?;
    Ok(v.into_iter().map(|s| s.0).collect())
}

#[cfg(test)]
mod tests {
    use super::parse_duration;

    #[test]
    fn units() {
        assert_eq!(parse_duration("12ms").unwrap(), 0.012);
        assert_eq!(parse_duration("1.5s").unwrap(), 1.5);
        assert_eq!(parse_duration("2m").unwrap(), 120.0);
        assert_eq!(parse_duration("1h").unwrap(), 3600.0);
        assert_eq!(parse_duration("250us").unwrap(), 250e-6);
        assert_eq!(parse_duration("3").unwrap(), 3.0);
        assert_eq!(parse_duration("1e-3s").unwrap(), 1e-3);
        assert_eq!(parse_duration(" 7 ms ").unwrap(), 0.007);
        assert_eq!(parse_duration("1h30m").unwrap(), 5400.0);
        assert_eq!(parse_duration("2m 30s").unwrap(), 150.0);
    }

    #[test]
    fn rejects() {
        assert!(parse_duration("").is_err());
        assert!(parse_duration("ms").is_err());
        assert!(parse_duration("-1s").is_err());
        assert!(parse_duration("1h30").is_err());
        assert!(parse_duration("s").is_err());
        assert!(
            parse_duration("5 fortnights")
                .unwrap_err()
                .contains("unknown time unit")
        );
    }
}
