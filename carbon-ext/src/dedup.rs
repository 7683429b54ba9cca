//! Each record once, by uuid: one home for the rule the API's guidance gives
//! (a list sorted by `updated_at` can show a record twice when it changes while
//! being paged, and items merged from several requests overlap). Records
//! without a uuid all pass.

use std::collections::HashSet;
use std::hash::Hash;

use carbon_api_gen::extras::HasUuid;
use futures::stream::{BoxStream, Stream, StreamExt, TryStreamExt};

use crate::Error;

/// The uuids seen so far.
#[derive(Debug, Default, Clone)]
pub struct SeenUuids(HashSet<String>);

impl SeenUuids {
    /// Whether a record with this uuid comes for the first time (and remembers
    /// it); a record without a uuid always does.
    pub fn first_time(&mut self, uuid: Option<&str>) -> bool {
        uuid.is_none_or(|uuid| self.0.insert(uuid.to_string()))
    }

    /// `records` without those whose uuid came before (here or earlier).
    pub fn keep_new<T: HasUuid>(&mut self, records: impl IntoIterator<Item = T>) -> Vec<T> {
        records.into_iter().filter(|r| self.first_time(r.uuid())).collect()
    }
}

/// De-duplication of item streams.
pub trait DedupExt: Stream + Sized {
    /// Drops items whose key was seen before (errors pass through).
    fn dedup_by_key<T, K, F>(self, mut key: F) -> BoxStream<'static, Result<T, Error>>
    where
        Self: Stream<Item = Result<T, Error>> + Send + 'static,
        T: Send + 'static,
        K: Hash + Eq + Send + 'static,
        F: FnMut(&T) -> K + Send + 'static,
    {
        let mut seen = HashSet::new();
        self.try_filter(move |item| std::future::ready(seen.insert(key(item))))
            .boxed()
    }

    /// Drops items whose uuid was seen before; items without uuid all pass.
    fn dedup_by_uuid<T>(self) -> BoxStream<'static, Result<T, Error>>
    where
        Self: Stream<Item = Result<T, Error>> + Send + 'static,
        T: HasUuid + Send + 'static,
    {
        let mut seen = SeenUuids::default();
        self.try_filter(move |item| std::future::ready(seen.first_time(item.uuid())))
            .boxed()
    }
}

impl<S: Stream + Sized> DedupExt for S {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_uuid_once_and_every_record_without_one() {
        let mut seen = SeenUuids::default();
        assert!(seen.first_time(Some("a")));
        assert!(!seen.first_time(Some("a")));
        assert!(seen.first_time(None));
        assert!(seen.first_time(None));
        assert!(seen.first_time(Some("b")));
    }
}
