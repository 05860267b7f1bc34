//! Every run terminates: count warm-ups that are never reached, blocking deadlocks,
//! sources that never produce and windows that stay full.

use kendall::model::{
    ArrivalProcess, Crash, Distribution, Model, OnFull, Queue, Route, RunSettings, Segment, Source,
    Topic,
};
use kendall::sim::{Replication, STALL_EVENTS, SimError, WARMUP_HORIZONS, run_replication};

use crate::common;
use common::assert_abs;
use common::build::{exp, poisson, poisson_into, split};
use common::tol::CLOCK;

fn run(model: &Model, settings: &RunSettings) -> Result<kendall::sim::ReplicationResult, SimError> {
    let mut r = Replication::new(&model.validate()?, settings, 0)?;
    r.run_until(f64::INFINITY)?;
    Ok(r.finish())
}

/// Service takes 10⁹ s: nothing finishes within any horizon, so a count warm-up of 10
/// is never reached; the run gives up at warmup + WARMUP_HORIZONS × horizon.
#[test]
fn an_unreachable_count_warmup_fails_at_the_time_limit() {
    let model = poisson_into(
        10.0,
        Queue::new("q", 1, Distribution::Deterministic { value: 1e9 }),
    );
    let settings = RunSettings {
        horizon: Some(100.0),
        warmup: 5.0,
        warmup_completions: Some(10),
        replications: 1,
        ..RunSettings::default()
    };
    let err = run(&model, &settings).unwrap_err();
    match err {
        SimError::WarmupNotReached {
            needed,
            finished,
            time,
        } => {
            assert_eq!(needed, 10);
            assert_eq!(finished, 0);
            assert_eq!(time, 5.0 + WARMUP_HORIZONS * 100.0);
        }
        e => panic!("unexpected {e}"),
    }
    let text = run_replication(&model.validate().unwrap(), &settings, 0)
        .unwrap_err()
        .to_string();
    assert!(text.contains("simulation.warmup_completions"), "{text}");
    // Reached in time, the same warm-up is harmless.
    let fast = poisson_into(10.0, Queue::new("q", 1, exp(0.05)));
    let r = run(&fast, &settings).unwrap();
    assert_abs!(r.measured_time, 100.0, CLOCK, "measured time");
}

/// A profile that stops producing after its only segment: the calendar runs dry.
fn dry_source() -> Source {
    Source::new(
        "in",
        ArrivalProcess::Profile {
            base: 0.0,
            segments: vec![Segment {
                start: 0.0,
                end: 1e-12,
                rate: 1.0,
            }],
            period: None,
        },
        "q",
    )
}

#[test]
fn a_model_where_nothing_arrives_terminates() {
    let model = Model::default()
        .with_source(dry_source())
        .with_queue(Queue::new("q", 1, exp(1.0)));
    // Stopping on completions that never come: ends when nothing is left to happen.
    let completions = RunSettings {
        completions: Some(10),
        replications: 1,
        ..RunSettings::default()
    };
    let r = run(&model, &completions).unwrap();
    assert_eq!(r.sources[0].created, 0);
    // Horizon with a time warm-up: runs to the horizon.
    let horizon = RunSettings {
        horizon: Some(50.0),
        warmup: 10.0,
        replications: 1,
        ..RunSettings::default()
    };
    assert_eq!(run(&model, &horizon).unwrap().end_time, 60.0);
    // A count warm-up that can never be reached: an error, not an empty result.
    let count = RunSettings {
        warmup_completions: Some(1),
        ..completions
    };
    assert!(matches!(
        run(&model, &count),
        Err(SimError::WarmupNotReached { needed: 1, .. })
    ));
}

/// b → c → b with capacity 1 and blocking: once both consumers hold a message for the
/// other, full, queue, nothing in b or c ever finishes; the topic keeps publishing
/// copies to b, held by the broker. Without a horizon the run would never end.
fn deadlock(source: Source) -> Model {
    let mut b = Queue::new("b", 1, exp(1.0))
        .with_capacity(1)
        .with_route(Route::To("c".into()));
    b.on_full = OnFull::Block;
    let mut c = Queue::new("c", 1, exp(1.0))
        .with_capacity(1)
        .with_route(split(&[("b", 0.9), ("exit", 0.1)]));
    c.on_full = OnFull::Block;
    Model::default()
        .with_source(source)
        .with_topic(Topic::new("t", ["a", "b"]))
        .with_queue(Queue::new("a", 1, exp(0.01)))
        .with_queue(b)
        .with_queue(c)
}

#[test]
fn a_blocking_deadlock_without_horizon_is_reported() {
    let model = deadlock(Source::new("in", poisson(20.0), "t"));
    let settings = RunSettings {
        completions: Some(1_000_000_000),
        replications: 1,
        ..RunSettings::default()
    };
    match run(&model, &settings) {
        Err(SimError::Stalled { events, .. }) => assert!(events > STALL_EVENTS),
        other => panic!("expected a stall, got {:?}", other.map(|r| r.end_time)),
    }
    // With a horizon the same model simply runs to it.
    let bounded = RunSettings {
        horizon: Some(1000.0),
        replications: 1,
        ..RunSettings::default()
    };
    let r = run(&model, &bounded).unwrap();
    assert_eq!(r.end_time, 1000.0);
    assert!(r.conservation.is_balanced());
}

/// A windowed source into the deadlock: its window fills with stuck messages, it pauses
/// for good, the calendar runs dry and the run ends.
#[test]
fn a_window_full_forever_terminates() {
    let mut src = Source::new("in", poisson(20.0), "t");
    src.window = Some(3);
    let model = deadlock(src);
    let settings = RunSettings {
        completions: Some(1_000_000_000),
        replications: 1,
        ..RunSettings::default()
    };
    let r = run(&model, &settings).unwrap();
    assert!(r.conservation.is_balanced());
    // Three roots stuck, each by its one copy on the b → c path (the copies to a are done).
    assert_eq!(r.sources[0].created - r.sources[0].finished, 3);
    assert_eq!(r.conservation.in_flight, 3);
}

/// Regression (hostile-input harness): 2.1·10⁹ messages/s into a finite buffer for
/// 12 s (2.6·10¹⁰ arrivals) ran for hours; it is refused at once, naming the source and
/// the fields to change. A closed-loop source at the same rate (a window of 1) is held
/// back by its window and runs.
#[test]
fn a_run_of_more_than_ten_billion_arrivals_is_refused_before_it_starts() {
    let q = Queue::new("q", 4, exp(0.1)).with_capacity(10);
    let settings = RunSettings {
        horizon: Some(12.0),
        replications: 1,
        ..RunSettings::default()
    };
    let open = Model::default()
        .with_source(Source::new("flood", poisson(2_147_483_649.0), "q"))
        .with_queue(q.clone())
        .validate()
        .unwrap();
    let start = std::time::Instant::now();
    let e = kendall::sim::simulate(&open, &settings).unwrap_err();
    assert!(matches!(e, SimError::TooManyArrivals { .. }), "{e}");
    let text = e.to_string();
    assert!(
        text.contains("\"flood\"") && text.contains("simulation.horizon"),
        "{text}"
    );
    assert!(start.elapsed().as_secs_f64() < 1.0);
    // The same rate behind a window of one message: about 10 arrivals per second.
    let mut windowed = Source::new("flood", poisson(2_147_483_649.0), "q");
    windowed.window = Some(1);
    let closed = Model::default()
        .with_source(windowed)
        .with_queue(q)
        .validate()
        .unwrap();
    let short = RunSettings {
        horizon: Some(1.0),
        replications: 1,
        ..RunSettings::default()
    };
    let r = kendall::sim::simulate(&closed, &short).unwrap();
    assert!(r.conservation.is_balanced());
}

/// Crashing consumers alone never end a run: without a horizon, a start-up backlog of
/// 50 and completions of 100 that can never come, the run must still end once the
/// backlog is done and only crash/restart events are left (it used to step from crash
/// to restart forever), and the same with a time series ticking.
#[test]
fn crashing_consumers_do_not_keep_a_finished_run_alive() {
    let mut q = Queue::new("q", 2, exp(0.01)).with_crash(Crash {
        time_to_failure: exp(1.0),
        restart: exp(0.5),
    });
    q.initial_backlog = 50;
    let model = Model::default().with_source(dry_source()).with_queue(q);
    for time_series in [None, Some(0.5)] {
        let settings = RunSettings {
            completions: Some(100),
            replications: 1,
            time_series,
            ..RunSettings::default()
        };
        let start = std::time::Instant::now();
        let r = run(&model, &settings).unwrap();
        assert!(start.elapsed().as_secs_f64() < 5.0);
        assert!(r.conservation.is_balanced());
        assert_eq!(r.conservation.in_flight, 0);
        assert!(r.backlog_drained_at.is_some());
    }
}
