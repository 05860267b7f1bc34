//! Test helpers shared by the integration tests: tolerances, assertions, model builders
//! and a few independent reference formulas.
//! It is a module of `tests/integration/main.rs` (and of `tests/no_alloc.rs`); not every
//! binary uses every item, so dead-code and unused-import lints are silenced for the
//! whole module (the statrs `prec` / `testing_boiler!` pattern, in one place).
//!
//! - [`tol`]: the tolerances, each with the reason for its size.
//! - [`assert_rel!`], [`assert_abs!`]: scalar comparisons on top of `approx`, printing
//!   both values, the error and a context on failure.
//! - [`assert_covers!`], [`assert_covers_percentile!`]: a simulated estimate against an
//!   exact value through its confidence interval (widened by the histogram's bound
//!   [`RELATIVE_ERROR`] for percentiles).
//! - [`build`]: the model and run-setting builders several files repeat.
//! - [`exact`]: small closed forms several files compute by hand.
//!
//! **Comparison semantics.** `assert_rel!` is `approx::relative_eq!` with
//! `epsilon = 0.0` (no absolute floor) and `max_relative = tol`: it passes when
//! `|got − want| ≤ tol · max(|got|, |want|)`, equal values (infinities included) pass,
//! NaN never does. `assert_abs!` is `approx::abs_diff_eq!`: `|got − want| ≤ tol`. Both
//! bounds are inclusive.

#![allow(dead_code, unused_imports, unused_macros)]

use kendall::sim::{Estimate, RELATIVE_ERROR};

/// Tolerances, by the kind of computation that produced the figure (after statrs'
/// `prec`). Relative unless the name or the note says absolute.
pub mod tol {
    /// Closed form against closed form (or the same identity reached two ways) in
    /// `f64`: sums of at most a few thousand terms and a few divisions, so rounding stays
    /// several decades under 1e-12. Relative; used as an absolute bound on figures of
    /// order one (means of hand-sized examples).
    pub const CLOSED_FORM: f64 = 1e-12;

    /// Short sums (a few dozen terms of one geometric series, one power): a decade
    /// tighter than [`CLOSED_FORM`]. Relative.
    pub const SHORT_SUM: f64 = 1e-13;

    /// A probability built from a handful of products and complements: a few ulps of 1.
    /// Absolute.
    pub const PROBABILITY: f64 = 1e-15;

    /// Quantile ↔ CDF round trips and quantiles of two solvers: each quantile comes from
    /// an iterative inversion and the CDF is then evaluated at its answer, so a decade
    /// looser than [`CLOSED_FORM`]. Relative.
    pub const QUANTILE: f64 = 1e-11;

    /// ∫ P(T > t) dt by adaptive Simpson (stopping at 1e-13 of the range, tail cut at
    /// 1e-17) against the solver's mean. Relative.
    pub const QUADRATURE: f64 = 1e-8;

    /// A numerical solve (dense CTMC steady state with residual < 1e-12, MVA recursion)
    /// against an independent closed form: the residual bounds the equations, not the
    /// figures, so two decades are left for conditioning. Relative, or absolute on
    /// figures of order one.
    pub const NUMERICAL: f64 = 1e-10;

    /// As [`NUMERICAL`] for figures combined from several solver outputs (a tandem's two
    /// throughputs; the simulator module's MVA on a windowed source): the bound these
    /// tests were written with, a decade looser. Relative.
    pub const NUMERICAL_COMBINED: f64 = 1e-9;

    /// Simulated times and rates that the engine accumulates by repeated `f64`
    /// additions (bucket starts, measured time) or derives from a stationary solve (an
    /// MMPP's mean rate), of order 1 to 1000. Absolute.
    pub const CLOCK: f64 = 1e-9;

    /// Confidence level of the simulation-vs-theory runs: a correct engine misses the
    /// exact value with probability about 0.001 per assertion, and fixed seeds make the
    /// outcome reproducible.
    pub const CONFIDENCE: f64 = 0.999;

    /// Bound on a quantile read off the end-to-end latency grid of cell width `cell`
    /// after `convolutions` convolutions: each convolution moves a quantile by at most
    /// half a cell, plus one cell for the interpolation within a cell. Absolute.
    pub fn grid(convolutions: u32, cell: f64) -> f64 {
        (0.5 * f64::from(convolutions) + 1.0) * cell
    }
}

/// Relative error `|got − want| / max(|got|, |want|)`, the quantity [`assert_rel!`]
/// bounds (0 for equal values).
pub fn relative_error(got: f64, want: f64) -> f64 {
    if got == want {
        0.0
    } else {
        (got - want).abs() / got.abs().max(want.abs())
    }
}

/// Whether `got` is within relative `tol` of `want` (see the module notes).
pub fn rel_eq(got: f64, want: f64, tol: f64) -> bool {
    approx::relative_eq!(got, want, epsilon = 0.0, max_relative = tol)
}

/// `assert_rel!(got, want, tol)` or `assert_rel!(got, want, tol, "context {}", x)`:
/// relative comparison (see the module notes); on failure prints both values, the
/// relative error, the tolerance and the context (by default the `got` expression).
macro_rules! assert_rel {
    ($got:expr, $want:expr, $tol:expr $(,)?) => {
        $crate::common::assert_rel!($got, $want, $tol, "{}", stringify!($got))
    };
    ($got:expr, $want:expr, $tol:expr, $($ctx:tt)+) => {{
        let (got, want, tol): (f64, f64, f64) = ($got, $want, $tol);
        assert!(
            $crate::common::rel_eq(got, want, tol),
            "{}: got {got}, want {want} (relative error {:e} > {tol:e})",
            format_args!($($ctx)+),
            $crate::common::relative_error(got, want),
        );
    }};
}
pub(crate) use assert_rel;

/// `assert_abs!(got, want, tol)` or `assert_abs!(got, want, tol, "context {}", x)`:
/// absolute comparison `|got − want| ≤ tol` (`approx::abs_diff_eq!`); on failure prints
/// both values, the difference, the tolerance and the context (by default the `got`
/// expression).
macro_rules! assert_abs {
    ($got:expr, $want:expr, $tol:expr $(,)?) => {
        $crate::common::assert_abs!($got, $want, $tol, "{}", stringify!($got))
    };
    ($got:expr, $want:expr, $tol:expr, $($ctx:tt)+) => {{
        let (got, want, tol): (f64, f64, f64) = ($got, $want, $tol);
        assert!(
            ::approx::abs_diff_eq!(got, want, epsilon = tol),
            "{}: got {got}, want {want} (difference {:e} > {tol:e})",
            format_args!($($ctx)+),
            (got - want).abs(),
        );
    }};
}
pub(crate) use assert_abs;

/// Checks `|e.mean − exact| ≤ half_width + widen`; the error names the figures.
///
/// # Panics
/// If the estimate has no interval (fewer than two replications).
pub fn covers(e: &Estimate, exact: f64, widen: f64) -> Result<(), String> {
    let hw = e.half_width.expect("at least two replications");
    if (e.mean - exact).abs() <= hw + widen {
        Ok(())
    } else {
        Err(format!(
            "simulated {} ± {hw} (+ {widen} histogram bound), exact {exact}",
            e.mean
        ))
    }
}

/// `assert_covers!(&estimate, exact, "context {}", x)`: the exact value lies in the
/// estimate's confidence interval, `|mean − exact| ≤ half_width`. For means, rates,
/// probabilities: no bias term.
macro_rules! assert_covers {
    ($est:expr, $exact:expr, $($ctx:tt)+) => {
        if let Err(why) = $crate::common::covers($est, $exact, 0.0) {
            panic!("{}: {why}", format_args!($($ctx)+));
        }
    };
}
pub(crate) use assert_covers;

/// `assert_covers_percentile!(&estimate, exact, "context")`: as [`assert_covers!`] with
/// the interval widened by the histogram's stated relative error,
/// `|mean − exact| ≤ half_width + RELATIVE_ERROR · exact`, for percentiles read off the
/// simulator's log-bucketed histograms.
macro_rules! assert_covers_percentile {
    ($est:expr, $exact:expr, $($ctx:tt)+) => {{
        let exact: f64 = $exact;
        let widen = $crate::common::percentile_widening(exact);
        if let Err(why) = $crate::common::covers($est, exact, widen) {
            panic!("{}: {why}", format_args!($($ctx)+));
        }
    }};
}
pub(crate) use assert_covers_percentile;

/// The histogram's error bound on a percentile of true value `exact`:
/// `RELATIVE_ERROR · exact`.
pub fn percentile_widening(exact: f64) -> f64 {
    RELATIVE_ERROR * exact
}

/// Share of L allowed for the edge effect of Little's law on a finite window: messages
/// in the node at the start and end of the window count in L but not (fully) in W.
/// Relative to L; the runs that use [`assert_conservation_and_little`] last hundreds of
/// mean sojourns, so the edge term is under 1%.
pub const LITTLE_EDGE: f64 = 0.02;

/// The bundled example scenarios, by file stem in `examples/`.
pub const EXAMPLES: [&str; 10] = [
    "payments",
    "single_queue",
    "finite_buffer",
    "tandem_blocking",
    "priority",
    "bursty",
    "redelivery",
    "peak_hour",
    "confirm_window",
    "kafka_hot_keys",
];

/// Checks a simulation report's bookkeeping:
/// * **conservation**, overall (`created = completed + in flight + rejected +
///   dead-lettered`) and per queue (`offered = completed + dead-lettered + rejected +
///   in node`), always;
/// * **Little's law** per queue, L ≈ X·W (X the completions per second, W their mean
///   sojourn), within the combined confidence half-widths `hw(L) + X·hw(W) + W·hw(X)`
///   plus [`LITTLE_EDGE`] · L, for queues that completed messages. Dead letters also
///   occupy the node: their share X_dead/X is added to the tolerance.
///
/// When the report says the run is not stationary ([`SimReport::is_stationary`]),
/// Little's law has nothing to hold for: it is reported as not asserted (on stderr)
/// and conservation alone is checked. Returns whether Little's law was asserted.
///
/// # Panics
/// On a broken balance, or a queue off Little's law, naming the queue and the figures.
pub fn assert_conservation_and_little(report: &kendall::SimReport) -> bool {
    let c = &report.conservation;
    assert!(c.is_balanced(), "conservation: {c:?}");
    for q in &report.queues {
        assert!(
            q.counts.is_balanced(),
            "queue {:?} conservation: {:?}",
            q.name,
            q.counts
        );
    }
    if !report.is_stationary() {
        eprintln!(
            "Little's law not asserted: the report is not stationary ({})",
            report
                .warnings
                .iter()
                .map(|w| format!("{} {}", w.kind.name(), w.node))
                .collect::<Vec<_>>()
                .join(", ")
        );
        return false;
    }
    for q in &report.queues {
        let Some(w) = q.w else { continue };
        if q.p_expire.is_some() || q.counts.dropped > 0 || q.counts.copies > 0 {
            // Expired (TTL), pushed-out (drop-head) messages and ack-timeout copies also
            // spend time in the queue without finishing as messages: L = X·W plus their
            // time; tests/integration/ttl.rs, overflow.rs and ack_timeout.rs check L
            // against the exact figures there.
            continue;
        }
        let x = q.throughput;
        let hw = |e: &Estimate| e.half_width.unwrap_or(0.0);
        let want = x.mean * w.mean;
        let dead_share = if x.mean > 0.0 {
            q.dead_letters.mean / (x.mean * report.measured_time.mean)
        } else {
            0.0
        };
        let tol =
            hw(&q.l) + x.mean * hw(&w) + w.mean * hw(&x) + (LITTLE_EDGE + dead_share) * q.l.mean;
        assert!(
            (q.l.mean - want).abs() <= tol,
            "queue {:?}: Little's law L = X·W off: L = {:?}, X = {:?}, W = {:?}, X·W = {want}, tolerance {tol}",
            q.name,
            q.l,
            x,
            w
        );
    }
    true
}

/// Builders for the models and run settings several test files repeat.
pub mod build {
    use kendall::model::{
        ArrivalProcess, Distribution, Model, Queue, Route, RouteBranch, RunSettings, Source,
    };

    /// Exponential service or inter-arrival time of the given mean.
    pub fn exp(mean: f64) -> Distribution {
        Distribution::Exponential { mean }
    }

    /// Exponential time of the given rate (mean `1 / rate`).
    pub fn exp_rate(rate: f64) -> Distribution {
        Distribution::Exponential { mean: 1.0 / rate }
    }

    /// Poisson arrivals at `rate` (λ).
    pub fn poisson(rate: f64) -> ArrivalProcess {
        ArrivalProcess::Poisson { rate }
    }

    /// One source named `"in"` with `arrival`, sending to `queue`, the only node.
    pub fn one_queue(arrival: ArrivalProcess, queue: Queue) -> Model {
        Model::default()
            .with_source(Source::new("in", arrival, queue.name.clone()))
            .with_queue(queue)
    }

    /// One queue fed by a Poisson source `"in"` of rate λ.
    pub fn poisson_into(lambda: f64, queue: Queue) -> Model {
        one_queue(poisson(lambda), queue)
    }

    /// M/M/c: Poisson λ into queue `"q"` with `c` consumers and exponential service of
    /// rate μ.
    pub fn mmc_model(lambda: f64, mu: f64, c: u32) -> Model {
        poisson_into(lambda, Queue::new("q", c, exp_rate(mu)))
    }

    /// A Poisson producer `"producer"` (λ) with a confirm window of `window` messages.
    pub fn windowed(lambda: f64, window: u32, to: &str) -> Source {
        let mut s = Source::new("producer", poisson(lambda), to);
        s.window = Some(window);
        s
    }

    /// A probabilistic route: `(target, probability)` pairs, `"exit"` to leave.
    pub fn split(branches: &[(&str, f64)]) -> Route {
        Route::Choice(
            branches
                .iter()
                .map(|&(to, probability)| RouteBranch {
                    to: to.into(),
                    probability,
                })
                .collect(),
        )
    }

    /// A horizon-bounded run with the default confidence level.
    pub fn settings(horizon: f64, warmup: f64, replications: u32, seed: u64) -> RunSettings {
        RunSettings {
            horizon: Some(horizon),
            warmup,
            replications,
            seed,
            ..RunSettings::default()
        }
    }

    /// A horizon-bounded run for simulation-vs-theory checks: intervals at
    /// [`CONFIDENCE`](super::tol::CONFIDENCE).
    pub fn theory_settings(horizon: f64, warmup: f64, replications: u32, seed: u64) -> RunSettings {
        RunSettings {
            confidence: super::tol::CONFIDENCE,
            ..settings(horizon, warmup, replications, seed)
        }
    }
}

/// Small independent closed forms several files compute by hand (not through the
/// `analytic` module they check).
pub mod exact {
    /// Erlang C probability of waiting by direct summation of the M/M/c state
    /// probabilities (Kleinrock 1975, Vol. 1, eq. 3.40); small `c` only (no overflow
    /// guard), `a < c`.
    pub fn erlang_c(c: u32, a: f64) -> f64 {
        let mut term = 1.0;
        let mut sum = 0.0;
        for k in 0..c {
            sum += term;
            term *= a / f64::from(k + 1);
        }
        // term = a^c / c!
        let rho = a / f64::from(c);
        let tail = term / (1.0 - rho);
        tail / (sum + tail)
    }

    /// π₀..π_n of a birth–death chain with constant ratio `ratio` between neighbours,
    /// πᵢ ∝ ratioⁱ (M/M/1/K and its relatives), normalised by direct summation.
    pub fn truncated_geometric(ratio: f64, n: usize) -> Vec<f64> {
        let w: Vec<f64> = (0..=n).map(|i| ratio.powi(i as i32)).collect();
        let total: f64 = w.iter().sum();
        w.iter().map(|x| x / total).collect()
    }

    /// A Poisson producer (λ) with window N into one M/M/1 queue (μ): the number in
    /// flight is a birth–death chain on 0..=N with πₙ ∝ (λ/μ)ⁿ (Kleinrock 1975, Vol. 1,
    /// §3.6, finite storage). Returns (L, X, R) with X = μ(1 − π₀) and R = L / X
    /// (Little), by direct summation.
    pub fn closed_mm1(lambda: f64, mu: f64, n: u32) -> (f64, f64, f64) {
        let pi = truncated_geometric(lambda / mu, n as usize);
        let l: f64 = pi.iter().enumerate().map(|(k, p)| k as f64 * p).sum();
        let x = mu * (1.0 - pi[0]);
        (l, x, l / x)
    }

    /// The p-quantile of a distribution given by its tail `P(T > t)` (decreasing), by
    /// bisection to the last bit.
    pub fn tail_quantile(tail: impl Fn(f64) -> f64, p: f64) -> f64 {
        let (mut lo, mut hi) = (0.0, 1.0);
        while tail(hi) > 1.0 - p {
            hi *= 2.0;
        }
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if tail(mid) > 1.0 - p {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        0.5 * (lo + hi)
    }
}
