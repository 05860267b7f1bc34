//! Drop-head overflow (`on_full = "drop_head"`): the simulator against the exact
//! tagged-message solution (`MMcKDropHead`), and the same number in the node and the
//! same losses as reject-publish (M/M/c/K), which is computed independently here.
//!
//! The solver is checked against identities and a closed form in
//! `src/analytic/single/drop_head.rs`; tolerances here are the runs' 99.9% intervals.

use kendall::analytic::{MMcK, MMcKDropHead, QueueMetrics};
use kendall::model::{OnFull, Queue};
use kendall::{simulate, solve};

use crate::common;
use common::build::{exp_rate, poisson_into, theory_settings};
use common::{assert_conservation_and_little, assert_covers};

fn check(lambda: f64, mu: f64, c: u32, k: u64, seed: u64) {
    let mut q = Queue::new("q", c, exp_rate(mu)).with_capacity(k);
    q.on_full = OnFull::DropHead;
    let model = poisson_into(lambda, q).validate().unwrap();
    let r = simulate(&model, &theory_settings(3000.0, 50.0, 8, seed)).unwrap();
    assert_conservation_and_little(&r);
    let exact = MMcKDropHead::new(lambda, mu, u64::from(c), k).unwrap();
    let s = r.queue("q").unwrap();
    let ctx = format!("M/M/{c}/{k} drop-head λ {lambda} μ {mu}");
    assert_covers!(&s.throughput, exact.throughput(), "{ctx} throughput");
    assert_covers!(&s.l, exact.mean_number_in_system(), "{ctx} L");
    assert_covers!(&s.lq, exact.mean_queue_length(), "{ctx} Lq");
    assert_covers!(&s.w.unwrap(), exact.mean_sojourn(), "{ctx} W");
    assert_covers!(&s.wq.unwrap(), exact.mean_wait(), "{ctx} Wq");
    assert_covers!(
        &s.p_wait.unwrap(),
        exact.prob_wait().unwrap(),
        "{ctx} P(wait)"
    );
    assert_covers!(
        &s.p_block.unwrap(),
        exact.prob_block().unwrap(),
        "{ctx} P(block)"
    );
    // Nothing is refused at the door: the losses are pushed-out messages.
    assert_eq!(s.counts.rejected, 0);
    assert!(s.counts.dropped > 0);
    // The number in the node and the losses are M/M/c/K's.
    let reject = MMcK::new(lambda, mu, u64::from(c), k).unwrap();
    assert_eq!(
        exact.mean_number_in_system(),
        reject.mean_number_in_system()
    );
    assert!(exact.mean_wait() < reject.mean_wait());
}

#[test]
fn one_consumer_at_overload() {
    check(1.5, 1.0, 1, 6, 31);
}

#[test]
fn several_consumers_at_critical_load() {
    check(6.0, 1.0, 6, 20, 32);
}

/// The analytic dispatcher picks the drop-head solver and thins the traffic after it.
#[test]
fn solve_labels_and_thins() {
    let mut q = Queue::new("q", 2, exp_rate(1.0))
        .with_capacity(5)
        .with_route(kendall::model::Route::To("next".into()));
    q.on_full = OnFull::DropHead;
    let model = poisson_into(3.0, q)
        .with_queue(Queue::new("next", 4, exp_rate(1.0)))
        .validate()
        .unwrap();
    let sol = solve(&model).unwrap();
    let node = sol.node("q").unwrap().solution().unwrap();
    assert!(
        node.method.name.contains("drop-head"),
        "{}",
        node.method.name
    );
    let pb = node.p_block.unwrap();
    let next = sol.node("next").unwrap().solution().unwrap();
    assert!((next.arrival_rate - 3.0 * (1.0 - pb)).abs() < 1e-12);
}

#[test]
fn drop_head_needs_room_to_push_out() {
    let mut q = Queue::new("q", 2, exp_rate(1.0)).with_capacity(2);
    q.on_full = OnFull::DropHead;
    let e = poisson_into(1.0, q).validate().unwrap_err().to_string();
    assert!(
        e.contains("on_full") && e.contains("capacity > consumers"),
        "{e}"
    );
}
