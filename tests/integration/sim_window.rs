//! Windowed (closed-loop) sources: the simulator against exact closed-network answers.
//!
//! **Tolerance.** As in `sim_vs_theory.rs`: Student-t intervals at confidence 0.999
//! across replications (`tol::CONFIDENCE`); each assertion is
//! `|estimate − exact| ≤ half_width(99.9 %)` (`assert_covers!`).
//! Seeds are fixed, so the outcome is reproducible.

use kendall::analytic::solve;
use kendall::model::{Model, OnFull, Queue, Topic};
use kendall::sim::{Replication, simulate};

use crate::common;
use common::build::{exp, exp_rate, theory_settings as settings, windowed};
use common::exact::closed_mm1;
use common::tol::NUMERICAL_COMBINED;
use common::{assert_covers, assert_rel};

#[test]
fn window_into_mm1_matches_the_birth_death_chain() {
    let (lambda, mu, n) = (80.0, 100.0, 5);
    let (l, x, r) = closed_mm1(lambda, mu, n);
    let model = Model::default()
        .with_source(windowed(lambda, n, "q"))
        .with_queue(Queue::new("q", 1, exp_rate(mu)));
    let report = simulate(&model.validate().unwrap(), &settings(2000.0, 20.0, 10, 11)).unwrap();
    assert!(common::assert_conservation_and_little(&report));
    let q = report.queue("q").unwrap();
    assert_covers!(&q.l, l, "L");
    assert_covers!(&q.throughput, x, "X");
    assert_covers!(&q.utilisation, x / mu, "utilisation");
    assert_covers!(&q.w.as_ref().unwrap(), r, "sojourn");
    let src = report.source("producer").unwrap();
    assert_covers!(&src.w.as_ref().unwrap(), r, "end-to-end");
    assert!(report.conservation.is_balanced());
    // In flight never exceeds the window (summed over 10 replications).
    assert!(report.conservation.in_flight <= 10 * u64::from(n));

    // The analytic side (MVA on the closed network) agrees with the chain exactly.
    let closed = solve(&model.validate().unwrap())
        .unwrap()
        .closed
        .expect("a windowed model");
    assert_rel!(closed.throughput, x, NUMERICAL_COMBINED, "MVA X");
    assert_rel!(closed.response_time, r, NUMERICAL_COMBINED, "MVA R");
}

/// Window 1 through a topic to two M/M/1 subscribers: a cycle is Exp(λ) then the
/// maximum of Exp(μ₁) and Exp(μ₂), E[max] = 1/μ₁ + 1/μ₂ − 1/(μ₁+μ₂); so
/// R = E[max] and X = 1 / (1/λ + R) (renewal-reward).
#[test]
fn window_of_one_through_a_topic_waits_for_every_copy() {
    let (lambda, mu1, mu2) = (50.0, 40.0, 100.0);
    let r = 1.0 / mu1 + 1.0 / mu2 - 1.0 / (mu1 + mu2);
    let x = 1.0 / (1.0 / lambda + r);
    let model = Model::default()
        .with_source(windowed(lambda, 1, "t"))
        .with_topic(Topic::new("t", ["a", "b"]))
        .with_queue(Queue::new("a", 1, exp_rate(mu1)))
        .with_queue(Queue::new("b", 1, exp_rate(mu2)));
    let report = simulate(&model.validate().unwrap(), &settings(2000.0, 10.0, 10, 5)).unwrap();
    assert_covers!(&report.queue("a").unwrap().throughput, x, "X a");
    assert_covers!(&report.queue("b").unwrap().throughput, x, "X b");
    let src = report.source("producer").unwrap();
    assert_covers!(&src.w.as_ref().unwrap(), r, "end-to-end");
    // With one message in flight nobody ever waits.
    assert_eq!(
        report.queue("a").unwrap().wait.as_ref().unwrap().p999.mean,
        0.0
    );
    assert!(report.conservation.in_flight <= 10);
}

/// A lost message frees its slot: window 2 into a queue of capacity 1 that rejects.
/// The in-flight count stays within the window and the source keeps producing.
#[test]
fn a_rejected_message_frees_its_window_slot() {
    let mut q = Queue::new("q", 1, exp(0.01));
    q.capacity = Some(1);
    q.on_full = OnFull::Reject;
    let model = Model::default()
        .with_source(windowed(200.0, 2, "q"))
        .with_queue(q);
    let st = settings(100.0, 0.0, 2, 3);
    let mut r = Replication::new(&model.validate().unwrap(), &st, 0).unwrap();
    r.run_until(f64::INFINITY).unwrap();
    let res = r.finish();
    assert!(res.conservation.is_balanced());
    assert!(res.conservation.in_flight <= 2);
    assert!(res.queues[0].rejected > 0);
    assert_eq!(
        res.sources[0].created,
        res.sources[0].finished + res.conservation.in_flight
    );
}
