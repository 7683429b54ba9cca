//! A crate's public surface read from rustdoc's JSON output: every item a user
//! can name, keyed by its kind and path (`fn carbon_ext::Client::drift`), with a
//! signature that changes exactly when the item changes for its users.
//!
//! Signatures are rustdoc's own description of the item with what does not
//! matter to a user taken out (spans, docs, the numbering of items) and every
//! type named by its full path, so that the same code gives the same surface
//! however its `use` lines are written.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::Surface;

/// Keys of rustdoc's items that say nothing about the API.
const NOISE: &[&str] = &["span", "docs", "links", "deprecation", "impls"];

struct Reader<'a> {
    index: &'a Map<String, Value>,
    paths: &'a Map<String, Value>,
    surface: Surface,
    /// Each type or trait reached, the paths it can be named by, and its kind
    /// (its members are listed once, under the shortest of them).
    homes: BTreeMap<String, (Vec<String>, String)>,
    /// Modules being walked (a glob re-export of a parent would loop).
    walking: Vec<String>,
}

/// The surface of the crate `doc` (rustdoc's JSON) documents.
pub fn surface(doc: &Value) -> Result<Surface, String> {
    let index = doc["index"].as_object().ok_or("no `index` in rustdoc's output")?;
    let paths = doc["paths"].as_object().ok_or("no `paths` in rustdoc's output")?;
    let root = id_key(&doc["root"]).ok_or("no `root` in rustdoc's output")?;
    let mut reader = Reader {
        index,
        paths,
        surface: BTreeMap::new(),
        homes: BTreeMap::new(),
        walking: Vec::new(),
    };
    let crate_name = index
        .get(&root)
        .and_then(|item| item["name"].as_str())
        .ok_or("the root module has no name")?
        .to_string();
    reader.module(&root, &crate_name);
    // Members under one path, the shortest, so that a new re-export or a move
    // behind one does not read as every method removed and added.
    for (id, (paths, kind)) in std::mem::take(&mut reader.homes) {
        let home = paths
            .iter()
            .min_by_key(|path| (path.matches("::").count(), path.as_str()))
            .expect("a reached item has a path");
        let inner = reader.index[&id]["inner"][&kind].clone();
        reader.members(&kind, &inner, home);
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

    /// The full path rustdoc knows for an item (`std::io::error::Error`).
    fn full_path(&self, id: &Value) -> Option<String> {
        let path = self.paths.get(&id_key(id)?)?["path"].as_array()?;
        Some(path.iter().filter_map(Value::as_str).collect::<Vec<_>>().join("::"))
    }

    /// `value` without noise, each referenced item named by its full path.
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
                            .full_path(&map["id"])
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

    fn record(&mut self, key: String, signature: Value) {
        self.surface.insert(key, signature.to_string());
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
                            .full_path(&inner["id"])
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
                let signature = self.canonical(inner);
                self.record(format!("fn {}", path(name)), signature);
            }
            "struct" | "union" | "enum" | "trait" => {
                let Some(name) = name else { return };
                let here = path(name);
                self.shape(kind, &item, inner, &here);
                if let Some(key) = id_key(id) {
                    let home = self.homes.entry(key).or_insert_with(|| (Vec::new(), kind.clone()));
                    home.0.push(here);
                }
            }
            "constant" => {
                let Some(name) = name else { return };
                // The type is the API; the value may change in a fix.
                let signature = self.canonical(&inner["type"]);
                self.record(format!("const {}", path(name)), signature);
            }
            "static" | "type_alias" | "trait_alias" => {
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
                let (form, fields, stripped) = match inner["kind"].as_object().and_then(|k| k.iter().next()) {
                    Some((form, body)) if form == "plain" => (
                        form.as_str(),
                        &body["fields"],
                        body["has_stripped_fields"].as_bool().unwrap_or(false),
                    ),
                    Some((form, fields)) => {
                        let stripped = fields.as_array().is_some_and(|f| f.iter().any(Value::is_null));
                        (form.as_str(), fields, stripped)
                    }
                    None => (
                        "union",
                        &inner["fields"],
                        inner["has_stripped_fields"].as_bool().unwrap_or(false),
                    ),
                };
                signature.insert("form".into(), Value::String(form.into()));
                signature.insert("has_private_fields".into(), Value::Bool(stripped));
                if !stripped && !non_exhaustive {
                    signature.insert("fields".into(), self.names(fields));
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
        let field_list = match inner["kind"].as_object().and_then(|k| k.iter().next()) {
            Some((form, body)) if form == "plain" => body["fields"].clone(),
            Some((_, fields)) => fields.clone(),
            None => inner["fields"].clone(),
        };
        match kind {
            "struct" | "union" => self.fields(&field_list, path),
            "enum" => {
                for id in inner["variants"].as_array().cloned().unwrap_or_default() {
                    let Some(variant) = self.item(&id).cloned() else {
                        continue;
                    };
                    let name = variant["name"].as_str().unwrap_or_default();
                    let here = format!("{path}::{name}");
                    let body = &variant["inner"]["variant"]["kind"];
                    let form = body
                        .as_object()
                        .and_then(|k| k.keys().next().cloned())
                        .unwrap_or("plain".into());
                    let signature = match body.as_object().and_then(|k| k.iter().next()) {
                        Some((_, fields)) => {
                            let fields = if fields.is_object() {
                                fields["fields"].clone()
                            } else {
                                fields.clone()
                            };
                            Value::Array(
                                fields
                                    .as_array()
                                    .into_iter()
                                    .flatten()
                                    .filter_map(|f| self.item(f))
                                    .map(|f| {
                                        serde_json::json!([f["name"], self.canonical(&f["inner"]["struct_field"])])
                                    })
                                    .collect(),
                            )
                        }
                        None => Value::String(form.clone()),
                    };
                    self.record(format!("variant {here}"), serde_json::json!([form, signature]));
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
                let name = self.canonical(&block["trait"]);
                let trait_path = name["path"].as_str().unwrap_or_default().to_string();
                let signature = serde_json::json!({
                    "trait": name,
                    "generics": self.canonical(&block["generics"]),
                    "negative": block["is_negative"],
                    "unsafe": block["is_unsafe"],
                });
                self.record(format!("impl {trait_path} for {path}"), signature);
            }
        }
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
        let word = match kind.as_str() {
            "function" => "fn",
            "assoc_type" => "type",
            "assoc_const" => "const",
            _ => return,
        };
        let signature = self.canonical(inner);
        self.record(format!("{word} {path}::{name}"), signature);
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
