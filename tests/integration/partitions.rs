//! Kafka-style partitioned queues with keyed producers and a consumer group: the
//! model's partition shares against independent computations, the analytic
//! decomposition against mpmath (`tests/reference/partitions_reference.py`), the
//! simulator against both (shares within binomial bounds, W and p99 within confidence
//! intervals), order per key, idle consumers, validation and hot-partition overload.

// Reference values are pasted as mpmath printed them (17 digits).
#![allow(clippy::excessive_precision)]

use crate::common;

use common::{assert_covers, assert_covers_percentile, assert_rel};
use kendall::analytic::Exactness;
use kendall::model::{
    ArrivalProcess, Assignment, Discipline, Distribution, Keys, Model, Partitioning, Queue,
    RunSettings, Source, partition_of,
};
use kendall::{Level, Metric, NodeOutcome, ValidModel, simulate, solve};

fn example() -> ValidModel {
    Model::load(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/kafka_hot_keys.toml"
    ))
    .unwrap()
    .validate()
    .unwrap()
}

fn group(rate: f64, consumers: u32, mean: f64, partitions: u32, keys: Keys) -> Model {
    Model::default()
        .with_source(Source::new("in", ArrivalProcess::Poisson { rate }, "t"))
        .with_queue(
            Queue::new("t", consumers, Distribution::Exponential { mean }).with_partitions(
                partitions,
                keys,
                Assignment::Range,
            ),
        )
}

/// mpmath (50 digits), `tests/reference/partitions_reference.py`, case 1.
#[test]
fn zipf_partition_shares_match_mpmath() {
    let want = [
        0.12681990516328168,
        0.15967011327306243,
        0.1144794653291444,
        0.054166037608881366,
        0.17934106788166169,
        0.065743313163554436,
        0.299780097580414,
    ];
    let p = Partitioning {
        partitions: 7,
        keys: Keys::Zipf {
            keys: 1000,
            exponent: 1.1,
        },
        assignment: Assignment::Range,
    };
    for (got, want) in p.partition_shares().iter().zip(want) {
        assert_rel!(*got, want, 1e-13, "zipf(1000, 1.1) over 7 partitions");
    }
}

/// 10⁵ keys over 24 partitions: the model's per-partition sums against a direct loop
/// in the other order (coldest key first, plain sums, normalised at the end).
#[test]
fn zipf_partition_shares_match_a_direct_loop() {
    let (n, s, parts) = (100_000u64, 1.1, 24u32);
    let mut w = vec![0.0f64; parts as usize];
    for k in (1..=n).rev() {
        w[partition_of(k, parts) as usize] += (k as f64).powf(-s);
    }
    let total: f64 = w.iter().sum();
    let p = Partitioning {
        partitions: parts,
        keys: Keys::Zipf {
            keys: n,
            exponent: s,
        },
        assignment: Assignment::Range,
    };
    let got = p.shares(12);
    for (g, x) in got.partitions.iter().zip(&w) {
        assert_rel!(*g, x / total, 1e-11, "partition share");
    }
    // Range with 24 partitions over 12 consumers: pairs.
    for k in 0..12 {
        let pair = (w[2 * k] + w[2 * k + 1]) / total;
        assert_rel!(got.consumers[k], pair, 1e-11, "consumer {k}");
    }
}

#[test]
fn uniform_and_keyless_shares_are_counts() {
    let p = Partitioning {
        partitions: 5,
        keys: Keys::Uniform { keys: 37 },
        assignment: Assignment::RoundRobin,
    };
    let s = p.partition_shares();
    for (i, share) in s.iter().enumerate() {
        let n = (1..=37)
            .filter(|&k| partition_of(k, 5) as usize == i)
            .count();
        assert_eq!(*share, n as f64 / 37.0);
    }
    let rr = Partitioning {
        keys: Keys::RoundRobin,
        ..p
    };
    assert_eq!(rr.partition_shares(), vec![0.2; 5]);
}

/// mpmath case 2: 2 000 Zipf(0.9) keys, 6 partitions, 4 consumers (range), λ = 300/s,
/// μ = 200/s: W, p99 of the mixture and of the hottest consumer.
#[test]
fn analytic_mixture_matches_mpmath() {
    let m = group(
        300.0,
        4,
        0.005,
        6,
        Keys::Zipf {
            keys: 2000,
            exponent: 0.9,
        },
    )
    .validate()
    .unwrap();
    let s = solve(&m).unwrap();
    let node = &s.nodes[0];
    let sol = node.solution().expect("solved");
    assert_eq!(sol.method.exactness, Exactness::Exact);
    assert_eq!(
        sol.distribution_method.as_ref().unwrap().exactness,
        Exactness::Exact
    );
    assert_rel!(sol.w, 0.0088304285110880671, 1e-12, "W");
    assert_rel!(sol.sojourn.unwrap().p99, 0.042096182695769281, 1e-10, "p99");
    // Little's law on the mixture: L = λ W.
    assert_rel!(sol.l, 300.0 * sol.w, 1e-12, "L = λW");
    assert_rel!(sol.utilisation, 300.0 * 0.005 / 4.0, 1e-15, "utilisation");
    let p = node.partitions.as_ref().unwrap();
    let want_shares = [
        0.33221335535438842,
        0.32544571474380834,
        0.20300343664993226,
        0.13933749325187098,
    ];
    for (c, want) in p.consumers.iter().zip(want_shares) {
        assert_rel!(c.share, want, 1e-13, "consumer {}", c.consumer);
    }
    let hot = p.hottest().unwrap();
    assert_eq!(hot.consumer, 0);
    assert_rel!(hot.w, 0.0099665131741542486, 1e-12, "hottest W");
    assert_rel!(hot.p99.unwrap(), 0.045897489327872684, 1e-10, "hottest p99");
}

#[test]
fn non_poisson_input_is_labelled_an_approximation() {
    let mut model = group(
        300.0,
        4,
        0.005,
        6,
        Keys::Zipf {
            keys: 2000,
            exponent: 0.9,
        },
    );
    model.sources[0].arrival = ArrivalProcess::Deterministic { rate: 300.0 };
    let s = solve(&model.validate().unwrap()).unwrap();
    let sol = s.nodes[0].solution().unwrap();
    assert_eq!(sol.method.exactness, Exactness::Approximation);
    // Keyless over Poisson: a cyclic split, also an approximation.
    let m = group(300.0, 4, 0.005, 6, Keys::RoundRobin);
    let s = solve(&m.validate().unwrap()).unwrap();
    assert_eq!(
        s.nodes[0].solution().unwrap().method.exactness,
        Exactness::Approximation
    );
}

fn settings(horizon: f64, replications: u32, seed: u64) -> RunSettings {
    RunSettings {
        horizon: Some(horizon),
        warmup: 5.0,
        replications,
        seed,
        ..RunSettings::default()
    }
}

/// Each partition's simulated arrival count is Binomial(n, share): within 4.5 standard
/// deviations for each of the 24 (a family-wise false alarm below 2e-4), and no message
/// ever started out of order within its partition.
#[test]
fn simulated_partition_shares_are_binomial_around_the_exact_shares() {
    let m = example();
    let q = &m.model().queues[0];
    let shares = q.partitioning().unwrap().partition_shares();
    let st = settings(30.0, 4, 3);
    let mut counts = vec![0u64; shares.len()];
    for r in 0..st.replications {
        let run = kendall::sim::run_replication(&m, &st, r).unwrap();
        let p = run.queues[0].partitions.as_ref().unwrap();
        assert_eq!(p.order_violations, 0);
        for x in &p.partitions {
            counts[x.partition as usize] += x.arrived;
        }
    }
    let n: u64 = counts.iter().sum();
    assert!(n > 50_000);
    for (i, (&k, &p)) in counts.iter().zip(&shares).enumerate() {
        let sd = (n as f64 * p * (1.0 - p)).sqrt();
        let z = (k as f64 - n as f64 * p) / sd;
        assert!(
            z.abs() < 4.5,
            "partition {i}: {k} of {n}, share {p}: z = {z}"
        );
    }
}

/// The example: node W and p99, hottest consumer's W and p99 and utilisation, simulated
/// against the analytic decomposition (exact M/M/1 mixture), within the confidence
/// intervals (percentiles widened by the histogram's bound).
#[test]
fn simulation_matches_the_analytic_decomposition() {
    let m = example();
    let a = solve(&m).unwrap();
    let node = &a.nodes[0];
    let sol = node.solution().unwrap();
    let hot = node.partitions.as_ref().unwrap().hottest().unwrap().clone();
    let r = simulate(&m, &m.model().simulation).unwrap();
    let q = &r.queues[0];
    assert!(r.is_stationary(), "{:?}", r.warnings);
    assert_covers!(&q.w.unwrap(), sol.w, "node W");
    assert_covers_percentile!(
        &q.sojourn.unwrap().p99,
        sol.sojourn.unwrap().p99,
        "node p99"
    );
    assert_covers!(&q.utilisation, sol.utilisation, "node utilisation");
    let p = q.partitions.as_ref().unwrap();
    assert_eq!(p.order_violations, 0);
    assert_eq!(p.idle_consumers, 0);
    assert_eq!(p.hottest_consumer, hot.consumer);
    let h = p.hottest().unwrap();
    assert_covers!(&h.share, hot.share, "hottest share");
    assert_covers!(&h.utilisation, hot.utilisation, "hottest utilisation");
    assert_covers!(&h.w.unwrap(), hot.w, "hottest W");
    assert_covers_percentile!(&h.p99.unwrap(), hot.p99.unwrap(), "hottest p99");
    // The node's end-to-end figures are the mixture too.
    let e2e = r.sources[0]
        .get(Metric::SojournPercentile(Level::P99))
        .unwrap();
    assert_covers_percentile!(&e2e, a.end_to_end[0].sojourn.unwrap().p99, "end-to-end p99");
}

/// Head-of-line blocking and order: one consumer, one partition, deterministic service
/// at ρ = 0.9: a D/M-like FIFO line; every start is in arrival order.
#[test]
fn order_within_a_partition_is_never_violated() {
    let mut model = group(
        90.0,
        3,
        0.01,
        5,
        Keys::Zipf {
            keys: 50,
            exponent: 1.5,
        },
    );
    model.queues[0].service = Distribution::Lognormal {
        mean: 0.01,
        scv: 4.0,
    };
    let m = model.validate().unwrap();
    let st = settings(50.0, 2, 9);
    for r in 0..2 {
        let run = kendall::sim::run_replication(&m, &st, r).unwrap();
        let p = run.queues[0].partitions.as_ref().unwrap();
        assert_eq!(p.order_violations, 0);
        assert!(p.partitions.iter().map(|x| x.completed).sum::<u64>() > 3000);
        assert!(run.conservation.is_balanced());
    }
}

/// More consumers than partitions: the extra ones are idle, reported by both engines;
/// the figures are those of P consumers.
#[test]
fn idle_consumers_are_reported() {
    let keys = Keys::Uniform { keys: 1000 };
    let m = group(100.0, 9, 0.01, 6, keys.clone()).validate().unwrap();
    let a = solve(&m).unwrap();
    let p = a.nodes[0].partitions.as_ref().unwrap();
    assert_eq!(p.idle_consumers, 3);
    assert!(p.note.as_ref().unwrap().contains("3 of the 9 consumers"));
    assert_eq!(p.consumers.len(), 6);
    let six = solve(&group(100.0, 6, 0.01, 6, keys).validate().unwrap()).unwrap();
    assert_rel!(
        a.nodes[0].solution().unwrap().w,
        six.nodes[0].solution().unwrap().w,
        1e-15,
        "W with 9 consumers = W with 6"
    );
    let r = simulate(&m, &settings(20.0, 2, 1)).unwrap();
    let sp = r.queues[0].partitions.as_ref().unwrap();
    assert_eq!(sp.idle_consumers, 3);
    assert_eq!(sp.consumers.len(), 6);
    let text = kendall::report::simulation_text(&r);
    assert!(text.contains("3 idle consumers"), "{text}");
}

/// The group keeps up on average (load 0.5), but the hottest consumer cannot: refused
/// analytically with its name, partitions, share and load; flagged by the simulator.
#[test]
fn an_overloaded_hot_partition_is_refused_and_flagged() {
    let keys = Keys::Zipf {
        keys: 100_000,
        exponent: 1.1,
    };
    // Hottest consumer ≈ 20.5% of 1500/s × 4 ms = 1.23.
    let m = group(1500.0, 12, 0.004, 24, keys).validate().unwrap();
    let a = solve(&m).unwrap();
    match &a.nodes[0].outcome {
        NodeOutcome::Unstable {
            utilisation,
            reason,
        } => {
            assert!(*utilisation > 1.0 && *utilisation < 1.5, "{utilisation}");
            assert!(reason.contains("consumer 6"), "{reason}");
            assert!(reason.contains("partitions [12, 13]"), "{reason}");
            assert!(reason.contains("more partitions"), "{reason}");
        }
        o => panic!("expected a refusal, got {o:?}"),
    }
    let r = simulate(&m, &settings(20.0, 3, 2)).unwrap();
    assert!(!r.is_stationary(), "the hot partition's backlog grows");
    let w = &r.queues[0].warnings[0];
    assert_eq!(w.kind, kendall::sim::WarningKind::Overloaded);
    assert!(
        w.message.contains("hottest consumer: consumer 6"),
        "{}",
        w.message
    );
}

#[test]
fn validation_names_the_field_and_the_fix() {
    let problems = |q: Queue| -> Vec<String> {
        let model = Model::default()
            .with_source(Source::new(
                "in",
                ArrivalProcess::Poisson { rate: 1.0 },
                q.name.clone(),
            ))
            .with_queue(q);
        model
            .validate()
            .unwrap_err()
            .problems()
            .iter()
            .map(|p| p.to_string())
            .collect()
    };
    let exp = Distribution::Exponential { mean: 0.1 };
    let mut q = Queue::new("t", 2, exp.clone());
    q.keys = Some(Keys::Uniform { keys: 5 });
    let got = problems(q);
    assert!(
        got[0].starts_with("queue \"t\".keys: needs partitions"),
        "{got:?}"
    );

    let q = Queue::new("t", 2, exp.clone()).with_partitions(
        0,
        Keys::Zipf {
            keys: 10,
            exponent: 0.0,
        },
        Assignment::Range,
    );
    let got = problems(q);
    assert!(
        got.iter()
            .any(|p| p.starts_with("queue \"t\".partitions: must be between 1"))
    );
    assert!(
        got.iter()
            .any(|p| p.starts_with("queue \"t\".keys.exponent"))
    );

    let q = Queue::new("t", 2, exp.clone())
        .with_partitions(4, Keys::RoundRobin, Assignment::Range)
        .with_capacity(10)
        .with_discipline(Discipline::Priority);
    let got = problems(q);
    assert!(
        got.iter()
            .any(|p| p.starts_with("queue \"t\".capacity: cannot be combined with partitions"))
    );
    assert!(
        got.iter()
            .any(|p| p.starts_with("queue \"t\".discipline: cannot be combined with partitions"))
    );

    let q =
        Queue::new("t", 2, exp).with_partitions(4, Keys::Uniform { keys: 0 }, Assignment::Range);
    assert!(problems(q)[0].starts_with("queue \"t\".keys.keys: must be between 1"));
}

/// Same seed, same figures: the key stream is derived like every other stream.
#[test]
fn results_do_not_depend_on_threads() {
    let m = example();
    let st = settings(5.0, 4, 5);
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap()
        .install(|| simulate(&m, &st).unwrap());
    let two = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap()
        .install(|| simulate(&m, &st).unwrap());
    assert_eq!(one.queues[0].partitions, two.queues[0].partitions);
    assert_eq!(one.queues[0].w, two.queues[0].w);
}

/// Consumer lag over time: per bucket, the partitions' lags add up to the queue's
/// length in every replication (both time averages of the same messages), the report
/// keeps a band around each, and the CSV has a `lag` row per partition and bucket. The
/// hottest partition (merchant 1's) carries the largest lag.
#[test]
fn partition_lag_over_time_adds_up_to_the_queue_length() {
    let model = group(
        600.0,
        4,
        0.005,
        8,
        Keys::Zipf {
            keys: 1000,
            exponent: 1.2,
        },
    )
    .validate()
    .unwrap();
    let s = RunSettings {
        time_series: Some(10.0),
        ..settings(100.0, 3, 7)
    };
    let runs: Vec<_> = (0..3)
        .map(|i| {
            let mut r = kendall::sim::Replication::new(&model, &s, i).unwrap();
            r.run_until(f64::INFINITY).unwrap();
            r.finish()
        })
        .collect();
    for run in &runs {
        assert!(!run.series.is_empty());
        for b in &run.series {
            let sum: f64 = b.partition_lag[0].iter().sum();
            assert_rel!(sum, b.queue_length[0], 1e-9, "bucket at {}", b.start);
        }
    }
    let report = simulate(&model, &s).unwrap();
    let ts = report.time_series.as_ref().unwrap();
    assert_eq!(ts.partition_lag.len(), ts.start.len());
    let shares = model.model().queues[0].partitioning().unwrap().shares(4);
    let hottest = (0..8)
        .max_by(|&a, &b| shares.partitions[a].total_cmp(&shares.partitions[b]))
        .unwrap();
    for b in 1..ts.start.len() {
        let row = &ts.partition_lag[b][0];
        assert_eq!(row.len(), 8);
        for (p, x) in row.iter().enumerate() {
            assert!(ts.partition_lag_lower[b][0][p] <= *x && *x <= ts.partition_lag_upper[b][0][p]);
        }
        let top = (0..8).max_by(|&x, &y| row[x].total_cmp(&row[y])).unwrap();
        assert_eq!(top, hottest, "bucket {b}: {row:?}");
    }
    let csv = kendall::report::time_series_csv(ts);
    assert!(csv.contains("\nt/p0,lag,"), "{}", &csv[..200]);
}

/// Each consumer's simulated p99 is the quantile of the messages of the partitions it
/// owns, all replications pooled (the consumer keeps no histogram of its own).
#[test]
fn consumer_p99_pools_its_partitions_across_replications() {
    let m = example();
    let st = settings(20.0, 3, 5);
    let r = simulate(&m, &st).unwrap();
    let runs: Vec<_> = (0..st.replications)
        .map(|i| kendall::sim::run_replication(&m, &st, i).unwrap())
        .collect();
    let p = r.queues[0].partitions.as_ref().unwrap();
    assert!(p.consumers.len() > 1);
    for c in &p.consumers {
        let mut h = kendall::sim::Histogram::new();
        let mut owned = 0;
        for run in &runs {
            for x in &run.queues[0].partitions.as_ref().unwrap().partitions {
                if x.consumer == c.consumer {
                    h.add(&x.buckets);
                    owned += 1;
                }
            }
        }
        assert!(
            owned > runs.len(),
            "consumer {} owns one partition",
            c.consumer
        );
        assert_eq!(
            c.p99.unwrap().mean,
            h.quantile(0.99).unwrap(),
            "consumer {}",
            c.consumer
        );
    }
}
