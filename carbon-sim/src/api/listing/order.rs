//! The order of a page: by key, or by indexed fields then key, as the query's
//! `sort` parameters ask; how two records compare in it, where a cursor resumes,
//! and the walk that reads a multi-key order run by run.

use std::cmp::Ordering;

use arcstr::ArcStr;

use super::super::paging::Position;
use crate::query::Query;
use crate::table::{Index, Probe, Scalar, Table, successor};

/// The order of a page.
pub(super) enum Order<'t, S> {
    /// By key.
    Key { descending: bool },
    /// By an indexed field, then by the `then` sort keys, then by key (in the first
    /// field's direction).
    Field {
        index: &'t Index<S>,
        descending: bool,
        then: Vec<Then<'t, S>>,
    },
}

/// A later sort key: an indexed field, or the key itself (`None`).
pub(super) struct Then<'t, S> {
    index: Option<&'t Index<S>>,
    descending: bool,
}

// By hand: a derive would ask `S: Clone` of the records, which only references here.
impl<S> Clone for Then<'_, S> {
    fn clone(&self) -> Self {
        Self {
            index: self.index,
            descending: self.descending,
        }
    }
}

impl<S> Clone for Order<'_, S> {
    fn clone(&self) -> Self {
        match self {
            Order::Key { descending } => Order::Key {
                descending: *descending,
            },
            Order::Field {
                index,
                descending,
                then,
            } => Order::Field {
                index,
                descending: *descending,
                then: then.clone(),
            },
        }
    }
}

impl<'t, S> Order<'t, S> {
    /// The order the query's `sort` parameters ask for: each the key itself (one
    /// of `key_names`) or an indexed field. `None` when one is a field without an
    /// index (the caller scans instead).
    pub(super) fn parse(table: &'t Table<S>, query: &Query, key_names: &[&str]) -> Option<Self> {
        let mut keys = Vec::new();
        for sort in query.all("sort") {
            let (name, descending) = match sort.split_once(',') {
                Some((name, dir)) => (name, dir.eq_ignore_ascii_case("desc")),
                None => (sort.as_str(), false),
            };
            let index = match table.index(name) {
                _ if key_names.contains(&name) => None,
                Some(index) => Some(index),
                None => return None,
            };
            keys.push(Then { index, descending });
        }
        // Keys are unique: whatever follows the key never decides anything.
        if let Some(at) = keys.iter().position(|k| k.index.is_none()) {
            keys.truncate(at + 1);
        }
        Some(match keys.split_first() {
            None => Order::Key { descending: false },
            Some((first, then)) => match first.index {
                None => Order::Key {
                    descending: first.descending,
                },
                Some(index) => Order::Field {
                    index,
                    descending: first.descending,
                    then: then.to_vec(),
                },
            },
        })
    }

    /// The sort values of a record, first field first (none in key order).
    fn values<'r>(&self, key: &'r str, record: &'r S) -> Vec<Probe<'r>> {
        match self {
            Order::Key { .. } => Vec::new(),
            Order::Field { index, then, .. } => std::iter::once(index.read(record))
                .chain(
                    then.iter()
                        .map(|t| t.index.map_or(Probe::Text(key), |i| i.read(record))),
                )
                .collect(),
        }
    }

    /// How two records (their sort values and keys) compare in this order.
    fn compare(&self, a: (&[Probe<'_>], &str), b: (&[Probe<'_>], &str)) -> Ordering {
        let directed = |ord: Ordering, descending: bool| if descending { ord.reverse() } else { ord };
        match self {
            Order::Key { descending } => directed(a.1.cmp(b.1), *descending),
            Order::Field { descending, then, .. } => {
                let directions = std::iter::once(*descending).chain(then.iter().map(|t| t.descending));
                a.0.iter()
                    .zip(b.0)
                    .zip(directions)
                    .map(|((x, y), d)| directed(x.cmp(y), d))
                    .find(|o| o.is_ne())
                    .unwrap_or_else(|| directed(a.1.cmp(b.1), *descending))
            }
        }
    }

    /// A record's place in this order, as a cursor keeps it.
    pub(super) fn place(&self, key: &str, record: &S) -> Position {
        match self {
            Order::Key { .. } => Position::After(key.to_string()),
            Order::Field { .. } => Position::Sorted(
                self.values(key, record).into_iter().map(owned).collect(),
                key.to_string(),
            ),
        }
    }
}

fn owned(probe: Probe<'_>) -> Scalar {
    match probe {
        Probe::Time(t) => Scalar::Time(t),
        Probe::Text(s) => Scalar::Text(ArcStr::from(s)),
        Probe::Missing => Scalar::Missing,
    }
}

/// A cursor position's sort values, to compare records with.
fn probes(values: &[Scalar]) -> Vec<Probe<'_>> {
    values.iter().map(Scalar::probe).collect()
}

/// Sorts matches into the page order and keeps those past `after`, at most one
/// more than a page; also the number of matches.
pub(super) fn sorted_matches<'r, S: 'r>(
    matches: impl Iterator<Item = (&'r ArcStr, &'r S)>,
    order: &Order<'_, S>,
    after: Option<&Position>,
    wanted: usize,
) -> (Vec<(&'r ArcStr, &'r S)>, usize) {
    let mut all: Vec<(Vec<Probe<'r>>, &'r ArcStr, &'r S)> = matches.map(|(k, r)| (order.values(k, r), k, r)).collect();
    all.sort_by(|a, b| order.compare((&a.0, a.1), (&b.0, b.1)));
    let total = all.len();
    let start = match after {
        None => 0,
        Some(position) => {
            let (values, key): (Vec<Probe<'_>>, &str) = match position {
                Position::Sorted(values, key) => (probes(values), key),
                Position::After(key) => (Vec::new(), key),
                Position::Offset(_) => return (Vec::new(), total),
            };
            // Everything up to and including the position was served already.
            all.partition_point(|(v, k, _)| order.compare((v, k), (&values, key)).is_le())
        }
    };
    let found = all
        .into_iter()
        .skip(start)
        .take(wanted)
        .map(|(_, k, r)| (k, r))
        .collect();
    (found, total)
}

/// Where to start reading the first field's index to resume past `after`: at
/// the start of its run, which is read and sorted again.
pub(super) fn run_start(after: Option<&Position>, descending: bool) -> Option<Position> {
    let Some(Position::Sorted(values, _)) = after else {
        return None;
    };
    let value = values.first()?;
    let start = if descending {
        // Walking down, the run starts past (above) its value's last key: at the
        // next value.
        successor(value)?
    } else {
        value.clone()
    };
    Some(Position::Sorted(vec![start], String::new()))
}

/// An index's (value, key) entries in some order.
pub(super) type Entries<'t> = Box<dyn Iterator<Item = &'t (Scalar, ArcStr)> + 't>;

/// A record with its sort values, as a run holds it.
type Sorted<'t, S> = (Vec<Probe<'t>>, &'t ArcStr, &'t S);

/// The records in the order of several sort keys: the first field's index read
/// run by run (the records holding one value), each run sorted by the later keys.
/// A page costs the runs it touches.
pub(super) struct RunWalk<'t, S> {
    table: &'t Table<S>,
    order: Order<'t, S>,
    entries: std::iter::Peekable<Entries<'t>>,
    run: std::vec::IntoIter<Sorted<'t, S>>,
    /// The position to resume past, in the first run read.
    past: Option<(Vec<Scalar>, String)>,
}

impl<'t, S> RunWalk<'t, S> {
    /// Reads `entries` (the first field's index in `order`, from
    /// [`run_start`]) and yields the records past `after`.
    pub(super) fn new(
        table: &'t Table<S>,
        order: Order<'t, S>,
        entries: Entries<'t>,
        after: Option<&Position>,
    ) -> Self {
        let past = match after {
            Some(Position::Sorted(values, key)) => Some((values.clone(), key.clone())),
            _ => None,
        };
        Self {
            table,
            order,
            entries: entries.peekable(),
            run: Vec::new().into_iter(),
            past,
        }
    }
}

impl<'t, S> Iterator for RunWalk<'t, S> {
    type Item = (&'t ArcStr, &'t S);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some((_, key, record)) = self.run.next() {
                return Some((key, record));
            }
            let (value, _) = self.entries.peek()?;
            let value = value.clone();
            let mut run: Vec<Sorted<'t, S>> = Vec::new();
            while let Some((_, key)) = self.entries.next_if(|(v, _)| *v == value) {
                if let Some((key, record)) = self.table.get_key_value(key) {
                    run.push((self.order.values(key, record), key, record));
                }
            }
            run.sort_by(|a, b| self.order.compare((&a.0, a.1), (&b.0, b.1)));
            if let Some((values, key)) = self.past.take() {
                let values = probes(&values);
                run.retain(|(v, k, _)| self.order.compare((v, k), (&values, &key)).is_gt());
            }
            self.run = run.into_iter();
        }
    }
}
