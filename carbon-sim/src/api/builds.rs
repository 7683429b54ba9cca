//! Builds and their attachments (the redirect to a signed storage URL).

use super::resource::*;

/// The routes of this resource.
pub(super) fn route(r: &Request<'_>, w: &mut World) -> Result<Reply, Reply> {
    match (r.method, r.segments) {
        (&Method::GET, ["v1", "attachments", uuid]) => {
            w.attachments.get(*uuid).ok_or_else(|| not_found("attachment"))?;
            Ok(redirect(
                &r.shared.storage_url("GET", &format!("/bucket/attachments/{uuid}")),
            ))
        }
        (&Method::GET, ["v1", "builds"]) => r.shared.map_page(
            r.query,
            &w.builds,
            |b| b.view(&w.parts),
            "builds",
            &["uuid", "build_uuid"],
            &[("build_uuid", "uuid")],
        ),
        (&Method::GET, ["v1", "builds", uuid]) => Ok(json_reply(
            StatusCode::OK,
            &w.builds.get(uuid).ok_or_else(|| not_found("build"))?.view(&w.parts),
        )),
        _ => Err(no_route()),
    }
}
