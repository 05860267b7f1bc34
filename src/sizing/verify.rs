//! Verification by simulation: the confidence-interval stopping rule, and the
//! simulation-only search for SLOs the analytic side cannot figure.

use super::evaluate::{simulated_value, verdict};
use super::search::Search;
use super::{SizingError, SizingNote, SizingPhase, Verdict};
use crate::model::{Slo, Target, ValidModel};
use crate::sim::{Estimate, SimReport};

/// Most galloping probes of the simulation-only search: the consumers tried grow as
/// floor + 1, + 2, + 4, ... so 20 probes reach about a million above the floor.
pub(crate) const MAX_PROBES: u32 = 20;

/// Replications of the first verification round, at least.
const MIN_REPLICATIONS: u32 = 5;

impl Search<'_> {
    /// Simulates the deployment `consumers` with the current run settings, after a
    /// [`Search::checkpoint`], counting the simulation.
    ///
    /// # Errors
    /// The run is stopped, the deployment is invalid, or the simulation fails.
    pub(crate) fn simulate(
        &self,
        phase: SizingPhase,
        consumers: &[u32],
    ) -> Result<SimReport, SizingError> {
        self.checkpoint(phase, consumers)?;
        let model = self.simulated_model(consumers)?;
        self.simulations.set(self.simulations.get() + 1);
        Ok((self.simulator)(&model, &self.settings)?)
    }

    /// The model the verification simulates for `consumers`: the real one, or with a
    /// time-varying profile its peak rate held steady (the worst point of the day,
    /// conservatively for peaks shorter than the queue's relaxation time).
    fn simulated_model(&self, consumers: &[u32]) -> Result<ValidModel, SizingError> {
        if self.psa {
            self.evals.model(consumers)
        } else {
            self.real(consumers)
        }
    }

    /// Phase 4, verification by simulation (skipped unless
    /// [`SizingOptions::verify`](super::SizingOptions::verify)).
    ///
    /// Simulates the deployment with the scenario's run settings (at least
    /// 5 replications). An SLO is *met* when its whole confidence interval is on the right
    /// side of the limit, *violated* when wholly on the wrong side, else *undecided*.
    /// - Some SLO violated: a round. If it has no analytic figure, its queue is sized by
    ///   [`Search::simulation_search`]; otherwise a consumer is added at the queue behind
    ///   it ([`SizingNote::Disagreement`]). Either way the deployment is verified again.
    /// - Else some SLO undecided: the replications double, up to
    ///   [`SizingOptions::max_replications`](super::SizingOptions::max_replications).
    ///
    /// Bounds: at most `max_rounds + 1` rounds with a violation (then
    /// [`SizingNote::RoundLimit`]); a queue already at `max_consumers` ends the
    /// verification too; the replications double a bounded number of times.
    ///
    /// # Errors
    /// A simulation or a solve fails.
    pub(crate) fn verify(&mut self) -> Result<(), SizingError> {
        if !self.options.verify {
            return Ok(());
        }
        let mut reps = self.settings.replications.max(MIN_REPLICATIONS);
        let mut rounds = 0;
        loop {
            self.settings.replications = reps;
            let report = self.simulate(SizingPhase::Verify, &self.consumers)?;
            let verdicts: Vec<(Verdict, Option<(Estimate, String)>)> = self
                .slos
                .iter()
                .map(|s| {
                    let v = simulated_value(&report, s);
                    (verdict(s, v.as_ref().map(|x| &x.0)), v)
                })
                .collect();
            if let Some(k) = verdicts.iter().position(|(v, _)| *v == Verdict::Violated) {
                rounds += 1;
                let slo = &self.slos[k];
                let est = verdicts[k].1.as_ref().map(|x| x.0);
                let Some(i) = bottleneck(self.valid, &report, slo, &self.sizable) else {
                    self.notes
                        .push(SizingNote::NoQueueToGrow { slo: slo.clone() });
                    self.sim_report = Some(report);
                    break;
                };
                let servers = self.consumers[i];
                if self.unknown.contains(&k) {
                    if rounds > self.options.max_rounds || servers >= self.most(i) {
                        self.limit_note(i);
                        self.sim_report = Some(report);
                        break;
                    }
                    self.simulation_search(slo, i, est)?;
                    continue;
                }
                let analytic = if self.psa {
                    // The real model's own analytic figure, as the scenario states it.
                    self.evals.once(&self.real(&self.consumers)?)?.values[k].clone()
                } else {
                    self.evals.at(&self.consumers)?.values[k].clone()
                };
                self.notes.push(SizingNote::Disagreement {
                    slo: slo.clone(),
                    simulated: est,
                    analytic: analytic.map(|v| v.0),
                    queue: self.valid.model().queues[i].name.clone(),
                });
                if rounds > self.options.max_rounds || servers >= self.most(i) {
                    self.limit_note(i);
                    self.sim_report = Some(report);
                    break;
                }
                self.consumers[i] = servers + 1;
                continue;
            }
            let undecided = verdicts.iter().any(|(v, _)| *v == Verdict::Undecided);
            if undecided && reps < self.options.max_replications {
                reps = (reps * 2).min(self.options.max_replications);
                continue;
            }
            if undecided {
                self.notes
                    .push(SizingNote::Undecided { replications: reps });
            }
            self.sim_report = Some(report);
            break;
        }
        Ok(())
    }

    /// The note for verification stopping at queue `i`: its partition count (consumers
    /// beyond it would stay idle), or the round or consumer limit.
    fn limit_note(&mut self, i: usize) {
        let most = self.most(i);
        if self.consumers[i] >= most && self.at_partition_limit(i, most) {
            self.notes.push(SizingNote::PartitionLimit {
                queue: self.valid.model().queues[i].name.clone(),
                partitions: most,
            });
        } else {
            self.notes.push(SizingNote::RoundLimit);
        }
    }

    /// Sizes queue `i` for `slo` (which has no analytic figure) by simulation alone:
    /// galloping up from its current consumers (+1, +2, +4, ..., at most [`MAX_PROBES`]
    /// probes and never above `max_consumers`), then bisecting back to the smallest count
    /// the simulation does not show violated. Every probe simulates with the current run
    /// settings, so a count that passes here passes the next verification round too.
    ///
    /// # Errors
    /// A simulation fails.
    pub(crate) fn simulation_search(
        &mut self,
        slo: &Slo,
        i: usize,
        before: Option<Estimate>,
    ) -> Result<(), SizingError> {
        let max = self.most(i);
        let passes = |c: u32| -> Result<bool, SizingError> {
            let mut trial = self.consumers.clone();
            trial[i] = c;
            let r = self.simulate(SizingPhase::SimulationSearch, &trial)?;
            let v = simulated_value(&r, slo);
            Ok(verdict(slo, v.as_ref().map(|x| &x.0)) != Verdict::Violated)
        };
        let mut lo = self.consumers[i];
        let mut step = 1;
        let mut hi = lo + step;
        let mut probes = 0;
        while hi <= max && !passes(hi)? {
            lo = hi;
            step *= 2;
            hi = (lo + step).min(max);
            probes += 1;
            if probes > MAX_PROBES || lo == max {
                break;
            }
        }
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if passes(mid)? {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        self.notes.push(SizingNote::SizedBySimulation {
            slo: slo.clone(),
            queue: self.valid.model().queues[i].name.clone(),
            consumers: hi.min(max),
            before,
        });
        self.consumers[i] = hi.min(max);
        Ok(())
    }
}

/// The sizable queue behind a violated SLO: the queue itself, or for end-to-end and
/// all-queue SLOs the most utilised sizable queue in the simulation.
fn bottleneck(
    model: &ValidModel,
    report: &SimReport,
    slo: &Slo,
    sizable: &[usize],
) -> Option<usize> {
    let queues = &model.model().queues;
    if let Target::Queue(name) = &slo.target {
        return sizable.iter().copied().find(|&i| &queues[i].name == name);
    }
    sizable.iter().copied().max_by(|&a, &b| {
        report.queues[a]
            .utilisation
            .mean
            .total_cmp(&report.queues[b].utilisation.mean)
    })
}
