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
use test_support::stats::Spread;

fn main() {
    let mib: u64 = std::env::var("UPLOAD_BENCH_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1024);
    let size = mib * 1024 * 1024;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.stl");
    std::fs::File::create(&path).unwrap().set_len(size).unwrap();

    let runtime = test_support::runtime::two_workers();
    runtime.block_on(async {
        let base = test_support::servers::upload_sink().await;
        let client = carbon_ext::Client::builder()
            .base_url(format!("{base}/v1"))
            .static_token(BearerToken::new("bench", SystemTime::now() + Duration::from_secs(3600)))
            .no_rate_limit()
            .build()
            .unwrap();
        let baseline_rss = peak_rss_mib();

        // A warm-up round, then rounds alternating which side goes first; each SDK
        // run is paired with the baseline run next to it, and the median of the
        // pairs' ratios is reported with its spread.
        let raw_put = || async {
            let file = tokio::fs::File::open(&path).await.unwrap();
            let body = reqwest::Body::wrap_stream(tokio_util::io::ReaderStream::with_capacity(file, 64 * 1024));
            let response = carbon_api_gen::http_client(std::time::Duration::from_secs(30), std::time::Duration::from_secs(300)).unwrap()
                .put(format!("{base}/s3/raw"))
                .header("content-length", size)
                .body(body)
                .send()
                .await
                .unwrap();
            assert!(response.status().is_success());
        };
        let sdk_put = || async {
            let uploaded = client
                .upload_model_presigned(&path, UploadOptions::default(), carbon_ext::Progress::none())
                .await
                .unwrap();
            assert_eq!(uploaded.size, size);
        };
        let measure = |rss: &mut Vec<f64>, time: Duration| {
            rss.push(peak_rss_mib());
            time.as_secs_f64()
        };
        raw_put().await;
        sdk_put().await;
        let rounds: usize = std::env::var("UPLOAD_BENCH_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(5);
        let (mut ratios, mut raw_rss, mut sdk_rss, mut raw_secs, mut sdk_secs) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for round in 0..rounds {
            let begin = || {
                reset_peak_rss();
                Instant::now()
            };
            let (raw_t, sdk_t) = if round % 2 == 0 {
                let start = begin();
                raw_put().await;
                let raw_t = measure(&mut raw_rss, start.elapsed());
                let start = begin();
                sdk_put().await;
                (raw_t, measure(&mut sdk_rss, start.elapsed()))
            } else {
                let start = begin();
                sdk_put().await;
                let sdk_t = measure(&mut sdk_rss, start.elapsed());
                let start = begin();
                raw_put().await;
                (measure(&mut raw_rss, start.elapsed()), sdk_t)
            };
            raw_secs.push(raw_t);
            sdk_secs.push(sdk_t);
            // Throughput ratio: the SDK's rate over the baseline's.
            ratios.push(raw_t / sdk_t);
        }
        let rate = |secs: f64| size as f64 / (1024.0 * 1024.0) / secs;
        let raw_t = Spread::of(raw_secs).median;
        let sdk_t = Spread::of(sdk_secs).median;
        let Spread {
            median: ratio,
            min: low,
            max: high,
            ..
        } = Spread::of(ratios);
        let max = |v: &Vec<f64>| Spread::of(v.iter().copied()).max;
        println!("file: {mib} MiB (sparse), process baseline peak RSS {baseline_rss:.1} MiB, {rounds} paired rounds");
        println!(
            "raw streaming PUT (baseline): {:>8.1} MiB/s (median), peak RSS {:>7.1} MiB (max)",
            rate(raw_t),
            max(&raw_rss)
        );
        println!(
            "upload_model_presigned:       {:>8.1} MiB/s (median), peak RSS {:>7.1} MiB (max)",
            rate(sdk_t),
            max(&sdk_rss)
        );
        println!(
            "throughput ratio (sdk / raw): {ratio:.2}x median of paired rounds ({low:.2}x..{high:.2}x); peak RSS ratio {:.2}x",
            max(&sdk_rss) / max(&raw_rss)
        );
    });
}
