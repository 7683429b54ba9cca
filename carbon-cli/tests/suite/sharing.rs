//! Several `carbon` processes with one key share the key's limit (through its
//! ledger on this host, or through Redis), and none fails because of it: a job the
//! limit only slows never fails. A process killed while it holds slots blocks the
//! others for one window at most; Redis going away mid-run costs no job.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};

use crate::support::{Setup, stderr};

/// A simulator allowing 20 requests per 2 s, holding 150 printed parts.
async fn limited() -> Setup {
    limited_holding(150).await
}

async fn limited_holding(printed_parts: usize) -> Setup {
    Setup::exactly(carbon_sim::Config {
        printed_parts,
        rate_limit: Some((20, Duration::from_secs(2))),
        ..Default::default()
    })
    .await
}

/// Lists every printed part, 10 a page.
fn list(s: &Setup, ledger: &std::path::Path) -> tokio::process::Command {
    list_pages(s, ledger, 10)
}

fn list_pages(s: &Setup, ledger: &std::path::Path, page: usize) -> tokio::process::Command {
    let mut command = crate::support::bare(s.dir.path());
    command
        .args([
            "printed-parts",
            "list",
            "--all",
            "--limit",
            &page.to_string(),
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn processes_share_the_limit_through_redis_and_outlive_it() {
    let s = limited().await;
    let ledger = tempfile::tempdir().unwrap();
    // CI's Redis, for processes that share through it to the end.
    let (url, _own) = test_support::redis::shared_url();
    let through_redis = || {
        let mut command = list(&s, ledger.path());
        command.env("CARBON_RATE_LIMIT_REDIS", &url);
        command
    };
    let children: Vec<_> = (0..3).map(|_| through_redis().spawn().unwrap()).collect();
    for child in children {
        let out = child.wait_with_output().await.unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 151);
        assert_eq!(stderr(&out), "", "nothing to say");
    }
    assert_eq!(
        std::fs::read_dir(ledger.path()).unwrap().count(),
        0,
        "no host ledger: the limit was shared through Redis"
    );

    // A Redis of this test's own, stopped while a process lists through it. Its
    // 2 000 rows are more than a pipe holds: until this test reads them, it cannot
    // finish, however fast it is.
    let s = limited_holding(2_000).await;
    let mut redis = test_support::redis::RedisServer::start();
    let mut first = list_pages(&s, ledger.path(), 100);
    first.env("CARBON_RATE_LIMIT_REDIS", redis.url());
    let mut first = first.spawn().unwrap();
    let mut lines = BufReader::new(first.stdout.take().unwrap()).lines();
    let line = tokio::time::timeout(Duration::from_secs(120), lines.next_line()).await;
    assert!(line.is_ok_and(|l| l.unwrap().is_some()), "the process listed nothing");
    redis.kill();
    let mut rows = 1;
    while lines.next_line().await.unwrap().is_some() {
        rows += 1;
    }
    let out = first.wait_with_output().await.unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(rows, 2_001, "every row, Redis or not");
    let said = stderr(&out);
    assert_eq!(
        said.matches("cannot share the rate limit through Redis").count(),
        1,
        "said once: {said}"
    );
}

#[tokio::test]
async fn a_profile_names_the_redis_and_never_shows_its_password() {
    let dir = tempfile::tempdir().unwrap();
    let carbon = |args: &[&str]| {
        let mut command = crate::support::bare(dir.path());
        command.args(args);
        command.output()
    };
    let out = carbon(&[
        "profile",
        "set",
        "fleet",
        "--base-url",
        "https://api.example/v1",
        "--rate-limit-redis",
        "redis://:hunter2@cache.internal:6379/0",
    ])
    .await
    .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = std::fs::read_to_string(dir.path().join("config.toml")).unwrap();
    assert!(text.contains("rate_limit_redis"), "{text}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("config.toml"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "the password is the owner's only: {mode:o}");
    }
    for args in [
        &["profile", "show", "fleet", "-o", "json"][..],
        &["profile", "list", "-o", "json"],
    ] {
        let out = carbon(args).await.unwrap();
        let shown = crate::support::ok(&out);
        assert!(
            shown.contains("cache.internal") && !shown.contains("hunter2"),
            "{shown}"
        );
    }
    // The environment wins over the profile; --no-shared-limit over both.
    let mut show = crate::support::bare(dir.path());
    show.args(["profile", "show", "fleet", "-o", "json"])
        .env("CARBON_RATE_LIMIT_REDIS", "redis://other:6379");
    let shown = crate::support::ok(&show.output().await.unwrap());
    assert!(shown.contains("other:6379") && shown.contains("environment"), "{shown}");
    let out = carbon(&["profile", "show", "fleet", "--no-shared-limit", "-o", "json"])
        .await
        .unwrap();
    assert!(crate::support::ok(&out).contains("this process only"));
    // A URL that cannot work is refused when set, with what to give.
    let out = carbon(&["profile", "set", "fleet", "--rate-limit-redis", "rediss://cache:6380"])
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("TLS") && stderr(&out).contains("redis://"),
        "{}",
        stderr(&out)
    );
    // And one the environment gives is refused before anything is sent.
    let mut list = crate::support::bare(dir.path());
    list.args(["--profile", "fleet", "printers", "list"])
        .env("CARBON_RATE_LIMIT_REDIS", "cache:6379");
    let out = list.output().await.unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("not a Redis scheme"), "{}", stderr(&out));
}
