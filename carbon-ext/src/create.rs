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

use futures::TryStreamExt;

use crate::again::{again, worth_retrying};
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

/// Sends a create keyed by a caller-chosen uuid until it succeeds, meets a 409 (then
/// fetches the existing record), or fails in a way another attempt cannot settle.
async fn create_keyed<T, C, CF, F, FF>(what: &str, create: C, fetch: F) -> Result<Created<T>, Error>
where
    C: FnMut() -> CF,
    CF: std::future::Future<Output = Result<T, Error>>,
    F: FnOnce() -> FF,
    FF: std::future::Future<Output = Result<T, Error>>,
{
    match again(ATTEMPTS, worth_retrying, what, create).await {
        Ok(record) => Ok(Created::New(record)),
        // The uuid exists: an earlier attempt (or run) created it.
        Err(Error::Conflict { .. }) => Ok(Created::AlreadyExisted(fetch().await?)),
        Err(e) => Err(e),
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
            || self.create_print_order().body(request.clone()).run(),
            || self.get_print_order().uuid(&uuid).run(),
        )
        .await
    }

    /// Creates a part, safe to retry: after a failure that may have created it, the
    /// part with the same model and part number is looked up before sending again.
    pub async fn create_part_once(&self, request: types::PartRequest) -> Result<Created<types::Part>, Error> {
        // Before sending again, look for the part an earlier attempt may have made.
        let mut retrying = false;
        again(ATTEMPTS, worth_retrying, "part", || {
            let look_first = std::mem::replace(&mut retrying, true);
            let request = request.clone();
            async move {
                if look_first {
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
                self.create_part().body(request).run().await.map(Created::New)
            }
        })
        .await
    }
}
