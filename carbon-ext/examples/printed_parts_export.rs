//! Export printed parts, joined with their prints, as CSV.
//!
//! ```text
//! cargo run -p carbon-ext --example printed_parts_export -- --secrets secrets.json \
//!     --started-after 2026-11-01T00:00:00Z --output parts.csv
//! ```
//!
//! With `--skip-malformed`, a printed part the API sends in a shape that does not
//! match its document is reported on stderr (page, index, uuid, what is wrong) and
//! left out, instead of failing the whole export.

#[path = "common/mod.rs"]
mod common;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use carbon_ext::export::{Columns, PartFilters, PartRow};
use futures::TryStreamExt;

/// Export printed parts (and where they were printed) as CSV.
#[derive(clap::Args)]
struct Args {
    /// Only parts of this part order.
    #[arg(long)]
    part_order_uuid: Option<String>,
    /// Only parts started at or after this time (ISO-8601).
    #[arg(long)]
    started_after: Option<chrono::DateTime<chrono::Utc>>,
    /// Only parts started before this time (ISO-8601).
    #[arg(long)]
    started_before: Option<chrono::DateTime<chrono::Utc>>,
    /// CSV file to write (default: standard output).
    #[arg(long)]
    output: Option<PathBuf>,
    /// Report printed parts that do not match the API document on stderr and go on
    /// without them (default: such a record ends the export with an error).
    #[arg(long)]
    skip_malformed: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    common::main(run).await
}

fn csv_field(value: &str) -> String {
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_string()
    }
}

async fn run(client: carbon_ext::Client, args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let mut filters = PartFilters::default();
    filters.part_order_uuid = args.part_order_uuid.into_iter().collect();
    filters.print_times.started_after = args.started_after.map(Into::into);
    filters.print_times.started_before = args.started_before.map(Into::into);

    // Into a file beside the target, renamed to it when complete: an export that
    // fails leaves the target as it was.
    let temp = args.output.as_ref().map(|path| {
        let mut temp = path.clone().into_os_string();
        temp.push(".part");
        PathBuf::from(temp)
    });
    let mut out: Box<dyn Write> = match &temp {
        Some(temp) => Box::new(std::io::BufWriter::new(std::fs::File::create(temp)?)),
        None => Box::new(std::io::stdout().lock()),
    };
    let written = write_rows(&client, &filters, &mut out, args.skip_malformed).await;
    drop(out);
    if let (Some(temp), Some(target)) = (&temp, &args.output) {
        match &written {
            Ok(_) => std::fs::rename(temp, target)?,
            Err(_) => {
                let _ = std::fs::remove_file(temp);
            }
        }
    }
    eprintln!("exported {} printed part(s)", written?);
    Ok(())
}

/// Writes the header and every row as CSV; the number of rows.
async fn write_rows(
    client: &carbon_ext::Client,
    filters: &PartFilters,
    out: &mut dyn Write,
    skip_malformed: bool,
) -> Result<usize, Box<dyn std::error::Error>> {
    writeln!(out, "{}", PartRow::COLUMNS.join(","))?;
    // Each part with its print, as the pages and the print look-ups come in.
    let mut rows = client.export_printed_parts(filters);
    let (mut count, mut skipped) = (0, 0);
    while let Some(row) = rows.try_next().await? {
        let row = match row {
            Ok(row) => row,
            Err(malformed) if skip_malformed => {
                skipped += 1;
                eprintln!("skipped: {malformed}");
                continue;
            }
            Err(malformed) => return Err(carbon_ext::Error::from(malformed).into()),
        };
        let line: Vec<String> = row.cells().iter().map(|f| csv_field(f)).collect();
        writeln!(out, "{}", line.join(","))?;
        count += 1;
    }
    if skipped > 0 {
        eprintln!("skipped {skipped} malformed printed part(s)");
    }
    out.flush()?;
    Ok(count)
}
