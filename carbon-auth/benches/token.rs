//! What a token costs: a cached `token()` against a fresh RS256 mint, measured in the
//! same run. `cargo bench -p carbon-auth --bench token`
//!
//! The cached path runs on every API request, so it must be far cheaper than a mint;
//! the ratio printed last is the number to watch.

use std::hint::black_box;
use std::time::{Duration, Instant};

use carbon_auth::{ApiKey, JwtTokenSource, TokenSource, mint};
use test_support::stats::Spread;

const SECRETS: &str = test_support::keys::SECRETS_JSON;

/// Rounds, each timing a batch of both paths (alternating which goes first), so that
/// a slow moment of the machine weighs on both sides of a round's ratio.
const ROUNDS: usize = 21;
const MINTS: u32 = 20;
const CACHED: u32 = 20_000;

fn per_op(total: Duration, ops: u32) -> f64 {
    total.as_secs_f64() * 1e9 / f64::from(ops)
}

fn main() {
    let key = ApiKey::from_json(SECRETS).expect("the test key loads");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let source = JwtTokenSource::new(key.clone());
    let mint_batch = || {
        let start = Instant::now();
        for _ in 0..MINTS {
            black_box(mint(&key, Duration::from_secs(3600)).unwrap());
        }
        per_op(start.elapsed(), MINTS)
    };
    let cached_batch = || {
        runtime.block_on(async {
            let start = Instant::now();
            for _ in 0..CACHED {
                black_box(source.token().await.unwrap());
            }
            per_op(start.elapsed(), CACHED)
        })
    };
    // Warm-up: both paths once, untimed.
    mint_batch();
    cached_batch();

    let (mut mints, mut cached, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        let (m, c) = if round % 2 == 0 {
            let m = mint_batch();
            (m, cached_batch())
        } else {
            let c = cached_batch();
            (mint_batch(), c)
        };
        mints.push(m);
        cached.push(c);
        ratios.push(m / c);
    }
    let mint_ns = Spread::of(mints).median;
    let cached_ns = Spread::of(cached).median;
    let Spread {
        median: ratio,
        low,
        high,
        ..
    } = Spread::of(ratios);
    println!(
        "fresh mint (RS256, 2048-bit key): {:>10.1} µs/op (median of {ROUNDS} rounds)",
        mint_ns / 1000.0
    );
    println!("cached token():                   {cached_ns:>10.1} ns/op");
    println!(
        "a mint costs {ratio:.0}x a cached token() (median of per-round ratios, quartiles {low:.0}-{high:.0}x; \
         baseline: the mint, measured in the same rounds)"
    );
}
