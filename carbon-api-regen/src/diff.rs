//! The semantic diff of two API documents, judged by what each change does to code
//! written against this SDK.
//!
//! Rules (the SDK has builder methods, open enums and generated structs):
//! - removing anything a user can name (operation, parameter, schema, property, enum
//!   value) is breaking; so is renaming an operation (its method name changes);
//! - a new required parameter, property or request body is breaking (existing calls
//!   miss it); a new optional one is additive;
//! - any type change, and any change of a property's required-ness (`T` ↔ `Option<T>`),
//!   is breaking;
//! - a new enum value is additive: enums are open and keep unknown values;
//! - new operations and schemas are additive; documentation changes are none.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use carbon_api_spec::walk;
use serde_json::Value;

/// How a change affects users of the SDK.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Impact {
    /// No effect on code.
    None,
    /// New things; existing code keeps compiling and working.
    Additive,
    /// Existing code may stop compiling or behave differently.
    Breaking,
}

impl fmt::Display for Impact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Impact::None => "none",
            Impact::Additive => "additive",
            Impact::Breaking => "breaking",
        })
    }
}

/// One change, attached to the operation or schema it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// `GET /models (findModels)` or `schema Build`.
    pub subject: String,
    /// What changed.
    pub what: String,
    /// Its effect.
    pub impact: Impact,
}

/// The whole diff.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diff {
    /// All changes, in document order of their subjects.
    pub changes: Vec<Change>,
}

impl Diff {
    /// The semver verdict: the strongest impact of any change.
    pub fn verdict(&self) -> Impact {
        self.changes.iter().map(|c| c.impact).max().unwrap_or(Impact::None)
    }
}

impl fmt::Display for Diff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.changes.is_empty() {
            writeln!(f, "no API changes")?;
        }
        let mut last_subject = None;
        for change in &self.changes {
            if last_subject != Some(&change.subject) {
                writeln!(f, "{}:", change.subject)?;
                last_subject = Some(&change.subject);
            }
            writeln!(f, "  - {} [{}]", change.what, change.impact)?;
        }
        writeln!(f, "semver: {}", self.verdict())
    }
}

struct Collector<'a> {
    old: &'a Value,
    new: &'a Value,
    changes: Vec<Change>,
}

impl Collector<'_> {
    fn push(&mut self, subject: &str, what: String, impact: Impact) {
        self.changes.push(Change {
            subject: subject.to_string(),
            what,
            impact,
        });
    }
}

/// Compares two normalized documents.
pub fn diff(old: &Value, new: &Value) -> Diff {
    let mut c = Collector {
        old,
        new,
        changes: Vec::new(),
    };
    diff_operations(&mut c);
    diff_schemas(&mut c);
    Diff { changes: c.changes }
}

type OpKey = (String, String);

fn operations(doc: &Value) -> BTreeMap<OpKey, &Value> {
    walk::operations(doc)
        .map(|o| ((o.method.to_uppercase(), o.path.to_string()), o.op))
        .collect()
}

fn op_id(op: &Value) -> &str {
    op.get("operationId").and_then(Value::as_str).unwrap_or("?")
}

fn diff_operations(c: &mut Collector<'_>) {
    let old_ops = operations(c.old);
    let new_ops = operations(c.new);
    let old_ids: BTreeMap<&str, &OpKey> = old_ops.iter().map(|(k, op)| (op_id(op), k)).collect();
    let new_ids: BTreeMap<&str, &OpKey> = new_ops.iter().map(|(k, op)| (op_id(op), k)).collect();

    for (key, op) in &new_ops {
        let subject = format!("{} {} ({})", key.0, key.1, op_id(op));
        if old_ops.contains_key(key) {
            continue;
        }
        match old_ids.get(op_id(op)) {
            Some(old_key) => c.push(
                &subject,
                format!(
                    "operation moved from {} {}; the method keeps its name",
                    old_key.0, old_key.1
                ),
                Impact::Additive,
            ),
            None => c.push(&subject, "operation added".into(), Impact::Additive),
        }
    }
    for (key, op) in &old_ops {
        if !new_ops.contains_key(key) && !new_ids.contains_key(op_id(op)) {
            c.push(
                &format!("{} {} ({})", key.0, key.1, op_id(op)),
                "operation removed".into(),
                Impact::Breaking,
            );
        }
    }
    for (key, new_op) in &new_ops {
        let old_op = match old_ops.get(key) {
            Some(op) => *op,
            None => match old_ids.get(op_id(new_op)).and_then(|k| old_ops.get(*k)) {
                Some(op) => *op,
                None => continue,
            },
        };
        let subject = format!("{} {} ({})", key.0, key.1, op_id(new_op));
        if op_id(old_op) != op_id(new_op) {
            c.push(
                &subject,
                format!(
                    "operationId {} -> {}: the method is renamed",
                    op_id(old_op),
                    op_id(new_op)
                ),
                Impact::Breaking,
            );
        }
        diff_parameters(c, &subject, old_op, new_op);
        diff_request_body(c, &subject, old_op, new_op);
        diff_responses(c, &subject, old_op, new_op);
    }
}

fn parameters(op: &Value) -> BTreeMap<(String, String), &Value> {
    walk::items(op, "/parameters")
        .map(|p| {
            let name = p.get("name").and_then(Value::as_str).unwrap_or("?").to_string();
            let location = p.get("in").and_then(Value::as_str).unwrap_or("?").to_string();
            ((name, location), p)
        })
        .collect()
}

fn is_required(param: &Value) -> bool {
    param.get("required").and_then(Value::as_bool).unwrap_or(false)
}

fn diff_parameters(c: &mut Collector<'_>, subject: &str, old_op: &Value, new_op: &Value) {
    let old_params = parameters(old_op);
    let new_params = parameters(new_op);
    for ((name, location), param) in &new_params {
        let ty = type_name(param.get("schema"));
        match old_params.get(&(name.clone(), location.clone())) {
            None if is_required(param) => c.push(
                subject,
                format!("required param added `{name}` ({location}, {ty})"),
                Impact::Breaking,
            ),
            None => c.push(
                subject,
                format!("param added `{name}` ({location}, {ty})"),
                Impact::Additive,
            ),
            Some(old) => {
                let old_ty = type_name(old.get("schema"));
                if old_ty != ty {
                    c.push(
                        subject,
                        format!("param `{name}` ({location}) type {old_ty} -> {ty}"),
                        Impact::Breaking,
                    );
                }
                match (is_required(old), is_required(param)) {
                    (false, true) => c.push(
                        subject,
                        format!("param `{name}` ({location}) is now required"),
                        Impact::Breaking,
                    ),
                    (true, false) => c.push(
                        subject,
                        format!("param `{name}` ({location}) is now optional"),
                        Impact::Additive,
                    ),
                    _ => {}
                }
                diff_enum_values(
                    c,
                    subject,
                    &format!("param `{name}`"),
                    old.get("schema"),
                    param.get("schema"),
                );
            }
        }
    }
    for (name, location) in old_params.keys() {
        if !new_params.contains_key(&(name.clone(), location.clone())) {
            c.push(
                subject,
                format!("param removed `{name}` ({location})"),
                Impact::Breaking,
            );
        }
    }
}

fn body_types(op: &Value) -> BTreeMap<String, String> {
    walk::members(op, "/requestBody/content")
        .map(|(media, body)| (media.clone(), type_name(body.get("schema"))))
        .collect()
}

fn diff_request_body(c: &mut Collector<'_>, subject: &str, old_op: &Value, new_op: &Value) {
    let old_body = body_types(old_op);
    let new_body = body_types(new_op);
    if old_body != new_body {
        let show = |b: &BTreeMap<String, String>| {
            if b.is_empty() {
                "none".to_string()
            } else {
                b.iter().map(|(m, t)| format!("{m} {t}")).collect::<Vec<_>>().join(", ")
            }
        };
        c.push(
            subject,
            format!("request body {} -> {}", show(&old_body), show(&new_body)),
            Impact::Breaking,
        );
    }
}

fn responses(op: &Value) -> BTreeMap<String, String> {
    walk::members(op, "/responses")
        .map(|(code, r)| {
            let body = r
                .get("content")
                .and_then(Value::as_object)
                .map(|content| {
                    content
                        .iter()
                        .map(|(m, b)| format!("{m} {}", type_name(b.get("schema"))))
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "no body".to_string());
            (code.clone(), body)
        })
        .collect()
}

fn diff_responses(c: &mut Collector<'_>, subject: &str, old_op: &Value, new_op: &Value) {
    let old_r = responses(old_op);
    let new_r = responses(new_op);
    let codes: BTreeSet<&String> = old_r.keys().chain(new_r.keys()).collect();
    for code in codes {
        let success = code.starts_with('2');
        match (old_r.get(code), new_r.get(code)) {
            (None, Some(body)) => c.push(
                subject,
                format!("response {code} added ({body})"),
                if success { Impact::Breaking } else { Impact::None },
            ),
            (Some(_), None) => c.push(
                subject,
                format!("response {code} removed"),
                if success { Impact::Breaking } else { Impact::None },
            ),
            (Some(old), Some(new)) if old != new => c.push(
                subject,
                format!("response {code} body {old} -> {new}"),
                Impact::Breaking,
            ),
            _ => {}
        }
    }
}

fn schemas(doc: &Value) -> BTreeMap<&str, &Value> {
    walk::members(doc, "/components/schemas")
        .map(|(k, v)| (k.as_str(), v))
        .collect()
}

fn diff_schemas(c: &mut Collector<'_>) {
    let old_s = schemas(c.old);
    let new_s = schemas(c.new);
    for name in new_s.keys().filter(|n| !old_s.contains_key(*n)) {
        c.push(&format!("schema {name}"), "schema added".into(), Impact::Additive);
    }
    for name in old_s.keys().filter(|n| !new_s.contains_key(*n)) {
        c.push(&format!("schema {name}"), "schema removed".into(), Impact::Breaking);
    }
    for (name, new) in &new_s {
        let Some(old) = old_s.get(name) else { continue };
        let subject = format!("schema {name}");
        let (old_shape, new_shape) = (shape(old), shape(new));
        if old_shape != new_shape {
            c.push(&subject, format!("type {old_shape} -> {new_shape}"), Impact::Breaking);
        }
        diff_enum_values(c, &subject, "enum", Some(old), Some(new));
        diff_properties(c, &subject, old, new);
    }
}

/// The schema's kind, ignoring properties (compared one by one) and docs.
fn shape(schema: &Value) -> String {
    if let Some(members) = schema.get("allOf").and_then(Value::as_array) {
        let parts: Vec<String> = members.iter().map(|m| type_name(Some(m))).collect();
        return format!("allOf({})", parts.join(", "));
    }
    if schema.get("properties").is_some() {
        return "object".into();
    }
    type_name(Some(schema))
}

/// All properties of a schema with their required-ness, `allOf` parts included.
fn properties<'a>(schema: &'a Value, doc: &'a Value) -> BTreeMap<String, (&'a Value, bool)> {
    let mut out = BTreeMap::new();
    collect_properties(schema, doc, &mut out, 0);
    out
}

fn collect_properties<'a>(schema: &'a Value, doc: &'a Value, out: &mut BTreeMap<String, (&'a Value, bool)>, depth: u8) {
    if depth > 8 {
        return;
    }
    let required: BTreeSet<&str> = walk::texts(schema, "/required").collect();
    for (name, prop) in walk::members(schema, "/properties") {
        out.insert(name.clone(), (prop, required.contains(name.as_str())));
    }
    for member in walk::items(schema, "/allOf") {
        collect_properties(walk::resolve(doc, member), doc, out, depth + 1);
    }
}

fn diff_properties(c: &mut Collector<'_>, subject: &str, old: &Value, new: &Value) {
    let old_p = properties(old, c.old);
    let new_p = properties(new, c.new);
    for (name, (prop, required)) in &new_p {
        let ty = type_name(Some(prop));
        match old_p.get(name) {
            None if *required => c.push(
                subject,
                format!("required property added `{name}` ({ty})"),
                Impact::Breaking,
            ),
            None => c.push(subject, format!("property added `{name}` ({ty})"), Impact::Additive),
            Some((old_prop, old_required)) => {
                let old_ty = type_name(Some(old_prop));
                if old_ty != ty {
                    c.push(
                        subject,
                        format!("property `{name}` type {old_ty} -> {ty}"),
                        Impact::Breaking,
                    );
                }
                if old_required != required {
                    let now = if *required { "required" } else { "optional" };
                    c.push(subject, format!("property `{name}` is now {now}"), Impact::Breaking);
                }
                diff_enum_values(c, subject, &format!("property `{name}`"), Some(old_prop), Some(prop));
            }
        }
    }
    for name in old_p.keys().filter(|n| !new_p.contains_key(*n)) {
        c.push(subject, format!("property removed `{name}`"), Impact::Breaking);
    }
}

fn enum_values(schema: Option<&Value>) -> Option<Vec<String>> {
    let schema = schema?;
    let values = schema
        .get("enum")
        .or_else(|| schema.get("x-known-values"))?
        .as_array()?;
    Some(
        values
            .iter()
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
            .collect(),
    )
}

fn diff_enum_values(c: &mut Collector<'_>, subject: &str, what: &str, old: Option<&Value>, new: Option<&Value>) {
    let (Some(old), Some(new)) = (enum_values(old), enum_values(new)) else {
        return;
    };
    for value in new.iter().filter(|v| !old.contains(v)) {
        c.push(subject, format!("{what} value added `{value}`"), Impact::Additive);
    }
    for value in old.iter().filter(|v| !new.contains(v)) {
        c.push(subject, format!("{what} value removed `{value}`"), Impact::Breaking);
    }
}

/// A short, comparable spelling of a schema's type: `string/date-time`,
/// `array<Build>`, `map<string>`, `oneOf(A, B)`, with `?` for nullable.
pub fn type_name(schema: Option<&Value>) -> String {
    let Some(schema) = schema else { return "any".into() };
    let nullable = if schema.get("nullable").and_then(Value::as_bool) == Some(true) {
        "?"
    } else {
        ""
    };
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        return format!("{}{nullable}", r.rsplit('/').next().unwrap_or(r));
    }
    for key in ["allOf", "oneOf", "anyOf"] {
        if let Some(members) = schema.get(key).and_then(Value::as_array) {
            let parts: Vec<String> = members.iter().map(|m| type_name(Some(m))).collect();
            if key == "allOf" && parts.len() == 1 {
                return format!("{}{nullable}", parts[0]);
            }
            return format!("{key}({}){nullable}", parts.join(", "));
        }
    }
    let ty = schema
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or(if schema.get("properties").is_some() {
            "object"
        } else {
            "any"
        });
    let base = match ty {
        "array" => format!("array<{}>", type_name(schema.get("items"))),
        "object" => match schema.get("additionalProperties") {
            Some(Value::Object(_)) if schema.get("properties").is_none() => {
                format!("map<{}>", type_name(schema.get("additionalProperties")))
            }
            _ => "object".into(),
        },
        other => match schema.get("format").and_then(Value::as_str) {
            Some(format) => format!("{other}/{format}"),
            None => other.to_string(),
        },
    };
    format!("{base}{nullable}")
}
