//! RabbitMQ-style consumers: prefetch windows and consumer crash/restart, in both
//! engines. Exact redelivery counts on a saturated queue, conservation with crashes,
//! the breakdown CTMC against the matrix-geometric reference
//! (`tests/reference/breakdown_reference.py`) and against simulation, labels of the
//! approximations, validation with the field and the fix.

// Reference values are pasted as mpmath printed them (17 digits).
#![allow(clippy::excessive_precision)]

use kendall::analytic::Exactness;
use kendall::model::{ArrivalProcess, Crash, Distribution, Model, Queue, RunSettings, Source};
use kendall::sim::RELATIVE_ERROR;
use kendall::{NodeOutcome, ValidModel, simulate, solve};

fn exp(mean: f64) -> Distribution {
    Distribution::Exponential { mean }
}

fn crashing(consumers: u32, mean: f64, up: f64, down: f64) -> Queue {
    Queue::new("q", consumers, exp(mean)).with_crash(Crash::new(exp(up), exp(down)))
}

fn one(rate: f64, q: Queue) -> ValidModel {
    Model::default()
        .with_source(Source::new("in", ArrivalProcess::Poisson { rate }, "q"))
        .with_queue(q)
        .validate()
        .unwrap()
}

fn settings(horizon: f64, warmup: f64, replications: u32, seed: u64) -> RunSettings {
    RunSettings {
        horizon: Some(horizon),
        warmup,
        replications,
        seed,
        ..RunSettings::default()
    }
}

/// A saturated queue (a backlog of 10⁵ that 2 consumers cannot clear in the run): every
/// consumer always holds a full window, so each crash returns exactly `prefetch`
/// messages: 1 with prefetch 1, 100 with prefetch 100. Nothing is lost (conservation
/// balances), and the redelivered messages later complete.
#[test]
fn a_crash_returns_the_whole_window_exactly() {
    for prefetch in [1u32, 100] {
        let mut q = crashing(2, 1.0, 20.0, 2.0).with_prefetch(prefetch);
        q.initial_backlog = 100_000;
        let m = one(1e-3, q);
        let st = settings(400.0, 0.0, 3, 5);
        let r = simulate(&m, &st).unwrap();
        let c = r.queues[0].consumers.as_ref().unwrap();
        assert_eq!(c.prefetch, prefetch);
        assert_eq!(
            c.redelivered_per_crash,
            Some(f64::from(prefetch)),
            "prefetch {prefetch}"
        );
        for rep in 0..st.replications {
            let run = kendall::sim::run_replication(&m, &st, rep).unwrap();
            let k = run.queues[0].consumers.as_ref().unwrap();
            assert!(k.crashes >= 10, "{} crashes", k.crashes);
            assert_eq!(k.redelivered, k.crashes * u64::from(prefetch));
            assert!(run.conservation.is_balanced(), "{:?}", run.conservation);
            // Every window is full: 2·prefetch unacked while both are up.
            assert!(k.mean_unacked <= 2.0 * f64::from(prefetch) + 1e-9);
        }
        assert!(r.conservation.is_balanced());
    }
}

/// Conservation with crashes, failures and redelivery on a lightly loaded queue.
#[test]
fn conservation_holds_with_crashes_and_failures() {
    let q = crashing(3, 0.1, 5.0, 1.0)
        .with_prefetch(7)
        .with_redelivery(0.1, 3, 0.05);
    let m = one(12.0, q);
    let st = settings(300.0, 10.0, 3, 9);
    for rep in 0..st.replications {
        let run = kendall::sim::run_replication(&m, &st, rep).unwrap();
        assert!(run.conservation.is_balanced(), "{:?}", run.conservation);
        let k = run.queues[0].consumers.as_ref().unwrap();
        assert!(k.crashes > 50);
        assert!(k.availability > 0.7 && k.availability < 0.95);
    }
}

/// The exact chain against the simulator (c = 2, λ = 1, μ = 1, up Exp(1/20), down
/// Exp(2); reference case "pair"): L, W, P(wait), utilisation and availability within
/// 3 half-widths of the 95% intervals (20 replications: a false alarm for one figure
/// below 1e-4).
#[test]
fn simulation_matches_the_breakdown_chain() {
    let m = one(1.0, crashing(2, 1.0, 20.0, 2.0));
    let a = solve(&m).unwrap();
    let sol = a.nodes[0].solution().unwrap().clone();
    assert_eq!(sol.method.exactness, Exactness::Numerical);
    // tests/reference/breakdown_reference.py, case "pair".
    // (The script's P(an arrival finds every consumer up busy), 0.43892912209746015, is
    // no longer reported as P(wait) for several consumers: the wait is the time not in
    // service, see `wait_is_the_time_not_in_service_in_both_engines`.)
    let (l, w) = (1.6727355651046186, 1.6727355651046186);
    assert!((sol.l - l).abs() < 1e-7 * l, "L {}", sol.l);
    assert!((sol.w - w).abs() < 1e-7 * w);
    assert!(sol.p_wait.is_none());
    let r = simulate(&m, &settings(4000.0, 200.0, 20, 17)).unwrap();
    let q = &r.queues[0];
    within(&q.l, l, "L");
    within(&q.w.unwrap(), w, "W");
    within(&q.utilisation, 0.5, "utilisation");
    // Percentiles of the tagged message's positional chain (transforms inverted; an
    // approximation for several consumers, close at these rare crashes), widened by the
    // histogram's bound as every simulated percentile is.
    let (exact_w, exact_s) = (sol.wait.unwrap(), sol.sojourn.unwrap());
    assert_eq!(
        sol.distribution_method.as_ref().unwrap().exactness,
        Exactness::Approximation
    );
    let (sim_w, sim_s) = (q.wait.unwrap(), q.sojourn.unwrap());
    for (what, est, x) in [
        ("wait p95", sim_w.p95, exact_w.p95),
        ("p50", sim_s.p50, exact_s.p50),
        ("p95", sim_s.p95, exact_s.p95),
        ("p99", sim_s.p99, exact_s.p99),
    ] {
        let widen = RELATIVE_ERROR * x;
        let h = est.half_width.unwrap();
        assert!(
            (est.mean - x).abs() <= 3.0 * h + widen,
            "{what}: simulated {} ± {h}, exact {x}",
            est.mean
        );
    }
    let c = q.consumers.as_ref().unwrap();
    within(&c.availability, 10.0 / 11.0, "availability");
    assert!(r.conservation.is_balanced());
}

/// The wait is the time not being served (sojourn less the service of every attempt,
/// a crashed one included) in both engines, on frequent crashes (λ 1.5, 3 consumers of
/// mean 1 s, up 2 s, restart 1 s): the simulated Wq covers the analytic W − 1/μ, Lq
/// covers λ·Wq (Little), and P(wait) covers the exact value of the documented
/// discipline. Exact figures from tests/reference/crash_wait_reference.py (case
/// crash_c3_fast: (n, u) chain truncated at 600, tagged chain at 120, censored):
/// W − 1/μ = 1.7685435937269651, Lq = λ(W − 1/μ) = 2.6528153905904475, P(wait) =
/// 0.7593360595648903 (an arrival finding every consumer up busy: 0.6901; the old
/// simulated definition, sojourn less the last attempt, gave 0.794 and Wq 2.11).
#[test]
fn wait_is_the_time_not_in_service_in_both_engines() {
    let m = one(1.5, crashing(3, 1.0, 2.0, 1.0));
    let a = solve(&m).unwrap();
    let sol = a.nodes[0].solution().unwrap().clone();
    let (wq, lq, p_wait) = (1.7685435937269651, 2.6528153905904475, 0.7593360595648903);
    assert!((sol.wq - wq).abs() < 1e-8 * wq, "Wq {}", sol.wq);
    assert!((sol.lq - lq).abs() < 1e-8 * lq, "Lq {}", sol.lq);
    // Several consumers: no P(wait) (not derived for the documented discipline), the
    // percentiles labelled approximations.
    assert!(sol.p_wait.is_none());
    assert_eq!(
        sol.distribution_method.as_ref().unwrap().exactness,
        Exactness::Approximation
    );
    let r = simulate(&m, &settings(200_000.0, 100.0, 8, 3)).unwrap();
    let q = &r.queues[0];
    within(&q.wq.unwrap(), wq, "Wq");
    within(&q.lq, lq, "Lq");
    within(&q.p_wait.unwrap(), p_wait, "P(wait)");
    // Little on the simulated figures themselves: Lq ≈ λ·Wq within the intervals.
    let (sl, sw) = (&q.lq, q.wq.unwrap());
    let slack = 3.0 * (sl.half_width.unwrap() + 1.5 * sw.half_width.unwrap());
    assert!(
        (sl.mean - 1.5 * sw.mean).abs() <= slack,
        "Lq {} vs λ·Wq {}",
        sl.mean,
        1.5 * sw.mean
    );
}

/// Prefetch > 1 with several consumers, and general distributions: labelled
/// approximations, never exact; beyond c·μ·A: refused with the figures.
#[test]
fn approximations_are_labelled_and_overload_is_refused() {
    let m = one(1.0, crashing(2, 1.0, 20.0, 2.0).with_prefetch(10));
    let a = solve(&m).unwrap();
    let sol = a.nodes[0].solution().unwrap();
    assert_eq!(sol.method.exactness, Exactness::Approximation);
    assert!(
        sol.method.name.contains("pooled (prefetch-1)"),
        "{}",
        sol.method.name
    );
    // Percentiles of the pooled chain: a lower bound, labelled as the means are.
    assert!(sol.sojourn.is_some());
    assert_eq!(
        sol.distribution_method.as_ref().unwrap().exactness,
        Exactness::Approximation
    );

    let q = Queue::new("q", 2, Distribution::Deterministic { value: 1.0 })
        .with_crash(Crash::new(exp(20.0), exp(2.0)));
    let a = solve(&one(1.0, q)).unwrap();
    let sol = a.nodes[0].solution().unwrap();
    assert_eq!(sol.method.exactness, Exactness::Approximation);
    assert!(
        sol.method.name.contains("availability-adjusted"),
        "{}",
        sol.method.name
    );

    // c μ A = 2 · 1 · 10/11 = 1.818 < 1.9.
    let a = solve(&one(1.9, crashing(2, 1.0, 20.0, 2.0))).unwrap();
    match &a.nodes[0].outcome {
        NodeOutcome::Unstable {
            reason,
            utilisation,
        } => {
            assert!(reason.contains("1.8182"), "{reason}");
            assert!(*utilisation > 1.0);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn validation_names_the_field_and_the_fix() {
    let problems = |q: Queue| -> Vec<String> {
        Model::default()
            .with_source(Source::new(
                "in",
                ArrivalProcess::Poisson { rate: 1.0 },
                "q",
            ))
            .with_queue(q)
            .validate()
            .unwrap_err()
            .problems()
            .iter()
            .map(|p| p.to_string())
            .collect()
    };
    let got = problems(Queue::new("q", 2, exp(0.1)).with_prefetch(0));
    assert!(
        got[0].starts_with("queue \"q\".prefetch: must be >= 1"),
        "{got:?}"
    );
    assert!(got[0].contains("omit prefetch"), "{got:?}");
    let got = problems(Queue::new("q", 2, exp(0.1)).with_prefetch(70_000));
    assert!(got[0].contains("<= 65535"), "{got:?}");
    let q = Queue::new("q", 2, exp(0.1)).with_crash(Crash::new(
        Distribution::Deterministic { value: 0.0 },
        exp(1.0),
    ));
    let got = problems(q);
    assert!(
        got[0].starts_with("queue \"q\".crash.time_to_failure: must have a mean > 0"),
        "{got:?}"
    );
    let q = Queue::new("q", 2, exp(0.1))
        .with_prefetch(5)
        .with_discipline(kendall::model::Discipline::Priority);
    let got = problems(q);
    assert!(got[0].contains("priority discipline"), "{got:?}");
    let text = r#"
[[source]]
name = "in"
arrival = { type = "poisson", rate = 1.0 }
to = "q"
[[queue]]
name = "q"
consumers = 2
service = { type = "exponential", mean = "10ms" }
prefetch = 10
crash = { time_to_failure = { type = "exponential", mean = "2min" }, restart = { type = "exponential", mean = "10s" } }
"#;
    let m = Model::from_toml_str(text).unwrap();
    let c = m.queues[0].crash.as_ref().unwrap();
    assert_eq!(c.time_to_failure.mean(), 120.0);
    assert_eq!(c.restart.mean(), 10.0);
}

/// The example runs in both engines: the prefetch-1 queue is exact, the prefetch-20
/// queue an approximation, and the simulation reports crashes for both.
#[test]
fn the_example_solves_and_simulates() {
    let m = Model::load(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/rabbitmq_crash.toml"
    ))
    .unwrap()
    .validate()
    .unwrap();
    let a = solve(&m).unwrap();
    let s0 = a.nodes[0].solution().unwrap();
    let s1 = a.nodes[1].solution().unwrap();
    assert_eq!(s0.method.exactness, Exactness::Approximation);
    assert_eq!(s1.method.exactness, Exactness::Numerical);
    // tests/reference/breakdown_reference.py, case "example".
    assert!((s1.l - 62.816974753516536).abs() < 1e-6 * 62.8, "{}", s1.l);
}

/// Asserts that the simulated estimate `e` lies within three half-widths of the exact `x`.
fn within(e: &kendall::sim::Estimate, x: f64, what: &str) {
    let h = e.half_width.unwrap();
    assert!(
        (e.mean - x).abs() <= 3.0 * h,
        "{what}: simulated {} ± {h}, exact {x}",
        e.mean
    );
}
