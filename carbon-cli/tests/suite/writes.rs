//! Commands that change production: previews that send no write, deletes that say
//! what they did and ask first, workflows that never reuse the wrong order, and a
//! simulator that never breaks the profile of the one already running.

use std::process::Stdio;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::support::{self, Setup, bare, ok, stderr};

fn order_args<'a>(files: &'a [String], number: &'a str) -> Vec<&'a str> {
    let mut args = support::order_args(files, "PN-W", number);
    args.extend(["-o", "json"]);
    args
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_runs_send_no_write() {
    let s = Setup::frozen().await;
    let body = s.dir.path().join("order.json");
    std::fs::write(
        &body,
        r#"{"part_order_number": "PO-DRY", "parts": [{"uuid": "1cf34076-417e-489f-8863-3438facd4808"}]}"#,
    )
    .unwrap();
    let before = s.sim.stats().requests;
    let plan: Value = serde_json::from_str(&ok(&s
        .carbon(&[
            "part-orders",
            "create",
            "--body",
            body.to_str().unwrap(),
            "--due-date",
            "7d",
            "--dry-run",
            "-o",
            "json",
        ])
        .await))
    .unwrap();
    assert_eq!(plan["would_send"], "POST /part_orders");
    assert_eq!(plan["body"]["part_order_number"], "PO-DRY");
    assert!(plan["body"]["due_date"].as_str().unwrap().ends_with('Z'), "{plan}");
    let mesh = s.mesh("dry.stl");
    let upload: Value = serde_json::from_str(&ok(&s
        .carbon(&["models", "upload", mesh.to_str().unwrap(), "--dry-run", "-o", "json"])
        .await))
    .unwrap();
    assert_eq!(upload["would"], "upload presigned");
    let out = s
        .carbon(&[
            "part-orders",
            "delete",
            "1cf34076-417e-489f-8863-3438facd4808",
            "--dry-run",
        ])
        .await;
    assert!(ok(&out).contains("DELETE /part_orders/1cf34076"), "{}", stderr(&out));
    assert_eq!(s.sim.stats().requests, before, "a resource dry run sends nothing");

    // A workflow's dry run reads, and creates nothing.
    let files: Vec<String> = ["a.stl", "b.stl"]
        .iter()
        .map(|n| s.mesh(n).to_string_lossy().into_owned())
        .collect();
    let mut args = order_args(&files, "PO-PLAN");
    args.push("--dry-run");
    let plan: Value = serde_json::from_str(&ok(&s.carbon(&args).await)).unwrap();
    assert_eq!(plan["upload"].as_array().unwrap().len(), 2, "{plan}");
    assert_eq!(plan["create_parts"].as_array().unwrap().len(), 2, "{plan}");
    assert_eq!(plan["order"]["exists"], false);
    assert_eq!(plan["order"]["body"]["parts"].as_array().unwrap().len(), 2);
    let counts = s.sim.counts();
    assert_eq!((counts.models, counts.parts, counts.part_orders), (0, 0, 0));
    // After the real run, the plan finds everything and would create nothing.
    let args = order_args(&files, "PO-PLAN");
    ok(&s.carbon(&args).await);
    let mut again = args.clone();
    again.push("--dry-run");
    let plan: Value = serde_json::from_str(&ok(&s.carbon(&again).await)).unwrap();
    assert_eq!(plan["upload"].as_array().unwrap().len(), 0, "{plan}");
    assert_eq!(plan["create_parts"].as_array().unwrap().len(), 0, "{plan}");
    assert_eq!(plan["order"]["exists"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deletes_ask_and_say_what_they_did() {
    let s = Setup::frozen().await;
    let files = vec![s.mesh("del.stl").to_string_lossy().into_owned()];
    let order: Value = serde_json::from_str(&ok(&s.carbon(&order_args(&files, "PO-DEL")).await)).unwrap();
    let uuid = order["uuid"].as_str().unwrap();
    // No terminal to ask on: refused without --yes, the order untouched.
    let out = s.carbon(&["part-orders", "delete", uuid]).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("add --yes"), "{}", stderr(&out));
    assert!(stderr(&out).contains("part order PO-DEL"), "{}", stderr(&out));
    let still: Value = serde_json::from_str(&ok(&s.carbon(&["part-orders", "get", uuid, "-o", "json"]).await)).unwrap();
    assert_eq!(still["status"], "open");
    let out = s.carbon(&["part-orders", "delete", uuid, "--yes"]).await;
    ok(&out);
    assert_eq!(
        stderr(&out).trim(),
        format!("part order PO-DEL ({uuid}) canceled"),
        "{}",
        stderr(&out)
    );

    // An order that is canceled is never reused: the same command is refused.
    let out = s.carbon(&order_args(&files, "PO-DEL")).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("is canceled"), "{}", stderr(&out));
    assert!(stderr(&out).contains("new --order-number"), "{}", stderr(&out));
    let mut waiting = order_args(&files, "PO-DEL");
    waiting.extend(["--wait", "packed"]);
    assert_eq!(s.carbon(&waiting).await.status.code(), Some(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_with_other_parts_is_not_reused_and_same_bytes_are_ordered_per_file() {
    let s = Setup::frozen().await;
    let a = s.mesh("a.stl");
    let copy = s.dir.path().join("copy-of-a.stl");
    std::fs::copy(&a, &copy).unwrap();
    let b = s.mesh("b.stl");
    let two: Vec<String> = [&a, &copy].iter().map(|p| p.to_string_lossy().into_owned()).collect();
    // Two files with the same bytes: said before anything is created, one model
    // and one part, two printed parts.
    let out = s.carbon(&order_args(&two, "PO-SAME")).await;
    let order: Value = serde_json::from_str(&ok(&out)).unwrap();
    assert!(stderr(&out).contains("have the same bytes"), "{}", stderr(&out));
    assert_eq!(order["printed_parts"].as_array().unwrap().len(), 2, "{order}");
    let counts = s.sim.counts();
    assert_eq!((counts.models, counts.parts), (1, 1));
    // The same command again reuses it; another set of files under its number is refused.
    ok(&s.carbon(&order_args(&two, "PO-SAME")).await);
    let three = [two.clone(), vec![b.to_string_lossy().into_owned()]].concat();
    let out = s.carbon(&order_args(&three, "PO-SAME")).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("exists already with other parts"),
        "{}",
        stderr(&out)
    );
    assert_eq!(s.sim.counts().part_orders, 1);
}

#[tokio::test]
async fn a_simulator_with_bad_settings_is_refused_as_the_simulator_refuses_it() {
    let dir = tempfile::tempdir().unwrap();
    for (bad, said) in [
        (["--speed", "0"], "--speed 0.0: give a factor above 0"),
        (["--faults", "2"], "--faults 2: give a share of requests from 0 to 1"),
    ] {
        let out = bare(dir.path()).arg("sim").args(bad).output().await.unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(said), "{bad:?}: {}", stderr(&out));
        assert!(!dir.path().join("sim-secrets.json").exists(), "nothing written");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_simulator_on_a_taken_port_leaves_the_running_ones_profile_working() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = bare(dir.path())
        .args(["sim", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(first.stdout.take().unwrap()).lines();
    let line = tokio::time::timeout(std::time::Duration::from_secs(120), lines.next_line())
        .await
        .expect("carbon sim said where it listens")
        .unwrap()
        .unwrap();
    let url = line.strip_prefix("listening on ").unwrap().to_string();
    let port = url
        .trim_start_matches("http://127.0.0.1:")
        .trim_end_matches("/v1")
        .to_string();
    ok(&bare(dir.path())
        .args(["--profile", "sim", "printers", "list"])
        .output()
        .await
        .unwrap());
    let secrets = std::fs::read(dir.path().join("sim-secrets.json")).unwrap();

    let second = bare(dir.path()).args(["sim", "--port", &port]).output().await.unwrap();
    assert_eq!(second.status.code(), Some(2), "{}", stderr(&second));
    assert!(stderr(&second).contains("choose another --port"), "{}", stderr(&second));
    assert_eq!(std::fs::read(dir.path().join("sim-secrets.json")).unwrap(), secrets);
    ok(&bare(dir.path())
        .args(["--profile", "sim", "printers", "list"])
        .output()
        .await
        .unwrap());
    first.kill().await.unwrap();
}
