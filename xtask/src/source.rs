//! Loading an API document from a URL or a file, in YAML or JSON.

use std::path::Path;

use serde_json::Value;

use crate::{Error, Result};

/// Where the live service publishes its document.
pub const DEFAULT_SPEC_URL: &str = "https://api.carbon3d.com/v1/api.yaml";

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
        doc: parse(location, &text)?,
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
    // gives its client one); this tool installs ring's, process-wide, for its fetches.
    let _ = rustls::crypto::ring::default_provider().install_default();
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

/// Parses document text; JSON is tried first, then YAML (a superset of JSON).
pub fn parse(source_name: &str, text: &str) -> Result<Value> {
    if let Ok(value) = serde_json::from_str::<Value>(text) {
        return check_is_object(source_name, value);
    }
    refuse_yaml_anchors(source_name, text)?;
    let value: Value = serde_yaml_ng::from_str(text).map_err(|e| Error::Parse {
        source_name: source_name.to_string(),
        reason: e.to_string(),
    })?;
    check_is_object(source_name, value)
}

/// YAML anchors and aliases let a small document expand without bound (one anchor
/// referenced thousands of times took a diff to over a gigabyte): API documents
/// have no use for them, so a document with an anchor is refused before parsing.
fn refuse_yaml_anchors(source_name: &str, text: &str) -> Result<()> {
    let name_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.');
    for (number, line) in text.lines().enumerate() {
        let chars: Vec<char> = line.chars().collect();
        for (i, c) in chars.iter().enumerate() {
            // An alias needs an anchor: finding anchors is enough.
            if *c != '&' {
                continue;
            }
            // A node property starts a value: after a space, `[`, `{`, `,`, or the line start.
            let starts_value = i == 0 || matches!(chars[i - 1], ' ' | '\t' | '[' | '{' | ',');
            let name_len = chars[i + 1..].iter().take_while(|c| name_char(**c)).count();
            let ends = chars
                .get(i + 1 + name_len)
                .is_none_or(|c| matches!(c, ' ' | '\t' | ',' | ']' | '}'));
            if starts_value && name_len > 0 && ends {
                return Err(Error::Parse {
                    source_name: source_name.to_string(),
                    reason: format!(
                        "line {} has an anchor (`{}`); YAML anchors and aliases are not accepted in API documents \
                         (they can expand without bound): expand them, or convert the document to JSON",
                        number + 1,
                        chars[i..i + 1 + name_len].iter().collect::<String>()
                    ),
                });
            }
        }
    }
    Ok(())
}

fn check_is_object(source_name: &str, value: Value) -> Result<Value> {
    if value.get("openapi").is_some() || value.get("swagger").is_some() {
        Ok(value)
    } else {
        Err(Error::Parse {
            source_name: source_name.to_string(),
            reason: "it has no top-level `openapi` field, so it is not an OpenAPI document".into(),
        })
    }
}
