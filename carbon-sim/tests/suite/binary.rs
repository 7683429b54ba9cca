//! The program's contract, which scripts depend on: the first stdout line is exactly
//! `listening on http://127.0.0.1:<port>/v1`, and `--write-secrets` makes a key the
//! server accepts.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The program on a free loopback port, writing its key to `secrets`.
fn program(secrets: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_carbon-sim"));
    command.args(["--addr", "127.0.0.1:0", "--write-secrets"]).arg(secrets);
    command
}

/// Starts `command`: the running program (killed when dropped) and the first
/// line it printed.
fn started(command: &mut Command) -> (Killed, String) {
    let mut child = Killed(command.stdout(Stdio::piped()).spawn().unwrap());
    let mut first = String::new();
    BufReader::new(child.0.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    (child, first)
}

#[tokio::test]
async fn prints_its_address_first_and_serves_with_the_written_key() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = dir.path().join("secrets.json");
    let (_child, first) = started(program(&secrets).args([
        "--printed-parts",
        "25",
        "--printers",
        "4",
        "--rate-limit",
        "off",
        "--seed",
        "3",
        "--speed",
        "50",
    ]));
    let base = first
        .trim_end()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("first line: {first:?}"))
        .to_string();
    assert!(base.starts_with("http://127.0.0.1:") && base.ends_with("/v1"), "{base}");

    let key = carbon_auth::ApiKey::from_file(&secrets).unwrap();
    let token = carbon_auth::mint(&key, Duration::from_secs(60)).unwrap();
    let http =
        carbon_api_gen::http_client(std::time::Duration::from_secs(30), std::time::Duration::from_secs(300)).unwrap();
    let count = |path: &'static str| {
        let request = http.get(format!("{base}{path}")).bearer_auth(token.expose());
        async move {
            let page: serde_json::Value = request.send().await.unwrap().json().await.unwrap();
            page["total_count"].as_u64().unwrap()
        }
    };
    assert_eq!(count("/printers?limit=2&offset=0").await, 4);
    assert_eq!(count("/printed_parts?limit=10").await, 25);
}

#[test]
fn refuses_to_start_without_a_key() {
    let output = Command::new(env!("CARGO_BIN_EXE_carbon-sim")).output().unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--write-secrets"));
}

#[test]
fn bad_settings_are_refused_with_status_2_and_nothing_written() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = dir.path().join("secrets.json");
    let not_a_document = dir.path().join("list.yaml");
    std::fs::write(&not_a_document, "- just\n- a list\n").unwrap();
    for bad in [
        ["--api-document", not_a_document.to_str().unwrap()],
        ["--rate-limit", "0/10s"],
        ["--rate-limit", "200/-1s"],
        ["--rate-limit", "200/0s"],
        ["--cursor-ttl", "inf"],
        ["--cursor-ttl", "NaN"],
        ["--speed", "1e300"],
        ["--speed", "0"],
        ["--faults", "2"],
    ] {
        let output = program(&secrets).args(bad).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{bad:?}: {stderr}");
        assert!(stderr.starts_with("error: --"), "{bad:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{bad:?}: {stderr}");
        assert!(!secrets.exists(), "{bad:?} wrote the key");
    }
}

#[cfg(unix)]
#[tokio::test]
async fn the_written_key_is_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let secrets = dir.path().join("secrets.json");
    let (_child, line) = started(&mut program(&secrets));
    assert!(line.starts_with("listening on "), "{line}");
    let mode = std::fs::metadata(&secrets).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{mode:o}");
}
