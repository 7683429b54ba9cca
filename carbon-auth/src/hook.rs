//! The request hook that authenticates API calls.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use carbon_api_gen::{BoxFuture, ClientState, HookError, NoHooks, RequestHooks};
use reqwest::header::{AUTHORIZATION, HeaderValue};
use url::Url;

use crate::{AuthError, BearerToken, TokenSource};

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
///   [`BearerAuth::without_replay`] (carbon-ext does: its retry engine renews).
///
/// Other request behaviour (retries, rate limiting) plugs in underneath with
/// [`BearerAuth::with_inner`].
#[derive(Clone)]
pub struct BearerAuth {
    source: Arc<dyn TokenSource>,
    base_url: String,
    /// The API's origin: scheme, host and port (or the scheme's default port).
    origin: (String, String, Option<u16>),
    /// The `Authorization` value of the last token seen, reused while the token
    /// is the same (not formatted and checked again on every request).
    header: Arc<Mutex<Option<(BearerToken, HeaderValue)>>>,
    /// Whether a 401 is answered by sending the request once more with a new
    /// token (a copy of each request is kept for that).
    replay: bool,
    inner: Arc<dyn RequestHooks>,
}

impl BearerAuth {
    /// Authenticates requests to `base_url` (e.g. `https://api.carbon3d.com/v1`) with
    /// tokens from `source`.
    pub fn new(source: impl TokenSource, base_url: &str) -> Result<Self, AuthError> {
        Self::build(Arc::new(source), base_url, false)
    }

    /// Like [`BearerAuth::new`], also for a plain `http://` base URL on another host.
    /// Tokens then cross the network unencrypted: only for networks you trust.
    pub fn new_allowing_plain_http(source: impl TokenSource, base_url: &str) -> Result<Self, AuthError> {
        Self::build(Arc::new(source), base_url, true)
    }

    /// Like [`BearerAuth::new`] with an already shared source.
    pub fn from_arc(source: Arc<dyn TokenSource>, base_url: &str, allow_plain_http: bool) -> Result<Self, AuthError> {
        Self::build(source, base_url, allow_plain_http)
    }

    fn build(source: Arc<dyn TokenSource>, base_url: &str, allow_plain_http: bool) -> Result<Self, AuthError> {
        let invalid = |reason: String| AuthError::InvalidBaseUrl {
            url: base_url.to_string(),
            reason,
        };
        let url = Url::parse(base_url).map_err(|e| invalid(e.to_string()))?;
        let host = url
            .host_str()
            .ok_or_else(|| invalid("it has no host".into()))?
            .to_string();
        match url.scheme() {
            "https" => {}
            "http" if allow_plain_http || is_loopback(&url) => {}
            "http" => return Err(AuthError::InsecureBaseUrl { host }),
            other => return Err(invalid(format!("the scheme must be https, not {other}"))),
        }
        Ok(Self {
            source,
            base_url: base_url.trim_end_matches('/').to_string(),
            origin: (url.scheme().to_string(), host, url.port_or_known_default()),
            header: Arc::new(Mutex::new(None)),
            replay: true,
            inner: Arc::new(NoHooks),
        })
    }

    /// For callers that retry calls themselves (carbon-ext does): a 401 is handed
    /// back instead of replayed, after the token it was sent with is dropped, so
    /// that the caller's next attempt carries a new one. Saves keeping a copy of
    /// every request.
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
        &self.base_url
    }

    /// The token source.
    pub fn source(&self) -> &Arc<dyn TokenSource> {
        &self.source
    }

    /// A client state running this hook.
    pub fn into_state(self) -> ClientState {
        ClientState::new(self)
    }

    /// The generated API client for this base URL, sending through `http` with this
    /// hook on every request.
    pub fn into_client(self, http: reqwest::Client) -> carbon_api_gen::Client {
        let base_url = self.base_url.clone();
        carbon_api_gen::Client::with_state(&base_url, http, self.into_state())
    }

    fn is_api_request(&self, request: &reqwest::Request) -> bool {
        let url = request.url();
        let (scheme, host, port) = &self.origin;
        url.scheme() == scheme && url.host_str() == Some(host.as_str()) && url.port_or_known_default() == *port
    }

    /// The `Authorization` value for `token`.
    fn header_for(&self, token: BearerToken) -> Result<HeaderValue, String> {
        let mut cached = self.header.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((seen, value)) = cached.as_ref()
            && seen.expose() == token.expose()
        {
            return Ok(value.clone());
        }
        let value = bearer_header(token.expose())?;
        *cached = Some((token, value.clone()));
        Ok(value)
    }

    async fn prepare_inner(&self, request: &mut reqwest::Request, operation_id: &'static str) -> Result<(), HookError> {
        request.headers_mut().remove(AUTHORIZATION);
        if self.is_api_request(request) {
            let token = self
                .source
                .token()
                .await
                .map_err(|e| HookError::Credentials(e.to_string()))?;
            request
                .headers_mut()
                .insert(AUTHORIZATION, self.header_for(token).map_err(HookError::Credentials)?);
        }
        self.inner.prepare(request, operation_id).await
    }

    async fn execute_inner(
        &self,
        http: &reqwest::Client,
        request: reqwest::Request,
        operation_id: &'static str,
    ) -> reqwest::Result<reqwest::Response> {
        let Some(sent) = request.headers().get(AUTHORIZATION).cloned() else {
            return self.inner.execute(http, request, operation_id).await;
        };
        if !self.replay {
            // The caller retries: drop the refused token so that its next attempt
            // gets a new one, and hand the 401 back.
            let response = self.inner.execute(http, request, operation_id).await?;
            if response.status() == reqwest::StatusCode::UNAUTHORIZED
                && let Some(sent_token) = sent.to_str().ok().and_then(|v| v.strip_prefix("Bearer "))
            {
                self.source.invalidate(sent_token);
            }
            return Ok(response);
        }
        let replay = request.try_clone();
        let response = self.inner.execute(http, request, operation_id).await?;
        if response.status() != reqwest::StatusCode::UNAUTHORIZED {
            return Ok(response);
        }
        if let Some(sent_token) = sent.to_str().ok().and_then(|v| v.strip_prefix("Bearer ")) {
            self.source.invalidate(sent_token);
        }
        let Some(mut replay) = replay else {
            tracing::debug!(operation_id, "401 on a request with a streamed body: not replayed");
            return Ok(response);
        };
        // A JwtTokenSource mints anew; a static token is tried once more as is (a 401
        // can be transient, e.g. while a key is being rotated).
        let Ok(fresh) = self.source.token().await else {
            return Ok(response);
        };
        let Ok(header) = self.header_for(fresh) else {
            return Ok(response);
        };
        tracing::debug!(operation_id, "401: retrying once with a new token");
        replay.headers_mut().insert(AUTHORIZATION, header);
        self.inner.execute(http, replay, operation_id).await
    }
}

fn bearer_header(token: &str) -> Result<HeaderValue, String> {
    let mut value = HeaderValue::from_str(&format!("Bearer {token}"))
        .map_err(|_| "the bearer token contains characters not allowed in a header".to_string())?;
    value.set_sensitive(true);
    Ok(value)
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

impl RequestHooks for BearerAuth {
    fn prepare<'a>(
        &'a self,
        request: &'a mut reqwest::Request,
        operation_id: &'static str,
    ) -> BoxFuture<'a, Result<(), HookError>> {
        Box::pin(self.prepare_inner(request, operation_id))
    }

    fn execute<'a>(
        &'a self,
        http: &'a reqwest::Client,
        request: reqwest::Request,
        operation_id: &'static str,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        Box::pin(self.execute_inner(http, request, operation_id))
    }
}

impl fmt::Debug for BearerAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BearerAuth")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}
