//! Windowed (closed-loop) sources: the simulator against exact closed-network answers.
//!
//! **Tolerance.** As in `sim_vs_theory.rs`: Student-t intervals at confidence 0.999
//! across replications; each assertion is `|estimate − exact| ≤ half_width(99.9 %)`.
//! Seeds are fixed, so the outcome is reproducible.

use kendall::analytic::solve;
use kendall::model::{
    ArrivalProcess, Distribution, Model, OnFull, Queue, RunSettings, Source, Topic,
};
use kendall::sim::{Estimate, Replication, simulate};

const CONFIDENCE: f64 = 0.999;

fn settings(horizon: f64, warmup: f64, replications: u32, seed: u64) -> RunSettings {
    RunSettings {
        horizon: Some(horizon),
        warmup,
        replications,
        seed,
        confidence: CONFIDENCE,
        ..RunSettings::default()
    }
}

#[track_caller]
fn check(what: &str, e: &Estimate, exact: f64) {
    let hw = e.half_width.expect("at least two replications");
    assert!(
        (e.mean - exact).abs() <= hw,
        "{what}: simulated {} ± {hw} (99.9 %), exact {exact}",
        e.mean
    );
}

fn windowed(lambda: f64, window: u32, to: &str) -> Source {
    let mut s = Source::new("producer", ArrivalProcess::Poisson { rate: lambda }, to);
    s.window = Some(window);
    s
}

/// Producer Poisson λ with window N into one M/M/1 queue of rate μ: the number in
/// flight is a birth–death chain on 0..=N with births λ (below N) and deaths μ, so
/// π_n ∝ (λ/μ)^n: the chain of M/M/1/K with K = N (Kleinrock 1975, Vol. 1, §3.6,
/// finite storage), summed directly here.
/// Returns (L, X, R) with X = μ(1 − π₀) and R = L / X (Little), by direct summation.
fn closed_mm1(lambda: f64, mu: f64, n: u32) -> (f64, f64, f64) {
    let rho = lambda / mu;
    let weights: Vec<f64> = (0..=n).map(|k| rho.powi(k as i32)).collect();
    let total: f64 = weights.iter().sum();
    let l: f64 = weights
        .iter()
        .enumerate()
        .map(|(k, w)| k as f64 * w / total)
        .sum();
    let x = mu * (1.0 - weights[0] / total);
    (l, x, l / x)
}

#[test]
fn window_into_mm1_matches_the_birth_death_chain() {
    let (lambda, mu, n) = (80.0, 100.0, 5);
    let (l, x, r) = closed_mm1(lambda, mu, n);
    let model = Model::default()
        .with_source(windowed(lambda, n, "q"))
        .with_queue(Queue::new(
            "q",
            1,
            Distribution::Exponential { mean: 1.0 / mu },
        ));
    let report = simulate(&model.validate().unwrap(), &settings(2000.0, 20.0, 10, 11)).unwrap();
    let q = report.queue("q").unwrap();
    check("L", &q.l, l);
    check("X", &q.throughput, x);
    check("utilisation", &q.utilisation, x / mu);
    check("sojourn", q.w.as_ref().unwrap(), r);
    let src = report.source("producer").unwrap();
    check("end-to-end", src.w.as_ref().unwrap(), r);
    assert!(report.conservation.is_balanced());
    // In flight never exceeds the window (summed over 10 replications).
    assert!(report.conservation.in_flight <= 10 * u64::from(n));

    // The analytic side (MVA on the closed network) agrees with the chain exactly.
    let closed = solve(&model.validate().unwrap())
        .unwrap()
        .closed
        .expect("a windowed model");
    assert!(
        (closed.throughput - x).abs() <= 1e-9 * x,
        "MVA X {}",
        closed.throughput
    );
    assert!(
        (closed.response_time - r).abs() <= 1e-9 * r,
        "MVA R {}",
        closed.response_time
    );
}

/// Window 1 through a topic to two M/M/1 subscribers: a cycle is Exp(λ) then the
/// maximum of Exp(μ₁) and Exp(μ₂), E[max] = 1/μ₁ + 1/μ₂ − 1/(μ₁+μ₂); so
/// R = E[max] and X = 1 / (1/λ + R) (renewal-reward).
#[test]
fn window_of_one_through_a_topic_waits_for_every_copy() {
    let (lambda, mu1, mu2) = (50.0, 40.0, 100.0);
    let r = 1.0 / mu1 + 1.0 / mu2 - 1.0 / (mu1 + mu2);
    let x = 1.0 / (1.0 / lambda + r);
    let model = Model::default()
        .with_source(windowed(lambda, 1, "t"))
        .with_topic(Topic::new("t", ["a", "b"]))
        .with_queue(Queue::new(
            "a",
            1,
            Distribution::Exponential { mean: 1.0 / mu1 },
        ))
        .with_queue(Queue::new(
            "b",
            1,
            Distribution::Exponential { mean: 1.0 / mu2 },
        ));
    let report = simulate(&model.validate().unwrap(), &settings(2000.0, 10.0, 10, 5)).unwrap();
    check("X a", &report.queue("a").unwrap().throughput, x);
    check("X b", &report.queue("b").unwrap().throughput, x);
    let src = report.source("producer").unwrap();
    check("end-to-end", src.w.as_ref().unwrap(), r);
    // With one message in flight nobody ever waits.
    assert_eq!(
        report.queue("a").unwrap().wait.as_ref().unwrap().p999.mean,
        0.0
    );
    assert!(report.conservation.in_flight <= 10);
}

/// A lost message frees its slot: window 2 into a queue of capacity 1 that rejects.
/// The in-flight count stays within the window and the source keeps producing.
#[test]
fn a_rejected_message_frees_its_window_slot() {
    let mut q = Queue::new("q", 1, Distribution::Exponential { mean: 0.01 });
    q.capacity = Some(1);
    q.on_full = OnFull::Reject;
    let model = Model::default()
        .with_source(windowed(200.0, 2, "q"))
        .with_queue(q);
    let st = settings(100.0, 0.0, 2, 3);
    let mut r = Replication::new(&model.validate().unwrap(), &st, 0).unwrap();
    r.run_until(f64::INFINITY).unwrap();
    let res = r.finish();
    assert!(res.conservation.is_balanced());
    assert!(res.conservation.in_flight <= 2);
    assert!(res.queues[0].rejected > 0);
    assert_eq!(
        res.sources[0].created,
        res.sources[0].finished + res.conservation.in_flight
    );
}
