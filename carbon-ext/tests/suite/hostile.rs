//! carbon-ext against servers that misbehave: absurd waits, cursors that loop, bad
//! records, huge or secret-laden error bodies, racing downloads, refusals that must
//! not be retried. Every case goes through the public API and is bounded in time.

use crate::common;

use std::future::IntoFuture;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use carbon_ext::prelude::*;
use carbon_ext::{
    Client, Created, Destination, Error, MAX_EMPTY_PAGES, Progress, RateLimit, RemoteFile, RetryPolicy, UploadOptions,
    WaitConfig, WaitOutcome, types,
};
use common::{Reply, Scripted};
use futures::TryStreamExt;
use serde_json::json;

/// Every case must end well within this, whatever the server does.
const BOUND: Duration = Duration::from_secs(30);

async fn bounded<T>(case: impl IntoFuture<Output = T>) -> T {
    tokio::time::timeout(BOUND, case)
        .await
        .expect("the client hung against a hostile server")
}

fn authed(base: &str, policy: RetryPolicy) -> Client {
    common::authed_builder(base, "secret-bearer-token")
        .retry_policy(policy)
        .build()
        .unwrap()
}

fn mesh(dir: &tempfile::TempDir) -> std::path::PathBuf {
    let path = dir.path().join("part.stl");
    std::fs::write(&path, b"solid part\nendsolid part\n").unwrap();
    path
}

/// The storage half of a presigned upload on its own server; the API's presign
/// answer points there.
fn presign_reply(storage: &Scripted) -> Reply {
    let url = format!(
        "{}/bucket/m-1?X-Amz-Credential=AKIAEXAMPLE&X-Amz-Signature=topsecret",
        storage.base.trim_end_matches("/v1")
    );
    Reply::json(200, json!({"model_uuid": "m-1", "presigned_url": url}))
}

// ---- No wait longer than the policy allows --------------------------------------

#[tokio::test]
async fn an_absurd_retry_after_on_the_presign_ends_the_upload_at_once() {
    for retry_after in [
        "1000000000".to_string(),
        httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(10 * 365 * 24 * 3600)),
    ] {
        let api = Scripted::start(vec![
            Reply::text(429, "slow down").with_header("retry-after", &retry_after),
        ])
        .await;
        let dir = tempfile::tempdir().unwrap();
        let err = bounded(authed(&api.base, common::fast_retries()).upload_model_presigned(
            mesh(&dir),
            UploadOptions::default(),
            Progress::none(),
        ))
        .await
        .unwrap_err();
        assert!(matches!(err, Error::RateLimited { .. }), "{err}");
        assert!(err.to_string().contains("retry after"), "{err}");
        assert_eq!(api.hits(), 1, "asked for more than max_retry_after: no retry at all");
    }
}

// ---- One policy for every retry --------------------------------------------------

#[tokio::test]
async fn a_disabled_policy_disables_workflow_retries_too() {
    let dir = tempfile::tempdir().unwrap();
    // Keyed create: one POST.
    let api = Scripted::start(vec![Reply::text(503, "down")]).await;
    let c = authed(&api.base, RetryPolicy::disabled());
    let request = common::part_order_request("PO-1");
    let err = bounded(c.create_part_order_once(request)).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert_eq!((api.hits(), err.attempts()), (1, 1));

    // Download: one GET.
    let api = Scripted::start(vec![Reply::text(503, "down")]).await;
    let c = authed(&api.base, RetryPolicy::disabled());
    let target = Destination::File(dir.path().join("t.pdf"));
    bounded(c.download(RemoteFile::Attachment("a-1"), target, Progress::none()))
        .await
        .unwrap_err();
    assert_eq!(api.hits(), 1);

    // Upload: one presign, one PUT, no resolve.
    let storage = Scripted::start(vec![Reply::text(500, "storage broke")]).await;
    let api = Scripted::start(vec![presign_reply(&storage)]).await;
    let c = authed(&api.base, RetryPolicy::disabled());
    bounded(c.upload_model_presigned(mesh(&dir), UploadOptions::default(), Progress::none()))
        .await
        .unwrap_err();
    assert_eq!((api.hits(), storage.hits()), (1, 1));

    // The same failures are retried under the standard policy (fast here).
    let storage = Scripted::start(vec![
        Reply::text(500, "storage broke"),
        Reply::Full(200, vec![("etag", "\"e\"".into())], vec![]),
    ])
    .await;
    let api = Scripted::start(vec![presign_reply(&storage), Reply::Full(200, vec![], vec![])]).await;
    let c = authed(&api.base, common::fast_retries());
    bounded(c.upload_model_presigned(mesh(&dir), UploadOptions::default(), Progress::none()))
        .await
        .unwrap();
    assert_eq!((api.hits(), storage.hits()), (2, 2));
}

#[tokio::test]
async fn a_direct_upload_is_never_sent_again_after_a_403_or_a_5xx() {
    let dir = tempfile::tempdir().unwrap();
    for status in [403, 500, 503] {
        let api = Scripted::start(vec![Reply::text(status, "no")]).await;
        let c = authed(&api.base, common::fast_retries());
        let err = bounded(c.upload_model_direct(mesh(&dir), UploadOptions::default(), Progress::none()))
            .await
            .unwrap_err();
        assert_eq!(err.status().map(|s| s.as_u16()), Some(status));
        assert_eq!(api.hits(), 1, "{status}: the whole file was not sent again");
    }
    // A 429 was refused, not processed: sent again.
    let api = Scripted::start(vec![
        Reply::text(429, "wait").with_header("retry-after", "0"),
        Reply::json(200, json!({"uuid": "m-1", "filename": "part.stl"})),
    ])
    .await;
    let c = authed(&api.base, common::fast_retries());
    bounded(c.upload_model_direct(mesh(&dir), UploadOptions::default(), Progress::none()))
        .await
        .unwrap();
    assert_eq!(api.hits(), 2);
}

// ---- Pagination that always ends -------------------------------------------------

fn printed_part(uuid: &str) -> serde_json::Value {
    json!({"uuid": uuid, "part_uuid": "p", "status": "printing"})
}

#[tokio::test]
async fn a_repeated_cursor_ends_the_listing_with_a_typed_error() {
    let server = Scripted::start(vec![
        Reply::json(200, json!({"parts": [printed_part("a")], "next_cursor": "same"})),
        Reply::json(200, json!({"parts": [printed_part("b")], "next_cursor": "same"})),
    ])
    .await;
    let c = common::client(&server.base);
    let mut items = c.get_printed_parts().limit(1).items();
    let mut seen = Vec::new();
    let err = bounded(async {
        loop {
            match items.try_next().await {
                Ok(Some(part)) => seen.push(part.uuid),
                Ok(None) => panic!("a looping listing cannot end cleanly"),
                Err(e) => break e,
            }
        }
    })
    .await;
    assert!(matches!(err, Error::Pagination { .. }), "{err}");
    assert_eq!(err.operation(), "get_printed_parts");
    assert_eq!(seen, ["a", "b"], "the items before the loop were delivered");
    assert_eq!(server.hits(), 2);
}

#[tokio::test]
async fn empty_pages_that_keep_pointing_on_end_the_listing() {
    let replies: Vec<Reply> = (0..50)
        .map(|i| Reply::json(200, json!({"parts": [], "next_cursor": format!("c{i}")})))
        .collect();
    let server = Scripted::start(replies).await;
    let c = common::client(&server.base);
    let err = bounded(c.get_printed_parts().limit(10).items().try_collect::<Vec<_>>())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Pagination { .. }), "{err}");
    assert_eq!(server.hits(), MAX_EMPTY_PAGES);
}

// ---- Bad records don't cost the good ones ---------------------------------------

fn page_with_bad_records() -> serde_json::Value {
    let mut parts: Vec<serde_json::Value> = (0..30).map(|i| printed_part(&format!("p{i}"))).collect();
    parts[3] = json!({"uuid": "p3", "part_uuid": null, "status": "printing"});
    parts[7] = json!({"uuid": "p7", "part_uuid": "p", "status": 42});
    parts[11] = json!({"uuid": "p11", "part_uuid": "p", "status": "printing", "updated_at": "yesterday-ish"});
    parts[19] = json!({"part_uuid": "p", "status": "printing"});
    json!({"parts": parts, "next_cursor": "page-2"})
}

#[tokio::test]
async fn a_malformed_record_fails_a_strict_listing_naming_its_index() {
    let server = Scripted::start(vec![Reply::json(200, page_with_bad_records())]).await;
    let c = common::client(&server.base);
    let err = bounded(c.get_printed_parts().limit(30).items().try_collect::<Vec<_>>())
        .await
        .unwrap_err();
    match &err {
        Error::Decode {
            index, path, not_json, ..
        } => {
            assert_eq!(*index, Some(3));
            assert_eq!(path, "parts[3].part_uuid");
            assert!(!not_json);
        }
        other => panic!("{other}"),
    }
    assert!(err.to_string().contains("record 3"), "{err}");
    assert!(err.to_string().contains("items_lenient"), "says what to do: {err}");
}

#[tokio::test]
async fn a_lenient_listing_skips_malformed_records_and_goes_on() {
    let server = Scripted::start(vec![
        Reply::json(200, page_with_bad_records()),
        Reply::json(200, json!({"parts": [printed_part("last")]})),
    ])
    .await;
    let c = common::client(&server.base);
    let all: Vec<_> = bounded(c.get_printed_parts().limit(30).items_lenient().try_collect())
        .await
        .unwrap();
    let good: Vec<&str> = all
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .map(|p| p.uuid.as_str())
        .collect();
    let bad: Vec<_> = all.iter().filter_map(|r| r.as_ref().err()).collect();
    assert_eq!(good.len(), 26 + 1, "every good record of both pages");
    assert_eq!(good.last(), Some(&"last"));
    let where_: Vec<(usize, usize, &str)> = bad.iter().map(|b| (b.page, b.index, b.path.as_str())).collect();
    assert_eq!(
        where_,
        [
            (0, 3, "parts[3].part_uuid"),
            (0, 7, "parts[7].status"),
            (0, 11, "parts[11].updated_at"),
            (0, 19, "parts[19]"),
        ]
    );
    assert_eq!(bad[0].operation, "get_printed_parts");
    assert_eq!(bad[0].uuid(), Some("p3"));
    assert_eq!(bad[2].raw["updated_at"], "yesterday-ish");
    assert!(bad[3].message.contains("uuid"), "{}", bad[3].message);
    assert!(
        bad[1].to_string().contains("record 7 of page 0 (uuid p7)"),
        "{}",
        bad[1]
    );
}

#[tokio::test]
async fn a_page_whose_envelope_is_broken_still_ends_a_lenient_listing() {
    let server = Scripted::start(vec![Reply::json(200, json!({"parts": [], "next_cursor": 17}))]).await;
    let c = common::client(&server.base);
    let err = bounded(c.get_printed_parts().limit(30).items_lenient().try_collect::<Vec<_>>())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Decode { path, index: None, .. } if path == "next_cursor"),
        "{err}"
    );
}

// ---- Error bodies ----------------------------------------------------------------

#[tokio::test]
async fn error_bodies_are_read_up_to_a_cap() {
    let huge = "x".repeat(4 * 1024 * 1024);
    let server = Scripted::start(vec![Reply::text(400, &huge)]).await;
    let c = common::client(&server.base);
    let err = bounded(c.get_part().uuid("p").run()).await.unwrap_err();
    let Error::Api { body, .. } = &err else { panic!("{err}") };
    assert_eq!(body.len(), carbon_ext::MAX_ERROR_BODY);
    assert!(err.to_string().len() < 4000, "the message stays readable");
}

#[tokio::test]
async fn storage_errors_never_show_signatures_or_credentials() {
    let s3_error = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>SignatureDoesNotMatch</Code>\
        <AWSAccessKeyId>AKIAEXAMPLE</AWSAccessKeyId><StringToSign>AWS4-HMAC-SHA256 secret-scope</StringToSign>\
        <SignatureProvided>topsecret</SignatureProvided><CanonicalRequest>PUT /bucket/m-1 \
        X-Amz-Signature=topsecret</CanonicalRequest></Error>";
    let storage = Scripted::start(vec![Reply::text(403, s3_error)]).await;
    let api = Scripted::start(vec![presign_reply(&storage)]).await;
    let dir = tempfile::tempdir().unwrap();
    let c = authed(&api.base, common::fast_retries());
    let err = bounded(c.upload_model_presigned(mesh(&dir), UploadOptions::default(), Progress::none()))
        .await
        .unwrap_err();
    let shown = format!("{err} {err:?}");
    for secret in ["topsecret", "AKIAEXAMPLE", "secret-scope", "secret-bearer-token"] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
    assert!(shown.contains("SignatureDoesNotMatch"), "{shown}");
    assert_eq!(storage.hits(), 1, "a 403 is not retried");
}

#[tokio::test]
async fn a_missing_etag_is_its_own_error_with_the_success_status() {
    let storage = Scripted::start(vec![Reply::Full(200, vec![], vec![])]).await;
    let api = Scripted::start(vec![presign_reply(&storage)]).await;
    let dir = tempfile::tempdir().unwrap();
    let c = authed(&api.base, common::fast_retries().with_max_attempts(2));
    let err = bounded(c.upload_model_presigned(mesh(&dir), UploadOptions::default(), Progress::none()))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::MissingEtag { status, .. } if status.as_u16() == 200),
        "{err}"
    );
    assert_eq!((storage.hits(), api.hits()), (2, 1), "PUT retried, never resolved");
    assert_eq!(err.attempts(), 2);
}

// ---- Downloads ------------------------------------------------------------------

#[tokio::test]
async fn concurrent_downloads_of_one_server_name_never_overwrite_each_other() {
    let dir = tempfile::tempdir().unwrap();
    let mut outcomes = Vec::new();
    let mut servers = Vec::new();
    for content in ["first file", "second file"] {
        let storage = Scripted::start(vec![
            Reply::Full(
                200,
                vec![("content-disposition", "attachment; filename=\"CON.pdf\"".into())],
                content.as_bytes().to_vec(),
            )
            .with_header("content-type", "application/octet-stream"),
        ])
        .await;
        let location = format!("{}/files/t", storage.base.trim_end_matches("/v1"));
        let api = Scripted::start(vec![Reply::Full(302, vec![("location", location)], vec![])]).await;
        servers.push((api, storage));
    }
    let clients: Vec<Client> = servers.iter().map(|(api, _)| common::client(&api.base)).collect();
    let destination = || Destination::Directory {
        dir: dir.path().to_path_buf(),
        fallback_name: "x.bin".into(),
    };
    let (a, b) = bounded(async {
        tokio::join!(
            clients[0].download(RemoteFile::Attachment("a"), destination(), Progress::none()),
            clients[1].download(RemoteFile::Attachment("a"), destination(), Progress::none()),
        )
    })
    .await;
    outcomes.push(a);
    outcomes.push(b);
    let won: Vec<_> = outcomes.iter().filter_map(|o| o.as_ref().ok()).collect();
    let lost: Vec<_> = outcomes.iter().filter_map(|o| o.as_ref().err()).collect();
    assert_eq!((won.len(), lost.len()), (1, 1), "{outcomes:?}");
    assert!(matches!(lost[0], Error::InvalidFile { .. }), "{}", lost[0]);
    // The reserved device name was made safe, and the winner's bytes are intact.
    assert_eq!(won[0].path, dir.path().join("_CON.pdf"));
    let content = std::fs::read_to_string(&won[0].path).unwrap();
    assert!(content == "first file" || content == "second file");
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "no temporary file left: {names:?}");
}

#[tokio::test]
async fn a_download_cut_short_is_retried_and_never_leaves_a_file() {
    let storage = Scripted::start(vec![Reply::Short {
        announced: 1000,
        body: b"only a part".to_vec(),
    }])
    .await;
    let location = format!("{}/files/t", storage.base.trim_end_matches("/v1"));
    let api = Scripted::start(vec![Reply::Full(302, vec![("location", location)], vec![])]).await;
    let dir = tempfile::tempdir().unwrap();
    let c = common::client(&api.base);
    let target = dir.path().join("m.stl");
    let err = bounded(c.download(
        RemoteFile::Model("m"),
        Destination::File(target.clone()),
        Progress::none(),
    ))
    .await
    .unwrap_err();
    assert!(err.is_retryable(), "{err}");
    assert_eq!(err.attempts(), 3, "{err}");
    assert_eq!(storage.hits(), 3);
    assert!(
        std::fs::read_dir(dir.path()).unwrap().next().is_none(),
        "nothing written"
    );
}

// ---- Limiter --------------------------------------------------------------------

#[test]
fn extreme_rate_limits_are_refused_by_the_builder() {
    for limit in [
        RateLimit::new(u32::MAX, Duration::from_secs(10)),
        RateLimit::new(200, Duration::MAX),
        RateLimit::new(0, Duration::from_secs(10)),
    ] {
        let err = Client::builder()
            .without_credentials()
            .rate_limit(limit)
            .build()
            .unwrap_err();
        assert!(matches!(err, Error::Config(_)), "{err}");
        assert!(err.to_string().contains("rate limit"), "{err}");
    }
}

// ---- Waiters --------------------------------------------------------------------

fn fast_waits() -> WaitConfig {
    WaitConfig::new(
        Duration::from_millis(5),
        Duration::from_millis(20),
        Duration::from_secs(20),
    )
}

/// Part order po-1 in `status`, as the API sends it.
fn order(status: &str) -> Reply {
    order_reply(json!({"uuid": "po-1", "status": status}))
}

/// A part order as the API sends it: `fields` over a due date and no printed parts.
fn order_reply(fields: serde_json::Value) -> Reply {
    let mut order = json!({"due_date": "2026-12-01T00:00:00Z", "printed_parts": []});
    order
        .as_object_mut()
        .unwrap()
        .extend(fields.as_object().unwrap().clone());
    Reply::json(200, order)
}

/// The error a wait (`config`) for part order po-1 ends with against an API
/// answering `replies`, and how many requests the API saw.
async fn failed_wait(replies: Vec<Reply>, config: WaitConfig) -> (Error, usize) {
    let server = Scripted::start(replies).await;
    let c = common::client(&server.base);
    let err = bounded(c.wait_until_part_order_finished("po-1").config(config))
        .await
        .unwrap_err();
    (err, server.hits())
}

#[tokio::test]
async fn a_wait_rides_out_an_outage_longer_than_one_requests_retries() {
    // Three attempts per poll: six 503s are two polls that failed outright.
    let mut replies = vec![Reply::text(503, "down"); 6];
    replies.push(order("processing"));
    replies.push(order("complete"));
    let server = Scripted::start(replies).await;
    let c = common::client(&server.base);
    let outcome = bounded(c.wait_until_part_order_finished("po-1").config(fast_waits()))
        .await
        .unwrap();
    assert!(outcome.is_done(), "{outcome:?}");

    // With no error budget, the first failed poll ends the wait.
    let no_budget = fast_waits().with_error_budget(Duration::ZERO);
    let (err, _) = failed_wait(vec![Reply::text(503, "down")], no_budget).await;
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));

    // A refusal is not transient: it ends the wait at once.
    let (err, hits) = failed_wait(vec![Reply::text(404, "no such order")], fast_waits()).await;
    assert!(matches!(err, Error::NotFound { .. }), "{err}");
    assert_eq!(hits, 1);
}

fn print_order(total: i64, routed: serde_json::Value) -> Reply {
    Reply::json(
        200,
        json!({"uuid": "pro-1", "build_uuid": "b", "total_copies": total, "routed_to": routed}),
    )
}

#[tokio::test]
async fn a_print_order_wait_can_fail_and_never_finishes_on_zero_copies() {
    // Routed nowhere: nothing will print it.
    let server = Scripted::start(vec![print_order(2, json!({}))]).await;
    let c = common::client(&server.base);
    let outcome = bounded(c.wait_until_print_order_printed("pro-1").config(fast_waits()))
        .await
        .unwrap();
    assert!(matches!(outcome, WaitOutcome::Failed(_)), "{outcome:?}");

    // total_copies 0 still waits for a copy.
    let server = Scripted::start(vec![
        print_order(0, json!({"SIM001": {"copies_queued": 1, "copies_printed": 0}})),
        print_order(0, json!({"SIM001": {"copies_queued": 1, "copies_printed": 1}})),
    ])
    .await;
    let c = common::client(&server.base);
    let seen = Arc::new(Mutex::new(0));
    let counter = seen.clone();
    let progress = Progress::new(move |_: &types::PrintOrder| *counter.lock().unwrap() += 1);
    let outcome = bounded(
        c.wait_until_print_order_printed("pro-1")
            .config(fast_waits())
            .progress(progress),
    )
    .await
    .unwrap();
    assert!(outcome.is_done());
    assert_eq!(server.hits(), 2, "not done before a copy was printed");
    assert_eq!(*seen.lock().unwrap(), 2, "progress saw each poll");
}

#[tokio::test]
async fn waits_with_extreme_intervals_do_not_panic() {
    // Pauses of Duration::MAX, cut short by the deadline.
    let server = Scripted::start(vec![order("processing")]).await;
    let c = common::client(&server.base);
    let config = WaitConfig::new(Duration::MAX, Duration::MAX, Duration::from_millis(50));
    let outcome = bounded(c.wait_until_part_order_finished("po-1").config(config))
        .await
        .unwrap();
    assert!(matches!(outcome, WaitOutcome::TimedOut(Some(_))), "{outcome:?}");
    // No deadline at all, and pauses allowed to grow without bound.
    let server = Scripted::start(vec![order("processing"), order("processing"), order("complete")]).await;
    let c = common::client(&server.base);
    let config = WaitConfig::new(Duration::from_millis(5), Duration::MAX, Duration::MAX);
    let outcome = bounded(c.wait_until_part_order_finished("po-1").config(config))
        .await
        .unwrap();
    assert!(outcome.is_done());
}

// ---- Safe creates ---------------------------------------------------------------

fn part_order_request(uuid: &str) -> types::PartOrderRequest {
    types::PartOrderRequest {
        uuid: Some(uuid.into()),
        ..common::part_order_request("PO-7")
    }
}

/// Part order po-x numbered `number`, as the API sends it.
fn existing_order(number: &str) -> Reply {
    order_reply(json!({"uuid": "po-x", "part_order_number": number}))
}

#[tokio::test]
async fn a_first_attempt_409_is_ours_only_if_the_record_matches() {
    // Someone else's order holds the uuid.
    let server = Scripted::start(vec![Reply::text(409, "exists"), existing_order("OTHER-1")]).await;
    let c = common::client(&server.base);
    let err = bounded(c.create_part_order_once(part_order_request("po-x")))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Conflict { .. }), "{err}");
    assert!(err.to_string().contains("does not match"), "{err}");

    // Our own order from an earlier run.
    let server = Scripted::start(vec![Reply::text(409, "exists"), existing_order("PO-7")]).await;
    let c = common::client(&server.base);
    let created = bounded(c.create_part_order_once(part_order_request("po-x")))
        .await
        .unwrap();
    assert!(matches!(created, Created::AlreadyExisted(_)));

    // A 409 after an attempt that may have been processed: the earlier attempt worked.
    let server = Scripted::start(vec![
        Reply::text(503, "maybe"),
        Reply::text(409, "exists"),
        existing_order("PO-7"),
    ])
    .await;
    let c = common::client(&server.base);
    let created = bounded(c.create_part_order_once(part_order_request("po-x")))
        .await
        .unwrap();
    assert!(matches!(created, Created::AlreadyExisted(_)));
    let methods: Vec<String> = server.requests().iter().map(|r| r.method.clone()).collect();
    assert_eq!(methods, ["POST", "POST", "GET"]);
}

#[tokio::test]
async fn a_wait_never_polls_sooner_than_a_429_asked_nor_past_its_budget() {
    // The API asks for an hour; the error budget is 15 minutes: the wait ends with
    // the 429 at once instead of polling against it.
    let later = Reply::text(429, "later").with_header("retry-after", "3600");
    let (err, hits) = failed_wait(vec![later], fast_waits()).await;
    assert!(matches!(err, Error::RateLimited { .. }), "{err}");
    assert_eq!(hits, 1);
}

#[tokio::test]
async fn a_run_asked_for_twice_is_reported_once_per_mention() {
    let server = Scripted::start(vec![Reply::json(
        200,
        json!({"model_program_runs": [{"uuid": "a", "status": "complete", "progress": 1, "model_uuid": "m"}]}),
    )])
    .await;
    let c = common::client(&server.base);
    let runs = vec!["a".to_string(), "a".to_string()];
    let outcomes = bounded(c.wait_until_model_program_runs_complete(&runs).config(fast_waits()))
        .await
        .unwrap();
    assert!(outcomes["a"].is_done(), "{outcomes:?}");
}
