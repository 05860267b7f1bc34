//! Arrival generators: the [`ArrivalProcess`] of each source, ready to draw.
//!
//! * Poisson: exponential gaps. Deterministic: a gap of exactly 1/rate; the first
//!   message arrives at 1/rate.
//! * Renewal: gaps from the distribution's [`Sampler`].
//! * MMPP: the phase chain and the arrivals are simulated together as competing
//!   exponentials: in phase i the next event comes after Exp(λᵢ + qᵢ); it is an arrival
//!   with probability λᵢ/(λᵢ + qᵢ), otherwise a phase change to j with probability
//!   qᵢⱼ/qᵢ. The first phase is drawn from the stationary distribution, so the input is
//!   stationary from time 0.
//! * Profile: an exact non-homogeneous Poisson process by inversion of the cumulative
//!   rate Λ(t) = ∫₀ᵗ λ(s) ds: with E ~ Exp(1), the next arrival after t is the s where
//!   Λ(s) − Λ(t) = E, found by walking the piecewise-constant rate (whole periods are
//!   skipped at once). No rate is resampled per draw.
//! * Trace: timestamps read from a file, see [`read_trace`].

use super::error::SimError;
use crate::model::{ArrivalProcess, Sampler};
use rand::{Rng, RngExt};
use rand_distr::{Distribution as _, Exp1};
use std::path::Path;
use std::sync::Arc;

/// Most phase changes an MMPP source may be expected to make in one replication: 10⁹
/// (each is a step of the arrival generator, about a second of work per 10⁸). Real
/// bursty traffic switches phase far less than once per message; a generator that
/// switches this often over the run's span (its horizon, or the time the asked-for
/// completions take at the long-run rate) is refused before the run
/// ([`SimError::PhaseSwitching`](super::SimError)).
///
/// # Example
/// ```
/// use kendall::model::{ArrivalProcess, Distribution, Model, Queue, RunSettings, Source};
/// // Arrivals at 1e-9/s in one phase that lasts 1e-12 s: 10^15 completions away.
/// let fleeting = ArrivalProcess::Mmpp {
///     rates: vec![0.0, 1e3],
///     generator: vec![vec![-1.0, 1.0], vec![1e12, -1e12]],
/// };
/// let m = Model::default()
///     .with_source(Source::new("s", fleeting, "q"))
///     .with_queue(Queue::new("q", 4, Distribution::Exponential { mean: 0.1 }));
/// let settings = RunSettings { completions: Some(100), ..RunSettings::default() };
/// let e = kendall::sim::simulate(&m.validate().unwrap(), &settings).unwrap_err();
/// assert!(e.to_string().contains("generator"), "{e}");
/// assert_eq!(kendall::sim::MAX_PHASE_SWITCHES, 1e9);
/// ```
pub const MAX_PHASE_SWITCHES: f64 = 1e9;

/// Most source arrivals one replication may be expected to generate: 10¹⁰ (about ten
/// minutes of one core at kendall's event rate, before any other event is counted). A
/// run whose open-loop sources (no `window`, not sending to a queue that blocks them)
/// would create more over its span — rate × (warm-up + horizon) — is refused before
/// the run ([`SimError::TooManyArrivals`](super::SimError)): the figure is a lower
/// bound on its events, so no run within the limit is refused.
///
/// # Example
/// ```
/// use kendall::model::{ArrivalProcess, Distribution, Model, Queue, RunSettings, Source};
/// // 2.1·10⁹ messages/s for 12 s: 2.6·10¹⁰ arrivals per replication.
/// let m = Model::default()
///     .with_source(Source::new("s", ArrivalProcess::Poisson { rate: 2.1e9 }, "q"))
///     .with_queue(Queue::new("q", 4, Distribution::Exponential { mean: 0.1 }).with_capacity(10));
/// let settings = RunSettings { horizon: Some(12.0), ..RunSettings::default() };
/// let e = kendall::sim::simulate(&m.validate().unwrap(), &settings).unwrap_err();
/// assert!(e.to_string().contains("horizon"), "{e}");
/// assert_eq!(kendall::sim::MAX_ARRIVALS, 1e10);
/// ```
pub const MAX_ARRIVALS: f64 = 1e10;

/// One piece of a rate profile: `rate` on `[start, end)`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Piece {
    start: f64,
    end: f64,
    rate: f64,
}

/// A source's arrival generator.
#[derive(Debug, Clone)]
pub(crate) enum ArrivalGen {
    Poisson {
        mean_gap: f64,
    },
    Deterministic {
        gap: f64,
    },
    Renewal(Sampler),
    Mmpp {
        rates: Vec<f64>,
        /// λᵢ + qᵢ per phase.
        total: Vec<f64>,
        /// Cumulative jump probabilities per phase: (cumulative, target).
        jumps: Vec<Vec<(f64, usize)>>,
        phase: usize,
        /// Stationary distribution (cumulative), for the first phase.
        start: Vec<f64>,
        started: bool,
    },
    Profile {
        /// Pieces covering `[0, span)`; after `span` the rate is `tail` (no period) or
        /// the profile repeats (period = span).
        pieces: Vec<Piece>,
        span: f64,
        periodic: bool,
        tail: f64,
        /// ∫ of the rate over one period.
        period_mass: f64,
    },
    Trace {
        times: Arc<[f64]>,
        next: usize,
    },
}

/// The total rate of leaving phase `i` of an MMPP, Σ_{j≠i} qᵢⱼ, from its generator row.
fn leaving_rate(row: &[f64], i: usize) -> f64 {
    row.iter()
        .enumerate()
        .filter(|(j, _)| *j != i)
        .map(|(_, q)| *q)
        .sum()
}

impl ArrivalGen {
    /// Builds the generator; `trace` holds the timestamps already read for a trace.
    pub(crate) fn new(
        process: &ArrivalProcess,
        trace: Option<Arc<[f64]>>,
    ) -> Result<Self, SimError> {
        Ok(match process {
            ArrivalProcess::Poisson { rate } => ArrivalGen::Poisson {
                mean_gap: 1.0 / rate,
            },
            ArrivalProcess::Deterministic { rate } => ArrivalGen::Deterministic { gap: 1.0 / rate },
            ArrivalProcess::Renewal { interarrival } => {
                ArrivalGen::Renewal(interarrival.sampler()?)
            }
            ArrivalProcess::Mmpp { rates, generator } => {
                let n = rates.len();
                let mut total = Vec::with_capacity(n);
                let mut jumps = Vec::with_capacity(n);
                for (i, row) in generator.iter().enumerate() {
                    let out = leaving_rate(row, i);
                    total.push(rates[i] + out);
                    let mut acc = 0.0;
                    let mut js = Vec::new();
                    for (j, q) in row.iter().enumerate() {
                        if j != i && *q > 0.0 {
                            acc += q / out;
                            js.push((acc, j));
                        }
                    }
                    if let Some(last) = js.last_mut() {
                        last.0 = 1.0;
                    }
                    jumps.push(js);
                }
                let pi =
                    crate::model::stationary(generator).unwrap_or_else(|| vec![1.0 / n as f64; n]);
                let mut acc = 0.0;
                let start = pi
                    .iter()
                    .map(|p| {
                        acc += p;
                        acc
                    })
                    .collect();
                ArrivalGen::Mmpp {
                    rates: rates.clone(),
                    total,
                    jumps,
                    phase: 0,
                    start,
                    started: false,
                }
            }
            ArrivalProcess::Profile {
                base,
                segments,
                period,
            } => {
                let mut segs: Vec<_> = segments.iter().filter(|s| s.end > s.start).collect();
                segs.sort_by(|a, b| a.start.total_cmp(&b.start));
                let span = match period {
                    Some(p) => *p,
                    None => segs.iter().map(|s| s.end).fold(0.0, f64::max),
                };
                let mut pieces = Vec::new();
                let mut t = 0.0;
                for s in segs {
                    let start = s.start.max(0.0);
                    if start > t {
                        pieces.push(Piece {
                            start: t,
                            end: start,
                            rate: *base,
                        });
                    }
                    if s.end > start {
                        pieces.push(Piece {
                            start,
                            end: s.end,
                            rate: s.rate,
                        });
                    }
                    t = s.end.max(t);
                }
                if span > t {
                    pieces.push(Piece {
                        start: t,
                        end: span,
                        rate: *base,
                    });
                }
                let period_mass = pieces.iter().map(|p| p.rate * (p.end - p.start)).sum();
                ArrivalGen::Profile {
                    pieces,
                    span,
                    periodic: period.is_some(),
                    tail: *base,
                    period_mass,
                }
            }
            ArrivalProcess::Trace { .. } => ArrivalGen::Trace {
                times: trace.unwrap_or_else(|| Arc::from(Vec::new())),
                next: 0,
            },
        })
    }

    /// The phase-change rate Σπᵢqᵢ and the long-run arrival rate Σπᵢλᵢ of an MMPP
    /// (π the phase chain's stationary law, qᵢ phase i's total leaving rate), per
    /// second; `None` for other processes or without a stationary law. Each phase
    /// change is one step of [`ArrivalGen::next`].
    pub(crate) fn switch_and_arrival_rates(p: &ArrivalProcess) -> Option<(f64, f64)> {
        let ArrivalProcess::Mmpp { rates, generator } = p else {
            return None;
        };
        let pi = crate::model::stationary(generator)?;
        let mut switches = 0.0;
        let mut arrivals = 0.0;
        for (i, (row, (p, r))) in generator.iter().zip(pi.iter().zip(rates)).enumerate() {
            switches += p * leaving_rate(row, i);
            arrivals += p * r;
        }
        Some((switches, arrivals))
    }

    /// The time of the next arrival after `now`; `None` when the source is exhausted
    /// (the end of a trace, or a profile whose rate stays 0 forever). Trace timestamps
    /// may lie before `now` after the source was blocked; the caller clamps them.
    ///
    /// `until` is the latest time the run can reach: an MMPP stops switching phases
    /// there and returns a time past it (an arrival the run never sees), so a phase
    /// process that needs astronomically many switches per arrival costs at most the
    /// switches of the run's own horizon instead of hanging.
    #[inline]
    pub(crate) fn next<R: Rng + ?Sized>(
        &mut self,
        now: f64,
        until: f64,
        rng: &mut R,
    ) -> Option<f64> {
        match self {
            ArrivalGen::Poisson { mean_gap } => {
                let e: f64 = Exp1.sample(rng);
                Some(now + *mean_gap * e)
            }
            ArrivalGen::Deterministic { gap } => Some(now + *gap),
            ArrivalGen::Renewal(s) => Some(now + s.sample(rng)),
            ArrivalGen::Mmpp {
                rates,
                total,
                jumps,
                phase,
                start,
                started,
            } => {
                if !*started {
                    let u: f64 = rng.random();
                    *phase = start.iter().position(|c| u < *c).unwrap_or(start.len() - 1);
                    *started = true;
                }
                let mut t = now;
                loop {
                    let i = *phase;
                    let e: f64 = Exp1.sample(rng);
                    t += e / total[i];
                    if t > until {
                        return Some(t);
                    }
                    let u: f64 = rng.random();
                    if u * total[i] < rates[i] {
                        return Some(t);
                    }
                    let v: f64 = rng.random();
                    *phase = jumps[i].iter().find(|(c, _)| v < *c).map_or(i, |(_, j)| *j);
                }
            }
            ArrivalGen::Profile {
                pieces,
                span,
                periodic,
                tail,
                period_mass,
            } => {
                let e: f64 = Exp1.sample(rng);
                profile_next(pieces, *span, *periodic, *tail, *period_mass, now, e)
            }
            ArrivalGen::Trace { times, next } => {
                let t = times.get(*next).copied();
                *next += 1;
                t
            }
        }
    }
}

/// Solves Λ(s) − Λ(now) = `e` for s over the piecewise-constant rate.
fn profile_next(
    pieces: &[Piece],
    span: f64,
    periodic: bool,
    tail: f64,
    period_mass: f64,
    now: f64,
    mut e: f64,
) -> Option<f64> {
    // Position as (cycle start, offset within the cycle) to avoid drift.
    let (mut base, mut off) = if periodic && span > 0.0 {
        let k = (now / span).floor();
        let off = now - k * span;
        if off >= span {
            (k * span + span, 0.0)
        } else {
            (k * span, off)
        }
    } else {
        (0.0, now)
    };
    loop {
        if off >= span || pieces.is_empty() {
            if periodic && span > 0.0 {
                base += span;
                off = 0.0;
                if period_mass > 0.0 && e > period_mass {
                    let skip = (e / period_mass).floor() - 1.0;
                    if skip > 0.0 {
                        base += skip * span;
                        e -= skip * period_mass;
                    }
                }
                continue;
            }
            // After the last segment: the base rate forever.
            return (tail > 0.0).then(|| base + off + e / tail);
        }
        let i = pieces.partition_point(|p| p.end <= off);
        let p = pieces[i.min(pieces.len() - 1)];
        if p.rate > 0.0 {
            let need = e / p.rate;
            if off + need < p.end {
                return Some(base + off + need);
            }
            e -= p.rate * (p.end - off);
        }
        off = p.end;
    }
}

/// Reads a trace file: one arrival timestamp (seconds from the start of the run) per
/// line, the first comma-separated field of each line. Blank lines and lines starting
/// with `#` are skipped; the first line may be a header (it is skipped when its first
/// field is not a number). Timestamps must be finite, ≥ 0 and non-decreasing (equal
/// timestamps are simultaneous arrivals).
///
/// # Errors
/// [`SimError::TraceIo`] if the file cannot be read; [`SimError::Trace`] naming the
/// line of the first malformed, negative or out-of-order timestamp, or an empty trace.
///
/// # Example
/// ```
/// let dir = std::env::temp_dir().join("kendall-doc-trace");
/// std::fs::create_dir_all(&dir).unwrap();
/// let f = dir.join("t.csv");
/// std::fs::write(&f, "timestamp\n0.5\n1.25\n1.25\n").unwrap();
/// assert_eq!(&*kendall::sim::read_trace(&f).unwrap(), &[0.5, 1.25, 1.25]);
/// std::fs::write(&f, "1.0\n0.5\n").unwrap();
/// assert!(kendall::sim::read_trace(&f).unwrap_err().to_string().contains("line 2"));
/// ```
pub fn read_trace(path: &Path) -> Result<Arc<[f64]>, SimError> {
    let text = std::fs::read_to_string(path).map_err(|source| SimError::TraceIo {
        path: path.to_path_buf(),
        source,
    })?;
    let err = |line: usize, message: String| SimError::Trace {
        path: path.to_path_buf(),
        line,
        message,
    };
    let mut out = Vec::new();
    let mut last = 0.0f64;
    let mut first_content = true;
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let field = trimmed.split(',').next().unwrap_or("").trim();
        let parsed = field.parse::<f64>();
        let header = first_content && parsed.is_err();
        first_content = false;
        if header {
            continue;
        }
        let t = parsed.map_err(|_| {
            err(
                line,
                format!("{field:?} is not a timestamp in seconds (expected a number such as 12.5)"),
            )
        })?;
        if !(t.is_finite() && t >= 0.0) {
            return Err(err(
                line,
                format!("timestamp must be finite and >= 0, got {t}"),
            ));
        }
        if t < last {
            return Err(err(
                line,
                format!("timestamps must be sorted: {t} comes after {last}; sort the file by time"),
            ));
        }
        last = t;
        out.push(t);
    }
    if out.is_empty() {
        return Err(err(0, "the trace holds no timestamps".into()));
    }
    Ok(out.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Segment;
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    /// Counts of a profile with rate 100 on [0, 10), 1000 on [10, 12), 0 on [12, 20),
    /// repeating every 20 s: per period the expected count is 1000 + 2000 + 0, so over
    /// 50 periods 150 000 ± 5·sqrt(150 000), and none fall in [12, 20).
    #[test]
    fn profile_counts_match_integrated_rate() {
        let p = ArrivalProcess::Profile {
            base: 0.0,
            segments: vec![
                Segment {
                    start: 0.0,
                    end: 10.0,
                    rate: 100.0,
                },
                Segment {
                    start: 10.0,
                    end: 12.0,
                    rate: 1000.0,
                },
            ],
            period: Some(20.0),
        };
        let mut g = ArrivalGen::new(&p, None).unwrap();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
        let (mut t, mut n, mut peak) = (0.0, 0u64, 0u64);
        while let Some(s) = g.next(t, f64::INFINITY, &mut rng) {
            if s >= 1000.0 {
                break;
            }
            t = s;
            n += 1;
            let off = t % 20.0;
            assert!(off < 12.0, "arrival at {t} in a zero-rate piece");
            if off >= 10.0 {
                peak += 1;
            }
        }
        assert!(
            (n as f64 - 150_000.0).abs() < 5.0 * 150_000f64.sqrt(),
            "{n}"
        );
        assert!(
            (peak as f64 - 100_000.0).abs() < 5.0 * 100_000f64.sqrt(),
            "{peak}"
        );
    }

    #[test]
    fn profile_without_period_ends() {
        let p = ArrivalProcess::Profile {
            base: 0.0,
            segments: vec![Segment {
                start: 1.0,
                end: 2.0,
                rate: 10.0,
            }],
            period: None,
        };
        let mut g = ArrivalGen::new(&p, None).unwrap();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        let mut t = 0.0;
        let mut n = 0;
        while let Some(s) = g.next(t, f64::INFINITY, &mut rng) {
            assert!((1.0..2.0).contains(&s));
            t = s;
            n += 1;
        }
        assert!(n > 0);
    }

    /// MMPP long-run rate: phases 100/s and 1000/s, switching 1→2 at 1/s, 2→1 at 9/s:
    /// stationary (0.9, 0.1), mean rate 190/s.
    #[test]
    fn mmpp_mean_rate() {
        let p = ArrivalProcess::Mmpp {
            rates: vec![100.0, 1000.0],
            generator: vec![vec![-1.0, 1.0], vec![9.0, -9.0]],
        };
        let mut g = ArrivalGen::new(&p, None).unwrap();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(2);
        let mut t = 0.0;
        let mut n = 0u64;
        while t < 5000.0 {
            t = g.next(t, f64::INFINITY, &mut rng).unwrap();
            n += 1;
        }
        let rate = n as f64 / t;
        // Bursty: the count's variance is large; 3 % is ~4 standard errors here.
        assert!((rate - 190.0).abs() < 0.03 * 190.0, "{rate}");
    }

    #[test]
    fn trace_errors_name_lines() {
        let dir = std::env::temp_dir().join("kendall-trace-test");
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("bad.csv");
        std::fs::write(&f, "# comment\n1.0\n\nabc\n").unwrap();
        let e = read_trace(&f).unwrap_err().to_string();
        assert!(e.contains("line 4") && e.contains("abc"), "{e}");
        std::fs::write(&f, "1.0\n-2\n").unwrap();
        assert!(read_trace(&f).unwrap_err().to_string().contains("line 2"));
        std::fs::write(&f, "t\n").unwrap();
        assert!(read_trace(&f).is_err());
        assert!(read_trace(&dir.join("missing.csv")).is_err());
    }
}
