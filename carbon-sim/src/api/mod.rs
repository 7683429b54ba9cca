//! The API's routes over the simulated world: the middleware every request passes
//! (authentication, rate limit, injected faults, the panic guard), then one module
//! per resource.
// Handlers return a finished response on both paths (`Err` is an early answer such as
// a 400), so the error type is a response by design.
#![allow(clippy::result_large_err)]

mod builds;
mod catalog;
mod listing;
mod models;
mod paging;
mod part_orders;
mod parts;
mod print_orders;
mod printers;
mod prints;
pub(crate) mod reply;
mod resource;
mod runs;

use axum::body::Body;
use axum::http::{HeaderMap, Method, Response, StatusCode, header};
use serde_json::Value;

pub(crate) use paging::Position;
pub(crate) use reply::{Reply, empty, file_reply};
use reply::{bad, text_reply};

use crate::Shared;
use crate::faults::{FaultKind, Target};
use crate::query::Query;

/// Bodies of JSON requests are small; uploads stream.
const MAX_JSON_BODY: usize = 4 * 1024 * 1024;

/// One request, as the resource routes see it.
pub(crate) struct Request<'a> {
    pub shared: &'a Shared,
    pub method: &'a Method,
    pub segments: &'a [&'a str],
    pub query: &'a Query,
    pub body: &'a bytes::Bytes,
}

/// A JSON request body. Date-times without offset (the vendor's Python client sends
/// those) parse as UTC through the generated Timestamp type.
pub(crate) fn parse(bytes: &bytes::Bytes) -> Result<Value, Reply> {
    serde_json::from_slice(bytes).map_err(|e| bad(format!("invalid JSON body: {e}")))
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
    // Published for anyone, as the API publishes its own: no token, no faults.
    if parts.method == Method::GET && path == "/v1/api.yaml" {
        return Response::builder()
            .header(header::CONTENT_TYPE, "application/yaml; charset=utf-8")
            .body(shared.config.api_document.body())
            .unwrap_or_default();
    }
    // Storage has a listener of its own (crate::storage): everything here is the API.
    let operation = carbon_api_gen::extras::route(parts.method.as_str(), path.strip_prefix("/v1").unwrap_or(&path));
    // Faults are drawn per operation; requests no operation matches draw as one
    // kind (a method's text is the client's to choose: it names no kind).
    let kind = operation.map_or("unrouted", |op| op.name);
    let (fault, mut draws) = shared.fault(Target::Api, kind).await;

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
        // The documented limits, from the same generated facts the client checks.
        if let Some(op) = operation
            && let Err(broken) = carbon_api_gen::extras::check_values(op.name, |name| query.all(name).iter())
        {
            return bad(broken.to_string());
        }
    }
    let is_write = parts.method != Method::GET;
    if fault == Some(FaultKind::ServerError) && (!is_write || draws.bool()) {
        // Before anything was applied.
        return server_error(&mut draws);
    }

    let reply = route(&shared, &parts.method, &path, &query, &parts.headers, body).await;
    let reply = match (&shared.additions, operation) {
        (Some(additions), Some(op)) if reply.status().is_success() && is_json(&reply) => {
            with_additions(additions, op, reply).await
        }
        _ => reply,
    };

    match fault {
        // After a write was applied: the answer is lost.
        Some(FaultKind::ServerError) => server_error(&mut draws),
        Some(FaultKind::ConnectionReset) => reset(reply).await,
        Some(FaultKind::TruncatedJson) if reply.status().is_success() && is_json(&reply) => truncate(reply).await,
        _ => reply,
    }
}

fn server_error(draws: &mut fastrand::Rng) -> Reply {
    let status = [
        StatusCode::INTERNAL_SERVER_ERROR,
        StatusCode::BAD_GATEWAY,
        StatusCode::SERVICE_UNAVAILABLE,
    ][draws.usize(..3)];
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

async fn route(shared: &Shared, method: &Method, path: &str, query: &Query, headers: &HeaderMap, body: Body) -> Reply {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    // Uploads stream, outside the world lock.
    if let (&Method::POST, ["v1", "models"]) = (method, segments.as_slice()) {
        return models::direct_upload(shared, headers, body).await;
    }
    let body = match method {
        &Method::POST | &Method::PATCH => match axum::body::to_bytes(body, MAX_JSON_BODY).await {
            Ok(bytes) => bytes,
            Err(_) => return bad("request body too large or unreadable"),
        },
        _ => bytes::Bytes::new(),
    };
    let request = Request {
        shared,
        method,
        segments: &segments,
        query,
        body: &body,
    };
    if method == Method::GET
        && let Some(message) = path
            .strip_prefix("/v1")
            .and_then(|list| crate::unmodelled::refusal(list, query))
    {
        return reply::finish(reply::bad(message));
    }
    // The world is locked for the handler only (the guard must not live across an await).
    let result = {
        let mut world = shared.world.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        world.advance();
        let w = &mut *world;
        match segments.as_slice() {
            [
                "v1",
                "applications" | "part_measurement_templates" | "part_measurements",
                ..,
            ] => catalog::route(&request, w),
            ["v1", "attachments" | "builds", ..] => builds::route(&request, w),
            ["v1", "model_program_runs", ..] => runs::route(&request, w),
            ["v1", "models", ..] => models::route(&request, w),
            ["v1", "part_orders", ..] => part_orders::route(&request, w),
            ["v1", "parts", ..] => parts::route(&request, w),
            ["v1", "print_orders", ..] => print_orders::route(&request, w),
            ["v1", "prints" | "print_quality_data" | "printed_parts", ..] => prints::route(&request, w),
            ["v1", "printers", ..] => printers::route(&request, w),
            _ => Err(reply::no_route()),
        }
    };
    // Bodies are written here, with the world lock released.
    reply::finish(result.unwrap_or_else(|reply| reply))
}

/// The answer with what a newer published document adds (see `crate::additions`).
async fn with_additions(
    additions: &crate::additions::Additions,
    operation: &carbon_api_gen::extras::OperationInfo,
    reply: Reply,
) -> Reply {
    let (mut parts, body) = reply.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
    let Ok(mut value) = serde_json::from_slice::<Value>(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    additions.apply(operation, &mut value);
    let bytes = serde_json::to_vec(&value).unwrap_or_default();
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(bytes))
}
