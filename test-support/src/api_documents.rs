//! API documents for playing another API: the upstream document this build was
//! generated from, as Carbon published it, and the changed copies the tests of
//! `carbon api check`, the drift watch and the simulator share.

use serde_json::{Value, json};

/// The document this build was generated from, as Carbon published it.
pub fn upstream() -> Value {
    serde_json::from_str(carbon_api_spec::UPSTREAM_JSON).expect("the committed upstream document is JSON")
}

/// Carbon ships 0.4.18 with additions: an optional `PrintedPart.rework_reason`
/// and a `PrintedPartStatus` value `reworked`.
pub fn additive() -> Value {
    let mut doc = upstream();
    doc["info"]["version"] = json!("0.4.18");
    let schemas = &mut doc["components"]["schemas"];
    schemas["PrintedPart"]["properties"]["rework_reason"] = json!({"type": "string", "nullable": true});
    schemas["PrintedPartStatus"]["enum"]
        .as_array_mut()
        .expect("PrintedPartStatus lists its values")
        .push(json!("reworked"));
    doc
}

/// Carbon ships 0.4.18 without `PrintedPart.serial_number`, which the SDK reads.
pub fn breaking() -> Value {
    let mut doc = upstream();
    doc["info"]["version"] = json!("0.4.18");
    let removed = doc["components"]["schemas"]["PrintedPart"]["properties"]
        .as_object_mut()
        .expect("PrintedPart lists its members")
        .remove("serial_number");
    assert!(removed.is_some(), "the upstream document has PrintedPart.serial_number");
    doc
}
