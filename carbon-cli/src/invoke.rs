//! Running a resource command: its flags become the operation's JSON arguments, the
//! SDK calls it by name, and the answer is printed.

use std::collections::HashSet;
use std::path::PathBuf;

use carbon_ext::extras::{CallKind, FieldInfo, OperationInfo, ValueKind};
use carbon_ext::{Client, Destination, UploadOptions};
use clap::ArgMatches;
use futures::StreamExt;
use serde_json::{Map, Value};

use crate::cli::Downloadable;
use crate::failure::{Failure, Outcome};
use crate::output::{RecordWriter, Style, print_record};
use crate::resources::{ALL, DESTINATION, MAX_ITEMS, arg_id, flag_name};
use crate::values::{self, Strictness};
use crate::when::Relative;

/// The values given for a field, if any, checked (see [`crate::values`]).
fn given(
    op: &OperationInfo,
    field: &FieldInfo,
    matches: &ArgMatches,
    relative: Relative,
    strict: Strictness,
) -> Outcome<Option<Value>> {
    let flag = flag_name(field, op);
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

/// Splits an array filter with more values than the API takes in one request into
/// several argument sets (the first such filter; the rest are left as they are).
fn chunks(op: &OperationInfo, args: &Map<String, Value>) -> Outcome<Vec<Map<String, Value>>> {
    for param in op.params.iter().filter(|p| p.array) {
        let Some(Value::Array(values)) = args.get(param.name) else {
            continue;
        };
        let Some(max) = carbon_ext::extras::param_rule(op.name, param.name).and_then(|r| r.max_items) else {
            continue;
        };
        if values.len() as u64 <= max {
            continue;
        }
        if args.contains_key("sort") {
            return Err(Failure::usage(format!(
                "--{} has {} values, more than one request takes ({max}); the answers of several requests are \
                 not in --sort order: leave out --sort",
                flag_name(param, op),
                values.len()
            )));
        }
        return Ok(values
            .chunks(max as usize)
            .map(|chunk| {
                let mut part = args.clone();
                part.insert(param.name.to_string(), Value::Array(chunk.to_vec()));
                part
            })
            .collect());
    }
    Ok(vec![args.clone()])
}

/// How a command prints.
pub struct Printing {
    /// The format, fields and width.
    pub style: Style,
    /// Whether progress may be shown.
    pub quiet: bool,
    /// How strictly flag values are checked.
    pub strict: Strictness,
}

/// Runs a resource command.
pub async fn run(client: &Client, op: &'static OperationInfo, matches: &ArgMatches, printing: &Printing) -> Outcome {
    let args = arguments(op, matches, printing.strict)?;
    let mut out = std::io::stdout().lock();
    match op.kind {
        CallKind::Download => download(client, op, &args, matches).await,
        CallKind::Upload => upload(client, &args, matches, printing).await,
        kind if kind.is_list() => list(client, op, &args, matches, printing, &mut out).await,
        _ => {
            let answer = client.call_by_name(op.name, &args).await?;
            if answer.is_null() {
                eprintln!("done: {} {}", op.method, op.path);
                return Ok(());
            }
            print_record(&printing.style, &answer, &mut out)?;
            Ok(())
        }
    }
}

/// Prints a list: the first page, every page (`--all`), or pages until
/// `--max-items` records.
async fn list(
    client: &Client,
    op: &'static OperationInfo,
    args: &Map<String, Value>,
    matches: &ArgMatches,
    printing: &Printing,
    out: &mut impl std::io::Write,
) -> Outcome {
    let max_items = matches.get_one::<u64>(MAX_ITEMS).copied();
    let all = op.kind == CallKind::Listing || matches.get_flag(ALL) || max_items.is_some();
    let mut args = args.clone();
    // A cap below the default page size needs no bigger page than the cap.
    if let (Some(max), Some(limit)) = (max_items, op.params.iter().find(|p| p.name == "limit")) {
        let defaulted = matches.value_source(&arg_id(limit)) == Some(clap::parser::ValueSource::DefaultValue);
        let page = args.get("limit").and_then(Value::as_u64).unwrap_or(u64::MAX);
        if defaulted && max < page {
            args.insert("limit".into(), Value::from(max));
        }
    }
    let mut writer = RecordWriter::new(&printing.style, op.name, op.item_fields, out);
    let mut seen = HashSet::new();
    let sets = chunks(op, &args)?;
    let several = sets.len() > 1;
    let mut left = max_items.unwrap_or(u64::MAX);
    'sets: for args in sets {
        if all || several {
            let mut items = client.items_by_name(op.name, &args)?;
            while let Some(item) = items.next().await {
                let item = item?;
                // Items of several requests: each once (items without a uuid all pass).
                let repeated = item
                    .get("uuid")
                    .and_then(Value::as_str)
                    .is_some_and(|uuid| !seen.insert(uuid.to_string()));
                if several && repeated {
                    continue;
                }
                writer.write(&item)?;
                left -= 1;
                if left == 0 {
                    break 'sets;
                }
            }
        } else {
            let page = client.call_by_name(op.name, &args).await?;
            let items = op
                .items_field
                .and_then(|field| page.get(field))
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            for item in &items {
                writer.write(item)?;
            }
            let more = page
                .get("next_cursor")
                .and_then(Value::as_str)
                .is_some_and(|c| !c.is_empty());
            if more && !printing.quiet {
                eprintln!("(more records: add --all to list every page, or --max-items N)");
            }
        }
    }
    writer.finish()?;
    Ok(())
}

/// The SDK download behind an operation that answers with a file.
fn downloadable(op: &OperationInfo) -> Option<Downloadable> {
    match op.name {
        "get_attachment" => Some(Downloadable::Attachment),
        "download_model" => Some(Downloadable::Model),
        _ => None,
    }
}

async fn download(client: &Client, op: &OperationInfo, args: &Map<String, Value>, matches: &ArgMatches) -> Outcome {
    let uuid = args.get("uuid").and_then(Value::as_str).unwrap_or_default().to_string();
    let what = downloadable(op).ok_or_else(|| {
        Failure::usage(format!(
            "{} answers with a file this version of carbon cannot fetch yet; \
             use a carbon release made for this API version",
            op.name
        ))
    })?;
    crate::workflows::files::download(
        client,
        what,
        &uuid,
        matches.get_one::<String>(DESTINATION).map(PathBuf::from),
    )
    .await
}

async fn upload(client: &Client, args: &Map<String, Value>, matches: &ArgMatches, printing: &Printing) -> Outcome {
    let file = PathBuf::from(matches.get_one::<String>("file").expect("required by clap"));
    let mut options = UploadOptions::default();
    // Arguments are keyed by wire name: these are the headers `external-id` and
    // `application-uuid`.
    if let Some(id) = args.get("external-id").and_then(Value::as_str) {
        options = options.external_id(id);
    }
    let progress = crate::progress::bytes(printing.quiet, "uploading");
    let model = match args.get("application-uuid").and_then(Value::as_str) {
        // Only a direct upload can name an application.
        Some(app) => {
            let options = options.application_uuid(app);
            client.upload_model_direct(&file, options, progress.callback()).await?
        }
        None => {
            let uploaded = client
                .upload_model_presigned(&file, options, progress.callback())
                .await?;
            use carbon_ext::prelude::*;
            client.get_model().uuid(&uploaded.model_uuid).run().await?
        }
    };
    progress.finish();
    let record = serde_json::to_value(&model).map_err(|e| Failure::usage(e.to_string()))?;
    print_record(&printing.style, &record, &mut std::io::stdout().lock())?;
    Ok(())
}

/// `Destination` for a download to `path`, or to this directory under the server's name.
pub fn destination(path: Option<PathBuf>, fallback: &str) -> Destination {
    match path {
        Some(path) if path.is_dir() => Destination::Directory {
            dir: path,
            fallback_name: fallback.to_string(),
        },
        Some(path) => Destination::File(path),
        None => Destination::Directory {
            dir: PathBuf::from("."),
            fallback_name: fallback.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_that_answers_with_a_file_has_a_download() {
        let files: Vec<&str> = carbon_ext::extras::operations()
            .iter()
            .filter(|op| op.kind == CallKind::Download)
            .map(|op| op.name)
            .collect();
        assert!(!files.is_empty());
        for op in carbon_ext::extras::operations()
            .iter()
            .filter(|op| op.kind == CallKind::Download)
        {
            assert!(downloadable(op).is_some(), "{} has no download in the CLI", op.name);
        }
    }
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

    #[test]
    fn long_filters_are_split_and_sorted_ones_refused() {
        let op = carbon_ext::extras::operation("getPrintedParts").unwrap();
        let mut args = Map::new();
        let ids: Vec<Value> = (0..250).map(|i| Value::from(format!("id-{i}"))).collect();
        args.insert("part_uuid".into(), Value::Array(ids));
        let sets = chunks(op, &args).unwrap();
        assert_eq!(
            sets.iter()
                .map(|s| s["part_uuid"].as_array().unwrap().len())
                .collect::<Vec<_>>(),
            [100, 100, 50]
        );
        args.insert("sort".into(), serde_json::json!(["uuid"]));
        assert!(chunks(op, &args).is_err());
    }
}
