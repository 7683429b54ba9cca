//! Calling operations by name with JSON arguments.

use crate::common;

use carbon_ext::{Client, Error};
use common::{Reply, Scripted};
use futures::TryStreamExt;
use serde_json::json;

#[tokio::test]
async fn calls_and_lists_by_name_through_the_typed_builders() {
    let server = Scripted::start(vec![
        Reply::json(200, json!({"uuid": "p-1", "part_number": "PN"})),
        Reply::json(
            200,
            json!({"parts": [{"uuid": "a", "part_uuid": "p", "status": "printing"}], "next_cursor": "c2"}),
        ),
        Reply::json(
            200,
            json!({"parts": [{"uuid": "b", "part_uuid": "p", "status": "queued"}], "next_cursor": ""}),
        ),
    ])
    .await;
    let c = common::client(&server.base);
    let part = c
        .call_by_name("getPart", json!({"uuid": "p-1"}).as_object().unwrap())
        .await
        .unwrap();
    assert_eq!(part["part_number"], "PN");
    let args = json!({"limit": 1, "part_order_uuid": ["po-1"]});
    let items: Vec<serde_json::Value> = c
        .items_by_name("get_printed_parts", args.as_object().unwrap())
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    let uuids: Vec<&str> = items.iter().map(|i| i["uuid"].as_str().unwrap()).collect();
    assert_eq!(uuids, ["a", "b"]);
    let targets: Vec<String> = server.requests().iter().map(|r| r.target.clone()).collect();
    assert_eq!(targets[0], "/v1/parts/p-1");
    assert!(
        targets[2].contains("cursor=c2") && targets[2].contains("part_order_uuid=po-1"),
        "{targets:?}"
    );
    assert!(Client::operations().len() >= 35);
}

#[tokio::test]
async fn bad_names_and_arguments_are_refused_before_sending() {
    let server = Scripted::start(vec![Reply::json(200, json!({}))]).await;
    let c = common::client(&server.base);
    let err = c.call_by_name("getNothing", &Default::default()).await.unwrap_err();
    assert!(
        matches!(err, Error::InvalidRequest { .. }) && err.to_string().contains("getNothing"),
        "{err}"
    );
    let err = c
        .call_by_name("get_parts", json!({"limit": "lots"}).as_object().unwrap())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("`limit`"), "{err}");
    let err = c
        .call_by_name("download_model", json!({"uuid": "m"}).as_object().unwrap())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("download"), "{err}");
    let Err(err) = c.items_by_name("get_part", json!({"uuid": "p"}).as_object().unwrap()) else {
        panic!("a single record is not a list")
    };
    assert!(err.to_string().contains("not a list"), "{err}");
    assert_eq!(server.hits(), 0);
}
