//! Which fields a listing shows, and how a field is read from a record: dotted
//! paths (`status.printer_state`) into nested objects, nested records flattened for
//! a wide table.

use serde::Serialize;
use serde::ser::SerializeMap;
use serde_json::Value;

/// The columns a table shows for a list operation when `--fields` does not say:
/// the few an operator reads first, chosen per resource. Operations not named
/// here show their records' top-level fields.
pub fn default_columns(operation: &str) -> Option<&'static [&'static str]> {
    Some(match operation {
        "get_printers" => &[
            "serial",
            "name",
            "status.printer_state",
            "prints.queue_length",
            "status.alerts",
            "prints.current.print_id",
        ],
        "get_printed_parts" => &[
            "serial_number",
            "status",
            "part_number",
            "part_order_number",
            "print_id",
            "finished_at",
            "uuid",
        ],
        "get_parts" => &["part_number", "description", "model_uuid", "uuid"],
        "get_part_orders" => &[
            "part_order_number",
            "status",
            "due_date",
            "packing_group",
            "updated_at",
            "uuid",
        ],
        "get_builds" => &["name", "status", "packing_group", "created_at", "uuid"],
        "get_print_orders" => &["print_order_number", "total_copies", "build_uuid", "created_at", "uuid"],
        "get_prints" => &[
            "print_id",
            "status",
            "origin.printer_serial",
            "started_at",
            "finished_at",
            "uuid",
        ],
        "get_part_measurements" => &["printed_part_uuid", "measurement_result", "value", "updated_at", "uuid"],
        "get_part_measurement_templates" => &[
            "measurement_name",
            "measurement_type",
            "units",
            "min",
            "max",
            "required_level",
            "uuid",
        ],
        "find_models" => &["filename", "external_id", "file_size_bytes", "created_at", "uuid"],
        "get_applications" => &["name", "description", "uuid"],
        "get_printer_queues" => &["printer_serial", "print_uuids", "updated_at"],
        _ => return None,
    })
}

/// The value at a dotted path (`status.printer_state`); a key that itself holds a
/// dot is found too.
pub fn lookup<'a>(record: &'a Value, path: &str) -> Option<&'a Value> {
    if let Some(value) = record.get(path) {
        return Some(value);
    }
    let (head, rest) = path.split_once('.')?;
    lookup(record.get(head)?, rest)
}

/// A value as one cell: text as it is, nothing for `null`, a list of plain values
/// joined with `, `, anything else as JSON.
pub fn cell(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) if items.iter().all(|i| !i.is_object() && !i.is_array()) => {
            items.iter().map(|i| cell(Some(i))).collect::<Vec<_>>().join(", ")
        }
        Some(other) => other.to_string(),
    }
}

/// Every leaf of a record under its dotted path, nested objects flattened (lists
/// stay whole), in the record's order (by name, as serde_json keeps members).
pub fn flatten(record: &Value) -> Vec<(String, &Value)> {
    fn walk<'a>(prefix: &str, value: &'a Value, out: &mut Vec<(String, &'a Value)>) {
        match value {
            Value::Object(members) if !members.is_empty() => {
                for (key, member) in members {
                    let path = if prefix.is_empty() {
                        key.clone()
                    } else {
                        format!("{prefix}.{key}")
                    };
                    walk(&path, member, out);
                }
            }
            other => out.push((prefix.to_string(), other)),
        }
    }
    let mut out = Vec::new();
    walk("", record, &mut out);
    out
}

/// A record cut down to some fields, written as a JSON object with the fields in
/// the order asked for (serde_json's own map would sort them).
pub struct Projection<'a>(Vec<(&'a str, &'a Value)>);

/// The record cut down to `fields`, in their order, each under the name asked for
/// (`null` where the record has no such field).
pub fn project<'a>(record: &'a Value, fields: &'a [String]) -> Projection<'a> {
    Projection(
        fields
            .iter()
            .map(|f| (f.as_str(), lookup(record, f).unwrap_or(&Value::Null)))
            .collect(),
    )
}

impl Serialize for Projection<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in &self.0 {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_reach_into_nested_records_and_lists_read_as_text() {
        let printer = json!({"serial": "L1", "status": {"printer_state": "IDLE", "alerts": ["low resin", "door"]},
            "prints": {"queue_length": 2, "current": null}});
        assert_eq!(cell(lookup(&printer, "status.printer_state")), "IDLE");
        assert_eq!(cell(lookup(&printer, "status.alerts")), "low resin, door");
        assert_eq!(cell(lookup(&printer, "prints.current.print_id")), "");
        assert_eq!(cell(lookup(&printer, "prints.queue_length")), "2");
        let flat: Vec<String> = flatten(&printer).into_iter().map(|(k, _)| k).collect();
        assert_eq!(
            flat,
            [
                "prints.current",
                "prints.queue_length",
                "serial",
                "status.alerts",
                "status.printer_state"
            ]
        );
        let fields = ["status.printer_state".to_string(), "serial".to_string()];
        assert_eq!(
            serde_json::to_string(&project(&printer, &fields)).unwrap(),
            r#"{"status.printer_state":"IDLE","serial":"L1"}"#
        );
    }

    #[test]
    fn every_default_column_names_a_field_of_its_list() {
        for op in carbon_ext::extras::operations().iter().filter(|op| op.kind.is_list()) {
            let Some(columns) = default_columns(op.name) else {
                continue;
            };
            for column in columns {
                let top = column.split('.').next().unwrap_or_default();
                assert!(
                    op.item_fields.contains(&top),
                    "{}: `{column}` is not a field of its records ({:?})",
                    op.name,
                    op.item_fields
                );
            }
        }
        for name in ["get_printers", "get_printed_parts", "get_prints", "get_part_orders"] {
            assert!(default_columns(name).is_some(), "{name}");
        }
    }
}
