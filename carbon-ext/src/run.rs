//! Sending one request and getting its typed result or a [`crate::Error`].

use carbon_api_gen::BoxFuture;
use carbon_api_gen::extras::{IntoParams, OperationParams};
use serde::de::DeserializeOwned;

use crate::Error;

/// The output type of a builder's operation.
pub type OutputOf<'a, B> = <<B as IntoParams<'a>>::Params as OperationParams>::Output;

/// `run()` on every generated builder: sends it and returns the decoded body, with
/// errors as [`crate::Error`] (a decode error names the JSON path that failed).
pub trait RunExt<'a>: IntoParams<'a> + Sized {
    /// Sends the request (through the client's auth, limiter and retries).
    fn run(self) -> BoxFuture<'a, Result<OutputOf<'a, Self>, Error>>
    where
        OutputOf<'a, Self>: DeserializeOwned;
}

impl<'a, B: IntoParams<'a> + Sized> RunExt<'a> for B {
    fn run(self) -> BoxFuture<'a, Result<OutputOf<'a, Self>, Error>>
    where
        OutputOf<'a, Self>: DeserializeOwned,
    {
        let (client, params) = self.into_params();
        Box::pin(send(client, params))
    }
}

/// Sends `params` through `client` and converts the outcome.
pub(crate) async fn send<P>(client: &carbon_api_gen::Client, params: P) -> Result<P::Output, Error>
where
    P: OperationParams,
    P::Output: DeserializeOwned,
{
    match params.send(client).await {
        Ok(response) => Ok(response.into_inner()),
        Err(e) => Err(Error::from_generated_as::<P::Output>(e).with_operation(P::OPERATION_ID)),
    }
}
