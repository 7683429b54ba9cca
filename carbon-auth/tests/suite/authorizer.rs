//! The authorizer on its own: which requests get the bearer, when a token is at
//! hand without waiting, and what a refusal does.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::fixtures::{Rotating, SECRETS};
use carbon_auth::{ApiKey, AuthError, Authorizer, BearerToken, JwtTokenSource, StaticToken, TokenSource};
use reqwest::header::AUTHORIZATION;

const BASE: &str = "https://api.carbon3d.com/v1";

fn base(url: &str) -> carbon_api_gen::BaseUrl {
    carbon_api_gen::BaseUrl::parse(url).unwrap()
}

fn request(url: &str) -> reqwest::Request {
    reqwest::Request::new(reqwest::Method::GET, url.parse().unwrap())
}

fn bearer_of(request: &reqwest::Request) -> Option<&str> {
    request.headers().get(AUTHORIZATION).map(|v| v.to_str().unwrap())
}

fn static_token(text: &str) -> Arc<dyn TokenSource> {
    Arc::new(StaticToken::new(BearerToken::new(
        text,
        SystemTime::now() + Duration::from_secs(3600),
    )))
}

#[test]
fn api_requests_get_the_bearer_at_once_and_others_lose_theirs() {
    let authorizer = Authorizer::new(static_token("abc.def.ghi"), &base(BASE), false).unwrap();
    let mut api = request("https://api.carbon3d.com/v1/parts?limit=1");
    assert!(authorizer.authorize_now(&mut api).unwrap().is_ok());
    assert_eq!(bearer_of(&api), Some("Bearer abc.def.ghi"));
    assert!(api.headers()[AUTHORIZATION].is_sensitive(), "redacted in HTTP logs");
    // The same origin, however it is spelled.
    for same in [
        "https://API.Carbon3D.com/v1/parts",
        "https://api.carbon3d.com:443/v1/builds",
    ] {
        let mut api = request(same);
        assert!(authorizer.authorize_now(&mut api).unwrap().is_ok());
        assert_eq!(bearer_of(&api), Some("Bearer abc.def.ghi"), "{same}");
    }

    // Another origin (a presigned storage URL, another port) never gets it, even
    // when the request came with one.
    for other in [
        "https://bucket.s3.amazonaws.com/v1/parts",
        "https://api.carbon3d.com:8443/v1/parts",
        "http://api.carbon3d.com/v1/parts",
        "https://user@api.carbon3d.com/v1/parts",
        "https://api.carbon3d.com.evil.example/v1/parts",
    ] {
        let mut elsewhere = request(other);
        elsewhere
            .headers_mut()
            .insert(AUTHORIZATION, "Bearer stale".parse().unwrap());
        assert!(authorizer.authorize_now(&mut elsewhere).unwrap().is_ok());
        assert_eq!(bearer_of(&elsewhere), None, "{other}");
    }
}

#[tokio::test]
async fn without_a_token_at_hand_authorize_waits_and_a_refusal_moves_on() {
    let source = Arc::new(Rotating::default());
    let authorizer = Authorizer::new(source.clone(), &base(BASE), false).unwrap();
    let mut first = request("https://api.carbon3d.com/v1/builds");
    assert!(
        authorizer.authorize_now(&mut first).is_none(),
        "the source must be awaited"
    );
    authorizer.authorize(&mut first).await.unwrap();
    assert_eq!(bearer_of(&first), Some("Bearer tok-1"));

    // Only a 401 to a request that carried a token drops it.
    let sent = &first.headers()[AUTHORIZATION];
    authorizer.answered(reqwest::StatusCode::FORBIDDEN, Some(sent));
    authorizer.answered(reqwest::StatusCode::UNAUTHORIZED, None);
    assert!(source.invalidated.lock().unwrap().is_empty());
    authorizer.answered(reqwest::StatusCode::UNAUTHORIZED, Some(sent));
    assert_eq!(*source.invalidated.lock().unwrap(), vec!["tok-1"]);
    let mut second = request("https://api.carbon3d.com/v1/builds");
    authorizer.authorize(&mut second).await.unwrap();
    assert_eq!(bearer_of(&second), Some("Bearer tok-2"));
}

#[tokio::test]
async fn a_jwt_source_has_a_token_at_hand_only_while_it_is_fresh() {
    let source = Arc::new(JwtTokenSource::new(ApiKey::from_json(SECRETS).unwrap()));
    assert!(source.fresh().is_none(), "nothing minted yet");
    let minted = source.token().await.unwrap();
    assert_eq!(source.fresh(), Some(minted.clone()));
    assert_eq!(source.mint_count(), 1);

    let authorizer = Authorizer::new(source.clone(), &base(BASE), false).unwrap();
    let mut api = request("https://api.carbon3d.com/v1/parts");
    assert!(authorizer.authorize_now(&mut api).unwrap().is_ok());
    assert_eq!(bearer_of(&api), Some(format!("Bearer {}", minted.expose()).as_str()));

    authorizer.refused(&api.headers()[AUTHORIZATION]);
    assert!(source.fresh().is_none(), "a refused token is not handed out again");
    assert_eq!(source.mint_count(), 1);
}

#[test]
fn a_token_that_cannot_be_a_header_is_refused_with_a_reason() {
    let authorizer = Authorizer::new(static_token("line\nbreak"), &base(BASE), false).unwrap();
    let mut api = request("https://api.carbon3d.com/v1/parts");
    let err = authorizer.authorize_now(&mut api).unwrap().unwrap_err();
    assert!(matches!(err, AuthError::TokenNotHeaderSafe), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("not allowed in an HTTP header"), "{message}");
    assert!(!message.contains("line"), "the token is never shown: {message}");
    assert_eq!(bearer_of(&api), None);
}

#[test]
fn the_origin_rules_are_checked_when_built() {
    assert!(matches!(
        Authorizer::new(static_token("t"), &base("http://api.example.com/v1"), false),
        Err(AuthError::InsecureBaseUrl { .. })
    ));
    assert!(Authorizer::new(static_token("t"), &base("http://127.0.0.1:8080/v1"), false).is_ok());
    assert!(Authorizer::new(static_token("t"), &base("http://sim.lan/v1"), true).is_ok());
    let authorizer = Authorizer::new(static_token("t"), &base("https://api.carbon3d.com/v1/"), false).unwrap();
    assert_eq!(authorizer.base_url(), "https://api.carbon3d.com/v1");
    assert_eq!(
        format!("{authorizer:?}"),
        "Authorizer { base_url: \"https://api.carbon3d.com/v1\", .. }"
    );
}
