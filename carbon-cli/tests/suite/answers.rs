//! Answers an operator can act on: values that cannot match are refused before
//! anything is sent, output is made for reading and for scripts in every format,
//! and a reader that goes away (`| head`) ends a command quietly.

use std::process::Stdio;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use unicode_width::UnicodeWidthStr;

use crate::support::{self, Setup, ok, stderr};

/// Printed parts, every status.
async fn with_history() -> Setup {
    Setup::holding(30).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn values_that_cannot_match_are_refused_and_nothing_is_sent() {
    let s = with_history().await;
    let before = s.sim.stats().requests;
    for (flags, says) in [
        (&["--status", "complet"][..], "Did you mean `complete`?"),
        (&["--status", "bogus"][..], "Accepted: waiting, preparing"),
        (&["--uuid", "not-a-uuid"][..], "is not an id"),
        (
            &["--uuid", "1cf34076-417e-489f-8863-3438facd4808,b"][..],
            "`b` is not an id",
        ),
        (&["--sort", "bogus"][..], "Sortable: uuid, updated_at"),
        (&["--started-after", "last week"][..], "--started-after"),
        (&["--limit", "0"][..], "limit"),
    ] {
        let mut args = vec!["printed-parts", "list"];
        args.extend(flags);
        let out = s.carbon(&args).await;
        assert_eq!(out.status.code(), Some(2), "{flags:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(says), "{flags:?}: {}", stderr(&out));
        assert!(out.stdout.is_empty(), "{flags:?}");
    }
    // The exports read their times as the lists do, before anything is sent.
    for args in [
        &["export", "prints", "--started-after", "last week"][..],
        &["export", "printed-parts", "--finished-before", "2026-02-30"][..],
        &["export", "measurements", "--updated-after", "soon"][..],
    ] {
        let out = s.carbon(args).await;
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("is not a time"), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(&format!("'{}", args[2])),
            "{args:?}: {}",
            stderr(&out)
        );
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    let out = s.carbon(&["part-orders", "get", "PO-1"]).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).starts_with("error: UUID: `PO-1` is not an id"),
        "{}",
        stderr(&out)
    );
    assert_eq!(s.sim.stats().requests, before, "a refused value sent a request");

    // What the document lists, in another case, is the document's value; a value
    // newer than this build goes through when asked.
    let complete = ok(&s
        .carbon(&["printed-parts", "list", "--status", "Complete", "--all"])
        .await);
    assert_eq!(complete.lines().count(), 30);
    let out = s
        .carbon(&["printed-parts", "list", "--status", "on_hold", "--allow-unknown-values"])
        .await;
    assert!(out.status.code().is_some_and(|c| c != 2), "{}", stderr(&out));

    // Dates take every form on every list, text-typed ones included.
    let prints = ok(&s.carbon(&["prints", "list", "--started-after", "30d", "--all"]).await);
    assert!(prints.lines().count() > 0);
    let recent = ok(&s
        .carbon(&["printed-parts", "list", "--started-after", "30d", "--all"])
        .await);
    assert_eq!(recent.lines().count(), 30, "every seeded part started within 30 days");

    // Hand-written commands check their ids too.
    for args in [
        &["wait", "part-order", "PO-1"][..],
        &["download", "model", "x"],
        &[
            "order",
            "a.stl",
            "--part-number",
            "P",
            "--order-number",
            "O",
            "--application",
            "Dental",
        ],
    ] {
        let out = s.carbon(args).await;
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("is not an id"), "{args:?}: {}", stderr(&out));
    }
    assert_eq!(
        s.sim.stats().requests,
        before + 4,
        "only the four lists above were sent"
    );

    // A required parameter is a required flag; every list takes --all.
    let out = s.carbon(&["print-quality-data", "list"]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--print-ids"), "{}", stderr(&out));
    ok(&s.carbon(&["applications", "list", "--all"]).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fields_wide_and_max_items_in_every_format() {
    let s = with_history().await;
    let fields = ["--fields", "serial_number,status,uuid", "--max-items", "3"];
    let run = |format: &'static str| {
        let mut args = vec!["printed-parts", "list", "-o", format];
        args.extend(fields);
        args
    };
    let csv = ok(&s.carbon(&run("csv")).await);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "serial_number,status,uuid");
    assert_eq!(lines.len(), 4, "{csv}");
    let ndjson = ok(&s.carbon(&run("ndjson")).await);
    assert_eq!(ndjson.lines().count(), 3);
    for line in ndjson.lines() {
        let keys: Vec<String> = serde_json::from_str::<serde_json::Map<String, Value>>(line)
            .unwrap()
            .keys()
            .cloned()
            .collect();
        assert_eq!(keys.len(), 3, "{line}");
        assert!(
            line.starts_with("{\"serial_number\":"),
            "fields in the order asked: {line}"
        );
    }
    // A field these records do not have, or none at all, is refused.
    for fields in ["serial_numbr", ",", ""] {
        let out = s.carbon(&["printed-parts", "list", "--fields", fields]).await;
        assert_eq!(out.status.code(), Some(2), "{fields:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("--fields"), "{}", stderr(&out));
    }
    let json = ok(&s.carbon(&run("json")).await);
    assert!(json.ends_with("]\n"), "{json:?}");
    assert_eq!(serde_json::from_str::<Vec<Value>>(&json).unwrap().len(), 3);
    let table = ok(&s.carbon(&run("table")).await);
    assert!(table.starts_with("SERIAL_NUMBER  STATUS"), "{table}");
    assert_eq!(table.lines().count(), 4);
    let wide = ok(&s
        .carbon(&["printed-parts", "list", "-o", "wide", "--max-items", "2"])
        .await);
    let header = wide.lines().next().unwrap();
    assert!(
        header.starts_with("UUID") && header.contains("TAGS.") && header.contains("PART_ORDER_NUMBER"),
        "{header}"
    );
    assert_eq!(wide.lines().count(), 3);

    // Nested fields flattened, for one record too.
    let printers = ok(&s.carbon(&["printers", "list", "-o", "table"]).await);
    assert!(
        printers.starts_with("SERIAL  NAME       STATE  QUEUE  PRINTING  ALERTS\n"),
        "{printers}"
    );
    assert!(printers.lines().nth(1).unwrap().contains("IDLE"), "{printers}");
    let one = ok(&s.carbon(&["printers", "get", "SIM001", "-o", "table"]).await);
    assert!(
        one.lines()
            .any(|l| l.starts_with("status.printer_state") && l.ends_with("IDLE")),
        "{one}"
    );
    let json = ok(&s.carbon(&["printers", "get", "SIM001", "-o", "json"]).await);
    assert!(json.ends_with("}\n"), "{json:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_table_fits_80_columns() {
    let s = with_history().await;
    for list in [
        &["printed-parts", "list"][..],
        &["printers", "list"],
        &["prints", "list"],
        &["part-orders", "list"],
    ] {
        let mut args = list.to_vec();
        args.extend(["-o", "table"]);
        let out = s.carbon_with(&args, &[("COLUMNS", "80")]).await;
        let table = ok(&out);
        assert!(table.lines().count() > 1, "{list:?}: {table}");
        for line in table.lines() {
            assert!(line.width() <= 80, "{list:?}: {} columns: {line}", line.width());
        }
    }
    // Wider room, whole cells.
    let wide = ok(&s
        .carbon_with(&["printed-parts", "list", "-o", "table"], &[("COLUMNS", "300")])
        .await);
    assert!(!wide.contains('…'), "{wide}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_that_goes_away_ends_the_command_quietly() {
    let s = Setup::holding(3_000).await;
    // Thousands of rows: far more than a pipe holds, so the reader is gone
    // while the command still writes.
    for args in [
        &["printed-parts", "list", "--all", "-o", "ndjson"][..],
        &["printed-parts", "list", "--all", "-o", "csv"],
    ] {
        let mut command = support::bare(s.dir.path());
        command
            .args(args)
            .env("CARBON_BASE_URL", s.sim.base_url())
            .env("CARBON_SECRETS_FILE", &s.secrets)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        assert!(lines.next_line().await.unwrap().is_some(), "{args:?}: no first line");
        drop(lines);
        let out = child.wait_with_output().await.unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        assert!(out.stderr.is_empty(), "{args:?}: {}", stderr(&out));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_gone_before_the_first_write_is_no_panic() {
    let dir = tempfile::tempdir().unwrap();
    for args in [&["completions", "bash"][..], &["profile", "list", "-o", "json"]] {
        // The reading end is closed before the command starts: its first write fails.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        // spawn, not output(): tokio's output() would pipe stdout itself.
        let child = support::bare(dir.path())
            .args(args)
            .stdout(Stdio::from(writer))
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let out = child.wait_with_output().await.unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        assert!(out.stderr.is_empty(), "{args:?}: {}", stderr(&out));
    }
}
