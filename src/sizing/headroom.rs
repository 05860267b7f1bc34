//! What the chosen deployment leaves to spare: the load multiplier headroom and the
//! consumers-against-latency curve.

use super::search::Search;
use super::{CurvePoint, Headroom, SizingError};
use crate::model::{Slo, Target};

/// Headroom above this multiplier is reported as unbounded.
const MAX_MULTIPLIER: f64 = 1e6;

/// Most bisection steps of the headroom search (it stops earlier at relative width 10⁻⁶).
const MAX_BISECTIONS: u32 = 50;

/// Consumers below the chosen count that the curve shows (never below the floor).
const CURVE_BELOW: u32 = 6;

/// Consumers above the chosen count that the curve shows.
const CURVE_ABOVE: u32 = 3;

/// What [`Search::curve`] returns: the queue, the SLO, the points and the queue's
/// stability floor.
pub(crate) type Curve = (Option<String>, Option<Slo>, Vec<CurvePoint>, Option<u32>);

impl Search<'_> {
    /// Whether every SLO holds analytically with the chosen deployment at `multiplier`
    /// times the load, and the first one that does not. `None` when an SLO has no
    /// analytic figure or the load cannot be scaled.
    fn met_at(&self, multiplier: f64) -> Option<(bool, Option<usize>)> {
        let e = self.evals.scaled(&self.consumers, multiplier).ok()?;
        if !e.unknown.is_empty() {
            return None;
        }
        Some((e.violated.is_empty(), e.violated.first().copied()))
    }

    /// Phase 5c, headroom: the largest multiplier of every source's rate for which the
    /// chosen deployment still meets every SLO analytically (on the analytic view), by
    /// doubling from 1 (unbounded beyond 10⁶, so at most 21 doublings) then at most 50
    /// bisection steps down to a relative width of 10⁻⁶; and the SLO that breaks first
    /// beyond it with the queue behind it (the SLO's queue, or the most utilised sizable
    /// queue). `None` when an SLO has no analytic figure or the load cannot be scaled.
    pub(crate) fn headroom(&self) -> Option<Headroom> {
        let (ok1, _) = self.met_at(1.0)?;
        let (mut lo, mut hi) = if ok1 { (1.0, 2.0) } else { (0.0, 1.0) };
        if ok1 {
            while self.met_at(hi)?.0 {
                lo = hi;
                hi *= 2.0;
                if hi > MAX_MULTIPLIER {
                    return Some(Headroom {
                        multiplier: None,
                        breaking_slo: None,
                        bottleneck: None,
                    });
                }
            }
        }
        for _ in 0..MAX_BISECTIONS {
            let mid = 0.5 * (lo + hi);
            if self.met_at(mid)?.0 {
                lo = mid;
            } else {
                hi = mid;
            }
            if hi - lo < 1e-6 * hi {
                break;
            }
        }
        let (_, broken) = self.met_at(hi)?;
        let slo = broken.map(|k| &self.slos[k]);
        let beyond = self.evals.scaled(&self.consumers, hi).ok();
        let queues = &self.valid.model().queues;
        let bottleneck = slo.and_then(|s| match &s.target {
            Target::Queue(q) => Some(q.clone()),
            _ => beyond.as_ref().and_then(|e| {
                (0..queues.len())
                    .filter(|i| self.sizable.contains(i))
                    .max_by(|&a, &b| e.utilisation[a].total_cmp(&e.utilisation[b]))
                    .map(|i| queues[i].name.clone())
            }),
        });
        Some(Headroom {
            multiplier: Some(lo),
            breaking_slo: slo.map(ToString::to_string),
            bottleneck,
        })
    }

    /// Phase 5d, curve: consumers against the primary (first time-valued) SLO at the
    /// queue that matters most for it (its own queue, or the most utilised sizable
    /// queue), from 6 below the chosen count (never below the floor) to 3 above;
    /// analytic everywhere, simulated at chosen − 1, chosen and chosen + 1 when verifying.
    ///
    /// # Errors
    /// The chosen deployment cannot be solved, or a curve point is not a valid model.
    pub(crate) fn curve(&self) -> Result<Curve, SizingError> {
        let Some(k) = self.slos.iter().position(|s| s.metric.is_time()) else {
            return Ok((None, None, vec![], None));
        };
        let slo = &self.slos[k];
        let queues = &self.valid.model().queues;
        let eval = self.evals.at(&self.consumers)?;
        let queue = match &slo.target {
            Target::Queue(q) => self.sizable.iter().copied().find(|&i| &queues[i].name == q),
            _ => self
                .sizable
                .iter()
                .copied()
                .max_by(|&a, &b| eval.utilisation[a].total_cmp(&eval.utilisation[b])),
        };
        let Some(i) = queue else {
            return Ok((None, Some(slo.clone()), vec![], None));
        };
        let chosen = self.consumers[i];
        let lo = self.floor[i].max(chosen.saturating_sub(CURVE_BELOW)).max(1);
        let mut points = Vec::new();
        for c in lo..=chosen + CURVE_ABOVE {
            let mut trial = self.consumers.clone();
            trial[i] = c;
            let analytic = match self.evals.at(&trial) {
                Ok(e) => e.values[k].as_ref().map(|x| x.0).filter(|v| v.is_finite()),
                Err(SizingError::Model(e)) => return Err(e.into()),
                Err(_) => None,
            };
            let simulated = if self.options.verify && c + 1 >= chosen && c <= chosen + 1 {
                self.checkpoint(super::SizingPhase::Evidence, &trial)?;
                self.simulations.set(self.simulations.get() + 1);
                (self.simulator)(&self.real(&trial)?, &self.settings)
                    .ok()
                    .and_then(|r| super::evaluate::simulated_value(&r, slo))
                    .map(|x| x.0)
            } else {
                None
            };
            points.push(CurvePoint {
                consumers: c,
                analytic,
                simulated,
            });
        }
        Ok((
            Some(queues[i].name.clone()),
            Some(slo.clone()),
            points,
            Some(self.stable[i]),
        ))
    }
}
