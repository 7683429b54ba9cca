//! Shared helpers for the wire tests: a client pointed at a mock server and exact
//! query matching.
#![allow(dead_code)]

use std::time::Duration;

use carbon_api_gen::{Client, ClientState};
use httpmock::{HttpMockRequest, MockServer};

/// A client for `server` with the `/v1` base path the real API has, given with a
/// trailing slash to prove it is handled.
pub fn client(server: &MockServer) -> Client {
    let http = carbon_api_gen::http_client(Duration::from_secs(5), Duration::from_secs(5)).unwrap();
    Client::with_state(&format!("{}/v1/", server.base_url()), http, ClientState::default())
}

/// Matches when the query string holds exactly these pairs; repeated keys must come
/// in the given order, different keys in any order.
pub fn query_is(expected: &[(&str, &str)]) -> impl Fn(&HttpMockRequest) -> bool + Send + Sync + 'static {
    let mut expected: Vec<(String, String)> = expected.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    expected.sort_by(|a, b| a.0.cmp(&b.0));
    move |req: &HttpMockRequest| {
        let mut actual = req.query_params();
        actual.sort_by(|a, b| a.0.cmp(&b.0));
        if actual != expected {
            eprintln!("query mismatch:\n  expected {expected:?}\n  actual   {actual:?}");
        }
        actual == expected
    }
}

/// Matches a JSON body equal to `expected` (key order ignored).
pub fn json_is(expected: serde_json::Value) -> impl Fn(&HttpMockRequest) -> bool + Send + Sync + 'static {
    move |req: &HttpMockRequest| {
        let actual: serde_json::Value = serde_json::from_slice(req.body().as_ref()).unwrap_or_default();
        if actual != expected {
            eprintln!("body mismatch:\n  expected {expected}\n  actual   {actual}");
        }
        actual == expected
    }
}
