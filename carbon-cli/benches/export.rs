//! `carbon export printed-parts` of many records against the same export done by
//! the SDK in this process, in the same run: wall time and peak RSS.
//!
//! `cargo bench -p carbon-cli --bench export` (100 000 records;
//! `CARBON_BENCH_RECORDS` changes that, `CARBON_BENCH_ROUNDS` the rounds, default 3).
//! Targets: the command's peak RSS at most 64 MiB, its wall time at most 1.2x the
//! SDK's. The simulator runs as its own process (`carbon sim`), so neither side's
//! memory includes it.

use std::io::{BufRead, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use carbon_ext::Client;
use carbon_ext::export::{Columns, PartFilters, PartRow};
use futures::TryStreamExt;
use test_support::stats::Spread;

/// Longer than the simulator's rate-limit window (10 s).
const QUIET: Duration = Duration::from_secs(11);

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Peak RSS of this process in MiB (the kernel's high-water mark).
fn own_peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn reset_own_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Runs a command to its end; its wall time and peak RSS (MiB).
fn run_measured(command: &mut Command) -> (Duration, f64) {
    let start = Instant::now();
    // Reaped below with wait4, which std's Child cannot do (it gives no rusage).
    #[allow(clippy::zombie_processes)]
    let child = command.stdout(Stdio::null()).spawn().expect("the carbon binary runs");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: rusage is plain data that wait4 fills in; pid is our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = start.elapsed();
    assert_eq!(waited, pid, "wait4 failed");
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "the export failed"
    );
    // Linux reports ru_maxrss in KiB.
    (wall, usage.ru_maxrss as f64 / 1024.0)
}

/// The same export as the command, through the same engine, in this process.
async fn sdk_export(client: &Client, out: &Path) -> usize {
    let mut file = std::io::BufWriter::new(std::fs::File::create(out).unwrap());
    writeln!(file, "{}", PartRow::COLUMNS.join(",")).unwrap();
    let mut rows = client.export_printed_parts(&PartFilters::default());
    let mut csv = csv::WriterBuilder::new().has_headers(false).from_writer(&mut file);
    let mut count = 0;
    while let Some(row) = rows.try_next().await.unwrap() {
        let row = row.unwrap();
        csv.write_record(row.cells()).unwrap();
        count += 1;
    }
    csv.flush().unwrap();
    drop(csv);
    file.flush().unwrap();
    count
}

#[tokio::main]
async fn main() {
    let records = env_number("CARBON_BENCH_RECORDS", 100_000);
    let rounds = env_number("CARBON_BENCH_ROUNDS", 3).max(1);
    let carbon = env!("CARGO_BIN_EXE_carbon");
    let dir = tempfile::tempdir().unwrap();

    // The simulator in its own process, through the command itself.
    let mut sim = Command::new(carbon)
        .args(["sim", "--printed-parts", &records.to_string()])
        .env("CARBON_CONFIG_DIR", dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(sim.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base_url = line
        .trim()
        .strip_prefix("listening on ")
        .expect("the simulator's first line")
        .to_string();
    let secrets = dir.path().join("sim-secrets.json");
    let client = Client::builder()
        .base_url(&base_url)
        .secrets_file(&secrets)
        .build()
        .unwrap();

    println!("export of {records} printed parts joined with their prints, {rounds} round(s), interleaved:");
    let (mut walls, mut ratios, mut cli_rss) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        // Each side starts with the simulator's rate-limit window empty: else the
        // one that goes second waits for the other's last requests to age out.
        std::thread::sleep(QUIET);
        reset_own_peak_rss();
        let start = Instant::now();
        let exported = sdk_export(&client, &dir.path().join("sdk.csv")).await;
        let sdk_wall = start.elapsed();
        let sdk_rss = own_peak_rss_mib();
        assert_eq!(exported, records);

        std::thread::sleep(QUIET);
        let out = dir.path().join("cli.csv");
        let (cli_wall, rss) = run_measured(
            Command::new(carbon)
                .args(["--profile", "sim", "--quiet", "export", "printed-parts", "--to"])
                .arg(&out)
                .env("CARBON_CONFIG_DIR", dir.path()),
        );
        let lines = std::io::BufReader::new(std::fs::File::open(&out).unwrap())
            .lines()
            .count();
        assert_eq!(lines, records + 1, "the command exported every record");
        let ratio = cli_wall.as_secs_f64() / sdk_wall.as_secs_f64();
        println!(
            "  round {}: SDK {:>7.2} s, peak RSS {sdk_rss:>6.1} MiB (bench process) | carbon {:>7.2} s, peak RSS {rss:>6.1} MiB | wall {ratio:.2}x",
            round + 1,
            sdk_wall.as_secs_f64(),
            cli_wall.as_secs_f64()
        );
        walls.push(cli_wall.as_secs_f64());
        ratios.push(ratio);
        cli_rss.push(rss);
    }
    let ratios = Spread::of(ratios);
    let spread = ratios.max - ratios.min;
    println!(
        "carbon export: median wall {:.2} s, {:.2}x the SDK (spread {spread:.2}; target <= 1.2x); peak RSS max {:.1} MiB (target <= 64 MiB)",
        Spread::of(walls).median,
        ratios.median,
        Spread::of(cli_rss).max
    );
    let _ = sim.kill();
    let _ = sim.wait();
}
