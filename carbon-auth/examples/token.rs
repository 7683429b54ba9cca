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
    /// How long the token is valid: a number with a unit, s, m, h or d (e.g. 90s, 60m,
    /// 24h). A bare number is seconds.
    #[arg(long, default_value = "60m", value_parser = parse_lifetime)]
    lifetime: Duration,
}

fn parse_lifetime(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` does not start with a whole number"))?;
    let seconds = match unit.trim() {
        "" | "s" => 1,
        "m" | "min" => 60,
        "h" => 60 * 60,
        "d" => 24 * 60 * 60,
        other => return Err(format!("unknown unit `{other}`: use s, m, h or d")),
    };
    number
        .checked_mul(seconds)
        .map(Duration::from_secs)
        .ok_or_else(|| format!("`{text}` is too long"))
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
