//! The one error type of carbon-ext.

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use reqwest::StatusCode;

use crate::redact::storage_secrets;

/// What the request stack records on a response for the error conversion: the
/// operation and, for error statuses, the body (already read, so that a sync
/// conversion can keep it).
#[derive(Debug, Clone)]
pub(crate) struct ResponseContext {
    pub operation: &'static str,
    pub body: Option<Bytes>,
    pub retry_after: Option<Duration>,
}

/// One call as it went: which operation, how many attempts it took, how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Call {
    /// The operation, e.g. `get_builds`, or a workflow step such as `presigned_put`;
    /// empty when unknown.
    pub operation: &'static str,
    /// Attempts made (1 when the call was not retried).
    pub attempts: u32,
    /// Time from the first attempt to the error, waits included.
    pub elapsed: Duration,
}

impl Call {
    /// A call of `operation`, one attempt so far.
    pub fn new(operation: &'static str) -> Self {
        Self {
            operation,
            attempts: 1,
            elapsed: Duration::ZERO,
        }
    }
}

impl fmt::Display for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.operation.is_empty() {
            "request"
        } else {
            self.operation
        })?;
        if self.attempts > 1 {
            write!(
                f,
                " (after {} attempts in {:.1} s)",
                self.attempts,
                self.elapsed.as_secs_f64()
            )?;
        }
        Ok(())
    }
}

/// Everything a call through carbon-ext can fail with.
///
/// Errors of a call carry a [`Call`] (operation, attempts, elapsed time); API errors
/// also carry the status and the body text the server sent. None carries a token, a
/// key or a presigned URL's signature.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The API refused the request with a status not covered below.
    #[error("{call}: the API answered {status}: {}", body_text(body))]
    Api {
        /// The call.
        call: Call,
        /// The HTTP status.
        status: StatusCode,
        /// The response body, as text (at most [`MAX_ERROR_BODY`] bytes of it).
        body: String,
    },
    /// 429 after the retries the policy allows, or asking for a longer wait than the
    /// policy's `max_retry_after`.
    #[error("{call}: rate limited by the API (429){}; {}", retry_after.map(|d| format!(", retry after {} s", d.as_secs())).unwrap_or_default(), body_text(body))]
    RateLimited {
        /// The call.
        call: Call,
        /// How long the API asked to wait, if it said.
        retry_after: Option<Duration>,
        /// The response body.
        body: String,
    },
    /// 401 or 403: the key is unknown, revoked, or its owner is no longer an admin.
    #[error(
        "{call}: not authorized ({status}): {}; check the API key (only admins can use keys, and keys stop working when their owner stops being one)",
        body_text(body)
    )]
    Unauthorized {
        /// The call.
        call: Call,
        /// 401 or 403.
        status: StatusCode,
        /// The response body.
        body: String,
    },
    /// 404.
    #[error("{call}: not found (404): {}", body_text(body))]
    NotFound {
        /// The call.
        call: Call,
        /// The response body.
        body: String,
    },
    /// 409: a record with that id already exists (for the safe creates: one that
    /// does not match the request).
    #[error("{call}: conflict (409): {}", body_text(body))]
    Conflict {
        /// The call.
        call: Call,
        /// The response body.
        body: String,
    },
    /// The request breaks a documented rule and was not sent.
    #[error("{call}: invalid request, not sent: {message}")]
    InvalidRequest {
        /// The call.
        call: Call,
        /// What is wrong and what to do.
        message: String,
    },
    /// Another request hook refused to send the request for want of
    /// credentials (this client's own credentials fail as [`Error::Auth`]).
    #[error("{call}: cannot authenticate: {message}")]
    Credentials {
        /// The call.
        call: Call,
        /// What went wrong (never secret material).
        message: String,
    },
    /// The credentials could not be loaded or configured, or could not make a
    /// token when a request needed one (a key that cannot sign, a token that
    /// cannot go in a header): the same type either way.
    #[error(transparent)]
    Auth(#[from] carbon_auth::AuthError),
    /// The request could not be sent or the response not received.
    // reqwest's Display omits the cause chain, which is where "connection refused" is.
    #[error("{call}: {}", with_causes(source))]
    Transport {
        /// The call.
        call: Call,
        /// The underlying error.
        #[source]
        source: reqwest::Error,
    },
    /// No data arrived for longer than the read timeout, or no connection within the
    /// connect timeout.
    #[error("{call}: timed out: {source}")]
    Timeout {
        /// The call.
        call: Call,
        /// The underlying error.
        #[source]
        source: reqwest::Error,
    },
    /// The response did not match the API document, or was not JSON at all.
    #[error(
        "{call}: {} at `{path}`: {message}{}",
        if *not_json { "the response is not complete JSON" } else { "the response does not match the API document" },
        index.map(|i| format!(" (record {i} of the page; items_lenient() skips such records)")).unwrap_or_default()
    )]
    Decode {
        /// The call.
        call: Call,
        /// Where in the JSON it failed, e.g. `parts[3].status`; `.` for the whole document.
        path: String,
        /// What the decoder said.
        message: String,
        /// For a list: the index in its page of the record that failed.
        index: Option<usize>,
        /// The body is not JSON (cut off or garbled), rather than JSON of another shape.
        not_json: bool,
    },
    /// A download ended before the length the server announced.
    #[error("{call}: the download ended after {received} of {expected} bytes; nothing was written")]
    Truncated {
        /// The call.
        call: Call,
        /// Bytes that arrived.
        received: u64,
        /// Bytes announced (`Content-Length`).
        expected: u64,
    },
    /// Storage accepted an upload but sent no `ETag`, so it cannot be resolved.
    #[error(
        "{call}: the storage answered {status} without an ETag header, so the upload cannot be resolved (it was not)"
    )]
    MissingEtag {
        /// The call.
        call: Call,
        /// The (successful) status storage answered with.
        status: StatusCode,
    },
    /// A listing would never end: the API repeated a cursor, or sent empty pages that
    /// still point to more.
    #[error("{call}: the listing does not end: {message}; the items so far were delivered")]
    Pagination {
        /// The call.
        call: Call,
        /// What the API did.
        message: String,
    },
    /// Records a waiter asked for by id stopped coming back from the API (a run the
    /// server dropped, say): waiting longer would only reach the timeout.
    #[error(
        "{call}: the API no longer returns {what} {}; they may have been dropped: start them again",
        ids.join(", ")
    )]
    Vanished {
        /// The call.
        call: Call,
        /// What the records are (`model program run`).
        what: &'static str,
        /// Their ids.
        ids: Vec<String>,
    },
    /// A local file given to an upload or download is not usable.
    #[error("{}: {reason}", path.display())]
    InvalidFile {
        /// The file.
        path: std::path::PathBuf,
        /// What is wrong with it and what to do.
        reason: String,
    },
    /// A saved export state cannot continue the export it was given to.
    #[error("export state: {0}")]
    State(#[from] crate::export::StateError),
    /// A local file or stream failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The client builder was given settings that do not work together.
    #[error("invalid client configuration: {0}")]
    Config(String),
}

/// The most bytes of an error response body that are read and kept.
pub const MAX_ERROR_BODY: usize = 64 * 1024;

fn body_text(body: &str) -> String {
    const MAX: usize = 2000;
    if body.is_empty() {
        "(empty body)".to_string()
    } else if body.len() > MAX {
        let mut end = MAX;
        while !body.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}… ({} bytes)", &body[..end], body.len())
    } else {
        body.to_string()
    }
}

/// An error's message followed by each of its causes that the text does not say
/// already (`error sending request: client error (Connect): connection refused`):
/// what a person needs of an error whose own message leaves its cause out.
pub fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        let said = inner.to_string();
        if !text.contains(&said) {
            text.push_str(": ");
            text.push_str(&said);
        }
        cause = inner.source();
    }
    text
}

/// The call of an error, mutable or not: the variants named here carry one
/// (one list of them).
macro_rules! call_of {
    ($error:expr) => {
        call_of!($error; Api RateLimited Unauthorized NotFound Conflict InvalidRequest Credentials Transport
            Timeout Decode Truncated MissingEtag Pagination Vanished)
    };
    ($error:expr; $($variant:ident)*) => {
        match $error {
            $(Error::$variant { call, .. } => Some(call),)*
            _ => None,
        }
    };
}

impl Error {
    /// The HTTP status, for errors that came with a response.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Api { status, .. } | Error::Unauthorized { status, .. } | Error::MissingEtag { status, .. } => {
                Some(*status)
            }
            Error::RateLimited { .. } => Some(StatusCode::TOO_MANY_REQUESTS),
            Error::NotFound { .. } => Some(StatusCode::NOT_FOUND),
            Error::Conflict { .. } => Some(StatusCode::CONFLICT),
            Error::Transport { source, .. } | Error::Timeout { source, .. } => source.status(),
            _ => None,
        }
    }

    /// Whether trying the same call again later may succeed (rate limits, server
    /// errors, timeouts, broken connections and answers). The client already retried
    /// according to its policy before returning the error. The same classifier
    /// decides every retry the client makes.
    pub fn is_retryable(&self) -> bool {
        crate::retry::is_transient(self)
    }

    /// The call the error belongs to, for errors of a call.
    pub fn call(&self) -> Option<&Call> {
        call_of!(self)
    }

    pub(crate) fn call_mut(&mut self) -> Option<&mut Call> {
        call_of!(self)
    }

    /// The operation the error belongs to (`get_builds`), or `""` when unknown.
    pub fn operation(&self) -> &'static str {
        self.call().map_or("", |c| c.operation)
    }

    /// Attempts made before this error was returned (0 when no request was made).
    pub fn attempts(&self) -> u32 {
        self.call().map_or(0, |c| c.attempts)
    }

    /// Time from the first attempt to this error.
    pub fn elapsed(&self) -> Duration {
        self.call().map_or(Duration::ZERO, |c| c.elapsed)
    }

    /// Fills in the operation where it was not known.
    pub(crate) fn with_operation(mut self, name: &'static str) -> Self {
        if let Some(call) = self.call_mut().filter(|c| c.operation.is_empty()) {
            call.operation = name;
        }
        self
    }

    /// Records how many attempts the call took and how long.
    pub(crate) fn with_attempts(mut self, attempts: u32, elapsed: Duration) -> Self {
        if let Some(call) = self.call_mut() {
            call.attempts = attempts;
            call.elapsed = elapsed;
        }
        self
    }

    /// The error for a response with an error status. Signatures and credentials
    /// that storage echoes in its errors are removed from the body.
    pub(crate) fn from_status(
        operation: &'static str,
        status: StatusCode,
        body: String,
        retry_after: Option<Duration>,
    ) -> Self {
        let call = Call::new(operation);
        let body = storage_secrets(&body);
        match status.as_u16() {
            401 | 403 => Error::Unauthorized { call, status, body },
            404 => Error::NotFound { call, body },
            409 => Error::Conflict { call, body },
            429 => Error::RateLimited {
                call,
                retry_after,
                body,
            },
            _ => Error::Api { call, status, body },
        }
    }

    /// The error for a failed send or receive.
    pub(crate) fn from_reqwest(operation: &'static str, mut source: reqwest::Error) -> Self {
        // A presigned URL's query is its credential: never let it into an error.
        if let Some(url) = source.url_mut() {
            url.set_query(None);
        }
        let call = Call::new(operation);
        if source.is_timeout() {
            Error::Timeout { call, source }
        } else {
            Error::Transport { call, source }
        }
    }

    /// The error for a body that does not decode as `T`, naming the JSON path.
    pub(crate) fn decode<T: serde::de::DeserializeOwned>(operation: &'static str, bytes: &[u8]) -> Self {
        match serde_json::from_slice::<serde_json::Value>(bytes) {
            Ok(value) => Self::decode_value::<T>(operation, &value),
            Err(e) => Self::decode_at(operation, &e, true),
        }
    }

    /// The decode error where `json_error` puts it (line and column).
    fn decode_at(operation: &'static str, json_error: &serde_json::Error, not_json: bool) -> Self {
        Error::Decode {
            call: Call::new(operation),
            path: format!("line {} column {}", json_error.line(), json_error.column()),
            message: json_error.to_string(),
            index: None,
            not_json,
        }
    }

    /// The error for a JSON value that does not decode as `T`.
    pub(crate) fn decode_value<T: serde::de::DeserializeOwned>(
        operation: &'static str,
        value: &serde_json::Value,
    ) -> Self {
        let (path, message) = match serde_path_to_error::deserialize::<_, T>(value) {
            Err(e) => (e.path().to_string(), e.inner().to_string()),
            Ok(_) => (
                ".".into(),
                "the value decodes on its own but not in its response".into(),
            ),
        };
        Error::Decode {
            call: Call::new(operation),
            path,
            message,
            index: None,
            not_json: false,
        }
    }

    /// The error for a response status read from a response the stack passed on.
    fn from_unexpected(response: &reqwest::Response) -> Self {
        let context = response.extensions().get::<ResponseContext>().cloned();
        let (operation, body, retry_after) = match context {
            Some(c) => (
                c.operation,
                c.body
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
                    .unwrap_or_default(),
                c.retry_after,
            ),
            None => ("", String::new(), None),
        };
        Error::from_status(operation, response.status(), body, retry_after)
    }
}

impl From<carbon_api_gen::Error> for Error {
    fn from(err: carbon_api_gen::Error) -> Self {
        use carbon_api_gen::Error as G;
        match err {
            G::InvalidRequest(message) => Error::InvalidRequest {
                call: Call::new(""),
                message,
            },
            // The only other refusal of a hook: no credentials for the request.
            // This stack's own keeps its type (a bad key is `Auth` whether it
            // shows when the client is built or when a request needs a token).
            G::Custom(message) => match crate::stack::take_refusal(&message) {
                Some(auth) => Error::Auth(auth),
                None => Error::Credentials {
                    call: Call::new(""),
                    message,
                },
            },
            G::CommunicationError(e) | G::InvalidUpgrade(e) | G::ResponseBodyError(e) => Error::from_reqwest("", e),
            G::ErrorResponse(response) => Error::from_status("", response.status(), String::new(), None),
            G::InvalidResponsePayload(bytes, e) => match serde_json::from_slice::<serde::de::IgnoredAny>(&bytes) {
                Ok(_) => Error::decode_at("", &e, false),
                Err(syntax) => Error::decode_at("", &syntax, true),
            },
            G::UnexpectedResponse(response) => Error::from_unexpected(&response),
        }
    }
}
