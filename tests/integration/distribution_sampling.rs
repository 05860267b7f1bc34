//! Validation and sampling agree: every distribution that validation accepts builds a
//! sampler whose draws are finite and >= 0, with finite mean, variance and SCV; every
//! parameter set the sampler could not handle is refused by validation with the field's
//! path. Property tests draw parameters over the accepted space (log-uniform across the
//! whole range, with the bounds themselves) and over all doubles (NaN, infinities,
//! negatives, subnormals, the extremes).

use kendall::model::{
    Branch, Distribution, MAX_SHAPE, MAX_TIME, MIN_SHAPE, MIN_TIME, Model, Problem,
};
use proptest::prelude::*;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

/// Draws per case: enough to reach the far tails of Exp1 and of the normal now and then
/// over all cases, few enough for debug builds.
const DRAWS: usize = 2_000;

fn problems(d: &Distribution) -> Vec<Problem> {
    let mut out = Vec::new();
    d.check("d", &mut out);
    out
}

/// The agreement: accepted => sampler builds, draws finite and >= 0, moments finite.
/// Refused => the sampler is refused too, and every problem names a field of `d`.
fn agrees(d: &Distribution, seed: u64) -> Result<(), TestCaseError> {
    let p = problems(d);
    if !p.is_empty() {
        prop_assert!(d.sampler().is_err(), "{d:?}: check refused, sampler built");
        for pr in &p {
            prop_assert!(pr.path.starts_with("d."), "{pr:?}");
        }
        return Ok(());
    }
    let s = d
        .sampler()
        .map_err(|e| TestCaseError::fail(format!("{d:?} accepted but sampler refused: {e}")))?;
    for m in [d.mean(), d.variance(), d.second_moment(), d.scv()] {
        prop_assert!(m.is_finite() && m >= 0.0, "{d:?}: moment {m}");
    }
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    for _ in 0..DRAWS {
        let x = s.sample(&mut rng);
        prop_assert!(x.is_finite() && x >= 0.0, "{d:?}: drew {x}");
    }
    Ok(())
}

/// A time log-uniform over [MIN_TIME, MAX_TIME], or one of the bounds.
fn time() -> impl Strategy<Value = f64> {
    prop_oneof![
        (MIN_TIME.log10()..=MAX_TIME.log10()).prop_map(|e| 10f64.powf(e).clamp(MIN_TIME, MAX_TIME)),
        Just(MIN_TIME),
        Just(MAX_TIME),
    ]
}

/// A shape (or SCV) log-uniform over [MIN_SHAPE, MAX_SHAPE], or one of the bounds.
fn shape() -> impl Strategy<Value = f64> {
    prop_oneof![
        (MIN_SHAPE.log10()..=MAX_SHAPE.log10())
            .prop_map(|e| 10f64.powf(e).clamp(MIN_SHAPE, MAX_SHAPE)),
        Just(MIN_SHAPE),
        Just(MAX_SHAPE),
    ]
}

/// Any double, with the troublesome ones often.
fn any_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>(),
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(0.0),
        Just(-0.0),
        Just(5e-324),
        Just(1e-300),
        Just(1e300),
        Just(f64::MAX),
        Just(f64::MIN_POSITIVE),
        Just(MIN_TIME),
        Just(MAX_TIME),
        Just(1.0),
        time(),
    ]
}

fn accepted() -> impl Strategy<Value = Distribution> {
    prop_oneof![
        time().prop_map(|mean| Distribution::Exponential { mean }),
        prop_oneof![Just(0.0), time()].prop_map(|value| Distribution::Deterministic { value }),
        (
            prop_oneof![
                1u32..=12,
                Just(u32::MAX),
                any::<u32>().prop_map(|k| k.max(1))
            ],
            time()
        )
            .prop_map(|(k, mean)| Distribution::Erlang { k, mean }),
        (shape(), time()).prop_map(|(shape, mean)| Distribution::Gamma { shape, mean }),
        (time(), shape()).prop_map(|(mean, scv)| Distribution::Lognormal { mean, scv }),
        (prop_oneof![Just(0.0), time()], time()).prop_filter_map("max > min", |(min, max)| {
            (max > min).then_some(Distribution::Uniform { min, max })
        }),
        (prop::collection::vec((1e-6f64..1.0, time()), 1..6)).prop_map(|raw| {
            let total: f64 = raw.iter().map(|(p, _)| p).sum();
            Distribution::Hyperexponential {
                branches: raw
                    .iter()
                    .map(|(p, mean)| Branch {
                        probability: p / total,
                        mean: *mean,
                    })
                    .collect(),
            }
        }),
        prop::collection::vec(prop_oneof![Just(0.0), time()], 1..20).prop_filter_map(
            "mean >= MIN_TIME",
            |values| {
                let d = Distribution::Empirical { values };
                (d.mean() >= MIN_TIME).then_some(d)
            }
        ),
    ]
}

fn anything() -> impl Strategy<Value = Distribution> {
    prop_oneof![
        any_f64().prop_map(|mean| Distribution::Exponential { mean }),
        any_f64().prop_map(|value| Distribution::Deterministic { value }),
        (any::<u32>(), any_f64()).prop_map(|(k, mean)| Distribution::Erlang { k, mean }),
        (any_f64(), any_f64()).prop_map(|(shape, mean)| Distribution::Gamma { shape, mean }),
        (any_f64(), any_f64()).prop_map(|(mean, scv)| Distribution::Lognormal { mean, scv }),
        (any_f64(), any_f64()).prop_map(|(min, max)| Distribution::Uniform { min, max }),
        prop::collection::vec((any_f64(), any_f64()), 0..4).prop_map(|b| {
            Distribution::Hyperexponential {
                branches: b
                    .into_iter()
                    .map(|(probability, mean)| Branch { probability, mean })
                    .collect(),
            }
        }),
        prop::collection::vec(any_f64(), 0..6)
            .prop_map(|values| Distribution::Empirical { values }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Everything validation accepts samples finite times >= 0.
    #[test]
    fn accepted_parameters_sample_finite_non_negative_times(d in accepted(), seed in any::<u64>()) {
        prop_assert!(problems(&d).is_empty(), "{:?} refused: {:?}", d, problems(&d));
        agrees(&d, seed)?;
    }

    /// Over all doubles: accepted and sampling fine, or refused with a path.
    #[test]
    fn any_parameters_are_refused_or_sample_fine(d in anything(), seed in any::<u64>()) {
        agrees(&d, seed)?;
    }
}

/// The two cases from the issue, read from a scenario: both refused with the field's
/// path (they used to pass validation and panic in the sampler: a gamma scale of 0).
#[test]
fn issue_cases_are_refused_with_the_field() {
    for (service, field) in [
        (
            r#"{ type = "erlang", k = 10, mean = 5e-324 }"#,
            "service.mean",
        ),
        (
            r#"{ type = "gamma", shape = 1e300, mean = 1e-300 }"#,
            "service.shape",
        ),
        (
            r#"{ type = "lognormal", mean = 1.0, scv = 1e300 }"#,
            "service.scv",
        ),
        (r#"{ type = "exponential", mean = 1e300 }"#, "service.mean"),
        (
            r#"{ type = "empirical", values = [1e-320, 0.0] }"#,
            "service.values",
        ),
    ] {
        let text = format!(
            "[[source]]\nname = \"in\"\narrival = {{ type = \"poisson\", rate = 1.0 }}\nto = \"q\"\n\
             [[queue]]\nname = \"q\"\nservers = 1\nservice = {service}\n"
        );
        let m: Model = toml::from_str(&text).unwrap();
        let e = m.validate().unwrap_err().to_string();
        assert!(
            e.contains(&format!("queue \"q\".{field}")),
            "{service}: {e}"
        );
    }
}
