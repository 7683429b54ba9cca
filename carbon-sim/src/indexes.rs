//! Which fields each list filters and sorts by, read from the records the
//! simulator holds: the indexes of its tables (see the query parameters of each
//! list operation in the API document). A filter or sort without an index still
//! works, record by record.

use carbon_api_gen::types;

use crate::table::{Field, Probe, Table};
use crate::world::{BuildState, MeasurementState, OrderState, PartState, PrintLink, PrintOrderState, PrintedPartState};

fn text(value: &Option<String>) -> Probe<'_> {
    Probe::text(value.as_deref())
}

/// Printed parts, by the fields `getPrintedParts` filters and sorts on; its
/// `started_*` bounds read the start of the part's print, which the record does
/// not carry.
pub(crate) fn printed_parts() -> Table<PrintedPartState> {
    fn print(state: &PrintedPartState) -> Option<&PrintLink> {
        state.print.as_deref()
    }
    Table::new(vec![
        Field::new("part_order_uuid", |s: &PrintedPartState| Probe::Text(&s.order.uuid)),
        Field::new("part_order_number", |s: &PrintedPartState| text(&s.order.number)),
        Field::shared("part_uuid", |s: &PrintedPartState| Some(&s.part_uuid)),
        Field::shared("print_id", |s: &PrintedPartState| print(s).map(|p| &p.print_id)),
        Field::shared("print_uuid", |s: &PrintedPartState| print(s).map(|p| &p.print_uuid)),
        Field::shared("build_uuid", |s: &PrintedPartState| print(s).map(|p| &p.build_uuid)),
        Field::new("status", |s: &PrintedPartState| Probe::Text(s.status.as_str())),
        Field::new("part_number", |s: &PrintedPartState| text(&s.catalog.part_number)),
        Field::new("updated_at", |s: &PrintedPartState| Probe::time(s.updated_at.as_ref())),
        Field::new("created_at", |s: &PrintedPartState| Probe::time(s.created_at.as_ref())),
        Field::new("finished_at", |s: &PrintedPartState| {
            Probe::time(s.finished_at.as_ref())
        }),
        Field::new("started_at", |s: &PrintedPartState| Probe::instant(s.print_started_at)),
        Field::new("application_uuid", |s: &PrintedPartState| {
            text(&s.order.application_uuid)
        }),
    ])
}

/// Parts, by `getParts`' fields.
pub(crate) fn parts() -> Table<PartState> {
    Table::new(vec![
        Field::new("model_uuid", |p: &PartState| text(&p.entry.model_uuid)),
        Field::new("part_number", |p: &PartState| Probe::Text(&p.entry.part_number)),
    ])
}

/// Builds, by `getBuilds`' fields.
pub(crate) fn builds() -> Table<BuildState> {
    fn build(state: &BuildState) -> &types::Build {
        &state.build
    }
    Table::new(vec![
        Field::new("status", |s: &BuildState| {
            Probe::text(build(s).status.as_ref().map(|s| s.as_str()))
        }),
        Field::new("name", |s: &BuildState| text(&build(s).name)),
        Field::new("packing_group", |s: &BuildState| {
            Probe::text(build(s).packing_group.as_ref().map(|g| g.as_str()))
        }),
        Field::new("revision", |s: &BuildState| text(&build(s).revision)),
        Field::new("application_uuid", |s: &BuildState| text(&build(s).application_uuid)),
        Field::new("updated_at", |s: &BuildState| Probe::time(build(s).updated_at.as_ref())),
        Field::new("created_at", |s: &BuildState| Probe::time(build(s).created_at.as_ref())),
    ])
}

/// Part orders, by `getPartOrders`' fields.
pub(crate) fn part_orders() -> Table<OrderState> {
    Table::new(vec![
        Field::new("status", |o: &OrderState| {
            Probe::text(o.order.status.as_ref().map(|s| s.as_str()))
        }),
        Field::new("packing_group", |o: &OrderState| {
            Probe::text(o.order.packing_group.as_ref().map(|g| g.as_str()))
        }),
        Field::new("part_order_number", |o: &OrderState| text(&o.order.part_order_number)),
        Field::new("application_uuid", |o: &OrderState| text(&o.order.application_uuid)),
        Field::new("updated_at", |o: &OrderState| Probe::time(o.order.updated_at.as_ref())),
        Field::new("due_date", |o: &OrderState| Probe::time(Some(&o.order.due_date))),
        Field::new("flushed_at", |o: &OrderState| Probe::time(o.order.flushed_at.as_ref())),
    ])
}

/// Print orders, by `getPrintOrders`' fields.
pub(crate) fn print_orders() -> Table<PrintOrderState> {
    Table::new(vec![Field::new("print_order_number", |o: &PrintOrderState| {
        text(&o.order.print_order_number)
    })])
}

/// Prints, by `getPrints`' fields.
pub(crate) fn prints() -> Table<types::ModelPrint> {
    fn origin(p: &types::ModelPrint) -> Option<&types::PrintOrigin> {
        p.origin.as_ref()
    }
    Table::new(vec![
        Field::new("status", |p: &types::ModelPrint| text(&p.status)),
        Field::new("print_id", |p: &types::ModelPrint| text(&p.print_id)),
        Field::new("build_uuid", |p: &types::ModelPrint| text(&p.build_uuid)),
        Field::new("print_order_number", |p: &types::ModelPrint| {
            text(&p.print_order_number)
        }),
        Field::new("print_order_uuid", |p: &types::ModelPrint| text(&p.print_order_uuid)),
        Field::new("printer_serial", |p: &types::ModelPrint| {
            Probe::text(origin(p).and_then(|o| o.printer_serial.as_deref()))
        }),
        Field::new("platform_serial", |p: &types::ModelPrint| {
            Probe::text(origin(p).and_then(|o| o.platform_serial.as_deref()))
        }),
        Field::new("printer_name", |p: &types::ModelPrint| text(&p.printed_by)),
        Field::new("started_at", |p: &types::ModelPrint| Probe::time(p.started_at.as_ref())),
        Field::new("finished_at", |p: &types::ModelPrint| {
            Probe::time(p.finished_at.as_ref())
        }),
    ])
}

/// Part measurements, by `getPartMeasurements`' fields.
pub(crate) fn measurements() -> Table<MeasurementState> {
    Table::new(vec![
        Field::shared("printed_part_uuid", |m: &MeasurementState| Some(&m.printed_part_uuid)),
        Field::new("updated_at", |m: &MeasurementState| Probe::time(m.updated_at.as_ref())),
    ])
}
