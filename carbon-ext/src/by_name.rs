//! Calling operations by name, with JSON in and out: for tools that do not know at
//! compile time which operation they call (a command line, a bridge from another
//! language). The calls go through the same typed builders, checks, retries and
//! paginators as typed code; only the edges are JSON.
//!
//! ```no_run
//! # async fn run(client: carbon_ext::Client) -> Result<(), carbon_ext::Error> {
//! use futures::TryStreamExt;
//!
//! let args = serde_json::json!({"limit": 100, "status": "printing"});
//! let parts: Vec<serde_json::Value> = client
//!     .items_by_name("get_printed_parts", args.as_object().unwrap())?
//!     .try_collect()
//!     .await?;
//! # Ok(())
//! # }
//! ```

use carbon_api_gen::extras::{Listing, OperationInfo};
use futures::stream::{BoxStream, StreamExt, TryStreamExt};
use serde_json::{Map, Value};

use crate::error::Call;
use crate::{Client, Error, PaginateExt, RunExt};

/// Matches `$op_name` against every operation and expands `$one!(kind, builder)`
/// for it: the dispatch both by-name entry points share, each with its own `one!`.
macro_rules! match_operation {
    ($op_name:ident, $one:ident; $( ($name:literal, $builder:path, $kind:ident) ),* $(,)?) => {
        match $op_name {
            $( $name => $one!($kind, $builder), )*
            _ => Err(refuse($op_name, "this SDK has no builder for the operation")),
        }
    };
}

/// Arguments by wire name; a request body goes under `body`.
pub type Args = Map<String, Value>;

fn refuse(operation: &'static str, message: impl Into<String>) -> Error {
    Error::InvalidRequest {
        call: Call::new(operation),
        message: message.into(),
    }
}

fn to_json<T: serde::Serialize>(operation: &'static str, value: T) -> Result<Value, Error> {
    serde_json::to_value(value).map_err(|e| refuse(operation, format!("the answer cannot be shown as JSON: {e}")))
}

/// The items of a list that is not paged, as a stream like the paged ones.
fn unpaged_items<P>(client: carbon_api_gen::Client, params: P) -> BoxStream<'static, Result<P::Item, Error>>
where
    P: Listing,
{
    futures::stream::once(async move {
        let page = crate::run::send(&client, params).await?;
        Ok::<_, Error>(futures::stream::iter(P::into_items(page).into_iter().map(Ok)))
    })
    .try_flatten()
    .boxed()
}

/// The operation with this client name (`get_parts`) or `operationId` (`getParts`).
pub fn operation(name: &str) -> Result<&'static OperationInfo, Error> {
    carbon_api_gen::extras::operation(name).ok_or_else(|| Error::InvalidRequest {
        call: Call::new(""),
        message: format!("no operation `{name}` in API {}", carbon_api_gen::API_VERSION),
    })
}

impl Client {
    /// Every operation of the API, described (parameters, body fields, paging).
    pub fn operations() -> &'static [OperationInfo] {
        carbon_api_gen::extras::operations()
    }

    /// Calls one operation by name and returns its answer as JSON (one page, for a
    /// paged list). Files are not JSON: downloads and uploads have their own
    /// methods ([`Client::download`], [`Client::upload_model_presigned`]...).
    pub async fn call_by_name(&self, name: &str, args: &Args) -> Result<Value, Error> {
        let op = operation(name)?;
        let op_name = op.name;
        macro_rules! one {
            (download, $builder:path) => {
                Err(refuse(op_name, "the answer is a file: use the download methods"))
            };
            (upload, $builder:path) => {
                Err(refuse(op_name, "the body is a file: use the upload methods"))
            };
            ($kind:ident, $builder:path) => {{
                let builder = <$builder>::new(self)
                    .with_args(args)
                    .map_err(|m| refuse(op_name, m))?;
                to_json(op_name, builder.run().await?)
            }};
        }
        carbon_api_gen::for_each_operation!(match_operation!(op_name, one;))
    }

    /// Every item of a paged list operation, all pages, as JSON values; a list that
    /// is not paged gives its items; other operations are refused.
    pub fn items_by_name(&self, name: &str, args: &Args) -> Result<BoxStream<'static, Result<Value, Error>>, Error> {
        let op = operation(name)?;
        let op_name = op.name;
        fn json_items<T: serde::Serialize + Send + 'static>(
            op_name: &'static str,
            stream: BoxStream<'static, Result<T, Error>>,
        ) -> BoxStream<'static, Result<Value, Error>> {
            stream
                .and_then(move |item| std::future::ready(to_json(op_name, item)))
                .boxed()
        }
        macro_rules! one {
            (cursor, $builder:path) => {
                one!(paged, $builder)
            };
            (offset, $builder:path) => {
                one!(paged, $builder)
            };
            (paged, $builder:path) => {{
                let builder = <$builder>::new(self)
                    .with_args(args)
                    .map_err(|m| refuse(op_name, m))?;
                Ok(json_items(op_name, PaginateExt::items(builder)))
            }};
            (unpaged, $builder:path) => {{
                let (client, params) = <$builder>::new(self)
                    .with_args(args)
                    .map_err(|m| refuse(op_name, m))?
                    .into_params();
                Ok(json_items(op_name, unpaged_items(client.clone(), params)))
            }};
            ($kind:ident, $builder:path) => {
                Err(refuse(op_name, "not a list operation"))
            };
        }
        carbon_api_gen::for_each_operation!(match_operation!(op_name, one;))
    }
}
