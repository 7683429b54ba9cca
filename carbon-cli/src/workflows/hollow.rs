//! `carbon hollow-order`: upload, run a model program on each model, wait for the
//! runs (a status this version does not know is waited on, never a crash), a part
//! per output model, and the part order.
//!
//! Runs take no caller-chosen id, so the runs started are written down in a journal
//! (in the config directory, per API origin and key, per order) as soon as the API
//! answers: a re-run after a crash waits for those instead of starting them again.
//! A journaled run the API does not know (another simulator, a run it dropped) is
//! started again. Only a crash between the API creating a run and its answer
//! arriving can leave one extra run behind.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use carbon_ext::prelude::*;
use carbon_ext::{Client, Progress, WaitOutcome, types};

use crate::checkpoint;
use crate::commands::Printing;
use crate::config::{config_dir, write_atomically};
use crate::failure::{Failure, Outcome};
use crate::progress;
use crate::workflows::order::{
    ModelFiles, OrderFlags, ensure_models, find_models, order_models, order_uuid, refuse_finished_order,
};

/// `carbon hollow-order FILE...`.
#[derive(Debug, Clone, clap::Args)]
#[command(
    after_help = "Example:\n  carbon hollow-order shells/*.stl --model-program 3f2a… --part-number SHELL-1 --order-number PO-2001"
)]
pub struct HollowArgs {
    #[command(flatten)]
    pub models: ModelFiles,
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

/// The journal of one order, under the API origin and key it was written for
/// (`scope`): the same order number against another API or account is another one.
fn journal_path(scope: &str, order_uuid: &str) -> Outcome<PathBuf> {
    Ok(config_dir()?
        .join("runs")
        .join(scope)
        .join(format!("{order_uuid}.json")))
}

/// Where versions before the journal was kept per origin and key wrote it: read
/// when the new one does not exist yet, so a re-run after an upgrade starts no run
/// twice (a run of another account is then not known to the API, and started).
fn journal_path_before_scopes(order_uuid: &str) -> Outcome<PathBuf> {
    Ok(config_dir()?.join("runs").join(format!("{order_uuid}.json")))
}

/// The journal of one order, from where it is kept now or from where earlier
/// versions kept it.
fn read_journal(scope: &str, order_uuid: &str) -> Outcome<Journal> {
    let path = journal_path(scope, order_uuid)?;
    if path.exists() {
        return load_journal(&path);
    }
    load_journal(&journal_path_before_scopes(order_uuid)?)
}

fn save_journal(path: &std::path::Path, journal: &Journal) -> Outcome {
    write_atomically(
        path,
        serde_json::to_string_pretty(journal).unwrap_or_default().as_bytes(),
        false,
    )
}

/// Drops the journaled runs the API does not return, so that they are started again.
async fn forget_unknown_runs(client: &Client, journal: &mut Journal, quiet: bool) -> Outcome<bool> {
    if journal.is_empty() {
        return Ok(false);
    }
    let uuids: Vec<String> = journal.values().cloned().collect();
    let known: std::collections::HashSet<String> = client
        .get_model_program_runs()
        .chunked(uuids, |builder, chunk| builder.uuid(chunk))
        .collect()
        .await?
        .into_iter()
        .filter_map(|run| run.uuid)
        .collect();
    let before = journal.len();
    journal.retain(|model, run| {
        let kept = known.contains(run);
        if !kept && !quiet {
            eprintln!("run {run} of model {model} is not known to the API; starting it again");
        }
        kept
    });
    Ok(journal.len() != before)
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

/// `carbon hollow-order --dry-run`: the uploads and the runs a real run would
/// start (reads only); parts and the order follow from the runs' outputs.
async fn plan(client: &Client, args: &HollowArgs, printing: &Printing, scope: &str) -> Outcome {
    let found = find_models(client, &args.models.files, printing.quiet).await?;
    let order = order_uuid(&args.order.order_number, args.order.application.as_deref());
    let mut journal = read_journal(scope, &order)?;
    forget_unknown_runs(client, &mut journal, true).await?;
    let mut runs = Vec::new();
    // One run per model: files with the same bytes share theirs.
    let mut planned: Vec<&String> = Vec::new();
    for (file, id) in args.models.files.iter().zip(&found.ids) {
        let model = found.models.get(id);
        if model.is_some_and(|m| journal.contains_key(m)) || planned.contains(&id) {
            continue;
        }
        planned.push(id);
        let input = model
            .cloned()
            .unwrap_or_else(|| format!("(the model uploaded from {})", file.display()));
        let body = types::ModelProgramRunRequest {
            model_program_uuid: args.model_program.clone(),
            parameters: types::ModelProgramRunRequestParameters::Object(replacements(args, &input)?),
        };
        runs.push(serde_json::json!({"would_send": "POST /model_program_runs", "body": body}));
    }
    let plan = serde_json::json!({
        "dry_run": true,
        "upload": found.missing.iter().map(|(f, _)| f.display().to_string()).collect::<Vec<_>>(),
        "models_found": found.models.len(),
        "runs_journaled": journal.len(),
        "start_runs": runs,
        "then": format!(
            "a part {} of each run's output model, and part order {}",
            args.order.part_number, args.order.order_number
        ),
    });
    crate::output::print_record(&printing.style, &plan, &mut std::io::stdout().lock())?;
    Ok(())
}

/// `carbon hollow-order`.
pub async fn run(client: &Client, args: &HollowArgs, printing: &Printing, scope: &str) -> Outcome {
    let timeout = args.order.timeout;
    replacements(args, "")?;
    refuse_finished_order(client, &args.order).await?;
    if args.order.dry_run {
        return plan(client, args, printing, scope).await;
    }
    let models = ensure_models(client, &args.models.files, printing.quiet).await?;
    let order = order_uuid(&args.order.order_number, args.order.application.as_deref());
    let path = journal_path(scope, &order)?;
    let mut journal = read_journal(scope, &order)?;
    if forget_unknown_runs(client, &mut journal, printing.quiet).await? {
        save_journal(&path, &journal)?;
    }
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
        save_journal(&path, &journal)?;
        checkpoint::reached("run started");
    }
    let run_uuids: Vec<String> = models.iter().map(|m| journal[m].clone()).collect();
    let bar = progress::count(printing.quiet, "runs complete");
    let shown = bar.clone();
    let report = Progress::new(move |runs: &[types::ModelProgramRun]| {
        let done = runs.iter().filter(|r| r.status.as_str() == "complete").count();
        shown.set(done as u64, Some(runs.len() as u64));
    });
    let config = carbon_ext::WaitConfig::with_timeout(timeout);
    let waiter = client.wait_until_model_program_runs_complete(&run_uuids);
    let outcomes = progress::wait(waiter, config, report, &bar).await?;
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
    order_models(client, &outputs, &args.order, printing).await?;
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
