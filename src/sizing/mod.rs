//! Sizing: the smallest (or cheapest) deployment that meets every SLO, with evidence.
//!
//! [`size`] works in three steps:
//! 1. **Analytic search.** Every sizable queue starts at the fewest consumers that keep
//!    it stable (and at least its `consumers >=` floor). While an SLO is missed, the
//!    consumer is added where it buys the largest reduction of the total relative
//!    shortfall per unit of `cost_per_consumer` (greedy marginal gain; adding a consumer
//!    never makes a figure worse, so the search only moves up). A pruning pass then
//!    removes any consumer whose removal keeps every SLO met, most expensive first.
//! 2. **Verification by simulation.** The deployment is simulated with the model's run
//!    settings. An SLO is *met* when its whole confidence interval is on the right side
//!    of the limit, *violated* when it is wholly on the wrong side, otherwise
//!    *undecided* and the replications are doubled (up to `max_replications`): a
//!    confidence-interval stopping rule. When the simulation shows an SLO violated the
//!    result says so, adds a consumer at the queue behind it, and verifies again.
//! 3. **Headroom.** The largest multiplier of every source's rate for which the chosen
//!    deployment still meets the SLOs (analytic, bisection), and the SLO and queue that
//!    break first.
//!
//! Time-varying profiles are sized at their peak rate (the pointwise stationary
//! approximation, labelled) and verified by simulating the peak rate held steady — the
//! worst point of the day, conservatively for peaks shorter than the queue's relaxation
//! time; `kendall simulate --plot` shows the real profile over time. Queues with
//! a start-up backlog get a drain-time estimate (fluid: backlog / spare capacity) and
//! the simulated drain time.

mod evaluate;

use crate::analytic::{
    ModelSolution, NodeResult, SolveError, arrival_rates, deliveries_per_message, solve,
};
use crate::model::{Metric, Model, ModelError, Op, RunSettings, Slo, Target, ValidModel};
use crate::sim::{Estimate, SimError, simulate};
pub use evaluate::Verdict;
use evaluate::{analytic_value, simulated_value, verdict};
use serde::{Deserialize, Serialize};

/// Knobs of [`size`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SizingOptions {
    /// Queues whose consumers may change; empty = every queue.
    pub sizable: Vec<String>,
    /// Upper bound on the consumers of one queue. Default 100 000.
    pub max_consumers: u32,
    /// Verify the analytic answer by simulation. Default true.
    pub verify: bool,
    /// Most replications the stopping rule may reach. Default 160.
    pub max_replications: u32,
    /// Most verification rounds (each may add a consumer). Default 8.
    pub max_rounds: u32,
}

impl Default for SizingOptions {
    fn default() -> Self {
        Self {
            sizable: vec![],
            max_consumers: 100_000,
            verify: true,
            max_replications: 160,
            max_rounds: 8,
        }
    }
}

/// Consumers chosen for one queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Consumers {
    /// The queue.
    pub queue: String,
    /// Consumers in the scenario as given.
    pub given: u32,
    /// Consumers chosen.
    pub chosen: u32,
    /// Cost of one consumer.
    pub cost_per_consumer: f64,
}

/// One SLO with the figures that show whether it is met.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SloEvidence {
    /// The objective.
    pub slo: Slo,
    /// The worst analytic value over its targets.
    pub analytic: Option<f64>,
    /// The method behind it.
    pub analytic_method: Option<String>,
    /// The worst simulated value with its confidence interval.
    pub simulated: Option<Estimate>,
    /// Which target that worst value belongs to.
    pub simulated_target: Option<String>,
    /// The simulation's verdict.
    pub verdict: Verdict,
}

/// The largest load multiplier that still meets every SLO.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Headroom {
    /// Largest multiplier of every source's rate meeting every SLO (analytic).
    pub multiplier: f64,
    /// The SLO that breaks first beyond it.
    pub breaking_slo: Option<String>,
    /// The queue behind it (the most utilised one on its target).
    pub bottleneck: Option<String>,
}

/// Draining a start-up backlog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Drain {
    /// The queue.
    pub queue: String,
    /// Messages waiting at the start.
    pub backlog: u64,
    /// Fluid estimate: backlog / (c μ − λ), seconds; `None` if the queue cannot drain.
    pub fluid_estimate: Option<f64>,
    /// Simulated time until the last backlog message was done.
    pub simulated: Option<Estimate>,
}

/// One point of the consumers-against-latency curve of a sizing run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CurvePoint {
    /// Consumers at the curve's queue.
    pub consumers: u32,
    /// Analytic value of the primary SLO's metric.
    pub analytic: Option<f64>,
    /// Simulated value with its interval, where simulated.
    pub simulated: Option<Estimate>,
}

/// The answer of [`size`], with its evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SizingResult {
    /// Model name.
    pub model: Option<String>,
    /// FNV-1a hash of the scenario as JSON (identifies exactly what was sized).
    pub model_hash: String,
    /// The deployment.
    pub deployment: Vec<Consumers>,
    /// Total cost of the chosen consumers.
    pub total_cost: f64,
    /// Every SLO with its figures.
    pub slos: Vec<SloEvidence>,
    /// Whether every SLO is met: analytically, and by simulation when verified.
    pub all_met: bool,
    /// Master seed of the verification.
    pub seed: u64,
    /// Replications of the final verification (0 when not verified).
    pub replications: u32,
    /// Confidence level of the intervals.
    pub confidence: f64,
    /// What happened on the way: disagreements, added consumers, approximations used.
    pub notes: Vec<String>,
    /// Headroom of the chosen deployment.
    pub headroom: Option<Headroom>,
    /// Start-up backlogs.
    pub drains: Vec<Drain>,
    /// The queue the curve varies, and the SLO it plots.
    pub curve_queue: Option<String>,
    /// Primary latency SLO of the curve.
    pub curve_slo: Option<Slo>,
    /// Consumers against the primary SLO's value at `curve_queue`.
    pub curve: Vec<CurvePoint>,
}

/// Why sizing failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SizingError {
    /// No SLO was given.
    #[error(
        "no SLO to size for: add `slo = [\"end_to_end.p99 < 200ms\"]` to the scenario or pass --slo"
    )]
    NoSlo,
    /// An SLO names an unknown queue or source, or the model is invalid.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// The analytic side failed for the whole model.
    #[error(transparent)]
    Solve(#[from] SolveError),
    /// The simulation failed.
    #[error(transparent)]
    Sim(#[from] SimError),
    /// Adding consumers cannot meet an SLO.
    #[error("cannot meet {slo}: {reason}")]
    Infeasible {
        /// The SLO.
        slo: String,
        /// Why.
        reason: String,
    },
    /// A queue named in `sizable` does not exist.
    #[error("unknown queue {0:?} in the list of sizable queues")]
    UnknownQueue(String),
}

/// FNV-1a 64-bit hash of a string, as 16 hex digits.
fn fnv1a(text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// The model the analytic search evaluates: time-varying profiles replaced by Poisson
/// arrivals at their peak rate (pointwise stationary approximation at the worst point).
fn analytic_view(model: &ValidModel) -> (ValidModel, bool) {
    model.at_peak_rate()
}

struct Evaluation {
    shortfall: f64,
    unknown: Vec<usize>,
    violated: Vec<usize>,
}

fn evaluate(model: &ValidModel, slos: &[Slo]) -> Result<Evaluation, SizingError> {
    let solution = solve(model)?;
    let mut shortfall = 0.0;
    let mut unknown = vec![];
    let mut violated = vec![];
    for (k, slo) in slos.iter().enumerate() {
        match analytic_value(&solution, slo) {
            Some((v, _)) => {
                let s = if v.is_finite() { slo.shortfall(v) } else { 1e6 };
                if s > 0.0 {
                    violated.push(k);
                }
                shortfall += s.min(1e6);
            }
            None => unknown.push(k),
        }
    }
    Ok(Evaluation {
        shortfall,
        unknown,
        violated,
    })
}

/// Finds the smallest (cheapest) consumers per queue meeting every SLO in `slos` (plus
/// the model's own `slo` list), verifies it by simulation, and measures its headroom.
///
/// # Errors
/// [`SizingError`]: no SLO, unknown names, an SLO no number of consumers can meet, or
/// an engine failure.
///
/// # Example
/// ```
/// use kendall::model::{ArrivalProcess, Distribution, Model, Queue, Source};
/// use kendall::{size, SizingOptions};
/// let m = Model::default()
///     .with_source(Source::new("in", ArrivalProcess::Poisson { rate: 90.0 }, "q"))
///     .with_queue(Queue::new("q", 1, Distribution::Exponential { mean: 0.1 }))
///     .validate()
///     .unwrap();
/// let slos = vec!["q.utilisation < 0.8".parse().unwrap()];
/// let r = size(&m, &slos, &SizingOptions { verify: false, ..Default::default() }).unwrap();
/// // 90/s at 10/s per consumer: 12 consumers give 0.75, 11 give 0.818.
/// assert_eq!(r.deployment[0].chosen, 12);
/// ```
pub fn size(
    valid: &ValidModel,
    slos: &[Slo],
    options: &SizingOptions,
) -> Result<SizingResult, SizingError> {
    let valid = valid.with_slos(slos)?;
    let model = valid.model();
    let all_slos: Vec<Slo> = model.slo.clone();
    if all_slos.is_empty() {
        return Err(SizingError::NoSlo);
    }
    for name in &options.sizable {
        if model.queue(name).is_none() {
            return Err(SizingError::UnknownQueue(name.clone()));
        }
    }
    let sizable: Vec<usize> = (0..model.queues.len())
        .filter(|&i| options.sizable.is_empty() || options.sizable.contains(&model.queues[i].name))
        .collect();
    let mut notes = Vec::new();
    let (mut view, psa) = analytic_view(&valid);
    if psa {
        notes.push("time-varying profiles sized at their peak rate (pointwise stationary approximation), and verified by simulating that peak rate held steady: the worst point of the day, conservatively".into());
    }

    // Floors: stability and `consumers >=` SLOs.
    let rates = arrival_rates(&view).map_err(SolveError::from)?;
    let mut floor = vec![1u32; model.queues.len()];
    for &i in &sizable {
        let q = &view.model().queues[i];
        let load = rates[i]
            * deliveries_per_message(q.failure_probability, q.max_attempts)
            * q.service.mean();
        let stable = if q.capacity.is_some() {
            1
        } else {
            (load.floor() as u32).saturating_add(1)
        };
        floor[i] = stable.max(1);
        for slo in &all_slos {
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
                floor[i] = floor[i].max(min.max(1.0) as u32);
            }
        }
        if floor[i] > options.max_consumers {
            return Err(SizingError::Infeasible {
                slo: format!("stability of queue {:?}", q.name),
                reason: format!(
                    "it needs {} consumers, above the limit {}",
                    floor[i], options.max_consumers
                ),
            });
        }
        view = view.with_servers(i, floor[i])?;
    }

    // Greedy marginal gain.
    let mut eval = evaluate(&view, &all_slos)?;
    let mut steps = 0u32;
    while !eval.violated.is_empty() {
        steps += 1;
        if steps > 100_000 {
            break;
        }
        let mut best: Option<(f64, usize, Evaluation)> = None;
        for &i in &sizable {
            let q = &view.model().queues[i];
            if q.servers >= options.max_consumers {
                continue;
            }
            let trial = view.with_servers(i, q.servers + 1)?;
            let e = evaluate(&trial, &all_slos)?;
            let gain = (eval.shortfall - e.shortfall) / q.cost_per_consumer;
            if gain > 1e-15 && best.as_ref().is_none_or(|(g, _, _)| gain > *g) {
                best = Some((gain, i, e));
            }
        }
        match best {
            Some((_, i, e)) => {
                view = view.with_servers(i, view.model().queues[i].servers + 1)?;
                eval = e;
            }
            None => {
                let k = eval.violated[0];
                return Err(SizingError::Infeasible {
                    slo: all_slos[k].to_string(),
                    reason: "adding consumers to any sizable queue does not bring it closer (service time, redelivery or dead-lettering alone exceed it, or the consumer limit is reached)".into(),
                });
            }
        }
    }
    // Prune: most expensive first.
    let mut order = sizable.clone();
    let cost = |i: usize| view.model().queues[i].cost_per_consumer;
    order.sort_by(|a, b| cost(*b).total_cmp(&cost(*a)));
    for &i in &order {
        while view.model().queues[i].servers > floor[i] {
            let trial = view.with_servers(i, view.model().queues[i].servers - 1)?;
            let e = evaluate(&trial, &all_slos)?;
            if e.violated.is_empty() {
                view = trial;
                eval = e;
            } else {
                break;
            }
        }
    }
    for &k in &eval.unknown {
        notes.push(format!(
            "{}: no analytic figure for this model; decided by simulation only",
            all_slos[k]
        ));
    }

    // The deployment on the real model.
    let mut chosen = valid.clone();
    for (i, v) in view.model().queues.iter().enumerate() {
        chosen = chosen.with_servers(i, v.servers)?;
    }
    let mut settings = model.simulation.clone();
    let mut sim_report = None;
    if options.verify {
        let mut reps = settings.replications.max(5);
        let mut rounds = 0;
        loop {
            settings.replications = reps;
            // With a time-varying profile, the worst point of the day is checked by
            // simulating its peak rate held steady (conservative for short peaks).
            let report = simulate(
                &if psa {
                    analytic_view(&chosen).0
                } else {
                    chosen.clone()
                },
                &settings,
            )?;
            let verdicts: Vec<(Verdict, Option<(Estimate, String)>)> = all_slos
                .iter()
                .map(|s| {
                    let v = simulated_value(&report, s);
                    (verdict(s, v.as_ref().map(|x| &x.0)), v)
                })
                .collect();
            let violated = verdicts.iter().position(|(v, _)| *v == Verdict::Violated);
            if let Some(k) = violated {
                rounds += 1;
                let slo = &all_slos[k];
                let est = verdicts[k].1.as_ref().map(|x| x.0);
                let target = bottleneck(chosen.model(), &report, slo, &sizable);
                let Some(i) = target else {
                    notes.push(format!(
                        "simulation shows {slo} violated and no sizable queue can be grown"
                    ));
                    sim_report = Some(report);
                    break;
                };
                let show = |e: Option<Estimate>| {
                    e.map_or("-".into(), |e| {
                        format!(
                            "{:.6} [{:.6}, {:.6}]",
                            e.mean,
                            e.lower.unwrap_or(e.mean),
                            e.upper.unwrap_or(e.mean)
                        )
                    })
                };
                if eval.unknown.contains(&k) {
                    // No analytic figure: search this queue by simulation alone, galloping
                    // up from the analytic floor, then bisecting back to the smallest
                    // count the simulation does not show violated.
                    let passes = |c: u32| -> Result<bool, SizingError> {
                        let m = if psa {
                            analytic_view(&chosen).0
                        } else {
                            chosen.clone()
                        }
                        .with_servers(i, c)?;
                        let r = simulate(&m, &settings)?;
                        let v = simulated_value(&r, slo);
                        Ok(verdict(slo, v.as_ref().map(|x| &x.0)) != Verdict::Violated)
                    };
                    let mut lo = chosen.model().queues[i].servers;
                    let mut step = 1;
                    let mut hi = lo + step;
                    let mut probes = 0;
                    while hi <= options.max_consumers && !passes(hi)? {
                        lo = hi;
                        step *= 2;
                        hi = (lo + step).min(options.max_consumers);
                        probes += 1;
                        if probes > 20 || lo == options.max_consumers {
                            break;
                        }
                    }
                    while hi - lo > 1 {
                        let mid = lo + (hi - lo) / 2;
                        if passes(mid)? { hi = mid } else { lo = mid }
                    }
                    notes.push(format!(
                        "{slo} has no analytic figure here: sized {:?} by simulation alone ({} consumers: simulated {} before)",
                        chosen.model().queues[i].name,
                        hi,
                        show(est)
                    ));
                    chosen = chosen.with_servers(i, hi.min(options.max_consumers))?;
                    continue;
                }
                notes.push(format!(
                    "simulation disagrees on {slo}: simulated {} (analytic {}); adding a consumer to {:?}",
                    show(est),
                    analytic_value(&solve(&chosen)?, slo).map_or("-".into(), |v| format!("{:.6}", v.0)),
                    chosen.model().queues[i].name
                ));
                let servers = chosen.model().queues[i].servers;
                if rounds > options.max_rounds || servers >= options.max_consumers {
                    notes.push("stopped adding consumers: verification round limit reached".into());
                    sim_report = Some(report);
                    break;
                }
                chosen = chosen.with_servers(i, servers + 1)?;
                continue;
            }
            let undecided = verdicts.iter().any(|(v, _)| *v == Verdict::Undecided);
            if undecided && reps < options.max_replications {
                reps = (reps * 2).min(options.max_replications);
                continue;
            }
            if undecided {
                notes.push(format!("some SLOs are within the confidence interval of their limit even at {reps} replications: undecided"));
            }
            sim_report = Some(report);
            break;
        }
    }

    let final_solution = solve(&analytic_view(&chosen).0)?;
    let slos_evidence: Vec<SloEvidence> = all_slos
        .iter()
        .map(|s| {
            let a = analytic_value(&final_solution, s);
            let sim = sim_report.as_ref().and_then(|r| simulated_value(r, s));
            SloEvidence {
                slo: s.clone(),
                analytic: a.as_ref().map(|x| x.0),
                analytic_method: a.map(|x| {
                    if psa {
                        format!("pointwise stationary approximation at the peak rate [approximation]; {}", x.1)
                    } else {
                        x.1
                    }
                }),
                simulated: sim.as_ref().map(|x| x.0),
                simulated_target: sim.as_ref().map(|x| x.1.clone()),
                verdict: verdict(s, sim.as_ref().map(|x| &x.0)),
            }
        })
        .collect();
    let all_met = slos_evidence.iter().all(|e| {
        let analytic_ok = e.analytic.is_none_or(|v| e.slo.holds(v));
        let sim_ok = matches!(
            e.verdict,
            Verdict::Met | Verdict::Undecided | Verdict::NotSimulated
        );
        analytic_ok && sim_ok
    });
    let deployment: Vec<Consumers> = model
        .queues
        .iter()
        .zip(&chosen.model().queues)
        .map(|(given, c)| Consumers {
            queue: c.name.clone(),
            given: given.servers,
            chosen: c.servers,
            cost_per_consumer: c.cost_per_consumer,
        })
        .collect();
    let total_cost = deployment
        .iter()
        .map(|d| f64::from(d.chosen) * d.cost_per_consumer)
        .sum();
    let headroom = headroom(&analytic_view(&chosen).0, &all_slos, &sizable);
    let drains = drains(chosen.model(), &final_solution, sim_report.as_ref());
    let (curve_queue, curve_slo, curve) = curve(
        &chosen,
        &all_slos,
        &sizable,
        &floor,
        &settings,
        options.verify,
    )?;
    Ok(SizingResult {
        model: model.name.clone(),
        model_hash: fnv1a(&serde_json::to_string(model).unwrap_or_default()),
        deployment,
        total_cost,
        slos: slos_evidence,
        all_met,
        seed: settings.seed,
        replications: if options.verify {
            settings.replications
        } else {
            0
        },
        confidence: settings.confidence,
        notes,
        headroom,
        drains,
        curve_queue,
        curve_slo,
        curve,
    })
}

/// The sizable queue behind a violated SLO: the queue itself, or for end-to-end and
/// all-queue SLOs the most utilised sizable queue in the simulation.
fn bottleneck(
    model: &Model,
    report: &crate::sim::SimReport,
    slo: &Slo,
    sizable: &[usize],
) -> Option<usize> {
    if let Target::Queue(name) = &slo.target {
        return sizable
            .iter()
            .copied()
            .find(|&i| &model.queues[i].name == name);
    }
    sizable.iter().copied().max_by(|&a, &b| {
        report.queues[a]
            .utilisation
            .mean
            .total_cmp(&report.queues[b].utilisation.mean)
    })
}

fn all_met(model: &ValidModel, slos: &[Slo]) -> Option<(bool, Option<usize>)> {
    let e = evaluate(model, slos).ok()?;
    if !e.unknown.is_empty() {
        return None;
    }
    Some((e.violated.is_empty(), e.violated.first().copied()))
}

/// Largest load multiplier meeting every SLO, by doubling then bisection.
fn headroom(model: &ValidModel, slos: &[Slo], sizable: &[usize]) -> Option<Headroom> {
    let met = |m: f64| {
        model
            .with_load_multiplier(m)
            .ok()
            .and_then(|mm| all_met(&mm, slos))
    };
    let (ok1, _) = met(1.0)?;
    let (mut lo, mut hi) = if ok1 { (1.0, 2.0) } else { (0.0, 1.0) };
    if ok1 {
        while met(hi)?.0 {
            lo = hi;
            hi *= 2.0;
            if hi > 1e6 {
                return Some(Headroom {
                    multiplier: f64::INFINITY,
                    breaking_slo: None,
                    bottleneck: None,
                });
            }
        }
    }
    for _ in 0..50 {
        let mid = 0.5 * (lo + hi);
        if met(mid)?.0 {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo < 1e-6 * hi {
            break;
        }
    }
    let beyond = model.with_load_multiplier(hi).ok()?;
    let (_, broken) = all_met(&beyond, slos)?;
    let slo = broken.map(|k| &slos[k]);
    let solution = solve(&beyond).ok();
    let bottleneck = slo.and_then(|s| match &s.target {
        Target::Queue(q) => Some(q.clone()),
        _ => solution.as_ref().and_then(|sol| {
            sol.nodes
                .iter()
                .enumerate()
                .filter(|(i, _)| sizable.contains(i))
                .max_by(|a, b| util(a.1).total_cmp(&util(b.1)))
                .map(|(_, n)| n.name.clone())
        }),
    });
    Some(Headroom {
        multiplier: lo,
        breaking_slo: slo.map(ToString::to_string),
        bottleneck,
    })
}

fn util(n: &NodeResult) -> f64 {
    n.unstable_utilisation()
        .or(n.solution().map(|s| s.utilisation))
        .unwrap_or(0.0)
}

fn drains(
    model: &Model,
    sol: &ModelSolution,
    report: Option<&crate::sim::SimReport>,
) -> Vec<Drain> {
    model
        .queues
        .iter()
        .zip(&sol.nodes)
        .filter(|(q, _)| q.initial_backlog > 0)
        .map(|(q, n)| {
            let capacity = f64::from(q.servers)
                / (q.service.mean()
                    * deliveries_per_message(q.failure_probability, q.max_attempts));
            let spare = capacity - n.message_rate;
            Drain {
                queue: q.name.clone(),
                backlog: q.initial_backlog,
                fluid_estimate: (spare > 0.0).then(|| q.initial_backlog as f64 / spare),
                simulated: report.and_then(|r| r.backlog_drained_at),
            }
        })
        .collect()
}

type Curve = (Option<String>, Option<Slo>, Vec<CurvePoint>);

/// Consumers against the primary latency SLO at the queue that matters most for it.
fn curve(
    valid: &ValidModel,
    slos: &[Slo],
    sizable: &[usize],
    floor: &[u32],
    settings: &RunSettings,
    verify: bool,
) -> Result<Curve, SizingError> {
    let Some(slo) = slos.iter().find(|s| s.metric.is_time()) else {
        return Ok((None, None, vec![]));
    };
    let model = valid.model();
    let (view, _) = analytic_view(valid);
    let sol = solve(&view)?;
    let queue = match &slo.target {
        Target::Queue(q) => sizable
            .iter()
            .copied()
            .find(|&i| &model.queues[i].name == q),
        _ => sizable
            .iter()
            .copied()
            .max_by(|&a, &b| util(&sol.nodes[a]).total_cmp(&util(&sol.nodes[b]))),
    };
    let Some(i) = queue else {
        return Ok((None, Some(slo.clone()), vec![]));
    };
    let chosen = model.queues[i].servers;
    let lo = floor[i].max(chosen.saturating_sub(6)).max(1);
    let mut points = Vec::new();
    for c in lo..=chosen + 3 {
        let m = view.with_servers(i, c)?;
        let a = solve(&m)
            .ok()
            .and_then(|s| analytic_value(&s, slo))
            .map(|x| x.0)
            .filter(|v| v.is_finite());
        let simulated = if verify && c + 1 >= chosen && c <= chosen + 1 {
            let real = valid.with_servers(i, c)?;
            simulate(&real, settings)
                .ok()
                .and_then(|r| simulated_value(&r, slo))
                .map(|x| x.0)
        } else {
            None
        };
        points.push(CurvePoint {
            consumers: c,
            analytic: a,
            simulated,
        });
    }
    Ok((
        Some(model.queues[i].name.clone()),
        Some(slo.clone()),
        points,
    ))
}
