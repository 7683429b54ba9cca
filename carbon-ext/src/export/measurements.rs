//! The measurements export: part measurements joined with their printed part
//! (serial and part number) and their template (name, units, limits).

use std::sync::Arc;

use futures::stream::BoxStream;

use super::BATCH;
use super::batches::{joined, until_error};
use super::filters::MeasurementFilters;
use super::lookup::{Found, Lookup, listing_lookup};
use super::row::{MeasurementRow, PartFacts};
use super::state::{ExportState, Incremental, newest_first};
use crate::paginate::{LenientItem, PaginateExt};
use crate::{Client, Error, RunExt, Timestamp, types};

/// The most printed parts kept from earlier batches.
const PART_CACHE: usize = 32_768;
/// The most templates kept: an account has few.
const TEMPLATE_CACHE: usize = 4_096;

/// What an [`ExportState`] of this export is called.
const EXPORT: &str = "part_measurements";

impl Client {
    /// Every part measurement that matches `filters`, joined with its printed
    /// part and its template, as a stream of rows (see [the module](crate::export)
    /// for what is guaranteed).
    pub fn export_measurements(
        &self,
        filters: &MeasurementFilters,
    ) -> BoxStream<'static, Result<LenientItem<MeasurementRow>, Error>> {
        let listing = filters
            .apply(self.get_part_measurements())
            .limit(BATCH as u64)
            .sort(vec!["uuid".to_string()])
            .items_lenient();
        let parts = part_lookup(self.clone());
        let templates = template_lookup(self.clone());
        until_error(joined(
            listing,
            |m: &types::PartMeasurement| m.uuid.as_deref(),
            move |batch| join(parts.clone(), templates.clone(), batch),
        ))
    }

    /// The part measurements that changed since the run that left `previous`,
    /// as [`Client::export_printed_parts_since`] does for printed parts.
    pub async fn export_measurements_since(
        &self,
        filters: &MeasurementFilters,
        previous: Option<ExportState>,
    ) -> Result<Incremental<MeasurementRow>, Error> {
        let newest = |from| async move {
            let page = filters
                .apply(self.get_part_measurements())
                .updated_after(from)
                .limit(1u64);
            let found = page.sort(newest_first()).run().await?.part_measurements;
            Ok(found.and_then(|found| found.into_iter().next()?.updated_at))
        };
        let rows = |list_from| {
            self.export_measurements(&MeasurementFilters {
                updated_after: list_from,
                ..filters.clone()
            })
        };
        Incremental::begin(EXPORT, filters, filters.updated_after, previous, newest, rows, changed).await
    }
}

/// What a measurement is known by across runs.
fn changed(row: &MeasurementRow) -> Option<(&str, Timestamp)> {
    Some((row.measurement.uuid.as_deref()?, row.measurement.updated_at?))
}

/// A template under its uuid (`None` without one).
fn by_uuid(template: &types::PartMeasurementTemplate) -> Option<(String, types::PartMeasurementTemplate)> {
    Some((template.uuid.clone()?, template.clone()))
}

/// Printed parts by uuid.
fn part_lookup(client: Client) -> Arc<Lookup<PartFacts>> {
    listing_lookup!(PART_CACHE, client.get_printed_parts(), uuid, PartFacts::by_uuid)
}

/// Measurement templates by uuid, kept whole (an account has few).
fn template_lookup(client: Client) -> Arc<Lookup<types::PartMeasurementTemplate>> {
    listing_lookup!(TEMPLATE_CACHE, client.get_part_measurement_templates(), uuid, by_uuid)
}

/// The rows of a batch: its measurements with their parts and templates.
async fn join(
    parts: Arc<Lookup<PartFacts>>,
    templates: Arc<Lookup<types::PartMeasurementTemplate>>,
    batch: Vec<LenientItem<types::PartMeasurement>>,
) -> Result<Vec<LenientItem<MeasurementRow>>, Error> {
    let decoded = || batch.iter().filter_map(|m| m.as_ref().ok());
    let part_ids = decoded().filter_map(|m| m.printed_part_uuid.as_deref());
    let template_ids = decoded().filter_map(|m| m.part_measurement_template_uuid.as_deref());
    let (found_parts, found_templates) = futures::try_join!(parts.resolve(part_ids), templates.resolve(template_ids))?;
    Ok(batch
        .into_iter()
        .map(|m| {
            m.map(|measurement| MeasurementRow {
                part: find(&measurement.printed_part_uuid, &found_parts),
                template: find(&measurement.part_measurement_template_uuid, &found_templates),
                measurement,
            })
        })
        .collect())
}

fn find<V>(id: &Option<String>, found: &Found<V>) -> Option<Arc<V>> {
    id.as_ref().and_then(|id| found.get(id).cloned().flatten())
}
