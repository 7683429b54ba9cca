//! A list command: the first page, every page (`--all`), or pages until
//! `--max-items` records; array filters past one request's limit are split into
//! several requests whose records are merged, each once.

use carbon_ext::Client;
use carbon_ext::extras::{CallKind, OperationInfo};
use clap::ArgMatches;
use futures::StreamExt;
use serde_json::{Map, Value};

use super::Printing;
use crate::failure::{Failure, Outcome};
use crate::output::RecordWriter;
use crate::resources::{ALL, MAX_ITEMS, arg_id, flag_name};

/// Prints a list: the first page, every page (`--all`), or pages until
/// `--max-items` records.
pub async fn run(
    client: &Client,
    op: &'static OperationInfo,
    args: &Map<String, Value>,
    matches: &ArgMatches,
    printing: &Printing,
    out: &mut impl std::io::Write,
) -> Outcome {
    let max_items = matches.get_one::<u64>(MAX_ITEMS).copied();
    let all = op.kind == CallKind::Unpaged || matches.get_flag(ALL) || max_items.is_some();
    let mut args = args.clone();
    // A cap below the default page size needs no bigger page than the cap.
    if let (Some(max), Some(limit)) = (max_items, op.params.iter().find(|p| p.name == "limit")) {
        let defaulted = matches.value_source(&arg_id(limit)) == Some(clap::parser::ValueSource::DefaultValue);
        let page = args.get("limit").and_then(Value::as_u64).unwrap_or(u64::MAX);
        if defaulted && max < page {
            args.insert("limit".into(), Value::from(max));
        }
    }
    let mut writer = RecordWriter::new(&printing.style, Some(op.operation()), op.item_fields, out);
    let mut seen = carbon_ext::dedup::SeenUuids::default();
    let sets = argument_sets(op, &args)?;
    let several = sets.len() > 1;
    let mut left = max_items.unwrap_or(u64::MAX);
    let mut more = false;
    'sets: for args in sets {
        if all || several {
            let mut items = client.items_by_name(op.name, &args)?;
            while let Some(item) = items.next().await {
                let item = item?;
                // Items of several requests: each once (items without a uuid all
                // pass). One request's items are not remembered.
                let repeated = several && !seen.first_time(item.get("uuid").and_then(Value::as_str));
                if repeated {
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
            more = match op.kind {
                CallKind::Offset => {
                    let offset = args.get("offset").and_then(Value::as_u64).unwrap_or(0);
                    let total = page.get("total_count").and_then(Value::as_u64).unwrap_or(0);
                    total > offset + items.len() as u64
                }
                _ => page
                    .get("next_cursor")
                    .and_then(Value::as_str)
                    .is_some_and(|c| !c.is_empty()),
            };
        }
    }
    writer.finish()?;
    // After the records (a table prints at the end), where it does not hide them.
    if more && !printing.quiet {
        eprintln!("(more records: add --all to list every page, or --max-items N)");
    }
    Ok(())
}

/// The argument sets of a listing: long array filters split as
/// [`carbon_ext::split_args`] splits them. A sorted listing that would take
/// several requests is refused in the command's words (items merged from
/// several requests are not in `--sort` order).
fn argument_sets(op: &'static OperationInfo, args: &Map<String, Value>) -> Outcome<Vec<Map<String, Value>>> {
    let mut unsorted = args.clone();
    if unsorted.remove("sort").is_none() {
        return Ok(carbon_ext::split_args(op, args)?);
    }
    let sets = carbon_ext::split_args(op, &unsorted)?;
    let values = |args: &Map<String, Value>, name: &str| args.get(name).and_then(Value::as_array).map_or(0, Vec::len);
    if sets.len() == 1 {
        return Ok(vec![args.clone()]);
    }
    let split = op
        .params
        .iter()
        .find(|p| values(&sets[0], p.name) < values(&unsorted, p.name));
    let param = split.expect("a split cuts a filter's values");
    let (given, each) = (values(args, param.name), values(&sets[0], param.name));
    Err(Failure::usage(format!(
        "--{}: {given} values take {} requests of at most {each}, and rows merged from several requests are not in \
         --sort order: leave out --sort, or list at most {each} values a run",
        flag_name(param, op),
        sets.len()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(name: &str, count: usize) -> Map<String, Value> {
        let values: Vec<Value> = (0..count).map(|i| Value::from(format!("id-{i}"))).collect();
        Map::from_iter([(name.to_string(), Value::Array(values))])
    }

    #[test]
    fn long_filters_are_split_and_sorted_ones_refused_in_flags() {
        let op = carbon_ext::extras::operation("getPrintedParts").unwrap();
        let mut args = ids("part_uuid", 250);
        let sizes = |sets: Vec<Map<String, Value>>| -> Vec<usize> {
            sets.iter().map(|s| s["part_uuid"].as_array().unwrap().len()).collect()
        };
        assert_eq!(sizes(argument_sets(op, &args).unwrap()), [100, 100, 50]);
        args.insert("sort".into(), serde_json::json!(["uuid"]));
        let Err(Failure::Usage(refused)) = argument_sets(op, &args) else {
            panic!("a sorted split goes through")
        };
        assert!(
            refused.starts_with("--part-uuid: 250 values take 3 requests of at most 100")
                && refused.contains("leave out --sort"),
            "{refused}"
        );
        // Sorted within one request: sent as it is.
        let few = Map::from_iter([
            ("part_uuid".into(), serde_json::json!(["a"])),
            ("sort".into(), serde_json::json!(["uuid"])),
        ]);
        assert_eq!(argument_sets(op, &few).unwrap(), std::slice::from_ref(&few));
        // A filter the document sets no limit for is split too, as chunked() splits it.
        let quality = carbon_ext::extras::operation("getPrintQualityData").unwrap();
        let printed = quality.params.iter().find(|p| p.array).unwrap().name;
        assert_eq!(argument_sets(quality, &ids(printed, 250)).unwrap().len(), 3);
    }
}
