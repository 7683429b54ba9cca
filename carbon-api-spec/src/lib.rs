//! The Carbon DLS API document that every other carbon-rs crate is built from.
//!
//! The pipe is `carbon-api-spec` → `carbon-api-gen` → `carbon-auth` → `carbon-ext`.
//! This crate is its first stage: it holds the document exactly as `cargo xtask regen`
//! wrote it (normalized for the generator, with our own documentation merged in) and
//! exposes it as text, so that a crate which generates code from it in `build.rs`
//! rebuilds exactly when the document changes, also from a packaged crate.
//!
//! ```
//! let doc: serde_json::Value = serde_json::from_str(carbon_api_spec::OPENAPI_JSON).unwrap();
//! assert_eq!(doc["info"]["version"], carbon_api_spec::API_VERSION);
//! ```
//!
//! Nothing here is edited by hand except `overlay.yaml`; see the workspace README for
//! how to regenerate.

pub mod naming;
pub mod walk;

#[cfg(feature = "document")]
/// The normalized OpenAPI 3.0 document (JSON) the SDK is generated from.
pub const OPENAPI_JSON: &str = include_str!("../openapi.json");

#[cfg(feature = "document")]
/// The upstream document as it was fetched, before normalization (canonical JSON).
///
/// `cargo xtask check` re-runs the normalization on it and compares the result with
/// [`OPENAPI_JSON`].
pub const UPSTREAM_JSON: &str = include_str!("../upstream.json");

#[cfg(feature = "document")]
/// Our documentation and fixes, merged into [`OPENAPI_JSON`] by `cargo xtask regen`.
pub const OVERLAY_YAML: &str = include_str!("../overlay.yaml");

#[cfg(feature = "document")]
/// The version of the Carbon API this document describes (its `info.version`).
pub const API_VERSION: &str = include_str!("../api-version.txt").trim_ascii();
