//! One test per validation rule of the model, and serde round trips of scenarios.

use kendall::model::*;

use crate::common;
use common::assert_abs;
use common::build::{exp, poisson_into, split};
use common::tol::{CLOCK, PROBABILITY};

fn base() -> Model {
    poisson_into(10.0, Queue::new("q", 2, exp(0.05)))
}

/// Validates and returns the problems as "path: message" strings.
fn problems(m: &Model) -> Vec<String> {
    match m.validate() {
        Ok(_) => vec![],
        Err(e) => e.problems().iter().map(|p| p.to_string()).collect(),
    }
}

fn assert_problem(m: &Model, path: &str, needle: &str) {
    let ps = problems(m);
    assert!(
        ps.iter()
            .any(|p| p.starts_with(&format!("{path}: ")) && p.contains(needle)),
        "expected a problem at {path} mentioning {needle:?}, got {ps:#?}"
    );
}

#[test]
fn base_model_is_valid() {
    assert!(problems(&base()).is_empty());
}

#[test]
fn servers_must_be_positive() {
    let mut m = base();
    m.queues[0].servers = 0;
    assert_problem(&m, "queue \"q\".servers", "must be >= 1, got 0");
}

#[test]
fn service_parameters_are_checked_with_paths() {
    let mut m = base();
    m.queues[0].service = Distribution::Exponential { mean: -0.1 };
    assert_problem(&m, "queue \"q\".service.mean", "seconds in [1e-15, 1e15]");
    m.queues[0].service = Distribution::Lognormal {
        mean: 0.1,
        scv: f64::NAN,
    };
    assert_problem(&m, "queue \"q\".service.scv", "in [1e-15, 1e15]");
    // Times out of the doubles' comfortable range: a gamma's scale mean/shape would
    // underflow (the sampler used to panic), a variance would overflow.
    m.queues[0].service = Distribution::Gamma {
        shape: 1e300,
        mean: 1e-300,
    };
    assert_problem(&m, "queue \"q\".service.shape", "in [1e-15, 1e15]");
    assert_problem(&m, "queue \"q\".service.mean", "seconds in [1e-15, 1e15]");
    m.queues[0].service = Distribution::Uniform {
        min: 0.0,
        max: 1e200,
    };
    assert_problem(&m, "queue \"q\".service.max", "in [1e-15, 1e15]");
    m.queues[0].service = Distribution::Empirical {
        values: vec![0.0, 1e-300],
    };
    assert_problem(
        &m,
        "queue \"q\".service.values[1]",
        "0 or a number of seconds",
    );
}

#[test]
fn capacity_counts_servers() {
    let m = {
        let mut m = base();
        m.queues[0].capacity = Some(1);
        m
    };
    assert_problem(&m, "queue \"q\".capacity", "must be >= servers (2)");
}

#[test]
fn block_needs_capacity() {
    let mut m = base();
    m.queues[0].on_full = OnFull::Block;
    assert_problem(&m, "queue \"q\".on_full", "needs a capacity");
}

#[test]
fn redelivery_parameters() {
    let mut m = base();
    m.queues[0].failure_probability = 1.0;
    m.queues[0].max_attempts = 0;
    m.queues[0].backoff = -1.0;
    assert_problem(&m, "queue \"q\".failure_probability", "[0, 1)");
    assert_problem(&m, "queue \"q\".max_attempts", ">= 1");
    assert_problem(&m, "queue \"q\".backoff", ">= 0");
}

#[test]
fn dead_letter_must_exist_and_not_be_self() {
    let mut m = base();
    m.queues[0].dead_letter = Some("q".into());
    assert_problem(&m, "queue \"q\".dead_letter", "cannot be the queue itself");
    m.queues[0].dead_letter = Some("dlq".into());
    assert_problem(
        &m,
        "queue \"q\".dead_letter",
        "unknown queue or topic \"dlq\"",
    );
}

#[test]
fn unknown_route_target_suggests_the_closest_name() {
    let m = base()
        .with_queue(Queue::new("ledger", 1, exp(0.01)))
        .with_topic(Topic::new("t", ["ledger"]));
    let mut m = m;
    m.queues[0].route = Route::To("ledgr".into());
    assert_problem(&m, "queue \"q\".route.to", "did you mean \"ledger\"?");
}

#[test]
fn route_probabilities_must_sum_to_one() {
    let mut m = base().with_queue(Queue::new("r", 1, exp(0.01)));
    m.queues[0].route = split(&[("r", 0.5), ("exit", 0.4)]);
    assert_problem(&m, "queue \"q\".route", "must sum to 1, got 0.9");
    m.queues[0].route = split(&[("r", 1.5), ("exit", -0.5)]);
    assert_problem(&m, "queue \"q\".route[0].probability", "(0, 1]");
    assert_problem(&m, "queue \"q\".route[1].probability", "(0, 1]");
}

#[test]
fn topic_subscribers() {
    let m = base()
        .with_topic(Topic::new("empty", Vec::<String>::new()))
        .with_topic(Topic::new("t", ["q", "q", "nope", "empty"]));
    assert_problem(&m, "topic \"empty\".subscribers", "at least one");
    assert_problem(&m, "topic \"t\".subscribers[1]", "subscribed twice");
    assert_problem(&m, "topic \"t\".subscribers[2]", "unknown queue \"nope\"");
    assert_problem(&m, "topic \"t\".subscribers[3]", "is a topic");
}

#[test]
fn names_unique_non_empty_and_not_exit() {
    let m = base()
        .with_queue(Queue::new("q", 1, exp(0.01)))
        .with_queue(Queue::new("exit", 1, exp(0.01)))
        .with_topic(Topic::new("", ["q"]));
    assert_problem(&m, "queue \"q\".name", "used twice");
    assert_problem(&m, "queue[2].name", "reserved");
    assert_problem(&m, "topic[0].name", "must not be empty");
}

#[test]
fn sources() {
    let mut m = base();
    m.sources.clear();
    assert_problem(&m, "source", "at least one [[source]]");
    let mut m = base().with_source(Source::new(
        "in",
        ArrivalProcess::Deterministic { rate: 0.0 },
        "qq",
    ));
    m.sources[1].priority = 0;
    assert_problem(&m, "source \"in\".name", "used twice");
    assert_problem(&m, "source \"in\".arrival.rate", "> 0");
    assert_problem(&m, "source \"in\".to", "did you mean \"q\"?");
    assert_problem(&m, "source \"in\".priority", ">= 1");
}

#[test]
fn cycle_without_exit_is_named() {
    let m = base()
        .with_queue(Queue::new("a", 1, exp(0.01)).with_route(Route::To("b".into())))
        .with_queue(Queue::new("b", 1, exp(0.01)).with_route(Route::To("a".into())));
    let mut m = m;
    m.queues[0].route = Route::To("a".into());
    assert_problem(&m, "cycle a -> b", "no message ever leaves this cycle");
}

#[test]
fn cycle_with_an_exit_is_fine() {
    let mut m = base().with_queue(Queue::new("audit", 1, exp(0.01)));
    m.queues[0].route = split(&[("audit", 0.3), ("exit", 0.7)]);
    m.queues[1].route = Route::To("q".into());
    let t = m.validate().unwrap().topology().clone();
    assert_abs!(t.flow[(0, 1)], 0.3, PROBABILITY);
}

#[test]
fn fan_out_feedback_that_grows_is_rejected() {
    // q publishes to t; t copies to a and b; each returns to q with probability 0.6:
    // 1.2 copies come back per message, so the flow never dies out.
    let back = |p: f64| split(&[("q", p), ("exit", 1.0 - p)]);
    let mut m = base()
        .with_topic(Topic::new("t", ["a", "b"]))
        .with_queue(Queue::new("a", 1, exp(0.01)).with_route(back(0.6)))
        .with_queue(Queue::new("b", 1, exp(0.01)).with_route(back(0.6)));
    m.queues[0].route = Route::To("t".into());
    assert_problem(&m, "cycle q -> a -> b", "faster than they leave");
    // At 0.4 each, 0.8 copies return: converges.
    m.queues[1].route = back(0.4);
    m.queues[2].route = back(0.4);
    assert!(m.validate().is_ok());
}

#[test]
fn every_problem_is_reported_at_once() {
    let mut m = base();
    m.queues[0].servers = 0;
    m.queues[0].failure_probability = 2.0;
    m.sources[0].arrival = ArrivalProcess::Poisson { rate: -1.0 };
    assert_eq!(problems(&m).len(), 3, "{:#?}", problems(&m));
}

const SCENARIO: &str = r#"
name = "round trip"
[[source]]
name = "checkout"
arrival = { type = "mmpp", rates = [100.0, 900.0], generator = [[-0.5, 0.5], [2.0, -2.0]] }
to = "payments"
priority = 2

[[source]]
name = "batch"
arrival = { type = "profile", base = 10.0, segments = [{ start = "1m", end = "2m", rate = 50.0 }], period = "1h" }
to = "settlement"

[[queue]]
name = "payments"
consumers = 4
service = { type = "hyperexponential", branches = [{ probability = 0.9, mean = "5ms" }, { probability = 0.1, mean = "55ms" }] }
capacity = 1000
on_full = "block"
discipline = "priority"
failure_probability = 0.02
max_attempts = 3
backoff = "250ms"
dead_letter = "dlq"
initial_backlog = 5000
route = [{ to = "settlement", probability = 0.95 }, { to = "exit", probability = 0.05 }]

[[queue]]
name = "dlq"
servers = 1
service = { type = "deterministic", value = "1ms" }

[[queue]]
name = "ledger"
servers = 2
service = { type = "lognormal", mean = "4ms", scv = 1.5 }

[[queue]]
name = "risk"
servers = 2
service = { type = "empirical", values = ["1ms", 0.002, "3ms"] }

[[topic]]
name = "settlement"
subscribers = ["ledger", "risk"]

[simulation]
horizon = "10m"
warmup = "30s"
replications = 4
seed = 99
"#;

#[test]
fn toml_scenario_reads_units_and_round_trips_through_toml_and_json() {
    let m = Model::from_toml_str(SCENARIO).unwrap();
    assert_eq!(m.queues[0].servers, 4);
    assert_eq!(m.queues[0].backoff, 0.25);
    assert_eq!(m.simulation.horizon, Some(600.0));
    assert_eq!(
        m.queues[1].service,
        Distribution::Deterministic { value: 0.001 }
    );
    let toml_text = m.to_toml_string().unwrap();
    assert_eq!(Model::from_toml_str(&toml_text).unwrap(), m);
    let json = serde_json::to_string_pretty(&m).unwrap();
    assert_eq!(Model::from_json_str(&json).unwrap(), m);
}

#[test]
fn unknown_fields_are_errors_with_the_field_name() {
    let bad = SCENARIO.replace("consumers = 4", "consumers = 4\nconsumer_count = 4");
    let e = Model::from_toml_str(&bad).unwrap_err().to_string();
    assert!(e.contains("consumer_count"), "{e}");
    let bad = SCENARIO.replace("[simulation]", "[simulation]\nhorizn = 3");
    assert!(
        Model::from_toml_str(&bad)
            .unwrap_err()
            .to_string()
            .contains("horizn")
    );
    let e = Model::from_json_str(r#"{"source": [], "queues": []}"#)
        .unwrap_err()
        .to_string();
    assert!(e.contains("queues"), "{e}");
}

#[test]
fn malformed_files_give_the_line() {
    let e = Model::from_toml_str(
        "[[source]]\nname = \"x\"\narrival = { type = \"poisson\", rate = }\n",
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("line 3"), "{e}");
    let e = Model::from_toml_str(&SCENARIO.replace("mean = \"5ms\"", "mean = \"5 parsecs\""))
        .unwrap_err()
        .to_string();
    assert!(e.contains("unknown time unit"), "{e}");
}

#[test]
fn loading_validates_and_names_the_problem() {
    let bad = SCENARIO
        .replace("consumers = 4", "consumers = 0")
        .replace("replications = 4", "replications = 0");
    let e = Model::from_toml_str(&bad).unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains("queue \"payments\".servers: must be >= 1, got 0"),
        "{text}"
    );
    assert!(text.contains("simulation.replications"), "{text}");
}

#[test]
fn load_from_files_and_extensions() {
    let m = Model::load(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/payments.toml"
    ))
    .unwrap();
    assert_eq!(m.queues.len(), 4);
    assert!(matches!(
        Model::load("x.yaml"),
        Err(ModelError::UnknownFormat { .. })
    ));
    assert!(matches!(
        Model::load("/nonexistent/x.toml"),
        Err(ModelError::Io { .. })
    ));
}

#[test]
fn flow_matrix_includes_fan_out_and_dead_letters() {
    let m = Model::from_toml_str(SCENARIO).unwrap();
    let t = m.validate().unwrap().topology().clone();
    // payments -> settlement (0.95 of non-exhausted) copies to ledger (2) and risk (3);
    // exhausted fraction 0.02^3 goes to dlq (1).
    let ex = 0.02f64.powi(3);
    assert_abs!(t.flow[(0, 2)], 0.95 * (1.0 - ex), PROBABILITY);
    assert_abs!(t.flow[(0, 3)], 0.95 * (1.0 - ex), PROBABILITY);
    // ex = 8e-6: an absolute bound scaled down with it.
    assert_abs!(t.flow[(0, 1)], ex, 1e-18);
    let rates = t.external_rates(&m).unwrap();
    // MMPP mean: pi = (0.8, 0.2) -> 80 + 180 = 260; profile mean over 1h: (10*3540 + 50*60)/3600.
    assert_abs!(rates[0], 260.0, CLOCK, "MMPP mean rate");
    assert_abs!(
        rates[2],
        (10.0 * 3540.0 + 50.0 * 60.0) / 3600.0,
        CLOCK,
        "profile mean rate"
    );
}
