//! The storage the API's presigned and redirect URLs point to: a second listener
//! (another port, so another origin, as S3 is to the API) that accepts only the
//! URLs the simulator signed, until they expire, and never a request that carries
//! `Authorization`. Refusals are S3-style XML.

// Handlers answer with a finished response on both paths.
#![allow(clippy::result_large_err)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_lc_rs::hmac;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Response, StatusCode, header};

use crate::Shared;
use crate::api::{Reply, empty, file_reply};
use crate::faults::{FaultKind, Target};
use crate::query::Query;

/// Signs and checks storage URLs with a key only this simulator knows.
pub(crate) struct Signer {
    key: hmac::Key,
}

impl Signer {
    pub(crate) fn new(seed: u64) -> Self {
        let secret: Vec<u8> = {
            let mut rng = fastrand::Rng::with_seed(seed ^ 0x5107_a6e5);
            (0..32).map(|_| rng.u8(..)).collect()
        };
        Self {
            key: hmac::Key::new(hmac::HMAC_SHA256, &secret),
        }
    }

    fn signature(&self, method: &str, path: &str, issued: u64, ttl: u64) -> String {
        let text = format!("{method}\n{path}\n{issued}\n{ttl}");
        hmac::sign(&self.key, text.as_bytes())
            .as_ref()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// A URL on `origin` for one `method` on `path`, good for `ttl`.
    pub(crate) fn url(&self, origin: &str, method: &str, path: &str, ttl: Duration) -> String {
        let issued = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        let ttl = ttl.as_secs();
        let signature = self.signature(method, path, issued, ttl);
        format!(
            "{origin}{path}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=SIMULATOR%2Fstorage\
             &X-Amz-Date={issued}&X-Amz-Expires={ttl}&X-Amz-Signature={signature}"
        )
    }

    /// Checks a request's signature and expiry.
    fn check(&self, method: &str, path: &str, query: &Query) -> Result<(), Reply> {
        let provided = query.one("X-Amz-Signature").unwrap_or_default();
        let issued: Option<u64> = query.one("X-Amz-Date").and_then(|v| v.parse().ok());
        let ttl: Option<u64> = query.one("X-Amz-Expires").and_then(|v| v.parse().ok());
        let (Some(issued), Some(ttl)) = (issued, ttl) else {
            return Err(s3_error(
                StatusCode::FORBIDDEN,
                "AccessDenied",
                "Request is not signed",
                &[],
            ));
        };
        let expected = self.signature(method, path, issued, ttl);
        // Constant time: the comparison says nothing about how much of it matched.
        let matches = provided.len() == expected.len()
            && provided
                .bytes()
                .zip(expected.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0;
        if !matches {
            return Err(s3_error(
                StatusCode::FORBIDDEN,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided.",
                &[("SignatureProvided", provided)],
            ));
        }
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        if now >= issued.saturating_add(ttl) {
            return Err(s3_error(
                StatusCode::FORBIDDEN,
                "AccessDenied",
                "Request has expired",
                &[],
            ));
        }
        Ok(())
    }
}

impl crate::SharedState {
    /// A signed storage URL for one `method` on `path`, valid for the configured
    /// presign time.
    pub(crate) fn storage_url(&self, method: &str, path: &str) -> String {
        self.signer
            .url(&self.storage_origin, method, path, self.config.presign_ttl)
    }
}

/// An S3-style XML error.
fn s3_error(status: StatusCode, code: &str, message: &str, extra: &[(&str, &str)]) -> Reply {
    let escape = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    let mut body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{}</Message>",
        escape(message)
    );
    for (name, value) in extra {
        body.push_str(&format!("<{name}>{}</{name}>", escape(value)));
    }
    body.push_str("<RequestId>carbon-sim</RequestId></Error>");
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/xml")
        .body(Body::from(body))
        .expect("a valid response")
}

/// Every request to storage.
pub(crate) async fn handle(shared: Shared, request: axum::http::Request<Body>) -> Reply {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path().to_string();
    let query = Query::parse(parts.uri.query());
    if parts.headers.contains_key(header::AUTHORIZATION) {
        shared
            .storage_authorized
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        return s3_error(
            StatusCode::FORBIDDEN,
            "AccessDenied",
            "Presigned URLs take no Authorization header",
            &[],
        );
    }
    if let Err(refusal) = shared.signer.check(parts.method.as_str(), &path, &query) {
        return refusal;
    }
    let target = if parts.method == Method::PUT {
        Target::S3Put
    } else {
        Target::File
    };
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    // Faults are drawn per kind of request, not per object.
    let kind = if target == Target::S3Put {
        "storage PUT"
    } else {
        "storage GET"
    };
    let (fault, _) = shared.fault(target, kind).await;
    let reply = match (&parts.method, segments.as_slice()) {
        (&Method::PUT, ["bucket", "models", uuid]) => put(&shared, uuid, &parts.headers, body, fault).await,
        (&Method::GET, ["bucket", "models", uuid]) => model_file(&shared, uuid),
        (&Method::GET, ["bucket", "attachments", uuid]) => attachment(&shared, uuid),
        _ => s3_error(
            StatusCode::NOT_FOUND,
            "NoSuchKey",
            "The specified key does not exist.",
            &[],
        ),
    };
    match fault {
        Some(FaultKind::ServerError) if parts.method == Method::GET => {
            s3_error(StatusCode::SERVICE_UNAVAILABLE, "SlowDown", "injected fault", &[])
        }
        Some(FaultKind::ConnectionReset) if parts.method == Method::GET => crate::api::reset(reply).await,
        _ => reply,
    }
}

async fn put(shared: &Shared, model_uuid: &str, headers: &HeaderMap, body: Body, fault: Option<FaultKind>) -> Reply {
    let pending = shared
        .world
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .pending_uploads
        .contains_key(model_uuid);
    if !pending {
        return s3_error(
            StatusCode::NOT_FOUND,
            "NoSuchUpload",
            "No upload is pending for this key.",
            &[],
        );
    }
    let announced = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let file = match crate::files::receive(body, announced, shared.upload_limits()).await {
        Ok(file) => file,
        Err(reply) if reply.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return s3_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "EntityTooLarge",
                "Your proposed upload exceeds the maximum allowed size",
                &[],
            );
        }
        Err(reply) => return reply,
    };
    let etag = file.etag();
    match fault {
        Some(FaultKind::S3PutFailure) => {
            return s3_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalError",
                "injected storage failure",
                &[],
            );
        }
        Some(FaultKind::MissingEtag) => return empty(StatusCode::OK),
        _ => {}
    }
    let mut world = shared.world.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let Some(pending) = world.pending_uploads.get_mut(model_uuid) else {
        return s3_error(
            StatusCode::NOT_FOUND,
            "NoSuchUpload",
            "No upload is pending for this key.",
            &[],
        );
    };
    pending.etag = Some(etag.clone());
    pending.file = Some(file);
    Response::builder()
        .status(StatusCode::OK)
        .header(header::ETAG, etag)
        .body(Body::empty())
        .expect("a valid response")
}

fn model_file(shared: &Shared, uuid: &str) -> Reply {
    let world = shared.world.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let (Some(model), Some(file)) = (world.models.get(uuid), world.files.get(uuid)) else {
        return s3_error(
            StatusCode::NOT_FOUND,
            "NoSuchKey",
            "The specified key does not exist.",
            &[],
        );
    };
    file_reply(&model.filename, file.body())
}

fn attachment(shared: &Shared, uuid: &str) -> Reply {
    let world = shared.world.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    match world.attachments.get(uuid) {
        Some((name, bytes)) => file_reply(name, Body::from(bytes.clone())),
        None => s3_error(
            StatusCode::NOT_FOUND,
            "NoSuchKey",
            "The specified key does not exist.",
            &[],
        ),
    }
}
