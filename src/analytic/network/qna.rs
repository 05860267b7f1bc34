//! The Queueing Network Analyzer decomposition (Whitt 1983) of a model: the mean rate
//! and the squared coefficient of variation (SCV) of the arrival stream of every queue,
//! for networks whose flows are not Poisson.
//!
//! Each queue is treated as a G/G/c node fed by a renewal stream described by its rate
//! and SCV. The SCVs follow from three rules applied to every flow:
//! - departure (Whitt 1983, eq. 39, multi-server form):
//!   c²_d = ρ²·x + (1 − ρ²)·c²_a with x = 1 + (c²_s − 1)/√c;
//! - splitting with probability p (a route branch, or the branch to a topic whose every
//!   subscriber then gets a copy): c² = p·c²_d + 1 − p;
//! - superposition by the hybrid rule: c²_a = w·Σ (λ_k/λ) c²_k + 1 − w,
//!   w = 1 / (1 + 4(1 − ρ)²(v − 1)), v = 1 / Σ (λ_k/λ)².
//!
//! Together these are linear in the unknown c²_a and are solved exactly (nalgebra).
//! External streams enter with their SCV (Poisson 1, deterministic 0, renewal: its
//! distribution's SCV) or, for MMPP bursts, their asymptotic index of dispersion.
//! Redeliveries are a self-loop with the failure probability. Everything here is an
//! approximation and is labelled as such by the solvers that use it.
//! Reference: W. Whitt, "The Queueing Network Analyzer", Bell System Technical Journal
//! 62(9), 1983, pp. 2779–2815.

use crate::analytic::error::AnalyticError;
use crate::analytic::network::graph::{FlowGraph, fixed_point};
use crate::analytic::network::traffic::{arrival_rates, deliveries_per_message};
use crate::model::ValidModel;
use serde::{Deserialize, Serialize};

/// Rate and variability of every queue's arrival stream, by queue index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct QnaFlows {
    /// Delivery rate into each queue (first deliveries and redeliveries), messages/s.
    pub delivery_rate: Vec<f64>,
    /// SCV of the inter-arrival times of deliveries into each queue.
    pub arrival_scv: Vec<f64>,
    /// Per-server utilisation ρ = λ E\[S\] / c of each queue (may be >= 1: unstable).
    pub utilisation: Vec<f64>,
}

/// Computes the QNA flows of a validated model.
///
/// # Errors
/// [`AnalyticError::NoMethod`] when a source's variability is not a stationary
/// quantity (a time-varying profile or a trace): use the pointwise stationary
/// approximation or simulate.
pub(crate) fn qna(valid: &ValidModel) -> Result<QnaFlows, AnalyticError> {
    let (model, topology) = (valid.model(), valid.topology());
    let n = model.queues.len();
    let messages = arrival_rates(valid)?;
    let graph = FlowGraph::new(topology);
    let lambda: Vec<f64> = model
        .queues
        .iter()
        .zip(&messages)
        .map(|(q, m)| m * deliveries_per_message(q.failure_probability, q.max_attempts))
        .collect();
    let rho: Vec<f64> = model
        .queues
        .iter()
        .zip(&lambda)
        .map(|(q, l)| l * q.service.mean() / f64::from(q.servers))
        .collect();
    // x_i of the departure formula, with ρ capped at 1 for saturated nodes.
    let x: Vec<f64> = model
        .queues
        .iter()
        .map(|q| 1.0 + (q.service.scv() - 1.0) / f64::from(q.servers).sqrt())
        .collect();

    // Streams into each queue: (rate, constant part, coefficient on c²_a of the origin).
    // An external stream has coefficient 0 on every unknown.
    struct Stream {
        rate: f64,
        constant: f64,
        from: Option<(usize, f64)>,
    }
    let mut streams: Vec<Vec<Stream>> = (0..n).map(|_| Vec::new()).collect();
    for (s, dest) in model.sources.iter().zip(&topology.source_dest) {
        let rate = s.arrival.mean_rate().unwrap_or(0.0);
        let scv = s.arrival.index_of_dispersion().ok_or_else(|| AnalyticError::NoMethod {
            reason: format!(
                "source {:?} is time-varying or a trace, so its flow has no stationary variability: use the pointwise stationary approximation or simulate",
                s.name
            ),
        })?;
        for q in topology.entries(*dest) {
            streams[q].push(Stream {
                rate,
                constant: scv,
                from: None,
            });
        }
    }
    for i in 0..n {
        let r = rho[i].min(1.0);
        let q = &model.queues[i];
        let depart_rate = messages[i]; // messages leave once, after their last attempt
        let add = |j: usize, p: f64, streams: &mut Vec<Vec<Stream>>| {
            // c²_ij = p(ρ²x + (1-ρ²)c²_ai) + 1 - p
            streams[j].push(Stream {
                rate: depart_rate * p,
                constant: p * r * r * x[i] + 1.0 - p,
                from: Some((i, p * (1.0 - r * r))),
            });
        };
        for &(j, p) in &graph.succ[i] {
            add(j, p.min(1.0), &mut streams);
        }
        if q.failure_probability > 0.0 && q.max_attempts > 1 {
            // Redeliveries as a self-loop: rate λ_i − messages_i of retries.
            let f = q.failure_probability;
            streams[i].push(Stream {
                rate: lambda[i] - messages[i],
                constant: f * r * r * x[i] + 1.0 - f,
                from: Some((i, f * (1.0 - r * r))),
            });
        }
    }
    // c²_j = b_j + Σ_i a_ji c²_i, sparse: one row per queue, one entry per stream.
    let mut a: Vec<Vec<(usize, f64)>> = vec![Vec::new(); n];
    let mut b = vec![0.0; n];
    for j in 0..n {
        let total: f64 = streams[j].iter().map(|s| s.rate).sum();
        if total <= 0.0 {
            b[j] = 1.0;
            continue;
        }
        let v = 1.0
            / streams[j]
                .iter()
                .map(|s| (s.rate / total).powi(2))
                .sum::<f64>();
        let r = rho[j].min(1.0);
        let w = 1.0 / (1.0 + 4.0 * (1.0 - r).powi(2) * (v - 1.0));
        b[j] = 1.0 - w;
        for s in &streams[j] {
            let share = s.rate / total;
            b[j] += w * share * s.constant;
            if let Some((i, coef)) = s.from {
                a[j].push((i, w * share * coef));
            }
        }
    }
    let scv = fixed_point(&a, &b).ok_or_else(|| AnalyticError::NoMethod {
        reason: "the QNA variability equations are singular".into(),
    })?;
    Ok(QnaFlows {
        delivery_rate: lambda,
        arrival_scv: scv.iter().map(|c| c.max(0.0)).collect(),
        utilisation: rho,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ArrivalProcess, Distribution, Model, Queue, Route, Source};

    /// A tandem: deterministic source (c² = 0) into a single exponential server: the
    /// second node's arrival SCV is the departure SCV ρ²·1 + (1 − ρ²)·0 = ρ².
    #[test]
    fn tandem_departure_scv() {
        let m = Model::default()
            .with_source(Source::new(
                "s",
                ArrivalProcess::Deterministic { rate: 8.0 },
                "a",
            ))
            .with_queue(
                Queue::new("a", 1, Distribution::Exponential { mean: 0.1 })
                    .with_route(Route::To("b".into())),
            )
            .with_queue(Queue::new("b", 1, Distribution::Exponential { mean: 0.05 }));
        let f = qna(&m.validate().unwrap()).unwrap();
        assert!((f.arrival_scv[0] - 0.0).abs() < 1e-15);
        assert!(
            (f.arrival_scv[1] - 0.64).abs() < 1e-12,
            "{:?}",
            f.arrival_scv
        );
    }

    /// Merging two independent Poisson-like streams of SCV c² gives the weighted mix;
    /// with equal rates v = 2, and the hybrid weight w = 1/(1 + 4(1−ρ)²).
    #[test]
    fn superposition_weight() {
        let m = Model::default()
            .with_source(Source::new(
                "d",
                ArrivalProcess::Deterministic { rate: 2.0 },
                "q",
            ))
            .with_source(Source::new("p", ArrivalProcess::Poisson { rate: 2.0 }, "q"))
            .with_queue(Queue::new("q", 1, Distribution::Exponential { mean: 0.2 }));
        let f = qna(&m.validate().unwrap()).unwrap();
        let rho: f64 = 0.8;
        let w = 1.0 / (1.0 + 4.0 * (1.0 - rho).powi(2));
        let expected = w * (0.5 * 0.0 + 0.5 * 1.0) + 1.0 - w;
        assert!((f.arrival_scv[0] - expected).abs() < 1e-12);
    }
}
