//! Our documentation overlay: descriptions written for this SDK, merged into the
//! document by operationId, parameter name, schema and property name.
//!
//! The file is keyed rather than an OpenAPI Overlay 1.0 list of JSONPath actions: it
//! reads like the reference it is, and every entry that no longer matches the document
//! is reported instead of silently doing nothing.

use std::collections::BTreeMap;

use carbon_api_spec::walk;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{Error, Result};

/// The whole overlay file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Overlay {
    /// Text for `info.description`: the docs of the generated `Client`.
    #[serde(default)]
    pub info: InfoDocs,
    /// Names for inline enums hoisted into schemas, keyed `Schema.property`.
    #[serde(default)]
    pub enum_names: BTreeMap<String, String>,
    /// Docs per operationId.
    #[serde(default)]
    pub operations: BTreeMap<String, OperationDocs>,
    /// Docs per schema name.
    #[serde(default)]
    pub schemas: BTreeMap<String, SchemaDocs>,
}

/// Docs for the document as a whole.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InfoDocs {
    /// What the API is.
    pub description: Option<String>,
}

/// Docs for one operation.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperationDocs {
    /// One line.
    pub summary: Option<String>,
    /// What it does, its limits, what to call next.
    pub description: Option<String>,
    /// Per parameter (wire name).
    #[serde(default)]
    pub parameters: BTreeMap<String, ParameterDocs>,
}

/// What we know of one parameter: its description alone, or the description with
/// facts the document leaves in prose. The facts travel in the merged document as
/// `x-carbon-sort-keys` and `x-carbon-value-kind`, for callers that check values
/// before sending (the command line); generated types do not change.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum ParameterDocs {
    /// The description.
    Text(String),
    /// The description and facts.
    Detailed(ParameterFacts),
}

/// A parameter's description with the facts the document states only in prose.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParameterFacts {
    /// The description.
    pub description: String,
    /// For a `sort` parameter: the fields the API documents as sortable.
    #[serde(default)]
    pub sort_keys: Option<Vec<String>>,
    /// What the value is when the document types it more loosely (`date-time` for
    /// a date sent as plain text).
    #[serde(default)]
    pub value_kind: Option<ValueKindHint>,
}

/// A value kind the overlay can state for a parameter.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
pub enum ValueKindHint {
    /// An ISO-8601 date-time, whatever the schema says.
    #[serde(rename = "date-time")]
    DateTime,
}

impl ParameterDocs {
    fn description(&self) -> &str {
        match self {
            ParameterDocs::Text(text) => text,
            ParameterDocs::Detailed(facts) => &facts.description,
        }
    }

    /// Writes the description and facts into the document's parameter.
    fn apply(&self, param: &mut Value) {
        // One line: the generator renders parameters as a list.
        param["description"] = json!(self.description().split_whitespace().collect::<Vec<_>>().join(" "));
        if let ParameterDocs::Detailed(facts) = self {
            if let Some(keys) = &facts.sort_keys {
                param["x-carbon-sort-keys"] = json!(keys);
            }
            if let Some(ValueKindHint::DateTime) = facts.value_kind {
                param["x-carbon-value-kind"] = json!("date-time");
            }
        }
    }
}

/// Docs for one schema.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchemaDocs {
    /// What the type is.
    pub description: Option<String>,
    /// Per property.
    #[serde(default)]
    pub properties: BTreeMap<String, String>,
    /// Per enum value.
    #[serde(default)]
    pub values: BTreeMap<String, String>,
}

/// What applying an overlay found.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct OverlayReport {
    /// Operations and schemas of the document that the overlay does not document.
    pub undocumented: Vec<String>,
    /// Overlay entries that match nothing in the document (stale after an API change).
    pub unmatched: Vec<String>,
}

/// Parses overlay text.
pub fn parse(text: &str) -> Result<Overlay> {
    serde_yaml_ng::from_str(text).map_err(|e| Error::Overlay(e.to_string()))
}

/// Merges `overlay` into `doc` and reports gaps both ways.
pub fn apply(doc: &mut Value, overlay: &Overlay) -> OverlayReport {
    let mut report = OverlayReport::default();
    if let Some(description) = &overlay.info.description {
        doc["info"]["description"] = json!(description);
    }
    apply_operations(doc, overlay, &mut report);
    apply_schemas(doc, overlay, &mut report);
    report
}

fn apply_operations(doc: &mut Value, overlay: &Overlay, report: &mut OverlayReport) {
    let mut seen = std::collections::BTreeSet::new();
    let paths = doc.get_mut("paths").and_then(Value::as_object_mut);
    for (path, item) in paths.into_iter().flat_map(|p| p.iter_mut()) {
        let Some(item) = item.as_object_mut() else { continue };
        for (method, op) in item.iter_mut() {
            let Some(id) = op.get("operationId").and_then(Value::as_str).map(str::to_string) else {
                continue;
            };
            let Some(docs) = overlay.operations.get(&id) else {
                report
                    .undocumented
                    .push(format!("operation {id} ({} {path})", method.to_uppercase()));
                continue;
            };
            seen.insert(id.clone());
            if docs.summary.is_none() || docs.description.is_none() {
                report
                    .undocumented
                    .push(format!("operation {id}: needs both summary and description"));
            }
            if let Some(summary) = &docs.summary {
                op["summary"] = json!(summary);
            }
            if let Some(description) = &docs.description {
                op["description"] = json!(description);
            }
            for (name, param_docs) in &docs.parameters {
                let param = op.get_mut("parameters").and_then(Value::as_array_mut).and_then(|ps| {
                    ps.iter_mut()
                        .find(|p| p.get("name").and_then(Value::as_str) == Some(name))
                });
                match param {
                    Some(param) => param_docs.apply(param),
                    None => report.unmatched.push(format!("operations.{id}.parameters.{name}")),
                }
            }
        }
    }
    for id in overlay.operations.keys().filter(|id| !seen.contains(*id)) {
        report.unmatched.push(format!("operations.{id}"));
    }
}

fn apply_schemas(doc: &mut Value, overlay: &Overlay, report: &mut OverlayReport) {
    let Some(schemas) = doc.pointer_mut("/components/schemas").and_then(Value::as_object_mut) else {
        return;
    };
    for (name, schema) in schemas.iter_mut() {
        let Some(docs) = overlay.schemas.get(name) else {
            report.undocumented.push(format!("schema {name}"));
            continue;
        };
        match &docs.description {
            Some(description) => schema["description"] = json!(description),
            None => report.undocumented.push(format!("schema {name}: needs a description")),
        }
        for (property, text) in &docs.properties {
            match find_property(schema, property) {
                Some(prop) => set_property_description(prop, text),
                None => report.unmatched.push(format!("schemas.{name}.properties.{property}")),
            }
        }
        if !docs.values.is_empty() {
            let values: Vec<&str> = walk::texts(schema, "/enum").collect();
            for value in docs.values.keys().filter(|v| !values.contains(&v.as_str())) {
                report.unmatched.push(format!("schemas.{name}.values.{value}"));
            }
            schema["x-enum-descriptions"] = json!(docs.values);
        }
    }
    for name in overlay.schemas.keys().filter(|n| !schemas.contains_key(*n)) {
        report.unmatched.push(format!("schemas.{name}"));
    }
}

/// The property's schema, in the schema itself or in one of its inline `allOf` parts.
fn find_property<'a>(schema: &'a mut Value, property: &str) -> Option<&'a mut Value> {
    if schema.get("properties").and_then(|p| p.get(property)).is_some() {
        return schema.get_mut("properties")?.get_mut(property);
    }
    let members = schema.get_mut("allOf")?.as_array_mut()?;
    members.iter_mut().find_map(|m| find_property(m, property))
}

fn set_property_description(prop: &mut Value, text: &str) {
    if let Some(reference) = prop.get("$ref").and_then(Value::as_str).map(str::to_string) {
        // A description beside `$ref` is ignored by OpenAPI 3.0 tools: wrap it.
        *prop = json!({ "allOf": [{ "$ref": reference }], "description": text });
    } else {
        prop["description"] = json!(text);
    }
}
