//! What every example shares: how it finds the API and the key.
#![allow(dead_code)]

use std::path::PathBuf;

use clap::Args;

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

/// Parses durations like 90s, 30m, 12h (humantime's reading, as the command
/// line's).
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    humantime::parse_duration(text.trim()).map_err(|e| format!("`{text}` is not a duration ({e}): e.g. 90s, 30m, 12h"))
}
