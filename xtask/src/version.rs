//! carbon-rs's versions and the project's semver rules: what a change of each
//! kind does to the version number (see the README's "Releases").

use std::fmt;
use std::str::FromStr;

/// How a release changes things for the SDK's users.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Change {
    /// Fixes only: code that compiled keeps compiling and behaving as documented.
    Fix,
    /// New things: code that compiled keeps compiling.
    Additive,
    /// Code that compiled may not compile, or may behave differently.
    Breaking,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Change::Fix => "fix",
            Change::Additive => "additive",
            Change::Breaking => "breaking",
        })
    }
}

impl From<carbon_api_regen::Impact> for Change {
    /// An API change as a change of the SDK: the generated types follow the
    /// document, so a documentation-only change is a fix (nothing to compile
    /// differently).
    fn from(impact: carbon_api_regen::Impact) -> Self {
        match impact {
            carbon_api_regen::Impact::None => Change::Fix,
            carbon_api_regen::Impact::Additive => Change::Additive,
            carbon_api_regen::Impact::Breaking => Change::Breaking,
        }
    }
}

/// A release version, `MAJOR.MINOR.PATCH` (no pre-release or build parts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version {
    /// Incompatible changes (from 1.0.0).
    pub major: u64,
    /// Additions (from 1.0.0); incompatible changes before it.
    pub minor: u64,
    /// Fixes; additions too before 1.0.0.
    pub patch: u64,
}

impl Version {
    /// The smallest version after this one that a `change` allows: before 1.0.0
    /// (as Cargo reads versions, `0.MINOR` is the compatibility line) a breaking
    /// change bumps MINOR and anything else PATCH; from 1.0.0 breaking bumps
    /// MAJOR, additive MINOR, a fix PATCH.
    pub fn bumped(self, change: Change) -> Version {
        let Version { major, minor, patch } = self;
        match (major, change) {
            (0, Change::Breaking) => Version::new(0, minor + 1, 0),
            (0, _) => Version::new(0, minor, patch + 1),
            (_, Change::Breaking) => Version::new(major + 1, 0, 0),
            (_, Change::Additive) => Version::new(major, minor + 1, 0),
            (_, Change::Fix) => Version::new(major, minor, patch + 1),
        }
    }

    /// A version.
    pub fn new(major: u64, minor: u64, patch: u64) -> Self {
        Self { major, minor, patch }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

impl FromStr for Version {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let parts: Vec<&str> = text.trim().trim_start_matches('v').split('.').collect();
        let number = |part: &str| {
            part.parse::<u64>()
                .map_err(|_| format!("{text:?} is not a version: give MAJOR.MINOR.PATCH, such as 0.2.0"))
        };
        match parts.as_slice() {
            [major, minor, patch] => Ok(Version::new(number(major)?, number(minor)?, number(patch)?)),
            _ => Err(format!(
                "{text:?} is not a version: give MAJOR.MINOR.PATCH, such as 0.2.0"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bump_follows_the_change_and_the_zero_major_rule() {
        let v = |s: &str| s.parse::<Version>().unwrap();
        assert_eq!(v("0.1.0").bumped(Change::Fix), v("0.1.1"));
        assert_eq!(v("0.1.0").bumped(Change::Additive), v("0.1.1"));
        assert_eq!(v("0.1.3").bumped(Change::Breaking), v("0.2.0"));
        assert_eq!(v("1.2.3").bumped(Change::Fix), v("1.2.4"));
        assert_eq!(v("1.2.3").bumped(Change::Additive), v("1.3.0"));
        assert_eq!(v("1.2.3").bumped(Change::Breaking), v("2.0.0"));
        assert_eq!(v("v0.4.0"), Version::new(0, 4, 0));
        assert!("0.1".parse::<Version>().is_err());
        assert!("0.1.0-rc.1".parse::<Version>().is_err());
    }
}
