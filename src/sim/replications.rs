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
use std::sync::atomic::{AtomicU32, Ordering};

pub(crate) fn run_one(
    prepared: &Prepared<'_>,
    replication: u32,
) -> Result<ReplicationResult, SimError> {
    let mut r = prepared.replication(replication)?;
    r.run_until(f64::INFINITY)?;
    Ok(r.finish())
}

pub(crate) fn run_all(
    valid: &ValidModel,
    settings: &RunSettings,
    progress: &(dyn Fn(u32, u32) + Sync),
) -> Result<SimReport, SimError> {
    let model = valid.model();
    let prepared = Prepared::from_valid(valid, settings)?;
    let total = settings.replications;
    let done = AtomicU32::new(0);
    let runs = (0..total)
        .into_par_iter()
        .map(|i| {
            let r = run_one(&prepared, i);
            let d = done.fetch_add(1, Ordering::Relaxed) + 1;
            progress(d, total);
            r
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut report = SimReport::from_runs(
        model.name.clone(),
        &prepared.servers(),
        &runs,
        settings.seed,
        settings.confidence,
        settings.time_series,
    )
    .ok_or(SimError::NoSuchReplication {
        replication: 0,
        replications: 0,
    })?;
    super::warning::diagnose(&mut report, &runs, &prepared.facts());
    Ok(report)
}
