//! Behaviour of the generated client beyond single operations: open enums, tolerant
//! decoding, error bodies, hooks, base URLs and the document it was built from.

use crate::common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use carbon_api_gen::enums::{ModelProgramRunStatus, PartOrderStatus, PrintedPartStatus};
use carbon_api_gen::{Answered, Client, ClientState, Error, Execution, Failure, HookError, HookFuture, RequestHooks};
use common::{client, client_at};
use httpmock::Method::GET;
use httpmock::MockServer;
use serde_json::json;

use crate::wire::{read_all, Wire};

#[test]
fn open_enum_keeps_unknown_values_and_round_trips() {
    let status: PrintedPartStatus = serde_json::from_value(json!("on_hold")).unwrap();
    assert!(!status.is_known());
    assert_eq!(status.as_str(), "on_hold");
    assert_eq!(status.to_string(), "on_hold");
    assert_eq!(serde_json::to_value(&status).unwrap(), json!("on_hold"));
    assert!(matches!(status, PrintedPartStatus::Unknown(ref v) if v.as_str() == "on_hold"));

    // Known values stay matchable, whichever way they are made.
    assert_eq!(
        "printing".parse::<PrintedPartStatus>().unwrap(),
        PrintedPartStatus::Printing
    );
    assert_eq!(PrintedPartStatus::from("canceled"), PrintedPartStatus::Canceled);
    let known: PartOrderStatus = serde_json::from_value(json!("incomplete")).unwrap();
    assert_eq!(known, PartOrderStatus::Incomplete);
    assert!(known.is_known());
    assert_eq!(PrintedPartStatus::KNOWN.len(), 7);
    for value in PrintedPartStatus::KNOWN {
        assert_eq!(&PrintedPartStatus::from(value.as_str()), value);
    }
    // Case matters on the wire: `Complete` is not `complete`.
    assert!(!ModelProgramRunStatus::from("Complete").is_known());
}

#[tokio::test]
async fn responses_tolerate_unknown_enum_values_extra_fields_and_nulls() {
    let wire = Wire::start().await;
    let order = wire
        .expect(GET, "/v1/part_orders/po-1")
        .answer(json!({
            "uuid": "po-1", "due_date": "2026-11-02T10:00:00Z", "status": "on_hold",
            "brand_new_field": {"nested": [1, 2, 3]},
            "build_uuids": null, "packing_group": null, "flushed_at": null, "application_uuid": null,
            "printed_parts": [{"uuid": "pp-1", "part_uuid": "p-1", "status": "re_queued"}]
        }))
        .call(|c| c.get_part_order().uuid("po-1").send())
        .await;
    assert_eq!(order.status.as_ref().map(|s| s.as_str()), Some("on_hold"));
    assert_eq!(order.printed_parts[0].status.as_str(), "re_queued");
    assert_eq!(order.build_uuids, None);
    assert_eq!(order.flushed_at, None);
    // The unknown status goes back out unchanged.
    let echoed = serde_json::to_value(&order).unwrap();
    assert_eq!(echoed["status"], "on_hold");
}

#[tokio::test]
async fn error_response_body_reaches_the_caller() {
    let wire = Wire::start().await;
    let mock = wire
        .expect(GET, "/v1/builds/missing")
        .status(404)
        .answer_raw("application/json", br#"{"message":"Build missing not found"}"#)
        .mount()
        .await;
    let err = wire.client.get_build().uuid("missing").send().await.unwrap_err();
    mock.assert_async().await;
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404));
    let Error::UnexpectedResponse(response) = err else {
        panic!("expected the raw response, got {err:?}")
    };
    assert_eq!(
        response.text().await.unwrap(),
        r#"{"message":"Build missing not found"}"#
    );
}

#[tokio::test]
async fn invalid_requests_fail_before_sending() {
    let server = MockServer::start_async().await;
    let any = server.mock_async(|when, then| {
        when.any_request();
        then.status(200);
    });
    let any = any.await;
    let c = client(&server);
    // `limit` is required on every paged operation.
    let err = c.get_builds().send().await.unwrap_err();
    assert!(
        matches!(&err, Error::InvalidRequest(msg) if msg.contains("limit")),
        "{err:?}"
    );
    // A packing group longer than 32 characters is rejected by its type.
    assert!("x"
        .repeat(33)
        .parse::<carbon_api_gen::types::GetBuildsPackingGroup>()
        .is_err());
    assert_eq!(any.calls_async().await, 0);
}

#[derive(Default)]
struct Recorder {
    operations: Mutex<Vec<&'static str>>,
    executions: AtomicUsize,
    /// Status and `Authorization` of each failed response the hooks saw.
    failures: Mutex<Vec<(u16, Option<String>)>>,
}

struct RecordingHooks(Arc<Recorder>);

impl RequestHooks for RecordingHooks {
    fn prepare<'a>(
        &'a self,
        request: &'a mut reqwest::Request,
        operation_id: &'static str,
    ) -> HookFuture<'a, Result<(), HookError>> {
        // Decided without waiting: a ready result (no future is boxed).
        self.0.operations.lock().unwrap().push(operation_id);
        if request.url().path().ends_with("/forbidden") {
            return HookFuture::ready(Err(HookError::Credentials("refused by the hook".to_string())));
        }
        if request.url().path().ends_with("/too-many") {
            // Some checks wait: a pending result.
            return HookFuture::pending(async {
                tokio::task::yield_now().await;
                Err(HookError::InvalidRequest("too many values".to_string()))
            });
        }
        request.headers_mut().insert("x-test-hook", "prepared".parse().unwrap());
        request
            .headers_mut()
            .insert(reqwest::header::AUTHORIZATION, "Bearer t".parse().unwrap());
        HookFuture::ready(Ok(()))
    }

    fn execute<'a>(
        &'a self,
        http: &'a reqwest::Client,
        mut request: reqwest::Request,
        _operation_id: &'static str,
    ) -> Execution<'a> {
        self.0.executions.fetch_add(1, Ordering::SeqCst);
        if !request.url().path().ends_with("/detour") {
            return Execution::Send(request);
        }
        // The hook sends this one itself, elsewhere.
        Execution::Hooked(HookFuture::pending(async move {
            request.url_mut().set_path("/v1/parts/p-1");
            http.execute(request).await
        }))
    }

    fn inspect_failure<'a>(&'a self, failure: Failure) -> Answered<'a> {
        // What a hook may log of a failure shows no credentials.
        let logged = format!("{failure:?}");
        assert!(logged.contains("<redacted>") && !logged.contains("Bearer"), "{logged}");
        let authorization = failure.authorization.map(|v| v.to_str().unwrap().to_string());
        self.0
            .failures
            .lock()
            .unwrap()
            .push((failure.response.status().as_u16(), authorization));
        HookFuture::ready(Ok(failure.response))
    }
}

#[tokio::test]
async fn hooks_run_around_every_request() {
    let wire = Wire::start().await;
    let mock = wire
        .expect(GET, "/v1/parts/p-1")
        .header("x-test-hook", "prepared")
        .answer(json!({"uuid": "p-1", "part_number": "PN"}))
        .mount()
        .await;
    let recorder = Arc::new(Recorder::default());
    let c = client_at(
        &format!("{}/v1", wire.server.base_url()),
        ClientState::new(RecordingHooks(recorder.clone())),
    );
    c.get_part().uuid("p-1").send().await.unwrap();
    mock.assert_async().await;
    // Sent by the hook itself, to the same mock.
    c.get_part().uuid("detour").send().await.unwrap();
    mock.assert_calls_async(2).await;
    assert!(
        recorder.failures.lock().unwrap().is_empty(),
        "successes are not inspected"
    );
    // A failure is shown to the hooks, with the credentials it was sent with.
    let err = c.get_part().uuid("missing").send().await.unwrap_err();
    assert_eq!(err.status(), Some(reqwest::StatusCode::NOT_FOUND), "{err:?}");
    assert_eq!(
        *recorder.failures.lock().unwrap(),
        vec![(404, Some("Bearer t".to_string()))]
    );

    let err = c.get_part().uuid("forbidden").send().await.unwrap_err();
    assert!(
        matches!(&err, Error::Custom(msg) if msg == "refused by the hook"),
        "{err:?}"
    );
    let err = c.get_part().uuid("too-many").send().await.unwrap_err();
    assert!(
        matches!(&err, Error::InvalidRequest(msg) if msg == "too many values"),
        "{err:?}"
    );
    assert_eq!(*recorder.operations.lock().unwrap(), vec!["get_part"; 5]);
    // The refused requests were never executed.
    assert_eq!(recorder.executions.load(Ordering::SeqCst), 3);
    // The state never prints what the hooks hold.
    assert_eq!(format!("{:?}", c.state()), "ClientState { .. }");
}

#[tokio::test]
async fn base_url_with_or_without_trailing_slash() {
    let wire = Wire::start().await;
    let mock = wire
        .expect(GET, "/v1/applications")
        .answer(json!({"applications": []}))
        .mount()
        .await;
    for base in [
        format!("{}/v1", wire.server.base_url()),
        format!("{}/v1/", wire.server.base_url()),
    ] {
        let c = client_at(&base, ClientState::default());
        c.get_applications().send().await.unwrap();
    }
    mock.assert_calls_async(2).await;
}

#[tokio::test]
async fn requests_carry_the_api_version() {
    let wire = Wire::start().await;
    wire.expect(GET, "/v1/applications")
        .header("api-version", carbon_api_spec_version())
        .answer(json!({"applications": []}))
        .call(|c| c.get_applications().send())
        .await;
}

fn carbon_api_spec_version() -> &'static str {
    carbon_api_gen::API_VERSION
}

#[test]
fn api_version_matches_document() {
    use carbon_api_gen::ClientInfo;
    assert_eq!(
        carbon_api_gen::API_VERSION,
        <Client as ClientInfo<ClientState>>::api_version()
    );
    assert!(!carbon_api_gen::API_VERSION.is_empty());
}

#[tokio::test]
async fn slow_body_is_not_cut_off_by_a_whole_request_timeout() {
    // The read timeout limits the gap between bytes, not the whole transfer: a body
    // that takes longer than the read timeout in total, but keeps flowing, arrives.
    // Real time (reqwest's timers and the socket): each gap is 900 ms under the
    // timeout, so only a machine stalled for most of a second could fail it; the
    // whole body takes 2.4 s, well over the 1.5 s timeout.
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut buf = [0u8; 4096];
        let _ = socket.read(&mut buf).await.unwrap();
        socket
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ncontent-length: 8\r\n\r\n")
            .await
            .unwrap();
        for chunk in [b"ab", b"cd", b"ef", b"gh"] {
            tokio::time::sleep(Duration::from_millis(600)).await;
            socket.write_all(chunk).await.unwrap();
        }
    });
    let http = carbon_api_gen::http_client(Duration::from_secs(2), Duration::from_millis(1500)).unwrap();
    let c = Client::with_state(
        &carbon_api_gen::BaseUrl::parse(&format!("http://{addr}/v1")).unwrap(),
        http,
        ClientState::default(),
    );
    let bytes = read_all(c.download_model().uuid("m-1").send().await.unwrap().into_inner()).await;
    assert_eq!(bytes, b"abcdefgh");
}

#[tokio::test]
async fn timestamps_without_offset_are_read_as_utc() {
    let wire = Wire::start().await;
    let build = wire
        .expect(GET, "/v1/builds/b-1")
        .answer(json!({
            "uuid": "b-1", "parts": [],
            "created_at": "2026-11-02T10:00:00.250", "updated_at": "2026-11-02T12:00:00+02:00"
        }))
        .call(|c| c.get_build().uuid("b-1").send())
        .await;
    assert_eq!(build.created_at.unwrap().to_string(), "2026-11-02T10:00:00.250Z");
    assert_eq!(build.updated_at.unwrap().to_string(), "2026-11-02T10:00:00Z");
    assert!("yesterday".parse::<carbon_api_gen::Timestamp>().is_err());
}

#[test]
fn the_state_keeps_one_value_per_type() {
    #[derive(Debug, PartialEq)]
    struct Settings(u32);
    let state = ClientState::default()
        .with_extension(Arc::new(Settings(1)))
        .with_extension(Arc::new(Settings(2)))
        .with_extension(Arc::new("other type"));
    assert_eq!(state.extension::<Settings>(), Some(&Settings(2)));
    assert_eq!(state.extension::<&str>(), Some(&"other type"));
    assert!(state.extension::<u64>().is_none());
}
