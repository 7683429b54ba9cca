//! Storage is another origin that accepts only what the simulator signed, until it
//! expires, and never a request with `Authorization`; the SDK's flows go through it
//! without ever sending one.

use std::time::Duration;

use carbon_ext::{Destination, Progress, RemoteFile, UploadOptions};
use carbon_sim::{Config, Simulator};
use reqwest::Method;
use serde_json::json;

/// A simulator of `config` that sets no rate limit.
async fn unlimited(config: Config) -> Simulator {
    integration_tests::simulator(Config {
        rate_limit: None,
        ..config
    })
    .await
}

/// A simulator with three printed parts whose storage URLs are good for `presign_ttl`.
async fn start(presign_ttl: Duration) -> Simulator {
    unlimited(Config {
        printed_parts: 3,
        presign_ttl,
        ..Config::default()
    })
    .await
}

/// Plain HTTP to the simulator, with a token where the API wants one: for the
/// requests the SDK would never make. Redirects are not followed.
struct Raw {
    http: reqwest::Client,
    base: String,
    token: carbon_auth::BearerToken,
}

impl Raw {
    fn new(sim: &Simulator) -> Self {
        Self {
            http: carbon_api_gen::http_client_builder(Duration::from_secs(30), Duration::from_secs(300))
                .unwrap()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: sim.base_url().to_string(),
            token: carbon_auth::mint(&sim.api_key(), Duration::from_secs(600)).unwrap(),
        }
    }

    /// A `method` request of the API for `path` (below the base URL), with the token.
    fn api(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(self.token.expose())
    }

    /// A new presigned upload: its model uuid and storage URL.
    async fn presign(&self) -> (String, String) {
        let request = self.api(Method::POST, "/models/presigned");
        let presigned = test_support::http::json(request.json(&json!({"filename": "a.stl"}))).await;
        (
            presigned["model_uuid"].as_str().unwrap().to_string(),
            presigned["presigned_url"].as_str().unwrap().to_string(),
        )
    }
}

fn origin(url: &str) -> String {
    let url = url::Url::parse(url).unwrap();
    format!("{}://{}:{}", url.scheme(), url.host_str().unwrap(), url.port().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sdk_uploads_and_downloads_through_storage_without_credentials() {
    let sim = start(Duration::from_secs(900)).await;
    let client = integration_tests::client(&sim);
    let dir = tempfile::tempdir().unwrap();
    let mesh = dir.path().join("m.stl");
    std::fs::write(&mesh, b"solid m\nendsolid m\n").unwrap();
    let model = client
        .upload_model_presigned(&mesh, UploadOptions::default(), Progress::none())
        .await
        .unwrap();
    let copy = dir.path().join("copy.stl");
    client
        .download(
            RemoteFile::Model(&model.model_uuid),
            Destination::File(copy.clone()),
            Progress::none(),
        )
        .await
        .unwrap();
    assert_eq!(std::fs::read(&copy).unwrap(), std::fs::read(&mesh).unwrap());
    use carbon_ext::prelude::*;
    let build = client
        .get_builds()
        .limit(1)
        .run()
        .await
        .unwrap()
        .builds
        .unwrap()
        .remove(0);
    let attachment = build.attachments.unwrap()[0].uuid.clone().unwrap();
    client
        .download(
            RemoteFile::Attachment(&attachment),
            Destination::File(dir.path().join("t.pdf")),
            Progress::none(),
        )
        .await
        .unwrap();
    assert_eq!(sim.stats().storage_authorized, 0, "a bearer token reached storage");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storage_refuses_what_it_did_not_sign_with_s3_errors() {
    let sim = start(Duration::from_secs(900)).await;
    let raw = Raw::new(&sim);
    let (http, token) = (&raw.http, &raw.token);
    let (_, url) = raw.presign().await;
    assert_ne!(origin(&url), origin(sim.base_url()), "storage is another origin");
    let bare = url.split('?').next().unwrap().to_string();
    let forged = url.replace("X-Amz-Signature=", "X-Amz-Signature=00");
    let refused = |response: reqwest::Response, code: &'static str| async move {
        assert_eq!(response.status(), 403);
        assert_eq!(response.headers()["content-type"], "application/xml");
        let body = response.text().await.unwrap();
        assert!(body.contains(&format!("<Code>{code}</Code>")), "{body}");
    };
    refused(http.put(&bare).body("x").send().await.unwrap(), "AccessDenied").await;
    refused(
        http.put(&forged).body("x").send().await.unwrap(),
        "SignatureDoesNotMatch",
    )
    .await;
    refused(http.get(&url).send().await.unwrap(), "SignatureDoesNotMatch").await;
    refused(
        http.put(&url)
            .bearer_auth(token.expose())
            .body("x")
            .send()
            .await
            .unwrap(),
        "AccessDenied",
    )
    .await;
    assert_eq!(sim.stats().storage_authorized, 1);
    let stored = http.put(&url).body("solid a").send().await.unwrap();
    assert_eq!(stored.status(), 200);
    assert!(stored.headers().contains_key("etag"));

    // Downloads redirect to signed storage URLs; the bare path is refused.
    let builds = test_support::http::json(raw.api(Method::GET, "/builds?limit=1")).await;
    let attachment = builds["builds"][0]["attachments"][0]["uuid"].as_str().unwrap();
    let redirect = raw
        .api(Method::GET, &format!("/attachments/{attachment}"))
        .send()
        .await
        .unwrap();
    assert_eq!(redirect.status(), 302);
    let location = redirect.headers()["location"].to_str().unwrap().to_string();
    assert!(location.contains("X-Amz-Signature="), "{location}");
    assert_eq!(http.get(&location).send().await.unwrap().status(), 200);
    let unsigned = location.split('?').next().unwrap();
    refused(http.get(unsigned).send().await.unwrap(), "AccessDenied").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_url_is_refused() {
    let sim = start(Duration::ZERO).await;
    let raw = Raw::new(&sim);
    let (_, url) = raw.presign().await;
    let response = raw.http.put(&url).body("solid a").send().await.unwrap();
    assert_eq!(response.status(), 403);
    assert!(response.text().await.unwrap().contains("Request has expired"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_are_bounded_in_size_and_pending_ones_in_number() {
    let sim = unlimited(Config {
        max_upload: 1024,
        retention: 2,
        ..Config::default()
    })
    .await;
    let raw = Raw::new(&sim);
    let http = &raw.http;
    let mut urls = Vec::new();
    for _ in 0..4 {
        urls.push(raw.presign().await.1);
    }
    // The next request trims the oldest pending uploads: 2 are kept.
    raw.api(Method::GET, "/applications").send().await.unwrap();
    let gone = http.put(&urls[0]).body("solid").send().await.unwrap();
    assert_eq!(gone.status(), 404);
    assert!(gone.text().await.unwrap().contains("NoSuchUpload"));
    let too_big = http.put(&urls[3]).body(vec![b's'; 2048]).send().await.unwrap();
    assert_eq!(too_big.status(), 413);
    assert!(too_big.text().await.unwrap().contains("EntityTooLarge"));
    assert_eq!(http.put(&urls[3]).body("solid").send().await.unwrap().status(), 200);

    // Direct uploads too, through the SDK: a typed error, nothing stored.
    let client = integration_tests::client(&sim);
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.stl");
    std::fs::write(&big, vec![b's'; 4096]).unwrap();
    let err = client
        .upload_model_direct(&big, UploadOptions::default(), Progress::none())
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(413), "{err}");
    assert_eq!(sim.counts().models, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replaced_upload_gives_its_kept_bytes_back() {
    // Room to keep one 10-byte file as it is.
    let sim = unlimited(Config {
        kept_bytes: 10,
        ..Config::default()
    })
    .await;
    let raw = Raw::new(&sim);
    let http = &raw.http;
    let (_, first) = raw.presign().await;
    assert_eq!(http.put(&first).body("solid aaaa").send().await.unwrap().status(), 200);
    // The same upload sent again: the first file is replaced, its bytes given back.
    assert_eq!(http.put(&first).body("solid bbbb").send().await.unwrap().status(), 200);
    let (uuid, second) = raw.presign().await;
    let put = http.put(&second).body("solid cccc").send().await.unwrap();
    let etag = put.headers()["etag"].to_str().unwrap().to_string();
    let resolved = raw
        .api(Method::POST, "/models/presigned/resolve")
        .json(&json!({"model_uuid": uuid, "model_etag": etag, "filename": "c.stl"}))
        .send()
        .await
        .unwrap();
    assert!(resolved.status().is_success(), "{}", resolved.text().await.unwrap());
    let client = integration_tests::client(&sim);
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("c.stl");
    client
        .download(
            RemoteFile::Model(&uuid),
            Destination::File(copy.clone()),
            Progress::none(),
        )
        .await
        .unwrap();
    // Kept as it was sent (a file not kept downloads as other bytes of its size).
    assert_eq!(std::fs::read(&copy).unwrap(), b"solid cccc");
}
