//! A queue with redeliveries seen per message, as a broker user sees it.
//!
//! A node whose deliveries fail with probability f (each failed message waits `backoff`
//! inside the node, then is delivered again, at most `max_attempts` times) is solved per
//! delivery (the delivery rate is λ·d with d = (1 − fᵐ)/(1 − f) deliveries per message).
//! [`PerMessage`] turns those per-delivery figures into per-message ones, which is what
//! the simulator measures and what a latency SLO means:
//! W = d·W₁ + B, B the expected total backoff (Σ_k f^k·E\[b_k\], see
//! [`Queue::mean_total_backoff`]; (d − 1)·backoff when it is constant), Wq = W − d·E\[S\] (everything but service), L = λ·W,
//! Lq = L − λ·d·E\[S\] (Little's law, backoff included), throughput = λ (each message leaves
//! once, completed or dead-lettered). These are exact whenever the per-delivery figures
//! are, by linearity: a failure is decided after the service, independently of the
//! sojourn. The sojourn distribution over the deliveries is a mixture of convolutions of
//! the per-delivery sojourn, taking successive deliveries as independent (an
//! approximation: a message that waited long once tends to meet a busy queue again),
//! computed on a grid.

use crate::analytic::method::Method;
use crate::analytic::metrics::QueueMetrics;
use crate::analytic::network::end_to_end::{CELLS, Grid, deliveries_grid};
use crate::analytic::network::traffic::{deliveries_per_message, effective_attempts};

/// Most deliveries combined on the grid for sojourn percentiles (one convolution each).
const MAX_GRID_DELIVERIES: u32 = 64;
use crate::model::Queue;

/// Per-message figures of a node with redeliveries.
pub struct PerMessage {
    inner: Box<dyn QueueMetrics>,
    message_rate: f64,
    deliveries: f64,
    /// Expected total backoff per message (`Queue::mean_total_backoff`).
    total_backoff: f64,
    service_mean: f64,
    grid: Option<(Grid, f64)>,
}

impl PerMessage {
    /// Wraps per-delivery `inner` figures of `queue`, which receives `message_rate`
    /// messages per second.
    pub fn new(inner: Box<dyn QueueMetrics>, queue: &Queue, message_rate: f64) -> Self {
        let f = queue.failure_probability;
        let m = queue.max_attempts;
        let far = inner.sojourn_quantile(1.0 - 1e-9);
        // The grid needs one convolution per delivery that matters: beyond
        // MAX_GRID_DELIVERIES the percentiles are left to the simulator (the means stay
        // exact at any count).
        let m_grid = effective_attempts(f, m);
        let far = far.filter(|_| m_grid <= MAX_GRID_DELIVERIES);
        let m = m_grid;
        let grid = far.and_then(|far| {
            let backoffs: f64 = (1..m).map(|k| queue.redelivery_backoff(k)).sum();
            let horizon = f64::from(m) * far + backoffs;
            let h = horizon / CELLS as f64;
            let one = Grid::from_cdf(&|t| inner.sojourn_cdf(t), h)?;
            let range = |k: u32| queue.redelivery_backoff_range(k);
            Some((deliveries_grid(&one, f, m, &range, h), h))
        });
        Self {
            deliveries: deliveries_per_message(f, queue.max_attempts),
            inner,
            message_rate,
            total_backoff: queue.mean_total_backoff(),
            service_mean: queue.service.mean(),
            grid,
        }
    }
}

impl QueueMetrics for PerMessage {
    fn method(&self) -> Method {
        let m = self.inner.method();
        Method {
            name: format!(
                "{}, per message over {:.4} deliveries with backoff",
                m.name, self.deliveries
            ),
            ..m
        }
    }
    fn arrival_rate(&self) -> f64 {
        self.message_rate
    }
    fn throughput(&self) -> f64 {
        self.message_rate
    }
    fn utilisation(&self) -> f64 {
        self.inner.utilisation()
    }
    fn servers(&self) -> Option<u64> {
        self.inner.servers()
    }
    fn mean_number_in_system(&self) -> f64 {
        self.message_rate * self.mean_sojourn()
    }
    fn mean_queue_length(&self) -> f64 {
        self.message_rate * self.mean_wait()
    }
    fn mean_sojourn(&self) -> f64 {
        self.deliveries * self.inner.mean_sojourn() + self.total_backoff
    }
    fn mean_wait(&self) -> f64 {
        self.mean_sojourn() - self.deliveries * self.service_mean
    }
    fn prob_block(&self) -> Option<f64> {
        self.inner.prob_block()
    }
    fn prob_expire(&self) -> Option<f64> {
        self.inner.prob_expire()
    }
    fn sojourn_cdf(&self, t: f64) -> Option<f64> {
        let (g, h) = self.grid.as_ref()?;
        if t < 0.0 {
            return Some(0.0);
        }
        let k = ((t / h) + 0.5).floor() as usize;
        Some(
            g.mass
                .iter()
                .take(k.min(CELLS - 1) + 1)
                .sum::<f64>()
                .min(1.0),
        )
    }
    fn sojourn_quantile(&self, p: f64) -> Option<f64> {
        let (g, h) = self.grid.as_ref()?;
        (p > 0.0 && p < 1.0).then(|| g.quantile(p, *h))
    }
    fn distribution_method(&self) -> Option<Method> {
        self.grid.as_ref().map(|(_, h)| {
            Method::approximation(
                format!("sojourn over deliveries, successive deliveries taken as independent (grid of {CELLS} cells, cell {h:.3e} s)"),
                "mixture of convolutions of the per-delivery sojourn distribution",
            )
        })
    }
}
