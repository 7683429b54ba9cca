//! The three ways of making the same API call that the benches and probes compare.

use std::hint::black_box;
use std::time::{Duration, SystemTime};

use carbon_ext::auth::BearerToken;
use carbon_ext::prelude::*;
use carbon_ext::{RateLimit, types};

/// The part every call reads, as a loopback server answers it.
pub const BODY: &str = r#"{"uuid":"p-1","part_number":"PN-1","model_uuid":"m-1","description":null,"part_number_tags":{"size":"M"},"part_tags":{}}"#;
const PART: &str = "p-1";
const TOKEN: &str = "bench-token";

/// One `GET /parts/{uuid}`, made three ways against one loopback server.
pub struct Sides {
    base: String,
    raw: reqwest::Client,
    generated: carbon_api_gen::Client,
    sdk: carbon_ext::Client,
}

/// Which way a call is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// reqwest + serde_json, written by hand.
    Raw,
    /// The generated client without hooks.
    Generated,
    /// carbon-ext's client: every layer.
    Sdk,
}

impl Sides {
    /// Starts the loopback server (on the current runtime) and builds the clients.
    pub async fn start() -> Sides {
        let base = test_support::servers::answering(BODY).await;
        let http = || {
            carbon_api_gen::http_client_builder(Duration::from_secs(30), Duration::from_secs(300))
                .unwrap()
                .user_agent(carbon_ext::user_agent())
                .build()
                .unwrap()
        };
        let sdk = carbon_ext::Client::builder()
            .base_url(&base)
            .static_token(BearerToken::new(TOKEN, SystemTime::now() + Duration::from_secs(3600)))
            // The limiter runs (its cost is measured) but never makes a request wait.
            .rate_limit(RateLimit::new(100_000, Duration::from_millis(1)))
            .build()
            .unwrap();
        Sides {
            raw: http(),
            generated: carbon_api_gen::Client::with_state(
                &carbon_api_gen::BaseUrl::parse(&base).unwrap(),
                http(),
                carbon_api_gen::ClientState::default(),
            ),
            sdk,
            base,
        }
    }

    /// One call made the `side` way.
    pub async fn call(&self, side: Side) {
        match side {
            Side::Raw => self.raw_call().await,
            Side::Generated => {
                black_box(self.generated.get_part().uuid(PART).send().await.unwrap());
            }
            Side::Sdk => {
                black_box(self.sdk.get_part().uuid(PART).run().await.unwrap());
            }
        }
    }

    /// What a hand-written client does: the URL formatted from the id, the same
    /// headers as the SDK sends (bearer, user agent, `accept`, `api-version`).
    async fn raw_call(&self) {
        let bytes = self
            .raw
            .get(format!("{}/parts/{PART}", self.base))
            .bearer_auth(TOKEN)
            .header(reqwest::header::ACCEPT, "application/json")
            .header("api-version", carbon_api_gen::API_VERSION)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        black_box(serde_json::from_slice::<types::Part>(&bytes).unwrap());
    }
}
