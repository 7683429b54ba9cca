//! Errors: one type, mapped by status class, with the body and the operation; bad
//! requests refused before sending; decode errors that name the field.

use crate::common;

use carbon_ext::prelude::*;
use carbon_ext::{Error, RetryPolicy};
use common::{Reply, Scripted, builder, client};
use serde_json::json;

type Check = fn(&Error) -> bool;

#[tokio::test]
async fn each_status_class_maps_to_its_variant() {
    let cases: Vec<(u16, Check)> = vec![
        (
            400,
            |e| matches!(e, Error::Api { status, .. } if status.as_u16() == 400),
        ),
        (401, |e| matches!(e, Error::Unauthorized { .. })),
        (403, |e| matches!(e, Error::Unauthorized { .. })),
        (404, |e| matches!(e, Error::NotFound { .. })),
        (405, |e| matches!(e, Error::Api { .. })),
        (409, |e| matches!(e, Error::Conflict { .. })),
        (429, |e| matches!(e, Error::RateLimited { .. })),
        (500, |e| matches!(e, Error::Api { .. })),
    ];
    for (status, check) in cases {
        let server = Scripted::start(vec![Reply::text(status, &format!("reason {status}"))]).await;
        let c = builder(&server.base)
            .retry_policy(RetryPolicy::disabled())
            .build()
            .unwrap();
        let err = c.get_build().uuid("b-1").run().await.unwrap_err();
        assert!(check(&err), "{status}: {err:?}");
        assert_eq!(err.status().map(|s| s.as_u16()), Some(status));
        assert_eq!(err.operation(), "get_build");
        assert!(
            err.to_string().contains(&format!("reason {status}")),
            "the body reaches the caller: {err}"
        );
        assert_eq!(err.is_retryable(), matches!(status, 429 | 500), "{status}");
    }
}

#[tokio::test]
async fn the_raw_send_path_converts_too() {
    let server = Scripted::start(vec![Reply::text(409, "uuid po-1 exists")]).await;
    let c = client(&server.base);
    let raw = c
        .create_part_order()
        .body(carbon_ext::types::PartOrderRequest {
            uuid: Some("po-1".into()),
            ..common::part_order_request("PO-1")
        })
        .send()
        .await
        .unwrap_err();
    let err = Error::from(raw);
    match &err {
        Error::Conflict { call, body, .. } => {
            assert_eq!(call.operation, "create_part_order");
            assert_eq!(body, "uuid po-1 exists");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn decode_errors_name_the_json_path() {
    let server = Scripted::start(vec![Reply::json(
        200,
        json!({
            "parts": [{"uuid": "a", "part_number": "PN"}, {"uuid": "b", "part_number": 7}],
            "next_cursor": ""
        }),
    )])
    .await;
    let err = client(&server.base).get_parts().limit(10).run().await.unwrap_err();
    match &err {
        Error::Decode {
            call,
            path,
            message,
            not_json: false,
            ..
        } => {
            assert_eq!(call.operation, "get_parts");
            assert_eq!(path, "parts[1].part_number");
            assert!(message.contains("invalid type"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("parts[1].part_number"));
}

#[tokio::test]
async fn documented_limits_are_checked_before_sending() {
    let server = Scripted::start(vec![Reply::json(200, json!({"parts": []}))]).await;
    let c = client(&server.base);

    let err = c.get_parts().limit(1001).run().await.unwrap_err();
    assert!(
        matches!(&err, Error::InvalidRequest { message, .. } if message.contains("`limit` is 1001") && message.contains("1..=1000")),
        "{err}"
    );
    let err = c.get_parts().limit(0).run().await.unwrap_err();
    assert!(matches!(&err, Error::InvalidRequest { .. }), "{err}");

    let statuses: Vec<String> = (0..6).map(|i| format!("s{i}")).collect();
    let err = c.get_prints().limit(10).status(statuses).run().await.unwrap_err();
    assert!(
        matches!(&err, Error::InvalidRequest { message, .. } if message.contains("`status` has 6 values") && message.contains("at most 5")),
        "{err}"
    );

    let ids: Vec<String> = (0..101).map(|i| format!("id-{i}")).collect();
    let err = c.get_parts().limit(10).uuid(ids).run().await.unwrap_err();
    assert!(
        err.to_string().contains("chunked"),
        "the message says what to do: {err}"
    );
    assert_eq!(server.hits(), 0, "nothing was sent");
}
