//! Where a message goes next when a queue finishes it.
//!
//! In scenario files a route is either a node name (a queue, or a topic to publish
//! to), the word `"exit"`, or a probabilistic choice:
//!
//! ```toml
//! route = "settlement"                       # publish to the topic "settlement"
//! route = "exit"                             # leave the system (the default)
//! route = [ { to = "audit", probability = 0.1 }, { to = "exit", probability = 0.9 } ]
//! ```

use serde::{Deserialize, Serialize};

/// The reserved node name meaning "leave the system".
pub const EXIT: &str = "exit";

/// One weighted choice of a probabilistic route.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RouteBranch {
    /// Destination: a queue name, a topic name, or `"exit"`.
    pub to: String,
    /// Probability of taking this branch; a route's branches sum to 1.
    pub probability: f64,
}

/// The routing of a finished message.
///
/// # Example
/// ```
/// use kendall::model::Route;
/// let r: Route = serde_json::from_str(r#"[{"to":"audit","probability":0.25},{"to":"exit","probability":0.75}]"#).unwrap();
/// assert_eq!(r.branches().len(), 2);
/// assert_eq!(serde_json::from_str::<Route>(r#""exit""#).unwrap(), Route::Exit);
/// ```
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(try_from = "RouteRepr", into = "RouteRepr")]
pub enum Route {
    /// Leave the system.
    #[default]
    Exit,
    /// Go to one node (a queue, or publish to a topic).
    To(String),
    /// Choose among branches by probability.
    Choice(Vec<RouteBranch>),
}

impl Route {
    /// The route as (destination, probability) branches; `"exit"` names the exit.
    pub fn branches(&self) -> Vec<RouteBranch> {
        match self {
            Route::Exit => vec![RouteBranch {
                to: EXIT.into(),
                probability: 1.0,
            }],
            Route::To(n) => vec![RouteBranch {
                to: n.clone(),
                probability: 1.0,
            }],
            Route::Choice(b) => b.clone(),
        }
    }
}

#[derive(Serialize, Deserialize, schemars::JsonSchema)]
#[serde(
    untagged,
    expecting = "a node name, \"exit\", or a list of { to, probability } branches"
)]
enum RouteRepr {
    Name(String),
    Choice(Vec<RouteBranch>),
}

impl TryFrom<RouteRepr> for Route {
    type Error = String;
    fn try_from(r: RouteRepr) -> Result<Self, String> {
        Ok(match r {
            RouteRepr::Name(n) if n == EXIT => Route::Exit,
            RouteRepr::Name(n) => Route::To(n),
            RouteRepr::Choice(b) => Route::Choice(b),
        })
    }
}

impl From<Route> for RouteRepr {
    fn from(r: Route) -> Self {
        match r {
            Route::Exit => RouteRepr::Name(EXIT.into()),
            Route::To(n) => RouteRepr::Name(n),
            Route::Choice(b) => RouteRepr::Choice(b),
        }
    }
}
