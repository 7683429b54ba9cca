//! The API document the simulator publishes, where the API publishes its own
//! (`/v1/api.yaml`, without a token): by default the upstream document this
//! build was generated from, or another one (`Config::api_document`), to play a
//! newer or an older API.

use std::fmt;
use std::sync::{Arc, OnceLock};

use serde_json::Value;

/// An API document's text (YAML or JSON), as published.
#[derive(Clone)]
pub struct ApiDocument(Text);

#[derive(Clone)]
enum Text {
    /// The document this build was generated from (nothing to copy or compare).
    BuiltIn(&'static str),
    /// Another document (UTF-8: it was made from a `String`, and each answer
    /// shares it), and what reading it gave (read once, by whichever asks
    /// first: the settings' check or the start).
    Given(bytes::Bytes, Arc<OnceLock<Result<Value, String>>>),
}

impl ApiDocument {
    /// A document with this text.
    pub fn new(text: impl Into<String>) -> Self {
        Self(Text::Given(bytes::Bytes::from(text.into()), Arc::default()))
    }

    /// The document this build was generated from, as Carbon published it.
    pub fn built_in() -> Self {
        Self(Text::BuiltIn(carbon_api_spec::UPSTREAM_JSON))
    }

    /// Whether this is [`ApiDocument::built_in`].
    pub fn is_built_in(&self) -> bool {
        matches!(self.0, Text::BuiltIn(_))
    }

    /// The text.
    pub fn text(&self) -> &str {
        match &self.0 {
            Text::BuiltIn(text) => text,
            Text::Given(text, _) => std::str::from_utf8(text).unwrap_or_default(),
        }
    }

    /// A given document read as `cargo xtask regen` reads one (YAML or JSON),
    /// once; `None` for the built-in one.
    pub(crate) fn read(&self) -> Option<Result<&Value, &str>> {
        match &self.0 {
            Text::BuiltIn(_) => None,
            Text::Given(_, read) => Some(
                read.get_or_init(|| carbon_api_regen::parse("the document", self.text()).map_err(|e| e.to_string()))
                    .as_ref()
                    .map_err(String::as_str),
            ),
        }
    }

    /// The text as an answer's body, shared rather than copied.
    pub(crate) fn body(&self) -> axum::body::Body {
        match &self.0 {
            Text::BuiltIn(text) => axum::body::Body::from(bytes::Bytes::from_static(text.as_bytes())),
            Text::Given(text, _) => axum::body::Body::from(text.clone()),
        }
    }
}

impl fmt::Debug for ApiDocument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiDocument({} bytes)", self.text().len())
    }
}
