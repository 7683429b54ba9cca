//! Incremental exports: where the last run ended, and the rows of a run that
//! changed since.
//!
//! A run starts by asking the API for the latest `updated_at` among the records
//! that match (one request, newest first). That time, not the largest among
//! the rows, is where the next run starts: rows come in uuid order, so a record
//! passed early and changed later may carry an `updated_at` smaller than a row
//! listed after it.
//!
//! The next run lists what changed at or after that time less [`OVERLAP`], so a
//! record the API stamps a little late (clock skew between its servers) is not
//! missed. The rows of that overlap the last run gave are remembered with
//! their `updated_at` and not given again unless they changed.

use std::collections::HashMap;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::stream::{BoxStream, Stream, StreamExt};
use serde::{Deserialize, Serialize};

use crate::paginate::LenientItem;
use crate::{Error, Timestamp};

/// How far before the last run's end the next one starts listing.
pub const OVERLAP: Duration = Duration::from_secs(10 * 60);
/// The most rows of the overlap a state remembers. Past it, the rest are given
/// again by the next run (never lost), and a warning says so.
pub const RECENT_CAP: usize = 100_000;

const VERSION: u32 = 1;

/// Where an incremental export ended: what the next run starts from. Save it
/// (as [`ExportState::to_json`] gives it) only after the run's output is safely
/// written; a run that fails leaves the saved state as it was.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportState {
    version: u32,
    export: String,
    filters: serde_json::Value,
    since: Option<Timestamp>,
    recent: Vec<(String, Timestamp)>,
}

/// Why a saved state cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    /// The text is not a state this version of the SDK writes.
    #[error("not an export state this version can read ({0}); delete it to export everything again")]
    Unreadable(String),
    /// The state is another export's.
    #[error("it is the state of `{found}`, not of `{wanted}`: give each export its own state file")]
    OtherExport {
        /// The export that wrote it.
        found: String,
        /// The export given it.
        wanted: String,
    },
    /// The state was written with other filters: continuing from it would skip
    /// records.
    #[error(
        "it was written with other filters ({found}; now {wanted}): use another state file for these \
         filters, or delete it to export everything again (relative times such as 30d change every run: \
         give an absolute time)"
    )]
    OtherFilters {
        /// The filters it was written with, as JSON (or "no filters").
        found: String,
        /// The filters given, as JSON (or "no filters").
        wanted: String,
    },
}

impl ExportState {
    /// Reads a state saved by [`ExportState::to_json`].
    pub fn from_json(bytes: &[u8]) -> Result<Self, StateError> {
        let state: Self = serde_json::from_slice(bytes).map_err(|e| StateError::Unreadable(e.to_string()))?;
        if state.version != VERSION {
            return Err(StateError::Unreadable(format!("version {}", state.version)));
        }
        Ok(state)
    }

    /// The state as JSON, to save.
    pub fn to_json(&self) -> Vec<u8> {
        let mut json = serde_json::to_vec_pretty(self).expect("a state is plain JSON");
        json.push(b'\n');
        json
    }

    /// Where the next run starts, before [`OVERLAP`]: the latest `updated_at`
    /// of a matching record when the last run began (`None` when none matched).
    pub fn since(&self) -> Option<Timestamp> {
        self.since
    }

    /// Checks that this state may continue `export` with `filters`.
    pub(super) fn check(&self, export: &str, filters: &serde_json::Value) -> Result<(), StateError> {
        if self.export != export {
            return Err(StateError::OtherExport {
                found: self.export.clone(),
                wanted: export.to_string(),
            });
        }
        if &self.filters != filters {
            let said = |filters: &serde_json::Value| match filters.as_object() {
                Some(fields) if fields.is_empty() => "no filters".to_string(),
                _ => filters.to_string(),
            };
            return Err(StateError::OtherFilters {
                found: said(&self.filters),
                wanted: said(filters),
            });
        }
        Ok(())
    }

    /// Where a run continuing this state lists from: its `since` less [`OVERLAP`].
    pub(super) fn list_from(&self) -> Option<Timestamp> {
        self.since.map(|t| before(t, OVERLAP))
    }
}

fn before(t: Timestamp, d: Duration) -> Timestamp {
    let t: chrono::DateTime<chrono::Utc> = t.into();
    (t - chrono::Duration::from_std(d).unwrap_or(chrono::TimeDelta::MAX)).into()
}

/// How a run that continues `previous` starts: the fingerprint of `filters`
/// (checked against the state's), the `updated_after` it lists from, and the
/// bound the newest stamp is asked above (among stamped records only: a store
/// may sort a missing stamp first).
pub(super) struct Start {
    pub(super) fingerprint: serde_json::Value,
    pub(super) list_from: Option<Timestamp>,
    pub(super) stamped_from: Timestamp,
}

impl Start {
    /// Refuses a state of another export or other filters.
    pub(super) fn of(
        export: &str,
        filters: &impl Serialize,
        updated_after: Option<Timestamp>,
        previous: Option<&ExportState>,
    ) -> Result<Self, Error> {
        let fingerprint = fingerprint(filters);
        if let Some(state) = previous {
            state.check(export, &fingerprint)?;
        }
        Ok(Self {
            fingerprint,
            list_from: later(updated_after, previous.and_then(ExportState::list_from)),
            stamped_from: later(updated_after, Some(super::window::epoch())).expect("a bound"),
        })
    }
}

/// What a state remembers of the filters: the ones set. A filter left unset
/// (null, or a list with no values) is not part of it, so that a filter added
/// in a later version does not make earlier states belong to other filters.
fn fingerprint(filters: &impl Serialize) -> serde_json::Value {
    let mut value = serde_json::to_value(filters).expect("filters are plain JSON");
    if let Some(fields) = value.as_object_mut() {
        fields.retain(|_, v| !(v.is_null() || v.as_array().is_some_and(Vec::is_empty)));
    }
    value
}

/// The later of two optional bounds.
pub(super) fn later(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<Timestamp> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// What a record is known by across runs: its uuid and when it last changed.
pub(super) type Key<R> = fn(&R) -> Option<(&str, Timestamp)>;

/// The rows of an incremental run, and the state it leaves once it has ended
/// without an error ([`Incremental::next_state`]).
pub struct Incremental<R> {
    rows: BoxStream<'static, Result<LenientItem<R>, Error>>,
    key: Key<R>,
    next: ExportState,
    /// The rows of the last run's overlap (uuid, `updated_at`), not given
    /// again unless changed.
    given: HashMap<String, Timestamp>,
    keep_from: Option<Timestamp>,
    skipped: u64,
    ended: bool,
    failed: bool,
}

/// How the newest matching record is asked for: one record, newest first.
pub(super) fn newest_first() -> Vec<String> {
    vec!["updated_at,desc".to_string()]
}

impl<R> Incremental<R> {
    /// Begins an incremental run of `export` with `filters` (whose own
    /// `updated_after` is `updated_after`), continuing `previous`: refuses a
    /// state of another export or other filters before any request, asks
    /// `newest` for the newest `updated_at` changed from the state's stamp on,
    /// and lists with `rows` from where the state says to start.
    pub(super) async fn begin<F, N>(
        export: &str,
        filters: &F,
        updated_after: Option<Timestamp>,
        previous: Option<ExportState>,
        newest: impl FnOnce(Timestamp) -> N,
        rows: impl FnOnce(Option<Timestamp>) -> BoxStream<'static, Result<LenientItem<R>, Error>>,
        key: Key<R>,
    ) -> Result<Self, Error>
    where
        F: Serialize,
        N: std::future::Future<Output = Result<Option<Timestamp>, Error>>,
    {
        let start = Start::of(export, filters, updated_after, previous.as_ref())?;
        let latest = newest(start.stamped_from).await?;
        let rows = rows(start.list_from);
        Ok(Self::new(export, start.fingerprint, previous, latest, rows, key))
    }

    /// Starts a run of `export` with `filters`, continuing `previous`, whose
    /// listing (from [`ExportState::list_from`]) is `rows`; `latest` is the
    /// newest `updated_at` matching when the run began.
    fn new(
        export: &str,
        filters: serde_json::Value,
        previous: Option<ExportState>,
        latest: Option<Timestamp>,
        rows: BoxStream<'static, Result<LenientItem<R>, Error>>,
        key: Key<R>,
    ) -> Self {
        let (given, since) = match previous {
            Some(state) => (state.recent.into_iter().collect(), later(state.since, latest)),
            None => (HashMap::new(), latest),
        };
        Self {
            rows,
            key,
            next: ExportState {
                version: VERSION,
                export: export.to_string(),
                filters,
                since,
                recent: Vec::new(),
            },
            given,
            keep_from: since.map(|t| before(t, OVERLAP)),
            skipped: 0,
            ended: false,
            failed: false,
        }
    }

    /// The state for the next run: `Some` only once every row has come and no
    /// error ended the run.
    pub fn next_state(&self) -> Option<ExportState> {
        if !self.ended || self.failed {
            return None;
        }
        if self.next.recent.len() >= RECENT_CAP {
            tracing::warn!(
                cap = RECENT_CAP,
                "more records changed within the overlap than the state keeps: the next run gives some again"
            );
        }
        Some(self.next.clone())
    }

    /// Rows this run passed over because the last run gave them unchanged.
    pub fn skipped(&self) -> u64 {
        self.skipped
    }

    /// Whether `row` is given: false when the last run gave it unchanged.
    fn take(&mut self, row: &R) -> bool {
        let Some((uuid, updated_at)) = (self.key)(row) else {
            return true;
        };
        let new = self.given.get(uuid) != Some(&updated_at);
        if self.keep_from.is_some_and(|from| updated_at >= from) && self.next.recent.len() < RECENT_CAP {
            self.next.recent.push((uuid.to_string(), updated_at));
        }
        if !new {
            self.skipped += 1;
        }
        new
    }
}

impl<R> Stream for Incremental<R> {
    type Item = Result<LenientItem<R>, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            let item = match this.rows.poll_next_unpin(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(item) => item,
            };
            match item {
                None => {
                    this.ended = true;
                    return Poll::Ready(None);
                }
                Some(Err(error)) => {
                    this.failed = true;
                    return Poll::Ready(Some(Err(error)));
                }
                Some(Ok(Ok(row))) if !this.take(&row) => continue,
                Some(item) => return Poll::Ready(Some(item)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn only_the_filters_set_make_the_fingerprint() {
        use crate::export::{MeasurementFilters, PartFilters};
        use serde_json::json;
        // As state files of earlier versions recorded them: unset filters left out.
        assert_eq!(fingerprint(&PartFilters::default()), json!({}));
        assert_eq!(fingerprint(&MeasurementFilters::default()), json!({}));
        let filters = PartFilters {
            status: Some(crate::enums::PrintedPartStatus::Complete),
            part_order_uuid: vec!["po-1".into()],
            // Moved by every incremental run: never part of it.
            updated_after: Some(at("2026-11-02T10:00:00Z")),
            ..PartFilters::default()
        };
        assert_eq!(
            fingerprint(&filters),
            json!({"status": "complete", "part_order_uuid": ["po-1"]})
        );
        // Print-time bounds are recorded at the top level, as they were before
        // they moved into `PrintTimes`: older state files still match.
        let mut bounded = PartFilters::default();
        bounded.print_times.started_after = Some(at("2026-11-01T00:00:00Z"));
        bounded.print_times.finished_before = Some(at("2026-11-08T00:00:00Z"));
        let recorded = fingerprint(&bounded);
        let keys: Vec<&String> = recorded.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["finished_before", "started_after"]);
        assert_eq!(
            recorded["started_after"],
            serde_json::to_value(at("2026-11-01T00:00:00Z")).unwrap()
        );
    }

    #[test]
    fn a_state_round_trips_and_refuses_other_exports_and_filters() {
        let filters = serde_json::json!({"status": "complete"});
        let state = ExportState {
            version: VERSION,
            export: "printed_parts".into(),
            filters: filters.clone(),
            since: Some(at("2026-12-01T10:00:00Z")),
            recent: vec![("a".into(), at("2026-12-01T09:55:00Z"))],
        };
        let read = ExportState::from_json(&state.to_json()).unwrap();
        assert_eq!(read, state);
        assert_eq!(read.list_from(), Some(at("2026-12-01T09:50:00Z")));
        read.check("printed_parts", &filters).unwrap();
        assert!(matches!(
            read.check("part_measurements", &filters),
            Err(StateError::OtherExport { .. })
        ));
        let other = read.check("printed_parts", &serde_json::json!({})).unwrap_err();
        assert!(other.to_string().contains("other filters"), "{other}");
    }

    #[test]
    fn a_broken_or_foreign_state_says_what_to_do() {
        for text in [
            &b"{"[..],
            b"[]",
            br#"{"version":9,"export":"x","filters":{},"since":null,"recent":[]}"#,
        ] {
            let error = ExportState::from_json(text).unwrap_err();
            assert!(matches!(error, StateError::Unreadable(_)));
            assert!(error.to_string().contains("delete it"), "{error}");
        }
    }

    #[test]
    fn the_overlap_a_run_gave_is_not_given_again_unless_changed() {
        let first = ExportState {
            version: VERSION,
            export: "x".into(),
            filters: serde_json::json!({}),
            since: Some(at("2026-12-01T10:00:00Z")),
            recent: vec![("a".into(), at("2026-12-01T09:55:00Z"))],
        };
        let key: Key<(String, Timestamp)> = |row| Some((row.0.as_str(), row.1));
        let rows = futures::stream::iter(vec![
            Ok(Ok(("a".to_string(), at("2026-12-01T09:55:00Z")))),
            Ok(Ok(("b".to_string(), at("2026-12-01T09:56:00Z")))),
            Ok(Ok(("a2".to_string(), at("2026-12-01T10:05:00Z")))),
        ])
        .boxed();
        let mut run = Incremental::new(
            "x",
            serde_json::json!({}),
            Some(first),
            Some(at("2026-12-01T10:05:00Z")),
            rows,
            key,
        );
        let given: Vec<_> = futures::executor::block_on((&mut run).map(|r| r.unwrap().unwrap().0).collect::<Vec<_>>());
        assert_eq!(given, ["b", "a2"]);
        assert_eq!(run.skipped(), 1);
        let next = run.next_state().expect("ended without an error");
        assert_eq!(next.since(), Some(at("2026-12-01T10:05:00Z")));
        // Kept from 09:55: all three, so none is given again next time.
        assert_eq!(next.recent.len(), 3);
    }

    #[test]
    fn a_run_that_fails_leaves_no_state() {
        let key: Key<(String, Timestamp)> = |row| Some((row.0.as_str(), row.1));
        let rows = futures::stream::iter(vec![Err(Error::Config("broken".into()))]).boxed();
        let mut run = Incremental::new("x", serde_json::json!({}), None, None, rows, key);
        let all: Vec<_> = futures::executor::block_on((&mut run).collect::<Vec<_>>());
        assert_eq!(all.len(), 1);
        assert_eq!(run.next_state(), None);
    }
}
