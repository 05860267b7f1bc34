//! Identities that tie the Markovian solvers together and to their own distributions:
//! special cases (M/M/c with c = 1 is M/M/1, M/M/c/c is Erlang B, M/M/c/K tends to M/M/c
//! as K grows), Little's law, probabilities summing to one, the mean of each waiting and
//! sojourn distribution (∫ P(T > t) dt, by numerical quadrature) equal to the solver's
//! mean, quantile/CDF round trips, ρ = 1 and ρ > 1 on finite nodes, and named errors.

use kendall::analytic::MM1;
use kendall::analytic::MMInf;
use kendall::analytic::MMc;
use kendall::analytic::MMcK;
use kendall::analytic::erlang_b;
use kendall::analytic::{AnalyticError, NodeSolution, QueueMetrics};
use proptest::prelude::*;

use crate::common;
use common::tol::{CLOSED_FORM, PROBABILITY, QUADRATURE, QUANTILE, SHORT_SUM};
use common::{assert_abs, assert_rel, rel_eq};

/// ∫₀^∞ tail(t) dt by adaptive Simpson on [0, T], T doubled until tail(T) < 1e-17.
fn integrate_tail(tail: &dyn Fn(f64) -> f64, scale: f64) -> f64 {
    let mut hi = scale.max(1e-12);
    while tail(hi) > 1e-17 {
        hi *= 2.0;
    }
    fn simpson(a: f64, b: f64, fa: f64, fm: f64, fb: f64) -> f64 {
        (b - a) / 6.0 * (fa + 4.0 * fm + fb)
    }
    #[allow(clippy::too_many_arguments)]
    fn adapt(
        f: &dyn Fn(f64) -> f64,
        a: f64,
        b: f64,
        fa: f64,
        fm: f64,
        fb: f64,
        whole: f64,
        tol: f64,
        depth: u32,
    ) -> f64 {
        let m = 0.5 * (a + b);
        let (lm, rm) = (0.5 * (a + m), 0.5 * (m + b));
        let (flm, frm) = (f(lm), f(rm));
        let left = simpson(a, m, fa, flm, fm);
        let right = simpson(m, b, fm, frm, fb);
        if depth == 0 || (left + right - whole).abs() <= 15.0 * tol {
            left + right + (left + right - whole) / 15.0
        } else {
            adapt(f, a, m, fa, flm, fm, left, tol / 2.0, depth - 1)
                + adapt(f, m, b, fm, frm, fb, right, tol / 2.0, depth - 1)
        }
    }
    let (fa, fm, fb) = (tail(0.0), tail(0.5 * hi), tail(hi));
    let whole = simpson(0.0, hi, fa, fm, fb);
    adapt(tail, 0.0, hi, fa, fm, fb, whole, 1e-13 * hi, 40)
}

fn check_generic(q: &dyn QueueMetrics, name: &str) {
    // Little's law on the whole node and on the waiting room, with the admitted rate.
    let x = q.throughput();
    assert_rel!(
        q.mean_number_in_system(),
        x * q.mean_sojourn(),
        CLOSED_FORM,
        "{name}"
    );
    if q.mean_queue_length() > 0.0 {
        assert_rel!(
            q.mean_queue_length(),
            x * q.mean_wait(),
            CLOSED_FORM,
            "{name}"
        );
    }
    // Means of the distributions equal the solver's means.
    let wt = |t: f64| 1.0 - q.wait_cdf(t).unwrap();
    let st = |t: f64| 1.0 - q.sojourn_cdf(t).unwrap();
    assert_rel!(
        integrate_tail(&st, q.mean_sojourn()),
        q.mean_sojourn(),
        QUADRATURE,
        "{name}"
    );
    // (Only where the tail 1 − F is representable: with C = 6e-115, 1 − F(t) rounds to 0.)
    if q.prob_wait().unwrap() > 1e-8 {
        assert_rel!(
            integrate_tail(&wt, q.mean_wait()),
            q.mean_wait(),
            QUADRATURE,
            "{name}"
        );
    }
    // P(wait) is the jump of the wait CDF at zero (absolute PROBABILITY: 1 − F(0) rounds).
    let pw = q.prob_wait().unwrap();
    assert_abs!(
        1.0 - q.wait_cdf(0.0).unwrap(),
        pw,
        PROBABILITY + CLOSED_FORM * pw,
        "{name}: P(wait)"
    );
    // Round trips and the atom.
    for p in [0.01, 0.3, 0.5, 0.9, 0.95, 0.99, 0.999] {
        let t = q.sojourn_quantile(p).unwrap();
        assert_rel!(q.sojourn_cdf(t).unwrap(), p, QUANTILE, "{name}");
        let w = q.wait_quantile(p).unwrap();
        if p <= 1.0 - q.prob_wait().unwrap() {
            assert_eq!(w, 0.0, "{name}: wait quantile inside the atom");
        } else {
            assert_rel!(q.wait_cdf(w).unwrap(), p, QUANTILE, "{name}");
        }
    }
    // CDFs monotone and within [0, 1]; every figure finite.
    let mut prev = (0.0, 0.0);
    for i in 0..200 {
        let t = q.mean_sojourn() * i as f64 / 20.0;
        let (w, s) = (q.wait_cdf(t).unwrap(), q.sojourn_cdf(t).unwrap());
        assert!((0.0..=1.0).contains(&w) && (0.0..=1.0).contains(&s));
        assert!(
            w >= prev.0 - PROBABILITY && s >= prev.1 - PROBABILITY,
            "{name}: monotone"
        );
        prev = (w, s);
    }
    let sol = NodeSolution::from_metrics(q);
    assert!(sol.l.is_finite() && sol.w.is_finite() && sol.wq.is_finite());
    assert!(sol.wait.is_some() && sol.sojourn.is_some());
}

#[test]
fn mmc_identities() {
    for (l, m, c) in [
        (0.5, 1.0, 1),
        (2.0, 1.0, 3),
        (9.0, 1.0, 10),
        (9.5, 1.0, 10),
        (99.0, 1.0, 100),
        (40.0, 3.0, 14),
        (0.1, 1.0, 50),
    ] {
        let q = MMc::new(l, m, c).unwrap();
        check_generic(&q, &format!("M/M/{c} λ={l} μ={m}"));
        // Σ P(N = n) = 1, the geometric remainder past n = N added in closed form.
        let n_max = 4000u64;
        let head: f64 = (0..n_max).map(|n| q.prob_n(n).unwrap_or(0.0)).sum();
        let rho = q.utilisation();
        let rest = q.prob_n(n_max).unwrap_or(0.0) / (1.0 - rho);
        assert_rel!(head + rest, 1.0, CLOSED_FORM, "M/M/c Σπ");
    }
}

#[test]
fn mmc_with_one_server_is_mm1() {
    for (l, m) in [(0.2, 1.0), (0.5, 2.0), (0.95, 1.0)] {
        let (a, b) = (MMc::new(l, m, 1).unwrap(), MM1::new(l, m).unwrap());
        assert_rel!(
            a.mean_number_in_system(),
            b.mean_number_in_system(),
            CLOSED_FORM,
            "L"
        );
        assert_rel!(a.mean_wait(), b.mean_wait(), CLOSED_FORM, "Wq");
        assert_rel!(
            a.prob_empty().unwrap(),
            b.prob_empty().unwrap(),
            CLOSED_FORM,
            "P0"
        );
        for p in [0.5, 0.9, 0.999] {
            assert_rel!(
                a.sojourn_quantile(p).unwrap(),
                b.sojourn_quantile(p).unwrap(),
                CLOSED_FORM,
                "sojourn quantile"
            );
            assert_rel!(
                a.wait_quantile(p).unwrap(),
                b.wait_quantile(p).unwrap(),
                CLOSED_FORM,
                "wait quantile"
            );
        }
    }
}

#[test]
fn mmck_identities() {
    for (l, m, c, k) in [
        (5.0, 1.0, 3, 10),
        (3.0, 1.0, 1, 5),
        (1.0, 1.0, 1, 10),
        (4.0, 2.0, 2, 2),
        (10.0, 1.0, 10, 40),
        (0.5, 1.0, 4, 9),
        (300.0, 1.0, 100, 150),
        (1.0, 1.0, 1, 1000),
    ] {
        let q = MMcK::new(l, m, c, k).unwrap();
        let name = format!("M/M/{c}/{k} λ={l} μ={m}");
        check_generic(&q, &name);
        let s: f64 = (0..=k).map(|n| q.prob_n(n).unwrap_or(0.0)).sum();
        assert_rel!(s, 1.0, CLOSED_FORM, "{name}");
        assert_rel!(
            q.throughput(),
            l * (1.0 - q.prob_block().unwrap()),
            CLOSED_FORM,
            "{name}"
        );
        // Output rate = mean busy servers × μ.
        let busy: f64 = (0..=k)
            .map(|n| n.min(c) as f64 * q.prob_n(n).unwrap_or(0.0))
            .sum();
        assert_rel!(q.throughput(), busy * m, CLOSED_FORM, "{name}");
    }
}

/// M/M/c/K with K = 2000 at ρ = 0.8 agrees with M/M/c (the truncated mass is ρ^1990).
#[test]
fn mmck_tends_to_mmc() {
    let (a, b) = (
        MMcK::new(8.0, 1.0, 10, 2000).unwrap(),
        MMc::new(8.0, 1.0, 10).unwrap(),
    );
    assert_rel!(a.mean_wait(), b.mean_wait(), CLOSED_FORM, "Wq");
    assert_rel!(
        a.mean_queue_length(),
        b.mean_queue_length(),
        CLOSED_FORM,
        "Lq"
    );
    assert!(a.prob_block().unwrap() < 1e-190);
    for p in [0.5, 0.95, 0.99, 0.999] {
        assert_rel!(
            a.wait_quantile(p).unwrap(),
            b.wait_quantile(p).unwrap(),
            QUANTILE,
            "wait p"
        );
        assert_rel!(
            a.sojourn_quantile(p).unwrap(),
            b.sojourn_quantile(p).unwrap(),
            QUANTILE,
            "sojourn p"
        );
    }
}

#[test]
fn loss_system_equals_erlang_b() {
    for (c, a) in [
        (1u64, 2.0),
        (5, 3.0),
        (10, 5.0),
        (100, 120.0),
        (1000, 999.0),
    ] {
        let q = MMcK::new(a * 0.25, 0.25, c, c).unwrap();
        assert_rel!(
            q.prob_block().unwrap(),
            erlang_b(c, a).unwrap(),
            CLOSED_FORM,
            "B"
        );
        assert_eq!(q.mean_wait(), 0.0);
        assert_rel!(q.mean_sojourn(), 4.0, CLOSED_FORM, "W = 1/μ");
    }
}

/// ρ = 1 exactly on a finite node: M/M/1/K has π_n = 1/(K + 1), L = K/2; for c servers
/// the geometric part is flat: π_n = π_c for c <= n <= K.
#[test]
fn rho_one_exactly() {
    for k in [1u64, 2, 10, 100, 1_000_000] {
        let q = MMcK::new(7.0, 7.0, 1, k).unwrap();
        let p = 1.0 / (k as f64 + 1.0);
        for n in [0, k / 2, k] {
            assert_rel!(q.prob_n(n).unwrap(), p, CLOSED_FORM, "π_n");
        }
        assert_rel!(q.mean_number_in_system(), k as f64 / 2.0, CLOSED_FORM, "L");
        assert!(q.mean_sojourn().is_finite() && q.sojourn_quantile(0.99).unwrap().is_finite());
    }
    let q = MMcK::new(4.0, 1.0, 4, 30).unwrap();
    let pc = q.prob_n(4).unwrap();
    for n in 5..=30 {
        assert_rel!(q.prob_n(n).unwrap(), pc, CLOSED_FORM, "flat tail");
    }
}

/// ρ = 3 on M/M/1/K: π_n = ρⁿ(ρ − 1)/(ρ^{K+1} − 1) (Kleinrock 1975, §3.6).
#[test]
fn rho_three() {
    let k = 20u64;
    let q = MMcK::new(3.0, 1.0, 1, k).unwrap();
    let norm = (3f64.powi(k as i32 + 1) - 1.0) / 2.0;
    for n in 0..=k {
        assert_rel!(
            q.prob_n(n).unwrap(),
            3f64.powi(n as i32) / norm,
            SHORT_SUM,
            "π_n"
        );
    }
    check_generic(&q, "M/M/1/20 ρ=3");
}

#[test]
fn mminf_identities() {
    let q = MMInf::new(12.0, 0.75).unwrap();
    check_generic(&q, "M/M/∞");
    let s: f64 = (0..200).map(|n| q.prob_n(n).unwrap_or(0.0)).sum();
    assert_rel!(s, 1.0, SHORT_SUM, "Σπ");
}

#[test]
fn named_errors() {
    let unstable = MMc::new(12.0, 1.0, 12).unwrap_err();
    assert!(matches!(unstable, AnalyticError::Unstable { .. }));
    assert!(unstable.to_string().contains("add servers"));
    let cap = MMcK::new(1.0, 1.0, 4, 3).unwrap_err();
    assert!(matches!(
        cap,
        AnalyticError::InvalidParameter {
            name: "capacity",
            ..
        }
    ));
    assert!(cap.to_string().contains("capacity must be"));
    for e in [
        MMc::new(0.0, 1.0, 1).unwrap_err(),
        MMcK::new(1.0, f64::NAN, 1, 1).unwrap_err(),
        MMInf::new(1.0, f64::INFINITY).unwrap_err(),
    ] {
        assert!(matches!(e, AnalyticError::InvalidParameter { .. }), "{e}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any M/M/c/K, at any load: finite figures, Little's law, Σπ = 1, round trips.
    #[test]
    fn mmck_any_load(c in 1u64..30, extra in 0u64..200, rho in 0.01f64..5.0, mu in 0.1f64..10.0) {
        let k = c + extra;
        let q = MMcK::new(rho * c as f64 * mu, mu, c, k).unwrap();
        let x = q.throughput();
        let (l, xw) = (q.mean_number_in_system(), x * q.mean_sojourn());
        prop_assert!(rel_eq(l, xw, CLOSED_FORM), "Little: {} vs {}", l, xw);
        let s: f64 = (0..=k).map(|n| q.prob_n(n).unwrap_or(0.0)).sum();
        prop_assert!(rel_eq(s, 1.0, CLOSED_FORM), "Σπ = {}", s);
        for p in [0.5, 0.99] {
            let f = q.sojourn_cdf(q.sojourn_quantile(p).unwrap()).unwrap();
            prop_assert!(rel_eq(f, p, QUANTILE), "F(q({})) = {}", p, f);
        }
    }
}
