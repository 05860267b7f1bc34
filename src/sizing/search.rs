//! The analytic search: floors, greedy marginal gain, pruning.

use super::evaluation::{Evaluation, Evaluations};
use super::{
    Control, MAX_GREEDY_STEPS, SizingError, SizingNote, SizingOptions, SizingPhase, SizingProgress,
    StopReason,
};
use crate::analytic::{SolveError, arrival_rates, deliveries_per_message};
use crate::model::{Metric, Op, RunSettings, Slo, Target, ValidModel};
use crate::sim::SimReport;
use std::cell::Cell;
use std::rc::Rc;
use std::time::Instant;

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
    /// The fewest consumers that keep each sizable queue stable (fewer: the backlog
    /// grows without bound), before any `consumers >=` SLO.
    pub(super) stable: Vec<u32>,
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
    /// The caller's progress callback.
    progress: &'a dyn Fn(&SizingProgress<'_>) -> Control,
    /// Runs every simulation of the search (here, or split across machines).
    pub(super) simulator: &'a super::SizingSimulator<'a>,
    /// When the run started.
    started: Instant,
    /// Simulations started so far.
    pub(super) simulations: Cell<u32>,
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
        progress: &'a dyn Fn(&SizingProgress<'_>) -> Control,
        simulator: &'a super::SizingSimulator<'a>,
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
        // A delay station (infinitely many consumers) has nothing to size.
        let sizable: Vec<usize> = (0..model.queues.len())
            .filter(|&i| {
                !model.queues[i].is_delay()
                    && (options.sizable.is_empty()
                        || options.sizable.contains(&model.queues[i].name))
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
            stable: vec![1; model.queues.len()],
            consumers: model.queues.iter().map(|q| q.servers).collect(),
            unknown: vec![],
            settings: model.simulation.clone(),
            sim_report: None,
            notes,
            progress,
            simulator,
            started: Instant::now(),
            simulations: Cell::new(0),
        })
    }

    /// Called before every analytic solve and every simulation: reports progress, and
    /// stops the run when the time limit has passed or the callback says stop.
    ///
    /// # Errors
    /// [`SizingError::Stopped`] with the phase and the deployment `consumers` being tried.
    pub(crate) fn checkpoint(
        &self,
        phase: SizingPhase,
        consumers: &[u32],
    ) -> Result<(), SizingError> {
        let elapsed = self.started.elapsed().as_secs_f64();
        let stop = |reason| {
            Err(SizingError::Stopped {
                reason,
                phase,
                consumers: consumers.to_vec(),
            })
        };
        if let Some(limit) = self.options.time_limit
            && elapsed > limit
        {
            return stop(StopReason::TimeLimit { seconds: limit });
        }
        let p = SizingProgress {
            phase,
            consumers,
            analytic_solves: self.evals.solves(),
            simulations: self.simulations.get(),
            elapsed,
        };
        if (self.progress)(&p) == Control::Stop {
            return stop(StopReason::Cancelled);
        }
        Ok(())
    }

    /// The analytic evaluation of `consumers`, after a [`Search::checkpoint`].
    ///
    /// # Errors
    /// The run is stopped, the deployment is invalid, or the solve fails.
    pub(crate) fn eval(
        &self,
        phase: SizingPhase,
        consumers: &[u32],
    ) -> Result<Rc<Evaluation>, SizingError> {
        self.checkpoint(phase, consumers)?;
        self.evals.at(consumers)
    }

    /// Phase 0, bounds: refuses at once an SLO that no number of consumers can meet
    /// (see `bound.rs`), before any solve or simulation.
    ///
    /// # Errors
    /// [`SizingError::Unreachable`] for the first such SLO.
    pub(crate) fn bounds(&self) -> Result<(), SizingError> {
        self.checkpoint(SizingPhase::Bounds, &self.consumers)?;
        for slo in self.slos {
            if let Some((bound, reason)) = super::bound::unreachable(self.valid, slo) {
                return Err(SizingError::Unreachable {
                    slo: slo.clone(),
                    bound,
                    reason: Box::new(reason),
                });
            }
        }
        Ok(())
    }

    /// Phase 1, floors: every sizable queue starts at the fewest consumers that keep it
    /// stable (⌊offered load⌋ + 1 for an infinite buffer, 1 for a finite one, the load
    /// counting redeliveries) and at least its `consumers >=` / `consumers >` SLOs.
    ///
    /// # Errors
    /// [`SizingError::Infeasible`] when a floor exceeds
    /// [`SizingOptions::max_consumers`]; the traffic equations cannot be solved.
    pub(crate) fn floors(&mut self) -> Result<(), SizingError> {
        self.checkpoint(SizingPhase::Floors, &self.consumers)?;
        let mut view = self.evals.model(&self.consumers)?;
        let rates = arrival_rates(&view).map_err(SolveError::from)?;
        for &i in &self.sizable {
            let q = &view.model().queues[i];
            // Consumers that crash give only the fraction A (availability) of their
            // capacity: stable needs c > load / A.
            let load = rates[i]
                * deliveries_per_message(q.failure_probability, q.max_attempts)
                * q.service.mean()
                / q.crash
                    .as_ref()
                    .map_or(1.0, crate::model::Crash::availability);
            let stable = if q.capacity.is_some() {
                1
            } else {
                (load.floor() as u32).saturating_add(1)
            };
            self.stable[i] =
                self.partitioned_floor(i, stable.max(1), rates[i] * q.service.mean())?;
            let mut floor = stable.max(1);
            for slo in self.slos {
                if slo.target.covers_queue(&q.name) && slo.metric == Metric::Consumers {
                    let min = match slo.op {
                        Op::AtLeast => slo.limit.ceil(),
                        Op::Greater => slo.limit.floor() + 1.0,
                        _ => 1.0,
                    };
                    floor = floor.max(min.max(1.0) as u32);
                }
            }
            floor = self.partitioned_floor(i, floor, rates[i] * q.service.mean())?;
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

    /// The most consumers queue `i` may get: `max_consumers`, never more than its
    /// capacity (consumers count towards K), and never more than its partition count
    /// for a partitioned queue (a group's consumers beyond it would stay idle: no figure
    /// improves, so the search stops there).
    pub(super) fn most(&self, i: usize) -> u32 {
        let q = &self.valid.model().queues[i];
        let cap = q
            .capacity
            .map_or(u32::MAX, |k| u32::try_from(k).unwrap_or(u32::MAX));
        self.options
            .max_consumers
            .min(cap)
            .min(q.partitions.unwrap_or(u32::MAX))
    }

    /// Whether queue `i` is a partitioned queue whose consumers reached its partition
    /// count `most` (and not a smaller limit).
    pub(super) fn at_partition_limit(&self, i: usize, most: u32) -> bool {
        let q = &self.valid.model().queues[i];
        q.partitions == Some(most) && most <= self.options.max_consumers
    }

    /// The fewest consumers (from `floor`, at most [`Search::most`]) for which every
    /// consumer of partitioned queue `i` is below saturation at `load` (arrival rate ×
    /// mean service): the hottest consumer, not the group's average, decides. At most
    /// P − floor + 1 share computations of O(P) each.
    ///
    /// # Errors
    /// [`SizingError::Infeasible`] naming the hottest partition when even one consumer
    /// per partition leaves it at load >= 1 (or the limit comes first).
    fn partitioned_floor(&self, i: usize, floor: u32, load: f64) -> Result<u32, SizingError> {
        let q = &self.valid.model().queues[i];
        let Some(p) = q.partitioning() else {
            return Ok(floor);
        };
        let shares = p.partition_shares();
        let most = self.most(i);
        let mut c = floor.max(1);
        while c <= most {
            let hottest = p
                .consumer_shares(&shares, c)
                .into_iter()
                .fold(0.0, f64::max);
            if hottest * load < 1.0 {
                return Ok(c);
            }
            c += 1;
        }
        let (hot, share) = shares
            .iter()
            .copied()
            .enumerate()
            .fold((0, 0.0), |b, (k, s)| if s > b.1 { (k, s) } else { b });
        let reason = if share * load >= 1.0 {
            format!(
                "its hottest partition {hot} gets {:.2}% of the messages, a load of {:.4} >= 1 even with a consumer of its own: no number of consumers helps; spread the hot keys (a finer key, split the hottest keys), speed up service or lower the rate",
                100.0 * share,
                share * load
            )
        } else {
            format!(
                "some consumer stays at load >= 1 with up to {most} consumers (the most allowed{}); raise the limit, spread the hot keys or add partitions",
                if self.at_partition_limit(i, most) {
                    ": its partition count"
                } else {
                    ""
                }
            )
        };
        Err(SizingError::Infeasible {
            slo: format!("stability of queue {:?}", q.name),
            reason,
        })
    }

    /// Phase 2a, galloping and bisection: every figure the search reads falls (or stays)
    /// as a queue gets more consumers, so the fewest consumers meeting a target is found
    /// in O(log c) solves instead of c.
    /// - One sizable queue: the fewest consumers of it that meet every SLO with an
    ///   analytic figure — the answer the one-at-a-time search gives, exactly.
    /// - Several: for each upper-bound SLO on a sizable queue (or on `*`), the fewest
    ///   consumers of that queue meeting it, the others held; the greedy steps of phase 2b
    ///   go on from there (pruning may still remove consumers that prove unneeded).
    ///
    /// Each search is at most 2⌈log₂ max_consumers⌉ + 2 solves.
    ///
    /// # Errors
    /// [`SizingError::Infeasible`] when even the most consumers allowed do not meet the
    /// SLO; the run is stopped; a solve fails.
    pub(crate) fn gallop(&mut self) -> Result<(), SizingError> {
        let phase = SizingPhase::Search;
        let eval = self.eval(phase, &self.consumers)?;
        if eval.violated.is_empty() {
            return Ok(());
        }
        if let [i] = self.sizable[..] {
            let most = self.most(i);
            let base = self.consumers.clone();
            let found = smallest(base[i], most, |c| {
                let mut trial = base.clone();
                trial[i] = c;
                Ok(Some(self.eval(phase, &trial)?.violated.is_empty()))
            })?;
            return match found {
                Some(c) => {
                    self.consumers[i] = c;
                    Ok(())
                }
                None => {
                    let e = self.eval(phase, &{
                        let mut t = base.clone();
                        t[i] = most.max(base[i]);
                        t
                    })?;
                    let k = e.violated.first().copied().unwrap_or(eval.violated[0]);
                    Err(self.not_by_most(k, i, most))
                }
            };
        }
        let queues = &self.valid.model().queues;
        for k in 0..self.slos.len() {
            let slo = &self.slos[k];
            let local = matches!(
                slo.metric,
                Metric::Utilisation
                    | Metric::MeanNumber
                    | Metric::MeanQueueLength
                    | Metric::MeanSojourn
                    | Metric::MeanWait
                    | Metric::SojournPercentile(_)
                    | Metric::WaitPercentile(_)
                    | Metric::WaitProbability
                    | Metric::Blocking
                    | Metric::Expired
            );
            if !local
                || !slo.upper_bound()
                || !matches!(slo.target, Target::Queue(_) | Target::AllQueues)
            {
                continue;
            }
            for i in self.sizable.clone() {
                if !slo.target.covers_queue(&queues[i].name) {
                    continue;
                }
                let holds = |e: &Evaluation| e.queue_values[k][i].map(|v| slo.holds(v));
                let now = self.eval(phase, &self.consumers)?;
                if holds(&now) != Some(false) {
                    continue;
                }
                let most = self.most(i);
                let base = self.consumers.clone();
                let found = smallest(base[i], most, |c| {
                    let mut trial = base.clone();
                    trial[i] = c;
                    Ok(holds(self.eval(phase, &trial)?.as_ref()))
                })?;
                match found {
                    Some(c) => self.consumers[i] = c,
                    None if holds(
                        self.eval(phase, &{
                            let mut t = base.clone();
                            t[i] = most.max(base[i]);
                            t
                        })?
                        .as_ref(),
                    ) == Some(false) =>
                    {
                        return Err(self.not_by_most(k, i, most));
                    }
                    // No figure on the way: left to the greedy steps.
                    None => {}
                }
            }
        }
        Ok(())
    }

    /// The error for SLO `k` still missed with `most` consumers at queue `i`.
    fn not_by_most(&self, k: usize, i: usize, most: u32) -> SizingError {
        let q = &self.valid.model().queues[i];
        let why = if self.at_partition_limit(i, most) {
            "its partition count: a consumer group's consumers beyond it stay idle, so add partitions to go further"
        } else if most < self.options.max_consumers {
            "its capacity"
        } else {
            "max_consumers"
        };
        SizingError::Infeasible {
            slo: self.slos[k].to_string(),
            reason: format!(
                "still missed with {most} consumers at queue {:?}, the most allowed ({why}); raise the limit, loosen the SLO or change the model",
                q.name
            ),
        }
    }

    /// Phase 2b, greedy marginal gain: while an SLO is violated analytically, add the
    /// consumer that buys the largest reduction of the total relative shortfall per unit
    /// of `cost_per_consumer` (ties to the first sizable queue in model order).
    ///
    /// A queue is not solved when it cannot beat the best gain found so far in this step:
    /// its gain is at most `shortfall / cost` (shortfalls are ≥ 0), so the answer is the
    /// same as solving every queue. At most [`MAX_GREEDY_STEPS`] steps.
    ///
    /// # Errors
    /// [`SizingError::Infeasible`] when no sizable queue reduces the shortfall (service
    /// time alone exceeds the limit, or every queue is at `max_consumers`);
    /// [`SizingError::Stopped`] past the step or time limit; a solve fails.
    pub(crate) fn greedy(&mut self) -> Result<(), SizingError> {
        let mut eval = self.eval(SizingPhase::Search, &self.consumers)?;
        let mut steps = 0u32;
        while !eval.violated.is_empty() {
            steps += 1;
            if steps > MAX_GREEDY_STEPS {
                return Err(SizingError::Stopped {
                    reason: StopReason::StepLimit { steps: steps - 1 },
                    phase: SizingPhase::Search,
                    consumers: self.consumers.clone(),
                });
            }
            let Some((i, e)) = self.best_step(&eval)? else {
                let k = eval.violated[0];
                return Err(SizingError::Infeasible {
                    slo: self.slos[k].to_string(),
                    reason: "adding consumers to any sizable queue does not bring it closer (service time, redelivery or dead-lettering alone exceed it, or the consumer limit is reached: max_consumers, a capacity, or a partitioned queue's partition count, beyond which consumers stay idle)".into(),
                });
            };
            self.consumers[i] += 1;
            eval = e;
        }
        self.unknown.clone_from(&eval.unknown);
        Ok(())
    }

    /// One greedy step from the current deployment (evaluated as `eval`): the sizable
    /// queue whose extra consumer reduces the total shortfall most per unit of cost, with
    /// the evaluation of that deployment; `None` when no queue gains more than 10⁻¹⁵.
    /// Queues at `max_consumers` are skipped; a queue whose bound `shortfall / cost`
    /// cannot beat the best gain so far is not solved (only checked to be valid).
    ///
    /// # Errors
    /// A trial deployment is invalid or its solve fails.
    pub(crate) fn best_step(
        &self,
        eval: &Evaluation,
    ) -> Result<Option<(usize, Rc<Evaluation>)>, SizingError> {
        let mut best: Option<(f64, usize, Rc<Evaluation>)> = None;
        for &i in &self.sizable {
            if self.consumers[i] >= self.most(i) {
                continue;
            }
            let mut trial = self.consumers.clone();
            trial[i] += 1;
            let cost = self.valid.model().queues[i].cost_per_consumer;
            if let Some((g, _, _)) = &best
                && cost > 0.0
                && eval.shortfall / cost <= *g
            {
                // Cannot win; still check the deployment is valid, as solving it would.
                self.evals.model(&trial)?;
                continue;
            }
            let e = self.eval(SizingPhase::Search, &trial)?;
            let gain = (eval.shortfall - e.shortfall) / cost;
            if gain > MIN_GAIN && best.as_ref().is_none_or(|(g, _, _)| gain > *g) {
                best = Some((gain, i, e));
            }
        }
        Ok(best.map(|(_, i, e)| (i, e)))
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
                let e = self.eval(SizingPhase::Prune, &trial)?;
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

/// The smallest `c` in `(lo, most]` with `pred(c)`, given `pred` fails at `lo` and
/// holds from some point on (a monotone predicate): galloping up (`lo + 1`, `lo + 2`,
/// `lo + 4`, ...) to the first count where it holds, then bisecting back. `None` when it
/// fails at `most`, or `pred` cannot tell (`None`) on the way. At most
/// 2⌈log₂(most − lo)⌉ + 2 calls.
///
/// # Errors
/// Whatever `pred` returns.
pub(crate) fn smallest(
    lo: u32,
    most: u32,
    mut pred: impl FnMut(u32) -> Result<Option<bool>, SizingError>,
) -> Result<Option<u32>, SizingError> {
    let (mut lo, mut step) = (lo, 1u32);
    let mut hi = loop {
        if lo >= most {
            return Ok(None);
        }
        let c = lo.saturating_add(step).min(most);
        match pred(c)? {
            Some(true) => break c,
            Some(false) => lo = c,
            None => return Ok(None),
        }
        step = step.saturating_mul(2);
    };
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        match pred(mid)? {
            Some(true) => hi = mid,
            Some(false) => lo = mid,
            None => return Ok(None),
        }
    }
    Ok(Some(hi))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ArrivalProcess, Distribution, Model, Queue, Source};

    /// Erlang C by direct summation of a^k / k! (small c only), independent of the
    /// library's recursion.
    fn erlang_c(c: u32, a: f64) -> f64 {
        let mut term = 1.0;
        let mut sum = 0.0;
        for k in 0..c {
            if k > 0 {
                term *= a / f64::from(k);
            }
            sum += term;
        }
        let top = term * a / f64::from(c) * (f64::from(c) / (f64::from(c) - a));
        top / (sum + top)
    }

    /// Relative shortfall of `value` against `< limit`, as documented on `Slo::shortfall`.
    fn shortfall(value: f64, limit: f64) -> f64 {
        if value < limit {
            0.0
        } else {
            (value - limit) / limit + 1e-9
        }
    }

    /// Independent M/M/c queues `(name, λ, μ, cost)`, each fed by its own source.
    fn model(queues: &[(&str, f64, f64, f64)]) -> Model {
        let mut m = Model::default();
        for &(name, lambda, mu, cost) in queues {
            let mut q = Queue::new(name, 1, Distribution::Exponential { mean: 1.0 / mu });
            q.cost_per_consumer = cost;
            m = m
                .with_source(Source::new(
                    format!("to-{name}"),
                    ArrivalProcess::Poisson { rate: lambda },
                    name,
                ))
                .with_queue(q);
        }
        m
    }

    /// Runs `phases` on a search of `m` against `slos` and returns the consumers.
    fn run(
        m: Model,
        slos: &[&str],
        phases: impl FnOnce(&mut Search<'_>) -> Result<(), SizingError>,
    ) -> Vec<u32> {
        let slos: Vec<Slo> = slos.iter().map(|s| s.parse().unwrap()).collect();
        let valid = m.validate().unwrap().with_slos(&slos).unwrap();
        let all = valid.model().slo.clone();
        let options = SizingOptions {
            verify: false,
            ..SizingOptions::default()
        };
        let mut search = Search::new(&valid, &all, &options, &|_| Control::Continue, &|m, s| {
            crate::sim::simulate(m, s)
        })
        .unwrap();
        phases(&mut search).unwrap();
        search.consumers
    }

    #[test]
    fn floors_keep_every_queue_stable() {
        // Offered loads a = λ/μ: 2.5 → 3 consumers; exactly 4 → 5 (ρ = 1 is unstable);
        // 0.2 → 1.
        let m = model(&[
            ("a", 25.0, 10.0, 1.0),
            ("b", 8.0, 2.0, 1.0),
            ("c", 1.0, 5.0, 1.0),
        ]);
        let c = run(m, &["*.utilisation < 1"], |s| s.floors());
        assert_eq!(c, vec![3, 4 + 1, 1]);
    }

    #[test]
    fn floors_count_redeliveries_and_ignore_finite_buffers() {
        // Each message is delivered 1 + 0.5 = 1.5 times on average: a = 2.5 · 1.5 = 3.75.
        let mut m = model(&[("a", 25.0, 10.0, 1.0), ("b", 25.0, 10.0, 1.0)]);
        m.queues[0].failure_probability = 0.5;
        m.queues[0].max_attempts = 2;
        // A finite buffer is stable at any load: its floor is one consumer.
        m.queues[1].capacity = Some(20);
        let c = run(m, &["*.utilisation < 1"], |s| s.floors());
        assert_eq!(c, vec![4, 1]);
    }

    #[test]
    fn floors_meet_consumers_slos() {
        // a needs 3 for stability; `>= 5` lifts it to 5, `> 5` to 6 on b, and a
        // fractional `>= 6.2` rounds up to 7 on c.
        let m = model(&[
            ("a", 25.0, 10.0, 1.0),
            ("b", 1.0, 10.0, 1.0),
            ("c", 1.0, 10.0, 1.0),
        ]);
        let c = run(
            m,
            &["a.consumers >= 5", "b.consumers > 5", "c.consumers >= 6.2"],
            |s| s.floors(),
        );
        assert_eq!(c, vec![5, 6, 7]);
    }

    #[test]
    fn floors_above_the_consumer_limit_are_infeasible() {
        let m = model(&[("a", 250.0, 1.0, 1.0)]);
        let slos: Vec<Slo> = vec!["a.utilisation < 0.9".parse().unwrap()];
        let valid = m.validate().unwrap().with_slos(&slos).unwrap();
        let all = valid.model().slo.clone();
        let options = SizingOptions {
            max_consumers: 100,
            ..SizingOptions::default()
        };
        let mut search = Search::new(&valid, &all, &options, &|_| Control::Continue, &|m, s| {
            crate::sim::simulate(m, s)
        })
        .unwrap();
        let e = search.floors().unwrap_err();
        assert!(matches!(e, SizingError::Infeasible { .. }), "{e}");
    }

    /// Two independent M/M/c queues with P(wait) SLOs; the first greedy step must take
    /// the queue with the larger Erlang C reduction per unit of cost.
    fn first_step(cost_a: f64, cost_b: f64) -> (usize, usize) {
        let (la, lb, limit) = (9.0, 18.0, 0.1);
        let m = model(&[("a", la, 1.0, cost_a), ("b", lb, 1.0, cost_b)]);
        let slos = [
            format!("a.P(wait) < {limit}"),
            format!("b.P(wait) < {limit}"),
        ];
        let slos: Vec<&str> = slos.iter().map(String::as_str).collect();
        let mut chosen = None;
        let c = run(m, &slos, |s| {
            s.floors()?;
            let eval = s.evals.at(&s.consumers)?;
            chosen = s.best_step(&eval)?.map(|(i, _)| i);
            Ok(())
        });
        // Floors: 10 and 19. Gains by hand.
        assert_eq!(c, vec![10, 19]);
        let gain = |lambda: f64, c: u32, cost: f64| {
            (shortfall(erlang_c(c, lambda), limit) - shortfall(erlang_c(c + 1, lambda), limit))
                / cost
        };
        let (ga, gb) = (gain(la, 10, cost_a), gain(lb, 19, cost_b));
        let expected = if ga >= gb { 0 } else { 1 };
        (chosen.unwrap(), expected)
    }

    #[test]
    fn greedy_takes_the_best_gain_per_unit_cost() {
        // At equal cost, a (C(10, 9) = 0.6687 → C(11, 9) = 0.4305, gain 2.38) gains more
        // than b (C(19, 18) = 0.7498 → C(20, 18) = 0.5508, gain 1.99).
        let (got, expected) = first_step(1.0, 1.0);
        assert_eq!((got, expected), (0, 0));
        // Make a's consumers three times dearer (2.38 / 3 = 0.79 < 1.99): b wins.
        let (got, expected) = first_step(3.0, 1.0);
        assert_eq!((got, expected), (1, 1));
    }

    #[test]
    fn greedy_reaches_the_smallest_erlang_c_deployment() {
        // One queue: the greedy search stops at the smallest c with C(c, a) < 0.05.
        let (lambda, limit) = (30.0, 0.05);
        let c = run(
            model(&[("q", lambda, 1.0, 1.0)]),
            &["q.P(wait) < 0.05"],
            |s| {
                s.floors()?;
                s.greedy()
            },
        );
        let expected = (31..200).find(|&c| erlang_c(c, lambda) < limit).unwrap();
        assert_eq!(c, vec![expected]);
    }

    #[test]
    fn prune_removes_consumers_that_are_not_needed() {
        // λ = 9, μ = 1: utilisation 9/c < 0.8 needs c ≥ 12; b needs 9/c < 0.95, c ≥ 10.
        let m = model(&[("a", 9.0, 1.0, 2.0), ("b", 9.0, 1.0, 1.0)]);
        let c = run(m, &["a.utilisation < 0.8", "b.utilisation < 0.95"], |s| {
            s.floors()?;
            s.consumers = vec![16, 13];
            s.prune()
        });
        assert_eq!(c, vec![12, 10]);
    }

    #[test]
    fn prune_never_goes_below_the_floor() {
        // The utilisation SLO alone would allow 12, the redundancy floor asks for 14.
        let m = model(&[("a", 9.0, 1.0, 1.0)]);
        let c = run(m, &["a.utilisation < 0.8", "a.consumers >= 14"], |s| {
            s.floors()?;
            s.consumers = vec![17];
            s.prune()
        });
        assert_eq!(c, vec![14]);
    }

    #[test]
    fn no_deployment_is_solved_twice() {
        let m = model(&[("a", 9.0, 1.0, 1.0)]);
        let slos: Vec<Slo> = vec!["a.utilisation < 0.8".parse().unwrap()];
        let valid = m.validate().unwrap().with_slos(&slos).unwrap();
        let all = valid.model().slo.clone();
        let options = SizingOptions::default();
        let search = Search::new(&valid, &all, &options, &|_| Control::Continue, &|m, s| {
            crate::sim::simulate(m, s)
        })
        .unwrap();
        let first = search.evals.at(&[12]).unwrap();
        let again = search.evals.at(&[12]).unwrap();
        assert!(Rc::ptr_eq(&first, &again));
        assert_eq!(search.evals.solves(), 1);
        // 9/12 = 0.75 meets it; 9/11 = 0.818 does not.
        assert!(first.violated.is_empty());
        assert_eq!(search.evals.at(&[11]).unwrap().violated, vec![0]);
        // The load multiplier is part of the key: 1 is the unscaled deployment.
        search.evals.scaled(&[12], 1.0).unwrap();
        assert_eq!(search.evals.solves(), 2);
        let busier = search.evals.scaled(&[12], 1.1).unwrap();
        assert!((busier.utilisation[0] - 9.9 / 12.0).abs() < 1e-12);
        assert_eq!(search.evals.solves(), 3);
    }
}
