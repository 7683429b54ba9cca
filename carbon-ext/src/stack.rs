//! The request stack that runs inside the generated client's hooks: limit checks,
//! the rate limiter, and reading error bodies (with a size cap) for the error.
//! Retries are not made here but around the whole call ([`crate::retry`]), so that
//! one policy decides them all.

use std::fmt;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use carbon_api_gen::{BoxFuture, HookError, RequestHooks};
use futures::StreamExt;
use reqwest::header::RETRY_AFTER;
use reqwest::{Request, Response, StatusCode};

use crate::error::{MAX_ERROR_BODY, ResponseContext};
use crate::rate_limit::{RateLimit, RateLimiter};
use crate::retry::parse_retry_after;

/// Request checks, the rate limit and error bodies, as a [`RequestHooks`] layer. The
/// client builder puts it under the bearer hook; one instance is shared by all clones.
pub struct RequestStack {
    limiter: Option<RateLimiter>,
}

impl RequestStack {
    /// A stack with this rate limit (`None`: no client-side limit).
    pub fn new(rate_limit: Option<RateLimit>) -> Self {
        Self {
            limiter: rate_limit.map(RateLimiter::new),
        }
    }

    async fn run(
        &self,
        http: &reqwest::Client,
        request: Request,
        operation: &'static str,
    ) -> reqwest::Result<Response> {
        let span = tracing::Span::current();
        // The path only: a query may hold filter values, never worth a log line.
        span.record("path", request.url().path());
        if let Some(limiter) = &self.limiter {
            let waited = limiter.acquire().await;
            span.record("limiter_wait_ms", waited.as_millis() as u64);
        }
        let response = http.execute(request).await?;
        let status = response.status();
        span.record("status", status.as_u16());
        if status.is_success() {
            // A success needs no context: its operation is known where it is decoded.
            return Ok(response);
        }
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let (parts, body) = read_capped(response).await?;
        Ok(rebuild(parts, body, operation, retry_after))
    }
}

struct Parts {
    status: StatusCode,
    version: reqwest::Version,
    headers: reqwest::header::HeaderMap,
    url: reqwest::Url,
}

/// Reads at most [`MAX_ERROR_BODY`] bytes of the body; the rest is never read.
async fn read_capped(response: Response) -> reqwest::Result<(Parts, Bytes)> {
    let parts = Parts {
        status: response.status(),
        version: response.version(),
        headers: response.headers().clone(),
        url: response.url().clone(),
    };
    let mut body = BytesMut::new();
    let mut chunks = response.bytes_stream();
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk?;
        let room = MAX_ERROR_BODY - body.len();
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= MAX_ERROR_BODY {
            break;
        }
    }
    Ok((parts, body.freeze()))
}

/// The text of an error response's body, read up to the cap (for responses that do
/// not pass through the stack, such as storage's).
pub(crate) async fn read_error_body(response: Response) -> String {
    match read_capped(response).await {
        Ok((_, body)) => String::from_utf8_lossy(&body).into_owned(),
        Err(_) => String::new(),
    }
}

fn rebuild(parts: Parts, body: Bytes, operation: &'static str, retry_after: Option<Duration>) -> Response {
    use reqwest::ResponseBuilderExt as _;
    let mut builder = http::Response::builder()
        .status(parts.status)
        .version(parts.version)
        .url(parts.url);
    if let Some(headers) = builder.headers_mut() {
        *headers = parts.headers;
        // The body was cut to the cap: the length it had is no longer true.
        headers.remove(reqwest::header::CONTENT_LENGTH);
    }
    let context = ResponseContext {
        operation,
        body: Some(body.clone()),
        retry_after,
    };
    let response = builder
        .extension(context)
        .body(body)
        .expect("parts of a valid response");
    Response::from(response)
}

/// Marks a response passed through unread with its operation (for the error conversion).
impl RequestHooks for RequestStack {
    fn prepare<'a>(
        &'a self,
        request: &'a mut Request,
        operation: &'static str,
    ) -> BoxFuture<'a, Result<(), HookError>> {
        let checked = carbon_api_gen::extras::check_query(operation, request.url());
        Box::pin(async move { checked.map_err(HookError::InvalidRequest) })
    }

    fn execute<'a>(
        &'a self,
        http: &'a reqwest::Client,
        request: Request,
        operation: &'static str,
    ) -> BoxFuture<'a, reqwest::Result<Response>> {
        Box::pin(self.run(http, request, operation))
    }
}

impl fmt::Debug for RequestStack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestStack")
            .field("rate_limit", &self.limiter.as_ref().map(|l| l.limit()))
            .finish()
    }
}
