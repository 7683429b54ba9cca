//! Shared helpers for the wire tests: a client pointed at a mock server, exact
//! query matching and the operations the document declares.

use std::time::Duration;

use carbon_api_gen::{Client, ClientState};
use httpmock::MockServer;

/// A client for `server` with the `/v1` base path the real API has, given with a
/// trailing slash to prove it is handled.
pub fn client(server: &MockServer) -> Client {
    client_at(&format!("{}/v1/", server.base_url()), ClientState::default())
}

/// A client for the base URL `base`, with `state` and 5 s timeouts.
pub fn client_at(base: &str, state: ClientState) -> Client {
    let http = carbon_api_gen::http_client(Duration::from_secs(5), Duration::from_secs(5)).unwrap();
    Client::with_state(&carbon_api_gen::BaseUrl::parse(base).unwrap(), http, state)
}

/// The `operationId` of every operation in carbon-api-spec's document, sorted.
pub fn document_operation_ids() -> Vec<String> {
    let doc: serde_json::Value = serde_json::from_str(carbon_api_spec::OPENAPI_JSON).unwrap();
    let mut ids: Vec<String> = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .filter_map(|op| op.get("operationId").and_then(|id| id.as_str()))
        .map(str::to_string)
        .collect();
    ids.sort_unstable();
    ids
}

#[allow(unused_imports)]
pub use test_support::matchers::{json_is, query_is};
