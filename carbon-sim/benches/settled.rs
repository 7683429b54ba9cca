//! What a request costs a simulator that keeps many finished part orders and
//! model program runs, against one that keeps none, measured in the same run:
//! each request first moves the work in flight to the current simulated time,
//! and that must cost what is in flight, not what is retained. Target: ~1x.
//!
//! `cargo bench -p carbon-sim --bench settled` (`SETTLED` changes how many of
//! each are kept, 5 000 by default).

#[path = "../tests/suite/common.rs"]
mod common;

use std::time::{Duration, Instant};

use carbon_sim::Config;
use common::Raw;
use serde_json::{Value, json};
use test_support::stats::Spread;

/// Rounds, each a batch of requests to each simulator in turn.
const ROUNDS: usize = 30;
const BATCH: usize = 200;
/// Orders and runs made between two skips of the clock (each request moves the
/// open ones, so making them all at once would cost the square of the count).
const WAVE: usize = 250;

struct Target {
    raw: Raw,
}

async fn start() -> Target {
    let target = Target {
        raw: Raw::start(Config {
            // Simulated time stands still unless the bench moves it.
            speed: Config::STILL,
            // One seeded order, for a part to order.
            printed_parts: 1,
            ..Config::default()
        })
        .await,
    };
    // Warm up the connection.
    for _ in 0..50 {
        target.get("/applications").await;
    }
    target
}

impl Target {
    async fn get(&self, path: &str) -> Value {
        let response = self.raw.get(path).send().await.unwrap();
        assert!(response.status().is_success(), "{path}: {}", response.status());
        response.json().await.unwrap()
    }

    async fn post(&self, path: &str, body: Value) {
        let response = self
            .raw
            .request(reqwest::Method::POST, path)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "{path}: {}", response.status());
    }

    /// Makes `count` part orders and runs and lets them all finish.
    async fn settle(&self, count: usize) {
        let parts = self.get("/parts?limit=1").await;
        let part = parts["parts"][0]["uuid"].as_str().expect("a seeded part").to_string();
        let mut made = 0;
        while made < count {
            for _ in 0..WAVE.min(count - made) {
                let order = json!({
                    "part_order_number": format!("SETTLED-{made}"),
                    "due_date": "2026-12-24T00:00:00Z",
                    "parts": [{"uuid": part}]
                });
                self.post("/part_orders", order).await;
                let run = json!({"model_program_uuid": "prog", "parameters": {}});
                self.post("/model_program_runs", run).await;
                made += 1;
            }
            self.raw.sim.skip_time(Duration::from_secs(3600));
            self.get("/applications").await;
        }
        let counts = self.raw.sim.counts();
        assert!(
            counts.part_orders > count && counts.runs >= count,
            "all kept: {counts:?}"
        );
    }

    /// The time `BATCH` requests take.
    async fn batch(&self) -> Duration {
        let start = Instant::now();
        for _ in 0..BATCH {
            self.get("/applications").await;
        }
        start.elapsed()
    }
}

#[tokio::main]
async fn main() {
    let settled: usize = std::env::var("SETTLED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5_000);
    let empty = start().await;
    let kept = start().await;
    let making = Instant::now();
    kept.settle(settled).await;
    println!(
        "made and finished {settled} part orders and {settled} runs in {:.1} s",
        making.elapsed().as_secs_f64()
    );
    // Warm-up round, then interleaved rounds: each ratio pairs batches measured
    // moments apart, so a slow moment of the machine weighs on both sides.
    let mut ratios = Vec::new();
    let mut per_request = Vec::new();
    for round in 0..=ROUNDS {
        let base = empty.batch().await;
        let with = kept.batch().await;
        if round > 0 {
            ratios.push(with.as_secs_f64() / base.as_secs_f64());
            per_request.push(with.as_secs_f64() / BATCH as f64);
        }
    }
    let ratios = Spread::of(ratios);
    println!(
        "a request with {settled} finished part orders and runs kept: {:.0} us, {:.2}x one with none kept \
         (quartiles {:.2}-{:.2}; target ~1x)",
        Spread::of(per_request).median * 1e6,
        ratios.median,
        ratios.low,
        ratios.high
    );
}
