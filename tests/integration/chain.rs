//! `[[chain]]` scenario blocks: Markov chains solved by the CTMC module (steady state,
//! π(t), rewards), their validation, and a model that mixes a chain with queues. The
//! references are closed forms worked by hand in the comments.

use kendall::analytic::solve;
use kendall::model::*;
use std::process::Command;

use crate::common;
use common::assert_rel;

const HEALTH: &str = r#"
name = "consumer-health"
[[chain]]
name = "health"
states = ["up", "degraded", "down"]
transitions = [
  { from = "up", to = "degraded", rate = 0.01 },
  { from = "degraded", to = "up", rate = 0.5 },
  { from = "degraded", to = "down", rate = 0.05 },
  { from = "down", to = "up", rate = 0.2 },
]
initial = "up"
at = ["1m", "1h"]
reward = { up = 1.0, degraded = 0.5 }
"#;

#[test]
fn steady_state_and_rewards_match_the_balance_equations() {
    let m: Model = toml::from_str(HEALTH).unwrap();
    let s = solve(&m.validate().unwrap()).unwrap();
    let c = &s.chains[0];
    // Balance: 0.01 up = 0.55 degraded, 0.05 degraded = 0.2 down, so
    // (up, degraded, down) = (220, 4, 1) / 225; reward up + degraded / 2 = 222 / 225.
    let ss = c.steady_state.as_ref().unwrap();
    for (got, want) in ss.pi.iter().zip([220.0 / 225.0, 4.0 / 225.0, 1.0 / 225.0]) {
        assert_rel!(*got, want, 1e-12);
    }
    assert_rel!(ss.reward.unwrap(), 222.0 / 225.0, 1e-12);
    assert!(ss.error_bound < 1e-14);
    assert_eq!(c.transient.len(), 2);
    assert_eq!(c.transient[1].time, Some(3600.0));
    // After an hour the chain has forgotten its start (relaxation times of ~2 s and
    // ~20 s): π(1 h) is the steady state.
    for (a, b) in c.transient[1].pi.iter().zip(&ss.pi) {
        common::assert_abs!(*a, *b, 1e-11);
    }
}

#[test]
fn two_state_transient_matches_the_closed_form() {
    // Up → down at a = 1, down → up at b = 3, from down: P(up at t) = 3/4 (1 − e^{−4t}).
    let chain = Chain {
        name: "link".into(),
        states: vec!["up".into(), "down".into()],
        transitions: vec![
            Transition {
                from: "up".into(),
                to: "down".into(),
                rate: 1.0,
            },
            Transition {
                from: "down".into(),
                to: "up".into(),
                rate: 3.0,
            },
        ],
        initial: Some("down".into()),
        at: vec![0.0, 0.1, 1.0],
        reward: Default::default(),
    };
    let s = kendall::analytic::ChainSolution::of(&chain);
    for d in &s.transient {
        let t = d.time.unwrap();
        common::assert_abs!(d.pi[0], 0.75 * (1.0 - (-4.0 * t).exp()), 1e-12, "t = {t}");
        assert!(d.reward.is_none());
    }
}

#[test]
fn a_chain_with_two_absorbing_states_has_no_steady_state_but_a_transient() {
    // From "start": to "a" at 1, to "b" at 3. Absorbed in a with probability 1/4.
    let text = r#"
[[chain]]
name = "race"
states = ["start", "a", "b"]
transitions = [{ from = "start", to = "a", rate = 1.0 }, { from = "start", to = "b", rate = 3.0 }]
at = [100.0]
"#;
    let m: Model = toml::from_str(text).unwrap();
    let s = solve(&m.validate().unwrap()).unwrap();
    let c = &s.chains[0];
    assert!(c.steady_state.is_none());
    assert!(
        c.note.as_ref().unwrap().contains("no unique steady state"),
        "{:?}",
        c.note
    );
    common::assert_abs!(c.transient[0].pi[1], 0.25, 1e-12);
}

#[test]
fn chain_problems_name_the_field_and_the_fix() {
    let text = r#"
[[chain]]
name = "bad"
states = ["up", "up", "down"]
transitions = [
  { from = "up", to = "gone", rate = 1.0 },
  { from = "down", to = "down", rate = 1.0 },
  { from = "up", to = "down", rate = -2.0 },
]
initial = "sideways"
reward = { nowhere = 1.0 }
[[chain]]
name = "bad"
states = ["x"]
transitions = []
"#;
    let m: Model = toml::from_str(text).unwrap();
    let e = m.validate().unwrap_err().to_string();
    for needle in [
        "chain \"bad\".states[1]",
        "chain \"bad\".transitions[0].to: unknown state \"gone\"",
        "chain \"bad\".transitions[1].to",
        "chain \"bad\".transitions[2].rate: must be finite and > 0",
        "chain \"bad\".initial: unknown state \"sideways\"",
        "chain \"bad\".reward.nowhere",
        "chain \"bad\".name: is used twice",
    ] {
        assert!(e.contains(needle), "missing {needle:?} in:\n{e}");
    }
}

#[test]
fn chains_beside_queues_and_on_the_command_line() {
    // A chain next to the single-queue example: both solved, the queue unchanged.
    let base = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/single_queue.toml"
    ))
    .unwrap();
    let with: Model = toml::from_str(&format!(
        "{base}\n{}",
        HEALTH.replace("name = \"consumer-health\"\n", "")
    ))
    .unwrap();
    let alone: Model = toml::from_str(&base).unwrap();
    let (a, b) = (
        solve(&with.validate().unwrap()).unwrap(),
        solve(&alone.validate().unwrap()).unwrap(),
    );
    assert_eq!(a.nodes, b.nodes);
    assert_eq!(a.chains.len(), 1);
    // The scenario writes back to the same model.
    let again: Model = toml::from_str(&with.to_toml_string().unwrap()).unwrap();
    assert_eq!(again, with);
    // CLI: the chain's rows in CSV; simulate refuses a chain-only model (exit 2).
    let dir = std::env::temp_dir().join(format!("kendall-chain-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("health.toml");
    std::fs::write(&path, HEALTH).unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_kendall"))
            .args(args)
            .arg(&path)
            .output()
            .unwrap()
    };
    let out = run(&["solve", "--format", "csv"]);
    assert!(out.status.success());
    let csv = String::from_utf8(out.stdout).unwrap();
    assert!(csv.contains("chain:health,P(up)@60s,"), "{csv}");
    assert!(csv.contains("chain:health,reward,"), "{csv}");
    let out = run(&["simulate"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("kendall solve")
    );
    std::fs::remove_dir_all(&dir).ok();
}
