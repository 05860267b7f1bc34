//! The one model both engines run: sources, queues, topics and routes.
//!
//! A [`Model`] is plain data, built in Rust or read from a TOML/JSON scenario file
//! with the same field names. [`Model::validate`] checks it once, collecting every
//! problem with the path of its field, and returns the [`Topology`]: the same graph
//! with names resolved to indices, which the simulator and the analytic solvers use.
//!
//! # Example
//! ```
//! use kendall::model::{ArrivalProcess, Distribution, Model, Queue, Route, Source, Topic};
//! let model = Model::default()
//!     .with_source(Source::new("checkout", ArrivalProcess::Poisson { rate: 800.0 }, "payments"))
//!     .with_queue(Queue::new("payments", 10, Distribution::Exponential { mean: 0.01 })
//!         .with_route(Route::To("settlement".into())))
//!     .with_topic(Topic::new("settlement", ["ledger", "risk"]))
//!     .with_queue(Queue::new("ledger", 4, Distribution::Exponential { mean: 0.004 }))
//!     .with_queue(Queue::new("risk", 2, Distribution::Exponential { mean: 0.002 }));
//! let valid = model.validate().unwrap();
//! assert_eq!(valid.topology().queue_count(), 3);
//! ```

mod ack_timeout;
mod arrival;
mod chain;
mod consumer;
mod distribution;
mod duration;
mod error;
mod figure;
mod ggc_method;
mod metric;
mod partitioning;
mod query;
mod queue;
mod rebalance;
mod redelivery;
mod retry;
mod route;
mod scenario;
mod settings;
mod slo;
mod slowdown;
mod source;
mod topic;
mod topology;
mod ttl;
mod valid;

/// Helpers for this module's unit tests.
#[cfg(test)]
pub(crate) mod test_support {
    use super::{ArrivalProcess, Model, Queue, Source};

    /// One Poisson source "in" at 1 message/s into `q` (a queue named "q").
    pub(crate) fn one_queue(q: Queue) -> Model {
        Model::default()
            .with_source(Source::new(
                "in",
                ArrivalProcess::Poisson { rate: 1.0 },
                "q",
            ))
            .with_queue(q)
    }
}

pub(crate) use ack_timeout::check_ack_timeout;
pub(crate) use arrival::stationary;
pub use arrival::{ArrivalProcess, MAX_MMPP_PHASES, Segment};
pub use chain::{Chain, MAX_CHAIN_STATES, MAX_CHAIN_TIMES, MAX_CHAIN_TRANSITIONS, Transition};
pub(crate) use consumer::check_consumers;
pub use consumer::{Crash, MAX_CONSUMERS, MAX_PREFETCH};
pub use distribution::{
    Branch, Distribution, MAX_RATE, MAX_SHAPE, MAX_TIME, MIN_SHAPE, MIN_TIME, Sampler,
};
pub use duration::parse_duration;
pub use error::{ModelError, Problem, Problems};
pub use figure::Figure;
pub use ggc_method::GgcMethod;
pub use metric::{Level, Metric, Threshold, Unit, UnknownMetric};
pub use partitioning::{
    Assignment, Keys, MAX_KEYS, MAX_PARTITIONS, Partitioning, Shares, partition_of,
};
pub use query::{MAX_QUERIES, Queried, QueriedMetrics, Queries};
pub(crate) use queue::deliveries_per_message;
pub use queue::{Discipline, OnFull, Queue};
pub(crate) use rebalance::check_rebalance;
pub(crate) use redelivery::check_backoff_growth;
pub use retry::{Jitter, MAX_RETRIES, Retry};
pub use route::{EXIT, Route, RouteBranch};
pub use settings::{DEFAULT_MEMORY_LIMIT, MIN_MEMORY_LIMIT, RunSettings};
pub use slo::{Op, Slo, Target};
pub use slowdown::{MAX_SLOWDOWN_FACTOR, Slowdown};
pub use source::Source;
pub use topic::Topic;
pub(crate) use topology::strongly_connected_components;
pub use topology::{Dest, NodeId, Topology};
pub(crate) use ttl::check_ttl;
pub use valid::ValidModel;

use serde::{Deserialize, Serialize};

/// Version of the JSON and CSV output shapes (`schema_version` in every JSON output,
/// `# schema_version=N` on the first line of every CSV output). It changes whenever a
/// field or column is renamed, removed or changes meaning; CHANGELOG.md lists each
/// change. The JSON Schemas are in `src/report/schemas/`.
pub const SCHEMA_VERSION: u32 = 1;

/// A whole deployment: producers, broker queues, topics and listener pools, plus the
/// settings for simulating it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Model {
    /// A name for reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Free text for reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The producers (`[[source]]` in TOML).
    #[serde(default, rename = "source")]
    pub sources: Vec<Source>,
    /// Queues and listener pools (`[[queue]]`).
    #[serde(default, rename = "queue")]
    pub queues: Vec<Queue>,
    /// Event-bus topics (`[[topic]]`).
    #[serde(default, rename = "topic", skip_serializing_if = "Vec::is_empty")]
    pub topics: Vec<Topic>,
    /// Simulation settings (`[simulation]`).
    #[serde(default)]
    pub simulation: RunSettings,
    /// Service-level objectives for sizing, e.g. `slo = ["end_to_end.p99 < 200ms"]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub slo: Vec<Slo>,
    /// Markov chains given by their states and rates (`[[chain]]`), solved by
    /// `kendall solve` (steady state and π(t)).
    #[serde(default, rename = "chain", skip_serializing_if = "Vec::is_empty")]
    pub chains: Vec<Chain>,
    /// Distribution figures asked for beyond p50/p95/p99/p999 (`[queries]`): other
    /// percentile levels and tail probabilities P(W > t).
    #[serde(default, skip_serializing_if = "Queries::is_empty")]
    pub queries: Queries,
}

impl Model {
    /// Adds a source.
    pub fn with_source(mut self, s: Source) -> Self {
        self.sources.push(s);
        self
    }
    /// Adds a queue or listener pool.
    pub fn with_queue(mut self, q: Queue) -> Self {
        self.queues.push(q);
        self
    }
    /// Adds a topic.
    pub fn with_topic(mut self, t: Topic) -> Self {
        self.topics.push(t);
        self
    }
    /// Replaces the simulation settings.
    pub fn with_settings(mut self, s: RunSettings) -> Self {
        self.simulation = s;
        self
    }

    /// The queue called `name`.
    pub fn queue(&self, name: &str) -> Option<&Queue> {
        self.queues.iter().find(|q| q.name == name)
    }

    /// Mutable access to the queue called `name` (for sizing and sweeps).
    pub fn queue_mut(&mut self, name: &str) -> Option<&mut Queue> {
        self.queues.iter_mut().find(|q| q.name == name)
    }

    /// Checks the whole model and resolves names into a [`Topology`], returning the
    /// [`ValidModel`] the engines take (the model is cloned; `ValidModel::try_from`
    /// takes it by value instead).
    ///
    /// # Errors
    /// [`ModelError::Invalid`] with every problem found, each naming its field and fix:
    /// bad parameters, unknown or duplicate names, routes whose probabilities do not sum
    /// to 1, capacity below the number of servers, and cycles that never exit.
    pub fn validate(&self) -> Result<ValidModel, ModelError> {
        ValidModel::try_from(self.clone())
    }
}
