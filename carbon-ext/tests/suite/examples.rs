//! The example programs, run as a user runs them, against a scripted API.

use crate::common;

use std::path::PathBuf;
use std::process::Command;

use common::{Reply, Scripted};
use serde_json::json;

fn fixture_secrets() -> PathBuf {
    test_support::keys::secrets_file()
}

/// Runs the export against `base` with the test key and `extra` arguments.
async fn export(base: &str, extra: Vec<std::ffi::OsString>) -> std::process::Output {
    let (binary, base, secrets) = (
        test_support::examples::binary("printed_parts_export"),
        base.to_string(),
        fixture_secrets(),
    );
    tokio::task::spawn_blocking(move || {
        Command::new(binary)
            .args(["--base-url", &base, "--secrets"])
            .arg(&secrets)
            .args(extra)
            .env_remove("CARBON_BASE_URL")
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn the_export_skips_malformed_records_when_asked_and_reports_them() {
    let page = |parts: serde_json::Value, next: &str| Reply::json(200, json!({"parts": parts, "next_cursor": next}));
    let good = |uuid: &str| json!({"uuid": uuid, "part_uuid": "p", "status": "complete", "part_number": "PN"});
    let first = json!([good("a"), {"uuid": "bad-1", "part_uuid": "p", "status": 7}, good("b")]);
    let second = json!([good("c")]);
    let server = Scripted::start(vec![page(first.clone(), "c2"), page(second.clone(), "")]).await;
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("parts.csv");
    let output = export(
        &server.base,
        vec!["--skip-malformed".into(), "--output".into(), csv.clone().into()],
    )
    .await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("record 1 of page 0 (uuid bad-1)") && stderr.contains("parts[1].status"),
        "{stderr}"
    );
    assert!(stderr.contains("skipped 1 malformed"), "{stderr}");
    let rows: Vec<String> = std::fs::read_to_string(&csv)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().to_string())
        .collect();
    assert_eq!(rows, ["a", "b", "c"]);

    // Without the flag the same answer ends the export with an error naming the
    // record. (The base URL from CARBON_BASE_URL this time, as Client::builder().from_env() reads it.)
    let server = Scripted::start(vec![page(first, "c2"), page(second, "")]).await;
    let (binary, base, secrets) = (
        test_support::examples::binary("printed_parts_export"),
        server.base.clone(),
        fixture_secrets(),
    );
    let output = tokio::task::spawn_blocking(move || {
        Command::new(binary)
            .arg("--secrets")
            .arg(&secrets)
            .env("CARBON_BASE_URL", &base)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("record 1 of the page"), "{stderr}");

    // An export that fails leaves the file it was to write as it was.
    let server = Scripted::start(vec![page(json!([good("a"), {"uuid": "bad-1", "status": 7}]), "")]).await;
    std::fs::write(&csv, "last week's export\n").unwrap();
    let output = export(&server.base, vec!["--output".into(), csv.clone().into()]).await;
    assert!(!output.status.success());
    assert_eq!(std::fs::read_to_string(&csv).unwrap(), "last week's export\n");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temporary file left"
    );
}
