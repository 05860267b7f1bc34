//! What happened on the way to a sizing answer, as typed notes.

use super::bound::value_text;
use crate::model::{Metric, Slo};
use crate::sim::Estimate;
use serde::{Deserialize, Serialize};

/// One thing a sizing run wants its reader to know: an approximation it used, a
/// disagreement between the engines, or a limit it stopped at.
///
/// Serialised with a `kind` tag, e.g.
/// `{"kind": "simulation_only", "slo": "end_to_end.p99 < 200ms"}`; its [`Display`]
/// is the sentence `kendall size` prints after `note:`.
///
/// [`Display`]: std::fmt::Display
///
/// # Example
/// ```
/// use kendall::SizingNote;
/// let note = SizingNote::SimulationOnly { slo: "end_to_end.p99 < 200ms".parse().unwrap() };
/// assert_eq!(
///     note.to_string(),
///     "end_to_end.p99 < 200ms: no analytic figure for this model; decided by simulation only"
/// );
/// let json = serde_json::to_string(&note).unwrap();
/// assert_eq!(json, r#"{"kind":"simulation_only","slo":"end_to_end.p99 < 200ms"}"#);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum SizingNote {
    /// Time-varying profiles were sized at their peak rate (the pointwise stationary
    /// approximation) and verified by simulating that peak held steady.
    PeakRate,
    /// The analytic side has no figure for this SLO on this model: only the simulation
    /// decides it.
    SimulationOnly {
        /// The SLO.
        slo: Slo,
    },
    /// The simulation shows an SLO violated that the analytic search thought met; a
    /// consumer is added at `queue` and the deployment verified again.
    Disagreement {
        /// The SLO.
        slo: Slo,
        /// The simulated worst value, with its confidence interval.
        simulated: Option<Estimate>,
        /// The analytic worst value of the same deployment.
        analytic: Option<f64>,
        /// The queue that gets the extra consumer.
        queue: String,
    },
    /// An SLO with no analytic figure was violated in simulation, and `queue` was sized
    /// by a simulation-only search (galloping up, then bisecting).
    SizedBySimulation {
        /// The SLO.
        slo: Slo,
        /// The queue searched.
        queue: String,
        /// The consumers the search settled on.
        consumers: u32,
        /// The simulated worst value before the search.
        before: Option<Estimate>,
    },
    /// The simulation shows an SLO violated and no sizable queue can be grown.
    NoQueueToGrow {
        /// The SLO.
        slo: Slo,
    },
    /// Verification stopped adding consumers: the round limit
    /// ([`SizingOptions::max_rounds`](crate::SizingOptions::max_rounds)) or the consumer
    /// limit was reached.
    RoundLimit,
    /// The verification run of this SLO's target did not settle, so it cannot show the
    /// SLO met (verdict [`Verdict::Unsettled`](crate::sizing::Verdict::Unsettled)).
    Unsettled {
        /// The SLO.
        slo: Slo,
        /// The simulator's warning: what did not settle, the evidence and the fix.
        warning: String,
    },
    /// Verification wanted more consumers at a partitioned queue whose consumers already
    /// equal its partition count: more would own no partition and stay idle.
    PartitionLimit {
        /// The queue.
        queue: String,
        /// Its partition count (= its consumers).
        partitions: u32,
    },
    /// Some SLOs stay within the confidence interval of their limit even at the most
    /// replications allowed.
    Undecided {
        /// Replications of the last verification.
        replications: u32,
    },
}

/// `mean [lower, upper]` of `metric` in its unit (times in ms or s), or `-`.
fn show(metric: Metric, e: Option<&Estimate>) -> String {
    e.map_or("-".into(), |e| {
        format!(
            "{} [{}, {}]",
            value_text(metric, e.mean),
            value_text(metric, e.lower.unwrap_or(e.mean)),
            value_text(metric, e.upper.unwrap_or(e.mean))
        )
    })
}

impl std::fmt::Display for SizingNote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::PeakRate => f.write_str(
                "time-varying profiles sized at their peak rate (pointwise stationary approximation), and verified by simulating that peak rate held steady: the worst point of the day, conservatively",
            ),
            Self::SimulationOnly { slo } => write!(
                f,
                "{slo}: no analytic figure for this model; decided by simulation only"
            ),
            Self::Disagreement {
                slo,
                simulated,
                analytic,
                queue,
            } => write!(
                f,
                "simulation disagrees on {slo}: simulated {} (analytic {}); adding a consumer to {queue:?}",
                show(slo.metric, simulated.as_ref()),
                analytic.map_or("-".into(), |v| value_text(slo.metric, v))
            ),
            Self::SizedBySimulation {
                slo,
                queue,
                consumers,
                before,
            } => write!(
                f,
                "{slo} has no analytic figure here: sized {queue:?} by simulation alone ({consumers} consumers: simulated {} before)",
                show(slo.metric, before.as_ref())
            ),
            Self::NoQueueToGrow { slo } => write!(
                f,
                "simulation shows {slo} violated and no sizable queue can be grown"
            ),
            Self::RoundLimit => {
                f.write_str("stopped adding consumers: verification round limit reached")
            }
            Self::Unsettled { slo, warning } => write!(
                f,
                "{slo}: the verification run did not settle, so it cannot show this SLO met: {warning}"
            ),
            Self::PartitionLimit { queue, partitions } => write!(
                f,
                "stopped adding consumers to {queue:?}: it has {partitions} consumers for {partitions} partitions, and a consumer group's consumers beyond the partition count stay idle; add partitions (or spread hot keys) to go further"
            ),
            Self::Undecided { replications } => write!(
                f,
                "some SLOs are within the confidence interval of their limit even at {replications} replications: undecided"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slo() -> Slo {
        "end_to_end.p99 < 200ms".parse().unwrap()
    }

    fn estimate() -> Estimate {
        Estimate {
            mean: 0.25,
            half_width: Some(0.01),
            lower: Some(0.24),
            upper: Some(0.26),
            replications: 10,
        }
    }

    #[test]
    fn every_note_serialises_with_its_kind_and_reads_back() {
        let notes = [
            (SizingNote::PeakRate, "peak_rate"),
            (SizingNote::SimulationOnly { slo: slo() }, "simulation_only"),
            (
                SizingNote::Disagreement {
                    slo: slo(),
                    simulated: Some(estimate()),
                    analytic: Some(0.19),
                    queue: "ledger".into(),
                },
                "disagreement",
            ),
            (
                SizingNote::SizedBySimulation {
                    slo: slo(),
                    queue: "ledger".into(),
                    consumers: 7,
                    before: None,
                },
                "sized_by_simulation",
            ),
            (SizingNote::NoQueueToGrow { slo: slo() }, "no_queue_to_grow"),
            (SizingNote::RoundLimit, "round_limit"),
            (
                SizingNote::PartitionLimit {
                    queue: "events".into(),
                    partitions: 24,
                },
                "partition_limit",
            ),
            (SizingNote::Undecided { replications: 160 }, "undecided"),
        ];
        for (note, kind) in notes {
            let json: serde_json::Value = serde_json::to_value(&note).unwrap();
            assert_eq!(json["kind"], kind, "{json}");
            let back: SizingNote = serde_json::from_value(json).unwrap();
            assert_eq!(back, note);
        }
        let json = serde_json::to_value(SizingNote::SimulationOnly { slo: slo() }).unwrap();
        assert_eq!(json["slo"], "end_to_end.p99 < 200ms");
    }

    #[test]
    fn notes_read_as_the_sentences_kendall_prints() {
        let d = SizingNote::Disagreement {
            slo: slo(),
            simulated: Some(estimate()),
            analytic: Some(0.19),
            queue: "ledger".into(),
        };
        assert_eq!(
            d.to_string(),
            "simulation disagrees on end_to_end.p99 < 200ms: simulated 250.0000ms [240.0000ms, 260.0000ms] (analytic 190.0000ms); adding a consumer to \"ledger\""
        );
        let s = SizingNote::SizedBySimulation {
            slo: slo(),
            queue: "ledger".into(),
            consumers: 7,
            before: None,
        };
        assert_eq!(
            s.to_string(),
            "end_to_end.p99 < 200ms has no analytic figure here: sized \"ledger\" by simulation alone (7 consumers: simulated - before)"
        );
        assert_eq!(
            SizingNote::Undecided { replications: 160 }.to_string(),
            "some SLOs are within the confidence interval of their limit even at 160 replications: undecided"
        );
        assert_eq!(
            SizingNote::NoQueueToGrow { slo: slo() }.to_string(),
            "simulation shows end_to_end.p99 < 200ms violated and no sizable queue can be grown"
        );
    }
}
