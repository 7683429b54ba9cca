//! Applications, part measurement templates and part measurements: read-only lists.

use super::resource::*;

/// The routes of this resource.
pub(super) fn route(r: &Request<'_>, w: &mut World) -> Result<Reply, Reply> {
    match (r.method, r.segments) {
        (&Method::GET, ["v1", "applications"]) => {
            Ok(json_reply(StatusCode::OK, &json!({"applications": w.applications})))
        }
        (&Method::GET, ["v1", "part_measurement_templates"]) => {
            let records = w.templates.iter().map(to_value).collect();
            r.shared
                .cursor_page(r.query, records, "part_measurement_templates", &[])
        }
        (&Method::GET, ["v1", "part_measurements"]) => r.shared.map_page(
            r.query,
            &w.measurements,
            crate::world::MeasurementState::view,
            "part_measurements",
            &["uuid"],
            &[],
        ),
        _ => Err(no_route()),
    }
}
