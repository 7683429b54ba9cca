//! Presigned upload of a 1 GiB (sparse) file: throughput and peak memory of
//! `upload_model_presigned` against a raw streaming reqwest PUT of the same file to
//! the same loopback sink, in one run.
//!
//! `cargo bench -p carbon-ext --bench upload` (`UPLOAD_BENCH_MIB` changes the size)
//!
//! Peak RSS is the process's high-water mark, reset between phases through
//! /proc/self/clear_refs (Linux); the file is never read into memory, so the peak
//! stays near the process's baseline whatever the size.

use std::time::{Duration, Instant, SystemTime};

use carbon_ext::UploadOptions;
use carbon_ext::auth::BearerToken;
use test_support::rss::{peak_rss_mib, reset_peak_rss};

fn main() {
    let mib: u64 = std::env::var("UPLOAD_BENCH_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1024);
    let size = mib * 1024 * 1024;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.stl");
    std::fs::File::create(&path).unwrap().set_len(size).unwrap();

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let base = test_support::servers::upload_sink().await;
        let client = carbon_ext::Client::builder()
            .base_url(format!("{base}/v1"))
            .static_token(BearerToken::new("bench", SystemTime::now() + Duration::from_secs(3600)))
            .no_rate_limit()
            .build()
            .unwrap();
        let baseline_rss = peak_rss_mib();

        // Two rounds, the first to warm caches and connections; the second is reported.
        let (mut raw_time, mut raw_rss, mut sdk_time, mut sdk_rss) = (Duration::ZERO, 0.0, Duration::ZERO, 0.0);
        for _round in 0..2 {
            // Baseline: a raw streaming PUT of the same file.
            reset_peak_rss();
            let start = Instant::now();
            let file = tokio::fs::File::open(&path).await.unwrap();
            let body = reqwest::Body::wrap_stream(tokio_util::io::ReaderStream::with_capacity(file, 64 * 1024));
            let response = reqwest::Client::new()
                .put(format!("{base}/s3/raw"))
                .header("content-length", size)
                .body(body)
                .send()
                .await
                .unwrap();
            assert!(response.status().is_success());
            raw_time = start.elapsed();
            raw_rss = peak_rss_mib();

            reset_peak_rss();
            let start = Instant::now();
            let uploaded = client
                .upload_model_presigned(&path, UploadOptions::default(), carbon_ext::Progress::none())
                .await
                .unwrap();
            sdk_time = start.elapsed();
            sdk_rss = peak_rss_mib();
            assert_eq!(uploaded.size, size);
        }
        let rate = |t: Duration| size as f64 / (1024.0 * 1024.0) / t.as_secs_f64();
        println!("file: {mib} MiB (sparse), process baseline peak RSS {baseline_rss:.1} MiB");
        println!(
            "raw streaming PUT (baseline): {:>8.1} MiB/s, peak RSS {raw_rss:>7.1} MiB",
            rate(raw_time)
        );
        println!(
            "upload_model_presigned:       {:>8.1} MiB/s, peak RSS {sdk_rss:>7.1} MiB",
            rate(sdk_time)
        );
        println!(
            "throughput ratio (sdk / raw): {:.2}x; peak RSS ratio (sdk / raw): {:.2}x",
            rate(sdk_time) / rate(raw_time),
            sdk_rss / raw_rss
        );
    });
}
