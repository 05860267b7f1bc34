//! Var(N), Var(W), Var(Wq) in both engines. References outside the code:
//! `tests/reference/variance_reference.py` (mpmath: sums over the stationary law,
//! numerical integration, and numerical differentiation of the Pollaczek–Khinchine
//! transforms).

use kendall::analytic::solve;
use kendall::model::*;
use kendall::sim::simulate;

use crate::common;
use common::build::poisson;
use common::{assert_covers, assert_rel};

/// One queue fed by Poisson at `rate`.
fn one(rate: f64, servers: u32, service: Distribution) -> ValidModel {
    Model::default()
        .with_source(Source::new("s", poisson(rate), "q"))
        .with_queue(Queue::new("q", servers, service))
        .validate()
        .unwrap()
}

#[test]
fn mmc_variances_match_the_stationary_law() {
    let s = solve(&one(800.0, 10, Distribution::Exponential { mean: 0.01 })).unwrap();
    let n = &s.nodes[0];
    assert_rel!(
        n.get(Metric::VarNumber).unwrap(),
        23.325_072_302_150_71,
        1e-12
    );
    assert_rel!(
        n.get(Metric::VarWait).unwrap(),
        1.627_329_764_467_717e-5,
        1e-12
    );
    assert_rel!(
        n.get(Metric::VarSojourn).unwrap(),
        1.162_732_976_446_771_7e-4,
        1e-12
    );
}

#[test]
fn mg1_variances_match_the_pollaczek_khinchine_transforms() {
    let s = solve(&one(0.6, 1, Distribution::Erlang { k: 3, mean: 1.0 })).unwrap();
    let n = &s.nodes[0];
    assert_rel!(n.get(Metric::VarWait).unwrap(), 19.0 / 9.0, 1e-12);
    assert_rel!(n.get(Metric::VarSojourn).unwrap(), 22.0 / 9.0, 1e-12);
    assert_rel!(n.get(Metric::VarNumber).unwrap(), 2.08, 1e-12);
    // M/M/1 at rho = 0.5: Var(N) = rho/(1 - rho)^2 = 2, Var(W) = 1/(mu - lambda)^2 = 4.
    let s = solve(&one(0.5, 1, Distribution::Exponential { mean: 1.0 })).unwrap();
    assert_rel!(s.nodes[0].get(Metric::VarNumber).unwrap(), 2.0, 1e-14);
    assert_rel!(s.nodes[0].get(Metric::VarSojourn).unwrap(), 4.0, 1e-14);
    assert_rel!(s.nodes[0].get(Metric::VarWait).unwrap(), 3.0, 1e-14);
}

/// Service laws whose percentiles come from the fitted wait (gamma of shape 2.5,
/// lognormal, uniform) keep the exact Takács variances of M/G/1 (they were not given):
/// Var(Wq) = λE[S³]/(3(1 − ρ)) + (λE[S²]/(2(1 − ρ)))², Var(W) = Var(Wq) + Var(S), with
/// the moments written out here from each law's definition.
#[test]
fn mg1_variances_for_every_service_law() {
    let (lambda, m) = (80.0f64, 0.01f64);
    let gamma = (2.5, m * m * (1.0 + 1.0 / 2.5), m.powi(3) * 3.5 * 4.5 / 6.25);
    // Lognormal of mean m, SCV 2: E[S^k] = m^k (1 + scv)^(k(k−1)/2).
    let logn = (3.0, m * m * 3.0, m.powi(3) * 27.0);
    // Uniform on [0.005, 0.015]: E[S²] = (a² + ab + b²)/3, E[S³] = (a + b)(a² + b²)/4.
    let (a, b) = (0.005f64, 0.015f64);
    let uni = (
        0.0,
        (a * a + a * b + b * b) / 3.0,
        (a + b) * (a * a + b * b) / 4.0,
    );
    for (service, (_, s2, s3)) in [
        (
            Distribution::Gamma {
                shape: 2.5,
                mean: m,
            },
            gamma,
        ),
        (Distribution::Lognormal { mean: m, scv: 2.0 }, logn),
        (Distribution::Uniform { min: a, max: b }, uni),
    ] {
        let rho = lambda * m;
        let wq = lambda * s2 / (2.0 * (1.0 - rho));
        let var_wq = lambda * s3 / (3.0 * (1.0 - rho)) + wq * wq;
        let var_w = var_wq + s2 - m * m;
        let s = solve(&one(lambda, 1, service.clone())).unwrap();
        let n = &s.nodes[0];
        assert_rel!(n.get(Metric::VarWait).unwrap(), var_wq, 1e-12);
        assert_rel!(n.get(Metric::VarSojourn).unwrap(), var_w, 1e-12);
        assert_rel!(
            n.get(Metric::VarNumber).unwrap(),
            lambda * lambda * var_w + lambda * (wq + m),
            1e-12
        );
    }
}

#[test]
fn simulated_variances_cover_the_exact_values() {
    for (m, label) in [
        (
            one(800.0, 10, Distribution::Exponential { mean: 0.01 }),
            "M/M/10",
        ),
        (
            one(0.6, 1, Distribution::Erlang { k: 3, mean: 1.0 }),
            "M/E3/1",
        ),
    ] {
        let exact = solve(&m).unwrap();
        let horizon = if label == "M/E3/1" { 40_000.0 } else { 400.0 };
        let settings = RunSettings {
            horizon: Some(horizon),
            warmup: horizon / 50.0,
            replications: 12,
            seed: 11,
            ..RunSettings::default()
        };
        let r = simulate(&m, &settings).unwrap();
        for metric in [Metric::VarNumber, Metric::VarSojourn, Metric::VarWait] {
            let want = exact.nodes[0].get(metric).unwrap();
            assert_covers!(&r.queues[0].get(metric).unwrap(), want, "{label} {metric}");
        }
    }
}

/// M/M/c/K: Var(N) over the finite law, Var(Wq) and Var(W) per admitted message, below
/// and far above saturation (variance_reference.py: balance equations and the wait's
/// transform, 20 digits), and simulated.
#[test]
#[allow(clippy::excessive_precision)]
fn mmck_variances_match_the_finite_law_and_simulation() {
    let finite = |rate: f64, c: u32, k: u64| {
        Model::default()
            .with_source(Source::new("s", poisson(rate), "q"))
            .with_queue(
                Queue::new("q", c, Distribution::Exponential { mean: 1.0 }).with_capacity(k),
            )
            .validate()
            .unwrap()
    };
    for (m, want) in [
        (
            finite(2.5, 3, 10),
            [
                7.379_914_384_123_864_2,
                0.768_683_861_370_697_2,
                1.768_683_861_370_697_2,
            ],
        ),
        (
            finite(3.0, 2, 40),
            [
                5.999_876_974_527_049,
                10.499_956_827_280_26,
                11.499_956_827_280_26,
            ],
        ),
    ] {
        let s = solve(&m).unwrap();
        let n = &s.nodes[0];
        for (metric, want) in [Metric::VarNumber, Metric::VarWait, Metric::VarSojourn]
            .into_iter()
            .zip(want)
        {
            assert_rel!(n.get(metric).unwrap(), want, 1e-10, "{metric}");
        }
    }
    let m = finite(2.5, 3, 10);
    let exact = solve(&m).unwrap();
    let settings = RunSettings {
        horizon: Some(20_000.0),
        warmup: 200.0,
        replications: 12,
        seed: 4,
        ..RunSettings::default()
    };
    let r = simulate(&m, &settings).unwrap();
    for metric in [Metric::VarNumber, Metric::VarSojourn, Metric::VarWait] {
        let want = exact.nodes[0].get(metric).unwrap();
        assert_covers!(&r.queues[0].get(metric).unwrap(), want, "M/M/3/10 {metric}");
    }
}
