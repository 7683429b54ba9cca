//! Each guard: the construct it catches and the message it gives.

use carbon_api_regen::guards;
use serde_json::{Value, json};

fn op(method: &str, path: &str, op: Value) -> Value {
    json!({"openapi": "3.0.3", "paths": {path: {method: op}}})
}

fn messages(errors: Vec<guards::GuardError>) -> Vec<String> {
    errors.iter().map(ToString::to_string).collect()
}

/// The message of the one error in `errors` (there must be exactly one).
fn only_message(errors: Vec<guards::GuardError>) -> String {
    let mut messages = messages(errors);
    assert_eq!(messages.len(), 1, "{messages:?}");
    messages.remove(0)
}

#[test]
fn missing_and_duplicate_operation_ids() {
    let doc = json!({"paths": {
        "/a": {"get": {"operationId": "same", "responses": {}}},
        "/b": {"get": {"operationId": "same", "responses": {}}, "post": {"responses": {}}}
    }});
    let errors = messages(guards::operation_ids(&doc));
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors
            .iter()
            .any(|e| e.contains("operation same (GET /b)") && e.contains("already used by operation same (GET /a)"))
    );
    assert!(
        errors
            .iter()
            .any(|e| e.contains("operation POST /b") && e.contains("has no operationId"))
    );
}

#[test]
fn several_success_body_shapes() {
    let doc = op(
        "delete",
        "/orders/{id}",
        json!({"operationId": "cancelOrder", "responses": {
            "200": {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}},
            "204": {"description": "No Content"}
        }}),
    );
    let error = only_message(guards::success_bodies(&doc));
    assert!(
        error.starts_with(
            "operation cancelOrder (DELETE /orders/{id}): has success responses with different bodies (200, 204)"
        ),
        "{error}"
    );
    assert!(error.contains("keep one success response shape"));

    let typed_default = op(
        "get",
        "/x",
        json!({"operationId": "x", "responses": {
            "200": {"description": "OK"},
            "default": {"description": "Error", "content": {"application/json": {"schema": {"type": "object"}}}}
        }}),
    );
    assert_eq!(guards::success_bodies(&typed_default).len(), 1);

    let same = op(
        "get",
        "/y",
        json!({"operationId": "y", "responses": {"200": {"description": "OK"}, "204": {"description": "No"}}}),
    );
    assert!(guards::success_bodies(&same).is_empty());
}

#[test]
fn several_request_media_types_and_multipart() {
    let doc = op(
        "post",
        "/files",
        json!({"operationId": "upload", "requestBody": {"content": {
        "application/json": {"schema": {"type": "object"}},
        "multipart/form-data": {"schema": {"type": "object"}}
    }}, "responses": {}}),
    );
    let errors = messages(guards::request_bodies(&doc));
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors[0].contains("several request media types (application/json, multipart/form-data)"));
    assert!(errors[1].contains("multipart/form-data") && errors[1].contains("application/octet-stream"));
}

#[test]
fn json_response_without_schema() {
    let doc = op(
        "get",
        "/x",
        json!({"operationId": "x", "responses": {"200": {"description": "OK", "content": {"application/json": {}}}}}),
    );
    let errors = messages(guards::json_responses_have_schemas(&doc));
    assert_eq!(
        errors,
        vec![
            "operation x (GET /x): response 200 is `application/json` without a schema; give the response a schema, or remove its content if it has no body"
        ]
    );
}

#[test]
fn unsupported_parameters() {
    let doc = op(
        "get",
        "/x",
        json!({"operationId": "x", "parameters": [
        {"name": "session", "in": "cookie", "schema": {"type": "string"}},
        {"name": "filter", "in": "query", "style": "deepObject", "schema": {"type": "object"}},
        {"name": "ids", "in": "query", "style": "pipeDelimited", "schema": {"type": "array", "items": {"type": "string"}}}
    ], "responses": {}}),
    );
    let errors = messages(guards::parameters(&doc));
    assert_eq!(errors.len(), 4, "{errors:?}");
    assert!(errors.iter().any(|e| e.contains("`session` is a cookie parameter")));
    assert!(errors.iter().any(|e| e.contains("`filter` uses style `deepObject`")));
    assert!(errors.iter().any(|e| e.contains("query parameter `filter` is an object") && e.contains("one query parameter per field")));
    assert!(errors.iter().any(|e| e.contains("`ids` uses style `pipeDelimited`")));
}

#[test]
fn external_references() {
    let doc = json!({"components": {"schemas": {"A": {"properties": {"b": {"$ref": "other.yaml#/B"}}}}}});
    let error = only_message(guards::external_refs(&doc));
    assert!(
        error.starts_with(
            "reference at `/components/schemas/A/properties/b`: points outside the document (`other.yaml#/B`)"
        ),
        "{error}"
    );
}

#[test]
fn enum_values_that_collide_as_rust_names() {
    let doc = json!({"components": {"schemas": {"Status": {"type": "string", "enum": ["Open", "open", "closed"]}}}});
    let error = only_message(guards::enum_value_collisions(&doc));
    assert!(
        error.contains("schema Status: enum values Open, open would all become the Rust variant `Open`"),
        "{error}"
    );
}

#[test]
fn the_committed_document_passes_every_guard() {
    let doc: Value = serde_json::from_str(carbon_api_spec_text()).unwrap();
    assert_eq!(messages(guards::check(&doc)), Vec::<String>::new());
}

fn carbon_api_spec_text() -> &'static str {
    include_str!("../../../carbon-api-spec/openapi.json")
}
