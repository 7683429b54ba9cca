//! The request stack that runs inside the generated client's hooks: limit checks,
//! the bearer token, the rate limiter, and reading error bodies (with a size cap)
//! for the error. Retries are not made here but around the whole call
//! ([`crate::retry`]), so that one policy decides them all (a refused token is
//! dropped here; the retry engine sends the call again with a new one).
//!
//! One layer, not one per concern: this stack runs on every request, and the
//! common case (limit open, token at hand, a success) takes no future or
//! allocation of its own. The answers whose members the drift watch reads
//! ([`crate::drift`]: the first of each operation, then one in 64) are read here.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use carbon_api_gen::{Answered, Execution, Failure, HookError, HookFuture, Prepared, RequestHooks};
use carbon_auth::Authorizer;
use futures::StreamExt;
use reqwest::header::{AUTHORIZATION, RETRY_AFTER};
use reqwest::{Request, Response, StatusCode};

use crate::drift::{DriftKind, DriftWatch, ReadOwed, unknown_members};
use crate::error::{MAX_ERROR_BODY, ResponseContext};
use crate::rate_limit::{RateLimit, RateLimiter};
use crate::retry::parse_retry_after;
use crate::spans;

/// Request checks, the bearer token, the rate limit and error bodies, as a
/// [`RequestHooks`] layer; one instance is shared by all clones of a client.
pub struct RequestStack {
    limiter: Option<RateLimiter>,
    authorizer: Option<Authorizer>,
    drift: Option<Arc<DriftWatch>>,
}

impl RequestStack {
    /// A stack with this rate limit (`None`: no client-side limit) that sends no
    /// credentials.
    pub fn new(rate_limit: Option<RateLimit>) -> Self {
        Self {
            limiter: rate_limit.map(RateLimiter::new),
            authorizer: None,
            drift: None,
        }
    }

    /// A stack whose rate limit is shared as `sharing` says with the other clients
    /// of `client_id` at `base_url`.
    pub(crate) fn with_shared_limit(
        limit: RateLimit,
        sharing: &crate::rate_limit::LimitSharing,
        client_id: &str,
        base_url: &str,
    ) -> Result<Self, crate::Error> {
        Ok(Self {
            limiter: Some(RateLimiter::shared(limit, sharing, client_id, base_url)?),
            authorizer: None,
            drift: None,
        })
    }

    /// The file through which the rate limit is shared with other processes, if it is.
    pub(crate) fn shared_limit_file(&self) -> Option<&std::path::Path> {
        self.limiter.as_ref().and_then(RateLimiter::shared_file)
    }

    /// Puts the bearer token of `authorizer` on API requests. A request the API
    /// answers 401 drops its token from the source, so the next attempt gets a new
    /// one.
    pub fn with_authorizer(mut self, authorizer: Authorizer) -> Self {
        self.authorizer = Some(authorizer);
        self
    }

    /// Reads the members of answers against the document (see [`crate::drift`]).
    pub(crate) fn with_drift_watch(mut self, watch: Arc<DriftWatch>) -> Self {
        self.drift = Some(watch);
        self
    }

    /// Puts the bearer on `request` if no waiting is needed (`None`: a token must be
    /// awaited).
    fn authorize_now(&self, request: &mut Request) -> Option<Result<(), HookError>> {
        match &self.authorizer {
            Some(authorizer) => authorizer.authorize_now(request).map(|done| done.map_err(credentials)),
            None => Some(Ok(())),
        }
    }

    async fn authorize(&self, request: &mut Request) -> Result<(), HookError> {
        match &self.authorizer {
            Some(authorizer) => authorizer.authorize(request).await.map_err(credentials),
            None => Ok(()),
        }
    }
}

thread_local! {
    /// The credentials error of the request whose hook just refused it. The
    /// generated client carries a hook's refusal as text; the call that made the
    /// request turns it into [`crate::Error`] in the same poll, on the same
    /// thread, and takes the typed error back from here ([`take_refusal`]).
    /// Kept with its text, so that a refusal never converted (a raw call, a
    /// hook that remapped it) is not taken for a later one.
    static REFUSAL: std::cell::RefCell<Option<(String, carbon_auth::AuthError)>> = const { std::cell::RefCell::new(None) };
}

fn credentials(error: carbon_auth::AuthError) -> HookError {
    let text = error.to_string();
    REFUSAL.with(|slot| *slot.borrow_mut() = Some((text.clone(), error)));
    HookError::Credentials(text)
}

/// The typed credentials error behind the refusal `said` that the generated
/// client just returned on this thread, if this stack made it.
pub(crate) fn take_refusal(said: &str) -> Option<carbon_auth::AuthError> {
    REFUSAL.with(|slot| {
        let mut slot = slot.borrow_mut();
        match slot.take() {
            Some((text, error)) if text == said => Some(error),
            _ => None,
        }
    })
}

/// An error response, its body read (up to the cap) and kept with its operation and
/// `Retry-After` for the error conversion.
async fn with_error_body(
    response: Response,
    operation: &'static str,
    retry_after: Option<Duration>,
) -> reqwest::Result<Response> {
    let (parts, body) = read_capped(response).await?;
    Ok(rebuild(parts, body, operation, retry_after))
}

struct Parts {
    status: StatusCode,
    version: reqwest::Version,
    headers: reqwest::header::HeaderMap,
    url: reqwest::Url,
}

impl Parts {
    fn of(response: &Response) -> Self {
        Self {
            status: response.status(),
            version: response.version(),
            headers: response.headers().clone(),
            url: response.url().clone(),
        }
    }

    /// The response again, with its whole body read into `body`.
    fn with_body(self, body: Bytes) -> Response {
        use reqwest::ResponseBuilderExt as _;
        let mut builder = http::Response::builder()
            .status(self.status)
            .version(self.version)
            .url(self.url);
        if let Some(headers) = builder.headers_mut() {
            *headers = self.headers;
        }
        Response::from(builder.body(body).expect("parts of a valid response"))
    }
}

/// Reads at most [`MAX_ERROR_BODY`] bytes of the body; the rest is never read.
async fn read_capped(response: Response) -> reqwest::Result<(Parts, Bytes)> {
    let parts = Parts::of(&response);
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

/// A failed response again, with its body as read (at most [`MAX_ERROR_BODY`]) and
/// what the error made of it needs: the operation, the body, `Retry-After`.
fn rebuild(mut parts: Parts, body: Bytes, operation: &'static str, retry_after: Option<Duration>) -> Response {
    // The body was cut to the cap: the length it had is no longer true.
    parts.headers.remove(reqwest::header::CONTENT_LENGTH);
    let mut response = parts.with_body(body.clone());
    response.extensions_mut().insert(ResponseContext {
        operation,
        body: Some(body),
        retry_after,
    });
    response
}

/// Most requests find the rate limit open and a token at hand: they are prepared
/// without a future, sent by the client, and only failures are read here.
impl RequestHooks for RequestStack {
    fn prepare<'a>(&'a self, request: &'a mut Request, operation: &'static str) -> Prepared<'a> {
        if let Err(broken) = carbon_api_gen::extras::check_query(operation, request.url()) {
            return HookFuture::ready(Err(HookError::InvalidRequest(broken)));
        }
        // The path only: a query may hold filter values, never worth a log line.
        spans::record("path", request.url().path());
        let limiter = match &self.limiter {
            Some(limiter) if !limiter.try_acquire() => Some(limiter),
            Some(_) => {
                spans::record("limiter_wait_ms", 0u64);
                None
            }
            None => None,
        };
        if limiter.is_none()
            && let Some(done) = self.authorize_now(request)
        {
            return HookFuture::ready(done);
        }
        // The token is taken after the wait, so that it is as fresh as it can be.
        HookFuture::pending(async move {
            if let Some(limiter) = limiter {
                let waited = limiter.acquire().await;
                spans::record("limiter_wait_ms", waited.as_millis() as u64);
            }
            self.authorize(request).await
        })
    }

    /// Sent by the client, except an answer whose members the drift watch reads:
    /// its body is read here, looked at, and handed on as it came.
    fn execute<'a>(&'a self, http: &'a reqwest::Client, request: Request, operation: &'static str) -> Execution<'a> {
        let Some(watch) = &self.drift else {
            return Execution::Send(request);
        };
        let Some((slot, shape)) = carbon_api_gen::extras::answer_slot(operation) else {
            return Execution::Send(request);
        };
        if !watch.reads(slot) {
            return Execution::Send(request);
        }
        let authorization = request.headers().get(AUTHORIZATION).cloned();
        Execution::Hooked(HookFuture::pending(async move {
            // Until the body is read, the read is owed to the next answer.
            let mut owed = ReadOwed {
                watch,
                slot,
                read: false,
            };
            let response = http.execute(request).await?;
            if !response.status().is_success() {
                return self
                    .inspect_failure(Failure::new(response, authorization, operation))
                    .await;
            }
            let parts = Parts::of(&response);
            let body = response.bytes().await?;
            owed.read = true;
            let records = carbon_api_gen::extras::operation(operation).and_then(|op| op.items_field);
            for (schema, field) in unknown_members(&body, shape, records) {
                watch.log.note(DriftKind::Field { schema, field }, operation);
            }
            Ok(parts.with_body(body))
        }))
    }

    fn inspect_failure<'a>(&'a self, failure: Failure) -> Answered<'a> {
        let Failure {
            response,
            authorization,
            operation,
            ..
        } = failure;
        if let Some(authorizer) = &self.authorizer {
            // The retry engine renews: after a 401 its next attempt gets a new token.
            authorizer.answered(response.status(), authorization.as_ref());
        }
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let limiter = self
            .limiter
            .as_ref()
            .filter(|_| response.status() == StatusCode::TOO_MANY_REQUESTS);
        // The others would meet it too: the whole client pauses, and slows.
        let pause = limiter.map(|limiter| limiter.throttled(retry_after));
        HookFuture::pending(async move {
            // The clients the limit is shared with pause too, before this call goes on.
            if let (Some(limiter), Some(pause)) = (limiter, pause) {
                limiter.share_pause(pause).await;
            }
            with_error_body(response, operation, retry_after).await
        })
    }
}

impl fmt::Debug for RequestStack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestStack")
            .field("rate_limit", &self.limiter.as_ref().map(|l| l.limit()))
            .field("authorizer", &self.authorizer)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::time::Instant;

    fn too_many(retry_after: &str) -> Response {
        let response = http::Response::builder()
            .status(429)
            .header(RETRY_AFTER, retry_after)
            .body(Bytes::from_static(b"slow down"))
            .unwrap();
        Response::from(response)
    }

    fn request() -> Request {
        Request::new(reqwest::Method::GET, "http://127.0.0.1:9/v1/parts".parse().unwrap())
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_pauses_every_request_of_the_client_until_its_retry_after() {
        let stack = RequestStack::new(Some(RateLimit::new(100, Duration::from_secs(10))));
        let t0 = Instant::now();
        for _ in 0..2 {
            stack.prepare(&mut request(), "get_parts").await.unwrap();
        }
        assert_eq!(Instant::now(), t0, "no wait before any 429");
        let answered = stack
            .inspect_failure(Failure::new(too_many("3"), None, "get_parts"))
            .await
            .unwrap();
        assert_eq!(answered.status(), 429);
        // Another request of the same client, not the one that was refused, waits.
        stack.prepare(&mut request(), "get_parts").await.unwrap();
        assert_eq!(Instant::now() - t0, Duration::from_secs(3));
        assert_eq!(
            stack.limiter.as_ref().unwrap().allowed(),
            5,
            "and the client slowed down (to its floor: 90% of the 1 answered is less)"
        );
    }
}
