//! The request stack that runs inside the generated client's hooks: limit checks,
//! the rate limiter and retries.

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use carbon_api_gen::{BoxFuture, RequestHooks};
use reqwest::header::{ACCEPT, CONTENT_TYPE, RETRY_AFTER};
use reqwest::{Request, Response, StatusCode};

use crate::error::{INVALID_REQUEST_MARK, ResponseContext};
use crate::rate_limit::{RateLimit, RateLimiter};
use crate::retry::{
    RETRY_COST, RetryBudget, RetryPolicy, TIMEOUT_RETRY_COST, is_idempotent, is_retryable_status, parse_retry_after,
};

/// Retries, rate limit and request checks, as a [`RequestHooks`] layer. The client
/// builder puts it under the bearer hook; one instance is shared by all clones.
pub struct RequestStack {
    policy: RetryPolicy,
    budget: RetryBudget,
    limiter: Option<RateLimiter>,
}

impl RequestStack {
    /// A stack with this retry policy and rate limit (`None`: no client-side limit).
    pub fn new(policy: RetryPolicy, rate_limit: Option<RateLimit>) -> Self {
        Self {
            budget: RetryBudget::new(policy.budget_capacity),
            policy,
            limiter: rate_limit.map(RateLimiter::new),
        }
    }

    async fn acquire(&self) {
        if let Some(limiter) = &self.limiter {
            limiter.acquire().await;
        }
    }

    async fn run(
        &self,
        http: &reqwest::Client,
        request: Request,
        operation: &'static str,
    ) -> reqwest::Result<Response> {
        let idempotent = is_idempotent(request.method());
        let expects_json = request
            .headers()
            .get(ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("json"));
        let mut pending = Some(request);
        let mut attempt = 1;
        loop {
            let current = pending.take().expect("a request for every attempt");
            // Keep a copy for the next attempt while one may follow; a streamed body
            // cannot be copied and gets this one attempt only.
            if attempt < self.policy.max_attempts {
                pending = current.try_clone();
            }
            self.acquire().await;
            let outcome = match http.execute(current).await {
                Ok(response) => self.settle(response, operation, idempotent, expects_json).await,
                Err(e) => Outcome::Failed(e),
            };
            let can_retry = pending.is_some();
            match outcome {
                Outcome::Done(response) => {
                    self.budget.deposit(1);
                    return Ok(response);
                }
                Outcome::Failed(e) => {
                    // Before the request left, any method may go again; after, only
                    // idempotent ones.
                    let retryable = e.is_connect() || (idempotent && !e.is_builder() && !e.is_redirect());
                    let cost = if e.is_timeout() { TIMEOUT_RETRY_COST } else { RETRY_COST };
                    if !(retryable && can_retry && self.budget.withdraw(cost)) {
                        return Err(e);
                    }
                    let wait = self.policy.backoff(attempt);
                    tracing::debug!(operation, attempt, error = %e, wait_ms = wait.as_millis() as u64, "retrying after a transport error");
                    tokio::time::sleep(wait).await;
                }
                Outcome::Retryable { response, retry_after } => {
                    let too_long = retry_after.is_some_and(|d| d > self.policy.max_retry_after);
                    if too_long || !can_retry || !self.budget.withdraw(RETRY_COST) {
                        return Ok(response);
                    }
                    let wait = self.policy.backoff(attempt).max(retry_after.unwrap_or_default());
                    tracing::debug!(operation, attempt, status = %response.status(), wait_ms = wait.as_millis() as u64, "retrying");
                    tokio::time::sleep(wait).await;
                }
            }
            attempt += 1;
        }
    }

    /// Reads what must be read now: error bodies (kept for the error), and JSON
    /// bodies of idempotent requests (so that a broken or truncated one is retried
    /// here rather than failing the decode later).
    async fn settle(
        &self,
        response: Response,
        operation: &'static str,
        idempotent: bool,
        expects_json: bool,
    ) -> Outcome {
        let status = response.status();
        let success = status.is_success();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        if success && !(idempotent && expects_json) {
            return Outcome::Done(with_context(response, operation));
        }
        let (parts, bytes) = match read_all(response).await {
            Ok(read) => read,
            Err(e) => return Outcome::Failed(e),
        };
        if success {
            let is_json = parts
                .headers
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_none_or(|v| v.contains("json"));
            if is_json && !bytes.is_empty() && serde_json::from_slice::<serde::de::IgnoredAny>(&bytes).is_err() {
                tracing::debug!(operation, "the response body is not complete JSON");
                let response = rebuild(parts, bytes, operation, false, None);
                return Outcome::Retryable {
                    response,
                    retry_after: None,
                };
            }
            return Outcome::Done(rebuild(parts, bytes, operation, false, None));
        }
        let response = rebuild(parts, bytes, operation, true, retry_after);
        if is_retryable_status(status, idempotent) {
            Outcome::Retryable { response, retry_after }
        } else {
            Outcome::Done(response)
        }
    }
}

enum Outcome {
    Done(Response),
    Failed(reqwest::Error),
    Retryable {
        response: Response,
        retry_after: Option<Duration>,
    },
}

struct Parts {
    status: StatusCode,
    version: reqwest::Version,
    headers: reqwest::header::HeaderMap,
    url: reqwest::Url,
}

async fn read_all(response: Response) -> reqwest::Result<(Parts, Bytes)> {
    let parts = Parts {
        status: response.status(),
        version: response.version(),
        headers: response.headers().clone(),
        url: response.url().clone(),
    };
    let bytes = response.bytes().await?;
    Ok((parts, bytes))
}

fn rebuild(
    parts: Parts,
    bytes: Bytes,
    operation: &'static str,
    keep_body: bool,
    retry_after: Option<Duration>,
) -> Response {
    use reqwest::ResponseBuilderExt as _;
    let mut builder = http::Response::builder()
        .status(parts.status)
        .version(parts.version)
        .url(parts.url);
    if let Some(headers) = builder.headers_mut() {
        *headers = parts.headers;
    }
    let context = ResponseContext {
        operation,
        body: keep_body.then(|| bytes.clone()),
        retry_after,
    };
    let response = builder
        .extension(context)
        .body(bytes)
        .expect("parts of a valid response");
    Response::from(response)
}

/// Marks a response passed through unread with its operation (for the error conversion).
fn with_context(mut response: Response, operation: &'static str) -> Response {
    response.extensions_mut().insert(ResponseContext {
        operation,
        body: None,
        retry_after: None,
    });
    response
}

impl RequestHooks for RequestStack {
    fn prepare<'a>(&'a self, request: &'a mut Request, operation: &'static str) -> BoxFuture<'a, Result<(), String>> {
        let checked = carbon_api_gen::extras::check_query(operation, request.url());
        Box::pin(async move { checked.map_err(|message| format!("{INVALID_REQUEST_MARK}{message}")) })
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
            .field("policy", &self.policy)
            .field("rate_limit", &self.limiter.is_some())
            .finish()
    }
}
