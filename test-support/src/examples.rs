//! The example programs, run as a user runs them.

use std::path::PathBuf;

/// The example binary `name` cargo built next to the running test's
/// (`target/<profile>/examples`).
pub fn binary(name: &str) -> PathBuf {
    let test = std::env::current_exe().unwrap();
    let profile_dir = test.parent().and_then(|deps| deps.parent()).unwrap();
    profile_dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX))
}
