//! Benchmarks of the Markov-chain solvers (`cargo bench --bench ctmc`).
//!
//! Inputs are built outside the timed closures.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use kendall::analytic::ctmc::{BirthDeath, Ctmc, SteadyStateOptions};

/// M/M/c/K as a birth–death chain with `n` states.
fn mmck(n: usize, lambda: f64, mu: f64, c: usize) -> BirthDeath {
    BirthDeath::new(n, |_| lambda, |i| i.min(c) as f64 * mu).expect("valid rates")
}

fn steady_state(c: &mut Criterion) {
    let mut g = c.benchmark_group("ctmc_steady_state");
    g.sample_size(10);

    // 10⁶ states: M/M/10/999999, λ = 9.5, μ = 1.
    let big = mmck(1_000_000, 9.5, 1.0, 10);
    let big_chain = big.ctmc().expect("irreducible");
    let opts = SteadyStateOptions::default();
    g.bench_function("gmres_ilu0_birth_death_1e6", |b| {
        b.iter(|| black_box(&big_chain).steady_state_iterative(&opts))
    });
    g.bench_function("product_form_birth_death_1e6", |b| {
        b.iter(|| black_box(&big).steady_state())
    });
    g.bench_function("build_ctmc_birth_death_1e6", |b| {
        b.iter(|| black_box(&big).ctmc())
    });

    // 500 states, dense LU.
    let small = mmck(500, 9.5, 1.0, 10).ctmc().expect("irreducible");
    g.bench_function("dense_lu_500", |b| {
        b.iter(|| black_box(&small).steady_state_dense())
    });
    g.bench_function("gmres_ilu0_500", |b| {
        b.iter(|| black_box(&small).steady_state_iterative(&opts))
    });

    // A non-birth–death chain: two finite queues in tandem, 100 × 100 states.
    let m = 99;
    let id = |a: usize, b: usize| a * (m + 1) + b;
    let mut t = Vec::new();
    for a in 0..=m {
        for b in 0..=m {
            if a < m {
                t.push((id(a, b), id(a + 1, b), 1.0));
            }
            if a > 0 && b < m {
                t.push((id(a, b), id(a - 1, b + 1), 1.3));
            }
            if b > 0 {
                t.push((id(a, b), id(a, b - 1), 1.1));
            }
        }
    }
    let tandem = Ctmc::from_triplets((m + 1) * (m + 1), t).expect("irreducible");
    g.bench_function("gmres_ilu0_tandem_1e4", |b| {
        b.iter(|| black_box(&tandem).steady_state_iterative(&opts))
    });
    // The same chain from its product-form guess (each queue geometric with its own
    // load, 1/1.3 and 1/1.1), as the whole-model solver starts: the truncation at 99
    // makes the guess inexact, so the solver still iterates.
    let start: Vec<f64> = (0..=m)
        .flat_map(|a| {
            (0..=m).map(move |b| (1.0f64 / 1.3).powi(a as i32) * (1.0f64 / 1.1).powi(b as i32))
        })
        .collect();
    g.bench_function("from_product_form_tandem_1e4", |b| {
        b.iter(|| black_box(&tandem).steady_state_iterative_from(&opts, &start))
    });
    g.finish();
}

fn transient(c: &mut Criterion) {
    let mut g = c.benchmark_group("ctmc_transient");
    g.sample_size(10);
    let chain = mmck(1000, 9.5, 1.0, 10).ctmc().expect("irreducible");
    let mut init = vec![0.0; 1000];
    init[0] = 1.0;
    // Λ = 19.5, t = 100: Λt = 1950 uniformisation steps.
    g.bench_function("uniformisation_1000_states_t100", |b| {
        b.iter(|| black_box(&chain).transient(&init, 100.0))
    });
    g.finish();
}

criterion_group!(benches, steady_state, transient);
criterion_main!(benches);
