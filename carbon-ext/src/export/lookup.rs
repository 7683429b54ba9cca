//! Looking records up by id for a join: the ids a batch names that the cache
//! does not hold are asked for, 100 a request, and remembered found or not.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;

use super::cache::Recent;
use crate::Error;

/// A [`Lookup`] of the records of a listing: `$listing` (a builder) is asked for
/// the ids a batch needs, a chunk at a time with its `$filter` set to them (a
/// page holds a chunk: [`BATCH`](super::BATCH) records), and
/// each record is kept as the id and value that `$keyed` reads off it (a
/// record it gives none for is left out). One recipe for every join.
macro_rules! listing_lookup {
    ($capacity:expr, $listing:expr, $filter:ident, $keyed:expr) => {
        $crate::export::lookup::Lookup::new(
            $capacity,
            Box::new(move |ids| {
                use futures::{FutureExt, TryStreamExt};
                let listing = $listing.limit($crate::export::BATCH as u64);
                $crate::ChunkExt::chunked(listing, ids, |listing, ids| listing.$filter(ids))
                    .items()
                    .try_filter_map(|record| async move { Ok($keyed(&record)) })
                    .try_collect()
                    .boxed()
            }),
        )
    };
}
pub(super) use listing_lookup;

/// Asks the API for the records of some ids: each found as (id, value).
pub(super) type Fetch<V> =
    Box<dyn Fn(Vec<String>) -> BoxFuture<'static, Result<Vec<(String, V)>, Error>> + Send + Sync>;

/// A look-up of one kind of record, with its cache.
pub(super) struct Lookup<V> {
    cache: Mutex<Recent<V>>,
    fetch: Fetch<V>,
}

/// The records a batch joins, by id: `None` for an id the API did not return.
pub(super) type Found<V> = HashMap<String, Option<Arc<V>>>;

impl<V: Send + Sync + 'static> Lookup<V> {
    /// A look-up that keeps up to `capacity` records.
    pub(super) fn new(capacity: usize, fetch: Fetch<V>) -> Arc<Self> {
        Arc::new(Self {
            cache: Mutex::new(Recent::new(capacity)),
            fetch,
        })
    }

    /// The records of `ids`, asking only for those not cached.
    pub(super) async fn resolve<'i>(&self, ids: impl IntoIterator<Item = &'i str>) -> Result<Found<V>, Error> {
        let mut found: Found<V> = HashMap::new();
        let mut wanted = Vec::new();
        {
            let cache = lock(&self.cache);
            for id in ids {
                if found.contains_key(id) {
                    continue;
                }
                let known = cache.get(id);
                if known.is_none() {
                    wanted.push(id.to_string());
                }
                found.insert(id.to_string(), known.flatten());
            }
        }
        if wanted.is_empty() {
            return Ok(found);
        }
        for (id, value) in (self.fetch)(wanted.clone()).await? {
            if let Some(slot) = found.get_mut(&id) {
                *slot = Some(Arc::new(value));
            }
        }
        let mut cache = lock(&self.cache);
        for id in wanted {
            // An id not found is remembered too: it is not asked for again.
            let known = found.get(&id).cloned().flatten();
            cache.insert(id, known);
        }
        Ok(found)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
