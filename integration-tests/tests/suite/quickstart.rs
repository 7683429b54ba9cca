//! The README's quickstart, run twice in a row as a person would.

use std::process::Command;

#[tokio::test]
async fn the_quickstart_runs_twice_in_a_row_and_prints_rfc3339_times() {
    let dir = tempfile::tempdir().unwrap();
    for run in 1..=2 {
        let (binary, out) = (test_support::examples::binary("quickstart"), dir.path().to_path_buf());
        let output = tokio::task::spawn_blocking(move || {
            Command::new(binary)
                .arg("--out")
                .arg(&out)
                .env_remove("CARBON_BASE_URL")
                .output()
                .unwrap()
        })
        .await
        .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "run {run}: {}\n{stdout}",
            String::from_utf8_lossy(&output.stderr)
        );
        let valid_until = stdout
            .lines()
            .find_map(|l| l.split(" valid until ").nth(1))
            .unwrap_or_else(|| panic!("{stdout}"));
        assert!(
            chrono::DateTime::parse_from_rfc3339(valid_until.trim()).is_ok(),
            "{valid_until}"
        );
        assert!(dir.path().join("traveler.pdf").exists());
    }
}
