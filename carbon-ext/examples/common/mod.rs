//! What every example shares: its command line's connection flags, how it finds
//! the API and the key, and how it ends.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser};

// An example's command line: the `Connection` flags, then the example's own
// arguments `A`. (A plain comment: clap would make a doc comment here the
// program's description, over `A`'s.)
#[derive(Debug, Parser)]
struct Cli<A: Args> {
    #[command(flatten)]
    connection: Connection,
    #[command(flatten)]
    args: A,
}

/// An example's `main`: parses its command line, builds the client and runs
/// `job` with it and the example's arguments; an error is printed and ends the
/// program with a failure status.
pub async fn main<A, F>(job: impl FnOnce(carbon_ext::Client, A) -> F) -> ExitCode
where
    A: Args,
    F: Future<Output = Result<(), Box<dyn std::error::Error>>>,
{
    let cli = Cli::<A>::parse();
    let result = match cli.connection.client() {
        Ok(client) => job(client, cli.args).await,
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Where the API is and which key to use.
#[derive(Debug, Args)]
pub struct Connection {
    /// secrets.json from the Carbon web app. Without it, the key comes from
    /// CARBON_SECRETS_FILE or CARBON_CLIENT_ID + CARBON_CLIENT_SECRET.
    #[arg(long, global = true)]
    pub secrets: Option<PathBuf>,
    /// The API's base URL (default: CARBON_BASE_URL, else production). A local
    /// carbon-sim prints its own.
    #[arg(long, global = true)]
    pub base_url: Option<String>,
}

impl Connection {
    /// The client for these settings.
    pub fn client(&self) -> Result<carbon_ext::Client, carbon_ext::Error> {
        // The environment first (CARBON_BASE_URL, the key), then the flags over it.
        let mut builder = carbon_ext::Client::builder()
            .from_env()
            .user_agent_suffix("carbon-rs-example");
        if let Some(path) = &self.secrets {
            builder = builder.secrets_file(path);
        }
        if let Some(url) = &self.base_url {
            builder = builder.base_url(url);
        }
        builder.build()
    }
}

/// Uploads `files`, four at a time: each file uploaded with its model; a file
/// that fails is said on stderr and left out.
pub async fn upload(client: &carbon_ext::Client, files: &[PathBuf]) -> Vec<(PathBuf, carbon_ext::UploadedModel)> {
    let mut uploaded = Vec::new();
    for (path, result) in client
        .upload_many(
            files,
            4,
            carbon_ext::UploadOptions::default(),
            carbon_ext::Progress::none(),
        )
        .await
    {
        match result {
            Ok(model) => uploaded.push((path, model)),
            Err(e) => eprintln!("  {} failed: {e}", path.display()),
        }
    }
    uploaded
}

/// Parses durations like 90s, 30m, 12h (humantime's reading, as the command
/// line's).
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    humantime::parse_duration(text.trim()).map_err(|e| format!("`{text}` is not a duration ({e}): e.g. 90s, 30m, 12h"))
}
