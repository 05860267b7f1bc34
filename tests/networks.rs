//! Whole-model analytics against printed textbook answers.

use kendall::analytic::solve;
use kendall::model::*;

mod common;
use common::build::{exp_rate, poisson, split, windowed};
use common::exact::closed_mm1;
use common::tol::{CLOSED_FORM, NUMERICAL};
use common::{assert_abs, assert_rel};

/// S. M. Ross, *Introduction to Probability Models*, section "Network of Queues — Open
/// Systems", example: Poisson arrivals at stations 1, 2, 3 with rates 5, 10, 15; exponential
/// service with rates 10, 50, 100; from 1 equally likely to 2, 3 or out; from 2 always to 3;
/// from 3 equally likely to 2 or out. Printed answers: λ = (5, 40, 170/3),
/// L = 82/13, W = 41/195.
#[test]
fn ross_open_jackson_network() {
    let m = Model::default()
        .with_source(Source::new("a1", poisson(5.0), "s1"))
        .with_source(Source::new("a2", poisson(10.0), "s2"))
        .with_source(Source::new("a3", poisson(15.0), "s3"))
        .with_queue(Queue::new("s1", 1, exp_rate(10.0)).with_route(split(&[
            ("s2", 1.0 / 3.0),
            ("s3", 1.0 / 3.0),
            ("exit", 1.0 / 3.0),
        ])))
        .with_queue(Queue::new("s2", 1, exp_rate(50.0)).with_route(Route::To("s3".into())))
        .with_queue(
            Queue::new("s3", 1, exp_rate(100.0)).with_route(split(&[("s2", 0.5), ("exit", 0.5)])),
        );
    let s = solve(&m.validate().unwrap()).unwrap();
    let rates: Vec<f64> = s.nodes.iter().map(|n| n.message_rate).collect();
    for (got, want) in rates.iter().zip([5.0, 40.0, 170.0 / 3.0]) {
        assert_rel!(*got, want, CLOSED_FORM, "{rates:?}");
    }
    let total_l: f64 = s.nodes.iter().map(|n| n.solution().unwrap().l).sum();
    assert_abs!(total_l, 82.0 / 13.0, CLOSED_FORM, "L");
    // Mean time in system per customer, by Little over all customers = the rate-weighted
    // end-to-end means of the three sources.
    let w: f64 = s
        .end_to_end
        .iter()
        .zip([5.0, 10.0, 15.0])
        .map(|(e, r)| r * e.w.unwrap())
        .sum::<f64>()
        / 30.0;
    assert_abs!(w, 41.0 / 195.0, CLOSED_FORM, "W");
    for n in &s.nodes {
        let method = &n.solution().unwrap().method;
        assert_eq!(method.exactness, kendall::analytic::Exactness::Exact);
    }
}

/// A producer with a confirm window of N feeding one M/M/1 queue: the number in flight
/// is a birth-death chain on 0..=N with births λ (while below N) and deaths μ, so
/// π_n ∝ (λ/μ)^n, X = μ(1 − π_0), R = L / X (computed here by direct summation).
#[test]
fn windowed_source_is_a_closed_network() {
    let (lambda, mu, n) = (80.0f64, 100.0f64, 5u32);
    let m = Model::default()
        .with_source(windowed(lambda, n, "q"))
        .with_queue(Queue::new("q", 1, exp_rate(mu)));
    let s = solve(&m.validate().unwrap()).unwrap();
    let (l, x, r) = closed_mm1(lambda, mu, n);
    let closed = s.closed.as_ref().unwrap();
    assert_rel!(closed.throughput, x, NUMERICAL, "MVA X");
    assert_rel!(closed.response_time, r, NUMERICAL, "MVA R");
    assert_abs!(s.end_to_end[0].w.unwrap(), r, NUMERICAL, "end-to-end W");
    let q = s.nodes[0].solution().unwrap();
    assert_abs!(q.l, l, NUMERICAL, "L");
    assert_abs!(q.utilisation, x / mu, NUMERICAL, "utilisation");
    assert_eq!(closed.method.exactness, kendall::analytic::Exactness::Exact);
}
