//! The simulator as a program. Its first line on stdout is exactly
//! `listening on http://127.0.0.1:<port>/v1`; it serves until killed.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use carbon_sim::{Config, Faults, Simulator, TestKey};
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
    /// Printed parts to seed, in one finished part order with builds and prints.
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
}

fn parse_rate_limit(text: &str) -> Result<Option<(u32, Duration)>, String> {
    if text == "off" {
        return Ok(None);
    }
    let (requests, window) = text
        .split_once('/')
        .ok_or("use REQUESTS/SECONDSs, e.g. 200/10s, or off")?;
    let requests: u32 = requests
        .parse()
        .map_err(|_| format!("`{requests}` is not a number of requests"))?;
    let seconds: f64 = window
        .trim_end_matches('s')
        .parse()
        .map_err(|_| format!("`{window}` is not a number of seconds"))?;
    Ok(Some((requests, Duration::from_secs_f64(seconds))))
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let key = match (&args.secrets, &args.write_secrets) {
        (Some(path), _) => TestKey::from_secrets_json(&std::fs::read_to_string(path)?)?,
        (None, Some(path)) => {
            let key = TestKey::generate("sim-client")?;
            std::fs::write(path, key.secrets_json())?;
            key
        }
        (None, None) => {
            return Err("give --secrets <secrets.json>, or --write-secrets <path> for a fresh test key".into());
        }
    };
    let config = Config {
        addr: args.addr,
        key: Some(key),
        rate_limit: parse_rate_limit(&args.rate_limit)?,
        faults: Faults::all(args.faults),
        seed: args.seed,
        speed: args.speed,
        printers: args.printers,
        printed_parts: args.printed_parts,
        cursor_ttl: Duration::from_secs_f64(args.cursor_ttl.max(0.0)),
    };
    let sim = Simulator::start(config).await?;
    println!("listening on {}", sim.base_url());
    use std::io::Write;
    std::io::stdout().flush()?;
    tokio::signal::ctrl_c().await?;
    sim.stop().await;
    Ok(())
}
