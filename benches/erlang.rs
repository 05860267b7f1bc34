//! Hot paths of the exact Markovian solvers: Erlang C at c = 10⁵, ρ = 0.999 (an O(c)
//! recursion), and M/M/c/K at K = 10⁶ (construction, which is O(c) and independent of K,
//! and a p99 sojourn, which inverts the uniformised CDF by bisection).

use criterion::{Criterion, criterion_group, criterion_main};
use kendall::analytic::MMc;
use kendall::analytic::MMcK;
use kendall::analytic::QueueMetrics;
use kendall::analytic::erlang_c;
use std::hint::black_box;

fn erlang(c: &mut Criterion) {
    c.bench_function("erlang_c c=1e5 rho=0.999", |b| {
        b.iter(|| erlang_c(black_box(100_000), black_box(99_900.0)).unwrap())
    });
    c.bench_function("MMc::new c=1e5 rho=0.999", |b| {
        b.iter(|| MMc::new(black_box(99_900.0), 1.0, black_box(100_000)).unwrap())
    });
    c.bench_function("MMcK::new c=100 K=1e6 rho=0.999", |b| {
        b.iter(|| MMcK::new(black_box(99.9), 1.0, black_box(100), black_box(1_000_000)).unwrap())
    });
    let q = MMcK::new(99.9, 1.0, 100, 1_000_000).unwrap();
    c.bench_function("MMcK c=100 K=1e6 rho=0.999 sojourn p99", |b| {
        b.iter(|| black_box(&q).sojourn_quantile(black_box(0.99)).unwrap())
    });
    // ρ = 1 exactly: the wait is about K/(cμ), so each CDF evaluation sums ~√(10⁶)·40
    // Poisson terms; the worst case for the percentile.
    let q = MMcK::new(100.0, 1.0, 100, 1_000_000).unwrap();
    let mut group = c.benchmark_group("slow");
    group.sample_size(10);
    group.bench_function("MMcK c=100 K=1e6 rho=1 sojourn p99", |b| {
        b.iter(|| black_box(&q).sojourn_quantile(black_box(0.99)).unwrap())
    });
    group.finish();
}

criterion_group!(benches, erlang);
criterion_main!(benches);
