//! carbon-ext's tests through its public API, in one test binary: one link instead of one per file, which
//! saves build time and disk. Each module is one area.

mod common;
mod by_name;
mod chunking;
mod client;
mod errors;
mod examples;
mod hostile;
mod pagination;
mod retries;
mod tracing;
mod uploads;
mod workflows;
