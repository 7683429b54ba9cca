//! `carbon export printed-parts`: printed parts joined with the prints they were
//! made in ([`carbon_ext::export`]), as CSV or NDJSON. Every page (no 10 000 cap), under the
//! client's rate limit, written as it arrives, to a file only when complete.

use std::io::Write;
use std::path::PathBuf;

use carbon_ext::Client;
use carbon_ext::export::{PartFilters, PartRow};
use futures::StreamExt;
use serde_json::Value;

use crate::commands::Printing;
use crate::failure::{Failure, Outcome};
use crate::output::{Format, Style, csv_line, print_record};
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

/// How the rows are written: the format and which columns, in which order.
#[derive(Debug)]
pub struct Shape {
    /// A JSON object a line, else CSV with a header.
    ndjson: bool,
    /// Indexes into [`PartRow::COLUMNS`]: `--fields`, else all of them.
    columns: Vec<usize>,
}

impl Shape {
    fn names(&self) -> Vec<String> {
        self.columns.iter().map(|&i| PartRow::COLUMNS[i].to_string()).collect()
    }

    /// The row's cells in this shape's columns.
    fn cells(&self, row: &PartRow) -> Vec<String> {
        let mut cells = row.cells().map(Some);
        self.columns
            .iter()
            .map(|&i| cells[i].take().unwrap_or_default())
            .collect()
    }
}

/// Checks the flags before anything is sent, as a list command would: the format
/// (the export writes CSV, or NDJSON) and `--fields` (the export's columns), the
/// status and the part order ids (canonical spelling kept, commas split).
pub fn check(args: &mut ExportArgs, printing: &Printing) -> Outcome<Shape> {
    let style = &printing.style;
    if style.asked && !matches!(style.format, Format::Csv | Format::Ndjson) {
        return Err(Failure::usage(
            "the export writes CSV (the default) or NDJSON (-o ndjson), a row at a time; for one JSON \
             document, `carbon printed-parts list --all -o json` lists the printed parts without their prints",
        ));
    }
    let columns = match &style.fields {
        None => (0..PartRow::COLUMNS.len()).collect(),
        Some(fields) => fields
            .iter()
            .map(|field| {
                PartRow::COLUMNS.iter().position(|c| c == field).ok_or_else(|| {
                    Failure::usage(format!(
                        "--fields: the export has no column `{field}`; its columns are {}",
                        PartRow::COLUMNS.join(", ")
                    ))
                })
            })
            .collect::<Outcome<Vec<usize>>>()?,
    };
    let shape = Shape {
        ndjson: style.asked && style.format == Format::Ndjson,
        columns,
    };
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
    Ok(shape)
}

/// `carbon export printed-parts`, in `shape` ([`check`] gives it).
pub async fn run(client: &Client, args: &ExportArgs, shape: &Shape, quiet: bool) -> Outcome {
    let mut filters = PartFilters::default();
    filters.part_order_uuid = args.part_order_uuid.clone();
    filters.status = args.status.as_deref().map(carbon_ext::enums::PrintedPartStatus::from);
    filters.started_after = time("started-after", &args.started_after)?;
    filters.started_before = time("started-before", &args.started_before)?;
    filters.updated_after = time("updated-after", &args.updated_after)?;
    let mut rows = client.export_printed_parts(&filters);
    let mut sink = Sink::open(args.out.as_deref())?;
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
    let bar = progress::count(quiet, "printed parts");
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
