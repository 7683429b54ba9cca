//! The printed-parts export: printed parts joined with the prints they were
//! made in.

use std::sync::Arc;

use futures::future::FutureExt;
use futures::stream::{BoxStream, TryStreamExt};

use super::batches::joined;
use super::filters::PartFilters;
use super::lookup::Lookup;
use super::row::{PartRow, PrintFacts};
use super::state::{ExportState, Incremental, later};
use super::{BATCH, PRINT_STATUSES};
use crate::paginate::{LenientItem, PaginateExt};
use crate::{ChunkExt, Client, Error, RunExt, Timestamp, types};

/// The most prints kept from earlier batches, so that parts of one print in
/// other batches need no second look-up: a few MiB.
const PRINT_CACHE: usize = 32_768;

/// What an [`ExportState`] of this export is called.
const EXPORT: &str = "printed_parts";

impl Client {
    /// Every printed part that matches `filters`, joined with its print, as a
    /// stream of rows (see [the module](crate::export) for what is guaranteed).
    ///
    /// A part that does not match the API document comes as `Ok(Err(..))` with
    /// its raw JSON, and the export goes on; an error of a request ends it.
    pub fn export_printed_parts(
        &self,
        filters: &PartFilters,
    ) -> BoxStream<'static, Result<LenientItem<PartRow>, Error>> {
        // By uuid, which no change to a record moves: a part is listed once.
        let listing = filters
            .apply(self.get_printed_parts())
            .limit(BATCH as u64)
            .sort(vec!["uuid".to_string()])
            .items_lenient();
        let prints = print_lookup(self.clone());
        joined(
            listing,
            |part: &types::PrintedPart| Some(part.uuid.as_str()),
            move |batch| join(prints.clone(), batch),
        )
    }

    /// The printed parts that changed since the run that left `previous`
    /// (all that match on a first run, `None`), joined as by
    /// [`Client::export_printed_parts`]; once they have all come,
    /// [`Incremental::next_state`] gives the state for the next run.
    ///
    /// Refuses a state of another export or other filters ([`Error::State`]),
    /// before any request.
    pub async fn export_printed_parts_since(
        &self,
        filters: &PartFilters,
        previous: Option<ExportState>,
    ) -> Result<Incremental<PartRow>, Error> {
        let fingerprint = serde_json::to_value(filters).expect("filters are plain JSON");
        if let Some(state) = &previous {
            state.check(EXPORT, &fingerprint)?;
        }
        let mut run = filters.clone();
        run.updated_after = later(
            filters.updated_after,
            previous.as_ref().and_then(ExportState::list_from),
        );
        let latest = filters
            .apply(self.get_printed_parts())
            .limit(1u64)
            .sort(vec!["updated_at,desc".to_string()])
            .run()
            .await?
            .parts
            .and_then(|parts| parts.into_iter().next())
            .and_then(|part| part.updated_at);
        let rows = self.export_printed_parts(&run);
        Ok(Incremental::new(EXPORT, fingerprint, previous, latest, rows, changed))
    }
}

/// What a part is known by across runs.
fn changed(row: &PartRow) -> Option<(&str, Timestamp)> {
    Some((row.part.uuid.as_str(), row.part.updated_at?))
}

/// Prints by id, in the statuses an export asks for.
fn print_lookup(client: Client) -> Arc<Lookup<PrintFacts>> {
    Lookup::new(
        PRINT_CACHE,
        Box::new(move |ids| {
            let statuses: Vec<String> = PRINT_STATUSES.iter().map(|s| s.to_string()).collect();
            client
                .get_prints()
                .limit(BATCH as u64)
                .status(statuses)
                .chunked(ids, |builder, ids| builder.print_id(ids))
                .items()
                .try_filter_map(|print| async move { Ok(PrintFacts::of(&print).map(|f| (f.print_id.clone(), f))) })
                .try_collect()
                .boxed()
        }),
    )
}

/// The rows of a batch: its parts with the prints they name.
async fn join(
    prints: Arc<Lookup<PrintFacts>>,
    batch: Vec<LenientItem<types::PrintedPart>>,
) -> Result<Vec<LenientItem<PartRow>>, Error> {
    let ids = batch.iter().filter_map(|part| part.as_ref().ok()?.print_id.as_deref());
    let found = prints.resolve(ids).await?;
    Ok(batch
        .into_iter()
        .map(|part| {
            part.map(|part| {
                let print = part.print_id.as_ref().and_then(|id| found.get(id).cloned().flatten());
                PartRow { part, print }
            })
        })
        .collect())
}
