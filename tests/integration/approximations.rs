//! Approximations measured against simulation. Their errors are reported (run with
//! `--nocapture` to see them) and bounded by what was measured when they were written,
//! so a regression in the approximation code shows up; the bounds are not accuracy
//! promises, and `kendall compare` flags any approximation off by more than 10%.

use kendall::analytic::Exactness;
use kendall::model::*;
use kendall::{Comparison, DEFAULT_FLAG_THRESHOLD as DEFAULT_THRESHOLD, Metric, compare as run};

use crate::common;
use common::build::{exp, poisson};

fn settings(seed: u64) -> RunSettings {
    common::build::settings(3000.0, 100.0, 10, seed)
}

fn error_of(c: &Comparison, node: &str, metric: &str) -> f64 {
    let r = c
        .rows
        .iter()
        .find(|r| r.node == node && r.metric == metric.parse::<Metric>().unwrap())
        .unwrap();
    assert_eq!(
        r.exactness,
        Some(Exactness::Approximation),
        "{node} {metric}: {}",
        r.method.as_ref().unwrap()
    );
    let e = r.relative_error.unwrap();
    eprintln!(
        "{node} {metric}: analytic {:?} simulated {:?} error {:+.2}% ({})",
        r.analytic,
        r.simulated.map(|s| s.mean),
        100.0 * e,
        r.method.as_ref().unwrap()
    );
    e
}

/// QNA on a network with non-exponential service: a deterministic producer (c² = 0)
/// feeds an Erlang-2 stage (3 consumers) whose departures (c² from Whitt's formula) feed
/// a lognormal stage (c² = 2, 2 consumers); both are G/G/c by Whitt (1993).
/// Measured: parse Wq +20%, enrich Wq +20%, W +3% and +12%.
#[test]
fn qna_on_a_non_exponential_tandem() {
    let m = Model::default()
        .with_source(Source::new(
            "batch",
            ArrivalProcess::Deterministic { rate: 40.0 },
            "parse",
        ))
        .with_queue(
            Queue::new("parse", 3, Distribution::Erlang { k: 2, mean: 0.06 })
                .with_route(Route::To("enrich".into())),
        )
        .with_queue(Queue::new(
            "enrich",
            2,
            Distribution::Lognormal {
                mean: 0.04,
                scv: 2.0,
            },
        ));
    let c = run(
        &m.validate().unwrap(),
        &settings(31),
        DEFAULT_THRESHOLD,
        &|_, _| {},
    )
    .unwrap();
    for (node, bound) in [("parse", 0.30), ("enrich", 0.30)] {
        let e = error_of(&c, node, "Wq");
        assert!(e.abs() < bound, "{node} Wq error {e}");
        // W includes the exact mean service, so its error is smaller.
        assert!(error_of(&c, node, "W").abs() < bound);
    }
}

/// Fork-join: one Poisson producer publishes to a topic with three listener pools of
/// different sizes; the end-to-end latency (until all three are done) is approximated
/// by the maximum of independent branches, an upper bound.
#[test]
fn fork_join_of_three_listener_pools() {
    let m = Model::default()
        .with_source(Source::new("payments", poisson(300.0), "settled"))
        .with_topic(Topic::new("settled", ["ledger", "notify", "risk"]))
        .with_queue(Queue::new("ledger", 4, exp(0.0115)))
        .with_queue(Queue::new("notify", 2, exp(0.005)))
        .with_queue(Queue::new("risk", 1, exp(0.0027)));
    let c = run(
        &m.validate().unwrap(),
        &settings(32),
        DEFAULT_THRESHOLD,
        &|_, _| {},
    )
    .unwrap();
    let mean = error_of(&c, "end_to_end:payments", "mean");
    // An upper bound: positive, and measured at a few percent.
    assert!(mean > -0.01 && mean < 0.10, "{mean}");
    let p99 = error_of(&c, "end_to_end:payments", "p99");
    assert!(p99.abs() < 0.10, "{p99}");
}

/// Two identical M/M/1 listeners: the Flatto–Hahn mean is exact, so it must sit in the
/// simulation's interval.
#[test]
fn two_identical_listeners_are_exact() {
    let m = Model::default()
        .with_source(Source::new("s", poisson(70.0), "t"))
        .with_topic(Topic::new("t", ["a", "b"]))
        .with_queue(Queue::new("a", 1, exp(0.01)))
        .with_queue(Queue::new("b", 1, exp(0.01)));
    let s = RunSettings {
        confidence: common::tol::CONFIDENCE,
        ..settings(33)
    };
    let c = run(&m.validate().unwrap(), &s, DEFAULT_THRESHOLD, &|_, _| {}).unwrap();
    let r = c
        .rows
        .iter()
        .find(|r| r.node == "end_to_end:s" && r.metric == Metric::MeanSojourn)
        .unwrap();
    eprintln!(
        "two-branch fork-join mean: analytic {:?} simulated {:?}",
        r.analytic, r.simulated
    );
    assert_eq!(r.in_interval, Some(true), "{r:?}");
}

/// Nelson–Tantawi for three identical M/M/1 listeners (an approximation beyond two).
#[test]
fn nelson_tantawi_for_three_identical_listeners() {
    let m = Model::default()
        .with_source(Source::new("s", poisson(70.0), "t"))
        .with_topic(Topic::new("t", ["a", "b", "c"]))
        .with_queue(Queue::new("a", 1, exp(0.01)))
        .with_queue(Queue::new("b", 1, exp(0.01)))
        .with_queue(Queue::new("c", 1, exp(0.01)));
    let c = run(
        &m.validate().unwrap(),
        &settings(34),
        DEFAULT_THRESHOLD,
        &|_, _| {},
    )
    .unwrap();
    let e = error_of(&c, "end_to_end:s", "mean");
    assert!(e.abs() < 0.05, "{e}");
}
