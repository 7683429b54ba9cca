//! `regen`, `check` and `diff` as whole tasks over the workspace's files.

use std::fmt;

use carbon_api_regen::overlay::{self, Overlay, OverlayReport};
use carbon_api_regen::{api_version, build, canonical, diff, normalize};

use crate::{Result, Workspace, read_file, source, write_file};

fn load_overlay(workspace: &Workspace) -> Result<Overlay> {
    let path = workspace.overlay_yaml();
    if path.exists() {
        Ok(overlay::parse(&read_file(&path)?)?)
    } else {
        Ok(Overlay::default())
    }
}

/// What `regen` did.
#[derive(Debug)]
pub struct RegenReport {
    /// The spec directory written to.
    pub spec_dir: std::path::PathBuf,
    /// The API version written.
    pub api_version: String,
    /// SHA-256 of the document as read.
    pub sha256: String,
    /// Whether `upstream.sha256` was written (not when regenerating from the
    /// committed `upstream.json`, whose record of where it came from stays).
    pub recorded: bool,
    /// Gaps between overlay and document.
    pub overlay: OverlayReport,
    /// The change against the previous `openapi.json`, if there was one.
    pub diff: Option<diff::Diff>,
}

impl fmt::Display for RegenReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "wrote {} (API {})\nread document sha256 {}{}",
            self.spec_dir.join("openapi.json").display(),
            self.api_version,
            self.sha256,
            if self.recorded {
                " (recorded in upstream.sha256)"
            } else {
                " (upstream.json as committed; upstream.sha256 keeps where it was fetched from)"
            }
        )?;
        if !self.overlay.undocumented.is_empty() {
            writeln!(
                f,
                "\nwithout overlay docs ({}), add them to {}:",
                self.overlay.undocumented.len(),
                self.spec_dir.join("overlay.yaml").display()
            )?;
            for item in &self.overlay.undocumented {
                writeln!(f, "  - {item}")?;
            }
        }
        if !self.overlay.unmatched.is_empty() {
            writeln!(
                f,
                "\noverlay entries that match nothing in the document ({}):",
                self.overlay.unmatched.len()
            )?;
            for item in &self.overlay.unmatched {
                writeln!(f, "  - {item}")?;
            }
        }
        match &self.diff {
            Some(diff) => write!(f, "\nAPI changes against the previous document:\n{diff}"),
            None => writeln!(f, "\nno previous document to compare with"),
        }
    }
}

/// Fetches the document at `from`, builds the SDK's document from it and writes
/// `upstream.json`, `openapi.json` and `api-version.txt`. Nothing is written unless
/// the whole build succeeds.
pub fn regen(workspace: &Workspace, from: &str, allow_http: bool) -> Result<RegenReport> {
    let fetched = source::fetch_document(from, allow_http)?;
    let upstream = fetched.doc;
    let overlay = load_overlay(workspace)?;
    let (doc, report) = build(&upstream, &overlay)?;
    let version = api_version(&doc)?.to_string();

    let previous_path = workspace.openapi_json();
    // A missing or unreadable previous document only means there is nothing to diff.
    let previous = read_file(&previous_path)
        .ok()
        .and_then(|text| carbon_api_regen::parse(&previous_path.display().to_string(), &text).ok())
        .and_then(|previous| normalize::normalize(previous, &overlay.enum_names).ok());
    let diff = previous.map(|previous| diff::diff(&previous, &doc));

    write_file(&workspace.upstream_json(), &canonical::to_string(&upstream))?;
    write_file(&workspace.openapi_json(), &canonical::to_string(&doc))?;
    write_file(&workspace.api_version_txt(), &format!("{version}\n"))?;
    // Regenerated from the committed upstream.json (after an overlay edit): the
    // document is the one fetched before, and the record of where it came from
    // stays.
    let refetched = std::path::Path::new(from).canonicalize().ok() != workspace.upstream_json().canonicalize().ok();
    let recorded = refetched || !workspace.upstream_sha256().exists();
    if recorded {
        write_file(&workspace.upstream_sha256(), &format!("{}  {from}\n", fetched.sha256))?;
    }
    Ok(RegenReport {
        spec_dir: workspace.spec_dir.clone(),
        sha256: fetched.sha256,
        recorded,
        api_version: version,
        overlay: report,
        diff,
    })
}

/// The problems `cargo xtask check` fails on; empty when all is well.
pub fn check(workspace: &Workspace) -> Result<Vec<String>> {
    let upstream_path = workspace.upstream_json();
    let upstream = carbon_api_regen::parse(&upstream_path.display().to_string(), &read_file(&upstream_path)?)?;
    let overlay = load_overlay(workspace)?;
    let (doc, report) = build(&upstream, &overlay)?;
    let mut problems = Vec::new();
    let expected = canonical::to_string(&doc);
    let committed = read_file(&workspace.openapi_json())?;
    if committed != expected {
        let line = committed
            .lines()
            .zip(expected.lines())
            .position(|(a, b)| a != b)
            .map_or_else(
                || committed.lines().count().min(expected.lines().count()) + 1,
                |i| i + 1,
            );
        problems.push(format!(
            "carbon-api-spec/openapi.json differs from what regen makes of upstream.json and overlay.yaml \
             (first difference at line {line}); never edit it by hand: change overlay.yaml and run \
             `cargo xtask regen --from carbon-api-spec/upstream.json`"
        ));
    }
    let version = api_version(&doc)?;
    let committed_version = read_file(&workspace.api_version_txt())?;
    if committed_version.trim() != version {
        problems.push(format!(
            "carbon-api-spec/api-version.txt says {} but the document is API {version}; run regen",
            committed_version.trim()
        ));
    }
    for item in report.undocumented {
        problems.push(format!("{item} has no docs in carbon-api-spec/overlay.yaml"));
    }
    Ok(problems)
}

/// The semantic diff of two documents (paths or URLs), both normalized with the
/// workspace's overlay names so that a raw and a committed document compare by meaning.
pub fn diff_sources(workspace: &Workspace, old: &str, new: &str) -> Result<diff::Diff> {
    let overlay = load_overlay(workspace)?;
    Ok(carbon_api_regen::compare(
        &source::load(old)?,
        &source::load(new)?,
        &overlay,
    )?)
}
