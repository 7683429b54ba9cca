//! carbon-api-regen's tests: a module per step.
//!
//! One test binary per crate, a module per area: one link instead of one per
//! file saves build time and disk.

mod diff;
mod guards;
mod normalize;
mod overlay;
