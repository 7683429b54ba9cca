//! Building responses.

use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{Response, StatusCode, header};
use serde_json::{Value, json};

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

pub(crate) fn redirect(location: &str) -> Reply {
    Response::builder()
        .status(StatusCode::FOUND)
        .header(header::LOCATION, location)
        .body(Body::empty())
        .unwrap()
}

pub(crate) fn bad(message: impl AsRef<str>) -> Reply {
    text_reply(StatusCode::BAD_REQUEST, message.as_ref())
}

pub(crate) fn not_found(what: &str) -> Reply {
    text_reply(StatusCode::NOT_FOUND, &format!("{what} not found"))
}

/// A record built from a request's values, or a 400 when a value does not fit the
/// record's type (so no request can make a handler panic).
pub(crate) fn checked<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, Reply> {
    serde_json::from_value(value).map_err(|e| bad(format!("a value does not fit the record: {e}")))
}

pub(crate) fn to_value<T: serde::Serialize>(record: &T) -> Value {
    serde_json::to_value(record).expect("records serialize")
}

pub(crate) fn file_reply(name: &str, body: Body) -> Reply {
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .header(header::CONTENT_DISPOSITION, content_disposition(name))
        .body(body)
        .unwrap()
}

/// `attachment; filename="..."` for any name: quotes, backslashes, controls and
/// non-ASCII characters become `_`, so a stored name can never break the header.
pub(crate) fn content_disposition(name: &str) -> header::HeaderValue {
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

/// The answer for a path no route knows.
pub(crate) fn no_route() -> Reply {
    text_reply(StatusCode::NOT_FOUND, "no such route")
}

/// A JSON body to write once the world lock is released (see [`finish`]).
#[derive(Clone)]
#[allow(clippy::type_complexity)]
pub(crate) struct Deferred(Arc<Mutex<Option<Box<dyn FnOnce() -> Vec<u8> + Send>>>>);

/// A JSON reply whose body `write` makes later, outside the world lock.
pub(crate) fn deferred_json(status: StatusCode, write: impl FnOnce() -> Vec<u8> + Send + 'static) -> Reply {
    let mut reply = Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::empty())
        .expect("a valid response");
    reply
        .extensions_mut()
        .insert(Deferred(Arc::new(Mutex::new(Some(Box::new(write))))));
    reply
}

/// Writes a deferred body, if the reply has one.
pub(crate) fn finish(mut reply: Reply) -> Reply {
    let Some(deferred) = reply.extensions_mut().remove::<Deferred>() else {
        return reply;
    };
    let write = deferred
        .0
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .take();
    if let Some(write) = write {
        *reply.body_mut() = Body::from(write());
    }
    reply
}
