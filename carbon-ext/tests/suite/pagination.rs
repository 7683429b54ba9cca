//! Pagination streams against httpmock: filters re-sent on every page, the cursor
//! followed to its end, laziness, prefetching, the total_count cap, offset paging.

use crate::common;

use std::time::Duration;

use carbon_ext::prelude::*;
use carbon_ext::{Page, TotalCount};
use futures::{StreamExt, TryStreamExt};
use httpmock::Method::GET;
use httpmock::MockServer;
use serde_json::json;
use test_support::matchers::query_is;

fn printed_part(uuid: &str) -> serde_json::Value {
    json!({"uuid": uuid, "part_uuid": "p", "status": "printing"})
}

/// The filters every page must carry.
fn filters() -> Vec<(&'static str, String)> {
    vec![
        ("limit", "2".into()),
        ("part_order_uuid", "po-1".into()),
        ("status", "printing".into()),
        ("sort", "updated_at,desc".into()),
        ("sort", "uuid".into()),
    ]
}

fn with_cursor(cursor: &str) -> Vec<(&'static str, String)> {
    let mut q = filters();
    q.push(("cursor", cursor.into()));
    q
}

async fn three_pages(server: &MockServer, last_cursor: serde_json::Value) -> [httpmock::Mock<'_>; 3] {
    let first = server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/printed_parts").is_true(query_is(&filters()));
            then.status(200).json_body(json!({"parts": [printed_part("a"), printed_part("b")], "next_cursor": "c2", "total_count": 5, "limit": 2}));
        })
        .await;
    let second = server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/printed_parts").is_true(query_is(&with_cursor("c2")));
            then.status(200).json_body(json!({"parts": [printed_part("c"), printed_part("d")], "next_cursor": "c3", "total_count": 5, "limit": 2}));
        })
        .await;
    let third = server
        .mock_async(move |when, then| {
            when.method(GET)
                .path("/v1/printed_parts")
                .is_true(query_is(&with_cursor("c3")));
            let mut body = json!({"parts": [printed_part("e")], "total_count": 5, "limit": 2});
            if !last_cursor.is_null() {
                body["next_cursor"] = last_cursor;
            }
            then.status(200).json_body(body);
        })
        .await;
    [first, second, third]
}

fn request(c: &carbon_ext::Client) -> carbon_api_gen::builder::GetPrintedParts<'_> {
    c.get_printed_parts()
        .limit(2)
        .part_order_uuid(vec!["po-1".to_string()])
        .status(carbon_ext::enums::PrintedPartStatus::Printing)
        .sort(vec!["updated_at,desc".to_string(), "uuid".to_string()])
}

#[tokio::test]
async fn items_follow_the_cursor_with_every_filter_resent_until_an_empty_cursor() {
    let server = MockServer::start_async().await;
    let mocks = three_pages(&server, json!("")).await;
    let c = common::client(&format!("{}/v1", server.base_url()));
    let uuids: Vec<String> = request(&c).items().map_ok(|p| p.uuid).try_collect().await.unwrap();
    assert_eq!(uuids, ["a", "b", "c", "d", "e"]);
    for mock in &mocks {
        mock.assert_calls_async(1).await;
    }
}

#[tokio::test]
async fn an_absent_cursor_also_ends_the_list() {
    let server = MockServer::start_async().await;
    let mocks = three_pages(&server, serde_json::Value::Null).await;
    let c = common::client(&format!("{}/v1", server.base_url()));
    let pages: Vec<Page<_>> = request(&c).pages().try_collect().await.unwrap();
    assert_eq!(pages.iter().map(|p| p.items.len()).collect::<Vec<_>>(), [2, 2, 1]);
    assert_eq!(pages.iter().map(|p| p.index).collect::<Vec<_>>(), [0, 1, 2]);
    assert_eq!(pages[0].total, Some(TotalCount::Exact(5)));
    mocks[2].assert_calls_async(1).await;
}

#[tokio::test]
async fn nothing_is_sent_until_polled_and_dropping_stops_paging() {
    let server = MockServer::start_async().await;
    let mocks = three_pages(&server, json!("")).await;
    let other = server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/applications");
            then.status(200).json_body(json!({"applications": []}));
        })
        .await;
    let c = common::client(&format!("{}/v1", server.base_url()));
    // A request made after the stream was built reaches the server; the
    // stream's own, never polled, does not.
    let stream = request(&c).items();
    c.get_applications().run().await.unwrap();
    other.assert_calls_async(1).await;
    mocks[0].assert_calls_async(0).await;
    drop(stream);

    // Dropped after its first item: what reached the server by the next request
    // is the first page and at most the prefetched second, never the third.
    let mut stream = request(&c).items();
    assert_eq!(stream.next().await.unwrap().unwrap().uuid, "a");
    drop(stream);
    c.get_applications().run().await.unwrap();
    other.assert_calls_async(2).await;
    mocks[0].assert_calls_async(1).await;
    assert!(
        mocks[2].calls_async().await == 0,
        "no page past the prefetched one is fetched after the drop"
    );
}

#[tokio::test]
async fn the_next_page_is_fetched_while_the_consumer_works() {
    let server = MockServer::start_async().await;
    let mocks = three_pages(&server, json!("")).await;
    let c = common::client(&format!("{}/v1", server.base_url()));
    let mut pages = request(&c).pages();
    let first = pages.next().await.unwrap().unwrap();
    assert_eq!(first.index, 0);
    // The consumer is busy with page 0; page 1 arrives at the server anyway.
    let mut waited = Duration::ZERO;
    while mocks[1].calls_async().await == 0 {
        assert!(waited < Duration::from_secs(60), "page 1 was not prefetched");
        tokio::time::sleep(Duration::from_millis(10)).await;
        waited += Duration::from_millis(10);
    }
    let rest: Vec<_> = pages.try_collect().await.unwrap();
    assert_eq!(rest.len(), 2);
}

#[tokio::test]
async fn a_total_at_the_cap_is_a_lower_bound() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/builds");
            then.status(200)
                .json_body(json!({"builds": [], "next_cursor": "", "total_count": 10000}));
        })
        .await;
    let c = common::client(&format!("{}/v1", server.base_url()));
    let page = c.get_builds().limit(1).pages().next().await.unwrap().unwrap();
    assert_eq!(page.total, Some(TotalCount::AtLeast(10_000)));
    assert_eq!(page.total.unwrap().to_string(), "at least 10000");
    assert_eq!(TotalCount::from_reported(9_999), TotalCount::Exact(9_999));
}

#[tokio::test]
async fn an_error_on_a_later_page_ends_the_stream_after_the_good_items() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/parts").query_param_missing("cursor");
            then.status(200)
                .json_body(json!({"parts": [{"uuid": "a", "part_number": "1"}], "next_cursor": "x"}));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/parts").query_param("cursor", "x");
            then.status(400).body("cursor expired");
        })
        .await;
    let c = common::client(&format!("{}/v1", server.base_url()));
    let results: Vec<_> = c.get_parts().limit(1).items().collect().await;
    assert_eq!(results.len(), 2);
    assert_eq!(results[0].as_ref().unwrap().uuid, "a");
    let err = results[1].as_ref().unwrap_err();
    assert!(err.to_string().contains("cursor expired"), "{err}");
}

#[tokio::test]
async fn printers_page_by_offset() {
    let server = MockServer::start_async().await;
    let printer = |serial: &str| {
        json!({"serial": serial, "name": serial, "hw_type": "M2", "url": "u", "updated_at": "2026-11-02T10:00:00Z",
               "status": {"printer_state": "IDLE", "software_version": "1"}, "prints": {"queue_length": 0}})
    };
    for (offset, serials) in [
        (0, vec!["AAAAAA", "BBBBBB"]),
        (2, vec!["CCCCCC", "DDDDDD"]),
        (4, vec!["EEEEEE"]),
    ] {
        let printers: Vec<_> = serials.iter().map(|s| printer(s)).collect();
        server
            .mock_async(move |when, then| {
                when.method(GET)
                    .path("/v1/printers")
                    .is_true(query_is(&[("limit", "2".to_string()), ("offset", offset.to_string())]));
                then.status(200)
                    .json_body(json!({"printers": printers, "limit": 2, "offset": offset, "total_count": 5}));
            })
            .await;
    }
    let c = common::client(&format!("{}/v1", server.base_url()));
    // One paginator for both kinds of paging; the old name of the offset one is
    // the same trait.
    let listing = PaginateExt::items(c.get_printers().limit(2).offset(0u64));
    let serials: Vec<String> = listing.map_ok(|p| p.serial).try_collect().await.unwrap();
    assert_eq!(serials, ["AAAAAA", "BBBBBB", "CCCCCC", "DDDDDD", "EEEEEE"]);
    let pages: Vec<_> = carbon_ext::PaginateOffsetExt::pages(c.get_printers().limit(2).offset(0u64))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages.iter().map(|p| p.items.len()).collect::<Vec<_>>(), [2, 2, 1]);
}

#[tokio::test]
async fn dedup_by_uuid_drops_repeats() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/parts").query_param_missing("cursor");
            then.status(200).json_body(json!({"parts": [{"uuid": "a", "part_number": "1"}, {"uuid": "b", "part_number": "1"}], "next_cursor": "x"}));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/parts").query_param("cursor", "x");
            then.status(200)
                .json_body(json!({"parts": [{"uuid": "b", "part_number": "2"}, {"uuid": "c", "part_number": "1"}]}));
        })
        .await;
    let c = common::client(&format!("{}/v1", server.base_url()));
    let uuids: Vec<String> = c
        .get_parts()
        .limit(2)
        .items()
        .dedup_by_uuid()
        .map_ok(|p| p.uuid)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(uuids, ["a", "b", "c"]);
}
