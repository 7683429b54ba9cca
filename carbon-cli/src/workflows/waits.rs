//! `carbon wait`: polling an order or a run until it gets where it should, with a
//! spinner on a terminal, the final record on stdout, and the exit status saying
//! how it ended (3: timed out, 4: ended failed).

use std::time::Duration;

use carbon_ext::{Client, PackingProgress, Progress, WaitConfig, WaitOutcome, types};

use crate::commands::Printing;
use crate::failure::{Failure, Outcome};
use crate::output::print_record;
use crate::progress;
use crate::when::parse_duration;

/// Where a wait ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Until {
    /// Every printed part of a part order is printing or beyond.
    Packed,
    /// A part order is complete.
    Finished,
    /// A print order's copies are printed.
    Printed,
    /// A model program run is complete with an output model.
    Complete,
}

/// What to wait for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Waitable {
    /// A part order (`--until packed` or `finished`).
    PartOrder,
    /// A print order (`--until printed`).
    PrintOrder,
    /// A model program run (`--until complete`).
    Run,
}

/// `carbon wait`.
#[derive(Debug, Clone, clap::Args)]
#[command(after_help = "Example:\n  carbon wait part-order 5c1e… --until finished --timeout 12h")]
pub struct WaitArgs {
    /// What to wait for.
    #[arg(value_enum)]
    pub what: Waitable,
    /// Its uuid.
    pub uuid: String,
    /// The state to wait for (default: packed, printed or complete).
    #[arg(long, value_enum)]
    pub until: Option<Until>,
    /// Give up after this long (exit status 3).
    #[arg(long, default_value = "12h", value_name = "DURATION", value_parser = parse_duration)]
    pub timeout: Duration,
    /// First pause between polls; pauses grow from it (the SDK's waiter defaults).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, help = interval_help())]
    pub interval: Option<Duration>,
}

/// `--interval`'s help, with the defaults the SDK's waiters poll at.
fn interval_help() -> String {
    format!(
        "First pause between polls (default {}); pauses grow to {}",
        humantime::format_duration(WaitConfig::FIRST_INTERVAL),
        humantime::format_duration(WaitConfig::LONGEST_INTERVAL),
    )
}

/// Prints the final record and turns the outcome into the exit status.
fn conclude<T: serde::Serialize>(what: &str, outcome: WaitOutcome<T>, printing: &Printing) -> Outcome {
    let shown = outcome
        .record()
        .and_then(|r| serde_json::to_value(r).ok())
        .unwrap_or(serde_json::Value::Null);
    if !shown.is_null() {
        print_record(&printing.style, &shown, &mut std::io::stdout().lock())?;
    }
    match outcome {
        WaitOutcome::Done(_) => Ok(()),
        WaitOutcome::Failed(_) => Err(Failure::Failed(format!(
            "{what} ended without getting there (see the record)"
        ))),
        WaitOutcome::TimedOut(_) => Err(Failure::TimedOut(format!(
            "{what}: gave up waiting at the timeout; run the same wait again to go on"
        ))),
    }
}

/// Waits for a part order to be packed or finished.
pub async fn wait_for_part_order(
    client: &Client,
    uuid: &str,
    until: Until,
    timeout: Duration,
    printing: &Printing,
) -> Outcome {
    wait_part_order(client, uuid, until, WaitConfig::with_timeout(timeout), printing).await
}

async fn wait_part_order(
    client: &Client,
    uuid: &str,
    until: Until,
    config: WaitConfig,
    printing: &Printing,
) -> Outcome {
    match until {
        Until::Packed => {
            let bar = progress::count(printing.quiet, "packed");
            let shown = bar.clone();
            let report = Progress::new(move |p: &PackingProgress| {
                shown.set(p.packed() as u64, Some(p.total as u64));
                shown.message(format!("packed ({} build(s))", p.build_uuids.len()));
            });
            let outcome = progress::wait(client.wait_until_part_order_packed(uuid), config, report, &bar).await?;
            let outcome = match outcome {
                WaitOutcome::Done((order, _)) => WaitOutcome::Done(order),
                WaitOutcome::Failed((order, _)) => WaitOutcome::Failed(order),
                WaitOutcome::TimedOut(last) => WaitOutcome::TimedOut(last.map(|(order, _)| order)),
            };
            conclude("the part order", outcome, printing)
        }
        Until::Finished => {
            let bar = progress::spinner(printing.quiet, "finishing");
            let shown = bar.clone();
            let report = Progress::new(move |o: &types::PartOrder| {
                shown.message(format!(
                    "part order {}",
                    o.status.as_ref().map(|s| s.to_string()).unwrap_or_default()
                ));
            });
            let outcome = progress::wait(client.wait_until_part_order_finished(uuid), config, report, &bar).await?;
            conclude("the part order", outcome, printing)
        }
        other => {
            use clap::ValueEnum;
            let given = other
                .to_possible_value()
                .map(|v| v.get_name().to_string())
                .unwrap_or_default();
            Err(Failure::usage(format!(
                "a part order waits --until packed or finished, not {given}"
            )))
        }
    }
}

/// `carbon wait`.
pub async fn run(client: &Client, args: &WaitArgs, printing: &Printing) -> Outcome {
    let config = WaitConfig::every(args.interval.unwrap_or(WaitConfig::FIRST_INTERVAL), args.timeout);
    match args.what {
        Waitable::PartOrder => {
            wait_part_order(
                client,
                &args.uuid,
                args.until.unwrap_or(Until::Packed),
                config,
                printing,
            )
            .await
        }
        Waitable::PrintOrder => {
            if args.until.is_some_and(|u| u != Until::Printed) {
                return Err(Failure::usage("a print order waits --until printed"));
            }
            let bar = progress::spinner(printing.quiet, "printing");
            let waiter = client.wait_until_print_order_printed(&args.uuid);
            let outcome = progress::wait(waiter, config, Progress::none(), &bar).await?;
            conclude("the print order", outcome, printing)
        }
        Waitable::Run => {
            if args.until.is_some_and(|u| u != Until::Complete) {
                return Err(Failure::usage("a model program run waits --until complete"));
            }
            let bar = progress::spinner(printing.quiet, "running");
            let shown = bar.clone();
            let report = Progress::new(move |run: &types::ModelProgramRun| {
                shown.message(format!("{} {:.0}%", run.status, run.progress * 100.0));
            });
            let waiter = client.wait_until_model_program_run_complete(&args.uuid);
            let outcome = progress::wait(waiter, config, report, &bar).await?;
            conclude("the model program run", outcome, printing)
        }
    }
}
