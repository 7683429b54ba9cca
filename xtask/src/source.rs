//! Loading an API document from a URL or a file, in YAML or JSON.

use std::path::Path;

use serde_json::Value;

use crate::{Error, Result};

/// Where the live service publishes its document.
pub const DEFAULT_SPEC_URL: &str = "https://api.carbon3d.com/v1/api.yaml";

/// Reads the document at `location`: an `http(s)://` URL or a file path.
pub fn load(location: &str) -> Result<Value> {
    let text = if location.starts_with("http://") || location.starts_with("https://") {
        fetch(location)?
    } else {
        std::fs::read_to_string(Path::new(location)).map_err(|e| Error::Fetch {
            source_name: location.to_string(),
            reason: e.to_string(),
        })?
    };
    parse(location, &text)
}

fn fetch(url: &str) -> Result<String> {
    let err = |reason: String| Error::Fetch {
        source_name: url.to_string(),
        reason: format!("{reason} (pass --from with a local file to work offline)"),
    };
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
    let value: Value = serde_yaml_ng::from_str(text).map_err(|e| Error::Parse {
        source_name: source_name.to_string(),
        reason: e.to_string(),
    })?;
    check_is_object(source_name, value)
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
