//! Print orders, printed parts, printers and their queues, prints and their
//! quality data.

use carbon_api_gen::enums::PrintedPartStatus;
use carbon_api_gen::types;
use httpmock::Method::{GET, PATCH, POST};
use serde_json::json;

use super::{ts, T0};
use crate::wire::{limit, Wire};

fn print_order_json() -> serde_json::Value {
    json!({"uuid": "pro-1", "build_uuid": "b-1", "total_copies": 3, "print_order_number": "PRO-1",
           "print_order_tags": {"line": "2"}, "notes": "rush",
           "routed_to": {"L1001A": {"copies_queued": 2, "copies_printed": 1}}, "created_at": T0})
}

#[tokio::test]
async fn print_orders_list_create_get_update() {
    let wire = Wire::start().await;
    let page = wire
        .expect(GET, "/v1/print_orders")
        .query(&[
            ("limit", "5"),
            ("printer_serial", "L1001A"),
            ("printer_serial", "L1002B"),
        ])
        .answer(json!({"print_orders": [print_order_json()], "limit": 5, "total_count": 1}))
        .call(|c| {
            c.get_print_orders()
                .limit(limit(5))
                .printer_serial(vec!["L1001A".into(), "L1002B".into()])
                .send()
        })
        .await;
    assert_eq!(
        page.print_orders.as_ref().unwrap()[0].routed_to.as_ref().unwrap()["L1001A"].copies_printed,
        Some(1)
    );
    let body = types::PrintOrderRequest {
        uuid: Some("pro-1".into()),
        build_uuid: "b-1".into(),
        total_copies: std::num::NonZeroU64::new(3).unwrap(),
        route_to: vec!["L1001A".into()],
        print_order_tags: Some([("line".to_string(), "2".to_string())].into()),
        print_order_number: None,
        notes: None,
    };
    wire.expect(POST, "/v1/print_orders")
        .json(json!({
            "uuid": "pro-1", "build_uuid": "b-1", "total_copies": 3, "route_to": ["L1001A"],
            "print_order_tags": {"line": "2"}
        }))
        .answer(print_order_json())
        .call(|c| c.create_print_order().body(body).send())
        .await;
    wire.expect(GET, "/v1/print_orders/pro-1")
        .answer(print_order_json())
        .call(|c| c.get_print_order().uuid("pro-1").send())
        .await;
    let update = types::PrintOrderUpdateRequest {
        notes: Some("not rush".into()),
        ..Default::default()
    };
    wire.expect(PATCH, "/v1/print_orders/pro-1")
        .json(json!({"notes": "not rush"}))
        .answer(print_order_json())
        .call(|c| c.update_print_order().uuid("pro-1").body(update).send())
        .await;
}

#[tokio::test]
async fn print_quality_data_uses_camel_case_key_and_label_fields() {
    let wire = Wire::start().await;
    let data = wire
        .expect(GET, "/v1/print_quality_data")
        .query(&[("printIds", "P-1"), ("printIds", "P-2")])
        .answer(json!({"prints": [{"Print ID": "P-1", "Total Time (min)": "42.5"}]}))
        .call(|c| {
            c.get_print_quality_data()
                .print_ids(vec!["P-1".into(), "P-2".into()])
                .send()
        })
        .await;
    let row = serde_json::to_value(&data.prints.as_ref().unwrap()[0]).unwrap();
    assert_eq!(row["Print ID"], "P-1");
    assert_eq!(row["Total Time (min)"], "42.5");
}

fn printed_part_json(uuid: &str, status: &str) -> serde_json::Value {
    json!({
        "uuid": uuid, "part_uuid": "part-1", "status": status, "part_number": "PN-1",
        "part_order_uuid": "po-1", "part_order_number": "PO-1", "build_uuid": "b-1", "print_id": "P-9",
        "print_uuid": "print-9", "serial_number": null, "finished_at": null, "error": null,
        "tags": {"part": null, "part_number": {"k": "v"}, "printed_part": {}},
        "project_blackline": 0.25, "resin_lot_number": "L7", "created_at": T0, "updated_at": T0
    })
}

#[tokio::test]
async fn printed_parts_list_and_get() {
    let wire = Wire::start().await;
    let page = wire
        .expect(GET, "/v1/printed_parts")
        .query(&[
            ("limit", "1000"),
            ("part_order_uuid", "po-1"),
            ("part_uuid", "part-1"),
            ("part_uuid", "part-2"),
            ("started_after", "2026-11-02T10:00:00Z"),
            ("sort", "updated_at"),
        ])
        .answer(json!({"parts": [printed_part_json("pp-1", "printing")],
                       "limit": 1000, "next_cursor": "", "total_count": 1}))
        .call(|c| {
            c.get_printed_parts()
                .limit(limit(1000))
                .part_order_uuid(vec!["po-1".into()])
                .part_uuid(vec!["part-1".into(), "part-2".into()])
                .started_after(ts(T0))
                .sort(vec!["updated_at".into()])
                .send()
        })
        .await;
    assert_eq!(page.parts.as_ref().unwrap()[0].status, PrintedPartStatus::Printing);
    assert_eq!(page.parts.as_ref().unwrap()[0].serial_number, None);
    let part = wire
        .expect(GET, "/v1/printed_parts/pp-1")
        .answer(printed_part_json("pp-1", "complete"))
        .call(|c| c.get_printed_part().uuid("pp-1").send())
        .await;
    assert_eq!(part.status, PrintedPartStatus::Complete);
}

fn printer_json(serial: &str) -> serde_json::Value {
    json!({"serial": serial, "name": "Printer 1", "alias": null, "hw_type": "M2", "url": "https://printer.example/1",
           "updated_at": T0, "status": {"printer_state": "PRINTING", "software_version": "1.2", "alerts": []},
           "prints": {"queue_length": 2, "current": {"print_id": "P-1", "remaining_sec": 600}}})
}

#[tokio::test]
async fn printers_offset_paging_and_get() {
    let wire = Wire::start().await;
    let page = wire
        .expect(GET, "/v1/printers")
        .query(&[("limit", "20"), ("offset", "40")])
        .answer(json!({"printers": [printer_json("L1001A")], "limit": 20, "offset": 40, "total_count": 41}))
        .call(|c| c.get_printers().limit(limit(20)).offset(40u64).send())
        .await;
    assert_eq!(page.offset, 40);
    assert_eq!(page.printers[0].prints.queue_length, 2);
    let printer = wire
        .expect(GET, "/v1/printers/L1001A")
        .answer(printer_json("L1001A"))
        .call(|c| c.get_printer().serial("L1001A").send())
        .await;
    assert_eq!(printer.status.printer_state, "PRINTING");
}

#[tokio::test]
async fn printer_serial_pattern_is_checked_before_sending() {
    let wire = Wire::start().await;
    let err = wire.client.get_printer().serial("queues").send().await.unwrap_err();
    assert!(matches!(err, carbon_api_gen::Error::InvalidRequest(_)), "{err:?}");
}

#[tokio::test]
async fn printer_queues_get_and_both_update_bodies() {
    let wire = Wire::start().await;
    let queues = wire
        .expect(GET, "/v1/printers/queues")
        .query(&[("printer_serial", "L1001A")])
        .answer(json!({"printer_queues": [
            {"printer_serial": "L1001A", "print_uuids": ["pr-1", "pr-2"], "updated_at": T0}
        ]}))
        .call(|c| c.get_printer_queues().printer_serial(vec!["L1001A".into()]).send())
        .await;
    assert_eq!(
        queues.printer_queues.as_ref().unwrap()[0].print_uuids,
        Some(vec!["pr-1".to_string(), "pr-2".to_string()])
    );
    let move_request = types::PrinterQueueMoveRequest {
        action_type: types::PrinterQueueMoveAction::PrinterQueueMoveRequest,
        printer_serial: "L1002B".into(),
        index: -1,
        print_uuids: vec!["pr-2".into()],
    };
    let moved = wire
        .expect(PATCH, "/v1/printers/queues")
        .json(json!({
            "action_type": "PrinterQueueMoveRequest", "printer_serial": "L1002B", "index": -1, "print_uuids": ["pr-2"]
        }))
        .answer(json!({"code": 0, "message": "ok", "uuids": ["pr-2"]}))
        .call(|c| c.update_printer_queue().body(move_request).send())
        .await;
    assert_eq!(moved.code, Some(0));
    let delete_request = types::PrinterQueueDeleteRequest {
        action_type: types::PrinterQueueDeleteAction::PrinterQueueDeleteRequest,
        print_uuids: vec!["pr-1".into()],
    };
    let deleted = wire
        .expect(PATCH, "/v1/printers/queues")
        .json(json!({"action_type": "PrinterQueueDeleteRequest", "print_uuids": ["pr-1"]}))
        .answer(json!({"code": 1, "message": "partly", "uuids": ["pr-1"]}))
        .call(|c| c.update_printer_queue().body(delete_request).send())
        .await;
    assert_eq!(deleted.code, Some(1));
}

#[tokio::test]
async fn get_prints_with_status_filter_and_nested_records() {
    let wire = Wire::start().await;
    let page = wire
        .expect(GET, "/v1/prints")
        .query(&[
            ("limit", "100"),
            ("status", "finished"),
            ("status", "aborted"),
            ("started_after", "2026-11-01"),
            ("printer_serial", "L1001A"),
        ])
        .answer(json!({"prints": [{
            "uuid": "print-1", "print_id": "P-1", "status": "finished", "build_uuid": "b-1",
            "started_at": T0, "finished_at": null,
            "origin": {"printer_serial": "L1001A", "platform_serial": "PL-1"},
            "config": {"resin_name": "RPU 70", "slice_thickness_nm": 100000},
            "metrics": {"consumed_resin_volume_ml": 12.5},
            "feedback": {"feedback_rating": 4, "feedback_message": "ok"}
        }], "limit": 100, "next_cursor": "", "total_count": 1}))
        .call(|c| {
            c.get_prints()
                .limit(limit(100))
                .status(vec!["finished".into(), "aborted".into()])
                .started_after("2026-11-01")
                .printer_serial(vec!["L1001A".into()])
                .send()
        })
        .await;
    let print = &page.prints.as_ref().unwrap()[0];
    assert_eq!(
        print.origin.as_ref().and_then(|o| o.platform_serial.as_deref()),
        Some("PL-1")
    );
    assert_eq!(print.config.as_ref().and_then(|c| c.slice_thickness_nm), Some(100000));
    assert_eq!(print.finished_at, None);
}
