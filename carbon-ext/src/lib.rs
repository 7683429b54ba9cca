#![doc = include_str!("../README.md")]
#[macro_use]
mod setters;
pub mod by_name;
mod chunk;
mod client;
pub mod create;
pub mod dedup;
pub mod download;
pub mod drift;
mod error;
pub mod export;
mod paginate;
mod progress;
mod rate_limit;
mod records;
mod redact;
mod retry;
mod run;
mod spans;
mod spawned;
mod stack;
pub mod upload;
pub mod wait;
pub mod whole_file;

pub use chunk::{ChunkExt, Chunked, DEFAULT_CONCURRENCY, default_chunk_size, split_args};
pub use client::{BASE_URL_VAR, Client, ClientBuilder, Credentials, Environment, user_agent};
pub use error::{Call, Error, MAX_ERROR_BODY, with_causes};
pub use paginate::{
    ItemOf, LenientItem, MAX_EMPTY_PAGES, Page, PaginateExt, PaginateOffsetExt, TOTAL_COUNT_CAP, TotalCount,
};
pub use progress::{Progress, Transfer};
pub use rate_limit::{LimitSharing, REDIS_URL_VAR, RateLimit, RedisUrl};
pub use records::MalformedRecord;
pub use retry::RetryPolicy;
pub use run::{OutputOf, RunExt};
pub use stack::RequestStack;

pub use create::Created;
pub use dedup::DedupExt;
pub use download::{Destination, Downloaded, RemoteFile};
pub use upload::{UploadOptions, UploadedModel};
pub use wait::{PackingProgress, RecordWaiter, WaitConfig, WaitOutcome, Waiter};

// The crate traces through `tracing`: every call is a `carbon.call` span (operation,
// method, attempts, time in backoff) and every attempt a `carbon.attempt` span (path
// without query, status, time waiting for the rate limiter). No field holds a token,
// a key or a presigned URL's query.

/// Every date-time of the API: RFC 3339, also read without offset (as UTC).
pub use carbon_api_gen::Timestamp;
/// The API's enums: open, with an `Unknown` variant for values added later.
pub use carbon_api_gen::enums;
/// What the generated client knows about each operation: parameters, limits, paging
/// shapes, and the table of operations for callers that reach them by name.
pub use carbon_api_gen::extras;
/// The API's types (requests and responses), generated from the document.
pub use carbon_api_gen::types;
/// The API's base URL, read once (no trailing slash), and why a text is not one.
pub use carbon_api_gen::{BaseUrl, InvalidBaseUrl};
/// Authentication: keys, tokens, token sources.
pub use carbon_auth as auth;

/// The extension traits, to `use carbon_ext::prelude::*`.
pub mod prelude {
    pub use crate::{ChunkExt, DedupExt, PaginateExt, PaginateOffsetExt, RunExt};
}
