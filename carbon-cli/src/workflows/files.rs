//! Local files: checking the ones given, ids derived from their content, and
//! downloads.

use std::io::Read;
use std::path::{Path, PathBuf};

use carbon_ext::{Client, Destination, Progress, RemoteFile};
use sha2::{Digest, Sha256};

use crate::cli::Downloadable;
use crate::failure::{Failure, Outcome};

/// Checks that every path is a readable, non-empty file, before any request.
pub fn check_files(files: &[PathBuf]) -> Outcome {
    if files.is_empty() {
        return Err(Failure::usage("no files given: name the model files to upload"));
    }
    for path in files {
        let metadata = std::fs::metadata(path).map_err(|e| Failure::usage(format!("{}: {e}", path.display())))?;
        if !metadata.is_file() {
            return Err(Failure::usage(format!("{}: not a file", path.display())));
        }
        if metadata.len() == 0 {
            return Err(Failure::usage(format!(
                "{}: empty; a model file has content",
                path.display()
            )));
        }
        std::fs::File::open(path).map_err(|e| Failure::usage(format!("{}: cannot be read: {e}", path.display())))?;
    }
    Ok(())
}

/// The `external_id` a file is uploaded under: derived from its content, so the
/// same file is found again by a later run (`sha256-<hex>`).
pub fn content_id(path: &Path) -> Outcome<String> {
    let mut file = std::fs::File::open(path).map_err(|e| Failure::usage(format!("{}: {e}", path.display())))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    let digest = hasher.finalize();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!("sha256-{hex}"))
}

/// Downloads an attachment or a model file to `path` (a file, or a directory for
/// the server's name; default this directory), and says where it went.
pub async fn download(client: &Client, what: Downloadable, uuid: &str, path: Option<PathBuf>) -> Outcome {
    let (file, fallback) = match what {
        Downloadable::Attachment => (RemoteFile::Attachment(uuid), "attachment.bin".to_string()),
        Downloadable::Model => (RemoteFile::Model(uuid), format!("{uuid}.stl")),
    };
    let to = destination(path, &fallback);
    let into_directory = matches!(to, Destination::Directory { .. });
    let downloaded = client
        .download(file, to, Progress::none())
        .await
        .map_err(|error| match error {
            // A name the server gives never replaces a file: say how to replace it.
            carbon_ext::Error::InvalidFile { path, .. } if into_directory && path.is_file() => Failure::usage(format!(
                "{}: exists already; remove it, or give --to that file to replace it",
                path.display()
            )),
            error => error.into(),
        })?;
    crate::output::write_stdout(format!("{}\n", downloaded.path.display()).as_bytes())?;
    eprintln!("downloaded {} bytes", downloaded.size);
    Ok(())
}

/// `Destination` for a download to `path` (a directory takes the server's name), or
/// to this directory under the server's name.
pub fn destination(path: Option<PathBuf>, fallback: &str) -> Destination {
    match path {
        Some(path) if path.is_dir() => Destination::Directory {
            dir: path,
            fallback_name: fallback.to_string(),
        },
        Some(path) => Destination::File(path),
        None => Destination::Directory {
            dir: PathBuf::from("."),
            fallback_name: fallback.to_string(),
        },
    }
}
