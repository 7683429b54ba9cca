//! Asking rustdoc for a crate's description (`--output-format json`), and
//! which crates a release needs to ask about.
//!
//! rustdoc's JSON output is not yet stable: it is switched on with
//! `RUSTC_BOOTSTRAP=1` on the stable toolchain. Both sides of a comparison are
//! described by the same toolchain in the same run, so its format always
//! matches itself.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use super::{GENERATED, Surface, surface};
use crate::release::release_error;
use crate::{Result, read_file};

/// A library crate of the workspace whose public API is diffed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Library {
    /// The package name (`carbon-ext`).
    pub package: String,
    /// The library's crate name (`carbon_ext`), the name of rustdoc's file.
    pub crate_name: String,
    /// Its directory, relative to the workspace root.
    pub dir: PathBuf,
}

/// The workspace's published, hand-written libraries, and its target directory.
pub fn libraries(root: &Path) -> Result<(Vec<Library>, PathBuf)> {
    let out =
        crate::run(
            Command::new("cargo")
                .current_dir(root)
                .args(["metadata", "--no-deps", "--format-version", "1"]),
        )?;
    let metadata: Value =
        serde_json::from_str(&out).map_err(|e| release_error(format!("cargo metadata printed no JSON: {e}")))?;
    let root_dir = PathBuf::from(metadata["workspace_root"].as_str().unwrap_or_default());
    let target = PathBuf::from(
        metadata["target_directory"]
            .as_str()
            .ok_or_else(|| release_error("cargo metadata names no target directory"))?,
    );
    let mut libraries = Vec::new();
    for package in metadata["packages"].as_array().into_iter().flatten() {
        let name = package["name"].as_str().unwrap_or_default();
        // `publish = false` reads as an empty list.
        let unpublished = package["publish"].as_array().is_some_and(Vec::is_empty);
        if unpublished || GENERATED.contains(&name) {
            continue;
        }
        let lib = package["targets"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|t| t["kind"].as_array().is_some_and(|k| k.iter().any(|k| k == "lib")));
        let (Some(lib), Some(manifest)) = (lib, package["manifest_path"].as_str()) else {
            continue;
        };
        let dir = Path::new(manifest).parent().unwrap_or(Path::new(""));
        libraries.push(Library {
            package: name.to_string(),
            crate_name: lib["name"].as_str().unwrap_or(name).replace('-', "_"),
            dir: dir.strip_prefix(&root_dir).unwrap_or(dir).to_path_buf(),
        });
    }
    Ok((libraries, target))
}

/// The public surface of `library` in the workspace at `root`, described by
/// rustdoc with every feature on, built in `target_dir`.
pub fn document(root: &Path, library: &Library, target_dir: &Path) -> Result<Surface> {
    crate::run(
        Command::new("cargo")
            .current_dir(root)
            .env("RUSTC_BOOTSTRAP", "1")
            .args([
                "rustdoc",
                "--quiet",
                "--lib",
                "--all-features",
                "--package",
                &library.package,
            ])
            .arg("--target-dir")
            .arg(target_dir)
            .args(["--", "-Z", "unstable-options", "--output-format", "json"]),
    )?;
    let file = target_dir.join("doc").join(format!("{}.json", library.crate_name));
    let doc: Value = serde_json::from_str(&read_file(&file)?)
        .map_err(|e| release_error(format!("{}: not rustdoc's JSON: {e}", file.display())))?;
    surface(&doc).map_err(|e| release_error(format!("{}: {e}", file.display())))
}
