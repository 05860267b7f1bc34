//! Message TTL (`ttl` on a queue): the simulator against the exact M/M/c+D solver, and
//! the expired share carried through the model (dead-letter queue, downstream rates).
//!
//! The solver itself is checked against closed forms in `src/analytic/single/ttl.rs`
//! (c = 1 closed form, the M/M/c limit τ → ∞, the Erlang B limit τ → 0). Tolerances
//! here are the runs' 99.9% intervals (`tests/common`), widened by the histogram's
//! stated relative error for percentiles.

use kendall::analytic::{MMcTtl, QueueMetrics};
use kendall::model::{Distribution, Metric, Queue, Route};
use kendall::{compare, simulate, solve};

use crate::common;
use common::build::{exp_rate, poisson_into, theory_settings};
use common::{assert_conservation_and_little, assert_covers, assert_covers_percentile};

/// Simulates Poisson λ into c consumers of rate μ with TTL τ and checks every figure
/// against M/M/c+D.
fn check(lambda: f64, mu: f64, c: u32, tau: f64, seed: u64) {
    let q = Queue::new("q", c, exp_rate(mu)).with_ttl(tau);
    let model = poisson_into(lambda, q).validate().unwrap();
    let r = simulate(&model, &theory_settings(3000.0, 50.0, 8, seed)).unwrap();
    assert_conservation_and_little(&r);
    let exact = MMcTtl::new(lambda, mu, u64::from(c), tau).unwrap();
    let s = r.queue("q").unwrap();
    let ctx = format!("M/M/{c}+D λ {lambda} μ {mu} τ {tau}");
    assert_covers!(&s.p_expire.unwrap(), exact.prob_expire(), "{ctx} P(expire)");
    assert_covers!(&s.throughput, exact.throughput(), "{ctx} throughput");
    assert_covers!(&s.utilisation, exact.utilisation(), "{ctx} utilisation");
    assert_covers!(&s.l, exact.mean_number_in_system(), "{ctx} L");
    assert_covers!(&s.lq, exact.mean_queue_length(), "{ctx} Lq");
    assert_covers!(&s.w.unwrap(), exact.mean_sojourn(), "{ctx} W");
    assert_covers!(&s.wq.unwrap(), exact.mean_wait(), "{ctx} Wq");
    assert_covers!(
        &s.p_wait.unwrap(),
        exact.prob_wait().unwrap(),
        "{ctx} P(wait)"
    );
    let soj = s.sojourn.unwrap();
    for (p, e) in [(0.5, soj.p50), (0.95, soj.p95), (0.99, soj.p99)] {
        assert_covers_percentile!(&e, exact.sojourn_quantile(p).unwrap(), "{ctx} sojourn p{p}");
    }
    let wait = s.wait.unwrap();
    assert_covers_percentile!(
        &wait.p95,
        exact.wait_quantile(0.95).unwrap(),
        "{ctx} wait p95"
    );
    // No overload warning: the TTL bounds the queue. (At λ = 0.9 over 3000 s, about
    // 2 100 messages per replication complete: too few for p999, which is marked.)
    assert!(
        s.warnings
            .iter()
            .all(|w| w.kind == kendall::sim::WarningKind::FewObservations),
        "{ctx}: {:?}",
        s.warnings
    );
}

#[test]
fn below_capacity_matches_mmc_d() {
    check(3.5, 1.0, 4, 0.5, 11);
}

#[test]
fn above_capacity_is_stable_and_matches_mmc_d() {
    // Offered load 1.5 per consumer: without the TTL no steady state.
    check(3.0, 1.0, 2, 1.0, 12);
}

#[test]
fn one_consumer_matches_mmc_d() {
    check(0.9, 1.0, 1, 2.0, 13);
}

/// The analytic side: the TTL queue is solved as M/M/c+D (exact); the queue after it
/// gets the served share, the dead-letter queue the expired share; compare puts
/// P(expire) side by side.
#[test]
fn expired_share_flows_to_the_dead_letter_queue() {
    let (lambda, mu, c, tau) = (6.0, 1.0, 5u32, 0.4);
    let mut q = Queue::new("q", c, exp_rate(mu))
        .with_ttl(tau)
        .with_route(Route::To("next".into()));
    q.dead_letter = Some("dlq".into());
    let model = poisson_into(lambda, q)
        .with_queue(Queue::new(
            "next",
            8,
            Distribution::Exponential { mean: 0.5 },
        ))
        .with_queue(Queue::new(
            "dlq",
            2,
            Distribution::Exponential { mean: 0.1 },
        ))
        .validate()
        .unwrap();
    let exact = MMcTtl::new(lambda, mu, u64::from(c), tau).unwrap();
    let pe = exact.prob_expire();
    assert!(pe > 0.05, "{pe}");
    let sol = solve(&model).unwrap();
    let node = sol.node("q").unwrap().solution().unwrap();
    assert!(node.method.name.contains("M/M/c+D"), "{}", node.method.name);
    assert_eq!(node.p_expire, Some(pe));
    let next = sol.node("next").unwrap().solution().unwrap();
    assert!((next.arrival_rate - lambda * (1.0 - pe)).abs() < 1e-12 * lambda);
    // The dead-letter queue gets the expired share; its input (expirations cluster in
    // time) is not Poisson, so its figures are refused, not given as M/M/c.
    let dlq = sol.node("dlq").unwrap();
    assert!((dlq.message_rate - lambda * pe).abs() < 1e-12 * lambda);
    assert!(dlq.refusal().unwrap().contains("expired"));
    // End to end: the expired branch (TTL wait, then the dead-letter queue) is not
    // covered analytically: refused with the reason.
    let e2e = sol.source("in").unwrap();
    assert!(e2e.w.is_none() && e2e.note.as_deref().unwrap().contains("expire"));

    let r = simulate(&model, &theory_settings(3000.0, 50.0, 8, 21)).unwrap();
    assert_conservation_and_little(&r);
    assert_covers!(
        &r.queue("dlq").unwrap().arrival_rate,
        lambda * pe,
        "dlq arrival rate"
    );
    assert_covers!(
        &r.queue("next").unwrap().arrival_rate,
        lambda * (1.0 - pe),
        "next arrival rate"
    );

    let cmp = compare(
        &model,
        &theory_settings(500.0, 20.0, 4, 22),
        kendall::DEFAULT_FLAG_THRESHOLD,
        &|_, _| {},
    )
    .unwrap();
    let row = cmp
        .rows
        .iter()
        .find(|row| row.node == "q" && row.metric == Metric::Expired)
        .expect("a P(expire) row");
    assert_eq!(row.analytic, Some(pe));
}

/// A TTL with something M/M/c+D does not cover is refused with the reason, never
/// solved as if the TTL were not there.
#[test]
fn unsupported_combinations_are_refused() {
    let q = Queue::new("q", 2, Distribution::Deterministic { value: 0.1 }).with_ttl(1.0);
    let model = poisson_into(5.0, q).validate().unwrap();
    let sol = solve(&model).unwrap();
    let why = sol.node("q").unwrap().refusal().unwrap();
    assert!(why.contains("ttl") && why.contains("simulate"), "{why}");
}
