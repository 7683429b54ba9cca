//! carbon-ext's tests through its public API.
//!
//! One test binary per crate, a module per area: one link instead of one per
//! file saves build time and disk.

mod by_name;
mod chunking;
mod client;
mod common;
mod drift;
mod errors;
mod examples;
mod export;
mod hostile;
mod pagination;
#[cfg(all(unix, feature = "redis"))]
mod redis_sharing;
mod retries;
#[cfg(unix)]
mod sharing;
mod spans;
mod uploads;
mod workflows;
