//! Sizing answers against hand-checked cases, monotonicity, cost optimality on a small
//! grid, headroom, and the CLI.

use kendall::model::{ArrivalProcess, Distribution, Queue, Route, Segment, Source};
use kendall::{
    Metric, Model, RunSettings, SizingNote, SizingOptions, Slo, ValidModel, size, solve,
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
