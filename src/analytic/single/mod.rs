//! Single-queue formulas: one node with its arrival rate and service law given.
//!
//! Each solver validates its parameters in its constructor and implements
//! [`QueueMetrics`](crate::analytic::QueueMetrics).

pub mod ack_timeout;
pub mod approx;
pub mod breakdown;
pub mod delay;
pub mod drop_head;
pub mod erlang;
pub mod erlang_inverse;
pub mod interruption;
pub mod map_ph_c;
pub mod mg1;
pub mod mm1;
pub mod mmc;
pub mod mmck;
pub mod mminf;
pub mod mmpp;
pub mod partitioned;
pub mod priority;
pub(crate) mod special;
pub(crate) mod transform;
pub mod ttl;
pub mod wait_fit;
