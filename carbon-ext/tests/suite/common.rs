//! Clients for the tests' loopback servers and the test-only API key; the
//! scripted server itself is in test-support.

use std::time::Duration;

use carbon_ext::{Client, RetryPolicy};

/// A client for `base` (a loopback URL with `/v1`), with fast deterministic retries
/// and no rate limit.
pub fn client(base: &str) -> Client {
    builder(base).build().unwrap()
}

pub fn builder(base: &str) -> carbon_ext::ClientBuilder {
    Client::builder()
        .base_url(base)
        .without_credentials()
        .no_rate_limit()
        .retry_policy(fast_retries())
        .read_timeout(Duration::from_secs(5))
}

pub fn fast_retries() -> RetryPolicy {
    RetryPolicy::standard()
        .with_backoff(Duration::from_millis(5), Duration::from_millis(20))
        .without_jitter()
}

pub use test_support::scripted::{Reply, Scripted};

/// The test-only API key in `tests/fixtures/test-only-secrets.json`.
pub fn api_key() -> carbon_ext::auth::ApiKey {
    carbon_ext::auth::ApiKey::from_json(include_str!("../fixtures/test-only-secrets.json")).unwrap()
}
