//! Prints, printed parts and print quality data.

use super::resource::*;

/// The routes of this resource.
pub(super) fn route(r: &Request<'_>, w: &mut World) -> Result<Reply, Reply> {
    match (r.method, r.segments) {
        (&Method::GET, ["v1", "print_quality_data"]) => {
            let ids = r.query.all("printIds");
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
            r.shared
                .map_page(r.query, &w.printed_parts, |s| s.view(), "parts", &["uuid"], &[])
        }
        (&Method::GET, ["v1", "printed_parts", uuid]) => Ok(json_reply(
            StatusCode::OK,
            &w.printed_parts
                .get(uuid)
                .ok_or_else(|| not_found("printed part"))?
                .view(),
        )),
        (&Method::GET, ["v1", "prints"]) => {
            let mut q = r.query.clone();
            q.0.entry("status".into()).or_insert_with(|| vec!["finished".into()]);
            r.shared.map_page(
                &q,
                &w.prints,
                Clone::clone,
                "prints",
                &["uuid"],
                &[
                    ("printer_serial", "origin.printer_serial"),
                    ("platform_serial", "origin.platform_serial"),
                    ("printer_name", "printed_by"),
                ],
            )
        }
        _ => Err(no_route()),
    }
}
