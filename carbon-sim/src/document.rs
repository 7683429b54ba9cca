//! The API document the simulator publishes, where the API publishes its own
//! (`/v1/api.yaml`, without a token): by default the upstream document this
//! build was generated from, or another one (`Config::api_document`), to play a
//! newer or an older API.

use std::fmt;
use std::sync::Arc;

/// An API document's text (YAML or JSON), as published.
#[derive(Clone)]
pub struct ApiDocument {
    text: Arc<str>,
}

impl ApiDocument {
    /// A document with this text.
    pub fn new(text: impl Into<Arc<str>>) -> Self {
        Self { text: text.into() }
    }

    /// The document this build was generated from, as Carbon published it.
    pub fn built_in() -> Self {
        Self::new(carbon_api_spec::UPSTREAM_JSON)
    }

    /// The text.
    pub fn text(&self) -> &str {
        &self.text
    }
}

impl fmt::Debug for ApiDocument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiDocument({} bytes)", self.text.len())
    }
}
