//! What a 1000-record page of printed parts costs the simulator over HTTP, against
//! serializing the same records with serde_json alone (the floor), measured in the
//! same run, with 10 000 and with 200 000 printed parts held: the cost of a page
//! must not grow with what the simulator holds. Target: at most 2x the floor.
//!
//! `cargo bench -p carbon-sim --bench pages`

use std::time::{Duration, Instant};

use carbon_api_gen::types;
use carbon_sim::{Config, Simulator};
use serde_json::Value;

const PAGES: usize = 30;

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

async fn measure(held: usize) -> (Duration, Duration) {
    let sim = Simulator::start(Config {
        printed_parts: held,
        rate_limit: None,
        ..Config::default()
    })
    .await
    .unwrap();
    let token = carbon_auth::mint(&sim.api_key(), Duration::from_secs(3600)).unwrap();
    let http = reqwest::Client::new();
    let mut served = Vec::new();
    let mut floor = Vec::new();
    let mut cursor = String::new();
    // A warm-up page, then interleaved: one page over HTTP, the same records serialized.
    for round in 0..=PAGES {
        let mut url = format!("{}/printed_parts?limit=1000", sim.base_url());
        if !cursor.is_empty() {
            url.push_str(&format!("&cursor={cursor}"));
        }
        let start = Instant::now();
        let bytes = http
            .get(&url)
            .bearer_auth(token.expose())
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let took = start.elapsed();
        let page: Value = serde_json::from_slice(&bytes).unwrap();
        let records: Vec<types::PrintedPart> = serde_json::from_value(page["parts"].clone()).unwrap();
        assert_eq!(records.len(), 1000);
        cursor = page["next_cursor"].as_str().unwrap_or_default().to_string();
        let start = Instant::now();
        let serialized = serde_json::to_vec(&records).unwrap();
        let baseline = start.elapsed();
        std::hint::black_box(serialized);
        if round > 0 {
            served.push(took);
            floor.push(baseline);
        }
        if cursor.is_empty() {
            break;
        }
    }
    (median(served), median(floor))
}

#[tokio::main]
async fn main() {
    println!("1000-record pages of printed parts, median over {PAGES} pages:");
    let mut ratios = Vec::new();
    for held in [10_000, 200_000] {
        let (served, floor) = measure(held).await;
        let ratio = served.as_secs_f64() / floor.as_secs_f64();
        ratios.push((held, served));
        println!(
            "  {held:>7} held: a page over HTTP {:>7.2} ms, serde_json alone {:>6.2} ms: {ratio:.2}x (target <= 2x)",
            served.as_secs_f64() * 1e3,
            floor.as_secs_f64() * 1e3
        );
    }
    let growth = ratios[1].1.as_secs_f64() / ratios[0].1.as_secs_f64();
    println!("  page cost with 200 000 held against 10 000 held: {growth:.2}x (target ~1x)");
}
