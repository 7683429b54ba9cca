//! A keyed collection that keeps ordered indexes on the fields its list operation
//! filters and sorts by, so that a filtered or sorted page costs about what the
//! page holds, not what the collection holds.
//!
//! Reads go through `Deref` to the underlying `BTreeMap`; every change goes
//! through [`Table::insert`], [`Table::update`] or [`Table::remove`], which keep
//! the indexes true (the compiler refuses a `get_mut` that would bypass them).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Bound::{self, Excluded, Included, Unbounded};
use std::ops::Deref;
use std::sync::Arc;

/// A field's value as an index orders it. Missing values sort after every other.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Scalar {
    /// An instant, as nanoseconds since the epoch (so that instants written with
    /// different precisions still order by time).
    Time(i64),
    /// Text, compared byte-wise.
    Text(Arc<str>),
    /// The record has no value here.
    Missing,
}

/// A field's value read from a record without copying it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Probe<'a> {
    /// See [`Scalar::Time`].
    Time(i64),
    /// See [`Scalar::Text`].
    Text(&'a str),
    /// See [`Scalar::Missing`].
    Missing,
}

impl<'a> Probe<'a> {
    /// Text, or missing.
    pub(crate) fn text(value: Option<&'a str>) -> Self {
        value.map_or(Self::Missing, Self::Text)
    }

    /// An instant, or missing.
    pub(crate) fn time(value: Option<&carbon_api_gen::Timestamp>) -> Self {
        value.map_or(Self::Missing, |t| Self::Time(nanos(t)))
    }

    /// An instant the simulator keeps beside a record, or missing.
    pub(crate) fn instant(value: Option<chrono::DateTime<chrono::Utc>>) -> Self {
        value.map_or(Self::Missing, |t| Self::Time(nanos(&t)))
    }
}

/// Nanoseconds since the epoch, saturating outside the years 1677..2262.
pub(crate) fn nanos(at: &chrono::DateTime<chrono::Utc>) -> i64 {
    at.timestamp_nanos_opt()
        .unwrap_or(if at.timestamp() < 0 { i64::MIN } else { i64::MAX })
}

impl Scalar {
    /// The value as a probe, for comparing with records.
    pub(crate) fn probe(&self) -> Probe<'_> {
        match self {
            Self::Time(t) => Probe::Time(*t),
            Self::Text(s) => Probe::Text(s),
            Self::Missing => Probe::Missing,
        }
    }

    fn of(probe: Probe<'_>) -> Self {
        match probe {
            Probe::Time(t) => Self::Time(t),
            Probe::Text(s) => Self::Text(Arc::from(s)),
            Probe::Missing => Self::Missing,
        }
    }
}

/// An indexed field: the query name it is filtered and sorted by, and how to read it.
pub(crate) struct Field<T> {
    /// The name in the query string (`status`, `updated_at`, …).
    pub name: &'static str,
    /// Reads the value from a record.
    pub read: for<'a> fn(&'a T) -> Probe<'a>,
}

impl<T> Field<T> {
    /// A field named `name` read by `read`.
    pub(crate) fn new(name: &'static str, read: for<'a> fn(&'a T) -> Probe<'a>) -> Self {
        Self { name, read }
    }
}

/// One index: every (value, key) pair in order, and how many keys hold each text value.
pub(crate) struct Index<T> {
    field: Field<T>,
    entries: BTreeSet<(Scalar, Arc<str>)>,
    /// Keys per text value: an equality filter's size without walking it (and the
    /// place values are interned, so that a value is held once, not once per record).
    counts: HashMap<Arc<str>, usize>,
}

impl<T> Index<T> {
    fn new(field: Field<T>) -> Self {
        Self {
            field,
            entries: BTreeSet::new(),
            counts: HashMap::new(),
        }
    }

    /// The field's value in `record`.
    pub(crate) fn read<'a>(&self, record: &'a T) -> Probe<'a> {
        (self.field.read)(record)
    }

    fn add(&mut self, key: &Arc<str>, record: &T) {
        let value = match self.read(record) {
            Probe::Text(text) => {
                let interned = match self.counts.get_key_value(text) {
                    Some((interned, _)) => interned.clone(),
                    None => Arc::from(text),
                };
                *self.counts.entry(interned.clone()).or_insert(0) += 1;
                Scalar::Text(interned)
            }
            other => Scalar::of(other),
        };
        self.entries.insert((value, key.clone()));
    }

    fn drop_entry(&mut self, key: &Arc<str>, record: &T) {
        let value = match self.read(record) {
            // The interned text, shared, not a new copy.
            Probe::Text(text) => match self.counts.get_key_value(text) {
                Some((interned, &count)) => {
                    let interned = interned.clone();
                    if count <= 1 {
                        self.counts.remove(text);
                    } else {
                        self.counts.insert(interned.clone(), count - 1);
                    }
                    Scalar::Text(interned)
                }
                None => Scalar::Text(Arc::from(text)),
            },
            other => Scalar::of(other),
        };
        self.entries.remove(&(value, key.clone()));
    }

    /// How many records hold the text `value`.
    pub(crate) fn count(&self, value: &str) -> usize {
        self.counts.get(value).copied().unwrap_or(0)
    }

    /// The query name of the indexed field.
    pub(crate) fn name(&self) -> &'static str {
        self.field.name
    }

    /// The keys of the records holding the text `value`, in key order (or its
    /// reverse), past the key `past` in that order.
    pub(crate) fn keys_equal<'s>(
        &'s self,
        value: &str,
        past: Option<&str>,
        descending: bool,
    ) -> impl Iterator<Item = &'s Arc<str>> + 's {
        let value = Scalar::Text(Arc::from(value));
        let after = past.map(|key| (value.clone(), Arc::from(key)));
        self.walk(Included(value.clone()), Included(value), after, descending)
            .map(|(_, k)| k)
    }

    /// Every (value, key) between two bounds of values, ascending or descending,
    /// starting past `after` (a position in that same order).
    pub(crate) fn walk<'s>(
        &'s self,
        lower: Bound<Scalar>,
        upper: Bound<Scalar>,
        after: Option<(Scalar, Arc<str>)>,
        descending: bool,
    ) -> Box<dyn Iterator<Item = &'s (Scalar, Arc<str>)> + 's> {
        // Bounds on values as bounds on (value, key) pairs: the empty key is the
        // least, so a value's run starts at (value, "") and an inclusive upper
        // bound ends where the next value would start.
        let lowest = |v: Scalar| (v, Arc::<str>::from(""));
        let mut from = match lower {
            Included(v) => Included(lowest(v)),
            Excluded(v) => match successor(&v) {
                Some(next) => Included(lowest(next)),
                None => return Box::new(std::iter::empty()),
            },
            Unbounded => Unbounded,
        };
        let mut to = match upper {
            Excluded(v) => Excluded(lowest(v)),
            Included(v) => successor(&v).map_or(Unbounded, |next| Excluded(lowest(next))),
            Unbounded => Unbounded,
        };
        if let Some(position) = after {
            if descending {
                to = Excluded(position);
            } else {
                from = Excluded(position);
            }
        }
        // `range` panics on an inverted range; such a range is empty.
        if let (Included(a) | Excluded(a), Included(b) | Excluded(b)) = (&from, &to)
            && (a > b || (a == b && !matches!((&from, &to), (Included(_), Included(_)))))
        {
            return Box::new(std::iter::empty());
        }
        let range = self.entries.range((from, to));
        if descending {
            Box::new(range.rev())
        } else {
            Box::new(range)
        }
    }
}

/// The least value greater than `value`, if there is one.
pub(crate) fn successor(value: &Scalar) -> Option<Scalar> {
    match value {
        Scalar::Time(t) => Some(t.checked_add(1).map_or(Scalar::Text(Arc::from("")), Scalar::Time)),
        // No text lies between `s` and `s` followed by a NUL.
        Scalar::Text(s) => Some(Scalar::Text(Arc::from(format!("{s}\0").as_str()))),
        Scalar::Missing => None,
    }
}

/// A keyed collection with indexes.
pub(crate) struct Table<T> {
    rows: BTreeMap<String, T>,
    indexes: Vec<Index<T>>,
}

impl<T> Deref for Table<T> {
    type Target = BTreeMap<String, T>;

    fn deref(&self) -> &Self::Target {
        &self.rows
    }
}

impl<T> Table<T> {
    /// An empty table indexed on `fields`.
    pub(crate) fn new(fields: Vec<Field<T>>) -> Self {
        Self {
            rows: BTreeMap::new(),
            indexes: fields.into_iter().map(Index::new).collect(),
        }
    }

    /// The index on the field named `name`.
    pub(crate) fn index(&self, name: &str) -> Option<&Index<T>> {
        self.indexes.iter().find(|i| i.field.name == name)
    }

    /// Adds or replaces the record under `key`.
    pub(crate) fn insert(&mut self, key: String, record: T) -> Option<T> {
        let shared: Arc<str> = Arc::from(key.as_str());
        let old = self.rows.remove(&key);
        if let Some(old) = &old {
            self.indexes.iter_mut().for_each(|i| i.drop_entry(&shared, old));
        }
        self.indexes.iter_mut().for_each(|i| i.add(&shared, &record));
        self.rows.insert(key, record);
        old
    }

    /// Changes the record under `key` with `change`; `None` if there is none.
    pub(crate) fn update<R>(&mut self, key: &str, change: impl FnOnce(&mut T) -> R) -> Option<R> {
        let record = self.rows.get_mut(key)?;
        let shared: Arc<str> = Arc::from(key);
        self.indexes.iter_mut().for_each(|i| i.drop_entry(&shared, record));
        let result = change(record);
        self.indexes.iter_mut().for_each(|i| i.add(&shared, record));
        Some(result)
    }

    /// Removes the record under `key`.
    pub(crate) fn remove(&mut self, key: &str) -> Option<T> {
        let record = self.rows.remove(key)?;
        let shared: Arc<str> = Arc::from(key);
        self.indexes.iter_mut().for_each(|i| i.drop_entry(&shared, &record));
        Some(record)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Row {
        colour: Option<&'static str>,
        at: i64,
    }

    fn table() -> Table<Row> {
        let mut t = Table::new(vec![
            Field::new("colour", |r: &Row| Probe::text(r.colour)),
            Field::new("at", |r: &Row| Probe::Time(r.at)),
        ]);
        for (key, colour, at) in [
            ("a", Some("red"), 3),
            ("b", Some("blue"), 1),
            ("c", Some("red"), 2),
            ("d", None, 2),
        ] {
            t.insert(key.into(), Row { colour, at });
        }
        t
    }

    fn keys<'a>(it: impl Iterator<Item = &'a (Scalar, Arc<str>)>) -> Vec<String> {
        it.map(|(_, k)| k.to_string()).collect()
    }

    #[test]
    fn equality_lookups_follow_updates_and_removals() {
        let mut t = table();
        let colour = t.index("colour").unwrap();
        assert_eq!(colour.count("red"), 2);
        let red: Vec<_> = colour.keys_equal("red", None, false).map(|k| k.to_string()).collect();
        assert_eq!(red, ["a", "c"]);
        let after: Vec<_> = colour
            .keys_equal("red", Some("a"), false)
            .map(|k| k.to_string())
            .collect();
        assert_eq!(after, ["c"]);
        let backwards: Vec<_> = colour.keys_equal("red", None, true).map(|k| k.to_string()).collect();
        assert_eq!(backwards, ["c", "a"]);
        let before: Vec<_> = colour
            .keys_equal("red", Some("c"), true)
            .map(|k| k.to_string())
            .collect();
        assert_eq!(before, ["a"]);
        assert_eq!(colour.keys_equal("re", None, false).count(), 0);
        t.update("c", |r| r.colour = Some("blue"));
        t.remove("b");
        let colour = t.index("colour").unwrap();
        assert_eq!((colour.count("red"), colour.count("blue")), (1, 1));
        let blue: Vec<_> = colour.keys_equal("blue", None, false).map(|k| k.to_string()).collect();
        assert_eq!(blue, ["c"]);
        t.insert("a".into(), Row { colour: None, at: 9 });
        assert_eq!(t.index("colour").unwrap().count("red"), 0);
        assert_eq!(t.len(), 3);
    }

    #[test]
    fn walks_in_both_directions_within_bounds_and_past_a_position() {
        let t = table();
        let at = t.index("at").unwrap();
        assert_eq!(keys(at.walk(Unbounded, Unbounded, None, false)), ["b", "c", "d", "a"]);
        assert_eq!(keys(at.walk(Unbounded, Unbounded, None, true)), ["a", "d", "c", "b"]);
        let two = || Scalar::Time(2);
        assert_eq!(keys(at.walk(Included(two()), Unbounded, None, false)), ["c", "d", "a"]);
        assert_eq!(keys(at.walk(Unbounded, Excluded(two()), None, false)), ["b"]);
        assert_eq!(keys(at.walk(Unbounded, Included(two()), None, false)), ["b", "c", "d"]);
        assert_eq!(keys(at.walk(Unbounded, Included(two()), None, true)), ["d", "c", "b"]);
        let past_c = Some((two(), Arc::from("c")));
        assert_eq!(keys(at.walk(Unbounded, Unbounded, past_c.clone(), false)), ["d", "a"]);
        assert_eq!(keys(at.walk(Unbounded, Unbounded, past_c, true)), ["b"]);
        // Missing values come last.
        let colour = t.index("colour").unwrap();
        assert_eq!(
            keys(colour.walk(Unbounded, Unbounded, None, false)),
            ["b", "a", "c", "d"]
        );
    }
}
