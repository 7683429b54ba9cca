//! The simulator as a program. Its first line on stdout is exactly
//! `listening on http://127.0.0.1:<port>/v1`; it serves until killed.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use carbon_sim::{ApiDocument, Config, Faults, Simulator, TestKey};
use clap::Parser;

/// An in-memory simulator of the Carbon DLS API.
#[derive(Parser)]
#[command(name = "carbon-sim")]
struct Args {
    /// Address to listen on; port 0 picks a free one.
    #[arg(long, default_value = "127.0.0.1:0")]
    addr: std::net::SocketAddr,
    /// secrets.json whose key clients will use (its public half verifies tokens).
    #[arg(long)]
    secrets: Option<PathBuf>,
    /// Write a fresh test secrets.json here and use it, then serve.
    #[arg(long)]
    write_secrets: Option<PathBuf>,
    /// Printed parts of finished history to seed (orders of 20 to 800 parts over
    /// 30 days, with builds, prints and measurements; 1 000 000 in about 15 s and 1.3 GiB).
    #[arg(long, default_value_t = 0)]
    printed_parts: usize,
    /// Printers to simulate.
    #[arg(long, default_value_t = 3)]
    printers: usize,
    /// Rate limit per client id, as REQUESTS/SECONDSs (e.g. 200/10s), or `off`.
    #[arg(long, default_value = "200/10s")]
    rate_limit: String,
    /// Share of requests that get an injected fault (0 to 1), of every kind.
    #[arg(long, default_value_t = 0.0)]
    faults: f64,
    /// Seed of ids and faults.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Simulated time runs this many times faster than real time.
    #[arg(long, default_value_t = 1.0)]
    speed: f64,
    /// Seconds a cursor stays valid (the API: 60).
    #[arg(long, default_value_t = 60.0)]
    cursor_ttl: f64,
    /// Seconds a presigned upload URL or download redirect stays valid.
    #[arg(long, default_value_t = 900.0)]
    presign_ttl: f64,
    /// The largest upload accepted, in MiB (413 beyond).
    #[arg(long, default_value_t = 4096)]
    max_upload_mib: u64,
    /// MiB of small uploaded files kept as they are; past that, files keep their
    /// size and digest and download as bytes derived from it.
    #[arg(long, default_value_t = 16)]
    kept_mib: u64,
    /// Pending uploads, finished runs and finished part orders kept, each.
    #[arg(long, default_value_t = 10_000)]
    retention: usize,
    /// Publish this API document (YAML or JSON) at /v1/api.yaml instead of the
    /// one this build was generated from.
    #[arg(long, value_name = "FILE")]
    api_document: Option<PathBuf>,
}

/// A number of seconds from the command line: finite, not negative, not absurd.
fn seconds(flag: &str, value: f64) -> Result<Duration, String> {
    if !value.is_finite() || value < 0.0 {
        return Err(format!("--{flag} {value}: give a number of seconds, 0 or more"));
    }
    Duration::try_from_secs_f64(value)
        .ok()
        .filter(|d| *d <= Duration::from_secs(365 * 24 * 3600))
        .ok_or_else(|| format!("--{flag} {value}: at most a year"))
}

fn parse_rate_limit(text: &str) -> Result<Option<(u32, Duration)>, String> {
    if text == "off" {
        return Ok(None);
    }
    let usage = "use REQUESTS/SECONDSs, e.g. 200/10s, or off";
    let (requests, window) = text.split_once('/').ok_or(usage)?;
    let requests: u32 = requests
        .parse()
        .map_err(|_| format!("--rate-limit: `{requests}` is not a number of requests; {usage}"))?;
    if requests == 0 {
        return Err(format!("--rate-limit: 0 requests would refuse everything; {usage}"));
    }
    let value: f64 = window
        .trim_end_matches('s')
        .parse()
        .map_err(|_| format!("--rate-limit: `{window}` is not a number of seconds; {usage}"))?;
    let window = seconds("rate-limit", value)?;
    if window.is_zero() {
        return Err(format!("--rate-limit: the window must be longer than 0 s; {usage}"));
    }
    Ok(Some((requests, window)))
}

/// Everything the command line says, checked before anything starts.
fn config(args: &Args) -> Result<Config, String> {
    let config = Config {
        addr: args.addr,
        key: None,
        rate_limit: parse_rate_limit(&args.rate_limit)?,
        faults: Faults::all(args.faults),
        seed: args.seed,
        speed: args.speed,
        printers: args.printers,
        printed_parts: args.printed_parts,
        cursor_ttl: seconds("cursor-ttl", args.cursor_ttl)?,
        presign_ttl: seconds("presign-ttl", args.presign_ttl)?,
        max_upload: args
            .max_upload_mib
            .checked_mul(1024 * 1024)
            .filter(|n| *n > 0)
            .ok_or_else(|| format!("--max-upload-mib {}: give 1 or more (MiB)", args.max_upload_mib))?,
        kept_bytes: args.kept_mib.saturating_mul(1024 * 1024),
        retention: args.retention,
        api_document: match &args.api_document {
            Some(path) => ApiDocument::new(
                std::fs::read_to_string(path).map_err(|e| format!("--api-document {}: {e}", path.display()))?,
            ),
            None => ApiDocument::built_in(),
        },
    };
    config.validate().map_err(|e| e.as_flags())?;
    Ok(config)
}

/// Writes the key readable by its owner only.
fn write_private(path: &std::path::Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        let mut file = options.open(path)?;
        // An existing file keeps its mode on open: set it.
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        file.write_all(contents.as_bytes())
    }
    #[cfg(not(unix))]
    options.open(path)?.write_all(contents.as_bytes())
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Config(e)) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
        Err(Failure::Run(e)) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Bad settings (exit status 2), or a failure while running (1).
enum Failure {
    Config(String),
    Run(Box<dyn std::error::Error>),
}

impl<E: Into<Box<dyn std::error::Error>>> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure::Run(e.into())
    }
}

async fn run(args: Args) -> Result<(), Failure> {
    // Settings first: nothing is written or bound for a command line that is wrong.
    let mut config = config(&args).map_err(Failure::Config)?;
    let key = match (&args.secrets, &args.write_secrets) {
        (Some(path), _) => TestKey::from_secrets_json(&std::fs::read_to_string(path)?)?,
        (None, Some(path)) => {
            let key = TestKey::generate("sim-client")?;
            write_private(path, &key.secrets_json())?;
            key
        }
        (None, None) => {
            return Err(Failure::Config(
                "give --secrets <secrets.json>, or --write-secrets <path> for a fresh test key".into(),
            ));
        }
    };
    config.key = Some(key);
    let sim = Simulator::start(config).await?;
    println!("listening on {}", sim.base_url());
    use std::io::Write;
    std::io::stdout().flush()?;
    tokio::signal::ctrl_c().await?;
    sim.stop().await;
    Ok(())
}
