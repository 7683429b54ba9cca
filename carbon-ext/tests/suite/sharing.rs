//! The API's limit belongs to the key: clients of one key on one host share it
//! through the key's ledger, wherever they run (two clients built apart stand for
//! two processes here; the command line's tests use real ones).

use std::time::Duration;

use carbon_ext::{LimitSharing, RateLimit};

use crate::common::{self, Captured, Reply, Scripted, goes_through, part};

/// Five requests an hour, shared as `sharing`.
fn client(base: &str, sharing: LimitSharing) -> carbon_ext::Client {
    common::limited_client(base, RateLimit::new(5, Duration::from_secs(3600)), sharing)
}

#[tokio::test]
async fn clients_of_one_key_share_its_limit_and_others_do_not() {
    let server = Scripted::start(vec![Reply::json(200, part())]).await;
    let dir = tempfile::tempdir().unwrap();
    let shared = || client(&server.base, LimitSharing::HostIn(dir.path().to_path_buf()));
    let (a, b) = (shared(), shared());
    let file = a.shared_rate_limit_file().expect("the limit is shared").to_path_buf();
    assert_eq!(b.shared_rate_limit_file(), Some(file.as_path()));
    assert!(file.starts_with(dir.path()));
    common::assert_five_shared(&a, &b, &server).await;

    // A client that keeps to its own limit is not held back by the others.
    let alone = client(&server.base, LimitSharing::Process);
    assert_eq!(alone.shared_rate_limit_file(), None);
    assert!(goes_through(&alone).await);
    // Nor is the same key against another API.
    let other_api = Scripted::start(vec![Reply::json(200, part())]).await;
    assert!(goes_through(&client(&other_api.base, LimitSharing::HostIn(dir.path().to_path_buf()))).await);

    // The file holds no secret.
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        !text.contains("BEGIN") && !text.contains(common::api_key().client_id()),
        "{text}"
    );
}

#[tokio::test]
async fn a_ledger_that_cannot_be_kept_leaves_the_client_working_alone() {
    let server = Scripted::start(vec![Reply::json(200, part())]).await;
    let dir = tempfile::tempdir().unwrap();
    // A file where the directory should be: no ledger can be opened there.
    let blocked = dir.path().join("not-a-dir");
    std::fs::write(&blocked, "x").unwrap();
    let c = client(&server.base, LimitSharing::HostIn(blocked));
    assert_eq!(c.shared_rate_limit_file(), None);
    assert!(goes_through(&c).await);
}

#[tokio::test]
async fn a_ledger_lost_mid_run_is_said_once_and_its_return_too() {
    let (captured, _guard) = Captured::start(tracing_subscriber::fmt::format::FmtSpan::NONE);
    let server = Scripted::start(vec![Reply::json(200, part())]).await;
    let dir = tempfile::tempdir().unwrap();
    let c = client(&server.base, LimitSharing::HostIn(dir.path().to_path_buf()));
    let file = c.shared_rate_limit_file().unwrap().to_path_buf();
    assert!(goes_through(&c).await);
    // A directory where the file was: it cannot be used. The client keeps to the
    // limit alone (two more of its five), and says so once.
    std::fs::remove_file(&file).unwrap();
    std::fs::create_dir(&file).unwrap();
    assert!(goes_through(&c).await);
    assert!(goes_through(&c).await);
    let warnings = captured.warnings();
    assert_eq!(warnings.lines().count(), 1, "{warnings}");
    assert!(
        warnings.contains("cannot be used") && warnings.contains("alone"),
        "{warnings}"
    );
    // The file can be made again: the client says so, and shares through it.
    std::fs::remove_dir(&file).unwrap();
    assert!(goes_through(&c).await);
    let warnings = captured.warnings();
    assert_eq!(warnings.lines().count(), 2, "{warnings}");
    assert!(warnings.contains("can be used again"), "{warnings}");
    assert!(std::fs::read_to_string(&file).unwrap().lines().count() > 2);
    assert_eq!(server.hits(), 4);
}
