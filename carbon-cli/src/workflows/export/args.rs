//! The flags of each `carbon export` and the filters they make, checked before
//! anything is sent.

use std::path::PathBuf;

use carbon_ext::export::{MeasurementFilters, PartFilters, PrintFilters, PrintTimes};
use carbon_ext::{Timestamp, enums};

use crate::failure::{Failure, Outcome};
use crate::values::{self, Strictness};
use crate::when::{Relative, parse_time};

/// What every export takes: where it goes, and what to do with malformed records.
#[derive(Debug, Clone, clap::Args)]
pub struct OutputArgs {
    /// Report records that do not match the API document on stderr and export the rest.
    #[arg(long)]
    pub skip_malformed: bool,
    /// The file (default: standard output). Written whole or not at all.
    #[arg(long = "to", value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// What an incremental export takes.
#[derive(Debug, Clone, clap::Args)]
pub struct StateArgs {
    /// Export only what changed since the run that wrote FILE (everything the
    /// first time), then save where this run ended; a run that fails leaves FILE
    /// as it was. One file per export and filters.
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
}

/// When the print started and finished: RFC 3339, a date, or ago (30d).
#[derive(Debug, Clone, clap::Args)]
pub struct WhenArgs {
    /// Only those whose print started at or after this time: RFC 3339, a date, or ago (30d).
    #[arg(long, value_name = "WHEN", value_parser = when)]
    pub started_after: Option<Timestamp>,
    /// Only those whose print started before this time.
    #[arg(long, value_name = "WHEN", value_parser = when)]
    pub started_before: Option<Timestamp>,
    /// Only those finished at or after this time.
    #[arg(long, value_name = "WHEN", value_parser = when)]
    pub finished_after: Option<Timestamp>,
    /// Only those finished before this time.
    #[arg(long, value_name = "WHEN", value_parser = when)]
    pub finished_before: Option<Timestamp>,
}

impl WhenArgs {
    /// The bounds these flags set.
    fn print_times(&self) -> PrintTimes {
        let mut times = PrintTimes::default();
        times.started_after = self.started_after;
        times.started_before = self.started_before;
        times.finished_after = self.finished_after;
        times.finished_before = self.finished_before;
        times
    }
}

/// Reads a `WHEN` flag as clap parses it, so that a bad time is a usage error
/// before anything else happens: RFC 3339, a date, or a duration ago.
fn when(text: &str) -> Result<Timestamp, String> {
    parse_time(text, Relative::Ago, chrono::Utc::now()).map(Into::into)
}

/// `carbon export printed-parts`.
#[derive(Debug, Clone, clap::Args)]
#[command(
    after_help = "Examples:\n  carbon export printed-parts --started-after 30d --to parts.csv\n  \
                        carbon export printed-parts --state parts.state --to changed.csv   (from cron)"
)]
pub struct PartArgs {
    /// Only parts of this part order. Repeat, or separate with commas, for several.
    #[arg(long, value_name = "UUID")]
    pub part_order_uuid: Vec<String>,
    /// Only parts of this application. Repeat, or separate with commas, for several.
    #[arg(long, value_name = "UUID")]
    pub application_uuid: Vec<String>,
    /// Only parts in this status (waiting, preparing, queued, printing, complete, failed, canceled).
    #[arg(long)]
    pub status: Option<String>,
    #[command(flatten)]
    pub when: WhenArgs,
    /// Only parts changed at or after this time.
    #[arg(long, value_name = "WHEN", value_parser = when)]
    pub updated_after: Option<Timestamp>,
    /// How prints are fetched (for comparisons; the rows are the same).
    #[arg(long, value_enum, default_value_t = Plan::Auto, hide = true)]
    pub plan: Plan,
    #[command(flatten)]
    pub state: StateArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// How the printed-parts export fetches prints ([`carbon_ext::export::PlanChoice`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Plan {
    /// By window when many parts match, else by id.
    Auto,
    /// Each page's prints looked up by id.
    ById,
    /// Prints listed by start time, a window at a time.
    ByWindow,
}

impl PartArgs {
    /// The plan `--plan` asks for.
    pub fn planning(&self) -> carbon_ext::export::Planning {
        let mut planning = carbon_ext::export::Planning::default();
        planning.plan = match self.plan {
            Plan::Auto => carbon_ext::export::PlanChoice::Auto,
            Plan::ById => carbon_ext::export::PlanChoice::ById,
            Plan::ByWindow => carbon_ext::export::PlanChoice::ByWindow,
        };
        planning
    }
}

/// `carbon export prints`.
#[derive(Debug, Clone, clap::Args)]
#[command(after_help = "Example:\n  carbon export prints --finished-after 7d --printer-serial L1-0042 --to prints.csv")]
pub struct PrintArgs {
    /// Only prints in this status; repeat for up to 5 (default: queued, printing, finished).
    #[arg(long)]
    pub status: Vec<String>,
    /// Only prints on this printer. Repeat for several.
    #[arg(long, value_name = "SERIAL")]
    pub printer_serial: Vec<String>,
    /// Only prints of this print order. Repeat, or separate with commas, for several.
    #[arg(long, value_name = "UUID")]
    pub print_order_uuid: Vec<String>,
    #[command(flatten)]
    pub when: WhenArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `carbon export measurements`.
#[derive(Debug, Clone, clap::Args)]
#[command(after_help = "Example:\n  carbon export measurements --state measurements.state --to measurements.csv")]
pub struct MeasurementArgs {
    /// Only the measurements of this printed part. Repeat, or separate with commas, for several.
    #[arg(long, value_name = "UUID")]
    pub printed_part_uuid: Vec<String>,
    /// Only the measurements of this application. Repeat, or separate with commas, for several.
    #[arg(long, value_name = "UUID")]
    pub application_uuid: Vec<String>,
    /// Only measurements changed at or after this time: RFC 3339, a date, or ago (30d).
    #[arg(long, value_name = "WHEN", value_parser = when)]
    pub updated_after: Option<Timestamp>,
    #[command(flatten)]
    pub state: StateArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Reads the flags of an operation's parameters as the list commands do.
struct Flags {
    op: &'static carbon_ext::extras::OperationInfo,
    strict: Strictness,
}

impl Flags {
    fn of(operation: &str, strict: Strictness) -> Self {
        let op = carbon_ext::extras::operation(operation).expect("the document lists the exports' operations");
        Self { op, strict }
    }

    fn field(&self, name: &str) -> &'static carbon_ext::extras::FieldInfo {
        self.op
            .params
            .iter()
            .find(|p| p.name == name)
            .expect("the exports' filters are the operations' parameters")
    }

    /// The values of a repeated flag: split at commas where it takes ids or a
    /// closed set, each checked.
    fn values(&self, name: &str, raw: &[String]) -> Outcome<Vec<String>> {
        let field = self.field(name);
        let flag = format!("--{}", name.replace('_', "-"));
        let mut values = Vec::new();
        for raw in raw {
            for piece in values::pieces(field, &flag, raw)? {
                values::field_value(field, &flag, piece, Relative::Ago, self.strict)?;
                values.push(piece.to_string());
            }
        }
        // An export sends a filter in one request: no more values than it takes.
        let most = carbon_ext::extras::param_rule(self.op.name, name).and_then(|r| r.max_items);
        if let Some(most) = most.filter(|&most| values.len() as u64 > most) {
            let what = if name == "status" { "statuses" } else { "values" };
            return Err(Failure::usage(format!(
                "{flag}: the API takes at most {most} {what} at a time, not {}; export the others in a second run",
                values.len()
            )));
        }
        Ok(values)
    }

    /// One value, in its canonical spelling.
    fn value(&self, name: &str, raw: &Option<String>) -> Outcome<Option<String>> {
        let flag = format!("--{}", name.replace('_', "-"));
        raw.as_deref()
            .map(|raw| {
                let value = values::field_value(self.field(name), &flag, raw, Relative::Ago, self.strict)?;
                Ok(value.as_str().map(str::to_string).unwrap_or_else(|| raw.to_string()))
            })
            .transpose()
    }
}

impl PartArgs {
    /// The filters these flags give.
    pub fn filters(&self, strict: Strictness) -> Outcome<PartFilters> {
        let flags = Flags::of("getPrintedParts", strict);
        let mut filters = PartFilters::default();
        filters.status = flags
            .value("status", &self.status)?
            .map(|s| enums::PrintedPartStatus::from(s.as_str()));
        filters.part_order_uuid = flags.values("part_order_uuid", &self.part_order_uuid)?;
        filters.application_uuid = flags.values("application_uuid", &self.application_uuid)?;
        filters.print_times = self.when.print_times();
        filters.updated_after = self.updated_after;
        Ok(filters)
    }
}

impl PrintArgs {
    /// The filters these flags give.
    pub fn filters(&self, strict: Strictness) -> Outcome<PrintFilters> {
        let flags = Flags::of("getPrints", strict);
        let mut filters = PrintFilters::default();
        if !self.status.is_empty() {
            filters.status = flags.values("status", &self.status)?;
        }
        filters.printer_serial = flags.values("printer_serial", &self.printer_serial)?;
        filters.print_order_uuid = flags.values("print_order_uuid", &self.print_order_uuid)?;
        filters.print_times = self.when.print_times();
        Ok(filters)
    }
}

impl MeasurementArgs {
    /// The filters these flags give.
    pub fn filters(&self, strict: Strictness) -> Outcome<MeasurementFilters> {
        let flags = Flags::of("getPartMeasurements", strict);
        let mut filters = MeasurementFilters::default();
        filters.printed_part_uuid = flags.values("printed_part_uuid", &self.printed_part_uuid)?;
        filters.application_uuid = flags.values("application_uuid", &self.application_uuid)?;
        filters.updated_after = self.updated_after;
        Ok(filters)
    }
}
