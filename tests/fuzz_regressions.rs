//! Regression tests for what `tests/fuzz.rs` found: one test per finding, each with the
//! input it was found on (or a smaller one with the same cause) and a value computed by
//! hand.

mod common;
use common::build::{exp, one_queue};
use common::tol::CLOSED_FORM;
use common::assert_rel;
use kendall::model::{ArrivalProcess, Segment};

/// Fuzz finding 1: a time-varying profile whose segments are long enough that
/// `rate × (end − start)` overflows (times near 1e308 s) had an infinite mean rate, so
/// `solve` printed `message_rate = inf` for the queue it feeds. The mean rate is the
/// time-weighted average of the rates, here 10 × 1/2 + 2 × 1/2 = 6 exactly.
#[test]
fn profile_mean_rate_does_not_overflow_on_long_segments() {
    let profile = ArrivalProcess::Profile {
        base: 2.0,
        segments: vec![Segment {
            start: 0.0,
            end: 5e307,
            rate: 10.0,
        }],
        period: Some(1e308),
    };
    assert_rel!(profile.mean_rate().unwrap(), 6.0, CLOSED_FORM);
    let valid = one_queue(profile, kendall::model::Queue::new("q", 1, exp(0.1)))
        .validate()
        .unwrap();
    let solution = kendall::solve(&valid).unwrap();
    let q = solution.node("q").unwrap();
    assert_rel!(q.message_rate, 6.0, CLOSED_FORM);
}
