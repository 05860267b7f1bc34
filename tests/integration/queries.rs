//! Distribution queries: tail probabilities P(W > t), P(Wq > t) and percentiles at any
//! level, in both engines, the SLO grammar, sizing and the CLI. The analytic references
//! are computed outside the code: `tests/reference/tail_reference.py` (mpmath, 40
//! digits, numerical integration of the convolutions).

use kendall::analytic::solve;
use kendall::model::*;
use kendall::sim::simulate;
use kendall::{SizingOptions, size};
use std::process::Command;

use crate::common;
use common::build::{exp, poisson};
use common::{assert_covers, assert_covers_percentile, assert_rel};

fn metric(name: &str) -> Metric {
    name.parse().unwrap()
}

/// `examples/single_queue.toml` (M/M/10, 800/s, mean service 10 ms) asking for p9995,
/// p9999 and the tails at 50 ms and 100 ms.
fn single_queue_asking() -> ValidModel {
    let m = Model::load(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/single_queue.toml"
    ))
    .unwrap()
    .validate()
    .unwrap();
    m.with_queries(&Queries {
        percentiles: vec![99.95, 99.99],
        at: vec![0.05, 0.1],
    })
    .unwrap()
}

#[test]
fn mmc_tails_and_other_levels_match_the_mpmath_reference() {
    let s = solve(&single_queue_asking()).unwrap();
    let n = &s.nodes[0];
    // tail_reference.py: Erlang C 0.40918015079644354.
    for (name, want) in [
        ("wait.P(>50ms)", 1.8576750106361495e-05),
        ("P(>50ms)", 0.00947640441812334),
        ("wait.P(>100ms)", 8.433831500440449e-10),
        ("P(>100ms)", 6.39758364856963e-05),
        ("wait.p9995", 0.03353651353060414),
        ("p9995", 0.07943807498448797),
        ("wait.p9999", 0.04158370309277464),
        ("p9999", 0.09553327847861466),
    ] {
        // Tails: 1 − CDF in doubles, so relative 1e-6 at 8e-10 (absolute 1e-15);
        // quantiles to the root finder's 1e-13 relative.
        let tol = if name.contains("P(") { 1e-6 } else { 1e-11 };
        assert_rel!(n.get(metric(name)).unwrap(), want, tol, "{name}");
        assert!(
            n.method_of(metric(name)).unwrap().name.contains("Erlang C"),
            "{name}"
        );
    }
    // One queue: the end-to-end time is its sojourn.
    let e = &s.end_to_end[0];
    assert_rel!(
        e.get(metric("P(>50ms)")).unwrap(),
        0.00947640441812334,
        1e-9
    );
    assert_rel!(e.get(metric("p9999")).unwrap(), 0.09553327847861466, 1e-11);
    assert!(
        e.get(metric("wait.P(>50ms)")).is_none(),
        "no waiting time end to end"
    );
    // The solution lists what was asked for; the JSON carries it.
    assert_eq!(s.queried.queue.len(), 8);
    let json = serde_json::to_string(&s).unwrap();
    assert!(json.contains("\"metric\":\"wait.P(>50ms)\""), "{json}");
}

#[test]
fn hypoexponential_tandem_tails_match_the_mpmath_reference() {
    // Sojourns Exp(3 − 1) and Exp(4 − 1): tail_reference.py's Exp(2) + Exp(3).
    let m = Model::default()
        .with_source(Source::new("s", poisson(1.0), "a"))
        .with_queue(Queue::new("a", 1, exp(1.0 / 3.0)).with_route(Route::To("b".into())))
        .with_queue(Queue::new("b", 1, exp(0.25)));
    let mut m = m;
    m.queries = Queries {
        percentiles: vec![99.95],
        at: vec![1.0, 3.0],
    };
    let s = solve(&m.validate().unwrap()).unwrap();
    let e = &s.end_to_end[0];
    assert_rel!(e.get(metric("P(>1s)")).unwrap(), 0.3064317129741102, 1e-9);
    assert_rel!(e.get(metric("P(>3s)")).unwrap(), 0.007189436921825716, 1e-9);
    assert_rel!(e.get(metric("p9995")).unwrap(), 4.345416550403249, 1e-11);
    assert!(
        e.method_of(metric("P(>1s)"))
            .unwrap()
            .name
            .contains("hypoexponential")
    );
}

#[test]
fn grid_tails_invert_the_grid_percentiles() {
    // Two M/M/2 in tandem: no exact law, the grid convolution. Its tail at its own p99
    // must be 1% (the same piecewise-linear CDF both ways).
    let mut m = Model::default()
        .with_source(Source::new("s", poisson(3.0), "a"))
        .with_queue(Queue::new("a", 2, exp(0.5)).with_route(Route::To("b".into())))
        .with_queue(Queue::new("b", 2, exp(0.4)));
    let p99 = {
        let s = solve(&m.clone().validate().unwrap()).unwrap();
        s.end_to_end[0].sojourn.unwrap().p99
    };
    m.queries.at = vec![p99];
    let s = solve(&m.validate().unwrap()).unwrap();
    let e = &s.end_to_end[0];
    assert!(e.grid_cell.is_some());
    let tail = e
        .get(Metric::SojournTail(Threshold::new(p99).unwrap()))
        .unwrap();
    common::assert_abs!(tail, 0.01, 1e-9);
}

#[test]
fn simulated_tails_and_levels_cover_the_exact_values() {
    // M/M/1 at rho = 0.5, mean service 1 s: W ~ Exp(0.5), P(Wq > t) = rho e^{-t/2}.
    let mut m = Model::default()
        .with_source(Source::new("s", poisson(0.5), "q"))
        .with_queue(Queue::new("q", 1, exp(1.0)));
    m.queries = Queries {
        percentiles: vec![99.5],
        at: vec![2.0, 6.0],
    };
    let v = m.validate().unwrap();
    let settings = RunSettings {
        horizon: Some(20_000.0),
        warmup: 100.0,
        replications: 12,
        seed: 5,
        ..RunSettings::default()
    };
    let r = simulate(&v, &settings).unwrap();
    let q = &r.queues[0];
    for t in [2.0f64, 6.0] {
        let at = Threshold::new(t).unwrap();
        let sojourn = (-0.5 * t).exp();
        let wait = 0.5 * (-0.5 * t).exp();
        assert_covers!(
            &q.get(Metric::SojournTail(at)).unwrap(),
            sojourn,
            "P(W > {t})"
        );
        assert_covers!(&q.get(Metric::WaitTail(at)).unwrap(), wait, "P(Wq > {t})");
        let e2e = r.sources[0].get(Metric::SojournTail(at)).unwrap();
        assert_covers!(&e2e, sojourn, "end to end P(T > {t})");
    }
    // p995: Exp(0.5) quantile 2 ln 200; the wait's 2 ln(0.5 / 0.005).
    assert_covers_percentile!(&q.get(metric("p995")).unwrap(), 2.0 * 200f64.ln(), "p995");
    assert_covers_percentile!(
        &q.get(metric("wait.p995")).unwrap(),
        2.0 * 100f64.ln(),
        "wait.p995"
    );
    // Both engines side by side: the tails' rows are there.
    let rows = kendall::compare_reports(&solve(&v).unwrap(), &r, 0.1);
    assert!(
        rows.iter()
            .any(|r| r.metric == metric("wait.P(>6s)") && r.analytic.is_some())
    );
}

#[test]
fn slos_on_tails_and_levels_parse_solve_and_size() {
    let m = Model::load(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/single_queue.toml"
    ))
    .unwrap()
    .validate()
    .unwrap();
    let slo: Slo = "payments.wait.P(> 50ms) < 1e-9".parse().unwrap();
    // An SLO asks for its own figure: no [queries] needed.
    let with = m.with_slos(std::slice::from_ref(&slo)).unwrap();
    let s = solve(&with).unwrap();
    assert!(s.nodes[0].get(slo.metric).is_some());
    let options = SizingOptions {
        verify: false,
        ..Default::default()
    };
    let r = size(&with, std::slice::from_ref(&slo), &options).unwrap();
    // P(Wq > 50 ms) = C(c, 8) e^{-(100c - 800)·0.05}: c = 11 gives 0.245·e^{-15} = 7.5e-8,
    // c = 12 gives 2.9e-10 (Erlang C by the direct sums of tail_reference.py's method).
    assert_eq!(r.deployment[0].chosen, 12);
    assert!(r.all_met);
    // An end-to-end level beyond the service time's own is refused at once.
    let p9995: Slo = "end_to_end.p9995 < 60ms".parse().unwrap();
    assert!(size(&m, &[p9995], &options).is_err());
}

#[test]
fn bad_queries_name_the_field_and_the_fix() {
    let text = r#"
[[source]]
name = "in"
arrival = { type = "poisson", rate = 1.0 }
to = "q"
[[queue]]
name = "q"
consumers = 2
service = { type = "exponential", mean = 0.1 }
[queries]
percentiles = [99.9, 100.0]
"#;
    let mut m: Model = toml::from_str(text).unwrap();
    let e = m.validate().unwrap_err().to_string();
    assert!(
        e.contains("queries.percentiles[1]") && e.contains("strictly between 0 and 100"),
        "{e}"
    );
    // From the API (a scenario file refuses a negative time when it is read).
    m.queries = Queries {
        percentiles: vec![],
        at: vec![0.05, f64::NAN],
    };
    let e = m.validate().unwrap_err().to_string();
    assert!(
        e.contains("queries.at[1]") && e.contains("finite time >= 0"),
        "{e}"
    );
    let bad = text.replace("percentiles = [99.9, 100.0]", "at = [\"-5ms\"]");
    let e = toml::from_str::<Model>(&bad).unwrap_err().to_string();
    assert!(e.contains("line 11") && e.contains(">= 0"), "{e}");
}

#[test]
fn cli_reports_the_asked_figures_and_refuses_bad_flags() {
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_kendall"))
            .args(args)
            .output()
            .unwrap()
    };
    let scenario = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/single_queue.toml");
    let out = run(&[
        "solve",
        scenario,
        "--at",
        "50ms",
        "--percentiles",
        "99.95",
        "--format",
        "csv",
    ]);
    assert!(out.status.success());
    let csv = String::from_utf8(out.stdout).unwrap();
    assert!(csv.contains("payments,wait.P(>50ms),"), "{csv}");
    assert!(csv.contains("end_to_end:checkout,p9995,"), "{csv}");
    let out = run(&["solve", scenario, "--percentiles", "100"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("--percentiles"), "{err}");
}

#[test]
fn state_probabilities_below_the_smallest_double_are_given_in_log_space() {
    // M/M/1000 at a = 900: P0 is about 1e-391 (tail_reference.py, mpmath).
    let m = Model::default()
        .with_source(Source::new("s", poisson(900.0), "q"))
        .with_queue(Queue::new("q", 1000, exp(1.0)))
        .validate()
        .unwrap();
    let s = solve(&m).unwrap();
    let sol = s.nodes[0].solution().unwrap();
    assert_eq!(sol.p0, None, "P0 underflows a double");
    assert_rel!(sol.log10_p0.unwrap(), -390.865_052_297_320_06, 1e-13);
    let want = [
        -390.865_052_297_320_06,
        -387.910_809_787_880_7,
        -385.257_597_274_105_4,
        -382.780_476_019_385_7,
    ];
    for (got, want) in sol.log10_state_head.iter().zip(want) {
        assert_rel!(*got, want, 1e-13);
    }
    // As plain probabilities they are below the smallest double: null in JSON, their
    // logarithm the figure.
    assert_eq!(sol.state_head.len(), sol.log10_state_head.len());
    assert!(sol.state_head.iter().all(Option::is_none));
    for (n, want) in want.into_iter().enumerate() {
        assert_eq!(sol.state_probability(n as u64), None);
        assert_rel!(sol.log10_state_probability(n as u64).unwrap(), want, 1e-13);
    }
    let csv = kendall::report::solution_table(&s).to_csv();
    assert!(
        csv.contains("q,P(N=3),-,") && csv.contains("q,log10(P(N=3)),-382.78"),
        "{csv}"
    );
    // The table marks them as underflow rather than printing 0 or leaving them out.
    let text = kendall::report::solution_text(&s);
    assert!(
        text.contains("P(N=3)              10^-382.78 (underflow)"),
        "{text}"
    );
}
