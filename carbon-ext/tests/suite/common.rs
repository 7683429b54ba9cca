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

/// [`builder`] with the bearer `token`, valid for an hour.
pub fn authed_builder(base: &str, token: &str) -> carbon_ext::ClientBuilder {
    builder(base).static_token(carbon_ext::auth::BearerToken::new(
        token,
        std::time::SystemTime::now() + Duration::from_secs(3600),
    ))
}

pub fn fast_retries() -> RetryPolicy {
    RetryPolicy::standard()
        .with_backoff(Duration::from_millis(5), Duration::from_millis(20))
        .without_jitter()
}

pub use test_support::scripted::{Reply, Scripted};

/// The test-only API key (test-support's).
pub fn api_key() -> carbon_ext::auth::ApiKey {
    carbon_ext::auth::ApiKey::from_json(test_support::keys::SECRETS_JSON).unwrap()
}

/// A client of the test key, limited to `limit` and sharing it as `sharing`, that
/// never retries: what the rate-limit sharing tests build.
pub fn limited_client(base: &str, limit: carbon_ext::RateLimit, sharing: carbon_ext::LimitSharing) -> Client {
    Client::builder()
        .base_url(base)
        .api_key(api_key())
        .rate_limit(limit)
        .limit_sharing(sharing)
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap()
}

/// A part order request numbered `number`, with no uuid and no parts, due on
/// 2026-12-01: change what a test needs with `..part_order_request(number)`.
pub fn part_order_request(number: &str) -> carbon_ext::types::PartOrderRequest {
    carbon_ext::types::PartOrderRequest {
        uuid: None,
        part_order_number: number.into(),
        due_date: "2026-12-01T00:00:00Z".parse().unwrap(),
        parts: vec![],
        flush: None,
        packing_group: None,
        build_sop_uuid: None,
    }
}

/// The part the sharing tests ask for.
pub fn part() -> serde_json::Value {
    serde_json::json!({"uuid": "p-1", "part_number": "PN-1"})
}

/// Whether a call for [`part`] gets through: answered within a minute,
/// however slow the machine (a call the limit holds back waits out an hour's
/// window or a 30 s pause, longer than that).
pub async fn goes_through(client: &Client) -> bool {
    answered_within(client, Duration::from_secs(60)).await
}

/// Whether a call for [`part`] is held back: not answered within a second. The
/// sharing tests' windows are an hour and their pauses 30 s, so a call that
/// should be held is still held after a second; a slow machine only holds it
/// longer.
pub async fn held_back(client: &Client) -> bool {
    !answered_within(client, Duration::from_secs(1)).await
}

async fn answered_within(client: &Client, time: Duration) -> bool {
    use carbon_ext::prelude::*;
    let call = client.get_part().uuid("p-1").run();
    match tokio::time::timeout(time, call).await {
        Ok(answer) => {
            answer.unwrap();
            true
        }
        Err(_) => false,
    }
}

/// Asserts that `a` and `b` share a limit of five: three calls through `a` and
/// two through `b` go through, then neither gets another, and `server` saw five.
pub async fn assert_five_shared(a: &Client, b: &Client, server: &Scripted) {
    for _ in 0..3 {
        assert!(goes_through(a).await);
    }
    for _ in 0..2 {
        assert!(goes_through(b).await);
    }
    // Five of five used, by the two together: neither gets another.
    assert!(held_back(a).await);
    assert!(held_back(b).await);
    assert_eq!(server.hits(), 5);
}

/// Everything a test-local tracing subscriber writes, at every level: one that
/// took less would make tracing cache "not wanted" for callsites another test
/// running at the same time records.
#[derive(Clone, Default)]
pub struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The process-wide subscriber of the tests: it records nothing, and asks
/// every time whether an event is wanted. tracing caches, per call site,
/// whether any subscriber wants it; a call site first reached by another test
/// while a thread's [`Captured`] subscriber was being set up could be cached
/// as wanted by none, and that thread would miss its warnings. With this one
/// installed, no call site is ever cached as unwanted: the thread's own
/// subscriber is always asked.
struct AskEveryTime;

impl AskEveryTime {
    fn install() {
        static INSTALLED: std::sync::Once = std::sync::Once::new();
        INSTALLED.call_once(|| {
            // Another global subscriber (none in these tests) would do as well.
            let _ = tracing::subscriber::set_global_default(AskEveryTime);
        });
    }
}

impl tracing::Subscriber for AskEveryTime {
    fn register_callsite(&self, _: &'static tracing::Metadata<'static>) -> tracing::subscriber::Interest {
        tracing::subscriber::Interest::sometimes()
    }
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        false
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, _: &tracing::Event<'_>) {}
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

impl Captured {
    /// A subscriber for this thread writing here (`span_events`: which span
    /// events are written too), and its guard.
    pub fn start(span_events: tracing_subscriber::fmt::format::FmtSpan) -> (Self, tracing::subscriber::DefaultGuard) {
        AskEveryTime::install();
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_span_events(span_events)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        (captured, tracing::subscriber::set_default(subscriber))
    }

    /// All of it.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }

    /// The warnings, a line each.
    pub fn warnings(&self) -> String {
        self.text()
            .lines()
            .filter(|line| line.contains(" WARN "))
            .map(|line| format!("{line}\n"))
            .collect()
    }
}
