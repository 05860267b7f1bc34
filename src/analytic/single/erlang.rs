//! Erlang B and Erlang C by stable recursions.
//!
//! Erlang B: B(0, a) = 1, B(k, a) = a·B(k−1, a) / (k + a·B(k−1, a)). Every step stays in
//! [0, 1], so c = 100 000 and more work without overflow; no factorial or power is formed.
//! Erlang C from B: C(c, a) = B / (1 − ρ(1 − B)) with ρ = a/c < 1, evaluated as
//! c·B / (c − a + a·B) so that 1 − ρ is never formed (it loses digits as ρ → 1).
//! [`ln_erlang_b`] gives ln B where B itself underflows (B(1000, 1) ≈ e^{−5913}).
//! Reference: Jagerman (1974), "Some properties of the Erlang loss function", BSTJ 53(3).

use crate::analytic::error::{AnalyticError, positive};

/// Erlang B blocking probability of an M/M/c/c loss system with offered load
/// `offered_load` a = λ/μ (erlangs) and `servers` c.
///
/// # Errors
/// [`AnalyticError::InvalidParameter`] for c = 0 or a non-finite / non-positive load.
///
/// # Example
/// ```
/// use kendall::analytic::erlang_b;
/// // B(1, 1) = 1/2; B(2, 1) = 1/5.
/// assert!((erlang_b(2, 1.0).unwrap() - 0.2).abs() < 1e-15);
/// ```
pub fn erlang_b(servers: u64, offered_load: f64) -> Result<f64, AnalyticError> {
    let a = positive("offered_load", offered_load)?;
    if servers == 0 {
        return Err(AnalyticError::InvalidParameter {
            name: "servers",
            value: 0.0,
            rule: "an integer >= 1",
        });
    }
    let mut b = 1.0;
    for k in 1..=servers {
        let ab = a * b;
        b = ab / (k as f64 + ab);
    }
    Ok(b)
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
    // Validate exactly as erlang_b does.
    let a = positive("offered_load", offered_load)?;
    if servers == 0 {
        return Err(AnalyticError::InvalidParameter {
            name: "servers",
            value: 0.0,
            rule: "an integer >= 1",
        });
    }
    Ok(ln_erlang_b_unchecked(servers, a))
}

/// ln B(c, a) for a > 0 and any c >= 0 (B(0, a) = 1); no validation.
pub(crate) fn ln_erlang_b_unchecked(servers: u64, a: f64) -> f64 {
    let mut b = 1.0f64;
    let mut k = 1u64;
    // Linear recursion while a·B stays a normal number; then in logs, so a tiny offered
    // load (a = 1e-65: B underflows within a few steps) keeps a finite ln B.
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
    while k <= servers {
        let kf = k as f64;
        lb += ln_a - kf.ln() - (a * lb.exp() / kf).ln_1p();
        k += 1;
    }
    lb
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
        assert_eq!(ln_erlang_b_unchecked(0, 3.0), 0.0);
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
            let got = ln_erlang_b_unchecked(c, a);
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
}
