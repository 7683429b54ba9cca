//! Waiters: poll a record until it reaches the state you need, with backoff, an
//! overall deadline, and a typed outcome. Named `wait_until_<resource>_<state>`,
//! each returns a [`Waiter`] to await, with its [`WaitConfig`] and progress
//! chosen on it or left to their defaults (`waiter.rs`).
//!
//! Unlike a `sleep(30)` loop, a waiter never fails on a status it does not know: an
//! unknown status means "not there yet" (and is logged once). A transient failure
//! (an outage that outlasts one request's retries) does not end a long wait either,
//! unless it persists past [`WaitConfig::error_budget`]. Waiting is
//! cancellation-safe: drop the future and nothing is left running.
//!
//! This module is the poller itself (pacing, deadline, error budget), for
//! conditions of any kind ([`wait_until`]); `carbon.rs` holds what Carbon's
//! records mean (which statuses are done or failed) and the named waiters.

mod carbon;
mod waiter;

use std::time::Duration;

use tokio::time::Instant;

pub use carbon::{PackingProgress, classify_run};
pub use waiter::{RecordWaiter, Waiter};

use crate::retry::Curve;
use crate::{Error, Progress};

/// How to poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct WaitConfig {
    /// First pause between polls.
    pub min_interval: Duration,
    /// Longest pause; each pause is 1.5 times the one before, up to this.
    pub max_interval: Duration,
    /// Give up after this long in total.
    pub timeout: Duration,
    /// How long polls may keep failing with transient errors (after the client's
    /// own retries) before the wait ends with the error.
    pub error_budget: Duration,
}

impl Default for WaitConfig {
    /// 5 s growing to 60 s, for up to 24 hours, riding out 15 minutes of errors:
    /// packing and printing take hours.
    fn default() -> Self {
        Self {
            min_interval: Self::FIRST_INTERVAL,
            max_interval: Self::LONGEST_INTERVAL,
            timeout: Duration::from_secs(24 * 3600),
            error_budget: Duration::from_secs(15 * 60),
        }
    }
}

impl WaitConfig {
    /// The first pause between polls unless told otherwise: 5 s.
    pub const FIRST_INTERVAL: Duration = Duration::from_secs(5);
    /// The longest pause unless told otherwise: a minute.
    pub const LONGEST_INTERVAL: Duration = Duration::from_secs(60);

    /// Polls `first` apart at first, the pauses growing to a minute (or staying
    /// at `first`, if that is longer), for at most `timeout`.
    pub fn every(first: Duration, timeout: Duration) -> Self {
        Self::new(first, Self::LONGEST_INTERVAL, timeout)
    }

    /// These defaults, for at most `timeout`.
    pub fn with_timeout(timeout: Duration) -> Self {
        Self::every(Self::FIRST_INTERVAL, timeout)
    }

    /// Polls between `min` and `max` apart, for at most `timeout` (15 minutes of
    /// error budget).
    pub fn new(min: Duration, max: Duration, timeout: Duration) -> Self {
        Self {
            min_interval: min,
            max_interval: max.max(min),
            timeout,
            ..Self::default()
        }
    }

    setters! {
        /// How long transient errors may persist before the wait ends with one
        /// (`Duration::ZERO`: the first error ends it).
        pub fn with_error_budget(budget: Duration) => error_budget;
    }
}

/// How a wait ended.
#[derive(Debug, Clone, PartialEq)]
pub enum WaitOutcome<T> {
    /// The state was reached; the last record.
    Done(T),
    /// The record reached a state it cannot come back from; the final record.
    Failed(T),
    /// The deadline passed; the last record seen, if any.
    TimedOut(Option<T>),
}

impl<T> WaitOutcome<T> {
    /// The record, whatever the outcome.
    pub fn record(&self) -> Option<&T> {
        match self {
            WaitOutcome::Done(t) | WaitOutcome::Failed(t) => Some(t),
            WaitOutcome::TimedOut(t) => t.as_ref(),
        }
    }

    /// Whether the wait succeeded.
    pub fn is_done(&self) -> bool {
        matches!(self, WaitOutcome::Done(_))
    }
}

/// What a poll found.
#[derive(Debug, Clone, PartialEq)]
pub enum Poll<T> {
    /// Reached.
    Done(T),
    /// Will never be reached.
    Failed(T),
    /// Not yet.
    Pending(T),
}

impl Poll<()> {
    /// The same verdict, carrying `value`.
    pub fn carrying<T>(self, value: T) -> Poll<T> {
        match self {
            Poll::Done(()) => Poll::Done(value),
            Poll::Failed(()) => Poll::Failed(value),
            Poll::Pending(()) => Poll::Pending(value),
        }
    }
}

/// The shortest pause between two polls.
const MIN_POLL_INTERVAL: Duration = Duration::from_millis(10);

/// Paces the polls of one wait: growing pauses, and the deadline.
struct Pacer {
    deadline: Option<Instant>,
    curve: Curve,
    polls: u32,
}

impl Pacer {
    fn new(config: WaitConfig) -> Self {
        // A zero pause would never grow: poll at least 10 ms apart.
        let first = config.min_interval.max(MIN_POLL_INTERVAL);
        Self {
            // No deadline at all when it lies beyond what a clock can hold.
            deadline: Instant::now().checked_add(config.timeout),
            curve: Curve {
                first,
                factor: 1.5,
                cap: config.max_interval.max(first),
            },
            polls: 0,
        }
    }

    /// Sleeps until the next poll. `false` when the deadline has passed: stop. The
    /// last pause ends at the deadline, so the poll after it is a last look.
    async fn pause(&mut self) -> bool {
        self.polls = self.polls.saturating_add(1);
        let pause = self.curve.nth(self.polls);
        self.wait(pause).await
    }

    /// Sleeps `pause`, or until the deadline if that comes first; `false` when the
    /// deadline has passed.
    async fn wait(&self, pause: Duration) -> bool {
        match self.deadline {
            Some(deadline) => {
                let now = Instant::now();
                if now >= deadline {
                    return false;
                }
                tokio::time::sleep(pause.min(deadline - now)).await;
            }
            None => tokio::time::sleep(pause).await,
        }
        true
    }
}

/// Polls `check` until it reports done or failed, or `config.timeout` passes. For
/// conditions of your own. A transient error from `check` (see
/// [`Error::is_retryable`]) is ridden out for up to `config.error_budget`; any other
/// error ends the wait.
pub async fn wait_until<T, F, Fut>(config: WaitConfig, check: F) -> Result<WaitOutcome<T>, Error>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Poll<T>, Error>>,
{
    poll_until(config, &Progress::none(), check).await
}

/// [`wait_until`], reporting every record polled to `progress`.
async fn poll_until<T, F, Fut>(
    config: WaitConfig,
    progress: &Progress<T>,
    mut check: F,
) -> Result<WaitOutcome<T>, Error>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Poll<T>, Error>>,
{
    let mut pacer = Pacer::new(config);
    let mut failing_since: Option<Instant> = None;
    let mut last = None;
    loop {
        match check().await {
            Ok(Poll::Done(t)) => {
                progress.report(&t);
                return Ok(WaitOutcome::Done(t));
            }
            Ok(Poll::Failed(t)) => {
                progress.report(&t);
                return Ok(WaitOutcome::Failed(t));
            }
            Ok(Poll::Pending(t)) => {
                progress.report(&t);
                failing_since = None;
                last = Some(t);
            }
            Err(error) if error.is_retryable() => {
                let since = *failing_since.get_or_insert_with(Instant::now);
                // A 429 that asks for a wait: not before then, and only if it fits.
                let asked = match &error {
                    Error::RateLimited {
                        retry_after: Some(wait),
                        ..
                    } => *wait,
                    _ => Duration::ZERO,
                };
                if since.elapsed().saturating_add(asked) >= config.error_budget {
                    return Err(error);
                }
                tracing::warn!(%error, "polling failed; trying again at the next poll");
                if !pacer.wait(asked).await {
                    return Ok(WaitOutcome::TimedOut(last));
                }
            }
            Err(error) => return Err(error),
        }
        if !pacer.pause().await {
            return Ok(WaitOutcome::TimedOut(last));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn quick() -> WaitConfig {
        WaitConfig::new(
            Duration::from_secs(10),
            Duration::from_secs(60),
            Duration::from_secs(600),
        )
    }

    #[tokio::test(start_paused = true)]
    async fn done_after_some_polls_with_growing_pauses() {
        let polls = Arc::new(AtomicU32::new(0));
        let start = Instant::now();
        let outcome = wait_until(quick(), || {
            let n = polls.fetch_add(1, Ordering::SeqCst) + 1;
            async move { Ok(if n == 4 { Poll::Done(n) } else { Poll::Pending(n) }) }
        })
        .await
        .unwrap();
        assert_eq!(outcome, WaitOutcome::Done(4));
        // Pauses of 10, 15 and 22.5 seconds.
        assert_eq!(Instant::now() - start, Duration::from_millis(47_500));
    }

    #[tokio::test(start_paused = true)]
    async fn no_deadline_and_zero_pauses_are_safe() {
        let mut pacer = Pacer::new(WaitConfig::new(Duration::ZERO, Duration::ZERO, Duration::MAX));
        let start = Instant::now();
        assert!(pacer.pause().await);
        assert_eq!(Instant::now() - start, MIN_POLL_INTERVAL);
    }

    #[tokio::test(start_paused = true)]
    async fn failed_is_final() {
        let outcome = wait_until(quick(), || async { Ok(Poll::Failed("broken")) })
            .await
            .unwrap();
        assert_eq!(outcome, WaitOutcome::Failed("broken"));
    }

    #[tokio::test(start_paused = true)]
    async fn times_out_with_the_last_record() {
        let start = Instant::now();
        let polls = Arc::new(AtomicU32::new(0));
        let outcome = wait_until(quick(), || {
            std::future::ready(Ok(Poll::Pending(polls.fetch_add(1, Ordering::SeqCst))))
        })
        .await
        .unwrap();
        assert!(matches!(outcome, WaitOutcome::TimedOut(Some(_))));
        assert_eq!(Instant::now() - start, Duration::from_secs(600));
    }

    #[tokio::test(start_paused = true)]
    async fn dropping_the_wait_stops_polling() {
        let polls = Arc::new(AtomicU32::new(0));
        let counter = polls.clone();
        let wait = tokio::spawn(async move {
            wait_until(quick(), || {
                std::future::ready(Ok(Poll::Pending(counter.fetch_add(1, Ordering::SeqCst))))
            })
            .await
        });
        tokio::time::sleep(Duration::from_secs(30)).await;
        wait.abort();
        let seen = polls.load(Ordering::SeqCst);
        tokio::time::sleep(Duration::from_secs(600)).await;
        assert_eq!(polls.load(Ordering::SeqCst), seen);
    }
}
