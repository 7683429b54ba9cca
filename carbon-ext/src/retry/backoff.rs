//! The one backoff curve: pauses that grow by a factor up to a cap.

use std::time::Duration;

/// Pause `n` (1-based) is `first * factor^(n-1)`, at most `cap`. Saturates: any
/// `Duration` (`Duration::MAX` included) and any `n` give a pause, never a panic.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Curve {
    pub first: Duration,
    pub factor: f64,
    pub cap: Duration,
}

impl Curve {
    /// The pause before retry or poll number `n` (1-based).
    pub fn nth(&self, n: u32) -> Duration {
        let exponent = n.saturating_sub(1).min(1024) as i32;
        let seconds = self.first.as_secs_f64() * self.factor.powi(exponent);
        match Duration::try_from_secs_f64(seconds) {
            Ok(pause) => pause.min(self.cap),
            Err(_) => self.cap,
        }
    }
}

/// A random share of `ceiling` ("full jitter"), so that clients failing together do
/// not retry together.
pub(crate) fn full_jitter(ceiling: Duration) -> Duration {
    Duration::try_from_secs_f64(ceiling.as_secs_f64() * fastrand::f64()).unwrap_or(ceiling)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_by_the_factor_up_to_the_cap() {
        let curve = Curve {
            first: Duration::from_secs(1),
            factor: 2.0,
            cap: Duration::from_secs(20),
        };
        let pauses: Vec<u64> = (1..=7).map(|n| curve.nth(n).as_secs()).collect();
        assert_eq!(pauses, [1, 2, 4, 8, 16, 20, 20]);
        assert_eq!(curve.nth(u32::MAX), Duration::from_secs(20));
    }

    #[test]
    fn extreme_durations_saturate() {
        let curve = Curve {
            first: Duration::MAX,
            factor: 1.5,
            cap: Duration::MAX,
        };
        assert_eq!(curve.nth(1), Duration::MAX);
        assert_eq!(curve.nth(40), Duration::MAX);
        assert!(full_jitter(Duration::MAX) <= Duration::MAX);
        let zero = Curve {
            first: Duration::ZERO,
            factor: 2.0,
            cap: Duration::ZERO,
        };
        assert_eq!(zero.nth(5), Duration::ZERO);
    }
}
