//! The simulator program's tests.
//!
//! One test binary per crate, a module per area: one link instead of one per
//! file saves build time and disk.

mod binary;
mod common;
mod faults;
mod filters;
mod hostile;
