//! The overlay: descriptions, and the facts it states where the document has prose.

use carbon_api_regen::overlay;
use serde_json::json;

#[test]
fn parameter_facts_travel_as_extensions_and_text_stays_one_line() {
    let text = r#"
operations:
  listThings:
    summary: List things
    description: Lists things.
    parameters:
      limit: Page size,
        1 to 1000.
      sort:
        description: Sort keys.
        sort_keys: [uuid, updated_at]
      started_after:
        description: Lower bound on the start.
        value_kind: date-time
"#;
    let parsed = overlay::parse(text).unwrap();
    let mut doc = json!({"paths": {"/things": {"get": {"operationId": "listThings", "parameters": [
        {"name": "limit", "in": "query", "schema": {"type": "integer"}},
        {"name": "sort", "in": "query", "schema": {"type": "array", "items": {"type": "string"}}},
        {"name": "started_after", "in": "query", "schema": {"type": "string"}}
    ]}}}});
    let report = overlay::apply(&mut doc, &parsed);
    assert!(report.unmatched.is_empty(), "{report:?}");
    let params = &doc["paths"]["/things"]["get"]["parameters"];
    assert_eq!(params[0]["description"], "Page size, 1 to 1000.");
    assert!(params[0].get("x-carbon-sort-keys").is_none());
    assert_eq!(params[1]["description"], "Sort keys.");
    assert_eq!(params[1]["x-carbon-sort-keys"], json!(["uuid", "updated_at"]));
    assert_eq!(params[2]["x-carbon-value-kind"], "date-time");
    // The schema is left as the document has it: generated types do not change.
    assert_eq!(params[2]["schema"], json!({"type": "string"}));

    // A misspelt fact is refused, not ignored.
    let typo =
        "operations:\n  listThings:\n    parameters:\n      sort:\n        description: x\n        sort_key: [uuid]\n";
    assert!(overlay::parse(typo).is_err());
    let kind =
        "operations:\n  listThings:\n    parameters:\n      sort:\n        description: x\n        value_kind: uuid\n";
    assert!(overlay::parse(kind).is_err());
}
