//! Analytic solvers: closed forms, exact recursions and Markov chains.
//!
//! Every single-node solver validates its parameters in its constructor (returning
//! [`AnalyticError`]), implements [`QueueMetrics`], and labels its figures with a
//! [`Method`] saying whether they are exact, numerical or approximations.

mod chain;
pub(crate) mod closed;
pub mod ctmc;
mod error;
mod method;
mod metrics;
pub(crate) mod network;
mod retry;
pub(crate) mod single;
pub(crate) mod solve;

pub use chain::{ChainDistribution, ChainSolution};
pub use error::AnalyticError;
pub use method::{Exactness, Method};
pub use metrics::{
    NodeSolution, PERCENTILE_LEVELS, Percentiles, Queried, QueueMetrics, invert_cdf,
};
pub use retry::{
    BISECTION_STEPS, RetryFixedPoint, RetrySolution, RetryState, SCAN_POINTS, SIMPSON_CELLS,
    retry_method, solve_retry_loop,
};
pub use solve::{ModelSolution, NodeOutcome, NodeResult, RetryResult, SolveError, solve};

// Single-queue formulas.
pub use single::ack_timeout::{AckTimeoutMM1, AckTimeoutQueue};
pub use single::approx::{GGc, GGcFormula};
pub use single::breakdown::{MAX_BREAKDOWN_CONSUMERS, MMcBreakdown};
pub use single::delay::GInf;
pub use single::drop_head::{MAX_DROP_HEAD_LINE, MMcKDropHead};
pub use single::erlang::{ERLANG_MAX_STEPS, erlang_b, erlang_c, ln_erlang_b};
pub use single::erlang_inverse::{
    INVERSE_STEPS, erlang_b_load, erlang_b_servers, erlang_c_load, erlang_c_servers,
    mmc_max_arrival_rate,
};
pub use single::interruption::{Interruptions, MG1Interrupted};
pub use single::map_ph_c::{
    MAP_PH_C_LAW_WORK, MAP_PH_C_MAX_PHASES, MAP_PH_C_MAX_WORK, MapPhC, MarkovianArrivals,
};
pub use single::mg1::MG1;
pub use single::mm1::MM1;
pub use single::mmc::MMc;
pub use single::mmck::MMcK;
pub use single::mminf::MMInf;
pub use single::mmpp::{MMPP_MAX_WORK, MmppMc};
pub use single::partitioned::{ConsumerSolution, GroupPauses, PartitionSolution, Partitioned};
pub use single::priority::{
    ClassMetrics, Preemption, PriorityClass, PriorityMG1, PriorityMMc, PrioritySolution,
};
pub use single::ttl::MMcTtl;

// Open networks.
pub use network::end_to_end::EndToEnd;
pub use network::fork_join::{
    ForkJoinMean, IndependentMax, harmonic, homogeneous_mm1, independent_max,
    independent_max_of_nodes, independent_max_quantile, nelson_tantawi, two_branch_mm1,
};
pub use network::redelivery::PerMessage;
pub use network::traffic::{arrival_rates, arrival_rates_by_class, deliveries_per_message};

// Closed networks.
pub use closed::model::{ClosedSolution, ClosedStation, EXACT_WINDOW_LIMIT};
pub use closed::mva::{
    ClosedNetwork, MAX_MULTI_SERVER_STATIONS, MvaSolution, PopulationFigures, SchweitzerOptions,
    SchweitzerSolution, Station, StationFigures, StationKind, mva, schweitzer,
};
