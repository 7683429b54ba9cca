//! Retrying a whole workflow step (an upload from the file, a download, a keyed
//! create), above the per-request retries of the request stack.

use std::future::Future;
use std::time::Duration;

use crate::Error;

/// A failure after which the step may or may not have happened, and asking again can
/// settle it: transient errors, and answers that arrived broken.
pub(crate) fn worth_retrying(error: &Error) -> bool {
    error.is_retryable() || matches!(error, Error::Decode { .. })
}

/// Runs `step` until it succeeds, fails in a way `worth` rejects, or `attempts` are
/// used. Pauses grow from 200 ms (doubling, half jitter), and are at least what a
/// 429 asked for.
pub(crate) async fn again<T, F, Fut>(
    attempts: u32,
    worth: impl Fn(&Error) -> bool,
    what: &str,
    mut step: F,
) -> Result<T, Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Error>>,
{
    let mut attempt = 1;
    loop {
        match step().await {
            Err(e) if attempt < attempts && worth(&e) => {
                tracing::debug!(what, attempt, error = %e, "retrying");
                tokio::time::sleep(pause(attempt, &e)).await;
                attempt += 1;
            }
            other => return other,
        }
    }
}

fn pause(attempt: u32, error: &Error) -> Duration {
    let ceiling = Duration::from_millis(200) * 2u32.pow(attempt.clamp(1, 7) - 1);
    let jittered = ceiling.mul_f64(0.5 + fastrand::f64() / 2.0);
    match error {
        Error::RateLimited {
            retry_after: Some(wait),
            ..
        } => jittered.max(*wait),
        _ => jittered,
    }
}
