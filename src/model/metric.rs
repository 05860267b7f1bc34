//! The metric vocabulary: one name for each quantity, shared by everything.
//!
//! See [`Metric`].

use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::fmt;

/// A percentile level: a probability in (0, 1), held in parts per billion.
///
/// The four reported everywhere are [`Level::P50`], [`Level::P95`], [`Level::P99`] and
/// [`Level::P999`] ([`Level::ALL`]); any other level (`p9995`, `p99999`, `p05`) can be
/// asked for through [`Queries`](super::Queries), the SLO grammar or `--percentiles`.
///
/// Names: `p` and the digits of the probability after "0.", at least two (`p50` is
/// 0.50, `p999` is 0.999, `p9995` is 0.9995, `p05` is 0.05); `p99.95` (a percentage) is
/// read too. Up to nine digits (a level is exact to 10⁻⁹).
///
/// # Example
/// ```
/// use kendall::Level;
/// let l: Level = "p9995".parse().unwrap();
/// assert_eq!(l.p(), 0.9995);
/// assert_eq!(l.name(), "p9995");
/// assert_eq!("p99.95".parse::<Level>().unwrap(), l);
/// assert_eq!(Level::from_percent(99.9).unwrap(), Level::P999);
/// assert_eq!(Level::from_percent(5.0).unwrap().name(), "p05");
/// assert!(Level::from_percent(100.0).is_none() && "p5".parse::<Level>().is_err());
/// assert!("p100".parse::<Level>().is_err() && "p990".parse::<Level>().is_err());
/// ```
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(try_from = "String", into = "String")]
pub struct Level {
    ppb: u32,
}

/// Parts per billion in a probability.
const PPB: u32 = 1_000_000_000;

impl Level {
    /// The median.
    pub const P50: Level = Level { ppb: 500_000_000 };
    /// The 95th percentile.
    pub const P95: Level = Level { ppb: 950_000_000 };
    /// The 99th percentile.
    pub const P99: Level = Level { ppb: 990_000_000 };
    /// The 99.9th percentile.
    pub const P999: Level = Level { ppb: 999_000_000 };

    /// The four levels reported everywhere, in increasing order.
    pub const ALL: [Level; 4] = [Level::P50, Level::P95, Level::P99, Level::P999];

    /// The level of probability `p` (rounded to 10⁻⁹); `None` unless 0 < p < 1 after
    /// rounding.
    ///
    /// # Example
    /// ```
    /// assert_eq!(kendall::Level::from_p(0.99), Some(kendall::Level::P99));
    /// assert_eq!(kendall::Level::from_p(1.0), None);
    /// ```
    pub fn from_p(p: f64) -> Option<Level> {
        if !(p > 0.0 && p < 1.0) {
            return None;
        }
        let ppb = (p * f64::from(PPB)).round();
        if ppb >= 1.0 && ppb < f64::from(PPB) {
            Some(Level { ppb: ppb as u32 })
        } else {
            None
        }
    }

    /// The level of `percent` per cent (99.95 → `p9995`); `None` unless 0 < percent < 100.
    pub fn from_percent(percent: f64) -> Option<Level> {
        Level::from_p(percent / 100.0)
    }

    /// The probability level.
    ///
    /// # Example
    /// ```
    /// assert_eq!(kendall::Level::P999.p(), 0.999);
    /// ```
    pub fn p(self) -> f64 {
        f64::from(self.ppb) / f64::from(PPB)
    }

    /// Whether it is one of the four levels reported everywhere ([`Level::ALL`]).
    pub fn is_standard(self) -> bool {
        Level::ALL.contains(&self)
    }

    /// The name: `p50`, `p95`, `p99`, `p999`, `p9995`, ...
    ///
    /// # Example
    /// ```
    /// assert_eq!(kendall::Level::P95.name(), "p95");
    /// ```
    pub fn name(self) -> String {
        let digits = format!("{:09}", self.ppb);
        let trimmed = digits.trim_end_matches('0');
        format!("p{trimmed:0<2}")
    }

    /// The level called `name` (`p50`, `p9995`, `p99.95`); `None` if it is not one.
    ///
    /// # Example
    /// ```
    /// assert_eq!(kendall::Level::from_name("p99"), Some(kendall::Level::P99));
    /// assert_eq!(kendall::Level::from_name("p100"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<Level> {
        let body = name.strip_prefix('p')?;
        if body.contains('.') {
            // A percentage: p99.95.
            let (int, frac) = body.split_once('.')?;
            let ok = |s: &str| s.chars().all(|c| c.is_ascii_digit());
            if int.is_empty() || int.len() > 2 || frac.is_empty() || !ok(int) || !ok(frac) {
                return None;
            }
            return Level::from_percent(body.parse().ok()?);
        }
        // Two to nine digits, no zero at the end beyond the second (p990 and p100 are
        // not names: p99 is 0.99, and 100% is not a level).
        if body.len() < 2
            || body.len() > 9
            || !body.chars().all(|c| c.is_ascii_digit())
            || (body.len() > 2 && body.ends_with('0'))
        {
            return None;
        }
        let ppb: u32 = format!("{body:0<9}").parse().ok()?;
        (ppb > 0).then_some(Level { ppb })
    }
}

impl std::str::FromStr for Level {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Level::from_name(s.trim()).ok_or_else(|| {
            format!(
                "unknown percentile level {s:?}: write p and the digits after \"0.\" (p50, p99, p999, p9995) or a percentage (p99.95)"
            )
        })
    }
}

impl TryFrom<String> for Level {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl From<Level> for String {
    fn from(l: Level) -> String {
        l.name()
    }
}

/// A time threshold t for a tail probability P(W > t), seconds (non-negative, finite),
/// held by its bits so that a [`Metric`] stays `Eq` and `Hash`.
///
/// Named in the shortest unit that reads back to the same number: `50ms`, `1.5s`.
///
/// # Example
/// ```
/// use kendall::model::Threshold;
/// let t = Threshold::new(0.05).unwrap();
/// assert_eq!(t.seconds(), 0.05);
/// assert_eq!(t.name(), "50ms");
/// assert_eq!(Threshold::new(2.5).unwrap().name(), "2.5s");
/// assert!(Threshold::new(-1.0).is_none() && Threshold::new(f64::NAN).is_none());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Threshold {
    bits: u64,
}

impl Threshold {
    /// The threshold `seconds` (0 allowed: P(Wq > 0) is P(wait)); `None` if negative or
    /// not finite.
    pub fn new(seconds: f64) -> Option<Threshold> {
        (seconds.is_finite() && seconds >= 0.0).then(|| Threshold {
            bits: (seconds + 0.0).to_bits(),
        })
    }

    /// The time, seconds.
    pub fn seconds(self) -> f64 {
        f64::from_bits(self.bits)
    }

    /// The name: milliseconds below a second when that reads back exactly, else seconds.
    pub fn name(self) -> String {
        let s = self.seconds();
        let ms = format!("{}ms", s * 1e3);
        if s < 1.0 && super::parse_duration(&ms) == Ok(s) {
            ms
        } else {
            format!("{s}s")
        }
    }
}

impl PartialOrd for Threshold {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Threshold {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        // Non-negative floats order like their bits.
        self.bits.cmp(&other.bits)
    }
}

/// A measured quantity of a queue, or of a source's end-to-end latency: the one
/// metric vocabulary.
///
/// The names below are the names of the SLO grammar ([`Slo`](super::Slo)), of the
/// analytic and the simulated results ([`NodeSolution::get`](crate::analytic::NodeSolution::get),
/// [`QueueReport::get`](crate::sim::QueueReport::get)), of `compare` rows, sweep
/// columns, sizing evidence, table headers, CSV `metric` cells and chart labels. A
/// layer that reports "every metric" iterates over [`Metric::QUEUE`] or
/// [`Metric::END_TO_END`] instead of keeping a list of its own.
///
/// | name | metric | unit |
/// |---|---|---|
/// | `arrival_rate` | λ offered to the node | messages/s |
/// | `throughput` | X, messages admitted (and, in steady state, completed) | messages/s |
/// | `utilisation` | ρ, busy fraction per consumer | fraction |
/// | `L`, `Lq` | mean number in the node, waiting | messages |
/// | `W`, `Wq` | mean sojourn (wait + service), mean wait | seconds |
/// | `Var(N)` | variance of the number in the node (time-stationary) | messages² |
/// | `Var(W)`, `Var(Wq)` | variance of the sojourn and of the wait | seconds² |
/// | `p50` `p95` `p99` `p999` | sojourn percentiles | seconds |
/// | `wait.p50` ... `wait.p999` | waiting-time percentiles | seconds |
/// | `p9995`, `wait.p05`, ... | any other percentile level (see [`Level`]), when asked for | seconds |
/// | `P(>50ms)`, `wait.P(>50ms)` | P(W > t), P(Wq > t): the share of messages slower than t | fraction |
/// | `P(wait)` | probability a message waits at all | fraction |
/// | `P(block)` | probability an arrival finds the node full | fraction |
/// | `P(expire)` | probability a message expires unserved (`ttl`) | fraction |
/// | `dead_letter` | fraction of messages dead-lettered | fraction |
/// | `consumers` | c, consumers deployed | count |
///
/// For an end-to-end target (`end_to_end`, `end_to_end:<source>`) `W` is the mean and
/// `p99` the percentile of the time from a message's creation until its last
/// descendant is done.
///
/// Parsing accepts a few aliases (`mean` and `sojourn` for `W`, `wait` for `Wq`,
/// `blocking` for `P(block)`, `utilization`, `servers`, `sojourn.p99` for `p99`,
/// spaces inside `P(> 50 ms)`); printing always gives the canonical name.
///
/// Percentiles at other levels and tail probabilities are figures of the distribution:
/// both engines give them for the levels and thresholds a model asks for
/// ([`Queries`](super::Queries), SLOs, `--percentiles`, `--at`).
///
/// # Example
/// ```
/// use kendall::{Level, Metric};
/// let m: Metric = "wait.p99".parse().unwrap();
/// assert_eq!(m, Metric::WaitPercentile(Level::P99));
/// assert_eq!(m.to_string(), "wait.p99");
/// assert_eq!("mean".parse::<Metric>().unwrap().name(), "W");
/// assert!(m.is_time() && m.is_percentile());
/// assert_eq!(Metric::QUEUE.len(), 21);
/// let tail: Metric = "wait.P(> 50ms)".parse().unwrap();
/// assert_eq!(tail.to_string(), "wait.P(>50ms)");
/// assert!(!tail.is_time() && tail.is_distributional());
/// assert_eq!("p9995".parse::<Metric>().unwrap().to_string(), "p9995");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(try_from = "String", into = "String")]
pub enum Metric {
    /// λ, the offered arrival rate, messages/s (`arrival_rate`).
    ArrivalRate,
    /// X, the admitted rate, messages/s (`throughput`).
    Throughput,
    /// ρ, the per-consumer busy fraction (`utilisation`).
    Utilisation,
    /// L, mean number in the node (`L`).
    MeanNumber,
    /// Lq, mean number waiting (`Lq`).
    MeanQueueLength,
    /// W, mean sojourn (or end-to-end mean), seconds (`W`).
    MeanSojourn,
    /// Wq, mean wait, seconds (`Wq`).
    MeanWait,
    /// Var(N), the variance of the number in the node (`Var(N)`).
    VarNumber,
    /// Var(W), the variance of the sojourn time, seconds² (`Var(W)`).
    VarSojourn,
    /// Var(Wq), the variance of the wait, seconds² (`Var(Wq)`).
    VarWait,
    /// A sojourn (or end-to-end) percentile, seconds (`p99`).
    SojournPercentile(Level),
    /// A waiting-time percentile, seconds (`wait.p99`).
    WaitPercentile(Level),
    /// Probability a message has to wait (`P(wait)`; Erlang C for M/M/c).
    WaitProbability,
    /// Probability an arrival finds the node full (`P(block)`).
    Blocking,
    /// Probability an admitted message expires unserved at a queue with a TTL
    /// (`P(expire)`).
    Expired,
    /// Fraction of messages dead-lettered (`dead_letter`).
    DeadLetter,
    /// Number of consumers (`consumers`; a floor for redundancy in SLOs).
    Consumers,
    /// P(W > t): the share of (admitted) messages whose sojourn, or end-to-end time,
    /// exceeds t (`P(>50ms)`).
    SojournTail(Threshold),
    /// P(Wq > t): the share of admitted messages that wait longer than t
    /// (`wait.P(>50ms)`).
    WaitTail(Threshold),
}

/// What a metric is measured in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// Seconds.
    Seconds,
    /// Messages per second.
    PerSecond,
    /// A fraction in [0, 1].
    Fraction,
    /// A mean number of messages.
    Messages,
    /// A whole number (consumers).
    Count,
    /// The variance of a number of messages (messages²).
    SquareMessages,
    /// The variance of a time (seconds²).
    SquareSeconds,
}

impl Metric {
    /// Every per-queue metric both engines report, in report order (21).
    pub const QUEUE: [Metric; 21] = [
        Metric::ArrivalRate,
        Metric::Throughput,
        Metric::Utilisation,
        Metric::MeanNumber,
        Metric::MeanQueueLength,
        Metric::MeanSojourn,
        Metric::MeanWait,
        Metric::VarNumber,
        Metric::VarSojourn,
        Metric::VarWait,
        Metric::WaitProbability,
        Metric::Blocking,
        Metric::Expired,
        Metric::WaitPercentile(Level::P50),
        Metric::WaitPercentile(Level::P95),
        Metric::WaitPercentile(Level::P99),
        Metric::WaitPercentile(Level::P999),
        Metric::SojournPercentile(Level::P50),
        Metric::SojournPercentile(Level::P95),
        Metric::SojournPercentile(Level::P99),
        Metric::SojournPercentile(Level::P999),
    ];

    /// Every end-to-end metric of a source: the mean and the four percentiles.
    pub const END_TO_END: [Metric; 5] = [
        Metric::MeanSojourn,
        Metric::SojournPercentile(Level::P50),
        Metric::SojournPercentile(Level::P95),
        Metric::SojournPercentile(Level::P99),
        Metric::SojournPercentile(Level::P999),
    ];

    /// The canonical name (see the table on [`Metric`]).
    pub fn name(self) -> Cow<'static, str> {
        Cow::Borrowed(match self {
            Metric::ArrivalRate => "arrival_rate",
            Metric::Throughput => "throughput",
            Metric::Utilisation => "utilisation",
            Metric::MeanNumber => "L",
            Metric::MeanQueueLength => "Lq",
            Metric::MeanSojourn => "W",
            Metric::MeanWait => "Wq",
            Metric::VarNumber => "Var(N)",
            Metric::VarSojourn => "Var(W)",
            Metric::VarWait => "Var(Wq)",
            Metric::SojournPercentile(l) => return Cow::Owned(l.name()),
            Metric::WaitPercentile(l) => return Cow::Owned(format!("wait.{}", l.name())),
            Metric::WaitProbability => "P(wait)",
            Metric::Blocking => "P(block)",
            Metric::Expired => "P(expire)",
            Metric::DeadLetter => "dead_letter",
            Metric::Consumers => "consumers",
            Metric::SojournTail(t) => return Cow::Owned(format!("P(>{})", t.name())),
            Metric::WaitTail(t) => return Cow::Owned(format!("wait.P(>{})", t.name())),
        })
    }

    /// The metric called `name`, canonical or alias; `None` for an unknown name.
    pub fn from_name(name: &str) -> Option<Metric> {
        let percentile = |s: &str| Level::from_name(s);
        // P(>t), with any spaces: P(> 50 ms).
        let tail = |s: &str| {
            let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect();
            let inner = compact.strip_prefix("P(>")?.strip_suffix(')')?;
            Threshold::new(super::parse_duration(inner).ok()?)
        };
        Some(match name {
            "arrival_rate" | "lambda" => Metric::ArrivalRate,
            "throughput" | "X" => Metric::Throughput,
            "utilisation" | "utilization" | "rho" => Metric::Utilisation,
            "L" => Metric::MeanNumber,
            "Lq" => Metric::MeanQueueLength,
            "W" | "mean" | "sojourn" | "sojourn.mean" => Metric::MeanSojourn,
            "Wq" | "wait" | "wait.mean" => Metric::MeanWait,
            "Var(N)" | "var_n" => Metric::VarNumber,
            "Var(W)" | "var_w" | "sojourn.var" => Metric::VarSojourn,
            "Var(Wq)" | "var_wq" | "wait.var" => Metric::VarWait,
            "P(wait)" | "p_wait" | "wait_probability" => Metric::WaitProbability,
            "P(block)" | "p_block" | "blocking" | "rejection" => Metric::Blocking,
            "P(expire)" | "p_expire" | "expired" | "expiry" => Metric::Expired,
            "dead_letter" | "dead_letters" => Metric::DeadLetter,
            "consumers" | "servers" => Metric::Consumers,
            other => {
                if let Some(rest) = other.strip_prefix("wait.") {
                    if let Some(t) = tail(rest) {
                        Metric::WaitTail(t)
                    } else {
                        Metric::WaitPercentile(percentile(rest)?)
                    }
                } else {
                    let rest = other.strip_prefix("sojourn.").unwrap_or(other);
                    if let Some(t) = tail(rest) {
                        Metric::SojournTail(t)
                    } else {
                        Metric::SojournPercentile(percentile(rest)?)
                    }
                }
            }
        })
    }

    /// Its unit.
    pub fn unit(self) -> Unit {
        match self {
            Metric::ArrivalRate | Metric::Throughput => Unit::PerSecond,
            Metric::Utilisation
            | Metric::WaitProbability
            | Metric::Blocking
            | Metric::Expired
            | Metric::DeadLetter
            | Metric::SojournTail(_)
            | Metric::WaitTail(_) => Unit::Fraction,
            Metric::MeanNumber | Metric::MeanQueueLength => Unit::Messages,
            Metric::MeanSojourn
            | Metric::MeanWait
            | Metric::SojournPercentile(_)
            | Metric::WaitPercentile(_) => Unit::Seconds,
            Metric::Consumers => Unit::Count,
            Metric::VarNumber => Unit::SquareMessages,
            Metric::VarSojourn | Metric::VarWait => Unit::SquareSeconds,
        }
    }

    /// Whether it is a time (seconds).
    pub fn is_time(self) -> bool {
        self.unit() == Unit::Seconds
    }

    /// Whether it is a percentile (estimated from a histogram in the simulator, with
    /// its relative error bound).
    pub fn is_percentile(self) -> bool {
        matches!(
            self,
            Metric::SojournPercentile(_) | Metric::WaitPercentile(_)
        )
    }

    /// Whether it is a figure of a distribution (a percentile or a tail probability):
    /// labelled with the distribution's method, and only where the distribution is known.
    pub fn is_distributional(self) -> bool {
        matches!(
            self,
            Metric::SojournPercentile(_)
                | Metric::WaitPercentile(_)
                | Metric::SojournTail(_)
                | Metric::WaitTail(_)
        )
    }

    /// Whether it is one of the figures every report carries ([`Metric::QUEUE`],
    /// [`Metric::END_TO_END`], `dead_letter`, `consumers`), rather than one a model asks
    /// for (another percentile level, a tail probability).
    pub fn is_standard(self) -> bool {
        match self {
            Metric::SojournPercentile(l) | Metric::WaitPercentile(l) => l.is_standard(),
            Metric::SojournTail(_) | Metric::WaitTail(_) => false,
            _ => true,
        }
    }

    /// Whether it applies to an end-to-end target (the mean, the percentiles and the
    /// tail probabilities of the end-to-end time).
    pub fn applies_end_to_end(self) -> bool {
        matches!(
            self,
            Metric::MeanSojourn | Metric::SojournPercentile(_) | Metric::SojournTail(_)
        )
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

impl fmt::Display for Threshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// An unknown metric name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown metric {0:?}: use one of arrival_rate, throughput, utilisation, L, Lq, W, Wq, Var(N), Var(W), Var(Wq), p50, p95, p99, p999 (or any level: p9995), wait.p50 ... wait.p999, P(>50ms), wait.P(>50ms), P(wait), P(block), P(expire), dead_letter, consumers"
)]
pub struct UnknownMetric(pub String);

impl std::str::FromStr for Metric {
    type Err = UnknownMetric;
    fn from_str(s: &str) -> Result<Self, UnknownMetric> {
        Metric::from_name(s.trim()).ok_or_else(|| UnknownMetric(s.to_string()))
    }
}

impl TryFrom<String> for Metric {
    type Error = UnknownMetric;
    fn try_from(s: String) -> Result<Self, UnknownMetric> {
        s.parse()
    }
}

impl From<Metric> for String {
    fn from(m: Metric) -> String {
        m.name().into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_canonical_name_round_trips() {
        let all = Metric::QUEUE
            .into_iter()
            .chain([Metric::DeadLetter, Metric::Consumers]);
        let mut seen = std::collections::HashSet::new();
        for m in all {
            assert!(seen.insert(m.name()), "duplicate name {}", m.name());
            assert_eq!(m.name().parse::<Metric>().unwrap(), m);
            let json = serde_json::to_string(&m).unwrap();
            assert_eq!(json, format!("\"{}\"", m.name()));
            assert_eq!(serde_json::from_str::<Metric>(&json).unwrap(), m);
        }
        assert_eq!(seen.len(), 23);
    }

    #[test]
    fn aliases_and_unknown_names() {
        assert_eq!("sojourn.p99".parse::<Metric>().unwrap().name(), "p99");
        assert_eq!("blocking".parse::<Metric>().unwrap(), Metric::Blocking);
        assert_eq!("servers".parse::<Metric>().unwrap(), Metric::Consumers);
        for bad in [
            "p9", "wait.p1", "speed", "", "wait.", "P(>fast)", "P(>-1s)", "p100",
        ] {
            let e = bad.parse::<Metric>().unwrap_err();
            assert!(e.to_string().contains("unknown metric"), "{bad}");
        }
    }

    #[test]
    fn levels_and_tails_round_trip() {
        for name in [
            "p9995",
            "p99999",
            "p05",
            "p10",
            "p999999999",
            "wait.p9995",
            "P(>50ms)",
            "wait.P(>0.25ms)",
            "P(>2.5s)",
            "P(>0ms)",
        ] {
            let m: Metric = name.parse().unwrap();
            assert_eq!(m.name(), name);
            assert_eq!(m.name().parse::<Metric>().unwrap(), m);
            let json = serde_json::to_string(&m).unwrap();
            assert_eq!(serde_json::from_str::<Metric>(&json).unwrap(), m);
        }
        assert_eq!(
            "p99".parse::<Metric>().unwrap(),
            Metric::SojournPercentile(Level::P99)
        );
        assert_eq!(Level::from_name("p990"), None);
        assert_eq!("P( > 50 ms )".parse::<Metric>().unwrap().name(), "P(>50ms)");
        assert_eq!(Level::from_name("p99.95"), Level::from_name("p9995"));
        assert_eq!(Level::from_name("p9.5").unwrap().name(), "p095");
        let t = Threshold::new(1.0 / 3.0).unwrap();
        assert_eq!(t.name().parse::<f64>().ok(), None);
        assert_eq!(crate::model::parse_duration(&t.name()).unwrap(), 1.0 / 3.0);
        assert!(!Metric::SojournTail(t).is_standard() && Metric::MeanWait.is_standard());
    }

    #[test]
    fn units() {
        assert_eq!(Metric::Throughput.unit(), Unit::PerSecond);
        assert!(Metric::WaitPercentile(Level::P50).is_time());
        assert!(!Metric::Blocking.is_time());
        assert!(Metric::END_TO_END.iter().all(|m| m.applies_end_to_end()));
        assert_eq!(
            Metric::QUEUE
                .iter()
                .filter(|m| m.applies_end_to_end())
                .count(),
            5
        );
    }
}
