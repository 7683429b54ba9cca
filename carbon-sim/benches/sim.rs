//! Benchmarks against the simulator on loopback, each with its baseline measured in
//! the same run. `cargo bench -p carbon-sim --bench sim`
//!
//! 1. List 10 000 printed parts: SDK paginator against a raw reqwest loop doing the
//!    same requests and JSON decoding (both with the client-side limiter off).
//! 2. Presigned upload of a 1 GiB sparse file: throughput and peak RSS of
//!    `upload_model_presigned` against a raw streaming PUT to the same presigned URL.
//!    (`SIM_BENCH_UPLOAD_MIB` changes the size.)
//! 3. 800 requests, 8 at a time, under the API's 200 requests / 10 s: the share of
//!    the limit the SDK's default limiter uses, and 429s seen.

use std::time::{Duration, Instant};

use carbon_api_gen::types;
use carbon_ext::prelude::*;
use carbon_ext::{Client, UploadOptions};
use carbon_sim::{Config, Simulator};
use futures::{StreamExt, TryStreamExt};

fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

async fn list_bench() {
    let sim = Simulator::start(Config {
        printed_parts: 10_000,
        rate_limit: None,
        ..Config::default()
    })
    .await
    .unwrap();
    let client = Client::builder()
        .base_url(sim.base_url())
        .api_key(sim.api_key())
        .no_rate_limit()
        .build()
        .unwrap();
    let token = carbon_auth::mint(&sim.api_key(), Duration::from_secs(3600)).unwrap();
    let raw = reqwest::Client::new();

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
            let bytes = raw
                .get(url)
                .bearer_auth(token.expose())
                .send()
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap();
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

async fn upload_bench() {
    let mib: u64 = std::env::var("SIM_BENCH_UPLOAD_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1024);
    let size = mib * 1024 * 1024;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.stl");
    std::fs::File::create(&path).unwrap().set_len(size).unwrap();
    let sim = Simulator::start(Config {
        rate_limit: None,
        ..Config::default()
    })
    .await
    .unwrap();
    let client = Client::builder()
        .base_url(sim.base_url())
        .api_key(sim.api_key())
        .no_rate_limit()
        .build()
        .unwrap();

    let mut report = None;
    for _round in 0..2 {
        // Baseline: a raw streaming PUT to a presigned URL.
        let url = client
            .get_presigned_upload_url()
            .body(types::ModelPresignedUploadUrlRequest {
                filename: "raw.stl".into(),
            })
            .run()
            .await
            .unwrap()
            .presigned_url;
        reset_peak_rss();
        let start = Instant::now();
        let file = tokio::fs::File::open(&path).await.unwrap();
        let body = reqwest::Body::wrap_stream(tokio_util_stream(file));
        let status = reqwest::Client::new()
            .put(url)
            .header("content-length", size)
            .body(body)
            .send()
            .await
            .unwrap()
            .status();
        assert!(status.is_success(), "{status}");
        let raw = (start.elapsed(), peak_rss_mib());

        reset_peak_rss();
        let start = Instant::now();
        client
            .upload_model_presigned(&path, UploadOptions::default(), carbon_ext::Progress::none())
            .await
            .unwrap();
        let sdk = (start.elapsed(), peak_rss_mib());
        report = Some((raw, sdk));
    }
    let ((raw_t, raw_rss), (sdk_t, sdk_rss)) = report.unwrap();
    let rate = |t: Duration| mib as f64 / t.as_secs_f64();
    println!("presigned upload of {mib} MiB (sparse) to the simulator (same process):");
    println!(
        "  raw streaming PUT (baseline): {:>8.1} MiB/s, peak RSS {raw_rss:>6.1} MiB",
        rate(raw_t)
    );
    println!(
        "  upload_model_presigned:       {:>8.1} MiB/s, peak RSS {sdk_rss:>6.1} MiB",
        rate(sdk_t)
    );
    println!(
        "  ratio sdk / baseline: throughput {:.2}x, peak RSS {:.2}x",
        rate(sdk_t) / rate(raw_t),
        sdk_rss / raw_rss
    );
}

/// The file as a stream of 64 KiB chunks.
fn tokio_util_stream(file: tokio::fs::File) -> impl futures::Stream<Item = std::io::Result<bytes::Bytes>> {
    futures::stream::unfold(file, |mut file| async move {
        use tokio::io::AsyncReadExt;
        let mut buf = vec![0u8; 64 * 1024];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(bytes::Bytes::from(buf)), file))
            }
            Err(e) => Some((Err(e), file)),
        }
    })
}

async fn rate_limit_bench() {
    // Enough requests that the limit binds for three windows, 8 at a time.
    const REQUESTS: usize = 800;
    let sim = Simulator::start(Config::default()).await.unwrap();
    // The SDK's default limiter: 200 per 10.25 s, against the simulator's 200 per 10 s.
    let client = Client::builder()
        .base_url(sim.base_url())
        .api_key(sim.api_key())
        .build()
        .unwrap();
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
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        list_bench().await;
        upload_bench().await;
        rate_limit_bench().await;
    });
}
