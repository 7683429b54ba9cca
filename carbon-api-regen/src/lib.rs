//! What carbon-rs makes of a Carbon API document, and how two documents differ.
//!
//! Regenerating the SDK takes the document the API publishes through four steps,
//! each a plain function over `serde_json::Value`: [`parse`] it (JSON or YAML),
//! [`normalize::normalize`] it for the generator, merge our documentation
//! [`overlay`], and refuse what the generator cannot handle ([`guards`]). [`build`]
//! runs them in that order. [`diff::diff`] then says what changed against the
//! document the SDK was built from, with the semver impact on the SDK's users.
//!
//! `cargo xtask regen|check|diff` and `carbon api check` both call this crate, so a
//! live document is judged exactly as regenerating from it would judge it.
//! Fetching is left to the caller.
//!
//! ```
//! use carbon_api_regen::{Impact, build, diff::diff, overlay::Overlay, parse};
//!
//! let old = parse("old.json", r#"{"openapi": "3.0.3", "info": {"title": "t", "version": "1.0.0"},
//!     "paths": {}, "components": {"schemas": {"Part": {"type": "object",
//!     "properties": {"uuid": {"type": "string"}}}}}}"#).unwrap();
//! let mut new = old.clone();
//! new["components"]["schemas"]["Part"]["properties"]["note"] = serde_json::json!({"type": "string"});
//! let (old, _) = build(&old, &Overlay::default()).unwrap();
//! let (new, _) = build(&new, &Overlay::default()).unwrap();
//! assert_eq!(diff(&old, &new).verdict(), Impact::Additive);
//! ```

/// The naming rules the generator uses (from the spec crate, without its
/// document, so that this crate builds when the committed document is broken).
pub use carbon_api_spec::naming;

pub mod canonical;
pub mod diff;
mod document;
pub mod guards;
pub mod normalize;
pub mod overlay;

pub use diff::{Change, Diff, Impact};
pub use document::parse;

use serde_json::Value;

use overlay::{Overlay, OverlayReport};

/// Where the live API publishes its document: what `cargo xtask regen` and
/// `carbon api check` read unless told otherwise.
pub const DEFAULT_SPEC_URL: &str = "https://api.carbon3d.com/v1/api.yaml";

/// Everything that can be wrong with a document or the overlay.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The text is not a JSON or YAML OpenAPI document.
    #[error("{source_name} is not a JSON or YAML document: {reason}")]
    Parse {
        /// Where the text came from (a URL or path).
        source_name: String,
        /// The parser's message, or what is missing.
        reason: String,
    },
    /// The document is not something the normalizer can work on.
    #[error("{0}")]
    Unsupported(String),
    /// The document uses constructs the code generator would fail on.
    #[error("the document cannot be turned into a client:\n{}", .0.iter().map(|g| format!("  - {g}")).collect::<Vec<_>>().join("\n"))]
    Guards(Vec<guards::GuardError>),
    /// The overlay file is malformed.
    #[error("overlay.yaml is invalid: {0}")]
    Overlay(String),
}

/// Result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The document the SDK is generated from, built from an upstream document and the
/// overlay: normalized, documented and guarded.
pub fn build(upstream: &Value, overlay: &Overlay) -> Result<(Value, OverlayReport)> {
    let mut doc = normalize::normalize(upstream.clone(), &overlay.enum_names)?;
    let report = overlay::apply(&mut doc, overlay);
    let problems = guards::check(&doc);
    if !problems.is_empty() {
        return Err(Error::Guards(problems));
    }
    Ok((doc, report))
}

/// What changed from `old` to `new`, both normalized with the overlay's enum
/// names, so that a raw upstream document and a committed one compare by meaning
/// (`cargo xtask diff`).
pub fn compare(old: &Value, new: &Value, overlay: &Overlay) -> Result<Diff> {
    let old = normalize::normalize(old.clone(), &overlay.enum_names)?;
    let new = normalize::normalize(new.clone(), &overlay.enum_names)?;
    Ok(diff::diff(&old, &new))
}

/// The API version (`info.version`) of a document.
pub fn api_version(doc: &Value) -> Result<&str> {
    doc.pointer("/info/version")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::Unsupported("the document has no info.version".into()))
}
