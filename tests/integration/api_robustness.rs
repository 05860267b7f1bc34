//! One test per public function that used to panic or hang on reachable bad input
//! (issue 9): each now returns `None`, an empty answer or a typed error, at once.

use kendall::analytic::ctmc::{BirthDeath, CtmcError};
use kendall::analytic::{AnalyticError, MMc, MMcK, QueueMetrics, erlang_b};
use kendall::model::{ArrivalProcess, Distribution, Model, NodeId, Queue, Source};

/// A ragged MMPP generator (rows of different lengths, or fewer rows than rates): the
/// docs promise `None`, the dense solve used to index past a row.
#[test]
fn ragged_mmpp_generator_gives_none() {
    let ragged = [
        ArrivalProcess::Mmpp {
            rates: vec![1.0, 2.0],
            generator: vec![vec![-1.0, 1.0], vec![1.0]],
        },
        ArrivalProcess::Mmpp {
            rates: vec![1.0, 2.0],
            generator: vec![vec![-1.0, 1.0]],
        },
        ArrivalProcess::Mmpp {
            rates: vec![1.0],
            generator: vec![vec![-1.0, 1.0], vec![1.0, -1.0]],
        },
        ArrivalProcess::Mmpp {
            rates: vec![],
            generator: vec![],
        },
    ];
    for a in &ragged {
        assert_eq!(a.mean_rate(), None, "{a:?}");
        assert_eq!(a.index_of_dispersion(), None, "{a:?}");
        let mut out = Vec::new();
        a.check("arrival", &mut out);
        assert!(!out.is_empty(), "{a:?} passed validation");
    }
    // Too many phases for the dense solve: refused by validation with the bound.
    let n = kendall::model::MAX_MMPP_PHASES + 1;
    let big = ArrivalProcess::Mmpp {
        rates: vec![1.0; n],
        generator: vec![vec![0.0; n]; n],
    };
    let mut out = Vec::new();
    big.check("arrival", &mut out);
    assert!(out[0].message.contains("phases"), "{out:?}");
    assert_eq!(big.mean_rate(), None);
}

/// Indices that are not nodes of the topology: empty answers, no panic.
#[test]
fn topology_queries_are_total() {
    let m = Model::default()
        .with_source(Source::new(
            "in",
            ArrivalProcess::Poisson { rate: 1.0 },
            "q",
        ))
        .with_queue(Queue::new("q", 1, Distribution::Exponential { mean: 0.1 }));
    let valid = m.validate().unwrap();
    let t = valid.topology();
    assert_eq!(t.entries(NodeId::Queue(0)), [0]);
    assert!(t.entries(NodeId::Queue(1)).is_empty());
    assert!(t.entries(NodeId::Topic(0)).is_empty());
    assert!(t.entries(NodeId::Queue(usize::MAX)).is_empty());
    assert_eq!(t.route_shares(5).count(), 0);
    assert_eq!(t.route_shares(0).count(), 1);
    assert_eq!(t.reachable(&[7, usize::MAX]), [false]);
    assert_eq!(t.reachable(&[0]), [true]);
    assert!(!t.on_cycle(3));
}

/// `BirthDeath::new(usize::MAX, ..)` aborted on a capacity overflow.
#[test]
fn birth_death_bounds_its_states() {
    let e = BirthDeath::new(usize::MAX, |_| 1.0, |_| 1.0).unwrap_err();
    assert!(
        matches!(
            e,
            CtmcError::InvalidParameter {
                name: "n_states",
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("n_states"), "{e}");
}

/// `MMc::new(1, 1, u64::MAX)` and `erlang_b(u64::MAX, ..)` looped 1.8·10¹⁹ times.
/// With c ≫ a nobody waits: C = 0 and W = 1/μ exactly in doubles.
#[test]
fn astronomical_server_counts_answer_at_once() {
    let q = MMc::new(1.0, 1.0, u64::MAX).unwrap();
    assert_eq!(q.prob_wait(), Some(0.0));
    assert_eq!(q.mean_wait(), 0.0);
    assert_eq!(erlang_b(u64::MAX, 3.0).unwrap(), 0.0);
    let k = MMcK::new(1.0, 1.0, u64::MAX, u64::MAX).unwrap();
    assert_eq!(k.prob_block(), Some(0.0));
    // A load the bounded recursion cannot reach is refused, naming the field.
    let e = MMc::new(1e12, 1.0, u64::MAX).unwrap_err();
    assert!(
        matches!(
            e,
            AnalyticError::InvalidParameter {
                name: "offered_load",
                ..
            }
        ),
        "{e}"
    );
}
