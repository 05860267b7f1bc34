//! Simulator speed: kendall's general engine (all statistics on) against minimal
//! hand-written event-calendar loops (binary heap; one keeping counts only, one also
//! keeping the means L, W and utilisation, issue 9's reference), on
//! M/M/1 (ρ = 0.9), M/M/10 (ρ = 0.9) and a three-listener fan-out (each listener
//! M/M/4 at ρ = 0.9), 200 000 customers each, one replication, one thread.
//! Throughput is in customers (source messages) per second.
//!
//! Run: `cargo bench --bench sim`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
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

fn benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("sim");
    g.sample_size(20);
    g.throughput(Throughput::Elements(CUSTOMERS));
    // The means reference computes what it claims: M/M/1 at rho = 0.9 has W = 10 s and
    // utilisation 0.9 (200 000 customers: within a few per cent).
    let (_, means) = reference_means_run(0.9, 1, 1, CUSTOMERS);
    assert!((means.sojourn(0) / 10.0 - 1.0).abs() < 0.2, "{means:?}");
    assert!((means.utilisation(0, 1) - 0.9).abs() < 0.02, "{means:?}");
    let mm1 = mmc_model(0.9, 1);
    let mm10 = mmc_model(9.0, 10);
    let fan = fan_out_model();
    g.bench_function("kendall_mm1", |b| b.iter(|| black_box(kendall_run(&mm1))));
    g.bench_function("reference_mm1", |b| {
        b.iter(|| black_box(reference_run(0.9, 1, 1, CUSTOMERS)))
    });
    g.bench_function("reference_means_mm1", |b| {
        b.iter(|| black_box(reference_means_run(0.9, 1, 1, CUSTOMERS)))
    });
    g.bench_function("kendall_mm10", |b| b.iter(|| black_box(kendall_run(&mm10))));
    g.bench_function("reference_mm10", |b| {
        b.iter(|| black_box(reference_run(9.0, 10, 1, CUSTOMERS)))
    });
    g.bench_function("reference_means_mm10", |b| {
        b.iter(|| black_box(reference_means_run(9.0, 10, 1, CUSTOMERS)))
    });
    g.bench_function("kendall_fan_out", |b| {
        b.iter(|| black_box(kendall_run(&fan)))
    });
    g.bench_function("reference_fan_out", |b| {
        b.iter(|| black_box(reference_run(3.6, 4, 3, CUSTOMERS)))
    });
    g.bench_function("reference_means_fan_out", |b| {
        b.iter(|| black_box(reference_means_run(3.6, 4, 3, CUSTOMERS)))
    });
    g.finish();
}

criterion_group!(sim, benches);
criterion_main!(sim);
