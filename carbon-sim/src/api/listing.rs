//! One page of a filtered, sorted list read through a [`Table`]'s indexes: which
//! index to read, in which order, from where, and which filters remain to be
//! checked on each record read.
//!
//! Cost, with `k` the page size: a page in key order or in an indexed field's
//! order costs about `k` reads, plus the records skipped by filters the source
//! does not answer. An equality filter on an indexed field reads only the
//! records that hold the value. What still grows with the data:
//! - a page sorted by one field and filtered by another, when the filter keeps
//!   under an eighth of the collection: it sorts the matches;
//! - a sort on several keys reads the first field's index a run (one value) at a
//!   time and sorts each run it touches by the later keys: cheap when the first
//!   field has many values (a date), as dear as the run when it has few (a status).
//!
//! A sort on a field without an index is left to the caller's full scan
//! ([`Planned::Unplanned`]).

use std::ops::Bound::{self, Excluded, Included, Unbounded};

use arcstr::ArcStr;
use serde_json::Value;

use super::paging::Position;
use crate::query::{self, CONTROL, Query};
use crate::table::{Index, Probe, Scalar, Table, nanos};

mod order;

use order::{Entries, Order, RunWalk, run_start, sorted_matches};

/// The API's cap on `total_count`: counting stops there.
pub(crate) const TOTAL_COUNT_CAP: usize = 10_000;

/// The outcome of planning a page.
pub(crate) enum Planned<'t, S> {
    /// The page: its records with their keys, where the next one starts, and the
    /// count of matches (exact up to [`TOTAL_COUNT_CAP`]).
    Page {
        rows: Vec<(&'t ArcStr, &'t S)>,
        next: Option<Position>,
        total: usize,
    },
    /// The query sorts by a field without an index.
    Unplanned,
}

/// How a list is described to the planner.
pub(crate) struct Shape<'a, S> {
    /// Query names that mean the table's key (`uuid`, and `build_uuid` for builds).
    pub key_names: &'a [&'a str],
    /// A record as JSON, for filters no index answers.
    pub json: &'a dyn Fn(&S) -> Value,
    /// Filter name to record field, for those filters.
    pub aliases: &'a [(&'a str, &'a str)],
}

/// A filter, in the form it is checked in.
enum Check<'t, 'q, S> {
    /// The record's key is one of these.
    Key(&'q [String]),
    /// The indexed text field holds one of these.
    Equal(&'t Index<S>, &'q [String]),
    /// The indexed instant is at or after `lower` and before `upper`.
    Range(&'t Index<S>, Option<i64>, Option<i64>),
}

impl<S> Check<'_, '_, S> {
    fn admits(&self, key: &str, record: &S) -> bool {
        match self {
            Self::Key(keys) => keys.iter().any(|k| k == key),
            Self::Equal(index, values) => match index.read(record) {
                Probe::Text(text) => values.iter().any(|v| v == text),
                _ => false,
            },
            Self::Range(index, lower, upper) => match index.read(record) {
                Probe::Time(at) => lower.is_none_or(|l| at >= l) && upper.is_none_or(|u| at < u),
                _ => false,
            },
        }
    }
}

/// An indexed instant's range: at or after, before.
type Bounds<'t, S> = (&'t Index<S>, Option<i64>, Option<i64>);

/// Every filter of a query, split into those checked on indexed values and those
/// (`rest`) checked on the record's JSON.
struct Filters<'t, 'q, S> {
    checks: Vec<Check<'t, 'q, S>>,
    rest: Query,
}

impl<'t, 'q, S> Filters<'t, 'q, S> {
    fn parse(table: &'t Table<S>, query: &'q Query, key_names: &[&str]) -> Result<Self, String> {
        let mut checks = Vec::new();
        let mut rest = Query::default();
        // Range bounds per indexed field, merged (several bounds keep the tightest).
        let mut ranges: Vec<Bounds<'t, S>> = Vec::new();
        for (key, values) in &query.0 {
            if CONTROL.contains(&key.as_str()) {
                continue;
            }
            let bound = key
                .strip_suffix("_after")
                .map(|base| (base, true))
                .or_else(|| key.strip_suffix("_before").map(|base| (base, false)));
            if let Some((base, lower)) = bound {
                let field = format!("{base}_at");
                let at = query::instant(&values[0]).map_err(|_| format!("{key} is not an ISO-8601 date-time"))?;
                let Some(index) = table.index(&field) else {
                    rest.0.insert(key.clone(), values.clone());
                    continue;
                };
                let at = nanos(&at.to_utc());
                let slot = match ranges.iter_mut().position(|(i, _, _)| i.name() == index.name()) {
                    Some(slot) => slot,
                    None => {
                        ranges.push((index, None, None));
                        ranges.len() - 1
                    }
                };
                let (_, low, high) = &mut ranges[slot];
                if lower {
                    *low = Some(low.map_or(at, |l| l.max(at)));
                } else {
                    *high = Some(high.map_or(at, |u| u.min(at)));
                }
            } else if key_names.contains(&key.as_str()) {
                checks.push(Check::Key(values));
            } else if let Some(index) = table.index(key) {
                checks.push(Check::Equal(index, values));
            } else {
                rest.0.insert(key.clone(), values.clone());
            }
        }
        checks.extend(ranges.into_iter().map(|(index, l, u)| Check::Range(index, l, u)));
        Ok(Self { checks, rest })
    }

    /// Whether `record` passes every filter but `skip` (the one its source answers).
    /// The index of the query's only filter, when that is a range.
    fn lone_range(&self) -> Option<&'t Index<S>> {
        match self.checks.as_slice() {
            [Check::Range(index, ..)] if self.rest.0.is_empty() => Some(*index),
            _ => None,
        }
    }

    fn admit(&self, key: &str, record: &S, skip: Option<usize>, shape: &Shape<'_, S>) -> bool {
        let indexed = self
            .checks
            .iter()
            .enumerate()
            .all(|(i, check)| Some(i) == skip || check.admits(key, record));
        indexed && (self.rest.0.is_empty() || matches_json(record, &self.rest, shape))
    }
}

fn matches_json<S>(record: &S, rest: &Query, shape: &Shape<'_, S>) -> bool {
    query::filter(vec![(shape.json)(record)], rest, shape.aliases).is_ok_and(|kept| !kept.is_empty())
}

/// Every record of `table` that passes the query's filters, checked as a planned
/// page checks them (indexed values first, then the JSON): for the queries the
/// planner leaves to a full sort.
pub(crate) fn matching<'t, S>(
    table: &'t Table<S>,
    query: &Query,
    shape: &Shape<'_, S>,
) -> Result<impl Iterator<Item = &'t S>, String> {
    let filters = Filters::parse(table, query, shape.key_names)?;
    Ok(table
        .iter()
        .filter(move |(k, r)| filters.admit(k, r, None, shape))
        .map(|(_, r)| r))
}

/// Plans and reads one page of `table` for `query`: `limit` records past `position`.
pub(crate) fn page<'t, S>(
    table: &'t Table<S>,
    query: &Query,
    shape: &Shape<'_, S>,
    limit: usize,
    position: Option<&Position>,
) -> Result<Planned<'t, S>, String> {
    let Some(order) = Order::parse(table, query, shape.key_names) else {
        return Ok(Planned::Unplanned);
    };
    // A cursor from the same query (the fingerprint checks it) has the order's shape.
    let after = match (position, &order) {
        (None, _) => None,
        (Some(p @ Position::After(_)), Order::Key { .. }) | (Some(p @ Position::Sorted(..)), Order::Field { .. }) => {
            Some(p)
        }
        _ => return Err("unknown cursor".into()),
    };
    let filters = Filters::parse(table, query, shape.key_names)?;
    let source = pick_source(table, &filters, &order);
    let wanted = limit + 1;
    let (mut found, total) = match source {
        Source::Keys { check, keys } => {
            let mut keys: Vec<&String> = keys.iter().collect();
            keys.sort();
            keys.dedup();
            let matches = keys
                .into_iter()
                .filter_map(|k| table.get_key_value(k.as_str()))
                .filter(|(k, r)| filters.admit(k, r, Some(check), shape));
            sorted_matches(matches, &order, after, wanted)
        }
        Source::Sorted { check, index, values } => {
            let matches = distinct(values)
                .flat_map(|v| index.keys_equal(v, None, false))
                .filter_map(|k| table.get_key_value(k))
                .filter(|(k, r)| filters.admit(k, r, Some(check), shape));
            sorted_matches(matches, &order, after, wanted)
        }
        Source::Runs {
            check,
            index,
            values,
            descending,
        } => {
            // Each value's keys are in key order: take the page from each, then merge.
            let past = match after {
                Some(Position::After(key)) => Some(key.as_str()),
                _ => None,
            };
            let mut found: Vec<(&ArcStr, &S)> = Vec::new();
            let mut total = 0;
            for value in distinct(values) {
                let admitted = |(k, r): &(&ArcStr, &S)| filters.admit(k, r, Some(check), shape);
                found.extend(
                    index
                        .keys_equal(value, past, descending)
                        .filter_map(|k| table.get_key_value(k))
                        .filter(admitted)
                        .take(wanted),
                );
                total += if filters.checks.len() == 1 && filters.rest.0.is_empty() {
                    index.count(value)
                } else {
                    index
                        .keys_equal(value, None, false)
                        .filter_map(|k| table.get_key_value(k))
                        .filter(admitted)
                        .take(TOTAL_COUNT_CAP)
                        .count()
                };
            }
            found.sort_by(|a, b| if descending { b.0.cmp(a.0) } else { a.0.cmp(b.0) });
            found.truncate(wanted);
            (found, total)
        }
        Source::Walk => {
            // A range filter on the order's own field bounds the walk: not checked again.
            let bounded = match &order {
                Order::Field { index, .. } => filters
                    .checks
                    .iter()
                    .position(|c| match c {
                        Check::Range(ranged, ..) => ranged.name() == index.name(),
                        _ => false,
                    })
                    .map(|i| (i, *index)),
                Order::Key { .. } => None,
            };
            let answered = bounded.map(|(i, _)| i);
            let admitted = |(k, r): &(&ArcStr, &S)| filters.admit(k, r, answered, shape);
            let rows = |after| walk_rows(table, &order, &filters, after);
            let found: Vec<(&ArcStr, &S)> = rows(after).filter(admitted).take(wanted).collect();
            let unchecked = filters.rest.0.is_empty() && (0..filters.checks.len()).all(|i| Some(i) == answered);
            let total = match (unchecked, bounded) {
                (true, None) => table.len(),
                // Counted on the index alone, without reading the records.
                (true, Some((_, index))) => walk(index, false, &filters, None).take(TOTAL_COUNT_CAP).count(),
                // A lone range filter on another field: counted on that field's
                // index too, not by reading the records from the start.
                (false, _) => match filters.lone_range() {
                    Some(index) => walk(index, false, &filters, None).take(TOTAL_COUNT_CAP).count(),
                    None => rows(None).filter(admitted).take(TOTAL_COUNT_CAP).count(),
                },
            };
            (found, total)
        }
    };
    let next = if found.len() > limit {
        found.truncate(limit);
        found.last().map(|(k, r)| order.place(k, r))
    } else {
        None
    };
    Ok(Planned::Page {
        rows: found,
        next,
        total,
    })
}

/// Where the records of a page are read from; `check` is the place of the filter
/// the source answers (not checked again on each record).
enum Source<'t, 'q, S> {
    /// The records named by a key filter.
    Keys { check: usize, keys: &'q [String] },
    /// Every record with the values of an equality filter, sorted.
    Sorted {
        check: usize,
        index: &'t Index<S>,
        values: &'q [String],
    },
    /// The page from each value's keys of an equality filter, merged in key order.
    Runs {
        check: usize,
        index: &'t Index<S>,
        values: &'q [String],
        descending: bool,
    },
    /// The page order itself (the table's key order or a field's index).
    Walk,
}

fn pick_source<'t, 'q, S>(table: &Table<S>, filters: &Filters<'t, 'q, S>, order: &Order<'_, S>) -> Source<'t, 'q, S> {
    let keys = filters.checks.iter().enumerate().find_map(|(check, c)| match c {
        Check::Key(keys) => Some(Source::Keys { check, keys }),
        _ => None,
    });
    if let Some(source) = keys {
        return source;
    }
    let smallest = filters
        .checks
        .iter()
        .enumerate()
        .filter_map(|(check, c)| match c {
            Check::Equal(index, values) => {
                let size = distinct(values).map(|v| index.count(v)).sum::<usize>();
                Some((size, check, *index, *values))
            }
            _ => None,
        })
        .min_by_key(|(size, check, ..)| (*size, *check));
    match (smallest, order) {
        (Some((_, check, index, values)), Order::Key { descending }) => Source::Runs {
            check,
            index,
            values,
            descending: *descending,
        },
        // Sorting the matches beats walking the order when they are few.
        (Some((size, check, index, values)), Order::Field { .. }) if size.saturating_mul(8) <= table.len() => {
            Source::Sorted { check, index, values }
        }
        _ => Source::Walk,
    }
}

/// Each value once, in order.
fn distinct(values: &[String]) -> impl Iterator<Item = &str> {
    let mut values: Vec<&str> = values.iter().map(String::as_str).collect();
    values.sort_unstable();
    values.dedup();
    values.into_iter()
}

/// The records in page order, past `after`, within the range filters on the
/// order's own field.
fn walk_rows<'t, S>(
    table: &'t Table<S>,
    order: &Order<'t, S>,
    filters: &Filters<'_, '_, S>,
    after: Option<&Position>,
) -> Box<dyn Iterator<Item = (&'t ArcStr, &'t S)> + 't> {
    let descending = match order {
        Order::Key { descending } => *descending,
        Order::Field {
            index,
            descending,
            then,
        } => {
            if then.is_empty() {
                return Box::new(walk(index, *descending, filters, after).filter_map(|k| table.get_key_value(k)));
            }
            // Read from the start of the position's run: the run is sorted again.
            let entries = walk_entries(index, *descending, filters, run_start(after, *descending).as_ref());
            return Box::new(RunWalk::new(table, order.clone(), entries, after));
        }
    };
    // In key order the records come straight from the table.
    let past = match after {
        Some(Position::After(key)) => Some(key.clone()),
        _ => None,
    };
    match (past, descending) {
        (None, false) => Box::new(table.iter()),
        (None, true) => Box::new(table.iter().rev()),
        (Some(key), false) => Box::new(table.range::<str, _>((Excluded(key.as_str()), Unbounded))),
        (Some(key), true) => Box::new(table.range::<str, _>((Unbounded, Excluded(key.as_str()))).rev()),
    }
}

/// The keys in an indexed field's order, past `after`, within the range filters
/// on that field.
fn walk<'t, S>(
    index: &'t Index<S>,
    descending: bool,
    filters: &Filters<'_, '_, S>,
    after: Option<&Position>,
) -> impl Iterator<Item = &'t str> + 't {
    walk_entries(index, descending, filters, after).map(|(_, k)| &**k)
}

/// The (value, key) entries behind [`walk`].
fn walk_entries<'t, S>(
    index: &'t Index<S>,
    descending: bool,
    filters: &Filters<'_, '_, S>,
    after: Option<&Position>,
) -> Entries<'t> {
    let (mut lower, mut upper): (Bound<Scalar>, Bound<Scalar>) = (Unbounded, Unbounded);
    for check in &filters.checks {
        if let Check::Range(ranged, l, u) = check
            && ranged.name() == index.name()
        {
            lower = l.map_or(Unbounded, |l| Included(Scalar::Time(l)));
            // Records without the instant (after every instant) are outside any range.
            upper = Excluded(u.map_or(Scalar::Text(ArcStr::from("")), Scalar::Time));
        }
    }
    let past = match after {
        Some(Position::Sorted(values, key)) => values.first().map(|v| (v.clone(), ArcStr::from(key.as_str()))),
        _ => None,
    };
    index.walk(lower, upper, past, descending)
}

#[cfg(test)]
mod tests {
    //! The planner against a plain scan: the same records, in the same order,
    //! whatever the query, the page size and the cursor.

    use super::*;
    use crate::table::Field;
    use serde_json::json;

    #[derive(Clone)]
    struct Row {
        colour: Option<String>,
        shape: String,
        seen_at: Option<carbon_api_gen::Timestamp>,
        note: String,
    }

    fn json(row: &Row) -> Value {
        json!({"colour": row.colour, "shape": row.shape, "seen_at": row.seen_at.map(|t| t.to_string()), "note": row.note})
    }

    fn at(seconds: i64) -> carbon_api_gen::Timestamp {
        chrono::DateTime::from_timestamp(1_800_000_000 + seconds, 0)
            .unwrap()
            .into()
    }

    fn table(rng: &mut fastrand::Rng, rows: usize) -> Table<Row> {
        let mut table = Table::new(vec![
            Field::new("colour", |r: &Row| Probe::text(r.colour.as_deref())),
            Field::new("shape", |r: &Row| Probe::Text(&r.shape)),
            Field::new("seen_at", |r: &Row| Probe::time(r.seen_at.as_ref())),
        ]);
        let colours = [Some("red"), Some("blue"), Some("green"), None];
        for i in 0..rows {
            let row = Row {
                // Pink is rare: a filter on it is small enough to be sorted.
                colour: if rng.u8(..30) == 0 {
                    Some("pink".to_string())
                } else {
                    colours[rng.usize(..colours.len())].map(String::from)
                },
                shape: ["cube", "ring", "cone"][rng.usize(..3)].to_string(),
                seen_at: (rng.u8(..10) > 0).then(|| at(rng.i64(0..40))),
                note: ["a", "b"][rng.usize(..2)].to_string(),
            };
            table.insert(format!("k{:03}", rng.u32(..1000) as usize * 1000 + i), row);
        }
        table
    }

    fn random_query(rng: &mut fastrand::Rng, keys: &[String]) -> Query {
        let mut q = Query::default();
        let mut add = |k: &str, v: String| q.0.entry(k.to_string()).or_default().push(v);
        if rng.u8(..3) == 0 {
            for _ in 0..rng.usize(1..3) {
                add("colour", ["red", "blue", "green", "pink"][rng.usize(..4)].to_string());
            }
        }
        if rng.u8(..4) == 0 {
            add("shape", ["cube", "ring"][rng.usize(..2)].to_string());
        }
        if rng.u8(..4) == 0 {
            add("seen_after", at(rng.i64(0..40)).to_string());
        }
        if rng.u8(..4) == 0 {
            add("seen_before", at(rng.i64(0..40)).to_string());
        }
        if rng.u8(..5) == 0 {
            add("note", "a".to_string());
        }
        if rng.u8(..6) == 0 {
            for _ in 0..rng.usize(1..6) {
                add("uuid", keys[rng.usize(..keys.len())].clone());
            }
        }
        let sorts = [
            "uuid",
            "uuid,desc",
            "colour",
            "colour,desc",
            "shape",
            "shape,desc",
            "seen_at",
            "seen_at,desc",
        ];
        if rng.u8(..3) > 0 {
            add("sort", sorts[rng.usize(..sorts.len())].to_string());
            // Sometimes a second and a third key.
            for _ in 0..rng.usize(0..3) {
                add("sort", sorts[rng.usize(..sorts.len())].to_string());
            }
        }
        q
    }

    /// What the planner must return: filtered on JSON, sorted by (value, key).
    fn scan(table: &Table<Row>, q: &Query) -> Vec<String> {
        let values: Vec<Value> = table
            .iter()
            .map(|(k, r)| {
                let mut v = json(r);
                v["uuid"] = json!(&**k);
                v
            })
            .collect();
        let kept = query::filter(values, q, &[]).unwrap();
        let mut keys: Vec<String> = kept.iter().map(|v| v["uuid"].as_str().unwrap().to_string()).collect();
        // Each sort key in its direction, then the key in the first one's.
        let sorts: Vec<(&str, bool)> = q
            .all("sort")
            .iter()
            .map(|s| match s.split_once(',') {
                Some((n, _)) => (n, true),
                None => (s.as_str(), false),
            })
            .collect();
        let value = |name: &str, k: &String| match name {
            "uuid" => Probe::Text(table.get_key_value(k.as_str()).unwrap().0),
            other => table.index(other).unwrap().read(&table[k]),
        };
        let first_descending = sorts.first().is_some_and(|(_, d)| *d);
        keys.sort_by(|a, b| {
            for (name, descending) in &sorts {
                let ord = value(name, a).cmp(&value(name, b));
                let ord = if *descending { ord.reverse() } else { ord };
                if ord.is_ne() {
                    return ord;
                }
            }
            let ord = a.cmp(b);
            if first_descending { ord.reverse() } else { ord }
        });
        keys
    }

    #[test]
    fn every_page_matches_a_plain_scan() {
        let mut rng = fastrand::Rng::with_seed(7);
        for round in 0..800 {
            let rows = rng.usize(0..60);
            let table = table(&mut rng, rows);
            let keys: Vec<String> = table.keys().map(|k| k.to_string()).collect();
            let keys = if keys.is_empty() {
                vec!["none".to_string()]
            } else {
                keys
            };
            let q = random_query(&mut rng, &keys);
            let expected = scan(&table, &q);
            let shape = Shape {
                key_names: &["uuid"],
                json: &json,
                aliases: &[],
            };
            let limit = rng.usize(1..8);
            let (mut served, mut position, mut pages) = (Vec::new(), None, 0);
            loop {
                let Planned::Page { rows, next, total } = page(&table, &q, &shape, limit, position.as_ref()).unwrap()
                else {
                    panic!("round {round}: {q:?} was not planned");
                };
                assert_eq!(total, expected.len(), "round {round}: total of {q:?}");
                assert!(rows.len() <= limit);
                served.extend(rows.into_iter().map(|(k, _)| k.to_string()));
                pages += 1;
                assert!(pages <= expected.len() / limit + 2, "round {round}: {q:?} does not end");
                match next {
                    Some(next) => position = Some(next),
                    None => break,
                }
            }
            assert_eq!(served, expected, "round {round}: {q:?} with limit {limit}");
        }
    }

    #[test]
    fn a_sort_on_a_field_without_an_index_is_left_to_the_scan() {
        let table = table(&mut fastrand::Rng::with_seed(1), 5);
        let shape = Shape {
            key_names: &["uuid"],
            json: &json,
            aliases: &[],
        };
        for sorts in [vec!["note"], vec!["colour", "note"]] {
            let mut q = Query::default();
            q.0.insert("sort".into(), sorts.iter().map(|s| s.to_string()).collect());
            assert!(matches!(page(&table, &q, &shape, 10, None), Ok(Planned::Unplanned)));
        }
    }
}
