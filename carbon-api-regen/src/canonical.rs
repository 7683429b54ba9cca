//! Deterministic JSON text: the same document always gives the same bytes.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

/// A view of a JSON value whose objects serialize with sorted keys, whatever map type
/// `serde_json` was built with (feature unification may turn on `preserve_order`).
enum Sorted<'a> {
    Object(BTreeMap<&'a str, Sorted<'a>>),
    Array(Vec<Sorted<'a>>),
    Leaf(&'a Value),
}

impl<'a> Sorted<'a> {
    fn new(value: &'a Value) -> Self {
        match value {
            Value::Object(map) => Sorted::Object(map.iter().map(|(k, v)| (k.as_str(), Sorted::new(v))).collect()),
            Value::Array(items) => Sorted::Array(items.iter().map(Sorted::new).collect()),
            leaf => Sorted::Leaf(leaf),
        }
    }
}

impl Serialize for Sorted<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Sorted::Object(map) => map.serialize(serializer),
            Sorted::Array(items) => items.serialize(serializer),
            Sorted::Leaf(value) => value.serialize(serializer),
        }
    }
}

/// Pretty-printed JSON with keys sorted at every level and a final newline.
pub fn to_string(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(&Sorted::new(value)).expect("a JSON value always serializes");
    text.push('\n');
    text
}
