//! `release` on repositories with a history of their own: an additive API
//! change, a breaking one, an SDK-only fix, nothing; and a real run that makes
//! the commit and the tag.

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};
use xtask::release::{Options, plan, release};
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
    write(
        root,
        "demo/src/lib.rs",
        "//! A crate to release.\n\n/// Whether it is ready.\npub fn ready() -> bool {\n    true\n}\n",
    );
    write(root, ".gitignore", "/target\n");
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

    // A clone without its tags is not taken for a first release.
    git(root, &["tag", "-d", "v0.1.0"]);
    let untagged = plan(root, None).unwrap_err().to_string();
    assert!(untagged.contains("git fetch --tags"), "{untagged}");

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
fn a_document_that_changed_only_in_its_text_is_a_fix() {
    let repo = released_repository();
    let root = repo.path();
    // Same members, a new version: nothing the diff judges, still a change.
    write(
        root,
        "carbon-api-spec/openapi.json",
        &document("1.0.1", &["uuid", "note"]),
    );
    write(root, "carbon-api-spec/api-version.txt", "1.0.1\n");
    commit(root, "API 1.0.1");
    let p = plan(root, None).unwrap();
    assert_eq!((p.change, p.next), (Some(Change::Fix), Version::new(0, 1, 1)), "{p}");
    assert!(p.to_string().contains("documentation or version changed"), "{p}");
}

#[test]
fn the_public_api_is_read_from_the_code() {
    let repo = released_repository();
    let root = repo.path();
    let lib = "demo/src/lib.rs";
    let source = std::fs::read_to_string(root.join(lib)).unwrap();

    // A new function, which nobody wrote down: still a change, additive.
    write(
        root,
        lib,
        &format!("{source}\n/// Whether it holds.\npub fn steady() -> bool {{\n    true\n}}\n"),
    );
    commit(root, "steady()");
    let p = plan(root, None).unwrap();
    assert_eq!(
        (p.change, p.next),
        (Some(Change::Additive), Version::new(0, 1, 1)),
        "{p}"
    );
    let text = p.to_string();
    assert!(
        text.contains("public API of demo (additive):\n  - demo: added `fn demo::steady`"),
        "{text}"
    );

    // `ready` removed: refused until CHANGELOG tells users.
    let without = std::fs::read_to_string(root.join(lib))
        .unwrap()
        .replace("pub fn ready()", "fn ready()");
    write(root, lib, &without);
    commit(root, "ready() is private");
    let refused = plan(root, None).unwrap_err().to_string();
    assert!(
        refused.contains("removed `fn demo::ready`") && refused.contains("`### Removed`"),
        "{refused}"
    );
    unreleased(root, "### Removed\n- `ready()`: call `steady()`.");
    commit(root, "CHANGELOG");
    let p = plan(root, None).unwrap();
    assert_eq!(
        (p.change, p.next),
        (Some(Change::Breaking), Version::new(0, 2, 0)),
        "{p}"
    );
    // The tag's worktree is gone, and the tree is clean.
    assert_eq!(git(root, &["worktree", "list"]).lines().count(), 1);
    assert_eq!(git(root, &["status", "--porcelain"]), "");
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
    let options = Options {
        date: "2026-12-05",
        package: true,
        target_dir: Some(target.path()),
    };
    let refused = release(&p, options).unwrap_err().to_string();
    assert!(refused.contains("working tree has changes"), "{refused}");
    assert_eq!(std::fs::read_to_string(root.join("notes.txt")).unwrap(), "mine");
    std::fs::remove_file(root.join("notes.txt")).unwrap();

    let p = plan(root, None).unwrap();
    assert_eq!(p.next, Version::new(0, 2, 0));
    release(&p, options).unwrap();

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

#[test]
fn a_failed_commit_or_tag_leaves_the_repository_as_it_was() {
    let repo = released_repository();
    let root = repo.path();
    unreleased(root, "### Fixed\n- A fix.");
    commit(root, "A fix");
    let head = git(root, &["rev-parse", "HEAD"]);
    let options = Options {
        date: "2026-12-05",
        package: false,
        target_dir: None,
    };
    // A hook refuses the commit.
    write(root, ".git/hooks/pre-commit", "#!/bin/sh\nexit 1\n");
    make_executable(&root.join(".git/hooks/pre-commit"));
    let p = plan(root, None).unwrap();
    assert!(release(&p, options).is_err());
    assert_eq!(git(root, &["status", "--porcelain"]), "", "the edits are undone");
    assert_eq!(git(root, &["rev-parse", "HEAD"]), head);
    std::fs::remove_file(root.join(".git/hooks/pre-commit")).unwrap();

    // The tag cannot be written (its ref is locked).
    write(root, ".git/refs/tags/v0.1.1.lock", "");
    assert!(release(&p, options).is_err());
    assert_eq!(git(root, &["rev-parse", "HEAD"]), head, "the release commit is undone");
    assert_eq!(git(root, &["status", "--porcelain"]), "");
    std::fs::remove_file(root.join(".git/refs/tags/v0.1.1.lock")).unwrap();
    release(&p, options).unwrap();
    assert_eq!(git(root, &["cat-file", "-t", "v0.1.1"]), "tag");
}

fn make_executable(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

#[test]
fn the_dry_run_prints_the_plan_and_changes_nothing() {
    let repo = released_repository();
    let root = repo.path();
    unreleased(root, "### Fixed\n- A fix.");
    commit(root, "A fix");
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["release", "--dry-run", "--repo"])
        .arg(root)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("last release: v0.1.0 (0.1.0)"), "{text}");
    assert!(text.contains("release: 0.1.1 (the changes are fix"), "{text}");
    assert!(text.ends_with("dry run: nothing changed\n"), "{text}");
    assert_eq!(git(root, &["status", "--porcelain"]), "");
    assert_eq!(git(root, &["tag", "--list"]), "v0.1.0");
    // A version smaller than the changes need: refused, with the reason.
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["release", "--dry-run", "--version", "0.1.0", "--repo"])
        .arg(root)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 0.1.1"));
}

/// Copies this workspace's sources (not its build output or history).
fn copy_sources(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if [".git", "target"].iter().any(|skip| name == *skip) {
            continue;
        }
        let (source, dest) = (entry.path(), to.join(&name));
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
            copy_sources(&source, &dest);
        } else {
            std::fs::copy(&source, &dest).unwrap();
        }
    }
}

#[test]
fn on_this_workspace_only_its_own_versions_and_pins_move() {
    let copy = tempfile::tempdir().unwrap();
    let root = copy.path();
    copy_sources(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/..")), root);
    git(root, &["init", "--quiet"]);
    git(root, &["config", "user.name", "Release Test"]);
    git(root, &["config", "user.email", "release@example.invalid"]);
    git(root, &["add", "."]);
    git(root, &["commit", "--quiet", "-m", "The workspace"]);
    let options = Options {
        date: "2026-12-05",
        package: false,
        target_dir: None,
    };
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    let current: Version = manifest
        .lines()
        .skip_while(|l| *l != "[workspace.package]")
        .find_map(|l| l.strip_prefix("version = "))
        .unwrap()
        .trim_matches('"')
        .parse()
        .unwrap();
    // The first release is the version the crates have; then a fix.
    let first = plan(root, None).unwrap();
    assert_eq!((first.last.clone(), first.next), (None, current));
    release(&first, options).unwrap();
    unreleased_after_release(root, "### Fixed\n- A fix.");
    commit(root, "A fix");
    let fix = plan(root, None).unwrap();
    let next = current.bumped(Change::Fix);
    assert_eq!(fix.next, next);
    release(&fix, options).unwrap();

    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    let (old_pin, new_pin) = (format!("version = \"={current}\""), format!("version = \"={next}\""));
    assert!(manifest.contains(&format!("version = \"{next}\"")), "{manifest}");
    assert!(
        manifest.contains(&new_pin) && !manifest.contains(&old_pin),
        "{manifest}"
    );
    assert!(
        manifest.contains("progenitor = { version = \"=0.15.1\""),
        "others' pins stay: {manifest}"
    );
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).unwrap();
    assert!(
        lock.contains(&format!("name = \"carbon-ext\"\nversion = \"{next}\"")),
        "the lock follows"
    );
    assert_eq!(git(root, &["cat-file", "-t", &format!("v{next}")]), "tag");
    assert_eq!(git(root, &["status", "--porcelain"]), "");
}

/// Adds `entries` to the Unreleased section of a CHANGELOG whose first heading
/// after the title is `## Unreleased (API …)`.
fn unreleased_after_release(root: &Path, entries: &str) {
    let text = std::fs::read_to_string(root.join("CHANGELOG.md")).unwrap();
    let at = text.find("## Unreleased").unwrap();
    let end = at + text[at..].find('\n').unwrap() + 1;
    let text = format!("{}\n{entries}\n{}", &text[..end], &text[end..]);
    write(root, "CHANGELOG.md", &text);
}
