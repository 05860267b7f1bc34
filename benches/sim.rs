//! Simulator speed: kendall's general engine (all statistics on) against minimal
//! hand-written event-calendar loops (binary heap; one keeping counts only, one also
//! keeping the means L, W and utilisation, issue 9's reference), on
//! M/M/1 (ρ = 0.9), M/M/10 (ρ = 0.9) and a three-listener fan-out (each listener
//! M/M/4 at ρ = 0.9), 200 000 customers each, one replication, one thread.
//! Throughput is in customers (source messages) per second.
//!
//! Run: `cargo bench --bench sim`

use divan::Bencher;
use divan::counter::ItemsCount;
use kendall::model::{
    ArrivalProcess, Distribution, Model, Queue, RunSettings, Source, Topic, ValidModel,
};
use kendall::sim::Replication;
use std::hint::black_box;

mod reference;
use reference::{reference_means_run, reference_run};

const CUSTOMERS: u64 = 200_000;

fn mmc_model(lambda: f64, c: u32) -> ValidModel {
    Model::default()
        .with_source(Source::new(
            "in",
            ArrivalProcess::Poisson { rate: lambda },
            "q",
        ))
        .with_queue(Queue::new("q", c, Distribution::Exponential { mean: 1.0 }))
        .validate()
        .unwrap()
}

fn fan_out_model() -> ValidModel {
    let mut m = Model::default()
        .with_source(Source::new(
            "in",
            ArrivalProcess::Poisson { rate: 3.6 },
            "t",
        ))
        .with_topic(Topic::new("t", ["a", "b", "c"]));
    for name in ["a", "b", "c"] {
        m = m.with_queue(Queue::new(name, 4, Distribution::Exponential { mean: 1.0 }));
    }
    m.validate().unwrap()
}

fn kendall_run(model: &ValidModel) -> u64 {
    let settings = RunSettings {
        completions: Some(CUSTOMERS),
        replications: 1,
        ..RunSettings::default()
    };
    let mut r = Replication::new(model, &settings, 0).unwrap();
    r.run_until(f64::INFINITY).unwrap();
    r.events()
}

fn main() {
    // The means reference computes what it claims: M/M/1 at rho = 0.9 has W = 10 s and
    // utilisation 0.9 (200 000 customers: within a few per cent).
    let (_, means) = reference_means_run(0.9, 1, 1, CUSTOMERS);
    assert!((means.sojourn(0) / 10.0 - 1.0).abs() < 0.2, "{means:?}");
    assert!((means.utilisation(0, 1) - 0.9).abs() < 0.02, "{means:?}");
    divan::main();
}

/// The three workloads: (name, λ, consumers per queue, queues).
const CASES: [(&str, f64, u32, usize); 3] = [
    ("mm1", 0.9, 1, 1),
    ("mm10", 9.0, 10, 1),
    ("fan_out", 3.6, 4, 3),
];

fn model(case: &str) -> ValidModel {
    match case {
        "mm1" => mmc_model(0.9, 1),
        "mm10" => mmc_model(9.0, 10),
        _ => fan_out_model(),
    }
}

fn params(case: &str) -> (f64, u32, usize) {
    let (_, lambda, c, q) = CASES.iter().find(|k| k.0 == case).copied().unwrap();
    (lambda, c, q)
}

/// kendall's engine, customers per second.
#[divan::bench(args = ["mm1", "mm10", "fan_out"], sample_count = 20)]
fn kendall_engine(bencher: Bencher, case: &str) {
    let m = model(case);
    bencher
        .counter(ItemsCount::new(CUSTOMERS))
        .bench_local(|| black_box(kendall_run(&m)));
}

/// The minimal loop that keeps counts only.
#[divan::bench(args = ["mm1", "mm10", "fan_out"], sample_count = 20)]
fn reference(bencher: Bencher, case: &str) {
    let (lambda, c, q) = params(case);
    bencher
        .counter(ItemsCount::new(CUSTOMERS))
        .bench_local(|| black_box(reference_run(lambda, c, q, CUSTOMERS)));
}

/// The minimal loop that also keeps the means (issue 9's reference).
#[divan::bench(args = ["mm1", "mm10", "fan_out"], sample_count = 20)]
fn reference_means(bencher: Bencher, case: &str) {
    let (lambda, c, q) = params(case);
    bencher
        .counter(ItemsCount::new(CUSTOMERS))
        .bench_local(|| black_box(reference_means_run(lambda, c, q, CUSTOMERS)));
}
