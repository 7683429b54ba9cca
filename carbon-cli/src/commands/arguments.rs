//! A resource command's flags as the operation's JSON arguments (keyed by wire
//! name, the body under `body`), every value checked before anything is sent.
//! (Array filters past what one request takes are split by the list command.)

use carbon_ext::extras::{FieldInfo, Location, OperationInfo, ValueKind};
use clap::ArgMatches;
use serde_json::{Map, Value};

use crate::failure::{Failure, Outcome};
use crate::resources::{arg_id, flag_name};
use crate::values::{self, Strictness};
use crate::when::Relative;

/// A field as the user wrote it, for messages: `--status`, or `UUID` for a
/// positional.
fn flag_label(field: &FieldInfo, op: &OperationInfo) -> String {
    match field.location {
        Location::Path => field.name.to_ascii_uppercase(),
        _ => format!("--{}", flag_name(field, op)),
    }
}

/// The values given for a field, if any, checked (see [`crate::values`]).
fn given(
    op: &OperationInfo,
    field: &FieldInfo,
    matches: &ArgMatches,
    relative: Relative,
    strict: Strictness,
) -> Outcome<Option<Value>> {
    let flag = flag_label(field, op);
    let id = arg_id(field);
    if field.kind == ValueKind::Boolean && !field.array {
        return Ok(matches.try_get_one::<bool>(&id).ok().flatten().map(|b| Value::from(*b)));
    }
    // Fields without a flag of their own (an upload's file name) are not there.
    let Some(raws) = matches.try_get_many::<String>(&id).ok().flatten() else {
        return Ok(None);
    };
    let mut values = Vec::new();
    for raw in raws {
        for piece in values::pieces(field, &flag, raw)? {
            values.push(values::field_value(field, &flag, piece, relative, strict)?);
        }
    }
    Ok(Some(if field.array {
        Value::Array(values)
    } else {
        values.into_iter().next().unwrap_or(Value::Null)
    }))
}

/// The body: `--body` JSON (a file or `-`), with the member flags over it.
fn body(op: &OperationInfo, matches: &ArgMatches, strict: Strictness) -> Outcome<Option<Value>> {
    let Some(info) = op.body.filter(|b| b.content_type.contains("json")) else {
        return Ok(None);
    };
    let mut body = match matches.get_one::<String>("body") {
        Some(source) => {
            let text = if source == "-" {
                std::io::read_to_string(std::io::stdin())
                    .map_err(|e| Failure::usage(format!("--body -: cannot read standard input: {e}")))?
            } else {
                std::fs::read_to_string(source).map_err(|e| Failure::usage(format!("--body {source}: {e}")))?
            };
            let value: Value = serde_json::from_str(&text)
                .map_err(|e| Failure::usage(format!("--body {source}: not valid JSON ({e}); nothing was sent")))?;
            Some(value)
        }
        None => None,
    };
    for field in info.fields.iter().filter(|f| f.kind != ValueKind::Object) {
        if let Some(value) = given(op, field, matches, Relative::FromNow, strict)? {
            let object = body.get_or_insert_with(|| Value::Object(Map::new()));
            let Some(object) = object.as_object_mut() else {
                return Err(Failure::usage(
                    "--body is not a JSON object, so flags cannot set its members",
                ));
            };
            object.insert(field.name.to_string(), value);
        }
    }
    // A body with required members is required, whatever the document says of it.
    if body.is_none() && (info.required || info.fields.iter().any(|f| f.required)) {
        let required: Vec<String> = info
            .fields
            .iter()
            .filter(|f| f.required)
            .map(|f| format!("--{}", flag_name(f, op)))
            .collect();
        return Err(Failure::usage(format!(
            "{} needs a body: --body FILE (or -), or the flags {}",
            op.name,
            required.join(", ")
        )));
    }
    Ok(body)
}

/// The operation's arguments from the command line, every value checked before
/// anything is sent. Required parameters with a documented default (`limit`) get it
/// from clap when not given.
pub fn arguments(op: &OperationInfo, matches: &ArgMatches, strict: Strictness) -> Outcome<Map<String, Value>> {
    let mut args = Map::new();
    for param in op.params {
        if let Some(value) = given(op, param, matches, Relative::Ago, strict)? {
            args.insert(param.name.to_string(), value);
        }
    }
    if let Some(body) = body(op, matches, strict)? {
        args.insert("body".to_string(), body);
    }
    Ok(args)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::{operation_command, route};

    fn parse(id: &str, argv: &[&str]) -> Outcome<Map<String, Value>> {
        let op = carbon_ext::extras::operation(id).unwrap();
        let command = operation_command(op, &route(op));
        let matches = command
            .try_get_matches_from(argv)
            .map_err(|e| Failure::usage(e.to_string()))?;
        arguments(op, &matches, Strictness::default())
    }

    #[test]
    fn flags_become_typed_json_arguments() {
        let args = parse(
            "getPrintedParts",
            &[
                "list",
                "--part-order-uuid",
                "1cf34076-417e-489f-8863-3438facd4808",
                "--part-order-uuid",
                "2cf34076-417e-489f-8863-3438facd4808,3cf34076-417e-489f-8863-3438facd4808",
                "--updated-after",
                "2026-11-01",
            ],
        )
        .unwrap();
        assert_eq!(
            args["part_order_uuid"],
            serde_json::json!([
                "1cf34076-417e-489f-8863-3438facd4808",
                "2cf34076-417e-489f-8863-3438facd4808",
                "3cf34076-417e-489f-8863-3438facd4808"
            ])
        );
        assert_eq!(args["updated_after"], "2026-11-01T00:00:00Z");
        assert_eq!(args["limit"], 100, "the API's page size when none is given");

        let args = parse(
            "createPartOrder",
            &[
                "create",
                "--part-order-number",
                "PO-1",
                "--due-date",
                "2026-12-24",
                "--flush",
            ],
        )
        .unwrap();
        assert_eq!(
            args["body"],
            serde_json::json!({"part_order_number": "PO-1", "due_date": "2026-12-24T00:00:00Z", "flush": true})
        );
        let err = parse("getPrintedParts", &["list", "--limit", "many"]).unwrap_err();
        assert!(err.to_string().contains("not a whole number"), "{err}");
        let err = parse("createPartOrder", &["create"]).unwrap_err();
        assert!(err.to_string().contains("needs a body"), "{err}");
    }

    /// A valid command line for `op` (its required positionals and flags), with
    /// `extra` appended.
    fn valid_argv(op: &OperationInfo, extra: &[String]) -> Vec<String> {
        let mut argv = vec!["verb".to_string()];
        argv.extend(crate::resources::required_args(op));
        argv.extend(extra.iter().cloned());
        argv
    }

    #[test]
    fn every_flag_with_a_closed_set_or_an_id_refuses_a_bad_value_before_sending() {
        let mut checked = 0;
        for op in carbon_ext::extras::operations() {
            let command = operation_command(op, &route(op));
            let body_fields = op.body.map(|b| b.fields).unwrap_or_default();
            let fields = op
                .params
                .iter()
                .chain(body_fields.iter().filter(|f| f.kind != ValueKind::Object));
            for field in fields {
                let closed = !field.values.is_empty() || field.kind == ValueKind::Uuid || field.name == "sort";
                if !closed
                    || (op.kind == carbon_ext::extras::CallKind::Upload && field.name == crate::resources::UPLOAD_NAME)
                {
                    continue;
                }
                let argv = match field.location {
                    // A bad id in the path: the positional itself.
                    Location::Path => {
                        let mut argv = valid_argv(op, &[]);
                        let at = argv.iter().position(|a| a.starts_with("1cf34076")).unwrap();
                        argv[at] = "not-an-id".into();
                        argv
                    }
                    _ => valid_argv(op, &[format!("--{}", flag_name(field, op)), "Bogus-Value".into()]),
                };
                let matches = command
                    .clone()
                    .try_get_matches_from(&argv)
                    .unwrap_or_else(|e| panic!("{argv:?}: {e}"));
                let err = arguments(op, &matches, Strictness::default())
                    .err()
                    .unwrap_or_else(|| panic!("{} {argv:?} was accepted", op.operation_id));
                let text = err.to_string();
                assert!(matches!(err, Failure::Usage(_)), "{text}");
                assert!(
                    text.starts_with(&flag_label(field, op)),
                    "{} {argv:?}: {text}",
                    op.operation_id
                );
                assert!(text.to_lowercase().contains("nothing was sent"), "{text}");
                if !field.values.is_empty() {
                    assert!(text.contains(field.values[0]), "names what is accepted: {text}");
                }
                checked += 1;
            }
        }
        assert!(checked > 40, "only {checked} flags checked");
    }
}
