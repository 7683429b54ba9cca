//! What the drift watch costs (`carbon_ext::drift`: noticing members and enum
//! values the SDK does not know): the same calls through two clients, one with
//! the watch (the default) and one without (`watch_drift(false)`), against one
//! loopback server, in one run. Two calls: one printed part, and a page of 1 000
//! printed parts (the watch reads the first answer of each operation and then
//! one in 64, and in those only the first record of a page).
//!
//! The ratio is watched / not watched, per request; target: within the
//! per-request overhead target (the overhead bench's 1.05x) for both.
//!
//! `cargo bench -p carbon-benchmarks --bench drift`

use std::hint::black_box;
use std::time::{Duration, Instant, SystemTime};

use carbon_ext::auth::BearerToken;
use carbon_ext::prelude::*;
use test_support::stats::Spread;

const ROUNDS: usize = 40;

fn record(i: usize) -> serde_json::Value {
    serde_json::json!({
        "uuid": format!("pp-{i:06}"), "part_uuid": format!("p-{i:06}"), "status": "complete",
        "part_number": "PN-042", "model_uuid": "m-1", "part_order_uuid": "o-1", "part_order_number": "PO-1",
        "print_id": format!("P-{}", 1000 + i / 8), "print_uuid": "pr-1", "build_uuid": "b-1",
        "serial_number": format!("SN-{i:07}"), "created_at": "2026-11-01T08:00:00Z",
        "updated_at": "2026-11-02T08:00:00Z", "finished_at": "2026-11-02T08:00:00Z",
        "tags": {"part": {}, "part_number": {}, "printed_part": {}}
    })
}

fn client(base: &str, watch: bool) -> carbon_ext::Client {
    carbon_ext::Client::builder()
        .base_url(base)
        .static_token(BearerToken::new(
            "bench-token",
            SystemTime::now() + Duration::from_secs(3600),
        ))
        .no_rate_limit()
        .watch_drift(watch)
        .build()
        .unwrap()
}

/// Median watched / not watched per-request ratio of `call`, and the times.
async fn compare<F, Fut>(per_batch: u32, call: F) -> (Spread, f64, f64)
where
    F: Fn(bool) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let batch = |watch: bool| {
        let call = &call;
        async move {
            let start = Instant::now();
            for _ in 0..per_batch {
                call(watch).await;
            }
            start.elapsed() / per_batch
        }
    };
    batch(true).await;
    batch(false).await;
    let (mut ratios, mut on, mut off) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        // Rotating which goes first.
        let (watched, plain) = if round % 2 == 0 {
            let w = batch(true).await;
            (w, batch(false).await)
        } else {
            let p = batch(false).await;
            (batch(true).await, p)
        };
        ratios.push(watched.as_secs_f64() / plain.as_secs_f64());
        on.push(watched.as_secs_f64() * 1e6);
        off.push(plain.as_secs_f64() * 1e6);
    }
    (Spread::of(ratios), Spread::of(on).median, Spread::of(off).median)
}

fn main() {
    let runtime = test_support::runtime::two_workers();
    runtime.block_on(async {
        let one = record(0).to_string();
        let page = serde_json::json!({
            "parts": (0..1000).map(record).collect::<Vec<_>>(), "next_cursor": "", "total_count": 1000
        })
        .to_string();
        println!("the drift watch on against off (watched / not watched, per request):");
        let base = test_support::servers::answering(Box::leak(one.into_boxed_str())).await;
        let (watched, plain) = (client(&base, true), client(&base, false));
        let (ratio, on, off) = compare(200, |watch| {
            let c = if watch { &watched } else { &plain };
            async move {
                black_box(c.get_printed_part().uuid("pp-000000").run().await.unwrap());
            }
        })
        .await;
        println!(
            "  one printed part:           {on:>8.1} µs against {off:>8.1} µs: {:.3}x (middle half {:.3}x..{:.3}x; target <= 1.05x)",
            ratio.median, ratio.low, ratio.high
        );
        let base = test_support::servers::answering(Box::leak(page.into_boxed_str())).await;
        let (watched, plain) = (client(&base, true), client(&base, false));
        let (ratio, on, off) = compare(10, |watch| {
            let c = if watch { &watched } else { &plain };
            async move {
                black_box(c.get_printed_parts().limit(1000).run().await.unwrap());
            }
        })
        .await;
        println!(
            "  a page of 1 000 printed parts: {on:>8.1} µs against {off:>8.1} µs: {:.3}x (middle half {:.3}x..{:.3}x; target <= 1.05x)",
            ratio.median, ratio.low, ratio.high
        );
    });
}
