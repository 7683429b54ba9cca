//! The request hook that authenticates API calls.

use std::fmt;
use std::sync::Arc;

use carbon_api_gen::{
    Answered, ClientState, Execution, Failure, HookError, HookFuture, NoHooks, Prepared, RequestHooks, send_through,
};
use reqwest::header::{AUTHORIZATION, HeaderValue};
use reqwest::{Request, StatusCode};

use crate::{AuthError, Authorizer, TokenSource};

/// Puts `Authorization: Bearer <token>` on API requests, and renews the token once
/// when the API answers 401.
///
/// - The header goes only to the origin (scheme, host, port) of the configured base
///   URL: never to a presigned S3 URL, and reqwest drops it on a redirect to another
///   host. It is marked sensitive, so HTTP-level logging shows it as redacted.
/// - Plain `http://` is refused for any host but loopback, unless constructed with
///   [`BearerAuth::new_allowing_plain_http`].
/// - After a 401 the rejected token is invalidated and the request is sent once more
///   with a new one; a second 401 goes to the caller. A request whose body is a stream
///   cannot be replayed and is not retried (the next request gets the new token).
///   Callers that retry on their own turn the replay off with
///   [`BearerAuth::without_replay`]; layers that send requests themselves use the
///   [`Authorizer`] inside (carbon-ext does: its retry engine renews).
///
/// Other request behaviour (retries, rate limiting) plugs in underneath with
/// [`BearerAuth::with_inner`].
#[derive(Clone)]
pub struct BearerAuth {
    authorizer: Arc<Authorizer>,
    /// Whether a 401 is answered by sending the request once more with a new
    /// token (a copy of each request is kept for that).
    replay: bool,
    inner: Arc<dyn RequestHooks>,
}

impl BearerAuth {
    /// Authenticates requests to `base_url` (e.g. `https://api.carbon3d.com/v1`) with
    /// tokens from `source`.
    pub fn new(source: impl TokenSource, base_url: &str) -> Result<Self, AuthError> {
        Self::from_arc(Arc::new(source), base_url, false)
    }

    /// Like [`BearerAuth::new`], also for a plain `http://` base URL on another host.
    /// Tokens then cross the network unencrypted: only for networks you trust.
    pub fn new_allowing_plain_http(source: impl TokenSource, base_url: &str) -> Result<Self, AuthError> {
        Self::from_arc(Arc::new(source), base_url, true)
    }

    /// Like [`BearerAuth::new`] with an already shared source.
    pub fn from_arc(source: Arc<dyn TokenSource>, base_url: &str, allow_plain_http: bool) -> Result<Self, AuthError> {
        let base_url = carbon_api_gen::BaseUrl::parse(base_url)?;
        Ok(Self::from_authorizer(Authorizer::new(
            source,
            &base_url,
            allow_plain_http,
        )?))
    }

    /// The hook of an [`Authorizer`].
    pub fn from_authorizer(authorizer: Authorizer) -> Self {
        Self {
            authorizer: Arc::new(authorizer),
            replay: true,
            inner: Arc::new(NoHooks),
        }
    }

    /// For callers that retry calls themselves: a 401 is handed back instead of
    /// replayed, after the token it was sent with is dropped, so that the caller's
    /// next attempt carries a new one. Saves keeping a copy of every request.
    pub fn without_replay(mut self) -> Self {
        self.replay = false;
        self
    }

    /// Runs `inner` underneath: its `prepare` after the bearer is set, its `execute`
    /// to send (and to send the retry after a 401).
    pub fn with_inner(mut self, inner: impl RequestHooks) -> Self {
        self.inner = Arc::new(inner);
        self
    }

    /// The base URL requests are authenticated for, without trailing slash.
    pub fn base_url(&self) -> &str {
        self.authorizer.base_url()
    }

    /// The token source.
    pub fn source(&self) -> &Arc<dyn TokenSource> {
        self.authorizer.source()
    }

    /// A client state running this hook.
    pub fn into_state(self) -> ClientState {
        ClientState::new(self)
    }

    /// The generated API client for this base URL, sending through `http` with this
    /// hook on every request.
    pub fn into_client(self, http: reqwest::Client) -> carbon_api_gen::Client {
        let base_url = self.authorizer.parsed_base_url().clone();
        carbon_api_gen::Client::with_state(&base_url, http, self.into_state())
    }

    /// Sends a request carrying `sent`, and once more with a new token after a 401.
    async fn send_replaying(
        &self,
        http: &reqwest::Client,
        request: reqwest::Request,
        sent: HeaderValue,
        operation: &'static str,
    ) -> reqwest::Result<reqwest::Response> {
        let replay = request.try_clone();
        let response = send_through(&*self.inner, http, request, operation).await?;
        if response.status() != StatusCode::UNAUTHORIZED {
            return Ok(response);
        }
        self.authorizer.refused(&sent);
        let Some(mut replay) = replay else {
            tracing::debug!(operation, "401 on a request with a streamed body: not replayed");
            return Ok(response);
        };
        // A JwtTokenSource mints anew; a static token is tried once more as is (a 401
        // can be transient, e.g. while a key is being rotated).
        if self.authorizer.authorize(&mut replay).await.is_err() {
            return Ok(response);
        }
        tracing::debug!(operation, "401: retrying once with a new token");
        send_through(&*self.inner, http, replay, operation).await
    }
}

impl RequestHooks for BearerAuth {
    fn prepare<'a>(&'a self, request: &'a mut Request, operation: &'static str) -> Prepared<'a> {
        let credentials = |e: AuthError| HookError::Credentials(e.to_string());
        match self.authorizer.authorize_now(request) {
            Some(Ok(())) => self.inner.prepare(request, operation),
            Some(Err(e)) => HookFuture::ready(Err(credentials(e))),
            None => HookFuture::pending(async move {
                self.authorizer.authorize(request).await.map_err(credentials)?;
                self.inner.prepare(request, operation).await
            }),
        }
    }

    fn execute<'a>(&'a self, http: &'a reqwest::Client, request: Request, operation: &'static str) -> Execution<'a> {
        let Some(sent) = request.headers().get(AUTHORIZATION).cloned() else {
            return self.inner.execute(http, request, operation);
        };
        if self.replay {
            return Execution::Hooked(HookFuture::pending(self.send_replaying(http, request, sent, operation)));
        }
        match self.inner.execute(http, request, operation) {
            // A refusal comes back through `inspect_failure`.
            Execution::Send(request) => Execution::Send(request),
            Execution::Hooked(sending) => Execution::Hooked(HookFuture::pending(async move {
                let response = sending.await?;
                self.authorizer.answered(response.status(), Some(&sent));
                Ok(response)
            })),
        }
    }

    fn inspect_failure<'a>(&'a self, failure: Failure) -> Answered<'a> {
        self.authorizer
            .answered(failure.response.status(), failure.authorization.as_ref());
        self.inner.inspect_failure(failure)
    }
}

impl fmt::Debug for BearerAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BearerAuth")
            .field("base_url", &self.base_url())
            .finish_non_exhaustive()
    }
}
