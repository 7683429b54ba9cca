//! Recording into the span of the attempt that is running.
//!
//! The retry engine opens a `carbon.call` span per call and a `carbon.attempt`
//! span per attempt ([`crate::retry`]); the layers an attempt passes through add
//! what they learn (path, status, rate-limit wait) to the attempt's span, which is
//! the current span while they run.

use tracing::field::Value;

/// Records `field` on the current span. Free when no tracing subscriber was ever
/// installed: there is then no span to record into (not even for the `log`
/// fallback, which only sees spans the macros create), so the current span is not
/// even looked up.
pub(crate) fn record<V: Value>(field: &'static str, value: V) {
    if tracing::dispatcher::has_been_set() {
        tracing::Span::current().record(field, value);
    }
}
