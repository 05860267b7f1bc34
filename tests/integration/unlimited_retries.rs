//! `max_attempts = "unlimited"`: retry until success. A failed delivery goes back to
//! the tail of the line; nothing is dead-lettered; a message makes 1/(1 − p) deliveries
//! on average (geometric number of deliveries), so the queue sees λ/(1 − p) deliveries
//! per second. With exponential service and immediate redelivery, the number in an
//! M/M/1 node evolves as an M/M/1 queue with service rate μ(1 − p) (a failure returns
//! the message without changing the count): L = ρ'/(1 − ρ'), ρ' = λ/(μ(1 − p)).

use crate::common;

use common::build::{exp_rate, poisson_into, theory_settings};
use common::{assert_abs, assert_covers, assert_rel, tol};
use kendall::model::{Model, Queue};
use kendall::{simulate, solve};

fn unlimited(lambda: f64, mu: f64, p: f64) -> Model {
    poisson_into(
        lambda,
        Queue::new("q", 1, exp_rate(mu)).with_redelivery(p, Queue::UNLIMITED_ATTEMPTS, 0.0),
    )
}

#[test]
fn scenario_files_read_and_write_unlimited() {
    let text = r#"
[[source]]
name = "in"
arrival = { type = "poisson", rate = 1.0 }
to = "q"

[[queue]]
name = "q"
servers = 1
service = { type = "exponential", mean = "100ms" }
failure_probability = 0.2
max_attempts = "unlimited"
"#;
    let m: Model = toml::from_str(text).unwrap();
    assert_eq!(m.queues[0].max_attempts, Queue::UNLIMITED_ATTEMPTS);
    assert!(m.queues[0].retries_until_success());
    // JSON and TOML write it back as the word, and read it again unchanged.
    let json = serde_json::to_value(&m).unwrap();
    assert_eq!(json["queue"][0]["max_attempts"], "unlimited");
    let back: Model = serde_json::from_value(json).unwrap();
    assert_eq!(back, m);
    let again: Model = toml::from_str(&toml::to_string(&m).unwrap()).unwrap();
    assert_eq!(again, m);
    // A count stays a count.
    let mut three = m.clone();
    three.queues[0].max_attempts = 3;
    let json = serde_json::to_value(&three).unwrap();
    assert_eq!(json["queue"][0]["max_attempts"], 3);
    // Absent: the documented default, 1 (a failed delivery is dead-lettered at once).
    let absent: Model =
        toml::from_str(&text.replace("max_attempts = \"unlimited\"\n", "")).unwrap();
    assert_eq!(absent.queues[0].max_attempts, 1);
    // Other words and negative counts are refused with the accepted forms.
    for bad in ["\"forever\"", "-2", "2.5"] {
        let e = toml::from_str::<Model>(&text.replace("\"unlimited\"", bad)).unwrap_err();
        assert!(e.to_string().contains("\"unlimited\""), "{bad}: {e}");
    }
}

#[test]
fn every_delivery_failing_with_unlimited_attempts_is_refused() {
    let mut m = unlimited(1.0, 10.0, 0.5);
    m.queues[0].failure_probability = 1.0;
    let e = m.validate().unwrap_err().to_string();
    assert!(e.contains("queue \"q\".failure_probability"), "{e}");
    assert!(e.contains("no message would ever complete"), "{e}");
}

/// λ = 2, μ = 10, p = 0.6: deliveries per message 1/(1 − 0.6) = 2.5, delivery rate 5,
/// ρ' = 2/(10 · 0.4) = 0.5, L = 1, W = L/λ = 0.5 s per message; nothing dead-lettered.
#[test]
fn analytic_delivery_rate_is_lambda_over_one_minus_p() {
    let (lambda, mu, p) = (2.0, 10.0, 0.6);
    let m = unlimited(lambda, mu, p);
    assert_eq!(m.queues[0].deliveries_per_message(), 2.5);
    assert_eq!(m.queues[0].exhausted_probability(), 0.0);
    let sol = solve(&m.validate().unwrap()).unwrap();
    let node = sol.node("q").unwrap();
    assert_eq!(node.dead_letter, 0.0);
    let s = node.solution().expect("solved");
    assert_rel!(
        s.utilisation,
        lambda / (1.0 - p) / mu,
        tol::CLOSED_FORM,
        "ρ'"
    );
    assert_rel!(s.l, 1.0, tol::CLOSED_FORM, "L");
    assert_rel!(s.w, 0.5, tol::CLOSED_FORM, "W per message");
}

/// The simulator retries until success: no dead letters, p/(1 − p) redeliveries per
/// message, and L inside the confidence interval of the closed form above.
#[test]
fn simulation_agrees_with_the_closed_form() {
    let (lambda, mu, p) = (2.0, 10.0, 0.6);
    let m = unlimited(lambda, mu, p);
    let r = simulate(
        &m.validate().unwrap(),
        &theory_settings(20_000.0, 200.0, 8, 11),
    )
    .unwrap();
    let q = r.queue("q").unwrap();
    assert_eq!(q.counts.dead_lettered, 0);
    assert_eq!(r.conservation.dead_lettered, 0);
    let rho = lambda / (mu * (1.0 - p));
    assert_covers!(&q.l, rho / (1.0 - rho), "L");
    assert_covers!(&q.utilisation, rho, "utilisation");
    let per_msg = q.redeliveries.mean / (q.throughput.mean * r.measured_time.mean);
    // Geometric redeliveries: variance p/(1 − p)² = 3.75 per message; ~320 000 messages
    // give a standard error of about 0.0035, so 0.03 is over eight of them.
    assert_abs!(per_msg, p / (1.0 - p), 0.03, "redeliveries per message");
}
