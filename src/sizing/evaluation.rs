//! Analytic evaluations of candidate deployments, memoised so that no deployment is
//! solved twice in one sizing run.

use super::SizingError;
use super::evaluate::analytic_value;
use crate::analytic::{Method, NodeResult, solve};
use crate::model::{Slo, Target, ValidModel};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

/// What the sizing phases need from one analytic solve of one deployment.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Evaluation {
    /// Sum over the SLOs of their relative shortfall (each capped at 10⁶; an
    /// infinite or undefined figure counts 10⁶).
    pub(crate) shortfall: f64,
    /// SLOs (indices) with no analytic figure.
    pub(crate) unknown: Vec<usize>,
    /// SLOs (indices) the analytic figures show violated.
    pub(crate) violated: Vec<usize>,
    /// Per SLO: its worst analytic value and that value's method.
    pub(crate) values: Vec<Option<(f64, Option<Method>)>>,
    /// Per queue: utilisation per consumer (the unstable ρ ≥ 1 when unstable, 0 when
    /// undefined), to name bottlenecks.
    pub(crate) utilisation: Vec<f64>,
    /// Per queue: message rate, to estimate drain times.
    pub(crate) message_rate: Vec<f64>,
    /// Per SLO on queues, per queue it covers: that queue's own value (∞ when unstable,
    /// `None` without a figure or not covered); empty for end-to-end SLOs.
    pub(crate) queue_values: Vec<Vec<Option<f64>>>,
}

/// Utilisation of a node for ranking bottlenecks: the unstable ρ when unstable.
fn util(n: &NodeResult) -> f64 {
    n.unstable_utilisation()
        .or(n.solution().map(|s| s.utilisation))
        .unwrap_or(0.0)
}

/// Solves `model` once and reads every SLO off the solution.
fn evaluate(model: &ValidModel, slos: &[Slo]) -> Result<Evaluation, SizingError> {
    let solution = solve(model)?;
    let mut shortfall = 0.0;
    let mut unknown = vec![];
    let mut violated = vec![];
    let mut values = Vec::with_capacity(slos.len());
    for (k, slo) in slos.iter().enumerate() {
        let value = analytic_value(&solution, slo);
        match &value {
            Some((v, _)) => {
                let s = if v.is_finite() {
                    slo.shortfall(*v)
                } else {
                    1e6
                };
                if s > 0.0 {
                    violated.push(k);
                }
                shortfall += s.min(1e6);
            }
            None => unknown.push(k),
        }
        values.push(value);
    }
    let queue_values = slos
        .iter()
        .map(|slo| match slo.target {
            Target::Queue(_) | Target::AllQueues => solution
                .nodes
                .iter()
                .map(|n| {
                    if !slo.target.covers_queue(&n.name) {
                        None
                    } else if let Some(v) = n.get(slo.metric) {
                        Some(v)
                    } else {
                        n.unstable_utilisation().map(|_| f64::INFINITY)
                    }
                })
                .collect(),
            Target::Source(_) | Target::AllSources => vec![],
        })
        .collect();
    Ok(Evaluation {
        queue_values,
        shortfall,
        unknown,
        violated,
        values,
        utilisation: solution.nodes.iter().map(util).collect(),
        message_rate: solution.nodes.iter().map(|n| n.message_rate).collect(),
    })
}

/// Memo key: consumers per queue and the bits of the load multiplier.
type Key = (Vec<u32>, u64);

/// Memoised analytic evaluations of deployments of one model (the analytic view: time-varying
/// profiles at their peak rate), keyed by the consumers vector and the load multiplier.
///
/// A deployment is solved at most once per run (failed solves are not remembered and are
/// retried); [`Evaluations::solves`] counts the solves actually made.
pub(crate) struct Evaluations<'a> {
    /// The analytic view with the scenario's own consumers.
    base: ValidModel,
    slos: &'a [Slo],
    memo: RefCell<HashMap<Key, Rc<Evaluation>>>,
    solves: Cell<u32>,
}

impl<'a> Evaluations<'a> {
    /// Evaluations of deployments of `base` against `slos`.
    pub(crate) fn new(base: ValidModel, slos: &'a [Slo]) -> Self {
        Self {
            base,
            slos,
            memo: RefCell::new(HashMap::new()),
            solves: Cell::new(0),
        }
    }

    /// The analytic view with `consumers` per queue.
    pub(crate) fn model(&self, consumers: &[u32]) -> Result<ValidModel, SizingError> {
        let mut model = self.base.clone();
        for (i, &c) in consumers.iter().enumerate() {
            if model.model().queues[i].servers != c {
                model = model.with_servers(i, c)?;
            }
        }
        Ok(model)
    }

    /// The evaluation of the deployment `consumers` at the scenario's load.
    ///
    /// # Errors
    /// The deployment is invalid, or the solve fails.
    pub(crate) fn at(&self, consumers: &[u32]) -> Result<Rc<Evaluation>, SizingError> {
        let model = self.model(consumers)?;
        self.memoised((consumers.to_vec(), 1f64.to_bits()), &model)
    }

    /// The evaluation of the deployment `consumers` with every source's rate multiplied
    /// by `multiplier`, for headroom. The multiplier is applied even at 1, so that a
    /// model whose load cannot be scaled (a trace) fails as it would at any multiplier;
    /// at 1 it changes no rate, so the memo shares that entry with [`Evaluations::at`].
    ///
    /// # Errors
    /// The multiplier is not finite and > 0, a source replays a trace, or the solve fails.
    pub(crate) fn scaled(
        &self,
        consumers: &[u32],
        multiplier: f64,
    ) -> Result<Rc<Evaluation>, SizingError> {
        let model = self.model(consumers)?.with_load_multiplier(multiplier)?;
        self.memoised((consumers.to_vec(), multiplier.to_bits()), &model)
    }

    fn memoised(&self, key: Key, model: &ValidModel) -> Result<Rc<Evaluation>, SizingError> {
        if let Some(e) = self.memo.borrow().get(&key) {
            return Ok(Rc::clone(e));
        }
        self.solves.set(self.solves.get() + 1);
        let e = Rc::new(evaluate(model, self.slos)?);
        self.memo.borrow_mut().insert(key, Rc::clone(&e));
        Ok(e)
    }

    /// Evaluates a model outside the memo (one that is not a deployment of the analytic
    /// view, e.g. the real model with a time-varying profile), counting the solve.
    pub(crate) fn once(&self, model: &ValidModel) -> Result<Evaluation, SizingError> {
        self.solves.set(self.solves.get() + 1);
        evaluate(model, self.slos)
    }

    /// Full analytic solves made so far.
    pub(crate) fn solves(&self) -> u32 {
        self.solves.get()
    }
}
