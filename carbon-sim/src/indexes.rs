//! Which fields each list filters and sorts by, read from the records the
//! simulator holds: the indexes of its tables (see the query parameters of each
//! list operation in the API document). A filter or sort without an index still
//! works, record by record.

use carbon_api_gen::types;

use crate::table::{Field, Probe, Table};
use crate::world::{OrderState, PrintOrderState, PrintedPartState};

fn text(value: &Option<String>) -> Probe<'_> {
    Probe::text(value.as_deref())
}

/// Printed parts, by the fields `getPrintedParts` filters and sorts on; its
/// `started_*` bounds read the start of the part's print, which the record does
/// not carry.
pub(crate) fn printed_parts() -> Table<PrintedPartState> {
    fn part(state: &PrintedPartState) -> &types::PrintedPart {
        &state.part
    }
    Table::new(vec![
        Field::new("part_order_uuid", |s: &PrintedPartState| text(&part(s).part_order_uuid)),
        Field::new("part_order_number", |s: &PrintedPartState| {
            text(&part(s).part_order_number)
        }),
        Field::new("part_uuid", |s: &PrintedPartState| Probe::Text(&part(s).part_uuid)),
        Field::new("print_id", |s: &PrintedPartState| text(&part(s).print_id)),
        Field::new("print_uuid", |s: &PrintedPartState| text(&part(s).print_uuid)),
        Field::new("build_uuid", |s: &PrintedPartState| text(&part(s).build_uuid)),
        Field::new("status", |s: &PrintedPartState| Probe::Text(part(s).status.as_str())),
        Field::new("part_number", |s: &PrintedPartState| text(&part(s).part_number)),
        Field::new("updated_at", |s: &PrintedPartState| {
            Probe::time(part(s).updated_at.as_ref())
        }),
        Field::new("created_at", |s: &PrintedPartState| {
            Probe::time(part(s).created_at.as_ref())
        }),
        Field::new("finished_at", |s: &PrintedPartState| {
            Probe::time(part(s).finished_at.as_ref())
        }),
        Field::new("started_at", |s: &PrintedPartState| Probe::instant(s.print_started_at)),
        Field::new("application_uuid", |s: &PrintedPartState| text(&s.application_uuid)),
    ])
}

/// Parts, by `getParts`' fields.
pub(crate) fn parts() -> Table<types::Part> {
    Table::new(vec![
        Field::new("model_uuid", |p: &types::Part| text(&p.model_uuid)),
        Field::new("part_number", |p: &types::Part| Probe::Text(&p.part_number)),
    ])
}

/// Builds, by `getBuilds`' fields.
pub(crate) fn builds() -> Table<types::Build> {
    Table::new(vec![
        Field::new("status", |b: &types::Build| {
            Probe::text(b.status.as_ref().map(|s| s.as_str()))
        }),
        Field::new("name", |b: &types::Build| text(&b.name)),
        Field::new("packing_group", |b: &types::Build| {
            Probe::text(b.packing_group.as_ref().map(|g| g.as_str()))
        }),
        Field::new("revision", |b: &types::Build| text(&b.revision)),
        Field::new("application_uuid", |b: &types::Build| text(&b.application_uuid)),
        Field::new("updated_at", |b: &types::Build| Probe::time(b.updated_at.as_ref())),
        Field::new("created_at", |b: &types::Build| Probe::time(b.created_at.as_ref())),
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
pub(crate) fn measurements() -> Table<types::PartMeasurement> {
    Table::new(vec![
        Field::new("printed_part_uuid", |m: &types::PartMeasurement| {
            text(&m.printed_part_uuid)
        }),
        Field::new("updated_at", |m: &types::PartMeasurement| {
            Probe::time(m.updated_at.as_ref())
        }),
    ])
}
