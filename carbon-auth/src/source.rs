//! Where bearer tokens come from.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use carbon_api_gen::BoxFuture;
use tokio::time::Instant;

use crate::token::mint;
use crate::{ApiKey, AuthError, BearerToken};

/// A supply of bearer tokens.
pub trait TokenSource: Send + Sync + 'static {
    /// A token to send now: cached while it is fresh, new otherwise.
    fn token(&self) -> BoxFuture<'_, Result<BearerToken, AuthError>>;

    /// The token [`TokenSource::token`] would hand out, if it can be had without
    /// waiting (a cached, fresh one); `None` means "ask `token()`". Requests take
    /// this path first, so that the common case neither waits nor allocates. The
    /// default always says `None`.
    fn fresh(&self) -> Option<BearerToken> {
        None
    }

    /// The server rejected `rejected` (a 401): stop handing it out. A source that
    /// already moved on to another token ignores this.
    fn invalidate(&self, rejected: &str);
}

impl<T: TokenSource + ?Sized> TokenSource for Arc<T> {
    fn token(&self) -> BoxFuture<'_, Result<BearerToken, AuthError>> {
        (**self).token()
    }

    fn fresh(&self) -> Option<BearerToken> {
        (**self).fresh()
    }

    fn invalidate(&self, rejected: &str) {
        (**self).invalidate(rejected)
    }
}

/// A token minted elsewhere, used as is. It is never renewed: after a 401 the
/// request is retried once with the same token, then the 401 reaches the caller.
#[derive(Clone, Debug)]
pub struct StaticToken(BearerToken);

impl StaticToken {
    /// Uses `token` for every request.
    pub fn new(token: BearerToken) -> Self {
        Self(token)
    }
}

impl TokenSource for StaticToken {
    fn token(&self) -> BoxFuture<'_, Result<BearerToken, AuthError>> {
        let token = self.0.clone();
        Box::pin(async move { Ok(token) })
    }

    fn fresh(&self) -> Option<BearerToken> {
        Some(self.0.clone())
    }

    fn invalidate(&self, _rejected: &str) {}
}

struct Cached {
    token: BearerToken,
    /// When to stop handing it out (expiry minus the margin), on tokio's clock so
    /// that tests can move time.
    renew_at: Instant,
}

/// Mints tokens from an [`ApiKey`] and caches them.
///
/// A cached token is handed out until `margin` before it expires; then the next
/// caller mints a new one. Any number of concurrent callers that find no fresh token
/// wait for a single mint. [`TokenSource::invalidate`] drops a token the server
/// rejected. Cheap to share behind an `Arc`; `BearerAuth` does. Needs a tokio
/// runtime: tokens are signed on its blocking pool.
pub struct JwtTokenSource {
    key: Arc<ApiKey>,
    lifetime: Duration,
    margin: Duration,
    cache: Mutex<Option<Cached>>,
    minting: tokio::sync::Mutex<()>,
    mints: AtomicU64,
}

/// Tokens live an hour by default, like the vendor's own examples.
pub const DEFAULT_LIFETIME: Duration = Duration::from_secs(60 * 60);
/// Renew five minutes before expiry by default (at most half the lifetime).
pub const DEFAULT_MARGIN: Duration = Duration::from_secs(5 * 60);

impl JwtTokenSource {
    /// A source for `key` with the default one-hour lifetime and five-minute margin.
    pub fn new(key: ApiKey) -> Self {
        Self {
            key: Arc::new(key),
            lifetime: DEFAULT_LIFETIME,
            margin: DEFAULT_MARGIN,
            cache: Mutex::new(None),
            minting: tokio::sync::Mutex::new(()),
            mints: AtomicU64::new(0),
        }
    }

    /// How long each token is valid (its `exp` is now + lifetime).
    pub fn with_lifetime(mut self, lifetime: Duration) -> Self {
        self.lifetime = lifetime;
        self
    }

    /// How long before expiry a token is renewed. Capped at half the lifetime.
    pub fn with_margin(mut self, margin: Duration) -> Self {
        self.margin = margin;
        self
    }

    /// The key tokens are minted from.
    pub fn key(&self) -> &ApiKey {
        &self.key
    }

    /// How many tokens this source has minted so far (for metrics: a healthy client
    /// mints about once per lifetime).
    pub fn mint_count(&self) -> u64 {
        self.mints.load(Ordering::Relaxed)
    }

    fn effective_margin(&self) -> Duration {
        self.margin.min(self.lifetime / 2)
    }

    async fn token_inner(&self) -> Result<BearerToken, AuthError> {
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        // Single flight: whoever holds the lock mints; the others find its token.
        let _minting = self.minting.lock().await;
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        // RSA signing takes about a millisecond of CPU: keep it off the async workers.
        let (key, lifetime) = (self.key.clone(), self.lifetime);
        let token = tokio::task::spawn_blocking(move || mint(&key, lifetime))
            .await
            .map_err(|e| AuthError::Signing {
                reason: format!("the signing task failed: {e}"),
            })??;
        self.mints.fetch_add(1, Ordering::Relaxed);
        let renew_at = Instant::now() + self.lifetime.saturating_sub(self.effective_margin());
        tracing::debug!(
            client_id = self.key.client_id(),
            lifetime_s = self.lifetime.as_secs(),
            "minted a new API token"
        );
        *self.cache.lock().unwrap_or_else(|e| e.into_inner()) = Some(Cached {
            token: token.clone(),
            renew_at,
        });
        Ok(token)
    }
}

impl TokenSource for JwtTokenSource {
    fn token(&self) -> BoxFuture<'_, Result<BearerToken, AuthError>> {
        Box::pin(self.token_inner())
    }

    fn fresh(&self) -> Option<BearerToken> {
        let cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        // Both clocks: tokio's (which tests move) and the wall clock (which keeps
        // running while a machine sleeps, when the monotonic clock does not).
        let margin = self.effective_margin();
        cache
            .as_ref()
            .filter(|c| Instant::now() < c.renew_at)
            .filter(|c| c.token.expires_at() > std::time::SystemTime::now() + margin)
            .map(|c| c.token.clone())
    }

    fn invalidate(&self, rejected: &str) {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if cache.as_ref().is_some_and(|c| c.token.expose() == rejected) {
            tracing::debug!(
                client_id = self.key.client_id(),
                "the API rejected the cached token; it will be renewed"
            );
            *cache = None;
        }
    }
}

impl fmt::Debug for JwtTokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtTokenSource")
            .field("key", &self.key)
            .field("lifetime", &self.lifetime)
            .field("margin", &self.effective_margin())
            .finish_non_exhaustive()
    }
}
