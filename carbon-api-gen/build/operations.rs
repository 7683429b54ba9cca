//! Code for callers that reach operations by name rather than by method (a command
//! line, a script bridge): a table describing every operation (parameters, body
//! fields, paging, list item fields), `with_args` on every builder to set its
//! parameters from JSON values, and the `for_each_operation!` macro that hands the
//! list of operations to a macro of the caller's, so that generic code can dispatch
//! to each typed builder.
//!
//! Everything here is read from the document and from progenitor's builders.

use carbon_api_spec::walk;
use heck::{ToSnakeCase, ToUpperCamelCase};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::Value;

use crate::extras::{resolve, strip_option, Builder};

/// What kind of call an operation is, for dispatch.
fn call_kind(builder: &Builder, paging: &str) -> &'static str {
    let output = &builder.output;
    let output = quote!(#output).to_string();
    if output.contains("ByteStream") {
        "download"
    } else if builder
        .fields
        .iter()
        .any(|(name, ty)| name == "body" && quote!(#ty).to_string().contains("reqwest :: Body"))
    {
        "upload"
    } else {
        match paging {
            "cursor" => "cursor",
            "offset" => "offset",
            "list" => "unpaged",
            _ => "single",
        }
    }
}

/// `string`, `integer`, `number`, `boolean`, `date-time` or `object`, and whether
/// it is an array, of a schema.
fn value_kind(doc: &Value, schema: &Value) -> (&'static str, bool) {
    let schema = resolve(doc, schema);
    let schema = match schema.get("allOf").and_then(Value::as_array) {
        Some(all) if all.len() == 1 => resolve(doc, &all[0]),
        _ => schema,
    };
    match schema.get("type").and_then(Value::as_str) {
        Some("array") => {
            let item = schema.get("items").map(|i| value_kind(doc, i).0).unwrap_or("string");
            (item, true)
        }
        Some("integer") => ("integer", false),
        Some("number") => ("number", false),
        Some("boolean") => ("boolean", false),
        Some("string") if schema.get("format").and_then(Value::as_str) == Some("date-time") => ("date-time", false),
        Some("string") => ("string", false),
        _ => ("object", false),
    }
}

fn enum_values(doc: &Value, schema: &Value) -> Vec<String> {
    let schema = resolve(doc, schema);
    let schema = match schema.get("allOf").and_then(Value::as_array) {
        Some(all) if all.len() == 1 => resolve(doc, &all[0]),
        _ => schema,
    };
    let schema = match schema.get("items") {
        Some(items) if schema.get("type").and_then(Value::as_str) == Some("array") => resolve(doc, items),
        _ => schema,
    };
    schema
        .get("enum")
        .and_then(Value::as_array)
        .map(|values| values.iter().filter_map(Value::as_str).map(str::to_string).collect())
        .unwrap_or_default()
}

fn text(value: Option<&Value>) -> String {
    value.and_then(Value::as_str).unwrap_or_default().trim().to_string()
}

/// Facts our overlay states about a parameter where the document has only prose:
/// the sortable fields of a `sort` parameter, a date the schema types as text.
#[derive(Default)]
struct Facts<'a> {
    sort_keys: Vec<&'a str>,
    date_time: bool,
}

impl<'a> Facts<'a> {
    fn of_parameter(param: &'a Value) -> Self {
        Facts {
            sort_keys: param
                .get("x-carbon-sort-keys")
                .and_then(Value::as_array)
                .map(|keys| keys.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default(),
            date_time: param.get("x-carbon-value-kind").and_then(Value::as_str) == Some("date-time"),
        }
    }
}

/// Whether a text field's name says it holds an id (`uuid`, `part_uuid`,
/// `application-uuid`).
fn names_an_id(name: &str) -> bool {
    name == "uuid" || name.ends_with("_uuid") || name.ends_with("-uuid")
}

/// One field (body member or parameter) as a table row.
fn field_row(
    doc: &Value,
    name: &str,
    location: &str,
    schema: &Value,
    required: bool,
    description: &str,
    facts: &Facts<'_>,
) -> TokenStream {
    let (kind, array) = value_kind(doc, schema);
    let kind = match kind {
        "string" if facts.date_time => "date-time",
        "string" if names_an_id(name) => "uuid",
        other => other,
    };
    let values = enum_values(doc, schema);
    let sort_keys = &facts.sort_keys;
    let default = match resolve(doc, schema).get("default") {
        Some(Value::String(text)) => quote!(Some(#text)),
        Some(number @ Value::Number(_)) => {
            let text = number.to_string();
            quote!(Some(#text))
        }
        Some(Value::Bool(flag)) => {
            let text = flag.to_string();
            quote!(Some(#text))
        }
        _ => quote!(None),
    };
    let location = location_path(location);
    let kind = extras_variant("ValueKind", kind);
    quote! {
        crate::extras::FieldInfo {
            name: #name,
            location: #location,
            kind: #kind,
            array: #array,
            required: #required,
            description: #description,
            values: &[#(#values),*],
            sort_keys: &[#(#sort_keys),*],
            default: #default,
        }
    }
}

/// `crate::extras::{ty}::{Variant}` for the variant spelled `name` in lower case,
/// as the kinds above are (`date-time` is `DateTime`).
fn extras_variant(ty: &str, name: &str) -> TokenStream {
    let ty = format_ident!("{ty}");
    let variant = format_ident!("{}", name.to_upper_camel_case());
    quote!(crate::extras::#ty::#variant)
}

/// A parameter's `in` (or `body`) as the generated `Location`. progenitor refuses
/// cookie parameters before this runs; anything else is a document this crate
/// cannot describe.
pub fn location_path(location: &str) -> TokenStream {
    match location {
        "path" | "query" | "header" | "body" => extras_variant("Location", location),
        other => panic!("a parameter is `in: {other}`; only path, query and header parameters are supported"),
    }
}

/// The top-level members of an object schema, as table rows.
fn object_fields(doc: &Value, schema: &Value, location: &str) -> Vec<TokenStream> {
    let schema = resolve(doc, schema);
    let required: Vec<&str> = walk::texts(schema, "/required").collect();
    walk::members(schema, "/properties")
        .map(|(name, prop)| {
            let description = text(resolve(doc, prop).get("description").or(prop.get("description")));
            let required = required.contains(&name.as_str());
            field_row(doc, name, location, prop, required, &description, &Facts::default())
        })
        .collect()
}

/// The member names of an object schema, those of its `allOf` parts included
/// (a run is its status fields plus its own), each once, in the document's order.
fn member_names(doc: &Value, schema: &Value) -> Vec<String> {
    let mut names: Vec<String> = walk::members(schema, "/properties")
        .map(|(name, _)| name.clone())
        .collect();
    for part in walk::items(schema, "/allOf") {
        for name in member_names(doc, resolve(doc, part)) {
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    names
}

/// The names of the members of the items of a list response.
fn item_fields(doc: &Value, op: &Value) -> Option<(String, Vec<String>)> {
    let schema = resolve(doc, walk::success_schema(op)?);
    let props = schema.get("properties")?.as_object()?;
    let arrays: Vec<(&String, &Value)> = props
        .iter()
        .filter(|(_, s)| resolve(doc, s).get("type").and_then(Value::as_str) == Some("array"))
        .collect();
    let [(field, array)] = arrays.as_slice() else {
        return None;
    };
    let item = resolve(doc, resolve(doc, array).get("items")?);
    let mut names = member_names(doc, item);
    // The id first, the rest as the document has them.
    if let Some(i) = names.iter().position(|n| n == "uuid") {
        let uuid = names.remove(i);
        names.insert(0, uuid);
    }
    Some((field.to_string(), names))
}

/// The setter code for one builder field from a JSON argument.
fn set_field(name: &syn::Ident, ty: &syn::Type, wire: &str) -> Option<TokenStream> {
    // Fields are `Result<T, String>`; T may be `Option<U>`.
    let inner = match crate::extras::last_generic_args(ty)?.into_iter().next()? {
        syn::GenericArgument::Type(t) => t,
        _ => return None,
    };
    let text = quote!(#inner).to_string();
    if text.contains("reqwest :: Body") {
        return None;
    }
    let (optional, value_ty) = strip_option(&inner);
    // A body held as a typify builder is set from the type it builds.
    let (parse_ty, convert) = match &value_ty {
        syn::Type::Path(p)
            if p.path.segments.len() == 3
                && p.path.segments[0].ident == "types"
                && p.path.segments[1].ident == "builder" =>
        {
            let ident = &p.path.segments[2].ident;
            (quote!(types::#ident), quote!(::std::convert::Into::into))
        }
        other => (quote!(#other), quote!(::std::convert::identity)),
    };
    let wrap = if optional {
        quote! { Some(#convert(value)) }
    } else {
        quote! { #convert(value) }
    };
    Some(quote! {
        if let Some(value) = args.get(#wire) {
            let value: #parse_ty = ::serde_json::from_value(value.clone())
                .map_err(|e| format!("`{}`: {}", #wire, e))?;
            self.#name = Ok(#wrap);
        }
    })
}

/// `with_args` for one builder, the operation's table row and its macro entry.
pub fn operation_code(
    builder: &Builder,
    doc: &Value,
    method: &str,
    path: &str,
    op: &Value,
    paging: &str,
) -> (TokenStream, TokenStream, TokenStream) {
    let operation_id = text(op.get("operationId"));
    let name = operation_id.to_snake_case();
    let params: Vec<&Value> = walk::items(op, "/parameters").map(|p| resolve(doc, p)).collect();
    // The builder field of each parameter, by its wire name.
    let setters: Vec<TokenStream> = builder
        .fields
        .iter()
        .filter_map(|(field, ty)| {
            let wire = if field == "body" {
                "body".to_string()
            } else {
                params
                    .iter()
                    .filter_map(|p| p.get("name").and_then(Value::as_str))
                    .find(|w| *field == w.to_snake_case())?
                    .to_string()
            };
            set_field(field, ty, &wire)
        })
        .collect();
    let ident = &builder.name;
    let with_args = quote! {
        impl<'a> #ident<'a> {
            /// Sets parameters from JSON values keyed by their wire names (the body
            /// under `body`), for callers that reach operations by name. Keys it does
            /// not know are left alone.
            #[allow(unused_mut, unused_variables)]
            pub fn with_args(
                mut self,
                args: &::serde_json::Map<::std::string::String, ::serde_json::Value>,
            ) -> Result<Self, ::std::string::String> {
                #(#setters)*
                Ok(self)
            }
        }
    };

    let param_rows: Vec<TokenStream> = params
        .iter()
        .filter_map(|p| {
            let wire = p.get("name")?.as_str()?;
            let location = p.get("in")?.as_str()?;
            let required = p.get("required").and_then(Value::as_bool).unwrap_or(false);
            Some(field_row(
                doc,
                wire,
                location,
                p.get("schema")?,
                required,
                &text(p.get("description")),
                &Facts::of_parameter(p),
            ))
        })
        .collect();
    let body = match op.pointer("/requestBody/content").and_then(Value::as_object) {
        Some(content) => {
            let (content_type, schema) = content.iter().next().map(|(k, v)| (k.clone(), v.get("schema"))).unzip();
            let content_type = content_type.unwrap_or_default();
            let required = op
                .pointer("/requestBody/required")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            let fields = schema
                .flatten()
                .map(|s| object_fields(doc, s, "body"))
                .unwrap_or_default();
            quote! { Some(crate::extras::BodyInfo { content_type: #content_type, required: #required, fields: &[#(#fields),*] }) }
        }
        None => quote! { None },
    };
    let (items_field, item_names) = match item_fields(doc, op) {
        Some((field, names)) => (quote! { Some(#field) }, names),
        None => (quote! { None }, Vec::new()),
    };
    let kind = call_kind(builder, paging);
    let kind_path = extras_variant("CallKind", kind);
    let summary = text(op.get("summary"));
    let description = text(op.get("description"));
    let tag = walk::texts(op, "/tags").next().unwrap_or_default();
    let row = quote! {
        crate::extras::OperationInfo {
            name: #name,
            operation_id: #operation_id,
            method: #method,
            path: #path,
            tag: #tag,
            summary: #summary,
            description: #description,
            kind: #kind_path,
            params: &[#(#param_rows),*],
            body: #body,
            items_field: #items_field,
            item_fields: &[#(#item_names),*],
        }
    };
    let kind_ident = format_ident!("{}", kind);
    let entry = quote! { (#name, $crate::builder::#ident, #kind_ident) };
    (with_args, row, entry)
}

/// One variant of the `Operation` enum: its name (from the operationId) and doc.
pub fn variant(op: &Value) -> (syn::Ident, String) {
    let operation_id = text(op.get("operationId"));
    let summary = text(op.get("summary"));
    let doc = if summary.is_empty() {
        format!("`{operation_id}`.")
    } else {
        format!("{summary} (`{operation_id}`).")
    };
    (format_ident!("{}", operation_id.to_upper_camel_case()), doc)
}

/// The table, the `Operation` enum over it (in the same order) and the macro, at the
/// top level of the generated file.
pub fn table_code(rows: &[TokenStream], entries: &[TokenStream], variants: &[(syn::Ident, String)]) -> TokenStream {
    let idents: Vec<&syn::Ident> = variants.iter().map(|(ident, _)| ident).collect();
    let docs: Vec<&String> = variants.iter().map(|(_, doc)| doc).collect();
    let indexes: Vec<usize> = (0..variants.len()).collect();
    quote! {
        /// Every operation of the document, as a value: code that handles operations
        /// one by one (a command line) matches on it instead of on name strings, so
        /// that a renamed or removed operation fails to compile. The enum grows with
        /// the API (`#[non_exhaustive]`): code outside this crate keeps a `_` arm,
        /// and a test over [`Operation::ALL`] finds the operations it does not
        /// handle yet. [`Operation::info`] describes one.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Operation {
            #(#[doc = #docs] #idents,)*
        }

        impl Operation {
            /// Every operation, in the order of [`extras::operations`].
            pub const ALL: &'static [Operation] = &[#(Operation::#idents),*];

            /// What the document says of it.
            pub fn info(self) -> &'static crate::extras::OperationInfo {
                match self {
                    #(Operation::#idents => &OPERATIONS[#indexes],)*
                }
            }

            /// The operation of this client name (`get_parts`) or `operationId`
            /// (`getParts`).
            pub fn from_name(name: &str) -> Option<Operation> {
                Operation::ALL
                    .iter()
                    .copied()
                    .find(|op| op.info().name == name || op.info().operation_id == name)
            }
        }

        impl ::std::fmt::Display for Operation {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.info().operation_id)
            }
        }

        /// Every operation of the document, described for callers that reach them by
        /// name; see [`extras::operations`].
        pub(crate) static OPERATIONS: &[crate::extras::OperationInfo] = &[#(#rows),*];

        /// Calls `$callback!` with one `(name, builder path, kind)` entry per
        /// operation, `kind` being `cursor`, `offset`, `unpaged`, `single`,
        /// `download` or `upload`: for generic code that dispatches to every typed
        /// builder by name. `for_each_operation!(callback!(tokens))` puts `tokens`
        /// before the entries, for a callback that needs more to work with.
        #[macro_export]
        #[doc(hidden)]
        macro_rules! for_each_operation {
            ($callback:ident) => {
                $callback! { #(#entries),* }
            };
            ($callback:ident ! ( $($prefix:tt)* )) => {
                $callback! { $($prefix)* #(#entries),* }
            };
        }
    }
}
