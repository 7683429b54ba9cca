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
