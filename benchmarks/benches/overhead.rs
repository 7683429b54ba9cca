//! Per-request overhead of the whole carbon-ext stack (bearer hook, limit checks,
//! rate limiter, retry wrapper, decode into the generated type) against a plain
//! reqwest GET + serde_json decode of the same request (the same headers: bearer
//! token, user agent, `accept`, `api-version`), on loopback, in one run.
//!
//! `cargo bench -p carbon-ext --bench overhead`

use std::hint::black_box;
use std::time::{Duration, Instant, SystemTime};

use carbon_ext::auth::BearerToken;
use carbon_ext::prelude::*;
use carbon_ext::{RateLimit, types};
use test_support::stats::Spread;

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

fn main() {
    let runtime = if std::env::var("CT").is_ok() { tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap() } else { tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap() };
    runtime.block_on(async {
        let base = test_support::servers::answering(BODY).await;
        let http = || {
            carbon_api_gen::http_client_builder(Duration::from_secs(30), Duration::from_secs(300))
                .unwrap()
                .user_agent(carbon_ext::user_agent())
                .build()
                .unwrap()
        };
        let raw = http();
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

        // The generated client alone (no hooks): what progenitor's layer costs,
        // before anything of carbon-ext runs.
        let generated = carbon_api_gen::Client::with_state(
            &base,
            http(),
            carbon_api_gen::ClientState::default(),
        );

        // Warm up, then many short batches of each side, rotating which goes first:
        // machine noise hits the sides of a round alike, and the median of the
        // rounds' ratios is stable.
        const BATCHES: usize = 42;
        const PER_BATCH: u32 = 250;
        let raw_call = || async {
            let bytes = raw
                .get(&url)
                .bearer_auth("bench-token")
                .header(reqwest::header::ACCEPT, "application/json")
                .header("api-version", carbon_api_gen::API_VERSION)
                .send()
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap();
            black_box(serde_json::from_slice::<types::Part>(&bytes).unwrap());
        };
        let generated_call = || async {
            black_box(generated.get_part().uuid("p-1").send().await.unwrap());
        };
        let sdk_call = || async {
            black_box(client.get_part().uuid("p-1").run().await.unwrap());
        };
        batch(500, raw_call).await;
        batch(500, generated_call).await;
        batch(500, sdk_call).await;
        let (mut raw_times, mut generated_times, mut sdk_times) = (Vec::new(), Vec::new(), Vec::new());
        let (mut generated_ratios, mut sdk_ratios) = (Vec::new(), Vec::new());
        for i in 0..BATCHES {
            let mut times = [Duration::ZERO; 3];
            for k in 0..3 {
                let side = (i + k) % 3;
                times[side] = match side {
                    0 => batch(PER_BATCH, raw_call).await,
                    1 => batch(PER_BATCH, generated_call).await,
                    _ => batch(PER_BATCH, sdk_call).await,
                };
            }
            let us = |d: Duration| d.as_nanos() as f64 / 1000.0;
            raw_times.push(us(times[0]));
            generated_times.push(us(times[1]));
            sdk_times.push(us(times[2]));
            generated_ratios.push(times[1].as_secs_f64() / times[0].as_secs_f64());
            sdk_ratios.push(times[2].as_secs_f64() / times[0].as_secs_f64());
        }
        let raw_us = Spread::of(raw_times).median;
        let generated_us = Spread::of(generated_times).median;
        let sdk_us = Spread::of(sdk_times).median;
        let Spread {
            median: generated_ratio,
            low: generated_low,
            high: generated_high,
            ..
        } = Spread::of(generated_ratios);
        let Spread {
            median: ratio, low, high, ..
        } = Spread::of(sdk_ratios);
        println!("raw reqwest + serde_json (baseline): {raw_us:>8.1} µs/request (median of {BATCHES} batches)");
        println!(
            "generated client, no hooks:          {generated_us:>8.1} µs/request: {generated_ratio:.2}x (middle half {generated_low:.2}x..{generated_high:.2}x)"
        );
        println!("carbon-ext full stack:               {sdk_us:>8.1} µs/request");
        println!(
            "overhead ratio (sdk / baseline):     {ratio:>8.2}x median of paired batches, middle half {low:.2}x..{high:.2}x (target <= 1.05x)"
        );
    });
}
