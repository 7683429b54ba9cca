//! Guards: constructs the code generator cannot handle, found before `build.rs` ever
//! sees them. Each becomes an error that names the operation or schema and says what
//! to change, instead of a generator panic in every downstream build.

use std::collections::BTreeMap;
use std::fmt;

use crate::naming::colliding_enum_values;
use carbon_api_spec::walk::{self, Operation};
use serde_json::Value;

/// One problem in the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardError {
    /// The operation, schema or reference concerned.
    pub location: String,
    /// What is wrong.
    pub problem: String,
    /// What to change (in the overlay, or upstream).
    pub remedy: String,
}

impl fmt::Display for GuardError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}; {}", self.location, self.problem, self.remedy)
    }
}

fn error(location: String, problem: impl Into<String>, remedy: impl Into<String>) -> GuardError {
    GuardError {
        location,
        problem: problem.into(),
        remedy: remedy.into(),
    }
}

/// Runs every guard and returns all problems found.
pub fn check(doc: &Value) -> Vec<GuardError> {
    let mut errors = Vec::new();
    errors.extend(operation_ids(doc));
    errors.extend(success_bodies(doc));
    errors.extend(request_bodies(doc));
    errors.extend(json_responses_have_schemas(doc));
    errors.extend(parameters(doc));
    errors.extend(external_refs(doc));
    errors.extend(enum_value_collisions(doc));
    errors.extend(version(doc));
    errors.extend(names(doc));
    errors
}

/// `info.version` becomes a constant and a cargo directive: plain characters only.
pub fn version(doc: &Value) -> Vec<GuardError> {
    match doc.pointer("/info/version").and_then(Value::as_str) {
        Some(v) if !carbon_api_spec::naming::is_plain_version(v) => vec![error(
            "info.version".into(),
            format!("{v:?} is not a plain version (1 to 64 letters, digits, `.`, `-`, `+`)"),
            "the document is not usable as it is; ask its publisher, or fix the version in a local copy",
        )],
        _ => Vec::new(),
    }
}

/// Schema names become Rust type names, and enum values variant names: each must be
/// a Rust identifier once converted.
pub fn names(doc: &Value) -> Vec<GuardError> {
    use carbon_api_spec::naming::{enum_variant_name, is_rust_identifier};
    let mut errors = Vec::new();
    for (name, schema) in walk::members(doc, "/components/schemas") {
        let is_enum = schema.get("enum").is_some();
        // Enum schemas are written under their own name; others are converted to
        // UpperCamelCase by the generator first.
        let converted = if is_enum {
            name.clone()
        } else {
            name.chars().filter(|c| !matches!(c, '_' | '-' | ' ' | '.')).collect()
        };
        if !is_rust_identifier(&converted) {
            errors.push(error(
                format!("schema {name:?}"),
                "its name is not a Rust identifier (ASCII letters, digits and `_`, not a keyword)",
                "rename it upstream, or name hoisted enums in overlay.yaml's enum_names",
            ));
        }
        for value in schema.get("enum").and_then(Value::as_array).into_iter().flatten() {
            if let Some(value) = value.as_str() {
                let variant = enum_variant_name(value);
                if !is_rust_identifier(&variant) {
                    errors.push(error(
                        format!("schema {name:?}, enum value {value:?}"),
                        format!("becomes the variant {variant:?}, which is not a Rust identifier"),
                        "the SDK can only name enum values made of ASCII letters and digits",
                    ));
                }
            }
        }
    }
    errors
}

/// Where an operation is: `operation getParts (GET /parts)`.
fn place(op: &Operation<'_>) -> String {
    match op.id() {
        Some(id) => format!("operation {id} ({} {})", op.method.to_uppercase(), op.path),
        None => format!("operation {} {}", op.method.to_uppercase(), op.path),
    }
}

/// What `check` finds in each operation, in the order of [`walk::operations`].
fn per_operation(doc: &Value, mut check: impl FnMut(&Operation<'_>, &mut Vec<GuardError>)) -> Vec<GuardError> {
    let mut errors = Vec::new();
    for op in walk::operations(doc) {
        check(&op, &mut errors);
    }
    errors
}

/// Every operation needs a unique operationId: it names the generated method.
pub fn operation_ids(doc: &Value) -> Vec<GuardError> {
    let mut errors = Vec::new();
    let mut seen: BTreeMap<&str, String> = BTreeMap::new();
    for op in walk::operations(doc) {
        match op.op.get("operationId").and_then(Value::as_str) {
            None => errors.push(error(
                place(&op),
                "has no operationId, so the client method would have no name",
                "ask upstream for one, or add it to the upstream document before regen",
            )),
            Some(id) => {
                if let Some(first) = seen.insert(id, place(&op)) {
                    errors.push(error(
                        place(&op),
                        format!("uses the operationId `{id}` already used by {first}"),
                        "operationIds must be unique; rename one of them",
                    ));
                }
            }
        }
    }
    errors
}

fn content_shape(response: &Value) -> Option<&Value> {
    response
        .get("content")
        .filter(|c| c.as_object().is_some_and(|c| !c.is_empty()))
}

/// At most one success body shape per operation (for example 200 with JSON and 204
/// without body cannot both be returned by one generated method).
pub fn success_bodies(doc: &Value) -> Vec<GuardError> {
    per_operation(doc, |op, errors| {
        let Some(responses) = op.op.get("responses").and_then(Value::as_object) else {
            return;
        };
        let mut shapes: Vec<(&str, Option<&Value>)> = responses
            .iter()
            .filter(|(code, _)| code.starts_with('2'))
            .map(|(code, r)| (code.as_str(), content_shape(r)))
            .collect();
        if let Some(default) = responses.get("default").and_then(content_shape) {
            shapes.push(("default", Some(default)));
        }
        let first = shapes.first().map(|(_, shape)| *shape);
        if shapes.iter().any(|(_, shape)| Some(*shape) != first) {
            let codes: Vec<&str> = shapes.iter().map(|(code, _)| *code).collect();
            errors.push(error(
                place(op),
                format!("has success responses with different bodies ({})", codes.join(", ")),
                "keep one success response shape (drop the others or give them the same content)",
            ));
        }
    })
}

/// Request bodies: one media type, no multipart.
pub fn request_bodies(doc: &Value) -> Vec<GuardError> {
    per_operation(doc, |op, errors| {
        let Some(content) = op.op.pointer("/requestBody/content").and_then(Value::as_object) else {
            return;
        };
        if content.len() > 1 {
            let types: Vec<&str> = content.keys().map(String::as_str).collect();
            errors.push(error(
                place(op),
                format!("accepts several request media types ({})", types.join(", ")),
                "keep only the one the SDK should send (usually application/json)",
            ));
        }
        for media in content.keys().filter(|m| m.starts_with("multipart/")) {
            errors.push(error(
                place(op),
                format!("has a `{media}` request body, which the generator does not support"),
                "send the file as application/octet-stream or JSON instead",
            ));
        }
    })
}

/// A JSON response must say what it contains.
pub fn json_responses_have_schemas(doc: &Value) -> Vec<GuardError> {
    per_operation(doc, |op, errors| {
        for (code, response) in op.op.get("responses").and_then(Value::as_object).into_iter().flatten() {
            let Some(content) = response.get("content").and_then(Value::as_object) else {
                continue;
            };
            for (media, body) in content {
                if media.contains("json") && body.get("schema").is_none() {
                    errors.push(error(
                        place(op),
                        format!("response {code} is `{media}` without a schema"),
                        "give the response a schema, or remove its content if it has no body",
                    ));
                }
            }
        }
    })
}

/// Parameters the generator cannot express: cookies, object-typed query parameters,
/// deepObject and delimited styles.
pub fn parameters(doc: &Value) -> Vec<GuardError> {
    per_operation(doc, |op, errors| {
        for param in op.op.get("parameters").and_then(Value::as_array).into_iter().flatten() {
            let name = param.get("name").and_then(Value::as_str).unwrap_or("?");
            let location = param.get("in").and_then(Value::as_str).unwrap_or("?");
            if location == "cookie" {
                errors.push(error(
                    place(op),
                    format!("parameter `{name}` is a cookie parameter"),
                    "drop it, or model it as a header",
                ));
            }
            if let Some(style) = param.get("style").and_then(Value::as_str)
                && matches!(style, "deepObject" | "pipeDelimited" | "spaceDelimited")
            {
                errors.push(error(
                    place(op),
                    format!("parameter `{name}` uses style `{style}`"),
                    "use style `form` (repeated keys for arrays)",
                ));
            }
            let is_object = param.get("schema").is_some_and(|s| {
                s.get("type").and_then(Value::as_str) == Some("object") || s.get("properties").is_some()
            });
            if location == "query" && is_object {
                errors.push(error(
                    place(op),
                    format!("query parameter `{name}` is an object"),
                    "split it into one query parameter per field",
                ));
            }
        }
    })
}

/// All references stay inside the document.
pub fn external_refs(doc: &Value) -> Vec<GuardError> {
    let mut errors = Vec::new();
    collect_external_refs(doc, &mut String::new(), &mut errors);
    errors
}

fn collect_external_refs(value: &Value, pointer: &mut String, errors: &mut Vec<GuardError>) {
    match value {
        Value::Object(obj) => {
            if let Some(r) = obj.get("$ref").and_then(Value::as_str)
                && !r.starts_with("#/")
            {
                errors.push(error(
                    format!("reference at `{pointer}`"),
                    format!("points outside the document (`{r}`)"),
                    "bundle the referenced file into the document (for example with `redocly bundle`)",
                ));
            }
            for (key, child) in obj {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&key.replace('~', "~0").replace('/', "~1"));
                collect_external_refs(child, pointer, errors);
                pointer.truncate(len);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                let len = pointer.len();
                pointer.push_str(&format!("/{i}"));
                collect_external_refs(child, pointer, errors);
                pointer.truncate(len);
            }
        }
        _ => {}
    }
}

/// Enum values that would become the same Rust variant (`Open` and `open`).
pub fn enum_value_collisions(doc: &Value) -> Vec<GuardError> {
    let mut errors = Vec::new();
    for (name, schema) in walk::members(doc, "/components/schemas") {
        let Some(values) = schema.get("enum").and_then(Value::as_array) else {
            continue;
        };
        for (variant, clashing) in colliding_enum_values(values.iter().filter_map(Value::as_str)) {
            errors.push(error(
                format!("schema {name}"),
                format!(
                    "enum values {} would all become the Rust variant `{variant}`",
                    clashing.join(", ")
                ),
                "ask upstream to drop the duplicate spelling, or remove one of them from the enum",
            ));
        }
    }
    errors
}
