//! Parts, part orders, builds and part measurements.

use carbon_api_gen::enums::{BuildStatus, PartOrderStatus, PrintedPartStatus};
use carbon_api_gen::types;
use httpmock::Method::{DELETE, GET, PATCH, POST};
use serde_json::json;

use super::{ts, T0};
use crate::wire::{limit, Wire};

fn build_json(uuid: &str) -> serde_json::Value {
    json!({
        "uuid": uuid, "name": "B-1", "revision": "2", "status": "Released", "packing_group": "pg-a",
        "application_uuid": "app-1", "created_at": T0, "updated_at": T0,
        "attachments": [{"filename": "traveler.pdf", "uuid": "att-1"}],
        "part_orders": [{"uuid": "po-1", "part_order_number": "PO-1", "status": "processing"}],
        "parts": [{"uuid": "part-1", "part_number": "PN-1", "model_uuid": "m-1",
                   "part_number_tags": {"size": "M"}, "part_tags": {}}]
    })
}

#[tokio::test]
async fn get_builds_encodes_filters_sort_and_cursor() {
    let wire = Wire::start().await;
    let page = wire
        .expect(GET, "/v1/builds")
        .query(&[
            ("limit", "50"),
            ("cursor", "c-2"),
            ("uuid", "b-1"),
            ("uuid", "b-2"),
            ("packing_group", "pg-a"),
            ("status", "Released"),
            ("updated_after", "2026-11-02T10:00:00Z"),
            ("sort", "updated_at,desc"),
            ("sort", "build_uuid"),
        ])
        .answer(json!({
            "builds": [build_json("b-1")], "limit": 50, "next_cursor": "c-3", "total_count": 10000
        }))
        .call(|c| {
            c.get_builds()
                .limit(limit(50))
                .cursor("c-2")
                .uuid(vec!["b-1".to_string(), "b-2".to_string()])
                .packing_group("pg-a".parse::<types::GetBuildsPackingGroup>().unwrap())
                .status("Released")
                .updated_after(ts(T0))
                .sort(vec!["updated_at,desc".to_string(), "build_uuid".to_string()])
                .send()
        })
        .await;
    assert_eq!(page.next_cursor.as_deref(), Some("c-3"));
    assert_eq!(page.total_count, Some(10000));
    let build = &page.builds.as_ref().unwrap()[0];
    assert_eq!(build.status, Some(BuildStatus::Released));
    assert_eq!(build.attachments.as_ref().unwrap()[0].uuid.as_deref(), Some("att-1"));
    assert_eq!(
        build.parts[0]
            .part_number_tags
            .as_ref()
            .and_then(|t| t.get("size"))
            .map(String::as_str),
        Some("M")
    );
}

#[tokio::test]
async fn get_build() {
    let wire = Wire::start().await;
    let build = wire
        .expect(GET, "/v1/builds/b-1")
        .answer(build_json("b-1"))
        .call(|c| c.get_build().uuid("b-1").send())
        .await;
    assert_eq!(build.uuid, "b-1");
    assert_eq!(build.created_at, Some(ts(T0)));
}

#[tokio::test]
async fn part_measurement_templates_and_measurements() {
    let wire = Wire::start().await;
    let t = wire
        .expect(GET, "/v1/part_measurement_templates")
        .query(&[("limit", "1000"), ("application_uuid", "app-1")])
        .answer(json!({"part_measurement_templates": [{
            "uuid": "t-1", "measurement_name": "Wall", "measurement_type": "value", "required_level": "required",
            "min": 0.5, "max": null, "units": "mm", "zones": ["A"], "zones_enabled": true,
            "category_options": null, "production_sop_version": 3
        }], "limit": 1000, "next_cursor": "", "total_count": 1}))
        .call(|c| {
            c.get_part_measurement_templates()
                .limit(limit(1000))
                .application_uuid(vec!["app-1".into()])
                .send()
        })
        .await;
    let template = &t.part_measurement_templates.as_ref().unwrap()[0];
    assert_eq!(template.measurement_type.as_ref().map(|m| m.as_str()), Some("value"));
    assert_eq!(template.max, None);
    assert_eq!(t.next_cursor.as_deref(), Some(""));
    let m = wire
        .expect(GET, "/v1/part_measurements")
        .query(&[
            ("limit", "10"),
            ("printed_part_uuid", "pp-1"),
            ("printed_part_uuid", "pp-2"),
        ])
        .answer(json!({"part_measurements": [{
            "uuid": "pm-1", "printed_part_uuid": "pp-1", "part_measurement_template_uuid": "t-1",
            "measurement_result": "flag", "value": 0.7, "category_value": null, "zones": []
        }], "limit": 10, "total_count": 1}))
        .call(|c| {
            c.get_part_measurements()
                .limit(limit(10))
                .printed_part_uuid(vec!["pp-1".into(), "pp-2".into()])
                .send()
        })
        .await;
    assert_eq!(
        m.part_measurements.as_ref().unwrap()[0]
            .measurement_result
            .as_ref()
            .map(ToString::to_string)
            .as_deref(),
        Some("flag")
    );
    assert_eq!(m.next_cursor, None);
}

#[tokio::test]
async fn get_part_orders_with_status_and_number() {
    let wire = Wire::start().await;
    let page = wire
        .expect(GET, "/v1/part_orders")
        .query(&[
            ("limit", "100"),
            ("status", "processing"),
            ("part_order_number", "PO-1"),
            ("sort", "due_date"),
        ])
        .answer(json!({"part_orders": [{
            "uuid": "po-1", "part_order_number": "PO-1", "status": "processing", "due_date": T0,
            "build_uuids": ["b-1"], "printed_parts_count": 3, "flushed_at": null
        }], "limit": 100, "next_cursor": null, "total_count": 1}))
        .call(|c| {
            c.get_part_orders()
                .limit(limit(100))
                .status(PartOrderStatus::Processing)
                .part_order_number("PO-1")
                .sort(vec!["due_date".into()])
                .send()
        })
        .await;
    assert_eq!(
        page.part_orders.as_ref().unwrap()[0].status,
        Some(PartOrderStatus::Processing)
    );
    assert_eq!(page.part_orders.as_ref().unwrap()[0].printed_parts_count, Some(3));
}

fn part_order_json(status: &str) -> serde_json::Value {
    json!({
        "uuid": "po-1", "part_order_number": "PO-1", "status": status, "due_date": T0,
        "build_uuids": [], "packing_group": "pg-a", "flushed_at": null,
        "printed_parts": [{"uuid": "pp-1", "part_uuid": "part-1", "status": "waiting"}]
    })
}

#[tokio::test]
async fn create_part_order_with_caller_chosen_uuid() {
    let wire = Wire::start().await;
    let body = types::PartOrderRequest {
        uuid: Some("po-1".into()),
        part_order_number: "PO-1".into(),
        due_date: ts(T0),
        flush: Some(true),
        packing_group: Some("pg-a".parse().unwrap()),
        parts: vec![types::PartOrderRequestParts {
            uuid: Some("part-1".into()),
        }],
        build_sop_uuid: None,
    };
    let order = wire
        .expect(POST, "/v1/part_orders")
        .json(json!({
            "uuid": "po-1", "part_order_number": "PO-1", "due_date": T0, "flush": true,
            "packing_group": "pg-a", "parts": [{"uuid": "part-1"}]
        }))
        .answer(part_order_json("open"))
        .call(|c| c.create_part_order().body(body).send())
        .await;
    assert_eq!(order.status, Some(PartOrderStatus::Open));
    assert_eq!(order.printed_parts[0].status, PrintedPartStatus::Waiting);
}

#[tokio::test]
async fn get_update_and_cancel_part_order() {
    let wire = Wire::start().await;
    let order = wire
        .expect(GET, "/v1/part_orders/po-1")
        .answer(part_order_json("processing"))
        .call(|c| c.get_part_order().uuid("po-1").send())
        .await;
    assert_eq!(order.uuid, "po-1");
    wire.expect(PATCH, "/v1/part_orders/po-1")
        .json(json!({"flush": true}))
        .answer(part_order_json("processing"))
        .call(|c| {
            c.update_part_order()
                .uuid("po-1")
                .body(types::PartOrderUpdateRequest { flush: Some(true) })
                .send()
        })
        .await;
    // Answered with 204, which `call` checks.
    wire.expect(DELETE, "/v1/part_orders/po-1")
        .status(204)
        .call(|c| c.delete_part_order().uuid("po-1").send())
        .await;
}

#[tokio::test]
async fn parts_list_create_get() {
    let wire = Wire::start().await;
    let parts = wire
        .expect(GET, "/v1/parts")
        .query(&[("limit", "2"), ("model_uuid", "m-1")])
        .answer(
            json!({"parts": [{"uuid": "part-1", "part_number": "PN-1", "model_uuid": "m-1"}],
                       "limit": 2, "next_cursor": "", "total_count": 1}),
        )
        .call(|c| c.get_parts().limit(limit(2)).model_uuid(vec!["m-1".into()]).send())
        .await;
    assert_eq!(parts.parts.as_ref().unwrap()[0].uuid, "part-1");
    let part = wire
        .expect(POST, "/v1/parts")
        .json(json!({"part_number": "PN-1", "model_uuid": "m-1"}))
        .answer(json!({"uuid": "part-2", "part_number": "PN-1", "model_uuid": "m-1"}))
        .call(|c| {
            c.create_part()
                .body(types::PartRequest {
                    part_number: "PN-1".into(),
                    model_uuid: "m-1".into(),
                    application_uuid: None,
                })
                .send()
        })
        .await;
    let got = wire
        .expect(GET, "/v1/parts/part-2")
        .answer(json!({"uuid": "part-2", "part_number": "PN-1"}))
        .call(|c| c.get_part().uuid(part.uuid).send())
        .await;
    assert_eq!(got.part_number, "PN-1");
}
