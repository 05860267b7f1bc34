//! The analytic search: floors, greedy marginal gain, pruning.

use super::evaluation::{Evaluation, Evaluations};
use super::{SizingError, SizingNote, SizingOptions};
use crate::analytic::{SolveError, arrival_rates, deliveries_per_message};
use crate::model::{Metric, Op, RunSettings, Slo, Target, ValidModel};
use crate::sim::SimReport;
use std::rc::Rc;

/// Most greedy steps (consumers added) before the analytic search gives up and hands
/// the deployment it has to verification: a bound against a search that gains too
/// little per step to ever finish.
pub(crate) const MAX_STEPS: u32 = 100_000;

/// Gains at or below this are no gain: a consumer that changes the total shortfall by
/// less is never added.
const MIN_GAIN: f64 = 1e-15;

/// One sizing run, phase by phase (see [`size`](super::size)): each method is one
/// phase and leaves its result in the fields the next phases read.
pub(crate) struct Search<'a> {
    pub(super) options: &'a SizingOptions,
    /// The scenario with every SLO merged in (time-varying profiles as given).
    pub(super) valid: &'a ValidModel,
    /// Every SLO: the scenario's and the caller's.
    pub(super) slos: &'a [Slo],
    /// Indices of the queues whose consumers may change, ascending.
    pub(super) sizable: Vec<usize>,
    /// Whether the analytic view replaced time-varying profiles by their peak rate.
    pub(super) psa: bool,
    /// Memoised analytic evaluations of deployments of the analytic view.
    pub(super) evals: Evaluations<'a>,
    /// Per queue: the fewest consumers allowed (stability, `consumers >=` SLOs).
    pub(super) floor: Vec<u32>,
    /// Per queue: the consumers of the current deployment.
    pub(super) consumers: Vec<u32>,
    /// SLOs (indices) with no analytic figure for the searched deployment.
    pub(super) unknown: Vec<usize>,
    /// Run settings of the verification (replications as the stopping rule left them).
    pub(super) settings: RunSettings,
    /// The final verification's report.
    pub(super) sim_report: Option<SimReport>,
    /// What happened on the way.
    pub(super) notes: Vec<SizingNote>,
}

impl<'a> Search<'a> {
    /// A search over `valid` (SLOs already merged into it as `slos`).
    ///
    /// # Errors
    /// [`SizingError::NoSlo`], [`SizingError::UnknownQueue`].
    pub(crate) fn new(
        valid: &'a ValidModel,
        slos: &'a [Slo],
        options: &'a SizingOptions,
    ) -> Result<Self, SizingError> {
        let model = valid.model();
        if slos.is_empty() {
            return Err(SizingError::NoSlo);
        }
        for name in &options.sizable {
            if model.queue(name).is_none() {
                return Err(SizingError::UnknownQueue(name.clone()));
            }
        }
        let sizable: Vec<usize> = (0..model.queues.len())
            .filter(|&i| {
                options.sizable.is_empty() || options.sizable.contains(&model.queues[i].name)
            })
            .collect();
        let mut notes = Vec::new();
        let (view, psa) = valid.at_peak_rate();
        if psa {
            notes.push(SizingNote::PeakRate);
        }
        Ok(Self {
            options,
            valid,
            slos,
            sizable,
            psa,
            evals: Evaluations::new(view, slos),
            floor: vec![1; model.queues.len()],
            consumers: model.queues.iter().map(|q| q.servers).collect(),
            unknown: vec![],
            settings: model.simulation.clone(),
            sim_report: None,
            notes,
        })
    }

    /// Phase 1, floors: every sizable queue starts at the fewest consumers that keep it
    /// stable (⌊offered load⌋ + 1 for an infinite buffer, 1 for a finite one, the load
    /// counting redeliveries) and at least its `consumers >=` / `consumers >` SLOs.
    ///
    /// # Errors
    /// [`SizingError::Infeasible`] when a floor exceeds
    /// [`SizingOptions::max_consumers`]; the traffic equations cannot be solved.
    pub(crate) fn floors(&mut self) -> Result<(), SizingError> {
        let mut view = self.evals.model(&self.consumers)?;
        let rates = arrival_rates(&view).map_err(SolveError::from)?;
        for &i in &self.sizable {
            let q = &view.model().queues[i];
            let load = rates[i]
                * deliveries_per_message(q.failure_probability, q.max_attempts)
                * q.service.mean();
            let stable = if q.capacity.is_some() {
                1
            } else {
                (load.floor() as u32).saturating_add(1)
            };
            let mut floor = stable.max(1);
            for slo in self.slos {
                let applies = match &slo.target {
                    Target::Queue(n) => n == &q.name,
                    Target::AllQueues => true,
                    _ => false,
                };
                if applies && slo.metric == Metric::Consumers {
                    let min = match slo.op {
                        Op::AtLeast => slo.limit.ceil(),
                        Op::Greater => slo.limit.floor() + 1.0,
                        _ => 1.0,
                    };
                    floor = floor.max(min.max(1.0) as u32);
                }
            }
            if floor > self.options.max_consumers {
                return Err(SizingError::Infeasible {
                    slo: format!("stability of queue {:?}", q.name),
                    reason: format!(
                        "it needs {floor} consumers, above the limit {}",
                        self.options.max_consumers
                    ),
                });
            }
            self.floor[i] = floor;
            self.consumers[i] = floor;
            view = view.with_servers(i, floor)?;
        }
        Ok(())
    }

    /// Phase 2, greedy marginal gain: while an SLO is violated analytically, add the
    /// consumer that buys the largest reduction of the total relative shortfall per unit
    /// of `cost_per_consumer` (ties to the first sizable queue in model order).
    ///
    /// A queue is not solved when it cannot beat the best gain found so far in this step:
    /// its gain is at most `shortfall / cost` (shortfalls are ≥ 0), so the answer is the
    /// same as solving every queue. Bounded by [`MAX_STEPS`] steps, after which the
    /// deployment found so far goes on to verification.
    ///
    /// # Errors
    /// [`SizingError::Infeasible`] when no sizable queue reduces the shortfall (service
    /// time alone exceeds the limit, or every queue is at `max_consumers`); a solve fails.
    pub(crate) fn greedy(&mut self) -> Result<(), SizingError> {
        let mut eval = self.evals.at(&self.consumers)?;
        let mut steps = 0u32;
        while !eval.violated.is_empty() {
            steps += 1;
            if steps > MAX_STEPS {
                break;
            }
            let mut best: Option<(f64, usize, Rc<Evaluation>)> = None;
            for &i in &self.sizable {
                let q = &self.valid.model().queues[i];
                if self.consumers[i] >= self.options.max_consumers {
                    continue;
                }
                let mut trial = self.consumers.clone();
                trial[i] += 1;
                let cost = q.cost_per_consumer;
                if let Some((g, _, _)) = &best
                    && cost > 0.0
                    && eval.shortfall / cost <= *g
                {
                    // Cannot win; still check the deployment is valid, as solving it would.
                    self.evals.model(&trial)?;
                    continue;
                }
                let e = self.evals.at(&trial)?;
                let gain = (eval.shortfall - e.shortfall) / cost;
                if gain > MIN_GAIN && best.as_ref().is_none_or(|(g, _, _)| gain > *g) {
                    best = Some((gain, i, e));
                }
            }
            let Some((_, i, e)) = best else {
                let k = eval.violated[0];
                return Err(SizingError::Infeasible {
                    slo: self.slos[k].to_string(),
                    reason: "adding consumers to any sizable queue does not bring it closer (service time, redelivery or dead-lettering alone exceed it, or the consumer limit is reached)".into(),
                });
            };
            self.consumers[i] += 1;
            eval = e;
        }
        self.unknown.clone_from(&eval.unknown);
        Ok(())
    }

    /// Phase 3, pruning: most expensive queue first, remove consumers one at a time
    /// (never below the floor) while every SLO stays met analytically. Then notes the
    /// SLOs that have no analytic figure (the simulation alone decides them).
    ///
    /// # Errors
    /// A solve fails.
    pub(crate) fn prune(&mut self) -> Result<(), SizingError> {
        let mut order = self.sizable.clone();
        let cost = |i: usize| self.valid.model().queues[i].cost_per_consumer;
        order.sort_by(|a, b| cost(*b).total_cmp(&cost(*a)));
        for &i in &order {
            while self.consumers[i] > self.floor[i] {
                let mut trial = self.consumers.clone();
                trial[i] -= 1;
                let e = self.evals.at(&trial)?;
                if !e.violated.is_empty() {
                    break;
                }
                self.consumers = trial;
                self.unknown.clone_from(&e.unknown);
            }
        }
        for &k in &self.unknown {
            self.notes.push(SizingNote::SimulationOnly {
                slo: self.slos[k].clone(),
            });
        }
        Ok(())
    }

    /// The real model (time-varying profiles as given) with `consumers` per queue.
    pub(super) fn real(&self, consumers: &[u32]) -> Result<ValidModel, SizingError> {
        let mut model = self.valid.clone();
        for (i, &c) in consumers.iter().enumerate() {
            if model.model().queues[i].servers != c {
                model = model.with_servers(i, c)?;
            }
        }
        Ok(model)
    }
}
