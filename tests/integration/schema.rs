//! The published JSON Schemas (src/report/schemas/) are the ones generated from the
//! types, and every bundled example's JSON output validates against them.
//!
//! After an intended change of an output shape, regenerate the files with
//! `KENDALL_UPDATE_SCHEMAS=1 cargo test --test integration schema::`, bump `SCHEMA_VERSION` if a field
//! was renamed or removed, and record it in CHANGELOG.md.

use kendall::report::schema::{Output, json_schema};
use kendall::{
    DEFAULT_FLAG_THRESHOLD, Model, RunSettings, SCHEMA_VERSION, SizingOptions, SweepOptions,
    ValidModel, compare, simulate, size, solve, sweep,
};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn schema_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src/report/schemas")
}

fn examples() -> Vec<(String, ValidModel)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut out: Vec<(String, ValidModel)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().to_string();
            let m = Model::load(&p).unwrap().validate().unwrap();
            (name, m)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(out.len() >= 9, "expected the bundled examples");
    out
}

/// Short runs: the shapes matter here, not the precision.
fn quick(m: &ValidModel) -> RunSettings {
    RunSettings {
        horizon: Some(20.0),
        warmup: 2.0,
        replications: 2,
        time_series: Some(5.0),
        ..m.model().simulation.clone()
    }
}

fn check(output: Output, what: &str, value: &impl serde::Serialize) {
    let schema = json_schema(output);
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let instance = serde_json::to_value(value).unwrap();
    assert_eq!(instance["schema_version"], SCHEMA_VERSION, "{what}");
    let errors: Vec<String> = validator
        .iter_errors(&instance)
        .take(5)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} does not match the {output} schema:\n{}",
        errors.join("\n")
    );
}

#[test]
fn published_schemas_are_the_generated_ones() {
    let update = std::env::var_os("KENDALL_UPDATE_SCHEMAS").is_some();
    for output in Output::ALL {
        let path = schema_dir().join(output.file_name());
        let generated = serde_json::to_string_pretty(&json_schema(output)).unwrap() + "\n";
        if update {
            std::fs::create_dir_all(schema_dir()).unwrap();
            std::fs::write(&path, &generated).unwrap();
            continue;
        }
        let published = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            published == generated,
            "{} is out of date: run KENDALL_UPDATE_SCHEMAS=1 cargo test --test integration schema::",
            path.display()
        );
        let v: Value = serde_json::from_str(&published).unwrap();
        assert!(v["$schema"].as_str().unwrap().contains("2020-12"));
    }
}

#[test]
fn every_example_solves_and_simulates_to_the_schema() {
    for (name, m) in examples() {
        check(Output::Solve, &name, &solve(&m).unwrap());
        check(Output::Simulate, &name, &simulate(&m, &quick(&m)).unwrap());
        // A what-if against itself at 1.5x load (a trace cannot be scaled).
        if let Ok(busier) = m.with_load_multiplier(1.5) {
            check(
                Output::Diff,
                &name,
                &kendall::diff(&m, &busier, &[]).unwrap(),
            );
        }
    }
}

#[test]
fn every_example_compares_to_the_schema() {
    for (name, m) in examples() {
        let c = compare(&m, &quick(&m), DEFAULT_FLAG_THRESHOLD, &|_, _| {}).unwrap();
        check(Output::Compare, &name, &c);
    }
}

#[test]
fn sweeps_and_sizing_to_the_schema() {
    for (name, m) in examples() {
        let opts = SweepOptions {
            parameter: "load".into(),
            values: vec![0.5, 1.5],
            second: None,
            analytic: true,
            simulate: name == "payments",
        };
        match sweep(&m, &quick(&m), &opts, &|_, _| {}) {
            Ok(s) => check(Output::Sweep, &name, &s),
            // A trace cannot be scaled: the refusal is the answer.
            Err(e) => assert!(e.to_string().contains("trace"), "{name}: {e}"),
        }
    }
    let all: Vec<_> = examples();
    let (_, payments) = all.iter().find(|(n, _)| n == "payments").unwrap();
    // A two-parameter sweep, simulated: `second` and `value2` are in the schema.
    let grid = SweepOptions {
        values: vec![0.5, 1.2],
        second: Some(kendall::SweepAxis::new(
            "queue.payments.servers",
            vec![9.0, 12.0],
        )),
        simulate: true,
        ..SweepOptions::default()
    };
    let s = sweep(payments, &quick(payments), &grid, &|_, _| {}).unwrap();
    assert!(s.points.iter().all(|p| p.value2.is_some()));
    check(Output::Sweep, "payments (load × consumers)", &s);
    let slos = ["end_to_end.p99 < 200ms".parse().unwrap()];
    for verify in [false, true] {
        let options = SizingOptions {
            verify,
            max_replications: 4,
            ..SizingOptions::default()
        };
        let mut m = payments.clone().into_model();
        m.simulation = quick(payments);
        let r = size(&m.validate().unwrap(), &slos, &options).unwrap();
        check(Output::Size, "payments", &r);
    }
}
