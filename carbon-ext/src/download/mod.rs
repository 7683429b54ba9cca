//! Downloading attachments (build travelers, slice videos) and model files.
//!
//! Both answer `302` to the file's real location; the client follows it, and the
//! bearer token is never sent to the other host. Files are written to a temporary
//! file beside the destination and put in place only when complete, so a failure
//! never leaves a half-written file. A name the server gives is made safe on every
//! platform ([`safe_file_name`]) and never replaces an existing file, not even one
//! that a concurrent download of the same name creates.

mod file_name;

use std::path::{Path, PathBuf};

use futures::TryStreamExt;
use tempfile::{NamedTempFile, TempPath};
use tokio::io::{AsyncWrite, AsyncWriteExt};

pub use file_name::{filename_from_content_disposition, safe_file_name};

use crate::error::Call;
use crate::retry::{Replay, Retrier};
use crate::{Client, Error, Progress, Transfer};

/// What a request for a file's bytes answers.
type FileResponse = Result<carbon_api_gen::ResponseValue<carbon_api_gen::ByteStream>, carbon_api_gen::Error>;

/// A finished download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Downloaded {
    /// Where the file is.
    pub path: PathBuf,
    /// Its size.
    pub size: u64,
}

/// Where to put a download.
#[derive(Debug, Clone)]
pub enum Destination {
    /// This exact file path; a file there is replaced (at once, when the download is
    /// complete).
    File(PathBuf),
    /// This directory, under the name the server gives (`Content-Disposition`), or
    /// else the fallback name, made safe. An existing file of that name is never
    /// replaced: the download fails with [`Error::InvalidFile`] instead.
    Directory {
        /// The directory.
        dir: PathBuf,
        /// The name when the server gives none (e.g. the attachment's `filename`).
        fallback_name: String,
    },
}

/// A file the API serves: what [`Client::download`] and
/// [`Client::download_to`] fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RemoteFile<'a> {
    /// An attachment by uuid (`GET /attachments/{uuid}`): a build traveler, a
    /// slice video.
    Attachment(&'a str),
    /// A model's file by the model's uuid (`GET /models/{uuid}/download`).
    Model(&'a str),
}

impl RemoteFile<'_> {
    /// The operation that serves it, as errors name it.
    fn operation(self) -> &'static str {
        match self {
            RemoteFile::Attachment(_) => "get_attachment",
            RemoteFile::Model(_) => "download_model",
        }
    }
}

impl Client {
    /// Downloads `file` to `to`. A request or transfer that failed is started
    /// again as the retry policy allows (a download changes nothing), each
    /// time into a fresh temporary file.
    pub async fn download(
        &self,
        file: RemoteFile<'_>,
        to: Destination,
        progress: Progress<Transfer>,
    ) -> Result<Downloaded, Error> {
        let operation = file.operation();
        Retrier::of(self)
            .run(operation, "GET", Replay::Safe, |_| async {
                let response = self.request_file(file).await;
                self.save(response, operation, to.clone(), progress.clone()).await
            })
            .await
    }

    /// Streams `file` into any writer (a file you opened, a buffer, a socket).
    /// Returns the number of bytes written. One attempt: a writer cannot be
    /// rewound, and it may hold part of the file on error.
    pub async fn download_to<W: AsyncWrite + Unpin>(
        &self,
        file: RemoteFile<'_>,
        writer: &mut W,
        progress: Progress<Transfer>,
    ) -> Result<u64, Error> {
        let operation = file.operation();
        let response = self.request_file(file).await;
        let response = response.map_err(|e| Error::from(e).with_operation(operation))?;
        let total = content_length(response.headers());
        copy(response.into_inner(), writer, total, progress, operation).await
    }

    /// One request for `file`'s bytes.
    async fn request_file(&self, file: RemoteFile<'_>) -> FileResponse {
        match file {
            RemoteFile::Attachment(uuid) => self.get_attachment().uuid(uuid).send().await,
            RemoteFile::Model(uuid) => self.download_model().uuid(uuid).send().await,
        }
    }

    async fn save(
        &self,
        response: FileResponse,
        operation: &'static str,
        destination: Destination,
        progress: Progress<Transfer>,
    ) -> Result<Downloaded, Error> {
        let response = response.map_err(|e| Error::from(e).with_operation(operation))?;
        let replace = matches!(destination, Destination::File(_));
        let target = match destination {
            Destination::File(path) => path,
            Destination::Directory { dir, fallback_name } => {
                let name = response
                    .headers()
                    .get(reqwest::header::CONTENT_DISPOSITION)
                    .and_then(|v| v.to_str().ok())
                    .and_then(filename_from_content_disposition)
                    .or_else(|| safe_file_name(&fallback_name));
                let Some(name) = name else {
                    return Err(Error::InvalidFile {
                        path: dir,
                        reason: "no usable file name for the download; download to Destination::File".into(),
                    });
                };
                let target = dir.join(name);
                // The name came from the server: never replace a file that is there.
                if tokio::fs::try_exists(&target).await.unwrap_or(false) {
                    return Err(Error::InvalidFile {
                        path: target,
                        reason: "a file of the name the server gave exists already; remove it or download to Destination::File"
                            .into(),
                    });
                }
                target
            }
        };
        let dir = crate::whole_file::dir_of(&target);
        if !tokio::fs::metadata(dir).await.map(|m| m.is_dir()).unwrap_or(false) {
            return Err(Error::InvalidFile {
                path: dir.to_path_buf(),
                reason: "the destination directory does not exist".into(),
            });
        }
        let total = content_length(response.headers());
        // Removed on any failure, cancellation included.
        let temp = crate::whole_file::beside(&target, crate::whole_file::Access::Shared)?;
        let mut file = tokio::fs::File::from_std(temp.as_file().try_clone()?);
        let size = copy(response.into_inner(), &mut file, total, progress, operation).await?;
        file.sync_all().await?;
        drop(file);
        if let Some(expected) = total.filter(|t| *t != size) {
            return Err(Error::Truncated {
                call: Call::new(operation),
                received: size,
                expected,
            });
        }
        if replace {
            temp.persist(&target).map_err(|e| e.error)?;
        } else {
            publish_new(temp, &target).await?;
        }
        Ok(Downloaded { path: target, size })
    }
}

/// Puts the complete temporary file at `target` only if nothing is there, in one
/// step (the file system refuses the name if it exists), so two downloads of one
/// name can never both succeed. Where that is not supported (no hard links), the
/// file is copied into a newly created (never opened if existing) target.
async fn publish_new(temp: NamedTempFile, target: &Path) -> Result<(), Error> {
    let exists = || Error::InvalidFile {
        path: target.to_path_buf(),
        reason: "a file of the name the server gave exists already; remove it or download to Destination::File".into(),
    };
    let temp = match temp.persist_noclobber(target) {
        Ok(_) => return Ok(()),
        Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => return Err(exists()),
        // The file system cannot link or rename without replacing: copy.
        Err(e)
            if matches!(
                e.error.kind(),
                std::io::ErrorKind::Unsupported | std::io::ErrorKind::PermissionDenied
            ) =>
        {
            e.file
        }
        // Anything else (no space, read-only) is the answer.
        Err(e) => return Err(e.error.into()),
    };
    let mut out = match tokio::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(target)
        .await
    {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Err(exists()),
        Err(e) => return Err(e.into()),
    };
    // Until the copy is complete the new file is removed on any exit,
    // cancellation included.
    let guard = TempPath::try_from_path(target)?;
    let mut input = tokio::fs::File::open(temp.path()).await?;
    tokio::io::copy(&mut input, &mut out).await?;
    out.sync_all().await?;
    guard.keep().map_err(|e| e.error)?;
    Ok(())
}

fn content_length(headers: &reqwest::header::HeaderMap) -> Option<u64> {
    headers
        .get(reqwest::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
}

async fn copy<W: AsyncWrite + Unpin>(
    body: carbon_api_gen::ByteStream,
    writer: &mut W,
    total: Option<u64>,
    progress: Progress<Transfer>,
    operation: &'static str,
) -> Result<u64, Error> {
    let mut stream = body.into_inner();
    let mut written = 0u64;
    while let Some(chunk) = stream
        .try_next()
        .await
        .map_err(|e| Error::from(carbon_api_gen::Error::ResponseBodyError(e)).with_operation(operation))?
    {
        writer.write_all(&chunk).await?;
        written += chunk.len() as u64;
        progress.report(&Transfer { done: written, total });
    }
    writer.flush().await?;
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn publishing_never_replaces_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("t.pdf");
        let temp = || {
            let mut temp = NamedTempFile::new_in(dir.path()).unwrap();
            std::io::Write::write_all(&mut temp, b"new").unwrap();
            temp
        };
        std::fs::write(&target, b"old").unwrap();
        let refused = temp();
        let left = refused.path().to_path_buf();
        let err = publish_new(refused, &target).await.unwrap_err();
        assert!(matches!(err, Error::InvalidFile { .. }), "{err}");
        assert_eq!(std::fs::read(&target).unwrap(), b"old");
        assert!(!left.exists(), "the refused temporary file is removed");
        std::fs::remove_file(&target).unwrap();
        publish_new(temp(), &target).await.unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"new");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "only the file");
    }
}
