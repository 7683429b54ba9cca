//! Raw bindings for the Carbon DLS API, generated at build time by progenitor from
//! the document in `carbon-api-spec`.
#![doc = concat!("\n\nThis build speaks Carbon API ", env!("CARBON_API_VERSION"), " ([`API_VERSION`]).\n")]
//!
//! Every operation of the API is a method on [`Client`] that returns a builder: set
//! the parameters, then `send()`. Types live in [`types`]; string enums are *open*
//! (see [`enums`]): a status the server adds later arrives as `Unknown` instead of
//! failing the response.
//!
//! Most users want `carbon-ext`, which builds this client with authentication,
//! retries and rate limiting. Built by hand:
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//! use carbon_api_gen::{BaseUrl, Client, ClientState};
//!
//! let http = carbon_api_gen::http_client(Duration::from_secs(10), Duration::from_secs(60))?;
//! let base = BaseUrl::parse("https://api.carbon3d.com/v1")?;
//! let client = Client::with_state(&base, http, ClientState::default());
//! let printers = client.get_printers().limit(100).offset(0).send().await?;
//! for printer in &printers.printers {
//!     println!("{} {}", printer.serial, printer.name);
//! }
//! # Ok(())
//! # }
//! ```
//!
//! This crate is generated: never edit its output. Change `carbon-api-spec` (via
//! `cargo xtask regen` and its overlay) or the settings in `build.rs` instead.

#![allow(clippy::all, clippy::pedantic)]

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

mod base_url;
pub mod extras;
pub use base_url::{BaseUrl, InvalidBaseUrl};
pub use tls::{crypto_provider, tls_config, HttpClientError};
mod hooks;
mod timestamp;
mod tls;
pub use hooks::{
    send_through, Answered, ClientState, Execution, Failure, HookError, HookFuture, NoHooks, Prepared, RequestHooks,
};
pub use timestamp::{Timestamp, TimestampError};

/// Open enums generated from the document's string enum schemas.
///
/// Each has one variant per value the document lists, and `Unknown` holding any
/// other value exactly as received, so that a new status from the server never
/// breaks a shipped binary. Values round-trip: `Unknown` serializes back unchanged.
pub mod enums {
    include!(concat!(env!("OUT_DIR"), "/enums.rs"));
}

include!(concat!(env!("OUT_DIR"), "/client.rs"));
include!(concat!(env!("OUT_DIR"), "/shapes.rs"));

/// Typed httpmock helpers: `server.get_builds(|when, then| ...)`.
///
/// Operations with array query parameters match without them (a progenitor 0.15.1
/// limitation, its issue 1260); add plain `httpmock` matchers on the inner `When` for
/// those. Mocks match paths without the `/v1` base path: give the client the mock
/// server's base URL.
#[cfg(feature = "httpmock")]
pub mod mock {
    include!(concat!(env!("OUT_DIR"), "/mocks.rs"));
}

/// The API version this crate was generated from (the document's `info.version`, as
/// `ClientInfo::api_version` also reports it).
pub const API_VERSION: &str = env!("CARBON_API_VERSION");

/// The normalized document this crate was generated from (JSON): the API as the
/// compiled types know it. Usually `carbon_api_spec::OPENAPI_JSON`; another one
/// when built with `CARBON_API_SPEC_OVERRIDE`.
pub const OPENAPI_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/openapi.json"));

/// A boxed, sendable future (what [`RequestHooks`] methods return when they wait).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A value of an open enum that this SDK version does not know.
///
/// It can only come from the wire (or [`From<&str>`] on the enum), so a known value
/// is never hidden in `Unknown`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UnknownValue(Box<str>);

impl UnknownValue {
    pub(crate) fn new(value: &str) -> Self {
        Self(value.into())
    }

    /// The value as the server sent it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for UnknownValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for UnknownValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Deserializes any string into an open enum.
pub(crate) struct OpenEnumVisitor<T> {
    name: &'static str,
    _marker: std::marker::PhantomData<fn() -> T>,
}

impl<T> OpenEnumVisitor<T> {
    pub(crate) fn new(name: &'static str) -> Self {
        Self {
            name,
            _marker: std::marker::PhantomData,
        }
    }
}

/// What the decoder asks of an open enum (implemented by every generated one).
pub(crate) trait OpenEnumValue: for<'a> From<&'a str> {
    /// Whether this is a value this SDK version knows.
    fn is_known(&self) -> bool;
}

impl<'de, T: OpenEnumValue> serde::de::Visitor<'de> for OpenEnumVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a {} string", self.name)
    }

    fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<T, E> {
        let decoded = T::from(value);
        if !decoded.is_known() {
            drift::note(self.name, value);
        }
        Ok(decoded)
    }
}

/// Values of open enums this SDK version does not know, as the decoding of an
/// answer meets them. Only decoding inside [`drift::recording`] is noted (the
/// layer that sends a request runs each poll of its call in it), so values a
/// program decodes itself (its own arguments, a re-read of an error) are never
/// taken for something the API sent.
pub mod drift {
    use std::cell::{Cell, RefCell};

    use crate::UnknownValue;

    /// At most this many distinct values are kept per recording.
    const KEPT: usize = 32;

    thread_local! {
        static RECORDING: Cell<bool> = const { Cell::new(false) };
        static UNKNOWN: RefCell<Vec<(&'static str, UnknownValue)>> = const { RefCell::new(Vec::new()) };
    }

    /// Notes that `value` of the enum `enum_name` was decoded, if recording.
    pub(crate) fn note(enum_name: &'static str, value: &str) {
        if !RECORDING.get() {
            return;
        }
        UNKNOWN.with_borrow_mut(|seen| {
            let known = seen.iter().any(|(e, v)| *e == enum_name && v.as_str() == value);
            if !known && seen.len() < KEPT {
                seen.push((enum_name, UnknownValue::new(value)));
            }
        });
    }

    /// Runs `work` (one poll of a call, say), and returns with its result the
    /// enum values it decoded that this SDK version does not know, each once,
    /// with the enum's schema name. Nothing decoded outside such a run is noted.
    /// (Runs inside another recording give their values to the outer one.)
    pub fn recording<R>(work: impl FnOnce() -> R) -> (R, Vec<(&'static str, UnknownValue)>) {
        if RECORDING.replace(true) {
            return (work(), Vec::new());
        }
        /// Stops the recording however `work` ends; after a panic, what it
        /// noted is dropped (nobody takes it, and the thread lives on).
        struct Stop;
        impl Drop for Stop {
            fn drop(&mut self) {
                RECORDING.set(false);
                if std::thread::panicking() {
                    UNKNOWN.with_borrow_mut(Vec::clear);
                }
            }
        }
        let stop = Stop;
        let result = work();
        drop(stop);
        // Nothing decoded unknown (the usual case): no list to take.
        let met = UNKNOWN.with_borrow_mut(|seen| {
            if seen.is_empty() {
                Vec::new()
            } else {
                std::mem::take(seen)
            }
        });
        (result, met)
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn only_decoding_inside_a_recording_is_noted_and_a_panic_ends_it() {
            note("Status", "outside");
            let ((), met) = recording(|| note("Status", "inside"));
            assert_eq!(met.len(), 1);
            assert_eq!((met[0].0, met[0].1.as_str()), ("Status", "inside"));
            let panicked = std::panic::catch_unwind(|| {
                recording(|| {
                    note("Status", "lost");
                    panic!("a hook failed");
                })
            });
            assert!(panicked.is_err());
            assert!(!RECORDING.get(), "the recording stopped");
            let ((), met) = recording(|| note("Status", "after"));
            assert_eq!(met.iter().map(|(_, v)| v.as_str()).collect::<Vec<_>>(), ["after"]);
        }
    }
}

/// A `reqwest::Client` suitable for the API: rustls (see [`tls_config`]), the given
/// connect timeout and a read timeout between bytes, but no limit on the whole
/// request, so that uploading or downloading a large mesh is never cut off while
/// data still flows.
pub fn http_client(connect_timeout: Duration, read_timeout: Duration) -> Result<reqwest::Client, HttpClientError> {
    Ok(http_client_builder(connect_timeout, read_timeout)?.build()?)
}

/// The builder behind [`http_client`], to add settings (user agent, proxies) first.
pub fn http_client_builder(
    connect_timeout: Duration,
    read_timeout: Duration,
) -> Result<reqwest::ClientBuilder, HttpClientError> {
    Ok(reqwest::Client::builder()
        .tls_backend_preconfigured(tls_config()?)
        .connect_timeout(connect_timeout)
        .read_timeout(read_timeout))
}

impl Client {
    /// Creates a client for `base_url` that sends through `http` and runs
    /// `state`'s hooks on every request.
    pub fn with_state(base_url: &BaseUrl, http: reqwest::Client, state: ClientState) -> Self {
        Self::new_with_client(base_url.as_str(), http, state)
    }

    /// The hooks this client runs.
    pub fn state(&self) -> &ClientState {
        &self.inner
    }
}

// The client and its hooks can be shared across tasks.
const _: () = {
    const fn check<T: Send + Sync>() {}
    check::<Client>();
    check::<Arc<dyn RequestHooks>>();
};
