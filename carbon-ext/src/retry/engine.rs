//! The retry loop every call goes through.

use std::future::Future;
use std::sync::OnceLock;
use std::time::Duration;

use tokio::time::Instant;
use tracing::Instrument;
use tracing::field::Empty;

use super::{Replay, RetryBudget, RetryPolicy, Verdict, classify};
use crate::Error;

/// A policy and the budget it draws from, shared by all clones of a client (kept in
/// the generated client's state).
#[derive(Debug)]
pub(crate) struct Retrier {
    policy: RetryPolicy,
    budget: RetryBudget,
}

impl Retrier {
    pub(crate) fn new(policy: RetryPolicy) -> Self {
        Self {
            budget: RetryBudget::new(policy.budget_capacity),
            policy,
        }
    }

    /// The retrier of a client; a generated client built without carbon-ext's
    /// builder gets the standard policy (one budget for all such clients).
    pub(crate) fn of(client: &carbon_api_gen::Client) -> &Retrier {
        static STANDARD: OnceLock<Retrier> = OnceLock::new();
        client
            .state()
            .extension::<Retrier>()
            .unwrap_or_else(|| STANDARD.get_or_init(|| Retrier::new(RetryPolicy::standard())))
    }

    /// Runs `step` (given the attempt number, from 1) until it succeeds, fails in a
    /// way the classifier will not retry for `replay`, the policy's attempts or the
    /// budget run out, or the server asks for a longer wait than the policy allows.
    /// The error returned records the attempts made and the time taken.
    ///
    /// Each call is a `carbon.call` span (operation, method, attempts, time spent in
    /// backoff) and each attempt a `carbon.attempt` span, in which the request stack
    /// records the path, status and time spent waiting for the rate limiter.
    pub(crate) async fn run<T, F, Fut>(
        &self,
        operation: &'static str,
        method: &'static str,
        replay: Replay,
        mut step: F,
    ) -> Result<T, Error>
    where
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        let call = tracing::debug_span!(
            "carbon.call",
            operation,
            method,
            attempts = Empty,
            backoff_wait_ms = Empty,
            elapsed_ms = Empty,
            error = Empty,
        );
        async {
            let mut tally = Tally::new();
            let started = tally.started;
            let mut backoff_total = Duration::ZERO;
            let mut attempt = 1;
            let result = loop {
                let span = tracing::debug_span!(
                    "carbon.attempt",
                    operation,
                    attempt,
                    method,
                    path = Empty,
                    status = Empty,
                    limiter_wait_ms = Empty,
                );
                let error = match step(attempt).instrument(span).await {
                    Ok(value) => {
                        self.budget.deposit(1);
                        break Ok(value);
                    }
                    Err(error) => error,
                };
                let Some(wait) = self.wait_before_retry(&error, replay, &mut tally) else {
                    break Err(error.with_attempts(attempt, started.elapsed()));
                };
                tracing::debug!(
                    operation,
                    attempt,
                    wait_ms = wait.as_millis() as u64,
                    error = %error,
                    "retrying"
                );
                if !wait.is_zero() {
                    tokio::time::sleep(wait).await;
                }
                backoff_total = backoff_total.saturating_add(wait);
                attempt += 1;
            };
            let span = tracing::Span::current();
            span.record("attempts", attempt);
            span.record("backoff_wait_ms", backoff_total.as_millis() as u64);
            span.record("elapsed_ms", started.elapsed().as_millis() as u64);
            if let Err(error) = &result {
                span.record("error", tracing::field::display(error));
            }
            result
        }
        .instrument(call)
        .await
    }

    /// The wait before the next attempt, or `None` to stop here; `tally` counts
    /// what this call met so far. A 429 is retried while the call's time for 429s
    /// lasts; any other failure while it has attempts left (and the budget allows).
    fn wait_before_retry(&self, error: &Error, replay: Replay, tally: &mut Tally) -> Option<Duration> {
        let verdict = classify(error, replay);
        if let (Error::RateLimited { .. }, Verdict::Retry { retry_after, .. }) = (error, verdict) {
            tally.throttled += 1;
            // A server that says when waits exactly that (never longer than the
            // policy allows): growing the wait on top would put this call behind
            // every other client of the key, 429 after 429, until its cursor
            // expires. One that does not say gets the curve.
            let wait = match retry_after {
                Some(asked) if asked > self.policy.max_retry_after => return None,
                Some(asked) => asked,
                None => self.policy.backoff(tally.throttled),
            };
            let spent = tally.started.elapsed().saturating_add(wait);
            return (spent <= self.policy.rate_limited_budget).then_some(wait);
        }
        tally.failed += 1;
        if tally.failed >= self.policy.max_attempts {
            return None;
        }
        let (cost, at_least) = match verdict {
            Verdict::Retry { cost, retry_after } => (cost, retry_after.unwrap_or_default()),
            Verdict::Renew if !tally.renewed => {
                tally.renewed = true;
                return Some(Duration::ZERO);
            }
            Verdict::Renew | Verdict::Stop => return None,
        };
        if at_least > self.policy.max_retry_after || !self.budget.withdraw(cost) {
            return None;
        }
        Some(self.policy.backoff(tally.failed).max(at_least))
    }
}

/// What one call has met so far.
struct Tally {
    /// When its first attempt started.
    started: Instant,
    /// Attempts answered 429.
    throttled: u32,
    /// Attempts that failed otherwise.
    failed: u32,
    /// Whether its credentials were renewed already (once is enough).
    renewed: bool,
}

impl Tally {
    fn new() -> Self {
        Self {
            started: Instant::now(),
            throttled: 0,
            failed: 0,
            renewed: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Call;
    use reqwest::StatusCode;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn server_error() -> Error {
        Error::from_status("op", StatusCode::SERVICE_UNAVAILABLE, String::new(), None)
    }

    fn quick(attempts: u32) -> Retrier {
        Retrier::new(
            RetryPolicy::standard()
                .with_max_attempts(attempts)
                .with_backoff(Duration::from_secs(1), Duration::from_secs(4))
                .without_jitter(),
        )
    }

    /// Runs a call that fails with `failure` every time, under a policy of
    /// `attempts`: how often it was tried, and the error it ended with.
    async fn always_failing(attempts: u32, replay: Replay, failure: impl Fn() -> Error) -> (u32, Error) {
        let tries = AtomicU32::new(0);
        let error = quick(attempts)
            .run("op", "GET", replay, |_| {
                tries.fetch_add(1, Ordering::SeqCst);
                std::future::ready(Err::<(), _>(failure()))
            })
            .await
            .unwrap_err();
        (tries.load(Ordering::SeqCst), error)
    }

    #[tokio::test(start_paused = true)]
    async fn retries_with_the_policy_backoff_and_records_attempts() {
        let start = Instant::now();
        let (tries, error) = always_failing(3, Replay::Safe, server_error).await;
        assert_eq!(tries, 3);
        assert_eq!(error.attempts(), 3);
        // Backoff of 1 s, then 2 s.
        assert_eq!(error.elapsed(), Duration::from_secs(3));
        assert_eq!(Instant::now() - start, Duration::from_secs(3));
    }

    #[tokio::test(start_paused = true)]
    async fn a_retry_after_beyond_the_policy_ends_at_once() {
        let start = Instant::now();
        let limited = || Error::RateLimited {
            call: Call::new("op"),
            retry_after: Some(Duration::from_secs(1_000_000_000)),
            body: String::new(),
        };
        let (tries, error) = always_failing(5, Replay::OnlyIfRefused, limited).await;
        assert_eq!(tries, 1);
        assert!(matches!(error, Error::RateLimited { .. }));
        assert_eq!(Instant::now(), start, "no wait at all");
    }

    #[tokio::test(start_paused = true)]
    async fn a_retry_after_within_the_policy_is_honoured() {
        let tries = AtomicU32::new(0);
        let start = Instant::now();
        quick(3)
            .run("op", "POST", Replay::OnlyIfRefused, |n| {
                tries.fetch_add(1, Ordering::SeqCst);
                async move {
                    if n == 1 {
                        Err(Error::RateLimited {
                            call: Call::new("op"),
                            retry_after: Some(Duration::from_secs(30)),
                            body: String::new(),
                        })
                    } else {
                        Ok(())
                    }
                }
            })
            .await
            .unwrap();
        assert_eq!(Instant::now() - start, Duration::from_secs(30));
    }

    fn limited(retry_after: Option<u64>) -> Error {
        Error::RateLimited {
            call: Call::new("op"),
            retry_after: retry_after.map(Duration::from_secs),
            body: String::new(),
        }
    }

    /// How long the standard policy takes over ten 429s saying `Retry-After:
    /// seconds`, then an answer.
    async fn ten_429s_then_an_answer(seconds: u64) -> Duration {
        let start = Instant::now();
        Retrier::new(RetryPolicy::standard())
            .run("op", "GET", Replay::Safe, |n| async move {
                if n <= 10 { Err(limited(Some(seconds))) } else { Ok(()) }
            })
            .await
            .unwrap();
        Instant::now() - start
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_is_retried_for_a_time_not_a_count() {
        // Ten 429s, then an answer: the 3-attempt policy does not end the call.
        let tries = AtomicU32::new(0);
        quick(3)
            .run("op", "GET", Replay::Safe, |n| {
                tries.fetch_add(1, Ordering::SeqCst);
                async move { if n <= 10 { Err(limited(Some(2))) } else { Ok(()) } }
            })
            .await
            .unwrap();
        assert_eq!(tries.load(Ordering::SeqCst), 11);

        // Always 429 every 10 s: retried while the next wait still ends within the
        // minute the policy gives 429s, then the 429 is the answer.
        let retrier = Retrier::new(
            RetryPolicy::standard()
                .with_rate_limited_budget(Duration::from_secs(60))
                .with_backoff(Duration::from_secs(1), Duration::from_secs(4))
                .without_jitter(),
        );
        let start = Instant::now();
        let tries = AtomicU32::new(0);
        let error = retrier
            .run("op", "GET", Replay::Safe, |_| {
                tries.fetch_add(1, Ordering::SeqCst);
                async { Err::<(), _>(limited(Some(10))) }
            })
            .await
            .unwrap_err();
        assert!(matches!(error, Error::RateLimited { .. }), "{error}");
        assert_eq!(tries.load(Ordering::SeqCst), 7, "at 0, 10, ... 60 s");
        assert_eq!(Instant::now() - start, Duration::from_secs(60));
        assert_eq!(error.attempts(), 7);

        // A server that says when is waited for exactly that, however many 429s
        // came before (no growing backoff, no jitter on top).
        assert_eq!(ten_429s_then_an_answer(2).await, Duration::from_secs(20));
        // `Retry-After: 0` (or a date gone by) says now.
        assert_eq!(ten_429s_then_an_answer(0).await, Duration::ZERO);

        // Other failures are still counted: three of them end the call, 429s aside.
        let tries = AtomicU32::new(0);
        let error = quick(3)
            .run("op", "GET", Replay::Safe, |n| {
                tries.fetch_add(1, Ordering::SeqCst);
                async move { Err::<(), _>(if n % 2 == 1 { limited(None) } else { server_error() }) }
            })
            .await
            .unwrap_err();
        assert_eq!(tries.load(Ordering::SeqCst), 6, "429, 503, 429, 503, 429, 503");
        assert!(matches!(error, Error::Api { .. }), "{error}");

        // Disabled: a 429 is the answer at once.
        let tries = AtomicU32::new(0);
        let _ = Retrier::new(RetryPolicy::disabled())
            .run("op", "GET", Replay::Safe, |_| {
                tries.fetch_add(1, Ordering::SeqCst);
                async { Err::<(), _>(limited(None)) }
            })
            .await;
        assert_eq!(tries.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn the_budget_stops_retries_for_everyone() {
        let retrier = Retrier::new(
            RetryPolicy::standard()
                .with_budget(10)
                .with_backoff(Duration::from_millis(1), Duration::from_millis(1)),
        );
        let tries = AtomicU32::new(0);
        for _ in 0..3 {
            let _ = retrier
                .run("op", "GET", Replay::Safe, |_| {
                    tries.fetch_add(1, Ordering::SeqCst);
                    async { Err::<(), _>(server_error()) }
                })
                .await;
        }
        // Two retries fit the budget of 10; after that every call is made once.
        assert_eq!(tries.load(Ordering::SeqCst), 3 + 2);
    }

    #[tokio::test(start_paused = true)]
    async fn disabled_means_one_attempt() {
        let tries = AtomicU32::new(0);
        let _ = Retrier::new(RetryPolicy::disabled())
            .run("op", "GET", Replay::Safe, |_| {
                tries.fetch_add(1, Ordering::SeqCst);
                async { Err::<(), _>(server_error()) }
            })
            .await;
        assert_eq!(tries.load(Ordering::SeqCst), 1);
    }
}
