//! A soak: 10 000 presigned uploads and 100 000 API requests against one simulator,
//! printing its peak RSS against the RSS after start-up (target: at most 64 MiB of
//! growth). `SOAK_UPLOADS` and `SOAK_REQUESTS` change the counts.
//!
//! `cargo bench -p carbon-sim --bench soak`

#[path = "../tests/suite/common.rs"]
mod common;

use std::time::Instant;

use common::Raw;
use futures::StreamExt;
use reqwest::Method;
use serde_json::json;
use test_support::rss::{peak_rss_mib, reset_peak_rss, rss_mib};

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[tokio::main]
async fn main() {
    let uploads = env_number("SOAK_UPLOADS", 10_000);
    let requests = env_number("SOAK_REQUESTS", 100_000);
    let raw = Raw::seeded(1_000).await;
    // Warm up the connection pool and the allocator, then measure from here.
    for _ in 0..100 {
        let _ = raw.get("/applications").send().await;
    }
    reset_peak_rss();
    let start_rss = rss_mib();
    let started = Instant::now();

    let raw = &raw;
    futures::stream::iter(0..uploads)
        .for_each_concurrent(8, |i| async move {
            let filename = format!("soak-{i}.stl");
            let presign = raw.request(Method::POST, "/models/presigned");
            let presigned = test_support::http::json(presign.json(&json!({"filename": filename}))).await;
            let url = presigned["presigned_url"].as_str().unwrap();
            let body = vec![(i % 251) as u8; 2048 + (i % 7) * 1024];
            let put = raw.http.put(url).body(body).send().await.unwrap();
            let etag = put.headers()["etag"].to_str().unwrap().to_string();
            let resolved = raw
                .request(Method::POST, "/models/presigned/resolve")
                .json(&json!({"filename": filename, "model_etag": etag, "model_uuid": presigned["model_uuid"]}))
                .send()
                .await
                .unwrap();
            assert!(resolved.status().is_success());
        })
        .await;
    let after_uploads = peak_rss_mib();

    let paths = [
        "/applications",
        "/printers?limit=10&offset=0",
        "/printed_parts?limit=100",
        "/parts?limit=10",
        "/builds?limit=10",
        "/prints?limit=10",
        "/printers/queues",
    ];
    futures::stream::iter(0..requests)
        .for_each_concurrent(8, |i| async move {
            let path = paths[i % paths.len()];
            let response = raw.get(path).send().await.unwrap();
            assert!(response.status().is_success(), "{path}: {}", response.status());
            let _ = response.bytes().await;
        })
        .await;
    let peak = peak_rss_mib();
    println!(
        "soak: {uploads} uploads and {requests} requests in {:.1} s; RSS after start-up {start_rss:.1} MiB, \
         peak after the uploads {after_uploads:.1} MiB, peak at the end {peak:.1} MiB: growth {:.1} MiB \
         (target <= 64 MiB); {} models held",
        started.elapsed().as_secs_f64(),
        peak - start_rss,
        raw.sim.counts().models
    );
}
