//! The client-side rate limit: what it is ([`RateLimit`]), with whom it is shared
//! ([`LimitSharing`]), and the limiter that keeps to it (one per client and its
//! clones), adapting to the 429s of a key others use too.

mod adaptive;
mod ledger;
mod limiter;

#[cfg(unix)]
mod host;
#[cfg(feature = "redis")]
mod redis;

use std::fmt;
use std::time::Duration;

use crate::Error;

pub(crate) use limiter::RateLimiter;

/// How many requests a client may start per time window.
///
/// The API allows 200 requests per 10 s per API key. The limiter keeps the send
/// times of the requests of the last window and lets a new one start only while
/// fewer than the allowed number were sent in it: each slot comes back exactly
/// `window` after it was used. That never exceeds the limit over any window, and a
/// busy client gets all of it. Shared by all clones of a client, and by default
/// with the other clients of the key on this host ([`LimitSharing`]).
///
/// The limit belongs to the API key, and other clients may be using the same key.
/// So the limiter adapts, as TCP and AWS's adaptive retry mode do: a 429 pauses
/// every request of the client until its `Retry-After` and lowers the number of
/// requests it allows itself per window (at most once per window); requests sent
/// without 429 raise it again, quickly back to where it was, then slowly beyond,
/// up to the limit. Alone on a key it never meets a 429 and uses all of the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub(crate) requests: u32,
    pub(crate) window: Duration,
}

impl RateLimit {
    /// The API's documented limit, with a quarter second of slack for clock and
    /// network jitter: 200 requests per 10.25 s.
    pub const CARBON_DEFAULT: RateLimit = RateLimit {
        requests: 200,
        window: Duration::from_millis(10_250),
    };

    /// The most requests per window the builder accepts (the limiter remembers a
    /// send time for each).
    pub const MAX_REQUESTS: u32 = 100_000;

    /// The longest window the builder accepts.
    pub const MAX_WINDOW: Duration = Duration::from_secs(24 * 3600);

    /// At most `requests` requests started per `window`. The client builder refuses
    /// a limit of 0 requests, more than [`RateLimit::MAX_REQUESTS`], or a window
    /// that is zero or longer than [`RateLimit::MAX_WINDOW`].
    pub fn new(requests: u32, window: Duration) -> Self {
        Self { requests, window }
    }

    /// Requests per window.
    pub fn requests(&self) -> u32 {
        self.requests
    }

    /// The window.
    pub fn window(&self) -> Duration {
        self.window
    }

    /// Checks that the limiter can work with these numbers.
    pub(crate) fn validate(&self) -> Result<(), Error> {
        let refuse = |what: String| {
            Err(Error::Config(format!(
                "rate limit {} requests per {:?}: {what}; use no_rate_limit() for no client-side limit",
                self.requests, self.window
            )))
        };
        if self.requests == 0 {
            return refuse("no request could ever be sent".into());
        }
        if self.requests > Self::MAX_REQUESTS {
            return refuse(format!(
                "at most {} requests per window are supported",
                Self::MAX_REQUESTS
            ));
        }
        if self.window.is_zero() {
            return refuse("the window must be longer than zero".into());
        }
        if self.window > Self::MAX_WINDOW {
            return refuse(format!("the window may be at most {:?}", Self::MAX_WINDOW));
        }
        Ok(())
    }
}

impl Default for RateLimit {
    fn default() -> Self {
        Self::CARBON_DEFAULT
    }
}

/// With whom a client shares the API's limit, which belongs to the API key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum LimitSharing {
    /// This client and its clones only.
    Process,
    /// Every client of the same key and API on this host (the default): processes
    /// coordinate through a small state file per key under a lock, in the user's
    /// cache directory (`carbon/rate-limit`, or `$CARBON_RATE_LIMIT_DIR`); it never
    /// holds the secret. A process killed while holding slots blocks the others
    /// for one window at most. Unix only; elsewhere, and for clients without an
    /// API key, the same as `Process`.
    #[default]
    Host,
    /// As `Host`, with the state files in this directory.
    HostIn(std::path::PathBuf),
    /// Every client of the same key and API that uses this Redis, on any host: the
    /// window of claimed slots lives in Redis, changed by one atomic script per
    /// claim, timed by the Redis server's clock (the hosts' clocks need not agree).
    /// Needs carbon-ext's `redis` feature. While Redis cannot be reached, the
    /// client says so once (a warning) and keeps to the limit alone, adapting to
    /// 429s; it tries Redis again a window later.
    Redis(RedisUrl),
}

impl LimitSharing {
    /// Sharing through the Redis at `url` (`redis://[:PASSWORD@]HOST[:PORT][/DB]` or
    /// `redis+unix:///PATH`); checked when the client is built.
    pub fn redis(url: impl Into<String>) -> Self {
        LimitSharing::Redis(RedisUrl(url.into()))
    }

    /// Waits (a second at most) until the slots that clients dropped in this
    /// process had claimed from Redis and not spent are given back, so that the
    /// other clients of the key may use them in this window. A client gives them
    /// back in the background as it is dropped; call this before a program that
    /// shared its limit through Redis ends. Returns at once otherwise.
    ///
    /// ```no_run
    /// # async fn run() {
    /// // … the program's work, its clients dropped …
    /// carbon_ext::LimitSharing::settle().await;
    /// # }
    /// ```
    pub async fn settle() {
        #[cfg(feature = "redis")]
        redis::settle().await;
    }
}

/// The environment variable [`ClientBuilder::from_env`](crate::ClientBuilder::from_env)
/// reads a Redis URL from, to share the limit through it.
pub const REDIS_URL_VAR: &str = "CARBON_RATE_LIMIT_REDIS";

/// The address of the Redis a limit is shared through. Its `Debug` and `Display`
/// hide the password.
#[derive(Clone, PartialEq, Eq)]
pub struct RedisUrl(String);

impl RedisUrl {
    /// A checked Redis URL: `redis://[:PASSWORD@]HOST[:PORT][/DB]` or
    /// `redis+unix:///PATH`; anything else is refused with the reason.
    pub fn new(url: impl Into<String>) -> Result<Self, Error> {
        let url = RedisUrl(url.into());
        url.validate()?;
        Ok(url)
    }

    /// The URL as given, password included.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Checks the URL's form: a scheme this build can connect with, a host or a
    /// socket path.
    pub(crate) fn validate(&self) -> Result<(), Error> {
        let refuse = |why: &str| {
            Err(Error::Config(format!(
                "rate limit Redis URL `{self}`: {why}; give redis://[:PASSWORD@]HOST[:PORT][/DB] or redis+unix:///PATH"
            )))
        };
        let url = match reqwest::Url::parse(&self.0) {
            Ok(url) => url,
            Err(e) => return refuse(&format!("not a URL ({e})")),
        };
        match url.scheme() {
            "redis" if url.host_str().is_none_or(str::is_empty) => refuse("no host"),
            "redis" => Ok(()),
            "redis+unix" | "unix" if url.path().is_empty() || url.path() == "/" => refuse("no socket path"),
            "redis+unix" | "unix" => Ok(()),
            "rediss" => refuse(
                "TLS to Redis is not supported by this version of carbon-ext; reach Redis on a private network or through a TLS tunnel",
            ),
            other => refuse(&format!("`{other}` is not a Redis scheme")),
        }
    }
}

impl fmt::Display for RedisUrl {
    /// The URL with its password, if any, replaced by `***`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match reqwest::Url::parse(&self.0) {
            Ok(mut url) => {
                if url.password().is_some() {
                    let _ = url.set_password(Some("***"));
                }
                // A socket's credentials travel in the query (`?user=…&pass=…`).
                if url.query().is_some() {
                    let pairs: Vec<(String, String)> = url
                        .query_pairs()
                        .map(|(key, value)| {
                            let secret = matches!(&*key, "pass" | "password" | "user" | "username");
                            (key.into_owned(), if secret { "***".into() } else { value.into_owned() })
                        })
                        .collect();
                    url.query_pairs_mut().clear().extend_pairs(pairs);
                }
                f.write_str(url.as_str())
            }
            // Unparseable: the part before any `@` may be a password.
            Err(_) => match self.0.rsplit_once('@') {
                Some((_, host)) => write!(f, "***@{host}"),
                None => f.write_str(&self.0),
            },
        }
    }
}

impl fmt::Debug for RedisUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RedisUrl({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extreme_limits_are_refused_with_a_reason() {
        for limit in [
            RateLimit::new(0, Duration::from_secs(1)),
            RateLimit::new(u32::MAX, Duration::from_secs(1)),
            RateLimit::new(10, Duration::ZERO),
            RateLimit::new(10, Duration::MAX),
        ] {
            let message = limit.validate().unwrap_err().to_string();
            assert!(message.contains("no_rate_limit()"), "{message}");
        }
        assert!(RateLimit::CARBON_DEFAULT.validate().is_ok());
    }

    #[test]
    fn a_redis_url_never_shows_its_password() {
        for given in [
            "redis://:hunter2@cache.internal:6379/2",
            "redis://user:hunter2@cache.internal",
            "redis://user:hunter2@[bad",
            "redis+unix:///run/redis.sock?db=1&pass=hunter2",
        ] {
            let url = RedisUrl(given.into());
            for shown in [
                url.to_string(),
                format!("{url:?}"),
                format!("{:?}", LimitSharing::redis(given)),
            ] {
                assert!(!shown.contains("hunter2"), "{shown}");
            }
        }
        assert_eq!(
            RedisUrl("redis://:pw@cache:6379/2".into()).to_string(),
            "redis://:***@cache:6379/2"
        );
        assert_eq!(
            RedisUrl("redis+unix:///run/redis.sock?db=1&pass=pw".into()).to_string(),
            "redis+unix:///run/redis.sock?db=1&pass=***"
        );
    }

    #[test]
    fn redis_urls_are_checked_with_a_reason() {
        for good in [
            "redis://127.0.0.1:6379",
            "redis://:pw@cache/3",
            "redis+unix:///run/redis.sock",
        ] {
            RedisUrl(good.into()).validate().unwrap();
        }
        for (bad, why) in [
            ("cache:6379", "not a Redis scheme"),
            ("http://cache", "not a Redis scheme"),
            ("rediss://cache", "TLS"),
            ("redis://", "no host"),
            ("redis+unix://", "no socket path"),
            ("not a url", "not a URL"),
        ] {
            let message = RedisUrl(bad.into()).validate().unwrap_err().to_string();
            assert!(
                message.contains(why) && message.contains("redis://"),
                "{bad}: {message}"
            );
        }
    }
}
