//! Reading an answer's members against the schemas the document lists, without
//! reading more than one record of a list.

use std::fmt;

use carbon_api_gen::extras::{self, Shape};
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// The error that stops the reader once the first record of the list is read.
const ENOUGH: &str = "carbon-ext drift scan: the first record is read";

/// The members of `body` (a JSON answer of the schema `shape`) that their schema
/// does not list, as (schema, member), each once. The list of records (the root
/// member `records` of a page, or a root list) is read as far as its first
/// record, and nothing after it; any other answer is read whole. Malformed JSON
/// gives what was read before it.
pub(crate) fn unknown_members(
    body: &[u8],
    shape: &'static Shape,
    records: Option<&str>,
) -> Vec<(&'static str, String)> {
    let mut found = Vec::new();
    let mut reader = serde_json::Deserializer::from_slice(body);
    let walk = Walk {
        shape: Some(shape),
        level: Level::Root { records },
        found: &mut found,
    };
    // Stopping early is the point; a malformed answer is the decoder's to report.
    let _ = walk.deserialize(&mut reader);
    found.sort();
    found.dedup();
    found
}

/// Where a value sits: the list of records (a page's items, or a root list) is
/// read as far as its first record.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Level<'r> {
    /// The answer itself; `records` names a page's member holding the records.
    Root { records: Option<&'r str> },
    /// The list of records.
    Records,
    /// Anything else.
    Nested,
}

struct Walk<'f, 'r> {
    shape: Option<&'static Shape>,
    level: Level<'r>,
    found: &'f mut Vec<(&'static str, String)>,
}

impl<'de> DeserializeSeed<'de> for Walk<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        self.deserialize(deserializer)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let records = match self.level {
            Level::Root { records } => records,
            _ => None,
        };
        while let Some(key) = map.next_key::<String>()? {
            let Some(shape) = self.shape else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            match shape.field(&key) {
                Some(field) => {
                    let nested = field.shape.and_then(extras::shape);
                    // The records are objects: a list of ids is read whole.
                    let level = if records == Some(key.as_str()) && nested.is_some() {
                        Level::Records
                    } else {
                        Level::Nested
                    };
                    map.next_value_seed(Walk {
                        shape: nested,
                        level,
                        found: self.found,
                    })?
                }
                None => {
                    self.found.push((shape.name, key));
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let records = match self.level {
            Level::Records => true,
            // A root list of records (of objects).
            Level::Root { .. } => self.shape.is_some(),
            Level::Nested => false,
        };
        let first = seq.next_element_seed(Walk {
            shape: self.shape,
            level: Level::Nested,
            found: self.found,
        })?;
        if first.is_some() && records {
            // The other records are not read at all.
            return Err(de::Error::custom(ENOUGH));
        }
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(name: &str) -> &'static Shape {
        extras::shape(name).unwrap()
    }

    #[test]
    fn members_the_schema_does_not_list_are_found_in_the_first_record() {
        let page = br#"{"parts": [
            {"uuid": "a", "part_uuid": "p", "status": "complete", "rework_reason": null,
             "tags": {"part": {}, "colour": "red"}},
            {"uuid": "b", "part_uuid": "p", "status": "complete", "only_in_the_second": 1}
        ], "next_cursor": "c", "total_count": 2, "after_the_list": true}"#;
        let found = unknown_members(page, shape("PrintedPartsResponse"), Some("parts"));
        assert_eq!(
            found,
            [
                ("PrintedPart", "rework_reason".to_string()),
                ("PrintedPartTags", "colour".to_string())
            ]
        );
    }

    #[test]
    fn a_single_record_is_read_whole_and_known_members_give_nothing() {
        let record = br#"{"uuid": "a", "part_uuid": "p", "status": "complete", "serial_number": "SN-1",
            "tags": {"part": {"k": "v"}}, "new_one": [1, 2, {"x": 1}]}"#;
        assert_eq!(
            unknown_members(record, shape("PrintedPart"), None),
            [("PrintedPart", "new_one".to_string())]
        );
        let known = br#"{"uuid": "a", "part_uuid": "p", "status": "complete"}"#;
        assert!(unknown_members(known, shape("PrintedPart"), None).is_empty());
        // Malformed JSON: what was read before it, no panic.
        assert_eq!(
            unknown_members(br#"{"odd": 1, "uuid": "#, shape("PrintedPart"), None),
            [("PrintedPart", "odd".to_string())]
        );
        // A list inside a single record is not its records: what follows it is read.
        let build = br#"{"uuid": "b", "parts": [{"uuid": "p", "part_number": "PN"}, {"uuid": "q"}],
            "attachments": [{"uuid": "a", "filename": "t.pdf", "size": 3}], "late": true}"#;
        // A list of ids is not the records, even in the member that holds them.
        let queue = br#"{"code": 0, "uuids": ["a", "b"], "late": 1}"#;
        assert_eq!(
            unknown_members(queue, shape("PrinterQueueUpdateResponse"), Some("uuids")),
            [("PrinterQueueUpdateResponse", "late".to_string())]
        );
        assert_eq!(
            unknown_members(build, shape("Build"), None),
            [("Build", "late".to_string()), ("BuildAttachments", "size".to_string())]
        );
    }
}
