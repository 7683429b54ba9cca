//! No request can crash the simulator: hostile bodies for every POST and PATCH
//! operation of the document (extreme integers, wrong types, huge strings, deep
//! nesting, invalid ids, unknown enum values), then every kind of request still
//! gets its answer.

use carbon_api_gen::extras::{FieldInfo, ValueKind, operations};
use serde_json::{Value, json};

use crate::common::Raw;

/// A plausible value for a required body member, with real ids where it matters.
fn plausible(field: &FieldInfo, ids: &Value) -> Value {
    if let Some(id) = ids.get(field.name) {
        return id.clone();
    }
    let one = match field.kind {
        ValueKind::Integer => json!(1),
        ValueKind::Number => json!(1.5),
        ValueKind::Boolean => json!(true),
        ValueKind::DateTime => json!("2026-12-24T00:00:00Z"),
        ValueKind::Object => json!({}),
        _ => field.values.first().map_or(json!("x"), |v| json!(v)),
    };
    if field.array { json!([one]) } else { one }
}

/// What goes in place of a member.
fn hostile_values() -> Vec<Value> {
    let mut deep = json!(1);
    for _ in 0..200 {
        deep = json!([deep]);
    }
    vec![
        json!(9_223_372_036_854_775_807i64),
        json!(9_223_372_036_854_775_808u64),
        json!(u64::MAX),
        json!(-9_223_372_036_854_775_808i64),
        json!(-1),
        json!(0),
        json!(1.0e308),
        json!(null),
        json!(true),
        json!("not-a-uuid-\u{0}-\u{202e}"),
        json!("bogus_enum_value"),
        json!("x".repeat(1_000_000)),
        json!([]),
        json!({"nested": {"deeper": [1, 2, {"x": null}]}}),
        deep,
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_bodies_never_crash_the_simulator() {
    let raw = Raw::seeded(5).await;
    let get = |path: String| {
        let request = raw.get(&path);
        async move { request.send().await.unwrap() }
    };
    let builds: Value = get("/builds?limit=1".into()).await.json().await.unwrap();
    let build = builds["builds"][0]["uuid"].clone();
    let printers: Value = get("/printers?limit=1&offset=0".into()).await.json().await.unwrap();
    let serial = printers["printers"][0]["serial"].clone();
    let ids = json!({"build_uuid": build, "route_to": [serial], "printer_serial": serial});

    let mut sent = 0;
    for op in operations().iter().filter(|op| matches!(op.method, "POST" | "PATCH")) {
        let Some(body) = op.body.filter(|b| b.content_type.contains("json")) else {
            continue;
        };
        let path = op.path.replace("{uuid}", "00000000-0000-0000-0000-000000000000");
        let method = reqwest::Method::from_bytes(op.method.as_bytes()).unwrap();
        let base_body: serde_json::Map<String, Value> = body
            .fields
            .iter()
            .filter(|f| f.required)
            .map(|f| (f.name.to_string(), plausible(f, &ids)))
            .collect();
        let mut bodies: Vec<Vec<u8>> = vec![
            b"{}".to_vec(),
            b"null".to_vec(),
            b"[]".to_vec(),
            b"42".to_vec(),
            b"{\"unterminated\": ".to_vec(),
            "[".repeat(100_000).into_bytes(),
        ];
        for field in body.fields {
            for value in hostile_values() {
                let mut hostile = base_body.clone();
                hostile.insert(field.name.to_string(), value);
                bodies.push(serde_json::to_vec(&hostile).unwrap());
            }
        }
        for bytes in bodies {
            let response = raw
                .request(method.clone(), &path)
                .header("content-type", "application/json")
                .body(bytes.clone())
                .send()
                .await
                .unwrap();
            let status = response.status();
            let text = response.text().await.unwrap_or_default();
            assert!(
                status.as_u16() < 500,
                "{} {path} answered {status} ({text}) to {}",
                op.method,
                String::from_utf8_lossy(&bytes[..bytes.len().min(200)])
            );
            sent += 1;
        }
    }
    assert!(sent > 300, "only {sent} hostile requests");

    // Every list and look-up still answers.
    for path in [
        "/applications",
        "/builds?limit=5",
        "/parts?limit=5",
        "/part_orders?limit=5",
        "/print_orders?limit=5",
        "/printed_parts?limit=5",
        "/printers?limit=5&offset=0",
        "/printers/queues",
        "/prints?limit=5",
        "/part_measurements?limit=5",
        "/part_measurement_templates?limit=5",
    ] {
        let response = get(path.to_string()).await;
        assert_eq!(response.status(), 200, "{path} after the hostile requests");
    }
}
