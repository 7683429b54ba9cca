//! The client builder: environments, credentials, user agent, shared limiter, and the
//! whole stack (bearer, limits, retries) working together.

use crate::common;

use std::time::{Duration, SystemTime};

use carbon_ext::auth::BearerToken;
use carbon_ext::prelude::*;
use carbon_ext::{Client, Environment, Error, RateLimit};
use common::{Reply, Scripted, api_key, builder};
use serde_json::json;

fn applications() -> Reply {
    Reply::json(200, json!({"applications": []}))
}

#[test]
fn environments_have_their_base_urls() {
    assert_eq!(Environment::Production.base_url(), "https://api.carbon3d.com/v1");
    assert_eq!(Environment::Sandbox.base_url(), "https://api-sandbox.carbon3d.com/v1");
    let c = Client::builder().without_credentials().build().unwrap();
    assert_eq!(c.base_url(), "https://api.carbon3d.com/v1");
    let c = Client::builder()
        .base_url("http://127.0.0.1:9/v1/")
        .without_credentials()
        .build()
        .unwrap();
    assert_eq!(c.base_url(), "http://127.0.0.1:9/v1");
    // Read once when built, with or without credentials: not a URL is refused.
    for bad in ["api.carbon3d.com/v1", "ftp://api.carbon3d.com/v1"] {
        let err = Client::builder()
            .base_url(bad)
            .without_credentials()
            .build()
            .unwrap_err();
        assert!(
            matches!(&err, Error::Auth(carbon_ext::auth::AuthError::InvalidBaseUrl { url, .. }) if url == bad),
            "{err}"
        );
    }
}

#[test]
fn credentials_are_required_and_checked_at_build_time() {
    let err = Client::builder().build().unwrap_err();
    assert!(matches!(&err, Error::Config(m) if m.contains("secrets_file")), "{err}");
    let err = Client::builder()
        .secrets_file("/no/such/secrets.json")
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::Auth(_)), "{err}");
    let err = Client::builder()
        .base_url("http://sim.lan/v1")
        .api_key(api_key())
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("plain http"), "{err}");
    Client::builder()
        .base_url("http://sim.lan/v1")
        .api_key(api_key())
        .allow_plain_http()
        .build()
        .unwrap();
}

#[tokio::test]
async fn requests_carry_the_user_agent_and_the_bearer() {
    let server = Scripted::start(vec![applications()]).await;
    let c = builder(&server.base)
        .api_key(api_key())
        .user_agent_suffix("my-exporter/2.1")
        .build()
        .unwrap();
    c.get_applications().run().await.unwrap();
    let request = &server.requests()[0];
    let agent = request.header("user-agent").unwrap();
    assert_eq!(
        agent,
        format!(
            "carbon-rs/{} (api {}) my-exporter/2.1",
            env!("CARGO_PKG_VERSION"),
            carbon_api_gen::API_VERSION
        )
    );
    assert!(request.header("authorization").unwrap().starts_with("Bearer ey"));
    assert_eq!(request.target, "/v1/applications");
}

#[tokio::test]
async fn credentials_that_fail_at_request_time_keep_their_type() {
    let server = Scripted::start(vec![applications()]).await;
    // A token that cannot go in a header fails only when a request needs it.
    let c = builder(&server.base)
        .static_token(BearerToken::new(
            "tok\nen",
            SystemTime::now() + Duration::from_secs(600),
        ))
        .build()
        .unwrap();
    let err = c.get_applications().run().await.unwrap_err();
    assert!(
        matches!(err, Error::Auth(carbon_ext::auth::AuthError::TokenNotHeaderSafe)),
        "{err:?}"
    );
    assert_eq!(server.hits(), 0, "nothing was sent");
}

#[tokio::test]
async fn a_401_through_the_whole_stack_renews_once() {
    let server = Scripted::start(vec![Reply::text(401, "expired"), applications()]).await;
    let c = builder(&server.base)
        .static_token(BearerToken::new("tok", SystemTime::now()))
        .build()
        .unwrap();
    c.get_applications().run().await.unwrap();
    assert_eq!(server.hits(), 2);

    let server = Scripted::start(vec![Reply::text(401, "revoked")]).await;
    let c = builder(&server.base).api_key(api_key()).build().unwrap();
    let err = c.get_applications().run().await.unwrap_err();
    assert!(
        matches!(&err, Error::Unauthorized { body, .. } if body == "revoked"),
        "{err}"
    );
    assert_eq!(
        server.hits(),
        2,
        "one retry, not a loop, and 401 is not a retryable status"
    );
}

#[tokio::test]
async fn clones_share_the_rate_limiter() {
    let server = Scripted::start(vec![applications()]).await;
    let window = Duration::from_secs(3600);
    let c = builder(&server.base)
        .without_credentials()
        .rate_limit(RateLimit::new(2, window))
        .build()
        .unwrap();
    let other = c.clone();
    c.get_applications().run().await.unwrap();
    other.get_applications().run().await.unwrap();
    // The window's two requests are spent, by two clones: the third, from
    // either, waits for the window. Time is paused now (no request is in
    // flight, so no transport timer can run ahead); the test's own sleep is
    // the earliest timer, so the clock stops there.
    tokio::time::pause();
    let third = tokio::spawn(async move { other.get_applications().run().await });
    tokio::time::sleep(window / 2).await;
    assert!(!third.is_finished(), "the third request waits for a slot");
    assert_eq!(server.hits(), 2);
    // The window over, it goes: real time again for its request.
    tokio::time::advance(window / 2).await;
    tokio::time::resume();
    third.await.unwrap().unwrap();
    assert_eq!(server.hits(), 3);
}

#[test]
fn nothing_secret_in_debug_output() {
    let key = api_key();
    let c = Client::builder().api_key(key).build().unwrap();
    let text = format!(
        "{c:?} {:?}",
        carbon_ext::Credentials::Token(BearerToken::new("sekrit-token", SystemTime::now()))
    );
    assert!(
        !text.contains("PRIVATE KEY") && !text.contains("sekrit-token"),
        "{text}"
    );
}
