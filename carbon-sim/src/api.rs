//! The API's routes over the simulated world.
// Handlers return a finished response on both paths (`Err` is an early answer such as
// a 400), so the error type is a response by design.
#![allow(clippy::result_large_err)]

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{HeaderMap, Method, Response, StatusCode, header};
use carbon_api_gen::enums::{PartOrderStatus, PrintedPartStatus};
use carbon_api_gen::types;
use futures::StreamExt;
use serde_json::{Value, json};

use crate::Shared;
use crate::faults::{self, FaultKind, Target};
use crate::query::{self, Query};
use crate::world::{PendingUpload, World, typed};

/// The API's cap on `total_count`.
const TOTAL_COUNT_CAP: usize = 10_000;
/// Bodies of JSON requests are small; uploads stream.
const MAX_JSON_BODY: usize = 4 * 1024 * 1024;

pub(crate) type Reply = Response<Body>;

pub(crate) fn json_reply(status: StatusCode, value: &impl serde::Serialize) -> Reply {
    let body = serde_json::to_vec(value).expect("records serialize");
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))
        .unwrap()
}

pub(crate) fn text_reply(status: StatusCode, message: &str) -> Reply {
    json_reply(status, &json!({"message": message}))
}

pub(crate) fn empty(status: StatusCode) -> Reply {
    Response::builder().status(status).body(Body::empty()).unwrap()
}

fn redirect(location: &str) -> Reply {
    Response::builder()
        .status(StatusCode::FOUND)
        .header(header::LOCATION, location)
        .body(Body::empty())
        .unwrap()
}

fn bad(message: impl AsRef<str>) -> Reply {
    text_reply(StatusCode::BAD_REQUEST, message.as_ref())
}

fn not_found(what: &str) -> Reply {
    text_reply(StatusCode::NOT_FOUND, &format!("{what} not found"))
}

/// Entry point for every API request.
pub(crate) async fn guarded(shared: Shared, request: axum::http::Request<Body>) -> Reply {
    guard(handle(shared, request)).await
}

/// Runs a handler so that a panic answers 500 and takes nothing else down (the
/// locks recover from poisoning).
pub(crate) async fn guard(handler: impl std::future::Future<Output = Reply>) -> Reply {
    use futures::FutureExt;
    match std::panic::AssertUnwindSafe(handler).catch_unwind().await {
        Ok(reply) => reply,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            tracing::error!(panic = %what, "a handler panicked");
            text_reply(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the simulator failed on this request",
            )
        }
    }
}

/// Handles one request.
async fn handle(shared: Shared, request: axum::http::Request<Body>) -> Reply {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path().to_string();
    let query = Query::parse(parts.uri.query());
    // Storage has a listener of its own (crate::storage): everything here is the API.
    let target = Target::Api;
    let fault = {
        let mut rng = shared
            .fault_rng
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        faults::draw(&shared.config.faults, &mut rng, target)
    };
    if fault == Some(FaultKind::Slow) {
        tokio::time::sleep(Duration::from_millis(300)).await;
    }

    {
        shared.requests.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let client_id = match shared
            .verifier
            .check(parts.headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()))
        {
            Ok(id) => id,
            Err(reason) => return text_reply(StatusCode::UNAUTHORIZED, reason),
        };
        if fault == Some(FaultKind::ExpiredToken) {
            return text_reply(StatusCode::UNAUTHORIZED, "token expired");
        }
        if let Some(wait) = shared.rate_limit(&client_id) {
            return Response::builder()
                .status(StatusCode::TOO_MANY_REQUESTS)
                .header(header::RETRY_AFTER, wait.as_secs().max(1).to_string())
                .body(Body::from(r#"{"message":"rate limit exceeded"}"#))
                .unwrap();
        }
        if fault == Some(FaultKind::TooManyRequests) {
            return Response::builder()
                .status(StatusCode::TOO_MANY_REQUESTS)
                .header(header::RETRY_AFTER, "1")
                .body(Body::from(r#"{"message":"slow down"}"#))
                .unwrap();
        }
        if let Some(route_query_error) = query.validate(100, 5).err() {
            return bad(route_query_error);
        }
    }
    let is_write = parts.method != Method::GET;
    let rng_pick = || {
        shared
            .fault_rng
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .bool()
    };
    if fault == Some(FaultKind::ServerError) && (!is_write || rng_pick()) {
        // Before anything was applied.
        return server_error(&shared);
    }

    let reply = route(&shared, &parts.method, &path, &query, &parts.headers, body).await;

    match fault {
        // After a write was applied: the answer is lost.
        Some(FaultKind::ServerError) => server_error(&shared),
        Some(FaultKind::ConnectionReset) => reset(reply).await,
        Some(FaultKind::TruncatedJson) if reply.status().is_success() && is_json(&reply) => truncate(reply).await,
        _ => reply,
    }
}

fn server_error(shared: &Shared) -> Reply {
    let status = [
        StatusCode::INTERNAL_SERVER_ERROR,
        StatusCode::BAD_GATEWAY,
        StatusCode::SERVICE_UNAVAILABLE,
    ][shared
        .fault_rng
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .usize(..3)];
    text_reply(status, "injected fault")
}

fn is_json(reply: &Reply) -> bool {
    reply
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"))
}

async fn truncate(reply: Reply) -> Reply {
    let (parts, body) = reply.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
    let cut = bytes.slice(..bytes.len() / 2);
    let mut reply = Response::from_parts(parts, Body::from(cut));
    reply.headers_mut().remove(header::CONTENT_LENGTH);
    reply
}

pub(crate) async fn reset(reply: Reply) -> Reply {
    let (mut parts, body) = reply.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
    let half = bytes.slice(..bytes.len() / 2);
    // Announce the whole body, send half, then fail: the connection is dropped.
    parts
        .headers
        .insert(header::CONTENT_LENGTH, bytes.len().max(1).to_string().parse().unwrap());
    let stream = futures::stream::iter(vec![Ok(half), Err(std::io::Error::other("injected connection reset"))]);
    Response::from_parts(parts, Body::from_stream(stream))
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

async fn route(shared: &Shared, method: &Method, path: &str, query: &Query, headers: &HeaderMap, body: Body) -> Reply {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    // Uploads stream, outside the world lock.
    if let (&Method::POST, ["v1", "models"]) = (method, segments.as_slice()) {
        return direct_upload(shared, headers, body).await;
    }
    let body = match method {
        &Method::POST | &Method::PATCH => match axum::body::to_bytes(body, MAX_JSON_BODY).await {
            Ok(bytes) => bytes,
            Err(_) => return bad("request body too large or unreadable"),
        },
        _ => bytes::Bytes::new(),
    };
    // Date-times without offset (the vendor's Python client sends those) parse as
    // UTC through the generated Timestamp type.
    let parse = |bytes: &bytes::Bytes| -> Result<Value, Reply> {
        serde_json::from_slice(bytes).map_err(|e| bad(format!("invalid JSON body: {e}")))
    };
    let mut world = shared.world.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    world.advance();
    let w = &mut *world;
    let result: Result<Reply, Reply> = (|| match (method, segments.as_slice()) {
        (&Method::GET, ["v1", "applications"]) => {
            Ok(json_reply(StatusCode::OK, &json!({"applications": w.applications})))
        }
        (&Method::GET, ["v1", "attachments", uuid]) => {
            w.attachments.get(*uuid).ok_or_else(|| not_found("attachment"))?;
            Ok(redirect(
                &shared.storage_url("GET", &format!("/bucket/attachments/{uuid}")),
            ))
        }
        (&Method::GET, ["v1", "builds"]) => {
            let records = w.builds.values().map(to_value).collect();
            shared.cursor_page(query, records, "builds", &[("build_uuid", "uuid")])
        }
        (&Method::GET, ["v1", "builds", uuid]) => Ok(json_reply(
            StatusCode::OK,
            w.builds.get(*uuid).ok_or_else(|| not_found("build"))?,
        )),
        (&Method::GET, ["v1", "model_program_runs"]) => {
            let runs: Vec<&types::ModelProgramRun> = query
                .all("uuid")
                .iter()
                .filter_map(|u| w.runs.get(u).map(|r| &r.run))
                .collect();
            Ok(json_reply(StatusCode::OK, &json!({"model_program_runs": runs})))
        }
        (&Method::POST, ["v1", "model_program_runs"]) => {
            let request: types::ModelProgramRunRequest =
                serde_json::from_value(parse(&body)?).map_err(|e| bad(format!("invalid run request: {e}")))?;
            let input = match &request.parameters {
                types::ModelProgramRunRequestParameters::Object(map) => {
                    map.values().find(|v| w.models.contains_key(*v)).cloned()
                }
                types::ModelProgramRunRequestParameters::Array(items) => items.iter().find_map(|p| match p {
                    types::ModelProgramRunRequestParametersArrayItem::StringParameter(s)
                        if w.models.contains_key(&s.value) =>
                    {
                        Some(s.value.clone())
                    }
                    _ => None,
                }),
            };
            let uuid = w.uuid();
            let run: types::ModelProgramRun = typed(
                json!({"uuid": uuid, "status": "pending", "progress": 0.0, "model_uuid": null, "failure_message": null}),
            );
            let fails = request.model_program_uuid.contains("fail") || input.is_none();
            let created = w.clock.now();
            w.runs.insert(
                uuid,
                crate::world::RunState {
                    run: run.clone(),
                    created,
                    input_model: input,
                    fails,
                },
            );
            Ok(json_reply(StatusCode::OK, &run))
        }
        (&Method::GET, ["v1", "model_program_runs", uuid]) => Ok(json_reply(
            StatusCode::OK,
            &w.runs.get(*uuid).ok_or_else(|| not_found("model program run"))?.run,
        )),
        (&Method::GET, ["v1", "models"]) => {
            let uuids = query.all("uuid");
            let external = query.all("external_id");
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
                serde_json::from_value(parse(&body)?).map_err(|e| bad(format!("invalid request: {e}")))?;
            let model_uuid = w.uuid();
            w.pending_uploads
                .insert(model_uuid.clone(), PendingUpload { etag: None, file: None });
            let url = shared.storage_url("PUT", &format!("/bucket/models/{model_uuid}"));
            Ok(json_reply(
                StatusCode::OK,
                &json!({"model_uuid": model_uuid, "presigned_url": url}),
            ))
        }
        (&Method::POST, ["v1", "models", "presigned", "resolve"]) => {
            let request: types::ModelResolveUploadRequest =
                serde_json::from_value(parse(&body)?).map_err(|e| bad(format!("invalid request: {e}")))?;
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
            Ok(redirect(&shared.storage_url("GET", &format!("/bucket/models/{uuid}"))))
        }
        (&Method::GET, ["v1", "part_measurement_templates"]) => {
            let records = w.templates.iter().map(to_value).collect();
            shared.cursor_page(query, records, "part_measurement_templates", &[])
        }
        (&Method::GET, ["v1", "part_measurements"]) => {
            let records = w.measurements.iter().map(to_value).collect();
            shared.cursor_page(query, records, "part_measurements", &[])
        }
        (&Method::GET, ["v1", "part_orders"]) => {
            let records = w
                .orders
                .values()
                .map(|o| {
                    let mut v = to_value(&o.order);
                    v["printed_parts_count"] = json!(o.order.printed_parts.len());
                    v.as_object_mut().unwrap().remove("printed_parts");
                    v
                })
                .collect();
            shared.cursor_page(query, records, "part_orders", &[])
        }
        (&Method::POST, ["v1", "part_orders"]) => {
            let request: types::PartOrderRequest =
                serde_json::from_value(parse(&body)?).map_err(|e| bad(format!("invalid part order: {e}")))?;
            let uuid = match request.uuid.clone() {
                Some(uuid) if w.orders.contains_key(&uuid) => {
                    return Err(text_reply(StatusCode::CONFLICT, "a part order with this uuid exists"));
                }
                Some(uuid) => uuid,
                None => w.uuid(),
            };
            let mut part_uuids = Vec::new();
            for part in &request.parts {
                let id = part
                    .uuid
                    .clone()
                    .ok_or_else(|| bad("every ordered part needs a uuid"))?;
                if !w.parts.contains_key(&id) {
                    return Err(bad(format!("unknown part {id}")));
                }
                part_uuids.push(id);
            }
            if part_uuids.is_empty() {
                return Err(bad("a part order needs at least one part"));
            }
            let now = w.clock.now();
            let order: types::PartOrder = checked(json!({
                "uuid": uuid, "part_order_number": request.part_order_number, "due_date": request.due_date,
                "packing_group": request.packing_group, "build_sop_uuid": request.build_sop_uuid, "status": "open",
                "build_uuids": [], "created_at": now, "updated_at": now,
                "flushed_at": if request.flush == Some(true) { json!(now) } else { Value::Null }, "printed_parts": []
            }))?;
            w.orders.insert(
                uuid.clone(),
                crate::world::OrderState {
                    order,
                    created: now,
                    packed: false,
                    finished: false,
                },
            );
            w.create_printed_parts(&uuid, &part_uuids, now);
            Ok(json_reply(StatusCode::OK, &w.orders[&uuid].order))
        }
        (&Method::GET, ["v1", "part_orders", uuid]) => Ok(json_reply(
            StatusCode::OK,
            &w.orders.get(*uuid).ok_or_else(|| not_found("part order"))?.order,
        )),
        (&Method::DELETE, ["v1", "part_orders", uuid]) => {
            let state = w.orders.get_mut(*uuid).ok_or_else(|| not_found("part order"))?;
            if state.order.status != Some(PartOrderStatus::Open) {
                return Err(text_reply(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "the part order can no longer be canceled",
                ));
            }
            state.order.status = Some(PartOrderStatus::Canceled);
            state.finished = true;
            let refs: Vec<String> = state.order.printed_parts.iter().map(|r| r.uuid.clone()).collect();
            for r in &mut state.order.printed_parts {
                r.status = PrintedPartStatus::Canceled;
            }
            for r in refs {
                if let Some(p) = w.printed_parts.get_mut(&r) {
                    p.status = PrintedPartStatus::Canceled;
                }
            }
            Ok(empty(StatusCode::NO_CONTENT))
        }
        (&Method::PATCH, ["v1", "part_orders", uuid]) => {
            let request: types::PartOrderUpdateRequest =
                serde_json::from_value(parse(&body)?).map_err(|e| bad(format!("invalid update: {e}")))?;
            let now = w.clock.now();
            let state = w.orders.get_mut(*uuid).ok_or_else(|| not_found("part order"))?;
            if request.flush == Some(true) && state.order.flushed_at.is_none() {
                state.order.flushed_at = Some(now.into());
            }
            Ok(json_reply(StatusCode::OK, &state.order))
        }
        (&Method::GET, ["v1", "parts"]) => {
            let records = w.parts.values().map(to_value).collect();
            shared.cursor_page(query, records, "parts", &[])
        }
        (&Method::POST, ["v1", "parts"]) => {
            let request: types::PartRequest =
                serde_json::from_value(parse(&body)?).map_err(|e| bad(format!("invalid part: {e}")))?;
            if !w.models.contains_key(&request.model_uuid) {
                return Err(bad(format!("unknown model {}", request.model_uuid)));
            }
            let uuid = w.uuid();
            let part: types::Part = checked(json!({
                "uuid": uuid, "part_number": request.part_number, "model_uuid": request.model_uuid,
                "part_number_tags": {}, "part_tags": {}
            }))?;
            w.parts.insert(uuid, part.clone());
            Ok(json_reply(StatusCode::OK, &part))
        }
        (&Method::GET, ["v1", "parts", uuid]) => Ok(json_reply(
            StatusCode::OK,
            w.parts.get(*uuid).ok_or_else(|| not_found("part"))?,
        )),
        (&Method::GET, ["v1", "print_orders"]) => {
            let records = w.print_orders.values().map(|o| to_value(&o.order)).collect();
            shared.cursor_page(query, records, "print_orders", &[("printer_serial", "keys:routed_to")])
        }
        (&Method::POST, ["v1", "print_orders"]) => {
            let request: types::PrintOrderRequest =
                serde_json::from_value(parse(&body)?).map_err(|e| bad(format!("invalid print order: {e}")))?;
            if !w.builds.contains_key(&request.build_uuid) {
                return Err(bad(format!("unknown build {}", request.build_uuid)));
            }
            if request.route_to.is_empty() {
                return Err(bad("route_to needs at least one printer serial"));
            }
            let uuid = match request.uuid.clone() {
                Some(uuid) if w.print_orders.contains_key(&uuid) => {
                    return Err(text_reply(StatusCode::CONFLICT, "a print order with this uuid exists"));
                }
                Some(uuid) => uuid,
                None => w.uuid(),
            };
            let total = request.total_copies.get();
            if i64::try_from(total).is_err() {
                return Err(bad(format!("total_copies {total} is more than a print order can hold")));
            }
            let n = request.route_to.len() as u64;
            let routed: serde_json::Map<String, Value> = request
                .route_to
                .iter()
                .enumerate()
                .map(|(i, serial)| {
                    let share = total / n + u64::from((i as u64) < total % n);
                    (serial.clone(), json!({"copies_queued": share, "copies_printed": 0}))
                })
                .collect();
            let now = w.clock.now();
            let order: types::PrintOrder = checked(json!({
                "uuid": uuid, "build_uuid": request.build_uuid, "total_copies": total, "routed_to": routed,
                "print_order_number": request.print_order_number, "print_order_tags": request.print_order_tags,
                "notes": request.notes, "created_at": now
            }))?;
            w.print_orders.insert(
                uuid,
                crate::world::PrintOrderState {
                    order: order.clone(),
                    created: now,
                },
            );
            Ok(json_reply(StatusCode::OK, &order))
        }
        (&Method::GET, ["v1", "print_orders", uuid]) => Ok(json_reply(
            StatusCode::OK,
            &w.print_orders.get(*uuid).ok_or_else(|| not_found("print order"))?.order,
        )),
        (&Method::PATCH, ["v1", "print_orders", uuid]) => {
            let request: types::PrintOrderUpdateRequest =
                serde_json::from_value(parse(&body)?).map_err(|e| bad(format!("invalid update: {e}")))?;
            let state = w.print_orders.get_mut(*uuid).ok_or_else(|| not_found("print order"))?;
            if request.notes.is_some() {
                state.order.notes = request.notes;
            }
            if request.print_order_number.is_some() {
                state.order.print_order_number = request.print_order_number;
            }
            if request.print_order_tags.is_some() {
                state.order.print_order_tags = request.print_order_tags;
            }
            Ok(json_reply(StatusCode::OK, &state.order))
        }
        (&Method::GET, ["v1", "print_quality_data"]) => {
            let ids = query.all("printIds");
            if ids.is_empty() {
                return Err(bad("printIds is required"));
            }
            let rows: Vec<Value> = w
                .prints
                .values()
                .filter(|p| p.print_id.as_ref().is_some_and(|id| ids.contains(id)))
                .map(|p| json!({"Print ID": p.print_id, "Printer Serial": p.origin.as_ref().and_then(|o| o.printer_serial.clone()), "Total Time (min)": "180.0"}))
                .collect();
            Ok(json_reply(StatusCode::OK, &json!({"prints": rows})))
        }
        (&Method::GET, ["v1", "printed_parts"]) => {
            let records = w.printed_parts.values().map(to_value).collect();
            shared.cursor_page(query, records, "parts", &[])
        }
        (&Method::GET, ["v1", "printed_parts", uuid]) => Ok(json_reply(
            StatusCode::OK,
            w.printed_parts.get(*uuid).ok_or_else(|| not_found("printed part"))?,
        )),
        (&Method::GET, ["v1", "printers"]) => {
            let limit = query.limit().map_err(bad)?;
            let offset: usize = query
                .one("offset")
                .ok_or_else(|| bad("offset is required"))?
                .parse()
                .map_err(|_| bad("offset must be a number"))?;
            let printers: Vec<types::Printer> = printers_now(w).into_iter().skip(offset).take(limit).collect();
            Ok(json_reply(
                StatusCode::OK,
                &json!({"printers": printers, "limit": limit, "offset": offset, "total_count": w.printers.len()}),
            ))
        }
        (&Method::GET, ["v1", "printers", "queues"]) => {
            let wanted = query.all("printer_serial");
            let queues: Vec<Value> = w
                .queues
                .iter()
                .filter(|(serial, _)| wanted.is_empty() || wanted.contains(serial))
                .map(|(serial, uuids)| json!({"printer_serial": serial, "print_uuids": uuids, "updated_at": w.clock.now()}))
                .collect();
            Ok(json_reply(StatusCode::OK, &json!({"printer_queues": queues})))
        }
        (&Method::PATCH, ["v1", "printers", "queues"]) => update_queue(w, parse(&body)?),
        (&Method::GET, ["v1", "printers", serial]) => {
            let printer = printers_now(w)
                .into_iter()
                .find(|p| p.serial == *serial)
                .ok_or_else(|| not_found("printer"))?;
            Ok(json_reply(StatusCode::OK, &printer))
        }
        (&Method::GET, ["v1", "prints"]) => {
            let mut q = query.clone();
            q.0.entry("status".into()).or_insert_with(|| vec!["finished".into()]);
            let records = w.prints.values().map(to_value).collect();
            shared.cursor_page(
                &q,
                records,
                "prints",
                &[
                    ("printer_serial", "origin.printer_serial"),
                    ("platform_serial", "origin.platform_serial"),
                    ("printer_name", "printed_by"),
                ],
            )
        }
        _ => Err(text_reply(StatusCode::NOT_FOUND, "no such route")),
    })();
    result.unwrap_or_else(|reply| reply)
}

/// A record built from a request's values, or a 400 when a value does not fit the
/// record's type (so no request can make a handler panic).
fn checked<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, Reply> {
    serde_json::from_value(value).map_err(|e| bad(format!("a value does not fit the record: {e}")))
}

fn to_value<T: serde::Serialize>(record: &T) -> Value {
    serde_json::to_value(record).expect("records serialize")
}

pub(crate) fn file_reply(name: &str, bytes: bytes::Bytes) -> Reply {
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .header(header::CONTENT_DISPOSITION, content_disposition(name))
        .body(Body::from(bytes))
        .unwrap()
}

/// `attachment; filename="..."` for any name: quotes, backslashes, controls and
/// non-ASCII characters become `_`, so a stored name can never break the header.
fn content_disposition(name: &str) -> header::HeaderValue {
    let safe: String = name
        .chars()
        .map(|c| {
            if c == ' ' || (c.is_ascii_graphic() && c != '"' && c != '\\') {
                c
            } else {
                '_'
            }
        })
        .collect();
    header::HeaderValue::from_str(&format!("attachment; filename=\"{safe}\""))
        .unwrap_or(header::HeaderValue::from_static("attachment"))
}

/// Printers with their queue state filled in.
fn printers_now(w: &World) -> Vec<types::Printer> {
    w.printers
        .iter()
        .map(|p| {
            let mut p = p.clone();
            let queue = w.queues.get(&p.serial).map_or(0, Vec::len);
            p.prints.queue_length = queue as i64;
            p.status.printer_state = if queue > 0 { "PRINTING".into() } else { "IDLE".into() };
            p
        })
        .collect()
}

fn update_queue(w: &mut World, body: Value) -> Result<Reply, Reply> {
    let request: types::UpdatePrinterQueueBody =
        serde_json::from_value(body).map_err(|e| bad(format!("invalid queue update: {e}")))?;
    let (print_uuids, target) = match request {
        types::UpdatePrinterQueueBody::DeleteRequest(d) => (d.print_uuids, None),
        types::UpdatePrinterQueueBody::MoveRequest(m) => (m.print_uuids, Some((m.printer_serial, m.index))),
    };
    if let Some((serial, _)) = &target
        && !w.queues.contains_key(serial)
    {
        return Err(not_found("printer"));
    }
    let mut done = Vec::new();
    for uuid in &print_uuids {
        let mut found = false;
        for queue in w.queues.values_mut() {
            if let Some(i) = queue.iter().position(|u| u == uuid) {
                queue.remove(i);
                found = true;
            }
        }
        if found {
            done.push(uuid.clone());
        }
    }
    if let Some((serial, index)) = target {
        let queue = w.queues.get_mut(&serial).unwrap();
        let at = if index < 0 {
            queue.len()
        } else {
            (index as usize).min(queue.len())
        };
        for (i, uuid) in done.iter().enumerate() {
            queue.insert(at + i, uuid.clone());
        }
    }
    let code = if done.len() == print_uuids.len() {
        0
    } else if done.is_empty() {
        2
    } else {
        1
    };
    Ok(json_reply(
        StatusCode::OK,
        &json!({"code": code, "uuids": done, "message": format!("{} of {} prints updated", done.len(), print_uuids.len())}),
    ))
}

/// Reads an upload body as it streams: its size and hash, the bytes only if small.
pub(crate) async fn receive(body: Body) -> Result<(crate::world::StoredFile, String), Reply> {
    let mut stream = body.into_data_stream();
    let mut hash: u64 = 0xcbf29ce484222325;
    let mut kept = Vec::new();
    let mut size: u64 = 0;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| bad("the upload was interrupted"))?;
        for b in chunk.iter() {
            hash = (hash ^ u64::from(*b)).wrapping_mul(0x100000001b3);
        }
        size += chunk.len() as u64;
        if size <= 16 * 1024 * 1024 {
            kept.extend_from_slice(&chunk);
        }
    }
    if size == 0 {
        return Err(bad("empty upload"));
    }
    let file = if size <= 16 * 1024 * 1024 {
        World::store_file(bytes::Bytes::from(kept))
    } else {
        crate::world::StoredFile { bytes: None, size }
    };
    Ok((file, format!("\"{hash:016x}\"")))
}

async fn direct_upload(shared: &Shared, headers: &HeaderMap, body: Body) -> Reply {
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
    let (file, _) = match receive(body).await {
        Ok(received) => received,
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

impl crate::SharedState {
    /// A signed storage URL for one `method` on `path`.
    pub(crate) fn storage_url(&self, method: &str, path: &str) -> String {
        self.signer
            .url(&self.storage_origin, method, path, self.config.presign_ttl)
    }

    /// One cursor page of `records` under `key`, filtered and sorted per the query.
    fn cursor_page(
        &self,
        query: &Query,
        records: Vec<Value>,
        key: &str,
        aliases: &[(&str, &str)],
    ) -> Result<Reply, Reply> {
        let limit = query.limit().map_err(bad)?;
        let mut records = query::filter(records, query, aliases).map_err(bad)?;
        query::sort(&mut records, query);
        let fingerprint = query.fingerprint();
        let offset = match query.one("cursor").filter(|c| !c.is_empty()) {
            None => 0,
            Some(cursor) => {
                let cursors = self.cursors.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                let (print, offset, expires) = cursors.get(cursor).ok_or_else(|| bad("unknown cursor"))?;
                if expires.is_some_and(|at| Instant::now() >= at) {
                    return Err(bad("cursor expired"));
                }
                if *print != fingerprint {
                    return Err(bad(
                        "the cursor belongs to another query: send the same filters, sort and limit",
                    ));
                }
                *offset
            }
        };
        let total = records.len();
        let page: Vec<Value> = records.into_iter().skip(offset).take(limit).collect();
        let next = offset + page.len();
        let next_cursor = if next < total {
            let cursor = uuid::Uuid::new_v4().simple().to_string();
            let mut cursors = self.cursors.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let now = Instant::now();
            cursors.retain(|_, (_, _, expires)| expires.is_none_or(|at| now < at));
            // `None`: a lifetime longer than the clock can hold never expires.
            cursors.insert(
                cursor.clone(),
                (fingerprint, next, now.checked_add(self.config.cursor_ttl)),
            );
            cursor
        } else {
            String::new()
        };
        Ok(json_reply(
            StatusCode::OK,
            &json!({key: page, "limit": limit, "next_cursor": next_cursor, "total_count": total.min(TOTAL_COUNT_CAP)}),
        ))
    }
}
