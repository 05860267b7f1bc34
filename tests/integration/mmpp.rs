//! Bursty (MMPP) arrivals into one queue: MMPP/M/c solved exactly as a
//! quasi-birth–death process (its own unit tests check it against a truncated CTMC at
//! 1e-10); here against simulation, the dispatcher's choice per regime, and the labels.

use kendall::analytic::Exactness;
use kendall::model::*;
use kendall::sim::RELATIVE_ERROR;
use kendall::{simulate, solve};

use crate::common;

fn bursty(service: Distribution) -> ValidModel {
    // 50/s, with bursts of 400/s (a fifth of the time, 0.25 s on average) into two
    // consumers of 10 ms: 200/s of capacity, below the bursts.
    Model::default()
        .with_source(Source::new(
            "api",
            ArrivalProcess::Mmpp {
                rates: vec![50.0, 400.0],
                generator: vec![vec![-1.0, 1.0], vec![4.0, -4.0]],
            },
            "q",
        ))
        .with_queue(Queue::new("q", 2, service))
        .validate()
        .unwrap()
}

/// Exponential service: the exact (numerical) QBD; W, P(wait) and the p50/p99 within
/// the 99.9% interval of 12 × 3000 s (percentiles widened by the histogram's bound).
#[test]
fn the_exact_queue_agrees_with_simulation() {
    let m = bursty(Distribution::Exponential { mean: 0.01 });
    let a = solve(&m).unwrap();
    let sol = a.nodes[0].solution().unwrap();
    assert_eq!(sol.method.exactness, Exactness::Numerical);
    assert!(
        sol.method.name.contains("quasi-birth–death"),
        "{}",
        sol.method.name
    );
    let mut settings = common::build::settings(3000.0, 50.0, 12, 41);
    settings.confidence = 0.999;
    let r = simulate(&m, &settings).unwrap();
    let q = &r.queues[0];
    let check = |what: &str, est: &kendall::sim::Estimate, exact: f64, widen: f64| {
        if let Err(why) = common::covers(est, exact, widen) {
            panic!("{what}: {why}");
        }
    };
    check("W", &q.w.unwrap(), sol.w, 0.0);
    check("utilisation", &q.utilisation, sol.utilisation, 0.0);
    let s = sol.sojourn.unwrap();
    let sim = q.sojourn.unwrap();
    check("p50", &sim.p50, s.p50, RELATIVE_ERROR * s.p50);
    check("p99", &sim.p99, s.p99, RELATIVE_ERROR * s.p99);
}

/// General service: with bursts above capacity the QBD with the mean service time,
/// labelled an approximation that names the regime; with bursts below capacity the
/// two-moment approximation, saying so.
#[test]
fn the_regime_decides_the_approximation() {
    let ln = Distribution::Lognormal {
        mean: 0.01,
        scv: 2.0,
    };
    let a = solve(&bursty(ln.clone())).unwrap();
    let m = &a.nodes[0].solution().unwrap().method;
    assert_eq!(m.exactness, Exactness::Approximation);
    assert!(m.name.contains("bursts above capacity"), "{}", m.name);
    // Four consumers: 400/s of capacity holds the bursts.
    let calm = Model::default()
        .with_source(Source::new(
            "api",
            ArrivalProcess::Mmpp {
                rates: vec![50.0, 300.0],
                generator: vec![vec![-1.0, 1.0], vec![4.0, -4.0]],
            },
            "q",
        ))
        .with_queue(Queue::new("q", 4, ln))
        .validate()
        .unwrap();
    let a = solve(&calm).unwrap();
    let m = &a.nodes[0].solution().unwrap().method;
    assert_eq!(m.exactness, Exactness::Approximation);
    assert!(m.name.contains("bursts below capacity"), "{}", m.name);
}

#[test]
fn mmpp_ph1_matches_the_level_reduction_of_the_truncated_chain() {
    // tests/reference/mmpp_ph1_reference.py: MMPP(2) rates (0.5, 1.2), switches 0.1 and
    // 0.2 per second, Erlang-2 service of mean 1 s; the CTMC truncated at 1 500 messages
    // solved by block elimination (no R), 30 digits.
    let text = r#"
[[source]]
name = "api"
arrival = { type = "mmpp", rates = [0.5, 1.2], generator = [[-0.1, 0.1], [0.2, -0.2]] }
to = "q"
[[queue]]
name = "q"
consumers = 1
service = { type = "erlang", k = 2, mean = 1.0 }
"#;
    let m: kendall::model::Model = toml::from_str(text).unwrap();
    let s = kendall::analytic::solve(&m.validate().unwrap()).unwrap();
    let n = &s.nodes[0];
    let get = |name: &str| n.get(name.parse().unwrap()).unwrap();
    crate::common::assert_rel!(get("L"), 3.221_054_065_247_962, 1e-9);
    crate::common::assert_rel!(get("W"), 4.392_346_452_610_857, 1e-9);
    crate::common::assert_rel!(get("P(wait)"), 0.775_430_465_609_313_2, 1e-9);
    crate::common::assert_rel!(get("Var(N)"), 16.533_353_555_724_17, 1e-8);
    crate::common::assert_rel!(n.solution().unwrap().p0.unwrap(), 4.0 / 15.0, 1e-12);
    let method = n.method_of(kendall::Metric::MeanNumber).unwrap();
    assert!(method.name.starts_with("MMPP/PH/1"), "{}", method.name);
    assert_eq!(method.exactness, kendall::analytic::Exactness::Numerical);
    // The simulator agrees within its intervals (16 × 20 000 s).
    let settings = kendall::model::RunSettings {
        horizon: Some(20_000.0),
        warmup: 500.0,
        replications: 16,
        seed: 9,
        ..Default::default()
    };
    let r = kendall::sim::simulate(&m.validate().unwrap(), &settings).unwrap();
    for name in ["L", "W", "P(wait)", "Var(N)"] {
        let metric = name.parse().unwrap();
        crate::common::assert_covers!(
            &r.queues[0].get(metric).unwrap(),
            n.get(metric).unwrap(),
            "{name}"
        );
    }
}
