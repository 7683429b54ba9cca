//! The prints export: prints as the listing gives them, nothing to join.

use futures::future;
use futures::stream::BoxStream;

use super::BATCH;
use super::batches::{joined, until_error};
use super::filters::PrintFilters;
use super::row::PrintRow;
use crate::paginate::{LenientItem, PaginateExt};
use crate::{Client, Error, types};

impl Client {
    /// Every print that matches `filters`, as a stream of rows, in uuid order
    /// with the guarantees of [the module](crate::export).
    ///
    /// Refuses filters without a status before any request
    /// ([`Error::InvalidRequest`]), as every request checks more statuses than the
    /// API takes in one (5).
    pub fn export_prints(&self, filters: &PrintFilters) -> BoxStream<'static, Result<LenientItem<PrintRow>, Error>> {
        if filters.status.is_empty() {
            let error = Error::InvalidRequest {
                call: crate::Call::new("get_prints"),
                message: "an export of prints needs at least one status (the default asks for queued, printing \
                          and finished): without one the API answers finished prints only"
                    .to_string(),
            };
            return Box::pin(futures::stream::once(future::ready(Err(error))));
        }
        let listing = filters
            .apply(self.get_prints())
            .limit(BATCH as u64)
            .sort(vec!["uuid".to_string()])
            .items_lenient();
        until_error(joined(
            listing,
            |print: &types::ModelPrint| print.uuid.as_deref(),
            |batch| {
                let rows = batch.into_iter().map(|print| print.map(|print| PrintRow { print }));
                future::ready(Ok(rows.collect()))
            },
        ))
    }
}
