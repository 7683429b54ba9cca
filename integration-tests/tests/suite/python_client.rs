//! The vendor's own Python client against the simulator: listing with cursors,
//! direct upload (file name in a header), part and part order creation with a naive
//! timestamp, the order's lifecycle, builds, queues and model program runs.
//!
//! Needs a Python with `carbon3d-client==0.4.17`, named by `CARBON_SIM_PYTHON`
//! (`.ci/run` installs one). Without it the test is skipped, except in CI, where it
//! fails.

use std::process::Command;
use std::time::Duration;

use carbon_sim::{Config, Simulator};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_vendor_python_client_runs_its_flows() {
    let Some(python) = std::env::var_os("CARBON_SIM_PYTHON") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must set CARBON_SIM_PYTHON (see .ci/run)"
        );
        eprintln!("skipped: set CARBON_SIM_PYTHON to a python with carbon3d-client==0.4.17");
        return;
    };
    let sim = Simulator::start(Config {
        speed: 300.0,
        printed_parts: 30,
        ..Config::default()
    })
    .await
    .unwrap();
    let token = carbon_auth::mint(&sim.api_key(), Duration::from_secs(600)).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/flow.py");
    let base = sim.base_url().to_string();
    let token = token.expose().to_string();
    let output = tokio::task::spawn_blocking(move || Command::new(python).arg(script).arg(base).arg(token).output())
        .await
        .unwrap()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "python client failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("python client flow ok"), "{stdout}");
}
