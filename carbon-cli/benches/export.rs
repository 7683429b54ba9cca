//! `carbon export printed-parts` of many records, and the same export through
//! the engine in this process (the baseline, measured in the same run):
//!
//! - under the API's limit (200 requests / 10 s): wall time against the floor
//!   the limit allows for the fewest calls the data needs (a page per thousand
//!   printed parts and per thousand prints: at most 200 in any 10 s, so the n-th
//!   call comes (n-1)/200 whole windows after the first), calls made, 429s, and
//!   the command's peak RSS;
//! - with no limit: the command's wall time against the engine's (its client
//!   built and its key read inside the time, as the command does; the command
//!   also starts a process).
//!
//! `cargo bench -p carbon-cli --bench export` (100 000 and 1 000 000 records;
//! `CARBON_BENCH_RECORDS=20000,100000` for others, `CARBON_BENCH_ROUNDS` rounds
//! per size, default 1). Targets: wall <= 1.05x the floor with 0 x 429; peak RSS
//! <= 64 MiB; with no limit the command <= 1.1x the engine.
//!
//! The simulator runs in this process (its counts are the calls); the command's
//! RSS is its own (wait4).

use std::io::{BufRead, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use carbon_ext::export::{Columns, PartFilters, PartRow};
use carbon_ext::{Client, RateLimit};
use carbon_sim::{Config, Simulator};
use futures::TryStreamExt;

/// Longer than the simulator's rate-limit window (10 s): each side starts with
/// the window empty.
const QUIET: Duration = Duration::from_secs(11);
/// The API's limit.
const LIMIT: (u32, Duration) = (200, Duration::from_secs(10));

fn env_list(name: &str, default: &[usize]) -> Vec<usize> {
    std::env::var(name)
        .map(|v| v.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|_| default.to_vec())
}

/// Set in the small process that starts the commands (see [`Spawner`]).
const SPAWNER: &str = "CARBON_BENCH_SPAWNER";

/// Starts the commands from a small process started before the simulator: a
/// child forked from this process would count the simulator's memory in its
/// peak RSS (Linux keeps the high-water mark across exec).
struct Spawner {
    child: std::process::Child,
    answers: std::io::BufReader<std::process::ChildStdout>,
}

impl Spawner {
    fn start() -> Self {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .env(SPAWNER, "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let answers = std::io::BufReader::new(child.stdout.take().unwrap());
        Self { child, answers }
    }

    /// Runs `carbon` with `args` and `env` to its end: wall time and peak RSS.
    fn run(&mut self, args: &[String], env: &[(String, String)]) -> (Duration, f64) {
        let request = serde_json::json!({"args": args, "env": env});
        let stdin = self.child.stdin.as_mut().unwrap();
        writeln!(stdin, "{request}").unwrap();
        stdin.flush().unwrap();
        let mut line = String::new();
        self.answers.read_line(&mut line).unwrap();
        let (wall, rss) = line.trim().split_once(' ').expect("the spawner's answer");
        (Duration::from_secs_f64(wall.parse().unwrap()), rss.parse().unwrap())
    }
}

/// The spawner's loop: a command per line of stdin, an answer per line of stdout.
fn serve_as_spawner() {
    let carbon = env!("CARGO_BIN_EXE_carbon");
    for line in std::io::stdin().lock().lines() {
        let request: serde_json::Value = serde_json::from_str(&line.unwrap()).unwrap();
        let mut command = Command::new(carbon);
        for arg in request["args"].as_array().unwrap() {
            command.arg(arg.as_str().unwrap());
        }
        for pair in request["env"].as_array().unwrap() {
            command.env(pair[0].as_str().unwrap(), pair[1].as_str().unwrap());
        }
        let (wall, rss) = run_measured(&mut command);
        println!("{} {rss}", wall.as_secs_f64());
    }
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

/// The export through the engine, in this process, written as the command does.
async fn engine_export(client: &Client, out: &Path) -> usize {
    let mut file = std::io::BufWriter::new(std::fs::File::create(out).unwrap());
    writeln!(file, "{}", PartRow::COLUMNS.join(",")).unwrap();
    let mut rows = client.export_printed_parts(&PartFilters::default());
    let mut csv = csv::WriterBuilder::new().has_headers(false).from_writer(&mut file);
    let mut count = 0;
    while let Some(row) = rows.try_next().await.unwrap() {
        csv.write_record(row.unwrap().cells()).unwrap();
        count += 1;
    }
    csv.flush().unwrap();
    drop(csv);
    file.flush().unwrap();
    count
}

/// What one side of a round did: wall time, calls and 429s the simulator saw.
struct Side {
    wall: Duration,
    calls: u64,
    throttled: u64,
}

fn lines(path: &Path) -> usize {
    std::io::BufReader::new(std::fs::File::open(path).unwrap())
        .lines()
        .count()
}

/// One size with the simulator at `limit`: each round, the engine then the command.
async fn measure(spawner: &mut Spawner, records: usize, rounds: usize, limit: Option<(u32, Duration)>) {
    let sim = Simulator::start(Config {
        printed_parts: records,
        rate_limit: limit,
        ..Config::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let secrets = dir.path().join("secrets.json");
    std::fs::write(&secrets, sim.key().secrets_json()).unwrap();
    // Built in each round, inside its time, as the command builds its own.
    let client = || {
        let mut builder = Client::builder().base_url(sim.base_url()).secrets_file(&secrets);
        if limit.is_none() {
            builder = builder.rate_limit(RateLimit::new(RateLimit::MAX_REQUESTS, Duration::from_secs(1)));
        }
        builder.build().unwrap()
    };
    let counts = sim.held();
    // The fewest calls: a page per thousand printed parts and per thousand prints.
    let fewest = counts.printed_parts.div_ceil(1000) + counts.prints.div_ceil(1000);
    let (requests, window) = LIMIT;
    // The limit admits 200 calls in any 10 s: the n-th call no sooner than
    // (n-1)/200 whole windows after the first.
    let floor = (fewest.saturating_sub(1) / requests as usize) as f64 * window.as_secs_f64();
    // At a steady 20 calls a second after the first 200 (the floor as the issue
    // first reckoned it; no window-based limit reaches it).
    let steady = fewest.saturating_sub(requests as usize) as f64 * window.as_secs_f64() / requests as f64;
    for round in 1..=rounds {
        let side = |wall, before: carbon_sim::Stats| {
            let after = sim.stats();
            Side {
                wall,
                calls: after.requests - before.requests,
                throttled: after.rate_limited - before.rate_limited,
            }
        };
        if limit.is_some() {
            tokio::time::sleep(QUIET).await;
        }
        let before = sim.stats();
        let start = Instant::now();
        let exported = engine_export(&client(), &dir.path().join("engine.csv")).await;
        let engine = side(start.elapsed(), before);
        assert_eq!(exported, records);

        if limit.is_some() {
            tokio::time::sleep(QUIET).await;
        }
        let out = dir.path().join("cli.csv");
        let path = |p: &Path| p.to_str().unwrap().to_string();
        let args: Vec<String> = ["--quiet", "--no-shared-limit", "export", "printed-parts", "--to"]
            .iter()
            .map(|a| a.to_string())
            .chain([path(&out)])
            .collect();
        let mut env = vec![
            ("CARBON_CONFIG_DIR".to_string(), path(dir.path())),
            ("CARBON_BASE_URL".to_string(), sim.base_url().to_string()),
            ("CARBON_SECRETS_FILE".to_string(), path(&secrets)),
        ];
        if limit.is_none() {
            env.push(("CARBON_RATE_LIMIT".into(), format!("{}/1s", RateLimit::MAX_REQUESTS)));
        }
        let before = sim.stats();
        // The command runs in its own process while this one serves it.
        let (wall, rss) = tokio::task::block_in_place(|| spawner.run(&args, &env));
        let cli = side(wall, before);
        assert_eq!(lines(&out), records + 1, "the command exported every record");
        match limit {
            Some(_) => {
                for (name, s) in [("engine ", &engine), ("command", &cli)] {
                    let against = if floor > 0.0 {
                        format!(
                            "{:.2}x the floor ({floor:.1} s: {fewest} calls in windows of 200; {:.2}x {steady:.1} s at a steady 20/s)",
                            s.wall.as_secs_f64() / floor,
                            s.wall.as_secs_f64() / steady
                        )
                    } else {
                        format!("the fewest calls ({fewest}) fit the limit's burst: no floor")
                    };
                    println!(
                        "  {records:>9} under 200/10 s, round {round}, {name}: {:>6.1} s = {against}; {} calls, {} x 429",
                        s.wall.as_secs_f64(),
                        s.calls,
                        s.throttled
                    );
                }
                println!("  {records:>9} under 200/10 s, round {round}, command peak RSS {rss:.1} MiB (target <= 64)");
            }
            None => println!(
                "  {records:>9} with no limit, round {round}: engine {:.2} s, command {:.2} s = {:.2}x the engine (target <= 1.1x); {} calls; command peak RSS {rss:.1} MiB",
                engine.wall.as_secs_f64(),
                cli.wall.as_secs_f64(),
                cli.wall.as_secs_f64() / engine.wall.as_secs_f64(),
                cli.calls
            ),
        }
    }
    sim.stop().await;
}

fn main() {
    if std::env::var_os(SPAWNER).is_some() {
        return serve_as_spawner();
    }
    let mut spawner = Spawner::start();
    test_support::runtime::two_workers().block_on(bench(&mut spawner));
}

async fn bench(spawner: &mut Spawner) {
    let sizes = env_list("CARBON_BENCH_RECORDS", &[100_000, 1_000_000]);
    let rounds = env_list("CARBON_BENCH_ROUNDS", &[1])
        .first()
        .copied()
        .unwrap_or(1)
        .max(1);
    println!("export of printed parts joined with their prints: the engine in this process, then `carbon export`:");
    for &records in &sizes {
        measure(spawner, records, rounds, None).await;
        measure(spawner, records, rounds, Some(LIMIT)).await;
    }
}
