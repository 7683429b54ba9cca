//! Sending one call and getting its typed result or a [`crate::Error`].

use std::future::Future;

use carbon_api_gen::extras::{IntoParams, OperationParams};
use serde::de::DeserializeOwned;

use crate::Error;
use crate::drift::DriftLog;
use crate::retry::{Replay, Retrier};

/// The output type of a builder's operation.
pub type OutputOf<'a, B> = <<B as IntoParams<'a>>::Params as OperationParams>::Output;

/// `run()` on every generated builder: sends it and returns the decoded body, with
/// errors as [`crate::Error`] (a decode error names the JSON path that failed).
pub trait RunExt<'a>: IntoParams<'a> + Sized {
    /// Sends the request through the client's auth and rate limiter, retried as the
    /// client's [`crate::RetryPolicy`] allows. (The generated `send()` makes one
    /// attempt and returns the generated client's error type.)
    fn run(self) -> impl Future<Output = Result<OutputOf<'a, Self>, Error>> + Send + 'a
    where
        OutputOf<'a, Self>: DeserializeOwned;
}

impl<'a, B: IntoParams<'a> + Sized> RunExt<'a> for B {
    fn run(self) -> impl Future<Output = Result<OutputOf<'a, Self>, Error>> + Send + 'a
    where
        OutputOf<'a, Self>: DeserializeOwned,
    {
        let (client, params) = self.into_params();
        send(client, params)
    }
}

/// What one attempt got back.
pub(crate) enum Answer<T> {
    /// The body, decoded.
    Typed(T),
    /// JSON of another shape than the document's (decoding it is the caller's call).
    Mismatched(serde_json::Value),
}

/// Sends `params` through `client`, retried per the client's policy and the
/// method's [`Replay`]; a body of the wrong shape is a decode error.
pub(crate) async fn send<P>(client: &carbon_api_gen::Client, params: P) -> Result<P::Output, Error>
where
    P: OperationParams,
    P::Output: DeserializeOwned,
{
    send_as(client, params, Replay::for_method(P::METHOD)).await
}

/// Like [`send`], with the caller saying whether the call can be repeated.
pub(crate) async fn send_as<P>(client: &carbon_api_gen::Client, params: P, replay: Replay) -> Result<P::Output, Error>
where
    P: OperationParams,
    P::Output: DeserializeOwned,
{
    match send_answer(client, params, replay).await? {
        Answer::Typed(output) => Ok(output),
        Answer::Mismatched(value) => Err(Error::decode_value::<P::Output>(P::NAME, &value)),
    }
}

/// Like [`send`], with the caller saying whether the call can be repeated (a keyed
/// create can, although it is a POST), and leaving a mismatched body to the caller.
pub(crate) async fn send_answer<P>(
    client: &carbon_api_gen::Client,
    params: P,
    replay: Replay,
) -> Result<Answer<P::Output>, Error>
where
    P: OperationParams,
    P::Output: DeserializeOwned,
{
    // One copy is kept for the attempts after the first; a request that cannot be
    // copied (a streamed body) is sent once.
    let mut spare = params.try_clone();
    let replay = if spare.is_some() { replay } else { Replay::Never };
    let mut first = Some(params);
    Retrier::of(client)
        .run(P::NAME, P::METHOD, replay, |_| {
            // Borrowed mutably, so that the future needs `P: Send` only (not `Sync`).
            let this = first.take().or_else(|| spare.as_mut().and_then(|p| p.try_clone()));
            async move {
                match this {
                    Some(params) => attempt(client, params).await,
                    None => Err(Error::Config(format!(
                        "{}: the request's body was a stream and cannot be sent again",
                        P::NAME
                    ))),
                }
            }
        })
        .await
}

/// One attempt, decoded: for the steps of a workflow that retries them itself.
pub(crate) async fn once<P>(client: &carbon_api_gen::Client, params: P) -> Result<P::Output, Error>
where
    P: OperationParams,
    P::Output: DeserializeOwned,
{
    match attempt(client, params).await? {
        Answer::Typed(output) => Ok(output),
        Answer::Mismatched(value) => Err(Error::decode_value::<P::Output>(P::NAME, &value)),
    }
}

/// One attempt, errors converted; the status is recorded on the attempt's span.
pub(crate) async fn attempt<P>(client: &carbon_api_gen::Client, params: P) -> Result<Answer<P::Output>, Error>
where
    P: OperationParams,
    P::Output: DeserializeOwned,
{
    if let Some(name) = params.empty_filter() {
        return Err(Error::InvalidRequest {
            call: crate::error::Call::new(P::NAME),
            message: format!(
                "`{name}` was given no values, and a filter with none cannot be sent: the request would match \
                 everything. To look up nothing, skip the call (`chunked()` finds nothing for no values)"
            ),
        });
    }
    let result = match client.state().extension::<DriftLog>() {
        None => params.send(client).await,
        // Each poll of the call records the enum values its answer's decoding
        // meets that this SDK version does not know (nothing else is recorded).
        Some(log) => {
            let mut call = std::pin::pin!(params.send(client));
            let mut unknown = Vec::new();
            let result = std::future::poll_fn(|cx| {
                let (poll, met) = carbon_api_gen::drift::recording(|| call.as_mut().poll(cx));
                unknown.extend(met);
                poll
            })
            .await;
            log.note_values(unknown, P::NAME);
            result
        }
    };
    let status = match &result {
        Ok(response) => Some(response.status()),
        Err(e) => e.status(),
    };
    if let Some(status) = status {
        crate::spans::record("status", status.as_u16());
    }
    match result {
        Ok(response) => Ok(Answer::Typed(response.into_inner())),
        Err(carbon_api_gen::Error::InvalidResponsePayload(bytes, _)) => match serde_json::from_slice(&bytes) {
            Ok(value) => Ok(Answer::Mismatched(value)),
            Err(_) => Err(Error::decode::<P::Output>(P::NAME, &bytes)),
        },
        Err(e) => Err(Error::from(e).with_operation(P::NAME)),
    }
}
