//! The `carbon` binary against the simulator: resource commands in every output
//! format, profiles and their precedence, errors and exit statuses, and the
//! workflow commands.

use crate::support;

use serde_json::Value;
use support::{Setup, bare, ok, order_args, stderr, stdout};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resource_commands_print_every_format_with_the_apis_field_names() {
    let s = Setup::new().await;
    // ndjson when piped (the test's stdout is a pipe).
    let lines = ok(&s.carbon(&["printers", "list", "--all"]).await);
    let printers: Vec<Value> = lines.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(printers.len(), 3);
    let serial = printers[0]["serial"].as_str().unwrap().to_string();

    let csv = ok(&s.carbon(&["printers", "list", "--all", "--output", "csv"]).await);
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    assert!(header.contains(&"serial") && header.contains(&"hw_type"), "{csv}");
    assert_eq!(csv.lines().count(), 4);

    let json = ok(&s.carbon(&["printers", "get", &serial, "--output", "json"]).await);
    let printer: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(printer["serial"], serial.as_str());

    let table = ok(&s.carbon(&["printers", "list", "--output", "table"]).await);
    assert!(table.starts_with("SERIAL") || table.contains("SERIAL"), "{table}");
    assert_eq!(table.lines().count(), 4);

    // A create from flags prints the created record.
    let mesh = s.mesh("a.stl");
    let model: Value = serde_json::from_str(&ok(&s
        .carbon(&["models", "upload", mesh.to_str().unwrap(), "--output", "json"])
        .await))
    .unwrap();
    let model_uuid = model["uuid"].as_str().unwrap();
    let part: Value = serde_json::from_str(&ok(&s
        .carbon(&[
            "parts",
            "create",
            "--part-number",
            "PN-9",
            "--model-uuid",
            model_uuid,
            "--output",
            "json",
        ])
        .await))
    .unwrap();
    assert_eq!(part["part_number"], "PN-9");
    let listed = ok(&s
        .carbon(&["parts", "list", "--model-uuid", model_uuid, "--output", "csv"])
        .await);
    assert!(listed.lines().next().unwrap().starts_with("uuid,"), "{listed}");
    assert!(listed.contains("PN-9"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_come_from_files_or_stdin_and_bad_ones_are_refused() {
    let s = Setup::new().await;
    let body = s.dir.path().join("order.json");
    std::fs::write(&body, "{ not json").unwrap();
    let out = s
        .carbon(&["part-orders", "create", "--body", body.to_str().unwrap()])
        .await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("not valid JSON") && stderr(&out).contains("nothing was sent"));
    assert_eq!(s.sim.counts().part_orders, 0);

    let out = s.carbon(&["part-orders", "create"]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("needs a body"), "{}", stderr(&out));

    let out = s.carbon(&["parts", "get", "no-such-part"]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("is not an id"), "{}", stderr(&out));
    let out = s
        .carbon(&["parts", "get", "1cf34076-417e-489f-8863-3438facd4808"])
        .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("not found"), "{}", stderr(&out));
    assert!(stderr(&out).lines().count() <= 2, "{}", stderr(&out));

    let out = s.carbon(&["parts", "list", "--limit", "lots"]).await;
    assert_eq!(out.status.code(), Some(2));

    let out = s
        .carbon(&["order", "missing.stl", "--part-number", "P", "--order-number", "O"])
        .await;
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("missing.stl"), "{}", stderr(&out));
}

/// `carbon profile set NAME` with `s`'s simulator and key.
async fn set_profile(s: &Setup, name: &str) -> std::process::Output {
    let secrets = s.secrets.to_str().unwrap();
    bare(s.dir.path())
        .args([
            "profile",
            "set",
            name,
            "--base-url",
            s.sim.base_url(),
            "--secrets",
            secrets,
        ])
        .output()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profiles_and_their_precedence() {
    let s = Setup::new().await;
    let dir = s.dir.path();
    // No key anywhere: a clear error and status 2.
    let out = bare(dir).args(["printers", "list"]).output().await.unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no API key"), "{}", stderr(&out));

    // A profile.
    ok(&set_profile(&s, "sim").await);
    let listed = ok(&bare(dir).args(["profile", "list"]).output().await.unwrap());
    assert!(listed.contains("sim") && listed.contains(s.sim.base_url()), "{listed}");
    ok(&bare(dir)
        .args(["--profile", "sim", "printers", "list"])
        .output()
        .await
        .unwrap());
    ok(&bare(dir)
        .args(["printers", "list"])
        .env("CARBON_PROFILE", "sim")
        .output()
        .await
        .unwrap());

    // A flag beats the environment, which beats the profile.
    let dead = "http://127.0.0.1:9/v1";
    let out = bare(dir)
        .args(["--profile", "sim", "--base-url", dead, "printers", "list"])
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "the flag's URL was used: {}", stderr(&out));
    let out = bare(dir)
        .args(["--profile", "sim", "printers", "list"])
        .env("CARBON_BASE_URL", dead)
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "the environment's URL was used");
    let shown = ok(&bare(dir)
        .args(["--profile", "sim", "profile", "show"])
        .env("CARBON_BASE_URL", dead)
        .output()
        .await
        .unwrap());
    assert!(shown.contains(&format!("{dead} (environment)")), "{shown}");
    assert!(shown.contains("(profile)"), "{shown}");

    // `default` is used when nothing names a profile.
    ok(&set_profile(&s, "default").await);
    ok(&bare(dir).args(["printers", "list"]).output().await.unwrap());
    let out = bare(dir)
        .args(["--profile", "nope", "printers", "list"])
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no profile `nope`"));
    ok(&bare(dir).args(["profile", "remove", "default"]).output().await.unwrap());
    let out = bare(dir).args(["printers", "list"]).output().await.unwrap();
    assert_eq!(out.status.code(), Some(2), "no default any more: no key");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn order_uploads_parts_and_orders_once_and_waits() {
    let s = Setup::frozen().await;
    let files = s.meshes(3);
    let mut args = order_args(&files, "PN-1", "PO-7");
    args.extend(["--flush", "--output", "json"]);
    let first: Value = serde_json::from_str(&ok(&s.carbon(&args).await)).unwrap();
    let counts = s.sim.counts();
    assert_eq!((counts.models, counts.parts, counts.part_orders), (3, 3, 1));

    // The same command again: nothing new, the same order.
    let again = s.carbon(&args).await;
    let second: Value = serde_json::from_str(&ok(&again)).unwrap();
    assert_eq!(first["uuid"], second["uuid"]);
    assert!(stderr(&again).contains("existed already"), "{}", stderr(&again));
    assert_eq!(s.sim.counts(), counts);

    // Once finished, the order takes no more parts: the same command is refused.
    s.sim.skip_time(std::time::Duration::from_secs(3600));
    let late = s.carbon(&args).await;
    assert_eq!(late.status.code(), Some(2), "{}", stderr(&late));
    assert!(stderr(&late).contains("is complete"), "{}", stderr(&late));
    assert_eq!(s.sim.counts(), counts);

    let uuid = first["uuid"].as_str().unwrap();
    let out = s
        .carbon(&[
            "wait",
            "part-order",
            uuid,
            "--until",
            "finished",
            "--interval",
            "1s",
            "--output",
            "json",
        ])
        .await;
    let finished: Value = serde_json::from_str(&ok(&out)).unwrap();
    assert_eq!(finished["status"], "complete");

    // A timeout has its own status (in real time, packing takes a minute).
    let slow = Setup::at_speed(carbon_sim::Config::default(), 1.0).await;
    let late = slow.mesh("late.stl");
    let out = slow
        .carbon(&[
            "order",
            late.to_str().unwrap(),
            "--part-number",
            "PN-1",
            "--order-number",
            "PO-8",
            "--wait",
            "packed",
            "--timeout",
            "1s",
        ])
        .await;
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn durations_are_read_one_way_before_anything_is_sent() {
    let s = Setup::new().await;
    let cases: [(&[&str], &str); 3] = [
        (&["wait", "part-order", "u-1", "--timeout", "soon"], "--timeout"),
        (&["wait", "part-order", "u-1", "--interval", "5 parsecs"], "--interval"),
        (&["token", "--lifetime", "1q"], "--lifetime"),
    ];
    for (args, flag) in cases {
        let out = s.carbon(args).await;
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        let said = stderr(&out);
        assert!(
            said.contains(flag) && said.contains("is not a duration"),
            "{args:?}: {said}"
        );
        // Read as the arguments are parsed, before anything else.
        assert!(said.contains("invalid value"), "{args:?}: {said}");
    }
    // A state the thing waited on never reaches is named as it was typed.
    let uuid = "1cf34076-417e-489f-8863-3438facd4808";
    let out = s.carbon(&["wait", "part-order", uuid, "--until", "printed"]).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("waits --until packed or finished, not printed"),
        "{}",
        stderr(&out)
    );
    assert_eq!(s.sim.stats().requests, 0, "nothing was sent");
    // The same reading takes the forms the examples take, and a bare number.
    for lifetime in ["90s", "1h30m", "600"] {
        ok(&s.carbon(&["token", "--lifetime", lifetime]).await);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hollow_order_runs_programs_and_orders_the_outputs() {
    let s = Setup::new().await;
    let a = s.mesh("a.stl");
    let b = s.mesh("b.stl");
    let args = [
        "hollow-order",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        "--model-program",
        "3f2a0c1e-5b7d-4e8f-9a01-23456789abcd",
        "--part-number",
        "PN-H",
        "--order-number",
        "PO-H",
        "--output",
        "json",
    ];
    let order: Value = serde_json::from_str(&ok(&s.carbon(&args).await)).unwrap();
    assert_eq!(order["part_order_number"], "PO-H");
    let counts = s.sim.counts();
    assert_eq!((counts.runs, counts.parts, counts.part_orders), (2, 2, 1));
    // Again, once the order is finished: the journal holds the runs, so nothing is
    // started or created twice, and the finished order is not reused.
    s.sim.skip_time(std::time::Duration::from_secs(3600));
    let again = s.carbon(&args).await;
    assert_eq!(again.status.code(), Some(2), "{}", stderr(&again));
    assert!(stderr(&again).contains("is complete"), "{}", stderr(&again));
    assert_eq!(s.sim.counts(), counts);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_token_download_and_completions() {
    let s = Setup::holding(2_500).await;
    let csv = s.dir.path().join("parts.csv");
    let out = s
        .carbon(&["export", "printed-parts", "--to", csv.to_str().unwrap()])
        .await;
    ok(&out);
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(
        text.starts_with("printed_part_uuid,serial_number,status"),
        "{}",
        &text[..200]
    );
    assert_eq!(text.lines().count(), 2_501);
    assert!(
        text.lines()
            .nth(1)
            .unwrap()
            .split(',')
            .filter(|f| !f.is_empty())
            .count()
            >= 8,
        "joined with prints"
    );
    assert!(stderr(&out).contains("exported 2500"), "{}", stderr(&out));
    // The same rows as JSON objects, a line each, for pipelines.
    let ndjson = s.dir.path().join("parts.ndjson");
    ok(&s
        .carbon(&[
            "export",
            "printed-parts",
            "-o",
            "ndjson",
            "--to",
            ndjson.to_str().unwrap(),
        ])
        .await);
    let ndjson = std::fs::read_to_string(&ndjson).unwrap();
    assert!(
        ndjson.starts_with(r#"{"printed_part_uuid":""#),
        "in the columns' order: {}",
        &ndjson[..200]
    );
    let objects: Vec<Value> = ndjson.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    let csv_uuids: std::collections::BTreeSet<&str> =
        text.lines().skip(1).map(|l| l.split(',').next().unwrap()).collect();
    let json_uuids: std::collections::BTreeSet<&str> = objects
        .iter()
        .map(|o| o["printed_part_uuid"].as_str().unwrap())
        .collect();
    assert_eq!((objects.len(), &json_uuids), (2_500, &csv_uuids));
    assert!(objects[0]["printer_serial"].is_string(), "{}", objects[0]);
    // --fields picks and orders the columns; a name that is none of them says which are.
    let picked = ok(&s
        .carbon(&["export", "printed-parts", "--fields", "print_id,printed_part_uuid"])
        .await);
    assert!(picked.starts_with("print_id,printed_part_uuid\n"), "{}", &picked[..80]);
    assert_eq!(picked.lines().nth(1).unwrap().split(',').count(), 2);
    let typo = s.carbon(&["export", "printed-parts", "--fields", "print_idd"]).await;
    assert_eq!(typo.status.code(), Some(2), "{}", stderr(&typo));
    assert!(
        stderr(&typo).contains("its columns are printed_part_uuid"),
        "{}",
        stderr(&typo)
    );
    // One JSON document is not what an export writes.
    let refused = s.carbon(&["export", "printed-parts", "-o", "json"]).await;
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(stderr(&refused).contains("-o ndjson"), "{}", stderr(&refused));

    let token = ok(&s.carbon(&["token", "--lifetime", "5m"]).await);
    assert_eq!(token.trim().split('.').count(), 3, "a JWT");

    let builds = ok(&s.carbon(&["builds", "list", "--limit", "1"]).await);
    let build: Value = serde_json::from_str(builds.lines().next().unwrap()).unwrap();
    let attachment = build["attachments"][0]["uuid"].as_str().unwrap();
    let target = s.dir.path().join("traveler.pdf");
    ok(&s
        .carbon(&["download", "attachment", attachment, "--to", target.to_str().unwrap()])
        .await);
    assert!(std::fs::read(&target).unwrap().starts_with(b"%PDF"));
    // Into a directory, under the server's name: a second time never replaces
    // the first, and says how to.
    let dir = s.dir.path().join("travelers");
    std::fs::create_dir(&dir).unwrap();
    let into_dir = ["download", "attachment", attachment, "--to", dir.to_str().unwrap()];
    let first = ok(&s.carbon(&into_dir).await);
    let again = s.carbon(&into_dir).await;
    assert_eq!(again.status.code(), Some(2), "{}", stderr(&again));
    assert!(
        stderr(&again).contains(&format!(
            "{}: exists already; remove it, or give --to that file",
            first.trim()
        )),
        "{}",
        stderr(&again)
    );

    let bash = ok(&s.carbon(&["completions", "bash"]).await);
    assert!(bash.contains("part-orders") && bash.contains("hollow-order"));
    let help = ok(&s.carbon(&["--help"]).await);
    assert!(help.contains("Exit status") && help.contains("carbon sim"));
    assert!(stdout(&s.carbon(&["part-orders", "list", "--help"]).await).contains("Example:"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verbose_logs_show_requests_but_no_token_or_signed_query() {
    let s = Setup::new().await;
    let mesh = s.mesh("v.stl");
    let out = s.carbon(&["-v", "models", "upload", mesh.to_str().unwrap()]).await;
    ok(&out);
    let log = stderr(&out);
    assert!(
        log.contains("carbon.attempt") && log.contains("path=\"/v1/models/presigned\""),
        "{log}"
    );
    assert!(
        log.contains("operation=\"presigned_put\"") && log.contains("status=200"),
        "{log}"
    );
    // Tokens are JWTs, which start `eyJ`; the presigned query holds X-Amz-Signature.
    for secret in ["eyJ", "Bearer", "X-Amz", "Signature="] {
        assert!(!log.contains(secret), "{secret} in the log:\n{log}");
    }
    // Piped stderr gets no progress bar.
    assert!(!log.contains('\r'), "{log:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journaled_run_the_api_does_not_know_is_started_again() {
    let s = Setup::new().await;
    let mesh = s.mesh("j.stl");
    let args = [
        "hollow-order",
        mesh.to_str().unwrap(),
        "--model-program",
        "3f2a0c1e-5b7d-4e8f-9a01-23456789abcd",
        "--part-number",
        "PN-J",
        "--order-number",
        "PO-J",
        "--quiet",
    ];
    // Crash right after the run is started and journaled (models looked up,
    // upload starting, uploaded, run started).
    let first = s.carbon_with(&args, &[("CARBON_CLI_CRASH_AT", "4")]).await;
    assert!(
        stderr(&first).contains("crashing at checkpoint 4"),
        "{}",
        stderr(&first)
    );
    assert_eq!(s.sim.counts().runs, 1);
    // The journal names a run the API does not know (another simulator on this
    // origin, a run it dropped): it is started again, not waited on.
    let scopes: Vec<_> = std::fs::read_dir(s.dir.path().join("runs")).unwrap().collect();
    assert_eq!(scopes.len(), 1, "one journal directory per API origin and key");
    let scope = scopes[0].as_ref().unwrap().path();
    let journal = std::fs::read_dir(&scope).unwrap().next().unwrap().unwrap().path();
    let text = std::fs::read_to_string(&journal).unwrap();
    let runs: std::collections::BTreeMap<String, String> = serde_json::from_str(&text).unwrap();
    let run = runs.values().next().unwrap().clone();
    std::fs::write(&journal, text.replace(&run, "1cf34076-417e-489f-8863-3438facd4808")).unwrap();
    let again = s.carbon(&args[..args.len() - 1]).await;
    ok(&again);
    assert!(
        stderr(&again).contains("is not known to the API; starting it again"),
        "{}",
        stderr(&again)
    );
    let counts = s.sim.counts();
    assert_eq!((counts.runs, counts.part_orders), (2, 1));
}
