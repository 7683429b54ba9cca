//! Cursor pages: filtered, sorted, with cursors that expire.

// Handlers answer with a finished response on both paths.
#![allow(clippy::result_large_err)]

use std::time::Instant;

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::reply::*;
use crate::query::{self, Query};

/// The API's cap on `total_count`.
const TOTAL_COUNT_CAP: usize = 10_000;

impl crate::SharedState {
    /// A signed storage URL for one `method` on `path`.
    pub(crate) fn storage_url(&self, method: &str, path: &str) -> String {
        self.signer
            .url(&self.storage_origin, method, path, self.config.presign_ttl)
    }

    /// One cursor page of `records` under `key`, filtered and sorted per the query.
    pub(crate) fn cursor_page(
        &self,
        query: &Query,
        records: Vec<Value>,
        key: &str,
        aliases: &[(&str, &str)],
    ) -> Result<Reply, Reply> {
        let limit = query.limit().map_err(bad)?;
        let mut records = query::filter(records, query, aliases).map_err(bad)?;
        query::sort(&mut records, query);
        let fingerprint = query.fingerprint();
        let offset = match query.one("cursor").filter(|c| !c.is_empty()) {
            None => 0,
            Some(cursor) => {
                let cursors = self.cursors.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                let (print, offset, expires) = cursors.get(cursor).ok_or_else(|| bad("unknown cursor"))?;
                if expires.is_some_and(|at| Instant::now() >= at) {
                    return Err(bad("cursor expired"));
                }
                if *print != fingerprint {
                    return Err(bad(
                        "the cursor belongs to another query: send the same filters, sort and limit",
                    ));
                }
                *offset
            }
        };
        let total = records.len();
        let page: Vec<Value> = records.into_iter().skip(offset).take(limit).collect();
        let next = offset + page.len();
        let next_cursor = if next < total {
            let cursor = uuid::Uuid::new_v4().simple().to_string();
            let mut cursors = self.cursors.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let now = Instant::now();
            cursors.retain(|_, (_, _, expires)| expires.is_none_or(|at| now < at));
            // `None`: a lifetime longer than the clock can hold never expires.
            cursors.insert(
                cursor.clone(),
                (fingerprint, next, now.checked_add(self.config.cursor_ttl)),
            );
            cursor
        } else {
            String::new()
        };
        Ok(json_reply(
            StatusCode::OK,
            &json!({key: page, "limit": limit, "next_cursor": next_cursor, "total_count": total.min(TOTAL_COUNT_CAP)}),
        ))
    }
}
