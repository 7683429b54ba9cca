//! The printed parts the windows of the window plan cannot hold: those whose
//! print has not started, listed by status after the windows.
//!
//! Waiting, preparing and queued parts have no started print. A failed or
//! canceled part may have one (then it came in a window): the API is asked
//! which of those have a start, and those are left out. A part in another
//! status (printing, complete, or one this SDK does not know) is taken to have
//! a started print: one in a status this SDK does not know whose print has not
//! started comes in no window and no sweep (export such a status with
//! [`PlanChoice::ById`](super::PlanChoice::ById)). A record of a sweep that does
//! not decode cannot be checked: it comes, and may have come in a window too.

use std::collections::HashSet;
use std::sync::Arc;

use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};

use super::BATCH;
use super::batches::joined;
use super::filters::PartFilters;
use super::lookup::Lookup;
use super::parts::{Prints, join_with};
use super::row::{PartRow, PrintFacts};
use super::window::epoch;
use crate::paginate::{LenientItem, PaginateExt};
use crate::{ChunkExt, Client, Error, enums, types};

/// The statuses whose parts are listed apart.
const STATUSES: [enums::PrintedPartStatus; 5] = [
    enums::PrintedPartStatus::Waiting,
    enums::PrintedPartStatus::Preparing,
    enums::PrintedPartStatus::Queued,
    enums::PrintedPartStatus::Failed,
    enums::PrintedPartStatus::Canceled,
];

/// Whether a part of `status` may have a started print.
fn may_have_started(status: &enums::PrintedPartStatus) -> bool {
    matches!(
        status,
        enums::PrintedPartStatus::Failed | enums::PrintedPartStatus::Canceled
    )
}

/// The parts that match `filters` and whose print has not started, joined
/// with their prints (looked up by id).
pub(super) fn not_started(
    client: &Client,
    filters: &PartFilters,
    prints: Arc<Lookup<PrintFacts>>,
) -> BoxStream<'static, Result<LenientItem<PartRow>, Error>> {
    let statuses: Vec<enums::PrintedPartStatus> = STATUSES
        .into_iter()
        .filter(|s| filters.status.as_ref().is_none_or(|wanted| wanted == s))
        .collect();
    let (client, filters) = (client.clone(), filters.clone());
    stream::iter(statuses)
        .map(move |status| {
            let mut one = filters.clone();
            one.status = Some(status);
            let listing = one
                .apply(client.get_printed_parts())
                .limit(BATCH as u64)
                .sort(vec!["uuid".to_string()])
                .items_lenient();
            let (client, prints) = (client.clone(), prints.clone());
            joined(
                listing,
                |part: &types::PrintedPart| Some(part.uuid.as_str()),
                move |batch| {
                    let (client, prints) = (client.clone(), prints.clone());
                    async move {
                        let rows = join_with(Prints::LookedUp(prints), batch).await?;
                        without_started(&client, rows).await
                    }
                },
            )
        })
        .flatten()
        .boxed()
}

/// `rows` less the parts whose print has started, as the API tells.
async fn without_started(client: &Client, rows: Vec<LenientItem<PartRow>>) -> Result<Vec<LenientItem<PartRow>>, Error> {
    let uncertain: Vec<String> = rows
        .iter()
        .filter_map(|row| row.as_ref().ok())
        .filter(|row| row.part.print_id.is_some() && may_have_started(&row.part.status))
        .map(|row| row.part.uuid.clone())
        .collect();
    if uncertain.is_empty() {
        return Ok(rows);
    }
    let started: HashSet<String> = client
        .get_printed_parts()
        .limit(BATCH as u64)
        .started_after(epoch())
        .chunked(uncertain, |builder, uuids| builder.uuid(uuids))
        .items()
        .map_ok(|part| part.uuid)
        .try_collect()
        .await?;
    Ok(rows
        .into_iter()
        .filter(|row| row.as_ref().map_or(true, |row| !started.contains(&row.part.uuid)))
        .collect())
}
