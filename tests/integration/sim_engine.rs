//! Engine properties: determinism across thread counts, message conservation,
//! simultaneous events, blocking, redelivery, traces, time series, run control.

use kendall::model::{
    ArrivalProcess, Discipline, Distribution, Model, OnFull, Queue, Route, RunSettings, Segment,
    Source, Topic,
};
use kendall::sim::{SimError, run_replication, simulate};

use crate::common;
use common::build::{exp, mmc_model, poisson, poisson_into, split, theory_settings};
use common::exact::truncated_geometric;
use common::tol::{CLOCK, CLOSED_FORM};
use common::{assert_abs, assert_covers};

fn in_pool<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
        .install(f)
}

/// Everything at once: two priority sources (one bursty MMPP, one Poisson) into a
/// preemptive queue with redeliveries and a dead-letter queue, a topic with three
/// listeners (one finite and rejecting, one finite and blocking), a probabilistic
/// route back into the topic's listener, and a start-up backlog.
fn kitchen_sink() -> Model {
    let mut hi = Source::new(
        "bursty",
        ArrivalProcess::Mmpp {
            rates: vec![2.0, 20.0],
            generator: vec![vec![-0.1, 0.1], vec![1.0, -1.0]],
        },
        "payments",
    );
    hi.priority = 1;
    let mut lo = Source::new("steady", poisson(3.0), "payments");
    lo.priority = 2;
    let mut payments = Queue::new("payments", 3, Distribution::Erlang { k: 2, mean: 0.3 })
        .with_discipline(Discipline::PreemptivePriority)
        .with_redelivery(0.1, 3, 0.5)
        .with_route(Route::To("settled".into()));
    payments.dead_letter = Some("dlq".into());
    payments.initial_backlog = 50;
    let ledger = Queue::new("ledger", 2, exp(0.2))
        .with_capacity(4)
        .with_route(split(&[("audit", 0.3), ("exit", 0.7)]));
    let mut risk = Queue::new("risk", 1, exp(0.15)).with_capacity(3);
    risk.on_full = OnFull::Block;
    let mut audit =
        Queue::new("audit", 1, Distribution::Deterministic { value: 0.1 }).with_capacity(2);
    audit.on_full = OnFull::Block;
    Model::default()
        .with_source(hi)
        .with_source(lo)
        .with_queue(payments)
        .with_topic(Topic::new("settled", ["ledger", "risk", "notify"]))
        .with_queue(ledger)
        .with_queue(risk)
        .with_queue(Queue::new(
            "notify",
            1,
            Distribution::Uniform { min: 0.0, max: 0.2 },
        ))
        .with_queue(audit)
        .with_queue(Queue::new("dlq", 1, exp(0.01)))
}

#[test]
fn bit_identical_for_one_and_two_threads() {
    let model = kitchen_sink();
    let s = RunSettings {
        horizon: Some(500.0),
        warmup: 20.0,
        replications: 6,
        seed: 99,
        time_series: Some(50.0),
        ..RunSettings::default()
    };
    let one = in_pool(1, || simulate(&model.validate().unwrap(), &s).unwrap());
    let two = in_pool(2, || simulate(&model.validate().unwrap(), &s).unwrap());
    assert_eq!(
        serde_json::to_string(&one).unwrap(),
        serde_json::to_string(&two).unwrap()
    );
    assert_eq!(one, two);
    let other_seed = simulate(
        &model.validate().unwrap(),
        &RunSettings {
            seed: 100,
            ..s.clone()
        },
    )
    .unwrap();
    assert_ne!(one, other_seed);
}

/// A run that may be stopped goes in chunks of simulated time, looking at the flag
/// between them: not stopped, it is bit-identical to the plain run (warm-up, time
/// series, blocking, crashes and all); stopped, it ends with `Cancelled`, also from
/// another thread mid-run.
#[test]
fn a_stoppable_run_is_the_plain_run_until_stopped() {
    use kendall::sim::simulate_with_control;
    use std::sync::atomic::{AtomicBool, Ordering};
    let model = kitchen_sink().validate().unwrap();
    let s = RunSettings {
        horizon: Some(2_000.0),
        warmup: 20.0,
        replications: 3,
        seed: 7,
        time_series: Some(50.0),
        ..RunSettings::default()
    };
    let plain = simulate(&model, &s).unwrap();
    let go_on = AtomicBool::new(false);
    let chunked = simulate_with_control(&model, &s, &|_, _| {}, &go_on).unwrap();
    assert_eq!(
        serde_json::to_string(&plain).unwrap(),
        serde_json::to_string(&chunked).unwrap()
    );
    let stop = AtomicBool::new(false);
    let long = RunSettings {
        horizon: Some(1e9),
        time_series: None,
        ..s
    };
    let started = std::time::Instant::now();
    let e = std::thread::scope(|scope| {
        scope.spawn(|| {
            std::thread::sleep(std::time::Duration::from_millis(200));
            stop.store(true, Ordering::Relaxed);
        });
        simulate_with_control(&model, &long, &|_, _| {}, &stop).unwrap_err()
    });
    assert!(matches!(e, SimError::Cancelled), "{e}");
    assert!(
        started.elapsed().as_secs_f64() < 5.0,
        "{:?}",
        started.elapsed()
    );
}

/// The time series carries, per bucket, the mean over replications and its confidence
/// band: the Student-t interval of the replications' own bucket values (recomputed here
/// with statrs), clipped at 0; the p99 tables the same over each replication's bucket
/// p99; and nothing depends on the thread count.
#[test]
fn time_series_bands_bracket_the_mean() {
    use statrs::distribution::{ContinuousCDF, StudentsT};
    let model = kitchen_sink();
    let s = RunSettings {
        horizon: Some(300.0),
        warmup: 20.0,
        replications: 5,
        seed: 7,
        time_series: Some(40.0),
        ..RunSettings::default()
    };
    let one = in_pool(1, || simulate(&model.validate().unwrap(), &s).unwrap());
    let two = in_pool(2, || simulate(&model.validate().unwrap(), &s).unwrap());
    let ts = one.time_series.clone().unwrap();
    assert_eq!(Some(&ts), two.time_series.as_ref());
    let n = ts.start.len();
    assert!(n >= 8, "{n} buckets");
    for table in [
        ts.length.len(),
        ts.queue_length_lower.len(),
        ts.queue_length_upper.len(),
        ts.sojourn_lower.len(),
        ts.sojourn_p99_upper.len(),
        ts.latency_upper.len(),
        ts.latency_p99.len(),
    ] {
        assert_eq!(table, n);
    }
    let runs: Vec<_> = (0..s.replications)
        .map(|i| run_replication(&model.validate().unwrap(), &s, i).unwrap())
        .collect();
    // The interval of the mean of `xs` at the run's confidence, clipped at 0.
    let interval = |xs: Vec<f64>| -> Option<(f64, f64, f64)> {
        let k = xs.len() as f64;
        if xs.is_empty() {
            return None;
        }
        let mean = xs.iter().sum::<f64>() / k;
        if xs.len() < 2 {
            return Some((mean, mean, mean));
        }
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (k - 1.0);
        let t = StudentsT::new(0.0, 1.0, k - 1.0)
            .unwrap()
            .inverse_cdf(0.5 * (1.0 + s.confidence));
        let h = t * (var / k).sqrt();
        Some((mean, (mean - h).max(0.0), mean + h))
    };
    let close = |a: (f64, f64, f64), b: (f64, f64, f64), what: &str| {
        for (x, y) in [(a.0, b.0), (a.1, b.1), (a.2, b.2)] {
            assert!(
                (x - y).abs() <= 1e-9 * y.abs().max(1e-12),
                "{what}: {a:?} vs {b:?}"
            );
        }
    };
    let mut some_spread = false;
    for b in 0..n {
        for q in 0..ts.queues.len() {
            let cell = (
                ts.queue_length[b][q],
                ts.queue_length_lower[b][q],
                ts.queue_length_upper[b][q],
            );
            assert!(
                cell.1 <= cell.0 && cell.0 <= cell.2,
                "bucket {b} queue {q}: {cell:?}"
            );
            some_spread |= cell.2 > cell.1;
            let own = interval(runs.iter().map(|r| r.series[b].queue_length[q]).collect());
            close(cell, own.unwrap(), &format!("L bucket {b} queue {q}"));
            for (mean, lower, upper, own, what) in [
                (
                    &ts.sojourn,
                    &ts.sojourn_lower,
                    &ts.sojourn_upper,
                    interval(runs.iter().filter_map(|r| r.series[b].sojourn[q]).collect()),
                    "W",
                ),
                (
                    &ts.sojourn_p99,
                    &ts.sojourn_p99_lower,
                    &ts.sojourn_p99_upper,
                    interval(
                        runs.iter()
                            .filter_map(|r| r.series[b].sojourn_p99[q])
                            .collect(),
                    ),
                    "p99",
                ),
            ] {
                match ((mean[b][q], lower[b][q], upper[b][q]), own) {
                    ((Some(m), Some(lo), Some(hi)), Some(own)) => {
                        close((m, lo, hi), own, &format!("{what} bucket {b} queue {q}"))
                    }
                    ((None, None, None), None) => {}
                    (other, own) => panic!("bucket {b} queue {q} {what}: {other:?} vs {own:?}"),
                }
            }
        }
        for k in 0..ts.sources.len() {
            let own = interval(
                runs.iter()
                    .filter_map(|r| r.series[b].latency_p99[k])
                    .collect(),
            );
            match (
                ts.latency_p99[b][k],
                ts.latency_p99_lower[b][k],
                ts.latency_p99_upper[b][k],
            ) {
                (Some(m), Some(lo), Some(hi)) => {
                    close(
                        (m, lo, hi),
                        own.unwrap(),
                        &format!("p99 bucket {b} source {k}"),
                    );
                    // A bucket's p99 is not below its mean latency.
                    assert!(m >= ts.latency[b][k].unwrap() * 0.99);
                }
                (None, None, None) => assert_eq!(own, None),
                other => panic!("bucket {b} source {k}: partly missing {other:?}"),
            }
        }
    }
    assert!(some_spread, "replications should differ somewhere");
    // Buckets tile the run: each starts where the previous one ended.
    for b in 1..n {
        assert_abs!(
            ts.start[b - 1] + ts.length[b - 1],
            ts.start[b],
            CLOCK,
            "bucket {b}"
        );
    }
}

#[test]
fn messages_are_conserved_per_node_and_overall() {
    let model = kitchen_sink();
    for horizon in [3.0, 50.0, 400.0] {
        let s = RunSettings {
            horizon: Some(horizon),
            replications: 4,
            ..RunSettings::default()
        };
        let r = simulate(&model.validate().unwrap(), &s).unwrap();
        let c = r.conservation;
        assert!(c.is_balanced(), "{c:?}");
        if horizon >= 400.0 {
            assert!(common::assert_conservation_and_little(&r));
        }
        for q in &r.queues {
            assert!(q.counts.is_balanced(), "{}: {:?}", q.name, q.counts);
        }
        if horizon >= 400.0 {
            // Every feature was exercised.
            assert!(r.queue("ledger").unwrap().counts.rejected > 0);
            assert!(r.queue("payments").unwrap().counts.dead_lettered > 0);
            assert!(r.queue("payments").unwrap().redeliveries.mean > 0.0);
            assert!(r.queue("dlq").unwrap().counts.offered > 0);
            assert!(r.queue("risk").unwrap().p_block.unwrap().mean > 0.0);
            assert!(r.queue("audit").unwrap().counts.completed > 0);
            assert!(c.rejected > 0 && c.completed > 0);
        }
    }
}

/// Deterministic arrivals every 1 s and deterministic 1 s services: every arrival
/// coincides with the previous departure. The calendar serves the arrival (scheduled
/// earlier) first, then the departure, and the newcomer starts at once: nobody
/// waits, nothing is lost, L = 1 exactly, and the counts are exact.
#[test]
fn simultaneous_events_keep_order_and_lose_nothing() {
    let model = Model::default()
        .with_source(Source::new(
            "tick",
            ArrivalProcess::Deterministic { rate: 1.0 },
            "q",
        ))
        .with_queue(Queue::new(
            "q",
            1,
            Distribution::Deterministic { value: 1.0 },
        ));
    let s = RunSettings {
        horizon: Some(1000.0),
        replications: 2,
        ..RunSettings::default()
    };
    let r = run_replication(&model.validate().unwrap(), &s, 0).unwrap();
    let q = &r.queues[0];
    // Arrivals at 1..=999 (the end at 1000 was scheduled first), departures at 2..=999.
    assert_eq!(r.conservation.created, 999);
    assert_eq!(q.counts.completed, 998);
    assert_eq!(q.counts.in_node, 1);
    let w = q.wait.as_ref().unwrap();
    assert_eq!((w.mean, w.p999), (0.0, 0.0));
    assert_eq!(q.sojourn.as_ref().unwrap().mean, 1.0);
    assert_abs!(q.l, 0.999, CLOSED_FORM, "L");
    assert_eq!(q.lq, 0.0);
}

/// A Poisson source (λ = 0.8) blocked by a full exponential queue (μ = 1, K = 3,
/// `block`): the source holds one message and stops. States 0..K plus "full with a
/// held message" form a birth–death chain with rates λ up and μ down, so
/// pᵢ ∝ ρⁱ, i = 0..K+1; L = Σᵢ≤K i pᵢ + K p_{K+1}; throughput μ(1 − p₀).
#[test]
fn blocked_source_matches_birth_death_chain() {
    let (lambda, k) = (0.8f64, 3u64);
    let p = truncated_geometric(lambda, k as usize + 1);
    let l: f64 =
        (0..=k as usize).map(|i| i as f64 * p[i]).sum::<f64>() + k as f64 * p[k as usize + 1];
    let x = 1.0 - p[0];
    let mut q = Queue::new("q", 1, exp(1.0)).with_capacity(k);
    q.on_full = OnFull::Block;
    let model = poisson_into(lambda, q);
    let s = theory_settings(50_000.0, 100.0, 10, 1);
    let r = simulate(&model.validate().unwrap(), &s).unwrap();
    let q = r.queue("q").unwrap();
    assert_covers!(&q.l, l, "L");
    assert_covers!(&q.throughput, x, "X");
    assert_eq!(q.counts.rejected, 0);
    assert!(r.conservation.is_balanced());
}

/// A blocked consumer: "a" (fast) feeds "b" (slow, K = 2, block). While "b" is full,
/// "a"'s consumer holds its finished message: nothing is lost and "a"'s utilisation
/// exceeds its pure service demand λ/μₐ.
#[test]
fn blocking_after_service_holds_the_consumer() {
    let mut b = Queue::new("b", 1, exp(1.0)).with_capacity(2);
    b.on_full = OnFull::Block;
    let model = Model::default()
        .with_source(Source::new("in", poisson(0.7), "a"))
        .with_queue(Queue::new("a", 1, exp(0.5)).with_route(Route::To("b".into())))
        .with_queue(b);
    let r = simulate(
        &model.validate().unwrap(),
        &RunSettings {
            horizon: Some(20_000.0),
            replications: 4,
            ..RunSettings::default()
        },
    )
    .unwrap();
    let a = r.queue("a").unwrap();
    assert!(
        a.utilisation.mean > 0.7 * 0.5 + 0.05,
        "{}",
        a.utilisation.mean
    );
    assert_eq!(r.conservation.rejected, 0);
    assert!(r.conservation.is_balanced());
    assert!(r.queue("b").unwrap().p_block.unwrap().mean > 0.0);
}

/// Failed deliveries with immediate redelivery to the tail: with exponential service
/// the number in an M/M/1 node evolves as in M/M/1 with service rate μ(1 − p)
/// (a failure returns the message without changing the count), so
/// L = ρ'/(1 − ρ'), ρ' = λ/(μ(1 − p)); redeliveries per message p/(1 − p).
/// With max_attempts = 2 the dead-letter fraction is p² exactly in expectation.
#[test]
fn redelivery_and_dead_letters() {
    let (lambda, p) = (0.5, 0.2);
    let model = poisson_into(
        lambda,
        Queue::new("q", 1, exp(1.0)).with_redelivery(p, 60, 0.0),
    );
    let s = theory_settings(40_000.0, 200.0, 10, 1);
    let r = simulate(&model.validate().unwrap(), &s).unwrap();
    let q = r.queue("q").unwrap();
    let rho = lambda / (1.0 - p);
    assert_covers!(&q.l, rho / (1.0 - rho), "L");
    let per_msg = q.redeliveries.mean / (q.throughput.mean * r.measured_time.mean);
    assert_abs!(per_msg, p / (1.0 - p), 0.01, "redeliveries per message");

    let mut model2 = model.clone();
    model2.queues[0].max_attempts = 2;
    let r = simulate(&model2.validate().unwrap(), &s).unwrap();
    let q = r.queue("q").unwrap();
    let frac = q.counts.dead_lettered as f64 / q.counts.offered as f64;
    let n = q.counts.offered as f64;
    // Four binomial standard deviations.
    let four_sigma = 4.0 * (p * p * (1.0 - p * p) / n).sqrt();
    assert_abs!(frac, p * p, four_sigma, "dead-letter fraction");
    assert_eq!(r.conservation.dead_lettered, q.counts.dead_lettered);
}

#[test]
fn trace_replay_and_its_errors() {
    let dir = std::env::temp_dir().join(format!("kendall-sim-trace-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("good.csv");
    std::fs::write(&good, "timestamp\n0.5\n1.0\n1.0\n7.25\n").unwrap();
    let model = |file: &std::path::Path| {
        Model::default()
            .with_source(Source::new(
                "replay",
                ArrivalProcess::Trace { file: file.into() },
                "q",
            ))
            .with_queue(Queue::new(
                "q",
                1,
                Distribution::Deterministic { value: 1.0 },
            ))
    };
    let s = RunSettings {
        horizon: Some(100.0),
        replications: 2,
        ..RunSettings::default()
    };
    let r = run_replication(&(model(&good)).validate().unwrap(), &s, 0).unwrap();
    let q = &r.queues[0];
    assert_eq!(q.counts.completed, 4);
    // Waits: 0, 0.5, 1.5 (both at 1.0 queue behind the first), then 0.
    assert_abs!(q.wait.as_ref().unwrap().mean, 0.5, CLOSED_FORM, "mean wait");
    let bad = dir.join("bad.csv");
    std::fs::write(&bad, "1.0\n2.0\n1.5\n").unwrap();
    match run_replication(&(model(&bad)).validate().unwrap(), &s, 0) {
        Err(SimError::Trace { line, .. }) => assert_eq!(line, 3),
        other => panic!("{other:?}"),
    }
}

/// A profile with rate 0 outside [100, 200) s: nothing arrives outside the window, and
/// the time series shows the queue only inside it.
#[test]
fn profile_and_time_series() {
    let model = Model::default()
        .with_source(Source::new(
            "peak",
            ArrivalProcess::Profile {
                base: 0.0,
                segments: vec![Segment {
                    start: 100.0,
                    end: 200.0,
                    rate: 5.0,
                }],
                period: None,
            },
            "q",
        ))
        .with_queue(Queue::new("q", 1, exp(0.1)));
    let s = RunSettings {
        horizon: Some(300.0),
        replications: 3,
        time_series: Some(50.0),
        ..RunSettings::default()
    };
    let r = simulate(&model.validate().unwrap(), &s).unwrap();
    let ts = r.time_series.clone().unwrap();
    assert_eq!(ts.start, vec![0.0, 50.0, 100.0, 150.0, 200.0, 250.0]);
    assert_eq!(ts.queue_length[0][0], 0.0);
    assert!(ts.queue_length[2][0] > 0.0 && ts.latency[2][0].is_some());
    assert!(ts.latency[5][0].is_none() && ts.queue_length[5][0] < 1e-3);
    let created = r.source("peak").unwrap().created.mean;
    // Five standard deviations of a Poisson(500) count.
    assert_abs!(created, 500.0, 5.0 * 500f64.sqrt(), "created");
}

/// Stopping by completions and warming up by count; draining a backlog.
#[test]
fn run_control_and_backlog_drain() {
    let model = mmc_model(1.0, 1.0, 2);
    let s = RunSettings {
        completions: Some(1000),
        warmup_completions: Some(100),
        replications: 2,
        ..RunSettings::default()
    };
    let r = run_replication(&model.validate().unwrap(), &s, 1).unwrap();
    assert_eq!(r.sources[0].finished, 1000);
    assert!(r.measured_time < r.end_time);

    let mut drain = poisson_into(
        5.0,
        Queue::new("q", 10, Distribution::Deterministic { value: 1.0 }),
    );
    drain.queues[0].initial_backlog = 10_000;
    let r = run_replication(
        &drain.validate().unwrap(),
        &RunSettings {
            horizon: Some(5_000.0),
            ..RunSettings::default()
        },
        0,
    )
    .unwrap();
    // 10 consumers at 1/s, 5/s new traffic served FIFO behind the backlog: the
    // backlog's last message finishes at 10 000 / 10 = 1000 s.
    assert_eq!(r.backlog_drained_at, Some(1000.0));

    drain.queues[0].capacity = Some(50);
    assert!(matches!(
        run_replication(&drain.validate().unwrap(), &RunSettings::default(), 0),
        Err(SimError::BacklogExceedsCapacity { .. })
    ));
    let bad = RunSettings {
        confidence: 1.5,
        ..RunSettings::default()
    };
    assert!(matches!(
        simulate(&model.validate().unwrap(), &bad),
        Err(SimError::Settings(_))
    ));
}

/// The report is a serde record: JSON out and back in.
#[test]
fn report_round_trips_through_json() {
    let s = RunSettings {
        horizon: Some(200.0),
        replications: 3,
        time_series: Some(20.0),
        ..RunSettings::default()
    };
    let r = simulate(&(kitchen_sink()).validate().unwrap(), &s).unwrap();
    let json = serde_json::to_string_pretty(&r).unwrap();
    let back: kendall::sim::SimReport = serde_json::from_str(&json).unwrap();
    assert_eq!(back.conservation, r.conservation);
    assert_eq!(back.queues.len(), r.queues.len());
    assert!(!json.contains("NaN") && !json.contains("null,\n      \"half_width\""));
    // One replication: no interval, and the field is absent rather than NaN.
    let one = simulate(
        &(kitchen_sink()).validate().unwrap(),
        &RunSettings {
            replications: 1,
            ..s
        },
    )
    .unwrap();
    assert!(one.queues[0].l.half_width.is_none());
    assert!(!serde_json::to_string(&one).unwrap().contains("half_width"));
}

/// Hand-computed priority timelines, service always 2 s, one consumer: a class-2
/// message arrives at 0, a class-1 message at 1.
/// Preemptive-resume: low serves 0–1, high 1–3, low resumes 3–4: sojourns high 2,
/// low 4 (wait 2). Non-preemptive: low 0–2, high 2–4: sojourns low 2, high 3.
#[test]
fn priority_timelines_by_hand() {
    let dir = std::env::temp_dir().join(format!("kendall-prio-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (lo_f, hi_f) = (dir.join("lo.csv"), dir.join("hi.csv"));
    std::fs::write(&lo_f, "0.0\n").unwrap();
    std::fs::write(&hi_f, "1.0\n").unwrap();
    for (discipline, high, low) in [
        (Discipline::PreemptivePriority, 2.0, 4.0),
        (Discipline::Priority, 3.0, 2.0),
        (Discipline::Fifo, 3.0, 2.0),
    ] {
        let mut hi = Source::new("high", ArrivalProcess::Trace { file: hi_f.clone() }, "q");
        hi.priority = 1;
        let mut lo = Source::new("low", ArrivalProcess::Trace { file: lo_f.clone() }, "q");
        lo.priority = 2;
        let model = Model::default().with_source(hi).with_source(lo).with_queue(
            Queue::new("q", 1, Distribution::Deterministic { value: 2.0 })
                .with_discipline(discipline),
        );
        let s = RunSettings {
            horizon: Some(10.0),
            replications: 1,
            ..RunSettings::default()
        };
        let r = run_replication(&model.validate().unwrap(), &s, 0).unwrap();
        let lat = |i: usize| r.sources[i].latency.as_ref().unwrap().mean;
        assert_eq!((lat(0), lat(1)), (high, low), "{discipline:?}");
        let q = &r.queues[0];
        assert_eq!(q.sojourn.as_ref().unwrap().mean, (high + low) / 2.0);
        assert_eq!(q.wait.as_ref().unwrap().mean, (high + low) / 2.0 - 2.0);
        // Busy from 0 to 4 of 10 s.
        assert_abs!(
            q.utilisation,
            0.4,
            CLOSED_FORM,
            "{discipline:?} utilisation"
        );
    }
}

/// A blocked source by hand: arrivals every 1 s (first at 1), one consumer, 2.5 s
/// service, capacity 1 with `block`. Served 1–3.5, 3.5–6, 6–8.5, 8.5–11: the source
/// holds the message created at 2 until 3.5, then resumes (next at 4.5, held until 6;
/// next at 7, held until 8.5; next at 9.5, still held at the end, 10).
#[test]
fn blocked_source_timeline_by_hand() {
    let mut q = Queue::new("q", 1, Distribution::Deterministic { value: 2.5 }).with_capacity(1);
    q.on_full = OnFull::Block;
    let model = Model::default()
        .with_source(Source::new(
            "tick",
            ArrivalProcess::Deterministic { rate: 1.0 },
            "q",
        ))
        .with_queue(q);
    let s = RunSettings {
        horizon: Some(10.0),
        replications: 1,
        ..RunSettings::default()
    };
    let r = run_replication(&model.validate().unwrap(), &s, 0).unwrap();
    let q = &r.queues[0];
    assert_eq!(r.conservation.created, 5);
    assert_eq!(q.completed, 3);
    assert_eq!(r.conservation.in_flight, 2);
    assert!(r.conservation.is_balanced());
    assert_eq!(q.sojourn.as_ref().unwrap().mean, 2.5);
    assert_eq!(q.wait.as_ref().unwrap().mean, 0.0);
    // End to end: 2.5 (created 1), 4 (created 2), 4 (created 4.5).
    assert_eq!(r.sources[0].latency.as_ref().unwrap().mean, 3.5);
    assert_abs!(q.l, 0.9, CLOSED_FORM, "L");
    assert_eq!(q.arrived, 5);
    assert_eq!(q.full_probability, Some(4.0 / 5.0));
    assert_eq!(q.rejection_probability, Some(0.0));
}

/// MMPP input: phases 0.4/s and 1.6/s switching at 0.05/s each way (stationary
/// (½, ½), mean rate 1.0/s) into one exponential server of mean 0.6 s. The source
/// produces 1.0/s on average, and the bursts make the mean wait far exceed the
/// Poisson value at the same load, ρ/(μ − λ) = 0.6/(1/0.6 − 1) = 0.9 s (no PASTA).
#[test]
fn mmpp_rate_and_burstiness() {
    let model = Model::default()
        .with_source(Source::new(
            "bursty",
            ArrivalProcess::Mmpp {
                rates: vec![0.4, 1.6],
                generator: vec![vec![-0.05, 0.05], vec![0.05, -0.05]],
            },
            "q",
        ))
        .with_queue(Queue::new("q", 1, exp(0.6)));
    let s = theory_settings(100_000.0, 1_000.0, 8, 1);
    let r = simulate(&model.validate().unwrap(), &s).unwrap();
    let created = r.source("bursty").unwrap().created;
    let rate = created.mean / r.measured_time.mean;
    let hw = created.half_width.unwrap() / r.measured_time.mean;
    assert_abs!(rate, 1.0, hw, "MMPP rate (± half-width {hw})");
    let wq = r.queue("q").unwrap().wq.unwrap().mean;
    assert!(
        wq > 2.0 * 0.9,
        "MMPP wait {wq} should exceed twice the Poisson 0.9 s"
    );
}

/// Regression: intervals never leave the support of their quantity (utilisation and
/// probabilities in [0, 1], times and counts >= 0), even with two short replications
/// whose Student-t intervals are very wide.
#[test]
fn intervals_stay_within_the_support() {
    use kendall::{Metric, model::*};
    let model = Model::default()
        .with_source(Source::new(
            "in",
            ArrivalProcess::Poisson { rate: 0.5 },
            "q",
        ))
        .with_queue(Queue::new("q", 2, Distribution::Exponential { mean: 1.0 }).with_capacity(2))
        .validate()
        .unwrap();
    for seed in 1..20 {
        let s = RunSettings {
            horizon: Some(5.0),
            replications: 2,
            seed,
            ..RunSettings::default()
        };
        let r = simulate(&model, &s).unwrap();
        let q = &r.queues[0];
        for m in Metric::QUEUE {
            let Some(e) = q.get(m) else { continue };
            let hi = if m.unit() == Unit::Fraction {
                1.0
            } else {
                f64::INFINITY
            };
            for end in [e.lower, e.upper].into_iter().flatten() {
                assert!((0.0..=hi).contains(&end), "seed {seed} {m}: {e:?}");
            }
        }
    }
}
