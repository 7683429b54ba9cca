//! The limiter behind a client's [`RateLimit`]: a sliding window of sends, the
//! adaptive rate, pauses after 429s, and claims from the key's shared ledger.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use super::adaptive::AdaptiveRate;
use super::ledger::{Ask, Claim, Ledger, Unspent};
use super::{LimitSharing, RateLimit};
use crate::Error;

/// The pause after a 429 that does not say how long to wait.
const DEFAULT_PAUSE: Duration = Duration::from_secs(1);
/// The most slots claimed from a shared ledger at once, as a share of the allowed
/// rate: a busy client then touches the file or Redis once per few requests.
const LEASE_SHARE: u32 = 40;
/// How long claimed slots may be spent: well within the default limit's quarter
/// second of slack, so that a slot spent late, and sent over a slower network
/// than another host's, still falls in the window it was claimed for. A client
/// claims as many as it sent in the last such span, plus one: slots a slow client
/// would not spend in time are not claimed.
const LEASE_TTL: Duration = Duration::from_millis(150);

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
    /// The key's ledger, when the limit is shared with other clients of the key.
    ledger: Option<Ledger>,
}

/// The sends of the current window and what the limiter allows itself now.
#[derive(Debug)]
struct Window {
    /// Start times of the sends of the last window, oldest first (shared or not:
    /// they are what the client reached, and what it keeps to if the ledger fails).
    sent: VecDeque<Instant>,
    /// Requests allowed per window: the limit, less after 429s.
    rate: AdaptiveRate,
    /// No request starts before this (after a 429).
    paused_until: Option<Instant>,
    /// The slots of the last claim from the ledger.
    lease: Option<Lease>,
    /// The last 429, and the last request sent beyond the allowed rate to find
    /// room that other clients of the key left (see [`Window::probe_at`]).
    last_throttled: Option<Instant>,
    last_probe: Option<Instant>,
}

/// Slots claimed from the ledger for this client.
#[derive(Debug, Clone, Copy)]
struct Lease {
    token: u64,
    granted: u32,
    /// Not spent yet.
    left: u32,
    /// They may be spent until then.
    until: Instant,
}

impl Lease {
    /// What is left of it, to give back.
    fn unspent(&self) -> Option<Unspent> {
        (self.left > 0).then_some(Unspent {
            token: self.token,
            granted: self.granted,
            unspent: self.left,
        })
    }
}

impl Window {
    /// When a client keeping to the key's limit alone may next send one request
    /// beyond the rate it allows itself after a 429 (`allowed`): `None` while that rate is the
    /// whole limit (never beyond it) or the window holds the limit's worth of sends.
    ///
    /// The allowed rate is a guess at this client's share of the key; when another
    /// client stops (its job done), only requests beyond that guess can find the
    /// room it left before the curve grows into it, windows later. So a client held
    /// back by its own rate sends one more at the limit's mean spacing, until one is
    /// answered 429; then not for a window (the 429 lowers the rate as any other).
    fn probe_at(&self, now: Instant, allowed: u32, limit: RateLimit) -> Option<Instant> {
        if allowed >= limit.requests || self.sent.len() >= limit.requests as usize {
            return None;
        }
        let after_429 = self.last_throttled.and_then(|at| at.checked_add(limit.window));
        let spacing = limit.window / limit.requests;
        let after_probe = self.last_probe.and_then(|at| at.checked_add(spacing));
        Some(after_429.max(after_probe).unwrap_or(now))
    }

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
        Self::with_ledger(limit, None)
    }

    fn with_ledger(limit: RateLimit, ledger: Option<Ledger>) -> Self {
        let limit = RateLimit {
            requests: limit.requests.clamp(1, RateLimit::MAX_REQUESTS),
            window: limit.window.clamp(Duration::from_millis(1), RateLimit::MAX_WINDOW),
        };
        Self {
            limit,
            turn: tokio::sync::Mutex::new(()),
            waiting: AtomicUsize::new(0),
            window: Mutex::new(Window {
                sent: VecDeque::new(),
                rate: AdaptiveRate::new(limit.requests, limit.window),
                paused_until: None,
                lease: None,
                last_throttled: None,
                last_probe: None,
            }),
            ledger,
        }
    }

    /// A limiter shared as `sharing` says with the other clients of `client_id` at
    /// `base_url`. A host ledger that cannot be opened is said once (a warning) and
    /// the limiter works alone; a Redis URL that cannot work is refused.
    pub(crate) fn shared(
        limit: RateLimit,
        sharing: &LimitSharing,
        client_id: &str,
        base_url: &str,
    ) -> Result<Self, Error> {
        Ok(Self::with_ledger(limit, Ledger::open(sharing, client_id, base_url)?))
    }

    /// The host ledger's file, when the limit is shared through one.
    pub(crate) fn shared_file(&self) -> Option<&std::path::Path> {
        self.ledger.as_ref().and_then(Ledger::file)
    }

    pub(crate) fn limit(&self) -> RateLimit {
        self.limit
    }

    /// The requests per window the limiter allows itself now (the limit, less
    /// after 429s).
    #[cfg(test)]
    pub(crate) fn allowed(&self) -> u32 {
        self.lock().rate.allowed(Instant::now())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Window> {
        self.window.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The API answered 429: every request of the client (and of the clients it
    /// shares the limit with) waits until `retry_after` has passed (a second when
    /// it does not say; a window at most, since a longer ask ends the call that got
    /// it instead), and the allowed rate falls (at most once per window, however
    /// many requests in flight meet the same 429). Returns the pause, for
    /// [`RateLimiter::share_pause`].
    pub(crate) fn throttled(&self, retry_after: Option<Duration>) -> Duration {
        let now = Instant::now();
        let mut window = self.lock();
        let pause = retry_after.unwrap_or(DEFAULT_PAUSE).min(self.limit.window);
        let until = now.checked_add(pause);
        window.paused_until = match (window.paused_until, until) {
            (Some(paused), Some(until)) => Some(paused.max(until)),
            (_, until) => until,
        };
        // Claimed before the 429: not to be spent into the pause's end.
        window.lease = None;
        window.forget_before(now, self.limit.window);
        window.last_throttled = Some(now);
        // What this client sent is what it reached when it keeps to the limit
        // alone; a shared ledger counts every client's sends against the allowed
        // rate, so that is what it reached.
        let sent = if self.ledger.is_some() { 0 } else { window.sent.len() };
        window.rate.throttled(now, sent);
        pause
    }

    /// Tells the clients this limit is shared with to pause too (best effort).
    pub(crate) async fn share_pause(&self, pause: Duration) {
        if let Some(ledger) = &self.ledger {
            ledger.pause(pause, self.limit.window).await;
        }
    }

    /// Takes a slot if one is free and nobody is waiting for one: the common case,
    /// which then needs no waiting, no future and no turn in the queue. `false`:
    /// call [`RateLimiter::acquire`].
    pub(crate) fn try_acquire(&self) -> bool {
        if self.waiting.load(Ordering::Acquire) != 0 {
            return false;
        }
        matches!(self.take_slot(Instant::now(), false), Slot::Taken)
    }

    /// Waits until one more request may start, and returns how long it waited.
    ///
    /// Cancellation-safe: nothing is reserved while waiting, so a wait dropped under
    /// `timeout` or `select!` takes no slot and pushes no later request back (a
    /// wait dropped while a claim is on its way to Redis may cost the key the few
    /// slots of that claim, for one window).
    pub(crate) async fn acquire(&self) -> Duration {
        let started = Instant::now();
        let _waiting = Waiting::enter(&self.waiting);
        let _turn = self.turn.lock().await;
        let mut alone = false;
        loop {
            match self.take_slot(Instant::now(), alone) {
                Slot::Taken => return started.elapsed(),
                Slot::FreesAt(at) => tokio::time::sleep_until(at).await,
                Slot::Never => std::future::pending::<()>().await,
                Slot::Claim { ledger, allowed, lease } => {
                    // What the last claim left unspent goes back with this one.
                    let unspent = self.lock().lease.take().and_then(|lease| lease.unspent());
                    match ledger
                        .claim(Ask::new(allowed, lease, self.limit.window).giving_back(unspent))
                        .await
                    {
                        Ok(Claim::Granted { slots, token }) => {
                            if self.granted(slots, token, Instant::now()) {
                                return started.elapsed();
                            }
                        }
                        Ok(Claim::Wait(wait)) => tokio::time::sleep(wait).await,
                        Err(e) => {
                            tracing::debug!(error = %e, "the shared rate limit could not be used; this request keeps to the client's own");
                            alone = true;
                        }
                    }
                }
            }
        }
    }

    /// Takes a slot at `now` if no pause holds and the window has one free: from
    /// this client's lease when the limit is shared (else the ledger must be asked),
    /// from its own window when it is not or `alone` says the ledger failed.
    fn take_slot(&self, now: Instant, alone: bool) -> Slot<'_> {
        let mut window = self.lock();
        if let Some(until) = window.paused_until {
            if until > now {
                return Slot::FreesAt(until);
            }
            window.paused_until = None;
        }
        window.forget_before(now, self.limit.window);
        let allowed = window.rate.allowed(now).max(1);
        if let Some(ledger) = &self.ledger
            && !alone
        {
            if let Some(lease) = &mut window.lease
                && lease.left > 0
                && now < lease.until
            {
                lease.left -= 1;
                window.sent.push_back(now);
                return Slot::Taken;
            }
            // As many as were sent in the last lease's time, and one more.
            let recent = window
                .sent
                .iter()
                .rev()
                .take_while(|at| now.saturating_duration_since(**at) < LEASE_TTL)
                .count() as u32;
            return Slot::Claim {
                ledger,
                allowed,
                lease: (recent + 1).min(allowed / LEASE_SHARE).max(1),
            };
        }
        let allowed = allowed as usize;
        if window.sent.len() >= allowed {
            // The slot that frees first is that of the send `allowed` from the end.
            let holder = window.sent[window.sent.len() - allowed];
            let frees_at = holder.checked_add(self.limit.window);
            let probe_at = window.probe_at(now, allowed as u32, self.limit);
            if probe_at.is_none_or(|at| at > now) {
                return match frees_at.into_iter().chain(probe_at).min() {
                    Some(at) => Slot::FreesAt(at),
                    // The window reaches past the end of time.
                    None => Slot::Never,
                };
            }
            window.last_probe = Some(now);
        }
        window.sent.push_back(now);
        Slot::Taken
    }

    /// The ledger granted `slots` at `now`: one for this request, the rest leased;
    /// `false` if a 429 came meanwhile (the request waits for its pause; the slots
    /// are given up).
    fn granted(&self, slots: u32, token: u64, now: Instant) -> bool {
        let mut window = self.lock();
        if window.paused_until.is_some_and(|until| until > now) {
            return false;
        }
        window.lease = now.checked_add(LEASE_TTL).map(|until| Lease {
            token,
            granted: slots,
            left: slots.saturating_sub(1),
            until,
        });
        window.sent.push_back(now);
        true
    }
}

impl Drop for RateLimiter {
    /// Slots claimed and not spent are given back as the client goes.
    fn drop(&mut self) {
        let unspent = self.lock().lease.take().and_then(|lease| lease.unspent());
        if let (Some(ledger), Some(unspent)) = (&self.ledger, unspent) {
            ledger.give_back(unspent);
        }
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
enum Slot<'a> {
    /// A slot was free and is now taken.
    Taken,
    /// The next slot frees at this time.
    FreesAt(Instant),
    /// No slot ever frees.
    Never,
    /// The key's ledger is to be asked for slots.
    Claim {
        ledger: &'a Ledger,
        allowed: u32,
        lease: u32,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A limiter of `rate` requests per 10 s, for this client alone.
    fn per_ten_seconds(rate: u32) -> RateLimiter {
        RateLimiter::new(RateLimit::new(rate, Duration::from_secs(10)))
    }

    /// Takes `count` slots, one after the other.
    async fn acquire_in_a_row(limiter: &RateLimiter, count: usize) {
        for _ in 0..count {
            limiter.acquire().await;
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_burst_up_to_the_limit_then_one_per_freed_slot() {
        let limiter = per_ten_seconds(3);
        let t0 = Instant::now();
        acquire_in_a_row(&limiter, 3).await;
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
        let limiter = per_ten_seconds(2);
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
        let limiter = std::sync::Arc::new(per_ten_seconds(2));
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
        let limiter = per_ten_seconds(100);
        let t0 = Instant::now();
        for _ in 0..100 {
            assert!(limiter.try_acquire());
        }
        limiter.throttled(Some(Duration::from_secs(5)));
        assert!(!limiter.try_acquire(), "paused for everyone");
        assert_eq!(limiter.allowed(), 89, "the rate fell to 90% of the 99 answered");
        // More 429s from requests of the same burst lower it no further.
        limiter.throttled(None);
        limiter.throttled(None);
        assert_eq!(limiter.allowed(), 89);
        limiter.acquire().await;
        assert_eq!(
            Instant::now() - t0,
            Duration::from_secs(10),
            "until the Retry-After, then a free slot"
        );
        // Without 429s it climbs back within a few windows, to the whole limit.
        let t1 = Instant::now();
        acquire_in_a_row(&limiter, 2_000).await;
        assert_eq!(limiter.allowed(), 100);
        let windows = (Instant::now() - t1).as_secs_f64() / 10.0;
        assert!(windows < 25.0, "2000 requests took {windows} windows");
        // Later, others take nearly all of the key: window after window, one request
        // gets through before a 429. The rate falls to the floor, not below.
        for _ in 0..40 {
            tokio::time::advance(Duration::from_secs(10)).await;
            limiter.acquire().await;
            limiter.throttled(Some(Duration::ZERO));
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
        let limiter = per_ten_seconds(100);
        for _ in 0..20 {
            assert!(limiter.try_acquire());
        }
        limiter.throttled(None);
        assert_eq!(
            limiter.allowed(),
            17,
            "90% of the 19 answered (the 20th was refused), not of the 100 allowed"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn sends_of_a_window_ago_are_not_counted_as_reached() {
        // 50 sends, then a 429 a window later (a slow answer): none of those 50 is
        // in the window that was refused, so the rate falls from what is allowed.
        let limiter = per_ten_seconds(100);
        for _ in 0..50 {
            assert!(limiter.try_acquire());
        }
        tokio::time::advance(Duration::from_secs(11)).await;
        limiter.throttled(None);
        assert_eq!(limiter.allowed(), 90, "not 90% of 50 sends a window old");
    }

    /// How many of `limiter`'s requests in a row start within a window from now.
    async fn sent_within_a_window(limiter: &RateLimiter) -> u32 {
        let end = Instant::now() + limiter.limit().window;
        let mut sent = 0;
        loop {
            limiter.acquire().await;
            if Instant::now() >= end {
                return sent;
            }
            sent += 1;
        }
    }

    #[tokio::test(start_paused = true)]
    async fn held_back_by_its_own_rate_it_finds_the_room_others_left() {
        let window = Duration::from_secs(10);
        let limiter = RateLimiter::new(RateLimit::new(100, window));
        for _ in 0..50 {
            assert!(limiter.try_acquire());
        }
        limiter.throttled(Some(Duration::ZERO));
        assert_eq!(limiter.allowed(), 44, "90% of the 49 answered");
        // The others are gone: a window on, the rate is back near 49, and the
        // requests beyond it, one per tenth of a second, find the rest of the limit
        // (and nothing beyond it).
        tokio::time::advance(window).await;
        assert_eq!(sent_within_a_window(&limiter).await, 100);
        // A 429 says the room is taken: for a window, no request goes beyond the
        // rate, which fell again.
        limiter.throttled(Some(Duration::ZERO));
        let after = limiter.allowed();
        assert!(after < 60, "{after}");
        let sent = sent_within_a_window(&limiter).await;
        assert!(sent <= limiter.allowed(), "{sent} sent, {} allowed", limiter.allowed());
    }

    #[tokio::test(start_paused = true)]
    async fn alone_on_a_key_the_whole_limit_is_used() {
        let limiter = per_ten_seconds(200);
        let t0 = Instant::now();
        acquire_in_a_row(&limiter, 2_000).await;
        // 2000 requests: the first 200 at once, then 200 per window.
        assert_eq!(Instant::now() - t0, Duration::from_secs(90));
        assert_eq!(limiter.allowed(), 200);
    }

    /// Limiters sharing their limit through a host ledger.
    #[cfg(unix)]
    mod shared {
        use super::*;

        /// A limiter of `rate` per 10 s, shared through a host ledger in a
        /// directory of its own (kept as long as the test holds it).
        fn host_shared(rate: u32) -> (tempfile::TempDir, RateLimiter) {
            let dir = tempfile::tempdir().unwrap();
            let limit = RateLimit::new(rate, Duration::from_secs(10));
            let sharing = LimitSharing::HostIn(dir.path().to_path_buf());
            (dir, RateLimiter::shared(limit, &sharing, "k", "u").unwrap())
        }

        /// The slots of each claim in the host ledger, oldest first.
        fn claims(limiter: &RateLimiter) -> Vec<u32> {
            claims_in(limiter.shared_file().unwrap())
        }

        fn claims_in(ledger: &std::path::Path) -> Vec<u32> {
            std::fs::read_to_string(ledger)
                .unwrap()
                .lines()
                .skip(2)
                .filter(|line| !line.starts_with("wait "))
                .map(|line| line.split_once(' ').unwrap().1.parse().unwrap())
                .collect()
        }

        #[tokio::test(start_paused = true)]
        async fn a_shared_limit_falls_from_what_every_client_sent() {
            // The ledger counts every client's sends against the allowed rate: a 429
            // lowers it from the rate allowed, not from this client's own few sends.
            let (_dir, limiter) = host_shared(200);
            acquire_in_a_row(&limiter, 20).await;
            limiter.throttled(None);
            assert_eq!(limiter.allowed(), 180);
        }

        #[tokio::test(start_paused = true)]
        async fn a_client_claims_the_slots_it_will_spend() {
            let (_dir, limiter) = host_shared(400);
            // One request a second: each claims one slot, none left to go to waste.
            for _ in 0..3 {
                limiter.acquire().await;
                tokio::time::advance(Duration::from_secs(1)).await;
            }
            assert_eq!(claims(&limiter), vec![1, 1, 1]);
            // Requests in a row: claims grow with them, up to a fortieth of the rate.
            acquire_in_a_row(&limiter, 40).await;
            let claimed = claims(&limiter);
            assert_eq!(claimed.iter().copied().max(), Some(10), "{claimed:?}");
            let total: u32 = claimed.iter().sum();
            assert!(total < 43 + 10, "claimed {total} for 43 requests: {claimed:?}");
            // As the client goes, what it claimed and did not spend is given back.
            let ledger = limiter.shared_file().unwrap().to_path_buf();
            drop(limiter);
            assert_eq!(claims_in(&ledger).iter().sum::<u32>(), 43);
        }

        #[tokio::test(start_paused = true)]
        async fn slots_granted_after_a_429_wait_for_its_pause() {
            let (_dir, limiter) = host_shared(400);
            limiter.acquire().await;
            limiter.throttled(Some(Duration::from_secs(3)));
            assert!(
                !limiter.granted(5, 0, Instant::now()),
                "no request goes during the pause"
            );
            let t0 = Instant::now();
            limiter.acquire().await;
            assert_eq!(Instant::now() - t0, Duration::from_secs(3));
        }
    }
}
