//! What the simulator's tests and benches share (the benches take this file
//! with `#[path]`): a simulator to send raw requests to.
#![allow(dead_code)]

use std::time::Duration;

use carbon_sim::{Config, Simulator};

/// A simulator without a rate limit (these tests and benches send as fast as
/// they can), with what raw requests to it need: a token of its key, valid for
/// an hour, and an HTTP client with the generated client's timeouts.
pub struct Raw {
    pub sim: Simulator,
    pub token: String,
    pub http: reqwest::Client,
}

impl Raw {
    /// Starts a simulator of `config`, without its rate limit.
    pub async fn start(config: Config) -> Self {
        let sim = Simulator::start(Config {
            rate_limit: None,
            ..config
        })
        .await
        .unwrap();
        let token = carbon_auth::mint(&sim.api_key(), Duration::from_secs(3600)).unwrap();
        Self {
            token: token.expose().to_string(),
            http: carbon_api_gen::http_client(Duration::from_secs(30), Duration::from_secs(300)).unwrap(),
            sim,
        }
    }

    /// Starts a simulator with `printed_parts` in its seeded history and the
    /// other settings their defaults, without its rate limit.
    pub async fn seeded(printed_parts: usize) -> Self {
        Self::start(Config {
            printed_parts,
            ..Config::default()
        })
        .await
    }

    /// A `method` request for `path` (below the base URL), with the token.
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.sim.base_url()))
            .bearer_auth(&self.token)
    }

    /// A GET of `path` (below the base URL), with the token.
    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.request(reqwest::Method::GET, path)
    }
}
