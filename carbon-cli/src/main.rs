//! `carbon`: the Carbon DLS API from a shell. See `carbon --help`.

mod checkpoint;
mod cli;
mod commands;
mod config;
mod failure;
mod output;
mod progress;
mod resources;
mod setup;
#[cfg(feature = "sim")]
mod sim;
mod values;
mod when;
mod workflows;

use std::process::ExitCode;

use failure::{Failure, Outcome};

fn main() -> ExitCode {
    // This process signs only RS256, through carbon-auth: its provider, not the
    // one jsonwebtoken's features would pick (aws-lc-rs, through the simulator,
    // whose first signature costs some 20 ms).
    carbon_ext::auth::install_rs256_provider();
    let matches = match cli::command().try_get_matches() {
        Ok(matches) => matches,
        // Help and version go to stdout with status 0; usage errors say what was
        // wrong with status 2.
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { failure::status::USAGE } else { 0 });
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start: {e}");
            return ExitCode::from(failure::status::API);
        }
    };
    let quiet = matches.get_flag("quiet");
    let outcome = runtime.block_on(async {
        let outcome = run(matches).await;
        // Rate-limit slots claimed from Redis and not spent go back to the key.
        carbon_ext::LimitSharing::settle().await;
        outcome
    });
    if !quiet && let Some(line) = drift_line(&carbon_ext::drift::seen_in_process()) {
        eprintln!("{line}");
    }
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        // The reader went away (`carbon … | head`): it has what it wanted.
        Err(Failure::Io(e)) if output::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("{}", failure.report());
            failure.exit_code()
        }
    }
}

async fn run(matches: clap::ArgMatches) -> Outcome {
    let global = cli::global(&matches).map_err(|e| Failure::usage(e.to_string()))?;
    setup::tracing(global.verbose);
    let printing = commands::Printing {
        style: output::Style::for_stdout(global.output, global.fields.as_deref()).map_err(Failure::usage)?,
        quiet: global.quiet,
        strict: values::Strictness {
            allow_unknown: global.allow_unknown_values,
        },
    };
    let flags = config::Flags {
        profile: global.profile.clone(),
        base_url: global.base_url.clone(),
        secrets: global.secrets.clone(),
        no_shared_limit: global.no_shared_limit,
    };
    if let Some(workflow) = cli::workflow(&matches).map_err(|e| Failure::usage(e.to_string()))? {
        return setup::workflow(workflow, &flags, &printing).await;
    }
    let Some((operation, leaf)) = resources::find(&matches) else {
        return Err(Failure::usage("unknown command; see `carbon --help`"));
    };
    commands::run(&|| setup::connect(&flags), operation, leaf, &printing).await
}

/// The line a command that met drift ends with (on stderr, never in the data):
/// at most five of each kind named, then how many more.
fn drift_line(drift: &carbon_ext::drift::DriftReport) -> Option<String> {
    if drift.is_empty() {
        return None;
    }
    fn named(all: Vec<String>, extra: usize) -> String {
        const SHOWN: usize = 5;
        let more = all.len().saturating_sub(SHOWN) + extra;
        let mut text = all.into_iter().take(SHOWN).collect::<Vec<_>>().join(", ");
        if more > 0 {
            text.push_str(&format!(" and {more} more"));
        }
        text
    }
    let (fields, values) = (drift.fields(), drift.values());
    let mut parts = Vec::new();
    let fields_extra = if values.is_empty() { drift.more } else { 0 };
    if !fields.is_empty() {
        parts.push(format!(
            "fields this version does not know: {}",
            named(fields, fields_extra)
        ));
    }
    if !values.is_empty() {
        parts.push(format!(
            "values this version does not know: {}",
            named(values, drift.more)
        ));
    }
    if parts.is_empty() {
        parts.push(format!("{} things this version does not know", drift.more));
    }
    Some(format!(
        "note: the API sent {}; see `carbon api check`",
        parts.join("; and ")
    ))
}
