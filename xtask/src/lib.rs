//! The machinery behind `cargo xtask`: fetching the API document, `regen`,
//! `check` and `diff` as tasks over the workspace's files, and `release`. What is made of a
//! document (normalized, documented, guarded, judged) is `carbon-api-regen`'s, the
//! same library `carbon api check` uses.

pub mod build_cost;
pub mod public_api;
pub mod regen;
pub mod release;
pub mod source;
pub mod version;

use std::path::{Path, PathBuf};
use std::process::Command;

/// Everything that can go wrong in an xtask.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The document could not be read from its source.
    #[error("cannot read the API document from {source_name}: {reason}")]
    Fetch {
        /// The URL or path.
        source_name: String,
        /// What went wrong, and what to do.
        reason: String,
    },
    /// The document or the overlay is wrong (see `carbon_api_regen::Error`).
    #[error(transparent)]
    Document(#[from] carbon_api_regen::Error),
    /// `build-cost` could not measure (cargo failed, or its report changed shape).
    #[error("{0}")]
    Measure(String),
    /// `release` cannot go on: what is wrong, and what to do.
    #[error("{0}")]
    Release(String),
    /// A file of the workspace could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

/// Result type of the xtask library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Where the files that `regen` and `check` read and write live.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// The `carbon-api-spec` crate directory.
    pub spec_dir: PathBuf,
}

impl Workspace {
    /// The workspace this xtask binary was built from.
    pub fn locate() -> Self {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("xtask lives in the workspace");
        Self::at(root.join("carbon-api-spec"))
    }

    /// A workspace whose spec crate is `spec_dir` (tests use a temporary directory).
    pub fn at(spec_dir: impl Into<PathBuf>) -> Self {
        Self {
            spec_dir: spec_dir.into(),
        }
    }

    /// The normalized document the generator reads.
    pub fn openapi_json(&self) -> PathBuf {
        self.spec_dir.join("openapi.json")
    }

    /// The upstream document as fetched, in canonical JSON.
    pub fn upstream_json(&self) -> PathBuf {
        self.spec_dir.join("upstream.json")
    }

    /// Our documentation overlay.
    pub fn overlay_yaml(&self) -> PathBuf {
        self.spec_dir.join("overlay.yaml")
    }

    /// The API version file behind `carbon_api_spec::API_VERSION`.
    pub fn api_version_txt(&self) -> PathBuf {
        self.spec_dir.join("api-version.txt")
    }

    /// `upstream.sha256`: the digest of the document regen last fetched, and where from.
    pub fn upstream_sha256(&self) -> PathBuf {
        self.spec_dir.join("upstream.sha256")
    }
}

pub(crate) fn read_file(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Writes `contents` to `path` through a temporary file and a rename, so that an
/// interrupted run never leaves a half-written document behind.
pub(crate) fn write_file(path: &Path, contents: &str) -> Result<()> {
    let tmp = path.with_extension("tmp~");
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let written = std::fs::write(&tmp, contents).and_then(|()| std::fs::rename(&tmp, path));
    if written.is_err() {
        // Nothing half-done stays behind: not the document, not its temporary file.
        let _ = std::fs::remove_file(&tmp);
    }
    written.map_err(io)
}

/// Runs `command` to the end; its standard output, or an error naming the
/// command with the last lines of what it said.
pub(crate) fn run(command: &mut Command) -> Result<String> {
    let line = std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(|part| part.to_string_lossy())
        .collect::<Vec<_>>()
        .join(" ");
    let out = command
        .output()
        .map_err(|e| Error::Release(format!("cannot run `{line}`: {e}")))?;
    if out.status.success() {
        return Ok(String::from_utf8_lossy(&out.stdout).into_owned());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let tail: Vec<&str> = stderr.lines().rev().take(20).collect();
    Err(Error::Release(format!(
        "`{line}` failed:\n{}",
        tail.into_iter().rev().collect::<Vec<_>>().join("\n")
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_that_fails_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        // A directory where the document goes: the rename fails.
        let target = dir.path().join("openapi.json");
        std::fs::create_dir(&target).unwrap();
        std::fs::write(target.join("inside"), "x").unwrap();
        assert!(write_file(&target, "{}").is_err());
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["openapi.json"], "only what was there before");
        // And one that works replaces the file whole.
        let file = dir.path().join("api-version.txt");
        write_file(&file, "0.4.17\n").unwrap();
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "0.4.17\n");
    }
}
