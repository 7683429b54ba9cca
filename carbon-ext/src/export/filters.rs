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
    pub part_order_uuid: Vec<String>,
    /// Only the parts of these applications.
    pub application_uuid: Vec<String>,
    /// Only parts in this status.
    pub status: Option<enums::PrintedPartStatus>,
    /// Only parts whose print started and finished in these bounds.
    #[serde(flatten)]
    pub print_times: PrintTimes,
    /// Only parts changed at or after this time (an incremental run moves it
    /// forward; it is not part of what an [`ExportState`](super::ExportState)
    /// belongs to).
    #[serde(skip)]
    pub updated_after: Option<Timestamp>,
}

/// Which prints to export: by default those in [`PRINT_STATUSES`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct PrintFilters {
    /// The statuses asked for, 1 to 5 (the API's limit).
    pub status: Vec<String>,
    /// Only prints on these printers.
    pub printer_serial: Vec<String>,
    /// Only prints of these print orders.
    pub print_order_uuid: Vec<String>,
    /// Only prints that started and finished in these bounds.
    #[serde(flatten)]
    pub print_times: PrintTimes,
}

/// When a print ran, as the printed-parts and prints exports filter it: a
/// bound is left out when `None` (none by default).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct PrintTimes {
    /// Started at or after this time.
    pub started_after: Option<Timestamp>,
    /// Started before this time.
    pub started_before: Option<Timestamp>,
    /// Finished at or after this time.
    pub finished_after: Option<Timestamp>,
    /// Finished before this time.
    pub finished_before: Option<Timestamp>,
}

impl Default for PrintFilters {
    fn default() -> Self {
        Self {
            status: PRINT_STATUSES.iter().map(|s| s.to_string()).collect(),
            printer_serial: Vec::new(),
            print_order_uuid: Vec::new(),
            print_times: PrintTimes::default(),
        }
    }
}

/// The API's date filters on prints are text: RFC 3339, to the nanosecond.
pub(super) fn print_time(t: Timestamp) -> String {
    chrono::DateTime::<chrono::Utc>::from(t).to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// Which part measurements to export (all of them by default).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct MeasurementFilters {
    /// Only the measurements of these printed parts.
    pub printed_part_uuid: Vec<String>,
    /// Only the measurements of these applications.
    pub application_uuid: Vec<String>,
    /// Only measurements changed at or after this time (moved forward by an
    /// incremental run, like [`PartFilters::updated_after`]).
    #[serde(skip)]
    pub updated_after: Option<Timestamp>,
}

impl PartFilters {
    pub(super) fn apply<'a>(&self, request: builder::GetPrintedParts<'a>) -> builder::GetPrintedParts<'a> {
        let times = self.print_times;
        request
            .given(values_if_any(&self.part_order_uuid), |r, v| r.part_order_uuid(v))
            .given(values_if_any(&self.application_uuid), |r, v| r.application_uuid(v))
            .given(self.status.clone(), |r, v| r.status(v))
            .given(times.started_after, |r, t| r.started_after(t))
            .given(times.started_before, |r, t| r.started_before(t))
            .given(times.finished_after, |r, t| r.finished_after(t))
            .given(times.finished_before, |r, t| r.finished_before(t))
            .given(self.updated_after, |r, t| r.updated_after(t))
    }
}

impl PrintFilters {
    pub(super) fn apply<'a>(&self, request: builder::GetPrints<'a>) -> builder::GetPrints<'a> {
        let times = self.print_times;
        request
            .status(self.status.clone())
            .given(values_if_any(&self.printer_serial), |r, v| r.printer_serial(v))
            .given(values_if_any(&self.print_order_uuid), |r, v| r.print_order_uuid(v))
            .given(times.started_after.map(print_time), |r, t| r.started_after(t))
            .given(times.started_before.map(print_time), |r, t| r.started_before(t))
            .given(times.finished_after.map(print_time), |r, t| r.finished_after(t))
            .given(times.finished_before.map(print_time), |r, t| r.finished_before(t))
    }
}

impl MeasurementFilters {
    pub(super) fn apply<'a>(&self, request: builder::GetPartMeasurements<'a>) -> builder::GetPartMeasurements<'a> {
        request
            .given(values_if_any(&self.printed_part_uuid), |r, v| r.printed_part_uuid(v))
            .given(values_if_any(&self.application_uuid), |r, v| r.application_uuid(v))
            .given(self.updated_after, |r, t| r.updated_after(t))
    }
}

/// Setting a request's parameter only when the filter has a value: an unset
/// filter sends nothing (the API's "all").
trait Given: Sized {
    /// `set(self, value)` when there is a value, else `self` as it is.
    fn given<T>(self, value: Option<T>, set: impl FnOnce(Self, T) -> Self) -> Self {
        match value {
            Some(value) => set(self, value),
            None => self,
        }
    }
}

impl<'a> Given for builder::GetPrintedParts<'a> {}
impl<'a> Given for builder::GetPrints<'a> {}
impl<'a> Given for builder::GetPartMeasurements<'a> {}

/// A list filter's values, or none when it is empty (array filters take at
/// least one value).
fn values_if_any(values: &[String]) -> Option<Vec<String>> {
    (!values.is_empty()).then(|| values.to_vec())
}
