//! Query strings as the API reads them: repeated keys, limits, filters, sort, paging.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde_json::Value;

/// A query string as a multimap, keys in order of first appearance kept per key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Query(pub BTreeMap<String, Vec<String>>);

/// Parameters that are not filters.
pub(crate) const CONTROL: [&str; 4] = ["limit", "cursor", "offset", "sort"];

impl Query {
    pub(crate) fn parse(raw: Option<&str>) -> Self {
        let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (k, v) in url::form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
            map.entry(k.into_owned()).or_default().push(v.into_owned());
        }
        Self(map)
    }

    pub(crate) fn all(&self, key: &str) -> &[String] {
        self.0.get(key).map(Vec::as_slice).unwrap_or(&[])
    }

    pub(crate) fn one(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.first()).map(String::as_str)
    }

    /// The query without the cursor: what a cursor must be re-sent with.
    pub(crate) fn fingerprint(&self) -> String {
        self.0
            .iter()
            .filter(|(k, _)| k.as_str() != "cursor")
            .map(|(k, v)| format!("{k}={}", v.join("\u{1f}")))
            .collect::<Vec<_>>()
            .join("&")
    }

    pub(crate) fn limit(&self) -> Result<usize, String> {
        self.one("limit")
            .ok_or("limit is required")?
            .parse()
            .map_err(|_| "limit must be a number".to_string())
    }
}

/// A date filter's value: RFC 3339, or a date (its midnight, UTC).
pub(crate) fn instant(text: &str) -> Result<chrono::DateTime<chrono::FixedOffset>, chrono::ParseError> {
    chrono::DateTime::parse_from_rfc3339(text).or_else(|_| {
        chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map(|d| d.and_time(chrono::NaiveTime::MIN).and_utc().fixed_offset())
    })
}

/// A field of a JSON record by dotted path.
fn field<'a>(record: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(record, |v, key| v.get(key))
}

fn as_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Keeps the records that match every filter of `query`. `aliases` maps a filter
/// name to the record field it reads when they differ.
pub(crate) fn filter(records: Vec<Value>, query: &Query, aliases: &[(&str, &str)]) -> Result<Vec<Value>, String> {
    let mut out = records;
    for (key, values) in &query.0 {
        if CONTROL.contains(&key.as_str()) {
            continue;
        }
        let (bound, field_name) = if let Some(base) = key.strip_suffix("_after") {
            (Some(Ordering::Greater), format!("{base}_at"))
        } else if let Some(base) = key.strip_suffix("_before") {
            (Some(Ordering::Less), format!("{base}_at"))
        } else {
            (
                None,
                aliases
                    .iter()
                    .find(|(k, _)| k == key)
                    .map_or(key.clone(), |(_, f)| f.to_string()),
            )
        };
        match bound {
            Some(direction) => {
                let limit = instant(&values[0]).map_err(|_| format!("{key} is not an ISO-8601 date-time"))?;
                out.retain(|r| {
                    let Some(at) = field(r, &field_name)
                        .and_then(Value::as_str)
                        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                    else {
                        return false;
                    };
                    // `_after` is inclusive, `_before` exclusive.
                    match direction {
                        Ordering::Greater => at >= limit,
                        _ => at < limit,
                    }
                });
            }
            None if field_name.starts_with("keys:") => {
                let map_field = &field_name["keys:".len()..];
                out.retain(|r| {
                    field(r, map_field)
                        .and_then(Value::as_object)
                        .is_some_and(|m| values.iter().any(|v| m.contains_key(v)))
                });
            }
            None => out.retain(|r| {
                field(r, &field_name)
                    .and_then(as_text)
                    .is_some_and(|v| values.contains(&v))
            }),
        }
    }
    Ok(out)
}

/// Sorts by the `sort` keys (`field` or `field,desc`), stable, after the default order.
pub(crate) fn sort(records: &mut [Value], query: &Query) {
    for key in query.all("sort").iter().rev() {
        let (name, desc) = match key.split_once(',') {
            Some((name, dir)) => (name.to_string(), dir.eq_ignore_ascii_case("desc")),
            None => (key.clone(), false),
        };
        let name = if name == "build_uuid" { "uuid".to_string() } else { name };
        records.sort_by(|a, b| {
            let ord = compare(field(a, &name), field(b, &name));
            if desc { ord.reverse() } else { ord }
        });
    }
}

fn compare(a: Option<&Value>, b: Option<&Value>) -> Ordering {
    match (a, b) {
        (Some(Value::Number(x)), Some(Value::Number(y))) => {
            x.as_f64().partial_cmp(&y.as_f64()).unwrap_or(Ordering::Equal)
        }
        (Some(x), Some(y)) => as_text(x).cmp(&as_text(y)),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}
