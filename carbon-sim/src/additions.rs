//! Playing a newer API: the members and enum values a published document
//! (`Config::api_document`) adds over the one this build was generated from are
//! put into the answers. Every object of a schema that gained members carries
//! them (with a plain value of their type); the first record of a list, and a
//! single record, carry the first new value of each enum that gained values.
//! Only when there is something to add are answers read again.

use std::collections::BTreeMap;

use carbon_api_spec::walk;
use serde_json::{Map, Value, json};

/// What a published document adds, and its answers' schemas.
#[derive(Debug)]
pub(crate) struct Additions {
    /// The published document, normalized as regen would.
    doc: Value,
    /// New members, by schema: (member, a value to send).
    members: BTreeMap<String, Vec<(String, Value)>>,
    /// The first new value, by enum schema.
    values: BTreeMap<String, String>,
    /// The schema of each operation's success answer in the published
    /// document, by `operationId` (a path may be spelled another way there).
    answers: BTreeMap<String, Value>,
}

impl Additions {
    /// What `published` (a document as read, before normalization) adds over
    /// `built` (a normalized document); `None` when it adds nothing.
    pub(crate) fn between(built: &Value, published: Value) -> Result<Option<Self>, String> {
        let overlay = carbon_api_regen::overlay::parse(carbon_api_spec::OVERLAY_YAML).map_err(|e| e.to_string())?;
        let doc = carbon_api_regen::normalize::normalize(published, &overlay.enum_names).map_err(|e| e.to_string())?;
        let old: BTreeMap<&String, &Value> = walk::members(built, "/components/schemas").collect();
        let mut members = BTreeMap::new();
        let mut values = BTreeMap::new();
        for (name, schema) in walk::members(&doc, "/components/schemas") {
            let Some(before) = old.get(name) else { continue };
            let known = |key: &str| before.get("properties").and_then(|p| p.get(key)).is_some();
            let added: Vec<(String, Value)> = walk::members(schema, "/properties")
                .filter(|(key, _)| !known(key))
                .map(|(key, member)| (key.clone(), sample(&doc, member)))
                .collect();
            if !added.is_empty() {
                members.insert(name.clone(), added);
            }
            let before_values: Vec<&str> = walk::texts(before, "/enum").collect();
            if let Some(value) = walk::texts(schema, "/enum").find(|v| !before_values.contains(v)) {
                values.insert(name.clone(), value.to_string());
            }
        }
        if members.is_empty() && values.is_empty() {
            return Ok(None);
        }
        let answers = walk::operations(&doc)
            .filter_map(|o| Some((o.id()?.to_string(), walk::success_schema(o.op)?.clone())))
            .collect();
        Ok(Some(Self {
            doc,
            members,
            values,
            answers,
        }))
    }

    /// Puts the additions into `body`, the JSON answer of `operation`.
    pub(crate) fn apply(&self, operation: &carbon_api_gen::extras::OperationInfo, body: &mut Value) {
        if let Some(schema) = self.answer_schema(operation) {
            self.walk(schema, body, true);
        }
    }

    /// The schema of the success answer of `operation` in the published document.
    fn answer_schema(&self, operation: &carbon_api_gen::extras::OperationInfo) -> Option<&Value> {
        self.answers.get(operation.operation_id)
    }

    fn walk(&self, schema: &Value, value: &mut Value, first: bool) {
        let (name, schema) = resolve(&self.doc, schema);
        match value {
            Value::Object(object) => {
                if let Some(added) = name.and_then(|n| self.members.get(n)) {
                    for (key, sample) in added {
                        object.entry(key.clone()).or_insert_with(|| sample.clone());
                    }
                }
                let members = schema.get("properties").and_then(Value::as_object);
                for (key, child) in object.iter_mut() {
                    if let Some(member) = members.and_then(|m| m.get(key)) {
                        self.walk(member, child, first);
                    }
                }
            }
            Value::Array(items) => {
                let Some(item_schema) = schema.get("items") else { return };
                for (i, item) in items.iter_mut().enumerate() {
                    self.walk(item_schema, item, first && i == 0);
                }
            }
            Value::String(text) if first => {
                if let Some(new) = name.and_then(|n| self.values.get(n)) {
                    *text = new.clone();
                }
            }
            _ => {}
        }
    }
}

/// The named schema behind `$ref` or `allOf: [$ref]`, and the schema itself.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> (Option<&'a str>, &'a Value) {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let name = reference.strip_prefix("#/components/schemas/");
        let target = reference
            .strip_prefix('#')
            .and_then(|pointer| doc.pointer(pointer))
            .unwrap_or(schema);
        return (name, target);
    }
    if let Some([only]) = schema.get("allOf").and_then(Value::as_array).map(Vec::as_slice) {
        return resolve(doc, only);
    }
    (None, schema)
}

/// A plain value of a member's type.
fn sample(doc: &Value, member: &Value) -> Value {
    let (_, schema) = resolve(doc, member);
    match schema.get("type").and_then(Value::as_str) {
        Some("string") if schema.get("format").and_then(Value::as_str) == Some("date-time") => {
            json!("2026-01-01T00:00:00Z")
        }
        Some("string") => json!("added by a newer API"),
        Some("integer") => json!(1),
        Some("number") => json!(1.5),
        Some("boolean") => json!(true),
        Some("array") => json!([]),
        _ => Value::Object(Map::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn built() -> Value {
        serde_json::from_str(carbon_api_gen::OPENAPI_JSON).unwrap()
    }

    #[test]
    fn the_same_document_adds_nothing() {
        assert!(
            Additions::between(&built(), serde_json::from_str(carbon_api_spec::UPSTREAM_JSON).unwrap())
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn new_members_go_into_every_record_and_new_values_into_the_first() {
        let doc = test_support::api_documents::additive();
        let additions = Additions::between(&built(), doc.clone()).unwrap().unwrap();
        let mut page = json!({"parts": [
            {"uuid": "a", "part_uuid": "p", "status": "complete"},
            {"uuid": "b", "part_uuid": "p", "status": "complete"}
        ], "next_cursor": ""});
        additions.apply(carbon_api_gen::extras::operation("getPrintedParts").unwrap(), &mut page);
        assert_eq!(page["parts"][0]["rework_reason"], "added by a newer API");
        assert_eq!(page["parts"][1]["rework_reason"], "added by a newer API");
        assert_eq!(page["parts"][0]["status"], "reworked");
        assert_eq!(page["parts"][1]["status"], "complete");
        let mut one = json!({"uuid": "a", "part_uuid": "p", "status": "waiting"});
        additions.apply(carbon_api_gen::extras::operation("getPrintedPart").unwrap(), &mut one);
        assert_eq!(
            (one["status"].as_str(), one["rework_reason"].is_string()),
            (Some("reworked"), true)
        );
        // Another resource's answers are left as they are.
        let mut printer = json!({"serial": "SIM001"});
        additions.apply(carbon_api_gen::extras::operation("getPrinter").unwrap(), &mut printer);
        assert_eq!(printer, json!({"serial": "SIM001"}));
    }
}
