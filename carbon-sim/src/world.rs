//! The simulated account: every record it holds, its clock, seeding and
//! retention. The lifecycles (`lifecycle`) and the packer (`packer`) live beside it.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

pub(crate) use crate::files::StoredFile;
use crate::indexes;
use crate::table::Table;

use arcstr::ArcStr;
use carbon_api_gen::enums::PrintedPartStatus;
use carbon_api_gen::types;
use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

mod catalog;
mod history;
mod lifecycle;
mod live;
mod measured;
mod packer;
mod printed;

pub(crate) use catalog::PartState;
pub(crate) use measured::MeasurementState;
pub(crate) use printed::{CatalogLink, OrderLink, PrintLink, PrintedPartState};

/// Simulated seconds from a part order's creation to each stage of its printed parts.
pub(crate) const PREPARE_AFTER_S: i64 = 20;
pub(crate) const PACK_AFTER_S: i64 = 60;
pub(crate) const PRINT_AFTER_S: i64 = 120;
pub(crate) const DONE_AFTER_S: i64 = 300;
/// Parts per build the packer lays out at most.
pub(crate) const PARTS_PER_BUILD: usize = 8;

/// Simulated time: real time since start, times `speed`.
#[derive(Debug, Clone)]
pub(crate) struct Clock {
    real_start: Instant,
    sim_start: DateTime<Utc>,
    speed: f64,
    /// Time skipped on purpose (tests), on top of the running clock.
    skipped: Duration,
}

impl Clock {
    pub(crate) fn new(speed: f64) -> Self {
        Self {
            real_start: Instant::now(),
            sim_start: Utc::now(),
            speed,
            skipped: Duration::zero(),
        }
    }

    pub(crate) fn now(&self) -> DateTime<Utc> {
        let elapsed = self.real_start.elapsed().as_secs_f64() * self.speed;
        self.sim_start + Duration::milliseconds((elapsed * 1000.0) as i64) + self.skipped
    }

    /// Moves simulated time forward by `by` at once.
    pub(crate) fn skip(&mut self, by: Duration) {
        self.skipped += by;
    }
}

/// A part order. Its printed parts are held once, in the printed parts table:
/// `order.printed_parts` stays empty and [`OrderState::view`] reads them.
pub(crate) struct OrderState {
    pub order: types::PartOrder,
    /// Its printed parts, in the order they were created.
    pub printed: Vec<ArcStr>,
    pub created: DateTime<Utc>,
    /// When the packer laid its parts out (with other orders' where they fit).
    pub packed_at: Option<DateTime<Utc>>,
    pub finished: bool,
}

impl OrderState {
    /// The order as the API shows it, with a reference to each printed part.
    pub(crate) fn view(&self, printed_parts: &Table<PrintedPartState>) -> types::PartOrder {
        let refs = self
            .printed
            .iter()
            .filter_map(|uuid| printed_parts.get(uuid))
            .map(|p| types::PrintedPartRef {
                uuid: p.uuid.to_string(),
                part_uuid: p.part_uuid.to_string(),
                status: p.status.clone(),
            })
            .collect();
        types::PartOrder {
            printed_parts: refs,
            ..self.order.clone()
        }
    }
}

/// A build. Its parts are held once, in the parts table: `build.parts` stays
/// empty and [`BuildState::view`] reads them.
pub(crate) struct BuildState {
    pub build: types::Build,
    /// The uuids of the parts laid out in it.
    pub parts: Vec<ArcStr>,
}

impl BuildState {
    /// The build as the API shows it.
    pub(crate) fn view(&self, parts: &Table<PartState>) -> types::Build {
        types::Build {
            parts: self
                .parts
                .iter()
                .filter_map(|uuid| parts.get(uuid))
                .map(PartState::view)
                .collect(),
            ..self.build.clone()
        }
    }
}

pub(crate) struct RunState {
    pub run: types::ModelProgramRun,
    pub created: DateTime<Utc>,
    pub input_model: Option<String>,
    pub fails: bool,
}

pub(crate) struct PrintOrderState {
    pub order: types::PrintOrder,
    pub created: DateTime<Utc>,
}

/// An upload that has a presigned URL but is not resolved yet.
pub(crate) struct PendingUpload {
    pub etag: Option<String>,
    pub file: Option<StoredFile>,
    pub created: DateTime<Utc>,
    /// Order of creation (uploads created in the same millisecond still have one).
    pub seq: u64,
}

pub(crate) struct World {
    pub clock: Clock,
    rng: fastrand::Rng,
    pub applications: Vec<types::Application>,
    pub models: BTreeMap<String, types::Model>,
    pub files: BTreeMap<String, StoredFile>,
    pub pending_uploads: BTreeMap<String, PendingUpload>,
    pub resolved_etags: BTreeMap<String, String>,
    pub parts: Table<PartState>,
    /// The application each part was created under (parts do not show it; a part
    /// order takes its parts' application).
    pub part_apps: BTreeMap<String, String>,
    /// Part orders; new ones go in through `add_order` (as runs and print orders
    /// through theirs), so that the clock moves them.
    pub orders: Table<OrderState>,
    pub printed_parts: Table<PrintedPartState>,
    pub builds: Table<BuildState>,
    pub prints: Table<types::ModelPrint>,
    pub print_orders: Table<PrintOrderState>,
    pub printers: Vec<types::Printer>,
    pub queues: BTreeMap<String, Vec<String>>,
    pub runs: BTreeMap<String, RunState>,
    pub templates: Vec<types::PartMeasurementTemplate>,
    pub measurements: Table<MeasurementState>,
    pub attachments: BTreeMap<String, (String, bytes::Bytes)>,
    /// What the clock still moves.
    live: live::Live,
    /// Pending uploads, finished runs and finished part orders kept (each).
    retention: usize,
    /// A run or part order finished since the last trim (only then can one be due).
    finished_lately: bool,
    next_print_id: u64,
    next_upload: u64,
    next_serial: u64,
    next_printer: usize,
}

pub(crate) fn typed<T: serde::de::DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value).expect("the simulator builds records that match the API document")
}

impl World {
    pub(crate) fn new(seed: u64, speed: f64, printers: usize, printed_parts: usize, retention: usize) -> Self {
        let mut world = Self {
            clock: Clock::new(speed),
            rng: fastrand::Rng::with_seed(seed),
            applications: Vec::new(),
            models: BTreeMap::new(),
            files: BTreeMap::new(),
            pending_uploads: BTreeMap::new(),
            resolved_etags: BTreeMap::new(),
            parts: indexes::parts(),
            part_apps: BTreeMap::new(),
            orders: indexes::part_orders(),
            printed_parts: indexes::printed_parts(),
            builds: indexes::builds(),
            prints: indexes::prints(),
            print_orders: indexes::print_orders(),
            printers: Vec::new(),
            queues: BTreeMap::new(),
            runs: BTreeMap::new(),
            templates: Vec::new(),
            measurements: indexes::measurements(),
            attachments: BTreeMap::new(),
            live: live::Live::default(),
            retention,
            finished_lately: false,
            next_print_id: history::FIRST_PRINT_ID,
            next_upload: 0,
            next_serial: 1,
            next_printer: 0,
        };
        world.seed(printers.max(1), printed_parts);
        world
    }

    /// A uuid from the seeded generator: the same flags give the same ids.
    pub(crate) fn uuid(&mut self) -> String {
        let mut bytes = [0u8; 16];
        for b in &mut bytes {
            *b = self.rng.u8(..);
        }
        uuid::Builder::from_random_bytes(bytes).into_uuid().to_string()
    }

    fn seed(&mut self, printers: usize, printed_parts: usize) {
        let now = self.clock.now();
        for name in ["Dental", "Footwear"] {
            let uuid = self.uuid();
            self.applications.push(typed(
                json!({"uuid": uuid, "name": name, "description": format!("{name} parts")}),
            ));
        }
        for i in 0..printers {
            let serial = format!("SIM{:03}", i + 1);
            self.printers.push(typed(json!({
                "serial": serial, "name": format!("Printer {}", i + 1), "alias": null, "hw_type": "M2",
                "url": format!("https://print.example/printers/{serial}"), "updated_at": now,
                "status": {"printer_state": "IDLE", "software_version": "2.4.1", "alerts": []},
                "prints": {"queue_length": 0}
            })));
            self.queues.insert(serial, Vec::new());
        }
        for (name, kind, level) in [
            ("Wall thickness", "value", "required"),
            ("Surface", "category", "not_required"),
        ] {
            let uuid = self.uuid();
            self.templates.push(typed(json!({
                "uuid": uuid, "measurement_name": name, "measurement_type": kind, "required_level": level,
                "min": if kind == "value" { json!(0.8) } else { Value::Null }, "max": if kind == "value" { json!(1.2) } else { Value::Null },
                "units": if kind == "value" { json!("mm") } else { Value::Null }, "zones": ["A"], "zones_enabled": false,
                "category_options": if kind == "category" { json!({"pass": ["smooth"], "fail": ["cracked"], "flag": ["rough"]}) } else { Value::Null },
                "updated_at": now, "production_sop_name": "Standard", "production_sop_version": 1
            })));
        }
        if printed_parts > 0 {
            self.seed_history(printed_parts);
        }
    }

    /// Creates the printed parts of a new part order, one per part, waiting.
    pub(crate) fn create_printed_parts(&mut self, order_uuid: &str, part_uuids: &[String], at: DateTime<Utc>) {
        let link = {
            let order = &self.orders[order_uuid].order;
            Arc::new(OrderLink {
                uuid: order_uuid.to_string(),
                number: order.part_order_number.clone(),
                application_uuid: order.application_uuid.clone(),
            })
        };
        let mut printed = Vec::with_capacity(part_uuids.len());
        for part_uuid in part_uuids {
            let uuid: ArcStr = ArcStr::from(self.uuid());
            let Some((part_key, part)) = self.parts.get_key_value(part_uuid) else {
                continue;
            };
            let entry = &part.entry;
            let catalog = CatalogLink {
                part_number: Some(entry.part_number.clone()),
                model_uuid: entry.model_uuid.clone(),
                tags: Some(typed(json!({
                    "part": entry.part_tags, "part_number": entry.part_number_tags, "printed_part": {}
                }))),
            };
            let state = PrintedPartState {
                uuid: uuid.clone(),
                part_uuid: part_key.clone(),
                catalog: Arc::new(catalog),
                order: link.clone(),
                print: None,
                print_started_at: None,
                status: PrintedPartStatus::Waiting,
                serial: None,
                created_at: Some(at.into()),
                updated_at: Some(at.into()),
                finished_at: None,
            };
            self.printed_parts.insert(uuid.clone(), state);
            printed.push(uuid);
        }
        self.orders.update(order_uuid, |o| o.printed = printed);
    }

    /// Keeps at most `retention` pending uploads, finished runs and finished part
    /// orders (each), dropping the oldest: memory stays bounded however long it
    /// serves. Cheap when nothing is due: runs and orders are looked at only after
    /// one finished.
    fn trim(&mut self) {
        let cap = self.retention;
        fn oldest<K: Clone + Ord, T, O: Ord>(
            map: &BTreeMap<K, T>,
            keep: usize,
            done: impl Fn(&T) -> Option<O>,
        ) -> Vec<K> {
            let mut finished: Vec<(O, K)> = map
                .iter()
                .filter_map(|(k, v)| done(v).map(|at| (at, k.clone())))
                .collect();
            if finished.len() <= keep {
                return Vec::new();
            }
            finished.sort();
            let excess = finished.len() - keep;
            finished.into_iter().take(excess).map(|(_, k)| k).collect()
        }
        if self.pending_uploads.len() > cap {
            for key in oldest(&self.pending_uploads, cap, |p| Some((p.created, p.seq))) {
                self.pending_uploads.remove(&key);
            }
        }
        if !std::mem::take(&mut self.finished_lately) {
            return;
        }
        if self.runs.len() > cap {
            let done = |r: &RunState| live::run_done(r).then_some(r.created);
            for key in oldest(&self.runs, cap, done) {
                self.runs.remove(&key);
            }
        }
        if self.orders.len() > cap {
            for key in oldest(&*self.orders, cap, |o| o.finished.then_some(o.created)) {
                self.orders.remove(&key);
            }
        }
    }

    /// The next number in the order pending uploads are created in.
    pub(crate) fn next_upload(&mut self) -> u64 {
        self.next_upload += 1;
        self.next_upload
    }
}
