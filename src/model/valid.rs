//! A model that passed validation: the only form the engines accept.
//!
//! [`Model`] is plain data that can hold anything (a negative mean, an unknown topic);
//! [`ValidModel`] can only be made by validation ([`Model::validate`] or
//! `ValidModel::try_from(model)`), holds the model with its resolved [`Topology`]
//! (names as indices, routes, the flow matrix), and cannot be changed except through
//! methods that keep it valid. So the analytic solver, the simulator, compare, sizing
//! and sweeps never check the scenario again, and a sizing trial that changes one
//! queue's consumers re-checks only the rules consumers can break.

use super::error::{ModelError, Problems};
use super::topology::{Topology, check_servers, validate};
use super::{ArrivalProcess, Distribution, Model, Queue, Slo};
use serde::Serialize;

/// A validated [`Model`] together with its [`Topology`].
///
/// # Example
/// ```
/// use kendall::{Model, ValidModel};
/// let text = r#"
/// [[source]]
/// name = "in"
/// arrival = { type = "poisson", rate = 5.0 }
/// to = "q"
/// [[queue]]
/// name = "q"
/// consumers = 1
/// service = { type = "exponential", mean = 0.1 }
/// "#;
/// let model = Model::from_toml_str(text).unwrap();
/// let valid: ValidModel = model.validate().unwrap();
/// assert_eq!(valid.topology().queue_count(), 1);
/// let bigger = valid.with_servers(0, 3).unwrap();
/// assert_eq!(bigger.model().queues[0].servers, 3);
/// assert!(valid.with_servers(0, 0).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct ValidModel {
    model: Model,
    #[serde(skip)]
    topology: Topology,
}

impl ValidModel {
    /// The model (read-only: every change goes through a method that keeps it valid).
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The figures beyond the standard ones that both engines report for this model:
    /// the percentile levels and thresholds of its [`Queries`](super::Queries) and of
    /// its SLOs (see [`QueriedMetrics`](super::QueriedMetrics)).
    pub fn queried_metrics(&self) -> super::QueriedMetrics {
        self.model.queried_metrics()
    }

    /// The same model asking for `queries` as well (CLI `--percentiles`, `--at`).
    ///
    /// # Errors
    /// [`ModelError::Invalid`] naming a level or threshold out of range.
    ///
    /// # Example
    /// ```
    /// let m = kendall::Model::load(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/single_queue.toml"))
    ///     .unwrap().validate().unwrap();
    /// let q = kendall::model::Queries { percentiles: vec![99.99], at: vec![0.05] };
    /// assert_eq!(m.with_queries(&q).unwrap().queried_metrics().queue.len(), 4);
    /// assert!(m.with_queries(&kendall::model::Queries { percentiles: vec![100.0], at: vec![] }).is_err());
    /// ```
    pub fn with_queries(&self, queries: &super::Queries) -> Result<ValidModel, ModelError> {
        if queries.is_empty() {
            return Ok(self.clone());
        }
        let mut model = self.model.clone();
        model.queries.percentiles.extend(&queries.percentiles);
        model.queries.at.extend(&queries.at);
        ValidModel::try_from(model)
    }

    /// The resolved graph: names as indices, routes, subscribers, flows.
    pub fn topology(&self) -> &Topology {
        &self.topology
    }

    /// The model back, to edit freely (validate it again to use it).
    pub fn into_model(self) -> Model {
        self.model
    }

    /// The queue at `index`, if any.
    pub fn queue(&self, index: usize) -> Option<&Queue> {
        self.model.queues.get(index)
    }

    /// The index of the queue called `name`.
    ///
    /// # Example
    /// ```
    /// let m = kendall::Model::load(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/payments.toml"))
    ///     .unwrap().validate().unwrap();
    /// let i = m.queue_index("ledger").unwrap();
    /// assert_eq!(m.queue(i).unwrap().name, "ledger");
    /// assert_eq!(m.service(i).unwrap().mean(), m.model().queues[i].service.mean());
    /// assert!(m.queue_index("nope").is_none());
    /// ```
    pub fn queue_index(&self, name: &str) -> Option<usize> {
        self.model.queues.iter().position(|q| q.name == name)
    }

    /// The same model with queue `index` served by `servers` consumers. Only the rules
    /// a number of consumers can break are checked again (at least 1, at most the
    /// capacity): the topology is unchanged.
    ///
    /// # Errors
    /// [`ModelError::Invalid`] naming `queue "x".servers` or `.capacity`, or an
    /// out-of-range index.
    pub fn with_servers(&self, index: usize, servers: u32) -> Result<ValidModel, ModelError> {
        let mut model = self.model.clone();
        let Some(q) = model.queues.get_mut(index) else {
            return Err(ModelError::Invalid(Problems(vec![super::Problem::new(
                "queue",
                format!(
                    "no queue at index {index}: the model has {} queues",
                    self.model.queues.len()
                ),
            )])));
        };
        q.servers = servers;
        let mut problems = Vec::new();
        check_servers(q, &mut problems);
        if !problems.is_empty() {
            return Err(ModelError::Invalid(Problems(problems)));
        }
        Ok(ValidModel {
            model,
            topology: self.topology.clone(),
        })
    }

    /// The same model with every source's rate multiplied by `factor` (a load
    /// multiplier for sweeps and headroom). The topology is unchanged.
    ///
    /// # Errors
    /// [`ModelError::Invalid`] if `factor` is not a finite number > 0, or a source
    /// replays a trace (its rate cannot be scaled).
    ///
    /// # Example
    /// ```
    /// let m = kendall::Model::load(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/single_queue.toml"))
    ///     .unwrap().validate().unwrap();
    /// let busier = m.with_load_multiplier(1.1).unwrap();
    /// assert!((busier.model().sources[0].arrival.mean_rate().unwrap() - 880.0).abs() < 1e-9);
    /// assert!(m.with_load_multiplier(-1.0).is_err());
    /// ```
    pub fn with_load_multiplier(&self, factor: f64) -> Result<ValidModel, ModelError> {
        let invalid = |field: String, fix: String| {
            ModelError::Invalid(Problems(vec![super::Problem::new(field, fix)]))
        };
        if !(factor.is_finite() && factor > 0.0) {
            return Err(invalid(
                "load".into(),
                format!("the load multiplier must be a finite number > 0, got {factor}"),
            ));
        }
        let mut model = self.model.clone();
        for s in &mut model.sources {
            s.arrival = s.arrival.scaled(factor).ok_or_else(|| {
                invalid(
                    format!("source {:?}.arrival", s.name),
                    "a trace cannot be scaled by a load multiplier: replay it as recorded".into(),
                )
            })?;
            let mut problems = Vec::new();
            s.arrival
                .check(&format!("source {:?}.arrival", s.name), &mut problems);
            if !problems.is_empty() {
                return Err(ModelError::Invalid(Problems(problems)));
            }
        }
        Ok(ValidModel {
            model,
            topology: self.topology.clone(),
        })
    }

    /// The same model with `slos` added to its own SLO list (duplicates dropped), their
    /// targets checked against the model's queues and sources.
    ///
    /// # Errors
    /// [`ModelError::Invalid`] naming an SLO whose queue or source does not exist.
    ///
    /// # Example
    /// ```
    /// let m = kendall::Model::load(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/single_queue.toml"))
    ///     .unwrap().validate().unwrap();
    /// let with = m.with_slos(&["payments.p99 < 50ms".parse().unwrap()]).unwrap();
    /// assert_eq!(with.model().slo.len(), m.model().slo.len() + 1);
    /// assert!(m.with_slos(&["nope.p99 < 50ms".parse().unwrap()]).is_err());
    /// ```
    pub fn with_slos(&self, slos: &[Slo]) -> Result<ValidModel, ModelError> {
        let mut model = self.model.clone();
        for s in slos {
            if !model.slo.contains(s) {
                model.slo.push(s.clone());
            }
        }
        if model.slo.len() == self.model.slo.len() {
            return Ok(self.clone());
        }
        ValidModel::try_from(model)
    }

    /// The same model with every time-varying profile replaced by Poisson arrivals at
    /// its peak rate (the pointwise stationary approximation at the worst point of the
    /// day), and whether any source changed.
    ///
    /// # Example
    /// ```
    /// use kendall::model::ArrivalProcess;
    /// let m = kendall::Model::load(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/peak_hour.toml"))
    ///     .unwrap().validate().unwrap();
    /// let (peak, changed) = m.at_peak_rate();
    /// assert!(changed);
    /// assert!(matches!(peak.model().sources[0].arrival, ArrivalProcess::Poisson { .. }));
    /// ```
    pub fn at_peak_rate(&self) -> (ValidModel, bool) {
        let mut model = self.model.clone();
        let mut changed = false;
        for s in &mut model.sources {
            if let Some(peak) = s.arrival.peak_rate() {
                s.arrival = ArrivalProcess::Poisson { rate: peak };
                changed = true;
            }
        }
        let valid = ValidModel {
            model,
            topology: self.topology.clone(),
        };
        (valid, changed)
    }

    /// The service-time distribution of queue `index` (checked: its mean, variance and
    /// sampler are defined).
    pub fn service(&self, index: usize) -> Option<&Distribution> {
        self.model.queues.get(index).map(|q| &q.service)
    }

    /// The arrival process of source `index` (checked).
    pub fn arrival(&self, index: usize) -> Option<&ArrivalProcess> {
        self.model.sources.get(index).map(|s| &s.arrival)
    }
}

impl TryFrom<Model> for ValidModel {
    type Error = ModelError;

    /// Validates `model` (see [`Model::validate`]).
    fn try_from(model: Model) -> Result<Self, ModelError> {
        let topology = validate(&model)?;
        Ok(ValidModel { model, topology })
    }
}

impl AsRef<Model> for ValidModel {
    fn as_ref(&self) -> &Model {
        &self.model
    }
}
