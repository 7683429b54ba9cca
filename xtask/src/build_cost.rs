//! What depending on carbon-ext costs an application's build: a new binary crate
//! that depends on it, built cold with `--timings` in a temporary directory, then
//! again after an edit to the application's own code (which must not re-run the
//! code generator).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::{Error, Result};

/// One unit of a build as cargo's timing report lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct Unit {
    /// `name vX.Y.Z` and what was built (`build script`, `run-custom-build`...).
    pub name: String,
    /// Seconds it took.
    pub seconds: f64,
}

/// The measurements.
#[derive(Debug, Clone, PartialEq)]
pub struct BuildCost {
    /// The cold build's wall time.
    pub cold: Duration,
    /// Its slowest units, slowest first.
    pub slowest: Vec<Unit>,
    /// The build after touching the application's `main.rs`.
    pub incremental: Duration,
    /// What the incremental build compiled or ran (the generator must not be among them).
    pub rebuilt: Vec<String>,
}

/// The units in a cargo timing report (`cargo-timing.html`): its `UNIT_DATA` array.
pub fn parse_timings(html: &str) -> Result<Vec<Unit>> {
    let unsupported = |what: &str| Error::Measure(format!("cargo's timing report: {what}"));
    let start = html
        .find("const UNIT_DATA = ")
        .ok_or_else(|| unsupported("no UNIT_DATA"))?
        + "const UNIT_DATA = ".len();
    let end = start
        + html[start..]
            .find(";\n")
            .ok_or_else(|| unsupported("UNIT_DATA does not end"))?;
    let units: Vec<Value> =
        serde_json::from_str(&html[start..end]).map_err(|e| unsupported(&format!("UNIT_DATA is not JSON: {e}")))?;
    let mut out: Vec<Unit> = units
        .iter()
        .map(|u| {
            let text = |k: &str| u.get(k).and_then(Value::as_str).unwrap_or_default();
            let target = text("target").trim();
            Unit {
                name: format!(
                    "{} v{}{}",
                    text("name"),
                    text("version"),
                    if target.is_empty() {
                        String::new()
                    } else {
                        format!(" {target}")
                    }
                ),
                seconds: u.get("duration").and_then(Value::as_f64).unwrap_or(0.0),
            }
        })
        .collect();
    out.sort_by(|a, b| b.seconds.total_cmp(&a.seconds));
    Ok(out)
}

/// Runs `cargo build` (`--timings` for the cold build, `-v` to see what ran for the
/// incremental one); its wall time and what it printed on stderr.
fn cargo_build(dir: &Path, target: &Path, args: &[&str]) -> Result<(Duration, String)> {
    let start = Instant::now();
    let output = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .arg("build")
        .args(args)
        .env("CARGO_TARGET_DIR", target)
        .current_dir(dir)
        .output()
        .map_err(|e| Error::Measure(format!("cannot run cargo: {e}")))?;
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    if !output.status.success() {
        return Err(Error::Measure(format!("the application did not build:\n{stderr}")));
    }
    Ok((start.elapsed(), stderr))
}

/// What a verbose cargo build compiled or ran (its `Compiling` and `Running` lines).
pub fn rebuilt_units(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("Compiling ") || l.starts_with("Running "))
        .map(|l| {
            let end = l.char_indices().nth(100).map_or(l.len(), |(i, _)| i);
            l[..end].to_string()
        })
        .collect()
}

fn report(target: &Path) -> Result<Vec<Unit>> {
    let path = target.join("cargo-timings").join("cargo-timing.html");
    let html = std::fs::read_to_string(&path).map_err(|source| Error::Io { path, source })?;
    parse_timings(&html)
}

/// Builds a new application depending on carbon-ext (at `workspace_root`) in a
/// temporary directory, cold, then after an edit to its own code.
pub fn measure(workspace_root: &Path) -> Result<BuildCost> {
    let dir = std::env::temp_dir().join(format!("carbon-build-cost-{}", std::process::id()));
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Io { path, source }
    };
    std::fs::create_dir_all(dir.join("src")).map_err(io(&dir))?;
    let manifest = format!(
        "[package]\nname = \"carbon-app\"\nversion = \"0.1.0\"\nedition = \"2024\"\npublish = false\n\n\
         [dependencies]\ncarbon-ext = {{ path = {:?} }}\ntokio = {{ version = \"1\", features = [\"macros\", \"rt-multi-thread\"] }}\n\n\
         [workspace]\n",
        workspace_root.join("carbon-ext").display().to_string()
    );
    std::fs::write(dir.join("Cargo.toml"), manifest).map_err(io(&dir))?;
    let main = "#[tokio::main]\nasync fn main() -> Result<(), carbon_ext::Error> {\n    \
                let client = carbon_ext::Client::builder().from_env().build()?;\n    \
                use carbon_ext::prelude::*;\n    \
                let printers = client.get_printers().limit(1).offset(0).run().await?;\n    \
                println!(\"{}\", printers.total_count);\n    Ok(())\n}\n";
    std::fs::write(dir.join("src/main.rs"), main).map_err(io(&dir))?;
    // The workspace's lock file, so the app resolves what carbon-rs is tested with.
    let _ = std::fs::copy(workspace_root.join("Cargo.lock"), dir.join("Cargo.lock"));
    let target = dir.join("target");
    let (cold, _) = cargo_build(&dir, &target, &["--timings", "--quiet"])?;
    let slowest = report(&target)?.into_iter().take(10).collect();
    std::fs::write(dir.join("src/main.rs"), format!("{main}// edited\n")).map_err(io(&dir))?;
    let (incremental, stderr) = cargo_build(&dir, &target, &["-v"])?;
    let rebuilt = rebuilt_units(&stderr);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(BuildCost {
        cold,
        slowest,
        incremental,
        rebuilt,
    })
}

impl BuildCost {
    /// Whether the incremental build compiled carbon-api-gen or ran its build script.
    pub fn generator_ran(&self) -> bool {
        self.rebuilt
            .iter()
            .any(|u| u.contains("carbon-api-gen") || u.contains("carbon_api_gen"))
    }
}

impl std::fmt::Display for BuildCost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "cold build of an application depending on carbon-ext: {:.1} s (target <= 75 s)",
            self.cold.as_secs_f64()
        )?;
        writeln!(f, "slowest units:")?;
        for unit in &self.slowest {
            writeln!(f, "  {:>6.1} s  {}", unit.seconds, unit.name)?;
        }
        writeln!(
            f,
            "after an edit to the application's code: {:.1} s; the code generator {}",
            self.incremental.as_secs_f64(),
            if self.generator_ran() {
                "RAN (it must not)"
            } else {
                "did not run"
            }
        )?;
        for unit in &self.rebuilt {
            writeln!(f, "  {unit}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cargos_timing_report() {
        let html = "<html><script>\nconst UNIT_DATA = [{\"i\":0,\"name\":\"syn\",\"version\":\"2.0.1\",\"target\":\"\",\"duration\":3.5},\
                    {\"i\":1,\"name\":\"carbon-api-gen\",\"version\":\"0.1.0\",\"target\":\" build script (run)\",\"duration\":9.25}];\n\
                    const CONCURRENCY_DATA = [];\n</script></html>";
        let units = parse_timings(html).unwrap();
        assert_eq!(units[0].name, "carbon-api-gen v0.1.0 build script (run)");
        assert_eq!(units[0].seconds, 9.25);
        assert_eq!(units[1].name, "syn v2.0.1");
        assert!(parse_timings("<html></html>").is_err());
    }

    #[test]
    fn reads_what_a_verbose_build_did() {
        let stderr = "       Fresh serde v1.0.229\n   Compiling carbon-app v0.1.0 (/tmp/app)\n     \
                      Running `rustc --crate-name carbon_app`\n    Finished `dev` profile\n";
        let units = rebuilt_units(stderr);
        assert_eq!(units.len(), 2);
        assert!(units[0].starts_with("Compiling carbon-app"));
    }
}
