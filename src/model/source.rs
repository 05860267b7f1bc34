//! Sources: synthetic producers of messages.

use super::arrival::ArrivalProcess;
use super::retry::Retry;
use serde::{Deserialize, Serialize};

/// A producer: messages arrive by `arrival` and are sent to the queue or published to
/// the topic named `to`.
///
/// ```toml
/// [[source]]
/// name = "checkout"
/// arrival = { type = "poisson", rate = 800.0 }
/// to = "payments"
/// ```
///
/// # Example
/// ```
/// use kendall::model::{ArrivalProcess, Source};
/// let s = Source::new("checkout", ArrivalProcess::Poisson { rate: 800.0 }, "payments");
/// assert_eq!(s.priority, 1);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// Unique name among sources.
    pub name: String,
    /// The arrival process.
    pub arrival: ArrivalProcess,
    /// Destination: a queue name or a topic name.
    pub to: String,
    /// Priority class of this source's messages (1 is the highest); used by queues
    /// with a priority discipline. Default 1.
    #[serde(default = "default_priority")]
    pub priority: u32,
    /// Most messages of this source in flight at once (created, not yet finished with all
    /// descendants), e.g. a publisher-confirm window or a prefetch limit. When the window
    /// is full the source pauses; it resumes, with a fresh inter-arrival time, as soon as
    /// one of its messages finishes. This makes the model a closed network. Default: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<u32>,
    /// Client retries with timeout, backoff and jitter (see [`Retry`]): every message
    /// is a request, retried as new attempts when it times out. Default: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry: Option<Retry>,
}

fn default_priority() -> u32 {
    1
}

impl Source {
    /// A source of priority class 1.
    pub fn new(name: impl Into<String>, arrival: ArrivalProcess, to: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            arrival,
            to: to.into(),
            priority: 1,
            window: None,
            retry: None,
        }
    }

    /// Sets client retries.
    ///
    /// # Example
    /// ```
    /// use kendall::model::{ArrivalProcess, Retry, Source};
    /// let s = Source::new("api", ArrivalProcess::Poisson { rate: 80.0 }, "q")
    ///     .with_retry(Retry::new(0.2, 3));
    /// assert_eq!(s.retry.unwrap().max_retries, 3);
    /// ```
    pub fn with_retry(mut self, retry: Retry) -> Self {
        self.retry = Some(retry);
        self
    }
}
