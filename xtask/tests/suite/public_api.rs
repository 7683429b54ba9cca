//! The public surface rustdoc describes, read on small crates: what a user
//! would feel is a change, and what is not.

use std::path::Path;

use xtask::public_api::{Library, Surface, compare, document};
use xtask::version::Change;

/// The surface of a one-file library crate `demo` with `source` as its lib.rs,
/// built in `target`.
fn surface_of(source: &str, target: &Path) -> Surface {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(
        root.join("Cargo.toml"),
        "[package]\nname = \"demo\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
    )
    .unwrap();
    std::fs::create_dir(root.join("src")).unwrap();
    std::fs::write(root.join("src/lib.rs"), source).unwrap();
    let library = Library {
        package: "demo".into(),
        crate_name: "demo".into(),
        dir: "".into(),
    };
    document(root, &library, target).unwrap()
}

const BASE: &str = r#"
//! A small API.
pub mod shapes {
    /// Something with a size.
    #[derive(Debug, Clone)]
    pub struct Thing { pub size: u32, hidden: u32 }
    impl Thing {
        pub fn new(size: u32) -> Self { Thing { size, hidden: 0 } }
        pub fn size(&self) -> u32 { self.size + self.hidden }
        fn internal(&self) {}
    }
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Colour { Red, Green }
    #[non_exhaustive]
    pub enum Finish { Matte, Gloss }
    pub trait Paint { fn paint(&self, colour: Colour) -> bool; fn dry(&self) {} }
}
pub use shapes::{Colour, Thing};
pub const LIMIT: usize = 10;
pub fn paint(thing: &Thing, colour: Colour) -> bool { thing.size > 0 && colour == Colour::Red }
"#;

fn changed(base: &Surface, source: &str, target: &Path) -> (Option<Change>, Vec<String>) {
    let diff = compare("demo", base, &surface_of(source, target));
    let mut lines: Vec<String> = diff.removed.iter().map(|i| format!("removed {i}")).collect();
    lines.extend(diff.changed.iter().map(|i| format!("changed {i}")));
    lines.extend(diff.added.iter().map(|i| format!("added {i}")));
    (diff.change(), lines)
}

#[test]
fn what_users_feel_is_a_change_and_what_is_not() {
    let target = tempfile::tempdir().unwrap();
    let target = target.path();
    let base = surface_of(BASE, target);
    // Members are listed under the path where their type is defined, when
    // that path is public (else under its shortest re-export).
    for item in [
        "struct demo::Thing",
        "struct demo::shapes::Thing",
        "fn demo::shapes::Thing::new",
        "field demo::shapes::Thing::size",
        "impl core::clone::Clone for demo::shapes::Thing",
        "impl core::marker::Send for demo::shapes::Thing",
        "variant demo::shapes::Colour::Red",
        "fn demo::shapes::Paint::dry",
        "const demo::LIMIT",
        "fn demo::paint",
    ] {
        assert!(base.contains_key(item), "{item} in {:#?}", base.keys());
    }
    assert!(
        !base.keys().any(|k| k.contains("internal") || k.contains("hidden")),
        "{base:#?}"
    );

    // The same API written otherwise: nothing.
    let rewritten = BASE
        .replace("pub const LIMIT: usize = 10;", "pub const LIMIT: usize = 12;")
        .replace("self.size + self.hidden", "self.hidden + self.size")
        .replace("/// Something with a size.", "/// A thing.")
        .replace(
            "pub use shapes::{Colour, Thing};",
            "pub use crate::shapes::Colour;\npub use self::shapes::Thing;",
        )
        // A parameter's name is not the caller's business.
        .replace(
            "colour: Colour) -> bool { thing.size > 0 && colour",
            "shade: Colour) -> bool { thing.size > 0 && shade",
        );
    assert!(rewritten.contains("shade: Colour"), "the rename applies");
    assert_eq!(changed(&base, &rewritten, target), (None, vec![]));

    // A new re-export adds names; nothing already there moves.
    let (change, lines) = changed(
        &base,
        &BASE.replace(
            "pub use shapes::{Colour, Thing};",
            "pub use shapes::{Colour, Finish, Thing};",
        ),
        target,
    );
    assert_eq!(change, Some(Change::Additive), "{lines:?}");
    assert!(lines.iter().all(|l| l.starts_with("added ")), "{lines:?}");
    assert!(lines.contains(&"added enum demo::Finish".to_string()), "{lines:?}");

    // Additions that no user's code can trip on.
    let cases = [
        (
            "pub fn size(&self)",
            "pub fn weight(&self) -> u32 { 0 }\n        pub fn size(&self)",
            vec!["added fn demo::shapes::Thing::weight"],
        ),
        (
            "Matte, Gloss",
            "Matte, Gloss, Satin",
            vec!["added variant demo::shapes::Finish::Satin"],
        ),
        (
            "pub size: u32, hidden",
            "pub size: u32, pub depth: u32, hidden",
            vec!["added field demo::shapes::Thing::depth"],
        ),
        (
            "fn dry(&self) {}",
            "fn dry(&self) {}\n fn wait(&self) {}",
            vec!["added fn demo::shapes::Paint::wait"],
        ),
    ];
    for (from, to, expected) in cases {
        let (change, lines) = changed(&base, &BASE.replacen(from, to, 1), target);
        assert_eq!(
            (change, lines),
            (Some(Change::Additive), expected.iter().map(|s| s.to_string()).collect()),
            "{from} -> {to}"
        );
    }

    // Changes that break someone's code.
    let cases = [
        (
            "pub fn size(&self) -> u32 { self.size + self.hidden }",
            "",
            "removed fn demo::shapes::Thing::size",
        ),
        (
            "colour: Colour) -> bool { thing",
            "colour: Option<Colour>) -> bool { let colour = colour.unwrap(); thing",
            "changed fn demo::paint",
        ),
        ("Red, Green }", "Red, Green, Blue }", "changed enum demo::Colour"),
        (
            "#[derive(Debug, Clone)]\n    pub struct Thing",
            "#[derive(Debug)]\n    pub struct Thing",
            "removed impl core::clone::Clone for demo::shapes::Thing",
        ),
        (
            "hidden: u32 }",
            "hidden: std::rc::Rc<u32> }",
            "changed impl core::marker::Send for demo::shapes::Thing",
        ),
        (
            "fn dry(&self) {}",
            "fn dry(&self);",
            "changed trait demo::shapes::Paint",
        ),
        (
            "pub use shapes::{Colour, Thing};",
            "pub use shapes::Thing;\nuse shapes::Colour;",
            "removed enum demo::Colour",
        ),
        (
            "pub const LIMIT: usize = 10;",
            "pub const LIMIT: u32 = 10;",
            "changed const demo::LIMIT",
        ),
    ];
    for (from, to, expected) in cases {
        let source = BASE.replacen(from, to, 1);
        assert_ne!(source, BASE, "{from}");
        let (change, lines) = changed(&base, &source, target);
        assert_eq!(change, Some(Change::Breaking), "{from} -> {to}: {lines:?}");
        assert!(lines.iter().any(|l| l == expected), "{from} -> {to}: {lines:?}");
    }
}

#[test]
fn impls_of_one_trait_with_other_arguments_and_private_moves() {
    let target = tempfile::tempdir().unwrap();
    let target = target.path();
    let source = r#"
mod inner {
    pub struct Code(pub u16);
    impl From<u16> for Code { fn from(n: u16) -> Self { Code(n) } }
    impl From<u8> for Code { fn from(n: u8) -> Self { Code(n.into()) } }
    pub fn parse(text: &str) -> Option<Code> { text.parse().ok().map(Code) }
}
pub use inner::{Code, parse};
"#;
    let base = surface_of(source, target);
    for item in [
        "impl core::convert::From<u16> for demo::Code",
        "impl core::convert::From<u8> for demo::Code",
        "fn demo::parse",
    ] {
        assert!(base.contains_key(item), "{item} in {:#?}", base.keys());
    }
    // Dropping one of the two `From` impls is seen.
    let (change, lines) = changed(
        &base,
        &source.replace(
            "    impl From<u8> for Code { fn from(n: u8) -> Self { Code(n.into()) } }\n",
            "",
        ),
        target,
    );
    assert_eq!(change, Some(Change::Breaking), "{lines:?}");
    assert_eq!(lines, ["removed impl core::convert::From<u8> for demo::Code"]);
    // The same items defined in another private module, behind the same names.
    let moved = source
        .replace("mod inner", "mod elsewhere")
        .replace("pub use inner::", "pub use elsewhere::");
    assert_eq!(changed(&base, &moved, target), (None, vec![]));
}
