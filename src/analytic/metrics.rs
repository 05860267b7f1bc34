//! The common face of every single-node solver and the flat record it produces.

use crate::analytic::method::{Exactness, Method};
pub use crate::model::Queried;
use crate::model::{Level, Metric};
use serde::{Deserialize, Serialize};

/// The percentile levels reported everywhere: p50, p95, p99, p999.
pub const PERCENTILE_LEVELS: [f64; 4] = [0.50, 0.95, 0.99, 0.999];

/// What every single-node solver can tell. Means are required; distributional figures
/// are `None` where the solver does not know them exactly (never a made-up number).
///
/// Conventions: `arrival_rate` is the offered λ; `throughput` the admitted rate
/// λ(1 − P(block)); `utilisation` the per-server busy fraction X / (c μ); W and Wq are
/// per admitted message; times in seconds.
pub trait QueueMetrics {
    /// How the means were obtained.
    fn method(&self) -> Method;
    /// Offered arrival rate λ, messages/s.
    fn arrival_rate(&self) -> f64;
    /// Admitted (and, in steady state, departing) rate X, messages/s.
    fn throughput(&self) -> f64;
    /// Per-server utilisation ρ.
    fn utilisation(&self) -> f64;
    /// Servers c (`None` for infinitely many).
    fn servers(&self) -> Option<u64>;
    /// L, mean number in the node (waiting and in service).
    fn mean_number_in_system(&self) -> f64;
    /// Lq, mean number waiting.
    fn mean_queue_length(&self) -> f64;
    /// W, mean sojourn (wait + service), seconds.
    fn mean_sojourn(&self) -> f64;
    /// Wq, mean wait before service, seconds.
    fn mean_wait(&self) -> f64;
    /// P0, probability the node is empty.
    fn prob_empty(&self) -> Option<f64> {
        None
    }
    /// Probability an (admitted) arrival has to wait.
    fn prob_wait(&self) -> Option<f64> {
        None
    }
    /// Probability an arrival is blocked (finite capacity).
    fn prob_block(&self) -> Option<f64> {
        None
    }
    /// Probability an admitted message expires unserved (a queue with a TTL).
    fn prob_expire(&self) -> Option<f64> {
        None
    }
    /// P(N = n), time-stationary.
    fn prob_n(&self, _n: u64) -> Option<f64> {
        None
    }
    /// ln P(N = n): finite where P(N = n) itself underflows a double (P0 of M/M/c with
    /// many consumers). Defaults to the logarithm of [`Self::prob_n`].
    fn ln_state_probability(&self, n: u64) -> Option<f64> {
        self.prob_n(n).map(f64::ln)
    }
    /// P(Wq <= t) for an admitted message.
    fn wait_cdf(&self, _t: f64) -> Option<f64> {
        None
    }
    /// P(W <= t) for an admitted message.
    fn sojourn_cdf(&self, _t: f64) -> Option<f64> {
        None
    }
    /// Var(N), the variance of the (time-stationary) number in the node.
    fn var_number(&self) -> Option<f64> {
        None
    }
    /// Var(W), the variance of an admitted message's sojourn.
    fn var_sojourn(&self) -> Option<f64> {
        None
    }
    /// Var(Wq), the variance of an admitted message's wait.
    fn var_wait(&self) -> Option<f64> {
        None
    }
    /// P(Wq > t) for an admitted message: 1 − [`Self::wait_cdf`] unless a solver knows
    /// the tail directly (more digits far out).
    fn wait_tail(&self, t: f64) -> Option<f64> {
        self.wait_cdf(t).map(|c| (1.0 - c).clamp(0.0, 1.0))
    }
    /// P(W > t) for an admitted message: 1 − [`Self::sojourn_cdf`] unless a solver
    /// knows the tail directly.
    fn sojourn_tail(&self, t: f64) -> Option<f64> {
        self.sojourn_cdf(t).map(|c| (1.0 - c).clamp(0.0, 1.0))
    }
    /// The p-quantile of the wait (0 where p is within the atom at zero).
    fn wait_quantile(&self, _p: f64) -> Option<f64> {
        None
    }
    /// The p-quantile of the sojourn time.
    fn sojourn_quantile(&self, _p: f64) -> Option<f64> {
        None
    }
    /// How the distributional figures were obtained, when that differs from [`Self::method`].
    fn distribution_method(&self) -> Option<Method> {
        None
    }
}

/// Implements the named [`QueueMetrics`] methods of a wrapper by forwarding each to
/// the solver in its field `$field` (one mechanism for every wrapper that changes only
/// some figures: a relabelling, a fitted distribution, a duplicate-work correction).
macro_rules! forward_metrics {
    ($field:ident: $($name:ident),+ $(,)?) => {
        $( $crate::analytic::metrics::forward_metrics!(@one $field $name); )+
    };
    (@one $f:ident method) => {
        fn method(&self) -> $crate::analytic::method::Method { self.$f.method() }
    };
    (@one $f:ident servers) => {
        fn servers(&self) -> Option<u64> { self.$f.servers() }
    };
    (@one $f:ident prob_n) => {
        fn prob_n(&self, n: u64) -> Option<f64> { self.$f.prob_n(n) }
        fn ln_state_probability(&self, n: u64) -> Option<f64> { self.$f.ln_state_probability(n) }
    };
    (@one $f:ident distribution_method) => {
        fn distribution_method(&self) -> Option<$crate::analytic::method::Method> {
            self.$f.distribution_method()
        }
    };
    (@one $f:ident $name:ident) => {
        $crate::analytic::metrics::forward_metrics!(@by_kind $f $name);
    };
    (@by_kind $f:ident arrival_rate) => { $crate::analytic::metrics::forward_metrics!(@f64 $f arrival_rate); };
    (@by_kind $f:ident throughput) => { $crate::analytic::metrics::forward_metrics!(@f64 $f throughput); };
    (@by_kind $f:ident utilisation) => { $crate::analytic::metrics::forward_metrics!(@f64 $f utilisation); };
    (@by_kind $f:ident mean_number_in_system) => { $crate::analytic::metrics::forward_metrics!(@f64 $f mean_number_in_system); };
    (@by_kind $f:ident mean_queue_length) => { $crate::analytic::metrics::forward_metrics!(@f64 $f mean_queue_length); };
    (@by_kind $f:ident mean_sojourn) => { $crate::analytic::metrics::forward_metrics!(@f64 $f mean_sojourn); };
    (@by_kind $f:ident mean_wait) => { $crate::analytic::metrics::forward_metrics!(@f64 $f mean_wait); };
    (@by_kind $f:ident prob_empty) => { $crate::analytic::metrics::forward_metrics!(@opt $f prob_empty); };
    (@by_kind $f:ident prob_wait) => { $crate::analytic::metrics::forward_metrics!(@opt $f prob_wait); };
    (@by_kind $f:ident prob_block) => { $crate::analytic::metrics::forward_metrics!(@opt $f prob_block); };
    (@by_kind $f:ident prob_expire) => { $crate::analytic::metrics::forward_metrics!(@opt $f prob_expire); };
    (@by_kind $f:ident var_number) => { $crate::analytic::metrics::forward_metrics!(@opt $f var_number); };
    (@by_kind $f:ident var_sojourn) => { $crate::analytic::metrics::forward_metrics!(@opt $f var_sojourn); };
    (@by_kind $f:ident var_wait) => { $crate::analytic::metrics::forward_metrics!(@opt $f var_wait); };
    (@by_kind $f:ident wait_cdf) => { $crate::analytic::metrics::forward_metrics!(@at $f wait_cdf); };
    (@by_kind $f:ident sojourn_cdf) => { $crate::analytic::metrics::forward_metrics!(@at $f sojourn_cdf); };
    (@by_kind $f:ident wait_quantile) => { $crate::analytic::metrics::forward_metrics!(@at $f wait_quantile); };
    (@by_kind $f:ident sojourn_quantile) => { $crate::analytic::metrics::forward_metrics!(@at $f sojourn_quantile); };
    (@by_kind $f:ident wait_tail) => { $crate::analytic::metrics::forward_metrics!(@at $f wait_tail); };
    (@by_kind $f:ident sojourn_tail) => { $crate::analytic::metrics::forward_metrics!(@at $f sojourn_tail); };
    (@f64 $f:ident $name:ident) => {
        fn $name(&self) -> f64 { self.$f.$name() }
    };
    (@opt $f:ident $name:ident) => {
        fn $name(&self) -> Option<f64> { self.$f.$name() }
    };
    (@at $f:ident $name:ident) => {
        fn $name(&self, x: f64) -> Option<f64> { self.$f.$name(x) }
    };
}
pub(crate) use forward_metrics;

/// p50, p95, p99, p999 of a time, seconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Percentiles {
    /// Median.
    pub p50: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
    /// 99.9th percentile.
    pub p999: f64,
}

impl Percentiles {
    /// The percentile at `level`; `None` for a level other than the four.
    ///
    /// # Example
    /// ```
    /// use kendall::{Level, analytic::Percentiles};
    /// let p = Percentiles { p50: 1.0, p95: 2.0, p99: 3.0, p999: 4.0 };
    /// assert_eq!(p.get(Level::P99), Some(3.0));
    /// assert_eq!(p.get("p9995".parse().unwrap()), None);
    /// ```
    pub fn get(&self, level: Level) -> Option<f64> {
        match level {
            Level::P50 => Some(self.p50),
            Level::P95 => Some(self.p95),
            Level::P99 => Some(self.p99),
            Level::P999 => Some(self.p999),
            _ => None,
        }
    }

    /// Evaluates `quantile` at the four levels; `None` if any is unknown.
    pub fn from_fn(quantile: impl Fn(f64) -> Option<f64>) -> Option<Self> {
        Some(Self {
            p50: quantile(0.50)?,
            p95: quantile(0.95)?,
            p99: quantile(0.99)?,
            p999: quantile(0.999)?,
        })
    }
}

/// The value of a distributional `metric` from a solver's quantile and tail functions
/// (`None` for any other metric, or where the solver does not know the distribution).
pub(crate) fn distribution_figure(m: &dyn QueueMetrics, metric: Metric) -> Option<f64> {
    let v = match metric {
        Metric::WaitPercentile(l) => m.wait_quantile(l.p()),
        Metric::SojournPercentile(l) => m.sojourn_quantile(l.p()),
        Metric::WaitTail(t) => m.wait_tail(t.seconds()),
        Metric::SojournTail(t) => m.sojourn_tail(t.seconds()),
        _ => None,
    }?;
    v.is_finite().then_some(v)
}

/// The flat, serialisable result of solving one node: every figure and its method.
/// This is the JSON shape of `kendall solve` for each node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct NodeSolution {
    /// How the means were obtained.
    pub method: Method,
    /// Offered arrival rate λ, messages/s.
    pub arrival_rate: f64,
    /// Admitted rate X, messages/s.
    pub throughput: f64,
    /// Per-server utilisation ρ.
    pub utilisation: f64,
    /// Servers (absent for infinitely many).
    pub servers: Option<u64>,
    /// L, mean number in the node.
    pub l: f64,
    /// Lq, mean number waiting.
    pub lq: f64,
    /// W, mean sojourn, seconds.
    pub w: f64,
    /// Wq, mean wait, seconds.
    pub wq: f64,
    /// P0 (absent if unknown, or if it underflows a double: see `log10_p0`).
    pub p0: Option<f64>,
    /// log₁₀ P0, wherever the solver knows it in log space: the figure when P0 itself
    /// is below the smallest double (P0 of M/M/1000 at load 0.9 is about 10⁻³⁹¹).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log10_p0: Option<f64>,
    /// log₁₀ P(N = n) for n = 0, 1, ... up to `state_offset` (at most 16; the first 16
    /// when no state could be listed): the states before the listed ones, whose
    /// probabilities are below 1e-15 or underflow.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub log10_state_head: Vec<f64>,
    /// P(N = n) for the same n as `log10_state_head` (n = 0, 1, ...), as plain
    /// probabilities: `null` where the figure is below the smallest double (its
    /// logarithm is then the only form of it). With `state_probabilities` from
    /// `state_offset` on, this gives every P(N = n) the tables print: P(N = n) is
    /// `state_head[n]` for n below the length of this list, `state_probabilities[n −
    /// state_offset]` from `state_offset` on (see [`NodeSolution::state_probability`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub state_head: Vec<Option<f64>>,
    /// Probability of waiting.
    pub p_wait: Option<f64>,
    /// Probability of blocking: `None` where the method does not give it (a queue with
    /// a capacity limit whose method has no blocking figure). [`solve`](crate::solve)
    /// gives 0 for every queue without a capacity limit, exactly: nothing is ever
    /// blocked there, whatever the method of the other figures (see `p_block_method`).
    pub p_block: Option<f64>,
    /// The method of `p_block` when it is not [`Self::method`]: for a queue without a
    /// capacity limit whose method gives no blocking figure, or is not exact, P(block)
    /// is 0 by construction, labelled exact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p_block_method: Option<Method>,
    /// Probability an admitted message expires unserved (a queue with a `ttl`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p_expire: Option<f64>,
    /// P(N = n) for n = `state_offset`, `state_offset` + 1, ... until the tail mass is
    /// below 1e-6 (at most 200 terms from n = 0, 5 000 from an offset).
    pub state_probabilities: Vec<f64>,
    /// The n of the first entry of `state_probabilities`: the states before it each have
    /// P(N = n) below 1e-15, too small to matter or to hold in a double (many consumers:
    /// P0 of M/M/1000 at load 0.9 is about e⁻⁹⁰⁰). 0 when the list starts at n = 0.
    /// Always written, so that a reader never takes `state_probabilities[0]` for P0.
    #[serde(default)]
    pub state_offset: u64,
    /// Percentiles of the wait, seconds.
    pub wait: Option<Percentiles>,
    /// Percentiles of the sojourn time, seconds.
    pub sojourn: Option<Percentiles>,
    /// How the distributional figures were obtained.
    pub distribution_method: Option<Method>,
    /// Var(N), the variance of the number in the node (where known).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub var_n: Option<f64>,
    /// Var(W), the variance of the sojourn, seconds² (where known).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub var_w: Option<f64>,
    /// Var(Wq), the variance of the wait, seconds² (where known).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub var_wq: Option<f64>,
    /// The figures the model asked for beyond the standard ones (other percentile
    /// levels, P(W > t), P(Wq > t)), where the distribution is known.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub queried: Vec<Queried>,
}

impl NodeSolution {
    /// Collects every figure a solver knows.
    ///
    /// # Example
    /// ```
    /// use kendall::analytic::{NodeSolution, MM1};
    /// let s = NodeSolution::from_metrics(&MM1::new(0.5, 1.0).unwrap());
    /// assert!((s.l - 1.0).abs() < 1e-12);
    /// ```
    pub fn from_metrics(m: &dyn QueueMetrics) -> Self {
        Self::asking(m, &[])
    }

    /// Every figure a solver knows, and the distributional figures in `queried` (other
    /// percentile levels, tail probabilities; see [`Queried`]) where it knows the
    /// distribution.
    pub fn asking(m: &dyn QueueMetrics, queried: &[Metric]) -> Self {
        // Skip the leading states below 1e-15 (at most one per consumer: the mass of a
        // multi-server queue sits at or below its consumer count when it is stable).
        let scan = m.servers().unwrap_or(0).min(MAX_STATE_SCAN);
        let mut state_offset = 0u64;
        while state_offset < scan && m.prob_n(state_offset).is_none_or(|p| p < 1e-15) {
            state_offset += 1;
        }
        if state_offset == scan {
            state_offset = 0;
        }
        // 200 states from n = 0; from an offset (many consumers) up to 5 000, enough for
        // ±5 standard deviations of the mass at 100 000 consumers.
        let listed = if state_offset == 0 { 200 } else { 5000 };
        let mut state_probabilities = Vec::new();
        let mut mass = 0.0;
        for n in state_offset..state_offset + listed {
            match m.prob_n(n) {
                Some(p) if p.is_finite() => {
                    state_probabilities.push(p);
                    mass += p;
                    if 1.0 - mass < 1e-6 {
                        break;
                    }
                }
                _ => break,
            }
        }
        // The states before the list (or the first 16 when nothing could be listed, the
        // mass sitting beyond the scan): their logarithms.
        let head = if state_probabilities.is_empty() {
            16
        } else {
            state_offset.min(16)
        };
        let log10_state_head: Vec<f64> = (0..head)
            .map_while(|n| m.ln_state_probability(n).filter(|l| l.is_finite()))
            .map(|l| l * std::f64::consts::LOG10_E)
            .collect();
        // The same states as plain probabilities, where a double holds them: the
        // solver's own figure, else from the logarithm.
        let state_head = log10_state_head
            .iter()
            .zip(0..)
            .map(|(&x, n)| {
                m.prob_n(n)
                    .filter(|p| p.is_finite() && *p >= f64::MIN_POSITIVE)
                    .or_else(|| Some(10f64.powf(x)).filter(|p| *p >= f64::MIN_POSITIVE))
            })
            .collect();
        let wait = Percentiles::from_fn(|p| m.wait_quantile(p));
        let sojourn = Percentiles::from_fn(|p| m.sojourn_quantile(p));
        let queried: Vec<Queried> = queried
            .iter()
            .filter_map(|&metric| {
                distribution_figure(m, metric).map(|value| Queried { metric, value })
            })
            .collect();
        let distribution_method = if wait.is_some() || sojourn.is_some() || !queried.is_empty() {
            Some(m.distribution_method().unwrap_or_else(|| m.method()))
        } else {
            None
        };
        Self {
            method: m.method(),
            arrival_rate: m.arrival_rate(),
            throughput: m.throughput(),
            utilisation: m.utilisation(),
            servers: m.servers(),
            l: m.mean_number_in_system(),
            lq: m.mean_queue_length(),
            w: m.mean_sojourn(),
            wq: m.mean_wait(),
            p0: m.prob_empty(),
            log10_p0: m
                .ln_state_probability(0)
                .filter(|l| l.is_finite())
                .map(|l| l * std::f64::consts::LOG10_E),
            log10_state_head,
            state_head,
            p_wait: m.prob_wait(),
            p_block: m.prob_block(),
            p_block_method: None,
            p_expire: m.prob_expire(),
            state_probabilities,
            state_offset,
            wait,
            sojourn,
            distribution_method,
            var_n: m.var_number().filter(|v| v.is_finite() && *v >= 0.0),
            var_w: m.var_sojourn().filter(|v| v.is_finite() && *v >= 0.0),
            var_wq: m.var_wait().filter(|v| v.is_finite() && *v >= 0.0),
            queried,
        }
    }
}

/// The value of `metric` in a list of queried figures.
pub(crate) fn queried_value(queried: &[Queried], metric: Metric) -> Option<f64> {
    queried.iter().find(|q| q.metric == metric).map(|q| q.value)
}

/// The most leading states [`NodeSolution::from_metrics`] skips (1e6).
pub const MAX_STATE_SCAN: u64 = 1_000_000;

impl NodeSolution {
    /// The value of `metric`, if this solution knows it: `None` for a figure the method
    /// does not give (never a made-up 0: an SLO on it is then decided by simulation).
    /// `P(block)` is `p_block` ([`solve`](crate::solve) gives 0 for every queue without
    /// a capacity limit); [`Metric::DeadLetter`] is known per node
    /// ([`NodeResult::get`](crate::analytic::NodeResult::get)), not here.
    ///
    /// # Example
    /// ```
    /// use kendall::{Level, Metric, analytic::{MM1, NodeSolution}};
    /// let s = NodeSolution::from_metrics(&MM1::new(0.5, 1.0).unwrap());
    /// assert_eq!(s.get(Metric::MeanNumber), Some(1.0));
    /// assert_eq!(s.get(Metric::Blocking), Some(0.0));
    /// // M/M/1 sojourn is exponential with rate mu - lambda = 0.5: p50 = 2 ln 2.
    /// let p50 = s.get(Metric::SojournPercentile(Level::P50)).unwrap();
    /// assert!((p50 - 2.0 * 2f64.ln()).abs() < 1e-9);
    /// ```
    pub fn get(&self, metric: Metric) -> Option<f64> {
        match metric {
            Metric::ArrivalRate => Some(self.arrival_rate),
            Metric::Throughput => Some(self.throughput),
            Metric::Utilisation => Some(self.utilisation),
            Metric::MeanNumber => Some(self.l),
            Metric::MeanQueueLength => Some(self.lq),
            Metric::MeanSojourn => Some(self.w),
            Metric::MeanWait => Some(self.wq),
            Metric::VarNumber => self.var_n,
            Metric::VarSojourn => self.var_w,
            Metric::VarWait => self.var_wq,
            Metric::SojournPercentile(l) if l.is_standard() => self.sojourn?.get(l),
            Metric::WaitPercentile(l) if l.is_standard() => self.wait?.get(l),
            Metric::SojournPercentile(_)
            | Metric::WaitPercentile(_)
            | Metric::SojournTail(_)
            | Metric::WaitTail(_) => queried_value(&self.queried, metric),
            Metric::WaitProbability => self.p_wait,
            Metric::Blocking => self.p_block,
            Metric::Expired => self.p_expire,
            Metric::Consumers => self.servers.map(|c| c as f64),
            Metric::DeadLetter => None,
        }
    }

    /// P(N = n) as this solution gives it: from `state_probabilities` at and after
    /// `state_offset`, from `state_head` before it; `None` where the state is not listed
    /// or its probability is below the smallest double (then see
    /// [`Self::log10_state_probability`]). Every report (text, CSV, JSON) gives the
    /// same figure.
    ///
    /// # Example
    /// ```
    /// use kendall::analytic::{MMc, NodeSolution};
    /// // M/M/60 at a = 50: P(N = n) < 1e-15 for n < 6, so the list starts at n = 6 and
    /// // the states before it are in the head: P(N = 0) = P0 ≈ 1.9e-22.
    /// let s = NodeSolution::from_metrics(&MMc::new(50.0, 1.0, 60).unwrap());
    /// assert_eq!(s.state_offset, 6);
    /// let p0 = s.state_probability(0).unwrap();
    /// assert!((p0 / s.p0.unwrap() - 1.0).abs() < 1e-12 && p0 < 1e-21);
    /// assert_eq!(s.state_probability(6), Some(s.state_probabilities[0]));
    /// ```
    pub fn state_probability(&self, n: u64) -> Option<f64> {
        let listed = n
            .checked_sub(self.state_offset)
            .and_then(|i| usize::try_from(i).ok())
            .and_then(|i| self.state_probabilities.get(i).copied());
        let head = || {
            usize::try_from(n)
                .ok()
                .and_then(|i| self.state_head.get(i).copied().flatten())
        };
        listed.or_else(head)
    }

    /// log₁₀ P(N = n) for a state before the listed ones (`log10_state_head`): the form
    /// of a probability below the smallest double. `None` for the listed states (see
    /// [`Self::state_probability`]) and states not known.
    pub fn log10_state_probability(&self, n: u64) -> Option<f64> {
        if n.checked_sub(self.state_offset)
            .and_then(|i| usize::try_from(i).ok())
            .is_some_and(|i| i < self.state_probabilities.len())
        {
            return None;
        }
        usize::try_from(n)
            .ok()
            .and_then(|i| self.log10_state_head.get(i).copied())
    }

    /// The method behind `metric`: [`Self::distribution_method`] for percentiles and
    /// tail probabilities, `p_block_method` (where set) for P(block), [`Self::method`]
    /// otherwise.
    pub fn method_of(&self, metric: Metric) -> &Method {
        match (&self.distribution_method, metric) {
            (Some(d), m) if m.is_distributional() => d,
            (_, Metric::Blocking) => self.p_block_method.as_ref().unwrap_or(&self.method),
            _ => &self.method,
        }
    }

    /// Sets P(block) to 0, labelled exact, for a queue without a capacity limit (no
    /// arrival is ever blocked there) where the method gives no blocking figure or is
    /// not exact; an exact method's own 0 is kept.
    pub(crate) fn no_capacity_limit(&mut self) {
        if self.p_block.is_none() || self.method.exactness != Exactness::Exact {
            self.p_block = Some(0.0);
            self.p_block_method = Some(Method::exact(
                "no capacity limit: no arrival is ever blocked",
                "the scenario: the queue has no capacity, so every arrival is admitted",
            ));
        }
    }
}

/// Inverts a continuous, non-decreasing CDF to relative precision 1e-13: the smallest
/// t >= 0 with cdf(t) >= p. Returns 0 when cdf(0) >= p (the atom at zero of a waiting
/// time). `scale` is a typical time (e.g. a mean) used to start the bracket.
///
/// The bracket [lo, hi] with cdf(lo) < p <= cdf(hi) is grown by doubling from `scale`
/// (at most 2 000 doublings), then shrunk by the Illinois variant of regula falsi
/// (Dowell & Jarratt 1971: superlinear, typically 8–15 evaluations where bisection takes
/// about 45), safeguarded by a bisection step whenever three steps in a row fail to halve
/// the bracket, so it never takes more than about twice bisection's 200-step bound.
///
/// # Example
/// ```
/// use kendall::analytic::invert_cdf;
/// // Exp(2): the median is ln 2 / 2.
/// let t = invert_cdf(|t| 1.0 - (-2.0 * t).exp(), 0.5, 0.5).unwrap();
/// assert!((t - std::f64::consts::LN_2 / 2.0).abs() < 1e-13);
/// assert_eq!(invert_cdf(|_| 1.0, 0.5, 1.0), Some(0.0));
/// assert_eq!(invert_cdf(|t| t, 1.5, 1.0), None);
/// ```
pub fn invert_cdf(cdf: impl Fn(f64) -> f64, p: f64, scale: f64) -> Option<f64> {
    if !(p > 0.0 && p < 1.0 && scale.is_finite() && scale > 0.0) {
        return None;
    }
    let f0 = cdf(0.0) - p;
    if f0 >= 0.0 {
        return Some(0.0);
    }
    let mut hi = scale;
    let mut fhi = cdf(hi) - p;
    let mut iterations = 0;
    let (mut lo, mut flo) = (0.0, f0);
    while fhi < 0.0 {
        (lo, flo) = (hi, fhi);
        hi *= 2.0;
        iterations += 1;
        if iterations > 2000 || !hi.is_finite() {
            return None;
        }
        fhi = cdf(hi) - p;
    }
    if fhi.is_nan() || flo.is_nan() {
        return None;
    }
    // Which end moved last (+1 hi, −1 lo); the last width; steps in a row that did not
    // halve the bracket.
    let mut last = 0i8;
    let mut previous = f64::INFINITY;
    let mut slow = 0;
    for _ in 0..400 {
        let width = hi - lo;
        if width <= 1e-13 * hi {
            break;
        }
        slow = if width > 0.5 * previous { slow + 1 } else { 0 };
        previous = width;
        let secant = (lo * fhi - hi * flo) / (fhi - flo);
        let mid = if slow < 3 && secant > lo && secant < hi {
            secant
        } else {
            slow = 0;
            0.5 * (lo + hi)
        };
        let f = cdf(mid) - p;
        if f.is_nan() {
            return None;
        }
        if f >= 0.0 {
            (hi, fhi) = (mid, f);
            if last == 1 {
                flo *= 0.5; // Illinois: the stale end's value is halved
            }
            last = 1;
        } else {
            (lo, flo) = (mid, f);
            if last == -1 {
                fhi *= 0.5;
            }
            last = -1;
        }
    }
    Some(hi)
}

/// A solver's figures under another label: an approximation built on an exact solver
/// (the pooled prefetch queue, availability-adjusted capacity), or an exact figure
/// named more specifically (per visit in a Jackson network, the input's SCV).
///
/// With `keep_distribution` false only the means, rates and P(wait) pass through: the
/// inner solver's state probabilities and percentiles are not this queue's.
pub(crate) struct Relabelled {
    /// The label of every figure (and of the distribution when `distribution` is None).
    pub method: Method,
    /// The solver that computes the figures.
    pub inner: Box<dyn QueueMetrics>,
    /// Another label for the distribution figures, if they have one of their own.
    pub distribution: Option<Method>,
    /// Whether the inner solver's P0, P(block), P(N = n), CDFs and percentiles hold here.
    pub keep_distribution: bool,
}

impl Relabelled {
    /// Only the means, rates and P(wait) of `inner`, under `method`.
    pub(crate) fn means_only(method: Method, inner: Box<dyn QueueMetrics>) -> Self {
        Relabelled {
            method,
            inner,
            distribution: None,
            keep_distribution: false,
        }
    }

    /// Every figure of `inner`, under `method`.
    pub(crate) fn all(method: Method, inner: Box<dyn QueueMetrics>) -> Self {
        Relabelled {
            method,
            inner,
            distribution: None,
            keep_distribution: true,
        }
    }
}

impl QueueMetrics for Relabelled {
    crate::analytic::metrics::forward_metrics!(
        inner:
        arrival_rate, throughput, utilisation, servers, mean_number_in_system,
        mean_queue_length, mean_sojourn, mean_wait, prob_wait, prob_expire
    );
    fn method(&self) -> Method {
        self.method.clone()
    }
    fn prob_empty(&self) -> Option<f64> {
        self.keep_distribution.then(|| self.inner.prob_empty())?
    }
    fn prob_block(&self) -> Option<f64> {
        self.keep_distribution.then(|| self.inner.prob_block())?
    }
    fn prob_n(&self, n: u64) -> Option<f64> {
        self.keep_distribution.then(|| self.inner.prob_n(n))?
    }
    fn ln_state_probability(&self, n: u64) -> Option<f64> {
        self.keep_distribution
            .then(|| self.inner.ln_state_probability(n))?
    }
    fn wait_cdf(&self, t: f64) -> Option<f64> {
        self.keep_distribution.then(|| self.inner.wait_cdf(t))?
    }
    fn sojourn_cdf(&self, t: f64) -> Option<f64> {
        self.keep_distribution.then(|| self.inner.sojourn_cdf(t))?
    }
    fn wait_quantile(&self, p: f64) -> Option<f64> {
        self.keep_distribution
            .then(|| self.inner.wait_quantile(p))?
    }
    fn sojourn_quantile(&self, p: f64) -> Option<f64> {
        self.keep_distribution
            .then(|| self.inner.sojourn_quantile(p))?
    }
    fn wait_tail(&self, t: f64) -> Option<f64> {
        self.keep_distribution.then(|| self.inner.wait_tail(t))?
    }
    fn var_number(&self) -> Option<f64> {
        self.keep_distribution.then(|| self.inner.var_number())?
    }
    fn var_sojourn(&self) -> Option<f64> {
        self.keep_distribution.then(|| self.inner.var_sojourn())?
    }
    fn var_wait(&self) -> Option<f64> {
        self.keep_distribution.then(|| self.inner.var_wait())?
    }
    fn sojourn_tail(&self, t: f64) -> Option<f64> {
        self.keep_distribution.then(|| self.inner.sojourn_tail(t))?
    }
    fn distribution_method(&self) -> Option<Method> {
        if !self.keep_distribution {
            return None;
        }
        self.distribution
            .clone()
            .or_else(|| Some(self.method.clone()))
    }
}
