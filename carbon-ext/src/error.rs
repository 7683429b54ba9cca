//! The one error type of carbon-ext.

use std::time::Duration;

use bytes::Bytes;
use reqwest::StatusCode;

/// What the request stack records on a response for the error conversion: the
/// operation and, for error statuses, the body (already read, so that a sync
/// conversion can keep it).
#[derive(Debug, Clone)]
pub(crate) struct ResponseContext {
    pub operation: &'static str,
    pub body: Option<Bytes>,
    pub retry_after: Option<Duration>,
}

/// Prefix of hook errors that mean "this request breaks a documented limit".
pub(crate) const INVALID_REQUEST_MARK: &str = "invalid request: ";

/// Everything a call through carbon-ext can fail with.
///
/// API errors carry the status and the body text the server sent; none carries a
/// token or key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The API refused the request with a status not covered below.
    #[error("{}: the API answered {status}: {}", op(operation), body_text(body))]
    Api {
        /// The operation, e.g. `get_builds`.
        operation: &'static str,
        /// The HTTP status.
        status: StatusCode,
        /// The response body, as text.
        body: String,
    },
    /// 429 after the retries the policy allows.
    #[error("{}: rate limited by the API (429){}; {}", op(operation), retry_after.map(|d| format!(", retry after {} s", d.as_secs())).unwrap_or_default(), body_text(body))]
    RateLimited {
        /// The operation.
        operation: &'static str,
        /// How long the API asked to wait, if it said.
        retry_after: Option<Duration>,
        /// The response body.
        body: String,
    },
    /// 401 or 403: the key is unknown, revoked, or its owner is no longer an admin.
    #[error(
        "{}: not authorized ({status}): {}; check the API key (only admins can use keys, and keys stop working when their owner stops being one)",
        op(operation),
        body_text(body)
    )]
    Unauthorized {
        /// The operation.
        operation: &'static str,
        /// 401 or 403.
        status: StatusCode,
        /// The response body.
        body: String,
    },
    /// 404.
    #[error("{}: not found (404): {}", op(operation), body_text(body))]
    NotFound {
        /// The operation.
        operation: &'static str,
        /// The response body.
        body: String,
    },
    /// 409: a record with that id already exists.
    #[error("{}: conflict (409): {}", op(operation), body_text(body))]
    Conflict {
        /// The operation.
        operation: &'static str,
        /// The response body.
        body: String,
    },
    /// The request breaks a documented rule and was not sent.
    #[error("{}: invalid request, not sent: {message}", op(operation))]
    InvalidRequest {
        /// The operation, when known.
        operation: &'static str,
        /// What is wrong and what to do.
        message: String,
    },
    /// Credentials could not produce a token.
    #[error("{}: cannot authenticate: {message}", op(operation))]
    Credentials {
        /// The operation, when known.
        operation: &'static str,
        /// What went wrong (never secret material).
        message: String,
    },
    /// Loading or configuring credentials failed.
    #[error(transparent)]
    Auth(#[from] carbon_auth::AuthError),
    /// The request could not be sent or the response not received.
    #[error("{}: {}", op(operation), transport_text(source))]
    Transport {
        /// The operation, when known.
        operation: &'static str,
        /// The underlying error.
        #[source]
        source: reqwest::Error,
    },
    /// No data arrived for longer than the read timeout, or no connection within the
    /// connect timeout.
    #[error("{}: timed out: {source}", op(operation))]
    Timeout {
        /// The operation, when known.
        operation: &'static str,
        /// The underlying error.
        #[source]
        source: reqwest::Error,
    },
    /// The response did not match the API document.
    #[error(
        "{}: the response does not match the API document at `{path}`: {message}",
        op(operation)
    )]
    Decode {
        /// The operation.
        operation: &'static str,
        /// Where in the JSON it failed, e.g. `parts[3].status`; `.` for the whole document.
        path: String,
        /// What the decoder said.
        message: String,
    },
    /// A local file given to an upload or download is not usable.
    #[error("{}: {reason}", path.display())]
    InvalidFile {
        /// The file.
        path: std::path::PathBuf,
        /// What is wrong with it and what to do.
        reason: String,
    },
    /// A local file or stream failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The client builder was given settings that do not work together.
    #[error("invalid client configuration: {0}")]
    Config(String),
}

fn op(operation: &str) -> &str {
    if operation.is_empty() { "request" } else { operation }
}

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

fn transport_text(source: &reqwest::Error) -> String {
    // reqwest's Display omits the cause chain, which is where "connection refused" is.
    let mut text = source.to_string();
    let mut cause = std::error::Error::source(source);
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

impl Error {
    /// The HTTP status, for errors that came with a response.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Api { status, .. } | Error::Unauthorized { status, .. } => Some(*status),
            Error::RateLimited { .. } => Some(StatusCode::TOO_MANY_REQUESTS),
            Error::NotFound { .. } => Some(StatusCode::NOT_FOUND),
            Error::Conflict { .. } => Some(StatusCode::CONFLICT),
            Error::Transport { source, .. } | Error::Timeout { source, .. } => source.status(),
            _ => None,
        }
    }

    /// Whether trying the same call again later may succeed (rate limits, server
    /// errors, timeouts and connection failures). The client already retried
    /// according to its policy before returning the error.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::RateLimited { .. } | Error::Timeout { .. } => true,
            // A request that could not be built, or too many redirects, fails the same way again.
            Error::Transport { source, .. } => !(source.is_builder() || source.is_redirect()),
            Error::Api { status, .. } => matches!(status.as_u16(), 500 | 502 | 503 | 504),
            _ => false,
        }
    }

    /// The operation the error belongs to (`get_builds`), or `""` when unknown.
    pub fn operation(&self) -> &'static str {
        match self {
            Error::Api { operation, .. }
            | Error::RateLimited { operation, .. }
            | Error::Unauthorized { operation, .. }
            | Error::NotFound { operation, .. }
            | Error::Conflict { operation, .. }
            | Error::InvalidRequest { operation, .. }
            | Error::Credentials { operation, .. }
            | Error::Transport { operation, .. }
            | Error::Timeout { operation, .. }
            | Error::Decode { operation, .. } => operation,
            _ => "",
        }
    }

    /// Fills in the operation where it was not known.
    pub(crate) fn with_operation(mut self, name: &'static str) -> Self {
        match &mut self {
            Error::Api { operation, .. }
            | Error::RateLimited { operation, .. }
            | Error::Unauthorized { operation, .. }
            | Error::NotFound { operation, .. }
            | Error::Conflict { operation, .. }
            | Error::InvalidRequest { operation, .. }
            | Error::Credentials { operation, .. }
            | Error::Transport { operation, .. }
            | Error::Timeout { operation, .. }
            | Error::Decode { operation, .. }
                if operation.is_empty() =>
            {
                *operation = name
            }
            _ => {}
        }
        self
    }

    /// The error for a response with an error status.
    pub(crate) fn from_status(
        operation: &'static str,
        status: StatusCode,
        body: String,
        retry_after: Option<Duration>,
    ) -> Self {
        match status.as_u16() {
            401 | 403 => Error::Unauthorized {
                operation,
                status,
                body,
            },
            404 => Error::NotFound { operation, body },
            409 => Error::Conflict { operation, body },
            429 => Error::RateLimited {
                operation,
                retry_after,
                body,
            },
            _ => Error::Api {
                operation,
                status,
                body,
            },
        }
    }

    fn from_reqwest(operation: &'static str, mut source: reqwest::Error) -> Self {
        // A presigned URL's query is its credential: never let it into an error.
        if let Some(url) = source.url_mut() {
            url.set_query(None);
        }
        if source.is_timeout() {
            Error::Timeout { operation, source }
        } else {
            Error::Transport { operation, source }
        }
    }

    /// Converts a generated-client error, decoding a bad payload with `T` to name the
    /// JSON path that failed.
    pub(crate) fn from_generated_as<T: serde::de::DeserializeOwned>(err: carbon_api_gen::Error) -> Self {
        if let carbon_api_gen::Error::InvalidResponsePayload(bytes, json_error) = &err {
            let mut deserializer = serde_json::Deserializer::from_slice(bytes);
            return match serde_path_to_error::deserialize::<_, T>(&mut deserializer) {
                Err(e) => Error::Decode {
                    operation: "",
                    path: e.path().to_string(),
                    message: e.inner().to_string(),
                },
                Ok(_) => Error::Decode {
                    operation: "",
                    path: ".".into(),
                    message: json_error.to_string(),
                },
            };
        }
        Error::from(err)
    }
}

impl From<carbon_api_gen::Error> for Error {
    fn from(err: carbon_api_gen::Error) -> Self {
        use carbon_api_gen::Error as G;
        match err {
            G::InvalidRequest(message) => Error::InvalidRequest { operation: "", message },
            G::Custom(message) => match message.strip_prefix(INVALID_REQUEST_MARK) {
                Some(message) => Error::InvalidRequest {
                    operation: "",
                    message: message.to_string(),
                },
                None => Error::Credentials { operation: "", message },
            },
            G::CommunicationError(e) | G::InvalidUpgrade(e) | G::ResponseBodyError(e) => Error::from_reqwest("", e),
            G::ErrorResponse(response) => Error::from_status("", response.status(), String::new(), None),
            G::InvalidResponsePayload(_, e) => Error::Decode {
                operation: "",
                path: format!("line {} column {}", e.line(), e.column()),
                message: e.to_string(),
            },
            G::UnexpectedResponse(response) => {
                let status = response.status();
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
                Error::from_status(operation, status, body, retry_after)
            }
        }
    }
}
