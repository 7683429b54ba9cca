//! Exports of production data: the rows `carbon export` writes, as streams any
//! program can consume.
//!
//! - [`Client::export_printed_parts`]: printed parts joined with the prints
//!   they were made in ([`PartRow`]).
//! - [`Client::export_prints`]: prints ([`PrintRow`]).
//! - [`Client::export_measurements`]: part measurements joined with their
//!   printed part and their template ([`MeasurementRow`]).
//!
//! Each lists its records 1 000 a page, in uuid order, and looks up what a row
//! joins (prints, printed parts, templates) by id, 100 ids a request, several
//! at once under the client's rate limit. The look-ups for the next batches run
//! while the rows of the current one are taken, so the limiter does not wait on
//! the join.
//!
//! The printed-parts export plans its calls ([`Planning`]): when more parts
//! match than the API counts exactly (10 000), they are scattered over about a
//! thousand prints a page, and it lists the prints instead, by start time, a
//! window of about [`WINDOW_PRINTS`] at a time, then the parts of each window
//! (by their print's start) joined against it: about one call per thousand
//! parts and one per thousand prints, where looking prints up by id takes about
//! ten per thousand parts. Parts whose print has not started are listed by
//! status after the windows. The rows are the same whichever plan; their order
//! is by uuid within each window.
//!
//! Memory does not grow with the export: it holds the batches in flight, the
//! records looked up lately (a bounded cache that only saves requests) and the
//! uuids of the last [`REPEAT_GUARD`] rows.
//!
//! What is guaranteed:
//! - The records are listed in uuid order (by windows of start time, which
//!   never changes once set), which no change to a record moves, so every
//!   record that matches throughout the export comes once (one that starts or
//!   stops matching meanwhile, or a part whose print starts meanwhile, may or
//!   may not come).
//! - A record the API repeats within [`REPEAT_GUARD`] rows of itself (across a
//!   page boundary) comes once too.
//! - A row comes with what it joins if the API returns it when it is first
//!   looked up, else without it (empty columns).
//! - An error ends the export after every row listed before it.
//!
//! Incremental runs ([`Client::export_printed_parts_since`],
//! [`Client::export_measurements_since`]) take the [`ExportState`] the last
//! run left and give only the records changed since.
//!
//! ```no_run
//! # async fn run(client: carbon_ext::Client) -> Result<(), carbon_ext::Error> {
//! use carbon_ext::export::PartFilters;
//! use futures::TryStreamExt;
//!
//! let mut filters = PartFilters::default();
//! filters.status = Some(carbon_ext::enums::PrintedPartStatus::Complete);
//! let mut rows = client.export_printed_parts(&filters);
//! while let Some(row) = rows.try_next().await? {
//!     // A record that does not match the API document comes as `Err`, with its JSON.
//!     let Ok(row) = row else { continue };
//!     let printer = row.print.as_ref().and_then(|p| p.printer_serial.as_deref());
//!     println!("{} {}", row.part.uuid, printer.unwrap_or("-"));
//! }
//! # Ok(())
//! # }
//! ```

mod batches;
mod cache;
mod filters;
mod guard;
mod lookup;
mod measurements;
mod not_started;
mod parts;
mod prints;
mod row;
mod state;
mod window;

pub use filters::{MeasurementFilters, PartFilters, PrintFilters, PrintTimes};
pub use parts::{PlanChoice, Planning, WINDOW_PRINTS};
pub use row::{Columns, MeasurementRow, PartFacts, PartRow, PrintFacts, PrintRow};
pub use state::{ExportState, Incremental, OVERLAP, RECENT_CAP, StateError};

/// Records a batch holds: a page of the listing.
pub const BATCH: usize = 1000;
/// How many of the latest rows' uuids are kept to drop a record listed twice.
pub const REPEAT_GUARD: usize = 2 * BATCH;
/// The print statuses an export asks for unless told otherwise: the API
/// returns only finished prints unless asked, and a part being printed names a
/// print that is not finished yet.
pub const PRINT_STATUSES: [&str; 3] = ["queued", "printing", "finished"];

#[cfg(doc)]
use crate::Client;
