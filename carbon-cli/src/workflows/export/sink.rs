//! Where an export goes: standard output as it comes, or a file written whole or
//! not at all (a temporary file beside it, renamed when complete).

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::failure::{Failure, Outcome};

/// An export's output.
pub enum Sink {
    /// Standard output, written as the rows come.
    Stdout(std::io::StdoutLock<'static>),
    /// A temporary file that becomes `target` only when finished.
    File {
        temp: PathBuf,
        target: PathBuf,
        file: Option<std::io::BufWriter<std::fs::File>>,
    },
}

impl Sink {
    /// `target` (`--to`), or standard output when `None`.
    pub fn open(target: Option<&Path>) -> Outcome<Self> {
        let Some(target) = target else {
            return Ok(Sink::Stdout(std::io::stdout().lock()));
        };
        let dir = target
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        remove_abandoned(dir, &name);
        let (temp, file) =
            create_unique(dir, &name).map_err(|e| Failure::usage(format!("--to {}: {e}", target.display())))?;
        lock(&file);
        Ok(Sink::File {
            temp,
            target: target.to_path_buf(),
            file: Some(std::io::BufWriter::new(file)),
        })
    }

    /// Writes `bytes` (to the temporary file, for a file).
    pub fn write_all(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        match self {
            Sink::Stdout(out) => out.write_all(bytes),
            Sink::File { file, .. } => file.as_mut().expect("open until finished").write_all(bytes),
        }
    }

    /// Flushes standard output, or syncs the file and puts it in its place.
    pub fn finish(mut self) -> Outcome {
        match &mut self {
            Sink::Stdout(out) => out.flush()?,
            Sink::File { temp, target, file } => {
                let file = file.take().expect("finished once");
                let file = file.into_inner().map_err(|e| e.into_error())?;
                file.sync_all()?;
                std::fs::rename(&*temp, &*target)?;
                // Locked until it has its name: no other run takes it for abandoned.
                drop(file);
            }
        }
        Ok(())
    }
}

/// A new temporary file for `name` in `dir`: named by this process and the
/// time, and created only if no file has that name (two runs in containers may
/// both be process 1).
fn create_unique(dir: &Path, name: &str) -> std::io::Result<(PathBuf, std::fs::File)> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    for attempt in 0..100u128 {
        let temp = dir.join(format!(".{name}.{}-{:x}.part", std::process::id(), nanos + attempt));
        match std::fs::File::options().write(true).create_new(true).open(&temp) {
            Ok(file) => return Ok((temp, file)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other("no free name for a temporary file"))
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
    let prefix = format!(".{name}.");
    for entry in entries.flatten() {
        let file = entry.file_name();
        let ours = file
            .to_str()
            .is_some_and(|f| f.starts_with(&prefix) && f.ends_with(".part"));
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

impl Drop for Sink {
    fn drop(&mut self) {
        // An export that did not finish leaves no file behind.
        if let Sink::File {
            temp, file: Some(_), ..
        } = self
        {
            let _ = std::fs::remove_file(temp);
        }
    }
}
