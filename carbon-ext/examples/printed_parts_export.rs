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

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use carbon_ext::prelude::*;
use carbon_ext::types;
use clap::Parser;
use futures::TryStreamExt;

/// Export printed parts (and where they were printed) as CSV.
#[derive(Parser)]
struct Args {
    #[command(flatten)]
    connection: common::Connection,
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
    match run(Args::parse()).await {
        Ok(count) => {
            eprintln!("exported {count} printed part(s)");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn csv_field(value: &str) -> String {
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_string()
    }
}

async fn run(args: Args) -> Result<usize, Box<dyn std::error::Error>> {
    let client = args.connection.client()?;
    let mut request = client.get_printed_parts().limit(1000);
    if let Some(order) = &args.part_order_uuid {
        request = request.part_order_uuid(vec![order.clone()]);
    }
    if let Some(after) = args.started_after {
        request = request.started_after(after);
    }
    if let Some(before) = args.started_before {
        request = request.started_before(before);
    }
    // Every page, de-duplicated (records can move between pages while listing).
    let parts: Vec<types::PrintedPart> = if args.skip_malformed {
        let skipped = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = skipped.clone();
        let parts: Vec<types::PrintedPart> = request
            .items_lenient()
            .try_filter_map(move |record| {
                let part = match record {
                    Ok(part) => Some(part),
                    Err(malformed) => {
                        counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        eprintln!("skipped: {malformed}");
                        None
                    }
                };
                std::future::ready(Ok(part))
            })
            .dedup_by_uuid()
            .try_collect()
            .await?;
        let skipped = skipped.load(std::sync::atomic::Ordering::Relaxed);
        if skipped > 0 {
            eprintln!("skipped {skipped} malformed printed part(s)");
        }
        parts
    } else {
        request.items().dedup_by_uuid().try_collect().await?
    };

    // The prints those parts were made in, 100 print ids per request.
    let mut print_ids: Vec<String> = parts.iter().filter_map(|p| p.print_id.clone()).collect();
    print_ids.sort();
    print_ids.dedup();
    let prints: HashMap<String, types::ModelPrint> = if print_ids.is_empty() {
        HashMap::new()
    } else {
        client
            .get_prints()
            .limit(1000)
            .chunked(print_ids, |builder, chunk| builder.print_id(chunk))
            .items()
            .try_filter_map(|print| async move { Ok(print.print_id.clone().map(|id| (id, print))) })
            .try_collect()
            .await?
    };

    let mut out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(std::io::BufWriter::new(std::fs::File::create(path)?)),
        None => Box::new(std::io::stdout().lock()),
    };
    writeln!(
        out,
        "printed_part_uuid,serial_number,status,part_number,part_order_number,print_id,printer_serial,resin,started_at,finished_at"
    )?;
    for part in &parts {
        let print = part.print_id.as_ref().and_then(|id| prints.get(id));
        let fields = [
            part.uuid.clone(),
            part.serial_number.clone().unwrap_or_default(),
            part.status.to_string(),
            part.part_number.clone().unwrap_or_default(),
            part.part_order_number.clone().unwrap_or_default(),
            part.print_id.clone().unwrap_or_default(),
            print
                .and_then(|p| p.origin.as_ref())
                .and_then(|o| o.printer_serial.clone())
                .unwrap_or_default(),
            print
                .and_then(|p| p.config.as_ref())
                .and_then(|c| c.resin_name.clone())
                .unwrap_or_default(),
            print
                .and_then(|p| p.started_at)
                .map(|t| t.to_rfc3339())
                .unwrap_or_default(),
            print
                .and_then(|p| p.finished_at)
                .map(|t| t.to_rfc3339())
                .unwrap_or_default(),
        ];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        writeln!(out, "{}", line.join(","))?;
    }
    out.flush()?;
    Ok(parts.len())
}
