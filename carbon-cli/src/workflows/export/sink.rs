//! Where an export goes: standard output as it comes, or a file written whole or
//! not at all (a temporary file beside it, renamed when complete).

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::failure::{Failure, Outcome};

/// An export's output.
pub enum Sink {
    /// Standard output, written as the rows come.
    Stdout(std::io::StdoutLock<'static>),
    /// A temporary file that becomes `target` only when finished (removed
    /// when dropped before: an export that did not finish leaves no file).
    File {
        target: PathBuf,
        file: std::io::BufWriter<tempfile::NamedTempFile>,
    },
}

impl Sink {
    /// `target` (`--to`), or standard output when `None`.
    pub fn open(target: Option<&Path>) -> Outcome<Self> {
        let Some(target) = target else {
            return Ok(Sink::Stdout(std::io::stdout().lock()));
        };
        let dir = carbon_ext::whole_file::dir_of(target);
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        remove_abandoned(dir, &name);
        // Created only if new, under a name of its own, beside the target.
        let temp = carbon_ext::whole_file::beside(target, carbon_ext::whole_file::Access::Shared)
            .map_err(|e| Failure::usage(format!("--to {}: {e}", target.display())))?;
        lock(temp.as_file());
        Ok(Sink::File {
            target: target.to_path_buf(),
            file: std::io::BufWriter::new(temp),
        })
    }

    /// Writes `bytes` (to the temporary file, for a file).
    pub fn write_all(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        match self {
            Sink::Stdout(out) => out.write_all(bytes),
            Sink::File { file, .. } => file.write_all(bytes),
        }
    }

    /// Flushes standard output, or syncs the file and puts it in its place.
    pub fn finish(self) -> Outcome {
        match self {
            Sink::Stdout(mut out) => out.flush()?,
            Sink::File { target, file } => {
                let temp = file.into_inner().map_err(|e| e.into_error())?;
                temp.as_file().sync_all()?;
                // Locked until it has its name (the file stays open through the
                // rename): no other run takes it for abandoned.
                let file = temp.persist(&target).map_err(|e| e.error)?;
                drop(file);
            }
        }
        Ok(())
    }
}

/// Removes the temporary files of `name` that killed runs left (`kill -9`, a
/// crash, a closed terminal): those no process holds locked (a run locks its
/// file while it writes, on this host or another sharing the directory) and
/// that nothing wrote to for a minute (a run just starting has not locked its
/// file yet).
fn remove_abandoned(dir: &Path, name: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let file = entry.file_name();
        let ours = file
            .to_str()
            .is_some_and(|f| carbon_ext::whole_file::is_temp_of(f, name));
        if !ours {
            continue;
        }
        let idle = entry
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|at| at.elapsed().is_ok_and(|idle| idle >= ABANDONED_AFTER));
        if idle && !locked(&entry.path()) {
            tracing::debug!(file = %entry.path().display(), "removing what a killed export left");
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// How long a temporary file no one writes to is kept.
const ABANDONED_AFTER: std::time::Duration = std::time::Duration::from_secs(60);

/// Takes the advisory lock that marks `file` as being written (held until
/// the file is closed).
fn lock(file: &std::fs::File) {
    #[cfg(unix)]
    {
        use std::os::fd::AsRawFd;
        // SAFETY: flock on a file descriptor this process holds open.
        unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    }
    #[cfg(not(unix))]
    let _ = file;
}

/// Whether a run holds `path` locked (on other systems than Unix: assumed so,
/// and nothing is removed).
fn locked(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::fd::AsRawFd;
        let Ok(file) = std::fs::File::open(path) else {
            return true;
        };
        // SAFETY: flock on a file descriptor this process holds open; the lock,
        // if taken, goes with the file when it is closed below.
        unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) != 0 }
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        true
    }
}
