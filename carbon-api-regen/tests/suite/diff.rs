//! The semantic diff and its verdict on fixture pairs.

use carbon_api_regen::diff::{Diff, Impact, diff};
use carbon_api_regen::{compare, overlay, parse};

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn load(name: &str) -> serde_json::Value {
    let path = fixture(name);
    parse(&path, &std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// Two fixtures compared as `cargo xtask diff` compares them, with the overlay
/// that names the fixture's hoisted enum.
fn compare_fixtures(old: &str, new: &str) -> Diff {
    let overlay = overlay::parse(&std::fs::read_to_string(fixture("shop-v1-overlay.yaml")).unwrap()).unwrap();
    compare(&load(old), &load(new), &overlay).unwrap()
}

/// The report on two fixtures compared (as [`compare_fixtures`]), whose verdict
/// must be `verdict`.
fn judged(old: &str, new: &str, verdict: Impact) -> String {
    let d = compare_fixtures(old, new);
    let text = d.to_string();
    assert_eq!(d.verdict(), verdict, "{text}");
    text
}

#[test]
fn additive_changes() {
    let text = judged("shop-v1.yaml", "shop-v2-additive.json", Impact::Additive);
    assert!(
        text.contains("GET /customers (listCustomers):\n  - operation added [additive]"),
        "{text}"
    );
    assert!(
        text.contains("param added `customer` (query, string) [additive]"),
        "{text}"
    );
    assert!(
        text.contains("schema OrderStatus:\n  - enum value added `returned` [additive]"),
        "{text}"
    );
    assert!(text.contains("property added `note` (string) [additive]"), "{text}");
    assert!(text.contains("schema Customer:\n  - schema added [additive]"), "{text}");
    assert!(text.ends_with("semver: additive\n"), "{text}");
    assert!(!text.contains("docs changed"), "documentation is not an API change");
}

#[test]
fn breaking_changes() {
    let text = judged("shop-v1.yaml", "shop-v2-breaking.json", Impact::Breaking);
    assert!(
        text.contains("operationId listOrders -> findOrders: the method is renamed [breaking]"),
        "{text}"
    );
    assert!(text.contains("param removed `status` (query) [breaking]"), "{text}");
    assert!(text.contains("enum value removed `shipped` [breaking]"), "{text}");
    assert!(
        text.contains("property `next_cursor` type string -> integer [breaking]"),
        "{text}"
    );
    assert!(text.ends_with("semver: breaking\n"), "{text}");
}

#[test]
fn documentation_and_key_order_are_no_change() {
    let text = judged("shop-v1.yaml", "shop-v1-docs-only.json", Impact::None);
    assert_eq!(text, "no API changes\nsemver: none\n");
}

#[test]
fn required_changes_are_breaking_both_ways() {
    use serde_json::json;
    let old = json!({"components": {"schemas": {"A": {"type": "object", "required": ["x"], "properties": {
        "x": {"type": "string"}, "y": {"type": "string"}
    }}}}});
    let new = json!({"components": {"schemas": {"A": {"type": "object", "required": ["y"], "properties": {
        "x": {"type": "string"}, "y": {"type": "string"}
    }}}}});
    let d = diff(&old, &new);
    let text = d.to_string();
    assert!(text.contains("property `x` is now optional [breaking]"), "{text}");
    assert!(text.contains("property `y` is now required [breaking]"), "{text}");

    let old_op = json!({"paths": {"/a": {"get": {"operationId": "a", "parameters": [
        {"name": "q", "in": "query", "schema": {"type": "string"}}
    ]}}}});
    let new_op = json!({"paths": {"/a": {"get": {"operationId": "a", "parameters": [
        {"name": "q", "in": "query", "required": true, "schema": {"type": "string"}},
        {"name": "r", "in": "query", "required": true, "schema": {"type": "string"}}
    ]}}}});
    let text = diff(&old_op, &new_op).to_string();
    assert!(text.contains("param `q` (query) is now required [breaking]"), "{text}");
    assert!(
        text.contains("required param added `r` (query, string) [breaking]"),
        "{text}"
    );
}
