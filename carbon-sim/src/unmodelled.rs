//! Filters of the API that the simulator does not answer, because they read what
//! its records do not show and it does not keep beside them. A request using one
//! gets 400 naming it, never a silently empty list: an empty answer from the
//! simulator always means "nothing matched". The end-to-end filter walk checks
//! both halves: every filter listed here is refused, every other one answered.

/// One filter the simulator refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unmodelled {
    /// The list's path under `/v1` (`/parts`).
    pub path: &'static str,
    /// The query parameter.
    pub filter: &'static str,
    /// What the real API reads for it.
    pub reads: &'static str,
}

const fn entry(path: &'static str, filter: &'static str, reads: &'static str) -> Unmodelled {
    Unmodelled { path, filter, reads }
}

/// Every filter the simulator refuses.
pub const UNMODELLED_FILTERS: &[Unmodelled] = &[
    entry("/parts", "application_uuid", "the application a part was created under"),
    entry(
        "/parts",
        "updated_after",
        "when a part last changed, which parts do not show",
    ),
    entry(
        "/parts",
        "updated_before",
        "when a part last changed, which parts do not show",
    ),
    entry(
        "/print_orders",
        "application_uuid",
        "the application of the print order's build",
    ),
    entry(
        "/print_orders",
        "updated_after",
        "when a print order last changed, which it does not show",
    ),
    entry(
        "/print_orders",
        "updated_before",
        "when a print order last changed, which it does not show",
    ),
    entry(
        "/print_orders",
        "printer_name",
        "the names of the printers the order is routed to",
    ),
    entry("/prints", "application_uuid", "the application of the print's build"),
    entry("/prints", "print_order_number", "the print order a print was made for"),
    entry("/prints", "print_order_uuid", "the print order a print was made for"),
    entry(
        "/printed_parts",
        "print_order_number",
        "the print order a part was printed for",
    ),
    entry(
        "/printed_parts",
        "print_order_uuid",
        "the print order a part was printed for",
    ),
    entry(
        "/part_measurements",
        "application_uuid",
        "the application of the measured part",
    ),
    entry(
        "/part_measurement_templates",
        "application_uuid",
        "the application a template belongs to",
    ),
];

/// The refusal for a list request (`path` under `/v1`) that uses a filter the
/// simulator does not model, if it does.
pub(crate) fn refusal(path: &str, query: &crate::query::Query) -> Option<String> {
    let used = UNMODELLED_FILTERS
        .iter()
        .find(|u| u.path == path && !query.all(u.filter).is_empty())?;
    Some(format!(
        "carbon-sim does not model the `{}` filter of GET /v1{} (the API reads {}); leave it out against \
         the simulator",
        used.filter, used.path, used.reads
    ))
}
