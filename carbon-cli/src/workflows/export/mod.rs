//! `carbon export printed-parts|prints|measurements`: the exports of
//! [`carbon_ext::export`] as CSV or NDJSON. Every page (no 10 000 cap), under the
//! client's rate limit, written as it arrives, to a file only when complete; with
//! `--state`, only what changed since the last run.

mod args;
mod sink;

use std::path::Path;

use carbon_ext::LenientItem;
use carbon_ext::export::{Columns, ExportState, Incremental};
use carbon_ext::{Client, Error};
use futures::stream::BoxStream;
use futures::{Stream, StreamExt};
use serde_json::Value;

pub use args::{MeasurementArgs, OutputArgs, PartArgs, PrintArgs, StateArgs};
use sink::Sink;

use crate::checkpoint;
use crate::commands::Printing;
use crate::config::write_atomically;
use crate::failure::{Failure, Outcome};
use crate::output::{Format, Style, csv_line, print_record};
use crate::progress;

/// `carbon export ...`.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum Export {
    /// Printed parts joined with their prints, as CSV (or `-o ndjson`).
    PrintedParts(PartArgs),
    /// Prints: printer, resin, build, start and finish, as CSV (or `-o ndjson`).
    Prints(PrintArgs),
    /// Part measurements with their part's serial and number and their
    /// template's name, units and limits, as CSV (or `-o ndjson`).
    Measurements(MeasurementArgs),
}

/// Bytes of output gathered before they are written.
const WRITE_AT: usize = 64 * 1024;

/// How the rows are written: the format and which columns, in which order.
#[derive(Debug)]
pub struct Shape {
    /// A JSON object a line, else CSV with a header.
    ndjson: bool,
    /// The export's columns.
    all: &'static [&'static str],
    /// Indexes into `all`: `--fields`, else all of them.
    columns: Vec<usize>,
}

impl Shape {
    /// The format and columns `printing` asks for, of an export with these
    /// columns: CSV (the default) or NDJSON, and `--fields` among the columns.
    fn of(printing: &Printing, all: &'static [&'static str]) -> Outcome<Self> {
        let style = &printing.style;
        if style.asked && !matches!(style.format, Format::Csv | Format::Ndjson) {
            return Err(Failure::usage(
                "an export writes CSV (the default) or NDJSON (-o ndjson), a row at a time; for one JSON \
                 document, list the records with `carbon <resource> list --all -o json`",
            ));
        }
        let columns = match &style.fields {
            None => (0..all.len()).collect(),
            Some(fields) => fields
                .iter()
                .map(|field| {
                    all.iter().position(|c| c == field).ok_or_else(|| {
                        Failure::usage(format!(
                            "--fields: the export has no column `{field}`; its columns are {}",
                            all.join(", ")
                        ))
                    })
                })
                .collect::<Outcome<Vec<usize>>>()?,
        };
        Ok(Shape {
            ndjson: style.asked && style.format == Format::Ndjson,
            all,
            columns,
        })
    }

    fn names(&self) -> Vec<String> {
        self.columns.iter().map(|&i| self.all[i].to_string()).collect()
    }

    /// The row's cells in this shape's columns.
    fn cells(&self, row: &impl Columns) -> Vec<String> {
        let mut cells = row.cells();
        self.columns.iter().map(|&i| std::mem::take(&mut cells[i])).collect()
    }
}

/// Checks the flags of `export` before anything is sent: the format, the
/// columns, the filters and the state file.
pub fn check(export: &Export, printing: &Printing) -> Outcome<Shape> {
    let strict = printing.strict;
    match export {
        Export::PrintedParts(args) => {
            args.filters(strict)?;
            load_state(&args.state)?;
            Shape::of(printing, carbon_ext::export::PartRow::COLUMNS)
        }
        Export::Prints(args) => {
            args.filters(strict)?;
            Shape::of(printing, carbon_ext::export::PrintRow::COLUMNS)
        }
        Export::Measurements(args) => {
            args.filters(strict)?;
            load_state(&args.state)?;
            Shape::of(printing, carbon_ext::export::MeasurementRow::COLUMNS)
        }
    }
}

/// Runs `export`, in `shape` ([`check`] gives it). Ctrl-C stops it with no
/// file made and the state file as it was.
pub async fn run(client: &Client, export: &Export, shape: &Shape, printing: &Printing) -> Outcome {
    tokio::select! {
        // Listening before the export makes its first file.
        biased;
        signal = stopped() => Err(Failure::Interrupted(format!(
            "{signal}: the export did not finish: no --to file was made and no --state was saved"
        ))),
        done = run_to_end(client, export, shape, printing) => done,
    }
}

/// Waits for Ctrl-C, or (on Unix) for the terminal to close (SIGHUP) or a
/// scheduler to stop the command (SIGTERM, as `timeout` and cron daemons send):
/// the name of what came. Each ends the export as Ctrl-C does.
async fn stopped() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut hangup), Ok(mut terminate)) = (signal(SignalKind::hangup()), signal(SignalKind::terminate()))
        else {
            let _ = tokio::signal::ctrl_c().await;
            return "Ctrl-C";
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => "Ctrl-C",
            _ = hangup.recv() => "the terminal closed (SIGHUP)",
            _ = terminate.recv() => "stopped (SIGTERM)",
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "Ctrl-C"
    }
}

async fn run_to_end(client: &Client, export: &Export, shape: &Shape, printing: &Printing) -> Outcome {
    let (strict, quiet) = (printing.strict, printing.quiet);
    match export {
        Export::PrintedParts(args) => {
            let filters = args.filters(strict)?;
            let planning = args.planning();
            let all = || client.export_printed_parts_planned(&filters, &planning);
            let since = |previous| client.export_printed_parts_since_planned(&filters, previous, &planning);
            all_or_since(&args.state, all, since, shape, &args.output, quiet, "printed part(s)").await
        }
        Export::Prints(args) => {
            let rows = client.export_prints(&args.filters(strict)?);
            write(rows, shape, &args.output, quiet, "print(s)").await
        }
        Export::Measurements(args) => {
            let filters = args.filters(strict)?;
            let since = |previous| client.export_measurements_since(&filters, previous);
            let all = || client.export_measurements(&filters);
            all_or_since(&args.state, all, since, shape, &args.output, quiet, "measurement(s)").await
        }
    }
}

/// Writes every row (`all`) when `--state` is not given; else the rows changed
/// since the state (`since`), then saves the state the run leaves. The rest is
/// as [`write()`] takes it.
async fn all_or_since<R, Fut>(
    state: &StateArgs,
    all: impl FnOnce() -> BoxStream<'static, Result<LenientItem<R>, Error>>,
    since: impl FnOnce(Option<ExportState>) -> Fut,
    shape: &Shape,
    output: &OutputArgs,
    quiet: bool,
    noun: &str,
) -> Outcome
where
    R: Columns,
    Fut: Future<Output = Result<Incremental<R>, Error>>,
{
    let Some(path) = &state.state else {
        return write(all(), shape, output, quiet, noun).await;
    };
    let mut run = since(load_state(state)?).await?;
    write(&mut run, shape, output, quiet, noun).await?;
    save_state(path, run.next_state(), run.skipped(), quiet)
}

/// The state `--state` names: `None` when the file does not exist yet (a first run).
fn load_state(args: &StateArgs) -> Outcome<Option<ExportState>> {
    let Some(path) = &args.state else {
        return Ok(None);
    };
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Failure::usage(format!("--state {}: {e}", path.display()))),
    };
    ExportState::from_json(&bytes)
        .map(Some)
        .map_err(|e| Failure::usage(format!("--state {}: {e}", path.display())))
}

/// Saves where the run ended, whole or not at all, once its rows are written.
fn save_state(path: &Path, state: Option<ExportState>, skipped: u64, quiet: bool) -> Outcome {
    let state = state.expect("a run whose rows were all written has ended without an error");
    write_atomically(path, &state.to_json(), false)?;
    if !quiet && skipped > 0 {
        eprintln!("passed over {skipped} record(s) the last run exported unchanged");
    }
    Ok(())
}

/// Writes the rows to `output` in `shape`; a failure leaves no file.
async fn write<R: Columns>(
    mut rows: impl Stream<Item = Result<LenientItem<R>, Error>> + Unpin,
    shape: &Shape,
    output: &OutputArgs,
    quiet: bool,
    noun: &str,
) -> Outcome {
    let mut sink = Sink::open(output.out.as_deref())?;
    // NDJSON as every JSON output of the command is written, `null` for a value
    // missing.
    let names = shape.names();
    let ndjson = shape.ndjson.then(|| Style {
        format: Format::Ndjson,
        fields: Some(names.clone()),
        width: None,
        asked: true,
    });
    if ndjson.is_none() {
        sink.write_all(&csv_line(&names)?)?;
    }
    let bar = progress::tally(quiet, &noun.replace("(s)", "s"));
    let (mut count, mut skipped) = (0u64, 0u64);
    let mut lines = Vec::with_capacity(2 * WRITE_AT);
    while let Some(row) = rows.next().await {
        match row {
            Ok(Ok(row)) => {
                let cells = shape.cells(&row);
                match &ndjson {
                    Some(style) => {
                        let object = names
                            .iter()
                            .cloned()
                            .zip(cells)
                            .map(|(name, cell)| (name, if cell.is_empty() { Value::Null } else { cell.into() }))
                            .collect();
                        print_record(style, &Value::Object(object), &mut lines)?;
                    }
                    None => lines.extend_from_slice(&csv_line(cells)?),
                }
                count += 1;
            }
            Ok(Err(malformed)) if output.skip_malformed => {
                skipped += 1;
                eprintln!("skipped: {malformed}");
            }
            Ok(Err(malformed)) => return Err(Failure::Sdk(malformed.into())),
            Err(e) => return Err(e.into()),
        }
        if lines.len() >= WRITE_AT {
            sink.write_all(&lines)?;
            lines.clear();
            bar.set(count, None);
            checkpoint::reached("export-rows-written");
        }
    }
    sink.write_all(&lines)?;
    bar.set(count, None);
    bar.finish();
    sink.finish()?;
    if !quiet {
        eprintln!("exported {count} {noun}");
        if skipped > 0 {
            eprintln!("skipped {skipped} malformed {noun}");
        }
    }
    Ok(())
}
