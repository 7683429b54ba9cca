//! The retry matrix: which method and status is retried, how often, how long it
//! waits, and what is never replayed.

use crate::common;

use std::time::Duration;

use carbon_ext::prelude::*;
use carbon_ext::{Error, RetryPolicy, types};
use common::{Reply, Scripted, api_key, builder, client};
use serde_json::json;

fn part() -> serde_json::Value {
    json!({"uuid": "p-1", "part_number": "PN-1"})
}

fn part_request() -> types::PartRequest {
    types::PartRequest {
        part_number: "PN-1".into(),
        model_uuid: "m-1".into(),
        application_uuid: None,
    }
}

/// One call of `method`: a part read or created, a part order flushed or canceled.
async fn call(c: &carbon_ext::Client, method: &str) -> Result<(), Error> {
    match method {
        "GET" => c.get_part().uuid("p-1").run().await.map(|_| ()),
        "POST" => c.create_part().body(part_request()).run().await.map(|_| ()),
        "PATCH" => c
            .update_part_order()
            .uuid("po-1")
            .body(types::PartOrderUpdateRequest { flush: Some(true) })
            .run()
            .await
            .map(|_| ()),
        "DELETE" => c.delete_part_order().uuid("po-1").run().await.map(|_| ()),
        _ => unreachable!("no call for {method}"),
    }
}

/// (status, method, attempts the server sees with the standard 3-attempt policy;
/// 429s, bounded by time rather than attempts, are below)
#[tokio::test]
async fn method_by_status_matrix() {
    let cases: &[(u16, &str, usize)] = &[
        (500, "GET", 3),
        (502, "GET", 3),
        (503, "GET", 3),
        (504, "GET", 3),
        (501, "GET", 1),
        (400, "GET", 1),
        (500, "POST", 1),
        (503, "POST", 1),
        (502, "PATCH", 1),
        (503, "DELETE", 3),
    ];
    for &(status, method, expected) in cases {
        let server = Scripted::start(vec![Reply::text(status, "nope")]).await;
        let err = call(&client(&server.base), method).await.unwrap_err();
        assert_eq!(server.hits(), expected, "{method} {status}: {err}");
        assert_eq!(err.status().map(|s| s.as_u16()), Some(status), "{method} {status}");
        assert!(server.requests().iter().all(|r| r.method == method));
    }
}

#[tokio::test]
async fn a_429_is_retried_past_the_attempt_count_for_any_method() {
    for method in ["GET", "POST", "PATCH"] {
        let mut replies = vec![Reply::text(429, "slow down"); 6];
        replies.push(Reply::json(
            200,
            json!({"uuid": "po-1", "part_number": "PN-1", "due_date": "2026-12-01T00:00:00Z", "printed_parts": []}),
        ));
        let server = Scripted::start(replies).await;
        call(&client(&server.base), method)
            .await
            .unwrap_or_else(|e| panic!("{method}: {e}"));
        assert_eq!(server.hits(), 7, "{method}: six 429s and the answer");
    }
    // Past the time the policy gives 429s, the 429 is the answer.
    let server = Scripted::start(vec![Reply::text(429, "still busy")]).await;
    // Long enough for more attempts than the count on any machine (the test
    // lasts this long).
    let budget = Duration::from_secs(2);
    let c = builder(&server.base)
        .retry_policy(common::fast_retries().with_rate_limited_budget(budget))
        .build()
        .unwrap();
    let err = c.get_part().uuid("p-1").run().await.unwrap_err();
    assert!(matches!(err, Error::RateLimited { .. }), "{err}");
    assert!(
        server.hits() > 3,
        "more attempts than the count allows: {}",
        server.hits()
    );
    // When it stops, to the second, is the retry engine's test on paused time
    // (`retry::engine::tests::a_429_is_retried_for_a_time_not_a_count`).
}

#[tokio::test]
async fn a_transient_failure_then_success() {
    let server = Scripted::start(vec![Reply::text(503, "busy"), Reply::json(200, part())]).await;
    let got = client(&server.base).get_part().uuid("p-1").run().await.unwrap();
    assert_eq!(got.uuid, "p-1");
    assert_eq!(server.hits(), 2);
}

#[tokio::test]
async fn post_is_not_replayed_after_a_500_but_is_after_a_429() {
    let server = Scripted::start(vec![Reply::text(500, "boom"), Reply::json(200, part())]).await;
    let err = call(&client(&server.base), "POST").await.unwrap_err();
    assert!(
        matches!(&err, Error::Api { status, .. } if status.as_u16() == 500),
        "{err}"
    );
    assert_eq!(server.hits(), 1);

    let server = Scripted::start(vec![Reply::text(429, "slow down"), Reply::json(200, part())]).await;
    client(&server.base)
        .create_part()
        .body(part_request())
        .run()
        .await
        .unwrap();
    assert_eq!(server.hits(), 2);
    // The replayed body is the same request.
    let requests = server.requests();
    assert_eq!(requests[0].body, requests[1].body);
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let server = Scripted::start(vec![
        Reply::text(429, "wait").with_header("retry-after", "1"),
        Reply::json(200, part()),
    ])
    .await;
    let (captured, _guard) = common::Captured::start(tracing_subscriber::fmt::format::FmtSpan::CLOSE);
    client(&server.base).get_part().uuid("p-1").run().await.unwrap();
    assert_eq!(server.hits(), 2);
    // The wait the call made, as it records it (not a clock read here).
    let text = captured.text();
    assert!(
        text.lines()
            .any(|l| l.contains("carbon.call") && l.contains("attempts=2") && l.contains("backoff_wait_ms=1000")),
        "{text}"
    );
}

#[tokio::test]
async fn a_retry_after_longer_than_allowed_ends_the_retries() {
    let server = Scripted::start(vec![
        Reply::text(429, "come back tomorrow").with_header("retry-after", "86400"),
    ])
    .await;
    let err = client(&server.base).get_part().uuid("p-1").run().await.unwrap_err();
    assert_eq!(server.hits(), 1);
    match err {
        Error::RateLimited {
            retry_after,
            body,
            call,
        } => {
            assert_eq!(retry_after, Some(Duration::from_secs(86400)));
            assert_eq!(body, "come back tomorrow");
            assert_eq!(call.operation, "get_part");
            assert_eq!(call.attempts, 1);
        }
        other => panic!("{other}"),
    }
}

/// An API that is down (every answer a 503), and a client of it that retries
/// as `policy` says.
async fn down(policy: RetryPolicy) -> (Scripted, carbon_ext::Client) {
    let server = Scripted::start(vec![Reply::text(503, "down")]).await;
    let c = builder(&server.base).retry_policy(policy).build().unwrap();
    (server, c)
}

#[tokio::test]
async fn the_budget_stops_retries_during_an_outage() {
    // Two retries' worth of budget (a retry costs 5).
    let (server, c) = down(common::fast_retries().with_budget(10)).await;
    c.get_part().uuid("p-1").run().await.unwrap_err();
    assert_eq!(server.hits(), 3);
    c.get_part().uuid("p-1").run().await.unwrap_err();
    assert_eq!(server.hits(), 4, "no budget left: one attempt");
    // Clones share the budget.
    c.clone().get_part().uuid("p-1").run().await.unwrap_err();
    assert_eq!(server.hits(), 5);
}

#[tokio::test]
async fn retries_can_be_disabled_or_extended() {
    let (server, c) = down(RetryPolicy::disabled()).await;
    c.get_part().uuid("p-1").run().await.unwrap_err();
    assert_eq!(server.hits(), 1);
    let (server, c) = down(common::fast_retries().with_max_attempts(5)).await;
    c.get_part().uuid("p-1").run().await.unwrap_err();
    assert_eq!(server.hits(), 5);
}

#[tokio::test]
async fn broken_and_truncated_responses_are_retried_for_gets_only() {
    let server = Scripted::start(vec![
        Reply::Reset,
        Reply::Truncated(part().to_string()),
        Reply::json(200, part()),
    ])
    .await;
    let got = client(&server.base).get_part().uuid("p-1").run().await.unwrap();
    assert_eq!(got.part_number, "PN-1");
    assert_eq!(server.hits(), 3);

    let server = Scripted::start(vec![Reply::Truncated(part().to_string()), Reply::json(200, part())]).await;
    let err = call(&client(&server.base), "POST").await.unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err}");
    assert_eq!(
        server.hits(),
        1,
        "a POST that may have been processed is not sent again"
    );
}

#[tokio::test]
async fn timeouts_are_retried_for_gets_not_posts() {
    // Far apart, so that a loaded machine cannot blur a timeout and an answer.
    let slow = || Reply::Delayed(Duration::from_secs(4), Box::new(Reply::json(200, part())));
    let server = Scripted::start(vec![slow(), Reply::json(200, part())]).await;
    let c = builder(&server.base)
        .read_timeout(Duration::from_secs(1))
        .build()
        .unwrap();
    c.get_part().uuid("p-1").run().await.unwrap();
    assert_eq!(server.hits(), 2);

    let server = Scripted::start(vec![slow(), Reply::json(200, part())]).await;
    let c = builder(&server.base)
        .read_timeout(Duration::from_secs(1))
        .build()
        .unwrap();
    let err = c.create_part().body(part_request()).run().await.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err}");
    assert!(err.is_retryable());
    assert_eq!(server.hits(), 1);
}

#[tokio::test]
async fn connection_failures_are_retried_for_any_method() {
    // The port is ours from the start (bound, so no other test can take it) but
    // nothing listens on it: connections are refused until the server starts
    // listening on that same socket, during the backoff. Attempts and backoff leave
    // seconds for that, so a busy machine cannot make the test fail.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = socket.local_addr().unwrap();
    let base = format!("http://{addr}/v1");
    let c = builder(&base)
        .retry_policy(
            RetryPolicy::standard()
                .with_max_attempts(8)
                .with_backoff(Duration::from_millis(300), Duration::from_secs(1))
                .without_jitter(),
        )
        .build()
        .unwrap();
    let serve = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        Scripted::serve(socket.listen(64).unwrap(), vec![Reply::json(200, part())])
    });
    let created = c.create_part().body(part_request()).run().await.unwrap();
    assert_eq!(created.uuid, "p-1");
    let server = serve.await.unwrap();
    assert_eq!(server.hits(), 1, "exactly one POST reached the server");
}

#[tokio::test]
async fn refused_credentials_are_renewed_once_for_any_call_unless_retries_are_off() {
    // A POST too: a 401 means the API did nothing with the request.
    let server = Scripted::start(vec![Reply::text(401, "expired"), Reply::json(200, part())]).await;
    let source = std::sync::Arc::new(carbon_ext::auth::JwtTokenSource::new(api_key()));
    let c = builder(&server.base).token_source(source.clone()).build().unwrap();
    let created = c.create_part().body(part_request()).run().await.unwrap();
    assert_eq!(created.uuid, "p-1");
    assert_eq!(server.hits(), 2);
    assert!(server.requests().iter().all(|r| r.header("authorization").is_some()));
    assert_eq!(
        source.mint_count(),
        2,
        "the refused token was dropped and a new one minted"
    );

    // Refused again: the second 401 ends the call, after two attempts.
    let server = Scripted::start(vec![Reply::text(401, "revoked")]).await;
    let c = builder(&server.base).api_key(api_key()).build().unwrap();
    let err = c.create_part().body(part_request()).run().await.unwrap_err();
    assert!(matches!(&err, Error::Unauthorized { .. }), "{err}");
    assert_eq!((server.hits(), err.attempts()), (2, 2));

    // With every retry off, not even credentials are renewed.
    let server = Scripted::start(vec![Reply::text(401, "expired"), Reply::json(200, part())]).await;
    let c = builder(&server.base)
        .api_key(api_key())
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap();
    let err = c.get_part().uuid("p-1").run().await.unwrap_err();
    assert!(matches!(&err, Error::Unauthorized { .. }), "{err}");
    assert_eq!(server.hits(), 1);
}
