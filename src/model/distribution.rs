//! Distributions of service and inter-arrival times.
//!
//! Each variant knows its mean, variance and squared coefficient of variation (SCV),
//! which the analytic side needs, and builds a [`Sampler`] for the simulator. All times
//! are seconds; in scenario files they also accept strings like `"12ms"`.
//!
//! ```toml
//! service = { type = "exponential", mean = "20ms" }
//! service = { type = "erlang", k = 3, mean = "20ms" }
//! service = { type = "lognormal", mean = "20ms", scv = 2.0 }
//! service = { type = "hyperexponential", branches = [
//!     { probability = 0.9, mean = "10ms" }, { probability = 0.1, mean = "110ms" } ] }
//! ```

use super::duration::{seconds, seconds_vec};
use super::error::{ModelError, Problem, Problems};
use rand::Rng;
use rand_distr::{Distribution as _, Exp1, Gamma, LogNormal, StandardUniform};
use serde::{Deserialize, Serialize};

/// One branch of a hyperexponential distribution: with `probability`, an exponential
/// time of mean `mean`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Branch {
    /// Probability of this branch; the branches' probabilities sum to 1.
    pub probability: f64,
    /// Mean of this branch's exponential time, seconds.
    #[serde(deserialize_with = "seconds")]
    pub mean: f64,
}

/// A distribution of a non-negative time, in seconds.
///
/// # Example
/// ```
/// use kendall::model::Distribution;
/// let d = Distribution::Erlang { k: 4, mean: 0.02 };
/// assert!((d.mean() - 0.02).abs() < 1e-15);
/// assert!((d.scv() - 0.25).abs() < 1e-15);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum Distribution {
    /// Exponential with the given mean (rate 1/mean). SCV 1.
    Exponential {
        /// Mean, seconds (> 0).
        #[serde(deserialize_with = "seconds")]
        mean: f64,
    },
    /// Always exactly `value`. SCV 0.
    Deterministic {
        /// The constant time, seconds (>= 0).
        #[serde(deserialize_with = "seconds")]
        value: f64,
    },
    /// Erlang-k: the sum of `k` exponential phases, total mean `mean`. SCV 1/k.
    Erlang {
        /// Number of phases (>= 1).
        k: u32,
        /// Total mean, seconds (> 0).
        #[serde(deserialize_with = "seconds")]
        mean: f64,
    },
    /// A probabilistic mixture of exponentials. SCV >= 1.
    Hyperexponential {
        /// The branches; probabilities sum to 1.
        branches: Vec<Branch>,
    },
    /// Gamma with shape `shape` and mean `mean`. SCV 1/shape.
    Gamma {
        /// Shape (> 0).
        shape: f64,
        /// Mean, seconds (> 0).
        #[serde(deserialize_with = "seconds")]
        mean: f64,
    },
    /// Lognormal given by its mean and SCV (not by the parameters of the underlying normal).
    Lognormal {
        /// Mean, seconds (> 0).
        #[serde(deserialize_with = "seconds")]
        mean: f64,
        /// Squared coefficient of variation (> 0).
        scv: f64,
    },
    /// Uniform on `[min, max]`.
    Uniform {
        /// Lower end, seconds (>= 0).
        #[serde(deserialize_with = "seconds")]
        min: f64,
        /// Upper end, seconds (>= min).
        #[serde(deserialize_with = "seconds")]
        max: f64,
    },
    /// Each observed value equally likely (resampling of measurements).
    Empirical {
        /// The observations, seconds (>= 0, at least one).
        #[serde(deserialize_with = "seconds_vec")]
        values: Vec<f64>,
    },
}

impl Distribution {
    /// Exponential with rate `rate` (mean 1/rate), a convenience for the common case.
    ///
    /// # Example
    /// ```
    /// use kendall::model::Distribution;
    /// assert_eq!(Distribution::exponential_rate(50.0).mean(), 0.02);
    /// ```
    pub fn exponential_rate(rate: f64) -> Self {
        Distribution::Exponential { mean: 1.0 / rate }
    }

    /// The same distribution with every time multiplied by `factor` > 0 (mean × factor,
    /// the same SCV): the service of a slowed-down consumer.
    ///
    /// # Example
    /// ```
    /// use kendall::model::Distribution;
    /// let d = Distribution::Lognormal { mean: 0.01, scv: 2.0 }.scaled(3.0);
    /// assert!((d.mean() - 0.03).abs() < 1e-15);
    /// assert!((d.scv() - 2.0).abs() < 1e-12);
    /// ```
    pub fn scaled(&self, factor: f64) -> Distribution {
        let f = factor;
        match self {
            Distribution::Exponential { mean } => Distribution::Exponential { mean: mean * f },
            Distribution::Deterministic { value } => {
                Distribution::Deterministic { value: value * f }
            }
            Distribution::Erlang { k, mean } => Distribution::Erlang {
                k: *k,
                mean: mean * f,
            },
            Distribution::Hyperexponential { branches } => Distribution::Hyperexponential {
                branches: branches
                    .iter()
                    .map(|b| Branch {
                        probability: b.probability,
                        mean: b.mean * f,
                    })
                    .collect(),
            },
            Distribution::Gamma { shape, mean } => Distribution::Gamma {
                shape: *shape,
                mean: mean * f,
            },
            Distribution::Lognormal { mean, scv } => Distribution::Lognormal {
                mean: mean * f,
                scv: *scv,
            },
            Distribution::Uniform { min, max } => Distribution::Uniform {
                min: min * f,
                max: max * f,
            },
            Distribution::Empirical { values } => Distribution::Empirical {
                values: values.iter().map(|v| v * f).collect(),
            },
        }
    }

    /// The mean, seconds.
    ///
    /// # Example
    /// ```
    /// use kendall::model::Distribution;
    /// assert_eq!(Distribution::Uniform { min: 1.0, max: 3.0 }.mean(), 2.0);
    /// ```
    pub fn mean(&self) -> f64 {
        match self {
            Distribution::Exponential { mean }
            | Distribution::Erlang { mean, .. }
            | Distribution::Gamma { mean, .. }
            | Distribution::Lognormal { mean, .. } => *mean,
            Distribution::Deterministic { value } => *value,
            Distribution::Hyperexponential { branches } => {
                branches.iter().map(|b| b.probability * b.mean).sum()
            }
            Distribution::Uniform { min, max } => 0.5 * (min + max),
            Distribution::Empirical { values } => {
                values.iter().sum::<f64>() / values.len().max(1) as f64
            }
        }
    }

    /// The variance, seconds².
    ///
    /// # Example
    /// ```
    /// use kendall::model::Distribution;
    /// assert_eq!(Distribution::Exponential { mean: 2.0 }.variance(), 4.0);
    /// ```
    pub fn variance(&self) -> f64 {
        match self {
            Distribution::Exponential { mean } => mean * mean,
            Distribution::Deterministic { .. } => 0.0,
            Distribution::Erlang { k, mean } => mean * mean / f64::from(*k),
            Distribution::Gamma { shape, mean } => mean * mean / shape,
            Distribution::Lognormal { mean, scv } => scv * mean * mean,
            Distribution::Hyperexponential { branches } => {
                let m = self.mean();
                let second: f64 = branches
                    .iter()
                    .map(|b| 2.0 * b.probability * b.mean * b.mean)
                    .sum();
                (second - m * m).max(0.0)
            }
            Distribution::Uniform { min, max } => (max - min).powi(2) / 12.0,
            Distribution::Empirical { values } => {
                let m = self.mean();
                values.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / values.len().max(1) as f64
            }
        }
    }

    /// The second raw moment E\[X²\] = variance + mean², seconds².
    pub fn second_moment(&self) -> f64 {
        let m = self.mean();
        self.variance() + m * m
    }

    /// The third raw moment E\[X³\], seconds³ (for the variance of the M/G/1 wait,
    /// Takács 1962).
    ///
    /// # Example
    /// ```
    /// use kendall::model::Distribution;
    /// // Exponential: 6m³; Erlang-k: m³(k+1)(k+2)/k²; lognormal: m³(1 + scv)³.
    /// assert_eq!(Distribution::Exponential { mean: 2.0 }.third_moment(), 48.0);
    /// assert!((Distribution::Erlang { k: 2, mean: 1.0 }.third_moment() - 3.0).abs() < 1e-15);
    /// assert!((Distribution::Lognormal { mean: 1.0, scv: 1.0 }.third_moment() - 8.0).abs() < 1e-12);
    /// ```
    pub fn third_moment(&self) -> f64 {
        match self {
            Distribution::Exponential { mean } => 6.0 * mean * mean * mean,
            Distribution::Deterministic { value } => value * value * value,
            Distribution::Erlang { k, mean } => {
                let k = f64::from(*k);
                mean * mean * mean * (k + 1.0) * (k + 2.0) / (k * k)
            }
            Distribution::Gamma { shape, mean } => {
                mean * mean * mean * (shape + 1.0) * (shape + 2.0) / (shape * shape)
            }
            Distribution::Lognormal { mean, scv } => (mean * (1.0 + scv)).powi(3),
            Distribution::Hyperexponential { branches } => branches
                .iter()
                .map(|b| 6.0 * b.probability * b.mean * b.mean * b.mean)
                .sum(),
            Distribution::Uniform { min, max } => {
                // (b⁴ − a⁴) / (4(b − a)) = (a³ + a²b + ab² + b³) / 4.
                (min * min * min + min * min * max + min * max * max + max * max * max) / 4.0
            }
            Distribution::Empirical { values } => {
                values.iter().map(|v| v * v * v).sum::<f64>() / values.len().max(1) as f64
            }
        }
    }

    /// The squared coefficient of variation, variance / mean². Zero for a zero mean.
    ///
    /// # Example
    /// ```
    /// use kendall::model::Distribution;
    /// assert_eq!(Distribution::Lognormal { mean: 1.0, scv: 2.5 }.scv(), 2.5);
    /// ```
    pub fn scv(&self) -> f64 {
        let m = self.mean();
        if m.is_nan() || m <= 0.0 {
            return 0.0;
        }
        // Scale-free per kind: variance / mean² underflows to 0/0 for means near 1e-308
        // and overflows to ∞/∞ near 1e308.
        match self {
            Distribution::Exponential { .. } => 1.0,
            Distribution::Deterministic { .. } => 0.0,
            Distribution::Erlang { k, .. } => 1.0 / f64::from(*k),
            Distribution::Gamma { shape, .. } => 1.0 / shape,
            Distribution::Lognormal { scv, .. } => *scv,
            Distribution::Uniform { min, max } => ((max - min) / m).powi(2) / 12.0,
            Distribution::Hyperexponential { branches } => (branches
                .iter()
                .map(|b| 2.0 * b.probability * (b.mean / m).powi(2))
                .sum::<f64>()
                - 1.0)
                .max(0.0),
            Distribution::Empirical { values } => {
                values.iter().map(|v| (v / m - 1.0).powi(2)).sum::<f64>()
                    / values.len().max(1) as f64
            }
        }
    }

    /// Checks every parameter, pushing one [`Problem`] per rule broken, each prefixed by
    /// `path` (the field holding this distribution).
    ///
    /// The rules are those under which the sampler draws only finite times >= 0 and the
    /// mean, variance and SCV the analytic side uses are finite (a property test over
    /// the accepted space checks it):
    /// - every time (mean, value, min, max, branch mean, observation) is 0 or lies in
    ///   [[`MIN_TIME`], [`MAX_TIME`]] seconds, and only `deterministic.value`,
    ///   `uniform.min` and empirical observations may be 0 (a uniform `max` > `min`);
    /// - a gamma `shape` and a lognormal `scv` lie in [[`MIN_SHAPE`], [`MAX_SHAPE`]]
    ///   (an SCV between 10⁻¹⁵ and 10¹⁵: beyond, the moments or a gamma's scale
    ///   mean/shape leave the doubles);
    /// - an empirical mean is at least [`MIN_TIME`] (the observations are not all 0).
    pub fn check(&self, path: &str, out: &mut Vec<Problem>) {
        // A time > 0 (or >= 0 where `zero_ok`), within [MIN_TIME, MAX_TIME] when not 0.
        let mut time = |field: &str, v: f64, zero_ok: bool| {
            let ok = (zero_ok && v == 0.0) || (MIN_TIME..=MAX_TIME).contains(&v);
            if !ok {
                let what = if zero_ok { "0 or a number" } else { "a number" };
                out.push(Problem::new(
                    format!("{path}.{field}"),
                    format!(
                        "must be {what} of seconds in [{MIN_TIME:e}, {MAX_TIME:e}] (1 fs to 31 million years), got {v}"
                    ),
                ));
            }
        };
        match self {
            Distribution::Exponential { mean } => time("mean", *mean, false),
            Distribution::Erlang { k, mean } => {
                time("mean", *mean, false);
                if *k == 0 {
                    out.push(Problem::new(
                        format!("{path}.k"),
                        "must be >= 1 phase, got 0",
                    ));
                }
            }
            Distribution::Gamma { shape, mean } => {
                time("mean", *mean, false);
                shape_rule(&format!("{path}.shape"), *shape, out);
            }
            Distribution::Lognormal { mean, scv } => {
                time("mean", *mean, false);
                shape_rule(&format!("{path}.scv"), *scv, out);
            }
            Distribution::Deterministic { value } => time("value", *value, true),
            Distribution::Uniform { min, max } => {
                time("min", *min, true);
                if !(max > min && (MIN_TIME..=MAX_TIME).contains(max)) {
                    out.push(Problem::new(
                        format!("{path}.max"),
                        format!(
                            "must be > min ({min}) and a number of seconds in [{MIN_TIME:e}, {MAX_TIME:e}], got {max}"
                        ),
                    ));
                }
            }
            Distribution::Hyperexponential { branches } => {
                if branches.is_empty() {
                    out.push(Problem::new(
                        format!("{path}.branches"),
                        "needs at least one branch",
                    ));
                }
                let mut total = 0.0;
                for (i, b) in branches.iter().enumerate() {
                    if !(b.probability.is_finite() && b.probability > 0.0 && b.probability <= 1.0) {
                        out.push(Problem::new(
                            format!("{path}.branches[{i}].probability"),
                            format!("must be in (0, 1], got {}", b.probability),
                        ));
                    }
                    if !(MIN_TIME..=MAX_TIME).contains(&b.mean) {
                        out.push(Problem::new(
                            format!("{path}.branches[{i}].mean"),
                            format!(
                                "must be a number of seconds in [{MIN_TIME:e}, {MAX_TIME:e}], got {}",
                                b.mean
                            ),
                        ));
                    }
                    total += b.probability;
                }
                if !branches.is_empty() && (total.is_nan() || (total - 1.0).abs() > 1e-9) {
                    out.push(Problem::new(
                        format!("{path}.branches"),
                        format!("probabilities must sum to 1, got {total}"),
                    ));
                }
            }
            Distribution::Empirical { values } => {
                if values.is_empty() {
                    out.push(Problem::new(
                        format!("{path}.values"),
                        "needs at least one observation",
                    ));
                }
                let mut bad = false;
                for (i, v) in values.iter().enumerate() {
                    if !(*v == 0.0 || (MIN_TIME..=MAX_TIME).contains(v)) {
                        bad = true;
                        out.push(Problem::new(
                            format!("{path}.values[{i}]"),
                            format!(
                                "must be 0 or a number of seconds in [{MIN_TIME:e}, {MAX_TIME:e}], got {v}"
                            ),
                        ));
                    }
                }
                if !values.is_empty() && values.iter().all(|v| *v == 0.0) {
                    out.push(Problem::new(format!("{path}.values"), "must not all be 0"));
                } else if !values.is_empty() && !bad && self.mean() < MIN_TIME {
                    out.push(Problem::new(
                        format!("{path}.values"),
                        format!(
                            "must have a mean of at least {MIN_TIME:e} seconds, got {}",
                            self.mean()
                        ),
                    ));
                }
            }
        }
    }

    /// Validates the parameters and builds a sampler for the simulator.
    ///
    /// # Errors
    /// [`ModelError::Invalid`] listing every bad parameter (path prefix `distribution`).
    ///
    /// # Example
    /// ```
    /// use kendall::model::Distribution;
    /// use rand::SeedableRng;
    /// let s = Distribution::Exponential { mean: 0.5 }.sampler().unwrap();
    /// let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(1);
    /// assert!(s.sample(&mut rng) >= 0.0);
    /// assert!(Distribution::Exponential { mean: -1.0 }.sampler().is_err());
    /// ```
    pub fn sampler(&self) -> Result<Sampler, ModelError> {
        let mut problems = Vec::new();
        self.check("distribution", &mut problems);
        if !problems.is_empty() {
            return Err(ModelError::Invalid(Problems(problems)));
        }
        Ok(match self {
            Distribution::Exponential { mean } => Sampler::Exponential { mean: *mean },
            Distribution::Deterministic { value } => Sampler::Constant(*value),
            Distribution::Erlang { k, mean } => {
                if *k <= 8 {
                    Sampler::ErlangSum {
                        k: *k,
                        phase_mean: mean / f64::from(*k),
                    }
                } else {
                    Sampler::Gamma(gamma(f64::from(*k), *mean)?)
                }
            }
            Distribution::Gamma { shape, mean } => Sampler::Gamma(gamma(*shape, *mean)?),
            Distribution::Lognormal { mean, scv } => {
                // Validated: mean in [1e-15, 1e15] and scv in [1e-15, 1e15], so μ and σ
                // are finite and σ > 0, the only rules `LogNormal::new` has.
                let s2 = scv.ln_1p();
                let mu = mean.ln() - 0.5 * s2;
                Sampler::Lognormal(LogNormal::new(mu, s2.sqrt()).map_err(|e| {
                    ModelError::Invalid(Problems(vec![Problem::new(
                        "distribution",
                        format!("lognormal sampler refused mean {mean}, scv {scv}: {e}"),
                    )]))
                })?)
            }
            Distribution::Uniform { min, max } => Sampler::Uniform {
                min: *min,
                width: max - min,
            },
            Distribution::Hyperexponential { branches } => {
                let mut acc = 0.0;
                let mut cumulative = Vec::with_capacity(branches.len());
                for b in branches {
                    acc += b.probability;
                    cumulative.push((acc, b.mean));
                }
                Sampler::Hyper(cumulative)
            }
            Distribution::Empirical { values } => Sampler::Empirical(values.clone()),
        })
    }
}

/// Shortest non-zero time a distribution accepts, seconds (one femtosecond).
pub const MIN_TIME: f64 = 1e-15;
/// Longest time a distribution accepts, seconds (about 31 million years). With
/// [`MIN_TIME`] it keeps every moment the solvers use (up to the fourth) and every
/// sample finite and well inside the normal doubles.
pub const MAX_TIME: f64 = 1e15;
/// Highest rate an arrival process accepts, per second: one message per [`MIN_TIME`].
/// Rates are inverse times, so the same bound keeps every derived time (a think time
/// `1/λ`, a phase holding time) and every load `λ E[S]` finite and normal.
pub const MAX_RATE: f64 = 1e15;
/// Smallest gamma shape and lognormal SCV accepted.
pub const MIN_SHAPE: f64 = 1e-15;
/// Largest gamma shape and lognormal SCV accepted.
pub const MAX_SHAPE: f64 = 1e15;

fn shape_rule(path: &str, v: f64, out: &mut Vec<Problem>) {
    if !(MIN_SHAPE..=MAX_SHAPE).contains(&v) {
        out.push(Problem::new(
            path,
            format!("must be a number in [{MIN_SHAPE:e}, {MAX_SHAPE:e}], got {v}"),
        ));
    }
}

/// A gamma sampler of the given shape and mean. Validation bounds shape to
/// [MIN_SHAPE, MAX_SHAPE] (or k <= u32::MAX phases) and the mean to
/// [MIN_TIME, MAX_TIME], so the scale mean/shape lies in [1e-30, 1e30]: always
/// accepted by `Gamma::new`, whose only errors are a shape or scale that is not > 0.
fn gamma(shape: f64, mean: f64) -> Result<Gamma<f64>, ModelError> {
    Gamma::new(shape, mean / shape).map_err(|e| {
        ModelError::Invalid(Problems(vec![Problem::new(
            "distribution",
            format!("gamma sampler refused shape {shape}, mean {mean}: {e}"),
        )]))
    })
}

/// A ready-to-draw form of a [`Distribution`], built once by [`Distribution::sampler`]
/// so that drawing allocates nothing.
///
/// Only [`Distribution::sampler`] makes one (every variant is `#[non_exhaustive]`), so
/// a sampler always holds validated parameters: no empty list of observations or
/// branches, no negative or non-finite time. Every draw is a finite time >= 0.
#[derive(Debug, Clone)]
pub enum Sampler {
    /// Exponential of the given mean.
    #[non_exhaustive]
    Exponential {
        /// Mean, seconds.
        mean: f64,
    },
    /// A constant.
    #[non_exhaustive]
    Constant(f64),
    /// Erlang as a sum of `k` exponential phases (small k).
    #[non_exhaustive]
    ErlangSum {
        /// Phases.
        k: u32,
        /// Mean of each phase.
        phase_mean: f64,
    },
    /// Gamma (and Erlang with many phases).
    #[non_exhaustive]
    Gamma(Gamma<f64>),
    /// Lognormal.
    #[non_exhaustive]
    Lognormal(LogNormal<f64>),
    /// Uniform on `[min, min + width]`.
    #[non_exhaustive]
    Uniform {
        /// Lower end.
        min: f64,
        /// Width.
        width: f64,
    },
    /// Hyperexponential: (cumulative probability, branch mean).
    #[non_exhaustive]
    Hyper(Vec<(f64, f64)>),
    /// Uniform choice among observations.
    #[non_exhaustive]
    Empirical(Vec<f64>),
}

impl Sampler {
    /// Draws one time, seconds.
    #[inline]
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match self {
            Sampler::Exponential { mean } => {
                let x: f64 = Exp1.sample(rng);
                mean * x
            }
            Sampler::Constant(v) => *v,
            Sampler::ErlangSum { k, phase_mean } => {
                let mut s = 0.0;
                for _ in 0..*k {
                    let x: f64 = Exp1.sample(rng);
                    s += x;
                }
                s * phase_mean
            }
            Sampler::Gamma(g) => g.sample(rng),
            Sampler::Lognormal(l) => l.sample(rng),
            Sampler::Uniform { min, width } => {
                let u: f64 = StandardUniform.sample(rng);
                min + width * u
            }
            Sampler::Hyper(branches) => {
                let u: f64 = StandardUniform.sample(rng);
                let mean = branches
                    .iter()
                    .find(|(c, _)| u < *c)
                    .map_or(branches[branches.len() - 1].1, |b| b.1);
                let x: f64 = Exp1.sample(rng);
                mean * x
            }
            Sampler::Empirical(values) => {
                let u: f64 = StandardUniform.sample(rng);
                let i = ((u * values.len() as f64) as usize).min(values.len() - 1);
                values[i]
            }
        }
    }
}

/// Quantiles and the support's lower end: what a bound on a percentile needs (sizing's
/// check for SLOs no number of consumers can meet).
impl Distribution {
    /// The `p` quantile (0 < p < 1): the smallest t with P(T ≤ t) ≥ p; `None` where it
    /// cannot be computed (a parameter outside what the quantile functions accept).
    /// Exact for exponential, deterministic, uniform, lognormal and empirical (the
    /// smallest observation with at least a fraction p at or below it, as resampling
    /// draws them); Erlang, gamma and hyperexponential by bisection on the CDF to a
    /// relative width of 10⁻¹² (at most 2 200 halvings and doublings in all).
    ///
    /// ```
    /// use kendall::model::Distribution;
    /// // Exponential of mean 10 ms: p99 = 10 ms × ln 100 = 46.05 ms.
    /// let p99 = Distribution::Exponential { mean: 0.01 }.quantile(0.99).unwrap();
    /// assert!((p99 - 0.01 * 100f64.ln()).abs() < 1e-12);
    /// ```
    pub fn quantile(&self, p: f64) -> Option<f64> {
        let q = match self {
            Distribution::Exponential { mean } => -mean * (-p).ln_1p(),
            Distribution::Deterministic { value } => *value,
            Distribution::Uniform { min, max } => min + p * (max - min),
            Distribution::Lognormal { mean, scv } => {
                let s2 = scv.ln_1p();
                let mu = mean.ln() - 0.5 * s2;
                let z = std::f64::consts::SQRT_2 * statrs::function::erf::erf_inv(2.0 * p - 1.0);
                (mu + s2.sqrt() * z).exp()
            }
            Distribution::Empirical { values } => {
                let mut v: Vec<f64> = values.clone();
                v.sort_by(f64::total_cmp);
                let n = v.len();
                let k = ((p * n as f64) - 1e-9).ceil().max(1.0) as usize;
                *v.get(k.min(n).checked_sub(1)?)?
            }
            Distribution::Erlang { k, mean } => gamma_quantile(f64::from(*k), *mean, p)?,
            Distribution::Gamma { shape, mean } => gamma_quantile(*shape, *mean, p)?,
            Distribution::Hyperexponential { branches } => {
                let scale = branches.iter().map(|b| b.mean).fold(0.0, f64::max);
                let cdf = |t: f64| {
                    1.0 - branches
                        .iter()
                        .map(|b| b.probability * (-t / b.mean).exp())
                        .sum::<f64>()
                };
                bisect_cdf(&cdf, p, scale)?
            }
        };
        q.is_finite().then_some(q.max(0.0))
    }

    /// P(T ≤ t), the distribution function; `None` where it cannot be computed (a
    /// parameter outside what statrs accepts). Empirical: the fraction of observations
    /// at or below t (O(n) per call: sort once and use a binary search in a loop).
    ///
    /// ```
    /// use kendall::model::Distribution;
    /// let d = Distribution::Exponential { mean: 0.01 };
    /// assert!((d.cdf(0.01).unwrap() - (1.0 - (-1.0f64).exp())).abs() < 1e-15);
    /// // Lognormal: the median is mean / sqrt(1 + scv).
    /// let l = Distribution::Lognormal { mean: 2.0, scv: 3.0 };
    /// assert!((l.cdf(1.0).unwrap() - 0.5).abs() < 1e-12);
    /// ```
    pub fn cdf(&self, t: f64) -> Option<f64> {
        use statrs::distribution::ContinuousCDF;
        if t.is_nan() {
            return None;
        }
        if t < 0.0 {
            return Some(0.0);
        }
        let p = match self {
            Distribution::Exponential { mean } => -(-t / mean).exp_m1(),
            Distribution::Deterministic { value } => f64::from(u8::from(t >= *value)),
            Distribution::Uniform { min, max } if max > min => {
                ((t - min) / (max - min)).clamp(0.0, 1.0)
            }
            Distribution::Uniform { min, .. } => f64::from(u8::from(t >= *min)),
            Distribution::Lognormal { mean, scv } => {
                let s2 = scv.ln_1p();
                let mu = mean.ln() - 0.5 * s2;
                statrs::distribution::LogNormal::new(mu, s2.sqrt())
                    .ok()?
                    .cdf(t)
            }
            Distribution::Erlang { k, mean } => {
                let shape = f64::from(*k);
                statrs::distribution::Gamma::new(shape, shape / mean)
                    .ok()?
                    .cdf(t)
            }
            Distribution::Gamma { shape, mean } => {
                statrs::distribution::Gamma::new(*shape, shape / mean)
                    .ok()?
                    .cdf(t)
            }
            Distribution::Hyperexponential { branches } => branches
                .iter()
                .map(|b| b.probability * -(-t / b.mean).exp_m1())
                .sum::<f64>(),
            Distribution::Empirical { values } if !values.is_empty() => {
                values.iter().filter(|v| **v <= t).count() as f64 / values.len() as f64
            }
            Distribution::Empirical { .. } => return None,
        };
        p.is_finite().then_some(p.clamp(0.0, 1.0))
    }

    /// The least value the distribution takes: its support's lower end (0 for the
    /// exponential, Erlang, gamma, lognormal and hyperexponential families).
    ///
    /// ```
    /// use kendall::model::Distribution;
    /// assert_eq!(Distribution::Uniform { min: 1.0, max: 3.0 }.support_min(), 1.0);
    /// ```
    pub fn support_min(&self) -> f64 {
        match self {
            Distribution::Deterministic { value } => *value,
            Distribution::Uniform { min, .. } => *min,
            Distribution::Empirical { values } => {
                values.iter().copied().fold(f64::INFINITY, f64::min)
            }
            _ => 0.0,
        }
        .max(0.0)
    }
}

/// Quantile of a gamma distribution by its shape and mean.
fn gamma_quantile(shape: f64, mean: f64, p: f64) -> Option<f64> {
    use statrs::distribution::ContinuousCDF;
    let g = statrs::distribution::Gamma::new(shape, shape / mean).ok()?;
    bisect_cdf(&|t| g.cdf(t), p, mean)
}

/// Smallest t with cdf(t) ≥ p, by doubling from `scale` then bisection.
fn bisect_cdf(cdf: &dyn Fn(f64) -> f64, p: f64, scale: f64) -> Option<f64> {
    if !(scale.is_finite() && scale > 0.0) {
        return None;
    }
    let (mut lo, mut hi) = (0.0, scale);
    let mut doublings = 0;
    while cdf(hi) < p {
        lo = hi;
        hi *= 2.0;
        doublings += 1;
        if doublings > 1100 || !hi.is_finite() {
            return None;
        }
    }
    for _ in 0..1100 {
        if hi - lo <= 1e-12 * hi {
            break;
        }
        let mid = 0.5 * (lo + hi);
        if cdf(mid) >= p {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Some(lo)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    fn all() -> Vec<Distribution> {
        vec![
            Distribution::Exponential { mean: 0.02 },
            Distribution::Deterministic { value: 0.02 },
            Distribution::Erlang { k: 3, mean: 0.02 },
            Distribution::Erlang { k: 20, mean: 0.02 },
            Distribution::Hyperexponential {
                branches: vec![
                    Branch {
                        probability: 0.9,
                        mean: 0.01,
                    },
                    Branch {
                        probability: 0.1,
                        mean: 0.11,
                    },
                ],
            },
            Distribution::Gamma {
                shape: 0.5,
                mean: 0.02,
            },
            Distribution::Lognormal {
                mean: 0.02,
                scv: 2.0,
            },
            Distribution::Uniform {
                min: 0.01,
                max: 0.03,
            },
            Distribution::Empirical {
                values: vec![0.01, 0.02, 0.04],
            },
        ]
    }

    /// Sample mean and variance of 400 000 draws lie within 5 standard errors of the
    /// closed-form moments (the s.e. of the variance uses the sample fourth moment).
    #[test]
    fn samples_match_moments() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
        for d in all() {
            let s = d.sampler().unwrap();
            let n = 400_000;
            let xs: Vec<f64> = (0..n).map(|_| s.sample(&mut rng)).collect();
            let m = xs.iter().sum::<f64>() / n as f64;
            let v = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1) as f64;
            let m4 = xs.iter().map(|x| (x - m).powi(4)).sum::<f64>() / n as f64;
            let se_mean = (v / n as f64).sqrt();
            let se_var = ((m4 - v * v).max(0.0) / n as f64).sqrt();
            assert!(
                (m - d.mean()).abs() <= 5.0 * se_mean + 1e-9 * d.mean(),
                "{d:?}: mean {m} vs {}",
                d.mean()
            );
            assert!(
                (v - d.variance()).abs() <= 5.0 * se_var + 1e-18 * d.mean() * d.mean(),
                "{d:?}: variance {v} vs {}",
                d.variance()
            );
            assert!(xs.iter().all(|x| *x >= 0.0));
        }
    }

    #[test]
    fn moments_by_hand() {
        // Hyperexponential: mean 0.9*0.01 + 0.1*0.11 = 0.02,
        // E[X^2] = 2(0.9*1e-4 + 0.1*0.0121) = 0.00260, var = 0.0026 - 0.0004 = 0.0022, scv 5.5.
        let h = &all()[4];
        assert!((h.mean() - 0.02).abs() < 1e-15);
        assert!((h.scv() - 5.5).abs() < 1e-9);
        assert!(
            (Distribution::Uniform { min: 0.0, max: 1.0 }.variance() - 1.0 / 12.0).abs() < 1e-15
        );
        assert_eq!(Distribution::Deterministic { value: 3.0 }.scv(), 0.0);
    }

    #[test]
    fn rejects_bad_parameters_with_paths() {
        let mut p = Vec::new();
        Distribution::Exponential { mean: 0.0 }.check("queue \"a\".service", &mut p);
        Distribution::Erlang {
            k: 0,
            mean: f64::NAN,
        }
        .check("x", &mut p);
        Distribution::Uniform { min: 2.0, max: 1.0 }.check("u", &mut p);
        Distribution::Hyperexponential {
            branches: vec![Branch {
                probability: 0.5,
                mean: 1.0,
            }],
        }
        .check("h", &mut p);
        Distribution::Empirical { values: vec![] }.check("e", &mut p);
        let paths: Vec<&str> = p.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "queue \"a\".service.mean",
                "x.mean",
                "x.k",
                "u.max",
                "h.branches",
                "e.values"
            ]
        );
    }

    #[test]
    fn serde_accepts_duration_strings_and_rejects_unknown_fields() {
        let d: Distribution = toml::from_str("type = \"erlang\"\nk = 2\nmean = \"12ms\"").unwrap();
        assert_eq!(d, Distribution::Erlang { k: 2, mean: 0.012 });
        let e = toml::from_str::<Distribution>("type = \"exponential\"\nmean = 1\nrate = 2")
            .unwrap_err();
        assert!(e.to_string().contains("rate"), "{e}");
    }

    #[test]
    fn quantiles_match_closed_forms_and_tables() {
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs().max(1e-12);
        // Exponential: -m ln(1 - p); p99 of mean 10 ms = 46.0517 ms.
        let e = Distribution::Exponential { mean: 0.01 }
            .quantile(0.99)
            .unwrap();
        assert!(close(e, 0.01 * 100f64.ln()), "{e}");
        // Lognormal mean 12 ms, SCV 2: σ² = ln 3, μ = ln 0.012 − σ²/2, z(0.99) = 2.3263478740.
        let s2 = 3f64.ln();
        let expected = (0.012f64.ln() - 0.5 * s2 + s2.sqrt() * 2.326_347_874_040_841).exp();
        let l = Distribution::Lognormal {
            mean: 0.012,
            scv: 2.0,
        }
        .quantile(0.99)
        .unwrap();
        assert!((l - expected).abs() < 1e-9 * expected, "{l} vs {expected}");
        // Erlang-2 of mean 2 (rate 1 per phase): P(T > t) = e^{-t}(1 + t); its median
        // solves (1 + t) e^{-t} = 1/2: t = 1.6783469900166608 (tables).
        let m = Distribution::Erlang { k: 2, mean: 2.0 }
            .quantile(0.5)
            .unwrap();
        assert!((m - 1.678_346_990_016_660_8).abs() < 1e-9, "{m}");
        // Hyperexponential ½ Exp(mean 1) + ½ Exp(mean 1): the same as Exp(1).
        let h = Distribution::Hyperexponential {
            branches: vec![
                Branch {
                    probability: 0.5,
                    mean: 1.0,
                },
                Branch {
                    probability: 0.5,
                    mean: 1.0,
                },
            ],
        }
        .quantile(0.95)
        .unwrap();
        assert!((h - 20f64.ln()).abs() < 1e-9, "{h}");
        // Empirical: 100 values 1..=100; p99 is the 99th, p50 the 50th.
        let values: Vec<f64> = (1..=100).map(f64::from).collect();
        let d = Distribution::Empirical { values };
        assert_eq!(d.quantile(0.99), Some(99.0));
        assert_eq!(d.quantile(0.5), Some(50.0));
        assert_eq!(
            Distribution::Uniform { min: 1.0, max: 3.0 }.quantile(0.25),
            Some(1.5)
        );
        assert_eq!(
            Distribution::Deterministic { value: 0.2 }.quantile(0.999),
            Some(0.2)
        );
    }
}
