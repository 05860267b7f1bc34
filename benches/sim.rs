//! Simulator speed: kendall's general engine (all statistics on) against a minimal
//! hand-written event-calendar loop (binary heap, counts only, no statistics), on
//! M/M/1 (ρ = 0.9), M/M/10 (ρ = 0.9) and a three-listener fan-out (each listener
//! M/M/4 at ρ = 0.9), 200 000 customers each, one replication, one thread.
//! Throughput is in customers (source messages) per second.
//!
//! Run: `cargo bench --bench sim`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kendall::model::{ArrivalProcess, Distribution, Model, Queue, RunSettings, Source, Topic};
use kendall::sim::Replication;
use rand::SeedableRng;
use rand_distr::{Distribution as _, Exp1};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::hint::black_box;

const CUSTOMERS: u64 = 200_000;

fn mmc_model(lambda: f64, c: u32) -> Model {
    Model::default()
        .with_source(Source::new(
            "in",
            ArrivalProcess::Poisson { rate: lambda },
            "q",
        ))
        .with_queue(Queue::new("q", c, Distribution::Exponential { mean: 1.0 }))
}

fn fan_out_model() -> Model {
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
    m
}

fn kendall_run(model: &Model) -> u64 {
    let settings = RunSettings {
        completions: Some(CUSTOMERS),
        replications: 1,
        ..RunSettings::default()
    };
    let mut r = Replication::new(model, &settings, 0).unwrap();
    r.run_until(f64::INFINITY).unwrap();
    r.events()
}

/// The reference: a binary heap of (time bits, sequence, kind) and per-queue counts.
/// `queues` listeners each with `c` servers and mean service 1, fed by one Poisson
/// source of rate `lambda` whose every message goes to all of them.
fn reference_run(lambda: f64, c: u32, queues: usize) -> u64 {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
    let mut heap: BinaryHeap<Reverse<(u64, u64, u32)>> = BinaryHeap::with_capacity(1024);
    let mut seq = 0u64;
    let mut push = |heap: &mut BinaryHeap<_>, t: f64, kind: u32| {
        heap.push(Reverse((t.to_bits(), seq, kind)));
        seq += 1;
    };
    let mut in_node = vec![0u32; queues];
    let mut done = 0u64;
    let mut events = 0u64;
    let e: f64 = Exp1.sample(&mut rng);
    push(&mut heap, e / lambda, u32::MAX);
    while let Some(Reverse((bits, _, kind))) = heap.pop() {
        let now = f64::from_bits(bits);
        events += 1;
        if kind == u32::MAX {
            let e: f64 = Exp1.sample(&mut rng);
            push(&mut heap, now + e / lambda, u32::MAX);
            for (q, n) in in_node.iter_mut().enumerate() {
                *n += 1;
                if *n <= c {
                    let s: f64 = Exp1.sample(&mut rng);
                    push(&mut heap, now + s, q as u32);
                }
            }
        } else {
            let q = kind as usize;
            in_node[q] -= 1;
            if in_node[q] >= c {
                let s: f64 = Exp1.sample(&mut rng);
                push(&mut heap, now + s, kind);
            }
            if q == 0 {
                done += 1;
                if done == CUSTOMERS {
                    break;
                }
            }
        }
    }
    events
}

fn benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("sim");
    g.sample_size(20);
    g.throughput(Throughput::Elements(CUSTOMERS));
    let mm1 = mmc_model(0.9, 1);
    let mm10 = mmc_model(9.0, 10);
    let fan = fan_out_model();
    g.bench_function("kendall_mm1", |b| b.iter(|| black_box(kendall_run(&mm1))));
    g.bench_function("reference_mm1", |b| {
        b.iter(|| black_box(reference_run(0.9, 1, 1)))
    });
    g.bench_function("kendall_mm10", |b| b.iter(|| black_box(kendall_run(&mm10))));
    g.bench_function("reference_mm10", |b| {
        b.iter(|| black_box(reference_run(9.0, 10, 1)))
    });
    g.bench_function("kendall_fan_out", |b| {
        b.iter(|| black_box(kendall_run(&fan)))
    });
    g.bench_function("reference_fan_out", |b| {
        b.iter(|| black_box(reference_run(3.6, 4, 3)))
    });
    g.finish();
}

criterion_group!(sim, benches);
criterion_main!(sim);
