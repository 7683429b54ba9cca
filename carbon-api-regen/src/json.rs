//! Reading a document's JSON where a member may be missing: a member that is
//! absent, or not of the kind asked for, reads as empty.

use serde_json::Value;

/// The items of the array at `pointer` (`/required`) in `value`.
pub(crate) fn items<'a>(value: &'a Value, pointer: &str) -> impl Iterator<Item = &'a Value> {
    value.pointer(pointer).and_then(Value::as_array).into_iter().flatten()
}

/// The text items of the array at `pointer` in `value` (others are passed over).
pub(crate) fn texts<'a>(value: &'a Value, pointer: &str) -> impl Iterator<Item = &'a str> {
    items(value, pointer).filter_map(Value::as_str)
}

/// The members of the object at `pointer` (`/components/schemas`) in `value`.
pub(crate) fn members<'a>(value: &'a Value, pointer: &str) -> impl Iterator<Item = (&'a String, &'a Value)> {
    value.pointer(pointer).and_then(Value::as_object).into_iter().flatten()
}
