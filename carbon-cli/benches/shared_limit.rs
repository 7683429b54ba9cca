//! N `carbon printed-parts list --all` processes with one key against the
//! simulator at the API's 200 requests / 10 s: what each way of sharing the limit
//! costs. For N = 1, 2, 4, 8, each alone (`--no-shared-limit`, adaptive only),
//! host-shared (the default) and Redis-shared (`CARBON_RATE_LIMIT_REDIS`):
//! processes failed, rows lost, requests answered 429, and the share of the limit
//! the N used together (the fewest seconds the limit allows for their requests,
//! over the seconds they took).
//!
//! `cargo bench -p carbon-cli --bench shared_limit` (each process lists 20 000
//! printed parts 50 a page: 400 requests; `CARBON_BENCH_PROCESSES=1,2,4` picks N,
//! `CARBON_BENCH_SHARING=alone,host,redis` the ways, `CARBON_BENCH_LOG=DIR` keeps
//! each process's `-v` log there). Redis is the one
//! `CARBON_TEST_REDIS_URL` names, else a `redis-server` the bench starts.
//! Targets (issue 18): no process failed and no row lost anywhere; host-shared at
//! least 95% of the limit with at most 1% of requests answered 429; alone at least
//! 85%.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use carbon_sim::{Config, Simulator};

const PARTS: usize = 20_000;
const PAGE: usize = 50;
const LIMIT: u32 = 200;
const WINDOW: Duration = Duration::from_secs(10);

/// How the N processes share the limit.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Sharing {
    Alone,
    Host,
    Redis,
}

impl Sharing {
    fn name(self) -> &'static str {
        match self {
            Sharing::Alone => "alone (adaptive)",
            Sharing::Host => "host-shared",
            Sharing::Redis => "Redis-shared",
        }
    }
}

struct Round {
    failed: usize,
    rows_lost: usize,
    requests: u64,
    limited: u64,
    elapsed: Duration,
}

impl Round {
    /// The fewest seconds the limit allows for these requests: a window's worth at
    /// once, then a window's worth per window.
    fn floor(&self) -> Duration {
        let answered = self.requests - self.limited;
        let windows = answered.div_ceil(u64::from(LIMIT)).saturating_sub(1);
        WINDOW * windows as u32
    }
}

fn run(
    sim: &Simulator,
    secrets: &std::path::Path,
    ledger: &std::path::Path,
    n: usize,
    sharing: Sharing,
    redis: &str,
) -> Round {
    let before = sim.stats();
    let start = Instant::now();
    // Each process writes to a file of its own: a pipe read one process after the
    // other would stall the others' listings (and expire their cursors).
    let outputs: Vec<std::path::PathBuf> = (0..n).map(|i| ledger.join(format!("out-{i}.csv"))).collect();
    let children: Vec<_> = outputs
        .iter()
        .map(|output| {
            let mut command = Command::new(env!("CARGO_BIN_EXE_carbon"));
            match sharing {
                Sharing::Alone => {
                    command.arg("--no-shared-limit");
                }
                Sharing::Host => {}
                Sharing::Redis => {
                    command.env("CARBON_RATE_LIMIT_REDIS", redis);
                }
            }
            command
                .args([
                    "printed-parts",
                    "list",
                    "--all",
                    "--limit",
                    &PAGE.to_string(),
                    "-o",
                    "csv",
                    "--quiet",
                ])
                .env_remove("CARBON_PROFILE")
                .env("CARBON_BASE_URL", sim.base_url())
                .env("CARBON_SECRETS_FILE", secrets)
                .env("CARBON_RATE_LIMIT_DIR", ledger)
                .env("CARBON_CONFIG_DIR", ledger)
                .stdout(std::fs::File::create(output).expect("a file for the rows"));
            // CARBON_BENCH_LOG=DIR: each process logs its calls (-v) to a file there.
            match std::env::var_os("CARBON_BENCH_LOG") {
                Some(dir) => {
                    let log = std::path::Path::new(&dir).join(format!(
                        "{}-{n}-{}.log",
                        sharing.name().split(' ').next().unwrap_or("run"),
                        output.file_stem().unwrap_or_default().to_string_lossy()
                    ));
                    command
                        .arg("-v")
                        .stderr(std::fs::File::create(log).expect("a log file"));
                }
                None => {
                    command.stderr(Stdio::piped());
                }
            }
            command.spawn().expect("the carbon binary runs")
        })
        .collect();
    let mut failed = 0;
    let mut rows_lost = 0;
    for (child, output) in children.into_iter().zip(&outputs) {
        let out = child.wait_with_output().expect("carbon ran");
        if !out.status.success() {
            failed += 1;
            eprintln!("  a process failed: {}", String::from_utf8_lossy(&out.stderr).trim());
        }
        let written = std::fs::read(output).unwrap_or_default();
        let rows = written.iter().filter(|b| **b == b'\n').count().saturating_sub(1);
        rows_lost += PARTS.saturating_sub(rows);
    }
    let elapsed = start.elapsed();
    let after = sim.stats();
    Round {
        failed,
        rows_lost,
        requests: after.requests - before.requests,
        limited: after.rate_limited - before.rate_limited,
        elapsed,
    }
}

fn main() {
    let processes: Vec<usize> = std::env::var("CARBON_BENCH_PROCESSES")
        .ok()
        .map(|v| v.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1, 2, 4, 8]);
    let ways: Vec<Sharing> = std::env::var("CARBON_BENCH_SHARING")
        .ok()
        .map(|v| {
            v.split(',')
                .filter_map(|way| match way.trim() {
                    "alone" => Some(Sharing::Alone),
                    "host" => Some(Sharing::Host),
                    "redis" => Some(Sharing::Redis),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_else(|| vec![Sharing::Alone, Sharing::Host, Sharing::Redis]);
    let (redis, _own_redis) = if ways.contains(&Sharing::Redis) {
        test_support::redis::shared_url()
    } else {
        (String::new(), None)
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let sim = runtime
        .block_on(Simulator::start(Config {
            printed_parts: PARTS,
            rate_limit: Some((LIMIT, WINDOW)),
            ..Config::default()
        }))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let secrets = dir.path().join("secrets.json");
    std::fs::write(&secrets, sim.key().secrets_json()).unwrap();
    println!(
        "{PARTS} printed parts per process, {PAGE} a page, against {LIMIT} requests / {} s",
        WINDOW.as_secs()
    );
    println!("| sharing | N | failed | rows lost | requests | 429 | time | floor | share of the limit |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for &n in &processes {
        for &sharing in &ways {
            // Each round starts with the simulator's window empty.
            std::thread::sleep(WINDOW + Duration::from_secs(1));
            let round = run(&sim, &secrets, dir.path(), n, sharing, &redis);
            let share = round.floor().as_secs_f64() / round.elapsed.as_secs_f64();
            println!(
                "| {} | {n} | {} | {} | {} | {} ({:.1}%) | {:.1} s | {} s | {:.0}% |",
                sharing.name(),
                round.failed,
                round.rows_lost,
                round.requests,
                round.limited,
                100.0 * round.limited as f64 / round.requests.max(1) as f64,
                round.elapsed.as_secs_f64(),
                round.floor().as_secs(),
                100.0 * share,
            );
        }
    }
    drop(runtime);
}
