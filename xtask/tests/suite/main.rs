//! xtask's tests.
//!
//! One test binary per crate, a module per area: one link instead of one per
//! file saves build time and disk.

mod public_api;
mod regen;
mod release;
