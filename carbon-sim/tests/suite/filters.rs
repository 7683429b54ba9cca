//! Every filter of every list operation of the document, answered as the API
//! answers it: a record that carries a value comes back when filtered by it (and
//! every record that comes back carries it); a date bound at a record's time keeps
//! it on the inclusive side and drops it on the exclusive one. The operations and
//! their filters are read from the generated operation table, so a filter the
//! document adds is walked the day it appears: where its records carry its value is
//! the record field of its name, unless [`carrier`] says otherwise. The filters the
//! simulator does not model (`carbon_sim::UNMODELLED_FILTERS`) must be refused
//! with 400, never answered with an empty list.

use std::collections::BTreeMap;
use std::time::Duration;

use carbon_api_gen::extras::{CallKind, FieldInfo, OperationInfo, ValueKind, operations};
use carbon_sim::{Config, UNMODELLED_FILTERS};
use serde_json::{Value, json};

use crate::common::Raw;

/// Where a record carries the value a filter reads.
#[derive(Debug, Clone)]
enum Carrier {
    /// A field of the record, by dotted path.
    Field(String),
    /// The keys of an object field of the record (a print order's `routed_to`).
    Keys(&'static str),
    /// A field of another record the record names: `field` of the record of
    /// list `list` whose uuid is in the record's `via`.
    Joined {
        via: &'static str,
        list: &'static str,
        field: &'static str,
    },
}

/// Filters the record carries somewhere other than under their own name (or
/// `{base}_at` for a date bound), as the document describes them.
fn carrier(op: &str, filter: &str) -> Option<Carrier> {
    Some(match (op, filter) {
        ("getPrints", "printer_serial") => Carrier::Field("origin.printer_serial".into()),
        ("getPrints", "platform_serial") => Carrier::Field("origin.platform_serial".into()),
        ("getPrints", "printer_name") => Carrier::Field("printed_by".into()),
        ("getPrintOrders", "printer_serial") => Carrier::Keys("routed_to"),
        ("getPrintedParts", "started_after" | "started_before") => Carrier::Joined {
            via: "print_uuid",
            list: "getPrints",
            field: "started_at",
        },
        ("getPrintedParts", "application_uuid") => Carrier::Joined {
            via: "part_order_uuid",
            list: "getPartOrders",
            field: "application_uuid",
        },
        ("getPrintQualityData", "printIds") => Carrier::Field("Print ID".into()),
        _ => return None,
    })
}

/// Query parameters that page or order rather than filter.
const NOT_FILTERS: [&str; 4] = ["limit", "cursor", "offset", "sort"];

/// Requests to a simulator, checked and read.
struct Api {
    raw: Raw,
}

impl Api {
    async fn get(&self, path: &str, query: &[(String, String)]) -> Value {
        let (status, text) = self.try_get(path, query).await;
        assert!(status.is_success(), "GET {path} {query:?}: {status} {text}");
        serde_json::from_str(&text).unwrap()
    }

    async fn try_get(&self, path: &str, query: &[(String, String)]) -> (reqwest::StatusCode, String) {
        let response = self.raw.get(path).query(query).send().await.unwrap();
        let status = response.status();
        (status, response.text().await.unwrap())
    }

    async fn send(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let response = self.raw.request(method.clone(), path).json(&body).send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        assert!(status.is_success(), "{method} {path}: {status} {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    /// Every record of a list for `query` (all pages).
    async fn all(&self, op: &OperationInfo, query: &[(String, String)]) -> Vec<Value> {
        let items = op.items_field.expect("lists name their items");
        let mut records = Vec::new();
        let mut query = with_page(op, query.to_vec());
        loop {
            let page = self.get(op.path, &query).await;
            records.extend(page[items].as_array().cloned().unwrap_or_default());
            match page["next_cursor"].as_str().filter(|c| !c.is_empty()) {
                Some(cursor) if op.kind == CallKind::Cursor => {
                    query.retain(|(k, _)| k != "cursor");
                    query.push(("cursor".into(), cursor.to_string()));
                }
                _ => return records,
            }
        }
    }
}

/// The query with the paging parameters a list requires (the largest page).
fn with_page(op: &OperationInfo, mut query: Vec<(String, String)>) -> Vec<(String, String)> {
    match op.kind {
        CallKind::Cursor => query.push(("limit".into(), "1000".into())),
        CallKind::Offset => {
            query.push(("limit".into(), "1000".into()));
            query.push(("offset".into(), "0".into()));
        }
        _ => {}
    }
    query
}

fn lookup<'a>(record: &'a Value, path: &str) -> Option<&'a Value> {
    record.get(path).or_else(|| {
        let (head, rest) = path.split_once('.')?;
        lookup(record.get(head)?, rest)
    })
}

fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// What a record carries for a filter: the text values an equality filter can ask
/// for, or the instant a date bound compares.
fn carried(record: &Value, how: &Carrier, lists: &Lists) -> Vec<String> {
    match how {
        Carrier::Field(path) => match lookup(record, path) {
            Some(Value::Array(items)) => items.iter().filter_map(text).collect(),
            Some(value) => text(value).into_iter().collect(),
            None => Vec::new(),
        },
        Carrier::Keys(path) => lookup(record, path)
            .and_then(Value::as_object)
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default(),
        Carrier::Joined { via, list, field } => record[*via]
            .as_str()
            .and_then(|uuid| lists.get(list)?.get(uuid))
            .and_then(|other| other[*field].as_str())
            .map(str::to_string)
            .into_iter()
            .collect(),
    }
}

/// Whole lists by operation id, each by uuid, for the filters that read another
/// record.
type Lists = BTreeMap<&'static str, BTreeMap<String, Value>>;

/// Ids the look-ups (lists of records by id) are asked for.
struct Known {
    models: Vec<String>,
    runs: Vec<String>,
}

/// The query that lists everything a walk looks at: look-ups by id need ids.
fn base_query(op: &OperationInfo, lists: &Lists, known: &Known) -> Vec<(String, String)> {
    let each = |name: &str, values: &[String]| -> Vec<(String, String)> {
        values.iter().map(|v| (name.to_string(), v.clone())).collect()
    };
    match op.operation_id {
        "getPrintQualityData" => lists["getPrints"]
            .values()
            .filter_map(|p| p["print_id"].as_str())
            .map(|id| ("printIds".to_string(), id.to_string()))
            .collect(),
        "findModels" => each("uuid", &known.models),
        "getModelProgramRuns" => each("uuid", &known.runs),
        // Prints list only finished ones unless asked; the walk wants every one.
        "getPrints" => ["queued", "printing", "finished"]
            .iter()
            .map(|s| ("status".to_string(), s.to_string()))
            .collect(),
        _ => Vec::new(),
    }
}

/// The identity of a record within its list: its uuid (a queue's printer, a
/// quality report's print), else its whole JSON.
fn identity(record: &Value) -> String {
    ["uuid", "printer_serial", "Print ID"]
        .iter()
        .find_map(|key| record[*key].as_str())
        .map_or_else(|| record.to_string(), str::to_string)
}

fn shift(at: &str, by: chrono::Duration) -> String {
    let at = chrono::DateTime::parse_from_rfc3339(at).unwrap() + by;
    at.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
}

/// Account data in which every modelled filter has a record that carries a value:
/// seeded history, a part order with a packing group, a print order, a run, a model
/// with an external id.
async fn populated() -> (Api, Known) {
    // Time stands still but where the walk moves it: records do not change
    // between the snapshot and the queries, however slow the machine.
    let api = Api {
        raw: Raw::start(Config {
            printed_parts: 12,
            speed: Config::STILL,
            ..Config::default()
        })
        .await,
    };
    let parts = api.get("/parts", &[("limit".into(), "1".into())]).await;
    let model = parts["parts"][0]["model_uuid"].as_str().unwrap().to_string();
    let apps = api.get("/applications", &[]).await;
    let app = apps["applications"][0]["uuid"].as_str().unwrap().to_string();
    let uploaded = api
        .raw
        .request(reqwest::Method::POST, "/models")
        .header("filename", "walk.stl")
        .header("external-id", "ext-walk")
        .header("content-type", "application/octet-stream")
        .body("solid walk")
        .send()
        .await
        .unwrap();
    assert!(uploaded.status().is_success(), "{:?}", uploaded.text().await);
    let uploaded: Value = uploaded.json().await.unwrap();
    let run = api
        .send(
            reqwest::Method::POST,
            "/model_program_runs",
            json!({"model_program_uuid": "00000000-0000-4000-8000-000000000001",
                "parameters": {"~MODEL_UUID~": uploaded["uuid"]}}),
        )
        .await;
    let known = Known {
        models: vec![model.clone(), uploaded["uuid"].as_str().unwrap().to_string()],
        runs: vec![run["uuid"].as_str().unwrap().to_string()],
    };
    let part = api
        .send(
            reqwest::Method::POST,
            "/parts",
            json!({"part_number": "WALK-1", "model_uuid": model, "application_uuid": app}),
        )
        .await;
    let order = json!({"part_order_number": "PO-WALK", "parts": [{"uuid": part["uuid"]}],
        "due_date": "2030-01-01T00:00:00Z", "packing_group": "G-WALK", "flush": true});
    api.send(reqwest::Method::POST, "/part_orders", order).await;
    // A second order that stays open (not packed yet) for the open-order filters.
    let open = json!({"part_order_number": "PO-OPEN", "parts": [{"uuid": part["uuid"]}],
        "due_date": "2030-01-01T00:00:00Z"});
    api.raw.sim.skip_time(Duration::from_secs(3 * 3600));
    api.send(reqwest::Method::POST, "/part_orders", open).await;
    let builds = api.get("/builds", &[("limit".into(), "1".into())]).await;
    let printers = api
        .get(
            "/printers",
            &[("limit".into(), "1".into()), ("offset".into(), "0".into())],
        )
        .await;
    let print_order = json!({"build_uuid": builds["builds"][0]["uuid"], "total_copies": 1,
        "route_to": [printers["printers"][0]["serial"]], "print_order_number": "PRO-WALK"});
    api.send(reqwest::Method::POST, "/print_orders", print_order).await;
    (api, known)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_filter_of_every_list_keeps_the_records_that_carry_its_value() {
    let (api, known) = populated().await;
    let mut lists = Lists::new();
    for id in ["getPrints", "getPartOrders"] {
        let op = operations().iter().find(|op| op.operation_id == id).unwrap();
        let records = api.all(op, &base_query(op, &lists, &known)).await;
        let by_uuid = records.into_iter().map(|r| (identity(&r), r)).collect();
        lists.insert(id, by_uuid);
    }

    let mut walked = Vec::new();
    let mut refused = Vec::new();
    let mut problems = Vec::new();
    for op in operations().iter().filter(|op| op.kind.is_list() && op.method == "GET") {
        let base = base_query(op, &lists, &known);
        let records = api.all(op, &base).await;
        let filters = op
            .params
            .iter()
            .filter(|p| !NOT_FILTERS.contains(&p.name) && p.location != carbon_api_gen::extras::Location::Path);
        for filter in filters {
            let unmodelled = UNMODELLED_FILTERS
                .iter()
                .any(|u| u.path == op.path && u.filter == filter.name);
            if unmodelled {
                let value = if filter.kind == ValueKind::DateTime {
                    "2026-01-01T00:00:00Z"
                } else {
                    "x"
                };
                let mut query = base.clone();
                query.push((filter.name.to_string(), value.to_string()));
                let (status, text) = api.try_get(op.path, &with_page(op, query)).await;
                if status != 400 || !text.contains(filter.name) {
                    problems.push(format!(
                        "{} {}: not modelled, but answered {status} {text}",
                        op.operation_id, filter.name
                    ));
                }
                refused.push(format!("{} {}", op.path, filter.name));
                continue;
            }
            match walk(&api, op, filter, &base, &records, &lists).await {
                Ok(()) => walked.push(format!("{} {}", op.operation_id, filter.name)),
                Err(problem) => problems.push(format!(
                    "{} {}: {problem} (model it, or list it in UNMODELLED_FILTERS)",
                    op.operation_id, filter.name
                )),
            }
        }
    }
    for stale in UNMODELLED_FILTERS
        .iter()
        .filter(|u| !refused.contains(&format!("{} {}", u.path, u.filter)))
    {
        problems.push(format!(
            "UNMODELLED_FILTERS names {stale:?}, which is no filter of the document"
        ));
    }
    assert!(
        problems.is_empty(),
        "filters not answered as the API does:\n{}",
        problems.join("\n")
    );
    // The walk reached the filters the bug reports were about, and many more.
    for expected in [
        "getPrintedParts started_after",
        "getPrintedParts started_before",
        "getPrints started_after",
        "getPrintedParts status",
        "getPartOrders packing_group",
    ] {
        assert!(
            walked.iter().any(|w| w == expected),
            "{expected} was not walked: {walked:?}"
        );
    }
    assert!(walked.len() >= 60, "only {} filters walked: {walked:?}", walked.len());
    api.raw.sim.stop().await;
}

/// Checks one filter of one list against the records the list holds.
async fn walk(
    api: &Api,
    op: &OperationInfo,
    filter: &FieldInfo,
    base: &[(String, String)],
    records: &[Value],
    lists: &Lists,
) -> Result<(), String> {
    let bound = filter
        .name
        .strip_suffix("_after")
        .map(|b| (b, true))
        .or_else(|| filter.name.strip_suffix("_before").map(|b| (b, false)));
    let field = match bound {
        Some((base_name, _)) => format!("{base_name}_at"),
        None => filter.name.to_string(),
    };
    let how = carrier(op.operation_id, filter.name).unwrap_or(Carrier::Field(field));
    let Some((carrier_record, value)) = records
        .iter()
        .find_map(|r| carried(r, &how, lists).into_iter().next().map(|v| (r, v)))
    else {
        return Err(format!("no record carries a value at {how:?}"));
    };
    let ask = |value: String| {
        // A look-up by ids answers the union of its filters: each is asked alone.
        let mut query: Vec<(String, String)> = match op.kind {
            CallKind::Unpaged => Vec::new(),
            _ => base.iter().filter(|(k, _)| k != filter.name).cloned().collect(),
        };
        query.push((filter.name.to_string(), value));
        query
    };
    let identity_of = identity(carrier_record);
    match bound {
        Some((_, lower)) => {
            if filter.kind != ValueKind::DateTime {
                return Err(format!("a date bound typed {:?}", filter.kind));
            }
            let nudge = chrono::Duration::seconds(1);
            // Inclusive lower bound / exclusive upper bound.
            let (keep, drop) = if lower {
                (value.clone(), shift(&value, nudge))
            } else {
                (shift(&value, nudge), value.clone())
            };
            let kept = api.all(op, &ask(keep.clone())).await;
            if !kept.iter().any(|r| identity(r) == identity_of) {
                return Err(format!("a record at {value} is missing from {}={keep}", filter.name));
            }
            let dropped = api.all(op, &ask(drop.clone())).await;
            if dropped.iter().any(|r| identity(r) == identity_of) {
                return Err(format!(
                    "a record at {value} is still there with {}={drop}",
                    filter.name
                ));
            }
        }
        None => {
            let answered = api.all(op, &ask(value.clone())).await;
            if !answered.iter().any(|r| identity(r) == identity_of) {
                return Err(format!("the record carrying `{value}` did not come back"));
            }
            if let Some(stray) = answered.iter().find(|r| !carried(r, &how, lists).contains(&value)) {
                return Err(format!("`{value}` also brought {stray}"));
            }
        }
    }
    Ok(())
}

#[tokio::test]
async fn the_documented_limits_are_the_clients_own() {
    let api = Api {
        raw: Raw::seeded(1).await,
    };
    let q = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    };
    let statuses: Vec<(&str, &str)> = std::iter::once(("limit", "10"))
        .chain(["a", "b", "c", "d", "e", "f"].map(|s| ("status", s)))
        .collect();
    // Six statuses: too many for getPrints (at most 5)...
    let (status, text) = api.try_get("/prints", &q(&statuses)).await;
    assert_eq!(status, 400, "{text}");
    assert!(
        text.contains("`status` has 6 values but get_prints accepts at most 5"),
        "{text}"
    );
    // ...but not for getPrintedParts, whose document sets no such limit.
    let (status, text) = api.try_get("/printed_parts", &q(&statuses)).await;
    assert_eq!(status, 200, "{text}");
    let (status, text) = api.try_get("/printed_parts", &q(&[("limit", "1001")])).await;
    assert_eq!(status, 400, "{text}");
    assert!(
        text.contains("`limit` is 1001 but get_printed_parts accepts 1..=1000"),
        "{text}"
    );
    let long = "g".repeat(33);
    let (status, text) = api
        .try_get("/part_orders", &q(&[("limit", "10"), ("packing_group", &long)]))
        .await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("`packing_group` is 33 characters long"), "{text}");
    // Each message is the client's own: the SDK refuses the same request unsent.
    let url = reqwest::Url::parse_with_params(&format!("{}/prints", api.raw.sim.base_url()), q(&statuses)).unwrap();
    assert_eq!(
        carbon_api_gen::extras::check_query("get_prints", &url).unwrap_err(),
        "`status` has 6 values but get_prints accepts at most 5; split the values into several calls (carbon-ext's \
         chunked lookups do this)"
    );
}
