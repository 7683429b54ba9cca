//! Prints a bearer token for a Carbon API key, and nothing else on stdout:
//!
//! ```text
//! cargo run -p carbon-auth --example token -- path/to/secrets.json --lifetime 60m
//! curl -H "Authorization: Bearer $(cargo run -q -p carbon-auth --example token -- secrets.json)" ...
//! ```

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

/// Mint a Carbon DLS API bearer token (RS256 JWT with `iss` and `exp`) from secrets.json.
#[derive(Parser)]
#[command(name = "token")]
struct Args {
    /// Path to the secrets.json downloaded from the Carbon web app.
    secrets: PathBuf,
    /// How long the token is valid: a number with a unit (e.g. 90s, 60m, 24h).
    #[arg(long, default_value = "60m", value_parser = parse_lifetime)]
    lifetime: Duration,
}

fn parse_lifetime(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text.trim()).map_err(|e| format!("`{text}` is not a duration ({e}): e.g. 90s, 60m, 24h"))
}

fn main() -> ExitCode {
    let args = Args::parse();
    let token = carbon_auth::ApiKey::from_file(&args.secrets).and_then(|key| carbon_auth::mint(&key, args.lifetime));
    match token {
        Ok(token) => {
            println!("{}", token.expose());
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}
