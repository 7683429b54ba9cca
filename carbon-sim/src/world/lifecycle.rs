//! The clock's work: moving part orders, model program runs and print orders
//! through their lifecycles to the current simulated time.

use carbon_api_gen::enums::{ModelProgramRunStatus, PartOrderStatus, PrintedPartStatus};
use carbon_api_gen::types;
use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use super::live::{run_done, still_counting};
use super::*;
use crate::table::Table;

impl World {
    /// Moves everything to the current simulated time, then trims what is due.
    pub(crate) fn advance(&mut self) {
        let now = self.clock.now();
        self.advance_to(now);
        self.trim();
    }

    /// Moves the live records (`live`) to `now`; those that settle leave the set.
    pub(super) fn advance_to(&mut self, now: DateTime<Utc>) {
        let open: Vec<String> = self.live.orders.iter().cloned().collect();
        for uuid in open {
            self.advance_order(&uuid, now);
            if self.orders.get(&uuid).is_none_or(|o| o.finished) {
                self.live.orders.remove(&uuid);
            }
        }
        let runs: Vec<String> = self.live.runs.iter().cloned().collect();
        for uuid in runs {
            self.advance_run(&uuid, now);
            if self.runs.get(&uuid).is_none_or(run_done) {
                self.live.runs.remove(&uuid);
            }
        }
        let print_orders: Vec<String> = self.live.print_orders.iter().cloned().collect();
        for uuid in print_orders {
            // Written only when a count changed (a print order's index is updated otherwise).
            let printed = self
                .print_orders
                .get(&uuid)
                .and_then(|state| printed_copies(state, now));
            if let Some(printed) = printed {
                self.set_printed_copies(&uuid, printed);
            }
            if self.print_orders.get(&uuid).is_none_or(|state| !still_counting(state)) {
                self.live.print_orders.remove(&uuid);
            }
        }
    }

    /// Cancels a part order and its printed parts (the caller checked it is open).
    pub(crate) fn cancel_order(&mut self, uuid: &str) {
        let Some(printed) = self.orders.update(uuid, |state| {
            state.order.status = Some(PartOrderStatus::Canceled);
            state.finished = true;
            state.printed.clone()
        }) else {
            return;
        };
        for p in printed {
            self.printed_parts
                .update(&p, |p| p.status = PrintedPartStatus::Canceled);
        }
        self.finished_lately = true;
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
        let printed = state.printed.clone();
        let mut serials = Vec::new();
        // Once printing, a part's print has started (its builds' prints start then).
        let print_started = matches!(stage, PrintedPartStatus::Printing | PrintedPartStatus::Complete)
            .then(|| created + Duration::seconds(PRINT_AFTER_S));
        for printed_uuid in &printed {
            if self.printed_parts.get(printed_uuid).is_none_or(|p| p.status == stage) {
                continue;
            }
            self.printed_parts.update(printed_uuid, |part| {
                part.print_started_at = print_started;
                part.status = stage.clone();
                part.updated_at = Some(now.into());
                if stage == PrintedPartStatus::Complete {
                    part.finished_at = Some((created + Duration::seconds(DONE_AFTER_S)).into());
                    serials.push(printed_uuid.clone());
                }
            });
        }
        for printed_uuid in serials {
            let serial = self.next_serial;
            self.next_serial += 1;
            self.printed_parts.update(&printed_uuid, |p| p.serial = Some(serial));
        }
        // Prints follow their printed parts; a finished print leaves its printer's queue.
        let builds = self.orders[uuid].order.build_uuids.clone().unwrap_or_default();
        let prints_of = |prints: &Table<types::ModelPrint>, build: &str| -> Vec<String> {
            let by_build = prints.index("build_uuid").expect("prints are indexed by build");
            by_build.keys_equal(build, None, false).map(|k| k.to_string()).collect()
        };
        if stage == PrintedPartStatus::Complete {
            let done: std::collections::HashSet<String> =
                builds.iter().flat_map(|b| prints_of(&self.prints, b)).collect();
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
        // Its printed parts are at `stage` now (see above).
        let order = &self.orders[uuid];
        let unchanged =
            order.order.status.as_ref() == Some(&status) && (status != PartOrderStatus::Complete || order.finished);
        if unchanged {
            // Nothing to write (and nothing to reindex).
            return;
        }
        self.orders.update(uuid, |order| {
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

    /// Sets the copies printed of each route, in the routes' order.
    fn set_printed_copies(&mut self, uuid: &str, printed: Vec<i64>) {
        self.print_orders.update(uuid, |state| {
            if let Some(routes) = state.order.routed_to.as_mut() {
                for (route, copies) in routes.values_mut().zip(printed) {
                    route.copies_printed = Some(copies);
                }
            }
        });
    }
}

/// The copies each route of a print order has printed by `now` (one printed a
/// minute, up to those queued), or `None` when that is what it shows already.
fn printed_copies(state: &PrintOrderState, now: DateTime<Utc>) -> Option<Vec<i64>> {
    let minutes = (now - state.created).num_seconds() / 60;
    let routes = state.order.routed_to.as_ref()?;
    let printed: Vec<i64> = routes
        .values()
        .map(|route| minutes.clamp(0, route.copies_queued.unwrap_or(0)))
        .collect();
    let changed = routes
        .values()
        .zip(&printed)
        .any(|(route, copies)| route.copies_printed != Some(*copies));
    changed.then_some(printed)
}
