//! Erlang B and Erlang C by stable recursions.
//!
//! Erlang B: B(0, a) = 1, B(k, a) = a·B(k−1, a) / (k + a·B(k−1, a)). Every step stays in
//! [0, 1], so c = 100 000 and more work without overflow; no factorial or power is formed.
//! Erlang C from B: C(c, a) = B / (1 − ρ(1 − B)) with ρ = a/c < 1, evaluated as
//! c·B / (c − a + a·B) so that 1 − ρ is never formed (it loses digits as ρ → 1).
//! [`ln_erlang_b`] gives ln B where B itself underflows (B(1000, 1) ≈ e^{−5913}).
//! Reference: Jagerman (1974), "Some properties of the Erlang loss function", BSTJ 53(3).

use crate::analytic::error::{AnalyticError, positive};
use statrs::function::gamma::ln_gamma;

/// Erlang B blocking probability of an M/M/c/c loss system with offered load
/// `offered_load` a = λ/μ (erlangs) and `servers` c.
///
/// # Errors
/// [`AnalyticError::InvalidParameter`] for c = 0 or a non-finite / non-positive load,
/// and for c > 10⁸ with a > 5·10⁷ (beyond the step bound, see [`ERLANG_MAX_STEPS`]).
///
/// Costs min(c, ⌈2a⌉ + 1100) steps: c = u64::MAX at a small load returns at once.
///
/// # Example
/// ```
/// use kendall::analytic::erlang_b;
/// // B(1, 1) = 1/2; B(2, 1) = 1/5.
/// assert!((erlang_b(2, 1.0).unwrap() - 0.2).abs() < 1e-15);
/// ```
pub fn erlang_b(servers: u64, offered_load: f64) -> Result<f64, AnalyticError> {
    let a = check(servers, offered_load)?;
    let mut b = 1.0;
    for k in 1..=servers {
        let ab = a * b;
        b = ab / (k as f64 + ab);
        if b == 0.0 {
            // Underflowed: every later step maps 0 to 0, so B(c, a) is 0 in doubles.
            return Ok(0.0);
        }
    }
    Ok(b)
}

/// Bound on the Erlang B recursion: it takes at most `ERLANG_MAX_STEPS + 1100` steps
/// (about 2 s on one core); input that would need more makes [`erlang_b`], [`erlang_c`] and
/// [`ln_erlang_b`] refuse instead of running for hours.
///
/// The recursion needs min(c, ⌈2a⌉ + 1100) steps: from k ≥ 2a on, each step at least
/// halves B (B(k) ≤ a·B(k−1)/k), so within 1100 more steps B underflows to 0 — which is
/// then B(c, a) in doubles, exactly — and ln B leaves the linear recursion (a·B < 10⁻²⁸⁰)
/// for a closed-form tail. So any c works when a ≤ 5·10⁷ erlangs, and any a when
/// c ≤ 10⁸; only both beyond (c > 10⁸ and a > 5·10⁷: a hundred million consumers at
/// half load or more) is refused.
pub const ERLANG_MAX_STEPS: u64 = 100_000_000;

/// The checks shared by the Erlang functions: c >= 1, a finite and > 0, and a step
/// count within [`ERLANG_MAX_STEPS`].
fn check(servers: u64, offered_load: f64) -> Result<f64, AnalyticError> {
    let a = positive("offered_load", offered_load)?;
    if servers == 0 {
        return Err(AnalyticError::InvalidParameter {
            name: "servers",
            value: 0.0,
            rule: "an integer >= 1",
        });
    }
    if servers > ERLANG_MAX_STEPS && a > 0.5 * ERLANG_MAX_STEPS as f64 {
        return Err(AnalyticError::InvalidParameter {
            name: "offered_load",
            value: a,
            rule: "at most 5e7 erlangs when servers exceed 1e8 (ERLANG_MAX_STEPS: the Erlang B recursion takes min(servers, 2·offered_load + 1100) steps, at most 1e8 + 1100)",
        });
    }
    Ok(a)
}

/// Erlang C: the probability that an arrival to an M/M/c queue waits, with offered load
/// a = λ/μ and c servers.
///
/// # Errors
/// [`AnalyticError::InvalidParameter`] as for [`erlang_b`]; [`AnalyticError::Unstable`]
/// when ρ = a/c >= 1.
///
/// # Example
/// ```
/// use kendall::analytic::erlang_c;
/// // M/M/1: C = ρ.
/// assert!((erlang_c(1, 0.7).unwrap() - 0.7).abs() < 1e-15);
/// // c = 100 000 at ρ = 0.999 is fine.
/// let c = erlang_c(100_000, 99_900.0).unwrap();
/// assert!(c > 0.0 && c < 1.0);
/// ```
pub fn erlang_c(servers: u64, offered_load: f64) -> Result<f64, AnalyticError> {
    let b = erlang_b(servers, offered_load)?;
    let c = servers as f64;
    let rho = offered_load / c;
    if rho >= 1.0 {
        return Err(AnalyticError::Unstable { utilisation: rho });
    }
    Ok(c * b / (c - offered_load + offered_load * b))
}

/// The natural logarithm of Erlang B, ln B(c, a), finite even where B underflows a
/// double (B(1000, 1) ≈ e^{−5913}, B(10 000, 10) ≈ e^{−59093}).
///
/// Runs the recursion of [`erlang_b`] while B > 10⁻²⁸⁰, then continues in logs:
/// ln B(k) = ln B(k−1) + ln(a/k) − ln(1 + a·B(k−1)/k).
///
/// # Errors
/// As for [`erlang_b`].
///
/// # Example
/// ```
/// use kendall::analytic::{erlang_b, ln_erlang_b};
/// assert!((ln_erlang_b(10, 5.0).unwrap() - erlang_b(10, 5.0).unwrap().ln()).abs() < 1e-14);
/// // B(1000, 1) = 1/Σ_{k≤1000} 1000!/k! underflows, its logarithm does not.
/// assert!((ln_erlang_b(1000, 1.0).unwrap() + 5913.128178488163).abs() < 1e-9);
/// ```
pub fn ln_erlang_b(servers: u64, offered_load: f64) -> Result<f64, AnalyticError> {
    let a = check(servers, offered_load)?;
    ln_erlang_b_unchecked(servers, a)
}

/// ln B(c, a) for a > 0 and any c >= 0 (B(0, a) = 1).
///
/// # Errors
/// [`AnalyticError::InvalidParameter`] (`offered_load`) when c > [`ERLANG_MAX_STEPS`]
/// and a > [`ERLANG_MAX_STEPS`]/2 (the recursion would exceed its step bound).
pub(crate) fn ln_erlang_b_unchecked(servers: u64, a: f64) -> Result<f64, AnalyticError> {
    if servers > 0 {
        check(servers, a)?;
    }
    let mut b = 1.0f64;
    let mut k = 1u64;
    // Linear recursion while a·B stays a normal number (at most min(c, 2a + 1100)
    // steps, see ERLANG_MAX_STEPS); then in logs, so a tiny offered load (a = 1e-65: B
    // underflows within a few steps) keeps a finite ln B.
    while k <= servers {
        let ab = a * b;
        if ab < 1e-280 {
            break;
        }
        b = ab / (k as f64 + ab);
        k += 1;
    }
    let mut lb = b.ln();
    let ln_a = a.ln();
    // From here a·B(k−1) < 1e-280 and B decreases (k > a), so each step adds
    // ln a − ln k − ln(1 + a·B/k) with a last term below 1e-280/k: it changes nothing in
    // doubles. A short rest is summed step by step; a long one (more than TAIL_LOOP
    // steps) in closed form, Σ_{j=k}^{c} (ln a − ln j) = (c − k + 1) ln a − ln(c!/(k−1)!),
    // with ln Γ, so any c up to u64::MAX costs O(1).
    const TAIL_LOOP: u64 = 10_000;
    if servers >= k && servers - k >= TAIL_LOOP {
        let rest = (servers - k + 1) as f64;
        let ln_ratio = ln_gamma(servers as f64 + 1.0) - ln_gamma(k as f64);
        return Ok(lb + rest * ln_a - ln_ratio);
    }
    while k <= servers {
        let kf = k as f64;
        lb += ln_a - kf.ln() - (a * lb.exp() / kf).ln_1p();
        k += 1;
    }
    Ok(lb)
}

#[cfg(test)]
// Reference values are pasted with all the digits mpmath printed.
#[allow(clippy::excessive_precision)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, rel: f64) {
        assert!(
            (a - b).abs() <= rel * b.abs(),
            "{a} vs {b} (rel err {:e})",
            ((a - b) / b).abs()
        );
    }

    /// The standard Erlang B (lost-calls-cleared) table, row n = 10 trunks: the offered
    /// traffic for grade of service 1 %, 2 %, 5 % is 4.461, 5.084, 6.216 erlangs (as
    /// printed in the usual Erlang B tables, e.g. in Iversen, *Teletraffic Engineering
    /// and Network Planning*, DTU 2015, and in every traffic-engineering handbook). The
    /// table rounds a to 3 decimals, so B matches to about 1e-5 absolute.
    #[test]
    fn erlang_b_table_row_10() {
        for (a, gos) in [(4.461, 0.01), (5.084, 0.02), (6.216, 0.05)] {
            let b = erlang_b(10, a).unwrap();
            assert!((b - gos).abs() < 2e-5, "B(10, {a}) = {b}, table {gos}");
        }
    }

    /// Printed examples: Wolfram Language `ErlangB` documentation, "30 call lines and
    /// 25 erlangs: blocking approximately 0.05"; a Math.SE question quoting its text's
    /// solution "m = 10 servers, a = 6 erlangs: probability of waiting about 0.10".
    #[test]
    fn printed_examples() {
        assert!((erlang_b(30, 25.0).unwrap() - 0.05).abs() < 5e-3);
        assert!((erlang_c(10, 6.0).unwrap() - 0.10).abs() < 5e-3);
    }

    /// mpmath direct summation of a^k/k! at 60 digits (tests/reference/markovian.py).
    #[test]
    fn against_mpmath_direct_sum() {
        let b_cases = [
            (10, 5.0, 0.018384570336648133137),
            (1, 0.5, 1.0 / 3.0),
            (2, 1.0, 0.2),
            (50, 45.0, 0.054104472164626170393),
            (1000, 950.0, 0.0036492936889424098551),
            (1000, 999.0, 0.024199178595561824879),
            (1000, 1200.0, 0.17061255408381634231),
        ];
        for (c, a, want) in b_cases {
            close(erlang_b(c, a).unwrap(), want, 1e-13);
            close(ln_erlang_b(c, a).unwrap(), want.ln(), 1e-13);
        }
        let c_cases = [
            (10, 5.0, 0.036105359158320185976),
            (1, 0.5, 0.5),
            (2, 1.0, 1.0 / 3.0),
            (50, 45.0, 0.36386446720698838728),
            (1000, 950.0, 0.068253415377141423573),
            (1000, 999.0, 0.96123926040841911191),
        ];
        for (c, a, want) in c_cases {
            close(erlang_c(c, a).unwrap(), want, 1e-13);
        }
    }

    /// c = 100 000 at ρ = 0.999, mpmath at 40 digits: B = 0.00192022677255386231,
    /// C = 0.65799351179530264945.
    #[test]
    fn huge_c() {
        close(
            erlang_b(100_000, 99_900.0).unwrap(),
            0.0019202267725538623142,
            1e-12,
        );
        close(
            erlang_c(100_000, 99_900.0).unwrap(),
            0.65799351179530264945,
            1e-12,
        );
    }

    /// Where B underflows: ln B(1000, 1) and ln B(10 000, 10) from mpmath.
    #[test]
    fn log_erlang_b_underflow() {
        assert_eq!(erlang_b(1000, 1.0).unwrap(), 0.0);
        close(
            ln_erlang_b(1000, 1.0).unwrap(),
            -5913.1281784881633489,
            1e-14,
        );
        close(
            ln_erlang_b(10_000, 10.0).unwrap(),
            -59093.076906873896615,
            1e-13,
        );
        assert_eq!(ln_erlang_b_unchecked(0, 3.0), Ok(0.0));
    }

    #[test]
    fn rejects_bad_input() {
        assert!(matches!(
            erlang_b(0, 1.0),
            Err(AnalyticError::InvalidParameter {
                name: "servers",
                ..
            })
        ));
        assert!(matches!(
            erlang_b(3, -1.0),
            Err(AnalyticError::InvalidParameter {
                name: "offered_load",
                ..
            })
        ));
        assert!(matches!(
            erlang_c(3, 3.0),
            Err(AnalyticError::Unstable { .. })
        ));
        assert!(ln_erlang_b(2, f64::NAN).is_err());
    }

    /// Regression: a tiny offered load made B underflow to 0 in the linear recursion,
    /// so ln B = -inf and M/M/c/K gave NaN throughput, L and W. For a → 0,
    /// B(c, a) = (a^c / c!) / (1 + O(a)), so ln B = c ln a − ln c! to rounding.
    #[test]
    fn tiny_offered_load_keeps_a_finite_log() {
        use crate::analytic::{MMcK, QueueMetrics};
        for (c, a) in [
            (5u64, 1e-65f64),
            (6, 1e-65),
            (3, 1e-200),
            (40, 1e-10),
            (1, 1e-320),
        ] {
            let ln_c_fact: f64 = (1..=c).map(|k| (k as f64).ln()).sum();
            let want = c as f64 * a.ln() - ln_c_fact;
            let got = ln_erlang_b_unchecked(c, a).unwrap();
            assert!(
                (got - want).abs() <= 1e-12 * want.abs(),
                "c {c} a {a}: {got} vs {want}"
            );
        }
        // M/M/6/20 at λ = 1e-65, μ = 1: almost always empty; L = λW with W = 1/μ.
        let q = MMcK::new(1e-65, 1.0, 6, 20).unwrap();
        assert!((q.throughput() - 1e-65).abs() <= 1e-77);
        assert!((q.mean_sojourn() - 1.0).abs() < 1e-12);
        assert!((q.mean_number_in_system() - 1e-65).abs() <= 1e-77);
        assert!(q.utilisation().is_finite() && q.mean_wait().abs() < 1e-12);
    }

    /// Regression: `erlang_b(u64::MAX, a)` looped u64::MAX times, and so did
    /// `MMc::new(1, 1, u64::MAX)`. B underflows to 0 within ⌈2a⌉ + 1100 steps, which
    /// is then the answer in doubles; ln B takes the closed-form tail. References: mpmath
    /// at 50 digits, ln B = c ln a − a − ln Γ(c + 1) − ln P(Poisson(a) <= c).
    #[test]
    fn huge_server_counts_are_bounded() {
        use crate::analytic::{MMc, QueueMetrics};
        for a in [1e-300, 1.0, 1e3, 1e6] {
            assert_eq!(erlang_b(u64::MAX, a).unwrap(), 0.0, "a = {a}");
            assert_eq!(erlang_c(u64::MAX, a).unwrap(), 0.0, "a = {a}");
        }
        let q = MMc::new(1.0, 1.0, u64::MAX).unwrap();
        assert_eq!(q.prob_wait(), Some(0.0));
        assert!((q.mean_sojourn() - 1.0).abs() < 1e-15);
        for (c, a, want) in [
            (u64::MAX, 1.0, -799877009219260410590.2106),
            (u64::MAX, 1.0e6, -545025821708862196485.0568),
            (10_000_000, 10.0, -128155124.5576291080582455),
            (1_001_500, 1000.0, -5919125.863781865210522129),
            (100_000_005, 1.0e6, -361517051.7539391227582412),
        ] {
            close(ln_erlang_b(c, a).unwrap(), want, 1e-14);
        }
    }

    /// Past the stated bound (c > 1e8 and a > 5e7) the functions refuse, at
    /// once, naming the offered load.
    #[test]
    fn beyond_the_step_bound_is_refused() {
        for (c, a) in [(u64::MAX, 1e9), (ERLANG_MAX_STEPS + 1, 6e7)] {
            for r in [erlang_b(c, a), erlang_c(c, a), ln_erlang_b(c, a)] {
                assert!(
                    matches!(
                        r,
                        Err(AnalyticError::InvalidParameter {
                            name: "offered_load",
                            ..
                        })
                    ),
                    "{r:?}"
                );
            }
        }
        assert!(crate::analytic::MMcK::new(1e9, 1.0, u64::MAX, u64::MAX).is_err());
        // Beyond 1e8 servers at a load the recursion gets through: answered.
        assert_eq!(erlang_b(ERLANG_MAX_STEPS + 1, 1e6).unwrap(), 0.0);
    }
}
