//! The generated client's tests.
//!
//! One test binary per crate, a module per area: one link instead of one per
//! file saves build time and disk.

mod behaviour;
mod common;
mod mocks;
mod operations;
mod operations_table;
mod wire;
