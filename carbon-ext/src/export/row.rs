//! The rows of the exports and their columns: what a CSV header names and a
//! line of NDJSON keys.

use std::sync::Arc;

use crate::{Timestamp, types};

/// A row of an export as text: its columns, in order, and a cell per column.
pub trait Columns {
    /// The column names, in the order [`Columns::cells`] fills them.
    const COLUMNS: &'static [&'static str];

    /// The row as text, a cell per column: empty where a value is missing,
    /// times in RFC 3339.
    fn cells(&self) -> Vec<String>;
}

fn time(t: Option<Timestamp>) -> String {
    t.map(|t| t.to_rfc3339()).unwrap_or_default()
}

fn text(value: Option<&String>) -> String {
    value.cloned().unwrap_or_default()
}

fn number(value: Option<f64>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

/// What an export keeps of a print.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct PrintFacts {
    /// The print's id, as the printed part names it.
    pub print_id: String,
    /// The printer it ran on.
    pub printer_serial: Option<String>,
    /// The resin it was printed with.
    pub resin: Option<String>,
    /// When it started.
    pub started_at: Option<Timestamp>,
    /// When it finished.
    pub finished_at: Option<Timestamp>,
}

impl PrintFacts {
    /// What is kept of `print`, under its print id (`None` without one).
    pub(super) fn by_print_id(print: &types::ModelPrint) -> Option<(String, Self)> {
        Self::of(print).map(|facts| (facts.print_id.clone(), facts))
    }

    /// What is kept of `print` (`None` without a print id).
    pub(super) fn of(print: &types::ModelPrint) -> Option<Self> {
        Some(Self {
            print_id: print.print_id.clone()?,
            printer_serial: print.origin.as_ref().and_then(|o| o.printer_serial.clone()),
            resin: print.config.as_ref().and_then(|c| c.resin_name.clone()),
            started_at: print.started_at,
            finished_at: print.finished_at,
        })
    }
}

/// A printed part and the print it was made in.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct PartRow {
    /// The printed part.
    pub part: types::PrintedPart,
    /// Its print: `None` when it names none, or the API did not return it.
    pub print: Option<Arc<PrintFacts>>,
}

impl Columns for PartRow {
    const COLUMNS: &'static [&'static str] = &[
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

    fn cells(&self) -> Vec<String> {
        let (part, print) = (&self.part, self.print.as_deref());
        vec![
            part.uuid.clone(),
            text(part.serial_number.as_ref()),
            part.status.to_string(),
            text(part.part_number.as_ref()),
            text(part.part_order_number.as_ref()),
            text(part.print_id.as_ref()),
            text(print.and_then(|p| p.printer_serial.as_ref())),
            text(print.and_then(|p| p.resin.as_ref())),
            time(print.and_then(|p| p.started_at)),
            time(print.and_then(|p| p.finished_at)),
        ]
    }
}

/// A print, as `carbon export prints` writes it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct PrintRow {
    /// The print.
    pub print: types::ModelPrint,
}

impl Columns for PrintRow {
    const COLUMNS: &'static [&'static str] = &[
        "print_id",
        "print_uuid",
        "status",
        "printer_serial",
        "printer_name",
        "resin",
        "build_uuid",
        "print_order_number",
        "started_at",
        "finished_at",
    ];

    fn cells(&self) -> Vec<String> {
        let print = &self.print;
        let origin = print.origin.as_ref();
        vec![
            text(print.print_id.as_ref()),
            text(print.uuid.as_ref()),
            text(print.status.as_ref()),
            text(origin.and_then(|o| o.printer_serial.as_ref())),
            text(print.printed_by.as_ref()),
            text(print.config.as_ref().and_then(|c| c.resin_name.as_ref())),
            text(print.build_uuid.as_ref()),
            text(print.print_order_number.as_ref()),
            time(print.started_at),
            time(print.finished_at),
        ]
    }
}

/// What a measurement export keeps of a printed part.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct PartFacts {
    /// The printed part's serial number.
    pub serial_number: Option<String>,
    /// Its part number.
    pub part_number: Option<String>,
}

impl PartFacts {
    /// What is kept of `part`, under its uuid.
    pub(super) fn by_uuid(part: &types::PrintedPart) -> Option<(String, Self)> {
        let facts = Self {
            serial_number: part.serial_number.clone(),
            part_number: part.part_number.clone(),
        };
        Some((part.uuid.clone(), facts))
    }
}

/// A part measurement with its printed part and its template.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct MeasurementRow {
    /// The measurement.
    pub measurement: types::PartMeasurement,
    /// Its printed part: `None` when it names none, or the API did not return it.
    pub part: Option<Arc<PartFacts>>,
    /// Its template: `None` when it names none, or the API did not return it.
    pub template: Option<Arc<types::PartMeasurementTemplate>>,
}

impl Columns for MeasurementRow {
    const COLUMNS: &'static [&'static str] = &[
        "measurement_uuid",
        "printed_part_uuid",
        "serial_number",
        "part_number",
        "measurement_name",
        "value",
        "category_value",
        "units",
        "min",
        "max",
        "classification",
        "result",
        "zones",
        "updated_at",
    ];

    fn cells(&self) -> Vec<String> {
        let (m, part, template) = (&self.measurement, self.part.as_deref(), self.template.as_deref());
        vec![
            text(m.uuid.as_ref()),
            text(m.printed_part_uuid.as_ref()),
            text(part.and_then(|p| p.serial_number.as_ref())),
            text(part.and_then(|p| p.part_number.as_ref())),
            text(template.and_then(|t| t.measurement_name.as_ref())),
            number(m.value),
            text(m.category_value.as_ref()),
            text(template.and_then(|t| t.units.as_ref())),
            number(template.and_then(|t| t.min)),
            number(template.and_then(|t| t.max)),
            text(template.and_then(|t| t.measurement_classification.as_ref())),
            m.measurement_result.as_ref().map(|r| r.to_string()).unwrap_or_default(),
            m.zones.as_ref().map(|z| z.join(" ")).unwrap_or_default(),
            time(m.updated_at),
        ]
    }
}
