//! Arrival processes of sources: how messages are produced over time.
//!
//! ```toml
//! arrival = { type = "poisson", rate = 800.0 }
//! arrival = { type = "deterministic", rate = 100.0 }
//! arrival = { type = "renewal", interarrival = { type = "erlang", k = 2, mean = "1ms" } }
//! arrival = { type = "mmpp", rates = [500.0, 5000.0], generator = [[-0.1, 0.1], [1.0, -1.0]] }
//! arrival = { type = "profile", base = 500.0, segments = [
//!     { start = "1h", end = "2h", rate = 2000.0 } ], period = "24h" }
//! arrival = { type = "trace", file = "arrivals.csv" }
//! ```

use super::distribution::{Distribution, MAX_RATE};
use super::duration::{opt_seconds, seconds};
use super::error::Problem;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// One piece of a time-varying rate profile: `rate` messages/s during `[start, end)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Segment {
    /// Start of the segment, seconds from the start of the run (or of the period).
    #[serde(deserialize_with = "seconds")]
    pub start: f64,
    /// End of the segment (exclusive), seconds.
    #[serde(deserialize_with = "seconds")]
    pub end: f64,
    /// Arrival rate during the segment, messages per second (>= 0).
    pub rate: f64,
}

/// Most phases an MMPP may have: its stationary distribution and index of dispersion
/// are dense solves, O(n³) time and O(n²) memory (500 phases: about 0.1 s, 2 MB).
pub const MAX_MMPP_PHASES: usize = 500;

/// How a source produces messages. Rates are messages per second.
///
/// # Example
/// ```
/// use kendall::model::ArrivalProcess;
/// let a = ArrivalProcess::Mmpp { rates: vec![100.0, 1000.0], generator: vec![vec![-1.0, 1.0], vec![9.0, -9.0]] };
/// // Stationary phase probabilities (0.9, 0.1): mean rate 0.9*100 + 0.1*1000.
/// assert!((a.mean_rate().unwrap() - 190.0).abs() < 1e-9);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum ArrivalProcess {
    /// Poisson arrivals (exponential inter-arrival times).
    Poisson {
        /// Messages per second (> 0).
        rate: f64,
    },
    /// Evenly spaced arrivals, one every 1/rate seconds.
    Deterministic {
        /// Messages per second (> 0).
        rate: f64,
    },
    /// Independent inter-arrival times from any distribution.
    Renewal {
        /// The inter-arrival time distribution.
        interarrival: Distribution,
    },
    /// Markov-modulated Poisson process: a background CTMC with generator `generator`
    /// switches among phases; in phase i arrivals are Poisson with rate `rates[i]`.
    Mmpp {
        /// Poisson rate in each phase (>= 0, at least one > 0).
        rates: Vec<f64>,
        /// Generator of the phase process: square, off-diagonals >= 0, rows sum to 0.
        generator: Vec<Vec<f64>>,
    },
    /// Non-homogeneous Poisson with a piecewise-constant rate: `base` outside the
    /// segments, the segment's rate inside. With `period`, the profile repeats.
    Profile {
        /// Rate outside every segment, messages per second (>= 0).
        base: f64,
        /// Non-overlapping segments.
        #[serde(default)]
        segments: Vec<Segment>,
        /// Repeat the profile every `period` seconds (e.g. `"24h"`); none = no repeat.
        #[serde(
            default,
            deserialize_with = "opt_seconds",
            skip_serializing_if = "Option::is_none"
        )]
        period: Option<f64>,
    },
    /// Replay recorded arrival timestamps (seconds, one per line, sorted).
    Trace {
        /// CSV file of timestamps; relative paths are relative to the scenario file.
        file: PathBuf,
    },
}

impl ArrivalProcess {
    /// Long-run mean arrival rate, messages per second. `None` for a trace (known only
    /// once the file is read) and for invalid parameters (an MMPP whose generator is not
    /// a square matrix with one row per rate, or is reducible).
    pub fn mean_rate(&self) -> Option<f64> {
        match self {
            ArrivalProcess::Poisson { rate } | ArrivalProcess::Deterministic { rate } => {
                Some(*rate)
            }
            ArrivalProcess::Renewal { interarrival } => {
                let m = interarrival.mean();
                (m > 0.0).then(|| 1.0 / m)
            }
            ArrivalProcess::Mmpp { rates, generator } => {
                if rates.len() != generator.len() {
                    return None;
                }
                let pi = stationary(generator)?;
                Some(pi.iter().zip(rates).map(|(p, r)| p * r).sum())
            }
            ArrivalProcess::Profile {
                base,
                segments,
                period,
            } => {
                let horizon =
                    period.unwrap_or_else(|| segments.iter().map(|s| s.end).fold(0.0, f64::max));
                if horizon <= 0.0 {
                    return Some(*base);
                }
                // A weighted average with weights (end − start) / horizon ≤ 1, so it stays
                // finite for any finite rates and times (rate × length may overflow).
                let inside: f64 = segments.iter().map(|s| (s.end - s.start) / horizon).sum();
                let mass: f64 = segments
                    .iter()
                    .map(|s| s.rate * ((s.end - s.start) / horizon))
                    .sum();
                Some(mass + base * (1.0 - inside).max(0.0))
            }
            ArrivalProcess::Trace { .. } => None,
        }
    }

    /// Squared coefficient of variation of the inter-arrival time where it is known in
    /// closed form (Poisson 1, deterministic 0, renewal: that of its distribution).
    /// `None` for MMPP, profiles and traces, which are not renewal processes.
    pub fn interarrival_scv(&self) -> Option<f64> {
        match self {
            ArrivalProcess::Poisson { .. } => Some(1.0),
            ArrivalProcess::Deterministic { .. } => Some(0.0),
            ArrivalProcess::Renewal { interarrival } => Some(interarrival.scv()),
            _ => None,
        }
    }

    /// Asymptotic index of dispersion for counts, lim Var N(t) / E N(t), the
    /// variability measure QNA uses for a non-renewal stream (Whitt 1983, §4.3).
    /// Poisson 1, deterministic 0, renewal: the inter-arrival SCV. MMPP (a doubly
    /// stochastic Poisson process with rate λ(J_t)): Var N(t) = E N(t) + Var ∫λ(J_s)ds, so
    /// I = 1 + 2 πΛDΛ1 / λ̄ with D = (1π − Q)⁻¹ − 1π the deviation matrix of the phases.
    /// `None` for profiles and traces (not stationary / not known in advance), and for an
    /// MMPP whose generator is not a square matrix with one row per rate, or is reducible.
    ///
    /// # Example
    /// ```
    /// use kendall::model::ArrivalProcess;
    /// // Two phases, rates 1 and 11, switching 1 -> 2 at 0.5 and 2 -> 1 at 1.5:
    /// // I = 1 + 2 r1 r2 (l1 - l2)^2 / ((r1 + r2)^2 (l1 r2 + l2 r1)) = 1 + 150/(4 * 7).
    /// let a = ArrivalProcess::Mmpp { rates: vec![1.0, 11.0], generator: vec![vec![-0.5, 0.5], vec![1.5, -1.5]] };
    /// assert!((a.index_of_dispersion().unwrap() - (1.0 + 150.0 / 28.0)).abs() < 1e-12);
    /// ```
    pub fn index_of_dispersion(&self) -> Option<f64> {
        match self {
            ArrivalProcess::Mmpp { rates, generator } => {
                let n = rates.len();
                if generator.len() != n {
                    return None;
                }
                let pi = stationary(generator)?;
                let lbar: f64 = pi.iter().zip(rates).map(|(p, r)| p * r).sum();
                if lbar <= 0.0 {
                    return None;
                }
                let q = nalgebra::DMatrix::from_fn(n, n, |i, j| generator[i][j]);
                let epi = nalgebra::DMatrix::from_fn(n, n, |_, j| pi[j]);
                let d = (&epi - q).try_inverse()? - &epi;
                let mut acc = 0.0;
                for i in 0..n {
                    for j in 0..n {
                        acc += pi[i] * rates[i] * d[(i, j)] * rates[j];
                    }
                }
                Some(1.0 + 2.0 * acc / lbar)
            }
            other => other.interarrival_scv(),
        }
    }

    /// The same process with every rate multiplied by `factor` (> 0): Poisson and
    /// deterministic rates, renewal gaps divided, MMPP phase rates (not the phase
    /// switching), profile base and segment rates. `None` for a trace, whose timestamps
    /// are data.
    ///
    /// # Example
    /// ```
    /// use kendall::model::ArrivalProcess;
    /// let a = ArrivalProcess::Poisson { rate: 100.0 }.scaled(1.5).unwrap();
    /// assert_eq!(a.mean_rate(), Some(150.0));
    /// ```
    pub fn scaled(&self, factor: f64) -> Option<ArrivalProcess> {
        use super::distribution::{Branch, Distribution as D};
        Some(match self {
            ArrivalProcess::Poisson { rate } => ArrivalProcess::Poisson {
                rate: rate * factor,
            },
            ArrivalProcess::Deterministic { rate } => ArrivalProcess::Deterministic {
                rate: rate * factor,
            },
            ArrivalProcess::Renewal { interarrival } => {
                let s = 1.0 / factor;
                let d = match interarrival {
                    D::Exponential { mean } => D::Exponential { mean: mean * s },
                    D::Deterministic { value } => D::Deterministic { value: value * s },
                    D::Erlang { k, mean } => D::Erlang {
                        k: *k,
                        mean: mean * s,
                    },
                    D::Gamma { shape, mean } => D::Gamma {
                        shape: *shape,
                        mean: mean * s,
                    },
                    D::Lognormal { mean, scv } => D::Lognormal {
                        mean: mean * s,
                        scv: *scv,
                    },
                    D::Uniform { min, max } => D::Uniform {
                        min: min * s,
                        max: max * s,
                    },
                    D::Hyperexponential { branches } => D::Hyperexponential {
                        branches: branches
                            .iter()
                            .map(|b| Branch {
                                probability: b.probability,
                                mean: b.mean * s,
                            })
                            .collect(),
                    },
                    D::Empirical { values } => D::Empirical {
                        values: values.iter().map(|v| v * s).collect(),
                    },
                };
                ArrivalProcess::Renewal { interarrival: d }
            }
            ArrivalProcess::Mmpp { rates, generator } => ArrivalProcess::Mmpp {
                rates: rates.iter().map(|r| r * factor).collect(),
                generator: generator.clone(),
            },
            ArrivalProcess::Profile {
                base,
                segments,
                period,
            } => ArrivalProcess::Profile {
                base: base * factor,
                segments: segments
                    .iter()
                    .map(|g| Segment {
                        rate: g.rate * factor,
                        ..g.clone()
                    })
                    .collect(),
                period: *period,
            },
            ArrivalProcess::Trace { .. } => return None,
        })
    }

    /// The highest instantaneous rate of a profile (the peak hour), messages/s.
    pub fn peak_rate(&self) -> Option<f64> {
        match self {
            ArrivalProcess::Profile { base, segments, .. } => {
                Some(segments.iter().map(|s| s.rate).fold(*base, f64::max))
            }
            _ => None,
        }
    }

    /// The rate at time `t` for a profile (handles `period`); `None` for other kinds.
    pub fn profile_rate_at(&self, t: f64) -> Option<f64> {
        let ArrivalProcess::Profile {
            base,
            segments,
            period,
        } = self
        else {
            return None;
        };
        let t = match period {
            Some(p) if *p > 0.0 => t.rem_euclid(*p),
            _ => t,
        };
        Some(
            segments
                .iter()
                .find(|s| s.start <= t && t < s.end)
                .map_or(*base, |s| s.rate),
        )
    }

    /// Checks every parameter, pushing one [`Problem`] per rule broken, prefixed by `path`.
    pub fn check(&self, path: &str, out: &mut Vec<Problem>) {
        let rate_ok = |r: f64| r > 0.0 && r <= MAX_RATE;
        // A rate that may be 0 (a phase or segment that sends nothing).
        let rate_or_zero_ok = |r: f64| (0.0..=MAX_RATE).contains(&r);
        match self {
            ArrivalProcess::Poisson { rate } | ArrivalProcess::Deterministic { rate } => {
                if !rate_ok(*rate) {
                    out.push(Problem::new(
                        format!("{path}.rate"),
                        format!(
                            "must be > 0 and at most {MAX_RATE:e} messages per second, got {rate}"
                        ),
                    ));
                }
            }
            ArrivalProcess::Renewal { interarrival } => {
                interarrival.check(&format!("{path}.interarrival"), out);
                if interarrival.mean() <= 0.0 && interarrival.mean().is_finite() {
                    out.push(Problem::new(
                        format!("{path}.interarrival"),
                        "must have a mean > 0 (a zero mean means infinitely many arrivals)",
                    ));
                }
            }
            ArrivalProcess::Mmpp { rates, generator } => {
                let n = rates.len();
                if n == 0 {
                    out.push(Problem::new(
                        format!("{path}.rates"),
                        "needs at least one phase",
                    ));
                }
                for (i, r) in rates.iter().enumerate() {
                    if !rate_or_zero_ok(*r) {
                        out.push(Problem::new(
                            format!("{path}.rates[{i}]"),
                            format!("must be in [0, {MAX_RATE:e}] per second, got {r}"),
                        ));
                    }
                }
                if n > 0 && rates.iter().all(|r| *r == 0.0) {
                    out.push(Problem::new(
                        format!("{path}.rates"),
                        "at least one phase needs a rate > 0",
                    ));
                }
                if n > MAX_MMPP_PHASES {
                    out.push(Problem::new(
                        format!("{path}.rates"),
                        format!(
                            "has {n} phases, more than the {MAX_MMPP_PHASES} a dense solve of the phase process handles: merge phases"
                        ),
                    ));
                    return;
                }
                if generator.len() != n || generator.iter().any(|row| row.len() != n) {
                    out.push(Problem::new(
                        format!("{path}.generator"),
                        format!("must be a {n}x{n} matrix (one row and column per rate)"),
                    ));
                    return;
                }
                let mut ok = true;
                for (i, row) in generator.iter().enumerate() {
                    for (j, q) in row.iter().enumerate() {
                        if !(q.is_finite() && q.abs() <= MAX_RATE) || (i != j && *q < 0.0) {
                            ok = false;
                            out.push(Problem::new(
                                format!("{path}.generator[{i}][{j}]"),
                                format!("off-diagonal rates must be in [0, {MAX_RATE:e}] per second (a diagonal at most that in size), got {q}"),
                            ));
                        }
                    }
                    let sum: f64 = row.iter().sum();
                    let scale: f64 = row.iter().map(|q| q.abs()).sum::<f64>().max(1.0);
                    if sum.abs() > 1e-9 * scale {
                        ok = false;
                        out.push(Problem::new(
                            format!("{path}.generator[{i}]"),
                            format!("row must sum to 0 (set the diagonal to minus the others), got {sum}"),
                        ));
                    }
                }
                if ok && n > 1 && stationary(generator).is_none() {
                    out.push(Problem::new(
                        format!("{path}.generator"),
                        "phase process must be irreducible (every phase reachable from every other)",
                    ));
                }
            }
            ArrivalProcess::Profile {
                base,
                segments,
                period,
            } => {
                if !rate_or_zero_ok(*base) {
                    out.push(Problem::new(
                        format!("{path}.base"),
                        format!("must be in [0, {MAX_RATE:e}] per second, got {base}"),
                    ));
                }
                let mut sorted: Vec<(usize, &Segment)> = segments.iter().enumerate().collect();
                sorted.sort_by(|a, b| a.1.start.total_cmp(&b.1.start));
                for (i, s) in segments.iter().enumerate() {
                    if !rate_or_zero_ok(s.rate) {
                        out.push(Problem::new(
                            format!("{path}.segments[{i}].rate"),
                            format!("must be in [0, {MAX_RATE:e}] per second, got {}", s.rate),
                        ));
                    }
                    if s.end.partial_cmp(&s.start) != Some(std::cmp::Ordering::Greater) {
                        out.push(Problem::new(
                            format!("{path}.segments[{i}].end"),
                            format!("must be after start ({}), got {}", s.start, s.end),
                        ));
                    }
                    if let Some(p) = period
                        && s.end > *p
                    {
                        out.push(Problem::new(
                            format!("{path}.segments[{i}].end"),
                            format!("must be within the period ({p} s), got {}", s.end),
                        ));
                    }
                }
                for w in sorted.windows(2) {
                    if w[1].1.start < w[0].1.end {
                        out.push(Problem::new(
                            format!("{path}.segments[{}]", w[1].0),
                            format!("overlaps segments[{}]: segments must not overlap", w[0].0),
                        ));
                    }
                }
                if let Some(p) = period
                    && !(p.is_finite() && *p > 0.0)
                {
                    out.push(Problem::new(
                        format!("{path}.period"),
                        format!("must be > 0, got {p}"),
                    ));
                }
                if *base == 0.0 && segments.iter().all(|s| s.rate == 0.0) {
                    out.push(Problem::new(
                        path.to_string(),
                        "profile never produces a message: give base or a segment a rate > 0",
                    ));
                }
            }
            ArrivalProcess::Trace { file } => {
                if file.as_os_str().is_empty() {
                    out.push(Problem::new(
                        format!("{path}.file"),
                        "must name a CSV file of timestamps",
                    ));
                }
            }
        }
    }
}

/// Stationary distribution of a small generator by a dense solve; `None` if the
/// matrix is not square (a ragged row), has more than [`MAX_MMPP_PHASES`] phases, is
/// singular (reducible) or gives no valid distribution.
pub(crate) fn stationary(generator: &[Vec<f64>]) -> Option<Vec<f64>> {
    let n = generator.len();
    if n == 0 || n > MAX_MMPP_PHASES || generator.iter().any(|row| row.len() != n) {
        return None;
    }
    if n == 1 {
        return Some(vec![1.0]);
    }
    // Solve pi Q = 0, sum pi = 1: transpose, replace the last equation by normalisation.
    let mut a = nalgebra::DMatrix::<f64>::zeros(n, n);
    for i in 0..n {
        for j in 0..n {
            a[(j, i)] = generator[i][j];
        }
    }
    for j in 0..n {
        a[(n - 1, j)] = 1.0;
    }
    let mut b = nalgebra::DVector::<f64>::zeros(n);
    b[n - 1] = 1.0;
    let pi = a.lu().solve(&b)?;
    if pi.iter().all(|p| p.is_finite() && *p > 1e-300) {
        Some(pi.iter().copied().collect())
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_mean_rate_and_lookup() {
        let p = ArrivalProcess::Profile {
            base: 100.0,
            segments: vec![Segment {
                start: 10.0,
                end: 20.0,
                rate: 1000.0,
            }],
            period: Some(40.0),
        };
        // (100*30 + 1000*10)/40 = 325
        assert!((p.mean_rate().unwrap() - 325.0).abs() < 1e-12);
        assert_eq!(p.profile_rate_at(15.0), Some(1000.0));
        assert_eq!(p.profile_rate_at(55.0), Some(1000.0));
        assert_eq!(p.profile_rate_at(25.0), Some(100.0));
    }

    #[test]
    fn checks_mmpp_and_profile() {
        let mut out = Vec::new();
        ArrivalProcess::Mmpp {
            rates: vec![1.0, 2.0],
            generator: vec![vec![-1.0, 1.0], vec![0.5, -0.4]],
        }
        .check("source \"s\".arrival", &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].path, "source \"s\".arrival.generator[1]");
        out.clear();
        ArrivalProcess::Mmpp {
            rates: vec![1.0, 2.0],
            generator: vec![vec![-1.0, 1.0], vec![0.0, 0.0]],
        }
        .check("a", &mut out);
        assert!(out[0].message.contains("irreducible"), "{out:?}");
        out.clear();
        ArrivalProcess::Profile {
            base: 1.0,
            segments: vec![
                Segment {
                    start: 0.0,
                    end: 10.0,
                    rate: 1.0,
                },
                Segment {
                    start: 5.0,
                    end: 12.0,
                    rate: 1.0,
                },
            ],
            period: None,
        }
        .check("a", &mut out);
        assert!(out[0].message.contains("overlaps"), "{out:?}");
        out.clear();
        ArrivalProcess::Poisson { rate: -3.0 }.check("a", &mut out);
        assert_eq!(out[0].path, "a.rate");
    }
}
