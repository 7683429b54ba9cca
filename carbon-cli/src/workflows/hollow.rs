//! `carbon hollow-order`: upload, run a model program on each model, wait for the
//! runs (a status this version does not know is waited on, never a crash), a part
//! per output model, and the part order.
//!
//! Runs take no caller-chosen id, so the runs started are written down in a journal
//! (in the config directory, per order) as soon as the API answers: a re-run after a
//! crash waits for those instead of starting them again. Only a crash between the
//! API creating a run and its answer arriving can leave one extra run behind.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use carbon_ext::prelude::*;
use carbon_ext::{Client, Progress, WaitOutcome, types};

use crate::checkpoint;
use crate::config::{config_dir, write_atomically};
use crate::failure::{Failure, Outcome};
use crate::invoke::Printing;
use crate::progress;
use crate::workflows::order::{OrderFlags, ensure_models, ensure_order, ensure_parts, finish, order_uuid};

/// `carbon hollow-order FILE...`.
#[derive(Debug, Clone, clap::Args)]
#[command(
    after_help = "Example:\n  carbon hollow-order shells/*.stl --model-program 3f2a… --part-number SHELL-1 --order-number PO-2001"
)]
pub struct HollowArgs {
    /// Model files (STL, OBJ, ...).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// The model program to run on each model (its uuid, issued by Carbon).
    #[arg(long, value_name = "UUID")]
    pub model_program: String,
    /// The placeholder the program replaces with each model's uuid.
    #[arg(long, default_value = "~MODEL_UUID~", value_name = "TOKEN")]
    pub model_token: String,
    /// More replacements, as TOKEN=VALUE. Repeat for several.
    #[arg(long = "parameter", value_name = "TOKEN=VALUE")]
    pub parameters: Vec<String>,
    #[command(flatten)]
    pub order: OrderFlags,
}

/// Input model uuid → run uuid, for one order.
type Journal = BTreeMap<String, String>;

fn journal_path(order_uuid: &str) -> Outcome<PathBuf> {
    Ok(config_dir()?.join("runs").join(format!("{order_uuid}.json")))
}

fn load_journal(path: &PathBuf) -> Outcome<Journal> {
    match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str(&text)
            .map_err(|e| Failure::usage(format!("{}: {e}; remove it to start the runs again", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Journal::new()),
        Err(e) => Err(e.into()),
    }
}

fn replacements(args: &HollowArgs, model: &str) -> Outcome<HashMap<String, String>> {
    let mut map = HashMap::from([(args.model_token.clone(), model.to_string())]);
    for pair in &args.parameters {
        let (token, value) = pair
            .split_once('=')
            .ok_or_else(|| Failure::usage(format!("--parameter `{pair}`: use TOKEN=VALUE")))?;
        map.insert(token.to_string(), value.to_string());
    }
    Ok(map)
}

/// `carbon hollow-order`.
pub async fn run(client: &Client, args: &HollowArgs, printing: &Printing) -> Outcome {
    let timeout = args.order.timeout;
    replacements(args, "")?;
    let models = ensure_models(client, &args.files, printing.quiet).await?;
    let order = order_uuid(&args.order.order_number, args.order.application.as_deref());
    let path = journal_path(&order)?;
    let mut journal = load_journal(&path)?;
    for model in &models {
        if journal.contains_key(model) {
            continue;
        }
        let request = types::ModelProgramRunRequest {
            model_program_uuid: args.model_program.clone(),
            parameters: types::ModelProgramRunRequestParameters::Object(replacements(args, model)?),
        };
        let run = client.create_model_program_run().body(request).run().await?;
        let run_uuid = run
            .uuid
            .ok_or_else(|| Failure::usage("the API started a run but sent no uuid for it"))?;
        journal.insert(model.clone(), run_uuid);
        write_atomically(
            &path,
            serde_json::to_string_pretty(&journal).unwrap_or_default().as_bytes(),
            false,
        )?;
        checkpoint::reached("run started");
    }
    let run_uuids: Vec<String> = models.iter().map(|m| journal[m].clone()).collect();
    let bar = progress::count(printing.quiet, "runs complete");
    let shown = bar.clone();
    let report = Progress::new(move |runs: &[types::ModelProgramRun]| {
        let done = runs.iter().filter(|r| r.status.as_str() == "complete").count();
        shown.set(done as u64, Some(runs.len() as u64));
    });
    let config = super::waits::config(timeout, std::time::Duration::from_secs(5));
    let outcomes = client
        .wait_until_model_program_runs_complete(&run_uuids, config, report)
        .await?;
    bar.finish();
    let mut outputs = Vec::new();
    let mut problems = Vec::new();
    for (model, run_uuid) in models.iter().zip(&run_uuids) {
        match outcomes.get(run_uuid) {
            Some(WaitOutcome::Done(run)) => outputs.push(run.model_uuid.clone().unwrap_or_default()),
            Some(WaitOutcome::Failed(run)) => problems.push(format!(
                "run {run_uuid} of model {model} ended {}: {}",
                run.status,
                run.failure_message.clone().unwrap_or_default()
            )),
            _ => problems.push(format!(
                "run {run_uuid} of model {model} was still running at the timeout"
            )),
        }
    }
    for problem in &problems {
        eprintln!("{problem}");
    }
    if outputs.is_empty() {
        return Err(Failure::Failed("no run produced a model; no order was made".into()));
    }
    let parts = ensure_parts(
        client,
        &outputs,
        &args.order.part_number,
        args.order.application.as_deref(),
    )
    .await?;
    let order = ensure_order(client, &args.order, &parts).await?;
    finish(client, &args.order, order, printing).await?;
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Failure::Failed(format!(
            "{} of {} run(s) did not complete; the order holds the others",
            problems.len(),
            run_uuids.len()
        )))
    }
}
