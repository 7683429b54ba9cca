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
    /// `target`, or standard output when `None`. `flag` names the option that
    /// gave it, for errors.
    pub fn open(target: Option<&Path>, flag: &str) -> Outcome<Self> {
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
        let temp = dir.join(format!(".{name}.{}.part", std::process::id()));
        let file =
            std::fs::File::create(&temp).map_err(|e| Failure::usage(format!("{flag} {}: {e}", target.display())))?;
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
                file.into_inner().map_err(|e| e.into_error())?.sync_all()?;
                std::fs::rename(&*temp, &*target)?;
            }
        }
        Ok(())
    }
}

/// Removes the temporary files of `name` that killed runs left (`kill -9`, a
/// crash, a closed terminal): those whose process is gone.
fn remove_abandoned(dir: &Path, name: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let prefix = format!(".{name}.");
    for entry in entries.flatten() {
        let file = entry.file_name();
        let Some(pid) = file
            .to_str()
            .and_then(|f| f.strip_prefix(&prefix))
            .and_then(|f| f.strip_suffix(".part"))
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() && !running(pid) {
            tracing::debug!(file = %entry.path().display(), "removing what a killed export left");
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Whether process `pid` exists (on other systems than Unix: assumed so, and
/// nothing is removed).
fn running(pid: u32) -> bool {
    #[cfg(unix)]
    {
        let Ok(pid) = libc::pid_t::try_from(pid) else {
            return true;
        };
        // SAFETY: signal 0 only checks that the process exists; nothing is sent.
        let alive = unsafe { libc::kill(pid, 0) } == 0;
        alive || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
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
