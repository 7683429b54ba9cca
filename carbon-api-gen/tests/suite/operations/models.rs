//! Applications, attachments, models and model program runs.

use carbon_api_gen::enums::ModelProgramRunStatus;
use carbon_api_gen::types;
use httpmock::Method::{GET, POST};
use serde_json::json;

use crate::wire::Wire;

#[tokio::test]
async fn get_applications() {
    let wire = Wire::start().await;
    let apps = wire
        .expect(GET, "/v1/applications")
        .header("accept", "application/json")
        .answer(json!({"applications": [{"uuid": "app-1", "name": "Dental", "description": null}]}))
        .call(|c| c.get_applications().send())
        .await;
    assert_eq!(apps.applications[0].name, "Dental");
    assert_eq!(apps.applications[0].description, None);
}

#[tokio::test]
async fn get_attachment_follows_redirect_and_streams_bytes() {
    let wire = Wire::start().await;
    let bytes = wire
        .download(
            "/v1/attachments/att-1",
            "/files/traveler.pdf",
            b"%PDF-1.7 traveler",
            |c| c.get_attachment().uuid("att-1").send(),
        )
        .await;
    assert_eq!(bytes, b"%PDF-1.7 traveler");
}

#[tokio::test]
async fn get_model_program_runs_and_one_run() {
    let wire = Wire::start().await;
    let run = |uuid: &str, status: &str| {
        json!({"uuid": uuid, "status": status, "progress": 0.5, "model_uuid": null, "failure_message": null,
               "operation_status": [{"external_id": "hollow", "status": status, "progress": 0.5}]})
    };
    let runs = wire
        .expect(GET, "/v1/model_program_runs")
        .query(&[("uuid", "r-1"), ("uuid", "r-2")])
        .answer(json!({"model_program_runs": [run("r-1", "preparing"), run("r-2", "pending")]}))
        .call(|c| c.get_model_program_runs().uuid(vec!["r-1".into(), "r-2".into()]).send())
        .await;
    assert_eq!(runs.model_program_runs.len(), 2);
    assert_eq!(runs.model_program_runs[1].status, ModelProgramRunStatus::Pending);
    assert_eq!(
        runs.model_program_runs[0].operation_status.as_ref().unwrap()[0].external_id,
        "hollow"
    );
    let done = wire
        .expect(GET, "/v1/model_program_runs/r-1")
        .answer(json!({"uuid": "r-1", "status": "complete", "progress": 1.0,
                       "model_uuid": "m-out", "failure_message": null}))
        .call(|c| c.get_model_program_run().uuid("r-1").send())
        .await;
    assert_eq!(done.status, ModelProgramRunStatus::Complete);
    assert_eq!(done.model_uuid.as_deref(), Some("m-out"));
}

/// Creates a run of program `prog-1` with `parameters`, which must go out as the
/// JSON `sent`, and checks the run the client decoded.
async fn create_run(parameters: types::ModelProgramRunRequestParameters, sent: serde_json::Value) {
    let wire = Wire::start().await;
    let body = types::ModelProgramRunRequest {
        model_program_uuid: "prog-1".into(),
        parameters,
    };
    let run = wire
        .expect(POST, "/v1/model_program_runs")
        .header("content-type", "application/json")
        .json(json!({"model_program_uuid": "prog-1", "parameters": sent}))
        .answer(json!({"uuid": "r-1", "status": "pending", "progress": 0}))
        .call(|c| c.create_model_program_run().body(body).send())
        .await;
    assert_eq!(run.uuid.as_deref(), Some("r-1"));
}

#[tokio::test]
async fn create_model_program_run_with_token_replacements() {
    let parameters = [("~MODEL_UUID~".to_string(), "m-1".to_string())].into();
    create_run(
        types::ModelProgramRunRequestParameters::Object(parameters),
        json!({"~MODEL_UUID~": "m-1"}),
    )
    .await;
}

#[tokio::test]
async fn create_model_program_run_with_typed_parameters() {
    let model = types::StringParameter {
        key: "model".into(),
        type_: Some("string".into()),
        value: "m-1".into(),
    };
    let walls = types::IntegerParameter {
        key: "walls".into(),
        type_: "integer".into(),
        value: 2,
    };
    create_run(
        types::ModelProgramRunRequestParameters::Array(vec![model.into(), walls.into()]),
        json!([
            {"key": "model", "type": "string", "value": "m-1"},
            {"key": "walls", "type": "integer", "value": 2}
        ]),
    )
    .await;
}

#[tokio::test]
async fn find_models_by_uuid_and_external_id() {
    let wire = Wire::start().await;
    let models = wire
        .expect(GET, "/v1/models")
        .query(&[("uuid", "m-1"), ("external_id", "ext-7")])
        .answer(json!({"models": [
            {"uuid": "m-1", "filename": "a.stl", "file_size_bytes": 1024, "created_at": "2026-11-02 10:00"},
            {"uuid": "m-7", "filename": "b.stl", "external_id": "ext-7"}
        ]}))
        .call(|c| {
            c.find_models()
                .uuid(vec!["m-1".into()])
                .external_id(vec!["ext-7".into()])
                .send()
        })
        .await;
    assert_eq!(models.models.as_ref().unwrap().len(), 2);
    // Model timestamps are plain strings in the API, whatever their shape.
    assert_eq!(
        models.models.as_ref().unwrap()[0].created_at.as_deref(),
        Some("2026-11-02 10:00")
    );
}

#[tokio::test]
async fn upload_model_sends_raw_bytes_and_filename_header() {
    let wire = Wire::start().await;
    let model = wire
        .expect(POST, "/v1/models")
        .header("filename", "bracket.stl")
        .header("application-uuid", "app-1")
        .header("external-id", "ext-1")
        .header("content-type", "application/octet-stream")
        .body("solid bracket\nendsolid bracket\n")
        .answer(json!({"uuid": "m-1", "filename": "bracket.stl", "external_id": "ext-1"}))
        .call(|c| {
            c.upload_model()
                .filename("bracket.stl")
                .application_uuid("app-1")
                .external_id("ext-1")
                .body(reqwest::Body::from("solid bracket\nendsolid bracket\n"))
                .send()
        })
        .await;
    assert_eq!(model.uuid, "m-1");
}

#[tokio::test]
async fn presigned_upload_url_and_resolve() {
    let wire = Wire::start().await;
    let url = wire
        .expect(POST, "/v1/models/presigned")
        .json(json!({"filename": "big.stl"}))
        .answer(json!({"model_uuid": "m-9", "presigned_url": "https://s3.example/put?sig=1"}))
        .call(|c| {
            c.get_presigned_upload_url()
                .body(types::ModelPresignedUploadUrlRequest {
                    filename: "big.stl".into(),
                })
                .send()
        })
        .await;
    assert_eq!(url.model_uuid, "m-9");
    // Answered with 200 and no body, which `call` checks.
    wire.expect(POST, "/v1/models/presigned/resolve")
        .json(json!({
            "filename": "big.stl", "model_etag": "\"abc123\"", "model_uuid": "m-9", "external_id": "ext-9"
        }))
        .call(|c| {
            c.resolve_presigned_model_upload()
                .body(types::ModelResolveUploadRequest {
                    filename: "big.stl".into(),
                    model_etag: "\"abc123\"".into(),
                    model_uuid: url.model_uuid,
                    external_id: Some("ext-9".into()),
                })
                .send()
        })
        .await;
}

#[tokio::test]
async fn get_model_and_download() {
    let wire = Wire::start().await;
    let model = wire
        .expect(GET, "/v1/models/m-1")
        .answer(json!({"uuid": "m-1", "filename": "a.stl", "description": null}))
        .call(|c| c.get_model().uuid("m-1").send())
        .await;
    assert_eq!(model.filename, "a.stl");
    let bytes = wire
        .download("/v1/models/m-1/download", "/bucket/a.stl", b"solid a", |c| {
            c.download_model().uuid("m-1").send()
        })
        .await;
    assert_eq!(bytes, b"solid a");
}
