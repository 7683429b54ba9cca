//! Each normalization step on its own, on small documents.

use std::collections::BTreeMap;

use carbon_api_regen::normalize::*;
use serde_json::{Value, json};

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    carbon_api_regen::parse(&path, &std::fs::read_to_string(&path).unwrap()).unwrap()
}

#[test]
fn rejects_openapi_3_1_and_swagger_with_advice() {
    let err = require_openapi_3_0(&json!({"openapi": "3.1.0"}))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("OpenAPI 3.1.0") && err.contains("Convert it to 3.0"),
        "{err}"
    );
    let err = require_openapi_3_0(&json!({"swagger": "2.0"})).unwrap_err().to_string();
    assert!(err.contains("Swagger 2.0"), "{err}");
    assert!(require_openapi_3_0(&json!({"openapi": "3.0.3"})).is_ok());
}

#[test]
fn strips_the_base_path_that_paths_repeat() {
    let mut doc = fixture("shop-v1.yaml");
    strip_base_path(&mut doc);
    let paths: Vec<&String> = doc["paths"].as_object().unwrap().keys().collect();
    assert!(paths.iter().all(|p| !p.starts_with("/v1/")), "{paths:?}");
    assert!(doc["paths"].get("/orders/{uuid}").is_some());
    // Paths that are already relative stay as they are.
    let mut relative = json!({"servers": [{"url": "https://x.example/v1"}], "paths": {"/builds": {}}});
    strip_base_path(&mut relative);
    assert!(relative["paths"].get("/builds").is_some());
}

#[test]
fn inlines_shared_and_path_level_parameters() {
    let mut doc = fixture("shop-v1.yaml");
    inline_parameter_refs(&mut doc).unwrap();
    let list = &doc["paths"]["/v1/orders"]["get"]["parameters"];
    assert_eq!(list[0]["name"], "limit");
    assert!(list[0].get("$ref").is_none());
    let get = &doc["paths"]["/v1/orders/{uuid}"];
    assert!(
        get.get("parameters").is_none(),
        "path-level parameters move into the operations"
    );
    assert_eq!(get["get"]["parameters"][0]["name"], "uuid");

    let mut broken = json!({"paths": {"/a": {"get": {"parameters": [{"$ref": "#/components/parameters/Nope"}]}}}});
    let err = inline_parameter_refs(&mut broken).unwrap_err().to_string();
    assert!(err.contains("Nope"), "{err}");
}

#[test]
fn hoists_inline_enums_under_the_overlay_name_or_a_derived_one() {
    let mut doc = fixture("shop-v1.yaml");
    let names = BTreeMap::from([("StatusInfo.status".to_string(), "OrderStatus".to_string())]);
    hoist_inline_enums(&mut doc, &names).unwrap();
    assert_eq!(
        doc["components"]["schemas"]["OrderStatus"],
        json!({"type": "string", "enum": ["open", "shipped"]})
    );
    assert_eq!(
        doc["components"]["schemas"]["StatusInfo"]["properties"]["status"],
        json!({"$ref": "#/components/schemas/OrderStatus"})
    );

    let mut doc = fixture("shop-v1.yaml");
    hoist_inline_enums(&mut doc, &BTreeMap::new()).unwrap();
    assert!(doc["components"]["schemas"].get("StatusInfoStatus").is_some());
}

#[test]
fn hoisting_refuses_to_overwrite_a_different_schema() {
    let mut doc = json!({"components": {"schemas": {
        "A": {"type": "object", "properties": {"kind": {"type": "string", "enum": ["x", "y"]}}},
        "AKind": {"type": "object"}
    }}});
    let err = hoist_inline_enums(&mut doc, &BTreeMap::new()).unwrap_err().to_string();
    assert!(err.contains("AKind") && err.contains("enum_names"), "{err}");
}

#[test]
fn nullable_named_schemas_become_nullable_uses() {
    let mut doc = fixture("shop-v1.yaml");
    wrap_nullable_named_schemas(&mut doc);
    let schemas = &doc["components"]["schemas"];
    assert!(schemas["Tracking"].get("nullable").is_none());
    assert_eq!(
        schemas["Order"]["allOf"][1]["properties"]["tracking"],
        json!({"allOf": [{"$ref": "#/components/schemas/Tracking"}], "nullable": true})
    );
}

#[test]
fn bodyless_error_responses_are_dropped_and_bodies_kept() {
    let mut doc = fixture("shop-v1.yaml");
    drop_bodyless_error_responses(&mut doc);
    let responses = doc["paths"]["/v1/orders"]["get"]["responses"].as_object().unwrap();
    assert_eq!(responses.keys().collect::<Vec<_>>(), vec!["200"]);
    let mut with_body = json!({"paths": {"/a": {"get": {"responses": {
        "200": {"description": "OK"},
        "409": {"description": "Conflict", "content": {"application/json": {"schema": {"type": "object"}}}}
    }}}}});
    drop_bodyless_error_responses(&mut with_body);
    assert!(with_body["paths"]["/a"]["get"]["responses"].get("409").is_some());
    assert!(with_body["paths"]["/a"]["get"]["responses"].get("200").is_some());
}

#[test]
fn octet_stream_bodies_become_binary() {
    let mut doc = fixture("shop-v1.yaml");
    mark_octet_stream_bodies_binary(&mut doc);
    assert_eq!(
        doc["paths"]["/v1/files"]["post"]["requestBody"]["content"]["application/octet-stream"]["schema"],
        json!({"type": "string", "format": "binary"})
    );
}

#[test]
fn integer_enums_become_plain_integers() {
    let mut doc = json!({"components": {"schemas": {"R": {"type": "object", "properties": {
        "code": {"type": "integer", "enum": [0, 1, 2]}
    }}}}});
    open_integer_enums(&mut doc);
    assert_eq!(
        doc["components"]["schemas"]["R"]["properties"]["code"],
        json!({"type": "integer", "x-known-values": [0, 1, 2]})
    );
}

#[test]
fn optional_lists_and_maps_accept_null_required_ones_do_not() {
    let mut doc = json!({"components": {"schemas": {"T": {"type": "object", "required": ["must"], "properties": {
        "must": {"type": "array", "items": {"type": "string"}},
        "list": {"type": "array", "items": {"type": "string"}},
        "map": {"type": "object", "additionalProperties": {"type": "string"}},
        "name": {"type": "string"}
    }}}}});
    optional_collections_accept_null(&mut doc);
    let props = &doc["components"]["schemas"]["T"]["properties"];
    assert!(props["must"].get("nullable").is_none());
    assert_eq!(props["list"]["nullable"], true);
    assert_eq!(props["map"]["nullable"], true);
    assert!(props["name"].get("nullable").is_none());
}

#[test]
fn normalize_is_idempotent() {
    let names = BTreeMap::from([("StatusInfo.status".to_string(), "OrderStatus".to_string())]);
    let once = normalize(fixture("shop-v1.yaml"), &names).unwrap();
    let twice = normalize(once.clone(), &names).unwrap();
    assert_eq!(once, twice);
}
