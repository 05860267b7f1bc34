//! Whole-model analytics against printed textbook answers.

use kendall::analytic::solve;
use kendall::model::*;

use crate::common;
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

/// Issue 9: a chain of 1 000 M/M/1 queues (λ = 10, μ = 100) solves in linear-ish time
/// (it took minutes: every queue's input classification re-walked the whole graph on
/// every one of n + 1 passes). Jackson/Burke: every node is M/M/1 with λ = 10, so
/// W_i = 1/(μ − λ) = 1/90 s, and the end-to-end mean is n/(μ − λ). A 1 000-node path is
/// far finer than the 4 096-cell percentile grid can resolve: its percentiles are refused
/// with the reason, not printed wrong (they were 60% low).
#[test]
fn thousand_queue_chain_solves_fast_and_exactly() {
    let n = 1000;
    let mut m = Model::default().with_source(Source::new("s", poisson(10.0), "q0"));
    for i in 0..n {
        let q = Queue::new(format!("q{i}"), 1, exp_rate(100.0));
        m = m.with_queue(if i + 1 < n {
            q.with_route(Route::To(format!("q{}", i + 1)))
        } else {
            q
        });
    }
    let start = std::time::Instant::now();
    let s = solve(&m.validate().unwrap()).unwrap();
    // Generous: a release build takes about 0.3 s; debug/test profiles are slower.
    assert!(
        start.elapsed().as_secs_f64() < 20.0,
        "took {:?}",
        start.elapsed()
    );
    for node in &s.nodes {
        let q = node.solution().unwrap();
        assert_rel!(node.message_rate, 10.0, CLOSED_FORM);
        assert_rel!(q.w, 1.0 / 90.0, CLOSED_FORM);
        assert_rel!(q.l, 0.1 / 0.9, CLOSED_FORM);
    }
    let e = &s.end_to_end[0];
    assert_rel!(e.w.unwrap(), n as f64 / 90.0, CLOSED_FORM);
    assert!(e.sojourn.is_none(), "{:?}", e.sojourn);
    assert!(
        e.note.as_deref().unwrap().contains("too long"),
        "{:?}",
        e.note
    );
}

/// Issue 9: a wide split (one hub M/M/1 into 999 leaves, equally likely) and a random
/// sparse network with feedback solve at 1 000 queues. Hub λ = 10, μ = 100; each leaf
/// λ = 10/999, μ = 100. The end-to-end time is the hub's Exp(90) plus a leaf's
/// Exp(100 − 10/999): its quantiles by mpmath (bisection on the hypoexponential CDF):
/// p50 0.0177059346602584, p99 0.07019216767634405 s. The grid's horizon used to sum
/// over all 1 000 queues (cells 500 times too coarse: p50 printed 5.3 ms).
#[test]
fn thousand_queue_split_and_feedback_network() {
    let leaves = 999;
    let branches: Vec<(String, f64)> = (0..leaves)
        .map(|i| (format!("l{i}"), 1.0 / leaves as f64))
        .collect();
    let refs: Vec<(&str, f64)> = branches.iter().map(|(n, p)| (n.as_str(), *p)).collect();
    let mut m = Model::default()
        .with_source(Source::new("s", poisson(10.0), "hub"))
        .with_queue(Queue::new("hub", 1, exp_rate(100.0)).with_route(split(&refs)));
    for i in 0..leaves {
        m = m.with_queue(Queue::new(format!("l{i}"), 1, exp_rate(100.0)));
    }
    let s = solve(&m.validate().unwrap()).unwrap();
    let e = &s.end_to_end[0];
    assert_rel!(
        e.w.unwrap(),
        1.0 / 90.0 + 1.0 / (100.0 - 10.0 / 999.0),
        CLOSED_FORM
    );
    let p = e.sojourn.expect("percentiles on a fine grid");
    // Grid: half a cell per node (two nodes) plus interpolation.
    let cell = e.grid_cell.unwrap();
    assert_abs!(p.p50, 0.0177059346602584, 2.0 * cell);
    assert_abs!(p.p99, 0.07019216767634405, 2.0 * cell);

    // A ring of 1 000 queues, each sending 99% on and 1% out, fed at q0 with rate 3:
    // λ_k = 3·0.99^k/(1 − 0.99^1000) (traffic equations around one cycle).
    let n = 1000;
    let mut m = Model::default().with_source(Source::new("s", poisson(3.0), "q0"));
    for i in 0..n {
        let next = format!("q{}", (i + 1) % n);
        m = m.with_queue(
            Queue::new(format!("q{i}"), 1, exp_rate(100.0))
                .with_route(split(&[(next.as_str(), 0.99), ("exit", 0.01)])),
        );
    }
    let start = std::time::Instant::now();
    let s = solve(&m.validate().unwrap()).unwrap();
    assert!(
        start.elapsed().as_secs_f64() < 20.0,
        "took {:?}",
        start.elapsed()
    );
    for (k, node) in s.nodes.iter().enumerate() {
        let want = 3.0 * 0.99f64.powi(k as i32) / (1.0 - 0.99f64.powi(n));
        assert_rel!(node.message_rate, want, 1e-9, "q{k}");
    }
    // Mean end-to-end time: visits to q_k are 0.99^k/(1 − 0.99^1000) per message, each
    // an M/M/1 sojourn 1/(100 − λ_k).
    let w: f64 = s
        .nodes
        .iter()
        .enumerate()
        .map(|(k, node)| {
            let visits = 0.99f64.powi(k as i32) / (1.0 - 0.99f64.powi(n));
            visits / (100.0 - node.message_rate)
        })
        .sum();
    assert_rel!(
        s.end_to_end[0]
            .w
            .unwrap_or_else(|| panic!("{:?}", s.end_to_end[0].note)),
        w,
        1e-9
    );
}

/// A queue that rejects at a full buffer passes on only what it accepts: the queues
/// after it see the thinned rate, and a queue after a loss no method can give is
/// refused rather than handed the unthinned rate (regression: `b` used to get 10/s).
///
/// Reference by hand: M/M/1/K at ρ = 1 has all K + 1 states equally likely, so
/// P(block) = 1/(K + 1): K = 3 blocks 1/4 of 10/s and passes 7.5/s on to `b`.
#[test]
fn losses_at_full_buffers_thin_the_traffic_downstream() {
    let a = Queue::new("a", 1, exp_rate(10.0))
        .with_capacity(3)
        .with_route(Route::To("b".into()));
    let b = Queue::new("b", 1, exp_rate(20.0)).with_route(Route::To("c".into()));
    let c = Queue::new("c", 2, exp_rate(20.0));
    let model = Model::default()
        .with_source(Source::new("in", poisson(10.0), "a"))
        .with_queue(a)
        .with_queue(b)
        .with_queue(c)
        .validate()
        .unwrap();
    let s = solve(&model).unwrap();
    let rate = |n: &str| s.node(n).unwrap().message_rate;
    assert_abs!(rate("a"), 10.0, CLOSED_FORM);
    assert_abs!(rate("b"), 7.5, CLOSED_FORM);
    assert_abs!(rate("c"), 7.5, CLOSED_FORM);
    let b = s.node("b").unwrap().solution().unwrap();
    assert_abs!(b.throughput, 7.5, CLOSED_FORM);
    assert_abs!(b.utilisation, 7.5 / 20.0, CLOSED_FORM);

    // A second finite buffer fed by a's departures (not Poisson): no exact blocking
    // probability, so `c` after it is refused with the reason, naming `b`.
    let a = Queue::new("a", 1, exp_rate(10.0))
        .with_capacity(3)
        .with_route(Route::To("b".into()));
    let b = Queue::new("b", 1, exp_rate(7.5))
        .with_capacity(2)
        .with_route(Route::To("c".into()));
    let c = Queue::new("c", 2, exp_rate(20.0));
    let model = Model::default()
        .with_source(Source::new("in", poisson(10.0), "a"))
        .with_queue(a)
        .with_queue(b)
        .with_queue(c)
        .validate()
        .unwrap();
    let s = solve(&model).unwrap();
    assert_abs!(s.node("b").unwrap().message_rate, 7.5, CLOSED_FORM);
    let why = s.node("c").unwrap().refusal().unwrap().to_string();
    assert!(why.contains("upstream queue \"b\""), "{why}");
}
