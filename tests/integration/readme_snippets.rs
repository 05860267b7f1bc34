//! The scenario-file reference in README.md stays true: every ```toml snippet parses, each
//! `[[source]]`, `[[queue]]`, `[[topic]]` and `[simulation]` table in it deserialises into
//! the model's own types (unknown fields are refused by them), and every snippet that is a
//! whole scenario (a source and a queue) validates. The same for python/README.md's and
//! examples/README.md's commands: every example file they name exists.

use kendall::Model;
use kendall::model::{Queue, RunSettings, Source, Topic};

fn snippets(text: &str, lang: &str) -> Vec<String> {
    let fence = format!("```{lang}");
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        match &mut current {
            None if line.trim_start() == fence => current = Some(String::new()),
            Some(body) if line.trim_start() == "```" => {
                out.push(std::mem::take(body));
                current = None;
            }
            Some(body) => {
                body.push_str(line);
                body.push('\n');
            }
            None => {}
        }
    }
    out
}

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap()
}

#[test]
fn every_toml_snippet_of_the_readme_is_a_valid_scenario_part() {
    let all = snippets(&readme(), "toml");
    assert!(all.len() >= 4, "found {} toml snippets", all.len());
    let mut whole = 0;
    for (i, text) in all.iter().enumerate() {
        let value: toml::Table =
            toml::from_str(text).unwrap_or_else(|e| panic!("snippet {i} is not TOML: {e}\n{text}"));
        let tables = |key: &str| -> Vec<toml::Value> {
            value
                .get(key)
                .and_then(|v| v.as_array())
                .cloned()
                .unwrap_or_default()
        };
        for q in tables("queue") {
            let r: Result<Queue, _> = q.clone().try_into();
            r.unwrap_or_else(|e| panic!("snippet {i}: [[queue]] does not parse: {e}\n{q}"));
        }
        for s in tables("source") {
            let r: Result<Source, _> = s.clone().try_into();
            r.unwrap_or_else(|e| panic!("snippet {i}: [[source]] does not parse: {e}\n{s}"));
        }
        for t in tables("topic") {
            let r: Result<Topic, _> = t.clone().try_into();
            r.unwrap_or_else(|e| panic!("snippet {i}: [[topic]] does not parse: {e}\n{t}"));
        }
        if let Some(sim) = value.get("simulation") {
            let r: Result<RunSettings, _> = sim.clone().try_into();
            r.unwrap_or_else(|e| panic!("snippet {i}: [simulation] does not parse: {e}"));
        }
        if value.contains_key("source") && value.contains_key("queue") {
            Model::from_toml_str(text)
                .and_then(|m| m.validate().map(|_| ()))
                .unwrap_or_else(|e| {
                    panic!("snippet {i} is a scenario that does not validate: {e}\n{text}")
                });
            whole += 1;
        }
    }
    assert!(whole >= 1, "no whole scenario among the README's snippets");
}

#[test]
fn every_example_file_the_readmes_name_exists() {
    let root = env!("CARGO_MANIFEST_DIR");
    for doc in [
        "README.md",
        "examples/README.md",
        "notebooks/README.md",
        "python/README.md",
    ] {
        let text = std::fs::read_to_string(format!("{root}/{doc}")).unwrap();
        for word in text.split(|c: char| c.is_whitespace() || "`()[]|,".contains(c)) {
            let word = word.trim_matches(|c: char| c == '.' || c == ':' || c == '"' || c == '\'');
            if word.starts_with("examples/")
                && (word.ends_with(".toml") || word.ends_with(".rs") || word.ends_with(".py"))
            {
                assert!(
                    std::path::Path::new(&format!("{root}/{word}")).is_file(),
                    "{doc} names {word}, which does not exist"
                );
            }
        }
    }
}
