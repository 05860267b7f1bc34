//! A long single replication for memory measurements: M/M/1 at ρ = 0.9 until about
//! 10⁸ events (5·10⁷ customers, two events each), all statistics on.
//!
//! ```text
//! cargo build --release --example long_run
//! /usr/bin/time -v target/release/examples/long_run        # "Maximum resident set size"
//! target/release/examples/long_run 1000000                 # customers (default 5e7)
//! ```
use kendall::model::{ArrivalProcess, Distribution, Model, Queue, RunSettings, Source};
use kendall::sim::Replication;

fn main() {
    let customers: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(50_000_000);
    let model = Model::default()
        .with_source(Source::new(
            "in",
            ArrivalProcess::Poisson { rate: 0.9 },
            "q",
        ))
        .with_queue(Queue::new("q", 1, Distribution::Exponential { mean: 1.0 }));
    let settings = RunSettings {
        completions: Some(customers),
        replications: 1,
        ..RunSettings::default()
    };
    let start = std::time::Instant::now();
    let mut r = Replication::new(&model, &settings, 0).expect("valid model");
    r.run_until(f64::INFINITY).expect("run");
    let events = r.events();
    let secs = start.elapsed().as_secs_f64();
    let result = r.finish();
    let q = &result.queues[0];
    println!(
        "{customers} customers, {events} events in {secs:.2} s: {:.2} M customers/s, {:.2} M events/s",
        customers as f64 / secs / 1e6,
        events as f64 / secs / 1e6
    );
    println!(
        "L = {:.4} (exact 9), W = {:.4} (exact 10), p99(W) = {:.3} (exact {:.3})",
        q.l,
        q.sojourn.map_or(0.0, |s| s.mean),
        q.sojourn.map_or(0.0, |s| s.p99),
        -(0.01f64).ln() * 10.0
    );
}
