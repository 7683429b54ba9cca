//! Upload mesh files, make a part of each, order them all, and wait until the order
//! is packed into builds.
//!
//! ```text
//! cargo run -p carbon-ext --example custom_part_order -- \
//!     --secrets secrets.json --part-number PN-100 --order-number PO-2026-0001 a.stl b.stl
//! ```

#[path = "common/mod.rs"]
mod common;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use carbon_ext::prelude::*;
use carbon_ext::{Progress, WaitConfig, WaitOutcome, types};

/// Upload files, create parts and a part order, wait until it is packed.
#[derive(clap::Args)]
struct Args {
    /// Part number every part is made under (it must belong to the application).
    #[arg(long)]
    part_number: String,
    /// The application the parts belong to.
    #[arg(long)]
    application_uuid: Option<String>,
    /// Your number for the order.
    #[arg(long)]
    order_number: String,
    /// Packing group (at most 32 characters): orders in different groups never share a build.
    #[arg(long)]
    packing_group: Option<String>,
    /// Pack the order even if its parts do not fill a platform.
    #[arg(long)]
    flush: bool,
    /// Due date, ISO-8601 (default: 7 days from now).
    #[arg(long)]
    due_date: Option<chrono::DateTime<chrono::Utc>>,
    /// How long to wait for packing (e.g. 30m, 12h).
    #[arg(long, default_value = "12h", value_parser = common::parse_duration)]
    wait: Duration,
    /// Mesh files to upload.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

#[tokio::main]
async fn main() -> ExitCode {
    common::main(run).await
}

async fn run(client: carbon_ext::Client, args: Args) -> Result<(), Box<dyn std::error::Error>> {
    println!("uploading {} file(s)", args.files.len());
    let mut model_uuids = Vec::new();
    for (path, model) in common::upload(&client, &args.files).await {
        println!("  {} -> model {}", path.display(), model.model_uuid);
        model_uuids.push(model.model_uuid);
    }
    if model_uuids.is_empty() {
        return Err("no file was uploaded".into());
    }

    let mut parts = Vec::new();
    for model_uuid in &model_uuids {
        let part = client
            .create_part()
            .body(types::PartRequest {
                part_number: args.part_number.clone(),
                model_uuid: model_uuid.clone(),
                application_uuid: args.application_uuid.clone(),
            })
            .run()
            .await?;
        println!("part {} for model {model_uuid}", part.uuid);
        parts.push(types::PartOrderRequestParts { uuid: Some(part.uuid) });
    }

    let request = types::PartOrderRequest {
        uuid: None,
        part_order_number: args.order_number.clone(),
        due_date: args
            .due_date
            .unwrap_or_else(|| chrono::Utc::now() + chrono::Duration::days(7))
            .into(),
        parts,
        flush: args.flush.then_some(true),
        packing_group: args.packing_group.as_deref().map(str::parse).transpose()?,
        build_sop_uuid: None,
    };
    let order = client.create_part_order_once(request).await?.into_inner();
    println!("part order {} ({})", order.uuid, args.order_number);

    let config = WaitConfig::with_timeout(args.wait);
    let report = Progress::new(|progress: &carbon_ext::PackingProgress| {
        println!(
            "  packed {}/{} printed parts, {} build(s)",
            progress.packed(),
            progress.total,
            progress.build_uuids.len()
        );
    });
    let outcome = client
        .wait_until_part_order_packed(&order.uuid)
        .config(config)
        .progress(report)
        .await?;
    match outcome {
        WaitOutcome::Done((_, progress)) => {
            println!("packed into build(s): {}", progress.build_uuids.join(", "));
            Ok(())
        }
        WaitOutcome::Failed((order, _)) => Err(format!("the order ended as {:?}", order.status).into()),
        WaitOutcome::TimedOut(_) => Err("not packed in time; run again later to keep waiting".into()),
    }
}
