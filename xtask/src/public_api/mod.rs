//! The public API of the workspace's hand-written crates, read mechanically:
//! rustdoc describes each crate (its JSON output), [`surface`] turns that into
//! the items a user can name with their signatures, and [`compare`] says what
//! a release removes, changes and adds. `release` diffs the last tag against
//! the working tree with it, so that a removed method cannot ship as a patch.
//!
//! The generated crate (`carbon-api-gen`) is left out: its API follows the
//! document, whose own diff judges it.

mod rustdoc;
mod surface;

use std::collections::BTreeMap;
use std::fmt;

pub use rustdoc::{Library, document, libraries};
pub use surface::surface;

use crate::version::Change;

/// A crate's public items: `kind path` (`fn demo::Thing::new`) to a signature
/// that is equal exactly when the item is the same for its users.
pub type Surface = BTreeMap<String, String>;

/// The crates whose public API is generated from the document, not diffed here.
pub const GENERATED: &[&str] = &["carbon-api-gen"];

/// What changed in one crate's public API.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SurfaceDiff {
    /// The crate.
    pub package: String,
    /// Items no longer there (breaking).
    pub removed: Vec<String>,
    /// Items whose signature changed (breaking).
    pub changed: Vec<String>,
    /// New items (additive).
    pub added: Vec<String>,
}

impl SurfaceDiff {
    /// The kind of change, if anything changed.
    pub fn change(&self) -> Option<Change> {
        if !self.removed.is_empty() || !self.changed.is_empty() {
            Some(Change::Breaking)
        } else if !self.added.is_empty() {
            Some(Change::Additive)
        } else {
            None
        }
    }
}

/// Compares a crate's surface at the last release with its surface now.
pub fn compare(package: &str, before: &Surface, now: &Surface) -> SurfaceDiff {
    let mut diff = SurfaceDiff {
        package: package.to_string(),
        ..SurfaceDiff::default()
    };
    for (item, signature) in before {
        match now.get(item) {
            None => diff.removed.push(item.clone()),
            Some(current) if current != signature => diff.changed.push(item.clone()),
            Some(_) => {}
        }
    }
    diff.added = now.keys().filter(|item| !before.contains_key(*item)).cloned().collect();
    diff
}

impl fmt::Display for SurfaceDiff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        /// Lists up to this many items of each kind; the count says the rest.
        const SHOWN: usize = 20;
        for (label, items) in [
            ("removed", &self.removed),
            ("changed", &self.changed),
            ("added", &self.added),
        ] {
            for item in items.iter().take(SHOWN) {
                writeln!(f, "  - {}: {label} `{item}`", self.package)?;
            }
            if items.len() > SHOWN {
                writeln!(f, "  - {}: {} more {label}", self.package, items.len() - SHOWN)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn surface(items: &[(&str, &str)]) -> Surface {
        items.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn removed_or_changed_is_breaking_and_new_is_additive() {
        let before = surface(&[("fn a::f", "1"), ("fn a::g", "1")]);
        let same = compare("a", &before, &before);
        assert_eq!(same.change(), None);
        let added = compare(
            "a",
            &before,
            &surface(&[("fn a::f", "1"), ("fn a::g", "1"), ("fn a::h", "1")]),
        );
        assert_eq!(
            (added.change(), added.added.clone()),
            (Some(Change::Additive), vec!["fn a::h".to_string()])
        );
        let changed = compare("a", &before, &surface(&[("fn a::f", "2"), ("fn a::g", "1")]));
        assert_eq!(
            (changed.change(), changed.changed.clone()),
            (Some(Change::Breaking), vec!["fn a::f".to_string()])
        );
        let removed = compare("a", &before, &surface(&[("fn a::f", "1")]));
        assert_eq!(removed.removed, ["fn a::g"]);
        assert!(removed.to_string().contains("a: removed `fn a::g`"), "{removed}");
    }
}
