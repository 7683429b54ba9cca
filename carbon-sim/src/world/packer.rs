//! The packer: lays the printed parts of waiting part orders out into builds, each
//! with its attachments and a print queued on a printer.

use std::collections::BTreeMap;

use arcstr::ArcStr;
use carbon_api_gen::enums::PartOrderStatus;
use carbon_api_gen::types;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::*;

impl World {
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
            .map(|(k, s)| (s.created, k.to_string()))
            .collect();
        mates.sort();
        mates.into_iter().map(|(_, k)| k).collect()
    }

    /// The packer: lays the printed parts of an order, and of the orders waiting
    /// with it, out into builds, each with a traveler and a print queued on a
    /// printer. A build may hold parts of several orders.
    pub(super) fn pack(&mut self, order_uuid: &str, at: DateTime<Utc>) {
        let mut orders = self.packing_mates(order_uuid);
        if !orders.iter().any(|o| o == order_uuid) {
            orders.insert(0, order_uuid.to_string());
        }
        let refs: Vec<(String, ArcStr)> = orders
            .iter()
            .flat_map(|o| self.orders[o].printed.iter().map(move |p| (o.clone(), p.clone())))
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
            let parts: Vec<ArcStr> = chunk
                .iter()
                .filter_map(|(_, pp)| self.printed_parts.get(pp))
                .map(|pp| pp.part_uuid.clone())
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
                "application_uuid": app, "packing_group": group, "created_at": at, "updated_at": at, "parts": [],
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
            self.attachments
                .insert(video, ("slice.mp4".into(), bytes::Bytes::from_static(SLICE_VIDEO)));
            let build_key: ArcStr = ArcStr::from(build_uuid.as_str());
            self.builds.insert(build_key.clone(), BuildState { build, parts });
            let (printer, printer_name) = {
                let chosen = &self.printers[self.next_printer % self.printers.len()];
                (chosen.serial.clone(), chosen.name.clone())
            };
            self.next_printer += 1;
            let print_uuid = self.uuid();
            let print_id = format!("P-{}", self.next_print_id);
            self.next_print_id += 1;
            let print: types::ModelPrint = typed(json!({
                "uuid": print_uuid, "print_id": print_id, "build_uuid": build_uuid, "name": format!("Print of {}", &build_uuid[..8]),
                "status": "queued", "remaining_sec": DONE_AFTER_S - PRINT_AFTER_S, "printed_by": printer_name,
                "origin": {"printer_serial": printer, "platform_serial": format!("PL-{}", &print_uuid[..6]), "software_version": "2.4.1"},
                "config": {"resin_name": "RPU 70", "print_profile": "standard", "slice_thickness_nm": 100000, "release_film_nm": 0},
                "metrics": {"consumed_resin_volume_ml": 42.5, "average_speed_mmhr": 80}
            }));
            self.queues.entry(printer).or_default().push(print_uuid.clone());
            let print_key: ArcStr = ArcStr::from(print_uuid);
            let link = Arc::new(PrintLink {
                build_uuid: build_key,
                print_uuid: print_key.clone(),
                print_id: ArcStr::from(print_id),
            });
            for (_, pp) in chunk {
                self.printed_parts.update(pp, |part| part.print = Some(link.clone()));
            }
            self.prints.insert(print_key, print);
        }
        for o in &orders {
            let builds = builds_of.remove(o).unwrap_or_default();
            self.orders.update(o, |state| {
                state.packed_at = Some(at);
                state.order.build_uuids = Some(builds);
            });
        }
    }
}

/// The bytes of a build's slice video attachment.
pub(super) const SLICE_VIDEO: &[u8] = b"\x00\x00\x00\x18ftypmp42 simulated slice video";

/// The bytes of a build's traveler attachment.
pub(super) fn traveler_pdf(build: &str, parts: usize) -> bytes::Bytes {
    bytes::Bytes::from(format!(
        "%PDF-1.4\n% carbon-sim build traveler\n% build {build}\n% parts {parts}\n%%EOF\n"
    ))
}
