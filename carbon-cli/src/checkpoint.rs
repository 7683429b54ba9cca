//! Named points of the workflows where a crash must be survivable, and a hook that
//! makes the process crash at one of them, for the tests that prove re-running a
//! workflow after a crash does no duplicate work.
//!
//! With `CARBON_CLI_CRASH_AT=N` in the environment, the Nth checkpoint reached aborts
//! the process at once, leaving everything as a `kill -9` would. Without it a
//! checkpoint only logs its name (at `-vv`).

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

/// The environment variable that arms the crash.
pub const CRASH_AT: &str = "CARBON_CLI_CRASH_AT";

static REACHED: AtomicU32 = AtomicU32::new(0);

fn crash_at() -> Option<u32> {
    static AT: OnceLock<Option<u32>> = OnceLock::new();
    *AT.get_or_init(|| std::env::var(CRASH_AT).ok().and_then(|v| v.parse().ok()))
}

/// Marks a point of a workflow.
pub fn reached(name: &str) {
    let n = REACHED.fetch_add(1, Ordering::SeqCst) + 1;
    tracing::trace!(checkpoint = name, n, "checkpoint");
    if crash_at() == Some(n) {
        eprintln!("{CRASH_AT}: crashing at checkpoint {n} ({name})");
        std::process::abort();
    }
}
