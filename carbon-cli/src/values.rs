//! A flag's text turned into the value the API takes, checked against what the API
//! document says of it before anything is sent: ids of the right shape, enum values
//! the document lists (matched without regard to case, with a "did you mean"), sort
//! keys the operation documents, dates in any form `when` reads. A value that could
//! never match is refused (exit 2) so that an empty answer always means "nothing
//! matched", never "the filter was mistyped".

use carbon_ext::extras::{FieldInfo, ValueKind, is_uuid_shaped};
use serde_json::Value;

use crate::failure::{Failure, Outcome};
use crate::when::{Relative, parse_time};

/// How strictly values are checked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Strictness {
    /// Send enum values, sort keys and ids the document does not know, for a server
    /// newer than this build (`--allow-unknown-values`).
    pub allow_unknown: bool,
}

/// The flag that lets unknown values through, named in every refusal.
pub const ALLOW_UNKNOWN_FLAG: &str = "--allow-unknown-values";

/// Whether a repeated flag also takes comma-separated values: ids and the values
/// of a closed set, which never hold a comma. Free text (a build's name, an order
/// number) is sent as typed, commas and all; sort keys carry their own comma
/// (`updated_at,desc`).
pub fn splits_on_commas(field: &FieldInfo) -> bool {
    field.array && (field.kind == ValueKind::Uuid || !field.values.is_empty())
}

/// The values of one occurrence of a flag (`flag` as the user wrote it: `--status`,
/// or `UUID` for a positional): split at commas where the flag repeats.
pub fn pieces<'a>(field: &FieldInfo, flag: &str, raw: &'a str) -> Outcome<Vec<&'a str>> {
    if !splits_on_commas(field) {
        return Ok(vec![raw]);
    }
    let pieces: Vec<&str> = raw.split(',').map(str::trim).collect();
    if pieces.iter().any(|p| p.is_empty()) {
        return Err(Failure::usage(format!(
            "{flag}: `{raw}` has an empty value between commas; give values as `a,b` or repeat {flag}"
        )));
    }
    Ok(pieces)
}

/// One value of a flag as JSON of the field's kind, checked.
pub fn field_value(field: &FieldInfo, flag: &str, raw: &str, relative: Relative, strict: Strictness) -> Outcome<Value> {
    let bad = |what: &str| Failure::usage(format!("{flag}: `{raw}` is not {what}; nothing was sent"));
    if field.name == "sort" && field.kind == ValueKind::String {
        return sort_key(field, flag, raw, strict).map(Value::from);
    }
    if !field.values.is_empty() {
        return enum_value(field, flag, raw, strict).map(Value::from);
    }
    Ok(match field.kind {
        ValueKind::Integer => Value::from(raw.parse::<i64>().map_err(|_| bad("a whole number"))?),
        ValueKind::Number => Value::from(raw.parse::<f64>().map_err(|_| bad("a number"))?),
        ValueKind::Boolean => Value::from(raw.parse::<bool>().map_err(|_| bad("true or false"))?),
        ValueKind::DateTime => Value::from(
            parse_time(raw, relative, chrono::Utc::now())
                .map_err(|e| Failure::usage(format!("{flag}: {e}")))?
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        ),
        ValueKind::Object => serde_json::from_str(raw).map_err(|_| bad("JSON"))?,
        ValueKind::Uuid => {
            id(flag, raw, strict)?;
            Value::from(raw)
        }
        _ => Value::from(raw),
    })
}

/// Checks that `raw` has the shape of an id (see `is_uuid_shaped`): any other value
/// can never name a record.
pub fn id(flag: &str, raw: &str, strict: Strictness) -> Outcome {
    if strict.allow_unknown || is_uuid_shaped(raw) {
        return Ok(());
    }
    Err(Failure::usage(format!(
        "{flag}: `{raw}` is not an id: ids are UUIDs such as 1cf34076-417e-489f-8863-3438facd4808; \
         nothing was sent ({ALLOW_UNKNOWN_FLAG} sends it anyway)"
    )))
}

/// The document's spelling of an enum value, or a refusal that says what is accepted.
fn enum_value(field: &FieldInfo, flag: &str, raw: &str, strict: Strictness) -> Outcome<String> {
    if let Some(known) = canonical(field.values, raw) {
        return Ok(known.to_string());
    }
    if strict.allow_unknown {
        return Ok(raw.to_string());
    }
    Err(Failure::usage(format!(
        "{flag}: `{raw}` is not a value the API document lists.{} Accepted: {}. Nothing was sent \
         ({ALLOW_UNKNOWN_FLAG} sends it anyway, for a value newer than this build)",
        suggestion(field.values, raw),
        field.values.join(", ")
    )))
}

/// A sort key (`field`, `field,asc` or `field,desc`) of a documented sortable field.
fn sort_key(field: &FieldInfo, flag: &str, raw: &str, strict: Strictness) -> Outcome<String> {
    let (name, direction) = match raw.split_once(',') {
        Some((name, direction)) => (name.trim(), Some(direction.trim())),
        None => (raw.trim(), None),
    };
    let direction = match direction.map(str::to_ascii_lowercase).as_deref() {
        None => None,
        Some(d @ ("asc" | "desc")) => Some(d.to_string()),
        Some(other) => {
            return Err(Failure::usage(format!(
                "{flag}: `{raw}` has the direction `{other}`; use `{name}` (ascending) or `{name},desc`"
            )));
        }
    };
    let name = match canonical(field.sort_keys, name) {
        Some(known) => known.to_string(),
        None if strict.allow_unknown => name.to_string(),
        None if field.sort_keys.is_empty() => {
            return Err(Failure::usage(format!(
                "{flag}: the API documents no sortable field for this list, so `{name}` may be ignored or \
                 refused; leave out {flag}. Nothing was sent ({ALLOW_UNKNOWN_FLAG} sends it anyway)"
            )));
        }
        None => {
            return Err(Failure::usage(format!(
                "{flag}: `{name}` is not a field this list sorts by.{} Sortable: {} (add `,desc` to reverse). \
                 Nothing was sent ({ALLOW_UNKNOWN_FLAG} sends it anyway)",
                suggestion(field.sort_keys, name),
                field.sort_keys.join(", ")
            )));
        }
    };
    Ok(match direction {
        Some(direction) => format!("{name},{direction}"),
        None => name,
    })
}

/// The accepted value `raw` names, matched exactly, then without regard to case.
fn canonical<'a>(accepted: &[&'a str], raw: &str) -> Option<&'a str> {
    accepted
        .iter()
        .find(|v| **v == raw)
        .or_else(|| accepted.iter().find(|v| v.eq_ignore_ascii_case(raw)))
        .copied()
}

/// ` Did you mean `x`?` when an accepted value is close to `raw`, else nothing.
fn suggestion(accepted: &[&str], raw: &str) -> String {
    let lowered = raw.to_ascii_lowercase();
    accepted
        .iter()
        .map(|v| (strsim::jaro_winkler(&v.to_ascii_lowercase(), &lowered), *v))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, v)| format!(" Did you mean `{v}`?"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn param(op: &str, name: &str) -> &'static FieldInfo {
        carbon_ext::extras::operation(op)
            .unwrap()
            .params
            .iter()
            .find(|p| p.name == name)
            .unwrap()
    }

    fn check(op: &str, name: &str, raw: &str) -> Result<Value, String> {
        field_value(
            param(op, name),
            &format!("--{name}"),
            raw,
            Relative::Ago,
            Strictness::default(),
        )
        .map_err(|e| e.to_string())
    }

    #[test]
    fn enum_values_match_without_case_and_suggest_the_closest() {
        assert_eq!(check("getPrintedParts", "status", "complete").unwrap(), "complete");
        assert_eq!(check("getPrintedParts", "status", "Complete").unwrap(), "complete");
        let err = check("getPrintedParts", "status", "complet").unwrap_err();
        assert!(err.contains("Did you mean `complete`?"), "{err}");
        assert!(err.contains("Accepted: ") && err.contains("printing"), "{err}");
        let err = check("getPrintedParts", "status", "bogus").unwrap_err();
        assert!(!err.contains("Did you mean"), "{err}");
        let lenient = Strictness { allow_unknown: true };
        let sent = field_value(
            param("getPrintedParts", "status"),
            "status",
            "on_hold",
            Relative::Ago,
            lenient,
        );
        assert_eq!(sent.unwrap(), "on_hold");
    }

    #[test]
    fn ids_must_look_like_ids() {
        assert!(check("getPrintedParts", "uuid", "1cf34076-417e-489f-8863-3438facd4808").is_ok());
        let err = check("getPrintedParts", "uuid", "not-a-uuid").unwrap_err();
        assert!(err.contains("is not an id"), "{err}");
        assert!(err.contains(ALLOW_UNKNOWN_FLAG), "{err}");
    }

    #[test]
    fn sort_keys_are_the_documented_ones_with_a_direction() {
        assert_eq!(check("getPrintedParts", "sort", "updated_at").unwrap(), "updated_at");
        assert_eq!(
            check("getPrintedParts", "sort", "Updated_At,DESC").unwrap(),
            "updated_at,desc"
        );
        let err = check("getPrintedParts", "sort", "updated").unwrap_err();
        assert!(err.contains("Did you mean `updated_at`?"), "{err}");
        let err = check("getPrintedParts", "sort", "uuid,down").unwrap_err();
        assert!(err.contains("direction"), "{err}");
        let err = check("getPartMeasurements", "sort", "uuid").unwrap_err();
        assert!(err.contains("documents no sortable field"), "{err}");
        assert!(err.contains("Nothing was sent"), "{err}");
    }

    #[test]
    fn repeated_flags_split_at_commas_but_sort_keys_do_not() {
        let ids = param("getPrintedParts", "uuid");
        assert_eq!(pieces(ids, "--uuid", "a, b").unwrap(), ["a", "b"]);
        assert!(pieces(ids, "--uuid", "a,,b").is_err());
        // Free text keeps its commas.
        let names = param("getBuilds", "name");
        assert_eq!(pieces(names, "--name", "Bracket, rev 2").unwrap(), ["Bracket, rev 2"]);
        assert_eq!(
            pieces(param("getPrintedParts", "sort"), "--sort", "uuid,desc").unwrap(),
            ["uuid,desc"]
        );
        assert_eq!(
            pieces(param("getPartOrders", "status"), "--status", "a,b").unwrap(),
            ["a,b"]
        );
    }

    #[test]
    fn dates_typed_as_text_take_every_form() {
        let sent = check("getPrints", "started_after", "2026-11-01").unwrap();
        assert_eq!(sent, "2026-11-01T00:00:00Z");
        assert!(check("getPrints", "started_after", "30d").is_ok());
        assert!(check("getPrints", "started_after", "last tuesday").is_err());
    }
}
