//! `cargo xtask release`: the next version follows from what changed since the
//! last release (the API diff of the committed documents, the public API of
//! the hand-written crates as rustdoc describes it ([`crate::public_api`]), and
//! the SDK's changes as CHANGELOG's "Unreleased" section declares them), is set in every
//! crate and in the exact `=` pins between them, CHANGELOG's "Unreleased" moves
//! under it with the API version and the date, `cargo package --workspace`
//! checks that the crates package and build, and an annotated tag names the API
//! version. A version smaller than what changed is refused.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

use carbon_api_regen::Diff;

use crate::public_api::{self, SurfaceDiff};
use crate::version::{Change, Version};
use crate::{Error, Result, read_file, write_file};

/// What a release would do, worked out from the repository.
#[derive(Debug)]
pub struct Plan {
    /// The repository.
    pub root: PathBuf,
    /// The version the crates have now.
    pub current: Version,
    /// The last release's tag and version (`None`: this is the first release).
    pub last: Option<(String, Version)>,
    /// The API version the release is generated from (`api-version.txt`).
    pub api_version: String,
    /// The API's change since the last release (of the committed documents).
    pub api: Option<Diff>,
    /// What the document's change is for the SDK (`Fix` when only what the
    /// diff does not judge changed: descriptions, the version).
    pub api_change: Option<Change>,
    /// The SDK's own changes: each heading of CHANGELOG's "Unreleased" section
    /// that has entries, and the kind of change it declares.
    pub sdk: Vec<(String, Change)>,
    /// The hand-written crates whose public API changed since the last release
    /// (rustdoc's description at the tag against the working tree).
    pub public_api: Vec<SurfaceDiff>,
    /// The strongest change, if anything changed.
    pub change: Option<Change>,
    /// The version to release.
    pub next: Version,
}

pub(crate) fn release_error(message: impl Into<String>) -> Error {
    Error::Release(message.into())
}

/// Runs `git` in `root`; its standard output, trimmed.
fn git(root: &Path, args: &[&str]) -> Result<String> {
    crate::run(Command::new("git").arg("-C").arg(root).args(args)).map(|out| out.trim().to_string())
}

/// The `[workspace.package]` version of the root manifest.
fn workspace_version(manifest: &str) -> Result<Version> {
    let mut in_package = false;
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_package = line == "[workspace.package]";
        } else if in_package && let Some(value) = line.strip_prefix("version = ") {
            return value.trim_matches('"').parse().map_err(release_error);
        }
    }
    Err(release_error("the root Cargo.toml has no [workspace.package] version"))
}

/// The kind of change a CHANGELOG heading declares (`### Added (exports)`); a
/// heading that says "breaking" anywhere, other than as "non-breaking", is
/// breaking.
fn declared(heading: &str) -> Result<Change> {
    let lower = heading.to_lowercase();
    if lower.replace("non-breaking", "").contains("breaking") {
        return Ok(Change::Breaking);
    }
    let word = heading.split_whitespace().next().unwrap_or_default();
    match word {
        "Breaking" | "Removed" => Ok(Change::Breaking),
        "Added" | "Changed" | "Deprecated" => Ok(Change::Additive),
        "Fixed" | "Security" => Ok(Change::Fix),
        _ => Err(release_error(format!(
            "CHANGELOG heading `### {heading}` does not say what kind of change it is: start it with Added, \
             Changed, Deprecated, Fixed, Security, Removed or Breaking"
        ))),
    }
}

/// Whether a `## ` heading names a released version (`## 0.2.0 (API …) - date`).
fn released_heading(line: &str) -> bool {
    line.trim_start_matches("## ")
        .split_whitespace()
        .next()
        .is_some_and(|v| v.parse::<Version>().is_ok())
}

/// The headings of CHANGELOG's "Unreleased" section that have entries.
fn unreleased(changelog: &str) -> Result<Vec<(String, Change)>> {
    let mut lines = changelog.lines().skip_while(|l| !l.starts_with("## Unreleased"));
    if lines.next().is_none() {
        return Err(release_error("CHANGELOG.md has no `## Unreleased` section"));
    }
    let mut found: Vec<(String, Change)> = Vec::new();
    // The heading the entries stand under, and whether it has been counted.
    let mut heading: Option<(String, bool)> = None;
    for line in lines.take_while(|l| !l.starts_with("## ")) {
        if let Some(text) = line.strip_prefix("### ") {
            heading = Some((text.trim().to_string(), false));
        } else if line.starts_with("- ") || line.starts_with("* ") {
            match &mut heading {
                Some((text, counted)) if !*counted => {
                    found.push((text.clone(), declared(text)?));
                    *counted = true;
                }
                Some(_) => {}
                None => {
                    return Err(release_error(format!(
                        "CHANGELOG's Unreleased section has an entry before any `### ` heading (`{}`): put it under \
                         one that says what kind of change it is",
                        line.trim()
                    )));
                }
            }
        }
    }
    Ok(found)
}

/// Works out the release: `requested` is a version asked for (refused when
/// smaller than what changed), else the smallest the changes allow.
pub fn plan(root: &Path, requested: Option<Version>) -> Result<Plan> {
    let current = workspace_version(&read_file(&root.join("Cargo.toml"))?)?;
    let api_version = read_file(&root.join("carbon-api-spec/api-version.txt"))?
        .trim()
        .to_string();
    let changelog = read_file(&root.join("CHANGELOG.md"))?;
    let sdk = unreleased(&changelog)?;
    if git(root, &["rev-parse", "--is-shallow-repository"])? == "true" {
        return Err(release_error(
            "this is a shallow clone: its history and tags are cut off, so the last release cannot be found; \
             run `git fetch --unshallow --tags` first",
        ));
    }
    // No release tag at all: the first release. Tags that `describe` cannot
    // reach are an error, not a first release.
    let last = if git(root, &["tag", "--list", "v[0-9]*"])?.is_empty() {
        // A clone without its tags (`--no-tags`) is not a first release.
        if let Some(released) = changelog.lines().find(|l| l.starts_with("## ") && released_heading(l)) {
            return Err(release_error(format!(
                "no release tags here, but CHANGELOG has `{released}`: fetch the tags (`git fetch --tags`) first"
            )));
        }
        None
    } else {
        let tag = git(root, &["describe", "--tags", "--abbrev=0", "--match", "v[0-9]*"]).map_err(|e| {
            release_error(format!(
                "no release tag is reachable from HEAD ({e}): release from a branch that contains the last release"
            ))
        })?;
        let version = tag.parse().map_err(release_error)?;
        Some((tag, version))
    };
    let Some((tag, released)) = &last else {
        // The first release is the version the crates have.
        let next = requested.unwrap_or(current);
        return Ok(Plan {
            root: root.to_path_buf(),
            current,
            last,
            api_version,
            api: None,
            api_change: None,
            public_api: Vec::new(),
            change: sdk.iter().map(|(_, c)| *c).max(),
            sdk,
            next,
        });
    };
    let spec = "carbon-api-spec/openapi.json";
    let at_tag = format!("{tag}:{spec}");
    let then = git(root, &["show", &at_tag]).map_err(|e| {
        release_error(format!(
            "cannot read {spec} as it was at {tag} ({e}): a release's tag must hold the API document it was made from"
        ))
    })?;
    let before = carbon_api_regen::parse(&at_tag, &then)?;
    let now = carbon_api_regen::parse(spec, &read_file(&root.join(spec))?)?;
    let api = carbon_api_regen::diff::diff(&before, &now);
    // A document that changed only in what the diff does not judge (its
    // descriptions, its version) is still a change: a fix.
    let api_change = (before != now).then(|| Change::from(api.verdict()));
    let public_api = public_api_since(root, tag)?;
    let public_change = public_api.iter().filter_map(SurfaceDiff::change).max();
    if public_change == Some(Change::Breaking) && !sdk.iter().any(|(_, c)| *c == Change::Breaking) {
        let listed: String = public_api.iter().map(ToString::to_string).collect();
        return Err(release_error(format!(
            "the public API changed incompatibly since {tag}, but CHANGELOG's Unreleased section declares no \
             breaking change:\n{listed}say what users must change under a `### Removed` or `### Breaking` heading"
        )));
    }
    let change = sdk.iter().map(|(_, c)| *c).chain(api_change).chain(public_change).max();
    let Some(change) = change else {
        return Err(release_error(format!(
            "nothing to release: the API document and the public API are as in {tag} and CHANGELOG's Unreleased \
             section has no entries; add one under a heading that says what kind of change it is"
        )));
    };
    let least = released.bumped(change);
    let next = match requested {
        Some(asked) if asked < least => {
            return Err(release_error(format!(
                "refusing {asked}: the changes since {tag} are {change}, which need at least {least} (see the README's \
                 \"Releases\")"
            )));
        }
        Some(asked) => asked,
        None => least,
    };
    Ok(Plan {
        root: root.to_path_buf(),
        current,
        last,
        api_version,
        api: Some(api),
        api_change,
        sdk,
        public_api,
        change: Some(change),
        next,
    })
}

/// What changed in the public API of each hand-written library since `tag`.
/// Only crates with changes under their directory are described (rustdoc runs
/// on both sides, the tag's in a temporary worktree); a changed manifest also
/// looks for crates gone since the tag.
fn public_api_since(root: &Path, tag: &str) -> Result<Vec<SurfaceDiff>> {
    let changed = git(root, &["diff", "--name-only", tag])?;
    let changed: Vec<&str> = changed.lines().collect();
    let (now, target) = public_api::libraries(root)?;
    let mut touched: Vec<String> = now
        .iter()
        .filter(|library| {
            let dir = library.dir.to_string_lossy();
            changed
                .iter()
                .any(|file| dir.is_empty() || file.starts_with(&format!("{dir}/")))
        })
        .map(|library| library.package.clone())
        .collect();
    let manifests = changed.iter().any(|file| file.ends_with("Cargo.toml"));
    if touched.is_empty() && !manifests {
        return Ok(Vec::new());
    }
    // Two target directories: cargo names a workspace's crates by their path
    // in the workspace, so the tag's and today's would share (stale) builds.
    let docs = target.join("xtask-public-api");
    let tree = docs.join(format!("worktree-{tag}"));
    let tree_arg = tree.display().to_string();
    let (docs_then, docs_now) = (docs.join("then"), docs.join("now"));
    // A worktree left by an interrupted run is replaced.
    let _ = git(root, &["worktree", "remove", "--force", &tree_arg]);
    let _ = std::fs::remove_dir_all(&tree);
    git(root, &["worktree", "add", "--quiet", "--detach", &tree_arg, tag])?;
    let result = (|| {
        let (before, _) = public_api::libraries(&tree)?;
        for library in &before {
            if !now.iter().any(|l| l.package == library.package) && !touched.contains(&library.package) {
                touched.push(library.package.clone());
            }
        }
        let mut diffs = Vec::new();
        for package in &touched {
            let find = |list: &[public_api::Library]| list.iter().find(|l| &l.package == package).cloned();
            let side = |at: &str, e: Error| {
                release_error(format!(
                    "describing the public API of {package} {at}: {e}\n(it must build with this toolchain on both sides; \
                     fix the build, or release with the previous toolchain)"
                ))
            };
            let old = match find(&before) {
                Some(library) => {
                    public_api::document(&tree, &library, &docs_then).map_err(|e| side(&format!("at {tag}"), e))?
                }
                None => Default::default(),
            };
            let new = match find(&now) {
                Some(library) => public_api::document(root, &library, &docs_now).map_err(|e| side("now", e))?,
                None => Default::default(),
            };
            let diff = public_api::compare(package, &old, &new);
            if diff.change().is_some() {
                diffs.push(diff);
            }
        }
        Ok(diffs)
    })();
    let _ = git(root, &["worktree", "remove", "--force", &tree_arg]);
    result
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.last {
            Some((tag, version)) => writeln!(f, "last release: {tag} ({version})")?,
            None => writeln!(f, "last release: none (this is the first)")?,
        }
        match &self.api {
            Some(diff) if diff.changes.is_empty() && self.api_change.is_some() => writeln!(
                f,
                "API: its documentation or version changed, nothing else [fix] (now Carbon API {})",
                self.api_version
            )?,
            Some(diff) if diff.changes.is_empty() => writeln!(f, "API: no change (Carbon API {})", self.api_version)?,
            Some(diff) => {
                writeln!(
                    f,
                    "API: {} change(s), {} (now Carbon API {}):",
                    diff.changes.len(),
                    diff.verdict(),
                    self.api_version
                )?;
                for change in &diff.changes {
                    writeln!(f, "  - {}: {} [{}]", change.subject, change.what, change.impact)?;
                }
            }
            None => writeln!(f, "API: Carbon API {}", self.api_version)?,
        }
        if self.sdk.is_empty() {
            writeln!(f, "SDK: no entries in CHANGELOG's Unreleased section")?;
        } else {
            writeln!(f, "SDK (CHANGELOG, Unreleased):")?;
            for (heading, change) in &self.sdk {
                writeln!(f, "  - {heading} [{change}]")?;
            }
        }
        for (diff, kind) in self.public_api.iter().filter_map(|d| Some((d, d.change()?))) {
            writeln!(f, "public API of {} ({kind}):", diff.package)?;
            write!(f, "{diff}")?;
        }
        let why = match self.change {
            Some(change) => format!("the changes are {change}"),
            None => "nothing declared".to_string(),
        };
        writeln!(
            f,
            "release: {} ({why}; the crates are at {} now)",
            self.next, self.current
        )?;
        writeln!(
            f,
            "steps: set {} in every crate and `=` pin; move CHANGELOG's Unreleased under \"{} (API {})\"; \
             cargo package --workspace; commit; tag v{} (annotated, naming Carbon API {})",
            self.next, self.next, self.api_version, self.next, self.api_version
        )
    }
}

/// The date as `YYYY-MM-DD` (UTC).
pub fn today() -> String {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 86_400) as i64;
    // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// CHANGELOG with its Unreleased entries moved under the release's heading.
fn changelog_released(changelog: &str, plan: &Plan, date: &str) -> Result<String> {
    let mut out = String::new();
    let mut moved = false;
    for line in changelog.lines() {
        if !moved && line.starts_with("## Unreleased") {
            out.push_str(&format!(
                "## Unreleased (API {api})\n\n## {next} (API {api}) - {date}\n",
                api = plan.api_version,
                next = plan.next
            ));
            moved = true;
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    if !moved {
        return Err(release_error("CHANGELOG.md has no `## Unreleased` section"));
    }
    Ok(out)
}

/// `manifest` with the exact pins of the workspace's own crates (dependencies
/// with a `path`) moved from `current` to `next`; other pins are left alone.
fn with_pins(manifest: &str, current: Version, next: Version) -> String {
    let (from, to) = (format!("\"={current}\""), format!("\"={next}\""));
    let mut out = String::new();
    for line in manifest.lines() {
        if line.contains("path = ") && line.contains(&from) {
            out.push_str(&line.replace(&from, &to));
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

/// The root manifest with its `[workspace.package]` version moved from
/// `current` to `next`; refused when no line says `version = "current"` there
/// (the release would go out under the old number).
fn with_workspace_version(manifest: &str, current: Version, next: Version) -> Result<String> {
    let mut in_package = false;
    let mut moved = false;
    let mut out = String::new();
    for line in manifest.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            in_package = trimmed == "[workspace.package]";
        }
        if in_package && trimmed == format!("version = \"{current}\"") {
            out.push_str(&line.replace(&current.to_string(), &next.to_string()));
            moved = true;
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    if !moved {
        return Err(release_error(format!(
            "the root Cargo.toml's [workspace.package] has no line `version = \"{current}\"` to move to {next}: \
             write the version alone on its line, as `version = \"{current}\"`"
        )));
    }
    Ok(out)
}

fn run(root: &Path, program: &str, args: &[&str]) -> Result<()> {
    crate::run(Command::new(program).current_dir(root).args(args)).map(drop)
}

/// Refuses a working tree with changes: the release commit must hold the
/// release only. [`release`] checks it; a caller may check it before the plan,
/// which takes minutes, so that a tree that cannot be released says so at once.
pub fn check_clean(root: &Path) -> Result<()> {
    if git(root, &["status", "--porcelain"])?.is_empty() {
        return Ok(());
    }
    Err(release_error(
        "the working tree has changes: commit or stash them, so that the release commit holds the release only",
    ))
}

/// How [`release`] runs.
#[derive(Debug, Clone, Copy)]
pub struct Options<'a> {
    /// The date of the CHANGELOG heading (`YYYY-MM-DD`; [`today`]).
    pub date: &'a str,
    /// Whether `cargo package --workspace` checks the crates before the commit
    /// (always for a real release; a test of the edits may leave it out).
    pub package: bool,
    /// Where that check builds (default: the workspace's target directory).
    pub target_dir: Option<&'a Path>,
}

/// Makes the release `plan` describes: the files, the package check, the commit
/// and the tag. Refuses a working tree with changes; leaves the repository as it
/// was when any step fails.
pub fn release(plan: &Plan, options: Options<'_>) -> Result<()> {
    let root = &plan.root;
    check_clean(root)?;
    let tag = format!("v{}", plan.next);
    if git(root, &["rev-parse", "--verify", "--quiet", &format!("refs/tags/{tag}")]).is_ok() {
        return Err(release_error(format!("the tag {tag} exists already")));
    }
    let result = edit_and_check(plan, options);
    if let Err(e) = result {
        // Nothing half-done stays behind.
        let _ = git(root, &["checkout", "--", "."]);
        return Err(e);
    }
    let message = format!("Release {} (Carbon API {})", plan.next, plan.api_version);
    if let Err(e) = git(root, &["commit", "--quiet", "--all", "--message", &message]) {
        let _ = git(root, &["checkout", "--", "."]);
        return Err(e);
    }
    let annotation = format!(
        "carbon-rs {}\n\nGenerated from Carbon API {}.",
        plan.next, plan.api_version
    );
    if let Err(e) = git(root, &["tag", "--annotate", &tag, "--message", &annotation]) {
        // A release commit without its tag would be planned from again: undone.
        let _ = git(root, &["reset", "--quiet", "--hard", "HEAD~1"]);
        return Err(e);
    }
    Ok(())
}

fn edit_and_check(plan: &Plan, options: Options<'_>) -> Result<()> {
    let root = &plan.root;
    let (current, next) = (plan.current, plan.next);
    let manifests = git(root, &["ls-files", "Cargo.toml", "*/Cargo.toml"])?;
    for manifest in manifests.lines() {
        let path = root.join(manifest);
        let text = read_file(&path)?;
        let mut edited = with_pins(&text, current, next);
        if manifest == "Cargo.toml" {
            edited = with_workspace_version(&edited, current, next)?;
        }
        if edited != text {
            write_file(&path, &edited)?;
        }
    }
    let changelog = root.join("CHANGELOG.md");
    write_file(
        &changelog,
        &changelog_released(&read_file(&changelog)?, plan, options.date)?,
    )?;
    // The lock file's own entries for the crates; nothing else moves.
    run(root, "cargo", &["update", "--workspace", "--offline"])?;
    if !options.package {
        return Ok(());
    }
    let mut package = vec!["package", "--workspace", "--locked", "--allow-dirty"];
    let target = options.target_dir.map(|dir| dir.display().to_string());
    if let Some(dir) = &target {
        package.extend(["--target-dir", dir.as_str()]);
    }
    run(root, "cargo", &package)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changelog_headings_declare_their_kind() {
        let changelog = "# Changelog\n\n## Unreleased (API 0.4.17)\n\n### Added (exports)\n- a\n\n### Fixed\n- b\n\n\
                         ### Changed\n\n## 0.1.0 (API 0.4.17) - 2026-12-01\n### Removed\n- old\n";
        assert_eq!(
            unreleased(changelog).unwrap(),
            [
                ("Added (exports)".to_string(), Change::Additive),
                ("Fixed".to_string(), Change::Fix)
            ]
        );
        let unclear = "## Unreleased\n### Misc\n- a\n";
        assert!(
            unreleased(unclear)
                .unwrap_err()
                .to_string()
                .contains("start it with Added")
        );
    }

    #[test]
    fn entries_need_a_heading_and_breaking_said_is_breaking() {
        let loose = "## Unreleased\n* a\n### Fixed\n- b\n";
        assert!(unreleased(loose).unwrap_err().to_string().contains("before any"));
        let said = "## Unreleased\n### Changed (client; breaking for old code)\n* a\n";
        assert_eq!(unreleased(said).unwrap()[0].1, Change::Breaking);
        let unsaid = "## Unreleased\n### Changed (non-breaking)\n* a\n";
        assert_eq!(unreleased(unsaid).unwrap()[0].1, Change::Additive);
        let both = "## Unreleased\n### Changed (non-breaking for callers; breaking for hooks)\n* a\n";
        assert_eq!(unreleased(both).unwrap()[0].1, Change::Breaking);
    }

    #[test]
    fn only_the_workspace_pins_move() {
        let manifest =
            "carbon-ext = { path = \"carbon-ext\", version = \"=0.15.1\" }\nprogenitor = { version = \"=0.15.1\" }\n";
        let moved = with_pins(manifest, Version::new(0, 15, 1), Version::new(0, 16, 0));
        assert_eq!(
            moved,
            "carbon-ext = { path = \"carbon-ext\", version = \"=0.16.0\" }\nprogenitor = { version = \"=0.15.1\" }\n"
        );
    }

    #[test]
    fn the_workspace_version_moves_or_the_release_stops() {
        let (current, next) = (Version::new(0, 1, 0), Version::new(0, 2, 0));
        let manifest = "[workspace]\nmembers = []\n\n[workspace.package]\nversion = \"0.1.0\"\nedition = \"2024\"\n";
        let moved = with_workspace_version(manifest, current, next).unwrap();
        assert!(
            moved.contains("version = \"0.2.0\"") && !moved.contains("0.1.0"),
            "{moved}"
        );
        let commented = manifest.replace("version = \"0.1.0\"", "version = \"0.1.0\" # pinned");
        let refused = with_workspace_version(&commented, current, next).unwrap_err();
        let said = "has no line `version = \"0.1.0\"` to move to 0.2.0";
        assert!(refused.to_string().contains(said), "{refused}");
    }

    #[test]
    fn the_date_is_a_civil_date() {
        let date = today();
        assert_eq!(date.len(), 10);
        assert!(date.starts_with("20"), "{date}");
    }
}
