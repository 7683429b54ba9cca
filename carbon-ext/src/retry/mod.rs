//! When and how long to retry: one policy, one classifier, one budget and one
//! backoff curve for every retry the client makes, whether of a single request or
//! of a workflow step (an upload from the file, a download, a keyed create).

mod backoff;
mod budget;
mod engine;

use std::time::{Duration, SystemTime};

pub(crate) use backoff::{Curve, full_jitter};
pub(crate) use budget::{RETRY_COST, RetryBudget, TIMEOUT_RETRY_COST};
pub(crate) use engine::Retrier;

use crate::Error;

/// How failed calls are retried.
///
/// The default follows AWS's standard retry mode: at most 3 attempts, exponential
/// backoff with full jitter (1 s base, 20 s cap), and a retry budget shared by all
/// clones of a client, so that an outage does not multiply the load on the API.
///
/// What is retried:
/// - connection failures, for any call (nothing reached the server);
/// - 429, for any call (the request was refused, not processed), for as long as
///   the rate-limited time budget allows (5 minutes by default,
///   [`RetryPolicy::with_rate_limited_budget`]), not for a count of attempts: a job
///   the API's limit only slows must not fail. Each wait is what `Retry-After`
///   asks (the backoff curve when it does not say), but never longer than
///   [`RetryPolicy::with_max_retry_after`] allows: a longer ask ends the retries.
///   Waiting longer than asked would put the call behind every other client of
///   the key, 429 after 429, until its cursor expired. 429s draw nothing from the retry
///   budget (the client pauses instead, which lowers the load);
/// - 500, 502, 503, 504, timeouts, broken and truncated responses, for calls that
///   can be repeated without effect only (GET, PUT, DELETE, and the workflow steps
///   made safe to repeat: keyed creates, presigned URLs, resolves, downloads, and
///   `create_part_once`, which looks for the part before sending again): a plain
///   POST or PATCH that may have been processed is never sent twice.
///
/// The policy covers every retry of the client: requests, uploads (each attempt
/// from the file), downloads and safe creates. [`RetryPolicy::disabled`] turns them
/// all off.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    pub(crate) max_attempts: u32,
    pub(crate) base: Duration,
    pub(crate) cap: Duration,
    pub(crate) budget_capacity: u32,
    pub(crate) max_retry_after: Duration,
    pub(crate) rate_limited_budget: Duration,
    pub(crate) jitter: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self::standard()
    }
}

impl RetryPolicy {
    /// 3 attempts, 1 s base, 20 s cap, waits for `Retry-After` of up to 60 s, 429s
    /// retried for up to 5 minutes, a budget of 500 (a retry costs 5, a retry after
    /// a timeout 10, a success gives 1 back).
    pub fn standard() -> Self {
        Self {
            max_attempts: 3,
            base: Duration::from_secs(1),
            cap: Duration::from_secs(20),
            budget_capacity: 500,
            max_retry_after: Duration::from_secs(60),
            rate_limited_budget: Duration::from_secs(300),
            jitter: true,
        }
    }

    /// No retries at all: every call is made once, a 429 too.
    pub fn disabled() -> Self {
        Self {
            max_attempts: 1,
            rate_limited_budget: Duration::ZERO,
            ..Self::standard()
        }
    }

    setters! {
        /// How long a call may go on being answered 429 (from its first attempt)
        /// before it fails with the 429 (default 5 minutes). Zero: a 429 is not retried.
        pub fn with_rate_limited_budget(budget: Duration) => rate_limited_budget;
    }

    /// At most `attempts` tries per call that fail for other reasons than a 429
    /// (1 means no retries); 429s are bounded by time instead.
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// Backoff before retry n is a random duration up to `min(cap, base * 2^(n-1))`.
    pub fn with_backoff(mut self, base: Duration, cap: Duration) -> Self {
        self.base = base;
        self.cap = cap.max(base);
        self
    }

    setters! {
        /// The shared retry budget (in the units above); 0 disables the budget check.
        pub fn with_budget(capacity: u32) => budget_capacity;
        /// The longest wait the client makes before a retry, whatever `Retry-After` asks
        /// (default 60 s). A longer ask ends the retries at once, and the caller gets
        /// the 429 with the time the API asked for.
        pub fn with_max_retry_after(max: Duration) => max_retry_after;
    }

    /// Waits exactly the exponential backoff, without randomness: predictable, but
    /// many clients failing together retry together. For tests and single clients.
    pub fn without_jitter(mut self) -> Self {
        self.jitter = false;
        self
    }

    /// The longest wait before any retry.
    pub fn max_wait(&self) -> Duration {
        self.cap.max(self.max_retry_after)
    }

    /// The wait before retry number `retry` (1-based).
    pub(crate) fn backoff(&self, retry: u32) -> Duration {
        let ceiling = Curve {
            first: self.base,
            factor: 2.0,
            cap: self.cap,
        }
        .nth(retry);
        if self.jitter { full_jitter(ceiling) } else { ceiling }
    }
}

/// Whether a call can be made again, and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Replay {
    /// Making it again has no further effect (GET, PUT, DELETE, keyed creates,
    /// presigned URL requests, resolves, downloads).
    Safe,
    /// Each time it is processed it changes something (a plain POST or PATCH): made
    /// again only when it surely was not processed.
    OnlyIfRefused,
    /// It cannot be made again (its body was a stream that is gone).
    Never,
}

impl Replay {
    /// What the HTTP method allows.
    pub(crate) fn for_method(method: &str) -> Self {
        match method {
            "GET" | "HEAD" | "PUT" | "DELETE" | "OPTIONS" | "TRACE" => Replay::Safe,
            _ => Replay::OnlyIfRefused,
        }
    }
}

/// The classifier's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Try again, drawing `cost` from the budget, after the wait the server asked
    /// for if it said one (`Retry-After`).
    Retry { cost: u32, retry_after: Option<Duration> },
    /// The credentials were refused (401) and the hook dropped the token: one more
    /// attempt, at once, goes with a new one (once per call).
    Renew,
    /// Another attempt cannot help, or could do harm.
    Stop,
}

/// The one classifier: whether a failed attempt is worth another.
pub(crate) fn classify(error: &Error, replay: Replay) -> Verdict {
    let retry = |cost| Verdict::Retry {
        cost,
        retry_after: None,
    };
    if replay == Replay::Never {
        return Verdict::Stop;
    }
    match error {
        // Refused before anything was done: any call may go again, with new credentials.
        Error::Unauthorized { status, .. } if status.as_u16() == 401 => Verdict::Renew,
        // Refused, not processed: any call may go again.
        Error::RateLimited { retry_after, .. } => Verdict::Retry {
            cost: RETRY_COST,
            retry_after: *retry_after,
        },
        Error::Transport { source, .. } if source.is_connect() => retry(RETRY_COST),
        // From here on the server may have processed the call.
        _ if replay != Replay::Safe => Verdict::Stop,
        Error::Timeout { .. } => retry(TIMEOUT_RETRY_COST),
        // A request that could not be built, or too many redirects, fails the same way again.
        Error::Transport { source, .. } if !(source.is_builder() || source.is_redirect()) => retry(RETRY_COST),
        Error::Api { status, .. } if matches!(status.as_u16(), 500 | 502 | 503 | 504) => retry(RETRY_COST),
        Error::Decode { not_json: true, .. } | Error::Truncated { .. } | Error::MissingEtag { .. } => retry(RETRY_COST),
        _ => Verdict::Stop,
    }
}

/// Whether trying again later may succeed (for a call that can be repeated).
pub(crate) fn is_transient(error: &Error) -> bool {
    matches!(classify(error, Replay::Safe), Verdict::Retry { .. })
}

/// Parses `Retry-After`: delay-seconds or an HTTP date (a date in the past is 0).
pub(crate) fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(SystemTime::now()).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Call;
    use reqwest::StatusCode;

    #[test]
    fn backoff_stays_under_the_exponential_ceiling_and_the_cap() {
        let policy = RetryPolicy::standard();
        for retry in 1..=10 {
            let ceiling = Duration::from_secs(1u64 << (retry - 1).min(5)).min(Duration::from_secs(20));
            for _ in 0..50 {
                assert!(policy.backoff(retry) <= ceiling, "retry {retry}");
            }
        }
    }

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        assert_eq!(parse_retry_after("7"), Some(Duration::from_secs(7)));
        let in_a_minute = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(61));
        let parsed = parse_retry_after(&in_a_minute).unwrap();
        assert!(
            parsed > Duration::from_secs(58) && parsed <= Duration::from_secs(61),
            "{parsed:?}"
        );
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon"), None);
        assert_eq!(
            parse_retry_after("1000000000"),
            Some(Duration::from_secs(1_000_000_000))
        );
    }

    fn api(status: u16) -> Error {
        Error::from_status("op", StatusCode::from_u16(status).unwrap(), String::new(), None)
    }

    #[test]
    fn what_may_have_been_processed_is_repeated_only_when_that_is_safe() {
        for status in [500, 502, 503, 504] {
            assert_ne!(classify(&api(status), Replay::Safe), Verdict::Stop, "{status}");
            assert_eq!(classify(&api(status), Replay::OnlyIfRefused), Verdict::Stop, "{status}");
        }
        for status in [400, 403, 404, 405, 409, 501] {
            assert_eq!(classify(&api(status), Replay::Safe), Verdict::Stop, "{status}");
        }
        // Refused credentials: renewed for any call that can be sent again, and
        // never a transient error (a waiter does not ride it out).
        assert_eq!(classify(&api(401), Replay::OnlyIfRefused), Verdict::Renew);
        assert_eq!(classify(&api(401), Replay::Never), Verdict::Stop);
        assert!(!is_transient(&api(401)));
        let limited = Error::RateLimited {
            call: Call::new("op"),
            retry_after: Some(Duration::from_secs(3)),
            body: String::new(),
        };
        assert_eq!(
            classify(&limited, Replay::OnlyIfRefused),
            Verdict::Retry {
                cost: RETRY_COST,
                retry_after: Some(Duration::from_secs(3))
            }
        );
        assert_eq!(classify(&limited, Replay::Never), Verdict::Stop);
        // A body cut short is worth asking again; one that is JSON of another
        // shape will be the same next time.
        let decode = |message: &str, not_json| Error::Decode {
            call: Call::new("op"),
            path: ".".into(),
            message: message.into(),
            index: None,
            not_json,
        };
        assert_ne!(classify(&decode("EOF", true), Replay::Safe), Verdict::Stop);
        let mismatch = decode("invalid type", false);
        assert_eq!(classify(&mismatch, Replay::Safe), Verdict::Stop);
        assert!(Replay::for_method("GET") == Replay::Safe && Replay::for_method("POST") == Replay::OnlyIfRefused);
    }
}
