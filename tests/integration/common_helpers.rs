//! The shared test helpers in `tests/common` can fail: each assertion rejects what it
//! must (values outside the tolerance, NaN, tiny values with no absolute floor) and
//! accepts its boundary.

use crate::common;
use common::tol::{CLOSED_FORM, grid};
use common::{assert_abs, assert_covers, assert_covers_percentile, assert_rel, rel_eq};
use kendall::sim::{Estimate, RELATIVE_ERROR};

fn estimate(mean: f64, half_width: f64) -> Estimate {
    Estimate {
        mean,
        half_width: Some(half_width),
        lower: Some(mean - half_width),
        upper: Some(mean + half_width),
        replications: 10,
    }
}

#[test]
fn relative_accepts_rounding_and_equal_values() {
    assert_rel!(1.0 + 1e-13, 1.0, CLOSED_FORM);
    assert_rel!(0.0, 0.0, CLOSED_FORM, "zeros");
    assert_rel!(f64::INFINITY, f64::INFINITY, CLOSED_FORM, "infinities");
}

#[test]
#[should_panic(expected = "context 7: got 1.00000000001, want 1")]
fn relative_rejects_beyond_the_tolerance_and_names_the_context() {
    assert_rel!(1.0 + 1e-11, 1.0, CLOSED_FORM, "context {}", 7);
}

#[test]
fn relative_has_no_absolute_floor_and_rejects_nan() {
    // approx's default epsilon (f64::EPSILON) would accept these; ours is 0.
    assert!(!rel_eq(1e-300, 2e-300, CLOSED_FORM));
    assert!(!rel_eq(1e-17, 0.0, CLOSED_FORM));
    assert!(!rel_eq(f64::NAN, f64::NAN, 1.0));
    assert!(!rel_eq(f64::INFINITY, 1e300, CLOSED_FORM));
}

#[test]
fn absolute_bound_is_inclusive() {
    assert_abs!(1.5, 1.0, 0.5, "boundary");
}

#[test]
#[should_panic(expected = "got 2, want 1")]
fn absolute_rejects_beyond_the_tolerance() {
    assert_abs!(2.0, 1.0, 0.5);
}

#[test]
#[should_panic]
fn absolute_rejects_nan() {
    assert_abs!(f64::NAN, 1.0, 1.0);
}

#[test]
fn interval_accepts_its_half_width() {
    // Binary fractions, so the boundary is exact.
    assert_covers!(&estimate(1.0, 0.25), 1.25, "upper end");
    assert_covers!(&estimate(1.0, 0.25), 0.75, "lower end");
}

#[test]
#[should_panic(expected = "L: simulated 1 ± 0.25")]
fn interval_rejects_outside_the_half_width() {
    assert_covers!(&estimate(1.0, 0.25), 1.3, "L");
}

#[test]
fn percentile_interval_is_widened_by_the_histogram_bound() {
    let exact = 128.0;
    let e = estimate(exact + 1.0 + RELATIVE_ERROR * exact, 1.0);
    assert_covers_percentile!(&e, exact, "p99");
}

#[test]
#[should_panic(expected = "p99")]
fn percentile_interval_rejects_beyond_the_widening() {
    let exact = 128.0;
    let e = estimate(exact + 1.5 + RELATIVE_ERROR * exact, 1.0);
    assert_covers_percentile!(&e, exact, "p99");
}

#[test]
#[should_panic(expected = "at least two replications")]
fn interval_needs_a_half_width() {
    let mut e = estimate(1.0, 0.1);
    e.half_width = None;
    assert_covers!(&e, 1.0, "one replication");
}

#[test]
fn grid_bound_is_half_a_cell_per_convolution_plus_one() {
    assert_eq!(grid(1, 0.01), 1.5 * 0.01);
    assert_eq!(grid(2, 0.01), 2.0 * 0.01);
}
