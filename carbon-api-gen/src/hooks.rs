//! The seam between the generated client and the layers above it.
//!
//! progenitor calls `ClientHooks::pre` and `ClientHooks::exec` around every request,
//! and that impl must live in this crate. It forwards to a [`RequestHooks`] object
//! carried in the client's [`ClientState`], which `carbon-auth` and `carbon-ext` fill
//! with authentication, retries and rate limiting.

use std::any::{Any, TypeId};
use std::fmt;
use std::sync::Arc;

use progenitor_client::{ClientHooks, Error, OperationInfo};

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

/// What runs around every API request.
///
/// Both methods have defaults: `prepare` does nothing and `execute` sends the request
/// once.
pub trait RequestHooks: Send + Sync + 'static {
    /// Adjusts a request before it is sent (for example adds `Authorization`).
    /// An error aborts the call: [`HookError::InvalidRequest`] reaches the caller as
    /// `Error::InvalidRequest`, [`HookError::Credentials`] as `Error::Custom`.
    fn prepare<'a>(
        &'a self,
        request: &'a mut reqwest::Request,
        operation_id: &'static str,
    ) -> BoxFuture<'a, Result<(), HookError>> {
        let _ = (request, operation_id);
        Box::pin(async { Ok(()) })
    }

    /// Sends a prepared request and returns the response to decode (for example
    /// retrying transient failures first).
    fn execute<'a>(
        &'a self,
        http: &'a reqwest::Client,
        request: reqwest::Request,
        operation_id: &'static str,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        let _ = operation_id;
        Box::pin(http.execute(request))
    }
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
    pub fn extension<T: Any + Send + Sync>(&self) -> Option<Arc<T>> {
        self.extensions
            .iter()
            .find(|(id, _)| *id == TypeId::of::<T>())
            .and_then(|(_, value)| Arc::clone(value).downcast::<T>().ok())
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
        self.inner.hooks.execute(&self.client, request, info.operation_id).await
    }
}
