//! A model and run settings prepared once for any number of replications: the
//! topology, trace files read, priority classes resolved.

use super::ack_timeout::AckTimeouts;
use super::arena::Arena;
use super::arrivals::{ArrivalGen, read_trace};
use super::calendar::Calendar;
use super::consumer::ConsumerState;
use super::error::SimError;
use super::partition::PartitionState;
use super::queue_state::QueueState;
use super::rebalance::Group;
use super::replication::{DEFAULT_HORIZON, Ev, Replication};
use super::report::Conservation;
use super::retry::{RetryBook, SourceRetry};
use super::seeding::{crash_stream, key_stream, queue_stream, retry_stream, stream_rng};
use super::source_state::SourceState;
use crate::model::{
    ArrivalProcess, Dest, Model, NodeId, OnFull, Problems, RunSettings, Topology, ValidModel,
};
use std::sync::Arc;

/// A model checked and prepared once for any number of replications: the topology,
/// trace files read, priority classes resolved.
pub(crate) struct Prepared<'m> {
    pub(crate) model: &'m Model,
    topology: Topology,
    traces: Vec<Option<Arc<[f64]>>>,
    classes: Vec<u32>,
    age_is_sojourn: Vec<bool>,
    pub(crate) settings: RunSettings,
    /// Every completion takes the general path, even in a plain queue (for testing
    /// that the fast path gives the same results). `false` unless set.
    pub(crate) force_general_path: bool,
    /// The figures beyond the standard ones the model asks for.
    pub(crate) queried: crate::model::QueriedMetrics,
}

impl<'m> Prepared<'m> {
    /// Prepares a validated model with [`Prepared::with_topology`] (no validation
    /// again).
    ///
    /// # Errors
    /// As [`Prepared::with_topology`].
    pub(crate) fn from_valid(
        valid: &'m ValidModel,
        settings: &RunSettings,
    ) -> Result<Self, SimError> {
        if valid.model().sources.is_empty() {
            return Err(SimError::Settings(crate::model::Problems(vec![
                crate::model::Problem::new(
                    "source",
                    "the model has no [[source]]: nothing to simulate (its [[chain]] blocks are solved by `kendall solve`)",
                ),
            ])));
        }
        Self::with_topology(valid.model(), valid.topology().clone(), settings)
    }

    /// Prepares `model`, already validated into `topology` (not validated again), to
    /// run with `settings`.
    ///
    /// # Errors
    /// [`SimError::Settings`] for bad settings, trace-file errors,
    /// [`SimError::BacklogExceedsCapacity`].
    pub(crate) fn with_topology(
        model: &'m Model,
        topology: Topology,
        settings: &RunSettings,
    ) -> Result<Self, SimError> {
        let mut problems = Vec::new();
        settings.check(&mut problems);
        if !problems.is_empty() {
            return Err(SimError::Settings(Problems(problems)));
        }
        super::memory::check(model, settings)?;
        // The span of one replication, for the MMPP phase-change bound: its horizon, or
        // the time the completions take at the sources' long-run rate.
        let total_rate: f64 = model
            .sources
            .iter()
            .filter_map(|s| s.arrival.mean_rate())
            .sum();
        let span = settings.warmup
            + match (settings.horizon, settings.completions) {
                (Some(h), _) => h,
                (None, Some(n)) => {
                    (n + settings.warmup_completions.unwrap_or(0)) as f64 / total_rate
                }
                (None, None) => DEFAULT_HORIZON,
            };
        for s in &model.sources {
            if let Some((switch_rate, mean_rate)) = ArrivalGen::switch_and_arrival_rates(&s.arrival)
                && switch_rate > 0.0
                && (switch_rate * span > super::MAX_PHASE_SWITCHES || span.is_nan())
            {
                return Err(SimError::PhaseSwitching {
                    source_name: s.name.clone(),
                    switches: switch_rate * span,
                    span,
                    limit: super::MAX_PHASE_SWITCHES,
                    mean_rate,
                });
            }
        }
        // Open-loop sources only: a window or a blocking destination can hold a source
        // back, so its rate × span would not be a lower bound on its arrivals.
        let open_loop: Vec<(&str, f64)> = model
            .sources
            .iter()
            .zip(&topology.source_dest)
            .filter(|(s, dest)| {
                s.window.is_none()
                    && !matches!(dest, crate::model::NodeId::Queue(j)
                        if model.queues[*j].on_full == crate::model::OnFull::Block)
            })
            .filter_map(|(s, _)| Some((s.name.as_str(), s.arrival.mean_rate()?)))
            .collect();
        let arrivals = open_loop.iter().map(|(_, r)| r * span).sum::<f64>();
        if arrivals > super::MAX_ARRIVALS
            && let Some((busiest, busiest_rate)) =
                open_loop.iter().max_by(|a, b| a.1.total_cmp(&b.1))
        {
            return Err(SimError::TooManyArrivals {
                arrivals,
                span,
                limit: super::MAX_ARRIVALS,
                busiest: (*busiest).to_string(),
                busiest_rate: *busiest_rate,
            });
        }
        for q in &model.queues {
            if let Some(k) = q.capacity
                && q.initial_backlog > k
            {
                return Err(SimError::BacklogExceedsCapacity {
                    queue: q.name.clone(),
                    backlog: q.initial_backlog,
                    capacity: k,
                });
            }
        }
        let traces = model
            .sources
            .iter()
            .map(|s| match &s.arrival {
                ArrivalProcess::Trace { file } => read_trace(file).map(Some),
                _ => Ok(None),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut prios: Vec<u32> = model.sources.iter().map(|s| s.priority).collect();
        prios.push(1);
        prios.sort_unstable();
        prios.dedup();
        let classes = model
            .sources
            .iter()
            .map(|s| prios.binary_search(&s.priority).unwrap_or(0) as u32)
            .collect();
        let mut fed_by_queue = vec![false; model.queues.len()];
        let mut mark = |d: Dest| match d {
            Dest::Node(NodeId::Queue(k)) => fed_by_queue[k] = true,
            Dest::Node(NodeId::Topic(t)) => {
                topology.subscribers[t]
                    .iter()
                    .for_each(|k| fed_by_queue[*k] = true);
            }
            Dest::Exit => {}
        };
        for j in 0..model.queues.len() {
            topology.routes[j].iter().for_each(|(_, d)| mark(*d));
            mark(topology.dead_letter[j]);
        }
        let age_is_sojourn = model
            .queues
            .iter()
            .zip(&fed_by_queue)
            .map(|(q, fed)| !fed && q.on_full != OnFull::Block)
            .collect();
        Ok(Self {
            model,
            topology,
            traces,
            classes,
            age_is_sojourn,
            settings: settings.clone(),
            force_general_path: false,
            queried: model.queried_metrics(),
        })
    }

    fn class_count(&self) -> usize {
        self.classes
            .iter()
            .map(|c| *c as usize + 1)
            .max()
            .unwrap_or(1)
    }

    /// What the stationarity checks need to know of the model.
    pub(crate) fn facts(&self) -> super::warning::Facts {
        super::warning::Facts::new(self.model, &self.topology)
    }

    pub(crate) fn servers(&self) -> Vec<u32> {
        self.model.queues.iter().map(|q| q.servers).collect()
    }

    /// Builds replication `replication`, ready to run.
    pub(crate) fn replication(&self, replication: u32) -> Result<Replication, SimError> {
        let model = self.model;
        let st = &self.settings;
        let nclass = self.class_count();
        let mut queues = Vec::with_capacity(model.queues.len());
        for (j, q) in model.queues.iter().enumerate() {
            let mut state = QueueState::new(
                q,
                j,
                &self.topology,
                nclass,
                self.age_is_sojourn[j],
                stream_rng(st.seed, replication, queue_stream(j)),
            )?;
            state.plain &= !self.force_general_path;
            if let Some(p) = q.partitioning() {
                let mut part = PartitionState::new(
                    &p,
                    q.servers,
                    stream_rng(st.seed, replication, key_stream(j)),
                );
                if let Some(c) = &q.crash {
                    part = part.with_group(Group::new(
                        p.clone(),
                        q.servers,
                        (c.time_to_failure.sampler()?, c.restart.sampler()?),
                        stream_rng(st.seed, replication, crash_stream(j)),
                        q.rebalance.unwrap_or(0.0),
                        q.commit_interval,
                    ));
                }
                state.part = Some(Box::new(part));
            }
            if q.has_consumer_model() && q.partitions.is_none() {
                let crash = match &q.crash {
                    Some(c) => Some((c.time_to_failure.sampler()?, c.restart.sampler()?)),
                    None => None,
                };
                let mut cons = ConsumerState::new(
                    q.servers,
                    q.prefetch_window(),
                    crash,
                    stream_rng(st.seed, replication, crash_stream(j)),
                );
                cons.timeout = q
                    .ack_timeout
                    .map(|tau| Box::new(AckTimeouts::new(q.servers, q.prefetch_window(), tau)));
                state.cons = Some(Box::new(cons));
            }
            if st.time_series.is_some() {
                state.window_h = Some(Box::default());
            }
            queues.push(state);
        }
        let mut sources = Vec::with_capacity(model.sources.len());
        for (i, s) in model.sources.iter().enumerate() {
            sources.push(SourceState::new(
                &s.name,
                ArrivalGen::new(&s.arrival, self.traces[i].clone())?,
                stream_rng(st.seed, replication, i as u64),
                self.topology.source_dest[i],
                self.classes[i],
                s.window,
                s.retry.is_some(),
            ));
            if st.time_series.is_some()
                && let Some(last) = sources.last_mut()
            {
                last.window_h = Some(Box::default());
            }
        }
        // Below the in-flight cap: checked by `memory::check` when prepared.
        let backlog: u64 = model.queues.iter().map(|q| q.initial_backlog).sum();
        let horizon = match (st.horizon, st.completions) {
            (None, None) => Some(DEFAULT_HORIZON),
            (h, _) => h,
        };
        let mut r = Replication {
            cal: Calendar::with_slots(
                1024,
                (0..model.sources.len() as u32).map(Ev::Arrival).collect(),
            ),
            now: 0.0,
            queues,
            sources,
            subscribers: self
                .topology
                .subscribers
                .iter()
                .map(|s| s.iter().map(|q| *q as u32).collect())
                .collect(),
            arena: Arena::with_capacity(backlog as usize),
            totals: Conservation::default(),
            held: 0,
            events: 0,
            replication,
            measuring: false,
            warm_time_ok: st.warmup <= 0.0,
            warm_count_ok: st.warmup_completions.unwrap_or(0) == 0,
            warm_count: st.warmup_completions.unwrap_or(0),
            warm_at: 0.0,
            horizon,
            end_at: f64::INFINITY,
            arrivals_until: horizon.map_or(f64::INFINITY, |h| {
                st.warmup + (super::replication::WARMUP_HORIZONS + 1.0) * h
            }),
            completions: st.completions,
            finished_roots: 0,
            roots_mark: st.warmup_completions.filter(|&n| n > 0).unwrap_or(u64::MAX),
            finished_at_warm: 0,
            stopped: false,
            backlog_left: backlog,
            backlog_drained_at: None,
            resolution: st.time_series,
            series: Vec::new(),
            series_ticks: 0,
            series_last: 0.0,
            fault: None,
            stall_check_at: if horizon.is_none() {
                super::replication::STALL_EVENTS + 1
            } else {
                u64::MAX
            },
            stall_finished: 0,
            stall_since: 0,
            in_flight_cap: super::memory::in_flight_cap(st.memory_limit),
            bucket_cap: super::memory::bucket_cap(
                st,
                model.queues.len(),
                model.sources.len(),
                super::memory::partitions_of(model),
            ),
            crash_pending: 0,
            retry: model.sources.iter().any(|s| s.retry.is_some()).then(|| {
                Box::new(RetryBook::new(
                    model
                        .sources
                        .iter()
                        .enumerate()
                        .map(|(i, s)| {
                            s.retry.clone().map(|cfg| {
                                SourceRetry::new(
                                    cfg,
                                    stream_rng(st.seed, replication, retry_stream(i)),
                                )
                            })
                        })
                        .collect(),
                ))
            }),
            slow: model
                .queues
                .iter()
                .map(|q| match &q.slowdown {
                    Some(sd) => Ok(Some(Box::new((
                        q.service.sampler()?,
                        q.service.scaled(sd.factor).sampler()?,
                    )))),
                    None => Ok(None),
                })
                .collect::<Result<_, crate::model::ModelError>>()?,
            queried: self.queried.clone(),
        };
        r.init(model)?;
        r.arm(st.warmup)?;
        Ok(r)
    }
}
