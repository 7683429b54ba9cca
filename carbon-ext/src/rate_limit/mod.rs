//! The client-side rate limit: one limiter per client (all clones), adapting to
//! the 429s of a key others use too, and sharing the key's limit with the other
//! clients of the key on this host ([`LimitSharing`]).

#[cfg(unix)]
mod host;

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use crate::Error;

/// How many requests a client may start per time window.
///
/// The API allows 200 requests per 10 s per user. The limiter keeps the send times of
/// the requests of the last window and lets a new one start only while fewer than
/// the allowed number were sent in it: each slot comes back exactly `window` after
/// it was used. That never exceeds the limit over any window, and a busy client
/// gets all of it. Shared by all clones of a client.
///
/// The limit belongs to the API key, and other clients may be using the same key.
/// So the limiter adapts, as TCP and AWS's adaptive retry mode do: a 429 pauses
/// every request of the client until its `Retry-After` and lowers the number of
/// requests it allows itself per window to 70% of what it sent in the last window
/// (at most once per window); each request sent then raises it again by a little,
/// a few slots per window, up to the limit. Alone on a key it never meets a 429
/// and uses all of the limit.
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
}

/// How much of the limit is given back per 429: the rate falls to this share.
const DECREASE: f64 = 0.7;
/// Slots the allowed rate gains per window's worth of requests sent (additive
/// increase: from 70% back to all of 200 in about 15 windows).
const GAIN: f64 = 4.0;
/// The pause after a 429 that does not say how long to wait.
const DEFAULT_PAUSE: Duration = Duration::from_secs(1);
/// Slots claimed from the host's ledger at once, as a share of the allowed rate:
/// most requests then touch no file.
#[cfg(unix)]
const LEASE_SHARE: u32 = 40;
/// How long claimed slots may be spent: within the limit's slack, so a slot spent
/// late still falls in the window it was claimed for.
#[cfg(unix)]
const LEASE_TTL: Duration = Duration::from_millis(250);
/// The least the allowed rate falls to, as a share of the limit.
const FLOOR: f64 = 0.05;

/// The shared state behind a [`RateLimit`].
#[derive(Debug)]
pub(crate) struct RateLimiter {
    limit: RateLimit,
    /// Waiters queue here, first come first served; the one holding it is next.
    turn: tokio::sync::Mutex<()>,
    /// How many callers are in `acquire` (queued or holding the turn): while any
    /// are, `try_acquire` takes nothing, so that no one jumps the queue.
    waiting: AtomicUsize,
    window: Mutex<Window>,
    /// The key's ledger on this host, when the limit is shared.
    #[cfg(unix)]
    host: Option<host::HostLedger>,
}

/// The sends of the current window and what the limiter allows itself now.
#[derive(Debug)]
struct Window {
    /// Start times of the sends of the last window, oldest first.
    sent: VecDeque<Instant>,
    /// Requests allowed per window now: the limit, less after 429s.
    allowed: f64,
    /// No request starts before this (after a 429).
    paused_until: Option<Instant>,
    /// When the allowed rate was last lowered.
    lowered_at: Option<Instant>,
    /// Slots claimed from the host's ledger and not spent yet, and until when they
    /// may be.
    leased: u32,
    leased_until: Option<Instant>,
}

impl Window {
    /// Forgets the sends a whole `window` old: they have given their slots back.
    fn forget_before(&mut self, now: Instant, window: Duration) {
        while let Some(oldest) = self.sent.front() {
            match oldest.checked_add(window) {
                Some(at) if at <= now => {
                    self.sent.pop_front();
                }
                _ => break,
            }
        }
    }
}

impl RateLimiter {
    /// A limiter for `limit`, clamped to what it can honour (the client builder
    /// refuses such limits; a stack built by hand gets the nearest usable one),
    /// shared with no other client.
    pub(crate) fn new(limit: RateLimit) -> Self {
        let limit = RateLimit {
            requests: limit.requests.clamp(1, RateLimit::MAX_REQUESTS),
            window: limit.window.min(RateLimit::MAX_WINDOW),
        };
        Self {
            limit,
            turn: tokio::sync::Mutex::new(()),
            waiting: AtomicUsize::new(0),
            window: Mutex::new(Window {
                sent: VecDeque::new(),
                allowed: f64::from(limit.requests),
                paused_until: None,
                lowered_at: None,
                leased: 0,
                leased_until: None,
            }),
            #[cfg(unix)]
            host: None,
        }
    }

    /// A limiter shared as `sharing` says with the other clients of `client_id` at
    /// `base_url` on this host. A ledger that cannot be opened is said once (a
    /// warning) and the limiter works alone.
    pub(crate) fn shared(limit: RateLimit, sharing: &LimitSharing, client_id: &str, base_url: &str) -> Self {
        #[cfg(unix)]
        {
            let dir = match sharing {
                LimitSharing::Process => None,
                LimitSharing::Host => host::HostLedger::default_dir(),
                LimitSharing::HostIn(dir) => Some(dir.clone()),
            };
            let host = dir.and_then(|dir| match host::HostLedger::open(&dir, client_id, base_url) {
                Ok(ledger) => Some(ledger),
                Err(e) => {
                    tracing::warn!(
                        dir = %dir.display(),
                        error = %e,
                        "cannot share the rate limit with other processes of this key; this client keeps to it alone"
                    );
                    None
                }
            });
            Self {
                host,
                ..Self::new(limit)
            }
        }
        #[cfg(not(unix))]
        {
            let _ = (sharing, client_id, base_url);
            Self::new(limit)
        }
    }

    /// The host ledger's file, when the limit is shared.
    pub(crate) fn shared_file(&self) -> Option<&std::path::Path> {
        #[cfg(unix)]
        {
            self.host.as_ref().map(|h| h.path())
        }
        #[cfg(not(unix))]
        {
            None
        }
    }

    pub(crate) fn limit(&self) -> RateLimit {
        self.limit
    }

    /// The requests per window the limiter allows itself now (the limit, less
    /// after 429s).
    #[cfg(test)]
    pub(crate) fn allowed(&self) -> u32 {
        self.lock().allowed as u32
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Window> {
        self.window.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The API answered 429: every request of the client waits until `retry_after`
    /// has passed (a second when it does not say; a window at most, since a longer
    /// ask ends the call that got it instead), and the allowed rate falls (at most
    /// once per window, however many requests in flight meet the same 429).
    pub(crate) fn throttled(&self, retry_after: Option<Duration>) {
        let now = Instant::now();
        let mut window = self.lock();
        let pause = retry_after.unwrap_or(DEFAULT_PAUSE).min(self.limit.window);
        let until = now.checked_add(pause);
        window.paused_until = match (window.paused_until, until) {
            (Some(paused), Some(until)) => Some(paused.max(until)),
            (_, until) => until,
        };
        let lowered_lately = window
            .lowered_at
            .is_some_and(|at| now.saturating_duration_since(at) < self.limit.window);
        #[cfg(unix)]
        if let Some(host) = &self.host
            && let Err(e) = host.pause(pause)
        {
            tracing::debug!(error = %e, "could not share a 429's pause with other processes");
        }
        if !lowered_lately {
            // From the rate actually reached, when it is lower than the one allowed
            // (as AWS's adaptive mode does): clients that share a key converge in
            // one step instead of several.
            window.forget_before(now, self.limit.window);
            let floor = (f64::from(self.limit.requests) * FLOOR).max(1.0);
            let sent = window.sent.len() as f64;
            let reached = if sent > 0.0 {
                window.allowed.min(sent)
            } else {
                window.allowed
            };
            window.allowed = (reached * DECREASE).max(floor);
            window.lowered_at = Some(now);
            tracing::debug!(allowed = window.allowed as u64, "rate limited by the API: slowing down");
        }
    }

    /// Takes a slot if one is free and nobody is waiting for one: the common case,
    /// which then needs no waiting, no future and no turn in the queue. `false`:
    /// call [`RateLimiter::acquire`].
    pub(crate) fn try_acquire(&self) -> bool {
        if self.waiting.load(Ordering::Acquire) != 0 {
            return false;
        }
        matches!(self.take_slot(Instant::now()), Slot::Taken)
    }

    /// Waits until one more request may start, and returns how long it waited.
    ///
    /// Cancellation-safe: nothing is reserved while waiting, so a wait dropped under
    /// `timeout` or `select!` takes no slot and pushes no later request back.
    pub(crate) async fn acquire(&self) -> Duration {
        let started = Instant::now();
        let _waiting = Waiting::enter(&self.waiting);
        let _turn = self.turn.lock().await;
        loop {
            match self.take_slot(Instant::now()) {
                Slot::Taken => return started.elapsed(),
                Slot::FreesAt(at) => tokio::time::sleep_until(at).await,
                Slot::Never => std::future::pending::<()>().await,
            }
        }
    }

    /// Takes a slot at `now` if the window has one free and no pause holds (the
    /// caller holds the turn).
    fn take_slot(&self, now: Instant) -> Slot {
        let mut window = self.lock();
        if let Some(until) = window.paused_until {
            if until > now {
                return Slot::FreesAt(until);
            }
            window.paused_until = None;
        }
        #[cfg(unix)]
        if let Some(host) = &self.host {
            match self.take_shared_slot(host, &mut window, now) {
                Ok(slot) => return slot,
                Err(e) => {
                    tracing::debug!(error = %e, "the shared rate limit could not be read; this request keeps to its own")
                }
            }
        }
        window.forget_before(now, self.limit.window);
        let allowed = (window.allowed as usize).max(1);
        if window.sent.len() >= allowed {
            // The slot that frees first is that of the send `allowed` from the end.
            let holder = window.sent[window.sent.len() - allowed];
            return match holder.checked_add(self.limit.window) {
                Some(at) => Slot::FreesAt(at),
                // The window reaches past the end of time.
                None => Slot::Never,
            };
        }
        window.sent.push_back(now);
        self.raise(&mut window);
        Slot::Taken
    }

    /// Additive increase: about GAIN slots per window's worth of sends.
    fn raise(&self, window: &mut Window) {
        let limit = f64::from(self.limit.requests);
        if window.allowed < limit {
            window.allowed = (window.allowed + GAIN / window.allowed).min(limit);
        }
    }

    /// A slot from this process's lease, or from the host's ledger (a few at a
    /// time).
    #[cfg(unix)]
    fn take_shared_slot(&self, host: &host::HostLedger, window: &mut Window, now: Instant) -> std::io::Result<Slot> {
        if window.leased > 0 && window.leased_until.is_some_and(|until| now < until) {
            window.leased -= 1;
            self.raise(window);
            return Ok(Slot::Taken);
        }
        let allowed = (window.allowed as u32).max(1);
        let lease = (allowed / LEASE_SHARE).max(1);
        Ok(match host.claim(allowed, lease, self.limit.window)? {
            host::Claim::Granted(slots) => {
                window.leased = slots - 1;
                window.leased_until = now.checked_add(LEASE_TTL);
                self.raise(window);
                Slot::Taken
            }
            host::Claim::Wait(wait) => match now.checked_add(wait.max(Duration::from_millis(1))) {
                Some(at) => Slot::FreesAt(at),
                None => Slot::Never,
            },
        })
    }
}

/// Counts a caller of `acquire` for as long as it is there (also when its wait is
/// dropped).
struct Waiting<'a>(&'a AtomicUsize);

impl<'a> Waiting<'a> {
    fn enter(count: &'a AtomicUsize) -> Self {
        count.fetch_add(1, Ordering::AcqRel);
        Self(count)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// What the window had for a request.
enum Slot {
    /// A slot was free and is now taken.
    Taken,
    /// The next slot frees at this time.
    FreesAt(Instant),
    /// No slot ever frees.
    Never,
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
        assert_eq!(limiter.acquire().await, Duration::from_secs(10));
        assert_eq!(Instant::now() - t0, Duration::from_secs(10));
        tokio::time::advance(Duration::from_secs(3)).await;
        limiter.acquire().await;
        assert_eq!(
            Instant::now() - t0,
            Duration::from_secs(13),
            "the second slot was free already"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_cancelled_wait_gives_its_slot_back() {
        let limiter = RateLimiter::new(RateLimit::new(2, Duration::from_secs(10)));
        let t0 = Instant::now();
        limiter.acquire().await;
        limiter.acquire().await;
        // Five callers give up after a second each, while the limiter is saturated.
        for _ in 0..5 {
            let gave_up = tokio::time::timeout(Duration::from_secs(1), limiter.acquire()).await;
            assert!(gave_up.is_err());
        }
        // The next request goes as soon as the first slot frees, as if they never asked.
        limiter.acquire().await;
        assert_eq!(Instant::now() - t0, Duration::from_secs(10));
        limiter.acquire().await;
        assert_eq!(Instant::now() - t0, Duration::from_secs(10));
    }

    #[tokio::test(start_paused = true)]
    async fn a_free_slot_is_taken_without_waiting_but_never_ahead_of_a_waiter() {
        let limiter = std::sync::Arc::new(RateLimiter::new(RateLimit::new(2, Duration::from_secs(10))));
        assert!(limiter.try_acquire());
        assert!(limiter.try_acquire());
        assert!(!limiter.try_acquire(), "the window is full");
        // A waiter queues for the next slot; a later try must not jump it.
        let waiter = tokio::spawn({
            let limiter = limiter.clone();
            async move { limiter.acquire().await }
        });
        tokio::task::yield_now().await;
        tokio::time::advance(Duration::from_secs(10)).await;
        assert!(!limiter.try_acquire(), "the waiter holds the turn");
        assert_eq!(waiter.await.unwrap(), Duration::from_secs(10));
        assert!(limiter.try_acquire(), "the second slot freed with the first");
        assert!(!limiter.try_acquire());
        // A wait given up leaves no one in the queue.
        let gave_up = tokio::time::timeout(Duration::from_secs(1), limiter.acquire()).await;
        assert!(gave_up.is_err());
        tokio::time::advance(Duration::from_secs(10)).await;
        assert!(limiter.try_acquire(), "nobody is waiting any more");
    }

    #[tokio::test(start_paused = true)]
    async fn waiters_are_served_in_order() {
        let limiter = std::sync::Arc::new(RateLimiter::new(RateLimit::new(1, Duration::from_secs(1))));
        limiter.acquire().await;
        let order = std::sync::Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for i in 0..5 {
            let (limiter, order) = (limiter.clone(), order.clone());
            tasks.push(tokio::spawn(async move {
                limiter.acquire().await;
                order.lock().unwrap().push(i);
            }));
            tokio::task::yield_now().await;
        }
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(*order.lock().unwrap(), vec![0, 1, 2, 3, 4]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_pauses_every_request_then_the_rate_falls_and_recovers() {
        let limiter = RateLimiter::new(RateLimit::new(100, Duration::from_secs(10)));
        let t0 = Instant::now();
        for _ in 0..100 {
            assert!(limiter.try_acquire());
        }
        limiter.throttled(Some(Duration::from_secs(5)));
        assert!(!limiter.try_acquire(), "paused for everyone");
        assert_eq!(limiter.allowed(), 70, "the rate fell to 70%");
        // More 429s from requests of the same burst lower it no further.
        limiter.throttled(None);
        limiter.throttled(None);
        assert_eq!(limiter.allowed(), 70);
        limiter.acquire().await;
        assert_eq!(
            Instant::now() - t0,
            Duration::from_secs(10),
            "until the Retry-After, then a free slot"
        );
        // Without 429s it climbs back, a few slots per window, to the whole limit.
        let t1 = Instant::now();
        for _ in 0..2_000 {
            limiter.acquire().await;
        }
        assert_eq!(limiter.allowed(), 100);
        let windows = (Instant::now() - t1).as_secs_f64() / 10.0;
        assert!(windows < 25.0, "2000 requests took {windows} windows");
        // A later 429, a window on, lowers it again; it never falls below the floor.
        tokio::time::advance(Duration::from_secs(10)).await;
        for _ in 0..40 {
            limiter.throttled(Some(Duration::ZERO));
            tokio::time::advance(Duration::from_secs(10)).await;
        }
        assert_eq!(limiter.allowed(), 5, "5% of the limit at least");
        // A day-long Retry-After pauses the others for a window, not a day.
        let t2 = Instant::now();
        limiter.throttled(Some(Duration::from_secs(86_400)));
        limiter.acquire().await;
        assert_eq!(Instant::now() - t2, Duration::from_secs(10));
    }

    #[tokio::test(start_paused = true)]
    async fn the_rate_falls_from_what_was_sent_when_that_was_less() {
        // Others use the key: this client sent 20 in the window, though it may send 100.
        let limiter = RateLimiter::new(RateLimit::new(100, Duration::from_secs(10)));
        for _ in 0..20 {
            assert!(limiter.try_acquire());
        }
        limiter.throttled(None);
        assert_eq!(
            limiter.allowed(),
            14,
            "70% of the 20 it reached, not of the 100 allowed"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn sends_of_a_window_ago_are_not_counted_as_reached() {
        // 50 sends, then a 429 a window later (a slow answer): none of those 50 is
        // in the window that was refused, so the rate falls from what is allowed.
        let limiter = RateLimiter::new(RateLimit::new(100, Duration::from_secs(10)));
        for _ in 0..50 {
            assert!(limiter.try_acquire());
        }
        tokio::time::advance(Duration::from_secs(11)).await;
        limiter.throttled(None);
        assert_eq!(limiter.allowed(), 70, "not 70% of 50 sends a window old");
    }

    #[tokio::test(start_paused = true)]
    async fn alone_on_a_key_the_whole_limit_is_used() {
        let limiter = RateLimiter::new(RateLimit::new(200, Duration::from_secs(10)));
        let t0 = Instant::now();
        for _ in 0..2_000 {
            limiter.acquire().await;
        }
        // 2000 requests: the first 200 at once, then 200 per window.
        assert_eq!(Instant::now() - t0, Duration::from_secs(90));
        assert_eq!(limiter.allowed(), 200);
    }

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
}
