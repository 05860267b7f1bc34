//! The exact CTMC of a whole model against independent closed forms.

use kendall::analytic::MMcK;
use kendall::analytic::QueueMetrics;
use kendall::analytic::ctmc::solve_model_ctmc;
use kendall::analytic::solve;
use kendall::model::*;

use crate::common;
use common::assert_rel;
use common::build::{exp, poisson, poisson_into};
use common::exact::truncated_geometric;
use common::tol::{NUMERICAL, NUMERICAL_COMBINED};

/// A Poisson source blocked by a full M/M/1/K holds one message: the pair (n, held) is
/// the M/M/1/(K+1) birth-death chain with state K+1 = (K, held). So the throughput is
/// λ(1 − π'_{K+1}) and the node holds min(N', K), with π' of M/M/1/(K+1) summed directly.
#[test]
fn blocked_source_is_mm1_with_one_more_place() {
    let (lambda, mu, k) = (0.9f64, 1.0f64, 4usize);
    let mut q = Queue::new("q", 1, exp(1.0 / mu)).with_capacity(k as u64);
    q.on_full = OnFull::Block;
    let m = poisson_into(lambda, q);
    let valid = m.validate().unwrap();
    let chain = solve_model_ctmc(&valid).unwrap();
    let nodes = &chain.nodes;
    assert!(chain.residual < 1e-12);
    let pi = truncated_geometric(lambda / mu, k + 1);
    assert_rel!(nodes[0].throughput(), lambda * (1.0 - pi[k + 1]), NUMERICAL);
    let l: f64 = pi
        .iter()
        .enumerate()
        .map(|(n, p)| n.min(k) as f64 * p)
        .sum();
    assert_rel!(nodes[0].mean_number_in_system(), l, NUMERICAL);
    // The probability an arrival finds the queue full: PASTA on the original chain.
    assert_rel!(
        nodes[0].prob_block().unwrap(),
        pi[k] / (1.0 - pi[k + 1]),
        NUMERICAL
    );
    // End to end, from creation: a held message is in the M/M/1/(K+1) system from the
    // moment it is created, so the latency is that system's W = L'/X (the audit found
    // the source's holding time left out: the sum of the node's sojourn alone).
    let l_all: f64 = pi.iter().enumerate().map(|(n, p)| n as f64 * p).sum();
    let x = lambda * (1.0 - pi[k + 1]);
    assert_rel!(chain.source_hold[0], pi[k + 1] / x, NUMERICAL);
    let e2e = &kendall::solve(&valid).unwrap().end_to_end[0];
    assert_rel!(e2e.w.unwrap(), l_all / x, NUMERICAL);
    assert!(
        e2e.w_method
            .as_ref()
            .unwrap()
            .name
            .contains("waits at its source")
    );
}

/// Two single-consumer queues of capacity 1 in tandem, both `block`, Poisson 1/s, mean
/// service 1 s: the end-to-end mean from creation is 35/11 s (an independent CTMC of
/// (source held, first queue, its consumer blocked, second queue) written in Python by
/// an outside audit; simulated 3.1753 ± 0.0076 s over 10 × 200 000 s), not the 2.409 s
/// of the two sojourns alone.
#[test]
fn blocking_tandem_latency_counts_the_time_held_at_the_source() {
    let mut a = Queue::new("a", 1, exp(1.0))
        .with_capacity(1)
        .with_route(kendall::model::Route::To("b".into()));
    a.on_full = OnFull::Block;
    let mut b = Queue::new("b", 1, exp(1.0)).with_capacity(1);
    b.on_full = OnFull::Block;
    let m = poisson_into(1.0, a).with_queue(b).validate().unwrap();
    let e2e = &kendall::solve(&m).unwrap().end_to_end[0];
    assert_rel!(e2e.w.unwrap(), 35.0 / 11.0, NUMERICAL);
}

/// Topic copies of a Poisson stream are Poisson at each listener, so each `reject`
/// listener of the whole-model chain is exactly an M/M/c/K (closed form, another module).
#[test]
fn listeners_of_a_topic_are_mmck_marginally() {
    let m = Model::default()
        .with_source(Source::new("s", poisson(3.0), "t"))
        .with_topic(Topic::new("t", ["a", "b"]))
        .with_queue(Queue::new("a", 2, exp(0.5)).with_capacity(4))
        .with_queue(Queue::new("b", 1, exp(0.25)).with_capacity(3));
    let nodes = solve_model_ctmc(&m.validate().unwrap()).unwrap().nodes;
    for (node, (c, mu, k)) in nodes.iter().zip([(2u64, 2.0, 4u64), (1, 4.0, 3)]) {
        let exact = MMcK::new(3.0, mu, c, k).unwrap();
        assert_rel!(
            node.mean_number_in_system(),
            exact.mean_number_in_system(),
            NUMERICAL
        );
        assert_rel!(
            node.mean_queue_length(),
            exact.mean_queue_length(),
            NUMERICAL
        );
        assert_rel!(
            node.prob_block().unwrap(),
            exact.prob_block().unwrap(),
            NUMERICAL
        );
        assert_rel!(node.throughput(), exact.throughput(), NUMERICAL);
        assert_rel!(node.mean_sojourn(), exact.mean_sojourn(), NUMERICAL);
    }
}

/// Tandem with blocking after service: flow is conserved (nothing is lost), the first
/// node's consumer is sometimes held, and `solve` picks the whole-model chain.
#[test]
fn tandem_with_blocking_conserves_flow_and_is_picked_by_solve() {
    let mut second = Queue::new("b", 1, exp(1.0)).with_capacity(1);
    second.on_full = OnFull::Block;
    let m = Model::default()
        .with_source(Source::new("s", poisson(0.6), "a"))
        .with_queue(
            Queue::new("a", 1, exp(0.5))
                .with_capacity(5)
                .with_route(Route::To("b".into())),
        )
        .with_queue(second);
    let s = solve(&m.validate().unwrap()).unwrap();
    let a = s.nodes[0].solution().unwrap();
    let b = s.nodes[1].solution().unwrap();
    assert!(a.method.name.starts_with("exact CTMC"), "{}", a.method.name);
    assert_rel!(a.throughput, b.throughput, NUMERICAL_COMBINED);
    assert_rel!(
        a.throughput,
        0.6 * (1.0 - a.p_block.unwrap()),
        NUMERICAL_COMBINED
    );
    // Blocking makes the first node look busier than its own service alone explains.
    assert!(a.utilisation > a.throughput * 0.5 + 1e-3);
}

/// Issue 9: a chain too big to build is refused before any state is enumerated, with the
/// count and the limit (capacities 10⁶ each: at least (10⁶ + 1)² states), and that reason
/// reaches the nodes' refusals.
#[test]
fn oversized_chain_is_refused_at_once_with_its_size() {
    let mut second = Queue::new("b", 1, exp(0.011)).with_capacity(1_000_000);
    second.on_full = OnFull::Block;
    let mut first = Queue::new("a", 2, exp(0.02))
        .with_capacity(1_000_000)
        .with_route(Route::To("b".into()));
    first.on_full = OnFull::Block;
    let m = Model::default()
        .with_source(Source::new("s", poisson(80.0), "a"))
        .with_queue(first)
        .with_queue(second)
        .validate()
        .unwrap();
    let start = std::time::Instant::now();
    let err = solve_model_ctmc(&m).unwrap_err().to_string();
    assert!(start.elapsed().as_secs_f64() < 1.0, "{:?}", start.elapsed());
    assert!(err.contains("1000002000001"), "{err}");
    assert!(err.contains("2000000"), "{err}");
    let s = solve(&m).unwrap();
    match &s.nodes[0].outcome {
        kendall::NodeOutcome::NoMethod { reason } => {
            assert!(reason.contains("1000002000001"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
}

/// Issue 9: the tandem example with a capacity-1 ledger writer printed Wq = −1.7e−18
/// (W − E[S] cancelling). With one consumer and room for one, nothing ever waits there:
/// Wq and Lq are exactly 0, and every Wq is ≥ 0.
#[test]
fn wait_is_never_negative() {
    let m = Model::load(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/tandem_blocking.toml"
    ))
    .unwrap();
    let mut m = m;
    m.queues[1].capacity = Some(1);
    let s = solve(&m.validate().unwrap()).unwrap();
    let ledger = s.nodes[1].solution().unwrap();
    assert!(ledger.method.name.starts_with("exact CTMC"));
    assert_eq!(ledger.wq, 0.0);
    assert_eq!(ledger.lq, 0.0);
    for node in &s.nodes {
        assert!(node.solution().unwrap().wq >= 0.0);
    }
}

/// Issue 9: a large whole-model chain (the tandem example with both capacities 300: about
/// 91 500 states, solved iteratively) against independent figures. Blocking is
/// negligible at these capacities (P(n₁ ≥ 300) ≈ 0.8³⁰⁰ ≈ 1e−29 and P(n₂ ≥ 300) ≈
/// 0.88³⁰⁰ ≈ 2e−17), so by Burke's theorem the nodes are an M/M/2 (λ = 80, μ = 50) and
/// an M/M/1 (λ = 80, μ = 1/0.011) to far below the tolerance: closed forms (Gross &
/// Harris, 4th ed., §2.3–2.4) evaluated here, not by kendall. Also: flow balance
/// X = λ(1 − P(block at entry)) and Little's law per node.
#[test]
fn large_tandem_matches_product_form_flow_balance_and_little() {
    let m = Model::load(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/tandem_blocking.toml"
    ))
    .unwrap();
    let mut m = m;
    m.queues[0].capacity = Some(300);
    m.queues[1].capacity = Some(300);
    let s = solve(&m.validate().unwrap()).unwrap();
    let a = s.nodes[0].solution().unwrap();
    let b = s.nodes[1].solution().unwrap();
    assert!(a.method.name.starts_with("exact CTMC"), "{}", a.method.name);
    let lambda = 80.0;
    // M/M/2, a = λ/μ = 1.6, ρ = 0.8: P0 = (1 − ρ)/(1 + ρ) = 1/9,
    // Lq = P0 a² ρ / (2! (1 − ρ)²) = 128/45.
    let (p0_a, lq_a) = (1.0 / 9.0, 128.0 / 45.0);
    // M/M/1, ρ = 0.88: P(N = n) = (1 − ρ) ρⁿ, Lq = ρ²/(1 − ρ).
    let rho_b: f64 = 0.88;
    let lq_b = rho_b * rho_b / (1.0 - rho_b);
    assert_rel!(a.state_probabilities[0], p0_a, NUMERICAL);
    assert_rel!(a.state_probabilities[1], p0_a * 1.6, NUMERICAL);
    assert_rel!(a.lq, lq_a, NUMERICAL_COMBINED);
    assert_rel!(a.wq, lq_a / lambda, NUMERICAL_COMBINED);
    for n in 0..5 {
        let exact = (1.0 - rho_b) * rho_b.powi(n as i32);
        assert_rel!(b.state_probabilities[n], exact, NUMERICAL);
    }
    assert_rel!(b.lq, lq_b, NUMERICAL_COMBINED);
    assert_rel!(b.wq, lq_b / lambda, NUMERICAL_COMBINED);
    // Flow balance and Little's law.
    assert_rel!(a.throughput, lambda, NUMERICAL_COMBINED);
    assert_rel!(a.throughput, b.throughput, NUMERICAL_COMBINED);
    assert_rel!(
        a.throughput,
        lambda * (1.0 - a.p_block.unwrap()),
        NUMERICAL_COMBINED
    );
    for node in [a, b] {
        assert_rel!(node.l, node.throughput * node.w, NUMERICAL_COMBINED);
        assert_rel!(node.lq, node.throughput * node.wq, NUMERICAL_COMBINED);
    }
}

/// Issue 9: a large blocking tandem whose blocking matters (the ledger writer at
/// ρ = 0.96, capacities 300 each: about 91 000 states, so the product-form start the
/// whole-model solver uses is not the answer and it must iterate) against the same
/// chain built here by hand, state (n₁, b₁, n₂, h) — messages at the first node, its
/// consumers holding a finished message, messages at the second, the source holding one
/// — and solved by a different path (iterative from the pinned state alone, no start) at
/// a residual tolerance a hundred times tighter. Also flow balance: nothing is lost under
/// blocking, so both nodes pass X = λ P(h = 0), and Little's law per node.
#[test]
fn large_blocking_tandem_matches_hand_built_chain_solved_another_way() {
    use kendall::analytic::ctmc::{Ctmc, SteadyStateOptions};
    use std::collections::HashMap;
    let (k1, k2, c1) = (300usize, 300usize, 2usize);
    let (lambda, mu1, mu2) = (80.0, 1.0 / 0.020, 1.0 / 0.012);
    let mut m = Model::load(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/tandem_blocking.toml"
    ))
    .unwrap();
    m.queues[0].capacity = Some(k1 as u64);
    m.queues[1].capacity = Some(k2 as u64);
    m.queues[1].service = exp(0.012);
    let s = solve(&m.validate().unwrap()).unwrap();
    let a = s.nodes[0].solution().unwrap();
    let b = s.nodes[1].solution().unwrap();
    assert!(a.method.name.starts_with("exact CTMC"), "{}", a.method.name);

    // The hand-built chain. Blocking after service: a consumer of node 1 that finishes
    // while node 2 is full keeps its message (b₁ + 1); the source holds an arrival that
    // finds node 1 full (h = 1). A departure from node 2 lets one held message in, which
    // may let the source's in.
    type S = (usize, usize, usize, usize);
    let mut states: Vec<S> = Vec::new();
    for n1 in 0..=k1 {
        for n2 in 0..=k2 {
            let b_max = if n2 == k2 { n1.min(c1) } else { 0 };
            for b1 in 0..=b_max {
                for h in 0..=usize::from(n1 == k1) {
                    states.push((n1, b1, n2, h));
                }
            }
        }
    }
    let index: HashMap<S, usize> = states.iter().enumerate().map(|(i, s)| (*s, i)).collect();
    let settle = |(mut n1, mut b1, mut n2, mut h): S| {
        if n2 < k2 && b1 > 0 {
            b1 -= 1;
            n1 -= 1;
            n2 += 1;
        }
        if n1 < k1 && h == 1 {
            h = 0;
            n1 += 1;
        }
        (n1, b1, n2, h)
    };
    let mut t = Vec::new();
    for (i, &(n1, b1, n2, h)) in states.iter().enumerate() {
        let mut go = |to: S, rate: f64| t.push((i, index[&settle(to)], rate));
        if h == 0 {
            go(
                if n1 < k1 {
                    (n1 + 1, b1, n2, 0)
                } else {
                    (n1, b1, n2, 1)
                },
                lambda,
            );
        }
        let serving = n1.min(c1) - b1;
        if serving > 0 {
            let to = if n2 < k2 {
                (n1 - 1, b1, n2 + 1, h)
            } else {
                (n1, b1 + 1, n2, h)
            };
            go(to, serving as f64 * mu1);
        }
        if n2 > 0 {
            go((n1, b1, n2 - 1, h), mu2);
        }
    }
    let chain = Ctmc::from_triplets(states.len(), t).unwrap();
    let opts = SteadyStateOptions {
        tolerance: 1e-15,
        max_iterations: 4000,
        ..Default::default()
    };
    let ss = chain.steady_state_iterative(&opts).unwrap();
    eprintln!(
        "{} states: {:?} after {} iterations, residual {:e}",
        states.len(),
        ss.stop,
        ss.iterations,
        ss.residual
    );
    assert!(ss.is_converged(), "{:?}", ss.stop);
    let (mut l1, mut l2, mut free, mut x2, mut full1) = (0.0, 0.0, 0.0, 0.0, 0.0);
    let mut full2 = 0.0;
    for (&(n1, _, n2, h), p) in states.iter().zip(&ss.pi) {
        if n2 == k2 {
            full2 += p;
        }
        l1 += p * n1 as f64;
        l2 += p * n2 as f64;
        x2 += p * n2.min(1) as f64 * mu2;
        if h == 0 {
            free += p;
            if n1 == k1 {
                full1 += p;
            }
        }
    }
    // Blocking is visible at this load: node 2 full about 5e-6 of the time.
    assert!(full2 > 1e-7, "{full2}");
    // The model's solve stops at a residual 1e-13 of the total rate; its error in π is
    // that times the chain's mixing time (long at ρ = 0.96 over 300 places): up to 8e-10
    // relative here (measured), hence the combined bound.
    assert_rel!(a.l, l1, NUMERICAL_COMBINED);
    assert_rel!(b.l, l2, NUMERICAL_COMBINED);
    assert_rel!(b.throughput, x2, NUMERICAL_COMBINED);
    assert_rel!(a.arrival_rate, lambda * free, NUMERICAL_COMBINED);
    // The probability an arrival finds node 1 full: ~1e-29 here, compared absolutely.
    assert!((a.p_block.unwrap() - full1 / free).abs() < 1e-12);
    // Flow balance: nothing is lost, both nodes pass λ P(h = 0).
    assert_rel!(a.throughput, lambda * free, NUMERICAL_COMBINED);
    assert_rel!(b.throughput, lambda * free, NUMERICAL_COMBINED);
    for node in [a, b] {
        assert_rel!(node.l, node.throughput * node.w, NUMERICAL_COMBINED);
        assert_rel!(node.lq, node.throughput * node.wq, NUMERICAL_COMBINED);
    }
}
