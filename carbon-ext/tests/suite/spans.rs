//! The spans every call records: the fields an operator needs, and no secret.

use crate::common;

use std::time::Duration;

use carbon_ext::prelude::*;
use carbon_ext::{Progress, UploadOptions};
use common::{Captured, Reply, Scripted};
use serde_json::json;
use tracing_subscriber::fmt::format::FmtSpan;

#[tokio::test]
async fn every_call_and_attempt_is_a_span_without_secrets() {
    let (captured, _guard) = Captured::start(FmtSpan::CLOSE);

    let storage = Scripted::start(vec![
        Reply::text(500, "<Error><SignatureProvided>topsecret</SignatureProvided></Error>"),
        Reply::Full(200, vec![("etag", "\"e\"".into())], vec![]),
    ])
    .await;
    let put_url = format!(
        "{}/bucket/m-1?X-Amz-Credential=AKIAEXAMPLE&X-Amz-Signature=topsecret",
        storage.base.trim_end_matches("/v1")
    );
    let api = Scripted::start(vec![
        Reply::text(503, "busy"),
        Reply::json(200, json!({"model_uuid": "m-1", "presigned_url": put_url})),
        Reply::Full(200, vec![], vec![]),
        Reply::json(200, json!({"parts": [], "next_cursor": ""})),
    ])
    .await;
    let client = common::authed_builder(&api.base, "secret-bearer-token")
        .rate_limit(carbon_ext::RateLimit::new(100, Duration::from_secs(1)))
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.stl");
    std::fs::write(&path, b"solid a").unwrap();
    client
        .upload_model_presigned(&path, UploadOptions::default(), Progress::none())
        .await
        .unwrap();
    client
        .get_printed_parts()
        .limit(10)
        .part_order_uuid(vec!["filter-value".into()])
        .run()
        .await
        .unwrap();

    let text = captured.text();
    for secret in [
        "secret-bearer-token",
        "topsecret",
        "AKIAEXAMPLE",
        "X-Amz",
        "filter-value",
    ] {
        assert!(!text.contains(secret), "{secret} in the trace:\n{text}");
    }
    let lines: Vec<&str> = text.lines().collect();
    let has = |needles: &[&str]| lines.iter().any(|l| needles.iter().all(|n| l.contains(n)));
    // The presign: a POST that met a 503, retried (a presign creates nothing).
    assert!(
        has(&[
            "carbon.call",
            "operation=\"get_presigned_upload_url\"",
            "method=\"POST\"",
            "attempts=2",
            "backoff_wait_ms="
        ]),
        "{text}"
    );
    assert!(
        has(&[
            "carbon.attempt",
            "attempt=1",
            "path=\"/v1/models/presigned\"",
            "status=503",
            "limiter_wait_ms="
        ]),
        "{text}"
    );
    // The storage PUT, path without its signed query.
    assert!(
        has(&[
            "carbon.attempt",
            "operation=\"presigned_put\"",
            "attempt=2",
            "path=\"/bucket/m-1\"",
            "status=200"
        ]),
        "{text}"
    );
    assert!(
        has(&[
            "carbon.call",
            "operation=\"resolve_presigned_model_upload\"",
            "attempts=1"
        ]),
        "{text}"
    );
    assert!(
        has(&[
            "carbon.attempt",
            "operation=\"get_printed_parts\"",
            "path=\"/v1/printed_parts\"",
            "status=200"
        ]),
        "{text}"
    );
}
