//! The bearer hook on a real client against mock servers: where the token goes,
//! where it never goes, and what a 401 does.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use crate::fixtures::{PUBLIC, Rotating, SECRETS};
use carbon_api_gen::Error;
use carbon_auth::{ApiKey, AuthError, BearerAuth, BearerToken, JwtTokenSource, StaticToken, TokenSource};
use httpmock::Method::{self, GET, POST};
use httpmock::{Mock, MockServer};
use serde_json::json;

fn http() -> reqwest::Client {
    carbon_api_gen::http_client(Duration::from_secs(5), Duration::from_secs(5)).unwrap()
}

/// The bearer hook of `source` for the API on `server` (its `/v1`).
fn hook(source: Arc<dyn TokenSource>, server: &MockServer) -> BearerAuth {
    BearerAuth::from_arc(source, &format!("{}/v1", server.base_url()), false).unwrap()
}

#[tokio::test]
async fn api_requests_carry_a_verifiable_bearer() {
    let server = MockServer::start_async().await;
    let seen = Arc::new(Mutex::new(String::new()));
    let seen_in_mock = seen.clone();
    let mock = server
        .mock_async(move |when, then| {
            when.method(GET).path("/v1/applications").is_true(move |req| {
                let header = req
                    .headers()
                    .get("authorization")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_string();
                *seen_in_mock.lock().unwrap() = header;
                true
            });
            then.status(200).json_body(json!({"applications": []}));
        })
        .await;
    let source = JwtTokenSource::new(ApiKey::from_json(SECRETS).unwrap());
    let client = BearerAuth::new(source, &format!("{}/v1", server.base_url()))
        .unwrap()
        .into_client(http());
    client.get_applications().send().await.unwrap();
    mock.assert_async().await;

    let header = seen.lock().unwrap().clone();
    let token = header.strip_prefix("Bearer ").expect("a bearer header");
    let claims = jsonwebtoken::decode::<serde_json::Value>(
        token,
        &jsonwebtoken::DecodingKey::from_rsa_pem(PUBLIC.as_bytes()).unwrap(),
        &jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256),
    )
    .unwrap()
    .claims;
    assert_eq!(claims["iss"], "test-client-0001");
}

#[tokio::test]
async fn the_bearer_never_follows_a_redirect_to_another_origin() {
    let api = MockServer::start_async().await;
    let storage = MockServer::start_async().await;
    let file = storage
        .mock_async(|when, then| {
            when.method(GET)
                .path("/bucket/traveler.pdf")
                .header_missing("authorization");
            then.status(200).body(b"%PDF");
        })
        .await;
    let location = format!("{}/bucket/traveler.pdf", storage.base_url());
    let redirect = api
        .mock_async(move |when, then| {
            when.method(GET)
                .path("/v1/attachments/att-1")
                .header_exists("authorization");
            then.status(302).header("location", location);
        })
        .await;
    let auth = BearerAuth::new(
        StaticToken::new(BearerToken::new("tok", SystemTime::now())),
        &format!("{}/v1", api.base_url()),
    );
    let client = auth.unwrap().into_client(http());
    client.get_attachment().uuid("att-1").send().await.unwrap();
    redirect.assert_async().await;
    file.assert_async().await;
}

#[tokio::test]
async fn requests_to_other_origins_get_no_bearer() {
    use carbon_api_gen::RequestHooks;
    let auth = BearerAuth::new(
        StaticToken::new(BearerToken::new("tok", SystemTime::now())),
        "https://api.carbon3d.com/v1",
    )
    .unwrap();
    let http =
        carbon_api_gen::http_client(std::time::Duration::from_secs(30), std::time::Duration::from_secs(300)).unwrap();
    for (url, expect) in [
        ("https://api.carbon3d.com/v1/builds", true),
        ("https://carbon-uploads.s3.amazonaws.com/m-1?X-Amz-Signature=abc", false),
        ("http://api.carbon3d.com/v1/builds", false),
        ("https://api.carbon3d.com:8443/v1/builds", false),
        // The same origin written differently: the default port, another case.
        ("https://api.carbon3d.com:443/v1/builds", true),
        ("https://API.Carbon3d.com/v1/builds", true),
        ("https://api.carbon3d.com.evil.example/v1/builds", false),
    ] {
        let mut request = http.get(url).header("authorization", "Bearer stale").build().unwrap();
        auth.prepare(&mut request, "test").await.unwrap();
        let header = request.headers().get("authorization");
        assert_eq!(header.is_some(), expect, "{url}");
        if let Some(header) = header {
            assert!(header.is_sensitive());
            assert_eq!(header.to_str().unwrap(), "Bearer tok");
        }
    }
}

#[test]
fn plain_http_is_refused_except_on_loopback_or_when_allowed() {
    let token = || StaticToken::new(BearerToken::new("tok", SystemTime::now()));
    let err = BearerAuth::new(token(), "http://api.example.com/v1").unwrap_err();
    assert!(
        matches!(&err, AuthError::InsecureBaseUrl { host } if host == "api.example.com"),
        "{err:?}"
    );
    assert!(err.to_string().contains("new_allowing_plain_http"));
    for ok in [
        "https://api.carbon3d.com/v1",
        "http://127.0.0.1:8080/v1",
        "http://localhost/v1",
        "http://[::1]:9/v1",
    ] {
        assert!(BearerAuth::new(token(), ok).is_ok(), "{ok}");
    }
    assert!(BearerAuth::new_allowing_plain_http(token(), "http://sim.lan:8080/v1").is_ok());
    assert!(matches!(
        BearerAuth::new(token(), "ftp://x/v1"),
        Err(AuthError::InvalidBaseUrl { .. })
    ));
    assert!(matches!(
        BearerAuth::new(token(), "api.carbon3d.com/v1"),
        Err(AuthError::InvalidBaseUrl { .. })
    ));
}

/// `GET /v1/parts/p-1` refused (401) with `tok-1` and answered with `tok-2`.
async fn first_token_refused(server: &MockServer) -> (httpmock::Mock<'_>, httpmock::Mock<'_>) {
    let rejected = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v1/parts/p-1")
                .header("authorization", "Bearer tok-1");
            then.status(401).body("token expired");
        })
        .await;
    let accepted = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v1/parts/p-1")
                .header("authorization", "Bearer tok-2");
            then.status(200).json_body(json!({"uuid": "p-1", "part_number": "PN"}));
        })
        .await;
    (rejected, accepted)
}

#[tokio::test]
async fn a_401_renews_the_token_and_retries_once() {
    let server = MockServer::start_async().await;
    let (rejected, accepted) = first_token_refused(&server).await;
    let source = Arc::new(Rotating::default());
    let client = hook(source.clone(), &server).into_client(http());
    let part = client.get_part().uuid("p-1").send().await.unwrap();
    assert_eq!(part.uuid, "p-1");
    rejected.assert_calls_async(1).await;
    accepted.assert_calls_async(1).await;
    assert_eq!(*source.invalidated.lock().unwrap(), vec!["tok-1"]);
}

#[tokio::test]
async fn without_replay_a_401_drops_the_token_and_comes_back() {
    let server = MockServer::start_async().await;
    let (rejected, accepted) = first_token_refused(&server).await;
    let source = Arc::new(Rotating::default());
    let client = hook(source.clone(), &server).without_replay().into_client(http());
    let err = client.get_part().uuid("p-1").send().await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
    rejected.assert_calls_async(1).await;
    accepted.assert_calls_async(0).await;
    assert_eq!(*source.invalidated.lock().unwrap(), vec!["tok-1"]);
    // The caller's next attempt carries the new token.
    client.get_part().uuid("p-1").send().await.unwrap();
    accepted.assert_calls_async(1).await;
}

/// Refuses every `method` request for `path` on `server`, whatever its token:
/// a 401 with `body`. The mock, to count the calls.
async fn refusing<'a>(server: &'a MockServer, method: Method, path: &str, body: &str) -> Mock<'a> {
    server
        .mock_async(|when, then| {
            when.method(method).path(path);
            then.status(401).body(body);
        })
        .await
}

#[tokio::test]
async fn a_second_401_reaches_the_caller_without_a_loop() {
    let server = MockServer::start_async().await;
    let always = refusing(&server, GET, "/v1/parts/p-1", "key revoked").await;
    let source = Arc::new(Rotating::default());
    let client = hook(source, &server).into_client(http());
    let err = client.get_part().uuid("p-1").send().await.unwrap_err();
    let Error::UnexpectedResponse(response) = err else {
        panic!("expected the 401 response")
    };
    assert_eq!(response.status(), 401);
    assert_eq!(response.text().await.unwrap(), "key revoked");
    always.assert_calls_async(2).await;
}

#[tokio::test]
async fn a_streamed_body_is_not_replayed_after_a_401() {
    let server = MockServer::start_async().await;
    let upload = refusing(&server, POST, "/v1/models", "").await;
    let source = Arc::new(Rotating::default());
    let client = hook(source.clone(), &server).into_client(http());
    let chunks = futures::stream::iter(vec![Ok::<_, std::io::Error>(bytes::Bytes::from_static(b"solid x"))]);
    let err = client
        .upload_model()
        .filename("x.stl")
        .body(reqwest::Body::wrap_stream(chunks))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
    upload.assert_calls_async(1).await;
    // The token was still dropped, so the next request starts with a new one.
    assert_eq!(*source.invalidated.lock().unwrap(), vec!["tok-1"]);
}

#[tokio::test]
async fn jwt_source_behind_the_hook_retries_once_then_surfaces_the_401() {
    let server = MockServer::start_async().await;
    let always = server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/builds/b-1").header_exists("authorization");
            then.status(401);
        })
        .await;
    let source = Arc::new(JwtTokenSource::new(ApiKey::from_json(SECRETS).unwrap()));
    let client = hook(source.clone(), &server).into_client(http());
    let err = client.get_build().uuid("b-1").send().await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
    always.assert_calls_async(2).await;
    assert_eq!(
        source.mint_count(),
        2,
        "the rejected token was replaced by a fresh mint"
    );
}

#[tokio::test]
async fn secrets_appear_in_no_debug_output_or_error() {
    let secrets: serde_json::Value = serde_json::from_str(SECRETS).unwrap();
    let pem = secrets["client_secret"].as_str().unwrap();
    // A distinctive line of the private key body.
    let key_line = pem.lines().nth(5).unwrap();
    let key = ApiKey::from_json(SECRETS).unwrap();
    let source = Arc::new(JwtTokenSource::new(key.clone()));
    let token = source.token().await.unwrap();
    let signature = token.expose().rsplit('.').next().unwrap().to_string();
    let auth = BearerAuth::from_arc(source.clone(), "https://api.carbon3d.com/v1", false).unwrap();
    let client = auth.clone().into_client(http());

    let mut outputs = vec![
        format!("{key:?}"),
        format!("{source:?}"),
        format!("{token:?}"),
        format!("{auth:?}"),
        format!("{client:?}"),
        format!("{:?}", StaticToken::new(token.clone())),
    ];
    // Errors made from secret-bearing input.
    let bad_json = SECRETS.replace("\"client_id\"", "client_id");
    // secrets.json stored as a JSON string (double-encoded): serde would quote it all.
    let double_encoded = serde_json::to_string(SECRETS).unwrap();
    outputs.push(ApiKey::from_json(&double_encoded).unwrap_err().to_string());
    for err in [
        ApiKey::from_json(&bad_json).unwrap_err(),
        ApiKey::from_json(&SECRETS.replace("-----BEGIN RSA PRIVATE KEY-----", "")).unwrap_err(),
        ApiKey::new("c", &pem.replace("PRIVATE", "PUBLIC")).unwrap_err(),
    ] {
        outputs.push(format!("{err:?}"));
        outputs.push(err.to_string());
    }
    for output in &outputs {
        assert!(!output.contains(key_line), "private key material in: {output}");
        assert!(!output.contains(&signature), "token in: {output}");
    }
    assert!(outputs[0].contains("test-client-0001") && outputs[0].contains("<redacted>"));
}
