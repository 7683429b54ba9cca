//! The simulated account: every record, and the clock that moves orders, builds,
//! prints and model program runs through their lifecycles.

use std::collections::BTreeMap;
use std::time::Instant;

pub(crate) use crate::files::StoredFile;
use crate::indexes;
use crate::table::Table;

use carbon_api_gen::enums::{ModelProgramRunStatus, PartOrderStatus, PrintedPartStatus};
use carbon_api_gen::types;
use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

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

pub(crate) struct OrderState {
    pub order: types::PartOrder,
    pub created: DateTime<Utc>,
    /// When the packer laid its parts out (with other orders' where they fit).
    pub packed_at: Option<DateTime<Utc>>,
    pub finished: bool,
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
    pub parts: Table<types::Part>,
    pub orders: Table<OrderState>,
    pub printed_parts: Table<types::PrintedPart>,
    pub builds: Table<types::Build>,
    pub prints: Table<types::ModelPrint>,
    pub print_orders: Table<PrintOrderState>,
    pub printers: Vec<types::Printer>,
    pub queues: BTreeMap<String, Vec<String>>,
    pub runs: BTreeMap<String, RunState>,
    pub templates: Vec<types::PartMeasurementTemplate>,
    pub measurements: Table<types::PartMeasurement>,
    pub attachments: BTreeMap<String, (String, bytes::Bytes)>,
    /// Pending uploads, finished runs and finished part orders kept (each).
    retention: usize,
    /// A run or part order finished since the last trim (only then can one be due).
    pub finished_lately: bool,
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
            retention,
            finished_lately: false,
            next_print_id: 1000,
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

    /// A finished part order with `count` printed parts, their builds and prints.
    fn seed_history(&mut self, count: usize) {
        let created = self.clock.now() - Duration::days(2);
        let model_uuid = self.uuid();
        self.models.insert(
            model_uuid.clone(),
            typed(json!({"uuid": model_uuid, "filename": "seed.stl", "file_size_bytes": 5})),
        );
        self.files.insert(model_uuid.clone(), StoredFile::of(b"solid"));
        let mut refs = Vec::new();
        for _ in 0..count {
            let part_uuid = self.uuid();
            self.parts.insert(
                part_uuid.clone(),
                typed(json!({"uuid": part_uuid, "part_number": "SEED-1", "model_uuid": model_uuid})),
            );
            refs.push(part_uuid);
        }
        let order_uuid = self.uuid();
        let order: types::PartOrder = typed(json!({
            "uuid": order_uuid, "part_order_number": "SEED-ORDER", "due_date": created, "created_at": created,
            "updated_at": created, "status": "open", "build_uuids": [], "printed_parts": []
        }));
        self.orders.insert(
            order_uuid.clone(),
            OrderState {
                order,
                created,
                packed_at: None,
                finished: false,
            },
        );
        self.create_printed_parts(&order_uuid, &refs, created);
        self.advance_to(created + Duration::seconds(DONE_AFTER_S + 1));
        // A wall-thickness measurement of every seeded printed part.
        let template = self.templates[0].uuid.clone();
        let measured_at = created + Duration::seconds(DONE_AFTER_S + 60);
        let printed: Vec<String> = self.orders[&order_uuid]
            .order
            .printed_parts
            .iter()
            .map(|r| r.uuid.clone())
            .collect();
        for (i, printed_part) in printed.iter().enumerate() {
            let uuid = self.uuid();
            let value = 0.9 + (i % 5) as f64 * 0.05;
            let result = if value > 1.2 { "fail" } else { "pass" };
            self.measurements.insert(
                uuid.clone(),
                typed(json!({
                    "uuid": uuid, "printed_part_uuid": printed_part, "part_measurement_template_uuid": template,
                    "value": value, "measurement_result": result, "zones": ["A"], "updated_at": measured_at
                })),
            );
        }
    }

    pub(crate) fn create_printed_parts(&mut self, order_uuid: &str, part_uuids: &[String], at: DateTime<Utc>) {
        let mut refs = Vec::new();
        let (number, app) = {
            let order = &self.orders[order_uuid].order;
            (order.part_order_number.clone(), order.application_uuid.clone())
        };
        for part_uuid in part_uuids {
            let uuid = self.uuid();
            let part = &self.parts[part_uuid];
            let printed: types::PrintedPart = typed(json!({
                "uuid": uuid, "part_uuid": part_uuid, "status": "waiting", "part_number": part.part_number,
                "model_uuid": part.model_uuid, "part_order_uuid": order_uuid, "part_order_number": number,
                "created_at": at, "updated_at": at, "application_uuid": app,
                "tags": {"part": part.part_tags, "part_number": part.part_number_tags, "printed_part": {}}
            }));
            refs.push(typed::<types::PrintedPartRef>(
                json!({"uuid": uuid, "part_uuid": part_uuid, "status": "waiting"}),
            ));
            self.printed_parts.insert(uuid, printed);
        }
        self.orders.update(order_uuid, |o| o.order.printed_parts = refs);
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
            let done = |r: &RunState| {
                (!matches!(
                    r.run.status,
                    ModelProgramRunStatus::Pending | ModelProgramRunStatus::Preparing
                ))
                .then_some(r.created)
            };
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

    /// Moves everything to the current simulated time, then trims what is due.
    pub(crate) fn advance(&mut self) {
        let now = self.clock.now();
        self.advance_to(now);
        self.trim();
    }

    fn advance_to(&mut self, now: DateTime<Utc>) {
        let open: Vec<String> = self
            .orders
            .iter()
            .filter(|(_, o)| !o.finished)
            .map(|(k, _)| k.clone())
            .collect();
        for uuid in open {
            self.advance_order(&uuid, now);
        }
        let runs: Vec<String> = self
            .runs
            .iter()
            .filter(|(_, r)| {
                !matches!(
                    r.run.status,
                    ModelProgramRunStatus::Complete | ModelProgramRunStatus::Failed
                )
            })
            .map(|(k, _)| k.clone())
            .collect();
        for uuid in runs {
            self.advance_run(&uuid, now);
        }
        let print_orders: Vec<String> = self.print_orders.keys().cloned().collect();
        for uuid in print_orders {
            self.advance_print_order(&uuid, now);
        }
    }

    fn advance_order(&mut self, uuid: &str, now: DateTime<Utc>) {
        let state = &self.orders[uuid];
        if state.order.status == Some(PartOrderStatus::Canceled) {
            self.orders.update(uuid, |o| o.finished = true);
            self.finished_lately = true;
            return;
        }
        let age = (now - state.created).num_seconds();
        let flushed = state.order.flushed_at.is_some();
        let pack_after = if flushed { PACK_AFTER_S / 2 } else { PACK_AFTER_S };
        if age >= pack_after && state.packed_at.is_none() {
            self.pack(uuid, state.created + Duration::seconds(pack_after));
        }
        let state = &self.orders[uuid];
        // After packing, the stages follow the packing time, which orders packed
        // together share (their prints are the same).
        let stage = match state.packed_at {
            None if age >= PREPARE_AFTER_S => PrintedPartStatus::Preparing,
            None => PrintedPartStatus::Waiting,
            Some(at) => match (now - at).num_seconds() + PACK_AFTER_S {
                since if since >= DONE_AFTER_S => PrintedPartStatus::Complete,
                since if since >= PRINT_AFTER_S => PrintedPartStatus::Printing,
                _ => PrintedPartStatus::Queued,
            },
        };
        let created = state
            .packed_at
            .map_or(state.created, |at| at - Duration::seconds(PACK_AFTER_S));
        let refs: Vec<String> = state.order.printed_parts.iter().map(|r| r.uuid.clone()).collect();
        let mut serials = Vec::new();
        for printed_uuid in &refs {
            if self.printed_parts.get(printed_uuid).is_none_or(|p| p.status == stage) {
                continue;
            }
            self.printed_parts.update(printed_uuid, |part| {
                part.status = stage.clone();
                part.updated_at = Some(now.into());
                if stage == PrintedPartStatus::Complete {
                    part.finished_at = Some((created + Duration::seconds(DONE_AFTER_S)).into());
                    serials.push(printed_uuid.clone());
                }
            });
        }
        for printed_uuid in serials {
            let serial = format!("SN-{:07}", self.next_serial);
            self.next_serial += 1;
            self.printed_parts
                .update(&printed_uuid, |p| p.serial_number = Some(serial));
        }
        // Prints follow their printed parts; a finished print leaves its printer's queue.
        let builds = self.orders[uuid].order.build_uuids.clone().unwrap_or_default();
        let prints_of = |prints: &Table<types::ModelPrint>, build: &str| -> Vec<String> {
            let by_build = prints.index("build_uuid").expect("prints are indexed by build");
            by_build.keys_equal(build, None, false).map(|k| k.to_string()).collect()
        };
        if stage == PrintedPartStatus::Complete {
            let done: Vec<String> = builds.iter().flat_map(|b| prints_of(&self.prints, b)).collect();
            for queue in self.queues.values_mut() {
                queue.retain(|u| !done.contains(u));
            }
        }
        for build in &builds {
            let print_status = match stage {
                PrintedPartStatus::Complete => Some("finished"),
                PrintedPartStatus::Printing => Some("printing"),
                _ => None,
            };
            let started = created + Duration::seconds(PRINT_AFTER_S);
            let finished = created + Duration::seconds(DONE_AFTER_S);
            let Some(status) = print_status else { continue };
            for print_uuid in prints_of(&self.prints, build) {
                if self
                    .prints
                    .get(&print_uuid)
                    .is_some_and(|p| p.status.as_deref() == Some(status))
                {
                    continue;
                }
                self.prints.update(&print_uuid, |print| {
                    print.status = Some(status.to_string());
                    print.started_at = Some(started.into());
                    if status == "finished" {
                        print.finished_at = Some(finished.into());
                        print.remaining_sec = Some(0);
                    }
                });
            }
        }
        let status = match stage {
            PrintedPartStatus::Waiting => PartOrderStatus::Open,
            PrintedPartStatus::Complete => PartOrderStatus::Complete,
            _ => PartOrderStatus::Processing,
        };
        self.orders.update(uuid, |order| {
            for r in &mut order.order.printed_parts {
                r.status = stage.clone();
            }
            if order.order.status.as_ref() != Some(&status) {
                order.order.status = Some(status.clone());
                order.order.updated_at = Some(now.into());
            }
            if status == PartOrderStatus::Complete {
                order.finished = true;
            }
        });
        self.finished_lately |= status == PartOrderStatus::Complete;
    }

    /// The orders the packer lays out together with `order_uuid`: those not packed
    /// yet that share its Build SOP and packing group (builds only mix such orders).
    fn packing_mates(&self, order_uuid: &str) -> Vec<String> {
        let key = |o: &types::PartOrder| {
            (
                o.build_sop_uuid.clone(),
                o.packing_group.as_ref().map(|g| g.to_string()),
            )
        };
        let wanted = key(&self.orders[order_uuid].order);
        let mut mates: Vec<(DateTime<Utc>, String)> = self
            .orders
            .iter()
            .filter(|(_, s)| s.packed_at.is_none() && !s.finished && key(&s.order) == wanted)
            .filter(|(_, s)| s.order.status != Some(PartOrderStatus::Canceled))
            .map(|(k, s)| (s.created, k.clone()))
            .collect();
        mates.sort();
        mates.into_iter().map(|(_, k)| k).collect()
    }

    /// The packer: lays the printed parts of an order, and of the orders waiting
    /// with it, out into builds, each with a traveler and a print queued on a
    /// printer. A build may hold parts of several orders.
    fn pack(&mut self, order_uuid: &str, at: DateTime<Utc>) {
        let mut orders = self.packing_mates(order_uuid);
        if !orders.iter().any(|o| o == order_uuid) {
            orders.insert(0, order_uuid.to_string());
        }
        let refs: Vec<(String, String)> = orders
            .iter()
            .flat_map(|o| {
                self.orders[o]
                    .order
                    .printed_parts
                    .iter()
                    .map(move |r| (o.clone(), r.uuid.clone()))
            })
            .collect();
        let (group, app) = {
            let o = &self.orders[order_uuid].order;
            (
                o.packing_group.as_ref().map(|g| g.to_string()),
                o.application_uuid.clone(),
            )
        };
        let mut builds_of: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for chunk in refs.chunks(PARTS_PER_BUILD) {
            let build_uuid = self.uuid();
            let traveler = self.uuid();
            let video = self.uuid();
            let parts: Vec<Value> = chunk
                .iter()
                .filter_map(|(_, pp)| self.printed_parts.get(pp))
                .filter_map(|pp| self.parts.get(&pp.part_uuid))
                .map(|p| serde_json::to_value(p).unwrap())
                .collect();
            let mut served: Vec<&String> = chunk.iter().map(|(o, _)| o).collect();
            served.dedup();
            let part_orders: Vec<Value> = served
                .iter()
                .map(|o| {
                    json!({"uuid": o, "part_order_number": self.orders[*o].order.part_order_number, "status": "processing"})
                })
                .collect();
            let build: types::Build = typed(json!({
                "uuid": build_uuid, "name": format!("Build {}", &build_uuid[..8]), "revision": "1", "status": "Released",
                "application_uuid": app, "packing_group": group, "created_at": at, "updated_at": at, "parts": parts,
                "attachments": [{"filename": "traveler.pdf", "uuid": traveler}, {"filename": "slice.mp4", "uuid": video}],
                "part_orders": part_orders
            }));
            for o in served {
                builds_of.entry(o.clone()).or_default().push(build_uuid.clone());
            }
            self.attachments.insert(
                traveler,
                ("traveler.pdf".into(), traveler_pdf(&build_uuid, chunk.len())),
            );
            self.attachments.insert(
                video,
                (
                    "slice.mp4".into(),
                    bytes::Bytes::from_static(b"\x00\x00\x00\x18ftypmp42 simulated slice video"),
                ),
            );
            self.builds.insert(build_uuid.clone(), build);
            let printer = self.printers[self.next_printer % self.printers.len()].serial.clone();
            self.next_printer += 1;
            let print_uuid = self.uuid();
            let print_id = format!("P-{}", self.next_print_id);
            self.next_print_id += 1;
            let print: types::ModelPrint = typed(json!({
                "uuid": print_uuid, "print_id": print_id, "build_uuid": build_uuid, "name": format!("Print of {}", &build_uuid[..8]),
                "status": "queued", "remaining_sec": DONE_AFTER_S - PRINT_AFTER_S,
                "origin": {"printer_serial": printer, "platform_serial": format!("PL-{}", &print_uuid[..6]), "software_version": "2.4.1"},
                "config": {"resin_name": "RPU 70", "print_profile": "standard", "slice_thickness_nm": 100000, "release_film_nm": 0},
                "metrics": {"consumed_resin_volume_ml": 42.5, "average_speed_mmhr": 80}
            }));
            self.queues.entry(printer).or_default().push(print_uuid.clone());
            for (_, pp) in chunk {
                self.printed_parts.update(pp, |part| {
                    part.build_uuid = Some(build_uuid.clone());
                    part.print_uuid = Some(print_uuid.clone());
                    part.print_id = Some(print_id.clone());
                });
            }
            self.prints.insert(print_uuid, print);
        }
        for o in &orders {
            let builds = builds_of.remove(o).unwrap_or_default();
            self.orders.update(o, |state| {
                state.packed_at = Some(at);
                state.order.build_uuids = Some(builds);
            });
        }
    }

    fn advance_run(&mut self, uuid: &str, now: DateTime<Utc>) {
        let state = &self.runs[uuid];
        let age = (now - state.created).num_seconds();
        let (status, progress) = match age {
            a if a < 5 => (ModelProgramRunStatus::Pending, 0.0),
            a if a < 30 => (ModelProgramRunStatus::Preparing, (a as f64 - 5.0) / 25.0),
            _ if state.fails => (ModelProgramRunStatus::Failed, 1.0),
            _ => (ModelProgramRunStatus::Complete, 1.0),
        };
        let fails = state.fails;
        let input = state.input_model.clone();
        let output = if status == ModelProgramRunStatus::Complete && !fails {
            let out = self.uuid();
            let name = input
                .as_ref()
                .and_then(|m| self.models.get(m))
                .map_or("output.stl".to_string(), |m| format!("hollowed-{}", m.filename));
            self.models.insert(
                out.clone(),
                typed(json!({"uuid": out, "filename": name, "file_size_bytes": 5, "created_at": now.to_rfc3339()})),
            );
            self.files.insert(out.clone(), StoredFile::of(b"solid"));
            Some(out)
        } else {
            None
        };
        self.finished_lately |= matches!(status, ModelProgramRunStatus::Complete | ModelProgramRunStatus::Failed);
        let run = &mut self.runs.get_mut(uuid).unwrap().run;
        run.status = status.clone();
        run.progress = progress;
        if let Some(out) = output {
            run.model_uuid = Some(out);
        }
        if status == ModelProgramRunStatus::Failed {
            run.failure_message = Some("the model program could not process the input model".into());
        }
    }

    fn advance_print_order(&mut self, uuid: &str, now: DateTime<Utc>) {
        self.print_orders.update(uuid, |state| {
            let minutes = (now - state.created).num_seconds() / 60;
            if let Some(routes) = state.order.routed_to.as_mut() {
                for route in routes.values_mut() {
                    let queued = route.copies_queued.unwrap_or(0);
                    route.copies_printed = Some(minutes.clamp(0, queued));
                }
            }
        });
    }
}

fn traveler_pdf(build: &str, parts: usize) -> bytes::Bytes {
    bytes::Bytes::from(format!(
        "%PDF-1.4\n% carbon-sim build traveler\n% build {build}\n% parts {parts}\n%%EOF\n"
    ))
}
