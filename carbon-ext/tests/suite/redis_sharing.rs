//! The API's limit shared through a real Redis (`redis-server`, started by each
//! test on a socket of its own): clients of one key share its slots and its
//! pauses wherever they run, and Redis going away never stops them.

use std::time::Duration;

use carbon_ext::prelude::*;
use carbon_ext::{Error, LimitSharing, RateLimit};
use test_support::redis::RedisServer;
use tracing_subscriber::fmt::format::FmtSpan;

use crate::common::{self, Captured, Reply, Scripted, goes_through, held_back, part};

fn client(base: &str, limit: RateLimit, sharing: LimitSharing) -> carbon_ext::Client {
    common::limited_client(base, limit, sharing)
}

/// Five requests an hour: no slot frees during a test, however slow the machine.
fn hourly() -> RateLimit {
    RateLimit::new(5, Duration::from_secs(3600))
}

#[tokio::test]
async fn clients_of_one_key_share_its_limit_and_its_pauses_through_redis() {
    let redis = RedisServer::start();
    let server = Scripted::start(vec![Reply::json(200, part())]).await;
    let shared = || client(&server.base, hourly(), LimitSharing::redis(redis.url()));
    let (a, b) = (shared(), shared());
    assert_eq!(a.shared_rate_limit_file(), None, "no file: the ledger is in Redis");
    common::assert_five_shared(&a, &b, &server).await;
    // Others do not share it: a client alone, and the same key on another API.
    assert!(goes_through(&client(&server.base, hourly(), LimitSharing::Process)).await);
    let other_api = Scripted::start(vec![Reply::json(200, part())]).await;
    assert!(goes_through(&client(&other_api.base, hourly(), LimitSharing::redis(redis.url()))).await);

    // A 429 one client meets pauses the others, before its call returns.
    let limited = Scripted::start(vec![
        Reply::Full(429, vec![("retry-after", "30".into())], b"{}".to_vec()),
        Reply::json(200, part()),
    ])
    .await;
    let minutely = RateLimit::new(100, Duration::from_secs(60));
    let (c, d) = (
        client(&limited.base, minutely, LimitSharing::redis(redis.url())),
        client(&limited.base, minutely, LimitSharing::redis(redis.url())),
    );
    let refused = c.get_part().uuid("p-1").run().await.unwrap_err();
    assert_eq!(refused.status(), Some(http::StatusCode::TOO_MANY_REQUESTS), "{refused}");
    assert!(held_back(&d).await, "d waits out c's 429");
    assert_eq!(limited.hits(), 1);
}

#[tokio::test]
async fn redis_going_away_leaves_the_client_working_within_the_limit_and_said_once() {
    let (logged, _guard) = Captured::start(FmtSpan::NONE);
    let mut redis = RedisServer::start();
    let server = Scripted::start(vec![Reply::json(200, part())]).await;
    let a = client(&server.base, hourly(), LimitSharing::redis(redis.url()));
    for _ in 0..3 {
        assert!(goes_through(&a).await);
    }
    assert!(!logged.warnings().contains("Redis"), "{}", logged.warnings());
    redis.kill();
    // It keeps to the limit alone, counting what it sent while Redis was there.
    for _ in 0..2 {
        assert!(goes_through(&a).await);
    }
    assert!(held_back(&a).await, "five an hour, Redis or not");
    assert_eq!(server.hits(), 5);
    let text = logged.warnings();
    assert_eq!(
        text.matches("cannot share the rate limit through Redis").count(),
        1,
        "said once: {text}"
    );
}

#[tokio::test]
async fn a_client_goes_back_to_redis_when_it_returns() {
    let (logged, _guard) = Captured::start(FmtSpan::NONE);
    let mut redis = RedisServer::start();
    redis.kill();
    let server = Scripted::start(vec![Reply::json(200, part())]).await;
    let a = client(
        &server.base,
        RateLimit::new(20, Duration::from_millis(200)),
        LimitSharing::redis(redis.url()),
    );
    a.get_part().uuid("p-1").run().await.unwrap();
    assert!(logged.warnings().contains("cannot share the rate limit through Redis"));
    redis.restart();
    // A window on, it tries Redis again; however slow the machine, within a minute.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while !logged.warnings().contains("Redis answers again") {
        assert!(tokio::time::Instant::now() < deadline, "{}", logged.warnings());
        a.get_part().uuid("p-1").run().await.unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        logged.warnings().matches("cannot share").count(),
        1,
        "{}",
        logged.warnings()
    );
}

#[test]
fn a_redis_url_that_cannot_work_is_refused_when_the_client_is_built() {
    for (url, says) in [
        ("rediss://cache:6380", "TLS"),
        ("http://cache:6379", "not a Redis scheme"),
    ] {
        let built = carbon_ext::Client::builder()
            .base_url("http://127.0.0.1:9/v1")
            .api_key(common::api_key())
            .limit_sharing(LimitSharing::redis(url))
            .build();
        match built {
            Err(Error::Config(message)) => assert!(message.contains(says), "{message}"),
            other => panic!("{url}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_redis_restarted_between_claims_costs_no_warning() {
    let (logged, _guard) = Captured::start(FmtSpan::NONE);
    let mut redis = RedisServer::start();
    let server = Scripted::start(vec![Reply::json(200, part())]).await;
    let url = redis.url();
    let shared = || client(&server.base, hourly(), LimitSharing::redis(url.clone()));
    let a = shared();
    assert!(goes_through(&a).await);
    // Restarted empty: the claim before is forgotten.
    redis.restart();
    // The old connection is gone; a new one to the restarted Redis serves the claim.
    assert!(goes_through(&a).await);
    assert_eq!(logged.warnings(), "", "nothing to say");
    // And the claim is in Redis: another client of the key sees it.
    let b = shared();
    for _ in 0..4 {
        assert!(goes_through(&b).await);
    }
    assert!(held_back(&b).await, "one of five was a's, after the restart");
}

#[tokio::test]
async fn a_client_that_goes_gives_back_the_slots_it_did_not_spend() {
    let redis = RedisServer::start();
    let server = Scripted::start(vec![Reply::json(200, part())]).await;
    // 80 an hour: claims of up to two slots.
    let limit = RateLimit::new(80, Duration::from_secs(3600));
    let a = client(&server.base, limit, LimitSharing::redis(redis.url()));
    // Requests in a row claim two slots at a time; the last claim's second is not spent.
    for _ in 0..2 {
        assert!(goes_through(&a).await);
    }
    drop(a);
    carbon_ext::LimitSharing::settle().await;
    let b = client(&server.base, limit, LimitSharing::redis(redis.url()));
    for sent in 0..78 {
        assert!(goes_through(&b).await, "b was held after {sent}");
    }
    assert!(held_back(&b).await, "80 in all");
}
