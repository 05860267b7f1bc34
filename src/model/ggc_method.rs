//! The G/G/c approximation a queue's analytic figures use where no exact method applies.
//!
//! `method = "whitt"` (the default), `"allen-cunneen"`, `"sakasegawa"` or `"kingman"`
//! (one consumer only) on a queue chooses the formula of its G/G/c approximation (general
//! service with several consumers, non-Poisson input, consumers that crash with general
//! laws); exact methods are used where they apply whatever the choice, and every figure
//! says which method gave it. The simulator ignores it.

use serde::{Deserialize, Serialize};

use super::queue::Queue;

/// A G/G/c approximation formula.
///
/// # Example
/// ```
/// use kendall::model::{Distribution, GgcMethod, Queue};
/// let q: Queue = toml::from_str(r#"
///     name = "q"
///     consumers = 3
///     service = { type = "lognormal", mean = "20ms", scv = 2.0 }
///     method = "allen-cunneen"
/// "#).unwrap();
/// assert_eq!(q.method, Some(GgcMethod::AllenCunneen));
/// ```
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum GgcMethod {
    /// Whitt (1993), the default.
    #[default]
    Whitt,
    /// Allen–Cunneen with the exact Erlang C.
    AllenCunneen,
    /// Sakasegawa's closed form.
    Sakasegawa,
    /// Kingman's heavy-traffic formula (one consumer).
    Kingman,
}

impl Queue {
    /// Chooses the G/G/c approximation of this queue ([`Queue::method`]).
    ///
    /// # Example
    /// ```
    /// use kendall::model::{Distribution, GgcMethod, Queue};
    /// let q = Queue::new("q", 1, Distribution::Deterministic { value: 0.01 })
    ///     .with_method(GgcMethod::Kingman);
    /// assert_eq!(q.method, Some(GgcMethod::Kingman));
    /// ```
    pub fn with_method(mut self, method: GgcMethod) -> Self {
        self.method = Some(method);
        self
    }
}
