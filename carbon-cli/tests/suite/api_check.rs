//! `carbon api check` against a simulator publishing the API's document, and
//! newer ones: the verdict, the exit status a nightly job alerts on, and the
//! changes listed. `carbon --version` names the API version.

use carbon_sim::{ApiDocument, Config};
use serde_json::{Value, json};

use test_support::api_documents::{additive, breaking, upstream};

use crate::support::{Setup, bare, ok, stderr, stdout};

async fn publishing(doc: &Value) -> Setup {
    Setup::start(Config {
        api_document: ApiDocument::new(doc.to_string()),
        ..Config::default()
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_document_is_no_change() {
    let s = Setup::new().await;
    let out = s.carbon(&["api", "check"]).await;
    let text = ok(&out);
    let built = carbon_api_spec::API_VERSION;
    assert!(text.contains(&format!("this build: Carbon API {built}")), "{text}");
    assert!(text.contains(&format!("/v1/api.yaml (Carbon API {built})")), "{text}");
    assert!(text.contains("no API changes\nsemver: none"), "{text}");
    assert_eq!(stderr(&out), "");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newer_api_with_additions_is_additive_and_exits_5() {
    let s = publishing(&additive()).await;
    let out = s.carbon(&["api", "check"]).await;
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("(Carbon API 0.4.18)"), "{text}");
    assert!(text.contains("property added `rework_reason`"), "{text}");
    assert!(text.contains("value added `reworked`"), "{text}");
    assert!(text.contains("semver: additive"), "{text}");
    let advice = stderr(&out);
    assert!(advice.starts_with("additive API change:"), "{advice}");
    assert!(advice.contains("keep working"), "{advice}");

    // The same as one JSON document, for a job that reads it.
    let out = s.carbon(&["api", "check", "-o", "json"]).await;
    assert_eq!(out.status.code(), Some(5));
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(report["verdict"], "additive");
    assert_eq!(
        (report["built_from"].as_str(), report["found"].as_str()),
        (Some(carbon_api_spec::API_VERSION), Some("0.4.18"))
    );
    let changes = report["changes"].as_array().unwrap();
    assert!(changes.iter().all(|c| c["impact"] == "additive"), "{changes:?}");
    assert!(
        changes.iter().any(|c| c["subject"] == "schema PrintedPart"),
        "{changes:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_field_is_breaking_and_exits_6() {
    let s = publishing(&breaking()).await;
    let out = s.carbon(&["api", "check", "-o", "csv"]).await;
    assert_eq!(out.status.code(), Some(6), "{}", stderr(&out));
    let rows = stdout(&out);
    assert!(rows.starts_with("subject,change,impact\n"), "{rows}");
    assert!(
        rows.contains("schema PrintedPart,property removed `serial_number`"),
        "{rows}"
    );
    assert!(stderr(&out).starts_with("breaking API change:"), "{}", stderr(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_document_regen_would_refuse_is_breaking() {
    let mut doc = upstream();
    // An operation without an id cannot be generated.
    let list = doc["paths"]["/printers"]["get"].as_object_mut().unwrap();
    list.remove("operationId");
    let s = publishing(&doc).await;
    let out = s.carbon(&["api", "check"]).await;
    assert_eq!(out.status.code(), Some(6), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("regen would refuse the document"),
        "{}",
        stdout(&out)
    );
    assert!(stdout(&out).contains("has no operationId"), "{}", stdout(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_that_cannot_be_read_say_why() {
    let s = Setup::new().await;
    let not_openapi = s.dir.path().join("notes.yaml");
    std::fs::write(&not_openapi, "title: shopping list\n").unwrap();
    let out = s
        .carbon(&["api", "check", "--from", not_openapi.to_str().unwrap()])
        .await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("not an OpenAPI document"), "{}", stderr(&out));

    // Swagger 2.0 is a document, but not one regen reads: bad input, not a change.
    let swagger = s.dir.path().join("swagger.json");
    std::fs::write(&swagger, r#"{"swagger": "2.0", "info": {"version": "1"}, "paths": {}}"#).unwrap();
    let out = s.carbon(&["api", "check", "--from", swagger.to_str().unwrap()]).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("Swagger"), "{}", stderr(&out));

    let out = s
        .carbon(&["api", "check", "--from", "http://example.com/v1/api.yaml"])
        .await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("plain http"), "{}", stderr(&out));

    // Nothing listens there.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let url = format!("http://{closed}/v1/api.yaml");
    let out = s.carbon(&["api", "check", "--from", &url]).await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("cannot read the API document"),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).is_empty());
    // A server that answers with a login page: the document could not be read. A
    // redirect to plain http elsewhere is not followed.
    for (status, header, body, says) in [
        (
            "200 OK",
            "content-type: text/html",
            "<html>please log in</html>",
            "could not be read",
        ),
        (
            "302 Found",
            "location: http://example.com/api.yaml",
            "",
            "redirect to plain http",
        ),
    ] {
        let server = answering(status, header, body);
        let out = s
            .carbon(&["api", "check", "--from", &format!("{server}/v1/api.yaml")])
            .await;
        assert_eq!(out.status.code(), Some(1), "{status}: {}", stderr(&out));
        assert!(stderr(&out).contains(says), "{}", stderr(&out));
    }
}

/// A loopback server answering every request with this status, header and body.
fn answering(status: &'static str, header: &'static str, body: &'static str) -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request);
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\n{header}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    base
}

#[test]
fn an_older_api_is_said_to_be_older() {
    // Judged from a file: the advice for a document older than this build's.
    let dir = tempfile::tempdir().unwrap();
    let mut doc = upstream();
    doc["info"]["version"] = json!("0.4.0");
    let removed = doc["components"]["schemas"]["PrintedPart"]["properties"]
        .as_object_mut()
        .unwrap()
        .remove("serial_number");
    assert!(removed.is_some());
    let file = dir.path().join("old.json");
    std::fs::write(&file, doc.to_string()).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_carbon"))
        .args(["api", "check", "--from"])
        .arg(&file)
        .env("CARBON_CONFIG_DIR", dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(6));
    let advice = String::from_utf8_lossy(&out.stderr);
    assert!(
        advice.contains("older than the one this build was generated from"),
        "{advice}"
    );
}

#[tokio::test]
async fn the_version_names_the_api_it_was_built_from() {
    let dir = tempfile::tempdir().unwrap();
    let out = bare(dir.path()).arg("--version").output().await.unwrap();
    let text = ok(&out);
    assert_eq!(
        text.trim(),
        format!(
            "carbon {} (Carbon API {})",
            env!("CARGO_PKG_VERSION"),
            carbon_api_spec::API_VERSION
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_that_met_a_newer_api_ends_with_one_line_about_it() {
    let s = Setup::start(Config {
        api_document: ApiDocument::new(additive().to_string()),
        printed_parts: 30,
        ..Config::default()
    })
    .await;
    let out = s.carbon(&["printed-parts", "list", "--limit", "3", "-o", "json"]).await;
    let records: Vec<Value> = serde_json::from_str(&ok(&out)).unwrap();
    assert_eq!(records.len(), 3, "the data is the data");
    assert_eq!(records[0]["status"], "reworked");
    assert_eq!(
        stderr(&out).trim_end().lines().last().unwrap_or_default(),
        "note: the API sent fields this version does not know: PrintedPart.rework_reason; and values this \
         version does not know: PrintedPartStatus \"reworked\"; see `carbon api check`",
        "{}",
        stderr(&out)
    );
    assert_eq!(
        stderr(&out).matches("rework_reason").count(),
        1,
        "said once: {}",
        stderr(&out)
    );

    let quiet = s
        .carbon(&["printed-parts", "list", "--limit", "3", "-o", "json", "-q"])
        .await;
    ok(&quiet);
    assert!(!stderr(&quiet).contains("note:"), "{}", stderr(&quiet));
    // An API that matches: nothing said.
    let plain = Setup::new().await;
    let out = plain.carbon(&["printers", "list", "-o", "json"]).await;
    ok(&out);
    assert!(!stderr(&out).contains("note:"), "{}", stderr(&out));
}
