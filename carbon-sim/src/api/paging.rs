//! Cursor pages: filtered, sorted, with cursors that expire.

use std::time::Instant;

use axum::http::StatusCode;
use serde::Serialize;
use serde_json::Value;

use super::listing::{self, Planned, Shape, TOTAL_COUNT_CAP};
use super::reply::*;
use crate::query::{self, Query};
use crate::table::{Scalar, Table};

impl crate::SharedState {
    /// The position a request's cursor stands for, checked (known, not expired,
    /// sent with the query it was issued for); `None` without a cursor.
    fn position(&self, query: &Query, fingerprint: &str) -> Result<Option<Position>, Reply> {
        let Some(cursor) = query.one("cursor").filter(|c| !c.is_empty()) else {
            return Ok(None);
        };
        let cursors = self.cursors.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let (print, position, expires) = cursors.get(cursor).ok_or_else(|| bad("unknown cursor"))?;
        if expires.is_some_and(|at| Instant::now() >= at) {
            return Err(bad("cursor expired"));
        }
        if print != fingerprint {
            return Err(bad(
                "the cursor belongs to another query: send the same filters, sort and limit",
            ));
        }
        Ok(Some(position.clone()))
    }

    /// A new cursor for `position`.
    fn issue(&self, fingerprint: String, position: Position) -> String {
        let cursor = uuid::Uuid::new_v4().simple().to_string();
        let mut cursors = self.cursors.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = Instant::now();
        // Bounded like everything else held: at the cap, expired cursors go, then the
        // soonest to expire, a tenth of the cap at a time so that the work is rare
        // (not a scan on every page).
        let cap = self.config.retention.max(1);
        if cursors.len() >= cap {
            cursors.retain(|_, (_, _, expires)| expires.is_none_or(|at| now < at));
        }
        if cursors.len() >= cap {
            let keep = cap - cap.div_ceil(10);
            let mut by_expiry: Vec<(Option<Instant>, String)> =
                cursors.iter().map(|(k, (_, _, at))| (*at, k.clone())).collect();
            by_expiry.sort_by_key(|(at, _)| at.map_or((1, None), |at| (0, Some(at))));
            for (_, key) in by_expiry.into_iter().take(cursors.len().saturating_sub(keep)) {
                cursors.remove(&key);
            }
        }
        // `None`: a lifetime longer than the clock can hold never expires.
        cursors.insert(
            cursor.clone(),
            (fingerprint, position, now.checked_add(self.config.cursor_ttl)),
        );
        cursor
    }

    /// One cursor page of a table, each record shown through `view`, read through
    /// the table's indexes ([`listing::page`]): its cost follows the page, not the
    /// table. Queries the indexes cannot serve (several sort keys, a sort on a
    /// field without an index) fall back to [`Self::cursor_page`]. The JSON is
    /// written after the world lock is released.
    pub(crate) fn map_page<S, T, F>(
        &self,
        query: &Query,
        table: &Table<S>,
        view: F,
        key: &'static str,
        key_names: &[&str],
        aliases: &[(&str, &str)],
    ) -> Result<Reply, Reply>
    where
        T: Serialize + Send + 'static,
        F: Fn(&S) -> T,
    {
        let limit = query.limit().map_err(bad)?;
        let fingerprint = query.fingerprint();
        let position = self.position(query, &fingerprint)?;
        let json = |r: &S| to_value(&view(r));
        let shape = Shape {
            key_names,
            json: &json,
            aliases,
        };
        let (rows, next, total) = match listing::page(table, query, &shape, limit, position.as_ref()).map_err(bad)? {
            Planned::Page { rows, next, total } => (rows, next, total),
            Planned::Unplanned => {
                // Filtered as a planned page is (a filter may read what the
                // record does not show), then sorted in full.
                let values = listing::matching(table, query, &shape)
                    .map_err(bad)?
                    .map(json)
                    .collect();
                return self.sorted_page(query, values, key);
            }
        };
        let page: Vec<T> = rows.into_iter().map(|(_, r)| view(r)).collect();
        let next_cursor = next.map(|p| self.issue(fingerprint, p)).unwrap_or_default();
        let total = total.min(TOTAL_COUNT_CAP);
        Ok(deferred_json(StatusCode::OK, move || {
            let body = PageBody {
                key,
                items: &page,
                limit,
                next_cursor: &next_cursor,
                total_count: total,
            };
            serde_json::to_vec(&body).unwrap_or_default()
        }))
    }

    /// One cursor page of `records` under `key`, filtered and sorted per the query.
    pub(crate) fn cursor_page(
        &self,
        query: &Query,
        records: Vec<Value>,
        key: &str,
        aliases: &[(&str, &str)],
    ) -> Result<Reply, Reply> {
        let records = query::filter(records, query, aliases).map_err(bad)?;
        self.sorted_page(query, records, key)
    }

    /// One cursor page of `records` (already filtered) under `key`, sorted per the
    /// query.
    fn sorted_page(&self, query: &Query, mut records: Vec<Value>, key: &str) -> Result<Reply, Reply> {
        let limit = query.limit().map_err(bad)?;
        query::sort(&mut records, query);
        let fingerprint = query.fingerprint();
        let offset = match self.position(query, &fingerprint)? {
            None => 0,
            Some(Position::Offset(offset)) => offset,
            Some(_) => return Err(bad("unknown cursor")),
        };
        let total = records.len();
        let page: Vec<Value> = records.into_iter().skip(offset).take(limit).collect();
        let next = offset + page.len();
        let next_cursor = if next < total {
            self.issue(fingerprint, Position::Offset(next))
        } else {
            String::new()
        };
        let key = key.to_string();
        Ok(deferred_json(StatusCode::OK, move || {
            let body = PageBody {
                key: &key,
                items: &page,
                limit,
                next_cursor: &next_cursor,
                total_count: total.min(TOTAL_COUNT_CAP),
            };
            serde_json::to_vec(&body).unwrap_or_default()
        }))
    }
}

/// A page as the API sends it, written straight from the records (no JSON tree
/// in between).
struct PageBody<'a, T> {
    key: &'a str,
    items: &'a [T],
    limit: usize,
    next_cursor: &'a str,
    total_count: usize,
}

impl<T: Serialize> Serialize for PageBody<'_, T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(4))?;
        map.serialize_entry(self.key, self.items)?;
        map.serialize_entry("limit", &self.limit)?;
        map.serialize_entry("next_cursor", self.next_cursor)?;
        map.serialize_entry("total_count", &self.total_count)?;
        map.end()
    }
}

/// Where a cursor points: past a record in key order, past a (value, key) in an
/// indexed field's order, or at an offset into a fully sorted list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Position {
    /// After this key.
    After(String),
    /// After these values of the sort keys, then this key.
    Sorted(Vec<Scalar>, String),
    /// At this offset.
    Offset(usize),
}
