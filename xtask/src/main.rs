//! `cargo xtask`: keep the Carbon API document, and so the generated client, current.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use xtask::{Workspace, regen, source};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "carbon-rs maintenance tasks")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Fetch the API document, normalize it, apply the overlay, write
    /// carbon-api-spec/openapi.json and print the API diff against the previous one.
    Regen {
        /// URL or path of the document (YAML or JSON). Defaults to $CARBON_SPEC_URL,
        /// then to the document the live service publishes.
        #[arg(long)]
        from: Option<String>,
        /// Write into this directory instead of carbon-api-spec/ (to try the generator
        /// on another document; see CARBON_API_SPEC_OVERRIDE in carbon-api-gen).
        #[arg(long)]
        spec_dir: Option<std::path::PathBuf>,
        /// Accept a plain http:// URL (the document could be altered on the way).
        #[arg(long)]
        allow_http: bool,
    },
    /// Fail if the committed openapi.json is not what `regen` makes of the committed
    /// upstream.json and overlay.yaml, or if any operation or schema lacks docs.
    Check,
    /// Print the semantic diff between two documents (paths or URLs) and the semver
    /// impact on users of this SDK.
    Diff { old: String, new: String },
    /// Cut a release: the next version from what changed since the last one (the
    /// API diff, the hand-written crates' public API, CHANGELOG's Unreleased
    /// section), set in every crate and pin, CHANGELOG moved under it, `cargo
    /// package --workspace`, a commit and an annotated tag naming the API version.
    Release {
        /// Print the plan and change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Release this version instead of the smallest the changes allow
        /// (refused when smaller than what changed).
        #[arg(long, value_name = "MAJOR.MINOR.PATCH")]
        version: Option<String>,
        /// The repository to release (default: this workspace).
        #[arg(long, value_name = "DIR")]
        repo: Option<std::path::PathBuf>,
    },
    /// Build a new application that depends on carbon-ext, cold, in a temporary
    /// directory: the total, the ten slowest units, and whether an edit to the
    /// application's own code re-runs the code generator.
    BuildCost,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let workspace = Workspace::locate();
    let result = match cli.command {
        Command::Regen {
            from,
            spec_dir,
            allow_http,
        } => {
            let workspace = match spec_dir {
                Some(dir) => {
                    if let Err(e) = std::fs::create_dir_all(&dir) {
                        eprintln!("error: cannot create {}: {e}", dir.display());
                        return ExitCode::FAILURE;
                    }
                    Workspace::at(dir)
                }
                None => workspace.clone(),
            };
            let from = from
                .or_else(|| std::env::var("CARBON_SPEC_URL").ok().filter(|s| !s.is_empty()))
                .unwrap_or_else(|| source::DEFAULT_SPEC_URL.to_string());
            regen::regen(&workspace, &from, allow_http).map(|report| {
                print!("{report}");
                true
            })
        }
        Command::Check => regen::check(&workspace).map(|problems| {
            if problems.is_empty() {
                println!("openapi.json is up to date and every operation and schema is documented");
                true
            } else {
                for problem in &problems {
                    eprintln!("error: {problem}");
                }
                false
            }
        }),
        Command::Diff { old, new } => regen::diff_sources(&workspace, &old, &new).map(|diff| {
            print!("{diff}");
            true
        }),
        Command::Release { dry_run, version, repo } => {
            let root = repo.unwrap_or_else(|| {
                workspace
                    .spec_dir
                    .parent()
                    .map(std::path::Path::to_path_buf)
                    .unwrap_or_default()
            });
            let requested = match version.map(|v| v.parse::<xtask::version::Version>()).transpose() {
                Ok(requested) => requested,
                Err(e) => {
                    eprintln!("error: --version {e}");
                    return ExitCode::from(2);
                }
            };
            // What a real release would refuse at once, before the plan's minutes.
            let clean = if dry_run {
                Ok(())
            } else {
                xtask::release::check_clean(&root)
            };
            clean
                .and_then(|()| xtask::release::plan(&root, requested))
                .and_then(|plan| {
                    print!("{plan}");
                    if dry_run {
                        println!("dry run: nothing changed");
                        return Ok(true);
                    }
                    let today = xtask::release::today();
                    let options = xtask::release::Options {
                        date: &today,
                        package: true,
                        target_dir: None,
                    };
                    xtask::release::release(&plan, options)?;
                    println!(
                        "released {} as tag v{}: push it with `git push --follow-tags`",
                        plan.next, plan.next
                    );
                    Ok(true)
                })
        }
        Command::BuildCost => {
            let root = workspace
                .spec_dir
                .parent()
                .map(std::path::Path::to_path_buf)
                .unwrap_or_default();
            xtask::build_cost::measure(&root).map(|cost| {
                print!("{cost}");
                !cost.generator_ran()
            })
        }
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}
