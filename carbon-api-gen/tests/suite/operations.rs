//! Every operation of the API, called once through the generated client against a
//! mock server: method, path, query encoding, headers and body on the way out, a
//! realistic response decoded on the way back.

use crate::common;

use carbon_api_gen::enums::{BuildStatus, ModelProgramRunStatus, PartOrderStatus, PrintedPartStatus};
use carbon_api_gen::types;
use common::{client, json_is, query_is};
use futures::TryStreamExt;
use httpmock::Method::{DELETE, GET, PATCH, POST};
use httpmock::MockServer;
use serde_json::json;

const T0: &str = "2026-11-02T10:00:00Z";

fn ts(text: &str) -> carbon_api_gen::Timestamp {
    text.parse().unwrap()
}

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
async fn get_applications() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v1/applications")
                .header("accept", "application/json");
            then.status(200)
                .json_body(json!({"applications": [{"uuid": "app-1", "name": "Dental", "description": null}]}));
        })
        .await;
    let apps = client(&server).get_applications().send().await.unwrap().into_inner();
    mock.assert_async().await;
    assert_eq!(apps.applications[0].name, "Dental");
    assert_eq!(apps.applications[0].description, None);
}

#[tokio::test]
async fn get_attachment_follows_redirect_and_streams_bytes() {
    let server = MockServer::start_async().await;
    let file = server
        .mock_async(|when, then| {
            when.method(GET).path("/files/traveler.pdf");
            then.status(200)
                .header("content-type", "application/octet-stream")
                .body(b"%PDF-1.7 traveler");
        })
        .await;
    let redirect = server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/attachments/att-1");
            then.status(302).header("location", "/files/traveler.pdf");
        })
        .await;
    let body = client(&server)
        .get_attachment()
        .uuid("att-1")
        .send()
        .await
        .unwrap()
        .into_inner();
    let bytes: Vec<u8> = body.into_inner().map_ok(|b| b.to_vec()).try_concat().await.unwrap();
    redirect.assert_async().await;
    file.assert_async().await;
    assert_eq!(bytes, b"%PDF-1.7 traveler");
}

#[tokio::test]
async fn get_builds_encodes_filters_sort_and_cursor() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/builds").is_true(query_is(&[
                ("limit", "50"),
                ("cursor", "c-2"),
                ("uuid", "b-1"),
                ("uuid", "b-2"),
                ("packing_group", "pg-a"),
                ("status", "Released"),
                ("updated_after", "2026-11-02T10:00:00Z"),
                ("sort", "updated_at,desc"),
                ("sort", "build_uuid"),
            ]));
            then.status(200).json_body(json!({
                "builds": [build_json("b-1")], "limit": 50, "next_cursor": "c-3", "total_count": 10000
            }));
        })
        .await;
    let page = client(&server)
        .get_builds()
        .limit(std::num::NonZeroU64::new(50).unwrap())
        .cursor("c-2")
        .uuid(vec!["b-1".to_string(), "b-2".to_string()])
        .packing_group("pg-a".parse::<types::GetBuildsPackingGroup>().unwrap())
        .status("Released")
        .updated_after(ts(T0))
        .sort(vec!["updated_at,desc".to_string(), "build_uuid".to_string()])
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert_async().await;
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
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/builds/b-1");
            then.status(200).json_body(build_json("b-1"));
        })
        .await;
    let build = client(&server)
        .get_build()
        .uuid("b-1")
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert_async().await;
    assert_eq!(build.uuid, "b-1");
    assert_eq!(build.created_at, Some(ts(T0)));
}

#[tokio::test]
async fn get_model_program_runs_and_one_run() {
    let server = MockServer::start_async().await;
    let run = |uuid: &str, status: &str| {
        json!({"uuid": uuid, "status": status, "progress": 0.5, "model_uuid": null, "failure_message": null,
               "operation_status": [{"external_id": "hollow", "status": status, "progress": 0.5}]})
    };
    let list = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v1/model_program_runs")
                .is_true(query_is(&[("uuid", "r-1"), ("uuid", "r-2")]));
            then.status(200)
                .json_body(json!({"model_program_runs": [run("r-1", "preparing"), run("r-2", "pending")]}));
        })
        .await;
    let one = server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/model_program_runs/r-1");
            then.status(200)
                .json_body(json!({"uuid": "r-1", "status": "complete", "progress": 1.0,
                                             "model_uuid": "m-out", "failure_message": null}));
        })
        .await;
    let c = client(&server);
    let runs = c
        .get_model_program_runs()
        .uuid(vec!["r-1".into(), "r-2".into()])
        .send()
        .await
        .unwrap()
        .into_inner();
    list.assert_async().await;
    assert_eq!(runs.model_program_runs.len(), 2);
    assert_eq!(runs.model_program_runs[1].status, ModelProgramRunStatus::Pending);
    assert_eq!(
        runs.model_program_runs[0].operation_status.as_ref().unwrap()[0].external_id,
        "hollow"
    );
    let done = c.get_model_program_run().uuid("r-1").send().await.unwrap().into_inner();
    one.assert_async().await;
    assert_eq!(done.status, ModelProgramRunStatus::Complete);
    assert_eq!(done.model_uuid.as_deref(), Some("m-out"));
}

#[tokio::test]
async fn create_model_program_run_with_token_replacements() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v1/model_program_runs")
                .header("content-type", "application/json")
                .is_true(json_is(
                    json!({"model_program_uuid": "prog-1", "parameters": {"~MODEL_UUID~": "m-1"}}),
                ));
            then.status(200)
                .json_body(json!({"uuid": "r-1", "status": "pending", "progress": 0}));
        })
        .await;
    let body = types::ModelProgramRunRequest {
        model_program_uuid: "prog-1".into(),
        parameters: types::ModelProgramRunRequestParameters::Object(
            [("~MODEL_UUID~".to_string(), "m-1".to_string())].into(),
        ),
    };
    let run = client(&server)
        .create_model_program_run()
        .body(body)
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert_async().await;
    assert_eq!(run.uuid.as_deref(), Some("r-1"));
}

#[tokio::test]
async fn create_model_program_run_with_typed_parameters() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/model_program_runs").is_true(json_is(json!({
                "model_program_uuid": "prog-1",
                "parameters": [
                    {"key": "model", "type": "string", "value": "m-1"},
                    {"key": "walls", "type": "integer", "value": 2}
                ]
            })));
            then.status(200)
                .json_body(json!({"uuid": "r-2", "status": "pending", "progress": 0}));
        })
        .await;
    let body = types::ModelProgramRunRequest {
        model_program_uuid: "prog-1".into(),
        parameters: types::ModelProgramRunRequestParameters::Array(vec![
            types::StringParameter {
                key: "model".into(),
                type_: Some("string".into()),
                value: "m-1".into(),
            }
            .into(),
            types::IntegerParameter {
                key: "walls".into(),
                type_: "integer".into(),
                value: 2,
            }
            .into(),
        ]),
    };
    client(&server)
        .create_model_program_run()
        .body(body)
        .send()
        .await
        .unwrap();
    mock.assert_async().await;
}

#[tokio::test]
async fn find_models_by_uuid_and_external_id() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v1/models")
                .is_true(query_is(&[("uuid", "m-1"), ("external_id", "ext-7")]));
            then.status(200).json_body(json!({"models": [
                {"uuid": "m-1", "filename": "a.stl", "file_size_bytes": 1024, "created_at": "2026-11-02 10:00"},
                {"uuid": "m-7", "filename": "b.stl", "external_id": "ext-7"}
            ]}));
        })
        .await;
    let models = client(&server)
        .find_models()
        .uuid(vec!["m-1".into()])
        .external_id(vec!["ext-7".into()])
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert_async().await;
    assert_eq!(models.models.as_ref().unwrap().len(), 2);
    // Model timestamps are plain strings in the API, whatever their shape.
    assert_eq!(
        models.models.as_ref().unwrap()[0].created_at.as_deref(),
        Some("2026-11-02 10:00")
    );
}

#[tokio::test]
async fn upload_model_sends_raw_bytes_and_filename_header() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v1/models")
                .header("filename", "bracket.stl")
                .header("application-uuid", "app-1")
                .header("external-id", "ext-1")
                .header("content-type", "application/octet-stream")
                .body("solid bracket\nendsolid bracket\n");
            then.status(200)
                .json_body(json!({"uuid": "m-1", "filename": "bracket.stl", "external_id": "ext-1"}));
        })
        .await;
    let model = client(&server)
        .upload_model()
        .filename("bracket.stl")
        .application_uuid("app-1")
        .external_id("ext-1")
        .body(reqwest::Body::from("solid bracket\nendsolid bracket\n"))
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert_async().await;
    assert_eq!(model.uuid, "m-1");
}

#[tokio::test]
async fn presigned_upload_url_and_resolve() {
    let server = MockServer::start_async().await;
    let presign = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v1/models/presigned")
                .is_true(json_is(json!({"filename": "big.stl"})));
            then.status(200)
                .json_body(json!({"model_uuid": "m-9", "presigned_url": "https://s3.example/put?sig=1"}));
        })
        .await;
    let resolve = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v1/models/presigned/resolve")
                .is_true(json_is(json!({
                    "filename": "big.stl", "model_etag": "\"abc123\"", "model_uuid": "m-9", "external_id": "ext-9"
                })));
            then.status(200);
        })
        .await;
    let c = client(&server);
    let url = c
        .get_presigned_upload_url()
        .body(types::ModelPresignedUploadUrlRequest {
            filename: "big.stl".into(),
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    presign.assert_async().await;
    assert_eq!(url.model_uuid, "m-9");
    let done = c
        .resolve_presigned_model_upload()
        .body(types::ModelResolveUploadRequest {
            filename: "big.stl".into(),
            model_etag: "\"abc123\"".into(),
            model_uuid: url.model_uuid,
            external_id: Some("ext-9".into()),
        })
        .send()
        .await
        .unwrap();
    resolve.assert_async().await;
    assert_eq!(done.status(), 200);
}

#[tokio::test]
async fn get_model_and_download() {
    let server = MockServer::start_async().await;
    let get = server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/models/m-1");
            then.status(200)
                .json_body(json!({"uuid": "m-1", "filename": "a.stl", "description": null}));
        })
        .await;
    let file = server
        .mock_async(|when, then| {
            when.method(GET).path("/bucket/a.stl");
            then.status(200).body(b"solid a");
        })
        .await;
    let download = server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/models/m-1/download");
            then.status(302).header("location", "/bucket/a.stl");
        })
        .await;
    let c = client(&server);
    assert_eq!(c.get_model().uuid("m-1").send().await.unwrap().filename, "a.stl");
    get.assert_async().await;
    let stream = c.download_model().uuid("m-1").send().await.unwrap().into_inner();
    let bytes: Vec<u8> = stream.into_inner().map_ok(|b| b.to_vec()).try_concat().await.unwrap();
    download.assert_async().await;
    file.assert_async().await;
    assert_eq!(bytes, b"solid a");
}

#[tokio::test]
async fn part_measurement_templates_and_measurements() {
    let server = MockServer::start_async().await;
    let templates = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v1/part_measurement_templates")
                .is_true(query_is(&[("limit", "1000"), ("application_uuid", "app-1")]));
            then.status(200).json_body(json!({"part_measurement_templates": [{
                "uuid": "t-1", "measurement_name": "Wall", "measurement_type": "value", "required_level": "required",
                "min": 0.5, "max": null, "units": "mm", "zones": ["A"], "zones_enabled": true,
                "category_options": null, "production_sop_version": 3
            }], "limit": 1000, "next_cursor": "", "total_count": 1}));
        })
        .await;
    let measurements = server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/part_measurements").is_true(query_is(&[
                ("limit", "10"),
                ("printed_part_uuid", "pp-1"),
                ("printed_part_uuid", "pp-2"),
            ]));
            then.status(200).json_body(json!({"part_measurements": [{
                "uuid": "pm-1", "printed_part_uuid": "pp-1", "part_measurement_template_uuid": "t-1",
                "measurement_result": "flag", "value": 0.7, "category_value": null, "zones": []
            }], "limit": 10, "total_count": 1}));
        })
        .await;
    let c = client(&server);
    let t = c
        .get_part_measurement_templates()
        .limit(std::num::NonZeroU64::new(1000).unwrap())
        .application_uuid(vec!["app-1".into()])
        .send()
        .await
        .unwrap()
        .into_inner();
    templates.assert_async().await;
    let template = &t.part_measurement_templates.as_ref().unwrap()[0];
    assert_eq!(template.measurement_type.as_ref().map(|m| m.as_str()), Some("value"));
    assert_eq!(template.max, None);
    assert_eq!(t.next_cursor.as_deref(), Some(""));
    let m = c
        .get_part_measurements()
        .limit(std::num::NonZeroU64::new(10).unwrap())
        .printed_part_uuid(vec!["pp-1".into(), "pp-2".into()])
        .send()
        .await
        .unwrap()
        .into_inner();
    measurements.assert_async().await;
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
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/part_orders").is_true(query_is(&[
                ("limit", "100"),
                ("status", "processing"),
                ("part_order_number", "PO-1"),
                ("sort", "due_date"),
            ]));
            then.status(200).json_body(json!({"part_orders": [{
                "uuid": "po-1", "part_order_number": "PO-1", "status": "processing", "due_date": T0,
                "build_uuids": ["b-1"], "printed_parts_count": 3, "flushed_at": null
            }], "limit": 100, "next_cursor": null, "total_count": 1}));
        })
        .await;
    let page = client(&server)
        .get_part_orders()
        .limit(std::num::NonZeroU64::new(100).unwrap())
        .status(PartOrderStatus::Processing)
        .part_order_number("PO-1")
        .sort(vec!["due_date".into()])
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert_async().await;
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
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/part_orders").is_true(json_is(json!({
                "uuid": "po-1", "part_order_number": "PO-1", "due_date": T0, "flush": true,
                "packing_group": "pg-a", "parts": [{"uuid": "part-1"}]
            })));
            then.status(200).json_body(part_order_json("open"));
        })
        .await;
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
    let order = client(&server)
        .create_part_order()
        .body(body)
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert_async().await;
    assert_eq!(order.status, Some(PartOrderStatus::Open));
    assert_eq!(order.printed_parts[0].status, PrintedPartStatus::Waiting);
}

#[tokio::test]
async fn get_update_and_cancel_part_order() {
    let server = MockServer::start_async().await;
    let get = server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/part_orders/po-1");
            then.status(200).json_body(part_order_json("processing"));
        })
        .await;
    let patch = server
        .mock_async(|when, then| {
            when.method(PATCH)
                .path("/v1/part_orders/po-1")
                .is_true(json_is(json!({"flush": true})));
            then.status(200).json_body(part_order_json("processing"));
        })
        .await;
    let delete = server
        .mock_async(|when, then| {
            when.method(DELETE).path("/v1/part_orders/po-1");
            then.status(204);
        })
        .await;
    let c = client(&server);
    assert_eq!(c.get_part_order().uuid("po-1").send().await.unwrap().uuid, "po-1");
    get.assert_async().await;
    c.update_part_order()
        .uuid("po-1")
        .body(types::PartOrderUpdateRequest { flush: Some(true) })
        .send()
        .await
        .unwrap();
    patch.assert_async().await;
    let deleted = c.delete_part_order().uuid("po-1").send().await.unwrap();
    delete.assert_async().await;
    assert_eq!(deleted.status(), 204);
}

#[tokio::test]
async fn parts_list_create_get() {
    let server = MockServer::start_async().await;
    let list = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v1/parts")
                .is_true(query_is(&[("limit", "2"), ("model_uuid", "m-1")]));
            then.status(200).json_body(
                json!({"parts": [{"uuid": "part-1", "part_number": "PN-1", "model_uuid": "m-1"}],
                                              "limit": 2, "next_cursor": "", "total_count": 1}),
            );
        })
        .await;
    let create = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v1/parts")
                .is_true(json_is(json!({"part_number": "PN-1", "model_uuid": "m-1"})));
            then.status(200)
                .json_body(json!({"uuid": "part-2", "part_number": "PN-1", "model_uuid": "m-1"}));
        })
        .await;
    let get = server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/parts/part-2");
            then.status(200)
                .json_body(json!({"uuid": "part-2", "part_number": "PN-1"}));
        })
        .await;
    let c = client(&server);
    let parts = c
        .get_parts()
        .limit(std::num::NonZeroU64::new(2).unwrap())
        .model_uuid(vec!["m-1".into()])
        .send()
        .await
        .unwrap()
        .into_inner();
    list.assert_async().await;
    assert_eq!(parts.parts.as_ref().unwrap()[0].uuid, "part-1");
    let part = c
        .create_part()
        .body(types::PartRequest {
            part_number: "PN-1".into(),
            model_uuid: "m-1".into(),
            application_uuid: None,
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    create.assert_async().await;
    assert_eq!(c.get_part().uuid(part.uuid).send().await.unwrap().part_number, "PN-1");
    get.assert_async().await;
}

fn print_order_json() -> serde_json::Value {
    json!({"uuid": "pro-1", "build_uuid": "b-1", "total_copies": 3, "print_order_number": "PRO-1",
           "print_order_tags": {"line": "2"}, "notes": "rush",
           "routed_to": {"L1001A": {"copies_queued": 2, "copies_printed": 1}}, "created_at": T0})
}

#[tokio::test]
async fn print_orders_list_create_get_update() {
    let server = MockServer::start_async().await;
    let list = server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/print_orders").is_true(query_is(&[
                ("limit", "5"),
                ("printer_serial", "L1001A"),
                ("printer_serial", "L1002B"),
            ]));
            then.status(200)
                .json_body(json!({"print_orders": [print_order_json()], "limit": 5, "total_count": 1}));
        })
        .await;
    let create = server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/print_orders").is_true(json_is(json!({
                "uuid": "pro-1", "build_uuid": "b-1", "total_copies": 3, "route_to": ["L1001A"],
                "print_order_tags": {"line": "2"}
            })));
            then.status(200).json_body(print_order_json());
        })
        .await;
    let get = server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/print_orders/pro-1");
            then.status(200).json_body(print_order_json());
        })
        .await;
    let patch = server
        .mock_async(|when, then| {
            when.method(PATCH)
                .path("/v1/print_orders/pro-1")
                .is_true(json_is(json!({"notes": "not rush"})));
            then.status(200).json_body(print_order_json());
        })
        .await;
    let c = client(&server);
    let page = c
        .get_print_orders()
        .limit(std::num::NonZeroU64::new(5).unwrap())
        .printer_serial(vec!["L1001A".into(), "L1002B".into()])
        .send()
        .await
        .unwrap()
        .into_inner();
    list.assert_async().await;
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
    c.create_print_order().body(body).send().await.unwrap();
    create.assert_async().await;
    c.get_print_order().uuid("pro-1").send().await.unwrap();
    get.assert_async().await;
    c.update_print_order()
        .uuid("pro-1")
        .body(types::PrintOrderUpdateRequest {
            notes: Some("not rush".into()),
            ..Default::default()
        })
        .send()
        .await
        .unwrap();
    patch.assert_async().await;
}

#[tokio::test]
async fn print_quality_data_uses_camel_case_key_and_label_fields() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v1/print_quality_data")
                .is_true(query_is(&[("printIds", "P-1"), ("printIds", "P-2")]));
            then.status(200)
                .json_body(json!({"prints": [{"Print ID": "P-1", "Total Time (min)": "42.5"}]}));
        })
        .await;
    let data = client(&server)
        .get_print_quality_data()
        .print_ids(vec!["P-1".into(), "P-2".into()])
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert_async().await;
    let row = serde_json::to_value(&data.prints.as_ref().unwrap()[0]).unwrap();
    assert_eq!(row["Print ID"], "P-1");
    assert_eq!(row["Total Time (min)"], "42.5");
}

#[tokio::test]
async fn printed_parts_list_and_get() {
    let server = MockServer::start_async().await;
    let list = server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/printed_parts").is_true(query_is(&[
                ("limit", "1000"),
                ("part_order_uuid", "po-1"),
                ("part_uuid", "part-1"),
                ("part_uuid", "part-2"),
                ("started_after", "2026-11-02T10:00:00Z"),
                ("sort", "updated_at"),
            ]));
            then.status(200)
                .json_body(json!({"parts": [printed_part_json("pp-1", "printing")],
                                              "limit": 1000, "next_cursor": "", "total_count": 1}));
        })
        .await;
    let get = server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/printed_parts/pp-1");
            then.status(200).json_body(printed_part_json("pp-1", "complete"));
        })
        .await;
    let c = client(&server);
    let page = c
        .get_printed_parts()
        .limit(std::num::NonZeroU64::new(1000).unwrap())
        .part_order_uuid(vec!["po-1".into()])
        .part_uuid(vec!["part-1".into(), "part-2".into()])
        .started_after(ts(T0))
        .sort(vec!["updated_at".into()])
        .send()
        .await
        .unwrap()
        .into_inner();
    list.assert_async().await;
    assert_eq!(page.parts.as_ref().unwrap()[0].status, PrintedPartStatus::Printing);
    assert_eq!(page.parts.as_ref().unwrap()[0].serial_number, None);
    let part = c.get_printed_part().uuid("pp-1").send().await.unwrap().into_inner();
    get.assert_async().await;
    assert_eq!(part.status, PrintedPartStatus::Complete);
}

fn printer_json(serial: &str) -> serde_json::Value {
    json!({"serial": serial, "name": "Printer 1", "alias": null, "hw_type": "M2", "url": "https://printer.example/1",
           "updated_at": T0, "status": {"printer_state": "PRINTING", "software_version": "1.2", "alerts": []},
           "prints": {"queue_length": 2, "current": {"print_id": "P-1", "remaining_sec": 600}}})
}

#[tokio::test]
async fn printers_offset_paging_and_get() {
    let server = MockServer::start_async().await;
    let list = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v1/printers")
                .is_true(query_is(&[("limit", "20"), ("offset", "40")]));
            then.status(200)
                .json_body(json!({"printers": [printer_json("L1001A")], "limit": 20, "offset": 40, "total_count": 41}));
        })
        .await;
    let get = server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/printers/L1001A");
            then.status(200).json_body(printer_json("L1001A"));
        })
        .await;
    let c = client(&server);
    let page = c
        .get_printers()
        .limit(std::num::NonZeroU64::new(20).unwrap())
        .offset(40u64)
        .send()
        .await
        .unwrap()
        .into_inner();
    list.assert_async().await;
    assert_eq!(page.offset, 40);
    assert_eq!(page.printers[0].prints.queue_length, 2);
    let printer = c.get_printer().serial("L1001A").send().await.unwrap().into_inner();
    get.assert_async().await;
    assert_eq!(printer.status.printer_state, "PRINTING");
}

#[tokio::test]
async fn printer_serial_pattern_is_checked_before_sending() {
    let server = MockServer::start_async().await;
    let err = client(&server).get_printer().serial("queues").send().await.unwrap_err();
    assert!(matches!(err, carbon_api_gen::Error::InvalidRequest(_)), "{err:?}");
}

#[tokio::test]
async fn printer_queues_get_and_both_update_bodies() {
    let server = MockServer::start_async().await;
    let get = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v1/printers/queues")
                .is_true(query_is(&[("printer_serial", "L1001A")]));
            then.status(200).json_body(json!({"printer_queues": [
                {"printer_serial": "L1001A", "print_uuids": ["pr-1", "pr-2"], "updated_at": T0}
            ]}));
        })
        .await;
    let mv = server
        .mock_async(|when, then| {
            when.method(PATCH).path("/v1/printers/queues").is_true(json_is(json!({
                "action_type": "PrinterQueueMoveRequest", "printer_serial": "L1002B", "index": -1, "print_uuids": ["pr-2"]
            })));
            then.status(200).json_body(json!({"code": 0, "message": "ok", "uuids": ["pr-2"]}));
        })
        .await;
    let c = client(&server);
    let queues = c
        .get_printer_queues()
        .printer_serial(vec!["L1001A".into()])
        .send()
        .await
        .unwrap()
        .into_inner();
    get.assert_async().await;
    assert_eq!(
        queues.printer_queues.as_ref().unwrap()[0].print_uuids,
        Some(vec!["pr-1".to_string(), "pr-2".to_string()])
    );
    let moved = c
        .update_printer_queue()
        .body(types::PrinterQueueMoveRequest {
            action_type: types::PrinterQueueMoveAction::PrinterQueueMoveRequest,
            printer_serial: "L1002B".into(),
            index: -1,
            print_uuids: vec!["pr-2".into()],
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    mv.assert_async().await;
    assert_eq!(moved.code, Some(0));

    let del = server
        .mock_async(|when, then| {
            when.method(PATCH).path("/v1/printers/queues").is_true(json_is(json!({
                "action_type": "PrinterQueueDeleteRequest", "print_uuids": ["pr-1"]
            })));
            then.status(200)
                .json_body(json!({"code": 1, "message": "partly", "uuids": ["pr-1"]}));
        })
        .await;
    let deleted = c
        .update_printer_queue()
        .body(types::PrinterQueueDeleteRequest {
            action_type: types::PrinterQueueDeleteAction::PrinterQueueDeleteRequest,
            print_uuids: vec!["pr-1".into()],
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    del.assert_async().await;
    assert_eq!(deleted.code, Some(1));
}

#[tokio::test]
async fn get_prints_with_status_filter_and_nested_records() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/prints").is_true(query_is(&[
                ("limit", "100"),
                ("status", "finished"),
                ("status", "aborted"),
                ("started_after", "2026-11-01"),
                ("printer_serial", "L1001A"),
            ]));
            then.status(200).json_body(json!({"prints": [{
                "uuid": "print-1", "print_id": "P-1", "status": "finished", "build_uuid": "b-1",
                "started_at": T0, "finished_at": null,
                "origin": {"printer_serial": "L1001A", "platform_serial": "PL-1"},
                "config": {"resin_name": "RPU 70", "slice_thickness_nm": 100000},
                "metrics": {"consumed_resin_volume_ml": 12.5},
                "feedback": {"feedback_rating": 4, "feedback_message": "ok"}
            }], "limit": 100, "next_cursor": "", "total_count": 1}));
        })
        .await;
    let page = client(&server)
        .get_prints()
        .limit(std::num::NonZeroU64::new(100).unwrap())
        .status(vec!["finished".into(), "aborted".into()])
        .started_after("2026-11-01")
        .printer_serial(vec!["L1001A".into()])
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert_async().await;
    let print = &page.prints.as_ref().unwrap()[0];
    assert_eq!(
        print.origin.as_ref().and_then(|o| o.platform_serial.as_deref()),
        Some("PL-1")
    );
    assert_eq!(print.config.as_ref().and_then(|c| c.slice_thickness_nm), Some(100000));
    assert_eq!(print.finished_at, None);
}

/// The operations the tests above call. A regen that adds an operation fails here
/// until it has a test.
const COVERED: [&str; 35] = [
    "getApplications",
    "getAttachment",
    "getBuilds",
    "getBuild",
    "getModelProgramRuns",
    "createModelProgramRun",
    "getModelProgramRun",
    "findModels",
    "uploadModel",
    "getPresignedUploadUrl",
    "resolvePresignedModelUpload",
    "getModel",
    "downloadModel",
    "getPartMeasurementTemplates",
    "getPartMeasurements",
    "getPartOrders",
    "createPartOrder",
    "deletePartOrder",
    "getPartOrder",
    "updatePartOrder",
    "getParts",
    "createPart",
    "getPart",
    "getPrintOrders",
    "createPrintOrder",
    "getPrintOrder",
    "updatePrintOrder",
    "getPrintQualityData",
    "getPrintedParts",
    "getPrintedPart",
    "getPrinters",
    "getPrinter",
    "getPrints",
    "getPrinterQueues",
    "updatePrinterQueue",
];

#[test]
fn every_operation_of_the_document_is_covered() {
    let doc: serde_json::Value = serde_json::from_str(carbon_api_spec::OPENAPI_JSON).unwrap();
    let mut in_doc: Vec<&str> = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .filter_map(|op| op.get("operationId").and_then(|id| id.as_str()))
        .collect();
    in_doc.sort_unstable();
    let mut covered = COVERED.to_vec();
    covered.sort_unstable();
    assert_eq!(in_doc, covered);
}
