//! A part measurement as the simulator holds it: the measured part and the
//! template are the allocations their own tables key by, and the zones are held
//! once per template, so a measurement costs its own value and time.

use std::sync::Arc;

use arcstr::ArcStr;
use carbon_api_gen::enums::MeasurementResult;
use carbon_api_gen::{Timestamp, types};

/// One measurement of a printed part against a template.
#[derive(Debug, Clone)]
pub(crate) struct MeasurementState {
    /// Its uuid, the same allocation as the table's key.
    pub uuid: ArcStr,
    pub printed_part_uuid: ArcStr,
    pub template_uuid: ArcStr,
    pub value: Option<f64>,
    pub result: Option<MeasurementResult>,
    pub zones: Option<Arc<[String]>>,
    pub updated_at: Option<Timestamp>,
}

impl MeasurementState {
    /// The record as the API shows it.
    pub(crate) fn view(&self) -> types::PartMeasurement {
        types::PartMeasurement {
            uuid: Some(self.uuid.to_string()),
            printed_part_uuid: Some(self.printed_part_uuid.to_string()),
            part_measurement_template_uuid: Some(self.template_uuid.to_string()),
            value: self.value,
            measurement_result: self.result.clone(),
            zones: self.zones.as_ref().map(|z| z.to_vec()),
            updated_at: self.updated_at,
            ..Default::default()
        }
    }
}
