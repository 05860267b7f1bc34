//! The published JSON Schemas (src/report/schemas/) are the ones generated from the
//! types. That every bundled example's JSON output validates against them is checked by
//! python/tests/test_schemas.py, with the reference validator (Python `jsonschema`): a
//! Rust validator as a dev-dependency would hold up `cargo test`'s build by 40 s.
//!
//! After an intended change of an output shape, regenerate the files with
//! `KENDALL_UPDATE_SCHEMAS=1 cargo test --test integration schema::`, bump `SCHEMA_VERSION` if a field
//! was renamed or removed, and record it in CHANGELOG.md.

use kendall::report::schema::{Output, json_schema};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn schema_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src/report/schemas")
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
