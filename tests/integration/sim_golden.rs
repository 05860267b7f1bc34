//! Seeded golden outputs: exact results of fixed-seed runs, so that any change to the
//! random streams, the event order or the statistics shows up here. A change to these
//! values is value-breaking: update them deliberately and say so in the changelog.
//! (They are not correctness references; `sim_vs_theory.rs` holds those.)

use kendall::model::{Distribution, Model, Queue, RunSettings, Source, Topic};
use kendall::sim::run_replication;

use crate::common;
use common::build::{mmc_model, poisson};

fn models() -> [Model; 2] {
    [
        mmc_model(0.9, 1.0, 1),
        Model::default()
            .with_source(Source::new("in", poisson(3.0), "t"))
            .with_topic(Topic::new("t", ["a", "b"]))
            .with_queue(Queue::new("a", 2, Distribution::Erlang { k: 2, mean: 0.5 }))
            .with_queue(
                Queue::new(
                    "b",
                    4,
                    Distribution::Lognormal {
                        mean: 1.0,
                        scv: 2.0,
                    },
                )
                .with_capacity(6)
                .with_redelivery(0.05, 2, 0.1),
            ),
    ]
}

fn fingerprint(model: &Model) -> (u64, u64, u64, f64, f64) {
    let s = RunSettings {
        completions: Some(10_000),
        replications: 3,
        seed: 42,
        ..RunSettings::default()
    };
    let r = run_replication(&model.validate().unwrap(), &s, 2).unwrap();
    let q = &r.queues[0];
    let soj = q.sojourn.as_ref().unwrap();
    (
        r.events,
        r.conservation.created,
        q.counts.completed,
        soj.mean,
        soj.p99,
    )
}

#[test]
fn golden_values() {
    let got: Vec<_> = models().iter().map(fingerprint).collect();
    for g in &got {
        println!("{g:?}");
    }
    assert_eq!(got, GOLDEN);
}

const GOLDEN: [(u64, u64, u64, f64, f64); 2] = [
    (20004, 10004, 10000, 7.616660499204279, 27.875),
    (29784, 20012, 10002, 0.9267107738103744, 3.421875),
];
