//! Independent replications in parallel, and their summary.
//!
//! Replication i is seeded from (seed, i) only (see [`stream_seed`](super::stream_seed)),
//! runs on whichever rayon thread picks it up, and results are collected in replication
//! order: the report is bit-identical for any number of threads.

use super::error::SimError;
use super::prepared::Prepared;
use super::report::{ReplicationResult, SimReport};
use crate::model::{RunSettings, ValidModel};
use rayon::prelude::*;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

/// Events a replication processes between two looks at the `stop` flag (about 10 ms at
/// the simulator's speed): the run goes in chunks of simulated time sized to this.
const EVENTS_PER_CHECK: f64 = 1_048_576.0;

pub(crate) fn run_one(
    prepared: &Prepared<'_>,
    replication: u32,
    stop: Option<&AtomicBool>,
) -> Result<ReplicationResult, SimError> {
    let mut r = prepared.replication(replication)?;
    let Some(stop) = stop else {
        r.run_until(f64::INFINITY)?;
        return Ok(r.finish());
    };
    // The same events in the same order as one call: `run_until` stops at a time
    // boundary and the next call goes on from there. The chunk in simulated time adapts
    // (at most doubling or halving each time) so that a chunk is about EVENTS_PER_CHECK
    // events; every chunk at least doubles when it sees none, so the loop ends.
    let mut step = 1.0_f64;
    loop {
        if stop.load(Ordering::Relaxed) {
            return Err(SimError::Cancelled);
        }
        let before = r.events();
        if r.run_until(r.now() + step)? {
            return Ok(r.finish());
        }
        let seen = (r.events() - before) as f64;
        step *= if seen == 0.0 {
            2.0
        } else {
            (EVENTS_PER_CHECK / seen).clamp(0.5, 2.0)
        };
    }
}

pub(crate) fn run_all(
    valid: &ValidModel,
    settings: &RunSettings,
    progress: &(dyn Fn(u32, u32) + Sync),
    stop: Option<&AtomicBool>,
) -> Result<SimReport, SimError> {
    let prepared = Prepared::from_valid(valid, settings)?;
    let runs = run_range(&prepared, 0..settings.replications, progress, stop)
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?;
    summarise(valid, settings, &prepared, &runs)
}

/// Replications `range` of a prepared run, in parallel, each result in replication
/// order (replication i depends on (seed, i) only, so any split of the replications
/// gives the same results).
pub(crate) fn run_range(
    prepared: &Prepared<'_>,
    range: std::ops::Range<u32>,
    progress: &(dyn Fn(u32, u32) + Sync),
    stop: Option<&AtomicBool>,
) -> Vec<Result<ReplicationResult, SimError>> {
    let total = range.len() as u32;
    let done = AtomicU32::new(0);
    range
        .into_par_iter()
        .map(|i| {
            let r = run_one(prepared, i, stop);
            let d = done.fetch_add(1, Ordering::Relaxed) + 1;
            progress(d, total);
            r
        })
        .collect()
}

/// The report of a run from its replications' results, in replication order: the
/// same whether they ran here at once or were merged from parts run elsewhere.
pub(crate) fn summarise(
    valid: &ValidModel,
    settings: &RunSettings,
    prepared: &Prepared<'_>,
    runs: &[ReplicationResult],
) -> Result<SimReport, SimError> {
    let mut report = SimReport::from_runs(
        valid.model().name.clone(),
        &prepared.servers(),
        runs,
        settings.seed,
        settings.confidence,
        settings.time_series,
    )
    .ok_or(SimError::NoSuchReplication {
        replication: 0,
        replications: 0,
    })?;
    super::warning::diagnose(&mut report, runs, &prepared.facts());
    report.queried = prepared.queried.clone();
    Ok(report)
}
