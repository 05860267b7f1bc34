//! Partial results: a simulation or a simulated sweep split across machines, and put
//! back together exactly.
//!
//! A [`Job`] is what a whole run would do: `simulate` a model with its settings, or
//! `sweep` it over a grid of values. Its work is a list of **units**, one replication
//! of one point each, in a fixed order (points in grid order, replications 0, 1, …
//! within a point; a plain simulation is one point). Replication i of a point is
//! seeded from (seed, i) alone, so any machine can run any unit and get the same
//! result.
//!
//! [`run_shard`] runs shard k of n (a contiguous block of units, 1-based k) and returns a
//! [`Partial`]: the job itself, its fingerprint, the units covered and each unit's exact
//! result (the replication's figures and counts, or the point's error). [`merge`] takes
//! the partials of one job in any order, checks them (format, version, checksum, one
//! fingerprint, every unit exactly once) and builds the report from the units in order:
//! the same report, byte for byte, as the run in one process (tested for simulate,
//! sweep and the sizing verification).
//!
//! A partial is compact JSON (`.kpart`), versioned ([`PARTIAL_FORMAT`],
//! [`PARTIAL_VERSION`] and the kendall version that wrote it), its units and results
//! covered by a 64-bit FNV-1a checksum (damage and edits are caught, not forgery: the checksum is
//! not a signature). Floats are written in the shortest form that reads back to the
//! same bits, so a merged report is exact.
//!
//! # Example
//! ```
//! use kendall::model::{ArrivalProcess, Distribution, Model, Queue, RunSettings, Source};
//! use kendall::partial::{Job, Merged, merge, run_shard};
//! let model = Model::default()
//!     .with_source(Source::new("in", ArrivalProcess::Poisson { rate: 1.0 }, "q"))
//!     .with_queue(Queue::new("q", 1, Distribution::Exponential { mean: 0.5 }));
//! let settings = RunSettings { horizon: Some(200.0), replications: 5, ..RunSettings::default() };
//! let job = Job::Simulate { model: model.clone(), settings: settings.clone() };
//! let parts: Vec<String> = (1..=3)
//!     .map(|k| run_shard(&job, k, 3, None).unwrap().to_json().unwrap())
//!     .collect();
//! let Merged::Simulation(report) = merge(&parts).unwrap() else { unreachable!() };
//! assert_eq!(*report, kendall::simulate(&model.validate().unwrap(), &settings).unwrap());
//! ```

use std::collections::BTreeMap;
use std::sync::atomic::AtomicBool;

use serde::{Deserialize, Serialize};

use crate::model::{Model, ModelError, RunSettings, ValidModel};
use crate::sim::{ReplicationResult, SimError, SimReport, report_from_replications};
use crate::sweep::{Sweep, SweepError, SweepOptions, sweep_jobs, sweep_points};

/// The `format` field of every partial.
pub const PARTIAL_FORMAT: &str = "kendall-partial";

/// The layout version of partials this kendall writes and reads.
pub const PARTIAL_VERSION: u32 = 1;

/// The most shards a job may be split into.
pub const MAX_SHARDS: u32 = 1_000_000;

/// A whole run, as one process would do it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Job {
    /// `kendall simulate`: the model under its settings.
    Simulate {
        /// The scenario.
        model: Model,
        /// The run settings.
        settings: RunSettings,
    },
    /// `kendall sweep --simulate`: every point of the grid solved and simulated.
    Sweep {
        /// The scenario (with any SLOs given on the command line).
        model: Model,
        /// The run settings every point starts from.
        settings: RunSettings,
        /// The grid.
        options: SweepOptions,
    },
}

/// What one unit of work gave.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitOutcome {
    /// The replication's figures and exact counts.
    Run(Box<ReplicationResult>),
    /// The point could not be simulated: the error, as the run in one process reports it.
    Failed(String),
}

/// One unit: replication `replication` of point `point`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unit {
    /// The point, in grid order (0 for a plain simulation).
    pub point: u32,
    /// The replication within the point.
    pub replication: u32,
    /// Its result.
    pub outcome: UnitOutcome,
}

/// The result of a block of a job's units (see the module docs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Partial {
    /// Always [`PARTIAL_FORMAT`].
    pub format: String,
    /// [`PARTIAL_VERSION`] when written.
    pub version: u32,
    /// The kendall version that wrote it (reports may differ between versions).
    pub kendall: String,
    /// FNV-1a of the job, hexadecimal: partials of one job share it.
    pub fingerprint: String,
    /// The job.
    pub job: Job,
    /// The units of the whole job.
    pub units: u64,
    /// The units this partial covers, `[first, end)`.
    pub range: [u64; 2],
    /// Shard k of n that made it (none for a range run by [`run_units`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<[u32; 2]>,
    /// The units' results, in order.
    pub results: Vec<Unit>,
    /// FNV-1a of the JSON of `units`, `range` and `results`, hexadecimal.
    pub checksum: String,
}

/// A merged job: the report the run in one process gives.
#[derive(Debug, Clone, PartialEq)]
pub enum Merged {
    /// The report of `simulate`.
    Simulation(Box<SimReport>),
    /// The sweep, with every point's simulation from the partials.
    Sweep(Sweep),
}

/// Why a shard could not run or partials could not be merged.
#[derive(Debug, thiserror::Error)]
pub enum PartialError {
    /// The shard is not k of n with 1 <= k <= n <= [`MAX_SHARDS`].
    #[error("shard {k}/{n}: give k/n with 1 <= k <= n <= {MAX_SHARDS} (e.g. --shard 3/8)")]
    Shard {
        /// k.
        k: u32,
        /// n.
        n: u32,
    },
    /// The scenario is invalid.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// The sweep is invalid.
    #[error(transparent)]
    Sweep(#[from] SweepError),
    /// A replication failed (a plain simulation) or the run was stopped.
    #[error(transparent)]
    Sim(#[from] SimError),
    /// A plain simulation's replication failed in a partial.
    #[error("replication {replication} failed: {message}")]
    Failed {
        /// The replication.
        replication: u32,
        /// The error it gave.
        message: String,
    },
    /// A partial cannot be read or does not belong with the others.
    #[error("partial {which}: {reason}")]
    Refused {
        /// Which partial (its position in the list, or its file name).
        which: String,
        /// What is wrong and what to do.
        reason: String,
    },
    /// The partials do not cover the job's units exactly once.
    #[error("the partials do not cover the job: {reason}")]
    Coverage {
        /// Which units are missing or given twice, and the shards that hold them.
        reason: String,
    },
    /// No partials to merge.
    #[error("no partials to merge: give the .kpart files of every shard")]
    Empty,
}

/// 64-bit FNV-1a of `bytes`, as 16 hexadecimal digits.
fn fnv1a(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// One point of a job: its model and settings, or `None` when it has none (a sweep
/// value the model refuses; recorded as the point's error by the sweep).
type Point = Option<(ValidModel, RunSettings)>;

impl Job {
    /// Its points, in order.
    fn points(&self) -> Result<Vec<Point>, PartialError> {
        Ok(match self {
            Job::Simulate { model, settings } => {
                vec![Some((model.clone().validate()?, settings.clone()))]
            }
            Job::Sweep {
                model,
                settings,
                options,
            } => {
                if !options.simulate {
                    return Err(PartialError::Sweep(SweepError::Parameter {
                        path: "simulate".into(),
                        reason:
                            "a sweep is split across machines for its simulations: add --simulate"
                                .into(),
                    }));
                }
                sweep_jobs(&model.clone().validate()?, settings, options)?
            }
        })
    }

    /// Its fingerprint: FNV-1a of its JSON.
    ///
    /// # Errors
    /// [`PartialError::Refused`] if the job cannot be written as JSON (a non-finite
    /// number in it).
    pub fn fingerprint(&self) -> Result<String, PartialError> {
        serde_json::to_string(self)
            .map(|j| fnv1a(j.as_bytes()))
            .map_err(|e| PartialError::Refused {
                which: "job".into(),
                reason: format!("cannot be written: {e}"),
            })
    }

    /// The units of work of the job: the replications of every point it simulates (what
    /// [`run_shard`] splits into shards).
    ///
    /// # Errors
    /// The job's own errors (an invalid model or sweep).
    pub fn units(&self) -> Result<u64, PartialError> {
        Ok(units_per_point(&self.points()?).iter().sum())
    }

    fn seed(&self) -> u64 {
        match self {
            Job::Simulate { settings, .. } | Job::Sweep { settings, .. } => settings.seed,
        }
    }
}

/// The units of each point: the replications of its settings (none for a point without
/// a model).
fn units_per_point(points: &[Point]) -> Vec<u64> {
    points
        .iter()
        .map(|p| p.as_ref().map_or(0, |(_, s)| u64::from(s.replications)))
        .collect()
}

/// The units `[first, end)` of shard k of n among `total`.
fn shard_range(total: u64, k: u32, n: u32) -> [u64; 2] {
    let at = |i: u64| (u128::from(total) * u128::from(i) / u128::from(n)) as u64;
    [at(u64::from(k - 1)), at(u64::from(k))]
}

/// Runs shard `k` of `n` (1-based) of `job`: its block of units, replications of one
/// point in parallel. `stop`, when set, cancels the run.
///
/// # Errors
/// [`PartialError::Shard`] for a bad k/n; the job's own errors (an invalid model or
/// sweep); [`SimError::Cancelled`] when stopped. A point's failure is recorded in the
/// partial (a sweep reports it at that point, as in one process).
pub fn run_shard(
    job: &Job,
    k: u32,
    n: u32,
    stop: Option<&AtomicBool>,
) -> Result<Partial, PartialError> {
    if !(1..=n).contains(&k) || n > MAX_SHARDS {
        return Err(PartialError::Shard { k, n });
    }
    let points = job.points()?;
    let total = units_per_point(&points).iter().sum();
    let [first, end] = shard_range(total, k, n);
    let mut p = run_range(job, &points, first, end, stop)?;
    p.shard = Some([k, n]);
    Ok(p)
}

/// Runs units `[first, end)` of `job` (any split: the partials of one job merge as long
/// as together they cover its units once, whatever their sizes).
///
/// # Errors
/// [`PartialError::Coverage`] for a range beyond the job's units; otherwise as
/// [`run_shard`].
pub fn run_units(
    job: &Job,
    first: u64,
    end: u64,
    stop: Option<&AtomicBool>,
) -> Result<Partial, PartialError> {
    run_range(job, &job.points()?, first, end, stop)
}

/// Units `[first, end)` of `job`, whose points are `points`.
fn run_range(
    job: &Job,
    points: &[Point],
    first: u64,
    end: u64,
    stop: Option<&AtomicBool>,
) -> Result<Partial, PartialError> {
    let per_point = units_per_point(points);
    let total: u64 = per_point.iter().sum();
    if first > end || end > total {
        return Err(PartialError::Coverage {
            reason: format!("units {first}..{end} asked of a job of {total} units"),
        });
    }
    let range = [first, end];
    let mut results = Vec::new();
    let mut start = 0u64;
    for (p, (point, count)) in points.iter().zip(&per_point).enumerate() {
        let (lo, hi) = (range[0].max(start), range[1].min(start + count));
        if let (Some((model, settings)), true) = (point, lo < hi) {
            let reps = (lo - start) as u32..(hi - start) as u32;
            match crate::sim::simulate_replications(model, settings, reps.clone(), stop) {
                Ok(runs) => results.extend(runs.into_iter().map(|r| Unit {
                    point: p as u32,
                    replication: r.replication,
                    outcome: UnitOutcome::Run(Box::new(r)),
                })),
                Err(SimError::Cancelled) => return Err(SimError::Cancelled.into()),
                Err(e) => {
                    let message = e.to_string();
                    results.extend(reps.map(|replication| Unit {
                        point: p as u32,
                        replication,
                        outcome: UnitOutcome::Failed(message.clone()),
                    }));
                }
            }
        }
        start += count;
    }
    let checksum = checksum(total, range, &results)?;
    Ok(Partial {
        format: PARTIAL_FORMAT.into(),
        version: PARTIAL_VERSION,
        kendall: env!("CARGO_PKG_VERSION").into(),
        fingerprint: job.fingerprint()?,
        job: job.clone(),
        units: total,
        range,
        shard: None,
        results,
        checksum,
    })
}

/// FNV-1a of the units covered and their results (so neither can change alone).
fn checksum(units: u64, range: [u64; 2], results: &[Unit]) -> Result<String, PartialError> {
    serde_json::to_string(&(units, range, results))
        .map(|j| fnv1a(j.as_bytes()))
        .map_err(|e| PartialError::Refused {
            which: "results".into(),
            reason: format!("cannot be written exactly ({e}): a figure is not finite"),
        })
}

impl Partial {
    /// The partial as compact JSON (the `.kpart` file).
    ///
    /// # Errors
    /// [`PartialError::Refused`] if a figure cannot be written exactly.
    pub fn to_json(&self) -> Result<String, PartialError> {
        serde_json::to_string(self).map_err(|e| PartialError::Refused {
            which: format!("units {}..{}", self.range[0], self.range[1]),
            reason: format!("cannot be written: {e}"),
        })
    }

    /// Reads and checks a partial: its format, version, kendall version and checksum.
    /// `which` names it in errors (a file name).
    ///
    /// # Errors
    /// [`PartialError::Refused`] with the reason.
    pub fn from_json(text: &str, which: &str) -> Result<Self, PartialError> {
        let refused = |reason: String| PartialError::Refused {
            which: which.into(),
            reason,
        };
        let head: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| refused(format!("not a kendall partial (not JSON: {e})")))?;
        if head.get("format").and_then(|f| f.as_str()) != Some(PARTIAL_FORMAT) {
            return Err(refused(format!(
                "not a kendall partial (no \"format\": \"{PARTIAL_FORMAT}\")"
            )));
        }
        let version = head.get("version").and_then(serde_json::Value::as_u64);
        if version != Some(u64::from(PARTIAL_VERSION)) {
            return Err(refused(format!(
                "layout version {version:?}, this kendall reads version {PARTIAL_VERSION}: merge with the kendall that wrote it"
            )));
        }
        let p: Partial =
            serde_json::from_value(head).map_err(|e| refused(format!("damaged: {e}")))?;
        if p.kendall != env!("CARGO_PKG_VERSION") {
            return Err(refused(format!(
                "written by kendall {}, this is {}: run every shard and the merge with one version (reports may differ between versions)",
                p.kendall,
                env!("CARGO_PKG_VERSION")
            )));
        }
        if checksum(p.units, p.range, &p.results)? != p.checksum {
            return Err(refused(
                "its results do not match their checksum: the file was damaged or edited; run its shard again".into(),
            ));
        }
        if p.job.fingerprint()? != p.fingerprint {
            return Err(refused(
                "its job does not match its fingerprint: the file was damaged or edited; run its shard again".into(),
            ));
        }
        Ok(p)
    }
}

/// Merges the partials of one job (as `.kpart` texts, in any order) into the report
/// the run in one process gives. Errors name a partial by its position (1-based); use
/// [`merge_named`] to name files.
///
/// # Errors
/// See [`merge_named`].
pub fn merge(parts: &[String]) -> Result<Merged, PartialError> {
    let named: Vec<(String, &str)> = parts
        .iter()
        .enumerate()
        .map(|(i, t)| (format!("#{}", i + 1), t.as_str()))
        .collect();
    merge_named(&named).map(|(merged, _)| merged)
}

/// As [`merge`], each partial given with its name (a file name) for the errors; also
/// returns the job the partials ran (its model, for the report's SLOs and charts).
///
/// # Errors
/// [`PartialError::Empty`]; [`PartialError::Refused`] for a partial that cannot be read
/// or checked, or that belongs to another job (another seed, model, settings or grid:
/// said which); [`PartialError::Coverage`] when units are missing or given twice;
/// [`PartialError::Failed`] for a simulation whose replication failed.
pub fn merge_named(parts: &[(String, &str)]) -> Result<(Merged, Job), PartialError> {
    let mut read = Vec::with_capacity(parts.len());
    for (name, text) in parts {
        read.push((name.clone(), Partial::from_json(text, name)?));
    }
    let Some((first_name, first)) = read.first() else {
        return Err(PartialError::Empty);
    };
    for (name, p) in &read[1..] {
        if p.fingerprint != first.fingerprint {
            let what = match (&p.job, &first.job) {
                _ if p.job.seed() != first.job.seed() => format!(
                    "another seed ({}; {first_name} has {})",
                    p.job.seed(),
                    first.job.seed()
                ),
                (Job::Simulate { model: a, .. }, Job::Simulate { model: b, .. })
                | (Job::Sweep { model: a, .. }, Job::Sweep { model: b, .. })
                    if a != b =>
                {
                    format!("another model than {first_name}")
                }
                (Job::Simulate { .. }, Job::Sweep { .. })
                | (Job::Sweep { .. }, Job::Simulate { .. }) => {
                    format!("another kind of run than {first_name} (simulate and sweep)")
                }
                _ => format!("other run settings or sweep values than {first_name}"),
            };
            return Err(PartialError::Refused {
                which: name.clone(),
                reason: format!("belongs to another job: {what}; merge only the shards of one run"),
            });
        }
    }
    let total = first.units;
    let job = first.job.clone();
    // Every unit exactly once, in order.
    read.sort_by_key(|(_, p)| p.range);
    let mut at = 0u64;
    for (name, p) in &read {
        let [lo, hi] = p.range;
        if lo > at {
            return Err(PartialError::Coverage {
                reason: format!(
                    "units {at}..{lo} of {total} are missing (run the shards that cover them)"
                ),
            });
        }
        if lo < at {
            return Err(PartialError::Coverage {
                reason: format!(
                    "{name} repeats units {lo}..{} already given: merge each shard once",
                    at.min(hi)
                ),
            });
        }
        if p.results.len() as u64 != hi - lo {
            return Err(PartialError::Refused {
                which: name.clone(),
                reason: format!(
                    "holds {} results for {} units: damaged",
                    p.results.len(),
                    hi - lo
                ),
            });
        }
        at = hi;
    }
    if at != total {
        return Err(PartialError::Coverage {
            reason: format!(
                "units {at}..{total} of {total} are missing (run the shards that cover them)"
            ),
        });
    }
    // Each point's replications in order (moved out of the partials), or the first
    // failure among them.
    type PointRuns = Result<Vec<ReplicationResult>, (u32, String)>;
    let mut by_point: BTreeMap<u32, PointRuns> = BTreeMap::new();
    for (_, p) in read {
        for u in p.results {
            let runs = by_point.entry(u.point).or_insert_with(|| Ok(Vec::new()));
            match (runs, u.outcome) {
                (Ok(list), UnitOutcome::Run(r)) => list.push(*r),
                (runs @ Ok(_), UnitOutcome::Failed(m)) => *runs = Err((u.replication, m)),
                (Err(_), _) => {}
            }
        }
    }
    let report_of = |point: usize, model: &ValidModel, settings: &RunSettings| {
        let runs = match by_point.get(&(point as u32)) {
            None => &[][..],
            Some(Ok(runs)) => runs.as_slice(),
            Some(Err(failure)) => return Err(failure.clone()),
        };
        report_from_replications(model, settings, runs).map_err(|e| (0, e.to_string()))
    };
    match &job {
        Job::Simulate { model, settings } => {
            let valid = model.clone().validate()?;
            let report = report_of(0, &valid, settings).map_err(|(replication, message)| {
                PartialError::Failed {
                    replication,
                    message,
                }
            })?;
            Ok((Merged::Simulation(Box::new(report)), job.clone()))
        }
        Job::Sweep {
            model,
            settings,
            options,
        } => {
            let valid = model.clone().validate()?;
            let sim = |i: usize, m: &ValidModel, s: &RunSettings| {
                report_of(i, m, s).map_err(|(_, message)| message)
            };
            let sweep = sweep_points(&valid, settings, options, &|_, _| {}, None, &sim)?;
            Ok((Merged::Sweep(sweep), job.clone()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_cover_the_units_once() {
        for total in [0u64, 1, 7, 100] {
            for n in 1..=9u32 {
                let mut at = 0;
                for k in 1..=n {
                    let [lo, hi] = shard_range(total, k, n);
                    assert_eq!(lo, at);
                    assert!(hi >= lo);
                    at = hi;
                }
                assert_eq!(at, total);
            }
        }
    }

    #[test]
    fn fnv1a_of_known_strings() {
        // Published test vectors of 64-bit FNV-1a.
        assert_eq!(fnv1a(b""), "cbf29ce484222325");
        assert_eq!(fnv1a(b"a"), "af63dc4c8601ec8c");
        assert_eq!(fnv1a(b"foobar"), "85944171f73967e8");
    }
}
