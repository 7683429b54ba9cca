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

use arcstr::ArcStr;

/// A field's value as an index orders it. Missing values sort after every other.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Scalar {
    /// An instant, as nanoseconds since the epoch (so that instants written with
    /// different precisions still order by time).
    Time(i64),
    /// Text, compared byte-wise.
    Text(ArcStr),
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
            Probe::Text(s) => Self::Text(ArcStr::from(s)),
            Probe::Missing => Self::Missing,
        }
    }
}

/// An indexed field: the query name it is filtered and sorted by, and how to read it.
pub(crate) struct Field<T> {
    /// The name in the query string (`status`, `updated_at`, …).
    pub name: &'static str,
    read: Reader<T>,
}

/// How an index reads its field from a record.
enum Reader<T> {
    /// Any value; text is interned and counted per value.
    Value(for<'a> fn(&'a T) -> Probe<'a>),
    /// Text the records already hold shared, about one value per record
    /// (another table's keys: a printed part's `part_uuid`). The index holds that
    /// allocation instead of a copy, and counts a value by walking its run
    /// instead of keeping a count per value.
    Shared(for<'a> fn(&'a T) -> Option<&'a ArcStr>),
}

impl<T> Field<T> {
    /// A field named `name` read by `read`.
    pub(crate) fn new(name: &'static str, read: for<'a> fn(&'a T) -> Probe<'a>) -> Self {
        Self {
            name,
            read: Reader::Value(read),
        }
    }

    /// A field named `name` whose values are shared text that `read` returns
    /// (see [`Reader::Shared`]).
    pub(crate) fn shared(name: &'static str, read: for<'a> fn(&'a T) -> Option<&'a ArcStr>) -> Self {
        Self {
            name,
            read: Reader::Shared(read),
        }
    }
}

/// One index: every (value, key) pair in order, and how many keys hold each text value.
pub(crate) struct Index<T> {
    field: Field<T>,
    entries: BTreeSet<(Scalar, ArcStr)>,
    /// Keys per text value: an equality filter's size without walking it (and the
    /// place values are interned, so that a value is held once, not once per record).
    counts: HashMap<ArcStr, usize>,
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
        match self.field.read {
            Reader::Value(read) => read(record),
            Reader::Shared(read) => Probe::text(read(record).map(|s| &**s)),
        }
    }

    fn add(&mut self, key: &ArcStr, record: &T) {
        let value = self.counted(record);
        self.entries.insert((value, key.clone()));
    }

    /// The field's value in `record`, counted (and its text interned) as held
    /// once more.
    fn counted(&mut self, record: &T) -> Scalar {
        if let Reader::Shared(read) = self.field.read {
            return read(record).map_or(Scalar::Missing, |s| Scalar::Text(s.clone()));
        }
        match self.read(record) {
            Probe::Text(text) => {
                let interned = match self.counts.get_key_value(text) {
                    Some((interned, _)) => interned.clone(),
                    None => ArcStr::from(text),
                };
                *self.counts.entry(interned.clone()).or_insert(0) += 1;
                Scalar::Text(interned)
            }
            other => Scalar::of(other),
        }
    }

    /// The field's value in `record` as the index holds it: text interned, not
    /// copied, when the index has it.
    fn scalar_of(&self, record: &T) -> Scalar {
        if let Reader::Shared(read) = self.field.read {
            return read(record).map_or(Scalar::Missing, |s| Scalar::Text(s.clone()));
        }
        match self.read(record) {
            Probe::Text(text) => match self.counts.get_key_value(text) {
                Some((interned, _)) => Scalar::Text(interned.clone()),
                None => Scalar::Text(ArcStr::from(text)),
            },
            other => Scalar::of(other),
        }
    }

    fn drop_entry(&mut self, key: &ArcStr, record: &T) {
        let value = self.scalar_of(record);
        self.drop_value(key, value);
    }

    /// Removes the entry of `key` holding `value`.
    fn drop_value(&mut self, key: &ArcStr, value: Scalar) {
        if let Scalar::Text(text) = &value
            && let Some(count) = self.counts.get_mut(text)
        {
            *count -= 1;
            if *count == 0 {
                self.counts.remove(text);
            }
        }
        self.entries.remove(&(value, key.clone()));
    }

    /// How many records hold the text `value`.
    pub(crate) fn count(&self, value: &str) -> usize {
        if let Reader::Shared(_) = self.field.read {
            return self.keys_equal(value, None, false).count();
        }
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
    ) -> impl Iterator<Item = &'s ArcStr> + 's {
        let value = Scalar::Text(ArcStr::from(value));
        let after = past.map(|key| (value.clone(), ArcStr::from(key)));
        self.walk(Included(value.clone()), Included(value), after, descending)
            .map(|(_, k)| k)
    }

    /// Every (value, key) between two bounds of values, ascending or descending,
    /// starting past `after` (a position in that same order).
    pub(crate) fn walk<'s>(
        &'s self,
        lower: Bound<Scalar>,
        upper: Bound<Scalar>,
        after: Option<(Scalar, ArcStr)>,
        descending: bool,
    ) -> Box<dyn Iterator<Item = &'s (Scalar, ArcStr)> + 's> {
        // Bounds on values as bounds on (value, key) pairs: the empty key is the
        // least, so a value's run starts at (value, "") and an inclusive upper
        // bound ends where the next value would start.
        let lowest = |v: Scalar| (v, ArcStr::from(""));
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
        Scalar::Time(t) => Some(t.checked_add(1).map_or(Scalar::Text(ArcStr::from("")), Scalar::Time)),
        // No text lies between `s` and `s` followed by a NUL.
        Scalar::Text(s) => Some(Scalar::Text(ArcStr::from(format!("{s}\0").as_str()))),
        Scalar::Missing => None,
    }
}

/// Reorders `items` so that position `i` holds what was at `order[i]`, in place.
fn permute<T>(items: &mut [T], mut order: Vec<usize>) {
    for start in 0..items.len() {
        // Follow the cycle through `start`; each position is settled once.
        let mut at = start;
        while order[at] != start {
            let from = order[at];
            items.swap(at, from);
            order[at] = at;
            at = from;
        }
        order[at] = at;
    }
}

/// A keyed collection with indexes.
pub(crate) struct Table<T> {
    /// Records by key; each key is held once, shared with the index entries.
    rows: BTreeMap<ArcStr, T>,
    indexes: Vec<Index<T>>,
}

impl<T> Deref for Table<T> {
    type Target = BTreeMap<ArcStr, T>;

    fn deref(&self) -> &Self::Target {
        &self.rows
    }
}

impl<T> std::ops::Index<&str> for Table<T> {
    type Output = T;

    fn index(&self, key: &str) -> &T {
        &self.rows[key]
    }
}

impl<T> Table<T> {
    /// The record under `key` (a `&String` coerces, which the map's own `get`
    /// would not take with shared keys).
    pub(crate) fn get(&self, key: &str) -> Option<&T> {
        self.rows.get(key)
    }

    /// The record under `key`, with the key as held.
    pub(crate) fn get_key_value(&self, key: &str) -> Option<(&ArcStr, &T)> {
        self.rows.get_key_value(key)
    }

    /// Whether a record is held under `key`.
    pub(crate) fn contains_key(&self, key: &str) -> bool {
        self.rows.contains_key(key)
    }

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
    pub(crate) fn insert(&mut self, key: impl Into<ArcStr>, record: T) -> Option<T> {
        let key: ArcStr = key.into();
        let old = self.rows.remove(&key);
        if let Some(old) = &old {
            self.indexes.iter_mut().for_each(|i| i.drop_entry(&key, old));
        }
        self.indexes.iter_mut().for_each(|i| i.add(&key, &record));
        self.rows.insert(key, record);
        old
    }

    /// Adds many records at once: into an empty table, each index is built from
    /// its sorted entries in one pass (a seed of a million records takes
    /// seconds, not minutes); into a filled one, record by record.
    pub(crate) fn extend(&mut self, records: Vec<(ArcStr, T)>) {
        let mut order: Vec<usize> = (0..records.len()).collect();
        order.sort_unstable_by(|&a, &b| records[a].0.cmp(&records[b].0));
        let repeated = order.windows(2).any(|w| records[w[0]].0 == records[w[1]].0);
        // Into a filled table, or with a key given twice (the later replaces the
        // earlier), record by record.
        if !self.rows.is_empty() || repeated {
            for (key, record) in records {
                self.insert(key, record);
            }
            return;
        }
        for index in &mut self.indexes {
            let mut entries = Vec::with_capacity(records.len());
            for (key, record) in &records {
                let value = index.counted(record);
                entries.push((value, key.clone()));
            }
            // Sorted first, so that the set is built in one pass.
            entries.sort_unstable();
            entries.dedup();
            index.entries = entries.into_iter().collect();
        }
        // Records are large: their positions were sorted; each is put in its
        // place (the map then finds them in order and builds itself in one pass).
        let mut records = records;
        permute(&mut records, order);
        self.rows = records.into_iter().collect();
    }

    /// Changes the record under `key` with `change`; `None` if there is none.
    /// Only the indexes of the fields that changed are touched.
    pub(crate) fn update<R>(&mut self, key: &str, change: impl FnOnce(&mut T) -> R) -> Option<R> {
        let (shared, _) = self.rows.get_key_value(key)?;
        let shared = shared.clone();
        let record = self.rows.get_mut(key)?;
        let before: Vec<Scalar> = self.indexes.iter().map(|i| i.scalar_of(record)).collect();
        let result = change(record);
        for (index, old) in self.indexes.iter_mut().zip(before) {
            if index.read(record) != old.probe() {
                index.drop_value(&shared, old);
                index.add(&shared, record);
            }
        }
        Some(result)
    }

    /// Removes the record under `key`.
    pub(crate) fn remove(&mut self, key: &str) -> Option<T> {
        let (shared, record) = self.rows.remove_entry(key)?;
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
            t.insert(key, Row { colour, at });
        }
        t
    }

    fn keys<'a>(it: impl Iterator<Item = &'a (Scalar, ArcStr)>) -> Vec<String> {
        it.map(|(_, k)| k.to_string()).collect()
    }

    #[test]
    fn equality_lookups_follow_updates_and_removals() {
        let mut t = table();
        let colour = t.index("colour").unwrap();
        assert_eq!(colour.count("red"), 2);
        let equal = |value, after, backwards| -> Vec<String> {
            colour
                .keys_equal(value, after, backwards)
                .map(|k| k.to_string())
                .collect()
        };
        assert_eq!(equal("red", None, false), ["a", "c"]);
        assert_eq!(equal("red", Some("a"), false), ["c"]);
        assert_eq!(equal("red", None, true), ["c", "a"]);
        assert_eq!(equal("red", Some("c"), true), ["a"]);
        assert_eq!(colour.keys_equal("re", None, false).count(), 0);
        t.update("c", |r| r.colour = Some("blue"));
        t.remove("b");
        let colour = t.index("colour").unwrap();
        assert_eq!((colour.count("red"), colour.count("blue")), (1, 1));
        let blue: Vec<_> = colour.keys_equal("blue", None, false).map(|k| k.to_string()).collect();
        assert_eq!(blue, ["c"]);
        t.insert("a", Row { colour: None, at: 9 });
        assert_eq!(t.index("colour").unwrap().count("red"), 0);
        assert_eq!(t.len(), 3);
    }

    #[test]
    fn a_shared_field_holds_the_records_text_and_counts_by_walking() {
        struct Link {
            owner: Option<ArcStr>,
        }
        let mut t = Table::new(vec![Field::shared("owner", |l: &Link| l.owner.as_ref())]);
        let ann = ArcStr::from("ann");
        for (key, owner) in [("a", Some(&ann)), ("b", None), ("c", Some(&ann))] {
            t.insert(key, Link { owner: owner.cloned() });
        }
        let owner = t.index("owner").unwrap();
        assert_eq!(owner.count("ann"), 2);
        assert!(owner.counts.is_empty(), "nothing interned or counted per value");
        let held = owner.entries.iter().find_map(|(v, _)| match v {
            Scalar::Text(text) => Some(text.clone()),
            _ => None,
        });
        assert!(ArcStr::ptr_eq(&held.unwrap(), &ann), "the record's own allocation");
        t.update("a", |l| l.owner = Some(ArcStr::from("bob")));
        t.remove("c");
        let owner = t.index("owner").unwrap();
        assert_eq!((owner.count("ann"), owner.count("bob")), (0, 1));
        let missing: Vec<_> = owner
            .walk(Included(Scalar::Missing), Unbounded, None, false)
            .map(|(_, k)| k.to_string())
            .collect();
        assert_eq!(missing, ["b"]);
    }

    #[test]
    fn a_permutation_puts_each_item_in_its_place() {
        let mut items = vec!["c", "a", "d", "b", "e"];
        permute(&mut items, vec![1, 3, 0, 2, 4]);
        assert_eq!(items, ["a", "b", "c", "d", "e"]);
        let mut items: Vec<usize> = (0..50).rev().collect();
        permute(&mut items, (0..50).rev().collect());
        assert_eq!(items, (0..50).collect::<Vec<_>>());
    }

    #[test]
    fn records_added_at_once_are_indexed_as_one_by_one() {
        let one_by_one = table();
        let mut at_once = Table::new(vec![
            Field::new("colour", |r: &Row| Probe::text(r.colour)),
            Field::new("at", |r: &Row| Probe::Time(r.at)),
        ]);
        at_once.extend(vec![
            (
                "c".into(),
                Row {
                    colour: Some("red"),
                    at: 2,
                },
            ),
            (
                "a".into(),
                Row {
                    colour: Some("red"),
                    at: 3,
                },
            ),
            ("d".into(), Row { colour: None, at: 2 }),
            (
                "b".into(),
                Row {
                    colour: Some("blue"),
                    at: 1,
                },
            ),
        ]);
        for name in ["colour", "at"] {
            let (x, y) = (one_by_one.index(name).unwrap(), at_once.index(name).unwrap());
            assert_eq!(
                keys(x.walk(Unbounded, Unbounded, None, false)),
                keys(y.walk(Unbounded, Unbounded, None, false))
            );
        }
        assert_eq!(at_once.index("colour").unwrap().count("red"), 2);
        // Then one more, record by record.
        at_once.extend(vec![(
            "e".into(),
            Row {
                colour: Some("red"),
                at: 0,
            },
        )]);
        assert_eq!(at_once.index("colour").unwrap().count("red"), 3);
        assert_eq!(
            keys(at_once.index("at").unwrap().walk(Unbounded, Unbounded, None, false))[0],
            "e"
        );
        // A key given twice into an empty table: the later record stays, indexed once.
        let mut twice = Table::new(vec![Field::new("colour", |r: &Row| Probe::text(r.colour))]);
        twice.extend(vec![
            (
                "k".into(),
                Row {
                    colour: Some("red"),
                    at: 1,
                },
            ),
            (
                "k".into(),
                Row {
                    colour: Some("blue"),
                    at: 2,
                },
            ),
        ]);
        let colour = twice.index("colour").unwrap();
        assert_eq!((twice.len(), colour.count("red"), colour.count("blue")), (1, 0, 1));
        assert_eq!(twice["k"].at, 2);
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
        let past_c = Some((two(), ArcStr::from("c")));
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
