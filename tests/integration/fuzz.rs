//! Fuzzing: random and mutated scenarios through validation, `solve` and a short
//! `simulate`, and random text through the duration and SLO parsers of the CLI.
//!
//! Properties checked on every case:
//! - nothing panics, aborts or hangs: each case is bounded (the simulated horizon is cut
//!   so that a run handles about [`EVENT_BUDGET`] events, whatever the rates), and the
//!   slowest case is measured and bounded by [`CASE_LIMIT`];
//! - a scenario gives either a result or an error that names a field (every validation
//!   problem has a path; solver and simulator errors are not empty);
//! - no figure is NaN or infinite, neither in the JSON serialisation of a result nor in
//!   its table text;
//! - every probability (utilisation per consumer, P(wait), P(block), dead-letter
//!   fraction), interval bounds included, lies in [0, 1]; every time, count, rate and
//!   interval bound is >= 0.
//!
//! Two generators: structurally valid models (random sources, queues, topics and routes,
//! rates from 1e-300 to 1e300, every distribution and arrival process, capacities,
//! priorities, failures, fan-out, cycles; a few fields deliberately out of range), and
//! mutations of the bundled example scenarios (values edited to 0, negative, huge, tiny,
//! NaN strings, wrong types, or removed) through `toml::Value`.
//!
//! Run longer with `PROPTEST_CASES=100000 cargo test --test integration --release fuzz:: -- --nocapture`;
//! `PROPTEST_RNG_SEED=N` changes the seed (fixed by default, so CI is reproducible). The
//! tally of what was covered is printed with `--nocapture`.

use crate::common;
use common::EXAMPLES;
use kendall::analytic::arrival_rates;
use kendall::model::{
    ArrivalProcess, Branch, Discipline, Distribution, OnFull, Queue, Route, RouteBranch, Segment,
    Source, Topic, parse_duration,
};
use kendall::report::{simulation_text, solution_text};
use kendall::{Metric, Model, ModelError, ModelSolution, RunSettings, SimReport, Slo, ValidModel};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestRunner};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Events one simulated replication may handle (estimated before the run from the
/// model's peak rates and visits; the horizon is cut to fit).
const EVENT_BUDGET: f64 = 20_000.0;

/// The slowest a single case may be before the fuzz calls it a hang (a case normally
/// takes milliseconds; the worst measured is printed in the tally).
const CASE_LIMIT: Duration = Duration::from_secs(20);

/// Cases per test when `PROPTEST_CASES` is not set: sized so the whole file runs in well
/// under a minute on two cores in the default (opt-level 2) test profile.
const DEFAULT_CASES: u32 = 300;

/// Seed when `PROPTEST_RNG_SEED` is not set.
const DEFAULT_SEED: u64 = 0x6b65_6e64_616c_6c09;

fn config(default_cases: u32) -> Config {
    let mut c = Config {
        failure_persistence: None,
        ..Config::default()
    };
    if std::env::var_os("PROPTEST_CASES").is_none() {
        c.cases = default_cases;
    }
    if std::env::var_os("PROPTEST_RNG_SEED").is_none() {
        c.rng_seed = RngSeed::Fixed(DEFAULT_SEED);
    }
    c
}

// ---------------------------------------------------------------------------------
// The tally: what the fuzz covered.

#[derive(Default)]
struct Tally {
    cases: AtomicU64,
    parse_errors: AtomicU64,
    invalid: AtomicU64,
    valid: AtomicU64,
    solved: AtomicU64,
    solve_errors: AtomicU64,
    refused_nodes: AtomicU64,
    simulated: AtomicU64,
    sim_errors: AtomicU64,
    sim_skipped: AtomicU64,
    known: AtomicU64,
    events: AtomicU64,
    nanos: AtomicU64,
    worst: Mutex<(Duration, String)>,
}

impl Tally {
    fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    fn time(&self, took: Duration, what: impl FnOnce() -> String) {
        Self::add(&self.nanos, took.as_nanos() as u64);
        let mut w = self.worst.lock().unwrap_or_else(|e| e.into_inner());
        if took > w.0 {
            *w = (took, what());
        }
    }

    fn print(&self, name: &str, started: Instant) {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let wall = started.elapsed().as_secs_f64();
        let cases = get(&self.cases);
        let w = self.worst.lock().unwrap_or_else(|e| e.into_inner());
        println!(
            "fuzz {name}: {cases} cases in {wall:.1} s ({:.0} cases/s): {} parse errors, \
             {} validation errors, {} valid; solve: {} results ({} nodes refused with a \
             reason), {} errors; simulate: {} results ({} events), {} errors, {} skipped \
             (too many events for any horizon), {} skipped (known issues); findings: 0 (a finding fails the test); \
             worst case {:.3} s: {}",
            cases as f64 / wall.max(1e-9),
            get(&self.parse_errors),
            get(&self.invalid),
            get(&self.valid),
            get(&self.solved),
            get(&self.refused_nodes),
            get(&self.solve_errors),
            get(&self.simulated),
            get(&self.events),
            get(&self.sim_errors),
            get(&self.sim_skipped),
            get(&self.known),
            w.0.as_secs_f64(),
            w.1,
        );
    }
}

// ---------------------------------------------------------------------------------
// Properties.

fn fail(msg: String) -> TestCaseError {
    TestCaseError::fail(msg)
}

/// Every validation problem names its field (a path) and says what is wrong.
fn check_model_error(e: &ModelError) -> Result<(), TestCaseError> {
    let text = e.to_string();
    prop_assert!(!text.trim().is_empty(), "empty model error");
    if let ModelError::Invalid(problems) = e {
        prop_assert!(!problems.0.is_empty(), "Invalid with no problem: {text}");
        for p in &problems.0 {
            prop_assert!(
                !p.path.trim().is_empty() && !p.message.trim().is_empty(),
                "a problem without a field path or a message: {p:?}"
            );
        }
    }
    Ok(())
}

/// A solver or simulator error says something (they name the queue, source or setting
/// they are about; a bare message would not).
fn check_error_text(what: &str, text: &str) -> Result<(), TestCaseError> {
    prop_assert!(!text.trim().is_empty(), "{what}: empty error message");
    prop_assert!(
        !has_non_finite_token(text),
        "{what}: error message prints a non-finite number: {text}"
    );
    Ok(())
}

/// The names of the model's nodes and sources (a mutation may name a queue `NaN`).
fn node_names(m: &Model) -> Vec<String> {
    let mut names: Vec<String> = (m.queues.iter().map(|q| q.name.clone()))
        .chain(m.topics.iter().map(|t| t.name.clone()))
        .chain(m.sources.iter().map(|s| s.name.clone()))
        .chain(m.name.clone())
        .filter(|n| !n.is_empty())
        .collect();
    names.sort_by_key(|n| std::cmp::Reverse(n.len()));
    names
}

/// `text` with the model's names blanked out, so only figures are checked.
fn without_names(mut text: String, names: &[String]) -> String {
    for n in names {
        text = text.replace(n.as_str(), " ");
    }
    text
}

/// A token of the text that reads as NaN or an infinity.
fn has_non_finite_token(text: &str) -> bool {
    text.split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '+' || c == '.'))
        .map(|t| t.trim_start_matches(['-', '+']).to_ascii_lowercase())
        .any(|t| t == "nan" || t == "inf" || t == "infinity" || t == "∞")
}

/// Every float of a serialised result is finite. JSON writes NaN and infinities as
/// `null`, which would hide them, so the result is walked through `toml::Value` (which
/// keeps them as floats) as well as written as JSON.
fn check_serialised<T: serde::Serialize>(what: &str, value: &T) -> Result<(), TestCaseError> {
    let json = serde_json::to_string(value).map_err(|e| fail(format!("{what}: JSON: {e}")))?;
    prop_assert!(!json.is_empty());
    let tv = toml::Value::try_from(value).map_err(|e| fail(format!("{what}: TOML value: {e}")))?;
    let mut bad = Vec::new();
    walk_floats(&tv, &mut String::new(), &mut bad);
    prop_assert!(bad.is_empty(), "{what}: non-finite figures {bad:?}");
    Ok(())
}

fn walk_floats(v: &toml::Value, path: &mut String, bad: &mut Vec<String>) {
    match v {
        toml::Value::Float(x) if !x.is_finite() => bad.push(format!("{path} = {x}")),
        toml::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                walk_floats(item, path, bad);
                path.truncate(len);
            }
        }
        toml::Value::Table(t) => {
            for (k, item) in t {
                let len = path.len();
                path.push('.');
                path.push_str(k);
                walk_floats(item, path, bad);
                path.truncate(len);
            }
        }
        _ => {}
    }
}

/// The range a metric's figures must lie in.
fn range_of(m: Metric) -> (f64, f64) {
    use kendall::model::Unit;
    match m.unit() {
        Unit::Fraction => (0.0, 1.0),
        _ => (0.0, f64::INFINITY),
    }
}

fn in_range(what: &str, x: f64, (lo, hi): (f64, f64)) -> Result<(), TestCaseError> {
    prop_assert!(
        x.is_finite() && lo <= x && x <= hi,
        "{what} = {x}, outside [{lo}, {hi}]"
    );
    Ok(())
}

fn check_solution(
    sol: &ModelSolution,
    tally: &Tally,
    names: &[String],
) -> Result<(), TestCaseError> {
    check_serialised("solve", sol)?;
    let text = without_names(solution_text(sol), names);
    prop_assert!(
        !has_non_finite_token(&text),
        "solve table prints a non-finite figure:\n{text}"
    );
    for n in &sol.nodes {
        if let Some(reason) = n.refusal() {
            Tally::add(&tally.refused_nodes, 1);
            prop_assert!(
                !reason.trim().is_empty(),
                "node {} refused with no reason",
                n.name
            );
        }
        in_range(
            &format!("{}.message_rate", n.name),
            n.message_rate,
            (0.0, f64::INFINITY),
        )?;
        for m in Metric::QUEUE {
            if let Some(x) = n.get(m) {
                in_range(&format!("{}.{}", n.name, m.name()), x, range_of(m))?;
                if n.solution().is_some() && m != Metric::Consumers && m != Metric::DeadLetter {
                    prop_assert!(
                        n.method_of(m).is_some(),
                        "{}.{} has a figure but no method",
                        n.name,
                        m.name()
                    );
                }
            }
        }
    }
    for e in &sol.end_to_end {
        for m in Metric::END_TO_END {
            if let Some(x) = e.get(m) {
                in_range(
                    &format!("end_to_end:{}.{}", e.name, m.name()),
                    x,
                    range_of(m),
                )?;
            }
        }
    }
    Ok(())
}

fn check_estimate(
    what: &str,
    e: &kendall::sim::Estimate,
    range: (f64, f64),
) -> Result<(), TestCaseError> {
    in_range(what, e.mean, range)?;
    for (side, b) in [("lower", e.lower), ("upper", e.upper)] {
        if let Some(b) = b {
            in_range(&format!("{what} ({side} bound)"), b, range)?;
        }
    }
    if let Some(h) = e.half_width {
        in_range(&format!("{what} (half-width)"), h, (0.0, f64::INFINITY))?;
    }
    Ok(())
}

fn check_report(r: &SimReport, names: &[String]) -> Result<(), TestCaseError> {
    check_serialised("simulate", r)?;
    let text = without_names(simulation_text(r), names);
    prop_assert!(
        !has_non_finite_token(&text),
        "simulate table prints a non-finite figure:\n{text}"
    );
    check_estimate("measured_time", &r.measured_time, (0.0, f64::INFINITY))?;
    for q in &r.queues {
        for m in Metric::QUEUE {
            if let Some(e) = q.get(m) {
                check_estimate(&format!("{}.{}", q.name, m.name()), &e, range_of(m))?;
            }
        }
        for (name, e) in [
            ("redeliveries", q.redeliveries),
            ("dead_letters", q.dead_letters),
            ("rejected", q.rejected),
        ] {
            check_estimate(&format!("{}.{name}", q.name), &e, (0.0, f64::INFINITY))?;
        }
    }
    for s in &r.sources {
        for m in Metric::END_TO_END {
            if let Some(e) = s.get(m) {
                check_estimate(&format!("source {}.{}", s.name, m.name()), &e, range_of(m))?;
            }
        }
        check_estimate(
            &format!("source {}.created", s.name),
            &s.created,
            (0.0, f64::INFINITY),
        )?;
        check_estimate(
            &format!("source {}.lost", s.name),
            &s.lost,
            (0.0, f64::INFINITY),
        )?;
    }
    prop_assert!(
        r.conservation.is_balanced(),
        "messages not conserved: {:?}",
        r.conservation
    );
    Ok(())
}

// ---------------------------------------------------------------------------------
// Bounding the simulation.

/// An upper estimate of the events per second of simulated time: per source, its peak
/// rate of arrivals and of state changes (MMPP switches, profile segment edges), times
/// one arrival plus about three events (arrival, completion, redelivery timer) per visit
/// of a queue; and the mean queue visits per message. `None` when it cannot be estimated (a trace replay).
fn event_rate(valid: &ValidModel) -> Option<(f64, f64)> {
    let model = valid.model();
    let mut peak = 0.0;
    let mut mean = 0.0;
    for s in &model.sources {
        let m = s.arrival.mean_rate()?;
        let p = match &s.arrival {
            ArrivalProcess::Poisson { rate } | ArrivalProcess::Deterministic { rate } => *rate,
            ArrivalProcess::Renewal { interarrival } => 1.0 / interarrival.mean(),
            ArrivalProcess::Mmpp { rates, generator } => {
                let switch = generator
                    .iter()
                    .enumerate()
                    .map(|(i, row)| row.get(i).map_or(0.0, |d| d.abs()))
                    .fold(0.0, f64::max);
                rates.iter().copied().fold(0.0, f64::max) + switch
            }
            ArrivalProcess::Profile {
                segments, period, ..
            } => {
                let span =
                    period.unwrap_or_else(|| segments.iter().map(|g| g.end).fold(0.0, f64::max));
                let edges = if span > 0.0 {
                    (2.0 * segments.len() as f64 + 1.0) / span
                } else {
                    0.0
                };
                s.arrival.peak_rate().unwrap_or(m) + edges
            }
            _ => return None,
        };
        peak += p;
        mean += m;
    }
    let rates = arrival_rates(valid).ok()?;
    let visits = if mean > 0.0 {
        rates.iter().sum::<f64>() / mean
    } else {
        0.0
    };
    Some((peak * (1.0 + 3.0 * visits), visits.max(1.0)))
}

/// Settings for a short run of at most about [`EVENT_BUDGET`] events per replication,
/// or `None` when even the shortest meaningful horizon would exceed it.
fn short_run(
    valid: &ValidModel,
    horizon: f64,
    replications: u32,
    seed: u64,
) -> Option<RunSettings> {
    let model = valid.model();
    let (rate, visits) = event_rate(valid)?;
    let backlog: f64 = model.queues.iter().map(|q| q.initial_backlog as f64).sum();
    let fixed = 3.0 * backlog * visits;
    let room = EVENT_BUDGET - fixed;
    if !(room > 0.0 && rate.is_finite()) {
        return None;
    }
    let h = if rate > 0.0 {
        horizon.min(room / rate)
    } else {
        horizon
    };
    if !(h.is_normal() && h > 0.0) {
        return None;
    }
    Some(RunSettings {
        horizon: Some(h),
        warmup: 0.0,
        replications,
        seed,
        ..RunSettings::default()
    })
}

/// Validation, solve and a short simulation of one scenario, with every property.
fn run_pipeline(model: &Model, sim: (f64, u32, u64), tally: &Tally) -> Result<(), TestCaseError> {
    let valid = match model.validate() {
        Ok(v) => v,
        Err(e) => {
            Tally::add(&tally.invalid, 1);
            return check_model_error(&e);
        }
    };
    Tally::add(&tally.valid, 1);
    let names = node_names(model);
    match kendall::solve(&valid) {
        Ok(sol) => {
            Tally::add(&tally.solved, 1);
            check_solution(&sol, tally, &names)?;
        }
        Err(e) => {
            Tally::add(&tally.solve_errors, 1);
            check_error_text("solve", &e.to_string())?;
        }
    }
    let Some(settings) = short_run(&valid, sim.0, sim.1, sim.2) else {
        Tally::add(&tally.sim_skipped, 1);
        return Ok(());
    };
    match kendall::simulate(&valid, &settings) {
        Ok(r) => {
            Tally::add(&tally.simulated, 1);
            Tally::add(&tally.events, r.events);
            let cap = (10.0 * EVENT_BUDGET) as u64 * u64::from(settings.replications);
            prop_assert!(
                r.events <= cap,
                "{} events, over {cap}: the event estimate of the fuzz is wrong or the run loops",
                r.events
            );
            check_report(&r, &names)?;
        }
        Err(e) => {
            Tally::add(&tally.sim_errors, 1);
            check_error_text("simulate", &e.to_string())?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------
// Generator 1: structurally valid models.

/// A positive number spanning 1e-300 ..= 1e300 (log-uniform in the exponent), with the
/// edges and plain values over-represented.
fn magnitude() -> impl Strategy<Value = f64> {
    prop_oneof![
        // Mostly magnitudes validation accepts (times are bounded to [1e-15, 1e15] s),
        // so that most models reach solve and simulate; the double range's far ends
        // now and then.
        1 => (-300i32..=300, 1.0f64..10.0).prop_map(|(e, m)| m * 10f64.powi(e)),
        3 => (-15i32..=14, 1.0f64..10.0).prop_map(|(e, m)| m * 10f64.powi(e)),
        6 => (-3i32..=3, 1.0f64..10.0).prop_map(|(e, m)| m * 10f64.powi(e)),
        1 => Just(f64::MIN_POSITIVE),
        1 => Just(f64::MAX),
        1 => Just(1.0),
    ]
}

/// Mostly a valid magnitude; sometimes a value validation must refuse.
fn rate() -> impl Strategy<Value = f64> {
    prop_oneof![
        400 => magnitude(),
        1 => Just(0.0),
        1 => Just(-1.0),
        1 => Just(f64::NAN),
        1 => Just(f64::INFINITY),
    ]
}

/// A failure probability: mostly in [0, 1), its edges included; now and then out of
/// range.
fn probability() -> impl Strategy<Value = f64> {
    prop_oneof![
        40 => 0.0f64..1.0,
        10 => Just(0.0),
        10 => Just(1e-300),
        10 => Just(1.0 - f64::EPSILON),
        1 => Just(1.0),
        1 => Just(-0.1),
        1 => Just(f64::NAN),
    ]
}

fn distribution() -> BoxedStrategy<Distribution> {
    let branch = (0.0f64..1.0, rate()).prop_map(|(probability, mean)| Branch { probability, mean });
    prop_oneof![
        rate().prop_map(|mean| Distribution::Exponential { mean }),
        rate().prop_map(|value| Distribution::Deterministic { value }),
        (
            prop_oneof![50 => 1u32..=5, 10 => 6u32..=1000, 1 => Just(0u32)],
            rate()
        )
            .prop_map(|(k, mean)| Distribution::Erlang { k, mean }),
        (
            prop::collection::vec(branch, 0..4),
            prop::bool::weighted(0.95)
        )
            .prop_map(|(mut branches, normalise)| {
                // Probabilities summing to 1, except now and then.
                let total: f64 = branches.iter().map(|b| b.probability).sum();
                if normalise && total > 0.0 {
                    branches.iter_mut().for_each(|b| b.probability /= total);
                }
                Distribution::Hyperexponential { branches }
            }),
        (magnitude(), rate()).prop_map(|(shape, mean)| Distribution::Gamma { shape, mean }),
        (rate(), magnitude()).prop_map(|(mean, scv)| Distribution::Lognormal { mean, scv }),
        (rate(), rate()).prop_map(|(a, b)| Distribution::Uniform {
            min: a.min(b),
            max: a.max(b)
        }),
        (
            prop::collection::vec(rate(), 1..6),
            prop::bool::weighted(0.98)
        )
            .prop_map(|(values, keep)| Distribution::Empirical {
                values: if keep { values } else { Vec::new() }
            }),
    ]
    .boxed()
}

fn arrival() -> BoxedStrategy<ArrivalProcess> {
    let mmpp = (1usize..=3)
        .prop_flat_map(|n| {
            (
                prop::collection::vec(rate(), n),
                prop::collection::vec(prop::collection::vec(magnitude(), n), n),
            )
        })
        .prop_map(|(rates, mut generator)| {
            // Square and with zero row sums: ragged or unbalanced generators are the
            // validation's business and have their own tests.
            let n = generator.len();
            for (i, row) in generator.iter_mut().enumerate() {
                row[i] = 0.0;
                let off: f64 = row.iter().sum();
                row[i] = -off;
                if n == 1 {
                    row[i] = 0.0;
                }
            }
            ArrivalProcess::Mmpp { rates, generator }
        });
    let profile = (
        rate(),
        prop::collection::vec((0.0f64..1.0, 0.0f64..1.0, rate()), 0..4),
        prop_oneof![Just(None), magnitude().prop_map(Some)],
    )
        .prop_map(|(base, raw, period)| {
            let span = period.unwrap_or(1.0);
            let mut segments: Vec<Segment> = raw
                .into_iter()
                .map(|(a, b, rate)| Segment {
                    start: a.min(b) * span,
                    end: a.max(b) * span,
                    rate,
                })
                .collect();
            segments.sort_by(|a, b| a.start.total_cmp(&b.start));
            // Overlaps are left in now and then for validation to find.
            ArrivalProcess::Profile {
                base,
                segments,
                period,
            }
        });
    prop_oneof![
        3 => rate().prop_map(|rate| ArrivalProcess::Poisson { rate }),
        1 => rate().prop_map(|rate| ArrivalProcess::Deterministic { rate }),
        2 => distribution().prop_map(|interarrival| ArrivalProcess::Renewal { interarrival }),
        2 => mmpp,
        1 => profile,
    ]
    .boxed()
}

/// A model with `nq` queues `q0..`, `nt` topics `t0..` and `ns` sources `s0..`; every
/// reference picks among those names (or `exit`, or now and then a name that does not
/// exist).
fn model() -> BoxedStrategy<Model> {
    (1usize..=5, 0usize..=2, 1usize..=3)
        .prop_flat_map(|(nq, nt, ns)| {
            let node = move || {
                prop_oneof![
                    60 => (0..nq).prop_map(|i| format!("q{i}")),
                    20 => (0..nt.max(1)).prop_map(move |i| if nt > 0 { format!("t{i}") } else { "exit".into() }),
                    20 => Just("exit".to_string()),
                    1 => Just("nowhere".to_string()),
                ]
            };
            let route = prop_oneof![
                3 => Just(Route::Exit),
                3 => node().prop_map(|n| if n == "exit" { Route::Exit } else { Route::To(n) }),
                3 => prop::collection::vec((node(), 0.0f64..1.0), 1..4).prop_map(|raw| {
                    let total: f64 = raw.iter().map(|b| b.1).sum();
                    Route::Choice(raw.into_iter().map(|(to, p)| RouteBranch {
                        to,
                        probability: if total > 0.0 { p / total } else { 1.0 },
                    }).collect())
                }),
                1 => prop::collection::vec((node(), 0.0f64..1.0), 0..3).prop_map(|raw| {
                    Route::Choice(raw.into_iter().map(|(to, probability)| RouteBranch { to, probability }).collect())
                }),
            ];
            let queue = (
                (
                    prop_oneof![60 => 1u32..=4, 20 => 5u32..=200, 5 => Just(100_000u32), 1 => Just(0u32)],
                    distribution(),
                    // Extra room over the consumers (K >= c).
                    prop_oneof![30 => Just(None), 20 => (0u64..=20).prop_map(Some), 5 => Just(Some(10_000u64))],
                    prop_oneof![3 => Just(OnFull::Reject), 1 => Just(OnFull::Block)],
                    prop_oneof![Just(Discipline::Fifo), Just(Discipline::Priority), Just(Discipline::PreemptivePriority)],
                ),
                (
                    prop_oneof![3 => Just(0.0), 2 => probability()],
                    // u32::MAX is "unlimited" (retry until success).
                    prop_oneof![30 => Just(1u32), 20 => 2u32..=5, 10 => Just(1000u32), 1 => Just(0u32), 2 => Just(u32::MAX), 1 => Just(u32::MAX - 1)],
                    prop_oneof![2 => Just(0.0), 1 => rate()],
                    prop_oneof![4 => Just(None), 1 => (0..nq).prop_map(|i| Some(format!("q{i}")))],
                    // Backlogs past simulation.memory_limit are refused before allocating.
                    prop_oneof![8 => Just(0u64), 2 => 1u64..=50, 1 => Just(10_000_000_000u64), 1 => Just(u64::MAX)],
                    route,
                    prop_oneof![4 => Just(1.0), 1 => rate()],
                ),
            );
            let topic = (prop::collection::vec(0..nq, 1..4), prop::bool::weighted(0.97))
                .prop_map(|(subs, keep)| if keep { subs } else { Vec::new() });
            let source = (
                arrival(),
                node().prop_map(|n| if n == "exit" { "q0".to_string() } else { n }),
                prop_oneof![40 => Just(1u32), 20 => 1u32..=3, 1 => Just(0u32), 5 => Just(u32::MAX)],
                prop_oneof![60 => Just(None), 10 => (1u32..=5).prop_map(Some), 5 => Just(Some(1000u32)), 1 => Just(Some(0u32))],
            );
            (
                prop::collection::vec(queue, nq),
                prop::collection::vec(topic, nt),
                prop::collection::vec(source, ns),
            )
        })
        .prop_map(|(queues, topics, sources)| {
            let mut m = Model {
                name: Some("fuzz".into()),
                ..Model::default()
            };
            for (i, ((servers, service, capacity, on_full, discipline), (f, attempts, backoff, dead, backlog, route, cost))) in
                queues.into_iter().enumerate()
            {
                let mut q = Queue::new(format!("q{i}"), servers, service)
                    .with_route(route)
                    .with_discipline(discipline)
                    .with_redelivery(f, attempts, backoff);
                q.capacity = capacity.map(|extra| u64::from(servers) + extra);
                // `block` without a capacity is a validation error, tested elsewhere.
                q.on_full = if capacity.is_some() { on_full } else { OnFull::Reject };
                q.dead_letter = dead.filter(|d| *d != format!("q{i}"));
                q.initial_backlog = backlog;
                q.cost_per_consumer = cost;
                m.queues.push(q);
            }
            for (i, mut subs) in topics.into_iter().enumerate() {
                subs.sort_unstable();
                subs.dedup();
                m.topics.push(Topic::new(format!("t{i}"), subs.into_iter().map(|j| format!("q{j}"))));
            }
            for (i, (arrival, to, priority, window)) in sources.into_iter().enumerate() {
                let mut s = Source::new(format!("s{i}"), arrival, to);
                s.priority = priority;
                s.window = window;
                m.sources.push(s);
            }
            m
        })
        .boxed()
}

// ---------------------------------------------------------------------------------
// Generator 2: mutations of the bundled examples.

fn example(name: &str) -> toml::Table {
    let path = format!("{}/examples/{name}.toml", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.parse::<toml::Table>()
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// What a mutation writes in place of a value.
#[derive(Debug, Clone)]
enum Edit {
    Zero,
    Negative,
    Huge,
    Tiny,
    Text(&'static str),
    Bool,
    Remove,
    EmptyArray,
    EmptyTable,
    Scale(f64),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        2 => Just(Edit::Zero),
        2 => Just(Edit::Negative),
        2 => Just(Edit::Huge),
        2 => Just(Edit::Tiny),
        3 => prop_oneof![
            Just("NaN"), Just("nan"), Just("inf"), Just("-inf"), Just(""), Just("1e400s"),
            Just("-5ms"), Just("12ms"), Just("1h30m"), Just("0s"), Just("3 fortnights"),
            Just("exit"), Just("q"), Just("1e-320ms"), Just("poisson"), Just("block"),
        ].prop_map(Edit::Text),
        1 => Just(Edit::Bool),
        2 => Just(Edit::Remove),
        1 => Just(Edit::EmptyArray),
        1 => Just(Edit::EmptyTable),
        3 => prop_oneof![Just(0.5), Just(2.0), Just(10.0), Just(1e-3), Just(1.01)].prop_map(Edit::Scale),
    ]
}

/// The paths of every leaf and sub-table of `v`, as keys and indices.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    Key(String),
    Index(usize),
}

fn paths(v: &toml::Value, here: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    if !here.is_empty() {
        out.push(here.clone());
    }
    match v {
        toml::Value::Table(t) => {
            for (k, item) in t {
                here.push(Step::Key(k.clone()));
                paths(item, here, out);
                here.pop();
            }
        }
        toml::Value::Array(a) => {
            for (i, item) in a.iter().enumerate() {
                here.push(Step::Index(i));
                paths(item, here, out);
                here.pop();
            }
        }
        _ => {}
    }
}

/// Applies `edit` at `path`; the result is the value now there (for the exclusions).
fn apply(root: &mut toml::Value, path: &[Step], edit: &Edit) {
    let Some((last, parent_path)) = path.split_last() else {
        return;
    };
    let mut parent = &mut *root;
    for s in parent_path {
        let next = match (s, parent) {
            (Step::Key(k), toml::Value::Table(t)) => t.get_mut(k),
            (Step::Index(i), toml::Value::Array(a)) => a.get_mut(*i),
            _ => None,
        };
        match next {
            Some(n) => parent = n,
            None => return,
        }
    }
    if let Edit::Remove = edit {
        match (last, parent) {
            (Step::Key(k), toml::Value::Table(t)) => {
                t.remove(k);
            }
            (Step::Index(i), toml::Value::Array(a)) if *i < a.len() => {
                a.remove(*i);
            }
            _ => {}
        }
        return;
    }
    let slot = match (last, parent) {
        (Step::Key(k), toml::Value::Table(t)) => t.get_mut(k),
        (Step::Index(i), toml::Value::Array(a)) => a.get_mut(*i),
        _ => None,
    };
    let Some(slot) = slot else { return };
    let int = matches!(slot, toml::Value::Integer(_));
    let new = match edit {
        Edit::Zero if int => toml::Value::Integer(0),
        Edit::Zero => toml::Value::Float(0.0),
        Edit::Negative if int => toml::Value::Integer(-1),
        Edit::Negative => toml::Value::Float(-1.0),
        Edit::Huge if int => toml::Value::Integer(i64::MAX),
        Edit::Huge => toml::Value::Float(1e300),
        Edit::Tiny => toml::Value::Float(1e-300),
        Edit::Text(s) => toml::Value::String((*s).into()),
        Edit::Bool => toml::Value::Boolean(true),
        Edit::EmptyArray => toml::Value::Array(Vec::new()),
        Edit::EmptyTable => toml::Value::Table(toml::Table::new()),
        Edit::Scale(f) => match &*slot {
            toml::Value::Integer(n) => toml::Value::Integer(((*n as f64) * f).round() as i64),
            toml::Value::Float(x) => toml::Value::Float(*x * f),
            other => other.clone(),
        },
        Edit::Remove => return,
    };
    *slot = new;
}

/// Mutated models the fuzz skips: `true` when the model has one of those inputs.
fn known_issue(m: &Model) -> bool {
    m.queues.iter().any(|q| {
        // A start-up backlog that fits in memory but is far too long for a short run
        // (larger ones are refused before allocating, and are fuzzed).
        (10_000..=100_000_000).contains(&q.initial_backlog)
            // known: issue 9, left open: M/M/c/K's cost still grows with K.
            || q.capacity.is_some_and(|k| k > 100_000)
    }) || m
        .sources
        .iter()
        .any(|s| s.window.is_some_and(|w| w > 100_000))
}

// ---------------------------------------------------------------------------------
// The tests.

#[test]
fn fuzz_generated_models() {
    let tally = Tally::default();
    let started = Instant::now();
    let mut runner = TestRunner::new(config(DEFAULT_CASES));
    let strategy = (model(), magnitude(), 1u32..=2, 0..=i64::MAX as u64);
    let result = runner.run(&strategy, |(model, horizon, reps, seed)| {
        Tally::add(&tally.cases, 1);
        let t = Instant::now();
        let r = run_pipeline(&model, (horizon, reps, seed), &tally);
        let took = t.elapsed();
        tally.time(took, || format!("{model:?}"));
        prop_assert!(took < CASE_LIMIT, "a case took {took:?}: {model:?}");
        r
    });
    tally.print("generated models", started);
    if let Err(e) = result {
        panic!("{e}");
    }
}

#[test]
fn fuzz_mutated_examples() {
    let tally = Tally::default();
    let started = Instant::now();
    let examples: Vec<toml::Value> = EXAMPLES
        .iter()
        .map(|n| toml::Value::Table(example(n)))
        .collect();
    let mut runner = TestRunner::new(config(DEFAULT_CASES));
    let strategy = (
        0..EXAMPLES.len(),
        prop::collection::vec((any::<prop::sample::Index>(), edit()), 1..=3),
        magnitude(),
        1u32..=2,
        0..=i64::MAX as u64,
    );
    let result = runner.run(&strategy, |(which, edits, horizon, reps, seed)| {
        Tally::add(&tally.cases, 1);
        let mut v = examples[which].clone();
        for (at, e) in &edits {
            let mut all = Vec::new();
            paths(&v, &mut Vec::new(), &mut all);
            if all.is_empty() {
                break;
            }
            apply(&mut v, &all[at.index(all.len())], e);
        }
        let text = toml::to_string(&v).map_err(|e| fail(format!("re-serialising: {e}")))?;
        let t = Instant::now();
        let r = match Model::from_toml_str(&text) {
            Err(e) => {
                if matches!(e, ModelError::Parse { .. }) {
                    Tally::add(&tally.parse_errors, 1);
                } else {
                    Tally::add(&tally.invalid, 1);
                }
                check_model_error(&e)
            }
            Ok(model) if known_issue(&model) => {
                Tally::add(&tally.known, 1);
                Ok(())
            }
            Ok(model) => run_pipeline(&model, (horizon, reps, seed), &tally),
        };
        let took = t.elapsed();
        tally.time(took, || format!("{} with {edits:?}", EXAMPLES[which]));
        prop_assert!(took < CASE_LIMIT, "a case took {took:?}:\n{text}");
        r
    });
    tally.print("mutated examples", started);
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// Text for the duration parser: mostly duration-like, sometimes anything.
fn duration_text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[-+ ]?[0-9]{0,4}(\\.[0-9]{0,4})?([eE][-+]?[0-9]{1,4})? ?(ns|us|µs|ms|s|sec|m|min|h|d|x|e|)",
        2 => "([0-9.eE+-]{1,6}(ns|us|ms|s|m|h|d) ?){1,4}",
        1 => "\\PC{0,12}",
        1 => prop_oneof![Just("NaN".to_string()), Just("inf".into()), Just("-0s".into()),
                         Just("1e308h".into()), Just("1e-400s".into()), Just("..s".into()),
                         Just("ee".into()), Just("+".into()), Just("-".into()), Just("1e".into())],
    ]
}

#[test]
fn fuzz_duration_and_slo_parsing() {
    let cases = AtomicU64::new(0);
    let ok = AtomicU64::new(0);
    let started = Instant::now();
    let mut runner = TestRunner::new(config(20 * DEFAULT_CASES));
    let strategy = (
        duration_text(),
        0.0f64..1e6,
        "[a-z_:().]{0,20}",
        "[<>=]{1,2}",
    );
    let result = runner.run(&strategy, |(text, x, metric, op)| {
        cases.fetch_add(1, Ordering::Relaxed);
        match parse_duration(&text) {
            Ok(v) => {
                ok.fetch_add(1, Ordering::Relaxed);
                prop_assert!(v.is_finite() && v >= 0.0, "{text:?} read as {v}");
            }
            Err(e) => prop_assert!(
                e.contains(&format!("{text:?}")),
                "the error for {text:?} does not quote it: {e}"
            ),
        }
        // Round trips of numbers the CLI prints.
        prop_assert_eq!(parse_duration(&format!("{x}s")), Ok(x));
        prop_assert_eq!(parse_duration(&format!("{x}")), Ok(x));
        let ms = parse_duration(&format!("{x}ms")).map_err(fail)?;
        prop_assert!(
            (ms - x * 1e-3).abs() <= 1e-15 * x.max(1.0),
            "{x}ms read as {ms}"
        );
        // SLOs carry durations: "<target>.<metric> <op> <limit>".
        for slo in [
            format!("q.{metric} {op} {text}"),
            format!("end_to_end.p99 {op} {text}"),
            format!("{metric} {op} {x}"),
        ] {
            match slo.parse::<Slo>() {
                Ok(s) => {
                    let back = s.to_string();
                    prop_assert!(!has_non_finite_token(&back), "{slo:?} printed as {back:?}");
                    prop_assert!(
                        back.parse::<Slo>().is_ok(),
                        "{slo:?} printed as {back:?}, which does not parse"
                    );
                }
                Err(e) => prop_assert!(!e.to_string().trim().is_empty()),
            }
        }
        Ok(())
    });
    println!(
        "fuzz durations and SLOs: {} cases in {:.1} s, {} durations read, the rest refused",
        cases.load(Ordering::Relaxed),
        started.elapsed().as_secs_f64(),
        ok.load(Ordering::Relaxed)
    );
    if let Err(e) = result {
        panic!("{e}");
    }
}
