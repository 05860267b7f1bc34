//! End-to-end latency against independent closed forms.

use kendall::analytic::solve;
use kendall::model::*;

use crate::common;
use common::build::{exp, poisson, poisson_into, split};
use common::exact::tail_quantile;
use common::tol::CLOSED_FORM;
use common::{assert_abs, assert_rel};

#[test]
fn single_mm1_matches_the_exponential_sojourn() {
    let m = poisson_into(0.8, Queue::new("q", 1, exp(1.0)));
    let sol = solve(&m.validate().unwrap()).unwrap();
    let e = &sol.end_to_end[0];
    assert_abs!(e.w.unwrap(), 5.0, CLOSED_FORM);
    // One queue, nothing after it: the node's own exact percentiles, no grid.
    assert_eq!(e.grid_cell, None);
    assert_eq!(
        e.sojourn_method.as_ref().unwrap().exactness,
        kendall::analytic::Exactness::Exact
    );
    let p = e.sojourn.unwrap();
    for (got, level) in [(p.p50, 0.5), (p.p99, 0.99), (p.p999, 0.999)] {
        let exact = -(1.0f64 - level).ln() / 0.2;
        assert_rel!(got, exact, 1e-12, "p{level}");
    }
}

#[test]
fn tandem_of_mm1_is_hypoexponential_by_reich() {
    // Sojourns Exp(a) and Exp(b), independent (Reich 1957): a = 2 - 1, b = 4 - 1.
    let m = Model::default()
        .with_source(Source::new("s", poisson(1.0), "a"))
        .with_queue(Queue::new("a", 1, exp(0.5)).with_route(Route::To("b".into())))
        .with_queue(Queue::new("b", 1, exp(0.25)));
    let sol = solve(&m.validate().unwrap()).unwrap();
    let e = &sol.end_to_end[0];
    assert_abs!(e.w.unwrap(), 1.0 + 1.0 / 3.0, CLOSED_FORM);
    // The hypoexponential's phase-type CDF: exact, no grid.
    let pm = e.sojourn_method.as_ref().unwrap();
    assert_eq!(
        pm.exactness,
        kendall::analytic::Exactness::Exact,
        "{}",
        pm.name
    );
    assert_eq!(e.grid_cell, None);
    let (a, b) = (1.0f64, 3.0f64);
    let tail = |t: f64| (b * (-a * t).exp() - a * (-b * t).exp()) / (b - a);
    let p = e.sojourn.unwrap();
    for (got, level) in [(p.p50, 0.5), (p.p95, 0.95), (p.p99, 0.99)] {
        let exact = tail_quantile(tail, level);
        assert_rel!(got, exact, 1e-9, "p{level}");
    }
}

#[test]
fn two_identical_mm1_listeners_use_the_exact_fork_join_mean() {
    let m = Model::default()
        .with_source(Source::new("s", poisson(0.5), "t"))
        .with_topic(Topic::new("t", ["a", "b"]))
        .with_queue(Queue::new("a", 1, exp(1.0)))
        .with_queue(Queue::new("b", 1, exp(1.0)));
    let e = &solve(&m.validate().unwrap()).unwrap().end_to_end[0];
    // Flatto-Hahn / Nelson-Tantawi: (12 - rho)/8 / (mu - lambda) = 11.5/8/0.5 = 2.875.
    assert_abs!(e.w.unwrap(), 2.875, CLOSED_FORM);
}

/// One Poisson source (λ = 50/s) publishing to a topic with two identical listeners of
/// one exponential consumer each (μ = 100/s): the end-to-end mean is the Flatto–Hahn
/// mean of the two-branch M/M/1 fork-join, (12 − ρ)/8 · 1/(μ − λ), labelled exact; the
/// percentiles (branches joined as if independent) stay an approximation. Behind an
/// M/M/1 queue (μ₀ = 200/s, whose departures are Poisson: Burke) the mean adds that
/// queue's 1/(μ₀ − λ), still exact. Three listeners (Nelson–Tantawi) stay approximate.
#[test]
fn the_two_listener_fork_join_mean_is_labelled_exact() {
    use kendall::analytic::Exactness;
    let (lambda, mu, mu0) = (50.0f64, 100.0f64, 200.0f64);
    let rho = lambda / mu;
    let flatto_hahn = (12.0 - rho) / 8.0 / (mu - lambda);
    assert!((flatto_hahn - 0.02875).abs() < 1e-15);
    let listeners = |m: Model, names: &[&str]| {
        names
            .iter()
            .fold(m, |m, n| m.with_queue(Queue::new(*n, 1, exp(1.0 / mu))))
    };

    let m = listeners(
        Model::default()
            .with_source(Source::new("s", poisson(lambda), "t"))
            .with_topic(Topic::new("t", ["a", "b"])),
        &["a", "b"],
    );
    let sol = solve(&m.validate().unwrap()).unwrap();
    let e = sol.source("s").unwrap();
    assert_rel!(e.w.unwrap(), flatto_hahn, CLOSED_FORM);
    let w_method = e.w_method.as_ref().unwrap();
    assert_eq!(w_method.exactness, Exactness::Exact, "{w_method}");
    assert!(w_method.name.contains("Flatto"), "{w_method}");
    assert_eq!(
        e.sojourn_method.as_ref().unwrap().exactness,
        Exactness::Approximation
    );
    let text = kendall::report::solution_text(&sol);
    assert!(text.contains("(Flatto–Hahn) [exact]"), "{text}");

    // Behind an M/M/1 queue that routes to the topic.
    let m = listeners(
        Model::default()
            .with_source(Source::new("s", poisson(lambda), "in"))
            .with_queue(Queue::new("in", 1, exp(1.0 / mu0)).with_route(Route::To("t".into())))
            .with_topic(Topic::new("t", ["a", "b"])),
        &["a", "b"],
    );
    let e = solve(&m.validate().unwrap()).unwrap().end_to_end[0].clone();
    assert_rel!(
        e.w.unwrap(),
        1.0 / (mu0 - lambda) + flatto_hahn,
        CLOSED_FORM
    );
    assert_eq!(e.w_method.unwrap().exactness, Exactness::Exact);

    // Three listeners: the Nelson–Tantawi approximation.
    let m = listeners(
        Model::default()
            .with_source(Source::new("s", poisson(lambda), "t"))
            .with_topic(Topic::new("t", ["a", "b", "c"])),
        &["a", "b", "c"],
    );
    let e = solve(&m.validate().unwrap()).unwrap().end_to_end[0].clone();
    assert_eq!(e.w_method.unwrap().exactness, Exactness::Approximation);
}

/// Two listeners with the same exponential service are not the identical-M/M/1
/// fork-join when one has traffic of its own, or when their consumers crash: the
/// Flatto–Hahn mean (28.75 ms at λ = 50/s, μ = 100/s) was used for both, below a
/// branch's own mean sojourn. The mean of the maximum is at least each branch's mean.
#[test]
fn the_fork_join_formula_is_only_for_identical_mm1_listeners_fed_by_the_topic() {
    let fork = || {
        Model::default()
            .with_source(Source::new("s", poisson(50.0), "t"))
            .with_topic(Topic::new("t", ["a", "b"]))
    };
    // b also takes 40/s straight from another source: an M/M/1 at λ = 90, μ = 100, so
    // its mean sojourn is 1/(100 − 90) = 0.1 s.
    let m = fork()
        .with_source(Source::new("direct", poisson(40.0), "b"))
        .with_queue(Queue::new("a", 1, exp(0.01)))
        .with_queue(Queue::new("b", 1, exp(0.01)));
    let sol = solve(&m.validate().unwrap()).unwrap();
    let e = sol.source("s").unwrap();
    assert!(e.w.unwrap() >= 0.1, "{:?}", e.w);
    assert!(!e.w_method.as_ref().unwrap().name.contains("Flatto"));

    // Both listeners' consumers crash (up 2 s, down 0.5 s on average): not M/M/1.
    let crash = Crash::new(exp(2.0), exp(0.5));
    let m = fork()
        .with_queue(Queue::new("a", 1, exp(0.01)).with_crash(crash.clone()))
        .with_queue(Queue::new("b", 1, exp(0.01)).with_crash(crash));
    let sol = solve(&m.validate().unwrap()).unwrap();
    let e = sol.source("s").unwrap();
    for q in ["a", "b"] {
        let w = sol.node(q).unwrap().solution().unwrap().w;
        assert!(w > 0.02, "{q}: W = {w} is no M/M/1's 1/(μ − λ) = 0.02 s");
        assert!(e.w.unwrap() >= w, "end to end {:?} < W({q}) = {w}", e.w);
    }
    assert!(!e.w_method.as_ref().unwrap().name.contains("Flatto"));
}

#[test]
fn feedback_and_redelivery_means_follow_visit_counts() {
    // Feedback 0.5: two visits on average, each an M/M/1 visit at lambda = 2, mu = 4.
    let m = poisson_into(
        1.0,
        Queue::new("q", 1, exp(0.25)).with_route(split(&[("q", 0.5), ("exit", 0.5)])),
    );
    let e = &solve(&m.validate().unwrap()).unwrap().end_to_end[0];
    assert_abs!(e.w.unwrap(), 2.0 * 0.5, CLOSED_FORM);

    // Redelivery: f = 0.5, 3 attempts: 1 + 0.5 + 0.25 = 1.75 deliveries, 0.75 backoffs.
    let m = poisson_into(
        1.0,
        Queue::new("q", 1, exp(0.25)).with_redelivery(0.5, 3, 0.1),
    );
    let e = &solve(&m.validate().unwrap()).unwrap().end_to_end[0];
    let w = 1.0 / (4.0 - 1.75);
    assert_abs!(e.w.unwrap(), 1.75 * w + 0.75 * 0.1, CLOSED_FORM);
    assert!(e.sojourn.is_some());
}

/// A Poisson-fed tandem of three M/M/1 queues (λ = 1, μ = 2, 3, 5): the end-to-end time
/// is hypoexponential with rates 1, 2, 4, P(T > t) = 8/3·e^{−t} − 2e^{−2t} + 1/3·e^{−4t}
/// (partial fractions, by hand); its percentiles by bisection on that closed form, to
/// 1e-9 relative, and labelled exact.
#[test]
fn a_tandem_of_mm1_queues_is_hypoexponential() {
    let m = Model::default()
        .with_source(Source::new("s", ArrivalProcess::Poisson { rate: 1.0 }, "a"))
        .with_queue(Queue::new("a", 1, exp(0.5)).with_route(Route::To("b".into())))
        .with_queue(Queue::new("b", 1, exp(1.0 / 3.0)).with_route(Route::To("c".into())))
        .with_queue(Queue::new("c", 1, exp(0.2)))
        .validate()
        .unwrap();
    let e = &solve(&m).unwrap().end_to_end[0];
    let tail = |t: f64| 8.0 / 3.0 * (-t).exp() - 2.0 * (-2.0 * t).exp() + (-4.0 * t).exp() / 3.0;
    let s = e.sojourn.unwrap();
    for (got, p) in [(s.p50, 0.5), (s.p95, 0.95), (s.p99, 0.99), (s.p999, 0.999)] {
        let want = tail_quantile(tail, p);
        assert!((got - want).abs() < 1e-9 * want, "p{p}: {got} vs {want}");
    }
    assert!((e.w.unwrap() - 1.75).abs() < 1e-12);
    let method = e.sojourn_method.as_ref().unwrap();
    assert_eq!(method.exactness, kendall::analytic::Exactness::Exact);
    assert!(method.name.contains("hypoexponential"), "{}", method.name);
    assert!(e.grid_cell.is_none());
}
