//! Which records an export takes: the filters of each export, as the listing's
//! query parameters.

use carbon_api_gen::builder;
use serde::Serialize;

use super::PRINT_STATUSES;
use crate::{Timestamp, enums};

/// Which printed parts to export (all of them by default).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct PartFilters {
    /// Only the parts of these part orders.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub part_order_uuid: Vec<String>,
    /// Only the parts of these applications.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub application_uuid: Vec<String>,
    /// Only parts in this status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<enums::PrintedPartStatus>,
    /// Only parts whose print started at or after this time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_after: Option<Timestamp>,
    /// Only parts whose print started before this time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_before: Option<Timestamp>,
    /// Only parts finished at or after this time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_after: Option<Timestamp>,
    /// Only parts finished before this time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_before: Option<Timestamp>,
    /// Only parts changed at or after this time (an incremental run moves it
    /// forward; it is not part of what an [`ExportState`](super::ExportState)
    /// belongs to).
    #[serde(skip)]
    pub updated_after: Option<Timestamp>,
}

impl PartFilters {
    pub(super) fn apply<'a>(&self, mut request: builder::GetPrintedParts<'a>) -> builder::GetPrintedParts<'a> {
        if !self.part_order_uuid.is_empty() {
            request = request.part_order_uuid(self.part_order_uuid.clone());
        }
        if !self.application_uuid.is_empty() {
            request = request.application_uuid(self.application_uuid.clone());
        }
        if let Some(status) = &self.status {
            request = request.status(status.clone());
        }
        if let Some(t) = self.started_after {
            request = request.started_after(t);
        }
        if let Some(t) = self.started_before {
            request = request.started_before(t);
        }
        if let Some(t) = self.finished_after {
            request = request.finished_after(t);
        }
        if let Some(t) = self.finished_before {
            request = request.finished_before(t);
        }
        if let Some(t) = self.updated_after {
            request = request.updated_after(t);
        }
        request
    }
}

/// Which prints to export: by default those in [`PRINT_STATUSES`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct PrintFilters {
    /// The statuses asked for, 1 to 5 (the API's limit).
    pub status: Vec<String>,
    /// Only prints on these printers.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub printer_serial: Vec<String>,
    /// Only prints of these print orders.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub print_order_uuid: Vec<String>,
    /// Only prints started at or after this time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_after: Option<Timestamp>,
    /// Only prints started before this time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_before: Option<Timestamp>,
    /// Only prints finished at or after this time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_after: Option<Timestamp>,
    /// Only prints finished before this time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_before: Option<Timestamp>,
}

impl Default for PrintFilters {
    fn default() -> Self {
        Self {
            status: PRINT_STATUSES.iter().map(|s| s.to_string()).collect(),
            printer_serial: Vec::new(),
            print_order_uuid: Vec::new(),
            started_after: None,
            started_before: None,
            finished_after: None,
            finished_before: None,
        }
    }
}

/// The API's date filters on prints are text: RFC 3339, to the nanosecond.
pub(super) fn print_time(t: Timestamp) -> String {
    chrono::DateTime::<chrono::Utc>::from(t).to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

impl PrintFilters {
    pub(super) fn apply<'a>(&self, mut request: builder::GetPrints<'a>) -> builder::GetPrints<'a> {
        request = request.status(self.status.clone());
        if !self.printer_serial.is_empty() {
            request = request.printer_serial(self.printer_serial.clone());
        }
        if !self.print_order_uuid.is_empty() {
            request = request.print_order_uuid(self.print_order_uuid.clone());
        }
        if let Some(t) = self.started_after {
            request = request.started_after(print_time(t));
        }
        if let Some(t) = self.started_before {
            request = request.started_before(print_time(t));
        }
        if let Some(t) = self.finished_after {
            request = request.finished_after(print_time(t));
        }
        if let Some(t) = self.finished_before {
            request = request.finished_before(print_time(t));
        }
        request
    }
}

/// Which part measurements to export (all of them by default).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct MeasurementFilters {
    /// Only the measurements of these printed parts.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub printed_part_uuid: Vec<String>,
    /// Only the measurements of these applications.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub application_uuid: Vec<String>,
    /// Only measurements changed at or after this time (moved forward by an
    /// incremental run, like [`PartFilters::updated_after`]).
    #[serde(skip)]
    pub updated_after: Option<Timestamp>,
}

impl MeasurementFilters {
    pub(super) fn apply<'a>(&self, mut request: builder::GetPartMeasurements<'a>) -> builder::GetPartMeasurements<'a> {
        if !self.printed_part_uuid.is_empty() {
            request = request.printed_part_uuid(self.printed_part_uuid.clone());
        }
        if !self.application_uuid.is_empty() {
            request = request.application_uuid(self.application_uuid.clone());
        }
        if let Some(t) = self.updated_after {
            request = request.updated_after(t);
        }
        request
    }
}
