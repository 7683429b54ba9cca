//! The seam between the generated client and the layers above it.
//!
//! progenitor calls `ClientHooks::pre` and `ClientHooks::exec` around every request,
//! and that impl must live in this crate. It forwards to a [`RequestHooks`] object
//! carried in the client's [`ClientState`], which `carbon-auth` and `carbon-ext` fill
//! with authentication, retries and rate limiting.

use std::fmt;
use std::sync::Arc;

use progenitor_client::{ClientHooks, Error, OperationInfo};

use crate::{BoxFuture, Client};

/// What runs around every API request.
///
/// Both methods have defaults: `prepare` does nothing and `execute` sends the request
/// once.
pub trait RequestHooks: Send + Sync + 'static {
    /// Adjusts a request before it is sent (for example adds `Authorization`).
    /// An error aborts the call; it reaches the caller as `Error::Custom` with this text.
    fn prepare<'a>(
        &'a self,
        request: &'a mut reqwest::Request,
        operation_id: &'static str,
    ) -> BoxFuture<'a, Result<(), String>> {
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

/// The state a [`Client`] carries: the hooks run around each request. Cheap to clone.
#[derive(Clone)]
pub struct ClientState {
    hooks: Arc<dyn RequestHooks>,
}

impl ClientState {
    /// A state running `hooks` around every request.
    pub fn new(hooks: impl RequestHooks) -> Self {
        Self { hooks: Arc::new(hooks) }
    }

    /// A state sharing already shared hooks.
    pub fn from_arc(hooks: Arc<dyn RequestHooks>) -> Self {
        Self { hooks }
    }

    /// The hooks.
    pub fn hooks(&self) -> &Arc<dyn RequestHooks> {
        &self.hooks
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
            .map_err(Error::Custom)
    }

    async fn exec(&self, request: reqwest::Request, info: &OperationInfo) -> reqwest::Result<reqwest::Response> {
        self.inner.hooks.execute(&self.client, request, info.operation_id).await
    }
}
