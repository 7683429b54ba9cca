//! Scaffolding the carbon-rs tests and benches share, in one place: loopback
//! servers that answer as scripted or as fast as they can, raw requests, request
//! matchers for httpmock (feature `httpmock`), the process's peak RSS, and
//! summaries of measurements, real Redis servers, API documents of a newer API,
//! the test-only API key, the example binaries and the benches' runtime. Not
//! published.

pub mod api_documents;
pub mod examples;
pub mod http;
pub mod keys;
#[cfg(feature = "httpmock")]
pub mod matchers;
#[cfg(unix)]
pub mod redis;
pub mod rss;
pub mod runtime;
pub mod scripted;
pub mod servers;
pub mod stats;
