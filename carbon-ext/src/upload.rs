//! Uploading model files: streamed from disk, never held in memory.
//!
//! Two ways in, as the API offers them:
//! - [`Client::upload_model_presigned`]: ask for a presigned S3 URL, `PUT` the file
//!   there (no credentials travel to S3), then resolve the upload with the `ETag`.
//!   The way for large files.
//! - [`Client::upload_model_direct`]: `POST /models` with the bytes as the body and
//!   the name in the `filename` header.
//!
//! Both check the file before any request (exists, is a file, not empty, readable,
//! UTF-8 name), send it with an exact `Content-Length` in 64 KiB chunks, report
//! progress, and can be cancelled by dropping the future. Every step is retried as
//! the client's [`crate::RetryPolicy`] allows: a failed `PUT` is sent again from the
//! reopened file (a streamed body cannot be replayed), and a `PUT` that failed never
//! leads to a resolve. A direct upload is sent again only when the API surely did
//! not take it (no connection, or 429): never after a 403 or a 5xx.

use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use bytes::Bytes;
use futures::{Stream, StreamExt};
use http_body::{Frame, SizeHint};
use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE, ETAG};
use tokio_util::io::ReaderStream;

use crate::error::Call;
use crate::retry::{Replay, Retrier};
use crate::run::send_as;
use crate::{Client, Error, Progress, Transfer, types};

const CHUNK: usize = 64 * 1024;

/// Options for one upload.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct UploadOptions {
    /// The model's name in Carbon; defaults to the file's name.
    pub filename: Option<String>,
    /// Your own id for the model (`external_id`), to find it again with `findModels`.
    pub external_id: Option<String>,
    /// The application the model belongs to (direct uploads only).
    pub application_uuid: Option<String>,
}

impl UploadOptions {
    /// Sets `application_uuid` (direct uploads only).
    pub fn application_uuid(mut self, uuid: impl Into<String>) -> Self {
        self.application_uuid = Some(uuid.into());
        self
    }

    /// Sets `external_id`.
    pub fn external_id(mut self, id: impl Into<String>) -> Self {
        self.external_id = Some(id.into());
        self
    }

    /// Sets the name the model gets in Carbon.
    pub fn filename(mut self, name: impl Into<String>) -> Self {
        self.filename = Some(name.into());
        self
    }
}

/// A model uploaded and resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadedModel {
    /// The new model's uuid.
    pub model_uuid: String,
    /// The name it has in Carbon.
    pub filename: String,
    /// Bytes sent.
    pub size: u64,
}

/// A file checked and ready to send.
#[derive(Debug, Clone)]
struct LocalFile {
    path: PathBuf,
    name: String,
    size: u64,
}

fn invalid(path: &Path, reason: impl Into<String>) -> Error {
    Error::InvalidFile {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

async fn check_file(path: &Path, options: &UploadOptions) -> Result<LocalFile, Error> {
    let metadata = tokio::fs::metadata(path).await.map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => invalid(path, "no such file"),
        std::io::ErrorKind::PermissionDenied => invalid(path, "permission denied: the file is not readable"),
        _ => invalid(path, e.to_string()),
    })?;
    if metadata.is_dir() {
        return Err(invalid(
            path,
            "is a directory; pass the path of a model file (STL, OBJ, ...)",
        ));
    }
    if metadata.len() == 0 {
        return Err(invalid(path, "is empty; a model file has content"));
    }
    // Open it once now, so an unreadable file fails before any request.
    tokio::fs::File::open(path)
        .await
        .map_err(|e| invalid(path, format!("cannot be opened: {e}")))?;
    let name = match &options.filename {
        Some(name) => name.clone(),
        None => path
            .file_name()
            .ok_or_else(|| invalid(path, "has no file name"))?
            .to_str()
            .ok_or_else(|| invalid(path, "the file name is not valid UTF-8; pass UploadOptions::filename"))?
            .to_string(),
    };
    if name.trim().is_empty() || name.contains(['\r', '\n']) {
        return Err(invalid(path, "the model name is empty or contains a line break"));
    }
    Ok(LocalFile {
        path: path.to_path_buf(),
        name,
        size: metadata.len(),
    })
}

/// A file as an HTTP body: exact length, read 64 KiB at a time, progress reported.
struct FileBody {
    chunks: ReaderStream<tokio::fs::File>,
    remaining: u64,
    sent: u64,
    total: u64,
    progress: Progress<Transfer>,
}

impl http_body::Body for FileBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        match Pin::new(&mut self.chunks).poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                let len = chunk.len() as u64;
                if len > self.remaining {
                    return Poll::Ready(Some(Err(std::io::Error::other(
                        "the file grew while it was being uploaded",
                    ))));
                }
                self.remaining -= len;
                self.sent += len;
                self.progress.report(&Transfer {
                    done: self.sent,
                    total: Some(self.total),
                });
                Poll::Ready(Some(Ok(Frame::data(chunk))))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(e))),
            Poll::Ready(None) if self.remaining > 0 => Poll::Ready(Some(Err(std::io::Error::other(
                "the file shrank while it was being uploaded",
            )))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.remaining == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}

async fn open_body(file: &LocalFile, progress: Progress<Transfer>) -> Result<reqwest::Body, Error> {
    let handle = tokio::fs::File::open(&file.path)
        .await
        .map_err(|e| invalid(&file.path, format!("cannot be opened: {e}")))?;
    progress.report(&Transfer {
        done: 0,
        total: Some(file.size),
    });
    Ok(reqwest::Body::wrap(FileBody {
        chunks: ReaderStream::with_capacity(handle, CHUNK),
        remaining: file.size,
        sent: 0,
        total: file.size,
        progress,
    }))
}

impl Client {
    /// Uploads a model through a presigned S3 URL and resolves it; see the module
    /// docs. Returns the new model's uuid.
    pub async fn upload_model_presigned(
        &self,
        path: impl AsRef<Path>,
        options: UploadOptions,
        progress: Progress<Transfer>,
    ) -> Result<UploadedModel, Error> {
        let file = check_file(path.as_ref(), &options).await?;
        // Asking for a presigned URL creates nothing: safe to ask again.
        let presigned = self
            .get_presigned_upload_url()
            .body(types::ModelPresignedUploadUrlRequest {
                filename: file.name.clone(),
            })
            .into_params()
            .1;
        let presigned = send_as(self, presigned, Replay::Safe).await?;
        // A failed PUT is sent again from the freshly opened file; only a stored one
        // (with its ETag) goes on to the resolve.
        let etag = Retrier::of(self)
            .run(PUT_OPERATION, "PUT", Replay::Safe, |_| {
                self.put_presigned(&presigned.presigned_url, &file, progress.clone())
            })
            .await?;
        // Resolving names one upload by uuid and ETag: asking again resolves the same one.
        let resolve = self
            .resolve_presigned_model_upload()
            .body(types::ModelResolveUploadRequest {
                filename: file.name.clone(),
                model_etag: etag,
                model_uuid: presigned.model_uuid.clone(),
                external_id: options.external_id.clone(),
            })
            .into_params()
            .1;
        send_as(self, resolve, Replay::Safe).await?;
        Ok(UploadedModel {
            model_uuid: presigned.model_uuid,
            filename: file.name,
            size: file.size,
        })
    }

    /// One `PUT` of the file to S3: plain HTTP client, no API hooks, no bearer.
    async fn put_presigned(&self, url: &str, file: &LocalFile, progress: Progress<Transfer>) -> Result<String, Error> {
        const OPERATION: &str = PUT_OPERATION;
        if let Ok(parsed) = reqwest::Url::parse(url) {
            crate::spans::record("path", parsed.path());
        }
        let body = open_body(file, progress).await?;
        let response = self
            .http()
            .put(url)
            .header(CONTENT_TYPE, "application/octet-stream")
            .header(CONTENT_LENGTH, file.size)
            .body(body)
            .send()
            .await
            .map_err(|e| Error::from_reqwest(OPERATION, e))?;
        let status = response.status();
        crate::spans::record("status", status.as_u16());
        if !status.is_success() {
            let body = crate::stack::read_error_body(response).await;
            return Err(Error::from_status(OPERATION, status, body, None));
        }
        match response.headers().get(ETAG).and_then(|v| v.to_str().ok()) {
            Some(etag) if !etag.is_empty() => Ok(etag.to_string()),
            _ => Err(Error::MissingEtag {
                call: Call::new(OPERATION),
                status,
            }),
        }
    }

    /// Uploads a model with `POST /models` (the file is the body, its name the
    /// `filename` header). Returns the created model.
    pub async fn upload_model_direct(
        &self,
        path: impl AsRef<Path>,
        options: UploadOptions,
        progress: Progress<Transfer>,
    ) -> Result<types::Model, Error> {
        let file = check_file(path.as_ref(), &options).await?;
        // Each attempt streams the file anew; it is made again only when the API
        // surely did not take the one before (the classifier's rule for a POST).
        Retrier::of(self)
            .run("upload_model", "POST", Replay::OnlyIfRefused, |_| async {
                let body = open_body(&file, progress.clone()).await?;
                let mut request = self.upload_model().filename(file.name.clone()).body(body);
                if let Some(id) = &options.external_id {
                    request = request.external_id(id.clone());
                }
                if let Some(app) = &options.application_uuid {
                    request = request.application_uuid(app.clone());
                }
                let (client, params) = request.into_params();
                crate::run::once(client, params).await
            })
            .await
    }

    /// Uploads many files, at most `concurrency` at a time (each request still passes
    /// the client's rate limiter), presigned. One result per path, in the order given:
    /// a bad file does not stop the others. `progress` sees the bytes of all files
    /// together.
    pub async fn upload_many<P: AsRef<Path>>(
        &self,
        paths: impl IntoIterator<Item = P>,
        concurrency: usize,
        options: UploadOptions,
        progress: Progress<Transfer>,
    ) -> Vec<(PathBuf, Result<UploadedModel, Error>)> {
        let paths: Vec<PathBuf> = paths.into_iter().map(|p| p.as_ref().to_path_buf()).collect();
        let mut sizes = Vec::with_capacity(paths.len());
        for path in &paths {
            sizes.push(tokio::fs::metadata(path).await.map(|m| m.len()).unwrap_or(0));
        }
        let total: u64 = sizes.iter().sum();
        let sent: Arc<Vec<AtomicU64>> = Arc::new(sizes.iter().map(|_| AtomicU64::new(0)).collect());
        futures::stream::iter(paths.into_iter().enumerate())
            .map(|(index, path)| {
                let options = UploadOptions {
                    filename: None,
                    external_id: None,
                    ..options.clone()
                };
                let (sent, overall) = (sent.clone(), progress.clone());
                let per_file = if overall.is_some() {
                    Progress::new(move |t: &Transfer| {
                        sent[index].store(t.done, Ordering::Relaxed);
                        let done = sent.iter().map(|s| s.load(Ordering::Relaxed)).sum();
                        overall.report(&Transfer {
                            done,
                            total: Some(total),
                        });
                    })
                } else {
                    Progress::none()
                };
                async move {
                    let result = self.upload_model_presigned(&path, options, per_file).await;
                    (path, result)
                }
            })
            .buffered(concurrency.max(1))
            .collect()
            .await
    }
}

/// The name of the storage `PUT` step in errors and traces.
const PUT_OPERATION: &str = "presigned_put";
