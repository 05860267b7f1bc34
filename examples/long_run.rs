//! A long single replication for speed and memory measurements, all statistics on:
//! by default M/M/1 at ρ = 0.9 for 5·10⁷ customers (10⁸ events).
//!
//! ```text
//! cargo build --release --example long_run
//! /usr/bin/time -v target/release/examples/long_run        # "Maximum resident set size"
//! target/release/examples/long_run 1000000                 # customers (default 5e7)
//! target/release/examples/long_run 1000000 fanout          # or mm10: other models
//! ```
use kendall::model::{ArrivalProcess, Distribution, Model, Queue, RunSettings, Source, Topic};
use kendall::sim::Replication;

fn main() {
    let customers: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(50_000_000);
    let which = std::env::args().nth(2).unwrap_or_default();
    let exp = Distribution::Exponential { mean: 1.0 };
    let model = match which.as_str() {
        "mm10" => Model::default()
            .with_source(Source::new(
                "in",
                ArrivalProcess::Poisson { rate: 9.0 },
                "q",
            ))
            .with_queue(Queue::new("q", 10, exp)),
        "fanout" => Model::default()
            .with_source(Source::new(
                "in",
                ArrivalProcess::Poisson { rate: 3.6 },
                "t",
            ))
            .with_topic(Topic::new("t", ["q", "b", "c"]))
            .with_queue(Queue::new("q", 4, exp.clone()))
            .with_queue(Queue::new("b", 4, exp.clone()))
            .with_queue(Queue::new("c", 4, exp)),
        _ => Model::default()
            .with_source(Source::new(
                "in",
                ArrivalProcess::Poisson { rate: 0.9 },
                "q",
            ))
            .with_queue(Queue::new("q", 1, exp)),
    };
    let settings = RunSettings {
        completions: Some(customers),
        replications: 1,
        ..RunSettings::default()
    };
    let start = std::time::Instant::now();
    let mut r = Replication::new(&model.validate().unwrap(), &settings, 0).expect("valid model");
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
        "first queue: L = {:.4} (M/M/1: 9), W = {:.4} (10), p99(W) = {:.3} ({:.3})",
        q.l,
        q.sojourn.as_ref().map_or(0.0, |s| s.mean),
        q.sojourn.as_ref().map_or(0.0, |s| s.p99),
        -(0.01f64).ln() * 10.0
    );
}
