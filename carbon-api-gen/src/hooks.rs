//! The seam between the generated client and the layers above it.
//!
//! progenitor calls `ClientHooks::pre` and `ClientHooks::exec` around every request,
//! and that impl must live in this crate. It forwards to a [`RequestHooks`] object
//! carried in the client's [`ClientState`], which `carbon-auth` and `carbon-ext` fill
//! with authentication, retries and rate limiting.

use std::any::{Any, TypeId};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use progenitor_client::{ClientHooks, Error, OperationInfo};
use reqwest::header::{HeaderValue, AUTHORIZATION};
use reqwest::{Request, Response};

use crate::{BoxFuture, Client};

/// Why a hook refused to send a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HookError {
    /// The request breaks a documented rule of the API (a limit, a count); the text
    /// says which and what to do. Reaches the caller as `Error::InvalidRequest`.
    #[error("{0}")]
    InvalidRequest(String),
    /// No credentials could be put on the request (the token could not be made).
    /// Reaches the caller as `Error::Custom`.
    #[error("{0}")]
    Credentials(String),
}

/// What a hook method returns: its result at once, or a boxed future to wait for.
/// A hook that finishes without waiting (a check, a cached token) allocates nothing.
pub struct HookFuture<'a, T>(Step<'a, T>);

enum Step<'a, T> {
    Ready(Option<T>),
    Pending(BoxFuture<'a, T>),
}

impl<'a, T> HookFuture<'a, T> {
    /// A result known now.
    pub fn ready(value: T) -> Self {
        Self(Step::Ready(Some(value)))
    }

    /// A result to wait for (the future is boxed).
    pub fn pending(future: impl Future<Output = T> + Send + 'a) -> Self {
        Self(Step::Pending(Box::pin(future)))
    }
}

// The ready value is moved out, never pinned: the future is `Unpin` whatever `T` is.
impl<T> Unpin for HookFuture<'_, T> {}

impl<T> Future for HookFuture<'_, T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        match &mut self.get_mut().0 {
            Step::Ready(value) => Poll::Ready(value.take().expect("a HookFuture polled after it finished")),
            Step::Pending(future) => future.as_mut().poll(cx),
        }
    }
}

impl<T> fmt::Debug for HookFuture<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.0 {
            Step::Ready(Some(_)) => "ready",
            Step::Ready(None) => "finished",
            Step::Pending(_) => "pending",
        };
        f.debug_tuple("HookFuture").field(&state).finish()
    }
}

/// What runs around every API request.
///
/// All three methods have defaults: `prepare` does nothing, `execute` lets the
/// client send the request, and `inspect_failure` passes a failed response on
/// unread. The common path (prepared without waiting, sent by the client, a
/// success) allocates nothing for the hooks.
///
/// ```
/// use carbon_api_gen::{ClientState, HookFuture, Prepared, RequestHooks};
///
/// /// Tags every request with the name of the job that sends it.
/// struct JobTag(reqwest::header::HeaderValue);
///
/// impl RequestHooks for JobTag {
///     fn prepare<'a>(&'a self, request: &'a mut reqwest::Request, _operation: &'static str) -> Prepared<'a> {
///         request.headers_mut().insert("x-job", self.0.clone());
///         HookFuture::ready(Ok(()))
///     }
/// }
///
/// let state = ClientState::new(JobTag(reqwest::header::HeaderValue::from_static("nightly-export")));
/// # let _ = state;
/// ```
pub trait RequestHooks: Send + Sync + 'static {
    /// Adjusts a request before it is sent (for example adds `Authorization`, or
    /// waits for the rate limit). An error aborts the call:
    /// [`HookError::InvalidRequest`] reaches the caller as `Error::InvalidRequest`,
    /// [`HookError::Credentials`] as `Error::Custom`.
    fn prepare<'a>(&'a self, request: &'a mut Request, operation: &'static str) -> Prepared<'a> {
        let _ = (request, operation);
        HookFuture::ready(Ok(()))
    }

    /// Sends a prepared request its own way ([`Execution::Hooked`], for example
    /// sending it again after a refusal), or hands it back for the client to send
    /// ([`Execution::Send`], the default), in which case a response that is not a
    /// success goes through [`RequestHooks::inspect_failure`].
    fn execute<'a>(&'a self, http: &'a reqwest::Client, request: Request, operation: &'static str) -> Execution<'a> {
        let _ = (http, operation);
        Execution::Send(request)
    }

    /// Looks at a response whose status is not a success before it is decoded (for
    /// example reads its body for the error, or drops credentials the API refused),
    /// and passes it on.
    fn inspect_failure<'a>(&'a self, failure: Failure) -> Answered<'a> {
        HookFuture::ready(Ok(failure.response))
    }
}

/// A response whose status is not a success, and what its request carried.
/// Its `Debug` does not show the credentials.
#[non_exhaustive]
pub struct Failure {
    /// The response, its body not read yet.
    pub response: Response,
    /// The `Authorization` value the request was sent with (its credentials).
    pub authorization: Option<HeaderValue>,
    /// The operation, as the client names its method (`get_printed_parts`).
    pub operation: &'static str,
}

impl fmt::Debug for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Failure")
            .field("status", &self.response.status())
            .field("url", &self.response.url().path())
            .field("authorization", &self.authorization.as_ref().map(|_| "<redacted>"))
            .field("operation", &self.operation)
            .finish()
    }
}

impl Failure {
    /// `response`, answered to a request of `operation` sent with `authorization`.
    pub fn new(response: Response, authorization: Option<HeaderValue>, operation: &'static str) -> Self {
        Self {
            response,
            authorization,
            operation,
        }
    }
}

/// What [`RequestHooks::prepare`] comes to: the request is ready to send, or the
/// call ends with the error.
pub type Prepared<'a> = HookFuture<'a, Result<(), HookError>>;

/// A response on its way (or the error sending it): what a hook that sends
/// ([`Execution::Hooked`]) and [`RequestHooks::inspect_failure`] come to.
pub type Answered<'a> = HookFuture<'a, reqwest::Result<Response>>;

/// How a prepared request is sent (what [`RequestHooks::execute`] decides).
pub enum Execution<'a> {
    /// The client sends the request as it is.
    Send(reqwest::Request),
    /// The hook sends it: the response (or error) to decode.
    Hooked(Answered<'a>),
}

impl fmt::Debug for Execution<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // A request's headers may hold credentials: only say where it goes.
            Execution::Send(request) => f
                .debug_struct("Send")
                .field("method", request.method())
                .field("path", &request.url().path())
                .finish_non_exhaustive(),
            Execution::Hooked(future) => f.debug_tuple("Hooked").field(future).finish(),
        }
    }
}

/// Sends a prepared `request` through `hooks`: the hooks' own sending, or `http`
/// followed by [`RequestHooks::inspect_failure`] for a response that is not a
/// success. What the client does for every request; hooks that send again (after
/// a refusal) use it for hooks layered under them.
pub async fn send_through(
    hooks: &dyn RequestHooks,
    http: &reqwest::Client,
    request: reqwest::Request,
    operation: &'static str,
) -> reqwest::Result<reqwest::Response> {
    let request = match hooks.execute(http, request, operation) {
        Execution::Hooked(sending) => return sending.await,
        Execution::Send(request) => request,
    };
    let authorization = request.headers().get(AUTHORIZATION).cloned();
    let response = http.execute(request).await?;
    if response.status().is_success() {
        return Ok(response);
    }
    hooks
        .inspect_failure(Failure::new(response, authorization, operation))
        .await
}

/// Hooks that do nothing: requests go out as built, once.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoHooks;

impl RequestHooks for NoHooks {}

/// The state a [`Client`] carries: the hooks run around each request, and values
/// the layers above keep with the client (one per type, such as carbon-ext's retry
/// settings). Cheap to clone.
#[derive(Clone)]
pub struct ClientState {
    hooks: Arc<dyn RequestHooks>,
    extensions: Vec<(TypeId, Arc<dyn Any + Send + Sync>)>,
}

impl ClientState {
    /// A state running `hooks` around every request.
    pub fn new(hooks: impl RequestHooks) -> Self {
        Self::from_arc(Arc::new(hooks))
    }

    /// A state sharing already shared hooks.
    pub fn from_arc(hooks: Arc<dyn RequestHooks>) -> Self {
        Self {
            hooks,
            extensions: Vec::new(),
        }
    }

    /// The hooks.
    pub fn hooks(&self) -> &Arc<dyn RequestHooks> {
        &self.hooks
    }

    /// Keeps `value` with the state, replacing any earlier value of its type.
    pub fn with_extension<T: Any + Send + Sync>(mut self, value: Arc<T>) -> Self {
        self.extensions.retain(|(id, _)| *id != TypeId::of::<T>());
        self.extensions.push((TypeId::of::<T>(), value));
        self
    }

    /// The value of type `T` kept with the state, if any.
    pub fn extension<T: Any + Send + Sync>(&self) -> Option<&T> {
        self.extensions
            .iter()
            .find(|(id, _)| *id == TypeId::of::<T>())
            .and_then(|(_, value)| value.downcast_ref::<T>())
    }
}

impl Default for ClientState {
    fn default() -> Self {
        Self::new(NoHooks)
    }
}

impl fmt::Debug for ClientState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Hooks may hold credentials: never print them.
        f.debug_struct("ClientState").finish_non_exhaustive()
    }
}

impl ClientHooks<ClientState> for Client {
    async fn pre<E>(&self, request: &mut reqwest::Request, info: &OperationInfo) -> Result<(), Error<E>> {
        self.inner
            .hooks
            .prepare(request, info.operation_id)
            .await
            .map_err(|e| match e {
                HookError::InvalidRequest(message) => Error::InvalidRequest(message),
                HookError::Credentials(message) => Error::Custom(message),
            })
    }

    async fn exec(&self, request: reqwest::Request, info: &OperationInfo) -> reqwest::Result<reqwest::Response> {
        send_through(&*self.inner.hooks, &self.client, request, info.operation_id).await
    }
}
