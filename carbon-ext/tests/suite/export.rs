//! The export of printed parts with their prints, against a scripted API: what a
//! row holds when the print is there, missing or never named, a part listed twice
//! across pages, and which prints are asked for.

use carbon_ext::export::PartFilters;
use futures::TryStreamExt;
use serde_json::json;

use crate::common::{self, Reply, Scripted};

fn part(uuid: &str, print_id: Option<&str>) -> serde_json::Value {
    json!({"uuid": uuid, "part_uuid": "p", "status": "complete", "part_number": "PN", "print_id": print_id})
}

fn print(id: &str, serial: &str) -> serde_json::Value {
    json!({
        "uuid": format!("u-{id}"), "print_id": id, "status": "finished",
        "origin": {"printer_serial": serial}, "config": {"resin_name": "EPX 82"},
        "started_at": "2026-11-30T08:00:00Z", "finished_at": "2026-11-30T10:00:00Z",
    })
}

#[tokio::test]
async fn each_part_comes_once_with_the_print_it_names_if_the_api_has_it() {
    let parts = |items: serde_json::Value, next: &str| Reply::json(200, json!({"parts": items, "next_cursor": next}));
    let server = Scripted::start(vec![
        parts(
            json!([part("a", Some("P1")), part("b", Some("P2")), part("c", None)]),
            "c2",
        ),
        // `c` moved a page while the listing ran: it comes again.
        parts(
            json!([part("c", None), part("d", Some("P404")), part("e", Some("P1"))]),
            "",
        ),
        Reply::json(
            200,
            json!({"prints": [print("P1", "S1"), print("P2", "S2")], "next_cursor": ""}),
        ),
    ])
    .await;
    let client = common::client(&server.base);
    let rows: Vec<_> = client
        .export_printed_parts(&PartFilters::default())
        .try_collect()
        .await
        .unwrap();
    let rows: Vec<(String, Option<String>)> = rows
        .into_iter()
        .map(|row| {
            let row = row.unwrap();
            let serial = row.print.and_then(|p| p.printer_serial.clone());
            (row.part.uuid, serial)
        })
        .collect();
    let expected = [
        ("a", Some("S1")),
        ("b", Some("S2")),
        ("c", None),
        ("d", None),
        ("e", Some("S1")),
    ];
    assert_eq!(
        rows,
        expected.map(|(uuid, serial)| (uuid.to_string(), serial.map(str::to_string)))
    );
    // Two pages and one look-up: each print asked once, in every status a part can
    // be in (the API answers only finished prints unless asked).
    let seen = server.requests();
    assert_eq!(seen.len(), 3, "{seen:#?}");
    let lookup = &seen[2].target;
    assert!(lookup.starts_with("/v1/prints?"), "{lookup}");
    assert_eq!(lookup.matches("P1").count(), 1, "{lookup}");
    for wanted in ["P2", "P404", "queued", "printing", "finished"] {
        assert!(lookup.contains(wanted), "{wanted} in {lookup}");
    }
}

#[tokio::test]
async fn a_failed_look_up_ends_the_export_with_its_error() {
    let server = Scripted::start(vec![
        Reply::json(200, json!({"parts": [part("a", Some("P1"))], "next_cursor": ""})),
        Reply::json(400, json!({"message": "bad print id"})),
    ])
    .await;
    let client = common::client(&server.base);
    let error = client
        .export_printed_parts(&PartFilters::default())
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(error.to_string().contains("bad print id"), "{error}");
}

#[tokio::test]
async fn a_listing_that_fails_gives_every_row_listed_before_the_error() {
    let server = Scripted::start(vec![
        Reply::json(
            200,
            json!({"parts": [part("a", Some("P1")), part("b", None)], "next_cursor": "c2"}),
        ),
        Reply::json(400, json!({"message": "cursor expired"})),
        Reply::json(200, json!({"prints": [print("P1", "S1")], "next_cursor": ""})),
    ])
    .await;
    let client = common::client(&server.base);
    let mut export = client.export_printed_parts(&PartFilters::default());
    let mut rows = Vec::new();
    let error = loop {
        match export.try_next().await {
            Ok(Some(row)) => rows.push(row.unwrap()),
            Ok(None) => panic!("the export ended without its error"),
            Err(error) => break error,
        }
    };
    assert!(error.to_string().contains("cursor expired"), "{error}");
    let uuids: Vec<&str> = rows.iter().map(|r| r.part.uuid.as_str()).collect();
    assert_eq!(uuids, ["a", "b"]);
    assert_eq!(rows[0].print.as_ref().unwrap().printer_serial.as_deref(), Some("S1"));
    // Listed by uuid, explicitly: the order no change to a record moves.
    assert!(
        server.requests()[0].target.contains("sort=uuid"),
        "{}",
        server.requests()[0].target
    );
}
