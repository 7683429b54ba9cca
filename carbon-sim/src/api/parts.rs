//! Parts: a model under a part number.

use super::resource::*;

use std::sync::Arc;

use arcstr::ArcStr;

use crate::world::PartState;

/// The routes of this resource.
pub(super) fn route(r: &Request<'_>, w: &mut World) -> Result<Reply, Reply> {
    match (r.method, r.segments) {
        (&Method::GET, ["v1", "parts"]) => {
            r.shared
                .map_page(r.query, &w.parts, PartState::view, "parts", &["uuid"], &[])
        }
        (&Method::POST, ["v1", "parts"]) => {
            let request: types::PartRequest =
                serde_json::from_value(parse(r.body)?).map_err(|e| bad(format!("invalid part: {e}")))?;
            if !w.models.contains_key(&request.model_uuid) {
                return Err(bad(format!("unknown model {}", request.model_uuid)));
            }
            if let Some(app) = &request.application_uuid
                && !w.applications.iter().any(|a| &a.uuid == app)
            {
                return Err(bad(format!("unknown application {app}")));
            }
            let uuid = w.uuid();
            if let Some(app) = request.application_uuid.clone() {
                w.part_apps.insert(uuid.clone(), app);
            }
            let part: types::Part = checked(json!({
                "uuid": uuid, "part_number": request.part_number, "model_uuid": request.model_uuid,
                "part_number_tags": {}, "part_tags": {}
            }))?;
            let uuid: ArcStr = ArcStr::from(uuid);
            let state = PartState {
                uuid: uuid.clone(),
                entry: Arc::new(part),
            };
            let reply = json_reply(StatusCode::OK, &state.view());
            w.parts.insert(uuid, state);
            Ok(reply)
        }
        (&Method::GET, ["v1", "parts", uuid]) => Ok(json_reply(
            StatusCode::OK,
            &w.parts.get(uuid).ok_or_else(|| not_found("part"))?.view(),
        )),
        _ => Err(no_route()),
    }
}
