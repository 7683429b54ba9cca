//! Pagination streams for the paged list operations.
//!
//! ```no_run
//! # async fn run(client: carbon_ext::Client) -> Result<(), carbon_ext::Error> {
//! use carbon_ext::prelude::*;
//! use futures::TryStreamExt;
//!
//! let mut parts = client
//!     .get_printed_parts()
//!     .limit(1000)
//!     .part_order_uuid(vec!["an-order-uuid".to_string()])
//!     .items();
//! while let Some(part) = parts.try_next().await? {
//!     println!("{} {}", part.uuid, part.status);
//! }
//! # Ok(())
//! # }
//! ```
//!
//! Every page re-sends exactly the filters, sort and limit of the builder, plus the
//! cursor of the page before; a cursor-paged listing ends when the API sends no
//! cursor or an empty one, never by counting against `total_count` (which the API
//! caps at 10 000). The printers, paged by offset, end on an empty page or when
//! the total they report is reached. Nothing is sent until the stream is first
//! polled. Dropping the stream cancels any request in flight.
//!
//! The next page is fetched while the consumer works on the current one, so a
//! consumer slower than the API does not wait for it. The API's cursors expire 60 s
//! after they are issued, and each cursor is used as soon as the page before it has
//! been handed over: a consumer that spends more than about a minute on one page
//! should collect the pages first (`pages().try_collect()`) and work on them after.

use std::collections::HashSet;
use std::fmt;
use std::hash::{Hash, Hasher};

use carbon_api_gen::extras::{ByCursor, ByOffset, CursorPaged, IntoParams, Listing, OffsetPaged, Paged};
use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};

use crate::Error;
use crate::error::Call;
use crate::records::{MalformedRecord, Records, split_page, strict};
use crate::retry::Replay;
use crate::run::send_answer;
use crate::spawned::{Feed, spawned_stream};

/// The API never reports more than this many results in `total_count`.
pub const TOTAL_COUNT_CAP: u64 = 10_000;

/// Empty pages in a row that may still carry a cursor before the listing is taken
/// to be stuck.
pub const MAX_EMPTY_PAGES: usize = 5;

/// A list's `total_count`: exact below the API's cap, a lower bound at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TotalCount {
    /// There are exactly this many.
    Exact(u64),
    /// There are at least this many (the API caps the count at 10 000).
    AtLeast(u64),
}

impl TotalCount {
    /// Reads a reported count.
    pub fn from_reported(count: u64) -> Self {
        if count >= TOTAL_COUNT_CAP {
            TotalCount::AtLeast(count)
        } else {
            TotalCount::Exact(count)
        }
    }
}

impl fmt::Display for TotalCount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TotalCount::Exact(n) => write!(f, "{n}"),
            TotalCount::AtLeast(n) => write!(f, "at least {n}"),
        }
    }
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The page's items.
    pub items: Vec<T>,
    /// The total the API reported with this page.
    pub total: Option<TotalCount>,
    /// 0 for the first page.
    pub index: usize,
}

/// A lenient listing's item: a record, or one that did not decode.
pub type LenientItem<T> = Result<T, MalformedRecord>;

/// `items()`, `pages()` and `items_lenient()` on the builders of paged list
/// operations: by cursor (builds, parts, part orders, print orders, printed
/// parts, prints, part measurements and their templates) or by offset
/// (printers).
pub trait PaginateExt<'a>: IntoParams<'a> + Sized
where
    Self::Params: Paged,
{
    /// All pages, lazily, one request each. A record that does not match the API
    /// document ends the listing with [`Error::Decode`] naming its index. Paged
    /// by offset, the listing ends when a page is empty or the reported total is
    /// reached.
    fn pages(self) -> BoxStream<'static, Result<Page<ItemOf<'a, Self>>, Error>>;

    /// All items of all pages, lazily.
    fn items(self) -> BoxStream<'static, Result<ItemOf<'a, Self>, Error>> {
        flatten(self.pages())
    }

    /// All items of all pages, lazily, where a record that does not match the API
    /// document comes as an `Ok(Err(MalformedRecord))` (with its raw JSON) and the
    /// listing goes on. Errors of the listing itself end it, as with `items()`.
    fn items_lenient(self) -> BoxStream<'static, Result<LenientItem<ItemOf<'a, Self>>, Error>>;
}

/// The paginator of offset-paged listings, which [`PaginateExt`] now is too:
/// another name of it, kept so that code naming it builds, and to be removed at
/// the next breaking release (import `PaginateExt` instead).
pub use PaginateExt as PaginateOffsetExt;

/// How the pages of a listing follow each other: one walk for each kind of
/// paging ([`ByCursor`], [`ByOffset`]), chosen by the operation's
/// [`Paged::Paging`].
trait Walk<P: Listing> {
    /// Sends the pages of `params` to `tx`, one after the other, until the last
    /// or the first error (or until `tx` is dropped).
    fn pages(
        client: carbon_api_gen::Client,
        params: P,
        mode: Mode,
        tx: PageSender<P::Item>,
    ) -> impl std::future::Future<Output = ()> + Send + 'static;

    /// The pages of `params`, read ahead by a task of their own.
    fn walk(
        client: carbon_api_gen::Client,
        params: P,
        mode: Mode,
    ) -> BoxStream<'static, Result<RawPage<P::Item>, Error>>
    where
        P: Send + 'static,
    {
        // One page ahead of the consumer.
        spawned_stream("the pagination task", 1, move |tx| {
            Self::pages(client, params, mode, tx)
        })
    }
}

/// The item type of a builder's list operation.
pub type ItemOf<'a, B> = <<B as IntoParams<'a>>::Params as Listing>::Item;

fn flatten<T: Send + 'static>(
    pages: BoxStream<'static, Result<Page<T>, Error>>,
) -> BoxStream<'static, Result<T, Error>> {
    pages
        .map_ok(|page| stream::iter(page.items.into_iter().map(Ok)))
        .try_flatten()
        .boxed()
}

/// Whether a malformed record ends the listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Strict,
    Lenient,
}

/// A page as the producer hands it over: in strict mode every record is `Ok`.
struct RawPage<T> {
    records: Records<T>,
    total: Option<TotalCount>,
    index: usize,
}

fn strict_pages<T: Send + 'static>(
    raw: BoxStream<'static, Result<RawPage<T>, Error>>,
) -> BoxStream<'static, Result<Page<T>, Error>> {
    raw.map(|page| {
        let page = page?;
        Ok(Page {
            items: strict(page.records)?,
            total: page.total,
            index: page.index,
        })
    })
    .boxed()
}

fn lenient_items<T: Send + 'static>(
    raw: BoxStream<'static, Result<RawPage<T>, Error>>,
) -> BoxStream<'static, Result<LenientItem<T>, Error>> {
    raw.map_ok(|page| stream::iter(page.records.into_iter().map(Ok)))
        .try_flatten()
        .boxed()
}

// Every paged operation pages by cursor or by offset, and both walk: the bound
// always holds, and users never name it.
#[allow(private_bounds)]
impl<'a, B> PaginateExt<'a> for B
where
    B: IntoParams<'a> + Sized,
    B::Params: Paged,
    <B::Params as Paged>::Paging: Walk<B::Params>,
{
    fn pages(self) -> BoxStream<'static, Result<Page<ItemOf<'a, Self>>, Error>> {
        let (client, params) = self.into_params();
        strict_pages(<B::Params as Paged>::Paging::walk(client.clone(), params, Mode::Strict))
    }

    fn items_lenient(self) -> BoxStream<'static, Result<LenientItem<ItemOf<'a, Self>>, Error>> {
        let (client, params) = self.into_params();
        lenient_items(<B::Params as Paged>::Paging::walk(
            client.clone(),
            params,
            Mode::Lenient,
        ))
    }
}

/// A page's records, some perhaps not decoded, and the total it reported.
pub(crate) type LenientPage<T> = (Vec<LenientItem<T>>, Option<TotalCount>);

/// Pages of a cursor-paged request as records that may not decode, each with
/// the total the API reported on it: for a caller that decides from the first
/// page how to go on.
pub(crate) fn lenient_pages<'a, B>(builder: B) -> BoxStream<'static, Result<LenientPage<ItemOf<'a, B>>, Error>>
where
    B: IntoParams<'a> + Sized,
    B::Params: CursorPaged,
{
    let (client, params) = builder.into_params();
    ByCursor::walk(client.clone(), params, Mode::Lenient)
        .map_ok(|page| (page.records, page.total))
        .boxed()
}

/// Items of a cursor-paged request, from owned parts.
pub(crate) fn cursor_stream<P>(client: carbon_api_gen::Client, params: P) -> BoxStream<'static, Result<P::Item, Error>>
where
    P: CursorPaged,
{
    flatten(strict_pages(ByCursor::walk(client, params, Mode::Strict)))
}

type PageSender<T> = Feed<RawPage<T>>;

/// Fetches and decodes one page; in strict mode a malformed record is the error.
async fn fetch_page<P, M>(
    client: &carbon_api_gen::Client,
    params: P,
    index: usize,
    mode: Mode,
    envelope: impl Fn(&P::Output) -> M,
) -> Result<(M, Records<P::Item>), Error>
where
    P: Listing,
{
    // Reading a page changes nothing: always safe to ask again.
    let answer = send_answer(client, params, Replay::Safe).await?;
    let (meta, records) = split_page::<P, M>(answer, index, envelope)?;
    if let (Mode::Strict, Some(Err(malformed))) = (mode, records.iter().find(|r| r.is_err())) {
        return Err(malformed.clone().into());
    }
    Ok((meta, records))
}

/// The cursors a listing has followed, to tell a listing that ends from one
/// that never will (not the public [`crate::Progress`] of transfers).
#[derive(Default)]
struct CursorTrail {
    /// Hashes of the cursors the API has sent in this listing.
    cursors: HashSet<u64>,
    /// Empty pages in a row.
    empty_run: usize,
}

impl CursorTrail {
    /// Checks the cursor a page pointed to; `Err` with what went wrong.
    fn next(&mut self, cursor: &str, page_len: usize, index: usize) -> Result<(), String> {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        cursor.hash(&mut hasher);
        if !self.cursors.insert(hasher.finish()) {
            return Err(format!(
                "page {index} pointed to a cursor the API had already sent in this listing"
            ));
        }
        self.empty_run = if page_len == 0 { self.empty_run + 1 } else { 0 };
        if self.empty_run >= MAX_EMPTY_PAGES {
            return Err(format!(
                "{} empty pages in a row (up to page {index}) still pointed to more",
                self.empty_run
            ));
        }
        Ok(())
    }
}

impl<P: CursorPaged> Walk<P> for ByCursor {
    async fn pages(client: carbon_api_gen::Client, mut params: P, mode: Mode, tx: PageSender<P::Item>) {
        let mut trail = CursorTrail::default();
        for index in 0.. {
            let envelope = |page: &P::Output| {
                let next = P::next_cursor(page).filter(|c| !c.is_empty()).map(str::to_string);
                (next, P::total_count(page).map(TotalCount::from_reported))
            };
            let ((next, total), records) = match fetch_page(&client, params.clone(), index, mode, envelope).await {
                Ok(page) => page,
                Err(e) => {
                    let _ = tx.send(Err(e)).await;
                    return;
                }
            };
            let len = records.len();
            if tx.send(Ok(RawPage { records, total, index })).await.is_err() {
                return;
            }
            let Some(cursor) = next else { return };
            if let Err(message) = trail.next(&cursor, len, index) {
                let call = Call::new(P::NAME);
                let _ = tx.send(Err(Error::Pagination { call, message })).await;
                return;
            }
            params.set_cursor(cursor);
        }
    }
}

impl<P: OffsetPaged> Walk<P> for ByOffset {
    async fn pages(client: carbon_api_gen::Client, mut params: P, mode: Mode, tx: PageSender<P::Item>) {
        let mut offset = params.offset().unwrap_or(0);
        params.set_offset(offset);
        for index in 0.. {
            let (total, records) = match fetch_page(&client, params.clone(), index, mode, P::total_count).await {
                Ok(page) => page,
                Err(e) => {
                    let _ = tx.send(Err(e)).await;
                    return;
                }
            };
            let count = records.len() as u64;
            offset = offset.saturating_add(count);
            let done = count == 0 || total.is_some_and(|t| offset >= t);
            let page = RawPage {
                records,
                total: total.map(TotalCount::Exact),
                index,
            };
            if tx.send(Ok(page)).await.is_err() || done {
                return;
            }
            params.set_offset(offset);
        }
    }
}
