//! A model whose source has a `window` (a publisher-confirm window or prefetch limit) is
//! a closed network: at most N messages are in flight, and the producer emits the next one
//! only when one finishes. This module maps such a model onto [`closed`](crate::analytic::closed::mva)
//! and solves it by exact MVA (Schweitzer's approximation for large windows).
//!
//! Mapping: the producer is a single-server station whose service time is the mean
//! inter-arrival time 1/λ (exponential for a Poisson source: it produces at rate λ
//! whenever it holds a free window slot); every queue the messages reach is a station
//! with its consumers and mean service time, visited V_k times per message (the traffic
//! equations with one message in, times the deliveries per message); redelivery backoff
//! is a delay station. With a Poisson producer and exponential FIFO queues this is a
//! product-form (BCMP) network and MVA is exact; otherwise the same recursion is an
//! approximation and says so.

use crate::analytic::closed::mva::{
    ClosedNetwork, MvaSolution, SchweitzerOptions, Station, StationFigures, mva, schweitzer,
};
use crate::analytic::error::AnalyticError;
use crate::analytic::method::{Exactness, Method};
use crate::analytic::metrics::QueueMetrics;
use crate::analytic::network::traffic::deliveries_per_message;
use crate::model::{ArrivalProcess, Distribution, Model, NodeId, Topology};
use serde::{Deserialize, Serialize};

/// Windows above this use Schweitzer's approximate MVA instead of the exact recursion.
pub const EXACT_WINDOW_LIMIT: u32 = 5000;

/// The solution of a windowed (closed) model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ClosedSolution {
    /// The windowed source.
    pub source: String,
    /// Its window N (messages in flight at most).
    pub window: u32,
    /// How the figures were obtained.
    pub method: Method,
    /// Messages completed per second, X(N).
    pub throughput: f64,
    /// Mean time from a message's creation until it is done, seconds: R(N), the time at
    /// the stations excluding the producer.
    pub response_time: f64,
    /// Mean messages waiting for a window slot's turn at the producer (not in flight).
    pub producer_queue: f64,
    /// Per-queue figures, in model order.
    pub stations: Vec<StationFigures>,
}

/// Solves a model with a windowed source; `Ok(None)` when no source has a window.
///
/// # Errors
/// [`AnalyticError::NoMethod`] when the model is not a single windowed source feeding
/// queues without fan-out or finite buffers (those are not closed networks of this kind:
/// simulate), plus the errors of [`mva`].
///
/// # Example
/// Through the public [`solve`](crate::solve), which calls it for windowed sources:
/// ```
/// use kendall::model::{ArrivalProcess, Distribution, Model, Queue, Source};
/// let mut src = Source::new("producer", ArrivalProcess::Poisson { rate: 100.0 }, "q");
/// src.window = Some(1);
/// let m = Model::default().with_source(src).with_queue(Queue::new("q", 1, Distribution::Exponential { mean: 0.01 }));
/// let s = kendall::solve(&m.validate().unwrap()).unwrap().closed.unwrap();
/// // One message at a time: a cycle is 10 ms producing + 10 ms service: X = 50/s.
/// assert!((s.throughput - 50.0).abs() < 1e-9);
/// assert!((s.response_time - 0.01).abs() < 1e-12);
/// ```
pub(crate) fn solve_closed(
    model: &Model,
    topology: &Topology,
) -> Result<Option<ClosedSolution>, AnalyticError> {
    let Some(src_index) = model.sources.iter().position(|s| s.window.is_some()) else {
        return Ok(None);
    };
    let refuse = |reason: &str| {
        Err(AnalyticError::NoMethod {
            reason: reason.to_string(),
        })
    };
    if model.sources.len() != 1 {
        return refuse(
            "a windowed source mixed with other sources is a mixed open/closed network: simulate",
        );
    }
    let src = &model.sources[src_index];
    let window = src.window.expect("found above");
    let NodeId::Queue(entry) = topology.source_dest[src_index] else {
        return refuse(
            "a windowed source publishing to a topic fans out: a message is done when all copies are; simulate",
        );
    };
    let n = model.queues.len();
    let mut l0 = vec![0.0; n];
    l0[entry] = 1.0;
    let a = nalgebra::DMatrix::<f64>::identity(n, n) - topology.flow.transpose();
    let visits = a
        .lu()
        .solve(&nalgebra::DVector::from_vec(l0))
        .ok_or_else(|| AnalyticError::NoMethod {
            reason: "the traffic equations are singular".into(),
        })?;
    for i in 0..n {
        if visits[i] <= 0.0 {
            continue;
        }
        let fan_out = topology.routes[i]
            .iter()
            .any(|(_, d)| matches!(d, crate::model::Dest::Node(NodeId::Topic(_))));
        if fan_out {
            return refuse("the windowed source's messages reach a topic (fan-out): simulate");
        }
        if model.queues[i].capacity.is_some() {
            return refuse(
                "a finite buffer in a windowed model: simulate, or solve the small model's exact CTMC",
            );
        }
    }
    let mean_gap = 1.0 / src.arrival.mean_rate().unwrap_or(f64::NAN);
    if !mean_gap.is_finite() {
        return refuse("the windowed source's mean rate is unknown (trace): simulate");
    }
    let mut exact = matches!(src.arrival, ArrivalProcess::Poisson { .. });
    let mut stations = vec![Station::queueing(
        format!("{} (producer)", src.name),
        1,
        mean_gap,
    )];
    let mut index = Vec::new();
    let mut backoff_demand = 0.0;
    for (i, q) in model.queues.iter().enumerate() {
        if visits[i] <= 0.0 {
            continue;
        }
        let deliveries = deliveries_per_message(q.failure_probability, q.max_attempts);
        // A delay station is insensitive to its service law (BCMP type 3).
        exact &= q.is_delay() || matches!(q.service, Distribution::Exponential { .. });
        let station = if q.is_delay() {
            Station::delay(q.name.clone(), q.service.mean())
        } else {
            Station::queueing(q.name.clone(), q.servers, q.service.mean())
        };
        stations.push(station.with_visits(visits[i] * deliveries));
        backoff_demand += visits[i] * q.mean_total_backoff();
        index.push(i);
    }
    if backoff_demand > 0.0 {
        stations.push(Station::delay("redelivery backoff", backoff_demand));
    }
    let network = ClosedNetwork::new(stations, 0.0)?;
    let (figures, base_method) = if window <= EXACT_WINDOW_LIMIT {
        let sol: MvaSolution = mva(&network, window)?;
        let f = sol
            .at(window)
            .cloned()
            .ok_or_else(|| AnalyticError::NoMethod {
                reason: "MVA returned no figures".into(),
            })?;
        (f, sol.method)
    } else {
        let sol = schweitzer(&network, window, SchweitzerOptions::default())?;
        exact = false;
        (sol.figures, sol.method)
    };
    let method = if exact && base_method.exactness != Exactness::Approximation {
        Method {
            name: format!(
                "{} (windowed source as a closed product-form network)",
                base_method.name
            ),
            ..base_method
        }
    } else {
        Method::approximation(
            format!(
                "{} applied to a non-product-form network (non-Poisson producer or non-exponential service)",
                base_method.name
            ),
            base_method.reference,
        )
    };
    let producer = &figures.stations[0];
    let stations: Vec<StationFigures> = figures.stations[1..=index.len()].to_vec();
    let response_time = figures.response_time - producer.residence_time;
    Ok(Some(ClosedSolution {
        source: src.name.clone(),
        window,
        method,
        throughput: figures.throughput,
        response_time,
        producer_queue: (producer.queue_length - producer.busy_servers).max(0.0),
        stations,
    }))
}

/// One queue of a solved closed model, seen through [`QueueMetrics`].
pub struct ClosedStation {
    /// The station's figures.
    pub figures: StationFigures,
    /// Consumers.
    pub servers: u32,
    /// Mean service time, seconds.
    pub service_mean: f64,
    /// The method of the whole solution.
    pub method: Method,
    /// A delay station's service law: nothing waits there and its sojourn is the
    /// service time, so its distribution is known (`None` for a queueing station).
    pub delay_service: Option<crate::model::Distribution>,
}

impl QueueMetrics for ClosedStation {
    fn method(&self) -> Method {
        self.method.clone()
    }
    fn arrival_rate(&self) -> f64 {
        self.figures.throughput
    }
    fn throughput(&self) -> f64 {
        self.figures.throughput
    }
    fn utilisation(&self) -> f64 {
        self.figures.utilisation.unwrap_or(0.0)
    }
    fn servers(&self) -> Option<u64> {
        (self.servers != crate::model::Queue::INFINITE_SERVERS).then_some(u64::from(self.servers))
    }
    fn mean_number_in_system(&self) -> f64 {
        self.figures.queue_length
    }
    fn mean_queue_length(&self) -> f64 {
        (self.figures.queue_length - self.figures.busy_servers).max(0.0)
    }
    fn mean_sojourn(&self) -> f64 {
        self.figures.response_time_per_visit
    }
    fn mean_wait(&self) -> f64 {
        (self.figures.response_time_per_visit - self.service_mean).max(0.0)
    }
    fn prob_empty(&self) -> Option<f64> {
        self.figures.prob_empty
    }
    fn prob_block(&self) -> Option<f64> {
        // Windowed models have no finite buffers (checked by `solve_closed`).
        Some(0.0)
    }
    fn prob_wait(&self) -> Option<f64> {
        self.delay_service.as_ref().map(|_| 0.0)
    }
    fn wait_cdf(&self, t: f64) -> Option<f64> {
        self.delay_service.as_ref().and((t >= 0.0).then_some(1.0))
    }
    fn sojourn_cdf(&self, t: f64) -> Option<f64> {
        self.delay_service.as_ref()?.cdf(t)
    }
    fn wait_quantile(&self, _p: f64) -> Option<f64> {
        self.delay_service.as_ref().map(|_| 0.0)
    }
    fn sojourn_quantile(&self, p: f64) -> Option<f64> {
        self.delay_service.as_ref()?.quantile(p)
    }
}
