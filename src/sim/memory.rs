//! Memory guards: what a replication may hold, estimated before it is allocated.
//!
//! Everything a replication holds that grows with the run is bounded by
//! `simulation.memory_limit` ([`RunSettings::memory_limit`]):
//! * **messages in flight** (the start-up backlog included): each costs about
//!   [`BYTES_PER_MESSAGE`] (its arena slot and root, a free-list entry, a slot in its
//!   waiting line and a calendar entry, doubled because growing `Vec`s may hold twice
//!   what they use), so at most [`in_flight_cap`] of them; a start-up backlog beyond that
//!   is refused before the run, and a run whose population passes it stops with
//!   [`SimError::Unstable`];
//! * **time-series buckets**, kept by every replication until the report is built:
//!   refused before the run when the horizon tells how many there will be, and stopped
//!   at the cap otherwise.

use super::arena::{Msg, Root};
use super::error::SimError;
use super::replication::{Replication, WARMUP_HORIZONS};
use super::report::SeriesBucket;
use crate::model::{Model, RunSettings};
use std::mem::size_of;

/// Estimated bytes per message in flight: its message slot and root record, a free-list
/// entry, its slot in a waiting line and a calendar entry (32 bytes), all doubled for
/// the spare capacity of a growing `Vec`.
pub const BYTES_PER_MESSAGE: u64 = 2 * (size_of::<Msg>() + size_of::<Root>() + 4 + 4 + 32) as u64;

/// The most messages a replication may hold in flight under `memory_limit` bytes:
/// `memory_limit / BYTES_PER_MESSAGE` (about 3.8 million for the default 1 GiB).
///
/// # Example
/// ```
/// use kendall::model::DEFAULT_MEMORY_LIMIT;
/// use kendall::sim::{BYTES_PER_MESSAGE, in_flight_cap};
/// assert_eq!(in_flight_cap(DEFAULT_MEMORY_LIMIT), DEFAULT_MEMORY_LIMIT / BYTES_PER_MESSAGE);
/// assert!(in_flight_cap(DEFAULT_MEMORY_LIMIT) > 2_000_000);
/// ```
pub fn in_flight_cap(memory_limit: u64) -> u64 {
    memory_limit / BYTES_PER_MESSAGE
}

/// Estimated bytes of one time-series bucket of a model with `queues` queues and
/// `sources` sources: the bucket, its three vectors (an `f64` and an `Option<f64>` per
/// queue, an `Option<f64>` per source), and its share of the summary across
/// replications (the same again, three times: mean, min, max).
pub(super) fn bytes_per_bucket(queues: usize, sources: usize, partitions: usize) -> u64 {
    // Per queue: length, mean sojourn and p99 (options); per source: latency and p99;
    // per partition of a partitioned queue: its mean lag (plus a vector per queue).
    let cells = (8 + 16 + 16 + 24) * queues + (16 + 16) * sources + 8 * partitions;
    (size_of::<SeriesBucket>() + 4 * cells) as u64
}

/// Partitions of the partitioned queues of `model` (each has a lag series).
pub(super) fn partitions_of(model: &crate::model::Model) -> usize {
    model
        .queues
        .iter()
        .map(|q| q.partitions.unwrap_or(0) as usize)
        .sum()
}

/// The most time-series buckets one replication may keep: its share of
/// `memory_limit` once every replication's buckets are held for the report.
pub(super) fn bucket_cap(
    settings: &RunSettings,
    queues: usize,
    sources: usize,
    partitions: usize,
) -> u64 {
    let per_run = settings.memory_limit / u64::from(settings.replications.max(1));
    per_run / bytes_per_bucket(queues, sources, partitions)
}

/// Refuses, before anything is allocated, a start-up backlog or a time series that
/// would not fit in `settings.memory_limit`.
///
/// # Errors
/// [`SimError::MemoryLimit`] naming the field, the estimate and the limit.
pub(super) fn check(model: &Model, settings: &RunSettings) -> Result<(), SimError> {
    let limit = settings.memory_limit;
    // A checked sum: backlogs near u64::MAX must not wrap.
    let backlog = model
        .queues
        .iter()
        .try_fold(0u64, |sum, q| sum.checked_add(q.initial_backlog));
    let cap = in_flight_cap(limit);
    if backlog.is_none_or(|b| b > cap) {
        let biggest = model
            .queues
            .iter()
            .max_by_key(|q| q.initial_backlog)
            .map_or(String::new(), |q| q.name.clone());
        return Err(SimError::MemoryLimit {
            field: format!("queue {biggest:?}.initial_backlog"),
            needed: backlog.map_or(u64::MAX, |b| b.saturating_mul(BYTES_PER_MESSAGE)),
            limit,
            fix: format!(
                "at most {cap} messages of start-up backlog fit ({BYTES_PER_MESSAGE} bytes each); lower initial_backlog (the drain time scales: simulate a fraction and scale up) or raise simulation.memory_limit"
            ),
        });
    }
    if let (Some(res), Some(h)) = (settings.time_series, settings.horizon) {
        // The run lasts warmup + horizon, or up to warmup + WARMUP_HORIZONS × horizon
        // with a count warm-up.
        let span = if settings.warmup_completions.is_some_and(|n| n > 0) {
            settings.warmup + WARMUP_HORIZONS * h
        } else {
            settings.warmup + h
        };
        let buckets = (span / res).ceil();
        let parts = partitions_of(model);
        let cap = bucket_cap(settings, model.queues.len(), model.sources.len(), parts);
        if buckets > cap as f64 {
            let per = bytes_per_bucket(model.queues.len(), model.sources.len(), parts);
            let needed = buckets * per as f64 * f64::from(settings.replications);
            return Err(SimError::MemoryLimit {
                field: "simulation.time_series".into(),
                needed: if needed >= u64::MAX as f64 {
                    u64::MAX
                } else {
                    needed as u64
                },
                limit,
                fix: format!(
                    "{buckets} buckets of {res} s over {span} s × {} replications; at most {cap} buckets per replication fit: use a resolution of at least {} s, or raise simulation.memory_limit",
                    settings.replications,
                    span / cap.max(1) as f64
                ),
            });
        }
    }
    Ok(())
}

impl Replication {
    /// The arena reached `in_flight_cap` slots: fails the run with
    /// [`SimError::Unstable`], naming the queue holding the most messages.
    #[cold]
    #[inline(never)]
    pub(super) fn over_cap(&mut self) {
        if self.fault.is_some() {
            return;
        }
        let in_flight = self.held + self.queues.iter().map(|q| q.in_node).sum::<u64>();
        let Some(q) = self.queues.iter().max_by_key(|q| q.in_node) else {
            return;
        };
        let offered_load = (self.now > 0.0 && q.c.arrived > 0)
            .then(|| q.c.arrived as f64 / self.now * q.work_per_arrival);
        self.fault = Some(SimError::Unstable {
            queue: q.name.clone(),
            offered_load,
            in_node: q.in_node,
            in_flight,
            cap: self.in_flight_cap,
            memory_limit: self.in_flight_cap * BYTES_PER_MESSAGE,
            bytes_per_message: BYTES_PER_MESSAGE,
            time: self.now,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_costs_a_few_hundred_bytes() {
        assert!(
            (100..=400).contains(&BYTES_PER_MESSAGE),
            "{BYTES_PER_MESSAGE}"
        );
        assert!(in_flight_cap(crate::model::DEFAULT_MEMORY_LIMIT) > 2_000_000);
    }
}
