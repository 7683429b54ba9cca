//! Upload meshes, run a model program on each (e.g. hollowing), and order parts made
//! from the programs' output models.
//!
//! ```text
//! cargo run -p carbon-ext --example hollow_part_order -- --secrets secrets.json \
//!     --model-program-uuid PROGRAM --part-number PN-7 --order-number PO-7 a.stl b.stl
//! ```

#[path = "common/mod.rs"]
mod common;

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use carbon_ext::prelude::*;
use carbon_ext::{WaitConfig, WaitOutcome, types};

/// Upload, run a model program on each model, then order parts of the outputs.
#[derive(clap::Args)]
struct Args {
    /// The model program to run (issued by Carbon).
    #[arg(long)]
    model_program_uuid: String,
    /// The program's token for the input model.
    #[arg(long, default_value = "~MODEL_UUID~")]
    model_token: String,
    /// Part number for the parts.
    #[arg(long)]
    part_number: String,
    /// Your number for the order.
    #[arg(long)]
    order_number: String,
    /// How long to wait for the programs (e.g. 30m).
    #[arg(long, default_value = "2h", value_parser = common::parse_duration)]
    wait: Duration,
    /// Mesh files.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

#[tokio::main]
async fn main() -> ExitCode {
    common::main(run).await
}

async fn run(client: carbon_ext::Client, args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let mut runs = Vec::new();
    for (path, model) in common::upload(&client, &args.files).await {
        let parameters = HashMap::from([(args.model_token.clone(), model.model_uuid.clone())]);
        let run = client
            .create_model_program_run()
            .body(types::ModelProgramRunRequest {
                model_program_uuid: args.model_program_uuid.clone(),
                parameters: types::ModelProgramRunRequestParameters::Object(parameters),
            })
            .run()
            .await?;
        let uuid = run.uuid.ok_or("the API returned a run without uuid")?;
        println!("{} -> model {} -> run {uuid}", path.display(), model.model_uuid);
        runs.push(uuid);
    }
    if runs.is_empty() {
        return Err("nothing to run".into());
    }

    let config = WaitConfig::with_timeout(args.wait);
    let outcomes = client
        .wait_until_model_program_runs_complete(&runs)
        .config(config)
        .await?;
    let mut parts = Vec::new();
    for (run_uuid, outcome) in outcomes {
        match outcome {
            WaitOutcome::Done(run) => {
                let output = run.model_uuid.unwrap_or_default();
                let part = client
                    .create_part()
                    .body(types::PartRequest {
                        part_number: args.part_number.clone(),
                        model_uuid: output.clone(),
                        application_uuid: None,
                    })
                    .run()
                    .await?;
                println!("run {run_uuid} -> model {output} -> part {}", part.uuid);
                parts.push(types::PartOrderRequestParts { uuid: Some(part.uuid) });
            }
            WaitOutcome::Failed(run) => eprintln!("run {run_uuid} failed: {}", run.failure_message.unwrap_or_default()),
            WaitOutcome::TimedOut(_) => eprintln!("run {run_uuid} still running at the deadline"),
        }
    }
    if parts.is_empty() {
        return Err("no run produced a model".into());
    }
    let order = client
        .create_part_order_once(types::PartOrderRequest {
            uuid: None,
            part_order_number: args.order_number,
            due_date: (chrono::Utc::now() + chrono::Duration::days(7)).into(),
            parts,
            flush: Some(true),
            packing_group: None,
            build_sop_uuid: None,
        })
        .await?
        .into_inner();
    println!("part order {}", order.uuid);
    Ok(())
}
