//! Applications, part measurement templates and part measurements: read-only lists.

// Handlers answer with a finished response on both paths.
#![allow(clippy::result_large_err)]

use axum::http::{Method, StatusCode};
use serde_json::json;

use super::Request;
use super::reply::*;
use crate::world::World;

/// The routes of this resource.
pub(super) fn route(r: &Request<'_>, w: &mut World) -> Result<Reply, Reply> {
    let shared = r.shared;
    let query = r.query;
    match (r.method, r.segments) {
        (&Method::GET, ["v1", "applications"]) => {
            Ok(json_reply(StatusCode::OK, &json!({"applications": w.applications})))
        }
        (&Method::GET, ["v1", "part_measurement_templates"]) => {
            let records = w.templates.iter().map(to_value).collect();
            shared.cursor_page(query, records, "part_measurement_templates", &[])
        }
        (&Method::GET, ["v1", "part_measurements"]) => shared.map_page(
            query,
            &w.measurements,
            crate::world::MeasurementState::view,
            "part_measurements",
            &["uuid"],
            &[],
        ),
        _ => Err(no_route()),
    }
}
