//! Code generated next to progenitor's output, from the same document, for the
//! layers above: owned parameter sets for every builder (so a request can be re-sent
//! from a spawned task, e.g. the next page), paging impls for the paged list
//! operations, and the table of documented parameter limits.
//!
//! Everything endpoint-specific here is read from the document or from progenitor's
//! own output (builder fields, response types), never written by hand.

use std::collections::BTreeMap;

use carbon_api_spec::walk;
use heck::{ToSnakeCase, ToUpperCamelCase};
use proc_macro2::TokenStream;
use serde_json::Value;

mod constraints;
mod paging;
mod params;
pub(crate) mod syntax;
mod uuid;

use constraints::constraints_code;
use paging::paging_code;
use params::params_code;
use syntax::*;
pub(crate) use syntax::{last_generic_args, strip_option};
use uuid::uuid_code;

/// What the document says about one operation.
struct OpSpec {
    operation_id: String,
    /// The HTTP method, upper case.
    method: String,
    /// Rust field name → (wire name, location, description) of every parameter.
    param_docs: BTreeMap<String, (String, String, Option<String>)>,
    /// Query parameter names.
    query: Vec<String>,
    /// Properties of the success response's schema, if it is a named object.
    response_props: BTreeMap<String, Value>,
    /// (name, location, rules) of parameters with documented limits.
    rules: Vec<ParamRule>,
}

struct ParamRule {
    name: String,
    location: String,
    min_items: Option<u64>,
    max_items: Option<u64>,
    minimum: Option<i64>,
    maximum: Option<i64>,
    max_length: Option<u64>,
}

pub(crate) use carbon_api_spec::walk::resolve;

fn op_specs(doc: &Value) -> BTreeMap<String, OpSpec> {
    let mut out = BTreeMap::new();
    for walk::Operation { method, op, .. } in walk::operations(doc) {
        let Some(operation_id) = op.get("operationId").and_then(Value::as_str) else {
            continue;
        };
        let params: Vec<&Value> = walk::items(op, "/parameters").collect();
        let query = params
            .iter()
            .filter(|p| p.get("in").and_then(Value::as_str) == Some("query"))
            .filter_map(|p| p.get("name").and_then(Value::as_str).map(str::to_string))
            .collect();
        let rules = params
            .iter()
            .filter_map(|p| {
                let schema = p.get("schema")?;
                let num = |k: &str| schema.get(k).and_then(Value::as_u64);
                let int = |k: &str| schema.get(k).and_then(Value::as_i64);
                let rule = ParamRule {
                    name: p.get("name")?.as_str()?.to_string(),
                    location: p.get("in")?.as_str()?.to_string(),
                    min_items: num("minItems"),
                    max_items: num("maxItems"),
                    minimum: int("minimum"),
                    maximum: int("maximum"),
                    max_length: num("maxLength"),
                };
                let any = rule.min_items.is_some()
                    || rule.max_items.is_some()
                    || rule.minimum.is_some()
                    || rule.maximum.is_some()
                    || rule.max_length.is_some();
                any.then_some(rule)
            })
            .collect();
        let response_props = walk::success_schema(op)
            .map(|schema| walk::members(resolve(doc, schema), "/properties"))
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.clone(), resolve(doc, v).clone()))
            .collect();
        let param_docs = params
            .iter()
            .filter_map(|p| {
                let wire = p.get("name")?.as_str()?.to_string();
                let location = p.get("in")?.as_str()?.to_string();
                let description = p.get("description").and_then(Value::as_str).map(str::to_string);
                Some((wire.to_snake_case(), (wire, location, description)))
            })
            .collect();
        let spec = OpSpec {
            operation_id: operation_id.to_string(),
            method: method.to_ascii_uppercase(),
            param_docs,
            query,
            response_props,
            rules,
        };
        out.insert(operation_id.to_upper_camel_case(), spec);
    }
    out
}

/// A builder as progenitor emitted it.
pub(crate) struct Builder {
    pub name: syn::Ident,
    /// The struct's attributes (its derives).
    pub attrs: Vec<syn::Attribute>,
    pub fields: Vec<(syn::Ident, syn::Type)>,
    pub output: syn::Type,
}

/// Every operation by builder name (`GetParts`): its method (upper case), path and
/// JSON.
fn raw_operations(doc: &Value) -> BTreeMap<String, (String, String, Value)> {
    walk::operations(doc)
        .filter_map(|o| {
            let id = o.id()?.to_upper_camel_case();
            Some((id, (o.method.to_ascii_uppercase(), o.path.to_string(), o.op.clone())))
        })
        .collect()
}

fn find_builders(builder_mod: &syn::ItemMod) -> Vec<Builder> {
    let items = &builder_mod.content.as_ref().expect("mod builder has a body").1;
    let mut structs = BTreeMap::new();
    let mut outputs = BTreeMap::new();
    for item in items {
        match item {
            syn::Item::Struct(s) if s.generics.lifetimes().count() == 1 => {
                let fields: Vec<(syn::Ident, syn::Type)> = s
                    .fields
                    .iter()
                    .filter_map(|f| f.ident.clone().map(|i| (i, f.ty.clone())))
                    .filter(|(i, _)| i != "client")
                    .collect();
                let attrs = s
                    .attrs
                    .iter()
                    .filter(|a| a.path().is_ident("derive"))
                    .cloned()
                    .collect();
                structs.insert(s.ident.to_string(), (s.ident.clone(), attrs, fields));
            }
            syn::Item::Impl(imp) => {
                let syn::Type::Path(self_ty) = &*imp.self_ty else {
                    continue;
                };
                let name = self_ty.path.segments.last().unwrap().ident.to_string();
                for impl_item in &imp.items {
                    let syn::ImplItem::Fn(f) = impl_item else { continue };
                    if f.sig.ident != "send" {
                        continue;
                    }
                    if let Some(output) = send_output(&f.sig.output) {
                        outputs.insert(name.clone(), output);
                    }
                }
            }
            _ => {}
        }
    }
    structs
        .into_iter()
        .filter_map(|(name, (ident, attrs, fields))| {
            Some(Builder {
                name: ident,
                attrs,
                fields,
                output: outputs.remove(&name)?,
            })
        })
        .collect()
}

/// Adds the extras to progenitor's file: items inside `mod builder`, and a
/// `constraints` table at the top level.
pub fn extend(file: &mut syn::File, doc: &Value) {
    let specs = op_specs(doc);
    let types_mod = file
        .items
        .iter()
        .find_map(|i| match i {
            syn::Item::Mod(m) if m.ident == "types" => Some(m.clone()),
            _ => None,
        })
        .expect("progenitor emits mod types");
    let builder_mod = file
        .items
        .iter_mut()
        .find_map(|i| match i {
            syn::Item::Mod(m) if m.ident == "builder" => Some(m),
            _ => None,
        })
        .expect("progenitor emits mod builder");
    let builders = find_builders(builder_mod);

    let raw_ops = raw_operations(doc);
    let mut extra: Vec<TokenStream> = Vec::new();
    let mut list_items = Vec::new();
    let (mut rows, mut entries, mut variants) = (Vec::new(), Vec::new(), Vec::new());
    for builder in &builders {
        let Some(spec) = specs.get(&builder.name.to_string()) else {
            panic!("builder {} has no operation in the document", builder.name)
        };
        extra.push(params_code(builder, spec));
        let paging = match paging_code(builder, spec, &types_mod, &mut list_items) {
            Some((kind, code)) => {
                extra.push(code);
                kind
            }
            None => "none",
        };
        let (method, path, op) = &raw_ops[&builder.name.to_string()];
        let (with_args, row, entry) = crate::operations::operation_code(builder, doc, method, path, op, paging);
        extra.push(with_args);
        rows.push(row);
        entries.push(entry);
        variants.push(crate::operations::variant(op));
    }
    extra.push(uuid_code(&types_mod, &list_items));
    let content = &mut builder_mod.content.as_mut().unwrap().1;
    document_builder_methods(content, &specs);
    for tokens in extra {
        let parsed: syn::File = syn::parse2(tokens).expect("generated extras parse");
        content.extend(parsed.items);
    }

    let rules = constraints_code(&specs);
    let parsed: syn::File = syn::parse2(rules).expect("generated constraints parse");
    file.items.extend(parsed.items);
    let table = crate::operations::table_code(&rows, &entries, &variants);
    let parsed: syn::File = syn::parse2(table).expect("generated operation table parses");
    file.items.extend(parsed.items);
}

/// Gives progenitor's builder methods docs: each setter says which parameter it sets
/// (wire name and location) with the parameter's documentation.
fn document_builder_methods(items: &mut [syn::Item], specs: &BTreeMap<String, OpSpec>) {
    for item in items {
        let syn::Item::Impl(imp) = item else { continue };
        if imp.trait_.is_some() {
            continue;
        }
        let syn::Type::Path(self_ty) = &*imp.self_ty else {
            continue;
        };
        let name = self_ty.path.segments.last().unwrap().ident.to_string();
        let Some(spec) = specs.get(&name) else { continue };
        for impl_item in &mut imp.items {
            let syn::ImplItem::Fn(f) = impl_item else { continue };
            if f.attrs.iter().any(|a| a.path().is_ident("doc")) {
                continue;
            }
            let method = f.sig.ident.to_string();
            let doc = match method.as_str() {
                "new" => format!("Starts a `{}` request on `client`.", spec.operation_id.to_snake_case()),
                "send" => "Sends the request through the client's hooks and decodes the answer.".to_string(),
                "body" => "Sets the request body.".to_string(),
                "body_map" => "Sets the request body by changing the body builder.".to_string(),
                field => match spec.param_docs.get(field) {
                    Some((wire, location, Some(description))) => {
                        format!("Sets the {location} parameter `{wire}`: {description}")
                    }
                    Some((wire, location, None)) => format!("Sets the {location} parameter `{wire}`."),
                    None => continue,
                },
            };
            f.attrs.insert(0, syn::parse_quote!(#[doc = #doc]));
        }
    }
}
