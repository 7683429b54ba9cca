//! Creates that are safe to retry.
//!
//! Part orders and print orders take a caller-chosen `uuid`, and the API answers 409
//! when it exists already. These helpers choose the uuid once, send the same one on
//! every attempt, and read a 409 after a failed attempt as "the earlier attempt
//! worked": they fetch and return the existing order. A retried create never makes a
//! second order.
//!
//! Parts take no caller-chosen uuid, but a part is one model under one part number:
//! [`Client::create_part_once`] looks for that pair before sending again. That is
//! best effort: a first attempt still running on the server when the look-up runs
//! is not seen.

use std::time::Duration;

use futures::TryStreamExt;

use crate::{Client, Error, PaginateExt, RunExt, types};

/// What a safe create did.
#[derive(Debug, Clone, PartialEq)]
pub enum Created<T> {
    /// This call created it.
    New(T),
    /// It existed already (an earlier attempt, or an earlier run, created it).
    AlreadyExisted(T),
}

impl<T> Created<T> {
    /// The record either way.
    pub fn into_inner(self) -> T {
        match self {
            Created::New(t) | Created::AlreadyExisted(t) => t,
        }
    }
}

/// Attempts per safe create.
const ATTEMPTS: u32 = 4;

/// A failure after which the create may or may not have happened, and asking again
/// (with the same key) can settle it: transient errors, and answers that arrived
/// broken.
pub(crate) fn worth_retrying(error: &Error) -> bool {
    error.is_retryable() || matches!(error, Error::Decode { .. })
}

async fn backoff(attempt: u32) {
    let ceiling = Duration::from_millis(500) * 2u32.pow(attempt.min(5));
    tokio::time::sleep(ceiling.mul_f64(0.5 + fastrand::f64() / 2.0)).await;
}

/// Sends a create keyed by a caller-chosen uuid until it succeeds, meets a 409 (then
/// fetches the existing record), or fails in a way another attempt cannot settle.
async fn create_keyed<T, C, CF, F, FF>(what: &str, uuid: &str, mut create: C, fetch: F) -> Result<Created<T>, Error>
where
    C: FnMut() -> CF,
    CF: std::future::Future<Output = Result<T, Error>>,
    F: FnOnce() -> FF,
    FF: std::future::Future<Output = Result<T, Error>>,
{
    let mut attempt = 1;
    loop {
        match create().await {
            Ok(record) => return Ok(Created::New(record)),
            Err(Error::Conflict { .. }) => return Ok(Created::AlreadyExisted(fetch().await?)),
            Err(e) if attempt < ATTEMPTS && worth_retrying(&e) => {
                tracing::debug!(what, uuid, attempt, error = %e, "create failed; retrying with the same uuid");
                backoff(attempt).await;
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

fn chosen_uuid(uuid: &mut Option<String>) -> String {
    uuid.get_or_insert_with(|| uuid::Uuid::new_v4().to_string()).clone()
}

impl Client {
    /// Creates a part order, safe to retry; see the module docs. A `uuid` already in
    /// the request is kept, else a new one is chosen.
    pub async fn create_part_order_once(
        &self,
        mut request: types::PartOrderRequest,
    ) -> Result<Created<types::PartOrder>, Error> {
        let uuid = chosen_uuid(&mut request.uuid);
        create_keyed(
            "part order",
            &uuid,
            || self.create_part_order().body(request.clone()).run(),
            || self.get_part_order().uuid(&uuid).run(),
        )
        .await
    }

    /// Creates a print order, safe to retry; see the module docs.
    pub async fn create_print_order_once(
        &self,
        mut request: types::PrintOrderRequest,
    ) -> Result<Created<types::PrintOrder>, Error> {
        let uuid = chosen_uuid(&mut request.uuid);
        create_keyed(
            "print order",
            &uuid,
            || self.create_print_order().body(request.clone()).run(),
            || self.get_print_order().uuid(&uuid).run(),
        )
        .await
    }

    /// Creates a part, safe to retry: after a failure that may have created it, the
    /// part with the same model and part number is looked up before sending again.
    pub async fn create_part_once(&self, request: types::PartRequest) -> Result<Created<types::Part>, Error> {
        let mut attempt = 1;
        loop {
            match self.create_part().body(request.clone()).run().await {
                Ok(part) => return Ok(Created::New(part)),
                Err(e) if attempt < ATTEMPTS && worth_retrying(&e) => {
                    tracing::debug!(attempt, error = %e, "part create failed; looking for the part before retrying");
                    backoff(attempt).await;
                    attempt += 1;
                    let existing: Vec<types::Part> = self
                        .get_parts()
                        .limit(1000)
                        .model_uuid(vec![request.model_uuid.clone()])
                        .items()
                        .try_filter(|p| std::future::ready(p.part_number == request.part_number))
                        .try_collect()
                        .await?;
                    if let Some(part) = existing.into_iter().next() {
                        return Ok(Created::AlreadyExisted(part));
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }
}
