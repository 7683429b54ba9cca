//! Several `carbon` processes with one key on one host share the key's limit
//! (through its ledger), and none fails because of it: a job the limit only slows
//! never fails. A process killed while it holds slots blocks the others for one
//! window at most.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};

use crate::support::{Setup, stderr};

/// A simulator allowing 20 requests per 2 s, holding 150 printed parts.
async fn limited() -> Setup {
    Setup::exactly(carbon_sim::Config {
        printed_parts: 150,
        rate_limit: Some((20, Duration::from_secs(2))),
        ..Default::default()
    })
    .await
}

fn list(s: &Setup, ledger: &std::path::Path) -> tokio::process::Command {
    let mut command = crate::support::bare(s.dir.path());
    command
        .args([
            "printed-parts",
            "list",
            "--all",
            "--limit",
            "10",
            "-o",
            "csv",
            "--quiet",
        ])
        .env("CARBON_BASE_URL", s.sim.base_url())
        .env("CARBON_SECRETS_FILE", &s.secrets)
        // The client's window a little longer than the server's, as the API's default is.
        .env("CARBON_RATE_LIMIT", "20/2100ms")
        .env("CARBON_RATE_LIMIT_DIR", ledger)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_processes_with_one_key_all_finish_with_every_row() {
    let s = limited().await;
    let ledger = tempfile::tempdir().unwrap();
    let children: Vec<_> = (0..4).map(|_| list(&s, ledger.path()).spawn().unwrap()).collect();
    for child in children {
        let out = child.wait_with_output().await.unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let rows = String::from_utf8_lossy(&out.stdout).lines().count();
        assert_eq!(rows, 151, "a header and every printed part");
    }
    // They shared one ledger, of that key and API.
    let files: Vec<_> = std::fs::read_dir(ledger.path()).unwrap().collect();
    assert_eq!(files.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_killed_while_holding_slots_blocks_the_others_a_window_at_most() {
    let s = limited().await;
    let ledger = tempfile::tempdir().unwrap();
    let mut holder = list(&s, ledger.path()).spawn().unwrap();
    let mut lines = BufReader::new(holder.stdout.take().unwrap()).lines();
    let first = tokio::time::timeout(Duration::from_secs(120), lines.next_line()).await;
    assert!(
        first.is_ok_and(|l| l.unwrap().is_some()),
        "the first process listed nothing"
    );
    holder.start_kill().unwrap();
    holder.wait().await.unwrap();
    // Another process of the key finishes all the same.
    let out = list(&s, ledger.path())
        .spawn()
        .unwrap()
        .wait_with_output()
        .await
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 151);
}
