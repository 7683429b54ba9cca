//! A factory's finished history, built as it stands (no lifecycle replayed):
//! part orders of 20 to 800 parts spread over the last 30 days, in both
//! applications and about 200 part numbers, packed into builds that every
//! printer prints back to back, each printed part with a serial and a
//! measurement. One print in 997 is no longer held (the oldest, `P-1000`, among
//! them), so some parts name a print the API does not return. The same seed gives the same ids and
//! shapes (times follow the simulator's start).

use std::collections::HashSet;

use carbon_api_gen::enums::{PartOrderStatus, PrintedPartStatus};
use carbon_api_gen::types;
use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use super::*;

/// How far back the history reaches.
const SPAN_DAYS: i64 = 30;
/// The sizes of part orders, in parts.
const ORDER_SIZES: std::ops::RangeInclusive<usize> = 20..=800;
/// Part numbers the orders draw from.
const PART_NUMBERS: usize = 200;
/// One print in this many is no longer held, the oldest first.
const PRINTS_MISSING_EVERY: u64 = 997;

/// The most time a printer rests between prints, in ms.
const MAX_GAP_MS: i64 = 500;

/// The id number of the first print (`P-1000`).
pub(super) const FIRST_PRINT_ID: u64 = 1000;

/// What the records of one order share.
struct OrderFacts {
    uuid: String,
    number: String,
    app: Option<String>,
    part_number: String,
    model: String,
    created: DateTime<Utc>,
}

/// When each printer is free, and the starts taken.
struct Schedule {
    free_at: Vec<DateTime<Utc>>,
    starts: HashSet<DateTime<Utc>>,
    print: Duration,
}

impl Schedule {
    /// The next build, ready at `ready`: the printer free first takes it. No two
    /// prints start at once (printers that waited for the same order would), so
    /// that a start time names one print. `gap` ms pass before its next print.
    fn next(&mut self, ready: DateTime<Utc>, gap: i64) -> (usize, DateTime<Utc>, DateTime<Utc>) {
        let printer = (0..self.free_at.len()).min_by_key(|&p| self.free_at[p]).unwrap_or(0);
        let mut started = self.free_at[printer].max(ready);
        while !self.starts.insert(started) {
            started += Duration::milliseconds(1);
        }
        let finished = started + self.print;
        self.free_at[printer] = finished + Duration::milliseconds(gap);
        (printer, started, finished)
    }
}

/// The records the history adds, gathered to be loaded at once.
#[derive(Default)]
struct Rows {
    parts: Vec<(String, types::Part)>,
    printed: Vec<(String, PrintedPartState)>,
    builds: Vec<(String, types::Build)>,
    prints: Vec<(String, types::ModelPrint)>,
    measurements: Vec<(String, types::PartMeasurement)>,
    orders: Vec<(String, OrderState)>,
}

impl World {
    /// Seeds `count` printed parts of finished history (see the module).
    pub(super) fn seed_history(&mut self, count: usize) {
        let now = self.clock.now();
        let start = now - Duration::days(SPAN_DAYS);
        let mut sizes = Vec::new();
        let mut left = count;
        while left > 0 {
            let size = self.rng.usize(ORDER_SIZES).min(left);
            sizes.push(size);
            left -= size;
        }
        let builds: usize = sizes.iter().map(|s| s.div_ceil(PARTS_PER_BUILD)).sum();
        // Each printer prints its builds back to back over the span.
        let printers = self.printers.len().max(1);
        let span_ms = (SPAN_DAYS * 86_400_000) as usize;
        // Orders come in the first 90% of the span and printers are busy at most
        // 90% of it (a print, then up to half a second's gap), so that the last
        // prints finish before now.
        let busy_ms = span_ms / 10 * 9;
        let print_ms = (busy_ms * printers / builds.max(1))
            .saturating_sub(MAX_GAP_MS as usize)
            .clamp(1_000, (DONE_AFTER_S - PRINT_AFTER_S) as usize * 1000);
        let mut schedule = Schedule {
            free_at: (0..printers)
                .map(|p| start + Duration::milliseconds(p as i64 * 137))
                .collect(),
            starts: HashSet::new(),
            print: Duration::milliseconds(print_ms as i64),
        };
        let mut rows = Rows::default();
        let template_uuid = self.templates.first().and_then(|t| t.uuid.clone());
        let apps: Vec<String> = self.applications.iter().map(|a| a.uuid.clone()).collect();
        for (n, size) in sizes.iter().enumerate() {
            let created = start + Duration::milliseconds((busy_ms * n / sizes.len()) as i64);
            let model = self.uuid();
            self.models.insert(
                model.clone(),
                typed(json!({"uuid": model, "filename": format!("order-{n}.stl"), "file_size_bytes": 5})),
            );
            self.files.insert(model.clone(), StoredFile::of(b"solid"));
            let order = OrderFacts {
                uuid: self.uuid(),
                number: format!("SEED-ORDER-{:05}", n + 1),
                app: apps.get(self.rng.usize(..apps.len().max(1))).cloned(),
                part_number: format!("PN-{:03}", self.rng.usize(..PART_NUMBERS)),
                model,
                created,
            };
            self.seed_order(&order, *size, &mut schedule, template_uuid.as_deref(), &mut rows);
        }
        self.parts.extend(rows.parts);
        self.printed_parts.extend(rows.printed);
        self.builds.extend(rows.builds);
        self.prints.extend(rows.prints);
        self.measurements.extend(rows.measurements);
        self.orders.extend(rows.orders);
    }

    /// One finished order of `size` parts: its parts, builds, prints, printed
    /// parts and measurements, into `rows`.
    fn seed_order(
        &mut self,
        order: &OrderFacts,
        size: usize,
        schedule: &mut Schedule,
        template: Option<&str>,
        rows: &mut Rows,
    ) {
        let packed = order.created + Duration::seconds(PACK_AFTER_S);
        let part: types::Part = typed(json!({
            "uuid": "", "part_number": order.part_number, "model_uuid": order.model
        }));
        let blank: types::PrintedPart = typed(json!({
            "uuid": "", "part_uuid": "", "status": "complete",
            "tags": {"part": part.part_tags, "part_number": part.part_number_tags, "printed_part": {}}
        }));
        let mut refs = Vec::with_capacity(size);
        let mut build_uuids = Vec::new();
        let mut finished_last = packed;
        for chunk_start in (0..size).step_by(PARTS_PER_BUILD) {
            let in_build = PARTS_PER_BUILD.min(size - chunk_start);
            let jitter = self.rng.i64(1..MAX_GAP_MS);
            let (printer, started, finished) =
                schedule.next(packed + Duration::seconds(PRINT_AFTER_S - PACK_AFTER_S), jitter);
            finished_last = finished_last.max(finished);
            let (build_uuid, print_uuid) = (self.uuid(), self.uuid());
            let print_id = format!("P-{}", self.next_print_id);
            self.next_print_id += 1;
            let mut build_parts = Vec::with_capacity(in_build);
            for i in 0..in_build {
                let part_uuid = self.uuid();
                let printed_uuid = self.uuid();
                let mut part = part.clone();
                part.uuid = part_uuid.clone();
                build_parts.push(part.clone());
                rows.parts.push((part_uuid.clone(), part));
                let serial = format!("SN-{:07}", self.next_serial);
                self.next_serial += 1;
                let changed = finished + Duration::milliseconds(i as i64);
                let printed = types::PrintedPart {
                    uuid: printed_uuid.clone(),
                    part_uuid: part_uuid.clone(),
                    model_uuid: Some(order.model.clone()),
                    part_number: Some(order.part_number.clone()),
                    build_uuid: Some(build_uuid.clone()),
                    part_order_uuid: Some(order.uuid.clone()),
                    part_order_number: Some(order.number.clone()),
                    print_id: Some(print_id.clone()),
                    print_uuid: Some(print_uuid.clone()),
                    serial_number: Some(serial),
                    created_at: Some(order.created.into()),
                    updated_at: Some(changed.into()),
                    finished_at: Some(finished.into()),
                    status: PrintedPartStatus::Complete,
                    ..blank.clone()
                };
                refs.push(types::PrintedPartRef {
                    uuid: printed_uuid.clone(),
                    part_uuid,
                    status: PrintedPartStatus::Complete,
                });
                let state = PrintedPartState {
                    part: printed,
                    print_started_at: Some(started),
                    application_uuid: order.app.clone(),
                };
                if let Some(template) = template {
                    let uuid = self.uuid();
                    let value = 0.9 + (self.next_serial % 5) as f64 * 0.05;
                    rows.measurements.push((
                        uuid.clone(),
                        types::PartMeasurement {
                            uuid: Some(uuid),
                            printed_part_uuid: Some(printed_uuid.clone()),
                            part_measurement_template_uuid: Some(template.to_string()),
                            value: Some(value),
                            measurement_result: Some(if value > 1.2 { "fail" } else { "pass" }.into()),
                            zones: Some(vec!["A".into()]),
                            updated_at: Some((changed + Duration::seconds(60)).into()),
                            ..Default::default()
                        },
                    ));
                }
                rows.printed.push((printed_uuid, state));
            }
            let (traveler, video) = (self.uuid(), self.uuid());
            self.attachments.insert(
                traveler.clone(),
                ("traveler.pdf".into(), packer::traveler_pdf(&build_uuid, in_build)),
            );
            self.attachments.insert(
                video.clone(),
                ("slice.mp4".into(), bytes::Bytes::from_static(packer::SLICE_VIDEO)),
            );
            let build: types::Build = typed(json!({
                "uuid": build_uuid, "name": format!("Build {}", &build_uuid[..8]), "revision": "1", "status": "Released",
                "application_uuid": order.app, "created_at": packed, "updated_at": packed, "parts": [],
                "attachments": [{"filename": "traveler.pdf", "uuid": traveler}, {"filename": "slice.mp4", "uuid": video}],
                "part_orders": [{"uuid": order.uuid, "part_order_number": order.number, "status": "complete"}]
            }));
            rows.builds.push((
                build_uuid.clone(),
                types::Build {
                    parts: build_parts,
                    ..build
                },
            ));
            if !(self.next_print_id - 1 - FIRST_PRINT_ID).is_multiple_of(PRINTS_MISSING_EVERY) {
                let printer = &self.printers[printer];
                let print: types::ModelPrint = typed(json!({
                    "uuid": print_uuid, "print_id": print_id, "build_uuid": build_uuid,
                    "name": format!("Print of {}", &build_uuid[..8]), "status": "finished", "remaining_sec": 0,
                    "printed_by": printer.name, "started_at": started, "finished_at": finished,
                    "origin": {"printer_serial": printer.serial, "platform_serial": format!("PL-{}", &print_uuid[..6]), "software_version": "2.4.1"},
                    "config": {"resin_name": "RPU 70", "print_profile": "standard", "slice_thickness_nm": 100000, "release_film_nm": 0},
                    "metrics": {"consumed_resin_volume_ml": 42.5, "average_speed_mmhr": 80}
                }));
                rows.prints.push((print_uuid, print));
            }
            build_uuids.push(build_uuid);
        }
        let record: types::PartOrder = typed(json!({
            "uuid": order.uuid, "part_order_number": order.number, "due_date": order.created + Duration::days(3),
            "created_at": order.created, "updated_at": finished_last, "status": "complete",
            "application_uuid": order.app, "build_uuids": build_uuids, "printed_parts": []
        }));
        debug_assert_eq!(record.status, Some(PartOrderStatus::Complete));
        rows.orders.push((
            order.uuid.clone(),
            OrderState {
                order: types::PartOrder {
                    printed_parts: refs,
                    ..record
                },
                created: order.created,
                packed_at: Some(packed),
                finished: true,
            },
        ));
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn world(seed: u64) -> World {
        World::new(seed, 1e-6, 3, 20_000, 10_000)
    }

    #[test]
    fn the_history_looks_like_a_factorys_and_follows_its_seed() {
        let w = world(7);
        assert_eq!(w.printed_parts.len(), 20_000);
        assert_eq!(w.measurements.len(), 20_000);
        let orders: BTreeSet<&str> = w
            .printed_parts
            .values()
            .filter_map(|p| p.part.part_order_number.as_deref())
            .collect();
        assert!(orders.len() >= 20, "{}", orders.len());
        let apps: BTreeSet<_> = w.printed_parts.values().map(|p| p.application_uuid.clone()).collect();
        assert_eq!(apps.len(), 2, "both applications");
        let numbers: BTreeSet<_> = w.printed_parts.values().map(|p| p.part.part_number.clone()).collect();
        assert!(numbers.len() >= 10, "{}", numbers.len());
        let printers: BTreeSet<_> = w
            .prints
            .values()
            .filter_map(|p| p.origin.as_ref()?.printer_serial.clone())
            .collect();
        assert_eq!(printers.len(), 3, "every printer printed");
        // Starts are distinct and spread over weeks.
        let starts: Vec<i64> = w
            .prints
            .values()
            .filter_map(|p| Some(p.started_at?.timestamp()))
            .collect();
        let distinct: BTreeSet<_> = w
            .prints
            .values()
            .filter_map(|p| p.started_at.map(|t| t.timestamp_nanos_opt()))
            .collect();
        assert_eq!(distinct.len(), starts.len(), "no two prints start at once");
        let days = (starts.iter().max().unwrap() - starts.iter().min().unwrap()) / 86_400;
        assert!(days >= 20, "{days} days");
        // Some parts name a print no longer held.
        let held: BTreeSet<_> = w.prints.values().filter_map(|p| p.print_id.clone()).collect();
        let missing = w
            .printed_parts
            .values()
            .filter(|p| p.part.print_id.as_ref().is_some_and(|id| !held.contains(id)))
            .count();
        assert!(missing >= 8, "{missing}");
        // All of it is past: nothing changed after now.
        let now = w.clock.now();
        let latest = w
            .printed_parts
            .values()
            .filter_map(|p| p.part.updated_at)
            .max()
            .unwrap();
        assert!(*latest <= now, "{latest} is after {now}");
        let serials: BTreeSet<_> = w.printed_parts.values().map(|p| p.part.serial_number.clone()).collect();
        assert_eq!(serials.len(), 20_000, "serials are unique");

        let ids = |w: &World| w.printed_parts.keys().take(100).cloned().collect::<Vec<_>>();
        assert_eq!(ids(&w), ids(&world(7)), "the same seed, the same records");
        assert_ne!(ids(&w), ids(&world(8)));
    }
}
