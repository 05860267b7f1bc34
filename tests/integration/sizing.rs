//! Sizing answers against hand-checked cases, monotonicity, cost optimality on a small
//! grid, headroom, and the CLI.

use kendall::model::{ArrivalProcess, Distribution, Queue, Route, Segment, Source};
use kendall::{
    BoundReason, Control, Metric, Model, RunSettings, SizingError, SizingNote, SizingOptions,
    SizingPhase, Slo, StopReason, ValidModel, size, size_with_progress, solve,
};

fn mmc_model(lambda: f64, mu: f64) -> Model {
    Model::default()
        .with_source(Source::new(
            "in",
            ArrivalProcess::Poisson { rate: lambda },
            "q",
        ))
        .with_queue(Queue::new(
            "q",
            1,
            Distribution::Exponential { mean: 1.0 / mu },
        ))
}

fn valid(m: &Model) -> ValidModel {
    m.clone().validate().expect("a valid test model")
}

fn analytic_only() -> SizingOptions {
    SizingOptions {
        verify: false,
        ..Default::default()
    }
}

/// Erlang C by direct summation of a^k/k! (small c only), independent of the library.
fn erlang_c_direct(c: u32, a: f64) -> f64 {
    let mut term = 1.0;
    let mut sum = 0.0;
    for k in 0..c {
        if k > 0 {
            term *= a / f64::from(k);
        }
        sum += term;
    }
    let top = term * a / f64::from(c) * (f64::from(c) / (f64::from(c) - a));
    top / (sum + top)
}

#[test]
fn mmc_wait_probability_slo_matches_the_smallest_c_by_hand() {
    for (lambda, mu, limit) in [(30.0, 1.0, 0.2), (8.0, 2.0, 0.05), (95.0, 10.0, 0.5)] {
        let slo: Slo = format!("q.P(wait) < {limit}").parse().unwrap();
        let r = size(&valid(&mmc_model(lambda, mu)), &[slo], &analytic_only()).unwrap();
        let a = lambda / mu;
        let expected = (1..200)
            .find(|&c| f64::from(c) > a && erlang_c_direct(c, a) < limit)
            .unwrap();
        assert_eq!(
            r.deployment[0].chosen, expected,
            "lambda {lambda} mu {mu} limit {limit}"
        );
        assert!(r.all_met);
    }
}

#[test]
fn mmc_wait_p99_slo_uses_the_exact_inverse() {
    // P(Wq > t) = C e^{-(c mu - lambda) t}: wait.p99 = max(0, ln(C / 0.01) / (c mu - lambda)).
    let (lambda, mu, limit) = (40.0f64, 1.0f64, 0.05f64);
    let slo: Slo = "q.wait.p99 < 50ms".parse().unwrap();
    let r = size(&valid(&mmc_model(lambda, mu)), &[slo], &analytic_only()).unwrap();
    let p99 = |c: u32| {
        let cc = erlang_c_direct(c, lambda / mu);
        if cc <= 0.01 {
            0.0
        } else {
            (cc / 0.01).ln() / (f64::from(c) * mu - lambda)
        }
    };
    let expected = (41..200).find(|&c| p99(c) < limit).unwrap();
    assert_eq!(r.deployment[0].chosen, expected);
    let got = r.slos[0].analytic.unwrap();
    assert!(
        (got - p99(expected)).abs() < 1e-9,
        "{got} vs {}",
        p99(expected)
    );
}

#[test]
fn more_load_never_needs_fewer_consumers() {
    // The service alone has p99 ln(100) = 4.6 s, so the limit must lie above it.
    let slo: Slo = "q.p99 < 6s".parse().unwrap();
    let mut previous = 0;
    for k in 1..=12 {
        let lambda = 2.0 * f64::from(k);
        let r = size(
            &valid(&mmc_model(lambda, 1.0)),
            std::slice::from_ref(&slo),
            &analytic_only(),
        )
        .unwrap();
        let c = r.deployment[0].chosen;
        assert!(c >= previous, "load {lambda}: {c} < {previous}");
        previous = c;
    }
}

#[test]
fn cheapest_mix_matches_brute_force_on_a_tandem() {
    // Two queues in tandem with different consumer costs and an end-to-end mean SLO.
    let base = Model::default()
        .with_source(Source::new(
            "in",
            ArrivalProcess::Poisson { rate: 10.0 },
            "a",
        ))
        .with_queue({
            let mut q = Queue::new("a", 1, Distribution::Exponential { mean: 0.3 })
                .with_route(Route::To("b".into()));
            q.cost_per_consumer = 3.0;
            q
        })
        .with_queue({
            let mut q = Queue::new("b", 1, Distribution::Exponential { mean: 0.25 });
            q.cost_per_consumer = 1.0;
            q
        });
    let slo: Slo = "end_to_end.mean < 700ms".parse().unwrap();
    let r = size(&valid(&base), std::slice::from_ref(&slo), &analytic_only()).unwrap();
    let mut best = (f64::INFINITY, 0, 0);
    for c1 in 4..20 {
        for c2 in 3..20 {
            let mut m = base.clone();
            m.queues[0].servers = c1;
            m.queues[1].servers = c2;
            let s = solve(&valid(&m)).unwrap();
            if let Some(mean) = s.end_to_end[0].get(Metric::MeanSojourn)
                && mean < 0.7
            {
                let cost = 3.0 * f64::from(c1) + f64::from(c2);
                if cost < best.0 {
                    best = (cost, c1, c2);
                }
            }
        }
    }
    assert_eq!(
        r.total_cost, best.0,
        "chose {:?}, brute force {best:?}",
        r.deployment
    );
}

#[test]
fn headroom_of_a_utilisation_slo_is_exact() {
    let mut m = mmc_model(4.0, 10.0);
    m.queues[0].servers = 1;
    let slo: Slo = "q.utilisation < 0.8".parse().unwrap();
    let r = size(&valid(&m), &[slo], &analytic_only()).unwrap();
    assert_eq!(r.deployment[0].chosen, 1);
    let h = r.headroom.unwrap();
    assert!((h.multiplier.unwrap() - 2.0).abs() < 1e-5, "{h:?}");
    assert_eq!(h.bottleneck.as_deref(), Some("q"));
}

#[test]
fn redundancy_floor_and_infeasible_slos() {
    let slos: Vec<Slo> = vec![
        "q.consumers >= 5".parse().unwrap(),
        "q.utilisation < 0.9".parse().unwrap(),
    ];
    let r = size(&valid(&mmc_model(1.0, 10.0)), &slos, &analytic_only()).unwrap();
    assert_eq!(r.deployment[0].chosen, 5);
    // A mean sojourn below the mean service time cannot be met by adding consumers.
    let e = size(
        &valid(&mmc_model(1.0, 10.0)),
        &["q.mean < 50ms".parse().unwrap()],
        &analytic_only(),
    )
    .unwrap_err();
    assert!(e.to_string().contains("cannot meet"), "{e}");
    let e = size(&valid(&mmc_model(1.0, 10.0)), &[], &analytic_only()).unwrap_err();
    assert!(e.to_string().contains("no SLO"), "{e}");
}

#[test]
fn verification_by_simulation_carries_its_evidence() {
    let mut m = mmc_model(40.0, 10.0);
    m.simulation = RunSettings {
        horizon: Some(400.0),
        warmup: 20.0,
        replications: 6,
        seed: 3,
        ..RunSettings::default()
    };
    let slo: Slo = "q.p99 < 600ms".parse().unwrap();
    let r = size(&valid(&m), &[slo], &SizingOptions::default()).unwrap();
    assert!(r.replications >= 6);
    assert_eq!(r.seed, 3);
    assert_eq!(r.model_hash.len(), 16);
    let e = &r.slos[0];
    let sim = e.simulated.unwrap();
    assert!(sim.lower.is_some() && sim.upper.is_some());
    assert!(e.slo.holds(e.analytic.unwrap()));
    assert!(!r.curve.is_empty());
    // 4 Erlangs: 4 consumers never catch up, 5 do; the chart shades the counts below.
    assert_eq!(r.curve_stable_from, Some(5));
    let chart = kendall::report::plots::sizing_chart(&r).unwrap();
    assert_eq!(chart.unstable_below, Some(5));
}

/// A verification run too short for the load's tail cannot show a tail SLO met: the
/// simulator warns (short horizon: p999 biased low) and sizing says "unsettled", with
/// the warning as a note and `all_met` false; a long enough run verifies it.
#[test]
fn an_unsettled_verification_cannot_show_an_slo_met() {
    // M/M/1 at ρ = 0.9: sojourn Exp(0.1), p999 = 10·ln 1000 ≈ 69 s; relaxation time
    // ~ 1/(1 − √0.9)² ≈ 380 s against a 2 000 s horizon.
    let slo: Slo = "q.p999 < 100s".parse().unwrap();
    let run = |horizon: f64| {
        let mut m = mmc_model(0.9, 1.0);
        m.simulation = RunSettings {
            horizon: Some(horizon),
            warmup: horizon / 10.0,
            replications: 5,
            seed: 3,
            ..RunSettings::default()
        };
        size(
            &valid(&m),
            std::slice::from_ref(&slo),
            &SizingOptions::default(),
        )
        .unwrap()
    };
    let short = run(2_000.0);
    assert_eq!(short.deployment[0].chosen, 1);
    assert_eq!(short.slos[0].verdict, kendall::Verdict::Unsettled);
    assert!(!short.all_met);
    assert!(
        short.notes.iter().any(
            |n| matches!(n, SizingNote::Unsettled { warning, .. } if warning.contains("horizon"))
        ),
        "{:#?}",
        short.notes
    );
    let long = run(40_000.0);
    assert_eq!(long.slos[0].verdict, kendall::Verdict::Met);
    assert!(long.all_met, "{:#?}", long.notes);
}

/// A peak-hour profile is sized as its peak held steady (pointwise stationary
/// approximation), labelled, and the same answer as sizing the peak rate directly.
#[test]
fn peak_hour_profile_is_sized_at_its_peak() {
    let profile = ArrivalProcess::Profile {
        base: 10.0,
        segments: vec![Segment {
            start: 100.0,
            end: 200.0,
            rate: 35.0,
        }],
        period: Some(400.0),
    };
    let mut m = mmc_model(1.0, 1.0);
    m.sources[0].arrival = profile;
    let slo: Slo = "q.wait.p99 < 1s".parse().unwrap();
    let r = size(&valid(&m), std::slice::from_ref(&slo), &analytic_only()).unwrap();
    let direct = size(&valid(&mmc_model(35.0, 1.0)), &[slo], &analytic_only()).unwrap();
    assert_eq!(r.deployment[0].chosen, direct.deployment[0].chosen);
    // The figure is labelled: the pointwise stationary approximation on top of its method.
    assert!(r.slos[0].psa);
    assert!(r.slos[0].analytic_method.is_some());
    assert!(!direct.slos[0].psa);
    assert!(r.notes.contains(&SizingNote::PeakRate));
    assert!(r.notes.iter().any(|n| n.to_string().contains("peak rate")));
}

/// Regression (issue 9): a p99 below the service time's own p99 cannot be met by adding
/// consumers. `examples/bursty.toml` has no analytic p99, and the simulation-only search
/// used to double consumers towards 100 000, simulating each step, for more than ten
/// minutes; now it is refused before any solve or simulation.
#[test]
fn bursty_p99_below_the_service_p99_is_refused_at_once() {
    let m = Model::load(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/bursty.toml")).unwrap();
    let slo: Slo = "end_to_end.p99 < 50ms".parse().unwrap();
    let started = std::time::Instant::now();
    let e = size(
        &valid(&m),
        std::slice::from_ref(&slo),
        &SizingOptions::default(),
    )
    .unwrap_err();
    assert!(
        started.elapsed().as_secs_f64() < 30.0,
        "{:?}",
        started.elapsed()
    );
    // Lognormal, mean 12 ms, SCV 2: σ² = ln 3, μ = ln 0.012 − σ²/2, and z(0.99) =
    // 2.326347874040841 (normal tables): p99 = exp(μ + σ z) = 79.357 ms.
    let s2 = 3f64.ln();
    let p99 = (0.012f64.ln() - 0.5 * s2 + s2.sqrt() * 2.326_347_874_040_841).exp();
    match &e {
        SizingError::Unreachable {
            slo: s,
            bound,
            reason,
        } => {
            assert_eq!(s, &slo);
            assert!((bound - p99).abs() < 1e-9 * p99, "{bound} vs {p99}");
            assert!(
                matches!(reason.as_ref(), BoundReason::PathPercentile { path, .. } if path == &["settlement"])
            );
        }
        other => panic!("expected Unreachable, got {other:?}"),
    }
    let text = e.to_string();
    assert!(
        text.contains("cannot meet end_to_end.p99 < 50ms") && text.contains("79.35"),
        "{text}"
    );
    // Just above the bound the SLO is not refused by the bound (the search decides it).
    let near: Slo = "end_to_end.p99 < 80ms".parse().unwrap();
    let options = SizingOptions {
        verify: false,
        ..Default::default()
    };
    assert!(!matches!(
        size(&valid(&m), &[near], &options),
        Err(SizingError::Unreachable { .. })
    ));
}

#[test]
fn mean_and_dead_letter_bounds_name_their_reason() {
    // Mean sojourn below the mean service time (100 ms).
    let e = size(
        &valid(&mmc_model(1.0, 10.0)),
        &["q.W < 99ms".parse().unwrap()],
        &analytic_only(),
    )
    .unwrap_err();
    assert!(
        matches!(e, SizingError::Unreachable { bound, .. } if (bound - 0.1).abs() < 1e-15),
        "{e}"
    );
    // Dead-lettered fraction 0.1³ = 0.001 whatever the consumers.
    let mut m = mmc_model(1.0, 10.0);
    m.queues[0].failure_probability = 0.1;
    m.queues[0].max_attempts = 3;
    let e = size(
        &valid(&m),
        &["q.dead_letter < 0.0005".parse().unwrap()],
        &analytic_only(),
    )
    .unwrap_err();
    assert!(e.to_string().contains("max_attempts"), "{e}");
}

/// λ/(cμ) < u ⇔ c > λ/(μu): the smallest c is ⌊λ/(μu)⌋ + 1 (one more when λ/(μu) is a
/// whole number). One consumer at a time this took 80 000 solves.
#[test]
fn utilisation_slos_need_exactly_the_known_consumers_in_few_solves() {
    let m = Model::load(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/single_queue.toml"
    ))
    .unwrap();
    // 800/s, 10 ms: a = 8; 8/c < 1e-4 ⇔ c > 80 000.
    let started = std::time::Instant::now();
    let r = size(
        &valid(&m),
        &["payments.utilisation < 1e-4".parse().unwrap()],
        &analytic_only(),
    )
    .unwrap();
    assert_eq!(r.deployment[0].chosen, 80_001);
    assert!(r.analytic_solves < 120, "{} solves", r.analytic_solves);
    assert!(
        started.elapsed().as_secs_f64() < 120.0,
        "{:?}",
        started.elapsed()
    );
    for (lambda, mu, u, expected) in [
        (90.0, 10.0, 7e-4, 12_858),
        (25.0, 10.0, 0.3, 9),
        (4.0, 1.0, 0.01, 401),
    ] {
        let slo: Slo = format!("q.utilisation < {u}").parse().unwrap();
        let r = size(&valid(&mmc_model(lambda, mu)), &[slo], &analytic_only()).unwrap();
        assert_eq!(r.deployment[0].chosen, expected, "λ {lambda} μ {mu} u {u}");
    }
    // Past max_consumers: refused with the limit named, not searched one by one.
    let e = size(
        &valid(&m),
        &["payments.utilisation < 1e-6".parse().unwrap()],
        &analytic_only(),
    )
    .unwrap_err();
    assert!(
        matches!(e, SizingError::Infeasible { .. }) && e.to_string().contains("max_consumers"),
        "{e}"
    );
}

/// Erlang C by the Erlang B recursion B(k) = a B(k−1) / (k + a B(k−1)), C = B / (1 − ρ(1 − B)),
/// which stays finite for large c (unlike a^c / c!).
fn erlang_c_recursive(c: u32, a: f64) -> f64 {
    let mut b = 1.0;
    for k in 1..=c {
        b = a * b / (f64::from(k) + a * b);
    }
    let rho = a / f64::from(c);
    b / (1.0 - rho * (1.0 - b))
}

#[test]
fn large_erlang_c_slos_match_the_smallest_c_and_several_queues_gallop_each() {
    let (lambda, limit) = (1000.0, 0.01);
    let slo: Slo = format!("q.P(wait) < {limit}").parse().unwrap();
    let r = size(&valid(&mmc_model(lambda, 1.0)), &[slo], &analytic_only()).unwrap();
    let expected = (1001..2000)
        .find(|&c| erlang_c_recursive(c, lambda) < limit)
        .unwrap();
    assert_eq!(r.deployment[0].chosen, expected);
    // Two independent queues, each with its own SLO: each gets its own exact answer.
    let m = mmc_model(1000.0, 1.0)
        .with_source(Source::new(
            "in2",
            ArrivalProcess::Poisson { rate: 90.0 },
            "r",
        ))
        .with_queue(Queue::new("r", 1, Distribution::Exponential { mean: 0.1 }));
    let slos: Vec<Slo> = vec![
        "q.P(wait) < 0.01".parse().unwrap(),
        "r.utilisation < 0.0007".parse().unwrap(),
    ];
    let r = size(&valid(&m), &slos, &analytic_only()).unwrap();
    assert_eq!(r.deployment[0].chosen, expected);
    assert_eq!(r.deployment[1].chosen, 12_858);
    assert!(r.analytic_solves < 200, "{} solves", r.analytic_solves);
}

/// A search past its time limit stops with a typed reason, the phase and how far it got:
/// no verdict.
#[test]
fn a_search_past_its_time_limit_stops_and_says_so() {
    let mut m = Model::load(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/bursty.toml")).unwrap();
    m.simulation.horizon = Some(300.0);
    m.simulation.replications = 4;
    let options = SizingOptions {
        time_limit: Some(0.05),
        ..Default::default()
    };
    let started = std::time::Instant::now();
    let e = size(
        &valid(&m),
        &["end_to_end.p99 < 300ms".parse().unwrap()],
        &options,
    )
    .unwrap_err();
    assert!(
        started.elapsed().as_secs_f64() < 120.0,
        "{:?}",
        started.elapsed()
    );
    match &e {
        SizingError::Stopped {
            reason: StopReason::TimeLimit { seconds },
            consumers,
            ..
        } => {
            assert_eq!(*seconds, 0.05);
            assert_eq!(consumers.len(), 1);
        }
        other => panic!("expected a stop at the time limit, got {other:?}"),
    }
    assert!(e.to_string().contains("time limit"), "{e}");
    // Bad limits are refused before any work.
    for bad in [0.0, -1.0, f64::NAN] {
        let options = SizingOptions {
            time_limit: Some(bad),
            ..Default::default()
        };
        let e = size(
            &valid(&m),
            &["end_to_end.p99 < 300ms".parse().unwrap()],
            &options,
        )
        .unwrap_err();
        assert!(
            matches!(
                e,
                SizingError::InvalidOption {
                    option: "time_limit",
                    ..
                }
            ),
            "{e}"
        );
    }
}

/// The progress callback sees every phase it passes and can stop the run.
#[test]
fn progress_reports_phases_and_can_cancel() {
    use std::cell::RefCell;
    let seen = RefCell::new(Vec::new());
    let slo: Slo = "q.utilisation < 0.001".parse().unwrap();
    let m = valid(&mmc_model(90.0, 10.0));
    size_with_progress(&m, std::slice::from_ref(&slo), &analytic_only(), &|p| {
        seen.borrow_mut().push((p.phase, p.analytic_solves));
        Control::Continue
    })
    .unwrap();
    let seen = seen.into_inner();
    assert_eq!(seen.first().map(|s| s.0), Some(SizingPhase::Bounds));
    assert!(seen.iter().any(|s| s.0 == SizingPhase::Search));
    assert!(
        seen.windows(2).all(|w| w[0].1 <= w[1].1),
        "solves never go down"
    );
    let e = size_with_progress(&m, &[slo], &analytic_only(), &|p| {
        if p.phase == SizingPhase::Search {
            Control::Stop
        } else {
            Control::Continue
        }
    })
    .unwrap_err();
    assert!(
        matches!(
            e,
            SizingError::Stopped {
                reason: StopReason::Cancelled,
                phase: SizingPhase::Search,
                ..
            }
        ),
        "{e}"
    );
}
