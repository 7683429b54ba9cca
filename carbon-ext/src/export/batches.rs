//! The pipeline every export shares: a listing cut into batches of a page,
//! repeats dropped, each batch joined while the next ones are looked up, rows
//! in listing order, and an error only after every row listed before it.

use std::future::Future;

use futures::stream::{self, BoxStream, StreamExt};

use super::BATCH;
use super::guard::RecentUuids;
use crate::Error;
use crate::paginate::LenientItem;

/// Batches whose look-ups run while the rows of an earlier one are taken.
const BATCHES_AHEAD: usize = 2;

/// A listing's records as rows: `join` turns a batch (repeats dropped, by the
/// uuid `uuid` reads; a record without one always passes) into its rows.
pub(super) fn joined<T, R, J, Fut>(
    listing: BoxStream<'static, Result<LenientItem<T>, Error>>,
    uuid: fn(&T) -> Option<&str>,
    mut join: J,
) -> BoxStream<'static, Result<LenientItem<R>, Error>>
where
    T: Send + 'static,
    R: Send + 'static,
    J: FnMut(Vec<LenientItem<T>>) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Vec<LenientItem<R>>, Error>> + Send + 'static,
{
    let mut guard = RecentUuids::default();
    listing
        // The listing ends at its first error: the batch it ends is joined,
        // then the error comes.
        .chunks(BATCH)
        .map(move |items| {
            let mut batch = Vec::with_capacity(items.len());
            let mut failure = None;
            for item in items {
                match item {
                    // Records that do not decode have no uuid to tell: they all pass.
                    Ok(Ok(record)) if uuid(&record).is_some_and(|uuid| !guard.first_time(uuid)) => {}
                    Ok(record) => batch.push(record),
                    Err(error) => {
                        failure = Some(error);
                        break;
                    }
                }
            }
            let rows = join(batch);
            async move {
                let mut rows = match rows.await {
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

/// `rows` up to and with the first error, and nothing after it: a batch joined
/// after a failed one, or a later stage, does not come once the export failed.
pub(super) fn until_error<R: Send + 'static>(
    rows: impl futures::Stream<Item = Result<R, Error>> + Send + 'static,
) -> BoxStream<'static, Result<R, Error>> {
    rows.scan(false, |failed, row| {
        if *failed {
            return futures::future::ready(None);
        }
        *failed = row.is_err();
        futures::future::ready(Some(row))
    })
    .boxed()
}
