//! The table of operations for callers that reach them by name, and `with_args`.

use std::time::Duration;

use carbon_api_gen::extras::{operation, operations, CallKind, Location, Operation, ValueKind};
use carbon_api_gen::{Client, ClientState};
use serde_json::json;

#[test]
fn every_operation_of_the_document_is_described() {
    let mut described: Vec<&str> = operations().iter().map(|op| op.operation_id).collect();
    described.sort_unstable();
    assert_eq!(described, crate::common::document_operation_ids());
    // The enum is the table, in the same order.
    assert_eq!(Operation::ALL.len(), operations().len());
    for (op, info) in Operation::ALL.iter().zip(operations()) {
        assert_eq!(op.info(), info);
        assert_eq!(info.operation(), *op);
        assert_eq!(Operation::from_name(info.name), Some(*op));
        assert_eq!(op.to_string(), info.operation_id);
    }
    assert_eq!(Operation::GetPrintedParts.info().name, "get_printed_parts");

    let list = operation("getPrintedParts").unwrap();
    assert_eq!(
        (list.name, list.method, list.kind),
        ("get_printed_parts", "GET", CallKind::Cursor)
    );
    assert_eq!(list.items_field, Some("parts"));
    assert_eq!(list.item_fields[0], "uuid");
    let limit = list.params.iter().find(|p| p.name == "limit").unwrap();
    assert_eq!(
        (limit.kind, limit.required, limit.location),
        (ValueKind::Integer, true, Location::Query)
    );
    let status = list.params.iter().find(|p| p.name == "status").unwrap();
    assert!(status.values.contains(&"printing"));
    assert_eq!(operation("get_printers").unwrap().kind, CallKind::Offset);
    // A run is its status fields and its own (allOf): both are its item fields.
    let runs = operation("getModelProgramRuns").unwrap();
    assert_eq!(runs.items_field, Some("model_program_runs"));
    assert_eq!(runs.item_fields[0], "uuid");
    assert!(runs.item_fields.contains(&"status"), "{:?}", runs.item_fields);
    for op in operations().iter().filter(|op| op.kind.is_list()) {
        assert!(op.items_field.is_some(), "{} names no items", op.operation_id);
    }
    assert_eq!(operation("findModels").unwrap().kind, CallKind::Unpaged);
    assert_eq!(operation("downloadModel").unwrap().kind, CallKind::Download);
    assert_eq!(operation("uploadModel").unwrap().kind, CallKind::Upload);
    let get = operation("getPrinter").unwrap();
    assert_eq!(get.kind, CallKind::Single);
    assert_eq!(get.params[0].location, Location::Path);
    assert_eq!(get.params[0].location.to_string(), "path");
    assert!(CallKind::Unpaged.is_list() && !CallKind::Unpaged.is_paged() && !CallKind::Single.is_list());
    let create = operation("createPartOrder").unwrap();
    let body = create.body.unwrap();
    assert_eq!(body.content_type, "application/json");
    let due = body.fields.iter().find(|f| f.name == "due_date").unwrap();
    assert_eq!((due.kind, due.required), (ValueKind::DateTime, true));
    let parts = body.fields.iter().find(|f| f.name == "parts").unwrap();
    assert_eq!((parts.kind, parts.array), (ValueKind::Object, true));
}

#[test]
fn ids_sort_keys_and_text_dates_are_described_for_checks_before_sending() {
    let param = |op: &str, name: &str| {
        *operation(op)
            .unwrap()
            .params
            .iter()
            .find(|p| p.name == name)
            .unwrap_or_else(|| panic!("{op} has no {name}"))
    };
    // Ids, by name, in the path, the query, a header and a body.
    assert_eq!(param("getPartOrder", "uuid").kind, ValueKind::Uuid);
    let by_order = param("getPrintedParts", "part_order_uuid");
    assert_eq!((by_order.kind, by_order.array), (ValueKind::Uuid, true));
    assert_eq!(param("uploadModel", "application-uuid").kind, ValueKind::Uuid);
    let sop = operation("createPartOrder")
        .unwrap()
        .body
        .unwrap()
        .fields
        .iter()
        .find(|f| f.name == "build_sop_uuid")
        .unwrap();
    assert_eq!(sop.kind, ValueKind::Uuid);
    assert_eq!(param("getPrintedParts", "print_id").kind, ValueKind::String);
    // The sortable fields of each list, from the overlay.
    assert_eq!(
        param("getPrintedParts", "sort").sort_keys,
        ["uuid", "updated_at", "part_number", "created_at", "status"]
    );
    assert_eq!(param("getBuilds", "sort").sort_keys[0], "build_uuid");
    assert!(param("getPartMeasurements", "sort").sort_keys.is_empty());
    assert!(param("getPrintedParts", "status").sort_keys.is_empty());
    // getPrints types its dates as text; they are dates all the same.
    for name in ["started_after", "started_before", "finished_after", "finished_before"] {
        assert_eq!(param("getPrints", name).kind, ValueKind::DateTime, "{name}");
    }
    assert_eq!(ValueKind::Uuid.as_str(), "uuid");
    // The document's defaults, for callers that fill in what the API requires.
    assert_eq!(param("getPrintedParts", "limit").default, Some("100"));
    assert_eq!(param("getPrinters", "offset").default, Some("0"));
    assert_eq!(param("getPrintedParts", "uuid").default, None);
}

#[tokio::test]
async fn with_args_sets_parameters_and_bodies_from_json() {
    let http = carbon_api_gen::http_client(Duration::from_secs(1), Duration::from_secs(1)).unwrap();
    let client = Client::with_state(
        &carbon_api_gen::BaseUrl::parse("http://127.0.0.1:9/v1").unwrap(),
        http,
        ClientState::default(),
    );
    let args = json!({"limit": 5, "part_order_uuid": ["a", "b"], "updated_after": "2026-01-01T00:00:00Z"});
    let builder = client.get_printed_parts().with_args(args.as_object().unwrap()).unwrap();
    let (_, params) = builder.into_params();
    use carbon_api_gen::extras::OperationParams;
    assert!(params.is_set("limit") && params.is_set("part_order_uuid") && params.is_set("updated_after"));
    assert!(!params.is_set("sort"));

    let bad = json!({"limit": "many"});
    let err = client
        .get_printed_parts()
        .with_args(bad.as_object().unwrap())
        .unwrap_err();
    assert!(err.starts_with("`limit`"), "{err}");

    let body =
        json!({"body": {"part_order_number": "PO", "parts": [{"uuid": "p"}], "due_date": "2026-12-01T00:00:00Z"}});
    let (_, params) = client
        .create_part_order()
        .with_args(body.as_object().unwrap())
        .unwrap()
        .into_params();
    assert!(params.is_set("body"));
}

#[test]
fn a_request_is_routed_to_its_operation_by_the_documents_templates() {
    use carbon_api_gen::extras::route;
    let id = |method: &str, path: &str| route(method, path).map(|op| op.operation_id);
    assert_eq!(id("GET", "/part_orders/5c1e"), Some("getPartOrder"));
    assert_eq!(id("patch", "/part_orders/5c1e/"), Some("updatePartOrder"));
    assert_eq!(id("GET", "/models/m-1/download"), Some("downloadModel"));
    // A literal segment wins over a template that would also match.
    assert_eq!(id("POST", "/models/presigned"), Some("getPresignedUploadUrl"));
    assert_eq!(id("GET", "/models/presigned"), Some("getModel"));
    assert_eq!(id("GET", "/part_orders/a/b"), None);
    assert_eq!(id("PUT", "/part_orders/a"), None);
    assert_eq!(id("GET", "/no_such_list"), None);
}
