//! `carbon export prints|measurements` and incremental runs (`--state`): what a
//! cron job sees, including a run that is killed.

use carbon_sim::Config;

use crate::support::{Setup, ok, stderr};

async fn history(printed_parts: usize) -> Setup {
    Setup::frozen_with(Config {
        printed_parts,
        ..Config::default()
    })
    .await
}

fn lines(path: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prints_and_measurements_export_as_csv_and_ndjson() {
    let s = history(1_500).await;
    let prints = s.dir.path().join("prints.csv");
    let out = s.carbon(&["export", "prints", "--to", prints.to_str().unwrap()]).await;
    ok(&out);
    let rows = lines(&prints);
    assert!(
        rows[0].starts_with("print_id,print_uuid,status,printer_serial"),
        "{}",
        rows[0]
    );
    assert!(rows.len() > 100, "{}", rows.len());
    assert!(
        stderr(&out).contains(&format!("exported {} print(s)", rows.len() - 1)),
        "{}",
        stderr(&out)
    );
    // A status the API's five-at-a-time limit refuses, before anything is sent.
    let many: Vec<&str> = ["a", "b", "c", "d", "e", "f"]
        .iter()
        .flat_map(|s| ["--status", *s])
        .collect();
    let refused = s.carbon(&[&["export", "prints"][..], &many].concat()).await;
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(stderr(&refused).contains("at most 5 statuses"), "{}", stderr(&refused));

    let ndjson = s.dir.path().join("m.ndjson");
    ok(&s
        .carbon(&[
            "export",
            "measurements",
            "--format",
            "ndjson",
            "--to",
            ndjson.to_str().unwrap(),
        ])
        .await);
    let rows: Vec<serde_json::Value> = lines(&ndjson)
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 1_500);
    let first = &rows[0];
    assert!(first["serial_number"].is_string(), "joined with its part: {first}");
    assert_eq!(first["measurement_name"], "Wall thickness", "{first}");
    assert_eq!(
        (&first["units"], &first["min"], &first["max"]),
        (&"mm".into(), &"0.8".into(), &"1.2".into())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_state_file_exports_only_changes_and_a_killed_run_changes_nothing() {
    let s = history(1_500).await;
    let (out, state) = (s.dir.path().join("m.csv"), s.dir.path().join("m.state"));
    let export = |extra: &'static [&'static str]| {
        let mut args = vec![
            "export".to_string(),
            "measurements".into(),
            "--to".into(),
            out.to_str().unwrap().into(),
            "--state".into(),
            state.to_str().unwrap().into(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    };
    let run = |args: Vec<String>, env: &'static [(&'static str, &'static str)]| {
        let s = &s;
        async move {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            s.carbon_with(&args, env).await
        }
    };

    // Killed after its first rows were written: no file, no state, and the
    // temporary file it leaves is removed by the next run.
    let killed = run(export(&[]), &[("CARBON_CLI_CRASH_AT", "1")]).await;
    assert!(!killed.status.success(), "{}", stderr(&killed));
    assert!(stderr(&killed).contains("export-rows-written"), "{}", stderr(&killed));
    assert!(!out.exists() && !state.exists());
    let parts = || -> Vec<std::path::PathBuf> {
        std::fs::read_dir(s.dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.to_string_lossy().ends_with(".part"))
            .collect()
    };
    let leftovers = || parts().len();
    // Left as a minute ago: a file no run locks and no one wrote to lately.
    let age = || {
        for part in parts() {
            let file = std::fs::File::options().write(true).open(&part).unwrap();
            let minutes_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(120);
            file.set_modified(minutes_ago).unwrap();
        }
    };
    assert_eq!(leftovers(), 1, "what kill -9 leaves");
    // Kept while it may still be a run just starting.
    ok(&run(export(&["--updated-after", "2000-01-01"]), &[]).await);
    assert_eq!(leftovers(), 1, "a fresh file is not taken for abandoned");
    std::fs::remove_file(&state).unwrap();

    age();
    ok(&run(export(&[]), &[]).await);
    assert_eq!(lines(&out).len(), 1 + 1_500, "a first run exports everything");
    assert_eq!(leftovers(), 0, "the killed run's file is gone");
    let saved = std::fs::read(&state).unwrap();

    // Nothing changed: a header and no rows, and a state that says the same.
    let again = run(export(&[]), &[]).await;
    ok(&again);
    assert_eq!(lines(&out).len(), 1);
    assert!(
        stderr(&again).contains("exported 0 measurement(s)"),
        "{}",
        stderr(&again)
    );
    let saved_again = std::fs::read(&state).unwrap();

    // Other filters than the state's are refused, and the state stays.
    let refused = run(
        export(&["--printed-part-uuid", "00000000-0000-4000-8000-000000000000"]),
        &[],
    )
    .await;
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(stderr(&refused).contains("other filters"), "{}", stderr(&refused));
    assert_eq!(std::fs::read(&state).unwrap(), saved_again);
    let since = |bytes: &[u8]| serde_json::from_slice::<serde_json::Value>(bytes).unwrap()["since"].clone();
    assert_eq!(since(&saved), since(&saved_again));
    assert!(since(&saved).is_string(), "{}", String::from_utf8_lossy(&saved));

    // A run killed midway leaves the state and the last output as they were
    // (a state from before any change, so that this run has rows to write).
    let mut from_the_start: serde_json::Value = serde_json::from_slice(&saved).unwrap();
    from_the_start["since"] = serde_json::Value::Null;
    from_the_start["recent"] = serde_json::json!([]);
    std::fs::write(&state, serde_json::to_vec(&from_the_start).unwrap()).unwrap();
    let before = std::fs::read(&state).unwrap();
    let killed = run(export(&[]), &[("CARBON_CLI_CRASH_AT", "1")]).await;
    assert!(!killed.status.success(), "{}", stderr(&killed));
    assert_eq!(std::fs::read(&state).unwrap(), before);
    assert_eq!(lines(&out).len(), 1, "the last run's output");
    age();
    ok(&run(export(&[]), &[]).await);
    assert_eq!(lines(&out).len(), 1 + 1_500);
    assert_eq!(leftovers(), 0);

    // A state file that is not one is refused with what to do.
    std::fs::write(&state, b"not json").unwrap();
    let broken = run(export(&[]), &[]).await;
    assert_eq!(broken.status.code(), Some(2), "{}", stderr(&broken));
    assert!(stderr(&broken).contains("delete it"), "{}", stderr(&broken));
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_a_closed_terminal_or_sigterm_stop_an_export_with_no_file_left() {
    // A tight limit keeps the export going until the test interrupts it.
    let s = Setup::exactly(Config {
        printed_parts: 3_000,
        speed: Config::STILL,
        rate_limit: Some((3, std::time::Duration::from_secs(10))),
        ..Config::default()
    })
    .await;
    let out = s.dir.path().join("parts.csv");
    for (signal, said) in [
        (libc::SIGINT, "Ctrl-C"),
        (libc::SIGHUP, "SIGHUP"),
        (libc::SIGTERM, "SIGTERM"),
    ] {
        let mut command = crate::support::bare(s.dir.path());
        command
            .args(["export", "printed-parts", "--to", out.to_str().unwrap()])
            .env("CARBON_BASE_URL", s.sim.base_url())
            .env("CARBON_SECRETS_FILE", &s.secrets)
            .stderr(std::process::Stdio::piped());
        let child = command.spawn().unwrap();
        // Interrupted once it has started writing: its temporary file exists.
        let started = || {
            std::fs::read_dir(s.dir.path())
                .unwrap()
                .any(|e| e.unwrap().file_name().to_string_lossy().ends_with(".part"))
        };
        while !started() {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let pid = child.id().unwrap() as libc::pid_t;
        // SAFETY: a signal to the child this test started.
        assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
        let done = child.wait_with_output().await.unwrap();
        assert_eq!(done.status.code(), Some(130), "{said}: {}", stderr(&done));
        assert!(stderr(&done).contains("interrupted"), "{}", stderr(&done));
        assert!(stderr(&done).contains(said), "{}", stderr(&done));
        assert!(!started() && !out.exists(), "{said}: nothing left behind");
    }
}
