//! Uploads against a mock API and a mock S3 endpoint on loopback.

use crate::common;

use std::future::IntoFuture;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use carbon_ext::{Client, Error, Progress, RemoteFile, RetryPolicy, Transfer, UploadOptions};
use common::{Reply, Scripted};
use httpmock::Method::{POST, PUT};
use httpmock::MockServer;
use serde_json::json;

fn api_client(api: &MockServer) -> Client {
    api_client_with(api, common::fast_retries())
}

fn api_client_with(api: &MockServer, policy: RetryPolicy) -> Client {
    common::authed_builder(&format!("{}/v1", api.base_url()), "api-token")
        .retry_policy(policy)
        .build()
        .unwrap()
}

fn mesh(dir: &tempfile::TempDir, name: &str, size: usize) -> std::path::PathBuf {
    let path = dir.path().join(name);
    let content: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
    std::fs::write(&path, content).unwrap();
    path
}

/// The API's presign endpoint on `api`: every request gets `model_uuid` and
/// `put_url`.
async fn mock_presign(api: &MockServer, model_uuid: &str, put_url: impl Into<String>) {
    let answer = json!({"model_uuid": model_uuid, "presigned_url": put_url.into()});
    api.mock_async(move |when, then| {
        when.method(POST).path("/v1/models/presigned");
        then.status(200).json_body(answer);
    })
    .await;
}

/// The API's resolve endpoint on `api`, accepting every request: its mock, to
/// count the calls.
async fn mock_resolve(api: &MockServer) -> httpmock::Mock<'_> {
    api.mock_async(|when, then| {
        when.method(POST).path("/v1/models/presigned/resolve");
        then.status(200);
    })
    .await
}

#[tokio::test]
async fn presigned_upload_sends_the_exact_bytes_without_credentials_then_resolves() {
    let api = MockServer::start_async().await;
    let s3 = MockServer::start_async().await;
    let dir = tempfile::tempdir().unwrap();
    let path = mesh(&dir, "bracket.stl", 200_000);
    let expected = std::fs::read(&path).unwrap();

    let put_url = format!("{}/bucket/m-9?X-Amz-Signature=abc", s3.base_url());
    let presign = api
        .mock_async(move |when, then| {
            when.method(POST)
                .path("/v1/models/presigned")
                .header("authorization", "Bearer api-token")
                .json_body(json!({"filename": "bracket.stl"}));
            then.status(200)
                .json_body(json!({"model_uuid": "m-9", "presigned_url": put_url}));
        })
        .await;
    let put = s3
        .mock_async(move |when, then| {
            when.method(PUT)
                .path("/bucket/m-9")
                .query_param("X-Amz-Signature", "abc")
                .header("content-type", "application/octet-stream")
                .header("content-length", "200000")
                .header_missing("authorization")
                .is_true(move |req| req.body().as_ref() == expected.as_slice());
            then.status(200).header("etag", "\"e-123\"");
        })
        .await;
    let resolve = api
        .mock_async(|when, then| {
            when.method(POST).path("/v1/models/presigned/resolve").json_body(json!({
                "filename": "bracket.stl", "model_etag": "\"e-123\"", "model_uuid": "m-9", "external_id": "ext-1"
            }));
            then.status(200);
        })
        .await;

    let sent = Arc::new(AtomicU64::new(0));
    let seen = sent.clone();
    let options = UploadOptions::default().external_id("ext-1");
    let progress = Progress::new(move |t: &Transfer| {
        assert_eq!(t.total, Some(200_000));
        seen.store(t.done, Ordering::SeqCst);
    });
    let uploaded = api_client(&api)
        .upload_model_presigned(&path, options, progress)
        .await
        .unwrap();
    presign.assert_async().await;
    put.assert_async().await;
    resolve.assert_async().await;
    assert_eq!(uploaded.model_uuid, "m-9");
    assert_eq!(uploaded.size, 200_000);
    assert_eq!(sent.load(Ordering::SeqCst), 200_000);
}

#[tokio::test]
async fn a_missing_etag_is_an_error_and_nothing_is_resolved() {
    let api = MockServer::start_async().await;
    let s3 = MockServer::start_async().await;
    let dir = tempfile::tempdir().unwrap();
    let path = mesh(&dir, "a.stl", 10);
    let put_url = format!("{}/bucket/m-1", s3.base_url());
    mock_presign(&api, "m-1", put_url).await;
    s3.mock_async(|when, then| {
        when.method(PUT).path("/bucket/m-1");
        then.status(200);
    })
    .await;
    let resolve = mock_resolve(&api).await;
    let err = api_client(&api)
        .upload_model_presigned(&path, UploadOptions::default(), Progress::none())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("without an ETag"), "{err}");
    resolve.assert_calls_async(0).await;
}

#[tokio::test]
async fn a_failed_put_is_retried_from_the_file_and_only_then_resolved() {
    let api = MockServer::start_async().await;
    let dir = tempfile::tempdir().unwrap();
    let path = mesh(&dir, "b.stl", 70_000);
    let s3 = Scripted::start(vec![
        Reply::text(500, "internal"),
        Reply::Full(200, vec![("etag", "\"good\"".into())], vec![]),
    ])
    .await;
    let put_url = format!("{}/bucket/m-2", s3.base.trim_end_matches("/v1"));
    mock_presign(&api, "m-2", put_url).await;
    let resolve = api
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v1/models/presigned/resolve")
                .json_body_includes(r#"{"model_etag": "\"good\""}"#);
            then.status(200);
        })
        .await;
    api_client(&api)
        .upload_model_presigned(&path, UploadOptions::default(), Progress::none())
        .await
        .unwrap();
    let puts = s3.requests();
    assert_eq!(puts.len(), 2);
    let expected = std::fs::read(&path).unwrap();
    assert!(
        puts.iter()
            .all(|p| p.body == expected && p.header("authorization").is_none())
    );
    resolve.assert_calls_async(1).await;

    // When every attempt fails, there is no resolve at all.
    let s3 = Scripted::start(vec![Reply::text(503, "down")]).await;
    let put_url = format!("{}/bucket/m-3", s3.base.trim_end_matches("/v1"));
    let api = MockServer::start_async().await;
    mock_presign(&api, "m-3", put_url).await;
    let resolve = mock_resolve(&api).await;
    let err = api_client_with(&api, common::fast_retries().with_max_attempts(2))
        .upload_model_presigned(&path, UploadOptions::default(), Progress::none())
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(s3.hits(), 2);
    resolve.assert_calls_async(0).await;
}

#[tokio::test]
async fn direct_upload_sends_headers_and_a_sized_body() {
    let api = MockServer::start_async().await;
    let dir = tempfile::tempdir().unwrap();
    let path = mesh(&dir, "part.stl", 1234);
    let expected = std::fs::read(&path).unwrap();
    let upload = api
        .mock_async(move |when, then| {
            when.method(POST)
                .path("/v1/models")
                .header("filename", "renamed.stl")
                .header("external-id", "ext-5")
                .header("application-uuid", "app-1")
                .header("content-type", "application/octet-stream")
                .header("content-length", "1234")
                .header("authorization", "Bearer api-token")
                .is_true(move |req| req.body().as_ref() == expected.as_slice());
            then.status(200)
                .json_body(json!({"uuid": "m-5", "filename": "renamed.stl"}));
        })
        .await;
    let options = UploadOptions::default()
        .filename("renamed.stl")
        .external_id("ext-5")
        .application_uuid("app-1");
    let model = api_client(&api)
        .upload_model_direct(&path, options, Progress::none())
        .await
        .unwrap();
    upload.assert_async().await;
    assert_eq!(model.uuid, "m-5");
}

#[tokio::test]
async fn bad_files_fail_before_any_request() {
    let api = MockServer::start_async().await;
    let any = api
        .mock_async(|when, then| {
            when.any_request();
            then.status(200);
        })
        .await;
    let c = api_client(&api);
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.stl");
    std::fs::write(&empty, b"").unwrap();
    let cases: Vec<(std::path::PathBuf, &str)> = vec![
        (dir.path().join("missing.stl"), "no such file"),
        (dir.path().to_path_buf(), "is a directory"),
        (empty, "is empty"),
    ];
    for (path, reason) in cases {
        let err = c
            .upload_model_presigned(&path, UploadOptions::default(), Progress::none())
            .await
            .unwrap_err();
        assert!(
            matches!(&err, Error::InvalidFile { reason: r, .. } if r.contains(reason)),
            "{}: {err}",
            path.display()
        );
        let err = c
            .upload_model_direct(&path, UploadOptions::default(), Progress::none())
            .await
            .unwrap_err();
        assert!(matches!(&err, Error::InvalidFile { .. }), "{err}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let odd = dir.path().join(std::ffi::OsStr::from_bytes(b"mesh-\xff.stl"));
        std::fs::write(&odd, b"solid").unwrap();
        let err = c
            .upload_model_presigned(&odd, UploadOptions::default(), Progress::none())
            .await
            .unwrap_err();
        assert!(err.to_string().contains("not valid UTF-8"), "{err}");
        // With an explicit name it is fine to send (it would reach the API).
        let unreadable = dir.path().join("locked.stl");
        std::fs::write(&unreadable, b"solid").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&unreadable, std::fs::Permissions::from_mode(0o000)).unwrap();
        // Root reads any file, so this case can only be checked as another user.
        if std::fs::read(&unreadable).is_err() {
            let err = c
                .upload_model_presigned(&unreadable, UploadOptions::default(), Progress::none())
                .await
                .unwrap_err();
            assert!(matches!(err, Error::InvalidFile { .. }), "{err}");
        }
    }
    any.assert_calls_async(0).await;
}

#[tokio::test]
async fn upload_many_reports_each_file() {
    let api = MockServer::start_async().await;
    let s3 = MockServer::start_async().await;
    let put_url = format!("{}/bucket/any", s3.base_url());
    mock_presign(&api, "m-x", put_url).await;
    s3.mock_async(|when, then| {
        when.method(PUT).path("/bucket/any");
        then.status(200).header("etag", "\"e\"");
    })
    .await;
    mock_resolve(&api).await;
    let dir = tempfile::tempdir().unwrap();
    let paths = vec![
        mesh(&dir, "1.stl", 10),
        dir.path().join("missing.stl"),
        mesh(&dir, "3.stl", 10),
    ];
    let results = api_client(&api)
        .upload_many(&paths, 2, UploadOptions::default(), Progress::none())
        .await;
    assert_eq!(results.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>(), paths);
    assert!(results[0].1.is_ok() && results[2].1.is_ok());
    assert!(matches!(results[1].1, Err(Error::InvalidFile { .. })));
}

#[test]
fn workflow_futures_can_be_spawned() {
    fn assert_send<T: Send>(_: &T) {}
    let c = Client::builder().without_credentials().build().unwrap();
    assert_send(&c.upload_model_presigned("x", UploadOptions::default(), Progress::none()));
    assert_send(&c.upload_model_direct("x", UploadOptions::default(), Progress::none()));
    assert_send(&c.upload_many(["x"], 2, UploadOptions::default(), Progress::none()));
    // A waiter, and the wait it runs, borrow neither the client nor the uuid:
    // they can be spawned.
    fn assert_spawnable<T: Send + 'static>(_: &T) {}
    let uuid = String::from("o");
    let waiter = c.wait_until_part_order_finished(&uuid);
    assert_spawnable(&waiter);
    assert_spawnable(&c.wait_until_model_program_run_complete(&uuid).into_future());
    assert_spawnable(
        &c.wait_until_model_program_runs_complete(std::slice::from_ref(&uuid))
            .into_future(),
    );
    assert_spawnable(&c.wait_until_part_order_packed(&uuid).into_future());
    assert_spawnable(&c.wait_until_print_order_printed(&uuid).into_future());
    assert_send(&c.download(
        RemoteFile::Attachment("a"),
        carbon_ext::Destination::File("x".into()),
        Progress::none(),
    ));
    drop((uuid, c));
    assert_spawnable(&waiter.into_future());
}

#[tokio::test]
async fn a_failed_put_never_shows_the_presigned_signature() {
    let api = MockServer::start_async().await;
    // Nothing listens on port 9: the PUT fails to connect.
    mock_presign(&api, "m-1", "http://127.0.0.1:9/bucket/m-1?X-Amz-Signature=topsecret").await;
    let dir = tempfile::tempdir().unwrap();
    let path = mesh(&dir, "a.stl", 10);
    let err = api_client_with(&api, RetryPolicy::disabled())
        .upload_model_presigned(&path, UploadOptions::default(), Progress::none())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err}");
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains("topsecret"), "{shown}");
}
