//! `carbon order`: upload, a part per model, the part order, optionally a wait.
//!
//! Every step finds what an earlier run did before doing it: a file is uploaded
//! under an `external_id` derived from its content and found again with
//! `findModels`; a part is found by model and part number; the order's uuid is
//! derived from its number and application, so a second create meets a 409 and
//! gets the existing order. Re-running after a crash, Ctrl-C or `kill -9` does no
//! work twice and ends in the same state.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use carbon_ext::prelude::*;
use carbon_ext::{Client, Created, Progress, Transfer, UploadOptions, types};
use futures::{StreamExt, TryStreamExt};

use crate::checkpoint;
use crate::failure::{Failure, Outcome};
use crate::progress;
use crate::when::{Relative, parse_duration, parse_time};
use crate::workflows::files::{check_files, content_id};
use crate::workflows::waits::{Until, wait_for_part_order};

/// What `order` and `hollow-order` share: the part order to make.
#[derive(Debug, Clone, clap::Args)]
pub struct OrderFlags {
    /// The part number every part gets (it must belong to the application).
    #[arg(long)]
    pub part_number: String,
    /// The part order's number; the same number names the same order on a re-run.
    #[arg(long)]
    pub order_number: String,
    /// The application the parts and the order belong to.
    #[arg(long, value_name = "UUID")]
    pub application: Option<String>,
    /// Pack the order even if its parts do not fill a platform.
    #[arg(long)]
    pub flush: bool,
    /// Keep the order's parts apart from other orders' (at most 32 characters).
    #[arg(long, value_name = "GROUP", value_parser = packing_group_arg)]
    pub packing_group: Option<String>,
    /// When the order is due: RFC 3339, a date, or from now (7d).
    #[arg(long, default_value = "7d", value_name = "WHEN", value_parser = due_arg)]
    pub due: String,
    /// Wait until the order is packed or finished.
    #[arg(long, value_enum, value_name = "STATE")]
    pub wait: Option<WaitFor>,
    /// How long a wait may take.
    #[arg(long, default_value = "12h", value_name = "DURATION", value_parser = parse_duration)]
    pub timeout: std::time::Duration,
    /// Show what would be uploaded, found and created, with the order's request,
    /// and send nothing but reads.
    #[arg(long)]
    pub dry_run: bool,
}

/// What `--wait` waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum WaitFor {
    /// Every printed part is printing or beyond.
    Packed,
    /// The order is complete.
    Finished,
}

impl From<WaitFor> for Until {
    fn from(wait: WaitFor) -> Self {
        match wait {
            WaitFor::Packed => Until::Packed,
            WaitFor::Finished => Until::Finished,
        }
    }
}

// Flags are checked by clap, before any upload or create: a bad one costs nothing.
fn due_arg(text: &str) -> Result<String, String> {
    parse_time(text, Relative::FromNow, chrono::Utc::now()).map(|_| text.to_string())
}

fn packing_group_arg(text: &str) -> Result<String, String> {
    text.parse::<types::PartOrderRequestPackingGroup>()
        .map(|_| text.to_string())
        .map_err(|e| e.to_string())
}

/// `carbon order FILE...`.
#[derive(Debug, Clone, clap::Args)]
#[command(
    after_help = "Example:\n  carbon order brackets/*.stl --part-number BRK-7 --order-number PO-1001 --flush --wait packed"
)]
pub struct OrderArgs {
    #[command(flatten)]
    pub models: ModelFiles,
    #[command(flatten)]
    pub order: OrderFlags,
}

/// The model files a command orders parts of.
#[derive(Debug, Clone, clap::Args)]
pub struct ModelFiles {
    /// Model files (STL, OBJ, ...).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

/// The order's uuid: the same number and application always give the same one.
pub fn order_uuid(order_number: &str, application: Option<&str>) -> String {
    const NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x6c1f_0d1e_9b2a_4c3d_8e7f_a0b1_c2d3_e4f5);
    let name = format!(
        "carbon-cli part order\n{order_number}\n{}",
        application.unwrap_or_default()
    );
    uuid::Uuid::new_v5(&NAMESPACE, name.as_bytes()).to_string()
}

/// The files' models as far as the API has them: each file's content id, the
/// model uploaded under each id found, and the files to upload (one per content).
pub struct Found {
    /// Each file's content id, in the order given.
    pub ids: Vec<String>,
    /// Content id → model uuid, for the models an earlier run uploaded.
    pub models: HashMap<String, String>,
    /// The files no model was found for (the first of each content).
    pub missing: Vec<(PathBuf, String)>,
}

/// Looks the files' models up (reads only); says which files share their bytes.
pub async fn find_models(client: &Client, files: &[PathBuf], quiet: bool) -> Outcome<Found> {
    check_files(files)?;
    let ids: Vec<String> = files.iter().map(|f| content_id(f)).collect::<Outcome<_>>()?;
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    let found: Vec<types::Model> = client
        .find_models()
        .chunked(unique, |builder, chunk| builder.external_id(chunk))
        .collect()
        .await?;
    let mut models: HashMap<String, String> = HashMap::new();
    for model in found {
        if let Some(id) = model.external_id {
            models.entry(id).or_insert(model.uuid);
        }
    }
    checkpoint::reached("models looked up");
    if !quiet {
        for note in same_content(files, &ids) {
            eprintln!("{note}");
        }
    }
    let mut missing: Vec<(PathBuf, String)> = Vec::new();
    for (file, id) in files.iter().zip(&ids) {
        if !models.contains_key(id) && !missing.iter().any(|(_, m)| m == id) {
            missing.push((file.clone(), id.clone()));
        }
    }
    Ok(Found { ids, models, missing })
}

/// The uuid of a model for each file, uploading those no earlier run uploaded.
pub async fn ensure_models(client: &Client, files: &[PathBuf], quiet: bool) -> Outcome<Vec<String>> {
    let Found {
        ids,
        models: mut by_id,
        missing,
    } = find_models(client, files, quiet).await?;
    if !quiet && files.len() > missing.len() {
        eprintln!(
            "{} of {} file(s) were uploaded before",
            files.len() - missing.len(),
            files.len()
        );
    }
    let bar = progress::bytes(quiet, "uploading");
    let sizes: Vec<u64> = missing
        .iter()
        .map(|(f, _)| std::fs::metadata(f).map(|m| m.len()).unwrap_or(0))
        .collect();
    let total: u64 = sizes.iter().sum();
    let sent: Arc<Vec<AtomicU64>> = Arc::new(sizes.iter().map(|_| AtomicU64::new(0)).collect());
    let uploads = futures::stream::iter(missing.into_iter().enumerate())
        .map(|(index, (file, id))| {
            let (sent, bar) = (sent.clone(), bar.clone());
            let per_file = Progress::new(move |t: &Transfer| {
                sent[index].store(t.done, Ordering::Relaxed);
                bar.set(sent.iter().map(|s| s.load(Ordering::Relaxed)).sum(), Some(total));
            });
            async move {
                checkpoint::reached("upload starting");
                let options = UploadOptions::default().external_id(id.clone());
                let uploaded = client
                    .upload_model_presigned(&file, options, per_file)
                    .await
                    .map_err(Failure::Sdk)?;
                checkpoint::reached("uploaded");
                Ok::<_, Failure>((id, uploaded.model_uuid))
            }
        })
        .buffer_unordered(4)
        .try_collect::<Vec<_>>()
        .await;
    bar.finish();
    by_id.extend(uploads?);
    Ok(ids.iter().map(|id| by_id[id].clone()).collect())
}

/// A note for each group of files with the same bytes: they share a model and a
/// part, and the order has a printed part for each file.
fn same_content(files: &[PathBuf], ids: &[String]) -> Vec<String> {
    let mut groups: Vec<(&String, Vec<&PathBuf>)> = Vec::new();
    for (file, id) in files.iter().zip(ids) {
        match groups.iter_mut().find(|(g, _)| *g == id) {
            Some((_, members)) => members.push(file),
            None => groups.push((id, vec![file])),
        }
    }
    groups
        .into_iter()
        .filter(|(_, members)| members.len() > 1)
        .map(|(_, members)| {
            let names: Vec<String> = members.iter().map(|f| f.display().to_string()).collect();
            format!(
                "{} have the same bytes: one model and one part, ordered {} times (a printed part per file)",
                names.join(", "),
                members.len()
            )
        })
        .collect()
}

/// The parts of `part_number` that exist for these models: model → part (reads only).
pub async fn find_parts(client: &Client, models: &[String], part_number: &str) -> Outcome<HashMap<String, String>> {
    let mut unique = models.to_vec();
    unique.sort();
    unique.dedup();
    if unique.is_empty() {
        return Ok(HashMap::new());
    }
    let existing: Vec<types::Part> = client
        .get_parts()
        .limit(1000)
        .chunked(unique, |builder, chunk| builder.model_uuid(chunk))
        .items()
        .try_collect()
        .await?;
    Ok(existing
        .into_iter()
        .filter(|p| p.part_number == part_number)
        .filter_map(|p| Some((p.model_uuid?, p.uuid)))
        .collect())
}

/// A part of `part_number` for each model, reusing the ones that exist.
async fn ensure_parts(
    client: &Client,
    models: &[String],
    part_number: &str,
    application: Option<&str>,
) -> Outcome<Vec<String>> {
    let mut by_model = find_parts(client, models, part_number).await?;
    checkpoint::reached("parts looked up");
    for model in models {
        if by_model.contains_key(model) {
            continue;
        }
        let request = types::PartRequest {
            part_number: part_number.to_string(),
            model_uuid: model.clone(),
            application_uuid: application.map(str::to_string),
        };
        let part = client.create_part_once(request).await?.into_inner();
        checkpoint::reached("part created");
        by_model.insert(model.clone(), part.uuid);
    }
    Ok(models.iter().map(|m| by_model[m].clone()).collect())
}

/// The request that creates the order of these parts (one entry per file given:
/// files with the same bytes share a part, which the order lists once per file).
fn order_request(flags: &OrderFlags, parts: &[String]) -> Outcome<types::PartOrderRequest> {
    let due = parse_time(&flags.due, Relative::FromNow, chrono::Utc::now())
        .map_err(|e| Failure::usage(format!("--due: {e}")))?;
    let packing_group = flags
        .packing_group
        .as_deref()
        .map(str::parse)
        .transpose()
        .map_err(|e| Failure::usage(format!("--packing-group: {e}")))?;
    Ok(types::PartOrderRequest {
        uuid: Some(order_uuid(&flags.order_number, flags.application.as_deref())),
        part_order_number: flags.order_number.clone(),
        due_date: due.into(),
        parts: parts
            .iter()
            .map(|uuid| types::PartOrderRequestParts {
                uuid: Some(uuid.clone()),
            })
            .collect(),
        flush: flags.flush.then_some(true),
        packing_group,
        build_sop_uuid: None,
    })
}

/// The part order of these parts, created once.
async fn ensure_order(client: &Client, flags: &OrderFlags, parts: &[String]) -> Outcome<types::PartOrder> {
    let request = order_request(flags, parts)?;
    checkpoint::reached("ordering");
    let order = match client.create_part_order_once(request).await? {
        Created::New(order) => order,
        Created::AlreadyExisted(order) => {
            reusable(&order, &flags.order_number, parts)?;
            eprintln!(
                "part order {} existed already with these parts (an earlier run made it)",
                flags.order_number
            );
            order
        }
    };
    checkpoint::reached("ordered");
    Ok(order)
}

/// Whether an order an earlier run made is the one this run asks for: still open or
/// in production, with one printed part per file of this run. Anything else is
/// refused, never reused silently.
fn reusable(order: &types::PartOrder, number: &str, parts: &[String]) -> Outcome {
    still_open(order, number)?;
    let count = |uuids: &mut dyn Iterator<Item = String>| {
        let mut counts = std::collections::BTreeMap::<String, usize>::new();
        for uuid in uuids {
            *counts.entry(uuid).or_default() += 1;
        }
        counts
    };
    let fresh_number = "nothing was ordered; give this order a new --order-number";
    let ordered = count(&mut order.printed_parts.iter().map(|p| p.part_uuid.clone()));
    let asked = count(&mut parts.iter().cloned());
    if ordered != asked {
        return Err(Failure::usage(format!(
            "part order {number} ({}) exists already with other parts: {} printed part(s) of {} part(s), where \
             this run asks for {} of {}; {fresh_number}",
            order.uuid,
            order.printed_parts.len(),
            ordered.len(),
            parts.len(),
            asked.len()
        )));
    }
    Ok(())
}

/// Refuses an order that is over (canceled, complete or incomplete): it takes no
/// more parts.
fn still_open(order: &types::PartOrder, number: &str) -> Outcome {
    use carbon_ext::enums::PartOrderStatus;
    match order.status.as_ref() {
        Some(status @ (PartOrderStatus::Canceled | PartOrderStatus::Complete | PartOrderStatus::Incomplete)) => {
            Err(Failure::usage(format!(
                "part order {number} ({}) exists already and is {status}: it takes no more parts; nothing was \
                 ordered; give this order a new --order-number",
                order.uuid
            )))
        }
        _ => Ok(()),
    }
}

/// Refuses, before anything is uploaded or started, an order number whose order
/// an earlier run made and that is over (a read).
pub async fn refuse_finished_order(client: &Client, flags: &OrderFlags) -> Outcome {
    match existing_order(client, flags).await? {
        Some(order) => still_open(&order, &flags.order_number),
        None => Ok(()),
    }
}

/// Prints the order, then waits if asked.
async fn finish(
    client: &Client,
    flags: &OrderFlags,
    order: types::PartOrder,
    printing: &crate::commands::Printing,
) -> Outcome {
    let record = serde_json::to_value(&order).map_err(|e| Failure::usage(e.to_string()))?;
    crate::output::print_record(&printing.style, &record, &mut std::io::stdout().lock())?;
    if let Some(until) = flags.wait {
        wait_for_part_order(client, &order.uuid, until.into(), flags.timeout, printing).await?;
    }
    Ok(())
}

/// The order an earlier run made under this number, if any (a read).
async fn existing_order(client: &Client, flags: &OrderFlags) -> Outcome<Option<types::PartOrder>> {
    let uuid = order_uuid(&flags.order_number, flags.application.as_deref());
    match client.get_part_order().uuid(&uuid).run().await {
        Ok(order) => Ok(Some(order)),
        Err(carbon_ext::Error::NotFound { .. }) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// `carbon order --dry-run`: what a run would upload, find, create and send,
/// worked out with reads only. An existing order this run could not reuse is
/// refused as the run would refuse it.
async fn plan(client: &Client, args: &OrderArgs, printing: &crate::commands::Printing) -> Outcome {
    let found = find_models(client, &args.models.files, printing.quiet).await?;
    let known: Vec<String> = found.models.values().cloned().collect();
    let parts = find_parts(client, &known, &args.order.part_number).await?;
    let mut create_parts = Vec::new();
    let mut ordered = Vec::new();
    for id in &found.ids {
        let model = found.models.get(id);
        if let Some(part) = model.and_then(|m| parts.get(m)) {
            ordered.push(part.clone());
            continue;
        }
        let model = match model {
            Some(uuid) => uuid.clone(),
            None => {
                let file = found.missing.iter().find(|(_, m)| m == id).map(|(f, _)| f.display());
                format!(
                    "(the model uploaded from {})",
                    file.map(|f| f.to_string()).unwrap_or_default()
                )
            }
        };
        let placeholder = match create_parts.iter().find(|(m, _): &&(String, String)| *m == model) {
            Some((_, part)) => part.clone(),
            None => {
                let part = format!("(the new part of {model})");
                create_parts.push((model, part.clone()));
                part
            }
        };
        ordered.push(placeholder);
    }
    let existing = existing_order(client, &args.order).await?;
    if let Some(order) = &existing {
        reusable(order, &args.order.order_number, &ordered)?;
    }
    let request = order_request(&args.order, &ordered)?;
    let plan = serde_json::json!({
        "dry_run": true,
        "upload": found.missing.iter().map(|(f, _)| f.display().to_string()).collect::<Vec<_>>(),
        "models_found": found.models.len(),
        "create_parts": create_parts
            .iter()
            .map(|(model, _)| serde_json::json!({"part_number": args.order.part_number, "model_uuid": model}))
            .collect::<Vec<_>>(),
        "order": if existing.is_some() {
            serde_json::json!({"exists": true, "uuid": request.uuid})
        } else {
            serde_json::json!({"exists": false, "would_send": "POST /part_orders", "body": request})
        },
    });
    crate::output::print_record(&printing.style, &plan, &mut std::io::stdout().lock())?;
    Ok(())
}

/// `carbon order`.
pub async fn run(client: &Client, args: &OrderArgs, printing: &crate::commands::Printing) -> Outcome {
    if args.order.dry_run {
        return plan(client, args, printing).await;
    }
    refuse_finished_order(client, &args.order).await?;
    let models = ensure_models(client, &args.models.files, printing.quiet).await?;
    order_models(client, &models, &args.order, printing).await
}

/// Orders `models` (uuids) as `flags` say: a part of each under the part number,
/// the part order of those parts, then what `--flush` and `--wait` ask for.
pub async fn order_models(
    client: &Client,
    models: &[String],
    flags: &OrderFlags,
    printing: &crate::commands::Printing,
) -> Outcome {
    let parts = ensure_parts(client, models, &flags.part_number, flags.application.as_deref()).await?;
    let order = ensure_order(client, flags, &parts).await?;
    finish(client, flags, order, printing).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_order_uuid_follows_number_and_application_only() {
        let a = order_uuid("PO-1", None);
        assert_eq!(a, order_uuid("PO-1", None));
        assert_ne!(a, order_uuid("PO-2", None));
        assert_ne!(a, order_uuid("PO-1", Some("app")));
        assert!(uuid::Uuid::parse_str(&a).is_ok());
    }

    #[test]
    fn files_with_the_same_bytes_are_named_together() {
        let files: Vec<PathBuf> = ["a.stl", "b.stl", "c.stl"].iter().map(PathBuf::from).collect();
        let ids: Vec<String> = ["x", "y", "x"].iter().map(|s| s.to_string()).collect();
        assert_eq!(
            same_content(&files, &ids),
            ["a.stl, c.stl have the same bytes: one model and one part, ordered 2 times (a printed part per file)"]
        );
        assert!(same_content(&files[..2], &ids[..2]).is_empty());
    }
}
