//! The `carbon` binary's tests.
//!
//! One test binary per crate, a module per area: one link instead of one per
//! file saves build time and disk.

mod answers;
mod api_check;
mod commands;
mod crash;
mod exports;
#[cfg(unix)]
mod sharing;
mod support;
mod writes;
