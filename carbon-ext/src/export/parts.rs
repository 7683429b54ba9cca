//! The printed-parts export: printed parts joined with the prints they were
//! made in.

use std::sync::Arc;

use std::collections::HashMap;

use futures::future;
use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};

use super::batches::{joined, until_error};
use super::filters::PartFilters;
use super::lookup::{Lookup, listing_lookup};
use super::row::{PartRow, PrintFacts};
use super::state::{ExportState, Incremental, newest_first};
use super::{BATCH, PRINT_STATUSES, window};
use crate::paginate::{LenientItem, TotalCount, lenient_pages};
use crate::{Client, Error, RunExt, Timestamp, enums, types};

/// The most prints kept from earlier batches, so that parts of one print in
/// other batches need no second look-up: a few MiB.
const PRINT_CACHE: usize = 32_768;

/// What an [`ExportState`] of this export is called.
const EXPORT: &str = "printed_parts";

/// How the printed-parts export gets the prints it joins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum PlanChoice {
    /// Decided from the first page of parts: by window when the API counts more
    /// than it reports exactly (10 000), no part order is named and the status
    /// asked for is not one before printing; else by id.
    #[default]
    Auto,
    /// Look the prints of each page up by id, 100 a request: few calls for few
    /// parts, or parts of a few prints (a part order).
    ById,
    /// List the prints by start time, a window at a time, and the parts of each
    /// window: about one call per thousand prints however scattered the parts
    /// are (a whole account, a month).
    ByWindow,
}

/// How the printed-parts export plans its calls.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Planning {
    /// Which plan.
    pub plan: PlanChoice,
    /// The prints a window holds, about (it grows past it only to keep prints
    /// that start at the same time together): memory against calls.
    pub window_prints: usize,
}

impl Default for Planning {
    fn default() -> Self {
        Self {
            plan: PlanChoice::Auto,
            window_prints: WINDOW_PRINTS,
        }
    }
}

/// The prints a window holds by default: a few MiB.
pub const WINDOW_PRINTS: usize = 16_000;

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
        self.export_printed_parts_planned(filters, &Planning::default())
    }

    /// [`Client::export_printed_parts`] with the plan of calls given: the rows
    /// are the same whichever plan, only the calls differ.
    pub fn export_printed_parts_planned(
        &self,
        filters: &PartFilters,
        planning: &Planning,
    ) -> BoxStream<'static, Result<LenientItem<PartRow>, Error>> {
        let (client, filters, planning) = (self.clone(), filters.clone(), planning.clone());
        let rows = stream::once(async move {
            let prints = print_lookup(client.clone());
            // The look-up plan's listing: its first page also tells how many parts match.
            let mut pages = lenient_pages(
                filters
                    .apply(client.get_printed_parts())
                    .limit(BATCH as u64)
                    .sort(vec!["uuid".to_string()]),
            );
            let first = match pages.next().await {
                Some(Ok(page)) => page,
                Some(Err(error)) => return stream::once(future::ready(Err(error))).boxed(),
                None => return stream::empty().boxed(),
            };
            if choose(&filters, planning.plan, first.1) == PlanChoice::ByWindow {
                // The first page and the one read ahead are dropped: two calls.
                return window::rows(&client, &filters, planning.window_prints, prints);
            }
            let items = stream::iter(first.0.into_iter().map(Ok))
                .chain(
                    pages
                        .map_ok(|page| stream::iter(page.0.into_iter().map(Ok)))
                        .try_flatten(),
                )
                .boxed();
            by_id(items, prints)
        })
        .flatten();
        until_error(rows)
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
        self.export_printed_parts_since_planned(filters, previous, &Planning::default())
            .await
    }

    /// [`Client::export_printed_parts_since`], its prints fetched as `planning`
    /// says (as [`Client::export_printed_parts_planned`] does).
    pub async fn export_printed_parts_since_planned(
        &self,
        filters: &PartFilters,
        previous: Option<ExportState>,
        planning: &Planning,
    ) -> Result<Incremental<PartRow>, Error> {
        let newest = |from| async move {
            let page = filters.apply(self.get_printed_parts()).updated_after(from).limit(1u64);
            let found = page.sort(newest_first()).run().await?.parts;
            Ok(found.and_then(|parts| parts.into_iter().next()?.updated_at))
        };
        let rows = |list_from| {
            let listed = PartFilters {
                updated_after: list_from,
                ..filters.clone()
            };
            self.export_printed_parts_planned(&listed, planning)
        };
        Incremental::begin(EXPORT, filters, filters.updated_after, previous, newest, rows, changed).await
    }
}

/// The plan for `filters`, `choice` unless it is `Auto`, knowing the total the
/// API reported on the first page of parts.
fn choose(filters: &PartFilters, choice: PlanChoice, total: Option<TotalCount>) -> PlanChoice {
    if choice != PlanChoice::Auto {
        return choice;
    }
    // A part order's parts lie in a few prints: looked up by id, in few calls.
    // Parts before printing have no started print: no window holds them.
    let not_started = matches!(
        filters.status,
        Some(
            enums::PrintedPartStatus::Waiting | enums::PrintedPartStatus::Preparing | enums::PrintedPartStatus::Queued
        )
    );
    if !filters.part_order_uuid.is_empty() || not_started {
        return PlanChoice::ById;
    }
    // Up to the count the API reports exactly, ten pages at most: their look-ups
    // fit the limit's burst whatever the plan. Past it, parts are many and, in
    // uuid order, scattered over about a thousand prints a page.
    match total {
        Some(TotalCount::AtLeast(_)) => PlanChoice::ByWindow,
        _ => PlanChoice::ById,
    }
}

/// The look-up plan: the parts in uuid order, the prints of each page by id.
fn by_id(
    listing: BoxStream<'static, Result<LenientItem<types::PrintedPart>, Error>>,
    prints: Arc<Lookup<PrintFacts>>,
) -> BoxStream<'static, Result<LenientItem<PartRow>, Error>> {
    joined(
        listing,
        |part: &types::PrintedPart| Some(part.uuid.as_str()),
        move |batch| join_with(Prints::LookedUp(prints.clone()), batch),
    )
}

/// What a part is known by across runs.
fn changed(row: &PartRow) -> Option<(&str, Timestamp)> {
    Some((row.part.uuid.as_str(), row.part.updated_at?))
}

/// Prints by id, in the statuses an export asks for.
fn print_lookup(client: Client) -> Arc<Lookup<PrintFacts>> {
    let statuses: Vec<String> = PRINT_STATUSES.iter().map(|s| s.to_string()).collect();
    listing_lookup!(
        PRINT_CACHE,
        client.get_prints().status(statuses.clone()),
        print_id,
        PrintFacts::by_print_id
    )
}

/// Where a batch's prints come from.
pub(super) enum Prints {
    /// Looked up by id (through the cache).
    LookedUp(Arc<Lookup<PrintFacts>>),
    /// A window's prints: every print, in the statuses asked for, that started
    /// when the batch's parts did. A print not among them is one the API no
    /// longer gives, unless it started since the window was listed: then
    /// `or_look_up` (given for the last window, the one it would start in)
    /// finds it.
    Held {
        held: Arc<HashMap<String, Arc<PrintFacts>>>,
        or_look_up: Option<Arc<Lookup<PrintFacts>>>,
    },
}

/// The rows of a batch: its parts with the prints they name.
pub(super) async fn join_with(
    prints: Prints,
    batch: Vec<LenientItem<types::PrintedPart>>,
) -> Result<Vec<LenientItem<PartRow>>, Error> {
    let (held, lookup) = match prints {
        Prints::Held { held, or_look_up } => (Some(held), or_look_up),
        Prints::LookedUp(lookup) => (None, Some(lookup)),
    };
    let in_held = |id: &str| held.as_ref().and_then(|h| h.get(id).cloned());
    let found = match lookup {
        Some(lookup) => {
            let ids = batch
                .iter()
                .filter_map(|part| part.as_ref().ok()?.print_id.as_deref())
                .filter(|id| in_held(id).is_none());
            lookup.resolve(ids).await?
        }
        None => HashMap::new(),
    };
    Ok(batch
        .into_iter()
        .map(|part| {
            part.map(|part| {
                let print = part
                    .print_id
                    .as_deref()
                    .and_then(|id| in_held(id).or_else(|| found.get(id).cloned().flatten()));
                PartRow { part, print }
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plan_is_by_window_only_for_many_parts_that_may_have_started() {
        let capped = Some(TotalCount::AtLeast(10_000));
        let all = PartFilters::default();
        assert_eq!(choose(&all, PlanChoice::Auto, capped), PlanChoice::ByWindow);
        assert_eq!(
            choose(&all, PlanChoice::Auto, Some(TotalCount::Exact(9_999))),
            PlanChoice::ById
        );
        assert_eq!(
            choose(&all, PlanChoice::Auto, None),
            PlanChoice::ById,
            "no count: by id"
        );
        assert_eq!(choose(&all, PlanChoice::ById, capped), PlanChoice::ById, "forced");
        let one_order = PartFilters {
            part_order_uuid: vec!["o".into()],
            ..PartFilters::default()
        };
        assert_eq!(choose(&one_order, PlanChoice::Auto, capped), PlanChoice::ById);
        let waiting = PartFilters {
            status: Some(enums::PrintedPartStatus::Waiting),
            ..PartFilters::default()
        };
        assert_eq!(
            choose(&waiting, PlanChoice::Auto, capped),
            PlanChoice::ById,
            "no window holds them"
        );
        let complete = PartFilters {
            status: Some(enums::PrintedPartStatus::Complete),
            ..PartFilters::default()
        };
        assert_eq!(choose(&complete, PlanChoice::Auto, capped), PlanChoice::ByWindow);
    }
}
