//! How long the simulator takes to seed its history and what it then holds:
//! 100 000 and 1 000 000 printed parts (with their parts, builds, prints and
//! measurements), each in a fresh process so that its peak memory is its own.
//! The baseline, measured in the same run, is the cost per printed part at
//! 100 000: seeding must scale linearly (target ~1x at 1 000 000). Targets at
//! 1 000 000: at most 30 s and 1.5 GiB held.
//!
//! `cargo bench -p carbon-sim --bench seed`
//! (`CARBON_BENCH_SEED_SIZES=20000,200000` for other sizes).

use std::time::Instant;

use carbon_sim::{Config, Simulator};

/// Set in the child: the printed parts to seed.
const CHILD: &str = "CARBON_BENCH_SEED_CHILD";

/// One measured seed: seconds, peak and held memory (MiB).
struct Seeded {
    seconds: f64,
    peak_mib: f64,
    held_mib: f64,
}

fn seed_in_a_fresh_process(parts: usize) -> Seeded {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .env(CHILD, parts.to_string())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let numbers: Vec<f64> = text.split_whitespace().map(|n| n.parse().unwrap()).collect();
    Seeded {
        seconds: numbers[0],
        peak_mib: numbers[1],
        held_mib: numbers[2],
    }
}

#[tokio::main]
async fn main() {
    if let Ok(parts) = std::env::var(CHILD) {
        let start = Instant::now();
        let sim = Simulator::start(Config {
            printed_parts: parts.parse().unwrap(),
            rate_limit: None,
            ..Config::default()
        })
        .await
        .unwrap();
        let seconds = start.elapsed().as_secs_f64();
        println!(
            "{seconds} {} {}",
            test_support::rss::peak_rss_mib(),
            test_support::rss::rss_mib()
        );
        sim.stop().await;
        return;
    }
    let sizes: Vec<usize> = std::env::var("CARBON_BENCH_SEED_SIZES")
        .map(|s| s.split(',').map(|n| n.trim().parse().unwrap()).collect())
        .unwrap_or_else(|_| vec![100_000, 1_000_000]);
    println!("seeding the simulator's history, each size in a fresh process:");
    let mut baseline = None;
    for parts in sizes {
        let seeded = seed_in_a_fresh_process(parts);
        let per_part = seeded.seconds / parts as f64;
        let base = *baseline.get_or_insert(per_part);
        println!(
            "  {parts:>9} printed parts: {:>6.2} s ({:.2}x the first size's time per part), \
             peak {:>6.0} MiB, held {:>6.0} MiB ({:.0} bytes per part)",
            seeded.seconds,
            per_part / base,
            seeded.peak_mib,
            seeded.held_mib,
            seeded.held_mib * 1_048_576.0 / parts as f64
        );
    }
    println!("targets at 1 000 000: <= 30 s, <= 1536 MiB held");
}
