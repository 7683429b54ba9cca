//! When and how long to retry: AWS "standard" mode, adapted to this API.

use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use reqwest::{Method, StatusCode};

/// How failed requests are retried.
///
/// The default follows AWS's standard retry mode: at most 3 attempts, exponential
/// backoff with full jitter (1 s base, 20 s cap), and a retry budget shared by all
/// clones of a client, so that an outage does not multiply the load on the API.
///
/// What is retried:
/// - connection failures, for any method (nothing reached the server);
/// - 429, for any method (the request was refused, not processed), waiting at least
///   as long as `Retry-After` asks;
/// - 500, 502, 503, 504, timeouts, broken and truncated responses, for idempotent
///   methods only (GET, HEAD, PUT, DELETE, OPTIONS): a POST or PATCH that may have
///   been processed is never sent twice.
///
/// A request whose body is a stream (an upload) cannot be replayed and gets one
/// attempt; retry it from the file instead.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    pub(crate) max_attempts: u32,
    pub(crate) base: Duration,
    pub(crate) cap: Duration,
    pub(crate) budget_capacity: u32,
    pub(crate) max_retry_after: Duration,
    pub(crate) jitter: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self::standard()
    }
}

impl RetryPolicy {
    /// 3 attempts, 1 s base, 20 s cap, a budget of 500 (a retry costs 5, a retry after
    /// a timeout 10, a success gives 1 back).
    pub fn standard() -> Self {
        Self {
            max_attempts: 3,
            base: Duration::from_secs(1),
            cap: Duration::from_secs(20),
            budget_capacity: 500,
            max_retry_after: Duration::from_secs(60),
            jitter: true,
        }
    }

    /// No retries at all: every request is sent once.
    pub fn disabled() -> Self {
        Self {
            max_attempts: 1,
            ..Self::standard()
        }
    }

    /// At most `attempts` sends per request (1 means no retries).
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

    /// The shared retry budget (in the units above); 0 disables the budget check.
    pub fn with_budget(mut self, capacity: u32) -> Self {
        self.budget_capacity = capacity;
        self
    }

    /// The longest `Retry-After` worth waiting for; a longer one ends the retries
    /// and the caller gets the 429 with the time the API asked for.
    pub fn with_max_retry_after(mut self, max: Duration) -> Self {
        self.max_retry_after = max;
        self
    }

    /// Waits exactly the exponential backoff, without randomness: predictable, but
    /// many clients failing together retry together. For tests and single clients.
    pub fn without_jitter(mut self) -> Self {
        self.jitter = false;
        self
    }

    /// The wait before retry number `retry` (1-based): full jitter.
    pub(crate) fn backoff(&self, retry: u32) -> Duration {
        let exp = self.base.saturating_mul(2u32.saturating_pow(retry.saturating_sub(1)));
        let ceiling = exp.min(self.cap);
        if self.jitter {
            ceiling.mul_f64(fastrand::f64())
        } else {
            ceiling
        }
    }
}

/// Whether a method may be sent again after it possibly reached the server.
pub(crate) fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS | Method::TRACE
    )
}

/// Whether a status is worth another attempt for this method.
pub(crate) fn is_retryable_status(status: StatusCode, idempotent: bool) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS || (idempotent && matches!(status.as_u16(), 500 | 502 | 503 | 504))
}

/// Parses `Retry-After`: delay-seconds or an HTTP date.
pub(crate) fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(SystemTime::now()).unwrap_or(Duration::ZERO))
}

/// The retry budget: retries draw from it, successes refill it slowly.
#[derive(Debug)]
pub(crate) struct RetryBudget {
    capacity: u32,
    available: Mutex<u32>,
}

pub(crate) const RETRY_COST: u32 = 5;
pub(crate) const TIMEOUT_RETRY_COST: u32 = 10;

impl RetryBudget {
    pub(crate) fn new(capacity: u32) -> Self {
        Self {
            capacity,
            available: Mutex::new(capacity),
        }
    }

    /// Takes `cost` for a retry; false when the budget is spent.
    pub(crate) fn withdraw(&self, cost: u32) -> bool {
        if self.capacity == 0 {
            return true;
        }
        let mut available = self.available.lock().unwrap_or_else(|e| e.into_inner());
        if *available >= cost {
            *available -= cost;
            true
        } else {
            false
        }
    }

    /// Gives back after a success.
    pub(crate) fn deposit(&self, amount: u32) {
        let mut available = self.available.lock().unwrap_or_else(|e| e.into_inner());
        *available = available.saturating_add(amount).min(self.capacity);
    }

    #[cfg(test)]
    pub(crate) fn available(&self) -> u32 {
        *self.available.lock().unwrap()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    }

    #[test]
    fn budget_runs_out_and_refills() {
        let budget = RetryBudget::new(12);
        assert!(budget.withdraw(RETRY_COST));
        assert!(budget.withdraw(RETRY_COST));
        assert!(!budget.withdraw(RETRY_COST));
        budget.deposit(100);
        assert_eq!(budget.available(), 12);
        assert!(budget.withdraw(TIMEOUT_RETRY_COST));
    }

    #[test]
    fn idempotency_decides_what_is_retried() {
        assert!(is_retryable_status(StatusCode::TOO_MANY_REQUESTS, false));
        assert!(!is_retryable_status(StatusCode::INTERNAL_SERVER_ERROR, false));
        assert!(is_retryable_status(StatusCode::BAD_GATEWAY, true));
        assert!(!is_retryable_status(StatusCode::NOT_IMPLEMENTED, true));
        assert!(is_idempotent(&Method::GET) && is_idempotent(&Method::DELETE));
        assert!(!is_idempotent(&Method::POST) && !is_idempotent(&Method::PATCH));
    }
}
