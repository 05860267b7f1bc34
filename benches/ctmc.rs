//! Benchmarks of the Markov-chain solvers (`cargo bench --bench ctmc`).
//!
//! Inputs are built outside the timed closures.

use std::hint::black_box;

use divan::Bencher;
use kendall::analytic::ctmc::{BirthDeath, Ctmc, SteadyStateOptions};

fn main() {
    divan::main();
}

/// M/M/c/K as a birth–death chain with `n` states.
fn mmck(n: usize, lambda: f64, mu: f64, c: usize) -> BirthDeath {
    BirthDeath::new(n, |_| lambda, |i| i.min(c) as f64 * mu).expect("valid rates")
}

/// 10⁶ states: M/M/10/999999, λ = 9.5, μ = 1.
fn big() -> BirthDeath {
    mmck(1_000_000, 9.5, 1.0, 10)
}

#[divan::bench(sample_count = 10)]
fn gmres_ilu0_birth_death_1e6(bencher: Bencher) {
    let chain = big().ctmc().expect("irreducible");
    let opts = SteadyStateOptions::default();
    bencher.bench_local(|| black_box(&chain).steady_state_iterative(&opts));
}

#[divan::bench(sample_count = 10)]
fn product_form_birth_death_1e6(bencher: Bencher) {
    let big = big();
    bencher.bench_local(|| black_box(&big).steady_state());
}

#[divan::bench(sample_count = 10)]
fn build_ctmc_birth_death_1e6(bencher: Bencher) {
    let big = big();
    bencher.bench_local(|| black_box(&big).ctmc());
}

/// 500 states.
fn small() -> Ctmc {
    mmck(500, 9.5, 1.0, 10).ctmc().expect("irreducible")
}

#[divan::bench(sample_count = 10)]
fn dense_lu_500(bencher: Bencher) {
    let small = small();
    bencher.bench_local(|| black_box(&small).steady_state_dense());
}

#[divan::bench(sample_count = 10)]
fn gmres_ilu0_500(bencher: Bencher) {
    let small = small();
    let opts = SteadyStateOptions::default();
    bencher.bench_local(|| black_box(&small).steady_state_iterative(&opts));
}

/// A non-birth–death chain: two finite queues in tandem, 100 × 100 states.
const M: usize = 99;

fn tandem() -> Ctmc {
    let id = |a: usize, b: usize| a * (M + 1) + b;
    let mut t = Vec::new();
    for a in 0..=M {
        for b in 0..=M {
            if a < M {
                t.push((id(a, b), id(a + 1, b), 1.0));
            }
            if a > 0 && b < M {
                t.push((id(a, b), id(a - 1, b + 1), 1.3));
            }
            if b > 0 {
                t.push((id(a, b), id(a, b - 1), 1.1));
            }
        }
    }
    Ctmc::from_triplets((M + 1) * (M + 1), t).expect("irreducible")
}

#[divan::bench(sample_count = 10)]
fn gmres_ilu0_tandem_1e4(bencher: Bencher) {
    let tandem = tandem();
    let opts = SteadyStateOptions::default();
    bencher.bench_local(|| black_box(&tandem).steady_state_iterative(&opts));
}

/// The same chain from its product-form guess (each queue geometric with its own load,
/// 1/1.3 and 1/1.1), as the whole-model solver starts: the truncation at 99 makes the
/// guess inexact, so the solver still iterates.
#[divan::bench(sample_count = 10)]
fn from_product_form_tandem_1e4(bencher: Bencher) {
    let tandem = tandem();
    let opts = SteadyStateOptions::default();
    let start: Vec<f64> = (0..=M)
        .flat_map(|a| {
            (0..=M).map(move |b| (1.0f64 / 1.3).powi(a as i32) * (1.0f64 / 1.1).powi(b as i32))
        })
        .collect();
    bencher.bench_local(|| black_box(&tandem).steady_state_iterative_from(&opts, &start));
}

/// Λ = 19.5, t = 100: Λt = 1950 uniformisation steps.
#[divan::bench(sample_count = 10)]
fn uniformisation_1000_states_t100(bencher: Bencher) {
    let chain = mmck(1000, 9.5, 1.0, 10).ctmc().expect("irreducible");
    let mut init = vec![0.0; 1000];
    init[0] = 1.0;
    bencher.bench_local(|| black_box(&chain).transient(&init, 100.0));
}
