//! The work the clock still has to do: part orders not finished, model program
//! runs not done, print orders still counting copies. Records enter through the
//! `add_*` methods and leave when `advance_to` finds them settled, so each
//! request's catch-up costs what is in flight, not everything retained.

use std::collections::BTreeSet;

use carbon_api_gen::enums::ModelProgramRunStatus;

use super::{OrderState, PrintOrderState, RunState, World};

/// Uuids of the records `advance_to` looks at.
#[derive(Default)]
pub(crate) struct Live {
    pub orders: BTreeSet<String>,
    pub runs: BTreeSet<String>,
    pub print_orders: BTreeSet<String>,
}

impl World {
    /// Stores a new part order and lets the clock move it.
    pub(crate) fn add_order(&mut self, uuid: String, state: OrderState) {
        if !state.finished {
            self.live.orders.insert(uuid.clone());
        }
        self.orders.insert(uuid, state);
    }

    /// Stores a new model program run and lets the clock move it.
    pub(crate) fn add_run(&mut self, uuid: String, state: RunState) {
        if !run_done(&state) {
            self.live.runs.insert(uuid.clone());
        }
        self.runs.insert(uuid, state);
    }

    /// Stores a new print order and lets the clock count its copies.
    pub(crate) fn add_print_order(&mut self, uuid: String, state: PrintOrderState) {
        if still_counting(&state) {
            self.live.print_orders.insert(uuid.clone());
        }
        self.print_orders.insert(uuid, state);
    }
}

/// A run that will not change any more.
pub(super) fn run_done(state: &RunState) -> bool {
    matches!(
        state.run.status,
        ModelProgramRunStatus::Complete | ModelProgramRunStatus::Failed
    )
}

/// A print order some of whose routes have printed fewer copies than queued.
pub(super) fn still_counting(state: &PrintOrderState) -> bool {
    state.order.routed_to.as_ref().is_some_and(|routes| {
        routes
            .values()
            .any(|route| route.copies_printed.unwrap_or(0) < route.copies_queued.unwrap_or(0))
    })
}
