//! A part as the simulator holds it: its uuid, and its catalogue entry (part
//! number, model, tags) behind an `Arc` that the parts of one order share when
//! the history made them alike.

use std::sync::Arc;

use arcstr::ArcStr;
use carbon_api_gen::types;

/// A part: a model under a part number.
#[derive(Debug, Clone)]
pub(crate) struct PartState {
    /// Its uuid, the same allocation as the table's key.
    pub uuid: ArcStr,
    /// Everything else; its own `uuid` is not read.
    pub entry: Arc<types::Part>,
}

impl PartState {
    /// The record as the API shows it.
    pub(crate) fn view(&self) -> types::Part {
        types::Part {
            uuid: self.uuid.to_string(),
            ..(*self.entry).clone()
        }
    }
}
