//! `release` on repositories with a history of their own: an additive API
//! change, a breaking one, an SDK-only fix, nothing; and a real run that makes
//! the commit and the tag.

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};
use xtask::release::{plan, release};
use xtask::version::{Change, Version};

fn git(root: &Path, args: &[&str]) -> String {
    let out = Command::new("git").arg("-C").arg(root).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn write(root: &Path, path: &str, text: &str) {
    let path = root.join(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn document(version: &str, members: &[&str]) -> String {
    let properties: serde_json::Map<String, Value> = members
        .iter()
        .map(|m| (m.to_string(), json!({"type": "string"})))
        .collect();
    json!({
        "openapi": "3.0.3",
        "info": {"title": "t", "version": version},
        "paths": {},
        "components": {"schemas": {"Part": {"type": "object", "properties": properties}}}
    })
    .to_string()
}

/// A workspace of one small crate, released as v0.1.0 (API 1.0.0), with an
/// empty Unreleased section since.
fn released_repository() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "Cargo.toml",
        "[workspace]\nmembers = [\"demo\"]\nresolver = \"2\"\n\n[workspace.package]\nversion = \"0.1.0\"\n\
         edition = \"2021\"\nlicense = \"MIT\"\n\n[workspace.dependencies]\ndemo = { path = \"demo\", version = \"=0.1.0\" }\n",
    );
    write(
        root,
        "demo/Cargo.toml",
        "[package]\nname = \"demo\"\nversion.workspace = true\nedition.workspace = true\nlicense.workspace = true\n\
         description = \"A crate to release.\"\n",
    );
    write(root, "demo/src/lib.rs", "//! A crate to release.\n");
    write(
        root,
        "carbon-api-spec/openapi.json",
        &document("1.0.0", &["uuid", "note"]),
    );
    write(root, "carbon-api-spec/api-version.txt", "1.0.0\n");
    write(
        root,
        "CHANGELOG.md",
        "# Changelog\n\n## Unreleased (API 1.0.0)\n\n### Added\n- The first crate.\n",
    );
    let lock = Command::new("cargo")
        .args(["generate-lockfile", "--offline"])
        .current_dir(root)
        .output()
        .unwrap();
    assert!(lock.status.success(), "{}", String::from_utf8_lossy(&lock.stderr));
    git(root, &["init", "--quiet"]);
    git(root, &["config", "user.name", "Release Test"]);
    git(root, &["config", "user.email", "release@example.invalid"]);
    git(root, &["add", "."]);
    git(root, &["commit", "--quiet", "-m", "First"]);
    git(root, &["tag", "-a", "v0.1.0", "-m", "carbon-rs 0.1.0"]);
    write(
        root,
        "CHANGELOG.md",
        "# Changelog\n\n## Unreleased (API 1.0.0)\n\n## 0.1.0 (API 1.0.0) - 2026-12-01\n\n### Added\n- The first crate.\n",
    );
    git(root, &["commit", "--quiet", "-am", "After the release"]);
    dir
}

fn commit(root: &Path, message: &str) {
    git(root, &["commit", "--quiet", "-am", message]);
}

fn unreleased(root: &Path, entries: &str) {
    let text = std::fs::read_to_string(root.join("CHANGELOG.md")).unwrap();
    let text = text.replacen(
        "## Unreleased (API 1.0.0)\n",
        &format!("## Unreleased (API 1.0.0)\n\n{entries}\n"),
        1,
    );
    write(root, "CHANGELOG.md", &text);
}

#[test]
fn the_version_follows_what_changed() {
    // An additive API change: a new optional member.
    let repo = released_repository();
    let root = repo.path();
    write(
        root,
        "carbon-api-spec/openapi.json",
        &document("1.1.0", &["uuid", "note", "colour"]),
    );
    write(root, "carbon-api-spec/api-version.txt", "1.1.0\n");
    commit(root, "API 1.1.0");
    let p = plan(root, None).unwrap();
    assert_eq!(
        (p.change, p.next),
        (Some(Change::Additive), Version::new(0, 1, 1)),
        "{p}"
    );
    assert!(p.to_string().contains("property added `colour`"), "{p}");

    // A breaking one: a member removed.
    write(
        root,
        "carbon-api-spec/openapi.json",
        &document("1.1.1", &["uuid", "colour"]),
    );
    commit(root, "API 1.1.1");
    let p = plan(root, None).unwrap();
    assert_eq!(
        (p.change, p.next),
        (Some(Change::Breaking), Version::new(0, 2, 0)),
        "{p}"
    );
    let refused = plan(root, Some(Version::new(0, 1, 5))).unwrap_err().to_string();
    assert!(
        refused.contains("refusing 0.1.5") && refused.contains("at least 0.2.0"),
        "{refused}"
    );
    assert_eq!(
        plan(root, Some(Version::new(1, 0, 0))).unwrap().next,
        Version::new(1, 0, 0)
    );

    // An SDK-only fix, declared in the CHANGELOG.
    let repo = released_repository();
    let root = repo.path();
    let nothing = plan(root, None).unwrap_err().to_string();
    assert!(nothing.contains("nothing to release"), "{nothing}");
    unreleased(root, "### Fixed\n- A retry that waited too long.");
    commit(root, "A fix");
    let p = plan(root, None).unwrap();
    assert_eq!((p.change, p.next), (Some(Change::Fix), Version::new(0, 1, 1)), "{p}");
    assert!(p.to_string().contains("API: no change"), "{p}");
    unreleased(root, "### Removed\n- `Client::old()`.");
    commit(root, "A removal");
    assert_eq!(plan(root, None).unwrap().next, Version::new(0, 2, 0));
}

#[test]
fn a_release_sets_the_versions_moves_the_changelog_and_tags() {
    let repo = released_repository();
    let root = repo.path();
    write(root, "carbon-api-spec/openapi.json", &document("1.1.0", &["uuid"]));
    write(root, "carbon-api-spec/api-version.txt", "1.1.0\n");
    unreleased(root, "### Added\n- Something new.");
    commit(root, "API 1.1.0");

    // A tree with changes is refused, and left as it is.
    write(root, "notes.txt", "mine");
    let p = plan(root, None).unwrap();
    let target = tempfile::tempdir().unwrap();
    let refused = release(&p, "2026-12-05", Some(target.path())).unwrap_err().to_string();
    assert!(refused.contains("working tree has changes"), "{refused}");
    assert_eq!(std::fs::read_to_string(root.join("notes.txt")).unwrap(), "mine");
    std::fs::remove_file(root.join("notes.txt")).unwrap();

    let p = plan(root, None).unwrap();
    assert_eq!(p.next, Version::new(0, 2, 0));
    release(&p, "2026-12-05", Some(target.path())).unwrap();

    assert_eq!(git(root, &["status", "--porcelain"]), "", "everything committed");
    assert_eq!(
        git(root, &["log", "-1", "--format=%s"]),
        "Release 0.2.0 (Carbon API 1.1.0)"
    );
    assert_eq!(git(root, &["cat-file", "-t", "v0.2.0"]), "tag", "an annotated tag");
    let annotation = git(root, &["tag", "-l", "--format=%(contents)", "v0.2.0"]);
    assert!(annotation.contains("Generated from Carbon API 1.1.0."), "{annotation}");
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    assert!(
        manifest.contains("version = \"0.2.0\"") && manifest.contains("version = \"=0.2.0\""),
        "{manifest}"
    );
    assert!(!manifest.contains("0.1.0"), "{manifest}");
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).unwrap();
    assert!(lock.contains("name = \"demo\"\nversion = \"0.2.0\""), "{lock}");
    let changelog = std::fs::read_to_string(root.join("CHANGELOG.md")).unwrap();
    assert!(
        changelog.starts_with(
            "# Changelog\n\n## Unreleased (API 1.1.0)\n\n## 0.2.0 (API 1.1.0) - 2026-12-05\n\n### Added\n- Something new.\n"
        ),
        "{changelog}"
    );
    // The next release starts from this one.
    let nothing = plan(root, None).unwrap_err().to_string();
    assert!(
        nothing.contains("nothing to release") && nothing.contains("v0.2.0"),
        "{nothing}"
    );
}
