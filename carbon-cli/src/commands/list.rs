//! A list command: the first page, every page (`--all`), or pages until
//! `--max-items` records; array filters past one request's limit are split into
//! several requests whose records are merged, each once.

use carbon_ext::Client;
use carbon_ext::extras::{CallKind, OperationInfo};
use clap::ArgMatches;
use futures::StreamExt;
use serde_json::{Map, Value};

use super::Printing;
use crate::failure::Outcome;
use crate::output::RecordWriter;
use crate::resources::{ALL, MAX_ITEMS, arg_id};

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
    let sets = carbon_ext::split_args(op, &args)?;
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
