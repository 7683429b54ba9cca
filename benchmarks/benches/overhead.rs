//! Per-request overhead of the whole carbon-ext stack (limit checks, bearer token,
//! rate limiter, retry engine with its spans, decode into the generated type)
//! against a plain reqwest GET + serde_json decode of the same request, on
//! loopback, in one run.
//!
//! The baseline is what a hand-written client does for this call: it formats the
//! URL from the part's id and sends the same headers (bearer token, user agent,
//! `accept`, `api-version`). The generated client without hooks is measured too,
//! to tell progenitor's layer from carbon-ext's.
//!
//! Two runtimes, each in its own round:
//! - two worker threads, as applications run (client and server hand requests
//!   across threads, so wake-up latency is part of every request);
//! - one thread for client and server: what is left is the CPU each request
//!   costs, the strictest ratio, with the narrowest spread.
//!
//! This crate builds the SDK as an application does: tokio's `test-util` and
//! tracing's `log` fallback (which the SDK's dev-dependencies turn on) would add
//! work to every request measured.
//!
//! `cargo bench -p carbon-benchmarks --bench overhead`

use std::time::{Duration, Instant};

use common::{Side, Sides};
use test_support::stats::Spread;

mod common;

/// Rounds of batches; each round runs one batch of each side, in rotating order.
const ROUNDS: usize = 60;
const PER_BATCH: u32 = 200;
const WARM_UP: u32 = 500;

/// The mean time of one request over a batch of `requests` made the `side` way.
async fn batch(sides: &Sides, side: Side, requests: u32) -> Duration {
    let start = Instant::now();
    for _ in 0..requests {
        sides.call(side).await;
    }
    start.elapsed() / requests
}

/// One runtime's measurements: per-request medians (µs) and the paired ratios.
struct Round {
    raw_us: f64,
    generated_us: f64,
    sdk_us: f64,
    generated: Spread,
    sdk: Spread,
}

async fn measure() -> Round {
    let sides = Sides::start().await;
    const ORDER: [Side; 3] = [Side::Raw, Side::Generated, Side::Sdk];
    for side in ORDER {
        batch(&sides, side, WARM_UP).await;
    }

    // Many short batches of each side, rotating which goes first: machine noise
    // hits the sides of a round alike, and the median of the rounds' ratios holds.
    let (mut raw_times, mut generated_times, mut sdk_times) = (Vec::new(), Vec::new(), Vec::new());
    let (mut generated_ratios, mut sdk_ratios) = (Vec::new(), Vec::new());
    for i in 0..ROUNDS {
        let mut times = [Duration::ZERO; 3];
        for k in 0..3 {
            let side = (i + k) % 3;
            times[side] = batch(&sides, ORDER[side], PER_BATCH).await;
        }
        let us = |d: Duration| d.as_nanos() as f64 / 1000.0;
        raw_times.push(us(times[0]));
        generated_times.push(us(times[1]));
        sdk_times.push(us(times[2]));
        generated_ratios.push(times[1].as_secs_f64() / times[0].as_secs_f64());
        sdk_ratios.push(times[2].as_secs_f64() / times[0].as_secs_f64());
    }
    Round {
        raw_us: Spread::of(raw_times).median,
        generated_us: Spread::of(generated_times).median,
        sdk_us: Spread::of(sdk_times).median,
        generated: Spread::of(generated_ratios),
        sdk: Spread::of(sdk_ratios),
    }
}

fn report(title: &str, round: &Round) {
    let Round {
        raw_us,
        generated_us,
        sdk_us,
        generated,
        sdk,
    } = round;
    println!("{title}");
    println!("  raw reqwest + serde_json (baseline): {raw_us:>7.1} µs/request (median of {ROUNDS} batches)");
    println!(
        "  generated client, no hooks:          {generated_us:>7.1} µs/request: {:.3}x (middle half {:.3}x..{:.3}x)",
        generated.median, generated.low, generated.high
    );
    println!(
        "  carbon-ext full stack:               {sdk_us:>7.1} µs/request: {:.3}x (middle half {:.3}x..{:.3}x; target <= 1.05x)",
        sdk.median, sdk.low, sdk.high
    );
}

fn main() {
    let threaded = test_support::runtime::two_workers();
    let round = threaded.block_on(measure());
    report("two worker threads (as applications run):", &round);
    drop(threaded);

    let single = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let round = single.block_on(measure());
    report("one thread for client and server (the CPU per request):", &round);
}
