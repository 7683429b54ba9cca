//! Shared helpers for the wire tests: a client pointed at a mock server and exact
//! query matching.

use std::time::Duration;

use carbon_api_gen::{Client, ClientState};
use httpmock::MockServer;

/// A client for `server` with the `/v1` base path the real API has, given with a
/// trailing slash to prove it is handled.
pub fn client(server: &MockServer) -> Client {
    let http = carbon_api_gen::http_client(Duration::from_secs(5), Duration::from_secs(5)).unwrap();
    Client::with_state(
        &carbon_api_gen::BaseUrl::parse(&format!("{}/v1/", server.base_url())).unwrap(),
        http,
        ClientState::default(),
    )
}

#[allow(unused_imports)]
pub use test_support::matchers::{json_is, query_is};
