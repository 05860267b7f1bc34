//! Queues: a broker queue (or a topic's listener pool) with a pool of consumers.

use super::distribution::Distribution;
use super::duration::seconds;
use super::partitioning::{Assignment, Keys, Partitioning};
use super::route::Route;
use super::slowdown::Slowdown;
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
    /// The arrival is admitted and the **oldest waiting** message is pushed out: dropped
    /// and counted, or dead-lettered to `dead_letter` (RabbitMQ's default `max-length`
    /// overflow, `drop-head`, dead-letter reason `maxlen`). Needs capacity > consumers.
    DropHead,
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
/// on_full = "reject"                # or "block", or "drop_head"
/// failure_probability = 0.01        # each delivery fails (nack) with this probability
/// max_attempts = 3                  # deliveries before dead-lettering, or "unlimited"
/// backoff = "100ms"                 # delay before a redelivery (see backoff_multiplier,
///                                   # max_backoff, backoff_jitter for exponential backoff)
/// dead_letter = "payments-dlq"      # where exhausted (and expired) messages go (default: dropped, counted)
/// ttl = "2s"                        # a message waiting this long expires (default: never)
/// ack_timeout = "30s"                # an unacked delivery this old is redelivered (default: never)
/// # partitioned queues: rebalance = "3s" (pause after a crash or restart), commit_interval = "5s"
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
    /// Number of consumers (servers), >= 1; or [`Queue::INFINITE_SERVERS`]
    /// (`consumers = "infinite"` in scenario files): a **delay station**, where every
    /// message is served at once (a fixed network or processing delay, user think
    /// time, a pool so large it never saturates).
    #[serde(alias = "consumers", with = "servers")]
    #[schemars(with = "servers::Repr")]
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
    /// Deliveries per message before it is dead-lettered (>= 1), or
    /// [`Queue::UNLIMITED_ATTEMPTS`] (`"unlimited"` in scenario files): retry until
    /// success, never dead-letter. Default 1: a failed delivery is dead-lettered at once.
    #[serde(default = "one", with = "attempts", alias = "max_deliveries")]
    #[schemars(with = "attempts::Repr")]
    pub max_attempts: u32,
    /// Delay before a failed message is delivered again (the first time, when it
    /// grows), seconds. Default 0.
    #[serde(default, deserialize_with = "seconds")]
    pub backoff: f64,
    /// Growth of the redelivery backoff per failed delivery (>= 1; see
    /// [`Queue::redelivery_backoff`]). Default 1: constant.
    #[serde(default = "unit_multiplier", skip_serializing_if = "is_one")]
    pub backoff_multiplier: f64,
    /// Largest redelivery backoff, seconds (required with a multiplier > 1). Default none.
    #[serde(
        default,
        deserialize_with = "super::duration::opt_seconds",
        skip_serializing_if = "Option::is_none"
    )]
    pub max_backoff: Option<f64>,
    /// How each redelivery backoff is randomised. Default `none` (exact).
    #[serde(default = "no_jitter", skip_serializing_if = "is_no_jitter")]
    pub backoff_jitter: super::retry::Jitter,
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
    /// Kafka-style partitions P (1..=[`MAX_PARTITIONS`](super::MAX_PARTITIONS)): the
    /// `servers` are then a consumer group, each partition owned by one consumer that
    /// handles its messages one at a time, in order (see [`Partitioning`]). None: an
    /// ordinary shared queue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partitions: Option<u32>,
    /// How producers key messages onto partitions (needs `partitions`). Default
    /// `round_robin` (keyless).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keys: Option<Keys>,
    /// How partitions are assigned to the consumer group (needs `partitions`). Default
    /// `range`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignment: Option<Assignment>,
    /// RabbitMQ-style prefetch (QoS) window per consumer, 1..=[`MAX_PREFETCH`](super::MAX_PREFETCH):
    /// a consumer holds at most this many unacknowledged messages, those not yet worked
    /// on waiting at the consumer. None: one at a time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefetch: Option<u32>,
    /// Each consumer crashes and restarts (see [`Crash`](super::Crash)); its unacked
    /// messages return to the head of the queue. None: consumers never crash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crash: Option<super::Crash>,
    /// A slowdown incident: services starting in its window take `factor` times longer
    /// (simulation only; see [`Slowdown`]). Default: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slowdown: Option<Slowdown>,
    /// Message time to live, seconds (RabbitMQ `x-message-ttl`): a message still
    /// waiting in the queue this long after it entered expires, to `dead_letter` if set,
    /// else dropped and counted (see [`Queue::with_ttl`]). None: messages never expire.
    #[serde(
        default,
        deserialize_with = "super::duration::opt_seconds",
        skip_serializing_if = "Option::is_none"
    )]
    pub ttl: Option<f64>,
    /// Ack (visibility) timeout, seconds: a delivery not acknowledged this long after it
    /// reached its consumer is redelivered, while that consumer keeps working on it; the
    /// first delivery to finish counts, later ones are duplicates (see
    /// [`Queue::with_ack_timeout`]). None: deliveries never time out.
    #[serde(
        default,
        deserialize_with = "super::duration::opt_seconds",
        skip_serializing_if = "Option::is_none"
    )]
    pub ack_timeout: Option<f64>,
    /// Kafka consumer group: how long consumption pauses while the group rebalances
    /// after a consumer crashes or comes back, seconds (see [`Queue::with_rebalance`]).
    /// None: 0 (the partitions move at once). Partitioned queues with `crash` only.
    #[serde(
        default,
        deserialize_with = "super::duration::opt_seconds",
        skip_serializing_if = "Option::is_none"
    )]
    pub rebalance: Option<f64>,
    /// Kafka consumer group: offsets are committed every `commit_interval` seconds; a
    /// crash replays what its partitions completed since the last commit. None: each
    /// message's offset is committed when it completes. Partitioned queues only.
    #[serde(
        default,
        deserialize_with = "super::duration::opt_seconds",
        skip_serializing_if = "Option::is_none"
    )]
    pub commit_interval: Option<f64>,
    /// The G/G/c approximation of the analytic side where no exact method applies
    /// (see [`GgcMethod`](super::GgcMethod)); None: Whitt (1993).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<super::GgcMethod>,
}

/// Expected deliveries per message with failure probability `f` and `max_attempts` m:
/// (1 − fᵐ)/(1 − f), evaluated as −expm1(m ln f)/(1 − f) (full precision for small f,
/// no integer power, constant time for any m); 1/(1 − f) for
/// [`Queue::UNLIMITED_ATTEMPTS`]; 0 for m = 0; +∞ for unlimited attempts at f >= 1 (no
/// message ever completes: validation refuses it).
pub(crate) fn deliveries_per_message(f: f64, max_attempts: u32) -> f64 {
    if max_attempts == 0 {
        return 0.0;
    }
    if f <= 0.0 {
        return 1.0;
    }
    if max_attempts == Queue::UNLIMITED_ATTEMPTS {
        return if f < 1.0 {
            1.0 / (1.0 - f)
        } else {
            f64::INFINITY
        };
    }
    if f >= 1.0 {
        return f64::from(max_attempts);
    }
    -(f64::from(max_attempts) * f.ln()).exp_m1() / (1.0 - f)
}

fn unit_cost() -> f64 {
    1.0
}

fn unit_multiplier() -> f64 {
    1.0
}

fn is_one(x: &f64) -> bool {
    *x == 1.0
}

fn no_jitter() -> super::retry::Jitter {
    super::retry::Jitter::None
}

fn is_no_jitter(j: &super::retry::Jitter) -> bool {
    *j == super::retry::Jitter::None
}

fn one() -> u32 {
    1
}

/// `max_attempts` in scenario files: a count, or `"unlimited"` for
/// [`Queue::UNLIMITED_ATTEMPTS`] (written back as `"unlimited"`).
/// A count that may also be written as a word standing for `u32::MAX` (`consumers =
/// "infinite"`, `max_attempts = "unlimited"`): one reader for both.
mod count_or_word {
    use serde::Serializer;
    use serde::de::{self, Deserializer, Visitor};
    use std::fmt;

    /// What one such field accepts.
    pub(super) struct Spec {
        /// The field's name in messages.
        pub field: &'static str,
        /// The word (any case), read as `u32::MAX`.
        pub word: &'static str,
        /// What it accepts, in words.
        pub expected: &'static str,
        /// The largest number accepted as a number.
        pub max: u64,
    }

    pub(super) fn serialize<S: Serializer>(v: u32, word: &str, s: S) -> Result<S::Ok, S::Error> {
        if v == u32::MAX {
            s.serialize_str(word)
        } else {
            s.serialize_u32(v)
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
        spec: Spec,
    ) -> Result<u32, D::Error> {
        d.deserialize_any(spec)
    }

    impl Visitor<'_> for Spec {
        type Value = u32;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str(self.expected)
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<u32, E> {
            if v <= self.max {
                Ok(v as u32) // max <= u32::MAX
            } else {
                Err(E::custom(format!(
                    "{} {v} is too large: the most is {}; write \"{}\" instead",
                    self.field, self.max, self.word
                )))
            }
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<u32, E> {
            match u64::try_from(v) {
                Ok(v) => self.visit_u64(v),
                Err(_) => Err(E::custom(format!(
                    "{} must be {}, got {v}",
                    self.field, self.expected
                ))),
            }
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<u32, E> {
            if v.fract() == 0.0 && (0.0..=u32::MAX as f64).contains(&v) {
                self.visit_u64(v as u64) // exact: an integer in range
            } else {
                Err(E::custom(format!(
                    "{} must be {}, got {v}",
                    self.field, self.expected
                )))
            }
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<u32, E> {
            if v.trim().eq_ignore_ascii_case(self.word) {
                Ok(u32::MAX)
            } else {
                Err(E::custom(format!(
                    "{} must be {}, got {v:?}",
                    self.field, self.expected
                )))
            }
        }
    }
}

mod servers {
    use super::count_or_word::{self, Spec};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    /// The shape in the JSON Schema: an integer, or the word `"infinite"`.
    #[derive(Serialize, Deserialize, schemars::JsonSchema)]
    #[serde(untagged)]
    #[allow(dead_code)] // only its schema is used
    pub(super) enum Repr {
        /// Consumers (>= 1).
        Count(u32),
        /// A delay station.
        Word(Word),
    }

    /// `"infinite"`: a delay station.
    #[derive(Serialize, Deserialize, schemars::JsonSchema)]
    #[serde(rename_all = "snake_case")]
    #[allow(dead_code)]
    pub(super) enum Word {
        /// A server for every message: nothing waits.
        Infinite,
    }

    pub(super) fn serialize<S: Serializer>(c: &u32, s: S) -> Result<S::Ok, S::Error> {
        count_or_word::serialize(*c, "infinite", s)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
        count_or_word::deserialize(
            d,
            Spec {
                field: "consumers",
                word: "infinite",
                expected: "a number of consumers (an integer >= 1), or \"infinite\" for a delay station",
                max: u64::from(u32::MAX - 1),
            },
        )
    }
}

mod attempts {
    use super::count_or_word::{self, Spec};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    /// The shape in the JSON Schema: an integer, or the word `"unlimited"`.
    #[derive(Serialize, Deserialize, schemars::JsonSchema)]
    #[serde(untagged)]
    #[allow(dead_code)] // only its schema is used
    pub(super) enum Repr {
        /// Deliveries before dead-lettering (>= 1).
        Count(u32),
        /// Retry until success.
        Word(Word),
    }

    /// `"unlimited"`: retry until success.
    #[derive(Serialize, Deserialize, schemars::JsonSchema)]
    #[serde(rename_all = "snake_case")]
    #[allow(dead_code)]
    pub(super) enum Word {
        /// Retry until success: a message is never dead-lettered.
        Unlimited,
    }

    pub(super) fn serialize<S: Serializer>(m: &u32, s: S) -> Result<S::Ok, S::Error> {
        count_or_word::serialize(*m, "unlimited", s)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
        count_or_word::deserialize(
            d,
            Spec {
                field: "max_attempts",
                word: "unlimited",
                expected: "a number of deliveries >= 1, or \"unlimited\" to retry until success",
                max: u64::from(u32::MAX),
            },
        )
    }
}

impl Queue {
    /// The value of [`Queue::max_attempts`] that means "retry until success"
    /// (`max_attempts = "unlimited"` in scenario files): a failed delivery is always
    /// delivered again, nothing is dead-lettered, and a message makes 1/(1 − f)
    /// deliveries on average for failure probability f (which must then be < 1).
    pub const UNLIMITED_ATTEMPTS: u32 = u32::MAX;

    /// `servers` of a delay station (`consumers = "infinite"`): a server for every
    /// message, so nothing waits and the sojourn is the service time. Its utilisation
    /// is reported as 0 (the busy share of each of infinitely many consumers) and `L`
    /// is the mean number in service. Not combined with `capacity`, `prefetch`,
    /// `crash`, `ack_timeout`, `partitions` or a priority discipline, and never sized.
    pub const INFINITE_SERVERS: u32 = u32::MAX;

    /// A delay station (see [`Queue::INFINITE_SERVERS`]).
    ///
    /// # Example
    /// ```
    /// use kendall::model::{Distribution, Queue};
    /// let q = Queue::delay("network", Distribution::Deterministic { value: 0.005 });
    /// assert!(q.is_delay());
    /// ```
    pub fn delay(name: impl Into<String>, service: Distribution) -> Self {
        Self::new(name, Self::INFINITE_SERVERS, service)
    }

    /// Whether it is a delay station (infinitely many consumers).
    pub fn is_delay(&self) -> bool {
        self.servers == Self::INFINITE_SERVERS
    }

    /// Whether failed deliveries are retried until success
    /// (`max_attempts` is [`Queue::UNLIMITED_ATTEMPTS`]).
    pub fn retries_until_success(&self) -> bool {
        self.max_attempts == Self::UNLIMITED_ATTEMPTS
    }

    /// Expected deliveries per message: 1 + f + … + f^{m−1} = (1 − fᵐ)/(1 − f) for
    /// failure probability f and `max_attempts` m; 1/(1 − f) for unlimited attempts.
    /// The one closed form both engines use (also
    /// [`crate::analytic::deliveries_per_message`]).
    ///
    /// # Example
    /// ```
    /// use kendall::model::{Distribution, Queue};
    /// let q = Queue::new("q", 1, Distribution::Exponential { mean: 0.1 })
    ///     .with_redelivery(0.2, Queue::UNLIMITED_ATTEMPTS, 0.0);
    /// assert!((q.deliveries_per_message() - 1.25).abs() < 1e-15);
    /// ```
    pub fn deliveries_per_message(&self) -> f64 {
        deliveries_per_message(self.failure_probability, self.max_attempts)
    }

    /// Probability that a message fails all `max_attempts` deliveries and is
    /// dead-lettered: fᵐ, computed as exp(m ln f) so any count works (a huge count
    /// underflows to 0 instead of overflowing an integer power). Exactly 0 with
    /// [`Queue::UNLIMITED_ATTEMPTS`].
    ///
    /// # Example
    /// ```
    /// use kendall::model::{Distribution, Queue};
    /// let mut q = Queue::new("q", 1, Distribution::Exponential { mean: 0.1 });
    /// q.failure_probability = 0.5;
    /// q.max_attempts = 3;
    /// assert!((q.exhausted_probability() - 0.125).abs() < 1e-16);
    /// q.max_attempts = Queue::UNLIMITED_ATTEMPTS;
    /// assert_eq!(q.exhausted_probability(), 0.0);
    /// ```
    pub fn exhausted_probability(&self) -> f64 {
        let f = self.failure_probability;
        if self.retries_until_success() {
            return 0.0;
        }
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
            backoff_multiplier: 1.0,
            max_backoff: None,
            backoff_jitter: super::retry::Jitter::None,
            dead_letter: None,
            initial_backlog: 0,
            route: Route::Exit,
            cost_per_consumer: 1.0,
            partitions: None,
            keys: None,
            assignment: None,
            prefetch: None,
            crash: None,
            slowdown: None,
            ttl: None,
            ack_timeout: None,
            rebalance: None,
            commit_interval: None,
            method: None,
        }
    }

    /// Makes this queue a partitioned topic consumed by a group of `servers` consumers.
    ///
    /// # Example
    /// ```
    /// use kendall::model::{Assignment, Distribution, Keys, Queue};
    /// let q = Queue::new("events", 12, Distribution::Exponential { mean: 0.004 })
    ///     .with_partitions(24, Keys::Zipf { keys: 100_000, exponent: 1.1 }, Assignment::Range);
    /// assert_eq!(q.partitioning().unwrap().partitions, 24);
    /// ```
    pub fn with_partitions(mut self, partitions: u32, keys: Keys, assignment: Assignment) -> Self {
        self.partitions = Some(partitions);
        self.keys = Some(keys);
        self.assignment = Some(assignment);
        self
    }

    /// The queue's partitioning, if `partitions` is set (keys default to round robin,
    /// assignment to range).
    pub fn partitioning(&self) -> Option<Partitioning> {
        Some(Partitioning {
            partitions: self.partitions?,
            keys: self.keys.clone().unwrap_or(Keys::RoundRobin),
            assignment: self.assignment.unwrap_or_default(),
        })
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
