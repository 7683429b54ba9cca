//! The client and its builder.

use std::fmt;
use std::ops::Deref;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use carbon_auth::{ApiKey, AuthError, Authorizer, BearerToken, JwtTokenSource, StaticToken, TokenSource};

use crate::drift::{DriftLog, DriftReport, DriftWatch};
use crate::retry::Retrier;
use crate::{Error, LimitSharing, RateLimit, RequestStack, RetryPolicy};

/// Where the API is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Environment {
    /// `https://api.carbon3d.com/v1`.
    Production,
    /// `https://api-sandbox.carbon3d.com/v1`. Listed by the API's 2020 document only;
    /// whether it still serves 0.4.x is unconfirmed.
    Sandbox,
    /// Any other base URL, e.g. a proxy or `carbon-sim` (`http://127.0.0.1:PORT/v1`).
    Custom(String),
}

impl Environment {
    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        match self {
            Environment::Production => "https://api.carbon3d.com/v1",
            Environment::Sandbox => "https://api-sandbox.carbon3d.com/v1",
            Environment::Custom(url) => url,
        }
    }
}

/// Where tokens come from.
#[derive(Clone)]
pub enum Credentials {
    /// A `secrets.json` file.
    SecretsFile(PathBuf),
    /// `CARBON_SECRETS_FILE`, or `CARBON_CLIENT_ID` + `CARBON_CLIENT_SECRET`.
    Environment,
    /// An already loaded key.
    Key(ApiKey),
    /// A token minted elsewhere, used as is.
    Token(BearerToken),
    /// Any token source.
    Source(Arc<dyn TokenSource>),
    /// No `Authorization` header at all (e.g. behind a proxy that adds it).
    None,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::SecretsFile(path) => f.debug_tuple("SecretsFile").field(path).finish(),
            Credentials::Environment => f.write_str("Environment"),
            Credentials::Key(key) => f.debug_tuple("Key").field(key).finish(),
            Credentials::Token(token) => f.debug_tuple("Token").field(token).finish(),
            Credentials::Source(_) => f.write_str("Source(..)"),
            Credentials::None => f.write_str("None"),
        }
    }
}

/// The Carbon API client: every operation of the API (through `Deref` to the
/// generated client), authenticated, retried and rate limited as configured.
///
/// Cheap to clone; clones share the token cache, the retry budget and the rate
/// limiter.
///
/// ```no_run
/// # async fn run() -> Result<(), carbon_ext::Error> {
/// use carbon_ext::prelude::*;
///
/// let client = carbon_ext::Client::builder().secrets_file("secrets.json").build()?;
/// let part = client.get_part().uuid("a-part-uuid").run().await?;
/// println!("{}", part.part_number);
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct Client {
    inner: carbon_api_gen::Client,
}

impl Client {
    /// Starts configuring a client (production, credentials required).
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// What the API has sent that this SDK version does not know, each kind once,
    /// with the operation that first brought it (see [`crate::drift`]): empty
    /// while the API matches the document this SDK was built from.
    pub fn drift(&self) -> DriftReport {
        self.inner
            .state()
            .extension::<DriftLog>()
            .map(DriftLog::report)
            .unwrap_or_default()
    }

    /// The generated client, for APIs that take it by value or reference.
    pub fn raw(&self) -> &carbon_api_gen::Client {
        &self.inner
    }

    /// The base URL requests go to, without trailing slash.
    pub fn base_url(&self) -> &str {
        use carbon_api_gen::ClientInfo;
        self.inner.baseurl()
    }

    /// The file through which this client shares the API key's rate limit with
    /// the other processes of the key on this host ([`LimitSharing::Host`]), if it
    /// does (`None` when it shares through Redis, or not at all).
    pub fn shared_rate_limit_file(&self) -> Option<&std::path::Path> {
        self.inner
            .state()
            .extension::<SharedLimitFile>()
            .and_then(|file| file.0.as_deref())
    }

    /// The underlying HTTP client (for requests outside the API, such as presigned
    /// uploads: it carries no credentials).
    pub fn http(&self) -> &reqwest::Client {
        use carbon_api_gen::ClientInfo;
        self.inner.client()
    }
}

impl Deref for Client {
    type Target = carbon_api_gen::Client;

    fn deref(&self) -> &Self::Target {
        &self.inner
    }
}

impl From<Client> for carbon_api_gen::Client {
    fn from(client: Client) -> Self {
        client.inner
    }
}

/// The environment variable [`ClientBuilder::from_env`] reads the base URL from.
pub const BASE_URL_VAR: &str = "CARBON_BASE_URL";

/// The user agent every request carries.
pub fn user_agent() -> String {
    format!(
        "carbon-rs/{} (api {})",
        env!("CARGO_PKG_VERSION"),
        carbon_api_gen::API_VERSION
    )
}

/// Configures a [`Client`].
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    environment: Environment,
    credentials: Option<Credentials>,
    token_lifetime: Option<Duration>,
    connect_timeout: Duration,
    read_timeout: Duration,
    retry: RetryPolicy,
    rate_limit: Option<RateLimit>,
    limit_sharing: LimitSharing,
    user_agent_suffix: Option<String>,
    allow_plain_http: bool,
    watch_drift: bool,
    http: Option<reqwest::Client>,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            environment: Environment::Production,
            credentials: None,
            token_lifetime: None,
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(60),
            retry: RetryPolicy::standard(),
            rate_limit: Some(RateLimit::CARBON_DEFAULT),
            limit_sharing: LimitSharing::Host,
            user_agent_suffix: None,
            allow_plain_http: false,
            watch_drift: true,
            http: None,
        }
    }
}

impl ClientBuilder {
    /// Reads the environment: `CARBON_BASE_URL` (when set, instead of production),
    /// the key (`CARBON_SECRETS_FILE`, or `CARBON_CLIENT_ID` + `CARBON_CLIENT_SECRET`;
    /// see [`ApiKey::from_env`]) and `CARBON_RATE_LIMIT_REDIS` (when set, the rate
    /// limit is shared through that Redis: [`LimitSharing::Redis`]). Settings made
    /// after this call win.
    pub fn from_env(self) -> Self {
        let set = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let mut builder = self;
        if let Some(url) = set(BASE_URL_VAR) {
            builder = builder.base_url(url.trim());
        }
        if let Some(url) = set(crate::REDIS_URL_VAR) {
            builder = builder.limit_sharing(LimitSharing::redis(url.trim()));
        }
        builder.credentials_from_env()
    }

    setters! {
        /// Which API to talk to (default: production).
        pub fn environment(environment: Environment) => environment;
    }

    /// Shorthand for `environment(Environment::Custom(url))`.
    pub fn base_url(self, url: impl Into<String>) -> Self {
        self.environment(Environment::Custom(url.into()))
    }

    /// Where tokens come from.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// Tokens from this `secrets.json`.
    pub fn secrets_file(self, path: impl Into<PathBuf>) -> Self {
        self.credentials(Credentials::SecretsFile(path.into()))
    }

    /// Tokens from the key in the environment (see [`ApiKey::from_env`]).
    pub fn credentials_from_env(self) -> Self {
        self.credentials(Credentials::Environment)
    }

    /// Tokens from this key.
    pub fn api_key(self, key: ApiKey) -> Self {
        self.credentials(Credentials::Key(key))
    }

    /// This token for every request.
    pub fn static_token(self, token: BearerToken) -> Self {
        self.credentials(Credentials::Token(token))
    }

    /// Tokens from any source.
    pub fn token_source(self, source: impl TokenSource) -> Self {
        self.credentials(Credentials::Source(Arc::new(source)))
    }

    /// No credentials: requests carry no `Authorization` header.
    pub fn without_credentials(self) -> Self {
        self.credentials(Credentials::None)
    }

    /// Lifetime of minted tokens (default one hour).
    pub fn token_lifetime(mut self, lifetime: Duration) -> Self {
        self.token_lifetime = Some(lifetime);
        self
    }

    setters! {
        /// How long to wait for a connection (default 10 s).
        pub fn connect_timeout(timeout: Duration) => connect_timeout;
        /// How long to wait for the next bytes of a response (default 60 s). There is no
        /// limit on a whole request, so long transfers that keep moving always finish.
        pub fn read_timeout(timeout: Duration) => read_timeout;
        /// How failures are retried (default [`RetryPolicy::standard`]).
        pub fn retry_policy(policy: RetryPolicy) => retry;
        /// With whom the rate limit is shared (default: every client of the same key
        /// and API on this host, [`LimitSharing::Host`]). A [`LimitSharing::Redis`]
        /// URL is checked by [`ClientBuilder::build`]; Redis itself is only reached
        /// for the first request.
        pub fn limit_sharing(sharing: LimitSharing) => limit_sharing;
        /// Whether to notice what the API sends that this SDK version does not know
        /// (default: on; see [`crate::drift`] and [`Client::drift`]). Off, no answer is
        /// read twice and nothing is reported.
        pub fn watch_drift(watch: bool) => watch_drift;
    }

    /// The client-side rate limit (default [`RateLimit::CARBON_DEFAULT`]).
    pub fn rate_limit(mut self, limit: RateLimit) -> Self {
        self.rate_limit = Some(limit);
        self
    }

    /// No client-side rate limit.
    pub fn no_rate_limit(mut self) -> Self {
        self.rate_limit = None;
        self
    }

    /// Appended to the user agent, e.g. your application's name and version.
    pub fn user_agent_suffix(mut self, suffix: impl Into<String>) -> Self {
        self.user_agent_suffix = Some(suffix.into());
        self
    }

    /// Lets tokens travel over plain `http://` to a host that is not loopback.
    pub fn allow_plain_http(mut self) -> Self {
        self.allow_plain_http = true;
        self
    }

    /// Sends through this `reqwest::Client` instead of building one; the timeouts
    /// and user agent set here then do not apply.
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// Builds the client. Loads and validates the key now, so a bad key fails here.
    pub fn build(self) -> Result<Client, Error> {
        // Read once, for every layer; an unreadable one is refused now.
        let base_url = carbon_api_gen::BaseUrl::parse(self.environment.base_url()).map_err(AuthError::from)?;
        let http = match self.http {
            Some(http) => http,
            None => {
                let agent = match &self.user_agent_suffix {
                    Some(suffix) => format!("{} {suffix}", user_agent()),
                    None => user_agent(),
                };
                let refused = |e: carbon_api_gen::HttpClientError| Error::Config(e.to_string());
                carbon_api_gen::http_client_builder(self.connect_timeout, self.read_timeout)
                    .map_err(refused)?
                    .user_agent(agent)
                    .build()
                    .map_err(|e| refused(e.into()))?
            }
        };
        if let Some(limit) = &self.rate_limit {
            limit.validate()?;
        }
        let credentials = self.credentials.ok_or_else(|| {
            Error::Config(
                "no credentials: call secrets_file(..), credentials_from_env(), api_key(..), static_token(..), \
                 token_source(..) or, for a proxy that authenticates, without_credentials()"
                    .into(),
            )
        })?;
        let jwt = |key: ApiKey| -> Arc<dyn TokenSource> {
            let source = JwtTokenSource::new(key);
            Arc::new(match self.token_lifetime {
                Some(lifetime) => source.with_lifetime(lifetime),
                None => source,
            })
        };
        let key = match credentials {
            Credentials::SecretsFile(path) => Ok(ApiKey::from_file(path)?),
            Credentials::Environment => Ok(ApiKey::from_env()?),
            Credentials::Key(key) => Ok(key),
            other => Err(other),
        };
        // The limit belongs to the key: clients of one key share it.
        let client_id = key.as_ref().ok().map(|k| k.client_id().to_string());
        let source: Option<Arc<dyn TokenSource>> = match key {
            Ok(key) => Some(jwt(key)),
            Err(Credentials::Token(token)) => Some(Arc::new(StaticToken::new(token))),
            Err(Credentials::Source(source)) => Some(source),
            Err(_) => None,
        };
        let mut stack = match (self.rate_limit, client_id) {
            (Some(limit), Some(client_id)) => {
                RequestStack::with_shared_limit(limit, &self.limit_sharing, &client_id, base_url.as_str())?
            }
            (limit, _) => RequestStack::new(limit),
        };
        if let Some(source) = source {
            // The retry engine renews refused credentials (one place decides retries).
            stack = stack.with_authorizer(Authorizer::new(source, &base_url, self.allow_plain_http)?);
        }
        let drift = self.watch_drift.then(|| Arc::new(DriftLog::default()));
        if let Some(log) = &drift {
            stack = stack.with_drift_watch(Arc::new(DriftWatch::new(log.clone())));
        }
        let shared_file = SharedLimitFile(stack.shared_limit_file().map(std::path::Path::to_path_buf));
        let mut state = carbon_api_gen::ClientState::new(stack)
            .with_extension(Arc::new(Retrier::new(self.retry)))
            .with_extension(Arc::new(shared_file));
        if let Some(log) = drift {
            state = state.with_extension(log);
        }
        Ok(Client {
            inner: carbon_api_gen::Client::with_state(&base_url, http, state),
        })
    }
}

/// Where a client's rate limit is shared, kept in the generated client's state.
#[derive(Debug)]
struct SharedLimitFile(Option<std::path::PathBuf>);
