//! Hot paths of the exact Markovian solvers: Erlang C at c = 10⁵, ρ = 0.999 (an O(c)
//! recursion), and M/M/c/K at K = 10⁶ (construction, which is O(c) and independent of K,
//! and a p99 sojourn, which inverts the uniformised CDF).
//!
//! Run: `cargo bench --bench erlang`

use divan::{Bencher, black_box};
use kendall::analytic::{MMc, MMcK, QueueMetrics, erlang_c};

fn main() {
    divan::main();
}

#[divan::bench(name = "erlang_c c=1e5 rho=0.999")]
fn erlang_c_large() -> f64 {
    erlang_c(black_box(100_000), black_box(99_900.0)).unwrap()
}

#[divan::bench(name = "MMc::new c=1e5 rho=0.999")]
fn mmc_new() -> MMc {
    MMc::new(black_box(99_900.0), 1.0, black_box(100_000)).unwrap()
}

#[divan::bench(name = "MMcK::new c=100 K=1e6 rho=0.999")]
fn mmck_new() -> MMcK {
    MMcK::new(black_box(99.9), 1.0, black_box(100), black_box(1_000_000)).unwrap()
}

#[divan::bench(name = "MMcK c=100 K=1e6 rho=0.999 sojourn p99")]
fn mmck_p99(bencher: Bencher) {
    let q = MMcK::new(99.9, 1.0, 100, 1_000_000).unwrap();
    bencher.bench_local(|| black_box(&q).sojourn_quantile(black_box(0.99)).unwrap());
}

/// ρ = 1 exactly: the wait is about K/(cμ), so each CDF evaluation sums ~√(10⁶)·40
/// Poisson terms; the worst case for the percentile.
#[divan::bench(name = "MMcK c=100 K=1e6 rho=1 sojourn p99", sample_count = 10)]
fn mmck_p99_saturated(bencher: Bencher) {
    let q = MMcK::new(100.0, 1.0, 100, 1_000_000).unwrap();
    bencher.bench_local(|| black_box(&q).sojourn_quantile(black_box(0.99)).unwrap());
}
