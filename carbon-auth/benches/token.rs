//! What a token costs: a cached `token()` against a fresh RS256 mint, measured in the
//! same run. `cargo bench -p carbon-auth --bench token`
//!
//! The cached path runs on every API request, so it must be far cheaper than a mint;
//! the ratio printed last is the number to watch.

use std::hint::black_box;
use std::time::{Duration, Instant};

use carbon_auth::{ApiKey, JwtTokenSource, TokenSource, mint};

const SECRETS: &str = include_str!("../tests/fixtures/test-only-secrets.json");

fn per_op(total: Duration, ops: u32) -> Duration {
    total / ops
}

fn main() {
    let key = ApiKey::from_json(SECRETS).expect("the test key loads");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();

    // Warm up both paths once.
    black_box(mint(&key, Duration::from_secs(3600)).unwrap());
    let source = JwtTokenSource::new(key.clone());
    runtime.block_on(async { black_box(source.token().await.unwrap()) });

    const MINTS: u32 = 200;
    let start = Instant::now();
    for _ in 0..MINTS {
        black_box(mint(&key, Duration::from_secs(3600)).unwrap());
    }
    let mint_cost = per_op(start.elapsed(), MINTS);

    const CACHED: u32 = 200_000;
    let cached_cost = runtime.block_on(async {
        let start = Instant::now();
        for _ in 0..CACHED {
            black_box(source.token().await.unwrap());
        }
        per_op(start.elapsed(), CACHED)
    });

    println!(
        "fresh mint (RS256, 2048-bit key): {:>10.1} µs/op",
        mint_cost.as_nanos() as f64 / 1000.0
    );
    println!(
        "cached token():                   {:>10.1} ns/op",
        cached_cost.as_nanos() as f64
    );
    println!(
        "a mint costs {:.0}x a cached token() (baseline: the mint, measured in this run)",
        mint_cost.as_nanos() as f64 / cached_cost.as_nanos().max(1) as f64
    );
}
