//! Running the built `carbon` binary against a simulator in the test's process.

use std::path::{Path, PathBuf};
use std::process::Output;

use carbon_sim::{Config, Simulator};

/// A simulator, a key file for it and a private config directory.
pub struct Setup {
    pub sim: Simulator,
    pub dir: tempfile::TempDir,
    pub secrets: PathBuf,
}

impl Setup {
    pub async fn start(config: Config) -> Self {
        Self::at_speed(config, Config::FAST_FORWARD).await
    }

    /// With simulated time at `speed` times real time.
    pub async fn at_speed(config: Config, speed: f64) -> Self {
        Self::exactly(Config {
            speed,
            rate_limit: None,
            ..config
        })
        .await
    }

    /// A simulator of `config` as it is (its rate limit too).
    pub async fn exactly(config: Config) -> Self {
        let sim = Simulator::start(config).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let secrets = dir.path().join("secrets.json");
        std::fs::write(&secrets, sim.key().secrets_json()).unwrap();
        Self { sim, dir, secrets }
    }

    /// As [`Setup::start`], with `printed_parts` in the seeded history.
    pub async fn holding(printed_parts: usize) -> Self {
        Self::start(Config {
            printed_parts,
            ..Config::default()
        })
        .await
    }

    pub async fn new() -> Self {
        Self::start(Config::default()).await
    }

    /// A simulator whose time stands still until the test moves it
    /// (`sim.skip_time`): orders stay open however slow the machine is.
    pub async fn frozen() -> Self {
        Self::frozen_with(Config::default()).await
    }

    /// A simulator of `config` whose time stands still.
    pub async fn frozen_with(config: Config) -> Self {
        Self::at_speed(config, Config::STILL).await
    }

    /// `carbon ARGS` with this simulator's URL and key in the environment.
    pub async fn carbon(&self, args: &[&str]) -> Output {
        self.carbon_with(args, &[]).await
    }

    /// `carbon ARGS` with more environment.
    pub async fn carbon_with(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut command = bare(self.dir.path());
        command
            .args(args)
            .env("CARBON_BASE_URL", self.sim.base_url())
            .env("CARBON_SECRETS_FILE", &self.secrets);
        for (k, v) in env {
            command.env(k, v);
        }
        command.output().await.unwrap()
    }

    /// A model file in the test directory, with content of its own.
    pub fn mesh(&self, name: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(
            &path,
            format!("solid {name}\n{}\nendsolid {name}\n", "facet ".repeat(50)),
        )
        .unwrap();
        path
    }

    /// `count` model files (`part-0.stl`, …) in the test directory: their paths.
    pub fn meshes(&self, count: usize) -> Vec<String> {
        (0..count)
            .map(|i| self.mesh(&format!("part-{i}.stl")).to_string_lossy().into_owned())
            .collect()
    }
}

/// `carbon order FILES --part-number PART_NUMBER --order-number NUMBER`.
pub fn order_args<'a>(files: &'a [String], part_number: &'a str, number: &'a str) -> Vec<&'a str> {
    let mut args = vec!["order"];
    args.extend(files.iter().map(String::as_str));
    args.extend(["--part-number", part_number, "--order-number", number]);
    args
}

/// The `carbon` binary with nothing of this machine's configuration: its own config
/// directory and no CARBON_* variables.
pub fn bare(config_dir: &Path) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_carbon"));
    for (key, _) in std::env::vars() {
        if key.starts_with("CARBON_") {
            command.env_remove(key);
        }
    }
    command.env("CARBON_CONFIG_DIR", config_dir);
    // The host's rate-limit ledgers of this test, not in the user's cache.
    command.env("CARBON_RATE_LIMIT_DIR", config_dir.join("rate-limit"));
    // No terminal and nothing to read: as under cron or CI.
    command.stdin(std::process::Stdio::null());
    command.kill_on_drop(true);
    command
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Asserts success, showing stderr if not.
pub fn ok(output: &Output) -> String {
    assert!(output.status.success(), "{:?}: {}", output.status, stderr(output));
    stdout(output)
}
