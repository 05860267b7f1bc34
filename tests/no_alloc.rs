//! The steady-state event loop allocates nothing: a counting global allocator is read
//! before and after a long stretch of events of a warmed-up replication. Only the
//! thread running the replication is counted: the test harness's other threads
//! (output capture, other tests) allocate whenever they like.

use kendall::model::{Discipline, Distribution, Model, Queue, RunSettings, Source, Topic};
use kendall::sim::Replication;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

mod common;
use common::build::{exp, mmc_model, poisson, windowed};

struct Counting;
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// Set on the thread whose allocations are counted (const-initialised, no
    /// destructor: reading it never allocates).
    static COUNTED: Cell<bool> = const { Cell::new(false) };
}

fn count() {
    if COUNTED.try_with(Cell::get).unwrap_or(false) {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    }
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations_in_steady_state(model: &Model) -> (u64, u64) {
    let settings = RunSettings {
        horizon: Some(1e9),
        ..RunSettings::default()
    };
    COUNTED.with(|c| c.set(true));
    let start = ALLOCATIONS.load(Ordering::Relaxed);
    let valid = model.validate().unwrap();
    let mut r = Replication::new(&valid, &settings, 0).unwrap();
    // The counter works: setting up allocates.
    assert!(ALLOCATIONS.load(Ordering::Relaxed) > start);
    r.run_until(2_000.0).unwrap();
    let events = r.events();
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    r.run_until(40_000.0).unwrap();
    let after = ALLOCATIONS.load(Ordering::Relaxed);
    COUNTED.with(|c| c.set(false));
    (after - before, r.events() - events)
}

#[test]
fn event_loop_does_not_allocate() {
    let mm1 = mmc_model(0.7, 1.0, 1);
    let fan_out = Model::default()
        .with_source(Source::new("in", poisson(5.0), "t"))
        .with_topic(Topic::new("t", ["a", "b", "c"]))
        .with_queue(Queue::new("a", 10, exp(1.0)))
        .with_queue(
            Queue::new("b", 2, Distribution::Erlang { k: 2, mean: 0.2 })
                .with_redelivery(0.05, 3, 0.1),
        )
        .with_queue(
            Queue::new(
                "c",
                3,
                Distribution::Lognormal {
                    mean: 0.3,
                    scv: 2.0,
                },
            )
            .with_discipline(Discipline::PreemptivePriority),
        );
    let windowed = Model::default()
        .with_source(windowed(8.0, 5, "q"))
        .with_queue(Queue::new("q", 1, exp(0.1)));
    for model in [mm1, fan_out, windowed] {
        let (allocs, events) = allocations_in_steady_state(&model);
        assert!(events > 50_000, "{events}");
        assert_eq!(allocs, 0, "{allocs} allocations in {events} events");
    }
}
