//! `shapes.rs`: the members of every object schema, which of them hold objects of
//! another schema, and the schema each operation answers with: what a reader of
//! a response needs to notice members the document does not list (carbon-ext's
//! drift watch).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use carbon_api_spec::walk;
use heck::ToSnakeCase;
use serde_json::Value;

/// The schema name a `$ref` names, through `allOf: [$ref]` and array items.
fn named(schema: &Value) -> Option<&str> {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        return reference.strip_prefix("#/components/schemas/");
    }
    if let Some([only]) = schema.get("allOf").and_then(Value::as_array).map(Vec::as_slice) {
        return named(only);
    }
    if schema.get("type").and_then(Value::as_str) == Some("array") {
        return schema.get("items").and_then(named);
    }
    None
}

/// Whether a component schema describes an object with a fixed set of members
/// (one that also takes any other key, `additionalProperties`, is a map).
fn is_object(schema: &Value) -> bool {
    let open = schema
        .get("additionalProperties")
        .is_some_and(|extra| extra != &Value::Bool(false));
    schema.get("properties").is_some_and(Value::is_object) && !open
}

/// The Rust source of `SHAPES` and `RESPONSE_SHAPES`, sorted by name.
pub fn shapes_code(doc: &Value) -> String {
    let objects: BTreeMap<&String, &Value> = walk::members(doc, "/components/schemas")
        .filter(|(_, s)| is_object(s))
        .collect();
    let mut out = String::new();
    let _ = writeln!(out, "/// Every object schema of the document, by name.");
    let _ = writeln!(out, "pub(crate) static SHAPES: &[crate::extras::Shape] = &[");
    for (name, schema) in &objects {
        let _ = writeln!(out, "    crate::extras::Shape {{ name: {name:?}, fields: &[");
        let mut fields: Vec<(&String, &Value)> = walk::members(schema, "/properties").collect();
        fields.sort_by_key(|(field, _)| *field);
        for (field, member) in fields {
            let nested = named(member)
                .filter(|n| objects.contains_key(&n.to_string()))
                .map_or("None".to_string(), |n| format!("Some({n:?})"));
            let _ = writeln!(
                out,
                "        crate::extras::ShapeField {{ name: {field:?}, shape: {nested} }},"
            );
        }
        let _ = writeln!(out, "    ] }},");
    }
    let _ = writeln!(out, "];\n");
    let mut answers: Vec<(String, String)> = Vec::new();
    for operation in walk::operations(doc) {
        let Some(id) = operation.id() else {
            continue;
        };
        let success = walk::success_schema(operation.op)
            .and_then(named)
            .filter(|n| objects.contains_key(&n.to_string()));
        if let Some(shape) = success {
            answers.push((id.to_snake_case(), shape.to_string()));
        }
    }
    answers.sort();
    let _ = writeln!(
        out,
        "/// The schema of each operation's JSON answer, by operation name."
    );
    let _ = writeln!(out, "pub(crate) static RESPONSE_SHAPES: &[(&str, &str)] = &[");
    for (operation, shape) in answers {
        let _ = writeln!(out, "    ({operation:?}, {shape:?}),");
    }
    let _ = writeln!(out, "];");
    out
}
