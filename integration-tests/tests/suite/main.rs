//! End-to-end tests against the simulator.
//!
//! One test binary per crate, a module per area: one link instead of one per
//! file saves build time and disk.

mod e2e;
mod export;
mod newer_api;
mod operations;
mod python_client;
mod quickstart;
mod storage;
