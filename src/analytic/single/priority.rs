//! Priority classes at one node: M/G/1 (non-preemptive and preemptive-resume) and
//! M/M/c (non-preemptive, equal service rates). Class 1 is the highest priority; within
//! a class, FIFO.
//!
//! Notation: λₖ and Sₖ the arrival rate and service time of class k, ρₖ = λₖE\[Sₖ\],
//! σₖ = ρ₁ + … + ρₖ (σ₀ = 0), ρ = σ_K the total load.
//!
//! # M/G/1, non-preemptive (Cobham)
//! A message in service always finishes. The mean residual work an arrival finds in
//! service is W₀ = Σ_{all i} λᵢE\[Sᵢ²\]/2 — summed over **all** classes, lower ones
//! included, since a lower-class message may already be in service — and
//! Wqₖ = W₀ / ((1 − σₖ₋₁)(1 − σₖ)), Wₖ = Wqₖ + E\[Sₖ\].
//! Reference: Cobham (1954), "Priority assignment in waiting line problems", *Oper.
//! Res.* 2(1); Kleinrock (1976), *Queueing Systems* Vol. 2, ch. 3.
//!
//! # M/G/1, preemptive-resume
//! A higher-class arrival interrupts service; the interrupted message later resumes
//! where it stopped. Class k does not see classes below it:
//! Wₖ = E\[Sₖ\]/(1 − σₖ₋₁) + Rₖ / ((1 − σₖ₋₁)(1 − σₖ)) with Rₖ = Σ_{i<=k} λᵢE\[Sᵢ²\]/2
//! (equivalently \[E\[Sₖ\](1 − σₖ) + Rₖ\] / ((1 − σₖ₋₁)(1 − σₖ)); note 1 − σₖ, not
//! 1 − σₖ₋₁, in the numerator: with one class this is exactly P-K).
//! Here Wqₖ is defined as Wₖ − E\[Sₖ\]: the time in the node not being served,
//! interruptions included. Same references.
//!
//! # M/M/c, non-preemptive, one service rate μ for all classes
//! Wqₖ = \[C(c, a)/(cμ)\] / ((1 − σₖ₋₁)(1 − σₖ)) with a = λ/μ, σₖ = Σ_{i<=k} λᵢ/(cμ) and
//! C the Erlang C probability of waiting. Reference: Cobham (1954); Larson & Odoni
//! (1981), *Urban Operations Research*, §4.9.3. Exact only when every class has the
//! same exponential service rate; with unequal rates no simple exact formula exists.
//!
//! # Stability
//! All three solvers refuse a total load ρ >= 1 with [`AnalyticError::Unstable`].
//! (Under preemptive-resume the classes with σₖ < 1 would still reach a steady state
//! while the lower ones grow without bound; kendall treats such a node as unstable.)
//!
//! # When it applies
//! Poisson arrivals per class; the node-level figures (L, W, …) aggregate the classes
//! (W = L/λ). The means are exact; no distributions are given (simulate for
//! percentiles). Check: with one class every formula reduces to P-K M/G/1 (M/M/c).

use serde::{Deserialize, Serialize};

use crate::analytic::error::{AnalyticError, positive};
use crate::analytic::method::Method;
use crate::analytic::metrics::QueueMetrics;
use crate::analytic::single::erlang::erlang_c;
use crate::model::Distribution;

/// One priority class of an M/G/1 priority node: its Poisson arrival rate and its
/// service-time distribution. Classes are given highest priority first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PriorityClass {
    /// λₖ, messages/s (> 0).
    pub arrival_rate: f64,
    /// Service-time distribution of this class.
    pub service: Distribution,
}

impl PriorityClass {
    /// A class with arrival rate `arrival_rate` and service law `service`.
    ///
    /// # Example
    /// ```
    /// use kendall::analytic::PriorityClass;
    /// use kendall::model::Distribution;
    /// let c = PriorityClass::new(2.0, Distribution::Exponential { mean: 0.25 });
    /// assert_eq!(c.arrival_rate, 2.0);
    /// ```
    pub fn new(arrival_rate: f64, service: Distribution) -> Self {
        Self {
            arrival_rate,
            service,
        }
    }
}

/// Whether a higher-priority arrival interrupts the message in service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Preemption {
    /// Service, once started, completes (head-of-the-line priority).
    NonPreemptive,
    /// A higher class interrupts; the interrupted message resumes where it stopped.
    PreemptiveResume,
}

/// The figures of one priority class (the per-class JSON record).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ClassMetrics {
    /// Class number, 1 = highest priority.
    pub class: usize,
    /// λₖ, messages/s.
    pub arrival_rate: f64,
    /// ρₖ, this class's contribution to the per-server utilisation.
    pub utilisation: f64,
    /// Wqₖ, mean wait (time in the node not in service), seconds.
    pub wq: f64,
    /// Wₖ, mean sojourn, seconds.
    pub w: f64,
    /// Lqₖ = λₖWqₖ, mean number of this class waiting.
    pub lq: f64,
    /// Lₖ = λₖWₖ, mean number of this class in the node.
    pub l: f64,
}

/// Every class's figures and the method behind them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PrioritySolution {
    /// How the figures were obtained.
    pub method: Method,
    /// The classes, highest priority first.
    pub classes: Vec<ClassMetrics>,
}

/// Aggregate figures shared by both solvers.
#[derive(Debug, Clone, PartialEq)]
struct Totals {
    lambda: f64,
    rho: f64,
    servers: u64,
    classes: Vec<ClassMetrics>,
}

impl Totals {
    fn l(&self) -> f64 {
        self.classes.iter().map(|c| c.l).sum()
    }
    fn lq(&self) -> f64 {
        self.classes.iter().map(|c| c.lq).sum()
    }
}

fn class_record(class: usize, lambda: f64, rho: f64, wq: f64, w: f64) -> ClassMetrics {
    ClassMetrics {
        class,
        arrival_rate: lambda,
        utilisation: rho,
        wq,
        w,
        lq: lambda * wq,
        l: lambda * w,
    }
}

fn no_classes() -> AnalyticError {
    AnalyticError::InvalidParameter {
        name: "classes",
        value: 0.0,
        rule: "a list of at least one priority class",
    }
}

/// An M/G/1 node with priority classes, non-preemptive or preemptive-resume.
///
/// # Errors
/// [`AnalyticError::InvalidParameter`] for no classes or a non-finite / non-positive
/// arrival rate; [`AnalyticError::InvalidDistribution`] for a broken service law
/// (the reason names `classes[i].service`); [`AnalyticError::Unstable`] when the total
/// load ρ >= 1.
///
/// # Example
/// ```
/// use kendall::analytic::{Preemption, PriorityClass, PriorityMG1};
/// use kendall::analytic::QueueMetrics;
/// use kendall::model::Distribution;
/// // Urgent refunds ahead of bulk settlements on one consumer.
/// let q = PriorityMG1::new(
///     &[
///         PriorityClass::new(2.0, Distribution::Exponential { mean: 0.25 }),
///         PriorityClass::new(1.0, Distribution::Deterministic { value: 0.25 }),
///     ],
///     Preemption::NonPreemptive,
/// )
/// .unwrap();
/// // W0 = (2·0.125 + 1·0.0625)/2 = 0.15625; Wq1 = W0/(1·0.5), Wq2 = W0/(0.5·0.25).
/// assert!((q.classes()[0].wq - 0.3125).abs() < 1e-15);
/// assert!((q.classes()[1].wq - 1.25).abs() < 1e-15);
/// assert!((q.utilisation() - 0.75).abs() < 1e-15);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct PriorityMG1 {
    preemption: Preemption,
    totals: Totals,
}

impl PriorityMG1 {
    /// Solves the node with `classes` (highest priority first) under `preemption`.
    ///
    /// # Errors
    /// See the type's documentation.
    pub fn new(classes: &[PriorityClass], preemption: Preemption) -> Result<Self, AnalyticError> {
        if classes.is_empty() {
            return Err(no_classes());
        }
        let mut moments = Vec::with_capacity(classes.len());
        for (i, c) in classes.iter().enumerate() {
            let lambda = positive("arrival_rate", c.arrival_rate)?;
            let mut problems = Vec::new();
            c.service
                .check(&format!("classes[{i}].service"), &mut problems);
            if !problems.is_empty() {
                return Err(AnalyticError::InvalidDistribution {
                    reasons: problems
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; "),
                });
            }
            let mean = positive("service.mean", c.service.mean())?;
            moments.push((lambda, mean, c.service.second_moment()));
        }
        let rho: f64 = moments.iter().map(|(l, m, _)| l * m).sum();
        if rho >= 1.0 {
            return Err(AnalyticError::Unstable { utilisation: rho });
        }
        let w0: f64 = moments.iter().map(|(l, _, s2)| l * s2 / 2.0).sum();
        let mut sigma_prev = 0.0;
        let mut residual = 0.0;
        let mut records = Vec::with_capacity(classes.len());
        for (k, &(lambda, mean, s2)) in moments.iter().enumerate() {
            let rho_k = lambda * mean;
            let sigma = sigma_prev + rho_k;
            residual += lambda * s2 / 2.0;
            let denom = (1.0 - sigma_prev) * (1.0 - sigma);
            let (wq, w) = match preemption {
                Preemption::NonPreemptive => {
                    let wq = w0 / denom;
                    (wq, wq + mean)
                }
                Preemption::PreemptiveResume => {
                    let w = (mean * (1.0 - sigma) + residual) / denom;
                    (w - mean, w)
                }
            };
            records.push(class_record(k + 1, lambda, rho_k, wq, w));
            sigma_prev = sigma;
        }
        Ok(Self {
            preemption,
            totals: Totals {
                lambda: moments.iter().map(|m| m.0).sum(),
                rho,
                servers: 1,
                classes: records,
            },
        })
    }

    /// The per-class figures, highest priority first.
    pub fn classes(&self) -> &[ClassMetrics] {
        &self.totals.classes
    }

    /// The preemption rule.
    pub fn preemption(&self) -> Preemption {
        self.preemption
    }

    /// The per-class records with the method, ready to serialise.
    ///
    /// # Example
    /// ```
    /// use kendall::analytic::{Preemption, PriorityClass, PriorityMG1};
    /// use kendall::model::Distribution;
    /// let q = PriorityMG1::new(
    ///     &[PriorityClass::new(1.0, Distribution::Exponential { mean: 0.5 })],
    ///     Preemption::PreemptiveResume,
    /// )
    /// .unwrap();
    /// let json = serde_json::to_string(&q.solution()).unwrap();
    /// assert!(json.contains("\"wq\""));
    /// ```
    pub fn solution(&self) -> PrioritySolution {
        PrioritySolution {
            method: self.method(),
            classes: self.totals.classes.clone(),
        }
    }
}

impl QueueMetrics for PriorityMG1 {
    fn method(&self) -> Method {
        match self.preemption {
            Preemption::NonPreemptive => Method::exact(
                "M/G/1 non-preemptive priority (Cobham)",
                "Cobham (1954), Oper. Res. 2(1), 70–76; Kleinrock (1976), Queueing Systems Vol. 2, ch. 3",
            ),
            Preemption::PreemptiveResume => Method::exact(
                "M/G/1 preemptive-resume priority",
                "Kleinrock (1976), Queueing Systems Vol. 2, ch. 3",
            ),
        }
    }
    fn arrival_rate(&self) -> f64 {
        self.totals.lambda
    }
    fn throughput(&self) -> f64 {
        self.totals.lambda
    }
    fn utilisation(&self) -> f64 {
        self.totals.rho
    }
    fn servers(&self) -> Option<u64> {
        Some(self.totals.servers)
    }
    fn mean_number_in_system(&self) -> f64 {
        self.totals.l()
    }
    fn mean_queue_length(&self) -> f64 {
        self.totals.lq()
    }
    fn mean_sojourn(&self) -> f64 {
        self.totals.l() / self.totals.lambda
    }
    fn mean_wait(&self) -> f64 {
        self.totals.lq() / self.totals.lambda
    }
    fn prob_empty(&self) -> Option<f64> {
        // One work-conserving server: idle with probability 1 − ρ.
        Some(1.0 - self.totals.rho)
    }
    fn prob_wait(&self) -> Option<f64> {
        // Non-preemptive: an arrival waits iff the server is busy (PASTA).
        (self.preemption == Preemption::NonPreemptive).then_some(self.totals.rho)
    }
    fn prob_block(&self) -> Option<f64> {
        Some(0.0)
    }
}

/// An M/M/c node with non-preemptive priority classes sharing one service rate μ.
///
/// # Errors
/// [`AnalyticError::InvalidParameter`] for no classes, a non-finite / non-positive rate,
/// or zero servers; [`AnalyticError::Unstable`] when ρ = Σλₖ/(cμ) >= 1.
///
/// # Example
/// ```
/// use kendall::analytic::PriorityMMc;
/// use kendall::analytic::QueueMetrics;
/// let q = PriorityMMc::new(&[1.2, 0.9], 1.0, 3).unwrap();
/// assert!(q.classes()[0].wq < q.classes()[1].wq);
/// assert!((q.utilisation() - 0.7).abs() < 1e-15);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct PriorityMMc {
    mu: f64,
    erlang_c: f64,
    totals: Totals,
}

impl PriorityMMc {
    /// Solves the node with per-class `arrival_rates` (highest priority first), common
    /// `service_rate` μ and `servers` c.
    ///
    /// # Errors
    /// See the type's documentation.
    pub fn new(
        arrival_rates: &[f64],
        service_rate: f64,
        servers: u64,
    ) -> Result<Self, AnalyticError> {
        if arrival_rates.is_empty() {
            return Err(no_classes());
        }
        for &l in arrival_rates {
            positive("arrival_rate", l)?;
        }
        let mu = positive("service_rate", service_rate)?;
        if servers == 0 {
            return Err(AnalyticError::InvalidParameter {
                name: "servers",
                value: 0.0,
                rule: "an integer >= 1",
            });
        }
        let lambda: f64 = arrival_rates.iter().sum();
        let cmu = servers as f64 * mu;
        let c = erlang_c(servers, lambda / mu)?;
        let base = c / cmu;
        let mut sigma_prev = 0.0;
        let mut records = Vec::with_capacity(arrival_rates.len());
        for (k, &l) in arrival_rates.iter().enumerate() {
            let rho_k = l / cmu;
            let sigma = sigma_prev + rho_k;
            let wq = base / ((1.0 - sigma_prev) * (1.0 - sigma));
            records.push(class_record(k + 1, l, rho_k, wq, wq + 1.0 / mu));
            sigma_prev = sigma;
        }
        Ok(Self {
            mu,
            erlang_c: c,
            totals: Totals {
                lambda,
                rho: lambda / cmu,
                servers,
                classes: records,
            },
        })
    }

    /// The per-class figures, highest priority first.
    pub fn classes(&self) -> &[ClassMetrics] {
        &self.totals.classes
    }

    /// The per-class records with the method, ready to serialise.
    pub fn solution(&self) -> PrioritySolution {
        PrioritySolution {
            method: self.method(),
            classes: self.totals.classes.clone(),
        }
    }
}

impl QueueMetrics for PriorityMMc {
    fn method(&self) -> Method {
        Method::exact(
            "M/M/c non-preemptive priority, equal service rates",
            "Cobham (1954), Oper. Res. 2(1); Larson & Odoni (1981), Urban Operations Research, §4.9.3",
        )
    }
    fn arrival_rate(&self) -> f64 {
        self.totals.lambda
    }
    fn throughput(&self) -> f64 {
        self.totals.lambda
    }
    fn utilisation(&self) -> f64 {
        self.totals.rho
    }
    fn servers(&self) -> Option<u64> {
        Some(self.totals.servers)
    }
    fn mean_number_in_system(&self) -> f64 {
        self.totals.l()
    }
    fn mean_queue_length(&self) -> f64 {
        self.totals.lq()
    }
    fn mean_sojourn(&self) -> f64 {
        self.mean_wait() + 1.0 / self.mu
    }
    fn mean_wait(&self) -> f64 {
        self.totals.lq() / self.totals.lambda
    }
    fn prob_wait(&self) -> Option<f64> {
        // An arrival waits iff all c servers are busy: Erlang C (PASTA).
        Some(self.erlang_c)
    }
    fn prob_block(&self) -> Option<f64> {
        Some(0.0)
    }
}

#[cfg(test)]
#[allow(clippy::excessive_precision)] // reference values pasted with all their digits
mod tests {
    use super::*;
    use crate::analytic::single::mg1::MG1;

    fn close(a: f64, b: f64, tol: f64) {
        assert!((a - b).abs() <= tol * b.abs(), "{a} vs {b} (tol {tol})");
    }

    fn exp_class(lambda: f64, mean: f64) -> PriorityClass {
        PriorityClass::new(lambda, Distribution::Exponential { mean })
    }

    /// Two-class M/M/1 against the exact CTMC of the queue solved numerically
    /// (tests/reference/priority_reference.py, parts 1 and 2; truncation mass < 1e-15,
    /// sparse direct solve). Tolerance 1e-11 relative.
    #[test]
    fn two_class_mm1_matches_ctmc() {
        let classes = [exp_class(0.3, 1.0), exp_class(0.15, 2.0)];
        let np = PriorityMG1::new(&classes, Preemption::NonPreemptive).unwrap();
        let c = np.classes();
        close(c[0].lq, 0.385_714_285_714_285_18, 1e-11);
        close(c[1].lq, 0.482_142_857_142_856_48, 1e-11);
        close(c[0].l, 0.685_714_285_714_287_5, 1e-11);
        close(c[1].l, 0.782_142_857_142_857_03, 1e-11);
        let pr = PriorityMG1::new(&classes, Preemption::PreemptiveResume).unwrap();
        let c = pr.classes();
        close(c[0].l, 0.428_571_428_571_428_21, 1e-11);
        close(c[1].l, 0.910_714_285_714_287_14, 1e-11);
        // Class 1 under preemption is an M/M/1 alone: W1 = 1/(μ1 − λ1).
        close(c[0].w, 1.0 / 0.7, 1e-14);
    }

    /// Two-class M/M/3 with μ = 1 against its CTMC (priority_reference.py, part 3).
    #[test]
    fn two_class_mmc_matches_ctmc() {
        let q = PriorityMMc::new(&[1.2, 0.9], 1.0, 3).unwrap();
        close(q.classes()[0].lq, 0.328_229_665_071_770_43, 1e-11);
        close(q.classes()[1].lq, 0.820_574_162_679_425_73, 1e-11);
        // The total is the FIFO M/M/3 queue length (the discipline does not change it):
        // Lq = C·ρ/(1 − ρ).
        let c = erlang_c(3, 2.1).unwrap();
        close(q.mean_queue_length(), c * 0.7 / 0.3, 1e-13);
        close(q.prob_wait().unwrap(), c, 1e-15);
        // Little's law per class and in total.
        close(
            q.mean_number_in_system(),
            q.arrival_rate() * q.mean_sojourn(),
            1e-13,
        );
    }

    /// Kleinrock's conservation law for non-preemptive work-conserving disciplines:
    /// Σ ρₖWqₖ = ρW₀/(1 − ρ), whatever the order of the classes (Kleinrock (1965),
    /// "A conservation law for a wide class of queueing disciplines", NRLQ 12).
    #[test]
    fn conservation_law_in_every_order() {
        let base = [
            PriorityClass::new(0.2, Distribution::Deterministic { value: 1.0 }),
            PriorityClass::new(0.1, Distribution::Erlang { k: 3, mean: 2.0 }),
            PriorityClass::new(
                0.3,
                Distribution::Lognormal {
                    mean: 0.5,
                    scv: 4.0,
                },
            ),
            exp_class(0.05, 3.0),
        ];
        let rho: f64 = base.iter().map(|c| c.arrival_rate * c.service.mean()).sum();
        let w0: f64 = base
            .iter()
            .map(|c| c.arrival_rate * c.service.second_moment() / 2.0)
            .sum();
        let expected = rho * w0 / (1.0 - rho);
        for order in [[0, 1, 2, 3], [3, 2, 1, 0], [1, 3, 0, 2], [2, 0, 3, 1]] {
            let classes: Vec<_> = order.iter().map(|&i| base[i].clone()).collect();
            let q = PriorityMG1::new(&classes, Preemption::NonPreemptive).unwrap();
            let sum: f64 = q.classes().iter().map(|c| c.utilisation * c.wq).sum();
            close(sum, expected, 1e-13);
            close(
                q.mean_number_in_system(),
                q.arrival_rate() * q.mean_sojourn(),
                1e-13,
            );
        }
    }

    /// One class: both disciplines reduce to Pollaczek–Khinchine, and M/M/c priority to
    /// Erlang C, Wq = C/(cμ − λ).
    #[test]
    fn single_class_reduces_to_fifo() {
        let d = Distribution::Erlang { k: 2, mean: 0.8 };
        let pk = MG1::new(1.0, &d).unwrap();
        for p in [Preemption::NonPreemptive, Preemption::PreemptiveResume] {
            let q = PriorityMG1::new(&[PriorityClass::new(1.0, d.clone())], p).unwrap();
            close(q.mean_wait(), pk.mean_wait(), 1e-13);
            close(q.mean_sojourn(), pk.mean_sojourn(), 1e-13);
            close(q.mean_queue_length(), pk.mean_queue_length(), 1e-13);
        }
        let q = PriorityMMc::new(&[7.0], 1.0, 10).unwrap();
        close(
            q.mean_wait(),
            erlang_c(10, 7.0).unwrap() / (10.0 - 7.0),
            1e-13,
        );
    }

    /// Preemptive-resume: class k is unaffected by lower classes — adding a class 3
    /// leaves classes 1 and 2 unchanged.
    #[test]
    fn preemption_ignores_lower_classes() {
        let two = [exp_class(0.2, 1.0), exp_class(0.3, 0.5)];
        let three = [two[0].clone(), two[1].clone(), exp_class(0.1, 2.0)];
        let a = PriorityMG1::new(&two, Preemption::PreemptiveResume).unwrap();
        let b = PriorityMG1::new(&three, Preemption::PreemptiveResume).unwrap();
        for k in 0..2 {
            close(a.classes()[k].w, b.classes()[k].w, 1e-15);
        }
        let json = serde_json::to_string(&b.solution()).unwrap();
        assert!(json.contains("\"class\":3"));
    }

    #[test]
    fn rejects_bad_input() {
        assert!(matches!(
            PriorityMG1::new(&[], Preemption::NonPreemptive),
            Err(AnalyticError::InvalidParameter {
                name: "classes",
                ..
            })
        ));
        assert!(matches!(
            PriorityMG1::new(
                &[exp_class(0.5, 1.0), exp_class(0.5, 1.0)],
                Preemption::PreemptiveResume
            ),
            Err(AnalyticError::Unstable { .. })
        ));
        let bad = PriorityMG1::new(
            &[exp_class(0.5, 1.0), exp_class(0.1, -1.0)],
            Preemption::NonPreemptive,
        );
        match bad {
            Err(AnalyticError::InvalidDistribution { reasons }) => {
                assert!(reasons.contains("classes[1].service.mean"), "{reasons}");
            }
            other => panic!("{other:?}"),
        }
        assert!(PriorityMMc::new(&[1.0, f64::NAN], 1.0, 2).is_err());
        assert!(PriorityMMc::new(&[1.0], 1.0, 0).is_err());
        assert!(matches!(
            PriorityMMc::new(&[1.0, 1.0], 1.0, 2),
            Err(AnalyticError::Unstable { .. })
        ));
    }
}
