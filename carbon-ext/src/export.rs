//! Printed parts joined with the prints they were made in: the export that the
//! command line's `carbon export printed-parts`, the SDK example and the export
//! bench all run.
//!
//! [`Client::export_printed_parts`] lists the printed parts that match the
//! filters, 1 000 a page, and looks up the prints they name, 100 ids a request
//! (several at once, under the client's rate limit). The look-ups for the next
//! batches run while the rows of the current one are taken, so the limiter does
//! not wait on the join.
//!
//! Memory does not grow with the export: it holds the batches in flight, the
//! prints looked up lately (a bounded cache that only saves requests) and the
//! uuids of the last [`REPEAT_GUARD`] parts.
//!
//! What is guaranteed: the parts are listed in uuid order, which no change to a
//! record moves, so every part that matches throughout the export comes once (a
//! part that starts or stops matching meanwhile may or may not come). A part the
//! API repeats within [`REPEAT_GUARD`] parts of itself (across a page boundary)
//! comes once too. A part comes with the print it names if the API returns that
//! print in one of [`PRINT_STATUSES`] when it is first looked up; else with none.
//! An error ends the export after every row listed before it.
//!
//! ```no_run
//! # async fn run(client: carbon_ext::Client) -> Result<(), carbon_ext::Error> {
//! use carbon_ext::export::PartFilters;
//! use futures::TryStreamExt;
//!
//! let mut filters = PartFilters::default();
//! filters.status = Some(carbon_ext::enums::PrintedPartStatus::Complete);
//! let mut rows = client.export_printed_parts(&filters);
//! while let Some(row) = rows.try_next().await? {
//!     // A record that does not match the API document comes as `Err`, with its JSON.
//!     let Ok(row) = row else { continue };
//!     let printer = row.print.as_ref().and_then(|p| p.printer_serial.as_deref());
//!     println!("{} {}", row.part.uuid, printer.unwrap_or("-"));
//! }
//! # Ok(())
//! # }
//! ```

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};

use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};

use crate::paginate::{LenientItem, PaginateExt};
use crate::{ChunkExt, Client, Error, Timestamp, enums, types};

/// Parts a batch holds: a page of the listing.
pub const BATCH: usize = 1000;
/// Batches whose prints are looked up while the rows of an earlier one are taken.
const BATCHES_AHEAD: usize = 2;
/// The most prints kept from earlier batches (between half and all of it), so
/// that parts of one print in other batches need no second look-up: a few MiB.
const PRINT_CACHE: usize = 32_768;
/// How many of the latest parts' uuids are kept to drop a part listed twice.
pub const REPEAT_GUARD: usize = 2 * BATCH;
/// The print statuses looked up: the API returns only finished prints unless
/// asked, and a part being printed names a print that is not finished yet.
pub const PRINT_STATUSES: [&str; 3] = ["queued", "printing", "finished"];

/// Which printed parts to export (all of them by default).
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct PartFilters {
    /// Only the parts of these part orders.
    pub part_order_uuid: Vec<String>,
    /// Only parts in this status.
    pub status: Option<enums::PrintedPartStatus>,
    /// Only parts whose print started at or after this time.
    pub started_after: Option<Timestamp>,
    /// Only parts whose print started before this time.
    pub started_before: Option<Timestamp>,
    /// Only parts changed at or after this time.
    pub updated_after: Option<Timestamp>,
}

/// What an export keeps of a print.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct PrintFacts {
    /// The print's id, as the printed part names it.
    pub print_id: String,
    /// The printer it ran on.
    pub printer_serial: Option<String>,
    /// The resin it was printed with.
    pub resin: Option<String>,
    /// When it started.
    pub started_at: Option<Timestamp>,
    /// When it finished.
    pub finished_at: Option<Timestamp>,
}

impl PrintFacts {
    fn of(print: &types::ModelPrint) -> Option<Self> {
        Some(Self {
            print_id: print.print_id.clone()?,
            printer_serial: print.origin.as_ref().and_then(|o| o.printer_serial.clone()),
            resin: print.config.as_ref().and_then(|c| c.resin_name.clone()),
            started_at: print.started_at,
            finished_at: print.finished_at,
        })
    }
}

/// A printed part and the print it was made in.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct PartRow {
    /// The printed part.
    pub part: types::PrintedPart,
    /// Its print: `None` when it names none, or the API did not return it.
    pub print: Option<Arc<PrintFacts>>,
}

impl PartRow {
    /// The columns of an export, in the order [`PartRow::cells`] fills them.
    pub const COLUMNS: [&'static str; 10] = [
        "printed_part_uuid",
        "serial_number",
        "status",
        "part_number",
        "part_order_number",
        "print_id",
        "printer_serial",
        "resin",
        "started_at",
        "finished_at",
    ];

    /// The row as text, a cell per column of [`PartRow::COLUMNS`]: empty where a
    /// value is missing, times in RFC 3339.
    pub fn cells(&self) -> [String; 10] {
        let (part, print) = (&self.part, self.print.as_deref());
        let time = |t: Option<Timestamp>| t.map(|t| t.to_rfc3339()).unwrap_or_default();
        [
            part.uuid.clone(),
            part.serial_number.clone().unwrap_or_default(),
            part.status.to_string(),
            part.part_number.clone().unwrap_or_default(),
            part.part_order_number.clone().unwrap_or_default(),
            part.print_id.clone().unwrap_or_default(),
            print.and_then(|p| p.printer_serial.clone()).unwrap_or_default(),
            print.and_then(|p| p.resin.clone()).unwrap_or_default(),
            time(print.and_then(|p| p.started_at)),
            time(print.and_then(|p| p.finished_at)),
        ]
    }
}

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
        let mut request = self.get_printed_parts().limit(BATCH as u64);
        if !filters.part_order_uuid.is_empty() {
            request = request.part_order_uuid(filters.part_order_uuid.clone());
        }
        if let Some(status) = &filters.status {
            request = request.status(status.clone());
        }
        if let Some(t) = filters.started_after {
            request = request.started_after(t);
        }
        if let Some(t) = filters.started_before {
            request = request.started_before(t);
        }
        if let Some(t) = filters.updated_after {
            request = request.updated_after(t);
        }
        // By uuid, which no change to a record moves: a part is listed once.
        let request = request.sort(vec!["uuid".to_string()]);
        let client = self.clone();
        let cache = Arc::new(Mutex::new(RecentPrints::default()));
        let mut guard = RecentUuids::default();
        request
            .items_lenient()
            // The listing ends at its first error: the batch it ends is joined,
            // then the error comes, after every row listed before it.
            .chunks(BATCH)
            .map(move |items| {
                let mut batch = Vec::with_capacity(items.len());
                let mut failure = None;
                for item in items {
                    match item {
                        Ok(part) => batch.push(part),
                        Err(error) => {
                            failure = Some(error);
                            break;
                        }
                    }
                }
                let batch = guard.drop_repeats(batch);
                let (client, cache) = (client.clone(), cache.clone());
                async move {
                    let mut rows = match join(client, cache, batch).await {
                        Ok(rows) => rows.into_iter().map(Ok).collect(),
                        Err(error) => vec![Err(error)],
                    };
                    rows.extend(failure.map(Err));
                    rows
                }
            })
            .buffered(BATCHES_AHEAD + 1)
            .flat_map(stream::iter)
            .boxed()
    }
}

/// The rows of a batch: its parts with the prints they name, looking up those
/// not in `cache`.
async fn join(
    client: Client,
    cache: Arc<Mutex<RecentPrints>>,
    batch: Vec<LenientItem<types::PrintedPart>>,
) -> Result<Vec<LenientItem<PartRow>>, Error> {
    let mut prints: HashMap<String, Option<Arc<PrintFacts>>> = HashMap::new();
    let mut wanted = Vec::new();
    {
        let cache = lock(&cache);
        for id in batch.iter().filter_map(|part| part.as_ref().ok()?.print_id.as_ref()) {
            if prints.contains_key(id) {
                continue;
            }
            match cache.get(id) {
                Some(known) => {
                    prints.insert(id.clone(), known);
                }
                None => {
                    prints.insert(id.clone(), None);
                    wanted.push(id.clone());
                }
            }
        }
    }
    if !wanted.is_empty() {
        let statuses: Vec<String> = PRINT_STATUSES.iter().map(|s| s.to_string()).collect();
        let found: Vec<types::ModelPrint> = client
            .get_prints()
            .limit(BATCH as u64)
            .status(statuses)
            .chunked(wanted.clone(), |builder, ids| builder.print_id(ids))
            .items()
            .try_collect()
            .await?;
        for facts in found.iter().filter_map(PrintFacts::of) {
            if let Some(slot) = prints.get_mut(&facts.print_id) {
                *slot = Some(Arc::new(facts));
            }
        }
        let mut cache = lock(&cache);
        for id in wanted {
            // A print not found is remembered too: it is not asked for again.
            let known = prints.get(&id).cloned().flatten();
            cache.insert(id, known);
        }
    }
    Ok(batch
        .into_iter()
        .map(|part| {
            part.map(|part| {
                let print = part.print_id.as_ref().and_then(|id| prints.get(id).cloned().flatten());
                PartRow { part, print }
            })
        })
        .collect())
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The prints of recent batches, [`PRINT_CACHE`] at most: two generations, the
/// older dropped when the newer is full.
#[derive(Default)]
struct RecentPrints {
    newer: HashMap<String, Option<Arc<PrintFacts>>>,
    older: HashMap<String, Option<Arc<PrintFacts>>>,
}

impl RecentPrints {
    /// `Some(None)`: looked up lately and not found.
    fn get(&self, id: &str) -> Option<Option<Arc<PrintFacts>>> {
        self.newer.get(id).or_else(|| self.older.get(id)).cloned()
    }

    fn insert(&mut self, id: String, print: Option<Arc<PrintFacts>>) {
        if self.newer.len() >= PRINT_CACHE / 2 {
            self.older = std::mem::take(&mut self.newer);
        }
        self.newer.insert(id, print);
    }
}

/// The uuids of the last [`REPEAT_GUARD`] parts, to drop a part listed again.
#[derive(Default)]
struct RecentUuids {
    order: VecDeque<String>,
    seen: HashSet<String>,
}

impl RecentUuids {
    /// The batch without the parts listed within the guard before (records that
    /// do not decode have no uuid to tell: they all pass).
    fn drop_repeats(&mut self, batch: Vec<LenientItem<types::PrintedPart>>) -> Vec<LenientItem<types::PrintedPart>> {
        batch
            .into_iter()
            .filter(|item| match item {
                Ok(part) => self.first_time(&part.uuid),
                Err(_) => true,
            })
            .collect()
    }

    fn first_time(&mut self, uuid: &str) -> bool {
        if self.seen.contains(uuid) {
            return false;
        }
        if self.order.len() >= REPEAT_GUARD
            && let Some(oldest) = self.order.pop_front()
        {
            self.seen.remove(&oldest);
        }
        self.order.push_back(uuid.to_string());
        self.seen.insert(uuid.to_string());
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_repeat_guard_forgets_what_is_older_than_its_span() {
        let mut guard = RecentUuids::default();
        assert!(guard.first_time("a"));
        assert!(!guard.first_time("a"), "a repeat within the span is dropped");
        for n in 0..REPEAT_GUARD {
            assert!(guard.first_time(&n.to_string()));
        }
        assert_eq!(guard.order.len(), REPEAT_GUARD);
        assert_eq!(guard.seen.len(), REPEAT_GUARD, "bounded");
        assert!(guard.first_time("a"), "forgotten past the span");
    }

    #[test]
    fn the_print_cache_is_bounded_and_remembers_prints_not_found() {
        let mut cache = RecentPrints::default();
        cache.insert("missing".into(), None);
        assert_eq!(cache.get("missing"), Some(None));
        assert_eq!(cache.get("never asked"), None);
        for n in 0..PRINT_CACHE * 3 {
            cache.insert(n.to_string(), None);
        }
        assert!(cache.newer.len() + cache.older.len() <= PRINT_CACHE);
        assert_eq!(cache.get("missing"), None, "dropped with its generation");
    }
}
