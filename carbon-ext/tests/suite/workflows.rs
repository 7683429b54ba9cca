//! Downloads, waiters and safe creates against mock servers on loopback.

use crate::common;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use carbon_ext::enums::PartOrderStatus;
use carbon_ext::{Client, Created, Destination, Error, Progress, RemoteFile, WaitConfig, WaitOutcome, types};
use common::{Reply, Scripted};
use httpmock::Method::{GET, POST};
use httpmock::{HttpMockRequest, HttpMockResponse, Mock, MockServer};
use serde_json::json;

fn client_for(base: &str) -> Client {
    common::authed_builder(base, "api-token").build().unwrap()
}

fn fast() -> WaitConfig {
    WaitConfig::new(
        Duration::from_millis(5),
        Duration::from_millis(20),
        Duration::from_secs(10),
    )
}

fn json_response(body: serde_json::Value) -> HttpMockResponse {
    HttpMockResponse::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(body.to_string())
        .build()
}

/// A mock answer that changes with each call: `answers[n]` for the n-th call, the
/// last one repeated.
fn sequence(answers: Vec<serde_json::Value>) -> impl Fn(&HttpMockRequest) -> HttpMockResponse + Send + Sync + 'static {
    let calls = AtomicUsize::new(0);
    move |_| {
        let n = calls.fetch_add(1, Ordering::SeqCst);
        json_response(answers[n.min(answers.len() - 1)].clone())
    }
}

/// Answers GET `path` on `api` with `answers` in turn (see [`sequence`]): the
/// mock, to count the calls.
async fn in_turn<'a>(api: &'a MockServer, path: &str, answers: Vec<serde_json::Value>) -> Mock<'a> {
    api.mock_async(|when, then| {
        when.method(GET).path(path);
        then.respond_with(sequence(answers));
    })
    .await
}

/// A client of the mock API `api`, with its token.
fn client_of(api: &MockServer) -> Client {
    client_for(&format!("{}/v1", api.base_url()))
}

// ---------------------------------------------------------------- downloads

#[tokio::test]
async fn attachment_download_follows_the_redirect_without_credentials() {
    let api = MockServer::start_async().await;
    let storage = MockServer::start_async().await;
    let file = storage
        .mock_async(|when, then| {
            when.method(GET).path("/files/t.pdf").header_missing("authorization");
            then.status(200)
                .header("content-disposition", "attachment; filename=\"traveler-B1.pdf\"")
                .body(b"%PDF-1.7 the traveler");
        })
        .await;
    let location = format!("{}/files/t.pdf", storage.base_url());
    let redirect = api
        .mock_async(move |when, then| {
            when.method(GET)
                .path("/v1/attachments/att-1")
                .header("authorization", "Bearer api-token");
            then.status(302).header("location", location);
        })
        .await;
    let dir = tempfile::tempdir().unwrap();
    let c = client_of(&api);
    let done = c
        .download(
            RemoteFile::Attachment("att-1"),
            Destination::Directory {
                dir: dir.path().to_path_buf(),
                fallback_name: "attachment.bin".into(),
            },
            Progress::none(),
        )
        .await
        .unwrap();
    redirect.assert_async().await;
    file.assert_async().await;
    assert_eq!(done.path, dir.path().join("traveler-B1.pdf"));
    assert_eq!(std::fs::read(&done.path).unwrap(), b"%PDF-1.7 the traveler");
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "no temporary file left: {names:?}");

    // Into any writer.
    let mut buffer = Vec::new();
    let n = c
        .download_to(RemoteFile::Attachment("att-1"), &mut buffer, Progress::none())
        .await
        .unwrap();
    assert_eq!(n, 21);
    assert_eq!(buffer, b"%PDF-1.7 the traveler");
}

#[tokio::test]
async fn an_interrupted_download_leaves_no_file() {
    // The server announces 1000 bytes and closes after 10.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/v1", listener.local_addr().unwrap());
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut buf = [0u8; 4096];
            let _ = socket.read(&mut buf).await;
            let _ = socket.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ncontent-length: 1000\r\n\r\n0123456789").await;
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("model.stl");
    let err = client_for(&base)
        .download(
            RemoteFile::Model("m-1"),
            Destination::File(target.clone()),
            Progress::none(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport { .. } | Error::Api { .. }), "{err}");
    assert!(
        std::fs::read_dir(dir.path()).unwrap().next().is_none(),
        "nothing written"
    );
}

#[tokio::test]
async fn a_model_file_streams_into_a_writer_and_errors_name_its_operation() {
    let api = MockServer::start_async().await;
    let model = api
        .mock_async(|when, then| {
            when.method(GET).path("/v1/models/m-1/download");
            then.status(200).body(b"solid cube");
        })
        .await;
    api.mock_async(|when, then| {
        when.method(GET).path("/v1/models/m-2/download");
        then.status(404).body("no such model");
    })
    .await;
    let c = client_of(&api);
    let mut buffer = Vec::new();
    let n = c
        .download_to(RemoteFile::Model("m-1"), &mut buffer, Progress::none())
        .await
        .unwrap();
    model.assert_async().await;
    assert_eq!((n, buffer.as_slice()), (10, &b"solid cube"[..]));
    let err = c
        .download_to(RemoteFile::Model("m-2"), &mut Vec::new(), Progress::none())
        .await
        .unwrap_err();
    assert_eq!(err.operation(), "download_model", "{err}");
}

#[tokio::test]
async fn a_missing_destination_directory_is_reported_before_writing() {
    let api = MockServer::start_async().await;
    api.mock_async(|when, then| {
        when.method(GET).path("/v1/models/m-1/download");
        then.status(200).body(b"solid");
    })
    .await;
    let err = client_of(&api)
        .download(
            RemoteFile::Model("m-1"),
            Destination::File("/no/such/dir/m.stl".into()),
            Progress::none(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidFile { reason, .. } if reason.contains("does not exist")),
        "{err}"
    );
}

// ---------------------------------------------------------------- waiters

fn run_json(status: &str, model: Option<&str>, failure: Option<&str>) -> serde_json::Value {
    json!({"uuid": "r-1", "status": status, "progress": 0.5, "model_uuid": model, "failure_message": failure})
}

#[tokio::test]
async fn run_waiter_done_through_unknown_statuses() {
    let api = MockServer::start_async().await;
    let mock = in_turn(
        &api,
        "/v1/model_program_runs/r-1",
        vec![
            run_json("pending", None, None),
            run_json("gpu_queue", None, None),
            run_json("complete", None, None),
            run_json("complete", Some("m-out"), None),
        ],
    )
    .await;
    let outcome = client_of(&api)
        .wait_until_model_program_run_complete("r-1")
        .config(fast())
        .await
        .unwrap();
    match outcome {
        WaitOutcome::Done(run) => assert_eq!(run.model_uuid.as_deref(), Some("m-out")),
        other => panic!("{other:?}"),
    }
    mock.assert_calls_async(4).await;
}

#[tokio::test]
async fn a_waiter_sends_nothing_until_awaited_and_polls_as_configured() {
    let api = MockServer::start_async().await;
    let mock = in_turn(
        &api,
        "/v1/model_program_runs/r-1",
        vec![
            run_json("pending", None, None),
            run_json("complete", Some("m-out"), None),
        ],
    )
    .await;
    let c = client_of(&api);
    let waiter = c.wait_until_model_program_run_complete("r-1");
    // The defaults until told otherwise: 5 s growing to a minute, for a day.
    assert!(
        format!("{waiter:?}").contains(&format!("{:?}", WaitConfig::default())),
        "{waiter:?}"
    );
    let seen = Arc::new(Mutex::new(Vec::new()));
    let statuses = seen.clone();
    let waiter = waiter
        .config(fast())
        .progress(Progress::new(move |run: &types::ModelProgramRun| {
            statuses.lock().unwrap().push(run.status.as_str().to_string())
        }));
    mock.assert_calls_async(0).await;
    let outcome = waiter.await.unwrap();
    assert!(outcome.is_done(), "{outcome:?}");
    mock.assert_calls_async(2).await;
    assert_eq!(*seen.lock().unwrap(), ["pending", "complete"]);
}

#[tokio::test]
async fn run_waiter_failed_and_timed_out() {
    let api = MockServer::start_async().await;
    in_turn(
        &api,
        "/v1/model_program_runs/bad",
        vec![
            run_json("preparing", None, None),
            run_json("invalid", None, Some("not a mesh")),
        ],
    )
    .await;
    in_turn(
        &api,
        "/v1/model_program_runs/slow",
        vec![run_json("preparing", None, None)],
    )
    .await;
    let c = client_of(&api);
    match c
        .wait_until_model_program_run_complete("bad")
        .config(fast())
        .await
        .unwrap()
    {
        WaitOutcome::Failed(run) => assert_eq!(run.failure_message.as_deref(), Some("not a mesh")),
        other => panic!("{other:?}"),
    }
    let config = WaitConfig::new(
        Duration::from_millis(5),
        Duration::from_millis(10),
        Duration::from_millis(60),
    );
    match c
        .wait_until_model_program_run_complete("slow")
        .config(config)
        .await
        .unwrap()
    {
        WaitOutcome::TimedOut(Some(run)) => assert_eq!(run.status.as_str(), "preparing"),
        other => panic!("{other:?}"),
    }
}

/// Waits (`fast()`) for `runs` through the batch lookup, which answers `pages` in
/// turn (each page the runs it returns): how the wait ended, and how many lookups
/// it made.
async fn wait_for_runs(
    pages: Vec<serde_json::Value>,
    runs: &[&str],
) -> (
    Result<BTreeMap<String, WaitOutcome<types::ModelProgramRun>>, Error>,
    usize,
) {
    let api = MockServer::start_async().await;
    let pages = pages
        .into_iter()
        .map(|runs| json!({"model_program_runs": runs}))
        .collect();
    let mock = in_turn(&api, "/v1/model_program_runs", pages).await;
    let runs: Vec<String> = runs.iter().map(|run| run.to_string()).collect();
    let ended = client_of(&api)
        .wait_until_model_program_runs_complete(&runs)
        .config(fast())
        .await;
    (ended, mock.calls_async().await)
}

#[tokio::test]
async fn many_runs_at_once_with_the_batch_lookup() {
    let pages = vec![
        json!([
            {"uuid": "a", "status": "complete", "progress": 1, "model_uuid": "ma"},
            {"uuid": "b", "status": "preparing", "progress": 0.2}
        ]),
        json!([{"uuid": "b", "status": "failed", "progress": 1, "failure_message": "x"}]),
    ];
    let (outcomes, lookups) = wait_for_runs(pages, &["a", "b"]).await;
    let outcomes = outcomes.unwrap();
    assert!(outcomes["a"].is_done());
    assert!(matches!(outcomes["b"], WaitOutcome::Failed(_)));
    assert_eq!(lookups, 2);
}

#[tokio::test]
async fn runs_the_api_stops_returning_end_the_wait_with_their_names() {
    // `b` is returned once, then dropped by the server; `c` never exists.
    let pages = vec![
        json!([
            {"uuid": "a", "status": "running", "progress": 0.5},
            {"uuid": "b", "status": "running", "progress": 0.5}
        ]),
        json!([{"uuid": "a", "status": "running", "progress": 0.6}]),
    ];
    let (ended, lookups) = wait_for_runs(pages, &["a", "b", "c"]).await;
    let err = ended.unwrap_err();
    match &err {
        carbon_ext::Error::Vanished { ids, what, .. } => {
            assert_eq!(ids, &["b".to_string(), "c".to_string()]);
            assert_eq!(*what, "model program runs");
        }
        other => panic!("{other}"),
    }
    assert!(
        err.to_string().contains("no longer returns model program runs b, c"),
        "{err}"
    );
    // `b` is gone at the first poll without it; `c` after two polls without it.
    assert_eq!(lookups, 2);
}

fn order_json(status: &str, builds: &[&str]) -> serde_json::Value {
    json!({"uuid": "po-1", "status": status, "due_date": "2026-12-01T00:00:00Z", "build_uuids": builds,
           "printed_parts": [{"uuid": "pp-1", "part_uuid": "p", "status": "waiting"}]})
}

fn parts_json(statuses: &[&str]) -> serde_json::Value {
    let parts: Vec<_> = statuses
        .iter()
        .enumerate()
        .map(|(i, s)| json!({"uuid": format!("pp-{i}"), "part_uuid": "p", "status": s}))
        .collect();
    json!({"parts": parts, "next_cursor": ""})
}

#[tokio::test]
async fn part_order_packed_with_progress_then_finished() {
    let api = MockServer::start_async().await;
    in_turn(
        &api,
        "/v1/part_orders/po-1",
        vec![
            order_json("open", &[]),
            order_json("processing", &["b-1"]),
            order_json("processing", &["b-1", "b-2"]),
            order_json("processing", &["b-1", "b-2"]),
            order_json("complete", &["b-1", "b-2"]),
        ],
    )
    .await;
    api.mock_async(|when, then| {
        when.method(GET)
            .path("/v1/printed_parts")
            .query_param("part_order_uuid", "po-1");
        then.respond_with(sequence(vec![
            parts_json(&["waiting", "waiting"]),
            parts_json(&["queued", "re_routed"]),
            parts_json(&["printing", "complete"]),
        ]));
    })
    .await;
    let c = client_of(&api);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let outcome = c
        .wait_until_part_order_packed("po-1")
        .config(fast())
        .progress(Progress::new(move |progress: &carbon_ext::PackingProgress| {
            log.lock()
                .unwrap()
                .push((progress.packed(), progress.build_uuids.len()))
        }))
        .await
        .unwrap();
    let WaitOutcome::Done((_, progress)) = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(progress.by_status.get("printing"), Some(&1));
    assert_eq!(*seen.lock().unwrap(), vec![(0, 0), (0, 1), (2, 2)]);

    let finished = c.wait_until_part_order_finished("po-1").config(fast()).await.unwrap();
    assert!(matches!(finished, WaitOutcome::Done(ref order) if order.status == Some(PartOrderStatus::Complete)));
}

#[tokio::test]
async fn an_incomplete_order_finishes_as_failed() {
    let api = MockServer::start_async().await;
    in_turn(
        &api,
        "/v1/part_orders/po-1",
        vec![order_json("on_hold", &[]), order_json("incomplete", &["b-1"])],
    )
    .await;
    let c = client_of(&api);
    let outcome = c.wait_until_part_order_finished("po-1").config(fast()).await.unwrap();
    assert!(
        matches!(outcome, WaitOutcome::Failed(ref o) if o.status == Some(PartOrderStatus::Incomplete)),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn print_order_waits_for_all_copies() {
    let api = MockServer::start_async().await;
    let order = |a: i64, b: i64| {
        json!({"uuid": "pro-1", "total_copies": 3, "routed_to": {
            "AAAAAA": {"copies_queued": 2, "copies_printed": a}, "BBBBBB": {"copies_queued": 1, "copies_printed": b}}})
    };
    let mock = in_turn(
        &api,
        "/v1/print_orders/pro-1",
        vec![order(0, 0), order(1, 1), order(2, 1)],
    )
    .await;
    let c = client_of(&api);
    assert!(
        c.wait_until_print_order_printed("pro-1")
            .config(fast())
            .await
            .unwrap()
            .is_done()
    );
    mock.assert_calls_async(3).await;
}

// ---------------------------------------------------------------- safe creates

fn part_order_request() -> types::PartOrderRequest {
    types::PartOrderRequest {
        parts: vec![types::PartOrderRequestParts {
            uuid: Some("part-1".into()),
        }],
        ..common::part_order_request("PO-1")
    }
}

#[tokio::test]
async fn a_conflict_after_a_retry_returns_the_existing_order() {
    // The first create reached the server but its answer was lost (a 503); the retry
    // with the same uuid meets a 409.
    let uuid_json = |body: &[u8]| -> String {
        serde_json::from_slice::<serde_json::Value>(body).unwrap()["uuid"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let server = Scripted::start(vec![
        Reply::text(503, "gateway lost the answer"),
        Reply::text(409, "a part order with this uuid exists"),
        Reply::json(200, {
            let mut order = order_json("open", &[]);
            order["part_order_number"] = "PO-1".into();
            order
        }),
    ])
    .await;
    let c = client_for(&server.base);
    let created = c.create_part_order_once(part_order_request()).await.unwrap();
    let Created::AlreadyExisted(order) = created else {
        panic!("{created:?}")
    };
    assert_eq!(order.uuid, "po-1");
    let requests = server.requests();
    assert_eq!(
        requests.iter().map(|r| r.method.as_str()).collect::<Vec<_>>(),
        ["POST", "POST", "GET"]
    );
    let first = uuid_json(&requests[0].body);
    assert_eq!(first, uuid_json(&requests[1].body), "the same uuid on every attempt");
    assert_eq!(requests[2].target, format!("/v1/part_orders/{first}"));
}

#[tokio::test]
async fn a_clean_create_is_new_and_a_caller_uuid_is_kept() {
    let api = MockServer::start_async().await;
    let create = api
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v1/print_orders")
                .json_body_includes(r#"{"uuid": "my-own-uuid"}"#);
            then.status(200)
                .json_body(json!({"uuid": "my-own-uuid", "total_copies": 1}));
        })
        .await;
    let c = client_of(&api);
    let request = types::PrintOrderRequest {
        uuid: Some("my-own-uuid".into()),
        build_uuid: "b-1".into(),
        total_copies: std::num::NonZeroU64::new(1).unwrap(),
        route_to: vec!["AAAAAA".into()],
        print_order_number: None,
        print_order_tags: None,
        notes: None,
    };
    let created = c.create_print_order_once(request).await.unwrap();
    assert!(matches!(created, Created::New(ref o) if o.uuid.as_deref() == Some("my-own-uuid")));
    create.assert_calls_async(1).await;
}
