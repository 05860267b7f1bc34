//! Delay stations (`consumers = "infinite"`): the ·/G/∞ solver, Poisson streams through
//! them, think time in a closed loop (MVA), the simulator against both, validation and
//! sizing. References outside the code: `tests/reference/delay_reference.py` (mpmath).

use kendall::analytic::solve;
use kendall::model::*;
use kendall::sim::simulate;
use kendall::{SizingOptions, size};

use crate::common;
use common::build::{exp, poisson};
use common::{assert_covers, assert_covers_percentile, assert_rel};

fn metric(name: &str) -> Metric {
    name.parse().unwrap()
}

/// Lognormal of mean 12 ms and SCV 2: p99 = exp(μ + σ z), σ² = ln 3,
/// μ = ln 0.012 − σ²/2, z(0.99) = 2.326347874040841 (normal tables).
fn lognormal_p99() -> f64 {
    let s2 = 3f64.ln();
    (0.012f64.ln() - 0.5 * s2 + s2.sqrt() * 2.326_347_874_040_841).exp()
}

/// Poisson 800/s through a lognormal delay (12 ms, SCV 2), then M/M/10 (10 ms).
fn delay_then_mmc() -> Model {
    Model::default()
        .with_source(Source::new("s", poisson(800.0), "network"))
        .with_queue(
            Queue::delay(
                "network",
                Distribution::Lognormal {
                    mean: 0.012,
                    scv: 2.0,
                },
            )
            .with_route(Route::To("payments".into())),
        )
        .with_queue(Queue::new("payments", 10, exp(0.01)))
}

#[test]
fn a_delay_station_is_exact_and_passes_poisson_on() {
    let m = delay_then_mmc().validate().unwrap();
    let s = solve(&m).unwrap();
    let d = &s.nodes[0];
    assert_rel!(d.get(Metric::MeanNumber).unwrap(), 800.0 * 0.012, 1e-14);
    assert_eq!(d.get(Metric::MeanWait), Some(0.0));
    assert_eq!(d.get(Metric::Utilisation), Some(0.0));
    assert_eq!(d.get(Metric::Consumers), Some(f64::INFINITY));
    assert_rel!(d.get(metric("p99")).unwrap(), lognormal_p99(), 1e-12);
    // N ~ Poisson(9.6): P(N = 0) = e^-9.6.
    assert_rel!(d.solution().unwrap().p0.unwrap(), (-9.6f64).exp(), 1e-12);
    // Downstream input is Poisson (Mirasol 1963): M/M/c, exact (Erlang C 0.40918...).
    let p = &s.nodes[1];
    assert_eq!(
        p.method_of(Metric::MeanWait).unwrap().exactness,
        kendall::analytic::Exactness::Exact
    );
    assert_rel!(
        p.get(Metric::WaitProbability).unwrap(),
        0.409_180_150_796_443_5,
        1e-12
    );
    // End to end: the two sojourns are independent: exact laws on the grid (numerical).
    let e = &s.end_to_end[0];
    assert_rel!(e.w.unwrap(), 0.012 + 0.012_045_9, 1e-5);
    assert_eq!(
        e.sojourn_method.as_ref().unwrap().exactness,
        kendall::analytic::Exactness::Numerical
    );
}

#[test]
fn the_simulated_delay_station_matches_the_exact_figures() {
    let m = delay_then_mmc().validate().unwrap();
    let exact = solve(&m).unwrap();
    let settings = RunSettings {
        horizon: Some(400.0),
        warmup: 5.0,
        replications: 10,
        seed: 3,
        ..RunSettings::default()
    };
    let r = simulate(&m, &settings).unwrap();
    let d = &r.queues[0];
    assert_covers!(&d.get(Metric::MeanNumber).unwrap(), 9.6, "delay L");
    assert_covers!(&d.get(Metric::MeanSojourn).unwrap(), 0.012, "delay W");
    assert_eq!(d.get(Metric::MeanWait).unwrap().mean, 0.0);
    assert_eq!(d.get(Metric::Utilisation).unwrap().mean, 0.0);
    assert_covers_percentile!(&d.get(metric("p99")).unwrap(), lognormal_p99(), "delay p99");
    let p = &r.queues[1];
    for name in ["W", "Wq", "P(wait)", "L"] {
        let want = exact.nodes[1].get(metric(name)).unwrap();
        assert_covers!(&p.get(metric(name)).unwrap(), want, "payments {name}");
    }
    let e2e = r.sources[0].get(metric("p99")).unwrap();
    let want = exact.end_to_end[0].get(metric("p99")).unwrap();
    // The grid's cell (about 1e-4 s here) on top of the histogram's bound.
    assert_covers_percentile!(&e2e, want, "end-to-end p99");
    assert!(common::assert_conservation_and_little(&r));
}

#[test]
fn think_time_in_a_closed_loop_matches_exact_mva() {
    // delay_reference.py: 20 messages, producer 1 ms, think 2 s (lognormal: BCMP
    // insensitivity), M/M/2 of 100 ms.
    let mut source = Source::new("users", poisson(1000.0), "think");
    source.window = Some(20);
    let m = Model::default()
        .with_source(source)
        .with_queue(
            Queue::delay(
                "think",
                Distribution::Lognormal {
                    mean: 2.0,
                    scv: 2.0,
                },
            )
            .with_route(Route::To("api".into())),
        )
        .with_queue(Queue::new("api", 2, exp(0.1)))
        .validate()
        .unwrap();
    let s = solve(&m).unwrap();
    let (think, api) = (&s.nodes[0], &s.nodes[1]);
    assert_rel!(
        api.get(Metric::Throughput).unwrap(),
        9.419_255_557_482_315,
        1e-12
    );
    assert_rel!(
        think.get(Metric::MeanNumber).unwrap(),
        18.838_511_114_964_63,
        1e-12
    );
    assert_rel!(
        api.get(Metric::MeanNumber).unwrap(),
        1.151_984_513_491_579,
        1e-12
    );
    assert_rel!(
        api.get(Metric::MeanSojourn).unwrap(),
        0.122_301_014_816_025_9,
        1e-12
    );
    // End to end: think + api (the producer station is the source itself).
    assert_rel!(s.end_to_end[0].w.unwrap(), 2.122_301_014_816_026, 1e-12);
    // Nothing waits at the delay station, even in a closed loop.
    assert_eq!(think.get(metric("wait.p99")), Some(0.0));
}

#[test]
fn delay_stations_read_write_and_refuse_what_does_not_apply() {
    let text = r#"
[[source]]
name = "in"
arrival = { type = "poisson", rate = 5.0 }
to = "net"
[[queue]]
name = "net"
consumers = "infinite"
service = { type = "deterministic", value = "5ms" }
"#;
    let m: Model = toml::from_str(text).unwrap();
    assert!(m.queues[0].is_delay());
    let again: Model = toml::from_str(&m.to_toml_string().unwrap()).unwrap();
    assert_eq!(again, m);
    let bad = format!("{text}capacity = 10\nprefetch = 5\n");
    let e = toml::from_str::<Model>(&bad)
        .unwrap()
        .validate()
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("\"net\".capacity") && e.contains("delay station"),
        "{e}"
    );
    assert!(e.contains("\"net\".prefetch"), "{e}");
    let e = toml::from_str::<Model>(&text.replace("\"infinite\"", "\"many\"")).unwrap_err();
    assert!(
        e.to_string().contains("\"infinite\" for a delay station"),
        "{e}"
    );
}

#[test]
fn sizing_leaves_delay_stations_alone() {
    let m = delay_then_mmc().validate().unwrap();
    let slo: Slo = "payments.wait.p99 < 5ms".parse().unwrap();
    let options = SizingOptions {
        verify: false,
        ..Default::default()
    };
    let r = size(&m, &[slo], &options).unwrap();
    let net = r.deployment.iter().find(|c| c.queue == "network");
    assert!(
        net.is_none_or(|c| c.chosen == Queue::INFINITE_SERVERS),
        "{net:?}"
    );
    let payments = r.deployment.iter().find(|c| c.queue == "payments").unwrap();
    assert!(payments.chosen > 10);
}
