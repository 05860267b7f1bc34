//! Client retries: the fixed point against mpmath (`tests/reference/retry_reference.py`:
//! another sojourn CDF, another root finder), the simulator against the fixed point on
//! a healthy case, the storm after a slowdown, determinism, conservation and validation.

// Reference values are pasted as mpmath printed them (17 digits).
#![allow(clippy::excessive_precision)]

use crate::common;

use common::assert_rel;
use kendall::analytic::{Exactness, MMc, QueueMetrics, RetryState, solve_retry_loop};
use kendall::model::{
    ArrivalProcess, Distribution, Jitter, Model, Queue, Retry, RunSettings, Slowdown, Source,
};
use kendall::{simulate, solve};

fn mmc_loop(lam: f64, mu: f64, c: u64, retry: &Retry) -> kendall::analytic::RetrySolution {
    solve_retry_loop("s", "q", lam, retry, c as f64 * mu, |x| {
        Ok(Box::new(MMc::new(x, mu, c)?) as Box<dyn QueueMetrics>)
    })
    .unwrap()
}

/// (attempt rate, stable, p, amplification, success, mean request latency) per fixed
/// point below capacity, from retry_reference.py.
type Row = (f64, bool, f64, f64, f64, f64);

fn check(name: &str, sol: &kendall::analytic::RetrySolution, want: &[Row], overload: bool) {
    let below: Vec<_> = sol.fixed_points.iter().filter(|f| !f.saturated).collect();
    assert_eq!(below.len(), want.len(), "{name}: {:?}", sol.fixed_points);
    for (f, w) in below.iter().zip(want) {
        assert_rel!(f.attempt_rate, w.0, 1e-12, "{name} attempt rate");
        assert_eq!(f.stable, w.1, "{name} stability");
        assert_rel!(f.timeout_probability, w.2, 1e-10, "{name} p");
        assert_rel!(f.amplification, w.3, 1e-12, "{name} amplification");
        assert_rel!(f.success_probability, w.4, 1e-12, "{name} success");
        assert_rel!(f.mean_request_latency.unwrap(), w.5, 1e-8, "{name} latency");
    }
    assert_eq!(
        sol.fixed_points.iter().any(|f| f.saturated),
        overload,
        "{name}"
    );
    for f in &sol.fixed_points {
        // A utilisation is a fraction of time (1 in the storm); by how much the storm
        // exceeds the capacity is the offered load, attempts over capacity.
        assert!((0.0..=1.0).contains(&f.utilisation), "{name}: {f:?}");
        assert_rel!(
            f.offered_load,
            f.attempt_rate / sol.capacity,
            1e-15,
            "{name}"
        );
        if f.saturated {
            assert_eq!(f.utilisation, 1.0, "{name}");
            assert!(f.offered_load >= 1.0, "{name}: {f:?}");
        }
    }
    assert_eq!(sol.method.exactness, Exactness::Approximation);
    assert!(sol.method.name.contains("Poisson retries"));
}

#[test]
fn metastable_mm1_matches_reference() {
    let retry = Retry::new(0.5, 3).with_backoff(0.1, 2.0, None);
    let sol = mmc_loop(3.0, 10.0, 1, &retry);
    check(
        "A",
        &sol,
        &[
            (
                3.0982683406646678,
                true,
                0.031718161960072348,
                1.0327561135548893,
                0.99999898787990042,
                0.14658169106688755,
            ),
            (
                9.6967487627784099,
                false,
                0.8593099301730018,
                3.2322495875928033,
                0.45474542017671763,
                1.0157999787124519,
            ),
        ],
        true,
    );
    assert_eq!(sol.state, RetryState::Metastable);
    assert!(sol.advice.contains("persists"));
}

#[test]
fn healthy_mm4_matches_reference() {
    let retry = Retry::new(0.3, 1)
        .with_backoff(0.05, 2.0, None)
        .with_jitter(Jitter::Equal);
    let sol = mmc_loop(15.0, 10.0, 4, &retry);
    check(
        "B",
        &sol,
        &[(
            15.791992198490624,
            true,
            0.052799479899374927,
            1.0527994798993749,
            0.9972122149223555,
            0.10400336638294989,
        )],
        false,
    );
    assert_eq!(sol.state, RetryState::Healthy);
}

#[test]
fn storm_mm1_has_no_state_below_capacity() {
    let sol = mmc_loop(
        7.0,
        10.0,
        1,
        &Retry::new(0.5, 3).with_backoff(0.1, 2.0, None),
    );
    check("C", &sol, &[], true);
    assert_eq!(sol.state, RetryState::Storm);
    assert_eq!(sol.fixed_points[0].attempt_rate, 28.0);
    assert!(sol.advice.contains("add consumers"));
}

#[test]
fn capped_backoff_mm8_matches_reference() {
    let retry = Retry::new(0.6, 2)
        .with_backoff(0.2, 3.0, Some(0.5))
        .with_jitter(Jitter::None);
    let sol = mmc_loop(30.0, 5.0, 8, &retry);
    check(
        "D",
        &sol,
        &[
            (
                33.248508672670335,
                true,
                0.098567976442395808,
                1.1082836224223445,
                0.99904234843592576,
                0.30740027122122458,
            ),
            (
                35.063551753695965,
                false,
                0.14713604323707096,
                1.1687850584565322,
                0.99681464956062935,
                0.37641339421033534,
            ),
        ],
        true,
    );
    assert_eq!(sol.state, RetryState::Metastable);
}

/// Case B simulated: Poisson requests, M/M/4 at moderate load, one retry. The fixed
/// point treats retries as Poisson; here they are 5% of the attempts, so the gap is
/// small. Tolerance: 4 half-widths plus a stated approximation allowance (1% on the
/// attempt rate, 0.01 absolute on P(timeout), 3% on the mean request latency).
/// Measured: see the assertion messages (printed with --nocapture).
#[test]
fn simulation_matches_fixed_point_on_a_healthy_case() {
    let retry = Retry::new(0.3, 1)
        .with_backoff(0.05, 2.0, None)
        .with_jitter(Jitter::Equal);
    let model = Model::default()
        .with_source(
            Source::new("api", ArrivalProcess::Poisson { rate: 15.0 }, "q").with_retry(retry),
        )
        .with_queue(Queue::new("q", 4, Distribution::Exponential { mean: 0.1 }));
    let valid = model.validate().unwrap();
    let settings = RunSettings {
        horizon: Some(4000.0),
        warmup: 100.0,
        replications: 8,
        seed: 11,
        ..RunSettings::default()
    };
    let r = simulate(&valid, &settings).unwrap();
    assert!(r.conservation.is_balanced());
    let x = r.sources[0].retry.as_ref().unwrap();
    let (lam_attempts, p, lat) = (
        15.791992198490624,
        0.052799479899374927,
        0.10400336638294989,
    );
    let within = |name: &str, e: kendall::sim::Estimate, want: f64, allowance: f64| {
        let hw = e.half_width.unwrap();
        println!(
            "{name}: simulated {} ± {hw}, fixed point {want}, error {:+.3}%",
            e.mean,
            100.0 * (e.mean / want - 1.0)
        );
        assert!(
            (e.mean - want).abs() <= 4.0 * hw + allowance,
            "{name}: simulated {} ± {hw}, fixed point {want}",
            e.mean
        );
    };
    within(
        "attempt rate",
        x.attempt_rate,
        lam_attempts,
        0.01 * lam_attempts,
    );
    within("amplification", x.amplification, lam_attempts / 15.0, 0.01);
    within("P(timeout)", x.timeout_ratio, p, 0.01);
    within("request latency", x.latency.unwrap().mean, lat, 0.03 * lat);
    within(
        "success ratio",
        x.success_ratio.unwrap(),
        0.9972122149223555,
        0.002,
    );
    // The analytic side of the same model: the same fixed point, through solve.
    let s = solve(&valid).unwrap();
    let fp = s.retries[0].solution.as_ref().unwrap();
    assert_rel!(fp.fixed_points[0].attempt_rate, lam_attempts, 1e-12);
    assert_rel!(s.nodes[0].message_rate, lam_attempts, 1e-12);
}

fn storm_model() -> Model {
    Model::load(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/retry_storm.toml"
    ))
    .unwrap()
}

/// The example: metastable analytically; simulated, the slowdown tips it into a storm
/// that outlives the slowdown (attempts per second in the last buckets far above the
/// request rate), while without the slowdown it stays healthy.
#[test]
fn a_slowdown_tips_the_example_into_a_lasting_storm() {
    let model = storm_model();
    let settings = model.simulation.clone();
    let valid = model.clone().validate().unwrap();
    let s = solve(&valid).unwrap();
    let fp = s.retries[0].solution.as_ref().unwrap();
    assert_eq!(fp.state, RetryState::Metastable);
    assert!(s.notes.iter().any(|n| n.contains("slowdown")));
    let r = simulate(&valid, &settings).unwrap();
    assert!(r.conservation.is_balanced());
    let ts = r.time_series.as_ref().unwrap();
    // Queue length in the last bucket (well after the slowdown ended at 80 s).
    let last = ts.queue_length.last().unwrap()[0];
    assert!(last > 100.0, "queue length at the end {last}");
    let x = r.sources[0].retry.as_ref().unwrap();
    assert!(x.amplification.mean > 2.0, "{:?}", x.amplification);
    // The same model without the slowdown stays healthy.
    let mut calm = model;
    calm.queues[0].slowdown = None;
    let r = simulate(&calm.validate().unwrap(), &settings).unwrap();
    let x = r.sources[0].retry.as_ref().unwrap();
    let healthy = fp.healthy().unwrap();
    assert!(
        (x.amplification.mean - healthy.amplification).abs() < 0.05,
        "{:?} vs {}",
        x.amplification,
        healthy.amplification
    );
    assert!(r.time_series.unwrap().queue_length.last().unwrap()[0] < 20.0);
}

#[test]
fn retries_are_deterministic_and_leave_other_sources_unchanged() {
    let base = Model::default()
        .with_source(Source::new("a", ArrivalProcess::Poisson { rate: 3.0 }, "q"))
        .with_queue(Queue::new("q", 1, Distribution::Exponential { mean: 0.1 }));
    let with = base.clone().with_source(
        Source::new("b", ArrivalProcess::Poisson { rate: 2.0 }, "r")
            .with_retry(Retry::new(0.2, 2).with_backoff(0.05, 2.0, None)),
    );
    let with = with.with_queue(Queue::new("r", 1, Distribution::Exponential { mean: 0.1 }));
    let settings = RunSettings {
        horizon: Some(300.0),
        replications: 2,
        seed: 5,
        ..RunSettings::default()
    };
    let one = simulate(&with.clone().validate().unwrap(), &settings).unwrap();
    let two = simulate(&with.validate().unwrap(), &settings).unwrap();
    assert_eq!(format!("{one:?}"), format!("{two:?}"));
    // Source "a" and queue "q" draw from their own streams: identical with or without
    // the retrying source beside them.
    let alone = simulate(&base.validate().unwrap(), &settings).unwrap();
    assert_eq!(
        format!("{:?}", alone.queues[0]),
        format!("{:?}", one.queues[0])
    );
    assert!(one.conservation.is_balanced());
}

#[test]
fn slowdown_makes_services_longer_in_its_window_only() {
    let mut q = Queue::new("q", 1, Distribution::Deterministic { value: 0.1 });
    q.slowdown = Some(Slowdown {
        start: 10.0,
        duration: 5.0,
        factor: 3.0,
    });
    let model = Model::default()
        .with_source(Source::new(
            "in",
            ArrivalProcess::Deterministic { rate: 1.0 },
            "q",
        ))
        .with_queue(q);
    let settings = RunSettings {
        horizon: Some(30.0),
        replications: 2,
        time_series: Some(1.0),
        ..RunSettings::default()
    };
    let r = simulate(&model.validate().unwrap(), &settings).unwrap();
    let ts = r.time_series.unwrap();
    // Arrivals at 1, 2, …: the one at t = k is served in [k, k + d).
    for (b, start) in ts.start.iter().enumerate() {
        let d = if (10.0..15.0).contains(start) {
            0.3
        } else {
            0.1
        };
        if *start >= 1.0 {
            assert!(
                (ts.queue_length[b][0] - d).abs() < 1e-9,
                "bucket {start}: {}",
                ts.queue_length[b][0]
            );
        }
    }
}

#[test]
fn bad_retry_fields_are_refused_with_path_and_fix() {
    let mut retry = Retry::new(-1.0, 101).with_backoff(0.1, 0.5, None);
    retry.timeout = 0.0;
    let mut s = Source::new("api", ArrivalProcess::Poisson { rate: 1.0 }, "q").with_retry(retry);
    s.window = Some(4);
    let m = Model::default().with_source(s).with_queue(Queue::new(
        "q",
        1,
        Distribution::Exponential { mean: 0.1 },
    ));
    let e = m.validate().unwrap_err().to_string();
    for part in [
        "source \"api\".retry.timeout",
        "source \"api\".retry.max_retries",
        "at most 100",
        "source \"api\".retry.multiplier",
        "cannot be combined with window",
    ] {
        assert!(e.contains(part), "{part}: {e}");
    }
    let mut q = Queue::new("q", 1, Distribution::Exponential { mean: 0.1 });
    q.slowdown = Some(Slowdown {
        start: -1.0,
        duration: 0.0,
        factor: f64::NAN,
    });
    let m = Model::default()
        .with_source(Source::new(
            "in",
            ArrivalProcess::Poisson { rate: 1.0 },
            "q",
        ))
        .with_queue(q);
    let e = m.validate().unwrap_err().to_string();
    for part in ["slowdown.start", "slowdown.duration", "slowdown.factor"] {
        assert!(e.contains(part), "{part}: {e}");
    }
}

#[test]
fn analytic_refuses_what_it_cannot_solve() {
    // Retries into a topic: no sojourn CDF of a fork-join here.
    let m = Model::from_toml_str(
        r#"
[[source]]
name = "api"
arrival = { type = "poisson", rate = 1.0 }
to = "t"
retry = { timeout = "1s", max_retries = 1 }
[[topic]]
name = "t"
subscribers = ["a", "b"]
[[queue]]
name = "a"
consumers = 1
service = { type = "exponential", mean = 0.1 }
[[queue]]
name = "b"
consumers = 1
service = { type = "exponential", mean = 0.1 }
"#,
    )
    .unwrap();
    let s = solve(&m.validate().unwrap()).unwrap();
    assert!(s.retries[0].solution.is_none());
    assert!(s.retries[0].refusal.as_ref().unwrap().contains("simulate"));
}

/// Other traffic into a retry loop's queue arrives net of the losses upstream: a
/// source behind an M/M/1/K that rejects passes on λ(1 − B), B from the closed form
/// (1 − ρ)ρᴷ/(1 − ρᴷ⁺¹) computed here, and the fixed point must equal that of a model
/// where the same thinned rate arrives directly.
#[test]
fn retry_loop_sees_other_traffic_net_of_upstream_losses() {
    let retry = Retry::new(0.3, 1).with_backoff(0.05, 2.0, None);
    let (lam_other, mu_gate, k) = (12.0_f64, 10.0_f64, 5_u64);
    let rho = lam_other / mu_gate;
    let block = (1.0 - rho) * rho.powi(k as i32) / (1.0 - rho.powi(k as i32 + 1));
    let target = || Queue::new("q", 4, Distribution::Exponential { mean: 0.1 });
    let behind_gate = Model::default()
        .with_source(
            Source::new("api", ArrivalProcess::Poisson { rate: 15.0 }, "q")
                .with_retry(retry.clone()),
        )
        .with_source(Source::new(
            "batch",
            ArrivalProcess::Poisson { rate: lam_other },
            "gate",
        ))
        .with_queue(
            Queue::new(
                "gate",
                1,
                Distribution::Exponential {
                    mean: 1.0 / mu_gate,
                },
            )
            .with_capacity(k)
            .with_route(kendall::model::Route::To("q".into())),
        )
        .with_queue(target());
    let direct = Model::default()
        .with_source(
            Source::new("api", ArrivalProcess::Poisson { rate: 15.0 }, "q").with_retry(retry),
        )
        .with_source(Source::new(
            "batch",
            ArrivalProcess::Poisson {
                rate: lam_other * (1.0 - block),
            },
            "q",
        ))
        .with_queue(target());
    let fp = |m: Model| {
        let s = solve(&m.validate().unwrap()).unwrap();
        s.retries[0].solution.as_ref().unwrap().fixed_points[0].attempt_rate
    };
    let (a, b) = (fp(behind_gate), fp(direct));
    assert_rel!(a, b, 1e-12);
}
