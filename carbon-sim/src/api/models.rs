//! Models: look-ups by id, presigned uploads and their resolve, direct uploads, downloads.

use super::resource::*;

use axum::body::Body;
use axum::http::HeaderMap;

use crate::Shared;
use crate::world::{PendingUpload, typed};

/// The routes of this resource.
pub(super) fn route(r: &Request<'_>, w: &mut World) -> Result<Reply, Reply> {
    match (r.method, r.segments) {
        (&Method::GET, ["v1", "models"]) => {
            let uuids = r.query.all("uuid");
            let external = r.query.all("external_id");
            if uuids.is_empty() && external.is_empty() {
                return Err(bad("give at least one uuid or external_id"));
            }
            let models: Vec<&types::Model> = w
                .models
                .values()
                .filter(|m| uuids.contains(&m.uuid) || m.external_id.as_ref().is_some_and(|e| external.contains(e)))
                .collect();
            Ok(json_reply(StatusCode::OK, &json!({"models": models})))
        }
        (&Method::POST, ["v1", "models", "presigned"]) => {
            let _request: types::ModelPresignedUploadUrlRequest =
                serde_json::from_value(parse(r.body)?).map_err(|e| bad(format!("invalid request: {e}")))?;
            let model_uuid = w.uuid();
            let created = w.clock.now();
            let seq = w.next_upload();
            w.pending_uploads.insert(
                model_uuid.clone(),
                PendingUpload {
                    etag: None,
                    file: None,
                    created,
                    seq,
                },
            );
            let url = r.shared.storage_url("PUT", &format!("/bucket/models/{model_uuid}"));
            Ok(json_reply(
                StatusCode::OK,
                &json!({"model_uuid": model_uuid, "presigned_url": url}),
            ))
        }
        (&Method::POST, ["v1", "models", "presigned", "resolve"]) => {
            let request: types::ModelResolveUploadRequest =
                serde_json::from_value(parse(r.body)?).map_err(|e| bad(format!("invalid request: {e}")))?;
            if w.models.contains_key(&request.model_uuid)
                && w.resolved_etags.get(&request.model_uuid) == Some(&request.model_etag)
            {
                // Resolving again (a retry whose first answer was lost) changes nothing.
                return Ok(empty(StatusCode::OK));
            }
            let pending = w
                .pending_uploads
                .get(&request.model_uuid)
                .ok_or_else(|| bad("no upload is pending for this model_uuid"))?;
            match &pending.etag {
                Some(etag) if *etag == request.model_etag => {}
                Some(_) => return Err(bad("model_etag does not match the uploaded file")),
                None => return Err(bad("the file was not uploaded yet")),
            }
            let pending = w.pending_uploads.remove(&request.model_uuid).unwrap();
            let file = pending.file.expect("an ETag means a stored file");
            let now = w.clock.now().to_rfc3339();
            w.models.insert(
                request.model_uuid.clone(),
                typed(json!({
                    "uuid": request.model_uuid, "filename": request.filename, "external_id": request.external_id,
                    "file_size_bytes": file.size, "created_at": now, "updated_at": now
                })),
            );
            w.files.insert(request.model_uuid.clone(), file);
            w.resolved_etags.insert(request.model_uuid, request.model_etag);
            Ok(empty(StatusCode::OK))
        }
        (&Method::GET, ["v1", "models", uuid]) => Ok(json_reply(
            StatusCode::OK,
            w.models.get(*uuid).ok_or_else(|| not_found("model"))?,
        )),
        (&Method::GET, ["v1", "models", uuid, "download"]) => {
            w.models.get(*uuid).ok_or_else(|| not_found("model"))?;
            w.files.get(*uuid).ok_or_else(|| not_found("model file"))?;
            Ok(redirect(
                &r.shared.storage_url("GET", &format!("/bucket/models/{uuid}")),
            ))
        }
        _ => Err(no_route()),
    }
}

pub(super) async fn direct_upload(shared: &Shared, headers: &HeaderMap, body: Body) -> Reply {
    let Some(filename) = header_str(headers, "filename").map(str::to_string) else {
        return bad("the filename header is required");
    };
    let filename = if filename.contains('.') {
        filename
    } else {
        format!("{filename}.stl")
    };
    let external_id = header_str(headers, "external-id").map(str::to_string);
    let application_uuid = header_str(headers, "application-uuid").map(str::to_string);
    let announced = header_str(headers, "content-length").and_then(|v| v.parse().ok());
    let file = match crate::files::receive(body, announced, shared.upload_limits()).await {
        Ok(file) => file,
        Err(reply) => return reply,
    };
    let mut world = shared.world.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let uuid = world.uuid();
    let now = world.clock.now().to_rfc3339();
    let model: types::Model = typed(json!({
        "uuid": uuid, "filename": filename, "external_id": external_id, "application_uuid": application_uuid,
        "file_size_bytes": file.size, "created_at": now, "updated_at": now
    }));
    world.models.insert(uuid.clone(), model.clone());
    world.files.insert(uuid, file);
    json_reply(StatusCode::OK, &model)
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}
