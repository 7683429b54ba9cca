//! Normalization: rewrites that turn an upstream document into one the generator
//! handles correctly. Each step is a named function that does one thing.

use std::collections::BTreeMap;

use carbon_api_spec::walk;
use serde_json::{Map, Value, json};

use crate::{Error, Result};

const SCHEMA_PREFIX: &str = "#/components/schemas/";
const PARAMETER_PREFIX: &str = "#/components/parameters/";
/// Runs every normalization step in order. `enum_names` maps `Schema.property` to the
/// name of the schema that an inline enum there is hoisted into (see
/// [`hoist_inline_enums`]).
pub fn normalize(mut doc: Value, enum_names: &BTreeMap<String, String>) -> Result<Value> {
    require_openapi_3_0(&doc)?;
    strip_base_path(&mut doc);
    inline_parameter_refs(&mut doc)?;
    hoist_inline_enums(&mut doc, enum_names)?;
    open_integer_enums(&mut doc);
    optional_collections_accept_null(&mut doc);
    wrap_nullable_named_schemas(&mut doc);
    drop_bodyless_error_responses(&mut doc);
    mark_octet_stream_bodies_binary(&mut doc);
    Ok(doc)
}

/// Rejects anything but OpenAPI 3.0.x: the generator does not read 3.1 or Swagger 2.
pub fn require_openapi_3_0(doc: &Value) -> Result<()> {
    match doc.get("openapi").and_then(Value::as_str) {
        Some(v) if v.starts_with("3.0.") || v == "3.0" => Ok(()),
        Some(v) => Err(Error::Unsupported(format!(
            "the document is OpenAPI {v}; only OpenAPI 3.0.x is supported. Convert it to 3.0 \
             (for 3.1: replace `type: [T, \"null\"]` by `nullable: true`, `examples` by `example`) and try again"
        ))),
        None => Err(Error::Unsupported(
            "the document has no `openapi` version (Swagger 2.0?); convert it to OpenAPI 3.0 first".into(),
        )),
    }
}

/// The path part of a server URL: `https://api.carbon3d.com/v1` → `/v1`.
fn server_base_path(url: &str) -> &str {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    after_scheme
        .find('/')
        .map_or("", |i| after_scheme[i..].trim_end_matches('/'))
}

/// Makes paths relative to the servers' base path. The SDK's base URL carries the
/// base path (`…/v1`), so a document whose paths repeat it (`/v1/builds`) would make
/// the client request `/v1/v1/builds`.
pub fn strip_base_path(doc: &mut Value) {
    let Some(base) = doc
        .get("servers")
        .and_then(Value::as_array)
        .and_then(|servers| servers.first())
        .and_then(|s| s.get("url"))
        .and_then(Value::as_str)
        .map(|url| server_base_path(url).to_string())
    else {
        return;
    };
    if base.is_empty() {
        return;
    }
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    let prefixed = !paths.is_empty() && paths.keys().all(|p| p.starts_with(&format!("{base}/")));
    if prefixed {
        let old = std::mem::take(paths);
        *paths = old
            .into_iter()
            .map(|(p, item)| (p[base.len()..].to_string(), item))
            .collect();
    }
}

fn operations_mut(doc: &mut Value) -> impl Iterator<Item = (&String, &mut Map<String, Value>)> {
    doc.get_mut("paths")
        .and_then(Value::as_object_mut)
        .into_iter()
        .flat_map(|paths| paths.iter_mut())
        .filter_map(|(path, item)| item.as_object_mut().map(|item| (path, item)))
        .flat_map(|(path, item)| {
            item.iter_mut()
                .filter(|(method, _)| walk::METHODS.contains(&method.as_str()))
                .filter_map(move |(_, op)| op.as_object_mut().map(|op| (path, op)))
        })
}

/// Replaces references to shared parameters by copies, and moves path-level parameters
/// into each operation, so that every operation lists all its parameters itself and
/// the overlay can document a parameter per operation.
pub fn inline_parameter_refs(doc: &mut Value) -> Result<()> {
    let shared = doc
        .pointer("/components/parameters")
        .cloned()
        .unwrap_or_else(|| json!({}));
    let resolve = |param: &Value| -> Result<Value> {
        match param.get("$ref").and_then(Value::as_str) {
            Some(r) => {
                let name = r.strip_prefix(PARAMETER_PREFIX).ok_or_else(|| {
                    Error::Unsupported(format!(
                        "parameter reference `{r}` does not point into components.parameters"
                    ))
                })?;
                shared.get(name).cloned().ok_or_else(|| {
                    Error::Unsupported(format!("parameter reference `{r}` names no parameter of the document"))
                })
            }
            None => Ok(param.clone()),
        }
    };
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return Ok(());
    };
    for item in paths.values_mut() {
        let Some(item) = item.as_object_mut() else { continue };
        let path_level: Vec<Value> = match item.remove("parameters") {
            Some(Value::Array(params)) => params.iter().map(&resolve).collect::<Result<_>>()?,
            _ => Vec::new(),
        };
        for (method, op) in item.iter_mut() {
            if !walk::METHODS.contains(&method.as_str()) {
                continue;
            }
            let Some(op) = op.as_object_mut() else { continue };
            let mut params: Vec<Value> = match op.get("parameters") {
                Some(Value::Array(params)) => params.iter().map(&resolve).collect::<Result<_>>()?,
                _ => Vec::new(),
            };
            for inherited in &path_level {
                let same = |p: &Value| p.get("name") == inherited.get("name") && p.get("in") == inherited.get("in");
                if !params.iter().any(same) {
                    params.push(inherited.clone());
                }
            }
            if !params.is_empty() {
                op.insert("parameters".into(), Value::Array(params));
            }
        }
    }
    Ok(())
}

fn is_inline_string_enum(schema: &Value) -> bool {
    schema.get("$ref").is_none()
        && schema
            .get("enum")
            .and_then(Value::as_array)
            .is_some_and(|values| values.iter().all(Value::is_string))
        && schema.get("type").and_then(Value::as_str).is_none_or(|t| t == "string")
}

/// Moves inline string enums found in the properties of named schemas into named
/// schemas of their own, and points the properties at them.
///
/// Without this, a status defined inline in a schema that other schemas combine with
/// `allOf` becomes several unrelated Rust enums. The new schema is named by
/// `enum_names["Schema.property"]`, or else `Schema` + `Property` in upper camel case.
pub fn hoist_inline_enums(doc: &mut Value, enum_names: &BTreeMap<String, String>) -> Result<()> {
    let Some(schemas) = doc.pointer_mut("/components/schemas").and_then(Value::as_object_mut) else {
        return Ok(());
    };
    let mut hoisted: BTreeMap<String, Value> = BTreeMap::new();
    for (schema_name, schema) in schemas.iter_mut() {
        hoist_in_schema(schema, schema_name, enum_names, &mut hoisted)?;
    }
    for (name, schema) in hoisted {
        match schemas.get(&name) {
            Some(existing) if existing != &schema => {
                return Err(Error::Unsupported(format!(
                    "an inline enum would be hoisted into schema `{name}`, but a different schema of that name exists; \
                     give it another name under `enum_names` in overlay.yaml"
                )));
            }
            _ => {
                schemas.insert(name, schema);
            }
        }
    }
    Ok(())
}

fn hoist_in_schema(
    schema: &mut Value,
    owner: &str,
    enum_names: &BTreeMap<String, String>,
    hoisted: &mut BTreeMap<String, Value>,
) -> Result<()> {
    for key in ["allOf", "oneOf", "anyOf"] {
        if let Some(members) = schema.get_mut(key).and_then(Value::as_array_mut) {
            for member in members {
                hoist_in_schema(member, owner, enum_names, hoisted)?;
            }
        }
    }
    let Some(properties) = schema.get_mut("properties").and_then(Value::as_object_mut) else {
        return Ok(());
    };
    for (property, prop_schema) in properties.iter_mut() {
        let path = format!("{owner}.{property}");
        let target = if is_inline_string_enum(prop_schema) {
            prop_schema
        } else if let Some(items) = prop_schema.get_mut("items").filter(|i| is_inline_string_enum(i)) {
            items
        } else {
            hoist_in_schema(prop_schema, &path, enum_names, hoisted)?;
            continue;
        };
        let name = enum_names
            .get(&path)
            .cloned()
            .unwrap_or_else(|| default_enum_name(&path));
        let Value::Object(mut fields) = std::mem::take(target) else {
            unreachable!("checked above")
        };
        // What describes the value set moves; what describes this use stays.
        let mut enum_schema = Map::new();
        for key in ["type", "enum", "x-enum-descriptions"] {
            if let Some(v) = fields.remove(key) {
                enum_schema.insert(key.into(), v);
            }
        }
        enum_schema.entry("type").or_insert_with(|| json!("string"));
        let enum_schema = Value::Object(enum_schema);
        if let Some(previous) = hoisted.get(&name)
            && previous != &enum_schema
        {
            return Err(Error::Unsupported(format!(
                "two different inline enums would both be hoisted into schema `{name}` (one at `{path}`); \
                     name them apart under `enum_names` in overlay.yaml"
            )));
        }
        hoisted.insert(name.clone(), enum_schema);
        *target = reference_with(&name, fields);
    }
    Ok(())
}

fn default_enum_name(path: &str) -> String {
    path.split('.')
        .map(|part| {
            part.split(['_', '-', ' '])
                .filter(|w| !w.is_empty())
                .map(|w| {
                    let mut chars = w.chars();
                    chars
                        .next()
                        .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                        .unwrap_or_default()
                })
                .collect::<String>()
        })
        .collect()
}

/// Turns integer enums into plain integers, keeping the listed values under
/// `x-known-values`.
///
/// The generator makes a closed type of an integer enum, so a code the server adds
/// later (say `3` for `PrinterQueueUpdateResponse.code`) would fail the whole
/// response. String enums get open types instead; integers simply stay integers.
pub fn open_integer_enums(doc: &mut Value) {
    match doc {
        Value::Object(obj) => {
            let is_integer_enum = obj.get("type").and_then(Value::as_str) == Some("integer")
                && obj.get("enum").is_some_and(Value::is_array);
            if is_integer_enum && let Some(values) = obj.remove("enum") {
                obj.insert("x-known-values".into(), values);
            }
            obj.values_mut().for_each(open_integer_enums);
        }
        Value::Array(items) => items.iter_mut().for_each(open_integer_enums),
        _ => {}
    }
}

/// Marks optional array and map properties `nullable`.
///
/// The API sends `null` for optional members (its own samples show `"part": null` in
/// printed part tags), and the generator decodes an optional list or map as an empty
/// default that rejects `null`. Optional scalars and objects already accept `null`.
pub fn optional_collections_accept_null(doc: &mut Value) {
    let Some(schemas) = doc.pointer_mut("/components/schemas").and_then(Value::as_object_mut) else {
        return;
    };
    for schema in schemas.values_mut() {
        mark_optional_collections(schema);
    }
}

fn mark_optional_collections(schema: &mut Value) {
    for key in ["allOf", "oneOf", "anyOf"] {
        if let Some(members) = schema.get_mut(key).and_then(Value::as_array_mut) {
            members.iter_mut().for_each(mark_optional_collections);
        }
    }
    let required: Vec<String> = walk::texts(schema, "/required").map(str::to_string).collect();
    let Some(properties) = schema.get_mut("properties").and_then(Value::as_object_mut) else {
        return;
    };
    for (name, prop) in properties.iter_mut() {
        let is_collection = match prop.get("type").and_then(Value::as_str) {
            Some("array") => true,
            Some("object") => prop.get("properties").is_none() && prop.get("additionalProperties").is_some(),
            _ => false,
        };
        if is_collection && !required.contains(name) {
            prop["nullable"] = Value::Bool(true);
        }
        mark_optional_collections(prop);
    }
}

/// A reference to schema `name`, carrying `extra` (nullable, description, default...)
/// through an `allOf` wrapper since OpenAPI 3.0 ignores siblings of `$ref`.
pub fn reference_with(name: &str, extra: Map<String, Value>) -> Value {
    let reference = json!({ "$ref": format!("{SCHEMA_PREFIX}{name}") });
    if extra.is_empty() {
        reference
    } else {
        let mut wrapper = extra;
        wrapper.insert("allOf".into(), json!([reference]));
        Value::Object(wrapper)
    }
}

/// Turns `nullable` on a named schema into `nullable` at each of its uses.
///
/// A named schema marked nullable makes the generator emit the type twice; the
/// document means "this value may be null wherever it appears", which is what
/// `{allOf: [$ref], nullable: true}` at each use says.
pub fn wrap_nullable_named_schemas(doc: &mut Value) {
    let Some(schemas) = doc.pointer_mut("/components/schemas").and_then(Value::as_object_mut) else {
        return;
    };
    let mut nullable = Vec::new();
    for (name, schema) in schemas.iter_mut() {
        if let Some(obj) = schema.as_object_mut()
            && obj.get("nullable") == Some(&Value::Bool(true))
        {
            obj.remove("nullable");
            nullable.push(format!("{SCHEMA_PREFIX}{name}"));
        }
    }
    if !nullable.is_empty() {
        wrap_refs(doc, &nullable);
    }
}

fn wrap_refs(value: &mut Value, targets: &[String]) {
    match value {
        Value::Object(obj) => {
            let is_target = obj.len() == 1
                && obj
                    .get("$ref")
                    .and_then(Value::as_str)
                    .is_some_and(|r| targets.iter().any(|t| t == r));
            if is_target {
                let reference = std::mem::take(obj);
                obj.insert("allOf".into(), Value::Array(vec![Value::Object(reference)]));
                obj.insert("nullable".into(), Value::Bool(true));
            } else {
                obj.values_mut().for_each(|v| wrap_refs(v, targets));
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| wrap_refs(v, targets)),
        _ => {}
    }
}

/// Removes error (non-2xx) responses that declare no body.
///
/// The generator turns a documented body-less error into an error value that has lost
/// the body; left undocumented, the response reaches the caller whole, status and body
/// text included. 3xx answers without body go too: the HTTP client follows redirects.
pub fn drop_bodyless_error_responses(doc: &mut Value) {
    for (_, op) in operations_mut(doc) {
        let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
            continue;
        };
        responses.retain(|code, response| {
            let success = code.starts_with('2');
            let has_body = response
                .get("content")
                .and_then(Value::as_object)
                .is_some_and(|c| !c.is_empty());
            success || has_body
        });
    }
}

/// Gives `application/octet-stream` request bodies the `format: binary` schema the
/// generator needs to send raw bytes.
pub fn mark_octet_stream_bodies_binary(doc: &mut Value) {
    for (_, op) in operations_mut(doc) {
        let Some(media) = op
            .get_mut("requestBody")
            .and_then(|body| body.pointer_mut("/content/application~1octet-stream"))
            .and_then(Value::as_object_mut)
        else {
            continue;
        };
        let schema = media.entry("schema").or_insert_with(|| json!({}));
        if let Some(schema) = schema.as_object_mut()
            && schema.get("$ref").is_none()
        {
            schema.insert("type".into(), json!("string"));
            schema.insert("format".into(), json!("binary"));
        }
    }
}
