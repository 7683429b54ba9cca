//! Reading a document's text: JSON first, then YAML (a superset of JSON),
//! refusing YAML anchors and anything without an `openapi` field.

use serde_json::Value;

use crate::{Error, Result};

/// Parses document text; JSON is tried first, then YAML (a superset of JSON).
pub fn parse(source_name: &str, text: &str) -> Result<Value> {
    if let Ok(value) = serde_json::from_str::<Value>(text) {
        return check_is_object(source_name, value);
    }
    refuse_yaml_anchors(source_name, text)?;
    let value: Value = serde_yaml_ng::from_str(text).map_err(|e| Error::Parse {
        source_name: source_name.to_string(),
        reason: e.to_string(),
    })?;
    check_is_object(source_name, value)
}

/// YAML anchors and aliases let a small document expand without bound (one anchor
/// referenced thousands of times took a diff to over a gigabyte): API documents
/// have no use for them, so a document with an anchor is refused before parsing.
fn refuse_yaml_anchors(source_name: &str, text: &str) -> Result<()> {
    let name_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.');
    for (number, line) in text.lines().enumerate() {
        let chars: Vec<char> = line.chars().collect();
        for (i, c) in chars.iter().enumerate() {
            // An alias needs an anchor: finding anchors is enough.
            if *c != '&' {
                continue;
            }
            // A node property starts a value: after a space, `[`, `{`, `,`, or the line start.
            let starts_value = i == 0 || matches!(chars[i - 1], ' ' | '\t' | '[' | '{' | ',');
            let name_len = chars[i + 1..].iter().take_while(|c| name_char(**c)).count();
            let ends = chars
                .get(i + 1 + name_len)
                .is_none_or(|c| matches!(c, ' ' | '\t' | ',' | ']' | '}'));
            if starts_value && name_len > 0 && ends {
                return Err(Error::Parse {
                    source_name: source_name.to_string(),
                    reason: format!(
                        "line {} has an anchor (`{}`); YAML anchors and aliases are not accepted in API documents \
                         (they can expand without bound): expand them, or convert the document to JSON",
                        number + 1,
                        chars[i..i + 1 + name_len].iter().collect::<String>()
                    ),
                });
            }
        }
    }
    Ok(())
}

fn check_is_object(source_name: &str, value: Value) -> Result<Value> {
    if value.get("openapi").is_some() || value.get("swagger").is_some() {
        Ok(value)
    } else {
        Err(Error::Parse {
            source_name: source_name.to_string(),
            reason: "it has no top-level `openapi` field, so it is not an OpenAPI document".into(),
        })
    }
}
