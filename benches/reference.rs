//! The references for the simulator's speed, shared by `benches/sim.rs` and
//! `examples/speed.rs`: minimal hand-written event-calendar loops (std `BinaryHeap`, no
//! message identities), one keeping only counts ([`reference_run`]) and one keeping the
//! means a capacity planner reads, the reference issue 9 describes
//! ([`reference_means_run`]).

use rand::SeedableRng;
use rand_distr::{Distribution as _, Exp1};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// The reference: a binary heap of (time bits, sequence, kind) and per-queue counts.
/// `queues` listeners each with `c` servers and mean service 1, fed by one Poisson
/// source of rate `lambda` whose every message goes to all of them.
pub fn reference_run(lambda: f64, c: u32, queues: usize, customers: u64) -> u64 {
    reference_loop::<false>(lambda, c, queues, customers).0
}

/// The means a minimal simulation keeps, per queue: the time integrals of the number in
/// the node and of the busy servers, and the completions, from which L, W (Little's
/// law), Wq and the utilisation follow.
#[derive(Debug, Clone, Default)]
pub struct Means {
    /// ∫ N(t) dt per queue.
    pub in_node_area: Vec<f64>,
    /// ∫ busy(t) dt per queue.
    pub busy_area: Vec<f64>,
    /// Completions per queue.
    pub completed: Vec<u64>,
    /// The clock at the end.
    pub end: f64,
}

impl Means {
    /// Mean sojourn of queue `q` by Little's law.
    pub fn sojourn(&self, q: usize) -> f64 {
        self.in_node_area[q] / self.completed[q] as f64
    }

    /// Utilisation of queue `q` with `c` servers.
    pub fn utilisation(&self, q: usize, c: u32) -> f64 {
        self.busy_area[q] / (self.end * f64::from(c))
    }
}

/// The reference of issue 9: [`reference_run`] that also keeps the means ([`Means`]):
/// per event, the touched queue's two integrals brought up to the clock.
pub fn reference_means_run(lambda: f64, c: u32, queues: usize, customers: u64) -> (u64, Means) {
    reference_loop::<true>(lambda, c, queues, customers)
}

fn reference_loop<const MEANS: bool>(
    lambda: f64,
    c: u32,
    queues: usize,
    customers: u64,
) -> (u64, Means) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
    let mut heap: BinaryHeap<Reverse<(u64, u64, u32)>> = BinaryHeap::with_capacity(1024);
    let mut seq = 0u64;
    let mut push = |heap: &mut BinaryHeap<_>, t: f64, kind: u32| {
        heap.push(Reverse((t.to_bits(), seq, kind)));
        seq += 1;
    };
    let mut in_node = vec![0u32; queues];
    let mut means = Means::default();
    let mut last = vec![0.0f64; queues];
    if MEANS {
        means.in_node_area = vec![0.0; queues];
        means.busy_area = vec![0.0; queues];
        means.completed = vec![0; queues];
    }
    // Brings queue q's integrals up to `now`.
    let touch = |means: &mut Means, last: &mut [f64], q: usize, n: u32, now: f64| {
        let dt = now - last[q];
        last[q] = now;
        means.in_node_area[q] += f64::from(n) * dt;
        means.busy_area[q] += f64::from(n.min(c)) * dt;
    };
    let mut done = 0u64;
    let mut events = 0u64;
    let e: f64 = Exp1.sample(&mut rng);
    push(&mut heap, e / lambda, u32::MAX);
    while let Some(Reverse((bits, _, kind))) = heap.pop() {
        let now = f64::from_bits(bits);
        events += 1;
        if kind == u32::MAX {
            let e: f64 = Exp1.sample(&mut rng);
            push(&mut heap, now + e / lambda, u32::MAX);
            for (q, n) in in_node.iter_mut().enumerate() {
                if MEANS {
                    touch(&mut means, &mut last, q, *n, now);
                }
                *n += 1;
                if *n <= c {
                    let s: f64 = Exp1.sample(&mut rng);
                    push(&mut heap, now + s, q as u32);
                }
            }
        } else {
            let q = kind as usize;
            if MEANS {
                touch(&mut means, &mut last, q, in_node[q], now);
                means.completed[q] += 1;
            }
            in_node[q] -= 1;
            if in_node[q] >= c {
                let s: f64 = Exp1.sample(&mut rng);
                push(&mut heap, now + s, kind);
            }
            if q == 0 {
                done += 1;
                if done == customers {
                    means.end = now;
                    break;
                }
            }
        }
    }
    (events, means)
}
