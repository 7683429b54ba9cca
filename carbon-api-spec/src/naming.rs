//! How Rust names are derived from names in the document.
//!
//! Shared by the code generator (`carbon-api-gen`'s build script) and by `xtask`, whose
//! guards reject a document in which two names would collide after this conversion.

use heck::ToUpperCamelCase;

/// The Rust variant name for a string enum value: `not_required` → `NotRequired`,
/// `Released` → `Released`, `3d` → `V3d`.
///
/// ```
/// use carbon_api_spec::naming::enum_variant_name;
/// assert_eq!(enum_variant_name("required_for_failure"), "RequiredForFailure");
/// assert_eq!(enum_variant_name("Obsolete"), "Obsolete");
/// assert_eq!(enum_variant_name("2"), "V2");
/// ```
pub fn enum_variant_name(value: &str) -> String {
    let camel = value.to_upper_camel_case();
    let name = match camel.chars().next() {
        None => "Empty".to_string(),
        Some(c) if c.is_ascii_digit() => format!("V{camel}"),
        Some(_) => camel,
    };
    // `Unknown` is the fallback variant of every open enum; a value spelled that way
    // gets a distinct name so that it stays matchable.
    if name == "Unknown" {
        "UnknownValue".to_string()
    } else {
        name
    }
}

/// Groups of enum values that map to the same Rust variant name.
///
/// ```
/// use carbon_api_spec::naming::colliding_enum_values;
/// let clashes = colliding_enum_values(["Open", "open", "closed"]);
/// assert_eq!(clashes, vec![("Open".to_string(), vec!["Open".to_string(), "open".to_string()])]);
/// ```
pub fn colliding_enum_values<'a>(values: impl IntoIterator<Item = &'a str>) -> Vec<(String, Vec<String>)> {
    let mut by_name: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for value in values {
        by_name
            .entry(enum_variant_name(value))
            .or_default()
            .push(value.to_string());
    }
    by_name.into_iter().filter(|(_, values)| values.len() > 1).collect()
}

/// Whether `version` is safe to use as the API version: 1 to 64 characters of
/// letters, digits, `.`, `-` and `+` (it is written into generated code and into a
/// cargo directive, where a newline or a quote would do harm).
///
/// ```
/// use carbon_api_spec::naming::is_plain_version;
/// assert!(is_plain_version("0.4.17") && is_plain_version("1.0.0-rc.1+build.7"));
/// assert!(!is_plain_version("1.0\ncargo:rustc-link-arg=evil") && !is_plain_version(""));
/// ```
pub fn is_plain_version(version: &str) -> bool {
    (1..=64).contains(&version.len())
        && version
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+'))
}

/// Rust keywords, which no generated type or variant may be named.
const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern", "false", "fn",
    "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return", "self",
    "Self", "static", "struct", "super", "trait", "true", "type", "unsafe", "use", "where", "while", "abstract",
    "become", "box", "do", "final", "macro", "override", "priv", "try", "typeof", "unsized", "virtual", "yield",
];

/// Whether `name` can be used as it is for a Rust type or variant: an ASCII letter,
/// then ASCII letters, digits and `_`, and not a keyword.
///
/// ```
/// use carbon_api_spec::naming::is_rust_identifier;
/// assert!(is_rust_identifier("PrintedPartStatus") && is_rust_identifier("V2"));
/// assert!(!is_rust_identifier("Status {}\nfn evil() {") && !is_rust_identifier("Self") && !is_rust_identifier("2x"));
/// ```
pub fn is_rust_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !KEYWORDS.contains(&name)
}
