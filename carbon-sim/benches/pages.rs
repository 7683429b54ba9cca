//! What a 1000-record page of printed parts costs the simulator over HTTP, against
//! serializing the same records with serde_json alone (the floor), measured in the
//! same run, with 10 000 and with 1 000 000 printed parts held: the cost of a page
//! must not grow with what the simulator holds. Target: at most 2x the floor.
//!
//! `cargo bench -p carbon-sim --bench pages`

#[path = "../tests/suite/common.rs"]
mod common;

use std::time::{Duration, Instant};

use carbon_api_gen::types;
use common::Raw;
use serde_json::Value;
use test_support::stats::Spread;

const PAGES: usize = 30;

/// The lists measured: a plain page, an equality filter, a sort on an indexed
/// field, an incremental sync (a date filter with a sort on the same field), and
/// the exporter's join (100 print ids at a time).
fn lists(print_ids: &str) -> Vec<(&'static str, String)> {
    vec![
        ("plain", String::new()),
        ("status filter", "&status=complete".into()),
        ("sorted, desc", "&sort=updated_at,desc".into()),
        (
            "since, sorted",
            "&updated_after=2000-01-01T00:00:00Z&sort=updated_at".into(),
        ),
        ("100 print ids", print_ids.to_string()),
    ]
}

/// What a page of `list` costs: the median time over HTTP, and the median of the
/// per-page ratios to serializing the same records (each page paired with its own
/// floor, so that a slow moment of the machine weighs on both sides), with the
/// quartiles of those ratios.
struct Cost {
    served: Duration,
    ratio: f64,
    quartiles: (f64, f64),
}

async fn measure(raw: &Raw, list: &str) -> Cost {
    let mut served = Vec::new();
    let mut ratios = Vec::new();
    let mut cursor = String::new();
    // A warm-up page, then interleaved: one page over HTTP, the same records
    // serialized; back to the first page when the list ends.
    for round in 0..=PAGES {
        let mut path = format!("/printed_parts?limit=1000{list}");
        if !cursor.is_empty() {
            path.push_str(&format!("&cursor={cursor}"));
        }
        let start = Instant::now();
        let bytes = test_support::http::body(raw.get(&path)).await;
        let took = start.elapsed();
        let page: Value = serde_json::from_slice(&bytes).unwrap();
        let records: Vec<types::PrintedPart> =
            serde_json::from_value(page["parts"].clone()).unwrap_or_else(|e| panic!("{path}: {e}: {page}"));
        assert!(!records.is_empty(), "{path} gave no records");
        cursor = page["next_cursor"].as_str().unwrap_or_default().to_string();
        let start = Instant::now();
        let serialized = serde_json::to_vec(&records).unwrap();
        let baseline = start.elapsed();
        std::hint::black_box(serialized);
        if round > 0 {
            served.push(took);
            ratios.push(took.as_secs_f64() / baseline.as_secs_f64());
        }
    }
    let ratios = Spread::of(ratios);
    Cost {
        served: Duration::from_secs_f64(Spread::of(served.iter().map(Duration::as_secs_f64)).median),
        ratio: ratios.median,
        quartiles: (ratios.low, ratios.high),
    }
}

#[tokio::main]
async fn main() {
    println!("1000-record pages of printed parts, median over {PAGES} pages (target <= 2x serde_json alone):");
    let mut costs: Vec<Vec<Duration>> = Vec::new();
    let helds = [10_000, 1_000_000];
    for held in helds {
        let raw = Raw::seeded(held).await;
        // The print ids of the first 100 prints, as the exporter asks for them.
        let ids: String = (0..100).map(|i| format!("&print_id=P-{}", 1000 + i)).collect();
        let mut row = Vec::new();
        for (name, list) in lists(&ids) {
            let cost = measure(&raw, &list).await;
            println!(
                "  {held:>7} held, {name:<14} a page over HTTP {:>6.2} ms: {:.2}x serde_json alone (quartiles {:.2}-{:.2})",
                cost.served.as_secs_f64() * 1e3,
                cost.ratio,
                cost.quartiles.0,
                cost.quartiles.1
            );
            row.push(cost.served);
        }
        costs.push(row);
    }
    println!(
        "page cost with {} held against {} held (target ~1x):",
        helds[1], helds[0]
    );
    for (i, (name, _)) in lists("").iter().enumerate() {
        let growth = costs[1][i].as_secs_f64() / costs[0][i].as_secs_f64();
        println!("  {name:<14} {growth:.2}x");
    }
}
