//! A factory's finished history, built as it stands (no lifecycle replayed):
//! part orders of 20 to 800 parts spread over the last 30 days, in both
//! applications and about 200 part numbers, packed into builds that every
//! printer prints back to back, each printed part with a serial and a
//! measurement. One print in 997 is no longer held (the oldest, `P-1000`, among
//! them), so some parts name a print the API does not return. The same seed gives the same ids and
//! shapes (times follow the simulator's start).

use std::collections::HashSet;

use arcstr::ArcStr;
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

/// The template each history part is measured against, and the zones.
struct Measured {
    template: ArcStr,
    zones: Arc<[String]>,
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
    parts: Vec<(ArcStr, PartState)>,
    printed: Vec<(ArcStr, PrintedPartState)>,
    builds: Vec<(ArcStr, BuildState)>,
    prints: Vec<(ArcStr, types::ModelPrint)>,
    measurements: Vec<(ArcStr, MeasurementState)>,
    orders: Vec<(ArcStr, OrderState)>,
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
        let template = self.templates.first().and_then(|t| {
            Some(Measured {
                template: ArcStr::from(t.uuid.as_deref()?),
                zones: Arc::from(vec!["A".to_string()]),
            })
        });
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
            self.seed_order(&order, *size, &mut schedule, template.as_ref(), &mut rows);
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
        measured: Option<&Measured>,
        rows: &mut Rows,
    ) {
        let packed = order.created + Duration::seconds(PACK_AFTER_S);
        let part: Arc<types::Part> = Arc::new(typed(json!({
            "uuid": "", "part_number": order.part_number, "model_uuid": order.model
        })));
        let catalog = Arc::new(CatalogLink {
            part_number: Some(order.part_number.clone()),
            model_uuid: Some(order.model.clone()),
            tags: Some(typed(json!({
                "part": part.part_tags, "part_number": part.part_number_tags, "printed_part": {}
            }))),
        });
        let link = Arc::new(OrderLink {
            uuid: order.uuid.clone(),
            number: Some(order.number.clone()),
            application_uuid: order.app.clone(),
        });
        let mut printed_uuids = Vec::with_capacity(size);
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
            let (build_key, print_key): (ArcStr, ArcStr) =
                (ArcStr::from(build_uuid.as_str()), ArcStr::from(print_uuid.as_str()));
            let print_link = Arc::new(PrintLink {
                build_uuid: build_key.clone(),
                print_uuid: print_key.clone(),
                print_id: ArcStr::from(print_id.as_str()),
            });
            let mut build_parts = Vec::with_capacity(in_build);
            for i in 0..in_build {
                let part_uuid: ArcStr = ArcStr::from(self.uuid());
                let printed_uuid: ArcStr = ArcStr::from(self.uuid());
                build_parts.push(part_uuid.clone());
                let state = PartState {
                    uuid: part_uuid.clone(),
                    entry: part.clone(),
                };
                rows.parts.push((part_uuid.clone(), state));
                let serial = self.next_serial;
                self.next_serial += 1;
                let changed = finished + Duration::milliseconds(i as i64);
                printed_uuids.push(printed_uuid.clone());
                let state = PrintedPartState {
                    uuid: printed_uuid.clone(),
                    part_uuid,
                    catalog: catalog.clone(),
                    order: link.clone(),
                    print: Some(print_link.clone()),
                    print_started_at: Some(started),
                    status: PrintedPartStatus::Complete,
                    serial: Some(serial),
                    created_at: Some(order.created.into()),
                    updated_at: Some(changed.into()),
                    finished_at: Some(finished.into()),
                };
                if let Some(measured) = measured {
                    let uuid: ArcStr = ArcStr::from(self.uuid());
                    let value = 0.9 + (self.next_serial % 5) as f64 * 0.05;
                    let result = if value > 1.2 { "fail" } else { "pass" };
                    rows.measurements.push((
                        uuid.clone(),
                        MeasurementState {
                            uuid,
                            printed_part_uuid: printed_uuid.clone(),
                            template_uuid: measured.template.clone(),
                            value: Some(value),
                            result: Some(result.into()),
                            zones: Some(measured.zones.clone()),
                            updated_at: Some((changed + Duration::seconds(60)).into()),
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
                build_key,
                BuildState {
                    build,
                    parts: build_parts,
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
                rows.prints.push((print_key, print));
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
            ArcStr::from(order.uuid.as_str()),
            OrderState {
                order: record,
                printed: printed_uuids,
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
        let parts = || w.printed_parts.values();
        let orders: BTreeSet<&str> = parts().filter_map(|p| p.order.number.as_deref()).collect();
        assert!(orders.len() >= 20, "{}", orders.len());
        let apps: BTreeSet<_> = parts().map(|p| p.order.application_uuid.clone()).collect();
        assert_eq!(apps.len(), 2, "both applications");
        let numbers: BTreeSet<_> = parts().map(|p| p.catalog.part_number.clone()).collect();
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
            .filter(|p| p.print.as_ref().is_some_and(|l| !held.contains(&*l.print_id)))
            .count();
        assert!(missing >= 8, "{missing}");
        // All of it is past: nothing changed after now.
        let now = w.clock.now();
        let latest = w.printed_parts.values().filter_map(|p| p.updated_at).max().unwrap();
        assert!(*latest <= now, "{latest} is after {now}");
        let serials: BTreeSet<_> = w.printed_parts.values().map(|p| p.serial_number()).collect();
        assert_eq!(serials.len(), 20_000, "serials are unique");

        let ids = |w: &World| {
            w.printed_parts
                .keys()
                .take(100)
                .map(|k| k.to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(&w), ids(&world(7)), "the same seed, the same records");
        assert_ne!(ids(&w), ids(&world(8)));
    }
}
