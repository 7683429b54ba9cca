//! The window plan of the printed-parts export: prints listed by start time,
//! cut into windows of a bounded number of prints; each window's printed parts
//! listed by the same start bounds and joined against that window's prints.
//!
//! A page of a thousand prints replaces the ten look-ups by id that a page of
//! parts scattered over a thousand prints would need. The windows partition
//! start times (each window ends where the next begins, the first starts at
//! the epoch so that parts whose print has not started are in none), and a
//! print's start never changes once set, so a part whose print had started
//! when the export began comes in exactly one window. Parts whose print has
//! not started are listed apart, by status ([`not_started`]), when no start
//! bound was given.

use std::collections::HashMap;
use std::sync::Arc;

use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};

use super::batches::joined;
use super::filters::{PartFilters, print_time};
use super::lookup::Lookup;
use super::not_started::not_started;
use super::parts::{Prints, join_with};
use super::row::{PartRow, PrintFacts};
use super::{BATCH, PRINT_STATUSES};
use crate::paginate::{LenientItem, PaginateExt};
use crate::spawned::spawned_stream;
use crate::{Client, Error, Timestamp, types};

/// The prints of one window, by id, and the start times it covers: from
/// `from` (inclusive) to `until` (exclusive; `None`: on).
pub(super) struct Window {
    from: Timestamp,
    until: Option<Timestamp>,
    /// The last window: prints that start while the export runs fall in it.
    last: bool,
    prints: Arc<HashMap<String, Arc<PrintFacts>>>,
}

/// Where the first window starts when no start bound was given: the API then
/// leaves out the parts whose print has not started.
pub(super) fn epoch() -> Timestamp {
    chrono::DateTime::<chrono::Utc>::UNIX_EPOCH.into()
}

/// Windows read ahead of the one being joined.
const WINDOWS_AHEAD: usize = 1;

/// The rows of the window plan for `filters`, with windows of about
/// `window_prints` prints; `prints` looks up what a window does not hold.
pub(super) fn rows(
    client: &Client,
    filters: &PartFilters,
    window_prints: usize,
    prints: Arc<Lookup<PrintFacts>>,
) -> BoxStream<'static, Result<LenientItem<PartRow>, Error>> {
    let windows = windows(client, filters, window_prints);
    let (parts_client, parts_filters, lookup) = (client.clone(), filters.clone(), prints.clone());
    let started = windows
        .map_ok(move |window| window_rows(&parts_client, &parts_filters, window, lookup.clone()))
        .try_flatten();
    let times = filters.print_times;
    let no_start_bound = times.started_after.is_none() && times.started_before.is_none();
    let sweeps = if no_start_bound {
        not_started(client, filters, prints)
    } else {
        stream::empty().boxed()
    };
    started.chain(sweeps).boxed()
}

/// The prints listed from `from` on, by start time.
fn prints_from(
    client: &Client,
    from: Timestamp,
    until: Option<Timestamp>,
) -> BoxStream<'static, Result<types::ModelPrint, Error>> {
    let mut request = client
        .get_prints()
        .limit(BATCH as u64)
        .status(PRINT_STATUSES.iter().map(|s| s.to_string()).collect::<Vec<_>>())
        .sort(vec!["started_at".to_string(), "uuid".to_string()])
        .started_after(print_time(from));
    if let Some(t) = until {
        request = request.started_before(print_time(t));
    }
    request.items()
}

/// The windows, read ahead of the join by a task of their own. Each window is
/// read by a listing of its own, from its first start: no cursor is held while
/// an earlier window is joined (a cursor lives 60 s).
fn windows(client: &Client, filters: &PartFilters, size: usize) -> BoxStream<'static, Result<Window, Error>> {
    let (client, until) = (client.clone(), filters.print_times.started_before);
    let mut from = filters.print_times.started_after.unwrap_or_else(epoch);
    spawned_stream("the task listing prints", WINDOWS_AHEAD, move |tx| async move {
        loop {
            let mut listing = prints_from(&client, from, until);
            let mut cutter = Cutter::new(size.max(1));
            let window = loop {
                match listing.next().await {
                    Some(Ok(print)) => {
                        // A print from before the window: the API did not apply
                        // `started_after`, and cutting would never move on.
                        if print.started_at.is_some_and(|started| started < from) {
                            break Err(Error::Pagination {
                                call: crate::Call::new("get_prints"),
                                message: format!(
                                    "asked for prints started at or after {from}, it returned print {} started at {}",
                                    print.print_id.as_deref().unwrap_or("?"),
                                    print.started_at.map(|t| t.to_string()).unwrap_or_default()
                                ),
                            });
                        }
                        if let Some(cut) = cutter.add(&print) {
                            break Ok(Window {
                                from,
                                until: Some(cut),
                                last: false,
                                prints: cutter.take(),
                            });
                        }
                    }
                    Some(Err(error)) => break Err(error),
                    None => {
                        break Ok(Window {
                            from,
                            until,
                            last: true,
                            prints: cutter.take(),
                        });
                    }
                }
            };
            drop(listing);
            let next = match &window {
                Ok(Window { last: false, until, .. }) => *until,
                _ => None,
            };
            if tx.send(window).await.is_err() {
                return;
            }
            match next {
                Some(cut) => from = cut,
                None => return,
            }
        }
    })
}

/// Gathers prints, in start order, into a window of about `size`, cut only
/// between different start times.
struct Cutter {
    size: usize,
    current: HashMap<String, Arc<PrintFacts>>,
    last_start: Option<Timestamp>,
}

impl Cutter {
    fn new(size: usize) -> Self {
        Self {
            size,
            current: HashMap::new(),
            last_start: None,
        }
    }

    /// Adds a print, or, when the window is full and this print starts later
    /// than the last, leaves it out and gives its start: where the window ends
    /// and the next begins.
    fn add(&mut self, print: &types::ModelPrint) -> Option<Timestamp> {
        // A print that has not started holds no part a window lists.
        let (Some(started), Some(facts)) = (print.started_at, PrintFacts::of(print)) else {
            return None;
        };
        if self.current.len() >= self.size && self.last_start.is_some_and(|last| started > last) {
            return Some(started);
        }
        self.current.insert(facts.print_id.clone(), Arc::new(facts));
        self.last_start = Some(started);
        None
    }

    fn take(&mut self) -> Arc<HashMap<String, Arc<PrintFacts>>> {
        Arc::new(std::mem::take(&mut self.current))
    }
}

/// The parts that started in `window`, joined with its prints. In the last
/// window, a print it does not hold is looked up: it may have started since
/// the prints were listed. In the others, a print missing from the window is
/// one the API no longer gives.
fn window_rows(
    client: &Client,
    filters: &PartFilters,
    window: Window,
    lookup: Arc<Lookup<PrintFacts>>,
) -> BoxStream<'static, Result<LenientItem<PartRow>, Error>> {
    let mut bounded = filters.clone();
    bounded.print_times.started_after = Some(window.from);
    bounded.print_times.started_before = window.until;
    let listing = bounded
        .apply(client.get_printed_parts())
        .limit(BATCH as u64)
        .sort(vec!["uuid".to_string()])
        .items_lenient();
    let (held, last) = (window.prints, window.last);
    joined(
        listing,
        |part: &types::PrintedPart| Some(part.uuid.as_str()),
        move |batch| {
            let prints = Prints::Held {
                held: held.clone(),
                or_look_up: last.then(|| lookup.clone()),
            };
            join_with(prints, batch)
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn print(id: &str, started: Option<&str>) -> types::ModelPrint {
        types::ModelPrint {
            print_id: Some(id.into()),
            started_at: started.map(|s| s.parse().unwrap()),
            ..Default::default()
        }
    }

    #[test]
    fn a_window_is_cut_between_different_starts() {
        let t = |m: u32| format!("2026-12-01T10:{m:02}:00Z");
        let mut cutter = Cutter::new(2);
        let mut cuts = Vec::new();
        for (id, minute) in [("a", 1), ("b", 2), ("c", 2), ("d", 2)] {
            cuts.extend(cutter.add(&print(id, Some(&t(minute)))));
        }
        assert!(
            cutter.add(&print("queued", None)).is_none(),
            "not started: in no window"
        );
        // Full since `b`, but the tie at 10:02 stays together.
        assert_eq!(cuts, []);
        let cut = cutter.add(&print("e", Some(&t(3))));
        assert_eq!(cut, Some(t(3).parse().unwrap()), "the next window starts at `e`");
        let mut ids: Vec<String> = cutter.take().keys().cloned().collect();
        ids.sort();
        assert_eq!(ids, ["a", "b", "c", "d"], "`e` is left to the next window");
    }
}
