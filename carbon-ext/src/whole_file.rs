//! Files written whole or not at all: a temporary file beside the target,
//! created only if new and removed when dropped, that takes the target's name
//! when it is complete (`NamedTempFile::persist`, or `persist_noclobber` where
//! nothing may be replaced). The one way downloads, and the command line's
//! profiles, keys and export files, are written.

use std::path::Path;

use tempfile::NamedTempFile;

/// Who may read a file written whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Its owner only (keys, profiles that may hold a password).
    Private,
    /// Whoever the process's umask lets read it, as a file created the usual
    /// way would be (downloads, exports).
    Shared,
}

/// The longest part of the target's name a temporary name keeps, in bytes:
/// with the prefix and suffix it fits any file system.
const KEPT_NAME_BYTES: usize = 100;

/// The end of every temporary file's name.
const TEMP_SUFFIX: &str = ".part";

/// Whether `file` (a file name) is one of the temporary files of a target
/// named `name` (`.report.csv.` then a random part, then `.part`): for finding
/// the ones a killed process left.
pub fn is_temp_of(file: &str, name: &str) -> bool {
    file.starts_with(&temp_prefix(name)) && file.ends_with(TEMP_SUFFIX)
}

/// The directory a file at `target` goes in (`.` for a bare name).
pub fn dir_of(target: &Path) -> &Path {
    target
        .parent()
        .filter(|dir| !dir.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// The start of every temporary file's name for a target named `name`
/// (`.report.csv.`).
fn temp_prefix(name: &str) -> String {
    let mut end = name.len().min(KEPT_NAME_BYTES);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    format!(".{}.", &name[..end])
}

/// A new temporary file beside `target` (in its directory, which must exist),
/// readable as `access` says.
pub fn beside(target: &Path, access: Access) -> std::io::Result<NamedTempFile> {
    let dir = dir_of(target);
    let name = target.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
    let prefix = temp_prefix(&name);
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(TEMP_SUFFIX);
    // tempfile makes its files the owner's only; a shared one gets the mode a
    // file created the usual way has (the umask still applies).
    #[cfg(unix)]
    if access == Access::Shared {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    #[cfg(not(unix))]
    let _ = access;
    builder.tempfile_in(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beside_the_target_with_the_access_asked_for() {
        let dir = tempfile::tempdir().unwrap();
        let long = "é".repeat(120) + ".csv";
        for name in ["report.csv", long.as_str()] {
            let target = dir.path().join(name);
            let temp = beside(&target, Access::Shared).unwrap();
            let temp_name = temp.path().file_name().unwrap().to_string_lossy().into_owned();
            assert_eq!(temp.path().parent(), Some(dir.path()));
            assert!(is_temp_of(&temp_name, name), "{temp_name}");
            assert!(!is_temp_of(&temp_name, "other.csv") && !is_temp_of(name, name));
            assert!(temp_name.len() < 255, "{}", temp_name.len());
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |access| {
                let temp = beside(&dir.path().join("m"), access).unwrap();
                temp.as_file().metadata().unwrap().permissions().mode() & 0o777
            };
            assert_eq!(mode(Access::Private), 0o600);
            // Shared: the mode of a file created the usual way, under this umask.
            let plain = dir.path().join("plain");
            std::fs::File::create(&plain).unwrap();
            let usual = std::fs::metadata(&plain).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(Access::Shared), usual);
        }
    }
}
