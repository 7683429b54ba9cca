//! The generated client's tests, in one test binary: one link instead of one per file, which
//! saves build time and disk. Each module is one area.

mod common;
mod behaviour;
mod mocks;
mod operations;
mod operations_table;
