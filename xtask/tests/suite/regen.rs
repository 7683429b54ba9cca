//! regen and check as whole tasks, in a temporary copy of the spec crate's files.

use std::path::Path;

use xtask::regen::{check, regen};
use xtask::{Error, Workspace};

fn fixture(name: &str) -> String {
    // The document fixtures are the library's (carbon-api-regen/tests/fixtures).
    format!(
        "{}/../carbon-api-regen/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn workspace() -> (tempfile::TempDir, Workspace) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(fixture("shop-v1-overlay.yaml"), dir.path().join("overlay.yaml")).unwrap();
    let ws = Workspace::at(dir.path());
    (dir, ws)
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn regen_writes_the_documented_normalized_document() {
    let (_dir, ws) = workspace();
    let report = regen(&ws, &fixture("shop-v1.yaml"), false).unwrap();
    assert_eq!(report.api_version, "1.0.0");
    assert!(
        report.overlay.undocumented.is_empty(),
        "{:?}",
        report.overlay.undocumented
    );
    assert!(report.diff.is_none());
    assert_eq!(read(&ws.api_version_txt()), "1.0.0\n");

    let doc: serde_json::Value = serde_json::from_str(&read(&ws.openapi_json())).unwrap();
    let list = &doc["paths"]["/orders"]["get"];
    assert_eq!(list["summary"], "List orders");
    assert_eq!(list["description"], "Returns orders, newest first.\nA second line.\n");
    // Parameter docs are folded to one line for the generated argument list.
    assert_eq!(
        list["parameters"][1]["description"],
        "Only orders with these statuses, spread over two lines."
    );
    assert_eq!(
        doc["components"]["schemas"]["OrderStatus"]["x-enum-descriptions"]["shipped"],
        "On its way."
    );
    // A documented reference keeps its type (and its nullability) through allOf.
    assert_eq!(
        doc["components"]["schemas"]["Order"]["allOf"][1]["properties"]["tracking"],
        serde_json::json!({"allOf": [{"$ref": "#/components/schemas/Tracking"}], "nullable": true, "description": "Where the parcel is."})
    );
    assert_eq!(check(&ws).unwrap(), Vec::<String>::new());
}

#[test]
fn regen_is_deterministic_whatever_the_input_format_and_key_order() {
    let (_dir, ws) = workspace();
    regen(&ws, &fixture("shop-v1.yaml"), false).unwrap();
    let first = read(&ws.openapi_json());
    regen(&ws, &fixture("shop-v1.yaml"), false).unwrap();
    assert_eq!(read(&ws.openapi_json()), first);
    // The same API as JSON with every key order reversed (and other prose, which the
    // overlay replaces except where it has no entry).
    let (_dir2, ws2) = workspace();
    regen(&ws2, &fixture("shop-v1-docs-only.json"), false).unwrap();
    assert_eq!(read(&ws2.openapi_json()), first);
}

#[test]
fn regen_reports_the_diff_against_the_previous_document() {
    let (_dir, ws) = workspace();
    regen(&ws, &fixture("shop-v1.yaml"), false).unwrap();
    let report = regen(&ws, &fixture("shop-v2-breaking.json"), false).unwrap();
    let text = report.to_string();
    assert!(text.contains("semver: breaking"), "{text}");
    assert!(
        text.contains("without overlay docs (1)") && text.contains("operation findOrders (GET /orders)"),
        "{text}"
    );
    assert!(
        text.contains("operations.listOrders"),
        "stale overlay entries are reported: {text}"
    );
}

#[test]
fn check_catches_a_hand_edited_document() {
    let (_dir, ws) = workspace();
    regen(&ws, &fixture("shop-v1.yaml"), false).unwrap();
    let edited = read(&ws.openapi_json()).replace("List orders", "List all the orders");
    std::fs::write(ws.openapi_json(), edited).unwrap();
    let problems = check(&ws).unwrap();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].contains("openapi.json differs from what regen makes")
            && problems[0].contains("never edit it by hand"),
        "{}",
        problems[0]
    );
}

#[test]
fn check_catches_missing_docs_and_a_stale_version() {
    let (_dir, ws) = workspace();
    regen(&ws, &fixture("shop-v1.yaml"), false).unwrap();
    std::fs::write(ws.api_version_txt(), "0.9.0\n").unwrap();
    let overlay = read(&ws.overlay_yaml()).replace(
        "  uploadFile:\n    summary: Upload a file\n    description: Sends the raw bytes.\n",
        "",
    );
    std::fs::write(ws.overlay_yaml(), overlay).unwrap();
    let problems = check(&ws).unwrap();
    assert!(
        problems
            .iter()
            .any(|p| p.contains("api-version.txt says 0.9.0 but the document is API 1.0.0")),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("operation uploadFile (POST /files) has no docs")),
        "{problems:?}"
    );
}

#[test]
fn a_failing_guard_writes_nothing() {
    let (dir, ws) = workspace();
    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        r#"{"openapi": "3.0.3", "info": {"title": "x", "version": "1"}, "paths": {"/a": {"get": {"responses": {}}}}}"#,
    )
    .unwrap();
    let err = regen(&ws, &bad.display().to_string(), false).unwrap_err();
    assert!(matches!(err, Error::Document(carbon_api_regen::Error::Guards(_))));
    assert!(
        err.to_string().contains("operation GET /a: has no operationId"),
        "{err}"
    );
    assert!(!ws.openapi_json().exists() && !ws.upstream_json().exists());
}

#[test]
fn unreadable_sources_say_what_to_do() {
    let (dir, ws) = workspace();
    let err = regen(&ws, "/definitely/not/here.yaml", false).unwrap_err().to_string();
    assert!(
        err.contains("cannot read the API document from /definitely/not/here.yaml"),
        "{err}"
    );
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "just: some\nyaml: [1]\n").unwrap();
    let err = regen(&ws, &text.display().to_string(), false).unwrap_err().to_string();
    assert!(err.contains("has no top-level `openapi` field"), "{err}");
    // Nothing listens on this loopback port: the fetch fails fast and suggests --from.
    let err = regen(&ws, "http://127.0.0.1:9/api.yaml", true).unwrap_err().to_string();
    assert!(err.contains("pass --from with a local file"), "{err}");
}

#[test]
fn the_committed_spec_crate_is_up_to_date() {
    assert_eq!(check(&Workspace::locate()).unwrap(), Vec::<String>::new());
}

#[test]
fn an_untrusted_document_cannot_reach_generated_code_or_cargo() {
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::at(dir.path().join("spec"));
    std::fs::create_dir_all(&ws.spec_dir).unwrap();
    let base = std::fs::read_to_string(fixture("shop-v1.yaml")).unwrap();
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    };

    // A version with a newline would add cargo directives.
    let mut doc: serde_json::Value = serde_yaml_ng::from_str(&base).unwrap();
    doc["info"]["version"] = "1.0\ncargo:rustc-link-arg=/tmp/evil".into();
    let err = regen(&ws, &write("version.json", &doc.to_string()), false)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("info.version") && err.contains("not a plain version"),
        "{err}"
    );

    // A schema name that is not an identifier would be pasted into `pub enum`.
    let mut doc: serde_json::Value = serde_yaml_ng::from_str(&base).unwrap();
    let schemas = doc["components"]["schemas"].as_object_mut().unwrap();
    schemas.insert(
        "Evil {} fn x() {".into(),
        serde_json::json!({"type": "string", "enum": ["a", "b"]}),
    );
    let err = regen(&ws, &write("name.json", &doc.to_string()), false)
        .unwrap_err()
        .to_string();
    assert!(err.contains("not a Rust identifier"), "{err}");

    // YAML anchors can expand without bound: refused before parsing.
    let bomb = format!("{base}\nx-bomb: &a [1, 2, 3]\nx-more: [*a, *a, *a]\n");
    let err = regen(&ws, &write("bomb.yaml", &bomb), false).unwrap_err().to_string();
    assert!(err.contains("anchor") && err.contains("line"), "{err}");
    assert!(!ws.openapi_json().exists(), "nothing was written");

    // Plain http is refused unless allowed; nothing is fetched.
    let err = regen(&ws, "http://127.0.0.1:9/api.yaml", false)
        .unwrap_err()
        .to_string();
    assert!(err.contains("--allow-http"), "{err}");

    // What regen fetched is recorded by its digest.
    let report = regen(&ws, &fixture("shop-v1.yaml"), false).unwrap();
    assert_eq!(report.sha256.len(), 64);
    let recorded = std::fs::read_to_string(ws.upstream_sha256()).unwrap();
    assert!(recorded.starts_with(&report.sha256), "{recorded}");
    assert!(report.to_string().contains(&report.sha256));
}
