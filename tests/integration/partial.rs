//! Runs split into shards and merged: the same report, byte for byte, as the run in
//! one process (simulate, sweep --simulate, the sizing verification), and partials
//! that do not belong together refused with the reason.

use kendall::model::*;
use kendall::partial::{Job, Merged, PartialError, merge, run_shard};
use kendall::{SizingOptions, SweepAxis, SweepOptions, size, size_with_simulator, sweep};

fn example(name: &str) -> Model {
    Model::load(format!("{}/examples/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn shards(job: &Job, n: u32) -> Vec<String> {
    (1..=n)
        .map(|k| run_shard(job, k, n, None).unwrap().to_json().unwrap())
        .collect()
}

/// Every figure, the time series and the asked-for tails of a fan-out model: merged
/// from 4 shards (in reverse order) equal to one run, as values and as JSON bytes.
#[test]
fn merged_simulation_is_the_single_process_report() {
    let mut model = example("payments.toml");
    model.queries = Queries {
        percentiles: vec![99.9],
        at: vec![0.05],
    };
    let settings = RunSettings {
        horizon: Some(120.0),
        replications: 7,
        seed: 42,
        time_series: Some(10.0),
        ..RunSettings::default()
    };
    let whole = kendall::simulate(&model.clone().validate().unwrap(), &settings).unwrap();
    let job = Job::Simulate { model, settings };
    let mut parts = shards(&job, 4);
    parts.reverse();
    let Merged::Simulation(merged) = merge(&parts).unwrap() else {
        panic!("a simulation")
    };
    assert_eq!(
        serde_json::to_string_pretty(&merged).unwrap(),
        serde_json::to_string_pretty(&whole).unwrap()
    );
    assert_eq!(*merged, whole);
    // More shards than replications: empty shards are fine.
    let Merged::Simulation(m2) = merge(&shards(&job, 9)).unwrap() else {
        panic!("a simulation")
    };
    assert_eq!(*m2, whole);
}

/// A two-parameter sweep whose points have different replication counts (the second
/// parameter is `simulation.replications`) and one point the model refuses (0
/// consumers): merged from 5 shards equal to the sweep in one process.
#[test]
fn merged_sweep_is_the_single_process_sweep() {
    let model = example("single_queue.toml");
    let settings = RunSettings {
        horizon: Some(60.0),
        replications: 3,
        seed: 5,
        ..RunSettings::default()
    };
    let options = SweepOptions {
        parameter: "queue.payments.servers".into(),
        values: vec![9.0, 0.0, 12.0],
        second: Some(SweepAxis::new("simulation.replications", vec![2.0, 3.0])),
        analytic: true,
        simulate: true,
    };
    let whole = sweep(
        &model.clone().validate().unwrap(),
        &settings,
        &options,
        &|_, _| {},
    )
    .unwrap();
    assert!(whole.points[2].error.is_some());
    let job = Job::Sweep {
        model,
        settings,
        options,
    };
    let Merged::Sweep(merged) = merge(&shards(&job, 5)).unwrap() else {
        panic!("a sweep")
    };
    assert_eq!(
        serde_json::to_string(&merged).unwrap(),
        serde_json::to_string(&whole).unwrap()
    );
}

/// The sizing search with every simulation split into 3 shards and merged gives the
/// result of `size`, verification and simulated curve included.
#[test]
fn sizing_verified_through_shards_is_the_same() {
    let model = example("single_queue.toml").validate().unwrap();
    let slos = vec!["payments.p99 < 60ms".parse().unwrap()];
    let options = SizingOptions::default();
    let here = size(&model, &slos, &options).unwrap();
    let calls = std::cell::Cell::new(0);
    let split = size_with_simulator(
        &model,
        &slos,
        &options,
        &|_| kendall::Control::Continue,
        &|m, s| {
            calls.set(calls.get() + 1);
            let job = Job::Simulate {
                model: m.model().clone(),
                settings: s.clone(),
            };
            match merge(&shards(&job, 3)).unwrap() {
                Merged::Simulation(r) => Ok(*r),
                Merged::Sweep(_) => unreachable!(),
            }
        },
    )
    .unwrap();
    assert!(calls.get() >= 1);
    assert!(here.slos.iter().all(|e| e.simulated.is_some()));
    assert_eq!(
        serde_json::to_string(&split).unwrap(),
        serde_json::to_string(&here).unwrap()
    );
}

fn refusal(parts: &[String]) -> String {
    match merge(parts) {
        Err(e) => e.to_string(),
        Ok(_) => panic!("merged"),
    }
}

/// Partials of another seed or model, edited, repeated or missing are refused, each
/// with its reason.
#[test]
fn partials_that_do_not_belong_are_refused() {
    let model = example("single_queue.toml");
    let settings = RunSettings {
        horizon: Some(30.0),
        replications: 4,
        ..RunSettings::default()
    };
    let job = Job::Simulate {
        model: model.clone(),
        settings: settings.clone(),
    };
    let parts = shards(&job, 2);
    let other_seed = shards(
        &Job::Simulate {
            model: model.clone(),
            settings: RunSettings {
                seed: settings.seed + 1,
                ..settings.clone()
            },
        },
        2,
    );
    let e = refusal(&[parts[0].clone(), other_seed[1].clone()]);
    assert!(e.contains("another seed"), "{e}");
    let mut other_model = model.clone();
    other_model.queues[0].servers += 1;
    let other = shards(
        &Job::Simulate {
            model: other_model,
            settings: settings.clone(),
        },
        2,
    );
    let e = refusal(&[parts[0].clone(), other[1].clone()]);
    assert!(e.contains("another model"), "{e}");
    // A figure edited: the checksum catches it.
    let edited = parts[1].replacen("\"events\":", "\"events\":1", 1);
    let e = refusal(&[parts[0].clone(), edited]);
    assert!(e.contains("checksum"), "{e}");
    let e = refusal(&[parts[0].clone()]);
    assert!(e.contains("missing"), "{e}");
    let e = refusal(&[parts[0].clone(), parts[0].clone(), parts[1].clone()]);
    assert!(e.contains("repeats"), "{e}");
    let e = refusal(&["{}".into()]);
    assert!(e.contains("not a kendall partial"), "{e}");
    let newer = parts[0].replacen("\"version\":1", "\"version\":2", 1);
    assert!(refusal(&[newer]).contains("layout version"));
    assert!(matches!(merge(&[]), Err(PartialError::Empty)));
    assert!(matches!(
        run_shard(&job, 3, 2, None),
        Err(PartialError::Shard { k: 3, n: 2 })
    ));
}

/// The command line: `simulate --shard K/N --out` and `sweep --simulate --shard`, then
/// `merge`, print what the run in one process prints; a missing shard exits 2.
#[test]
fn cli_shards_merge_to_the_same_output() {
    let bin = env!("CARGO_BIN_EXE_kendall");
    let dir = std::env::temp_dir().join(format!("kendall-partial-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let scenario = format!("{}/examples/single_queue.toml", env!("CARGO_MANIFEST_DIR"));
    let run = |args: &[&str]| {
        let out = std::process::Command::new(bin).args(args).output().unwrap();
        (
            out.status.code(),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    for (verb, extra) in [
        ("simulate", &["--replications", "5", "--horizon", "50"][..]),
        (
            "sweep",
            &[
                "--simulate",
                "--values",
                "0.5,0.9",
                "--replications",
                "3",
                "--horizon",
                "40",
            ][..],
        ),
    ] {
        let mut parts = Vec::new();
        for k in 1..=3 {
            let path = dir.join(format!("{verb}-{k}.kpart"));
            let shard = format!("{k}/3");
            let mut args = vec![verb, scenario.as_str()];
            args.extend_from_slice(extra);
            args.extend_from_slice(&["--shard", &shard, "--out", path.to_str().unwrap()]);
            let (code, _, err) = run(&args);
            assert_eq!(code, Some(0), "{err}");
            parts.push(path.to_str().unwrap().to_string());
        }
        let mut whole_args = vec![verb, scenario.as_str()];
        whole_args.extend_from_slice(extra);
        whole_args.extend_from_slice(&["--format", "json"]);
        let (_, whole, _) = run(&whole_args);
        let mut merge_args = vec!["merge", "--format", "json"];
        merge_args.extend(parts.iter().rev().map(String::as_str));
        let (code, merged, err) = run(&merge_args);
        assert_eq!(code, Some(0), "{err}");
        assert_eq!(merged, whole, "{verb}");
        let (code, _, err) = run(&["merge", &parts[0], &parts[2]]);
        assert_eq!(code, Some(2));
        assert!(err.contains("missing"), "{err}");
    }
    // A grid of another figure (a tail threshold no report carries, so the shards must
    // ask for it): merged with the same --metric, the same grid as one process; merged
    // from shards that did not ask, refused.
    let grid = [
        "sweep",
        scenario.as_str(),
        "--simulate",
        "--values",
        "0.5,0.9",
        "--param2",
        "queue.payments.servers",
        "--values2",
        "10,12",
        "--replications",
        "2",
        "--horizon",
        "20",
    ];
    let tail = ["--metric", "payments.P(>20ms)"];
    let (code, whole, err) = run(&[&grid[..], &tail[..]].concat());
    assert_eq!(code, Some(0), "{err}");
    assert!(whole.contains("payments.P(>20ms), simulated"), "{whole}");
    for asked in [true, false] {
        let mut parts = Vec::new();
        for k in 1..=2 {
            let path = dir.join(format!("grid-{asked}-{k}.kpart"));
            let shard = format!("{k}/2");
            let mut args = grid.to_vec();
            if asked {
                args.extend_from_slice(&tail);
            }
            args.extend_from_slice(&["--shard", &shard, "--out", path.to_str().unwrap()]);
            let (code, _, err) = run(&args);
            assert_eq!(code, Some(0), "{err}");
            parts.push(path.to_str().unwrap().to_string());
        }
        let mut args = vec!["merge", tail[0], tail[1]];
        args.extend(parts.iter().map(String::as_str));
        let (code, merged, err) = run(&args);
        if asked {
            assert_eq!(code, Some(0), "{err}");
            assert_eq!(merged, whole);
        } else {
            assert_eq!(code, Some(2));
            assert!(err.contains("the same --metric"), "{err}");
        }
    }
    let (code, _, err) = run(&["sweep", &scenario, "--shard", "1/2", "--out", "x.kpart"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("--simulate"), "{err}");
    let (code, _, err) = run(&["simulate", &scenario, "--shard", "0/2", "--out", "x.kpart"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("K/N"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

/// `examples/slurm/kendall-array.sh` as Slurm runs it (one process per array task with
/// SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT set), then `kendall merge`: the same
/// report as one process.
#[test]
fn slurm_array_script_runs_as_documented() {
    let bin = env!("CARGO_BIN_EXE_kendall");
    let dir = std::env::temp_dir().join(format!("kendall-slurm-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let root = env!("CARGO_MANIFEST_DIR");
    let scenario = format!("{root}/examples/single_queue.toml");
    for k in 1..=4 {
        let out = std::process::Command::new("bash")
            .arg(format!("{root}/examples/slurm/kendall-array.sh"))
            .args([
                "simulate",
                &scenario,
                "--replications",
                "6",
                "--horizon",
                "40",
            ])
            .env("SLURM_ARRAY_TASK_ID", k.to_string())
            .env("SLURM_ARRAY_TASK_COUNT", "4")
            .env("SLURM_ARRAY_JOB_ID", "77")
            .env("SLURM_SUBMIT_DIR", &dir)
            .env("KENDALL", bin)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let parts: Vec<_> = (1..=4)
        .map(|k| dir.join(format!("kendall-parts/77/part-{k}-of-4.kpart")))
        .collect();
    let merged = std::process::Command::new(bin)
        .arg("merge")
        .args(&parts)
        .output()
        .unwrap();
    assert!(merged.status.success());
    let whole = std::process::Command::new(bin)
        .args([
            "simulate",
            &scenario,
            "--replications",
            "6",
            "--horizon",
            "40",
        ])
        .output()
        .unwrap();
    assert_eq!(merged.stdout, whole.stdout);
    std::fs::remove_dir_all(&dir).ok();
}
