//! Filters with more values than one request takes: split, run, merged, de-duplicated.

use crate::common;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use carbon_ext::prelude::*;
use carbon_ext::{Error, types};
use futures::TryStreamExt;
use futures::stream::BoxStream;
use httpmock::Method::GET;
use httpmock::MockServer;
use serde_json::json;

fn ids(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("part-{i:04}")).collect()
}

#[tokio::test]
async fn two_hundred_fifty_ids_make_three_requests_with_one_merged_result() {
    let server = MockServer::start_async().await;
    let chunk_sizes = Arc::new(Mutex::new(Vec::new()));
    let sizes = chunk_sizes.clone();
    let mock = server
        .mock_async(move |when, then| {
            when.method(GET).path("/v1/printed_parts").is_true(move |req| {
                let values: Vec<String> = req
                    .query_params()
                    .into_iter()
                    .filter(|(k, _)| k == "part_uuid")
                    .map(|(_, v)| v)
                    .collect();
                sizes.lock().unwrap().push(values.len());
                true
            });
            // Every chunk answers with the same printed part too: the merge must keep it once.
            then.status(200).json_body(json!({
                "parts": [{"uuid": "shared", "part_uuid": "part-0000", "status": "complete"}],
                "next_cursor": ""
            }));
        })
        .await;
    let c = common::client(&format!("{}/v1", server.base_url()));
    let items: Vec<_> = c
        .get_printed_parts()
        .limit(1000)
        .chunked(ids(250), |b, chunk| b.part_uuid(chunk))
        .items()
        .try_collect()
        .await
        .unwrap();
    mock.assert_calls_async(3).await;
    let mut sizes = chunk_sizes.lock().unwrap().clone();
    sizes.sort();
    assert_eq!(sizes, [50, 100, 100]);
    assert_eq!(items.len(), 1);
}

#[tokio::test]
async fn chunked_lookups_merge_every_response() {
    let server = MockServer::start_async().await;
    // Each chunk is answered with the models it asked for; more than 100 is a 400.
    let c = common::client(&format!("{}/v1", server.base_url()));
    server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/models");
            then.status(200).respond_with(|req: &httpmock::HttpMockRequest| {
                let models: Vec<_> = req
                    .query_params()
                    .into_iter()
                    .filter(|(k, _)| k == "uuid")
                    .map(|(_, v)| json!({"uuid": v, "filename": format!("{v}.stl")}))
                    .collect();
                let count = models.len();
                httpmock::HttpMockResponse::builder()
                    .status(if count <= 100 { 200 } else { 400 })
                    .header("content-type", "application/json")
                    .body(json!({"models": models}).to_string())
                    .build()
            });
        })
        .await;
    let wanted = ids(230);
    let models = c
        .find_models()
        .chunked(wanted.clone(), |b, chunk| b.uuid(chunk))
        .concurrency(2)
        .collect()
        .await
        .unwrap();
    let got: BTreeSet<String> = models.into_iter().map(|m| m.uuid).collect();
    assert_eq!(got, wanted.into_iter().collect::<BTreeSet<_>>());
}

#[tokio::test]
async fn chunking_that_would_lose_the_sort_order_is_refused_before_sending() {
    let server = MockServer::start_async().await;
    let any = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(200).json_body(json!({"parts": []}));
        })
        .await;
    let c = common::client(&format!("{}/v1", server.base_url()));
    let err = c
        .get_printed_parts()
        .limit(10)
        .sort(vec!["updated_at".to_string()])
        .chunked(ids(150), |b, chunk| b.part_uuid(chunk))
        .items()
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidRequest { message, .. }
            if message.contains("remove `sort`") && message.starts_with("`part_uuid`: 150 values make 2 requests")),
        "{err}"
    );
    // A `sort` that the chunk's own setter adds is refused the same way.
    let err = c
        .get_printed_parts()
        .limit(10)
        .chunked(ids(150), |b, chunk| b.part_uuid(chunk).sort(vec!["uuid".to_string()]))
        .items()
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidRequest { message, .. } if message.contains("remove `sort`")),
        "{err}"
    );
    // With one chunk the order is the API's own: allowed.
    c.get_printed_parts()
        .limit(10)
        .sort(vec!["updated_at".to_string()])
        .chunked(ids(100), |b, chunk| b.part_uuid(chunk))
        .items()
        .try_collect::<Vec<_>>()
        .await
        .unwrap();
    any.assert_calls_async(1).await;
}

#[test]
fn the_chunk_size_is_the_documents_limit() {
    // Each of these is documented: a size read from the document, not the
    // fallback for a filter without a limit.
    for (operation, param) in [
        ("get_printed_parts", "part_uuid"),
        ("find_models", "uuid"),
        ("get_prints", "uuid"),
        ("get_prints", "status"),
    ] {
        let rule = carbon_ext::extras::param_rule(operation, param);
        assert!(rule.is_some_and(|rule| rule.max_items.is_some()), "{operation} {param}");
    }
    assert_eq!(carbon_ext::default_chunk_size("get_printed_parts", "part_uuid"), 100);
    assert_eq!(carbon_ext::default_chunk_size("find_models", "uuid"), 100);
    // getPrints: `uuid` takes 100, `status` 5.
    assert_eq!(carbon_ext::default_chunk_size("get_prints", "uuid"), 100);
    assert_eq!(carbon_ext::default_chunk_size("get_prints", "status"), 5);
    // No documented limit (print ids): URLs are kept short all the same.
    assert_eq!(
        carbon_ext::default_chunk_size("get_print_quality_data", "printIds"),
        100
    );
}

#[tokio::test]
async fn looking_up_nothing_finds_nothing_and_sends_nothing() {
    let server = MockServer::start_async().await;
    let any = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(200)
                .json_body(json!({"models": [], "parts": [], "next_cursor": ""}));
        })
        .await;
    let c = common::client(&format!("{}/v1", server.base_url()));
    // Print ids collected from an empty page: no special case needed.
    let none: Vec<String> = Vec::new();
    let models = c
        .find_models()
        .chunked(none.clone(), |b, chunk| b.uuid(chunk))
        .collect()
        .await
        .unwrap();
    assert!(models.is_empty());
    let parts: Vec<_> = c
        .get_printed_parts()
        .limit(10)
        // Even with `sort`: no request, so no order to lose.
        .sort(vec!["updated_at".to_string()])
        .chunked(none, |b, chunk| b.part_uuid(chunk))
        .items()
        .try_collect()
        .await
        .unwrap();
    assert!(parts.is_empty());
    any.assert_calls_async(0).await;
    // A builder given an empty filter directly is still refused: the API
    // cannot express it.
    let err = c.find_models().uuid(Vec::<String>::new()).run().await.unwrap_err();
    assert!(
        matches!(&err, Error::InvalidRequest { message, .. } if message.contains("`uuid` was given no values")),
        "{err}"
    );
    any.assert_calls_async(0).await;
}

/// Records each request to `path` by the number of values of `param` it sends.
async fn values_per_request(server: &MockServer, path: &'static str, param: &'static str) -> Arc<Mutex<Vec<usize>>> {
    let sizes = Arc::new(Mutex::new(Vec::new()));
    let seen = sizes.clone();
    server
        .mock_async(move |when, then| {
            when.method(GET).path(path).is_true(move |req| {
                let count = req.query_params().into_iter().filter(|(k, _)| k == param).count();
                seen.lock().unwrap().push(count);
                true
            });
            then.status(200).json_body(json!({"prints": [], "next_cursor": ""}));
        })
        .await;
    sizes
}

/// The prints a chunked listing made against a server of its own, and how
/// many values of `param` each of its requests sent, smallest first.
async fn prints_per_request(
    param: &'static str,
    listing: impl FnOnce(&carbon_ext::Client) -> BoxStream<'static, Result<types::ModelPrint, Error>>,
) -> (Vec<types::ModelPrint>, Vec<usize>) {
    let server = MockServer::start_async().await;
    let sizes = values_per_request(&server, "/v1/prints", param).await;
    let c = common::client(&format!("{}/v1", server.base_url()));
    let prints = listing(&c).try_collect().await.unwrap();
    let mut seen = std::mem::take(&mut *sizes.lock().unwrap());
    seen.sort_unstable();
    (prints, seen)
}

fn statuses(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("status-{i}")).collect()
}

#[tokio::test]
async fn each_filter_is_chunked_at_its_own_limit() {
    // `status` takes 5 values, although the operation's `uuid` takes 100.
    let (prints, seen) = prints_per_request("status", |c| {
        c.get_prints()
            .limit(100)
            .chunked(statuses(12), |b, chunk| b.status(chunk))
            .items()
    })
    .await;
    assert!(prints.is_empty());
    assert_eq!(seen, [2, 5, 5]);

    // The same operation split by `uuid` takes 100 a request.
    let (_, seen) = prints_per_request("uuid", |c| {
        c.get_prints()
            .limit(100)
            .chunked(ids(250), |b, chunk| b.uuid(chunk))
            .items()
    })
    .await;
    assert_eq!(seen, [50, 100, 100]);
}

#[tokio::test]
async fn a_setter_that_fills_two_limited_filters_or_one_already_set_takes_the_smaller_limit() {
    // `uuid` (100) and `status` (5) filled together: 5 a request.
    let (_, seen) = prints_per_request("status", |c| {
        c.get_prints()
            .limit(100)
            .chunked(statuses(12), |b, chunk| b.uuid(ids(3)).status(chunk))
            .items()
    })
    .await;
    assert_eq!(seen, [2, 5, 5]);
    // The builder had `status` set already: nothing is filled anew, and the
    // smallest limit of what is set still holds.
    let (_, seen) = prints_per_request("status", |c| {
        let queued = c.get_prints().limit(100).status(vec!["queued".to_string()]);
        queued.chunked(statuses(12), |b, chunk| b.status(chunk)).items()
    })
    .await;
    assert_eq!(seen, [2, 5, 5]);
}

#[tokio::test]
async fn a_chunk_size_asked_for_is_kept() {
    let (_, seen) = prints_per_request("uuid", |c| {
        c.get_prints()
            .limit(100)
            .chunked(ids(7), |b, chunk| b.uuid(chunk))
            .chunk_size(3)
            .items()
    })
    .await;
    assert_eq!(seen, [1, 3, 3]);
}

#[tokio::test]
async fn quality_data_for_many_prints_without_uuids_to_merge_by() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/print_quality_data");
            then.status(200).respond_with(|req: &httpmock::HttpMockRequest| {
                let rows: Vec<_> = req
                    .query_params()
                    .into_iter()
                    .filter(|(k, _)| k == "printIds")
                    .map(|(_, v)| json!({"Print ID": v}))
                    .collect();
                httpmock::HttpMockResponse::builder()
                    .status(200)
                    .header("content-type", "application/json")
                    .body(json!({"prints": rows}).to_string())
                    .build()
            });
        })
        .await;
    let c = common::client(&format!("{}/v1", server.base_url()));
    let rows = c
        .get_print_quality_data()
        .chunked(ids(250), |b, chunk| b.print_ids(chunk))
        .collect()
        .await
        .unwrap();
    mock.assert_calls_async(3).await;
    assert_eq!(rows.len(), 250);
}

#[test]
fn calls_by_name_are_split_by_the_same_rule() {
    let op = carbon_ext::extras::operation("getPrintedParts").unwrap();
    let mut args = serde_json::Map::new();
    args.insert("part_uuid".into(), json!(ids(250)));
    let sizes = |sets: Vec<serde_json::Map<String, serde_json::Value>>, param: &str| -> Vec<usize> {
        sets.iter().map(|s| s[param].as_array().unwrap().len()).collect()
    };
    assert_eq!(
        sizes(carbon_ext::split_args(op, &args).unwrap(), "part_uuid"),
        [100, 100, 50]
    );
    // Sorted, it would need three requests: refused as typed chunks are.
    args.insert("sort".into(), json!(["updated_at"]));
    let err = carbon_ext::split_args(op, &args).unwrap_err();
    assert!(
        matches!(&err, Error::InvalidRequest { message, .. } if message.contains("remove `sort`")),
        "{err}"
    );
    // getPrints' `status` takes 5 values a request.
    let prints = carbon_ext::extras::operation("getPrints").unwrap();
    let mut args = serde_json::Map::new();
    args.insert("status".into(), json!(["a", "b", "c", "d", "e", "f", "g"]));
    assert_eq!(sizes(carbon_ext::split_args(prints, &args).unwrap(), "status"), [5, 2]);
    // Nothing to split: the arguments as they are.
    let one = serde_json::Map::from_iter([("limit".to_string(), json!(10))]);
    assert_eq!(carbon_ext::split_args(prints, &one).unwrap(), [one]);
}
