//! G/G/1 and G/G/c approximations for the mean wait, from the first two moments of the
//! inter-arrival and service times.
//!
//! Inputs: arrival rate λ, arrival SCV ca², mean service time E\[S\], service SCV cs²,
//! servers c; ρ = λE\[S\]/c, a = λE\[S\]. Each formula gives Wq; then W = Wq + E\[S\],
//! Lq = λWq, L = λW (Little). Nothing distributional is given.
//!
//! | formula | Wq | reference |
//! |---|---|---|
//! | [`GGcFormula::Kingman`] (c = 1) | ρ/(1 − ρ) · (ca² + cs²)/2 · E\[S\] | Kingman (1961), "The single server queue in heavy traffic", *Proc. Camb. Phil. Soc.* 57(4), 902–904 |
//! | [`GGcFormula::AllenCunneen`] | C(c, a)/(cμ − λ) · (ca² + cs²)/2, exact Erlang C | Allen (1990), *Probability, Statistics, and Queueing Theory*, 2nd ed., Academic Press |
//! | [`GGcFormula::Sakasegawa`] | ρ^{√(2(c+1)) − 1}/(c(1 − ρ)) · (ca² + cs²)/2 · E\[S\] | Sakasegawa (1977), *Ann. Inst. Statist. Math.* 29(1), 67–75; Hopp & Spearman, *Factory Physics* |
//! | [`GGcFormula::Whitt1993`] | φ(ρ, ca², cs², c) · (ca² + cs²)/2 · Wq(M/M/c) | Whitt (1993), "Approximations for the GI/G/m queue", *Prod. Oper. Manag.* 2(2), 114–161, eqs. (2.22)–(2.28) |
//!
//! Allen–Cunneen and Sakasegawa share a shape but not their numbers: Allen–Cunneen uses
//! the exact Erlang C, Sakasegawa a closed-form stand-in for it; kendall names each.
//!
//! # When they apply and how accurate they are
//! All four assume a stable (ρ < 1), FIFO, infinite-buffer node with renewal arrivals
//! and i.i.d. service times; only two moments enter, so two inputs with equal SCVs get
//! equal answers. They are heavy-traffic approximations: asymptotically exact as
//! ρ → 1, least reliable at light load with ca² far from 1.
//! - Kingman is exact for M/G/1 (ca² = 1: it is then Pollaczek–Khinchine) and
//!   Allen–Cunneen is exact for M/M/c (ca² = cs² = 1); Whitt's refinement is exact for
//!   both M/M/c and M/D/1. Sakasegawa equals Kingman at c = 1.
//! - Measured against exact GI/M/1 waits (tests below, `tests/reference/approx_reference.py`):
//!   Kingman overestimates D/M/1 by 96 % at ρ = 0.5 and 7.7 % at ρ = 0.9, E2/M/1 by 21 %
//!   and 2.5 %, H2/M/1 (ca² = 4) by 16 % and 0.4 %. Whitt (1993) errs by +25 % and
//!   +1.9 % (D/M/1), −1.7 % and −0.3 % (E2/M/1), and equals Kingman for H2/M/1.
//!   kendall implements Whitt's eq. (2.25) as printed; at ca² = 0 it does not reduce
//!   to the D/M/c factor φ₃ alone (some implementations special-case that point).
//! - Non-renewal (bursty, MMPP) input is outside all four: its ca² alone does not
//!   describe the correlation, so simulate.

use serde::{Deserialize, Serialize};

use crate::analytic::error::{AnalyticError, positive};
use crate::analytic::method::Method;
use crate::analytic::metrics::QueueMetrics;
use crate::analytic::single::erlang::erlang_c;

/// Which G/G/c approximation to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum GGcFormula {
    /// Kingman's heavy-traffic G/G/1 formula (one server only).
    Kingman,
    /// Allen–Cunneen with the exact Erlang C.
    AllenCunneen,
    /// Sakasegawa's closed form.
    Sakasegawa,
    /// Whitt's (1993) refinement of Allen–Cunneen.
    Whitt1993,
}

impl From<crate::model::GgcMethod> for GGcFormula {
    fn from(m: crate::model::GgcMethod) -> Self {
        use crate::model::GgcMethod;
        match m {
            GgcMethod::Whitt => Self::Whitt1993,
            GgcMethod::AllenCunneen => Self::AllenCunneen,
            GgcMethod::Sakasegawa => Self::Sakasegawa,
            GgcMethod::Kingman => Self::Kingman,
        }
    }
}

impl GGcFormula {
    /// The formula a queue chose (`method`), Whitt (1993) by default.
    ///
    /// # Example
    /// ```
    /// use kendall::analytic::GGcFormula;
    /// use kendall::model::{Distribution, GgcMethod, Queue};
    /// let q = Queue::new("q", 2, Distribution::Deterministic { value: 0.1 });
    /// assert_eq!(GGcFormula::of(&q), GGcFormula::Whitt1993);
    /// let q = q.with_method(GgcMethod::Sakasegawa);
    /// assert_eq!(GGcFormula::of(&q), GGcFormula::Sakasegawa);
    /// ```
    pub fn of(q: &crate::model::Queue) -> Self {
        q.method.unwrap_or_default().into()
    }

    /// The method label of this formula.
    ///
    /// # Example
    /// ```
    /// use kendall::analytic::{Exactness, GGcFormula};
    /// let m = GGcFormula::AllenCunneen.method();
    /// assert_eq!(m.exactness, Exactness::Approximation);
    /// assert!(m.name.contains("exact Erlang C"));
    /// ```
    pub fn method(self) -> Method {
        match self {
            GGcFormula::Kingman => Method::approximation(
                "Kingman G/G/1",
                "Kingman (1961), Proc. Camb. Phil. Soc. 57(4), 902–904",
            ),
            GGcFormula::AllenCunneen => Method::approximation(
                "Allen–Cunneen G/G/c (exact Erlang C)",
                "Allen (1990), Probability, Statistics, and Queueing Theory, 2nd ed., Academic Press",
            ),
            GGcFormula::Sakasegawa => Method::approximation(
                "Sakasegawa G/G/c (closed form)",
                "Sakasegawa (1977), Ann. Inst. Statist. Math. 29(1), 67–75",
            ),
            GGcFormula::Whitt1993 => Method::approximation(
                "Whitt (1993) G/G/c",
                "Whitt (1993), Approximations for the GI/G/m queue, Prod. Oper. Manag. 2(2), 114–161",
            ),
        }
    }
}

/// A G/G/c node solved by one named approximation.
///
/// # Errors
/// [`AnalyticError::InvalidParameter`] for a non-finite or non-positive rate or mean, a
/// negative or non-finite SCV, zero servers, or c > 1 with Kingman;
/// [`AnalyticError::Unstable`] when ρ >= 1.
///
/// # Example
/// ```
/// use kendall::analytic::{GGc, GGcFormula};
/// use kendall::analytic::QueueMetrics;
/// // 8 consumers, 20 ms lognormal-ish service (cs² = 2), bursty arrivals (ca² = 1.5).
/// let q = GGc::new(GGcFormula::AllenCunneen, 360.0, 1.5, 0.02, 2.0, 8).unwrap();
/// assert!((q.utilisation() - 0.9).abs() < 1e-12);
/// let s = GGc::new(GGcFormula::Sakasegawa, 360.0, 1.5, 0.02, 2.0, 8).unwrap();
/// assert!(q.mean_wait() != s.mean_wait()); // different formulas, different numbers
/// assert!(q.wait_quantile(0.99).is_none()); // no distribution from two moments
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct GGc {
    formula: GGcFormula,
    lambda: f64,
    service_mean: f64,
    servers: u64,
    rho: f64,
    wq: f64,
}

fn scv(name: &'static str, v: f64) -> Result<f64, AnalyticError> {
    if v.is_finite() && v >= 0.0 {
        Ok(v)
    } else {
        Err(AnalyticError::InvalidParameter {
            name,
            value: v,
            rule: "a finite number >= 0",
        })
    }
}

impl GGc {
    /// Solves a G/G/c node with `formula`.
    ///
    /// # Errors
    /// See the type's documentation.
    pub fn new(
        formula: GGcFormula,
        arrival_rate: f64,
        arrival_scv: f64,
        service_mean: f64,
        service_scv: f64,
        servers: u64,
    ) -> Result<Self, AnalyticError> {
        let lambda = positive("arrival_rate", arrival_rate)?;
        let ca2 = scv("arrival_scv", arrival_scv)?;
        let es = positive("service_mean", service_mean)?;
        let cs2 = scv("service_scv", service_scv)?;
        if servers == 0 {
            return Err(AnalyticError::InvalidParameter {
                name: "servers",
                value: 0.0,
                rule: "an integer >= 1",
            });
        }
        if formula == GGcFormula::Kingman && servers != 1 {
            return Err(AnalyticError::InvalidParameter {
                name: "servers",
                value: servers as f64,
                rule: "1 for Kingman's formula (use Allen–Cunneen, Sakasegawa or Whitt (1993) for several servers)",
            });
        }
        let c = servers as f64;
        let a = lambda * es;
        let rho = a / c;
        if rho >= 1.0 {
            return Err(AnalyticError::Unstable { utilisation: rho });
        }
        let v = (ca2 + cs2) / 2.0;
        let wq = match formula {
            GGcFormula::Kingman => rho / (1.0 - rho) * v * es,
            GGcFormula::AllenCunneen => erlang_c(servers, a)? / (c / es - lambda) * v,
            GGcFormula::Sakasegawa => {
                rho.powf((2.0 * (c + 1.0)).sqrt() - 1.0) / (c * (1.0 - rho)) * v * es
            }
            GGcFormula::Whitt1993 => {
                let wq_mmc = erlang_c(servers, a)? / (c / es - lambda);
                whitt_phi(rho, ca2, cs2, c) * v * wq_mmc
            }
        };
        Ok(Self {
            formula,
            lambda,
            service_mean: es,
            servers,
            rho,
            wq,
        })
    }

    /// Kingman's G/G/1 formula.
    ///
    /// # Errors
    /// As for [`GGc::new`].
    ///
    /// # Example
    /// ```
    /// use kendall::analytic::GGc;
    /// use kendall::analytic::QueueMetrics;
    /// // M/D/1 at ρ = 0.8 (ca² = 1, cs² = 0): Kingman = P-K = 0.8/0.2 · 0.5 = 2.
    /// let q = GGc::kingman(0.8, 1.0, 1.0, 0.0).unwrap();
    /// assert!((q.mean_wait() - 2.0).abs() < 1e-12);
    /// ```
    pub fn kingman(
        arrival_rate: f64,
        arrival_scv: f64,
        service_mean: f64,
        service_scv: f64,
    ) -> Result<Self, AnalyticError> {
        Self::new(
            GGcFormula::Kingman,
            arrival_rate,
            arrival_scv,
            service_mean,
            service_scv,
            1,
        )
    }

    /// The formula used.
    pub fn formula(&self) -> GGcFormula {
        self.formula
    }
}

/// Whitt's (1993) correction factor φ(ρ, ca², cs², m), eqs. (2.22)–(2.28).
fn whitt_phi(rho: f64, ca2: f64, cs2: f64, m: f64) -> f64 {
    let gamma =
        ((1.0 - rho) * (m - 1.0) * ((4.0 + 5.0 * m).sqrt() - 2.0) / (16.0 * m * rho)).min(0.24);
    let phi1 = 1.0 + gamma;
    let phi2 = 1.0 - 4.0 * gamma;
    let phi3 = phi2 * (-2.0 * (1.0 - rho) / (3.0 * rho)).exp();
    let phi4 = ((phi1 + phi3) / 2.0).min(1.0);
    let psi = |c2: f64| {
        if c2 >= 1.0 {
            1.0
        } else {
            phi4.powf(2.0 * (1.0 - c2))
        }
    };
    let v = (ca2 + cs2) / 2.0;
    if ca2 >= cs2 {
        if ca2 == cs2 {
            return psi(ca2);
        }
        let d = 4.0 * ca2 - 3.0 * cs2;
        4.0 * (ca2 - cs2) / d * phi1 + cs2 / d * psi(v)
    } else {
        // ca² < cs², so the denominator is > 0; eq. (2.25) as printed, ca² = 0 included.
        let d = 2.0 * (ca2 + cs2);
        (cs2 - ca2) / d * phi3 + (cs2 + 3.0 * ca2) / d * psi(v)
    }
}

impl QueueMetrics for GGc {
    fn method(&self) -> Method {
        self.formula.method()
    }
    fn arrival_rate(&self) -> f64 {
        self.lambda
    }
    fn throughput(&self) -> f64 {
        self.lambda
    }
    fn utilisation(&self) -> f64 {
        self.rho
    }
    fn servers(&self) -> Option<u64> {
        Some(self.servers)
    }
    fn mean_number_in_system(&self) -> f64 {
        self.lambda * self.mean_sojourn()
    }
    fn mean_queue_length(&self) -> f64 {
        self.lambda * self.wq
    }
    fn mean_sojourn(&self) -> f64 {
        self.wq + self.service_mean
    }
    fn mean_wait(&self) -> f64 {
        self.wq
    }
}

#[cfg(test)]
#[allow(clippy::excessive_precision)] // reference values pasted with all their digits
mod tests {
    use super::*;
    use crate::analytic::single::mg1::MG1;
    use crate::model::Distribution;

    const ALL: [GGcFormula; 4] = [
        GGcFormula::Kingman,
        GGcFormula::AllenCunneen,
        GGcFormula::Sakasegawa,
        GGcFormula::Whitt1993,
    ];

    fn close(a: f64, b: f64, tol: f64) {
        assert!((a - b).abs() <= tol * b.abs(), "{a} vs {b} (tol {tol})");
    }

    /// Allen–Cunneen and Whitt are exact for M/M/c: Wq = C(c, a)/(cμ − λ)
    /// (Kleinrock (1975) Vol. 1 §3.5); every formula is exact for M/M/1.
    #[test]
    fn exact_for_mmc() {
        for &(c, lambda) in &[(1u64, 0.7), (4, 3.2), (50, 47.0)] {
            let exact = erlang_c(c, lambda).unwrap() / (c as f64 - lambda);
            for f in [GGcFormula::AllenCunneen, GGcFormula::Whitt1993] {
                let q = GGc::new(f, lambda, 1.0, 1.0, 1.0, c).unwrap();
                close(q.mean_wait(), exact, 1e-13);
            }
        }
        for f in ALL {
            let q = GGc::new(f, 0.7, 1.0, 1.0, 1.0, 1).unwrap();
            close(q.mean_wait(), 0.7 / 0.3, 1e-13);
        }
    }

    /// With Poisson arrivals and one server, Kingman is Pollaczek–Khinchine for any
    /// service SCV; Whitt is exact for M/D/1 (checked against the M/G/1 solver, whose
    /// P-K means are tested against Gross & Harris).
    #[test]
    fn exact_for_mg1() {
        for d in [
            Distribution::Deterministic { value: 0.5 },
            Distribution::Erlang { k: 3, mean: 0.5 },
            Distribution::Lognormal {
                mean: 0.5,
                scv: 6.0,
            },
        ] {
            let pk = MG1::new(1.6, &d).unwrap();
            let k = GGc::kingman(1.6, 1.0, d.mean(), d.scv()).unwrap();
            close(k.mean_wait(), pk.mean_wait(), 1e-13);
            close(k.mean_number_in_system(), pk.mean_number_in_system(), 1e-13);
            // Sakasegawa at c = 1 is Kingman: exponent √4 − 1 = 1.
            let s = GGc::new(GGcFormula::Sakasegawa, 1.6, 1.0, d.mean(), d.scv(), 1).unwrap();
            close(s.mean_wait(), pk.mean_wait(), 1e-13);
        }
        let pk = MG1::new(1.6, &Distribution::Deterministic { value: 0.5 }).unwrap();
        let w = GGc::new(GGcFormula::Whitt1993, 1.6, 1.0, 0.5, 0.0, 1).unwrap();
        close(w.mean_wait(), pk.mean_wait(), 1e-13);
    }

    /// Errors against exact GI/M/1 waits (tests/reference/approx_reference.py, mpmath
    /// root of σ = A*(μ(1 − σ)), 40 digits). Asserted bounds are the measured errors
    /// rounded up; they document accuracy, not exactness.
    #[test]
    fn accuracy_against_exact_gim1() {
        // (ρ, ca², exact Wq, Kingman max rel. error, Whitt max rel. error)
        let cases = [
            (0.5, 0.0, 0.255_000_974_915_975_27, 0.961, 0.246),
            (0.9, 0.0, 4.178_659_422_149_825_1, 0.077, 0.020),
            (0.5, 0.5, 0.618_033_988_749_894_85, 0.214, 0.017),
            (0.9, 0.5, 6.588_283_628_687_875_9, 0.025, 0.0031),
            (0.5, 4.0, 2.162_277_660_168_379_3, 0.157, 0.157),
            (0.9, 4.0, 22.408_857_567_321_475, 0.0042, 0.0042),
        ];
        for (rho, ca2, exact, kingman_err, whitt_err) in cases {
            let k = GGc::kingman(rho, ca2, 1.0, 1.0).unwrap();
            let w = GGc::new(GGcFormula::Whitt1993, rho, ca2, 1.0, 1.0, 1).unwrap();
            let ek = (k.mean_wait() - exact) / exact;
            let ew = (w.mean_wait() - exact) / exact;
            assert!(ek.abs() <= kingman_err, "Kingman rho {rho} ca2 {ca2}: {ek}");
            assert!(ew.abs() <= whitt_err, "Whitt rho {rho} ca2 {ca2}: {ew}");
        }
    }

    /// Sakasegawa and Allen–Cunneen share a shape but give different numbers for c > 1;
    /// Little's law holds for every formula.
    #[test]
    fn formulas_differ_and_little_holds() {
        let ac = GGc::new(GGcFormula::AllenCunneen, 9.0, 2.0, 1.0, 0.5, 10).unwrap();
        let sk = GGc::new(GGcFormula::Sakasegawa, 9.0, 2.0, 1.0, 0.5, 10).unwrap();
        assert!((ac.mean_wait() - sk.mean_wait()).abs() > 1e-3 * ac.mean_wait());
        for f in ALL {
            let c = if f == GGcFormula::Kingman { 1 } else { 10 };
            let lambda = 0.85 * c as f64;
            let q = GGc::new(f, lambda, 0.3, 1.0, 2.0, c).unwrap();
            close(q.mean_queue_length(), lambda * q.mean_wait(), 1e-14);
            close(
                q.mean_number_in_system(),
                q.mean_queue_length() + lambda,
                1e-13,
            );
            assert_eq!(
                q.method().exactness,
                crate::analytic::Exactness::Approximation
            );
        }
    }

    #[test]
    fn rejects_bad_input() {
        assert!(matches!(
            GGc::new(GGcFormula::Kingman, 1.0, 1.0, 0.1, 1.0, 2),
            Err(AnalyticError::InvalidParameter {
                name: "servers",
                ..
            })
        ));
        assert!(matches!(
            GGc::new(GGcFormula::AllenCunneen, 1.0, -1.0, 0.1, 1.0, 2),
            Err(AnalyticError::InvalidParameter {
                name: "arrival_scv",
                ..
            })
        ));
        assert!(matches!(
            GGc::new(GGcFormula::Sakasegawa, 20.0, 1.0, 0.1, 1.0, 2),
            Err(AnalyticError::Unstable { .. })
        ));
        assert!(GGc::new(GGcFormula::Whitt1993, 1.0, 1.0, 0.1, f64::NAN, 2).is_err());
        assert!(GGc::new(GGcFormula::Whitt1993, 1.0, 1.0, 0.1, 1.0, 0).is_err());
    }
}
