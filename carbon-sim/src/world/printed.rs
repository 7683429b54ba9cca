//! A printed part as the simulator holds it. What a part shares with the other
//! parts of its order, its catalogue entry and its print is held once, behind an
//! `Arc`, and the API's record is put together when it is read: a million
//! printed parts cost about a tenth of what a million API records would.

use std::sync::Arc;

use arcstr::ArcStr;
use carbon_api_gen::enums::PrintedPartStatus;
use carbon_api_gen::{Timestamp, types};
use chrono::{DateTime, Utc};

/// What the printed parts of one part order share.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct OrderLink {
    pub uuid: String,
    pub number: Option<String>,
    /// The order's application (`application_uuid` filters printed parts by it).
    pub application_uuid: Option<String>,
}

/// What the printed parts made from one catalogue entry share.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CatalogLink {
    pub part_number: Option<String>,
    pub model_uuid: Option<String>,
    pub tags: Option<types::PrintedPartTags>,
}

/// What the printed parts laid out in one build share: the build and its print
/// (the uuids are the builds' and prints' table keys where they were made
/// together).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PrintLink {
    pub build_uuid: ArcStr,
    pub print_uuid: ArcStr,
    pub print_id: ArcStr,
}

/// A printed part, and what the API filters it by but does not show: when its
/// print started (`started_after`/`started_before` bound that time).
#[derive(Debug, Clone)]
pub(crate) struct PrintedPartState {
    /// Its uuid, the same allocation as the table's key.
    pub uuid: ArcStr,
    /// The part it is made from, the same allocation as the parts table's key
    /// when the history built both.
    pub part_uuid: ArcStr,
    pub catalog: Arc<CatalogLink>,
    pub order: Arc<OrderLink>,
    /// Its build and print, once packed.
    pub print: Option<Arc<PrintLink>>,
    pub print_started_at: Option<DateTime<Utc>>,
    pub created_at: Option<Timestamp>,
    pub updated_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
    pub status: PrintedPartStatus,
    /// The number in its serial (`SN-0000042`), once complete.
    pub serial: Option<u64>,
}

impl PrintedPartState {
    /// The serial as the API shows it.
    pub(crate) fn serial_number(&self) -> Option<String> {
        self.serial.map(|n| format!("SN-{n:07}"))
    }

    /// The record as the API shows it.
    pub(crate) fn view(&self) -> types::PrintedPart {
        let print = self.print.as_deref();
        types::PrintedPart {
            uuid: self.uuid.to_string(),
            part_uuid: self.part_uuid.to_string(),
            part_number: self.catalog.part_number.clone(),
            model_uuid: self.catalog.model_uuid.clone(),
            tags: self.catalog.tags.clone(),
            part_order_uuid: Some(self.order.uuid.clone()),
            part_order_number: self.order.number.clone(),
            build_uuid: print.map(|p| p.build_uuid.to_string()),
            print_uuid: print.map(|p| p.print_uuid.to_string()),
            print_id: print.map(|p| p.print_id.to_string()),
            serial_number: self.serial_number(),
            status: self.status.clone(),
            created_at: self.created_at,
            updated_at: self.updated_at,
            finished_at: self.finished_at,
            // Never set by the simulator.
            error: None,
            print_order_number: None,
            print_order_uuid: None,
            project_blackline: None,
            resin_cell_name: None,
            resin_lot_number: None,
        }
    }
}
