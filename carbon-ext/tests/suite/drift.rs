//! What the API sends that this SDK version does not know: each kind reported
//! once per client (a warning and an entry in `Client::drift`), and the program
//! keeps working.

use carbon_ext::drift::{Drift, DriftKind};
use carbon_ext::prelude::*;
use futures::TryStreamExt;
use serde_json::{Value, json};
use tracing_subscriber::fmt::format::FmtSpan;

use crate::common::{Captured, Reply, Scripted, builder, client};

/// A printed part as a newer API sends it: a new member and a new status.
fn reworked(uuid: &str) -> Value {
    json!({"uuid": uuid, "part_uuid": "p", "status": "reworked", "rework_reason": "scratch"})
}

fn page(cursor: &str) -> Reply {
    Reply::json(
        200,
        json!({"parts": [reworked("a"), {"uuid": "b", "part_uuid": "p", "status": "complete"}],
               "next_cursor": cursor, "total_count": 4}),
    )
}

#[tokio::test]
async fn unknown_members_and_values_are_reported_once_each_per_client() {
    let (captured, _guard) = Captured::start(FmtSpan::NONE);
    let server = Scripted::start(vec![
        page("next"),
        page(""),
        Reply::json(200, reworked("a")),
        Reply::json(200, reworked("a")),
    ])
    .await;
    let c = client(&server.base);
    let parts: Vec<_> = c.get_printed_parts().limit(2).items().try_collect().await.unwrap();
    assert_eq!(parts.len(), 4, "the program keeps working");
    assert!(!parts[0].status.is_known());
    assert_eq!(parts[0].status.as_str(), "reworked");
    c.get_printed_part().uuid("a").run().await.unwrap();

    let expected = vec![
        Drift {
            kind: DriftKind::Field {
                schema: "PrintedPart",
                field: "rework_reason".into(),
            },
            operation: "get_printed_parts",
        },
        Drift {
            kind: DriftKind::Value {
                schema: "PrintedPartStatus",
                value: "reworked".into(),
            },
            operation: "get_printed_parts",
        },
    ];
    assert_eq!(c.drift().seen, expected);
    assert_eq!(c.drift().fields(), ["PrintedPart.rework_reason"]);
    assert_eq!(c.drift().values(), ["PrintedPartStatus \"reworked\""]);
    let warnings = captured.warnings();
    assert_eq!(warnings.lines().count(), 2, "{warnings}");
    assert!(
        warnings.contains("field this SDK version does not know")
            && warnings.contains("schema=\"PrintedPart\"")
            && warnings.contains("field=\"rework_reason\"")
            && warnings.contains("operation=\"get_printed_parts\""),
        "{warnings}"
    );
    assert!(warnings.contains("value=\"reworked\""), "{warnings}");

    // Another client says it again; the process keeps the union.
    let other = client(&server.base);
    other.get_printed_part().uuid("a").run().await.unwrap();
    assert_eq!(other.drift().seen.len(), 2, "{:?}", other.drift());
    assert_eq!(other.drift().seen[0].operation, "get_printed_part");
    assert_eq!(captured.warnings().lines().count(), 4);
    let process = carbon_ext::drift::seen_in_process();
    assert!(expected.iter().all(|d| process.seen.iter().any(|p| p.kind == d.kind)));
}

#[tokio::test]
async fn an_api_that_matches_reports_nothing_and_the_watch_can_be_off() {
    let (captured, _guard) = Captured::start(FmtSpan::NONE);
    let known = json!({"uuid": "a", "part_uuid": "p", "status": "complete"});
    let server = Scripted::start(vec![Reply::json(200, known), Reply::json(200, reworked("a"))]).await;
    let c = client(&server.base);
    c.get_printed_part().uuid("a").run().await.unwrap();
    assert!(c.drift().is_empty(), "{:?}", c.drift());
    let quiet = builder(&server.base).watch_drift(false).build().unwrap();
    let part = quiet.get_printed_part().uuid("a").run().await.unwrap();
    assert_eq!(part.status.as_str(), "reworked");
    assert!(quiet.drift().is_empty());
    assert_eq!(captured.warnings(), "");
}

#[tokio::test]
async fn a_retried_calls_success_is_the_answer_read() {
    let server = Scripted::start(vec![
        Reply::text(503, "busy"),
        Reply::json(200, reworked("a")),
        Reply::json(200, reworked("a")),
    ])
    .await;
    let c = client(&server.base);
    c.get_printed_part().uuid("a").run().await.unwrap();
    assert_eq!(server.hits(), 2, "one retry");
    assert_eq!(
        c.drift().fields(),
        ["PrintedPart.rework_reason"],
        "the success after the refusal was read"
    );
}

#[tokio::test]
async fn values_the_program_decodes_itself_are_not_the_apis() {
    let server = Scripted::start(vec![Reply::json(200, json!({"parts": [], "next_cursor": ""}))]).await;
    let c = client(&server.base);
    // The program's own unknown status, decoded before the call: not drift.
    let own: carbon_ext::enums::PrintedPartStatus = serde_json::from_value(json!("reworked")).unwrap();
    assert!(!own.is_known());
    let _: Vec<_> = c.get_printed_parts().limit(10).items().try_collect().await.unwrap();
    assert!(c.drift().is_empty(), "{:?}", c.drift());
}
