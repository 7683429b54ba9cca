//! Filters with more values than the API accepts in one request.
//!
//! Array filters take at most 100 values (`getPrints`' `status`: 5), as the
//! document says and [`default_chunk_size`] reads; a chunk holds as many
//! values as the filter being split takes. Asking for the
//! printed parts of 2 500 parts, or the quality data of 800 prints, takes several
//! requests; [`ChunkExt::chunked`] splits the values, runs the requests with bounded
//! concurrency (under the client's rate limit), pages through each, and merges the
//! items, de-duplicated by uuid.
//!
//! ```no_run
//! # async fn run(client: carbon_ext::Client, part_uuids: Vec<String>) -> Result<(), carbon_ext::Error> {
//! use carbon_ext::prelude::*;
//! use futures::TryStreamExt;
//!
//! let parts: Vec<_> = client
//!     .get_printed_parts()
//!     .limit(1000)
//!     .chunked(part_uuids, |builder, chunk| builder.part_uuid(chunk))
//!     .items()
//!     .try_collect()
//!     .await?;
//! # Ok(())
//! # }
//! ```

use carbon_api_gen::BoxFuture;
use carbon_api_gen::extras::{CursorPaged, HasUuid, IntoParams, Listing, OperationParams, ParamRule};
use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};

use crate::Error;
use crate::dedup::{DedupExt, SeenUuids};
use crate::error::Call;
use crate::run::send;

/// Values per request where the document sets no limit (`getPrintQualityData`'s
/// `printIds`): enough to save requests, few enough that a URL stays well under
/// the 8 KiB that servers commonly accept.
const UNDOCUMENTED_CHUNK_SIZE: u64 = 100;

/// Values per request of one array parameter (by wire name) of `operation`
/// (`get_prints`): the most the document lets it take (`status` of
/// `get_prints`: 5; the other filters of 0.4.17: 100), or 100 where the
/// document sets no limit.
pub fn default_chunk_size(operation: &str, param: &str) -> usize {
    chunk_size_of(carbon_api_gen::extras::param_rule(operation, param))
}

fn chunk_size_of(rule: Option<&ParamRule>) -> usize {
    let most = rule.and_then(|rule| rule.max_items).unwrap_or(UNDOCUMENTED_CHUNK_SIZE);
    usize::try_from(most).unwrap_or(usize::MAX).max(1)
}

/// The documented rule of the array filter that `set` fills, judged by
/// `probe` (the builder after `set` with no values) against `template` (the
/// builder as it is): a limited filter the probe has set and the template has
/// not, the one with the smallest limit when `set` fills several. When it
/// fills none anew (the builder had it set already), the smallest limit of
/// those the probe has set, which no request of that size breaks. `None`:
/// no limited filter is set.
fn filled_filter<P: OperationParams>(probe: &P, template: &P) -> Option<&'static ParamRule> {
    let limited = carbon_api_gen::extras::param_rules()
        .iter()
        .filter(|rule| rule.operation == P::NAME && rule.max_items.is_some() && probe.is_set(rule.field));
    let anew = limited.clone().filter(|rule| !template.is_set(rule.field));
    anew.min_by_key(|rule| rule.max_items)
        .or_else(|| limited.min_by_key(|rule| rule.max_items))
}

/// The refusal of a sorted request split over several: items merged from
/// several requests are not in `sort` order (the one rule for typed chunks and
/// for [`split_args`]).
fn sorted_across_requests(operation: &'static str, filter: &str, values: usize, requests: usize) -> Error {
    Error::InvalidRequest {
        call: Call::new(operation),
        message: format!(
            "{filter}{values} values make {requests} requests, and items merged from several requests are not in \
             `sort` order; remove `sort` and sort the merged items yourself"
        ),
    }
}

/// `args` (a call by name, as [`crate::by_name`] takes it) split so that no
/// array parameter has more values than one request of `operation` takes: the
/// first such parameter is cut into chunks of its documented limit (100 where
/// the document sets none, as [`default_chunk_size`] says). A sorted
/// request that would need several is refused, as [`ChunkExt::chunked`]
/// refuses it. One set when nothing needs splitting.
pub fn split_args(
    operation: &'static carbon_api_gen::extras::OperationInfo,
    args: &crate::by_name::Args,
) -> Result<Vec<crate::by_name::Args>, Error> {
    for param in operation.params.iter().filter(|p| p.array) {
        let Some(serde_json::Value::Array(values)) = args.get(param.name) else {
            continue;
        };
        let max = default_chunk_size(operation.name, param.name);
        if values.len() <= max {
            continue;
        }
        if args.contains_key("sort") {
            let filter = format!("`{}`: ", param.name);
            return Err(sorted_across_requests(
                operation.name,
                &filter,
                values.len(),
                values.len().div_ceil(max),
            ));
        }
        return Ok(values
            .chunks(max)
            .map(|chunk| {
                let mut part = args.clone();
                part.insert(param.name.to_string(), serde_json::Value::Array(chunk.to_vec()));
                part
            })
            .collect());
    }
    Ok(vec![args.clone()])
}

/// How many chunk requests run at once by default.
pub const DEFAULT_CONCURRENCY: usize = 4;

/// `chunked()` on every generated builder.
pub trait ChunkExt<'a>: IntoParams<'a> + Sized + Clone {
    /// Prepares one request per chunk of `values`, each made by `set` from a copy of
    /// this builder (which should not have that filter set already). No values
    /// find nothing: an empty result, and no request is sent.
    fn chunked<V, F>(self, values: impl IntoIterator<Item = V>, set: F) -> Chunked<'a, Self, V, F>
    where
        F: Fn(Self, Vec<V>) -> Self,
    {
        Chunked {
            builder: self,
            values: values.into_iter().collect(),
            set,
            chunk_size: None,
            concurrency: DEFAULT_CONCURRENCY,
            _client: std::marker::PhantomData,
        }
    }
}

impl<'a, B: IntoParams<'a> + Sized + Clone> ChunkExt<'a> for B {}

/// A request split over chunks of filter values. Run it with [`Chunked::items`]
/// (paged lists) or [`Chunked::collect`] (look-ups).
pub struct Chunked<'a, B, V, F> {
    builder: B,
    values: Vec<V>,
    set: F,
    /// Values per request as asked for; `None`: the filled filter's limit.
    chunk_size: Option<usize>,
    concurrency: usize,
    _client: std::marker::PhantomData<&'a carbon_api_gen::Client>,
}

impl<'a, B, V, F> Chunked<'a, B, V, F>
where
    B: IntoParams<'a> + Clone,
    B::Params: Listing,
    F: Fn(B, Vec<V>) -> B,
{
    /// Values per request (at least 1). By default the most the filter that
    /// `set` fills takes, as the document says ([`default_chunk_size`]): 5
    /// statuses for `get_prints`, 100 part uuids for `get_printed_parts` (the
    /// smallest such limit when `set` fills several filters).
    pub fn chunk_size(mut self, size: usize) -> Self {
        self.chunk_size = Some(size.max(1));
        self
    }

    /// Requests in flight at once (default 4; at least 1). All of them still pass the
    /// client's rate limiter.
    pub fn concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency.max(1);
        self
    }

    /// The owned parameters of every chunk's request, after checking that splitting
    /// keeps the meaning of the request.
    fn requests(self) -> Result<(carbon_api_gen::Client, Vec<B::Params>, usize), Error> {
        let Chunked {
            builder,
            mut values,
            set,
            chunk_size,
            concurrency,
            ..
        } = self;
        let operation = <B::Params as OperationParams>::NAME;
        // No values: nothing can match, so nothing is asked (an empty list
        // would be left out of the query and match everything; a builder given
        // one directly is refused, `OperationParams::empty_filter`).
        let (client, template) = builder.clone().into_params();
        let (_, probe) = set(builder.clone(), Vec::new()).into_params();
        let filled = filled_filter(&probe, &template);
        let chunk_size = chunk_size.unwrap_or_else(|| chunk_size_of(filled));
        let count = values.len().div_ceil(chunk_size);
        // `sort` set on the builder, or by `set` itself.
        if count > 1 && probe.is_set("sort") {
            let filter = filled.map(|rule| format!("`{}`: ", rule.name)).unwrap_or_default();
            return Err(sorted_across_requests(operation, &filter, values.len(), count));
        }
        let mut requests = Vec::with_capacity(count);
        while !values.is_empty() {
            let rest = values.split_off(chunk_size.min(values.len()));
            let chunk = std::mem::replace(&mut values, rest);
            requests.push(set(builder.clone(), chunk).into_params().1);
        }
        Ok((client.clone(), requests, concurrency))
    }
}

/// Running the requests: [`Chunked::items`] pages through paged lists,
/// [`Chunked::collect`] gathers look-ups that answer a list in one response,
/// such as `findModels`, `getModelProgramRuns`, `getPrintQualityData`,
/// `getPrinterQueues`.
impl<'a, B, V, F> Chunked<'a, B, V, F>
where
    B: IntoParams<'a> + Clone,
    B::Params: Listing,
    <B::Params as Listing>::Item: HasUuid,
    F: Fn(B, Vec<V>) -> B,
{
    /// Every item of every page of every chunk, de-duplicated by uuid, in no
    /// particular order. Lazy like the paginators.
    pub fn items(self) -> BoxStream<'static, Result<<B::Params as Listing>::Item, Error>>
    where
        B::Params: CursorPaged,
    {
        let (client, requests, concurrency) = match self.requests() {
            Ok(parts) => parts,
            Err(e) => return stream::once(async move { Err(e) }).boxed(),
        };
        stream::iter(requests)
            .map(move |params| crate::paginate::cursor_stream(client.clone(), params))
            .flatten_unordered(concurrency)
            .dedup_by_uuid()
    }

    /// Every item of every chunk's response, de-duplicated by uuid. All requests must
    /// succeed; the first error is returned. The future owns what it needs (it can be
    /// spawned).
    pub fn collect(self) -> BoxFuture<'static, Result<Vec<<B::Params as Listing>::Item>, Error>> {
        let prepared = self.requests();
        Box::pin(async move {
            let (client, requests, concurrency) = prepared?;
            collect_lookups(client, requests, concurrency).await
        })
    }
}

async fn collect_lookups<P>(
    client: carbon_api_gen::Client,
    requests: Vec<P>,
    concurrency: usize,
) -> Result<Vec<P::Item>, Error>
where
    P: Listing,
    P::Item: HasUuid,
{
    let client = &client;
    let responses: Vec<Vec<P::Item>> = stream::iter(requests)
        .map(|params| async move { send(client, params).await.map(P::into_items) })
        .buffer_unordered(concurrency)
        .try_collect()
        .await?;
    Ok(SeenUuids::default().keep_new(responses.into_iter().flatten()))
}
