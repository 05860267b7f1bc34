//! Topics of an event bus: publishing copies the event to every subscribed listener pool.

use serde::{Deserialize, Serialize};

/// An event-bus topic. Each event published to it is copied to every listener pool in
/// `subscribers` (each a [`Queue`](super::Queue) with its own buffer and workers).
///
/// ```toml
/// [[topic]]
/// name = "settlement"
/// subscribers = ["ledger", "notification", "risk"]
/// ```
///
/// # Example
/// ```
/// use kendall::model::Topic;
/// let t = Topic::new("settlement", ["ledger", "risk"]);
/// assert_eq!(t.subscribers.len(), 2);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Topic {
    /// Unique name among queues and topics.
    pub name: String,
    /// Names of the subscribed listener pools (queues).
    pub subscribers: Vec<String>,
}

impl Topic {
    /// A topic with the given subscribers.
    pub fn new<S: Into<String>>(
        name: impl Into<String>,
        subscribers: impl IntoIterator<Item = S>,
    ) -> Self {
        Self {
            name: name.into(),
            subscribers: subscribers.into_iter().map(Into::into).collect(),
        }
    }
}
