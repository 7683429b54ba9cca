//! A crate's public surface read from rustdoc's JSON output: every item a user
//! can name, keyed by its kind and path (`fn carbon_ext::Client::drift`), with a
//! signature that changes exactly when the item changes for its users.
//!
//! Signatures are rustdoc's own description of the item with what does not
//! matter to a user taken out (spans, docs, the numbering of items, the names
//! of parameters, the values of constants), so that the same API gives the same
//! surface however its code is written.
//!
//! Each item of the crate goes by one name in signatures and in the keys of its
//! members (fields, variants, methods, impls): its home. That is the path where
//! it is defined when that path is public, else the shortest public path that
//! re-exports it; so a new re-export adds entries (additive) without moving the
//! old ones, and a move between private modules behind the same re-export
//! changes nothing. Items of other crates go by rustdoc's path for them.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Value};

use super::Surface;

/// Keys of rustdoc's items that say nothing about the API.
const NOISE: &[&str] = &["span", "docs", "links", "deprecation", "impls"];

struct Reader<'a> {
    index: &'a Map<String, Value>,
    paths: &'a Map<String, Value>,
    surface: Surface,
    /// The public paths of each item of the crate (the first walk).
    reach: BTreeMap<String, Vec<String>>,
    /// The name each item of the crate goes by (see the module's docs).
    homes: HashMap<String, String>,
    /// Whether this walk records entries (the second) or only the paths.
    recording: bool,
    /// Modules being walked (a glob re-export of a parent would loop).
    walking: Vec<String>,
}

/// The surface of the crate `doc` (rustdoc's JSON) documents.
pub fn surface(doc: &Value) -> Result<Surface, String> {
    let index = doc["index"].as_object().ok_or("no `index` in rustdoc's output")?;
    let paths = doc["paths"].as_object().ok_or("no `paths` in rustdoc's output")?;
    let root = id_key(&doc["root"]).ok_or("no `root` in rustdoc's output")?;
    let crate_name = index
        .get(&root)
        .and_then(|item| item["name"].as_str())
        .ok_or("the root module has no name")?
        .to_string();
    let mut reader = Reader {
        index,
        paths,
        surface: BTreeMap::new(),
        reach: BTreeMap::new(),
        homes: HashMap::new(),
        recording: false,
        walking: Vec::new(),
    };
    // First every public path of every item, then the entries, each item named
    // by its home.
    reader.module(&root, &crate_name);
    let reach = std::mem::take(&mut reader.reach);
    for (id, public) in &reach {
        let defined = reader.definition_path(id);
        let home = match defined {
            Some(defined) if public.contains(&defined) => defined,
            _ => public
                .iter()
                .min_by_key(|path| (path.matches("::").count(), path.as_str()))
                .expect("a reached item has a path")
                .clone(),
        };
        reader.homes.insert(id.clone(), home);
    }
    reader.recording = true;
    reader.module(&root, &crate_name);
    for id in reach.keys() {
        let Some((kind, inner)) = reader.index[id]["inner"].as_object().and_then(|i| i.iter().next()) else {
            continue;
        };
        if matches!(kind.as_str(), "struct" | "union" | "enum" | "trait") {
            let home = reader.homes[id].clone();
            reader.members(kind, inner, &home);
        }
    }
    Ok(reader.surface)
}

fn id_key(id: &Value) -> Option<String> {
    match id {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

impl Reader<'_> {
    fn item(&self, id: &Value) -> Option<&Value> {
        id_key(id).and_then(|key| self.index.get(&key))
    }

    /// Where rustdoc says an item is defined (`std::io::error::Error`).
    fn definition_path(&self, key: &str) -> Option<String> {
        let path = self.paths.get(key)?["path"].as_array()?;
        Some(path.iter().filter_map(Value::as_str).collect::<Vec<_>>().join("::"))
    }

    /// The name an item goes by: its home for the crate's own, else rustdoc's
    /// path.
    fn name_of(&self, id: &Value) -> Option<String> {
        let key = id_key(id)?;
        self.homes.get(&key).cloned().or_else(|| self.definition_path(&key))
    }

    /// `value` without noise, each referenced item named by [`Self::name_of`].
    fn canonical(&self, value: &Value) -> Value {
        match value {
            Value::Object(map) => {
                let mut out = Map::new();
                for (key, inner) in map {
                    if NOISE.contains(&key.as_str()) || key == "id" {
                        continue;
                    }
                    if key == "path" && map.contains_key("id") {
                        let named = self
                            .name_of(&map["id"])
                            .unwrap_or_else(|| inner.as_str().unwrap_or("").into());
                        out.insert(key.clone(), Value::String(named));
                        continue;
                    }
                    out.insert(key.clone(), self.canonical(inner));
                }
                Value::Object(out)
            }
            Value::Array(items) => Value::Array(items.iter().map(|v| self.canonical(v)).collect()),
            other => other.clone(),
        }
    }

    /// A function as its callers see it: the parameters' types (and whether it
    /// takes `self`), not their names.
    fn function(&self, inner: &Value) -> Value {
        let mut signature = self.canonical(inner);
        if let Some(inputs) = signature["sig"]["inputs"].as_array_mut() {
            for input in inputs {
                if input[0] != "self" {
                    *input = input[1].take();
                }
            }
        }
        signature
    }

    fn record(&mut self, key: String, signature: Value) {
        if self.recording {
            self.surface.insert(key, signature.to_string());
        }
    }

    fn module(&mut self, id: &str, path: &str) {
        if self.walking.iter().any(|walked| walked == id) {
            return;
        }
        self.walking.push(id.to_string());
        let items = self.index[id]["inner"]["module"]["items"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for child in &items {
            self.reached(child, path, None);
        }
        self.walking.pop();
    }

    /// An item reached in the module `parent`, under `alias` when re-exported
    /// under another name.
    fn reached(&mut self, id: &Value, parent: &str, alias: Option<&str>) {
        let Some(item) = self.item(id).cloned() else {
            return;
        };
        if item["visibility"] != "public" {
            return;
        }
        let Some((kind, inner)) = item["inner"].as_object().and_then(|inner| inner.iter().next()) else {
            return;
        };
        let name = alias.or(item["name"].as_str());
        let path = |name: &str| format!("{parent}::{name}");
        if kind != "use"
            && let (Some(name), Some(key)) = (name, id_key(id))
            && !self.recording
        {
            self.reach.entry(key).or_default().push(path(name));
        }
        match kind.as_str() {
            "use" => {
                let Some(name) = inner["name"].as_str() else { return };
                let glob = inner["is_glob"].as_bool().unwrap_or(false);
                match self.item(&inner["id"]).cloned() {
                    Some(target) if glob && target["inner"].get("module").is_some() => {
                        if let Some(key) = id_key(&inner["id"]) {
                            self.module(&key, parent);
                        }
                    }
                    Some(_) => self.reached(&inner["id"], parent, Some(name)),
                    // Another crate's item: its own surface is judged there.
                    None => {
                        let target = self
                            .name_of(&inner["id"])
                            .unwrap_or_else(|| inner["source"].to_string());
                        let key = if glob {
                            format!("use {parent}::*")
                        } else {
                            format!("use {}", path(name))
                        };
                        self.record(key, Value::String(target));
                    }
                }
            }
            "module" => {
                let Some(name) = name else { return };
                self.record(format!("mod {}", path(name)), Value::Null);
                if let Some(key) = id_key(id) {
                    self.module(&key, &path(name));
                }
            }
            "function" => {
                let Some(name) = name else { return };
                let signature = self.function(inner);
                self.record(format!("fn {}", path(name)), signature);
            }
            "struct" | "union" | "enum" | "trait" => {
                let Some(name) = name else { return };
                if self.recording {
                    self.shape(kind, &item, inner, &path(name));
                }
            }
            "constant" => {
                let Some(name) = name else { return };
                // The type is the API; the value may change in a fix.
                let signature = self.canonical(&inner["type"]);
                self.record(format!("const {}", path(name)), signature);
            }
            "static" => {
                let Some(name) = name else { return };
                let mut signature = self.canonical(inner);
                without(&mut signature, "expr");
                self.record(format!("static {}", path(name)), signature);
            }
            "type_alias" | "trait_alias" => {
                let Some(name) = name else { return };
                let signature = self.canonical(inner);
                self.record(format!("{kind} {}", path(name)), signature);
            }
            "macro" | "proc_macro" => {
                let Some(name) = name else { return };
                self.record(format!("macro {}", path(name)), Value::Null);
            }
            _ => {}
        }
    }

    /// The item's own entry. A struct or enum that users can build or match
    /// exhaustively lists its fields or variants, so that adding one is a
    /// change to it; one marked `#[non_exhaustive]` (or with private fields)
    /// does not.
    fn shape(&mut self, kind: &str, item: &Value, inner: &Value, path: &str) {
        let non_exhaustive = item["attrs"]
            .as_array()
            .is_some_and(|attrs| attrs.iter().any(|a| a.to_string().contains("non_exhaustive")));
        let mut signature = Map::new();
        signature.insert("generics".into(), self.canonical(&inner["generics"]));
        signature.insert("non_exhaustive".into(), Value::Bool(non_exhaustive));
        match kind {
            "struct" | "union" => {
                let (form, fields, stripped) = field_list(kind, inner);
                signature.insert("form".into(), Value::String(form));
                signature.insert("has_private_fields".into(), Value::Bool(stripped));
                if !stripped && !non_exhaustive {
                    signature.insert("fields".into(), self.names(&fields));
                }
            }
            "enum" => {
                let stripped = inner["has_stripped_variants"].as_bool().unwrap_or(false);
                signature.insert("has_hidden_variants".into(), Value::Bool(stripped));
                if !stripped && !non_exhaustive {
                    signature.insert("variants".into(), self.names(&inner["variants"]));
                }
            }
            _ => {
                // A trait: what an implementor must write is its shape.
                for key in ["is_auto", "is_unsafe", "is_dyn_compatible", "bounds"] {
                    signature.insert(key.into(), self.canonical(&inner[key]));
                }
                let required: Vec<Value> = inner["items"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|id| self.item(id))
                    .filter(|member| required(member))
                    .map(|member| member["name"].clone())
                    .collect();
                signature.insert("required".into(), Value::Array(required));
            }
        }
        self.record(format!("{kind} {path}"), Value::Object(signature));
    }

    /// The names of the items `ids` lists (fields, variants).
    fn names(&self, ids: &Value) -> Value {
        Value::Array(
            ids.as_array()
                .into_iter()
                .flatten()
                .map(|id| self.item(id).map_or(Value::Null, |member| member["name"].clone()))
                .collect(),
        )
    }

    /// Fields, variants, trait items, inherent methods and trait impls.
    fn members(&mut self, kind: &str, inner: &Value, path: &str) {
        match kind {
            "struct" | "union" => self.fields(&field_list(kind, inner).1, path),
            "enum" => {
                for id in inner["variants"].as_array().cloned().unwrap_or_default() {
                    if let Some(variant) = self.item(&id).cloned() {
                        self.variant(&variant, path);
                    }
                }
            }
            _ => {
                for id in inner["items"].as_array().cloned().unwrap_or_default() {
                    self.associated(&id, path, true);
                }
            }
        }
        if kind == "trait" {
            return;
        }
        for id in inner["impls"].as_array().cloned().unwrap_or_default() {
            let Some(block) = self.item(&id).cloned() else { continue };
            let block = &block["inner"]["impl"];
            // Blanket impls follow from the others.
            if !block["blanket_impl"].is_null() {
                continue;
            }
            if block["trait"].is_null() {
                for member in block["items"].as_array().cloned().unwrap_or_default() {
                    self.associated(&member, path, false);
                }
            } else {
                // Keyed by the trait with its arguments and the type it is for:
                // `From<A>` and `From<B>` for one type are two impls.
                let name = self.canonical(&block["trait"]);
                let key = format!(
                    "impl {} for {}",
                    render_path(&name),
                    render(&self.canonical(&block["for"]))
                );
                let signature = serde_json::json!({
                    "generics": self.canonical(&block["generics"]),
                    "negative": block["is_negative"],
                    "unsafe": block["is_unsafe"],
                });
                self.record(key, signature);
            }
        }
    }

    fn variant(&mut self, variant: &Value, path: &str) {
        let name = variant["name"].as_str().unwrap_or_default();
        let body = &variant["inner"]["variant"]["kind"];
        let (form, fields) = match body {
            Value::Object(kind) => match kind.iter().next() {
                Some((form, fields)) if fields.is_object() => (form.clone(), fields["fields"].clone()),
                Some((form, fields)) => (form.clone(), fields.clone()),
                None => ("plain".into(), Value::Null),
            },
            Value::String(form) => (form.clone(), Value::Null),
            _ => ("plain".into(), Value::Null),
        };
        let fields: Vec<Value> = fields
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|f| self.item(f))
            .map(|f| serde_json::json!([f["name"], self.canonical(&f["inner"]["struct_field"])]))
            .collect();
        self.record(format!("variant {path}::{name}"), serde_json::json!([form, fields]));
    }

    fn fields(&mut self, ids: &Value, path: &str) {
        for (position, id) in ids.as_array().cloned().unwrap_or_default().iter().enumerate() {
            let Some(field) = self.item(id).cloned() else { continue };
            if field["visibility"] != "public" {
                continue;
            }
            let name = field["name"].as_str().map_or(position.to_string(), str::to_string);
            let signature = self.canonical(&field["inner"]["struct_field"]);
            self.record(format!("field {path}::{name}"), signature);
        }
    }

    /// A method, associated type or constant of a type or a trait. Inherent
    /// ones count when public; a trait's always do.
    fn associated(&mut self, id: &Value, path: &str, in_trait: bool) {
        let Some(member) = self.item(id).cloned() else { return };
        if !in_trait && member["visibility"] != "public" {
            return;
        }
        let Some((kind, inner)) = member["inner"].as_object().and_then(|i| i.iter().next()) else {
            return;
        };
        let name = member["name"].as_str().unwrap_or_default();
        let (word, signature) = match kind.as_str() {
            "function" => ("fn", self.function(inner)),
            "assoc_type" => ("type", self.canonical(inner)),
            "assoc_const" => {
                // Whether it has a default is the trait's shape; its value is not the API.
                let mut signature = self.canonical(inner);
                without(&mut signature, "value");
                ("const", signature)
            }
            _ => return,
        };
        self.record(format!("{word} {path}::{name}"), signature);
    }
}

/// A struct's or union's form (`plain`, `tuple`, `unit`, `union`), its field
/// ids, and whether some of them are private.
fn field_list(kind: &str, inner: &Value) -> (String, Value, bool) {
    if kind == "union" {
        let stripped = inner["has_stripped_fields"].as_bool().unwrap_or(false);
        return ("union".into(), inner["fields"].clone(), stripped);
    }
    match &inner["kind"] {
        Value::Object(form) => match form.iter().next() {
            Some((form, body)) if form == "plain" => (
                form.clone(),
                body["fields"].clone(),
                body["has_stripped_fields"].as_bool().unwrap_or(false),
            ),
            // A tuple struct lists a private field as null.
            Some((form, fields)) => {
                let stripped = fields.as_array().is_some_and(|f| f.iter().any(Value::is_null));
                (form.clone(), fields.clone(), stripped)
            }
            None => ("unit".into(), Value::Null, false),
        },
        Value::String(form) => (form.clone(), Value::Null, false),
        _ => ("unit".into(), Value::Null, false),
    }
}

fn without(signature: &mut Value, key: &str) {
    if let Some(map) = signature.as_object_mut() {
        map.remove(key);
    }
}

/// A path with its generic arguments, as written (`core::convert::From<u32>`).
fn render_path(path: &Value) -> String {
    let name = path["path"].as_str().unwrap_or_default().to_string();
    let Some(args) = path["args"]["angle_bracketed"].as_object() else {
        return name;
    };
    let mut parts: Vec<String> = args["args"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|arg| match arg.as_object().and_then(|a| a.iter().next()) {
            Some((kind, value)) if kind == "type" => render(value),
            Some((_, value)) => value.as_str().map_or_else(|| value.to_string(), str::to_string),
            None => arg.to_string(),
        })
        .collect();
    for constraint in args["constraints"].as_array().into_iter().flatten() {
        let bound = &constraint["binding"]["equality"]["type"];
        parts.push(format!(
            "{}={}",
            constraint["name"].as_str().unwrap_or_default(),
            render(bound)
        ));
    }
    if parts.is_empty() {
        name
    } else {
        format!("{name}<{}>", parts.join(", "))
    }
}

/// A type as written, for keys (`&[u8]`, `Vec<carbon_ext::Page>`); forms this
/// does not spell out are their canonical JSON.
fn render(ty: &Value) -> String {
    let Some((kind, value)) = ty.as_object().and_then(|t| t.iter().next()) else {
        return ty.to_string();
    };
    match kind.as_str() {
        "resolved_path" => render_path(value),
        "primitive" | "generic" => value.as_str().unwrap_or_default().to_string(),
        "borrowed_ref" => {
            let lifetime = value["lifetime"].as_str().map(|l| format!("{l} ")).unwrap_or_default();
            let mutable = if value["is_mutable"] == true { "mut " } else { "" };
            format!("&{lifetime}{mutable}{}", render(&value["type"]))
        }
        "slice" => format!("[{}]", render(value)),
        "array" => format!("[{}; {}]", render(&value["type"]), value["len"].as_str().unwrap_or("_")),
        "tuple" => {
            let items: Vec<String> = value.as_array().into_iter().flatten().map(render).collect();
            format!("({})", items.join(", "))
        }
        _ => ty.to_string(),
    }
}

/// Whether a trait item has no default, so that every implementor writes it.
fn required(member: &Value) -> bool {
    let Some((kind, inner)) = member["inner"].as_object().and_then(|i| i.iter().next()) else {
        return false;
    };
    match kind.as_str() {
        "function" => !inner["has_body"].as_bool().unwrap_or(true),
        "assoc_type" => inner["type"].is_null(),
        "assoc_const" => inner["value"].is_null(),
        _ => false,
    }
}
