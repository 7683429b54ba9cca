//! Reading an OpenAPI document as JSON, one way for every tool here that reads
//! one (the generator's build script, `cargo xtask regen`'s normalization, diff
//! and guards, the simulator's newer-document additions): its operations, its
//! local references, and members that may be missing (read as empty). Steps
//! that change the document in place hold their own mutable walks.
//!
//! ```
//! use carbon_api_spec::walk;
//!
//! let doc = serde_json::json!({"paths": {"/parts": {
//!     "parameters": [],
//!     "get": {"operationId": "getParts", "parameters": [{"name": "limit", "in": "query"}]}
//! }}});
//! let ops: Vec<_> = walk::operations(&doc).collect();
//! assert_eq!((ops[0].method, ops[0].path, ops[0].id()), ("get", "/parts", Some("getParts")));
//! assert_eq!(walk::items(ops[0].op, "/parameters").count(), 1);
//! assert_eq!(walk::texts(ops[0].op, "/tags").count(), 0);
//! ```

use serde_json::Value;

/// The members of a path item that are operations (the others are shared
/// parameters, a summary, servers...).
pub const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// One operation of a document.
#[derive(Debug, Clone, Copy)]
pub struct Operation<'a> {
    /// Its method, as the document writes it (lower case).
    pub method: &'a str,
    /// Its path template (`/parts/{uuid}`).
    pub path: &'a str,
    /// The operation object.
    pub op: &'a Value,
}

impl<'a> Operation<'a> {
    /// Its `operationId`, if it has one.
    pub fn id(&self) -> Option<&'a str> {
        self.op.get("operationId").and_then(Value::as_str)
    }
}

/// Every operation of `doc`, by path, then by method, each in the order of
/// `serde_json`'s maps (sorted by key).
pub fn operations(doc: &Value) -> impl Iterator<Item = Operation<'_>> {
    members(doc, "/paths").flat_map(|(path, item)| {
        item.as_object()
            .into_iter()
            .flatten()
            .filter(|(method, _)| METHODS.contains(&method.as_str()))
            .map(move |(method, op)| Operation { method, path, op })
    })
}

/// The JSON schema of `op`'s success answer: that of its first `2xx` response
/// with an `application/json` body.
pub fn success_schema(op: &Value) -> Option<&Value> {
    members(op, "/responses")
        .filter(|(status, _)| status.starts_with('2'))
        .find_map(|(_, response)| response.pointer("/content/application~1json/schema"))
}

/// `schema`, or what its local `$ref` (`#/components/...`) points to; a
/// reference that points nowhere reads as the schema itself.
pub fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|reference| reference.strip_prefix('#'))
        .and_then(|pointer| doc.pointer(pointer))
        .unwrap_or(schema)
}

/// The items of the array at `pointer` (`/required`) in `value`.
pub fn items<'a>(value: &'a Value, pointer: &str) -> impl Iterator<Item = &'a Value> {
    value.pointer(pointer).and_then(Value::as_array).into_iter().flatten()
}

/// The text items of the array at `pointer` in `value` (others are passed over).
pub fn texts<'a>(value: &'a Value, pointer: &str) -> impl Iterator<Item = &'a str> {
    items(value, pointer).filter_map(Value::as_str)
}

/// The members of the object at `pointer` (`/components/schemas`) in `value`.
pub fn members<'a>(value: &'a Value, pointer: &str) -> impl Iterator<Item = (&'a String, &'a Value)> {
    value.pointer(pointer).and_then(Value::as_object).into_iter().flatten()
}
