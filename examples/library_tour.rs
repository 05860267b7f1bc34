//! The library user's front door: a payment flow built in code, then solved, simulated,
//! compared, sized and swept, with kendall's latency chart written to a file.
//!
//! ```text
//! cargo run --release --example library_tour -- [OUT_DIR]      # default: the system temp dir
//! ```
//!
//! checkout (Poisson 800/s) → payments queue (10 consumers, 10 ms) → settlement topic →
//! ledger (4 × 4 ms) and risk (2 × 2 ms) listener pools. Every figure printed carries its
//! method (analytic) or its 95% interval (simulated).

use kendall::model::{ArrivalProcess, Distribution, Level, Queue, Route, Source, Topic};
use kendall::{
    DEFAULT_FLAG_THRESHOLD, Metric, Model, RunSettings, SizingOptions, SweepOptions, compare,
    simulate, size, solve, sweep,
};
use std::error::Error;
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn Error>> {
    let out_dir = std::env::args()
        .nth(1)
        .map_or_else(std::env::temp_dir, PathBuf::from);

    // 1. The model: one description for both engines, validated once.
    let ms = |x: f64| x / 1000.0;
    let model = Model::default()
        .with_source(Source::new(
            "checkout",
            ArrivalProcess::Poisson { rate: 800.0 },
            "payments",
        ))
        .with_queue(
            Queue::new("payments", 10, Distribution::Exponential { mean: ms(10.0) })
                .with_route(Route::To("settlement".into())),
        )
        .with_topic(Topic::new("settlement", ["ledger", "risk"]))
        .with_queue(Queue::new(
            "ledger",
            4,
            Distribution::Exponential { mean: ms(4.0) },
        ))
        .with_queue(Queue::new(
            "risk",
            2,
            Distribution::Exponential { mean: ms(2.0) },
        ))
        .validate()?;
    let p99 = Metric::SojournPercentile(Level::P99);

    // 2. Analytic: each queue by its most exact method, labelled.
    let solution = solve(&model)?;
    for node in &solution.nodes {
        let method = node.method_of(p99).map(ToString::to_string);
        println!(
            "{:<9} p99 {:>7.2} ms   {}",
            node.name,
            node.get(p99).unwrap_or(f64::NAN) * 1e3,
            method.unwrap_or_default()
        );
    }
    let e2e = solution.source("checkout").ok_or("no end-to-end figures")?;
    println!(
        "end to end p99 {:.2} ms ({})",
        e2e.get(p99).unwrap_or(f64::NAN) * 1e3,
        e2e.method_of(p99)
            .map(ToString::to_string)
            .unwrap_or_default()
    );

    // 3. Simulated: the same model, 8 replications in parallel, seeded.
    let settings = RunSettings {
        horizon: Some(60.0),
        warmup: 5.0,
        replications: 8,
        seed: 42,
        ..RunSettings::default()
    };
    let report = simulate(&model, &settings)?;
    let sim = report
        .source("checkout")
        .and_then(|s| s.get(p99))
        .ok_or("no simulated p99")?;
    println!(
        "simulated end to end p99 {:.2} ms, 95% interval {:.2} - {:.2} ms",
        sim.mean * 1e3,
        sim.lower.unwrap_or(f64::NAN) * 1e3,
        sim.upper.unwrap_or(f64::NAN) * 1e3
    );

    // 4. Side by side.
    let c = compare(&model, &settings, DEFAULT_FLAG_THRESHOLD, &|_, _| {})?;
    println!(
        "compare: {} figures, {} flagged approximations",
        c.rows.len(),
        c.flagged().count()
    );

    // 5. Sizing: the cheapest consumers meeting the SLO, verified by simulation.
    let slo = "end_to_end.p99 < 70ms".parse()?;
    let sizing = size(&model, &[slo], &SizingOptions::default())?;
    for d in &sizing.deployment {
        println!("size: {:<9} {} -> {} consumers", d.queue, d.given, d.chosen);
    }
    println!("all SLOs met: {}", sizing.all_met);

    // 6. A load sweep and kendall's chart of it.
    let options = SweepOptions {
        parameter: "load".into(),
        values: kendall::linspace(0.5, 1.15, 8)?,
        second: None,
        analytic: true,
        simulate: true,
    };
    let s = sweep(&model, &settings, &options, &|_, _| {})?;
    let path = out_dir.join("library_tour_latency.svg");
    let chart = kendall::report::plots::sweep_chart(model.model(), &s);
    kendall::report::chart::render_latency_load(&chart, &path)?;
    println!("wrote {}", path.display());
    Ok(())
}
