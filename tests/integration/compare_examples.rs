//! Every example scenario is solved and simulated side by side; every figure the
//! analytic side calls exact (or exact-but-numerical) must lie in the simulation's
//! confidence interval. The intervals are taken at 99.9% (the scenarios' own seeds and
//! run lengths), percentile intervals widened by the histogram's stated relative error,
//! and nodes with fewer than `MIN_SAMPLES` messages are not checked (see `compare`).
//! Approximations are reported, not asserted: their errors are the point of comparing.

use kendall::analytic::Exactness;
use kendall::model::Model;
use kendall::{DEFAULT_FLAG_THRESHOLD as DEFAULT_THRESHOLD, compare as run};

#[test]
fn exact_figures_of_every_example_agree_with_simulation() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/examples");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 5, "examples missing: {files:?}");
    let mut failures = Vec::new();
    for path in &files {
        let model = Model::load(path).unwrap();
        let mut settings = model.simulation.clone();
        settings.confidence = 0.999;
        let c = run(
            &model.validate().unwrap(),
            &settings,
            DEFAULT_THRESHOLD,
            &|_, _| {},
        )
        .unwrap();
        let mut checked = 0;
        for r in &c.rows {
            if !matches!(r.exactness, Some(Exactness::Exact | Exactness::Numerical)) {
                continue;
            }
            match r.in_interval {
                Some(true) => checked += 1,
                Some(false) => failures.push(format!(
                    "{}: {} {} analytic {:?} simulated {:?} ({})",
                    path.file_name().unwrap().to_string_lossy(),
                    r.node,
                    r.metric,
                    r.analytic,
                    r.simulated,
                    r.method
                        .as_ref()
                        .map(ToString::to_string)
                        .or(r.note.clone())
                        .unwrap_or_default()
                )),
                None => {}
            }
        }
        // The largest error of the exact figures is one that was checked (never a
        // node with too few messages, such as the redelivery example's dead-letter
        // queue at under one message per replication), and the summary says whether
        // the interval covers it.
        if let Some(r) = c.largest_error(Exactness::Exact) {
            assert!(
                r.in_interval.is_some() && r.warning.is_none(),
                "{path:?}: {r:?}"
            );
            assert_ne!(r.node, "webhooks-dlq");
            let summary = kendall::report::comparison_summary(&c);
            assert!(
                summary.contains("interval)") && summary.contains("99.9% interval"),
                "{summary}"
            );
        }
        let approx = c.largest_error(Exactness::Approximation);
        eprintln!(
            "{}: {checked} exact figures inside the interval; largest approximation error {}",
            path.file_name().unwrap().to_string_lossy(),
            approx.map_or("-".into(), |r| format!(
                "{:+.1}% ({} {})",
                100.0 * r.relative_error.unwrap_or(0.0),
                r.node,
                r.metric
            ))
        );
    }
    assert!(
        failures.is_empty(),
        "exact figures outside the 99.9% interval:\n{}",
        failures.join("\n")
    );
}
