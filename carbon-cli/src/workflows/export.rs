//! `carbon export printed-parts`: printed parts joined with the prints they were
//! made in ([`carbon_ext::export`]), as CSV or NDJSON. Every page (no 10 000 cap), under the
//! client's rate limit, written as it arrives, to a file only when complete.

use std::io::Write;
use std::path::PathBuf;

use carbon_ext::Client;
use carbon_ext::export::{PartFilters, PartRow};
use futures::StreamExt;

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
    /// The file (default: standard output). Written whole or not at all.
    #[arg(long = "to", value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// Bytes of output gathered before they are written.
const WRITE_AT: usize = 64 * 1024;

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
/// (the export writes CSV, or NDJSON), the status and the part order ids
/// (canonical spelling kept, commas split).
pub fn check(args: &mut ExportArgs, printing: &Printing) -> Outcome {
    if printing.style.asked && !matches!(printing.style.format, Format::Csv | Format::Ndjson) {
        return Err(Failure::usage(
            "the export writes CSV (the default) or NDJSON (-o ndjson), a row at a time; for one JSON \
             document, `carbon printed-parts list --all -o json` lists the printed parts without their prints",
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

/// A row as NDJSON: an object with the export's columns in their order, `null`
/// where a value is missing.
fn ndjson_line(row: &PartRow) -> Outcome<Vec<u8>> {
    let mut line = vec![b'{'];
    for (n, (column, cell)) in PartRow::COLUMNS.iter().zip(row.cells()).enumerate() {
        if n > 0 {
            line.push(b',');
        }
        serde_json::to_writer(&mut line, column).map_err(std::io::Error::other)?;
        line.push(b':');
        if cell.is_empty() {
            line.extend_from_slice(b"null");
        } else {
            serde_json::to_writer(&mut line, &cell).map_err(std::io::Error::other)?;
        }
    }
    line.extend_from_slice(b"}\n");
    Ok(line)
}

/// `carbon export printed-parts`, as CSV or (`ndjson`) a JSON object per line.
pub async fn run(client: &Client, args: &ExportArgs, ndjson: bool, quiet: bool) -> Outcome {
    let mut filters = PartFilters::default();
    filters.part_order_uuid = args.part_order_uuid.clone();
    filters.status = args.status.as_deref().map(carbon_ext::enums::PrintedPartStatus::from);
    filters.started_after = time("started-after", &args.started_after)?;
    filters.started_before = time("started-before", &args.started_before)?;
    filters.updated_after = time("updated-after", &args.updated_after)?;
    let mut rows = client.export_printed_parts(&filters);
    let mut sink = Sink::open(args.out.as_deref())?;
    if !ndjson {
        sink.write_all(&csv_line(PartRow::COLUMNS)?)?;
    }
    let bar = progress::count(quiet, "printed parts");
    let (mut count, mut skipped) = (0u64, 0u64);
    let mut lines = Vec::with_capacity(2 * WRITE_AT);
    while let Some(row) = rows.next().await {
        match row {
            Ok(Ok(row)) => {
                let line = if ndjson {
                    ndjson_line(&row)?
                } else {
                    csv_line(row.cells())?
                };
                lines.extend_from_slice(&line);
                count += 1;
            }
            Ok(Err(malformed)) if args.skip_malformed => {
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
        }
    }
    sink.write_all(&lines)?;
    bar.set(count, None);
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
