//! MAP/PH/c solved exactly as a quasi-birth–death process: M/PH/c, PH/PH/1 and
//! MMPP/PH/c. The references (`tests/reference/map_ph_c_reference.py`) are computed
//! outside the code, in mpmath with 40 digits and by other methods: the chain truncated
//! at hundreds of messages solved by block elimination (no R, no G), the tails by
//! Talbot inversion of the wait's Laplace transform (no uniformisation). Each case is
//! also simulated and must fall inside the run's intervals.

use kendall::analytic::{Exactness, solve};
use kendall::model::*;
use kendall::sim::simulate;

use crate::common::{assert_covers, assert_covers_percentile, assert_rel};

fn model(text: &str) -> ValidModel {
    let m: Model = toml::from_str(text).unwrap();
    m.validate().unwrap()
}

const M_E2_3: &str = r#"
[[source]]
name = "api"
arrival = { type = "poisson", rate = 2.1 }
to = "q"
[[queue]]
name = "q"
consumers = 3
service = { type = "erlang", k = 2, mean = 1.0 }
[queries]
at = ["0.5s", "2s"]
"#;

const E2_H2_1: &str = r#"
[[source]]
name = "api"
arrival = { type = "renewal", interarrival = { type = "erlang", k = 2, mean = 1.0 } }
to = "q"
[[queue]]
name = "q"
consumers = 1
service = { type = "hyperexponential", branches = [{ probability = 0.4, mean = 0.3 }, { probability = 0.6, mean = 1.1 }] }
[queries]
at = ["1s", "5s"]
"#;

const MMPP_E2_2: &str = r#"
[[source]]
name = "api"
arrival = { type = "mmpp", rates = [1.0, 3.0], generator = [[-0.2, 0.2], [0.3, -0.3]] }
to = "q"
[[queue]]
name = "q"
consumers = 2
service = { type = "erlang", k = 2, mean = 0.8 }
[queries]
at = ["1s", "4s"]
"#;

const MMPP_M_2: &str = r#"
[[source]]
name = "api"
arrival = { type = "mmpp", rates = [1.0, 3.0], generator = [[-0.2, 0.2], [0.3, -0.3]] }
to = "q"
[[queue]]
name = "q"
consumers = 2
service = { type = "exponential", mean = 0.8 }
[queries]
at = ["1s", "4s"]
"#;

/// (scenario, kind, [(metric, reference)]) from map_ph_c_reference.py.
type Case = (&'static str, &'static str, Vec<(&'static str, f64)>);

// Reference values are pasted with the digits mpmath printed.
#[allow(clippy::excessive_precision)]
fn cases() -> Vec<Case> {
    vec![
        (
            M_E2_3,
            "M/PH/3",
            vec![
                ("P0", 0.093_866_493_789_289_9),
                ("L", 2.977_852_522_709_788_6),
                ("Lq", 0.877_852_522_709_788_6),
                ("W", 1.418_025_010_814_185_1),
                ("Wq", 0.418_025_010_814_185_06),
                ("P(wait)", 0.487_999_897_814_895_2),
                ("Var(N)", 5.746_443_397_757_845),
                ("Var(Wq)", 0.506_740_034_231_761_2),
                ("Var(W)", 1.006_740_034_231_761_2),
                ("wait.P(>500ms)", 0.281_735_740_378_859),
                ("P(>500ms)", 0.841_826_249_607_681),
                ("wait.P(>2s)", 0.043_999_891_547_878_5),
                ("P(>2s)", 0.227_602_668_285_846),
                ("p99", 4.710_264_929_980_23),
            ],
        ),
        (
            E2_H2_1,
            "PH/PH/1",
            vec![
                ("P0", 0.22),
                ("L", 3.423_265_797_902_326_7),
                ("W", 3.423_265_797_902_326_7),
                ("Wq", 2.643_265_797_902_326_7),
                ("P(wait)", 0.721_926_097_845_952_5),
                ("Var(N)", 15.414_731_849_536_872),
                ("Var(Wq)", 12.674_528_544_603_333),
                ("Var(W)", 13.590_128_544_603_333),
                ("wait.P(>1s)", 0.542_273_824_076_152),
                ("P(>1s)", 0.700_724_399_823_256),
                ("wait.P(>5s)", 0.185_077_094_318_844),
                ("P(>5s)", 0.238_102_110_322_226),
                ("p99", 16.807_564_473_182_4),
            ],
        ),
        (
            MMPP_E2_2,
            "MMPP/PH/2",
            vec![
                ("P0", 0.183_979_592_052_379_63),
                ("L", 4.378_821_301_972_820_4),
                ("Lq", 2.938_821_301_972_820_4),
                ("W", 2.432_678_501_096_011_3),
                ("Wq", 1.632_678_501_096_011_3),
                ("P(wait)", 0.711_892_271_014_225_7),
                ("Var(N)", 27.781_801_342_001_885),
                ("Var(Wq)", 4.873_179_669_843_935),
                ("Var(W)", 5.193_179_669_843_935),
                ("wait.P(>1s)", 0.457_537_692_196_018),
                ("P(>1s)", 0.700_348_256_248_406),
                ("wait.P(>4s)", 0.124_658_742_738_311),
                ("P(>4s)", 0.182_125_697_997_574),
                ("p99", 10.735_369_972_502_6),
            ],
        ),
        (
            // Exponential service: MMPP/M/c's own solver (matrix exponentials).
            MMPP_M_2,
            "MMPP/M/c",
            vec![
                ("P0", 0.183_816_522_782_121_36),
                ("L", 4.818_730_739_957_003_5),
                ("Lq", 3.378_730_739_957_003_5),
                ("W", 2.677_072_633_309_446_4),
                ("Wq", 1.877_072_633_309_446_4),
                ("P(wait)", 0.704_109_757_263_674_6),
                ("Var(N)", 35.629_406_859_823_99),
                ("Var(Wq)", 6.704_542_226_746_364),
                ("Var(W)", 7.344_542_226_746_364),
                ("wait.P(>1s)", 0.476_408_553_245_179),
                ("P(>1s)", 0.685_047_528_728_333),
                ("wait.P(>4s)", 0.157_890_790_048_484),
                ("P(>4s)", 0.223_599_833_175_696),
            ],
        ),
    ]
}

/// Means, P0, P(wait) and Var(N) at 1e-10 relative (the QBD against block
/// elimination); the laws (tails, Var(Wq), p99) at 1e-9: the uniformised sums are
/// truncated at 1e-16 of mass.
#[test]
fn the_qbd_matches_the_truncated_chain_and_the_inverted_transforms() {
    for (text, kind, want) in cases() {
        let s = solve(&model(text)).unwrap();
        let n = &s.nodes[0];
        let method = n.method_of(Metric::MeanNumber).unwrap();
        assert!(method.name.starts_with(kind), "{kind}: {}", method.name);
        assert_eq!(method.exactness, Exactness::Numerical, "{kind}");
        for (name, value) in want {
            if name == "P0" {
                let p0 = n.solution().unwrap().p0.unwrap();
                assert_rel!(p0, value, 1e-10, "{kind} P0");
                continue;
            }
            let metric: Metric = name.parse().unwrap();
            let got = n
                .get(metric)
                .unwrap_or_else(|| panic!("{kind} {name} missing"));
            let tol = if name.contains("P(>") || name.contains("Var(Wq)") || name == "p99" {
                1e-9
            } else {
                1e-10
            };
            assert_rel!(got, value, tol, "{kind} {name}");
            assert_eq!(
                n.method_of(metric).unwrap().exactness,
                Exactness::Numerical,
                "{kind} {name}"
            );
        }
    }
}

/// The simulator agrees: every figure with a reference inside the 99.9% interval of
/// 16 replications (percentiles widened by the histogram's stated bound).
#[test]
fn simulation_agrees_with_the_exact_figures() {
    for (text, kind, want) in cases() {
        let m = model(text);
        let settings = RunSettings {
            horizon: Some(20_000.0),
            warmup: 500.0,
            replications: 16,
            seed: 17,
            ..Default::default()
        };
        let r = simulate(&m, &settings).unwrap();
        for (name, value) in want {
            if name == "P0" {
                continue; // not a simulated figure
            }
            let metric: Metric = name.parse().unwrap();
            let est = r.queues[0]
                .get(metric)
                .unwrap_or_else(|| panic!("{kind} {name} not simulated"));
            if name == "p99" {
                assert_covers_percentile!(&est, value, "{kind} {name}");
            } else {
                assert_covers!(&est, value, "{kind} {name}");
            }
        }
    }
}

/// The dispatcher: a formula the queue names is used as asked; beyond the solver's
/// size the approximation answers, labelled; an unstable queue is refused.
#[test]
fn choice_size_and_stability() {
    let named = M_E2_3.replace("consumers = 3", "consumers = 3\nmethod = \"allen-cunneen\"");
    let s = solve(&model(&named)).unwrap();
    let m = s.nodes[0].method_of(Metric::MeanNumber).unwrap();
    assert_eq!(m.exactness, Exactness::Approximation, "{}", m.name);
    // Erlang-8 service over 60 consumers: C(67, 7) configurations, far beyond 400.
    let big = M_E2_3
        .replace("consumers = 3", "consumers = 60")
        .replace("rate = 2.1", "rate = 50.0")
        .replace("k = 2", "k = 8");
    let s = solve(&model(&big)).unwrap();
    let m = s.nodes[0].method_of(Metric::MeanNumber).unwrap();
    assert_eq!(m.exactness, Exactness::Approximation, "{}", m.name);
    let over = M_E2_3.replace("rate = 2.1", "rate = 3.5");
    let s = solve(&model(&over)).unwrap();
    assert!(s.nodes[0].solution().is_none());
    let text = format!("{:?}", s.nodes[0]);
    assert!(text.contains("nstable"), "{text}");
}
