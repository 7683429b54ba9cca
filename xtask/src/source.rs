//! Loading an API document from a URL or a file, in YAML or JSON.

use std::path::Path;

use serde_json::Value;

use crate::{Error, Result};

/// Where the live service publishes its document.
pub use carbon_api_regen::DEFAULT_SPEC_URL;

/// A document as fetched: parsed, and the SHA-256 of the text that arrived.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The document.
    pub doc: Value,
    /// Lowercase hex SHA-256 of the text.
    pub sha256: String,
}

/// Reads the document at `location`: an `https://` URL or a file path. Plain
/// `http://` is refused unless `allow_http` (anyone on the way could change it).
pub fn fetch_document(location: &str, allow_http: bool) -> Result<Fetched> {
    let text = if location.starts_with("https://") || (allow_http && location.starts_with("http://")) {
        fetch(location)?
    } else if location.starts_with("http://") {
        return Err(Error::Fetch {
            source_name: location.to_string(),
            reason: "plain http:// can be altered on the way; use https://, a local file, or --allow-http".into(),
        });
    } else {
        std::fs::read_to_string(Path::new(location)).map_err(|e| Error::Fetch {
            source_name: location.to_string(),
            reason: e.to_string(),
        })?
    };
    use sha2::Digest;
    let sha256 = sha2::Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(Fetched {
        doc: carbon_api_regen::parse(location, &text)?,
        sha256,
    })
}

/// Reads the document at `location` (see [`fetch_document`]; no plain http).
pub fn load(location: &str) -> Result<Value> {
    fetch_document(location, false).map(|fetched| fetched.doc)
}

fn fetch(url: &str) -> Result<String> {
    let err = |reason: String| Error::Fetch {
        source_name: url.to_string(),
        reason: format!("{reason} (pass --from with a local file to work offline)"),
    };
    // The workspace builds reqwest's rustls without a crypto provider (carbon-api-gen
    // gives its client one); this tool installs ring's, process-wide, for its fetches
    // (rustls 0.23.48 deprecates it for lacking post-quantum key exchange: a tool
    // that reads a public document does not need it).
    #[allow(deprecated)]
    let ring = rustls::crypto::ring::default_provider();
    let _ = ring.install_default();
    let client = reqwest::blocking::Client::builder()
        .connect_timeout(std::time::Duration::from_secs(10))
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .map_err(|e| err(e.to_string()))?;
    let response = client.get(url).send().map_err(|e| err(e.to_string()))?;
    let status = response.status();
    if !status.is_success() {
        return Err(err(format!("the server answered {status}")));
    }
    response.text().map_err(|e| err(e.to_string()))
}
