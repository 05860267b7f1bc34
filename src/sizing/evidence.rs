//! The evidence of a sizing answer: each SLO's analytic and simulated figures, and the
//! drain times of start-up backlogs.

use super::evaluate::{simulated_value, unsettled, verdict};
use super::search::Search;
use super::{Drain, SizingError, SloEvidence, Verdict};
use crate::analytic::deliveries_per_message;

impl Search<'_> {
    /// Phase 5a, evidence: every SLO with the chosen deployment's worst analytic value
    /// and its method (from the analytic view: peak rates under
    /// [`SloEvidence::psa`]), and the final verification's worst simulated value and
    /// verdict. The deployment is already solved, so this costs no new solve unless
    /// verification added consumers.
    ///
    /// # Errors
    /// The solve of the chosen deployment fails.
    pub(crate) fn evidence(&self) -> Result<Vec<SloEvidence>, SizingError> {
        let eval = self.evals.at(&self.consumers)?;
        Ok(self
            .slos
            .iter()
            .zip(&eval.values)
            .map(|(s, a)| {
                let sim = self.sim_report.as_ref().and_then(|r| simulated_value(r, s));
                let mut verdict = verdict(s, sim.as_ref().map(|x| &x.0));
                if verdict != Verdict::Violated
                    && let (Some(r), Some((_, target))) = (&self.sim_report, &sim)
                    && unsettled(r, s.metric, target).is_some()
                {
                    verdict = Verdict::Unsettled;
                }
                SloEvidence {
                    slo: s.clone(),
                    analytic: a.as_ref().map(|x| x.0).filter(|v| v.is_finite()),
                    analytic_met: a.as_ref().map(|x| s.holds(x.0)),
                    analytic_method: a.as_ref().and_then(|x| x.1.clone()),
                    psa: self.psa,
                    simulated: sim.as_ref().map(|x| x.0),
                    simulated_target: sim.as_ref().map(|x| x.1.clone()),
                    verdict,
                }
            })
            .collect())
    }

    /// Phase 5b, drains: for each queue with a start-up backlog, the fluid estimate
    /// backlog / (c μ − λ) (μ counting redeliveries; `None` when c μ ≤ λ) and the
    /// simulated time until the backlog was done.
    ///
    /// # Errors
    /// The solve of the chosen deployment fails.
    pub(crate) fn drains(&self) -> Result<Vec<Drain>, SizingError> {
        let eval = self.evals.at(&self.consumers)?;
        Ok(self
            .valid
            .model()
            .queues
            .iter()
            .enumerate()
            .filter(|(_, q)| q.initial_backlog > 0)
            .map(|(i, q)| {
                let capacity = f64::from(self.consumers[i])
                    / (q.service.mean()
                        * deliveries_per_message(q.failure_probability, q.max_attempts));
                let spare = capacity - eval.message_rate[i];
                Drain {
                    queue: q.name.clone(),
                    backlog: q.initial_backlog,
                    fluid_estimate: (spare > 0.0).then(|| q.initial_backlog as f64 / spare),
                    simulated: self.sim_report.as_ref().and_then(|r| r.backlog_drained_at),
                }
            })
            .collect())
    }
}

/// Whether the evidence shows every SLO met: analytically where there is a figure, and
/// neither violated in simulation nor simulated by a run that did not settle.
pub(crate) fn all_met(evidence: &[SloEvidence]) -> bool {
    evidence.iter().all(|e| {
        let analytic_ok = e.analytic_met != Some(false);
        let sim_ok = matches!(
            e.verdict,
            Verdict::Met | Verdict::Undecided | Verdict::NotSimulated
        );
        analytic_ok && sim_ok
    })
}
