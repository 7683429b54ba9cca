//! xtask's tests, in one test binary: one link instead of one per file, which
//! saves build time and disk. Each module is one area.

mod diff;
mod guards;
mod normalize;
mod regen;
