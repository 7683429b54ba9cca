//! Downloading attachments (build travelers, slice videos) and model files.
//!
//! Both answer `302` to the file's real location; the client follows it, and the
//! bearer token is never sent to the other host. Files are written to a temporary
//! file beside the destination and renamed into place only when complete, so a
//! failure never leaves a half-written file.

use std::path::{Path, PathBuf};

use futures::TryStreamExt;
use tokio::io::{AsyncWrite, AsyncWriteExt};

use crate::upload::ProgressFn;
use crate::{Client, Error};

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
    /// This exact file path.
    File(PathBuf),
    /// This directory, under the name the server gives (`Content-Disposition`), or
    /// else the fallback name.
    Directory {
        /// The directory.
        dir: PathBuf,
        /// The name when the server gives none (e.g. the attachment's `filename`).
        fallback_name: String,
    },
}

/// The file name from a `Content-Disposition` header, made safe to use as a name in
/// a directory (no path separators, no `..`).
pub fn filename_from_content_disposition(header: &str) -> Option<String> {
    let mut plain = None;
    let mut extended = None;
    for part in header.split(';').map(str::trim) {
        if let Some(value) = part.strip_prefix("filename*=") {
            // RFC 5987: charset'lang'percent-encoded
            let encoded = value.splitn(3, '\'').nth(2).unwrap_or(value);
            extended = Some(percent_decode(encoded));
        } else if let Some(value) = part.strip_prefix("filename=") {
            plain = Some(value.trim_matches('"').to_string());
        }
    }
    extended
        .or(plain)
        .map(|name| sanitize(&name))
        .filter(|name| !name.is_empty())
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            if let (Some(high), Some(low)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((high * 16 + low) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn sanitize(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let cleaned: String = last.chars().filter(|c| !c.is_control()).collect();
    // No hidden files from a name the server (or whoever uploaded the model) chose.
    cleaned.trim().trim_start_matches('.').to_string()
}

/// A temporary file that removes itself unless kept.
struct TempFile {
    path: PathBuf,
    keep: bool,
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

impl Client {
    /// Downloads an attachment (`GET /attachments/{uuid}`) to `destination`.
    pub async fn download_attachment(
        &self,
        attachment_uuid: &str,
        destination: Destination,
        progress: Option<ProgressFn>,
    ) -> Result<Downloaded, Error> {
        self.download_retrying(|| async {
            let response = self.get_attachment().uuid(attachment_uuid).send().await;
            self.save(response, "get_attachment", destination.clone(), progress.clone())
                .await
        })
        .await
    }

    /// Downloads are idempotent: a transfer that broke off is started again (three
    /// attempts), each into a fresh temporary file.
    async fn download_retrying<F, Fut>(&self, attempt_once: F) -> Result<Downloaded, Error>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<Downloaded, Error>>,
    {
        crate::again::again(
            DOWNLOAD_ATTEMPTS,
            |e| e.is_retryable() || is_short_read(e),
            "download",
            attempt_once,
        )
        .await
    }

    /// Downloads a model's file (`GET /models/{uuid}/download`) to `destination`.
    pub async fn download_model_file(
        &self,
        model_uuid: &str,
        destination: Destination,
        progress: Option<ProgressFn>,
    ) -> Result<Downloaded, Error> {
        self.download_retrying(|| async {
            let response = self.download_model().uuid(model_uuid).send().await;
            self.save(response, "download_model", destination.clone(), progress.clone())
                .await
        })
        .await
    }

    /// Streams an attachment into any writer (a file you opened, a buffer, a socket).
    /// Returns the number of bytes written. The writer may hold a partial file on error.
    pub async fn download_attachment_to<W: AsyncWrite + Unpin>(
        &self,
        attachment_uuid: &str,
        writer: &mut W,
        progress: Option<ProgressFn>,
    ) -> Result<u64, Error> {
        let response = self.get_attachment().uuid(attachment_uuid).send().await;
        let response = response.map_err(|e| Error::from(e).with_operation("get_attachment"))?;
        let total = content_length(response.headers());
        copy(response.into_inner(), writer, total, progress, "get_attachment").await
    }

    async fn save(
        &self,
        response: Result<carbon_api_gen::ResponseValue<carbon_api_gen::ByteStream>, carbon_api_gen::Error>,
        operation: &'static str,
        destination: Destination,
        progress: Option<ProgressFn>,
    ) -> Result<Downloaded, Error> {
        let response = response.map_err(|e| Error::from(e).with_operation(operation))?;
        let target = match destination {
            Destination::File(path) => path,
            Destination::Directory { dir, fallback_name } => {
                let name = response
                    .headers()
                    .get(reqwest::header::CONTENT_DISPOSITION)
                    .and_then(|v| v.to_str().ok())
                    .and_then(filename_from_content_disposition)
                    .unwrap_or_else(|| sanitize(&fallback_name));
                if name.is_empty() {
                    return Err(Error::InvalidFile {
                        path: dir,
                        reason: "no usable file name for the download".into(),
                    });
                }
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
        let dir = target
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        if !tokio::fs::metadata(dir).await.map(|m| m.is_dir()).unwrap_or(false) {
            return Err(Error::InvalidFile {
                path: dir.to_path_buf(),
                reason: "the destination directory does not exist".into(),
            });
        }
        let total = content_length(response.headers());
        let file_name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut temp = TempFile {
            path: dir.join(format!(".{file_name}.{}.part", uuid::Uuid::new_v4().simple())),
            keep: false,
        };
        let mut file = tokio::fs::File::create(&temp.path).await?;
        let size = copy(response.into_inner(), &mut file, total, progress, operation).await?;
        file.sync_all().await?;
        drop(file);
        if let Some(expected) = total.filter(|t| *t != size) {
            return Err(Error::Api {
                operation,
                status: reqwest::StatusCode::OK,
                body: format!("{SHORT_READ} {size} of {expected} bytes; nothing was written"),
            });
        }
        tokio::fs::rename(&temp.path, &target).await?;
        temp.keep = true;
        Ok(Downloaded { path: target, size })
    }
}

const DOWNLOAD_ATTEMPTS: u32 = 3;
const SHORT_READ: &str = "the download ended after";

fn is_short_read(error: &Error) -> bool {
    matches!(error, Error::Api { body, .. } if body.starts_with(SHORT_READ))
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
    progress: Option<ProgressFn>,
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
        if let Some(progress) = &progress {
            progress(written, total.unwrap_or(0));
        }
    }
    writer.flush().await?;
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_disposition_names() {
        assert_eq!(
            filename_from_content_disposition(r#"attachment; filename="traveler.pdf""#).as_deref(),
            Some("traveler.pdf")
        );
        assert_eq!(
            filename_from_content_disposition("attachment; filename=plain.stl").as_deref(),
            Some("plain.stl")
        );
        assert_eq!(
            filename_from_content_disposition(r#"attachment; filename="x.pdf"; filename*=UTF-8''tr%C3%A4veler.pdf"#)
                .as_deref(),
            Some("träveler.pdf")
        );
        assert_eq!(
            filename_from_content_disposition(r#"attachment; filename="../../etc/passwd""#).as_deref(),
            Some("passwd")
        );
        assert_eq!(filename_from_content_disposition(r#"attachment; filename="..""#), None);
        assert_eq!(filename_from_content_disposition("inline"), None);
        assert_eq!(
            filename_from_content_disposition(r#"attachment; filename=".bashrc""#).as_deref(),
            Some("bashrc")
        );
    }
}
