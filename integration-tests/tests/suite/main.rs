//! End-to-end tests against the simulator, in one test binary: one link instead of one per file, which
//! saves build time and disk. Each module is one area.

mod e2e;
mod operations;
mod python_client;
mod quickstart;
mod storage;
