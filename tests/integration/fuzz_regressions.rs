//! Regression tests for what `fuzz.rs` found: one test per finding, each with the
//! input it was found on (or a smaller one with the same cause) and a value computed by
//! hand.

use crate::common;
use common::assert_rel;
use common::build::{exp, one_queue};
use common::tol::CLOSED_FORM;
use kendall::model::{ArrivalProcess, Segment};

/// Fuzz finding 1: a time-varying profile whose segments are long enough that
/// `rate × (end − start)` overflows (times near 1e308 s) had an infinite mean rate, so
/// `solve` printed `message_rate = inf` for the queue it feeds. The mean rate is the
/// time-weighted average of the rates, here 10 × 1/2 + 2 × 1/2 = 6 exactly.
#[test]
fn profile_mean_rate_does_not_overflow_on_long_segments() {
    let profile = ArrivalProcess::Profile {
        base: 2.0,
        segments: vec![Segment {
            start: 0.0,
            end: 5e307,
            rate: 10.0,
        }],
        period: Some(1e308),
    };
    assert_rel!(profile.mean_rate().unwrap(), 6.0, CLOSED_FORM);
    let valid = one_queue(profile, kendall::model::Queue::new("q", 1, exp(0.1)))
        .validate()
        .unwrap();
    let solution = kendall::solve(&valid).unwrap();
    let q = solution.node("q").unwrap();
    assert_rel!(q.message_rate, 6.0, CLOSED_FORM);
}

/// Fuzz finding 2: an MMPP whose arrival phase is left almost at once (switching rate
/// 1e200 out of it, rate 1 back) needs about 1e200 phase switches per arrival, and the
/// simulator looked for the next arrival without a bound: `simulate` hung at any
/// horizon. The generator now stops at the latest time the run can reach. The mean
/// rate is π₁ · 1 = 1/(1 + 1e200) ≈ 1e-200 messages/s, so a 10 s run creates no message
/// (with probability 1 − 1e-199), after about 20 switches.
#[test]
fn mmpp_with_a_fleeting_arrival_phase_does_not_hang_the_simulator() {
    let fleeting = |rate: f64| ArrivalProcess::Mmpp {
        rates: vec![0.0, 1.0],
        generator: vec![vec![-1.0, 1.0], vec![rate, -rate]],
    };
    assert_rel!(fleeting(1e200).mean_rate().unwrap(), 1e-200, CLOSED_FORM);
    // Validation now bounds every rate by MAX_RATE = 1e15/s, naming the entry ...
    let refused = one_queue(
        fleeting(1e200),
        kendall::model::Queue::new("q", 1, exp(0.1)),
    )
    .validate()
    .unwrap_err()
    .to_string();
    assert!(refused.contains("arrival.generator[1][0]"), "{refused}");
    // ... and the fastest accepted switching still runs: mean rate 1/(1 + 1e15).
    let mmpp = fleeting(kendall::model::MAX_RATE);
    assert_rel!(mmpp.mean_rate().unwrap(), 1.0 / (1.0 + 1e15), CLOSED_FORM);
    let valid = one_queue(mmpp, kendall::model::Queue::new("q", 1, exp(0.1)))
        .validate()
        .unwrap();
    let settings = kendall::RunSettings {
        horizon: Some(10.0),
        warmup: 1.0,
        replications: 2,
        ..kendall::RunSettings::default()
    };
    let report = kendall::simulate(&valid, &settings).unwrap();
    // 11 s of about one switch a second, each visit to the arrival phase lasting about
    // 1e-15 s: a message with probability about 1e-14.
    assert_eq!(report.conservation.created, 0);
    assert!(report.conservation.is_balanced());
    // Without a horizon, 100 completions at 1e-15 messages/s would take ~1e17 s of
    // phase changes (the loop used to spin): refused at once, naming the source and the
    // Poisson stream it averages out to.
    let completions = kendall::RunSettings {
        completions: Some(100),
        ..kendall::RunSettings::default()
    };
    let started = std::time::Instant::now();
    let e = kendall::simulate(&valid, &completions).unwrap_err();
    assert!(started.elapsed().as_secs_f64() < 1.0);
    assert!(matches!(e, kendall::SimError::PhaseSwitching { .. }), "{e}");
    let text = e.to_string();
    assert!(
        text.contains("source \"in\".arrival") || text.contains(".arrival"),
        "{text}"
    );
    assert!(text.contains("poisson"), "{text}");
}

/// Fuzz finding 3: an arrival rate near `f64::MAX` makes λ / (c μ) overflow; `solve`
/// reported the unstable queue's utilisation as `inf` (written `null` in JSON, `inf` in
/// the reason). It now reports the largest finite number and says that it overflows.
#[test]
fn unstable_queue_with_overflowing_utilisation_reports_a_finite_number() {
    // Validation now refuses such a rate, naming the field ...
    let refused = one_queue(
        ArrivalProcess::Poisson { rate: f64::MAX },
        kendall::model::Queue::new("q", 1, exp(2.0)),
    )
    .validate()
    .unwrap_err()
    .to_string();
    assert!(
        refused.contains("arrival.rate") && refused.contains("1e15"),
        "{refused}"
    );
    // ... and the most overloaded accepted queue (λ = 1e15/s, E[S] = 1e15 s) reports
    // its utilisation 1e30 as a finite number.
    let valid = one_queue(
        ArrivalProcess::Poisson {
            rate: kendall::model::MAX_RATE,
        },
        kendall::model::Queue::new("q", 1, exp(kendall::model::MAX_TIME)),
    )
    .validate()
    .unwrap();
    let solution = kendall::solve(&valid).unwrap();
    let q = solution.node("q").unwrap();
    assert_rel!(q.unstable_utilisation().unwrap(), 1e30, CLOSED_FORM);
    let json = serde_json::to_string(&solution).unwrap();
    assert!(!json.contains("\"utilisation\":null"), "{json}");
}

/// Fuzz finding 4: the SCV was variance / mean², which is 0/0 = NaN for a mean near the
/// smallest normal number (both underflow) and ∞/∞ for a uniform reaching 1e308, so
/// `solve` refused the queue with "service_scv must be a finite number >= 0, got NaN".
/// The SCV is scale-free: 1/k for Erlang-k, (max − min)² / (3 (max + min)²) for a
/// uniform, 1 for an exponential.
#[test]
fn scv_is_scale_free_at_the_ends_of_the_double_range() {
    use kendall::model::Distribution;
    let tiny = f64::MIN_POSITIVE;
    assert_rel!(
        Distribution::Erlang { k: 4, mean: tiny }.scv(),
        0.25,
        CLOSED_FORM
    );
    assert_rel!(
        Distribution::Exponential { mean: tiny }.scv(),
        1.0,
        CLOSED_FORM
    );
    let u = Distribution::Uniform {
        min: 0.0,
        max: 1e308,
    };
    assert_rel!(u.scv(), 1.0 / 3.0, CLOSED_FORM);
    // Validation now bounds times to [MIN_TIME, MAX_TIME] (what the samplers can draw):
    // a mean of f64::MIN_POSITIVE is refused naming the field, in readable notation,
    // and the smallest accepted mean solves.
    let refused = one_queue(
        ArrivalProcess::Poisson { rate: 1.0 },
        kendall::model::Queue::new("q", 2, Distribution::Erlang { k: 1, mean: tiny }),
    )
    .validate()
    .unwrap_err()
    .to_string();
    assert!(
        refused.contains("queue \"q\".service.mean") && refused.contains("2.2250738585072014e-308"),
        "{refused}"
    );
    let valid = one_queue(
        ArrivalProcess::Poisson { rate: 1.0 },
        kendall::model::Queue::new(
            "q",
            2,
            Distribution::Erlang {
                k: 1,
                mean: kendall::model::MIN_TIME,
            },
        ),
    )
    .validate()
    .unwrap();
    let solution = kendall::solve(&valid).unwrap();
    assert!(solution.node("q").unwrap().solution().is_some());
}

/// Fuzz finding 5: `finite_buffer.toml` with its arrival rate edited to 1e300: the
/// M/M/c/K utilisation X / (cμ) = λ(1 − π_K) / (cμ) came out as 1.000000000000021, a
/// probability over 1, from rounding in 1 − π_K. Every consumer is busy all the time
/// (π_K = 1 − cμ/λ to within 1e-297), so the utilisation is 1 to double precision and
/// never above it.
#[test]
fn mmck_utilisation_stays_at_most_one_under_extreme_overload() {
    let model = kendall::Model::load(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/finite_buffer.toml"
    ))
    .unwrap();
    for rate in [kendall::model::MAX_RATE, 1e14, 1e12, 1e9] {
        let mut m = model.clone();
        m.sources[0].arrival = ArrivalProcess::Poisson { rate };
        let solution = kendall::solve(&m.validate().unwrap()).unwrap();
        let rho = solution.nodes[0].get(kendall::Metric::Utilisation).unwrap();
        assert!(rho <= 1.0, "λ = {rate}: utilisation {rho}");
        assert_rel!(rho, 1.0, 1e-9);
    }
}

/// Fuzz finding 6: a windowed source (a closed network's think station) with a rate of
/// 2.2e-308/s has a think time of 4.5e307 s, and MVA's figures came out as NaN and
/// infinity. Validation refuses a window whose 1 / rate passes MAX_TIME, naming the
/// source's arrival.
#[test]
fn windowed_source_with_an_endless_think_time_is_refused() {
    let mut m = one_queue(
        ArrivalProcess::Poisson {
            rate: f64::MIN_POSITIVE,
        },
        kendall::model::Queue::new("q", 1, exp(1.0)),
    );
    m.sources[0].window = Some(1000);
    let refused = m.validate().unwrap_err().to_string();
    assert!(
        refused.contains(".arrival") && refused.contains("window"),
        "{refused}"
    );
}

/// Fuzz finding 7: a window of 1000 messages on one consumer of mean service 221.77 s
/// saturates it; MVA's utilisation X·D came out as 1.0000000000000002. The throughput of
/// a closed network is at most c / D at its bottleneck, so U = 1 to double precision
/// and never above.
#[test]
fn saturated_closed_network_utilisation_stays_at_most_one() {
    let mut m = one_queue(
        ArrivalProcess::Poisson { rate: 1.0 },
        kendall::model::Queue::new("q", 1, exp(221.77438540693456)),
    );
    m.sources[0].window = Some(1000);
    let solution = kendall::solve(&m.validate().unwrap()).unwrap();
    let u = solution.nodes[0].get(kendall::Metric::Utilisation).unwrap();
    assert!(u <= 1.0, "{u}");
    assert_rel!(u, 1.0, 1e-12);
}
