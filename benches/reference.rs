//! The reference for the simulator's speed: a minimal hand-written event-calendar
//! loop (std `BinaryHeap`, no statistics, no message identities), shared by
//! `benches/sim.rs` and `examples/speed.rs`.

use rand::SeedableRng;
use rand_distr::{Distribution as _, Exp1};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// The reference: a binary heap of (time bits, sequence, kind) and per-queue counts.
/// `queues` listeners each with `c` servers and mean service 1, fed by one Poisson
/// source of rate `lambda` whose every message goes to all of them.
pub fn reference_run(lambda: f64, c: u32, queues: usize, customers: u64) -> u64 {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
    let mut heap: BinaryHeap<Reverse<(u64, u64, u32)>> = BinaryHeap::with_capacity(1024);
    let mut seq = 0u64;
    let mut push = |heap: &mut BinaryHeap<_>, t: f64, kind: u32| {
        heap.push(Reverse((t.to_bits(), seq, kind)));
        seq += 1;
    };
    let mut in_node = vec![0u32; queues];
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
                *n += 1;
                if *n <= c {
                    let s: f64 = Exp1.sample(&mut rng);
                    push(&mut heap, now + s, q as u32);
                }
            }
        } else {
            let q = kind as usize;
            in_node[q] -= 1;
            if in_node[q] >= c {
                let s: f64 = Exp1.sample(&mut rng);
                push(&mut heap, now + s, kind);
            }
            if q == 0 {
                done += 1;
                if done == customers {
                    break;
                }
            }
        }
    }
    events
}
