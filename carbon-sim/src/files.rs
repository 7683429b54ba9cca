//! Uploaded files with bounded memory: every file is kept as its size and digest,
//! and its bytes only while it is small and a budget for kept bytes lasts. A file
//! whose bytes were not kept downloads as bytes derived from its digest: the same
//! bytes every time, streamed, never held whole. Kept bytes go back to the
//! budget when the last copy of their file is dropped (a pending upload
//! replaced by a second PUT, or trimmed).

// Handlers answer with a finished response on both paths.
#![allow(clippy::result_large_err)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::body::Body;
use axum::http::StatusCode;
use futures::StreamExt;

use crate::api::reply::{Reply, bad, text_reply};

/// Files up to this size keep their bytes (while the budget lasts).
pub(crate) const KEEP_WHOLE: u64 = 1024 * 1024;

/// The chunks a download streams in.
const CHUNK: usize = 64 * 1024;

/// A stored file.
#[derive(Debug, Clone)]
pub(crate) struct StoredFile {
    /// Its size.
    pub size: u64,
    /// FNV-1a over its bytes (also its ETag).
    pub digest: u64,
    /// Its bytes, if they were kept (then exactly `size` of them).
    pub bytes: Option<bytes::Bytes>,
    /// The budget its kept bytes were taken from, given back when the last copy
    /// of the file goes.
    _lease: Option<Arc<Lease>>,
}

/// Kept bytes taken from a budget.
#[derive(Debug)]
struct Lease {
    budget: Arc<AtomicU64>,
    size: u64,
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.budget.fetch_add(self.size, Ordering::Relaxed);
    }
}

impl StoredFile {
    /// A small file held as it is (seed data).
    pub(crate) fn of(bytes: &'static [u8]) -> Self {
        Self {
            size: bytes.len() as u64,
            digest: fnv(0xcbf2_9ce4_8422_2325, bytes),
            bytes: Some(bytes::Bytes::from_static(bytes)),
            _lease: None,
        }
    }

    /// The ETag storage answers with.
    pub(crate) fn etag(&self) -> String {
        format!("\"{:016x}\"", self.digest)
    }

    /// The file's bytes as a streamed body.
    pub(crate) fn body(&self) -> Body {
        if let Some(bytes) = &self.bytes {
            return Body::from(bytes.clone());
        }
        let mut rng = fastrand::Rng::with_seed(self.digest);
        let mut left = self.size;
        let chunks = futures::stream::iter(std::iter::from_fn(move || {
            if left == 0 {
                return None;
            }
            let n = left.min(CHUNK as u64) as usize;
            left -= n as u64;
            let chunk: Vec<u8> = (0..n).map(|_| rng.u8(..)).collect();
            Some(Ok::<_, std::io::Error>(bytes::Bytes::from(chunk)))
        }));
        Body::from_stream(chunks)
    }
}

fn fnv(mut hash: u64, bytes: &[u8]) -> u64 {
    for b in bytes {
        hash = (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// What an upload may be and keep.
pub(crate) struct Limits<'a> {
    /// The largest upload accepted (413 beyond).
    pub max_upload: u64,
    /// Bytes that may still be kept, across all files.
    pub budget: &'a Arc<AtomicU64>,
}

/// Reads an upload as it streams: its size and digest, its bytes only if small and
/// the budget allows. A body larger than `max_upload` is refused with 413.
pub(crate) async fn receive(body: Body, announced: Option<u64>, limits: Limits<'_>) -> Result<StoredFile, Reply> {
    let too_large = || {
        text_reply(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("uploads are limited to {} bytes here", limits.max_upload),
        )
    };
    if announced.is_some_and(|n| n > limits.max_upload) {
        return Err(too_large());
    }
    let mut stream = body.into_data_stream();
    let mut digest: u64 = 0xcbf2_9ce4_8422_2325;
    let mut kept = Some(Vec::new());
    let mut size: u64 = 0;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| bad("the upload was interrupted"))?;
        digest = fnv(digest, &chunk);
        size += chunk.len() as u64;
        if size > limits.max_upload {
            return Err(too_large());
        }
        if size > KEEP_WHOLE {
            kept = None;
        }
        if let Some(kept) = &mut kept {
            kept.extend_from_slice(&chunk);
        }
    }
    if size == 0 {
        return Err(bad("empty upload"));
    }
    // Take from the budget, or keep only size and digest.
    let bytes = kept.filter(|_| {
        limits
            .budget
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| left.checked_sub(size))
            .is_ok()
    });
    let lease = bytes.is_some().then(|| {
        Arc::new(Lease {
            budget: limits.budget.clone(),
            size,
        })
    });
    Ok(StoredFile {
        size,
        digest,
        bytes: bytes.map(bytes::Bytes::from),
        _lease: lease,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn collect(body: Body) -> Vec<u8> {
        axum::body::to_bytes(body, usize::MAX).await.unwrap().to_vec()
    }

    #[tokio::test]
    async fn kept_while_small_and_budgeted_else_derived_the_same_every_time() {
        let budget = Arc::new(AtomicU64::new(10));
        let limits = || Limits {
            max_upload: 10 * KEEP_WHOLE,
            budget: &budget,
        };
        let small = receive(Body::from("solid a"), None, limits()).await.unwrap();
        assert_eq!(collect(small.body()).await, b"solid a");
        // The budget (10 bytes) is spent: the next file keeps only size and digest.
        let other = receive(Body::from("solid bb"), None, limits()).await.unwrap();
        assert!(other.bytes.is_none());
        let first = collect(other.body()).await;
        assert_eq!(first.len(), 8);
        assert_eq!(collect(other.body()).await, first, "the same bytes every time");
        let big = vec![7u8; (KEEP_WHOLE + 1) as usize];
        let large = receive(Body::from(big), None, limits()).await.unwrap();
        assert!(large.bytes.is_none());
        assert_eq!(collect(large.body()).await.len() as u64, KEEP_WHOLE + 1);
        let refused = receive(Body::from(vec![0u8; 11 * KEEP_WHOLE as usize]), None, limits()).await;
        assert_eq!(refused.unwrap_err().status(), StatusCode::PAYLOAD_TOO_LARGE);
        let announced = receive(Body::empty(), Some(u64::MAX), limits()).await;
        assert_eq!(announced.unwrap_err().status(), StatusCode::PAYLOAD_TOO_LARGE);
        // Dropping the kept file (and every copy of it) gives its bytes back.
        let copy = small.clone();
        drop(small);
        assert_eq!(budget.load(Ordering::Relaxed), 3);
        drop(copy);
        assert_eq!(budget.load(Ordering::Relaxed), 10);
        let again = receive(Body::from("solid bb"), None, limits()).await.unwrap();
        assert!(again.bytes.is_some(), "the budget given back is used again");
    }
}
