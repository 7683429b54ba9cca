//! The client-side rate limit.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// How many requests a client may start per time window.
///
/// The API allows 200 requests per 10 s per user. The limiter keeps the send times of
/// the last `requests` requests and lets a new one start only when the oldest of them
/// is `window` old: each of the `requests` tokens comes back exactly `window` after it
/// was used. That never exceeds the limit over any window, and a busy client gets
/// all of it. Shared by all clones of a client.
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

    /// At most `requests` requests started per `window`. The limiter remembers the
    /// start times of the last `requests` requests, so keep the number realistic (use
    /// no limit rather than a huge one).
    pub fn new(requests: u32, window: Duration) -> Self {
        Self {
            requests: requests.max(1),
            window,
        }
    }
}

impl Default for RateLimit {
    fn default() -> Self {
        Self::CARBON_DEFAULT
    }
}

/// The shared state behind a [`RateLimit`].
#[derive(Debug)]
pub(crate) struct RateLimiter {
    limit: RateLimit,
    /// Start times of the last `requests` sends (some may be in the future: reserved).
    sent: Mutex<VecDeque<Instant>>,
}

impl RateLimiter {
    pub(crate) fn new(limit: RateLimit) -> Self {
        Self {
            limit,
            sent: Mutex::new(VecDeque::with_capacity(limit.requests as usize)),
        }
    }

    /// Waits until one more request may start. The slot is reserved before waiting,
    /// so waiters are served in order; a cancelled wait leaves its slot unused, which
    /// only ever errs on the side of sending less.
    pub(crate) async fn acquire(&self) {
        let start_at = {
            let now = Instant::now();
            let mut sent = self.sent.lock().unwrap_or_else(|e| e.into_inner());
            let start_at = if sent.len() < self.limit.requests as usize {
                sent.back().map_or(now, |last| (*last).max(now))
            } else {
                let oldest = sent.pop_front().expect("the queue is full");
                (oldest + self.limit.window).max(now)
            };
            sent.push_back(start_at);
            start_at
        };
        if start_at > Instant::now() {
            tokio::time::sleep_until(start_at).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_burst_up_to_the_limit_then_one_per_freed_slot() {
        let limiter = RateLimiter::new(RateLimit::new(3, Duration::from_secs(10)));
        let t0 = Instant::now();
        for _ in 0..3 {
            limiter.acquire().await;
        }
        assert_eq!(Instant::now(), t0, "the first three go at once");
        limiter.acquire().await;
        assert_eq!(Instant::now() - t0, Duration::from_secs(10));
        tokio::time::advance(Duration::from_secs(3)).await;
        limiter.acquire().await;
        assert_eq!(
            Instant::now() - t0,
            Duration::from_secs(13),
            "the second slot was free already"
        );
    }
}
