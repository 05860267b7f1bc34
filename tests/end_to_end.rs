//! End-to-end latency against independent closed forms.

use kendall::analytic::solve;
use kendall::model::*;

fn exp(mean: f64) -> Distribution {
    Distribution::Exponential { mean }
}

/// Bisection on a closed-form CDF (independent of the grid code).
fn quantile(cdf: impl Fn(f64) -> f64, p: f64) -> f64 {
    let (mut lo, mut hi) = (0.0, 1.0);
    while cdf(hi) < p {
        hi *= 2.0;
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if cdf(mid) < p { lo = mid } else { hi = mid }
    }
    hi
}

#[test]
fn single_mm1_matches_the_exponential_sojourn() {
    let m = Model::default()
        .with_source(Source::new("s", ArrivalProcess::Poisson { rate: 0.8 }, "q"))
        .with_queue(Queue::new("q", 1, exp(1.0)));
    let sol = solve(&m.validate().unwrap()).unwrap();
    let e = &sol.end_to_end[0];
    assert!((e.w.unwrap() - 5.0).abs() < 1e-12);
    // Grid tolerance: each convolution moves a quantile by at most half a cell, plus
    // one cell for the interpolation within a cell.
    let h = e.grid_cell.unwrap();
    let p = e.sojourn.unwrap();
    for (got, level) in [(p.p50, 0.5), (p.p99, 0.99), (p.p999, 0.999)] {
        let exact = -(1.0f64 - level).ln() / 0.2;
        assert!(
            (got - exact).abs() <= 1.5 * h,
            "p{level}: {got} vs {exact} (cell {h})"
        );
    }
}

#[test]
fn tandem_of_mm1_is_hypoexponential_by_reich() {
    // Sojourns Exp(a) and Exp(b), independent (Reich 1957): a = 2 - 1, b = 4 - 1.
    let m = Model::default()
        .with_source(Source::new("s", ArrivalProcess::Poisson { rate: 1.0 }, "a"))
        .with_queue(Queue::new("a", 1, exp(0.5)).with_route(Route::To("b".into())))
        .with_queue(Queue::new("b", 1, exp(0.25)));
    let sol = solve(&m.validate().unwrap()).unwrap();
    let e = &sol.end_to_end[0];
    assert!((e.w.unwrap() - (1.0 + 1.0 / 3.0)).abs() < 1e-12);
    let pm = e.sojourn_method.as_ref().unwrap();
    assert_eq!(
        pm.exactness,
        kendall::analytic::Exactness::Numerical,
        "{}",
        pm.name
    );
    let (a, b) = (1.0f64, 3.0f64);
    let cdf = |t: f64| 1.0 - (b * (-a * t).exp() - a * (-b * t).exp()) / (b - a);
    let h = e.grid_cell.unwrap();
    let p = e.sojourn.unwrap();
    for (got, level) in [(p.p50, 0.5), (p.p95, 0.95), (p.p99, 0.99)] {
        let exact = quantile(cdf, level);
        assert!(
            (got - exact).abs() <= 2.0 * h,
            "p{level}: {got} vs {exact} (cell {h})"
        );
    }
}

#[test]
fn two_identical_mm1_listeners_use_the_exact_fork_join_mean() {
    let m = Model::default()
        .with_source(Source::new("s", ArrivalProcess::Poisson { rate: 0.5 }, "t"))
        .with_topic(Topic::new("t", ["a", "b"]))
        .with_queue(Queue::new("a", 1, exp(1.0)))
        .with_queue(Queue::new("b", 1, exp(1.0)));
    let e = &solve(&m.validate().unwrap()).unwrap().end_to_end[0];
    // Flatto-Hahn / Nelson-Tantawi: (12 - rho)/8 / (mu - lambda) = 11.5/8/0.5 = 2.875.
    assert!((e.w.unwrap() - 2.875).abs() < 1e-12);
}

#[test]
fn feedback_and_redelivery_means_follow_visit_counts() {
    // Feedback 0.5: two visits on average, each an M/M/1 visit at lambda = 2, mu = 4.
    let mut m = Model::default()
        .with_source(Source::new("s", ArrivalProcess::Poisson { rate: 1.0 }, "q"))
        .with_queue(Queue::new("q", 1, exp(0.25)));
    m.queues[0].route = Route::Choice(vec![
        RouteBranch {
            to: "q".into(),
            probability: 0.5,
        },
        RouteBranch {
            to: "exit".into(),
            probability: 0.5,
        },
    ]);
    let e = &solve(&m.validate().unwrap()).unwrap().end_to_end[0];
    assert!((e.w.unwrap() - 2.0 * 0.5).abs() < 1e-12, "{:?}", e.w);

    // Redelivery: f = 0.5, 3 attempts: 1 + 0.5 + 0.25 = 1.75 deliveries, 0.75 backoffs.
    let m = Model::default()
        .with_source(Source::new("s", ArrivalProcess::Poisson { rate: 1.0 }, "q"))
        .with_queue(Queue::new("q", 1, exp(0.25)).with_redelivery(0.5, 3, 0.1));
    let e = &solve(&m.validate().unwrap()).unwrap().end_to_end[0];
    let w = 1.0 / (4.0 - 1.75);
    assert!(
        (e.w.unwrap() - (1.75 * w + 0.75 * 0.1)).abs() < 1e-12,
        "{:?}",
        e.w
    );
    assert!(e.sojourn.is_some());
}
