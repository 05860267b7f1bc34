//! `analytic::solve` picks the right method for each situation and labels it; the CLI
//! prints the same figures as JSON.

use kendall::analytic::Exactness;
use kendall::analytic::{ModelSolution, NodeOutcome, NodeResult, solve};
use kendall::model::*;

use crate::common;
use common::build::{exp, one_queue, poisson, split};
use common::exact::erlang_c;
use common::tol::CLOSED_FORM;
use common::{assert_abs, assert_rel};

fn node(s: &ModelSolution, name: &str) -> NodeResult {
    s.nodes.iter().find(|n| n.name == name).cloned().unwrap()
}

#[test]
fn mmc_is_exact_and_matches_erlang_c_by_direct_summation() {
    let m = one_queue(poisson(8.0), Queue::new("q", 10, exp(1.0)));
    let s = node(&solve(&m.validate().unwrap()).unwrap(), "q")
        .solution()
        .cloned()
        .unwrap();
    assert_eq!(s.method.exactness, Exactness::Exact);
    // Erlang C by direct summation (small c, no overflow): a = 8, c = 10.
    let (a, c) = (8.0, 10);
    let erlang_c = erlang_c(c, a);
    assert_rel!(s.p_wait.unwrap(), erlang_c, CLOSED_FORM, "P(wait)");
    assert_abs!(s.wq, erlang_c / (f64::from(c) - a), CLOSED_FORM, "Wq");
    assert!(s.sojourn.is_some());
}

#[test]
fn finite_capacity_uses_mmck_and_reports_blocking() {
    let m = one_queue(poisson(2.0), Queue::new("q", 1, exp(1.0)).with_capacity(3));
    let s = node(&solve(&m.validate().unwrap()).unwrap(), "q")
        .solution()
        .cloned()
        .unwrap();
    assert!(s.method.name.contains("M/M/c/K"), "{}", s.method.name);
    // M/M/1/3 at rho = 2: pi_3 = 8 / (1 + 2 + 4 + 8) = 8/15.
    assert_abs!(s.p_block.unwrap(), 8.0 / 15.0, CLOSED_FORM, "P(block)");
    assert_abs!(s.throughput, 2.0 * 7.0 / 15.0, CLOSED_FORM, "X");
}

#[test]
fn deterministic_service_one_server_is_md1_with_percentiles() {
    let m = one_queue(
        poisson(0.5),
        Queue::new("q", 1, Distribution::Deterministic { value: 1.0 }),
    );
    let s = node(&solve(&m.validate().unwrap()).unwrap(), "q")
        .solution()
        .cloned()
        .unwrap();
    assert!(s.method.name.contains("M/G/1"), "{}", s.method.name);
    // P-K: Wq = lambda E[S^2] / (2(1 - rho)) = 0.5 / 1 = 0.5.
    assert_abs!(s.wq, 0.5, CLOSED_FORM, "Wq");
    assert!(s.wait.is_some());
}

#[test]
fn general_service_several_servers_is_a_labelled_approximation() {
    let m = one_queue(
        poisson(3.0),
        Queue::new(
            "q",
            4,
            Distribution::Lognormal {
                mean: 1.0,
                scv: 2.0,
            },
        ),
    );
    let s = node(&solve(&m.validate().unwrap()).unwrap(), "q")
        .solution()
        .cloned()
        .unwrap();
    assert_eq!(s.method.exactness, Exactness::Approximation);
    assert!(s.method.name.contains("Whitt (1993)"), "{}", s.method.name);
    // Percentiles from the fitted wait, labelled as such (values: wait_fit's unit tests).
    assert!(s.wait.is_some() && s.sojourn.is_some(), "{s:?}");
    let d = s.distribution_method.unwrap();
    assert_eq!(d.exactness, Exactness::Approximation);
    assert!(
        d.name.contains("exponential of mean E[Wq]/P(wait)"),
        "{}",
        d.name
    );
}

/// A bursty source straight into an exponential queue: MMPP/M/c, exact (numerical);
/// phase-type service: MAP/PH/c, exact; with other service laws and bursts the
/// consumers can hold: QNA.
#[test]
fn bursty_source_is_a_qbd_or_goes_through_qna() {
    let mmpp = || ArrivalProcess::Mmpp {
        rates: vec![1.0, 11.0],
        generator: vec![vec![-0.5, 0.5], vec![1.5, -1.5]],
    };
    let m = one_queue(mmpp(), Queue::new("q", 2, exp(0.3)));
    let s = node(&solve(&m.validate().unwrap()).unwrap(), "q")
        .solution()
        .cloned()
        .unwrap();
    assert_eq!(s.method.exactness, Exactness::Numerical);
    assert!(
        s.method.name.contains("quasi-birth–death"),
        "{}",
        s.method.name
    );
    // Erlang-2 service, 4 consumers: MMPP/PH/4 as a QBD, exact (numerical), its
    // percentiles too.
    let m = one_queue(
        mmpp(),
        Queue::new("q", 4, Distribution::Erlang { k: 2, mean: 0.3 }),
    );
    let s = node(&solve(&m.validate().unwrap()).unwrap(), "q")
        .solution()
        .cloned()
        .unwrap();
    assert_eq!(s.method.exactness, Exactness::Numerical);
    assert!(s.method.name.starts_with("MMPP/PH/4"), "{}", s.method.name);
    assert!(s.sojourn.is_some());
    // Lognormal service (not phase-type), 13.3/s of capacity above the 11/s bursts:
    // the two-moment approximation.
    let m = one_queue(
        mmpp(),
        Queue::new(
            "q",
            4,
            Distribution::Lognormal {
                mean: 0.3,
                scv: 1.0,
            },
        ),
    );
    let s = node(&solve(&m.validate().unwrap()).unwrap(), "q")
        .solution()
        .cloned()
        .unwrap();
    assert_eq!(s.method.exactness, Exactness::Approximation);
    assert!(
        s.method.name.contains("QNA") || s.method.name.contains("MMPP input"),
        "{}",
        s.method.name
    );
}

#[test]
fn unstable_time_varying_and_blocking_nodes_are_refused_with_reasons() {
    let m = one_queue(poisson(10.0), Queue::new("q", 2, exp(0.5)));
    let n = node(&solve(&m.validate().unwrap()).unwrap(), "q");
    assert!(n.refusal().unwrap().contains("utilisation 2.5"));

    let m = one_queue(
        ArrivalProcess::Profile {
            base: 1.0,
            segments: vec![Segment {
                start: 10.0,
                end: 20.0,
                rate: 5.0,
            }],
            period: None,
        },
        Queue::new("q", 2, exp(0.1)),
    );
    assert!(
        node(&solve(&m.validate().unwrap()).unwrap(), "q")
            .refusal()
            .unwrap()
            .contains("time-varying")
    );

    // A blocking queue behind an unbounded one: outside the exact whole-model chain.
    let mut q = Queue::new("b", 2, exp(0.1)).with_capacity(5);
    q.on_full = OnFull::Block;
    let m = one_queue(
        poisson(1.0),
        Queue::new("q", 2, exp(0.1)).with_route(Route::To("b".into())),
    )
    .with_queue(q);
    assert!(
        node(&solve(&m.validate().unwrap()).unwrap(), "b")
            .refusal()
            .unwrap()
            .contains("block")
    );
}

#[test]
fn priority_classes_get_per_class_figures() {
    let mut hi = Source::new("hi", poisson(0.3), "q");
    hi.priority = 1;
    let mut lo = Source::new("lo", poisson(0.4), "q");
    lo.priority = 2;
    let m = Model::default()
        .with_source(hi)
        .with_source(lo)
        .with_queue(Queue::new("q", 1, exp(1.0)).with_discipline(Discipline::Priority));
    let n = node(&solve(&m.validate().unwrap()).unwrap(), "q");
    let classes = n.classes.unwrap().classes;
    // Cobham, exponential service mean 1: W0 = rho = 0.7; Wq1 = 0.7/0.7 = 1, Wq2 = 0.7/(0.7*0.3).
    assert_abs!(classes[0].wq, 1.0, CLOSED_FORM, "class 1 Wq");
    assert_abs!(classes[1].wq, 0.7 / (0.7 * 0.3), CLOSED_FORM, "class 2 Wq");
}

#[test]
fn jackson_feedback_is_labelled_per_visit() {
    let m = one_queue(
        poisson(1.0),
        Queue::new("q", 1, exp(0.25)).with_route(split(&[("q", 0.5), ("exit", 0.5)])),
    );
    let s = node(&solve(&m.validate().unwrap()).unwrap(), "q")
        .solution()
        .cloned()
        .unwrap();
    // lambda = 1 / (1 - 0.5) = 2, rho = 0.5, L = 1.
    assert_abs!(s.arrival_rate, 2.0, CLOSED_FORM, "λ per visit");
    assert_abs!(s.l, 1.0, CLOSED_FORM, "L");
    assert!(s.method.name.contains("Jackson"), "{}", s.method.name);
}

#[cfg(feature = "cli")]
#[test]
fn cli_solve_json_has_the_documented_shape() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kendall"))
        .args([
            "solve",
            concat!(env!("CARGO_MANIFEST_DIR"), "/examples/single_queue.toml"),
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["nodes"][0]["status"], "solved");
    let sol = &v["nodes"][0]["solution"];
    for key in [
        "method",
        "arrival_rate",
        "throughput",
        "utilisation",
        "l",
        "lq",
        "w",
        "wq",
        "p0",
        "p_wait",
        "p_block",
        "state_probabilities",
        "wait",
        "sojourn",
        "distribution_method",
    ] {
        assert!(!sol[key].is_null(), "missing {key}");
    }
    assert_eq!(sol["method"]["exactness"], "exact");
    let csv = std::process::Command::new(env!("CARGO_BIN_EXE_kendall"))
        .args([
            "solve",
            concat!(env!("CARGO_MANIFEST_DIR"), "/examples/single_queue.toml"),
            "--format",
            "csv",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(csv.stdout).unwrap();
    assert!(text.starts_with("# schema_version=1\nnode,metric,value,method\n"));
    assert!(text.contains("payments,p99,"));
}

#[test]
fn cli_reports_bad_files_without_panicking() {
    let dir = std::env::temp_dir().join("kendall-cli-bad");
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("bad.toml");
    std::fs::write(
        &f,
        "[[source]]\nname = \"a\"\narrival = { type = \"poisson\", rate = -1 }\nto = \"nowhere\"\n",
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kendall"))
        .args(["solve"])
        .arg(&f)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("source \"a\".arrival.rate"), "{err}");
    assert!(err.contains("source \"a\".to"), "{err}");
    assert!(!err.contains("panicked"));
}

/// `method` on a queue chooses its G/G/c approximation, and the label says which;
/// Allen–Cunneen's Wq = C(c, a)/(cμ − λ)·(ca² + cs²)/2 by hand; Kingman with several
/// consumers is refused naming the fix; an unknown name is a validation error.
#[test]
fn the_ggc_method_is_the_queues_choice() {
    let lognormal = Distribution::Lognormal {
        mean: 0.1,
        scv: 2.0,
    };
    let q = |m: Option<GgcMethod>| {
        let mut q = Queue::new("q", 3, lognormal.clone());
        q.method = m;
        one_queue(poisson(20.0), q).validate().unwrap()
    };
    let whitt = node(&solve(&q(None)).unwrap(), "q")
        .solution()
        .cloned()
        .unwrap();
    assert!(
        whitt.method.name.contains("Whitt (1993)"),
        "{}",
        whitt.method.name
    );
    let ac = node(&solve(&q(Some(GgcMethod::AllenCunneen))).unwrap(), "q")
        .solution()
        .cloned()
        .unwrap();
    assert!(ac.method.name.contains("Allen"), "{}", ac.method.name);
    let (lambda, mu, c) = (20.0, 10.0, 3u64);
    let hand = kendall::analytic::erlang_c(c, lambda / mu).unwrap() / (c as f64 * mu - lambda)
        * (1.0 + 2.0)
        / 2.0;
    assert_rel!(ac.wq, hand, 1e-12, "Allen–Cunneen Wq");
    let kingman = node(&solve(&q(Some(GgcMethod::Kingman))).unwrap(), "q")
        .refusal()
        .unwrap()
        .to_string();
    assert!(kingman.contains("Kingman"), "{kingman}");
    let bad: Result<Model, _> = toml::from_str(
        r#"
        [[source]]
        name = "s"
        arrival = { type = "poisson", rate = 1.0 }
        to = "q"
        [[queue]]
        name = "q"
        consumers = 1
        service = { type = "exponential", mean = 0.1 }
        method = "fancy"
        "#,
    );
    let e = bad.unwrap_err().to_string();
    assert!(e.contains("method") || e.contains("fancy"), "{e}");
}

/// Many consumers: P0 of M/M/1000 at load 0.9 underflows (about e⁻⁹⁰⁰), so the state
/// list starts where the mass is, labelled by its first n; consecutive entries follow
/// P(n + 1)/P(n) = a/(n + 1) below c (the Erlang product form), and the list holds all
/// but 1e-6 of the mass.
#[test]
fn state_probabilities_of_many_consumers_start_where_the_mass_is() {
    let m = one_queue(poisson(900.0), Queue::new("q", 1000, exp(1.0)));
    let s = node(&solve(&m.validate().unwrap()).unwrap(), "q")
        .solution()
        .cloned()
        .unwrap();
    assert!(
        s.state_offset > 600 && s.state_offset < 900,
        "{}",
        s.state_offset
    );
    assert!(s.state_probabilities[0] >= 1e-15);
    for (k, w) in s.state_probabilities.windows(2).enumerate().take(100) {
        let n = s.state_offset + k as u64;
        assert_rel!(
            w[1] / w[0],
            900.0 / (n + 1) as f64,
            1e-10,
            "P({})/P({n})",
            n + 1
        );
    }
    let covered: f64 = s.state_probabilities.iter().sum();
    assert!(covered > 1.0 - 1e-6, "{covered}");
}

/// A G/G/c approximation (Whitt 1993: Poisson input, lognormal service, 50 consumers)
/// has no blocking figure of its own. The queue has no capacity limit, so P(block) is 0
/// by construction: every output says 0, labelled exact (the text table printed 0 and
/// the JSON null, under the approximation's label).
#[test]
fn blocking_without_a_capacity_limit_is_an_exact_zero_in_every_output() {
    let m = one_queue(
        poisson(45.0),
        Queue::new(
            "q",
            50,
            Distribution::Lognormal {
                mean: 1.0,
                scv: 2.0,
            },
        ),
    )
    .validate()
    .unwrap();
    let s = solve(&m).unwrap();
    let n = node(&s, "q");
    let sol = n.solution().unwrap();
    assert_eq!(
        sol.method.exactness,
        Exactness::Approximation,
        "{}",
        sol.method
    );
    assert_eq!(sol.p_block, Some(0.0));
    assert_eq!(n.get(Metric::Blocking), Some(0.0));
    assert_eq!(
        n.method_of(Metric::Blocking).unwrap().exactness,
        Exactness::Exact
    );
    // The other figures keep the approximation's label.
    assert_eq!(
        n.method_of(Metric::MeanWait).unwrap().exactness,
        Exactness::Approximation
    );
    let json = serde_json::to_value(&s).unwrap();
    assert_eq!(json["nodes"][0]["solution"]["p_block"], 0.0);
    assert_eq!(
        json["nodes"][0]["solution"]["p_block_method"]["exactness"],
        "exact"
    );
    let text = kendall::report::solution_text(&s);
    let row = text.lines().find(|l| l.starts_with("P(block)")).unwrap();
    assert_eq!(row.split_whitespace().last(), Some("0"), "{text}");
    assert!(text.contains("P(block): no capacity limit"), "{text}");
    let csv = kendall::report::solution_table(&s).to_csv();
    assert!(
        csv.contains("q,P(block),0,no capacity limit: no arrival is ever blocked [exact]"),
        "{csv}"
    );
    let tidy = kendall::report::tidy::solution_rows(&s);
    let b = tidy.iter().find(|r| r.metric == "P(block)").unwrap();
    assert_eq!(
        (b.value, b.exactness.as_deref()),
        (Some(0.0), Some("exact"))
    );
    // compare pairs it with the simulated 0 as an exact figure.
    let settings = RunSettings {
        horizon: Some(40.0),
        warmup: 5.0,
        replications: 2,
        ..RunSettings::default()
    };
    let sim = kendall::simulate(&m, &settings).unwrap();
    let rows = kendall::compare_reports(&s, &sim, kendall::DEFAULT_FLAG_THRESHOLD);
    let r = rows
        .iter()
        .find(|r| r.node == "q" && r.metric == Metric::Blocking)
        .unwrap();
    assert_eq!(r.analytic, Some(0.0));
    assert_eq!(r.exactness, Some(Exactness::Exact));
    assert_eq!(r.simulated.map(|e| e.mean), Some(0.0));
}

/// A finite queue whose method gives no P(block) shows it as unknown everywhere: "-"
/// in the tables, null in JSON, no analytic value in compare (never a 0 that an SLO
/// would pass on). No solver leaves it out today (a finite buffer without a blocking
/// figure is refused), so the solution is edited to stand for one.
#[test]
fn a_blocking_figure_the_method_does_not_give_is_unknown_in_every_output() {
    let m = one_queue(poisson(2.0), Queue::new("q", 1, exp(1.0)).with_capacity(3))
        .validate()
        .unwrap();
    let mut s = solve(&m).unwrap();
    let NodeOutcome::Solved { solution } = &mut s.nodes[0].outcome else {
        panic!("M/M/1/3 is solved")
    };
    // M/M/1/3 at a = 2: P(block) = a³/(1 + a + a² + a³) = 8/15.
    assert_rel!(solution.p_block.unwrap(), 8.0 / 15.0, CLOSED_FORM);
    solution.p_block = None;
    let n = &s.nodes[0];
    assert_eq!(n.get(Metric::Blocking), None);
    let json = serde_json::to_value(&s).unwrap();
    assert!(json["nodes"][0]["solution"]["p_block"].is_null());
    let text = kendall::report::solution_text(&s);
    let row = text.lines().find(|l| l.starts_with("P(block)")).unwrap();
    assert_eq!(row.split_whitespace().last(), Some("-"), "{text}");
    let csv = kendall::report::solution_table(&s).to_csv();
    assert!(
        csv.contains("q,P(block),-,not given by this method"),
        "{csv}"
    );
}
