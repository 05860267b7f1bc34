//! Queues: a broker queue (or a topic's listener pool) with a pool of consumers.

use super::distribution::Distribution;
use super::duration::seconds;
use super::route::Route;
use serde::{Deserialize, Serialize};

/// What happens to a message that arrives at a full queue (`capacity` reached).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum OnFull {
    /// The message is lost (rejected / nacked without requeue) and counted.
    #[default]
    Reject,
    /// The sender waits until there is room (back-pressure / publisher flow control).
    Block,
}

/// Order in which waiting messages are served.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Discipline {
    /// First in, first out.
    #[default]
    Fifo,
    /// Priority classes (1 highest), FIFO within a class; service is never interrupted.
    Priority,
    /// Priority classes; a higher-priority arrival interrupts a lower one, whose
    /// service resumes later where it stopped (preemptive-resume).
    PreemptivePriority,
}

/// A queue node: a broker queue with `servers` consumers, or a listener pool subscribed
/// to a topic. Defaults: FIFO, unlimited capacity, no failures.
///
/// ```toml
/// [[queue]]
/// name = "payments"
/// servers = 8                       # alias: consumers
/// service = { type = "exponential", mean = "10ms" }
/// capacity = 10000                  # K: most messages in the node, in service included
/// on_full = "reject"                # or "block"
/// failure_probability = 0.01        # each delivery fails (nack) with this probability
/// max_attempts = 3                  # deliveries before dead-lettering
/// backoff = "100ms"                 # delay before a redelivery
/// dead_letter = "payments-dlq"      # where exhausted messages go (default: dropped, counted)
/// route = "settlement"
/// ```
///
/// # Example
/// ```
/// use kendall::model::{Distribution, Queue};
/// let q = Queue::new("payments", 8, Distribution::Exponential { mean: 0.01 }).with_capacity(100);
/// assert_eq!(q.capacity, Some(100));
/// assert_eq!(q.max_attempts, 1);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Queue {
    /// Unique name among queues and topics.
    pub name: String,
    /// Number of consumers (servers), >= 1.
    #[serde(alias = "consumers")]
    pub servers: u32,
    /// Service time of one delivery.
    pub service: Distribution,
    /// Most messages in the node, those in service included (K >= servers); none = unlimited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<u64>,
    /// Behaviour when full. Default `reject`.
    #[serde(default)]
    pub on_full: OnFull,
    /// Service order. Default `fifo`.
    #[serde(default)]
    pub discipline: Discipline,
    /// Probability that a delivery fails and the message is redelivered, in [0, 1). Default 0.
    #[serde(default)]
    pub failure_probability: f64,
    /// Deliveries per message before it is dead-lettered (>= 1). Default 1: a failed
    /// delivery is dead-lettered at once.
    #[serde(default = "one")]
    pub max_attempts: u32,
    /// Delay before a failed message is delivered again, seconds. Default 0.
    #[serde(default, deserialize_with = "seconds")]
    pub backoff: f64,
    /// Node that receives messages whose deliveries all failed; none = dropped and counted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dead_letter: Option<String>,
    /// Messages already waiting when the run starts (a backlog to drain). Default 0.
    #[serde(default)]
    pub initial_backlog: u64,
    /// Where finished messages go. Default `exit`.
    #[serde(default)]
    pub route: Route,
    /// Cost of one consumer, for sizing the cheapest mix (any unit). Default 1.
    #[serde(default = "unit_cost")]
    pub cost_per_consumer: f64,
}

fn unit_cost() -> f64 {
    1.0
}

fn one() -> u32 {
    1
}

impl Queue {
    /// Probability that a message fails all `max_attempts` deliveries and is
    /// dead-lettered: fᵐ, computed as exp(m ln f) so any count works (a huge count
    /// underflows to 0 instead of overflowing an integer power).
    ///
    /// # Example
    /// ```
    /// use kendall::model::{Distribution, Queue};
    /// let mut q = Queue::new("q", 1, Distribution::Exponential { mean: 0.1 });
    /// q.failure_probability = 0.5;
    /// q.max_attempts = 3;
    /// assert!((q.exhausted_probability() - 0.125).abs() < 1e-16);
    /// q.max_attempts = u32::MAX;
    /// assert_eq!(q.exhausted_probability(), 0.0);
    /// ```
    pub fn exhausted_probability(&self) -> f64 {
        let f = self.failure_probability;
        if f <= 0.0 {
            return if self.max_attempts == 0 { 1.0 } else { 0.0 };
        }
        (f64::from(self.max_attempts) * f.ln()).exp()
    }

    /// A FIFO queue with unlimited capacity, no failures, routed to exit.
    pub fn new(name: impl Into<String>, servers: u32, service: Distribution) -> Self {
        Self {
            name: name.into(),
            servers,
            service,
            capacity: None,
            on_full: OnFull::Reject,
            discipline: Discipline::Fifo,
            failure_probability: 0.0,
            max_attempts: 1,
            backoff: 0.0,
            dead_letter: None,
            initial_backlog: 0,
            route: Route::Exit,
            cost_per_consumer: 1.0,
        }
    }

    /// Sets capacity K (those in service included).
    pub fn with_capacity(mut self, k: u64) -> Self {
        self.capacity = Some(k);
        self
    }

    /// Sets the route taken by finished messages.
    pub fn with_route(mut self, route: Route) -> Self {
        self.route = route;
        self
    }

    /// Sets the service discipline.
    pub fn with_discipline(mut self, d: Discipline) -> Self {
        self.discipline = d;
        self
    }

    /// Sets failure probability, attempts and backoff (seconds).
    pub fn with_redelivery(
        mut self,
        failure_probability: f64,
        max_attempts: u32,
        backoff: f64,
    ) -> Self {
        self.failure_probability = failure_probability;
        self.max_attempts = max_attempts;
        self.backoff = backoff;
        self
    }

    /// Mean service rate μ of one consumer, 1 / mean service time.
    pub fn service_rate(&self) -> f64 {
        1.0 / self.service.mean()
    }
}
