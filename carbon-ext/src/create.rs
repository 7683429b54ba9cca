//! Creates that are safe to retry.
//!
//! Part orders and print orders take a caller-chosen `uuid`, and the API answers 409
//! when it exists already. These helpers choose the uuid once and send the same one
//! on every attempt, so a retried create never makes a second order. On a 409 the
//! record with that uuid is fetched: it is the caller's (an earlier attempt or an
//! earlier run made it) when it matches the request (same order number, ...), and
//! returned as [`Created::AlreadyExisted`]; a record that does not match means the
//! uuid belongs to someone else: [`Error::Conflict`].
//!
//! Parts take no caller-chosen uuid, but a part is one model under one part number:
//! [`Client::create_part_once`] looks for that pair before sending again. That is
//! best effort: a first attempt still running on the server when the look-up runs
//! is not seen.

use carbon_api_gen::extras::{IntoParams, OperationParams};
use serde::de::DeserializeOwned;

use crate::retry::{Replay, Retrier};
use crate::run::once;
use crate::types::{PartOrder, PartOrderRequest, PrintOrder, PrintOrderRequest};
use crate::{Client, Error, RunExt, types};

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

/// Sends `create` (a create keyed by a caller-chosen uuid), retried as the policy
/// allows; on a 409 fetches the record with that uuid and decides whether it is
/// ours.
async fn create_keyed<'a, B, T, F, FF>(
    client: &Client,
    create: B,
    fetch: F,
    ours: impl Fn(&T) -> bool,
) -> Result<Created<T>, Error>
where
    B: IntoParams<'a>,
    B::Params: OperationParams<Output = T> + Clone,
    T: DeserializeOwned,
    F: FnOnce() -> FF,
    FF: std::future::Future<Output = Result<T, Error>>,
{
    let (_, params) = create.into_params();
    // The uuid makes the POST safe to repeat.
    let created = Retrier::of(client)
        .run(B::Params::NAME, B::Params::METHOD, Replay::Safe, |_| {
            once(client, params.clone())
        })
        .await;
    match created {
        Ok(record) => Ok(Created::New(record)),
        Err(Error::Conflict { call, body }) => {
            let existing = fetch().await?;
            if ours(&existing) {
                Ok(Created::AlreadyExisted(existing))
            } else {
                Err(Error::Conflict {
                    call,
                    body: format!(
                        "{body} (the uuid belongs to a record that does not match this request; choose another uuid)"
                    ),
                })
            }
        }
        Err(e) => Err(e),
    }
}

fn chosen_uuid(uuid: &mut Option<String>) -> String {
    uuid.get_or_insert_with(|| uuid::Uuid::new_v4().to_string()).clone()
}

impl Client {
    /// Creates a part order, safe to retry; see the module docs. A `uuid` already in
    /// the request is kept, else a new one is chosen. An existing order with that
    /// uuid is ours when its order number, and packing group if asked for, match.
    pub async fn create_part_order_once(&self, mut request: PartOrderRequest) -> Result<Created<PartOrder>, Error> {
        let uuid = chosen_uuid(&mut request.uuid);
        let ours = |order: &PartOrder| {
            order.part_order_number.as_deref() == Some(request.part_order_number.as_str())
                && request
                    .packing_group
                    .as_ref()
                    .is_none_or(|wanted| order.packing_group.as_ref().map(|g| g.as_str()) == Some(wanted.as_str()))
        };
        let create = self.create_part_order().body(request.clone());
        create_keyed(self, create, || self.get_part_order().uuid(&uuid).run(), ours).await
    }

    /// Creates a print order, safe to retry; see the module docs. An existing order
    /// with the uuid is ours when its build, copies and (if asked for) number match.
    pub async fn create_print_order_once(&self, mut request: PrintOrderRequest) -> Result<Created<PrintOrder>, Error> {
        let uuid = chosen_uuid(&mut request.uuid);
        let ours = |order: &PrintOrder| {
            order.build_uuid.as_deref() == Some(request.build_uuid.as_str())
                && u64::try_from(order.total_copies).ok() == Some(request.total_copies.get())
                && (request.print_order_number.is_none() || order.print_order_number == request.print_order_number)
        };
        let create = self.create_print_order().body(request.clone());
        create_keyed(self, create, || self.get_print_order().uuid(&uuid).run(), ours).await
    }

    /// Creates a part, safe to retry: after a failure that may have created it, the
    /// part with the same model and part number is looked up before sending again
    /// (in the same attempt, so the look-up is retried under the same policy).
    pub async fn create_part_once(&self, request: types::PartRequest) -> Result<Created<types::Part>, Error> {
        Retrier::of(self)
            .run("create_part", "POST", Replay::Safe, |attempt| {
                let request = request.clone();
                async move {
                    if attempt > 1
                        && let Some(part) = self.find_part(&request).await?
                    {
                        return Ok(Created::AlreadyExisted(part));
                    }
                    let params = self.create_part().body(request).into_params().1;
                    once(self, params).await.map(Created::New)
                }
            })
            .await
    }

    /// The part with this request's model and part number, looked up with one
    /// request (a model has few parts; one page of 1000 holds them).
    async fn find_part(&self, request: &types::PartRequest) -> Result<Option<types::Part>, Error> {
        let lookup = self
            .get_parts()
            .limit(1000)
            .model_uuid(vec![request.model_uuid.clone()])
            .into_params()
            .1;
        let page = once(self, lookup).await?;
        Ok(page
            .parts
            .unwrap_or_default()
            .into_iter()
            .find(|p| p.part_number == request.part_number))
    }
}
