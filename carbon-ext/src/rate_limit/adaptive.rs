//! How many requests per window a client allows itself, learnt from the API's
//! 429s: the limit until a 429 says others use the key too, then a CUBIC curve
//! (as TCP's CUBIC and AWS's adaptive retry mode): down to 90% of the rate the
//! client had reached (the requests answered in the last window), quickly back to
//! that rate, a while there, then probing beyond it, faster and faster, up to the
//! limit. A 429 that comes before the rate is back (others need more of the key)
//! aims lower: at 95% of the rate reached, so that repeated 429s bring the rate
//! down geometrically.
//!
//! The cut is shallow because a refused request costs the key nothing here (the
//! API counts what it answers) and the client pauses until the Retry-After anyway:
//! the rate reached is this client's share, and the clients' shares add up to the
//! limit. The 10% it gives up leaves room for a client of the key that met 429s
//! more often than the others (without it, one could wait past its cursor's life).

use std::time::Duration;

use tokio::time::Instant;

/// The rate falls to this share of the rate reached, on a 429.
const DECREASE: f64 = 0.9;
/// How steeply the rate grows away from the rate reached at the last 429, as a
/// share of the limit per window³: with the limit 200, from 45 back to 50 in 0.8
/// windows, then beyond: 67 a window later, 157 two windows later.
const GROWTH: f64 = 0.05;
/// The least the allowed rate falls to, as a share of the limit.
const FLOOR: f64 = 0.05;

/// The requests per window a client allows itself.
#[derive(Debug)]
pub(super) struct AdaptiveRate {
    limit: f64,
    window: Duration,
    /// The last 429 that lowered the rate, if any.
    cut: Option<Cut>,
}

/// A lowering of the rate.
#[derive(Debug, Clone, Copy)]
struct Cut {
    at: Instant,
    /// The rate the curve returns to: the rate reached when the 429 came.
    target: f64,
    /// Windows from the cut until the rate is back at `target`.
    back_in: f64,
}

impl AdaptiveRate {
    /// The whole `limit` requests per `window`, until a 429.
    pub(super) fn new(limit: u32, window: Duration) -> Self {
        Self {
            limit: f64::from(limit),
            window,
            cut: None,
        }
    }

    fn floor(&self) -> f64 {
        (self.limit * FLOOR).max(1.0)
    }

    /// Requests allowed per window at `now` (at least 1).
    pub(super) fn allowed(&self, now: Instant) -> u32 {
        let Some(cut) = self.cut else {
            return self.limit as u32;
        };
        let windows = now.saturating_duration_since(cut.at).as_secs_f64() / self.window.as_secs_f64();
        let rate = GROWTH * self.limit * (windows - cut.back_in).powi(3) + cut.target;
        // A hair of slack, so that 0.9 × 20 is 18, not 17.999….
        (rate.clamp(self.floor(), self.limit) + 1e-9) as u32
    }

    /// The API answered 429 at `now`, after `sent` requests in the last window
    /// (the refused one among them; 0 when unknown): the rate falls to 90% of the
    /// rate reached (those answered, else the rate allowed), once per window
    /// however many requests meet 429s.
    pub(super) fn throttled(&mut self, now: Instant, sent: usize) {
        if self
            .cut
            .is_some_and(|cut| now.saturating_duration_since(cut.at) < self.window)
        {
            return;
        }
        let allowed = f64::from(self.allowed(now));
        // From the rate actually reached (as AWS's adaptive mode does), which may be
        // below the one allowed, or above it with requests sent to find room: clients
        // that share a key converge in one step.
        let reached = if sent > 0 {
            self.limit.min(sent.saturating_sub(1).max(1) as f64)
        } else {
            allowed
        };
        let reached = reached.max(self.floor());
        let target = match self.cut {
            // Not back yet where the last 429 came: the others need more.
            Some(cut) if reached < cut.target => reached * (1.0 + DECREASE) / 2.0,
            _ => reached,
        };
        let start = (reached * DECREASE).max(self.floor());
        self.cut = Some(Cut {
            at: now,
            target,
            back_in: ((target - start).max(0.0) / (GROWTH * self.limit)).cbrt(),
        });
        tracing::debug!(allowed = self.allowed(now), "rate limited by the API: slowing down");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_rate_falls_returns_quickly_then_probes_beyond() {
        let window = Duration::from_secs(10);
        let mut rate = AdaptiveRate::new(200, window);
        let t0 = Instant::now();
        assert_eq!(rate.allowed(t0), 200);
        // Four clients of the key reached 50 each: 50 answered, then the 429.
        rate.throttled(t0, 51);
        assert_eq!(rate.allowed(t0), 45);
        let at = |windows: f64| rate.allowed(t0 + window.mul_f64(windows));
        // Back near 50 within a window, and it stays there a while…
        assert!((48..=50).contains(&at(0.5)), "{}", at(0.5));
        assert!((49..=51).contains(&at(0.8)) && (49..=51).contains(&at(1.0)));
        // …then probes beyond, faster and faster, up to the limit.
        assert!(at(2.0) > 60 && at(3.0) > at(2.0) + 50, "{} {}", at(2.0), at(3.0));
        assert_eq!(at(4.0), 200);
    }

    #[tokio::test(start_paused = true)]
    async fn one_cut_per_window_and_never_below_the_floor() {
        let window = Duration::from_secs(10);
        let mut rate = AdaptiveRate::new(100, window);
        let t0 = Instant::now();
        rate.throttled(t0, 0);
        assert_eq!(rate.allowed(t0), 90, "from the limit when nothing was sent");
        let t9 = t0 + Duration::from_secs(9);
        let before = rate.allowed(t9);
        assert!(before > 90, "growing back: {before}");
        rate.throttled(t9, 0);
        assert_eq!(rate.allowed(t9), before, "the same window: no second cut");
        // Window after window, half of what it sends is refused: the rate falls
        // with what gets through, down to the floor and no further.
        let mut now = t0;
        for _ in 0..40 {
            now += window;
            let sent = rate.allowed(now) as usize / 2 + 1;
            rate.throttled(now, sent);
        }
        assert_eq!(rate.allowed(now), 5, "5% of the limit at least");
    }
}
