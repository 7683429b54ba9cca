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
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const BODY: &str = r#"{"uuid":"p-1","part_number":"PN-1","model_uuid":"m-1","description":null,"part_number_tags":{"size":"M"},"part_tags":{}}"#;

/// A keep-alive HTTP/1.1 server that answers every request with `BODY`.
async fn serve() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/v1", listener.local_addr().unwrap());
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut buf = vec![0u8; 16 * 1024];
                let mut pending = Vec::new();
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{BODY}",
                    BODY.len()
                );
                loop {
                    let Ok(n) = socket.read(&mut buf).await else { return };
                    if n == 0 {
                        return;
                    }
                    pending.extend_from_slice(&buf[..n]);
                    while let Some(end) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
                        pending.drain(..end + 4);
                        if socket.write_all(response.as_bytes()).await.is_err() {
                            return;
                        }
                    }
                }
            });
        }
    });
    base
}

async fn time<F, Fut>(requests: u32, mut call: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for _ in 0..50 {
        call().await;
    }
    let start = Instant::now();
    for _ in 0..requests {
        call().await;
    }
    start.elapsed() / requests
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let base = serve().await;
        let raw = reqwest::Client::new();
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

        const REQUESTS: u32 = 3000;
        // Alternate the two so that both see the same machine state.
        let mut raw_total = Duration::ZERO;
        let mut sdk_total = Duration::ZERO;
        for _ in 0..3 {
            raw_total += time(REQUESTS, || async {
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
            })
            .await;
            sdk_total += time(REQUESTS, || async {
                black_box(client.get_part().uuid("p-1").run().await.unwrap());
            })
            .await;
        }
        let raw_us = raw_total.as_nanos() as f64 / 3000.0;
        let sdk_us = sdk_total.as_nanos() as f64 / 3000.0;
        println!("raw reqwest + serde_json (baseline): {raw_us:>8.1} µs/request");
        println!("carbon-ext full stack:               {sdk_us:>8.1} µs/request");
        println!("overhead ratio (sdk / baseline):     {:>8.2}x", sdk_us / raw_us);
    });
}
