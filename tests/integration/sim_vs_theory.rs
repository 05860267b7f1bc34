//! The simulator against exact queueing theory, with fixed seeds.
//!
//! The exact values are computed here by small independent closed forms (not by the
//! analytic module), each with its reference.
//!
//! **Tolerance.** Every run reports Student-t intervals at confidence 0.999 across its
//! replications (`tol::CONFIDENCE`). A correct engine misses the exact value with
//! probability about 0.001 per assertion, so each assertion is
//! `|estimate − exact| ≤ half_width(99.9 %) + bias`, where `bias` is zero for means
//! (`assert_covers!`) and the histogram's stated relative error (1/128 of the exact
//! value) for percentiles (`assert_covers_percentile!`).
//! Seeds are fixed, so the outcome is reproducible; warm-ups are several relaxation
//! times long so that initial bias is negligible against the half-width.

use kendall::model::{
    Branch, Discipline, Distribution, Model, OnFull, Queue, Route, RunSettings, Source, Topic,
};
use kendall::sim::{SimReport, simulate};

use crate::common;
use common::build::{exp, exp_rate, mmc_model, poisson, poisson_into, theory_settings as settings};
use common::exact::{erlang_c, tail_quantile};
use common::{assert_conservation_and_little, assert_covers, assert_covers_percentile};

/// Exact M/M/c figures: (L, Lq, W, Wq, C) with W = Wq + 1/μ, Wq = C/(cμ − λ).
fn mmc(lambda: f64, mu: f64, c: u32) -> (f64, f64, f64, f64, f64) {
    let cw = erlang_c(c, lambda / mu);
    let wq = cw / (f64::from(c) * mu - lambda);
    let w = wq + 1.0 / mu;
    (lambda * w, lambda * wq, w, wq, cw)
}

/// P(W > t) for M/M/c: W = S + Q with S ~ Exp(μ), Q = 0 w.p. 1 − C and ~Exp(γ),
/// γ = cμ − λ, otherwise (Gross & Harris 2008, §2.3, eq. 2.40).
fn mmc_sojourn_tail(lambda: f64, mu: f64, c: u32, t: f64) -> f64 {
    let cw = erlang_c(c, lambda / mu);
    let g = f64::from(c) * mu - lambda;
    let conv = if (g - mu).abs() < 1e-12 {
        (1.0 + mu * t) * (-mu * t).exp()
    } else {
        (g * (-mu * t).exp() - mu * (-g * t).exp()) / (g - mu)
    };
    (1.0 - cw) * (-mu * t).exp() + cw * conv
}

fn check_mmc(r: &SimReport, name: &str, lambda: f64, mu: f64, c: u32) {
    let (l, lq, w, wq, _) = mmc(lambda, mu, c);
    let q = r.queue(name).unwrap();
    assert_covers!(&q.l, l, "{name} L");
    assert_covers!(&q.lq, lq, "{name} Lq");
    assert_covers!(
        &q.utilisation,
        lambda / (f64::from(c) * mu),
        "{name} utilisation"
    );
    assert_covers!(&q.throughput, lambda, "{name} throughput");
    let soj = q.sojourn.unwrap();
    assert_covers!(&q.w.unwrap(), w, "{name} W");
    assert_covers!(&q.wq.unwrap(), wq, "{name} Wq");
    for (p, e) in [(0.95, soj.p95), (0.99, soj.p99)] {
        let exact = tail_quantile(|t| mmc_sojourn_tail(lambda, mu, c, t), p);
        assert_covers_percentile!(&e, exact, "{name} W p{p}");
    }
}

/// M/M/1 at ρ = 0.5 and 0.9: L, Lq, W, Wq, p95 and p99 of W. The sojourn time is
/// exponential with rate μ − λ, so its p-quantile is −ln(1 − p)/(μ − λ)
/// (Kleinrock 1975, Vol. 1, eq. 3.27); checked here through the c = 1 case of the
/// M/M/c formulas and once directly.
#[test]
fn mm1_at_half_and_ninety_percent_load() {
    for (rho, horizon, warmup) in [(0.5, 40_000.0, 200.0), (0.9, 200_000.0, 5_000.0)] {
        let r = simulate(
            &(mmc_model(rho, 1.0, 1)).validate().unwrap(),
            &settings(horizon, warmup, 10, 1),
        )
        .unwrap();
        check_mmc(&r, "q", rho, 1.0, 1);
        let p99 = -(0.01f64).ln() / (1.0 - rho);
        assert_covers_percentile!(
            &r.queue("q").unwrap().sojourn.unwrap().p99,
            p99,
            "M/M/1 W p99 direct"
        );
        assert!(assert_conservation_and_little(&r));
    }
}

/// M/M/c with c = 4 at ρ = 0.5 and 0.9 (Erlang C).
#[test]
fn mmc_at_half_and_ninety_percent_load() {
    for (rho, horizon, warmup) in [(0.5, 20_000.0, 100.0), (0.9, 60_000.0, 2_000.0)] {
        let lambda = 4.0 * rho;
        let r = simulate(
            &(mmc_model(lambda, 1.0, 4)).validate().unwrap(),
            &settings(horizon, warmup, 10, 2),
        )
        .unwrap();
        check_mmc(&r, "q", lambda, 1.0, 4);
        assert!(assert_conservation_and_little(&r));
    }
}

/// M/M/c/K: c = 2, K = 5, λ = 2.5, μ = 1. State probabilities by direct summation,
/// pₙ ∝ aⁿ/n! (n ≤ c), a^c/c! · (a/c)^(n−c) (c < n ≤ K) (Gross & Harris 2008, §2.5);
/// blocking probability = p_K (PASTA), L = Σ n pₙ, W = L / (λ(1 − p_K)).
#[test]
fn mmck_blocking_probability() {
    let (lambda, mu, c, k) = (2.5, 1.0, 2u32, 5u64);
    let a: f64 = lambda / mu;
    let mut p = Vec::new();
    let mut term = 1.0;
    for n in 0..=k {
        p.push(term);
        let servers = (n + 1).min(u64::from(c)) as f64;
        term *= a / servers;
    }
    let total: f64 = p.iter().sum();
    p.iter_mut().for_each(|x| *x /= total);
    let block = p[k as usize];
    let l: f64 = p.iter().enumerate().map(|(n, x)| n as f64 * x).sum();
    let w = l / (lambda * (1.0 - block));
    let mut model = mmc_model(lambda, mu, c);
    model.queues[0].capacity = Some(k);
    model.queues[0].on_full = OnFull::Reject;
    let r = simulate(
        &model.validate().unwrap(),
        &settings(20_000.0, 100.0, 10, 3),
    )
    .unwrap();
    let q = r.queue("q").unwrap();
    assert_covers!(q.p_reject.as_ref().unwrap(), block, "M/M/2/5 blocking");
    assert_covers!(&q.l, l, "M/M/2/5 L");
    assert_covers!(&q.w.unwrap(), w, "M/M/2/5 W");
    assert!(r.conservation.is_balanced());
    assert!(q.counts.is_balanced() && q.counts.rejected > 0);
}

/// Pollaczek–Khinchine: Wq = λ E[S²] / (2(1 − ρ)) (Kleinrock 1975, Vol. 1, eq. 5.105).
/// M/D/1 with D = 1, λ = 0.8: Wq = 0.8/(2·0.2) = 2. M/G/1 with a hyperexponential
/// service (SCV 5.5, mean 0.02·50 = 1) at λ = 0.6, and with a lognormal (SCV 2).
#[test]
fn md1_and_mg1_waiting_time() {
    let cases = [
        (0.8, Distribution::Deterministic { value: 1.0 }, 60_000.0),
        (
            0.6,
            Distribution::Hyperexponential {
                branches: vec![
                    Branch {
                        probability: 0.9,
                        mean: 0.5,
                    },
                    Branch {
                        probability: 0.1,
                        mean: 5.5,
                    },
                ],
            },
            200_000.0,
        ),
        (
            0.7,
            Distribution::Lognormal {
                mean: 1.0,
                scv: 2.0,
            },
            100_000.0,
        ),
    ];
    for (lambda, service, horizon) in cases {
        let rho = lambda * service.mean();
        let wq = lambda * service.second_moment() / (2.0 * (1.0 - rho));
        let r = simulate(
            &(poisson_into(lambda, Queue::new("q", 1, service.clone())))
                .validate()
                .unwrap(),
            &settings(horizon, 2_000.0, 10, 4),
        )
        .unwrap();
        let q = r.queue("q").unwrap();
        assert_covers!(&q.wq.unwrap(), wq, "M/G/1 Wq {service:?}");
        assert_covers!(&q.lq, lambda * wq, "M/G/1 Lq {service:?}");
    }
}

fn two_classes(discipline: Discipline) -> Model {
    let mut hi = Source::new("high", poisson(0.3), "q");
    hi.priority = 1;
    let mut lo = Source::new("low", poisson(0.4), "q");
    lo.priority = 2;
    Model::default()
        .with_source(hi)
        .with_source(lo)
        .with_queue(Queue::new("q", 1, exp(1.0)).with_discipline(discipline))
}

/// Two priority classes on one exponential server, λ₁ = 0.3, λ₂ = 0.4, μ = 1
/// (the per-source end-to-end latency is the class's sojourn here).
/// Non-preemptive (Cobham 1954): Wq,k = R / ((1 − σₖ₋₁)(1 − σₖ)), R = Σ λᵢ E[Sᵢ²]/2,
/// the residual summed over all classes. Preemptive-resume: Tₖ = E[S]/(1 − σₖ₋₁) +
/// Rₖ / ((1 − σₖ₋₁)(1 − σₖ)) with Rₖ summed over classes 1..k only
/// (Kleinrock 1976, Vol. 2, §3.6–3.7).
#[test]
fn priority_classes() {
    let (l1, l2, es, es2) = (0.3, 0.4, 1.0, 2.0);
    let (s1, s2) = (l1 * es, (l1 + l2) * es);
    let r_all = (l1 + l2) * es2 / 2.0;
    let np = [
        r_all / (1.0 - s1) + es,
        r_all / ((1.0 - s1) * (1.0 - s2)) + es,
    ];
    let r1 = l1 * es2 / 2.0;
    let pr = [
        es + r1 / (1.0 - s1),
        es / (1.0 - s1) + r_all / ((1.0 - s1) * (1.0 - s2)),
    ];
    for (discipline, exact) in [
        (Discipline::Priority, np),
        (Discipline::PreemptivePriority, pr),
    ] {
        let r = simulate(
            &(two_classes(discipline)).validate().unwrap(),
            &settings(100_000.0, 1_000.0, 10, 5),
        )
        .unwrap();
        for (name, t) in ["high", "low"].iter().zip(exact) {
            let w = r.source(name).unwrap().w.unwrap();
            assert_covers!(&w, t, "{discipline:?} {name} sojourn");
        }
        let all = (l1 * exact[0] + l2 * exact[1]) / (l1 + l2);
        assert_covers!(
            &r.queue("q").unwrap().w.unwrap(),
            all,
            "{discipline:?} queue W"
        );
    }
}

/// A tandem of two M/M/1 (λ = 0.5, μ₁ = 1, μ₂ = 0.8): by Burke's theorem each is
/// M/M/1 and the end-to-end mean is W₁ + W₂ = 2 + 1/0.3 (Jackson 1957).
#[test]
fn tandem() {
    let model = Model::default()
        .with_source(Source::new("in", poisson(0.5), "a"))
        .with_queue(Queue::new("a", 1, exp(1.0)).with_route(Route::To("b".into())))
        .with_queue(Queue::new("b", 1, exp(1.25)));
    let r = simulate(
        &model.validate().unwrap(),
        &settings(100_000.0, 1_000.0, 10, 6),
    )
    .unwrap();
    check_mmc(&r, "a", 0.5, 1.0, 1);
    check_mmc(&r, "b", 0.5, 0.8, 1);
    assert_covers!(
        &r.source("in").unwrap().w.unwrap(),
        2.0 + 1.0 / 0.3,
        "tandem end-to-end"
    );
}

/// A topic with three listener pools, each an M/M/c fed by every event (λ = 2):
/// (c = 1, μ = 3), (c = 2, μ = 1.5), (c = 3, μ = 0.8). Each copy sees Poisson
/// arrivals, so each pool is exactly M/M/c. The end-to-end latency is the largest of
/// the three sojourns: its mean is at least each listener's W.
#[test]
fn three_listener_fan_out() {
    let listeners = [("ledger", 1u32, 3.0), ("risk", 2, 1.5), ("notify", 3, 0.8)];
    let mut model = Model::default()
        .with_source(Source::new("in", poisson(2.0), "events"))
        .with_topic(Topic::new("events", listeners.iter().map(|l| l.0)));
    for (name, c, mu) in listeners {
        model = model.with_queue(Queue::new(name, c, exp_rate(mu)));
    }
    let r = simulate(
        &model.validate().unwrap(),
        &settings(30_000.0, 500.0, 10, 7),
    )
    .unwrap();
    let e2e = r.source("in").unwrap().w.unwrap();
    for (name, c, mu) in listeners {
        check_mmc(&r, name, 2.0, mu, c);
        assert!(e2e.mean >= mmc(2.0, mu, c).2);
    }
    assert!(assert_conservation_and_little(&r));
    assert_eq!(r.conservation.created, 3 * r.queues[0].counts.offered);
}

/// Coverage: over 120 independent simulations of M/M/1 (ρ = 0.5, 10 replications
/// each), the 95 % interval for Wq covers the exact value 1 in 90–99 % of them.
#[test]
fn wq_interval_coverage() {
    let model = mmc_model(0.5, 1.0, 1);
    let runs = 120;
    let mut covered = 0;
    for seed in 0..runs {
        let s = RunSettings {
            confidence: 0.95,
            ..settings(4_000.0, 100.0, 10, 1000 + seed)
        };
        let r = simulate(&model.validate().unwrap(), &s).unwrap();
        if r.queue("q").unwrap().wq.unwrap().covers(1.0) {
            covered += 1;
        }
    }
    let rate = f64::from(covered) / runs as f64;
    eprintln!("Wq 95 % interval coverage: {covered}/{runs} = {rate}");
    assert!((0.90..=0.99).contains(&rate), "coverage {rate}");
}

/// Redelivery with an exponential, capped, jittered backoff: failed deliveries return
/// after the backoff (an infinite-server delay, so the deliveries still see M/M/c:
/// BCMP product form, insensitive to the delay's law). Per message:
/// W = d·W₁ + Σ_k f^k·E[b_k], with d = (1 − f^m)/(1 − f) deliveries at rate λd; the
/// backoff sum is taken term by term here (the library has a closed form).
#[test]
fn redelivery_with_exponential_jittered_backoff() {
    use kendall::model::Jitter;
    let (lambda, mu, c, f, m) = (2.0, 2.0, 2u32, 0.3, 5u32);
    let (b, r, cap) = (0.1, 2.0, 0.5);
    let q = Queue::new("q", c, exp_rate(mu))
        .with_redelivery(f, m, b)
        .with_backoff_growth(r, Some(cap), Jitter::Full);
    let model = poisson_into(lambda, q).validate().unwrap();
    let run = simulate(&model, &settings(4000.0, 50.0, 8, 41)).unwrap();
    assert_conservation_and_little(&run);
    let d: f64 = (0..m).map(|k| f64::powi(f, k as i32)).sum();
    let (_, _, w1, _, _) = mmc(lambda * d, mu, c);
    let backoff: f64 = (1..m)
        .map(|k| f64::powi(f, k as i32) * 0.5 * (b * r.powi(k as i32 - 1)).min(cap))
        .sum();
    let w = d * w1 + backoff;
    let s = run.queue("q").unwrap();
    assert_covers!(&s.w.unwrap(), w, "W per message");
    assert_covers!(&s.l, lambda * w, "L");
    // The analytic side gives the same mean (labelled exact).
    let sol = kendall::solve(&model).unwrap();
    let a = sol.node("q").unwrap().solution().unwrap();
    assert!((a.w - w).abs() < 1e-12 * w, "{} vs {w}", a.w);
}
