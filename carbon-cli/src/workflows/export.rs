//! `carbon export printed-parts`: printed parts joined with the prints they were
//! made in, as CSV. Every page (no 10 000 cap), under the client's rate limit,
//! written as it arrives, to a file only when complete. Records are not held: what
//! grows with the export is the set of uuids seen (to drop repeats) and one small
//! entry per print.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::PathBuf;

use carbon_ext::prelude::*;
use carbon_ext::{Client, types};
use futures::{StreamExt, TryStreamExt};

use crate::commands::Printing;
use crate::failure::{Failure, Outcome};
use crate::output::{Format, csv_line};
use crate::progress;
use crate::values;
use crate::when::{Relative, parse_time};

/// `carbon export printed-parts`.
#[derive(Debug, Clone, clap::Args)]
#[command(after_help = "Example:\n  carbon export printed-parts --started-after 30d --to parts.csv")]
pub struct ExportArgs {
    /// Only parts of this part order. Repeat, or separate with commas, for several.
    #[arg(long, value_name = "UUID")]
    pub part_order_uuid: Vec<String>,
    /// Only parts in this status (waiting, preparing, queued, printing, complete, failed, canceled).
    #[arg(long)]
    pub status: Option<String>,
    /// Only parts started at or after this time: RFC 3339, a date, or ago (30d).
    #[arg(long, value_name = "WHEN")]
    pub started_after: Option<String>,
    /// Only parts started before this time.
    #[arg(long, value_name = "WHEN")]
    pub started_before: Option<String>,
    /// Only parts changed at or after this time.
    #[arg(long, value_name = "WHEN")]
    pub updated_after: Option<String>,
    /// Report parts that do not match the API document on stderr and export the rest.
    #[arg(long)]
    pub skip_malformed: bool,
    /// The CSV file (default: standard output). Written whole or not at all.
    #[arg(long = "to", value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// The export's columns.
pub const COLUMNS: [&str; 10] = [
    "printed_part_uuid",
    "serial_number",
    "status",
    "part_number",
    "part_order_number",
    "print_id",
    "printer_serial",
    "resin",
    "started_at",
    "finished_at",
];

/// What the export keeps of a print.
struct PrintFacts {
    printer_serial: String,
    resin: String,
    started_at: String,
    finished_at: String,
}

fn facts(print: &types::ModelPrint) -> PrintFacts {
    PrintFacts {
        printer_serial: print
            .origin
            .as_ref()
            .and_then(|o| o.printer_serial.clone())
            .unwrap_or_default(),
        resin: print
            .config
            .as_ref()
            .and_then(|c| c.resin_name.clone())
            .unwrap_or_default(),
        started_at: print.started_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
        finished_at: print.finished_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
    }
}

fn time(flag: &str, value: &Option<String>) -> Outcome<Option<carbon_ext::Timestamp>> {
    value
        .as_deref()
        .map(|v| {
            parse_time(v, Relative::Ago, chrono::Utc::now())
                .map(Into::into)
                .map_err(|e| Failure::usage(format!("--{flag}: {e}")))
        })
        .transpose()
}

/// Rows of one batch of parts, fetching the prints not seen before.
async fn rows(
    client: &Client,
    parts: &[types::PrintedPart],
    prints: &mut HashMap<String, PrintFacts>,
    asked: &mut HashSet<String>,
) -> Outcome<Vec<[String; 10]>> {
    let wanted: Vec<String> = parts
        .iter()
        .filter_map(|p| p.print_id.clone())
        .filter(|id| asked.insert(id.clone()))
        .collect();
    if !wanted.is_empty() {
        let found: Vec<types::ModelPrint> = client
            .get_prints()
            .limit(1000)
            .chunked(wanted, |builder, chunk| builder.print_id(chunk))
            .items()
            .try_collect()
            .await?;
        for print in found {
            if let Some(id) = print.print_id.clone() {
                prints.insert(id, facts(&print));
            }
        }
    }
    Ok(parts
        .iter()
        .map(|part| {
            let print = part.print_id.as_ref().and_then(|id| prints.get(id));
            let from_print = |f: fn(&PrintFacts) -> &String| print.map(|p| f(p).clone()).unwrap_or_default();
            [
                part.uuid.clone(),
                part.serial_number.clone().unwrap_or_default(),
                part.status.to_string(),
                part.part_number.clone().unwrap_or_default(),
                part.part_order_number.clone().unwrap_or_default(),
                part.print_id.clone().unwrap_or_default(),
                from_print(|p| &p.printer_serial),
                from_print(|p| &p.resin),
                from_print(|p| &p.started_at),
                from_print(|p| &p.finished_at),
            ]
        })
        .collect())
}

/// Where the CSV goes: standard output as it comes, or a temporary file beside
/// the target that becomes the target only when the export is complete.
enum Sink {
    Stdout(std::io::StdoutLock<'static>),
    File {
        temp: PathBuf,
        target: PathBuf,
        file: Option<std::io::BufWriter<std::fs::File>>,
    },
}

impl Sink {
    fn open(target: Option<&std::path::Path>) -> Outcome<Self> {
        let Some(target) = target else {
            return Ok(Sink::Stdout(std::io::stdout().lock()));
        };
        let dir = target
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(std::path::Path::new("."));
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let temp = dir.join(format!(".{name}.{}.part", std::process::id()));
        let file = std::fs::File::create(&temp).map_err(|e| Failure::usage(format!("{}: {e}", target.display())))?;
        Ok(Sink::File {
            temp,
            target: target.to_path_buf(),
            file: Some(std::io::BufWriter::new(file)),
        })
    }

    fn write_all(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        match self {
            Sink::Stdout(out) => out.write_all(bytes),
            Sink::File { file, .. } => file.as_mut().expect("open until finished").write_all(bytes),
        }
    }

    fn finish(mut self) -> Outcome {
        match &mut self {
            Sink::Stdout(out) => out.flush()?,
            Sink::File { temp, target, file } => {
                let file = file.take().expect("finished once");
                file.into_inner().map_err(|e| e.into_error())?.sync_all()?;
                std::fs::rename(&*temp, &*target)?;
            }
        }
        Ok(())
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        // An export that did not finish leaves no file behind.
        if let Sink::File {
            temp, file: Some(_), ..
        } = self
        {
            let _ = std::fs::remove_file(temp);
        }
    }
}

/// Checks the flags before anything is sent, as a list command would: the format
/// (the export writes CSV), the status and the part order ids (canonical spelling
/// kept, commas split).
pub fn check(args: &mut ExportArgs, printing: &Printing) -> Outcome {
    if printing.style.asked && printing.style.format != Format::Csv {
        return Err(Failure::usage(
            "the export writes CSV only (leave out -o/--output); for JSON, \
             `carbon printed-parts list --all -o json` lists the printed parts without their prints",
        ));
    }
    let op = carbon_ext::extras::operation("getPrintedParts").expect("the document lists printed parts");
    let param = |name: &str| op.params.iter().find(|p| p.name == name);
    if let (Some(status), Some(field)) = (&args.status, param("status")) {
        let value = values::field_value(field, "--status", status, Relative::Ago, printing.strict)?;
        args.status = value.as_str().map(str::to_string);
    }
    if let Some(field) = param("part_order_uuid") {
        let mut ids = Vec::new();
        for raw in &args.part_order_uuid {
            for piece in values::pieces(field, "--part-order-uuid", raw)? {
                values::field_value(field, "--part-order-uuid", piece, Relative::Ago, printing.strict)?;
                ids.push(piece.to_string());
            }
        }
        args.part_order_uuid = ids;
    }
    Ok(())
}

/// `carbon export printed-parts`.
pub async fn run(client: &Client, args: &ExportArgs, quiet: bool) -> Outcome {
    let mut request = client.get_printed_parts().limit(1000);
    if !args.part_order_uuid.is_empty() {
        request = request.part_order_uuid(args.part_order_uuid.clone());
    }
    if let Some(status) = &args.status {
        request = request.status(carbon_ext::enums::PrintedPartStatus::from(status.as_str()));
    }
    if let Some(t) = time("started-after", &args.started_after)? {
        request = request.started_after(t);
    }
    if let Some(t) = time("started-before", &args.started_before)? {
        request = request.started_before(t);
    }
    if let Some(t) = time("updated-after", &args.updated_after)? {
        request = request.updated_after(t);
    }
    let mut parts = request.items_lenient();
    let mut sink = Sink::open(args.out.as_deref())?;
    sink.write_all(&csv_line(COLUMNS)?)?;
    let bar = progress::count(quiet, "printed parts");
    let (mut prints, mut asked, mut seen) = (HashMap::new(), HashSet::new(), HashSet::new());
    let (mut count, mut skipped) = (0u64, 0u64);
    let mut batch = Vec::with_capacity(1000);
    loop {
        let next = parts.next().await;
        let done = next.is_none();
        match next {
            // A record that moved between pages while listing comes once.
            Some(Ok(Ok(part))) if seen.insert(part.uuid.clone()) => batch.push(part),
            Some(Ok(Ok(_))) => {}
            Some(Ok(Err(malformed))) if args.skip_malformed => {
                skipped += 1;
                eprintln!("skipped: {malformed}");
            }
            Some(Ok(Err(malformed))) => {
                return Err(Failure::Sdk(malformed.into()));
            }
            Some(Err(e)) => return Err(e.into()),
            None => {}
        }
        if batch.len() >= 1000 || (done && !batch.is_empty()) {
            let mut lines = Vec::new();
            for row in rows(client, &batch, &mut prints, &mut asked).await? {
                lines.extend_from_slice(&csv_line(&row)?);
            }
            sink.write_all(&lines)?;
            count += batch.len() as u64;
            batch.clear();
            bar.set(count, None);
        }
        if done {
            break;
        }
    }
    bar.finish();
    sink.finish()?;
    if !quiet {
        eprintln!("exported {count} printed part(s)");
        if skipped > 0 {
            eprintln!("skipped {skipped} malformed printed part(s)");
        }
    }
    Ok(())
}
