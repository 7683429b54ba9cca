//! Benchmarks against the simulator on loopback, each with its baseline measured in
//! the same run. `cargo bench -p integration-tests --bench sim` (the 1 GiB upload is
//! `cargo bench -p carbon-ext --bench upload`, against a sink that costs nothing).
//!
//! 1. List 10 000 printed parts: SDK paginator against a raw reqwest loop doing the
//!    same requests and JSON decoding (both with the client-side limiter off).
//! 2. 800 requests, 8 at a time, under the API's 200 requests / 10 s: the share of
//!    the limit the SDK's default limiter uses, and 429s seen.

use std::time::{Duration, Instant};

use carbon_api_gen::types;
use carbon_ext::prelude::*;
use carbon_sim::Config;
use futures::{StreamExt, TryStreamExt};

async fn list_bench() {
    let sim = integration_tests::simulator(Config {
        printed_parts: 10_000,
        rate_limit: None,
        ..Config::default()
    })
    .await;
    let client = integration_tests::client_builder(&sim).no_rate_limit().build().unwrap();
    let token = carbon_auth::mint(&sim.api_key(), Duration::from_secs(3600)).unwrap();
    let raw =
        carbon_api_gen::http_client(std::time::Duration::from_secs(30), std::time::Duration::from_secs(300)).unwrap();

    let mut sdk_total = Duration::ZERO;
    let mut raw_total = Duration::ZERO;
    const ROUNDS: u32 = 3;
    for _ in 0..ROUNDS {
        let start = Instant::now();
        let mut n = 0usize;
        let mut cursor: Option<String> = None;
        loop {
            let mut url = format!("{}/printed_parts?limit=1000", sim.base_url());
            if let Some(c) = &cursor {
                url.push_str(&format!("&cursor={c}"));
            }
            let bytes = test_support::http::body(raw.get(url).bearer_auth(token.expose())).await;
            let page: types::PrintedPartsResponse = serde_json::from_slice(&bytes).unwrap();
            n += page.parts.map_or(0, |p| p.len());
            match page.next_cursor.filter(|c| !c.is_empty()) {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        assert_eq!(n, 10_000);
        raw_total += start.elapsed();

        let start = Instant::now();
        let parts: Vec<types::PrintedPart> = client
            .get_printed_parts()
            .limit(1000)
            .items()
            .try_collect()
            .await
            .unwrap();
        assert_eq!(parts.len(), 10_000);
        sdk_total += start.elapsed();
    }
    let (raw_ms, sdk_ms) = (
        raw_total.as_secs_f64() * 1000.0 / f64::from(ROUNDS),
        sdk_total.as_secs_f64() * 1000.0 / f64::from(ROUNDS),
    );
    println!("list 10 000 printed parts (10 pages of 1000):");
    println!("  raw reqwest loop (baseline): {raw_ms:>8.1} ms");
    println!("  SDK items() with prefetch:   {sdk_ms:>8.1} ms");
    println!("  ratio sdk / baseline:        {:>8.2}x", sdk_ms / raw_ms);
}

async fn rate_limit_bench() {
    // Enough requests that the limit binds for three windows, 8 at a time.
    const REQUESTS: usize = 800;
    let sim = integration_tests::simulator(Config::default()).await;
    // The SDK's default limiter: 200 per 10.25 s, against the simulator's 200 per 10 s.
    let client = integration_tests::client(&sim);
    let before = sim.stats();
    let start = Instant::now();
    let client = &client;
    futures::stream::iter(0..REQUESTS)
        .for_each_concurrent(8, |_| async move {
            client.get_printers().limit(1).offset(0).run().await.unwrap();
        })
        .await;
    let elapsed = start.elapsed().as_secs_f64();
    let stats = sim.stats();
    let requests = stats.requests - before.requests;
    // What 200 per 10 s allows in that time: a full window at once, then 20 a second.
    let allowed = 200.0 + 200.0 * elapsed / 10.0;
    println!("{REQUESTS} requests, 8 at a time, through the SDK's default limiter:");
    println!(
        "  took {elapsed:.1} s; the API's limit allows {allowed:.0} requests in that time; share used {:.0}% \
         (target >= 95%); 429s: {} (target 0)",
        100.0 * requests as f64 / allowed,
        stats.rate_limited - before.rate_limited
    );
}

fn main() {
    let runtime = test_support::runtime::two_workers();
    runtime.block_on(async {
        list_bench().await;
        rate_limit_bench().await;
    });
}
