//! Which fields a listing shows, and how a field is read from a record: dotted
//! paths (`status.printer_state`) into nested objects, nested records flattened for
//! a wide table.

use carbon_ext::extras::Operation;
use serde::Serialize;
use serde::ser::SerializeMap;
use serde_json::Value;

/// A column a table shows by default: the field (a dotted path) and the short
/// heading a person reads.
pub type Chosen = (&'static str, &'static str);

/// The columns a table shows for a list operation when `--fields` does not say:
/// the few an operator reads first, chosen per resource, under short headings.
/// Operations not named here show their records' top-level fields.
#[rustfmt::skip] // a table: a list operation a line (or two)
pub fn default_columns(operation: Operation) -> Option<&'static [Chosen]> {
    Some(match operation {
        Operation::GetPrinters => &[("serial", "SERIAL"), ("name", "NAME"), ("status.printer_state", "STATE"),
            ("prints.queue_length", "QUEUE"), ("prints.current.print_id", "PRINTING"), ("status.alerts", "ALERTS")],
        Operation::GetPrintedParts => &[("serial_number", "SERIAL"), ("status", "STATUS"), ("part_number", "PART"),
            ("part_order_number", "ORDER"), ("print_id", "PRINT"), ("finished_at", "FINISHED")],
        Operation::GetParts => &[("part_number", "PART"), ("description", "DESCRIPTION"), ("uuid", "UUID")],
        Operation::GetPartOrders => &[("part_order_number", "ORDER"), ("status", "STATUS"), ("due_date", "DUE"),
            ("packing_group", "GROUP"), ("uuid", "UUID")],
        Operation::GetBuilds => &[("name", "NAME"), ("status", "STATUS"), ("packing_group", "GROUP"),
            ("created_at", "CREATED"), ("uuid", "UUID")],
        Operation::GetPrintOrders => &[("print_order_number", "PRINT ORDER"), ("total_copies", "COPIES"),
            ("created_at", "CREATED"), ("uuid", "UUID")],
        Operation::GetPrints => &[("print_id", "PRINT"), ("status", "STATUS"), ("origin.printer_serial", "PRINTER"),
            ("started_at", "STARTED"), ("finished_at", "FINISHED")],
        Operation::GetPartMeasurements => &[("measurement_result", "RESULT"), ("value", "VALUE"),
            ("updated_at", "UPDATED"), ("printed_part_uuid", "PRINTED PART")],
        Operation::GetPartMeasurementTemplates => &[("measurement_name", "NAME"), ("measurement_type", "TYPE"),
            ("units", "UNITS"), ("min", "MIN"), ("max", "MAX"), ("required_level", "REQUIRED"), ("uuid", "UUID")],
        Operation::FindModels => &[("filename", "FILE"), ("file_size_bytes", "BYTES"), ("created_at", "CREATED"),
            ("uuid", "UUID")],
        Operation::GetModelProgramRuns => &[("status", "STATUS"), ("progress", "PROGRESS"),
            ("model_uuid", "OUTPUT MODEL"), ("uuid", "UUID")],
        Operation::GetApplications => &[("name", "NAME"), ("description", "DESCRIPTION"), ("uuid", "UUID")],
        Operation::GetPrinterQueues => &[("printer_serial", "PRINTER"), ("print_uuids", "QUEUED PRINTS")],
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
        Some(Value::Array(items)) if items.is_empty() => String::new(),
        Some(Value::Array(items)) if items.iter().all(|i| !i.is_object() && !i.is_array()) => {
            items.iter().map(|i| cell(Some(i))).collect::<Vec<_>>().join(", ")
        }
        Some(other) => other.to_string(),
    }
}

/// A timestamp as a person reads it in a table: `2026-12-02 22:05` (UTC, to the
/// minute); any other text as it is.
pub fn readable_time(text: String) -> String {
    match chrono::DateTime::parse_from_rfc3339(&text) {
        Ok(at) if text.len() >= 20 => at.to_utc().format("%Y-%m-%d %H:%M").to_string(),
        _ => text,
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
        assert_eq!(readable_time("2026-12-02T22:05:31.188Z".into()), "2026-12-02 22:05");
        assert_eq!(readable_time("2026-12-02".into()), "2026-12-02");
        assert_eq!(readable_time("SN-1".into()), "SN-1");
        for op in carbon_ext::extras::operations().iter().filter(|op| op.kind.is_list()) {
            let Some(columns) = default_columns(op.operation()) else {
                continue;
            };
            for (column, _) in columns {
                let top = column.split('.').next().unwrap_or_default();
                assert!(
                    op.item_fields.contains(&top),
                    "{}: `{column}` is not a field of its records ({:?})",
                    op.name,
                    op.item_fields
                );
            }
        }
        for op in carbon_ext::extras::operations()
            .iter()
            .filter(|op| op.kind.is_list() && op.method == "GET")
        {
            let chosen = default_columns(op.operation()).is_some();
            assert!(
                chosen || op.operation() == Operation::GetPrintQualityData,
                "{} has no chosen columns",
                op.name
            );
        }
    }
}
