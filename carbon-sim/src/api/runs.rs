//! Model program runs: start one, look one or several up.

use super::resource::*;

use crate::world::typed;

/// The routes of this resource.
pub(super) fn route(r: &Request<'_>, w: &mut World) -> Result<Reply, Reply> {
    match (r.method, r.segments) {
        (&Method::GET, ["v1", "model_program_runs"]) => {
            let runs: Vec<&types::ModelProgramRun> = r
                .query
                .all("uuid")
                .iter()
                .filter_map(|u| w.runs.get(u).map(|r| &r.run))
                .collect();
            Ok(json_reply(StatusCode::OK, &json!({"model_program_runs": runs})))
        }
        (&Method::POST, ["v1", "model_program_runs"]) => {
            let request: types::ModelProgramRunRequest =
                serde_json::from_value(parse(r.body)?).map_err(|e| bad(format!("invalid run request: {e}")))?;
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
            w.add_run(
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
        _ => Err(no_route()),
    }
}
