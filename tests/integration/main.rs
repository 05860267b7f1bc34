//! kendall's integration tests, compiled as one test binary (`cargo test --test integration`):
//! one crate links the library once instead of once per file, which takes minutes off a
//! cold `cargo test`. Each file is a module named after what it tests; run one with
//! `cargo test --test integration <module>::` (for example `schema::`).
//!
//! `tests/no_alloc.rs` stays a binary of its own: it installs a counting global allocator.

#[path = "../common/mod.rs"]
mod common;

mod ack_timeout;
mod api_robustness;
mod approximations;
mod chain;
mod charts;
mod cli;
mod common_helpers;
mod compare_examples;
mod delay;
mod distribution_sampling;
mod end_to_end;
mod fuzz;
mod fuzz_regressions;
mod map_ph_c;
mod markovian_identities;
mod mmpp;
mod model_ctmc;
mod model_validation;
mod networks;
mod overflow;
mod partial;
mod partitions;
mod queries;
mod rabbit_consumers;
mod readme_snippets;
mod rebalance;
mod retry;
mod schema;
mod sim_engine;
mod sim_golden;
mod sim_percentiles;
mod sim_stationarity;
mod sim_stop;
mod sim_vs_theory;
mod sim_window;
mod sizing;
mod solve_dispatch;
mod ttl;
mod unlimited_retries;
mod variance;
