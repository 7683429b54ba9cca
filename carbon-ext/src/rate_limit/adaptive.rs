//! How many requests per window a client allows itself, learnt from the API's
//! 429s: the limit until a 429 says others use the key too, then a CUBIC curve
//! (as TCP's CUBIC and AWS's adaptive retry mode): down to 70% of the rate the
//! client had reached, quickly back to that rate, a while there, then probing
//! beyond it, faster and faster, up to the limit. A 429 that comes before the
//! rate is back (others need more of the key) aims lower: at 85% of the rate
//! reached, so that repeated 429s bring the rate down geometrically.

use std::time::Duration;

use tokio::time::Instant;

/// The rate falls to this share of the rate reached, on a 429.
const DECREASE: f64 = 0.7;
/// How steeply the rate grows away from the rate reached at the last 429, as a
/// share of the limit per window³: with the limit 200, back to a rate of 200 in
/// 2.5 windows, to 50 in 1.6.
const GROWTH: f64 = 0.02;
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
        // A hair of slack, so that 0.7 × 20 is 14, not 13.999….
        (rate.clamp(self.floor(), self.limit) + 1e-9) as u32
    }

    /// The API answered 429 at `now`, after `sent` requests in the last window:
    /// the rate falls to 70% of the rate reached (what was sent, if less than what
    /// was allowed), once per window however many requests meet 429s.
    pub(super) fn throttled(&mut self, now: Instant, sent: usize) {
        if self
            .cut
            .is_some_and(|cut| now.saturating_duration_since(cut.at) < self.window)
        {
            return;
        }
        let allowed = f64::from(self.allowed(now));
        // From the rate actually reached, when it is lower than the one allowed (as
        // AWS's adaptive mode does): clients that share a key converge in one step.
        let reached = if sent > 0 { allowed.min(sent as f64) } else { allowed };
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
        // Four clients of the key reached 50 each.
        rate.throttled(t0, 50);
        assert_eq!(rate.allowed(t0), 35);
        let at = |windows: f64| rate.allowed(t0 + window.mul_f64(windows));
        // Back near 50 within two windows, and it stays there a while…
        assert!((47..=50).contains(&at(1.0)), "{}", at(1.0));
        assert!((49..=51).contains(&at(1.6)) && (49..=51).contains(&at(2.0)));
        // …then probes beyond, faster and faster, up to the limit.
        assert!(at(3.0) > 51 && at(4.0) > at(3.0) + 10, "{} {}", at(3.0), at(4.0));
        assert_eq!(at(8.0), 200);
    }

    #[tokio::test(start_paused = true)]
    async fn one_cut_per_window_and_never_below_the_floor() {
        let window = Duration::from_secs(10);
        let mut rate = AdaptiveRate::new(100, window);
        let t0 = Instant::now();
        rate.throttled(t0, 0);
        assert_eq!(rate.allowed(t0), 70, "from the limit when nothing was sent");
        let t9 = t0 + Duration::from_secs(9);
        let before = rate.allowed(t9);
        assert!(before > 70, "growing back: {before}");
        rate.throttled(t9, 0);
        assert_eq!(rate.allowed(t9), before, "the same window: no second cut");
        let mut now = t0;
        for _ in 0..40 {
            now += window;
            rate.throttled(now, 0);
        }
        assert_eq!(rate.allowed(now), 5, "5% of the limit at least");
    }
}
