//! Code generated next to progenitor's output, from the same document, for the
//! layers above: owned parameter sets for every builder (so a request can be re-sent
//! from a spawned task, e.g. the next page), paging impls for the paged list
//! operations, and the table of documented parameter limits.
//!
//! Everything endpoint-specific here is read from the document or from progenitor's
//! own output (builder fields, response types), never written by hand.

use std::collections::BTreeMap;

use heck::{ToSnakeCase, ToUpperCamelCase};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::Value;

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

pub(crate) fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix('#'))
    {
        Some(pointer) => doc.pointer(pointer).unwrap_or(schema),
        None => schema,
    }
}

fn op_specs(doc: &Value) -> BTreeMap<String, OpSpec> {
    let mut out = BTreeMap::new();
    let paths = doc.get("paths").and_then(Value::as_object);
    for item in paths.into_iter().flat_map(|p| p.values()) {
        for (method, op) in item.as_object().into_iter().flat_map(|i| i.iter()) {
            let Some(operation_id) = op.get("operationId").and_then(Value::as_str) else {
                continue;
            };
            let params: Vec<&Value> = op
                .get("parameters")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .collect();
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
            let response_props = op
                .pointer("/responses/200/content/application~1json/schema")
                .map(|s| resolve(doc, s))
                .and_then(|s| s.get("properties"))
                .and_then(Value::as_object)
                .map(|props| {
                    props
                        .iter()
                        .map(|(k, v)| (k.clone(), resolve(doc, v).clone()))
                        .collect()
                })
                .unwrap_or_default();
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
    let mut out = BTreeMap::new();
    for (path, item) in doc.get("paths").and_then(Value::as_object).into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            if let Some(id) = op.get("operationId").and_then(Value::as_str) {
                out.insert(
                    id.to_upper_camel_case(),
                    (method.to_ascii_uppercase(), path.clone(), op.clone()),
                );
            }
        }
    }
    out
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

/// `Result<ResponseValue<T>, Error<()>>` → `T`.
fn send_output(output: &syn::ReturnType) -> Option<syn::Type> {
    let syn::ReturnType::Type(_, ty) = output else {
        return None;
    };
    let result = last_generic_args(ty)?;
    let response_value = match result.first()? {
        syn::GenericArgument::Type(t) => t,
        _ => return None,
    };
    match last_generic_args(response_value)?.first()? {
        syn::GenericArgument::Type(t) => Some(t.clone()),
        _ => None,
    }
}

pub(crate) fn last_generic_args(ty: &syn::Type) -> Option<Vec<syn::GenericArgument>> {
    let syn::Type::Path(p) = ty else { return None };
    match &p.path.segments.last()?.arguments {
        syn::PathArguments::AngleBracketed(args) => Some(args.args.iter().cloned().collect()),
        _ => None,
    }
}

fn field_type<'a>(types_mod: &'a syn::ItemMod, type_name: &str, field: &str) -> Option<&'a syn::Type> {
    let items = &types_mod.content.as_ref()?.1;
    items.iter().find_map(|item| match item {
        syn::Item::Struct(s) if s.ident == type_name => s
            .fields
            .iter()
            .find(|f| f.ident.as_ref().is_some_and(|i| i == field))
            .map(|f| &f.ty),
        _ => None,
    })
}

/// `Option<X>` → (true, X); `X` → (false, X).
pub(crate) fn strip_option(ty: &syn::Type) -> (bool, syn::Type) {
    if let syn::Type::Path(p) = ty {
        let last = p.path.segments.last().unwrap();
        if last.ident == "Option" {
            if let syn::PathArguments::AngleBracketed(args) = &last.arguments {
                if let Some(syn::GenericArgument::Type(inner)) = args.args.first() {
                    return (true, inner.clone());
                }
            }
        }
    }
    (false, ty.clone())
}

/// `Vec<X>` → X.
fn vec_item(ty: &syn::Type) -> Option<syn::Type> {
    let syn::Type::Path(p) = ty else { return None };
    let last = p.path.segments.last()?;
    if last.ident != "Vec" {
        return None;
    }
    match &last.arguments {
        syn::PathArguments::AngleBracketed(args) => match args.args.first()? {
            syn::GenericArgument::Type(t) => Some(t.clone()),
            _ => None,
        },
        _ => None,
    }
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

fn params_code(builder: &Builder, spec: &OpSpec) -> TokenStream {
    let name = &builder.name;
    let params = format_ident!("{}Params", name);
    let output = &builder.output;
    let operation_id = spec.operation_id.to_snake_case();
    let field_names: Vec<&syn::Ident> = builder.fields.iter().map(|(i, _)| i).collect();
    let field_types: Vec<&syn::Type> = builder.fields.iter().map(|(_, t)| t).collect();
    let wire_names: Vec<String> = field_names.iter().map(|i| i.to_string()).collect();
    let is_set: Vec<TokenStream> = builder
        .fields
        .iter()
        .map(|(field, ty)| {
            let optional = last_generic_args(ty)
                .and_then(|args| match args.first() {
                    Some(syn::GenericArgument::Type(inner)) => Some(strip_option(inner).0),
                    _ => None,
                })
                .unwrap_or(false);
            if optional {
                quote! { matches!(self.#field, Ok(Some(_))) }
            } else {
                quote! { self.#field.is_ok() }
            }
        })
        .collect();
    // Array parameters that take at least one value: an empty list would be
    // left out of the query, and the request would match everything.
    let empty_checks: Vec<TokenStream> = builder
        .fields
        .iter()
        .filter_map(|(field, ty)| {
            let wire = &spec.param_docs.get(&field.to_string())?.0;
            spec.rules
                .iter()
                .find(|rule| &rule.name == wire && rule.min_items.is_some_and(|min| min >= 1))?;
            let optional = last_generic_args(ty)
                .and_then(|args| match args.first() {
                    Some(syn::GenericArgument::Type(inner)) => Some(strip_option(inner).0),
                    _ => None,
                })
                .unwrap_or(false);
            let name = field.to_string();
            Some(if optional {
                quote! { if matches!(&self.#field, Ok(Some(values)) if values.is_empty()) { return Some(#name); } }
            } else {
                quote! { if matches!(&self.#field, Ok(values) if values.is_empty()) { return Some(#name); } }
            })
        })
        .collect();
    let attrs = &builder.attrs;
    let method = &spec.method;
    // progenitor derives Clone unless a field cannot be cloned (a streamed body).
    let cloneable = builder.attrs.iter().any(|a| {
        a.parse_args_with(syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated)
            .is_ok_and(|paths| paths.iter().any(|p| p.is_ident("Clone")))
    });
    let try_clone = if cloneable {
        quote! { Some(self.clone()) }
    } else {
        quote! { None }
    };
    let doc = format!("The parameters of [`{name}`], owned: `{operation_id}` without its client.");
    quote! {
        #[doc = #doc]
        #( #attrs )*
        pub struct #params {
            #( #field_names: #field_types, )*
        }

        impl<'a> #name<'a> {
            /// Splits the builder into its client and its owned parameters.
            pub fn into_params(self) -> (&'a super::Client, #params) {
                let Self { client, #( #field_names, )* } = self;
                (client, #params { #( #field_names, )* })
            }
        }

        impl crate::extras::OperationParams for #params {
            type Builder<'a> = #name<'a>;
            type Output = #output;
            const OPERATION_ID: &'static str = #operation_id;
            const METHOD: &'static str = #method;

            fn bind(self, client: &super::Client) -> #name<'_> {
                let Self { #( #field_names, )* } = self;
                #name { client, #( #field_names, )* }
            }

            fn send(self, client: &super::Client) -> impl std::future::Future<Output = Result<ResponseValue<#output>, Error<()>>> + Send + '_ {
                self.bind(client).send()
            }

            fn try_clone(&self) -> Option<Self> {
                #try_clone
            }

            fn is_set(&self, param: &str) -> bool {
                match param {
                    #( #wire_names => #is_set, )*
                    _ => false,
                }
            }

            fn empty_filter(&self) -> Option<&'static str> {
                #( #empty_checks )*
                None
            }
        }

        impl<'a> crate::extras::IntoParams<'a> for #name<'a> {
            type Params = #params;
            fn into_params(self) -> (&'a super::Client, #params) {
                #name::into_params(self)
            }
        }
    }
}

/// The paging impls of a list operation, and its paging kind: `cursor`, `offset`,
/// or `list` (one array, not paged).
fn paging_code(
    builder: &Builder,
    spec: &OpSpec,
    types_mod: &syn::ItemMod,
    list_items: &mut Vec<String>,
) -> Option<(&'static str, TokenStream)> {
    let has = |q: &str| spec.query.iter().any(|p| p == q);
    let arrays: Vec<&String> = spec
        .response_props
        .iter()
        .filter(|(_, s)| s.get("type").and_then(Value::as_str) == Some("array"))
        .map(|(k, _)| k)
        .collect();
    let [items_field] = arrays.as_slice() else { return None };
    let output_name = match &builder.output {
        syn::Type::Path(p) => p.path.segments.last()?.ident.to_string(),
        _ => return None,
    };
    let items_ty = field_type(types_mod, &output_name, &items_field.to_snake_case())?;
    let (items_optional, vec_ty) = strip_option(items_ty);
    // Types named inside `mod types` are relative to it.
    let item = match vec_item(&vec_ty)? {
        syn::Type::Path(p) if p.qself.is_none() && p.path.segments.len() == 1 => {
            let ident = &p.path.segments[0];
            syn::parse_quote!(types::#ident)
        }
        other => other,
    };
    if let syn::Type::Path(p) = &item {
        if p.path.segments.len() == 2 && p.path.segments[0].ident == "types" {
            list_items.push(p.path.segments[1].ident.to_string());
        }
    }
    let items_ident = format_ident!("{}", items_field.to_snake_case());
    let into_items = if items_optional {
        quote! { page.#items_ident.unwrap_or_default() }
    } else {
        quote! { page.#items_ident }
    };
    let params = format_ident!("{}Params", builder.name);
    let output = &builder.output;
    let listing = quote! {
        impl crate::extras::Listing for #params {
            type Item = #item;
            const ITEMS_FIELD: &'static str = #items_field;
            fn into_items(page: #output) -> ::std::vec::Vec<#item> {
                #into_items
            }
        }
    };
    let total_count = if spec.response_props.contains_key("total_count") {
        let ty = field_type(types_mod, &output_name, "total_count")?;
        if strip_option(ty).0 {
            quote! { page.total_count.and_then(|n| u64::try_from(n).ok()) }
        } else {
            quote! { u64::try_from(page.total_count).ok() }
        }
    } else {
        quote! { None }
    };
    let mut kind = "list";
    let paged = if has("limit") && has("cursor") && spec.response_props.contains_key("next_cursor") {
        kind = "cursor";
        let next = match field_type(types_mod, &output_name, "next_cursor").map(strip_option) {
            Some((true, _)) => quote! { page.next_cursor.as_deref() },
            Some((false, _)) => quote! { Some(page.next_cursor.as_str()) },
            None => return Some(("list", listing)),
        };
        quote! {
            impl crate::extras::CursorPaged for #params {
                fn set_cursor(&mut self, cursor: ::std::string::String) {
                    self.cursor = Ok(Some(cursor));
                }
                fn next_cursor(page: &#output) -> Option<&str> {
                    #next
                }
                fn total_count(page: &#output) -> Option<u64> {
                    #total_count
                }
            }
        }
    } else if has("limit") && has("offset") {
        kind = "offset";
        // The offset's type is whatever the document made it (u64, i32, optional...).
        let field = builder
            .fields
            .iter()
            .find(|(name, _)| name == "offset")
            .map(|(_, ty)| ty)?;
        let inner = match last_generic_args(field)?.first()? {
            syn::GenericArgument::Type(t) => t.clone(),
            _ => return None,
        };
        let (optional, number) = strip_option(&inner);
        let (wrap, read) = if optional {
            (
                quote! { Some(value) },
                quote! { self.offset.as_ref().ok().and_then(|v| v.as_ref()).and_then(|v| u64::try_from(*v).ok()) },
            )
        } else {
            (
                quote! { value },
                quote! { self.offset.as_ref().ok().and_then(|v| u64::try_from(*v).ok()) },
            )
        };
        quote! {
            impl crate::extras::OffsetPaged for #params {
                fn set_offset(&mut self, offset: u64) {
                    let value = <#number as ::std::convert::TryFrom<u64>>::try_from(offset).unwrap_or(<#number>::MAX);
                    self.offset = Ok(#wrap);
                }
                fn offset(&self) -> Option<u64> {
                    #read
                }
                fn total_count(page: &#output) -> Option<u64> {
                    #total_count
                }
            }
        }
    } else {
        quote! {}
    };
    Some((kind, quote! { #listing #paged }))
}

/// `HasUuid` for every type with a string `uuid` field, and (answering `None`) for
/// list item types without one, so that every list can be merged generically.
fn uuid_code(types_mod: &syn::ItemMod, list_items: &[String]) -> TokenStream {
    let items = &types_mod.content.as_ref().expect("mod types has a body").1;
    let mut with_uuid = Vec::new();
    let impls: Vec<TokenStream> = items
        .iter()
        .filter_map(|item| {
            let syn::Item::Struct(s) = item else { return None };
            let field = s
                .fields
                .iter()
                .find(|f| f.ident.as_ref().is_some_and(|i| i == "uuid"))?;
            let (optional, inner) = strip_option(&field.ty);
            let syn::Type::Path(p) = &inner else { return None };
            if p.path.segments.last()?.ident != "String" {
                return None;
            }
            let name = &s.ident;
            with_uuid.push(name.to_string());
            let body = if optional {
                quote! { self.uuid.as_deref() }
            } else {
                quote! { Some(self.uuid.as_str()) }
            };
            Some(quote! {
                impl crate::extras::HasUuid for types::#name {
                    fn uuid(&self) -> Option<&str> {
                        #body
                    }
                }
            })
        })
        .collect();
    let without: Vec<syn::Ident> = list_items
        .iter()
        .filter(|name| !with_uuid.contains(name))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .map(|name| format_ident!("{}", name))
        .collect();
    quote! {
        #( #impls )*
        #(
            impl crate::extras::HasUuid for types::#without {
                fn uuid(&self) -> Option<&str> {
                    None
                }
            }
        )*
    }
}

fn constraints_code(specs: &BTreeMap<String, OpSpec>) -> TokenStream {
    let opt_u = |v: Option<u64>| match v {
        Some(v) => quote! { Some(#v) },
        None => quote! { None },
    };
    let opt_i = |v: Option<i64>| match v {
        Some(v) => quote! { Some(#v) },
        None => quote! { None },
    };
    let mut rows = Vec::new();
    for spec in specs.values() {
        let operation = spec.operation_id.to_snake_case();
        for rule in &spec.rules {
            let name = &rule.name;
            let location = crate::operations::location_path(&rule.location);
            let (min_items, max_items) = (opt_u(rule.min_items), opt_u(rule.max_items));
            let (minimum, maximum) = (opt_i(rule.minimum), opt_i(rule.maximum));
            let max_length = opt_u(rule.max_length);
            rows.push(quote! {
                crate::extras::ParamRule {
                    operation: #operation,
                    name: #name,
                    location: #location,
                    min_items: #min_items,
                    max_items: #max_items,
                    minimum: #minimum,
                    maximum: #maximum,
                    max_length: #max_length,
                }
            });
        }
    }
    quote! {
        /// The documented limits of every parameter that has some, read from the
        /// document: array sizes, numeric ranges, string lengths.
        pub static PARAM_RULES: &[crate::extras::ParamRule] = &[ #( #rows, )* ];
    }
}
