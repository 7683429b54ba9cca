//! Downloading attachments (build travelers, slice videos) and model files.
//!
//! Both answer `302` to the file's real location; the client follows it, and the
//! bearer token is never sent to the other host. Files are written to a temporary
//! file beside the destination and put in place only when complete, so a failure
//! never leaves a half-written file. A name the server gives is made safe on every
//! platform ([`safe_file_name`]) and never replaces an existing file, not even one
//! that a concurrent download of the same name creates.

use std::path::{Path, PathBuf};

use futures::TryStreamExt;
use tokio::io::{AsyncWrite, AsyncWriteExt};

use crate::error::Call;
use crate::retry::{Replay, Retrier};
use crate::{Client, Error, Progress, Transfer};

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

/// The file name from a `Content-Disposition` header, made safe with
/// [`safe_file_name`].
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
    extended.or(plain).and_then(|name| safe_file_name(&name))
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

/// Names Windows reserves for devices, with any extension (`NUL.pdf` is `NUL`).
const RESERVED_NAMES: &[&str] = &[
    "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", "COM0", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7",
    "COM8", "COM9", "COM¹", "COM²", "COM³", "LPT0", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8",
    "LPT9", "LPT¹", "LPT²", "LPT³",
];

/// The longest name kept, in bytes (file systems allow 255).
const MAX_NAME_BYTES: usize = 200;

/// A name from elsewhere (a server, an uploader) made safe as a plain file name in a
/// directory, on Unix and Windows alike: the last path component only; characters
/// Windows forbids (`<>:"|?*`, which also rules out drive prefixes like `C:x` and
/// `:` streams) and control characters replaced by `_`; no leading dots or spaces
/// (no hidden files, no `..`), no trailing dots or spaces; device names such as
/// `CON` or `NUL.pdf` prefixed with `_`; at most 200 bytes. `None` when nothing usable
/// is left.
///
/// ```
/// use carbon_ext::download::safe_file_name;
///
/// assert_eq!(safe_file_name("../../etc/passwd").as_deref(), Some("passwd"));
/// assert_eq!(safe_file_name("C:traveler.pdf").as_deref(), Some("C_traveler.pdf"));
/// assert_eq!(safe_file_name("NUL.pdf").as_deref(), Some("_NUL.pdf"));
/// assert_eq!(safe_file_name(".."), None);
/// ```
pub fn safe_file_name(name: &str) -> Option<String> {
    let last = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let replaced: String = last
        .chars()
        .map(|c| {
            if c.is_control() || matches!(c, '<' | '>' | ':' | '"' | '|' | '?' | '*') {
                '_'
            } else {
                c
            }
        })
        .collect();
    let trimmed = replaced
        .trim_start_matches(|c: char| c == '.' || c.is_whitespace())
        .trim_end_matches(|c: char| c == '.' || c.is_whitespace());
    let mut end = trimmed.len().min(MAX_NAME_BYTES);
    while !trimmed.is_char_boundary(end) {
        end -= 1;
    }
    let name = trimmed[..end].trim_end_matches(|c: char| c == '.' || c.is_whitespace());
    if name.is_empty() {
        return None;
    }
    let stem = name.split('.').next().unwrap_or(name).trim_end();
    if RESERVED_NAMES.iter().any(|r| r.eq_ignore_ascii_case(stem)) {
        return Some(format!("_{name}"));
    }
    Some(name.to_string())
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
        progress: Progress<Transfer>,
    ) -> Result<Downloaded, Error> {
        const OPERATION: &str = "get_attachment";
        self.download_retrying(OPERATION, |_| async {
            let response = self.get_attachment().uuid(attachment_uuid).send().await;
            self.save(response, OPERATION, destination.clone(), progress.clone())
                .await
        })
        .await
    }

    /// Downloads a model's file (`GET /models/{uuid}/download`) to `destination`.
    pub async fn download_model_file(
        &self,
        model_uuid: &str,
        destination: Destination,
        progress: Progress<Transfer>,
    ) -> Result<Downloaded, Error> {
        const OPERATION: &str = "download_model";
        self.download_retrying(OPERATION, |_| async {
            let response = self.download_model().uuid(model_uuid).send().await;
            self.save(response, OPERATION, destination.clone(), progress.clone())
                .await
        })
        .await
    }

    /// Downloads change nothing: a request or transfer that failed is started again
    /// as the retry policy allows, each time into a fresh temporary file.
    async fn download_retrying<F, Fut>(&self, operation: &'static str, attempt: F) -> Result<Downloaded, Error>
    where
        F: FnMut(u32) -> Fut,
        Fut: std::future::Future<Output = Result<Downloaded, Error>>,
    {
        Retrier::of(self).run(operation, "GET", Replay::Safe, attempt).await
    }

    /// Streams an attachment into any writer (a file you opened, a buffer, a socket).
    /// Returns the number of bytes written. The writer may hold a partial file on error.
    pub async fn download_attachment_to<W: AsyncWrite + Unpin>(
        &self,
        attachment_uuid: &str,
        writer: &mut W,
        progress: Progress<Transfer>,
    ) -> Result<u64, Error> {
        // The writer cannot be rewound: one attempt.
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
        // A temporary name that fits any file system, however long the real one.
        let mut short = file_name.len().min(100);
        while !file_name.is_char_boundary(short) {
            short -= 1;
        }
        let mut temp = TempFile {
            path: dir.join(format!(
                ".{}.{}.part",
                &file_name[..short],
                uuid::Uuid::new_v4().simple()
            )),
            keep: false,
        };
        let mut file = tokio::fs::File::create(&temp.path).await?;
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
            tokio::fs::rename(&temp.path, &target).await?;
            temp.keep = true;
        } else {
            publish_new(&temp.path, &target).await?;
        }
        Ok(Downloaded { path: target, size })
    }
}

/// Puts the complete temporary file at `target` only if nothing is there, in one
/// step (a hard link fails if the name exists), so two downloads of one name can
/// never both succeed. Where hard links are not supported, the file is copied into
/// a newly created (never opened if existing) target.
async fn publish_new(temp: &Path, target: &Path) -> Result<(), Error> {
    let exists = || Error::InvalidFile {
        path: target.to_path_buf(),
        reason: "a file of the name the server gave exists already; remove it or download to Destination::File".into(),
    };
    match tokio::fs::hard_link(temp, target).await {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(exists()),
        Err(_) => {
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
            let mut guard = TempFile {
                path: target.to_path_buf(),
                keep: false,
            };
            let mut input = tokio::fs::File::open(temp).await?;
            tokio::io::copy(&mut input, &mut out).await?;
            out.sync_all().await?;
            guard.keep = true;
            Ok(())
        }
    }
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
        assert_eq!(
            filename_from_content_disposition("attachment; filename*=UTF-8''..%2F..%2Fx%00y.pdf").as_deref(),
            Some("x_y.pdf")
        );
    }

    #[tokio::test]
    async fn publishing_never_replaces_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let (temp, target) = (dir.path().join(".t.part"), dir.path().join("t.pdf"));
        std::fs::write(&temp, b"new").unwrap();
        std::fs::write(&target, b"old").unwrap();
        let err = publish_new(&temp, &target).await.unwrap_err();
        assert!(matches!(err, Error::InvalidFile { .. }), "{err}");
        assert_eq!(std::fs::read(&target).unwrap(), b"old");
        std::fs::remove_file(&target).unwrap();
        publish_new(&temp, &target).await.unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"new");
    }

    #[test]
    fn hostile_names_become_plain_names_inside_the_directory() {
        let table: &[(&str, Option<&str>)] = &[
            ("traveler.pdf", Some("traveler.pdf")),
            ("../../etc/passwd", Some("passwd")),
            ("..\\..\\Windows\\win.ini", Some("win.ini")),
            ("C:x", Some("C_x")),
            ("C:\\boot.ini", Some("boot.ini")),
            ("c:", Some("c_")),
            ("report.pdf:secret", Some("report.pdf_secret")),
            ("file::$DATA", Some("file__$DATA")),
            ("CON", Some("_CON")),
            ("nul.pdf", Some("_nul.pdf")),
            ("Com1.txt", Some("_Com1.txt")),
            ("LPT9", Some("_LPT9")),
            ("CONIN$", Some("_CONIN$")),
            ("console.log", Some("console.log")),
            ("name. . .", Some("name")),
            ("name   ", Some("name")),
            ("  .hidden", Some("hidden")),
            ("a<b>c|d?e*f\"g", Some("a_b_c_d_e_f_g")),
            ("tab\there\n", Some("tab_here_")),
            ("..", None),
            (".", None),
            ("", None),
            ("   ", None),
            ("dir/", None),
            (". .", None),
        ];
        for (input, expected) in table {
            let got = safe_file_name(input);
            assert_eq!(got.as_deref(), *expected, "{input:?}");
            if let Some(name) = got {
                let dir = Path::new("/downloads");
                let joined = dir.join(&name);
                assert_eq!(joined.parent(), Some(dir), "{input:?} left the directory");
                assert!(!name.contains(['/', '\\', ':']), "{input:?}");
                assert!(!name.ends_with(['.', ' ']), "{input:?}");
            }
        }
        let long = "x".repeat(300) + ".pdf";
        assert!(safe_file_name(&long).unwrap().len() <= 200);
        let wide = "é".repeat(150);
        let cut = safe_file_name(&wide).unwrap();
        assert!(cut.len() <= 200 && cut.chars().all(|c| c == 'é'));
    }
}
