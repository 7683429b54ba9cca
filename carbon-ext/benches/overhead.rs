//! Per-request overhead of the whole carbon-ext stack (bearer hook, limit checks,
//! rate limiter, retry wrapper, decode into the generated type) against a plain
//! reqwest GET + serde_json decode of the same request, on loopback, in one run.
//!
//! `cargo bench -p carbon-ext --bench overhead`

use std::hint::black_box;
use std::time::{Duration, Instant, SystemTime};

use carbon_ext::auth::BearerToken;
use carbon_ext::prelude::*;
use carbon_ext::{RateLimit, types};

const BODY: &str = r#"{"uuid":"p-1","part_number":"PN-1","model_uuid":"m-1","description":null,"part_number_tags":{"size":"M"},"part_tags":{}}"#;

async fn batch<F, Fut>(requests: u32, mut call: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let start = Instant::now();
    for _ in 0..requests {
        call().await;
    }
    start.elapsed() / requests
}

/// The median of `values` and the spread between their first and third quartiles.
fn median_and_spread(mut values: Vec<f64>) -> (f64, f64, f64) {
    values.sort_by(f64::total_cmp);
    let at = |q: f64| values[((values.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.25), at(0.75))
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let base = test_support::servers::answering(BODY).await;
        let raw = carbon_api_gen::http_client(std::time::Duration::from_secs(30), std::time::Duration::from_secs(300)).unwrap();
        let url = format!("{base}/parts/p-1");
        let client = carbon_ext::Client::builder()
            .base_url(&base)
            .static_token(BearerToken::new(
                "bench-token",
                SystemTime::now() + Duration::from_secs(3600),
            ))
            // The limiter runs (its cost is measured) but never makes a request wait.
            .rate_limit(RateLimit::new(100_000, Duration::from_millis(1)))
            .build()
            .unwrap();

        // Warm up both, then many short batches, alternating which goes first, each
        // SDK batch paired with the baseline batch next to it: machine noise hits
        // both sides of a pair alike, and the median of the pairs' ratios is stable.
        const BATCHES: usize = 40;
        const PER_BATCH: u32 = 250;
        let raw_call = || async {
            let bytes = raw
                .get(&url)
                .bearer_auth("bench-token")
                .send()
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap();
            black_box(serde_json::from_slice::<types::Part>(&bytes).unwrap());
        };
        let sdk_call = || async {
            black_box(client.get_part().uuid("p-1").run().await.unwrap());
        };
        batch(500, raw_call).await;
        batch(500, sdk_call).await;
        let (mut ratios, mut raw_times, mut sdk_times) = (Vec::new(), Vec::new(), Vec::new());
        for i in 0..BATCHES {
            let (raw_t, sdk_t) = if i % 2 == 0 {
                let r = batch(PER_BATCH, raw_call).await;
                (r, batch(PER_BATCH, sdk_call).await)
            } else {
                let s = batch(PER_BATCH, sdk_call).await;
                (batch(PER_BATCH, raw_call).await, s)
            };
            raw_times.push(raw_t.as_nanos() as f64 / 1000.0);
            sdk_times.push(sdk_t.as_nanos() as f64 / 1000.0);
            ratios.push(sdk_t.as_secs_f64() / raw_t.as_secs_f64());
        }
        let (raw_us, _, _) = median_and_spread(raw_times);
        let (sdk_us, _, _) = median_and_spread(sdk_times);
        let (ratio, low, high) = median_and_spread(ratios);
        println!("raw reqwest + serde_json (baseline): {raw_us:>8.1} µs/request (median of {BATCHES} batches)");
        println!("carbon-ext full stack:               {sdk_us:>8.1} µs/request");
        println!(
            "overhead ratio (sdk / baseline):     {ratio:>8.2}x median of paired batches, middle half {low:.2}x..{high:.2}x (target <= 1.05x)"
        );
    });
}
