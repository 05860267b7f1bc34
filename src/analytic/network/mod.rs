//! Open networks: traffic equations, the Queueing Network Analyzer decomposition,
//! redelivery per message, topic fan-out (fork-join) and end-to-end latency.

pub mod end_to_end;
pub mod fork_join;
pub(crate) mod graph;
pub(crate) mod loss;
pub mod qna;
pub mod redelivery;
pub mod traffic;
