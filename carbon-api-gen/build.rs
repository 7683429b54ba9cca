//! Generates the Carbon API client from `carbon_api_spec::OPENAPI_JSON`.
//!
//! These files go to `OUT_DIR`, all included by `src/lib.rs`:
//! - `enums.rs`: an open enum (known values plus `Unknown`) for every string enum schema,
//! - `client.rs`: progenitor's builder-style client, using those enums,
//! - `mocks.rs`: typed httpmock helpers (only with the `httpmock` feature),
//! - `shapes.rs`: the members of each object schema and each operation's answer,
//! - `openapi.json`: the document itself (`OPENAPI_JSON`).
//!
//! The document was checked by `cargo xtask regen` for everything known to make
//! progenitor panic; a failure here still reports the generator's own message.

use std::path::Path;

#[path = "build/extras/mod.rs"]
mod extras;
#[path = "build/operations.rs"]
mod operations;
#[path = "build/shapes.rs"]
mod shapes;

use carbon_api_spec::naming::enum_variant_name;
use progenitor::{GenerationSettings, Generator, HooksMode, InterfaceStyle, TagStyle, TypeImpl};
use quote::{format_ident, quote};
use serde_json::Value;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    // The generators (a directory: every file under it counts).
    println!("cargo:rerun-if-changed=build");
    println!("cargo:rerun-if-env-changed=CARGO_FEATURE_HTTPMOCK");
    let out_dir = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let out_dir = Path::new(&out_dir);

    // For trying the generator on another normalized document (CI does, with the
    // xtask fixtures); normal builds always use carbon-api-spec's.
    println!("cargo:rerun-if-env-changed=CARBON_API_SPEC_OVERRIDE");
    let text = match std::env::var_os("CARBON_API_SPEC_OVERRIDE") {
        Some(path) => {
            println!("cargo:rerun-if-changed={}", Path::new(&path).display());
            std::fs::read_to_string(&path).unwrap_or_else(|e| fail(&format!("CARBON_API_SPEC_OVERRIDE: {e}")))
        }
        None => carbon_api_spec::OPENAPI_JSON.to_string(),
    };
    let doc: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| fail(&format!("carbon-api-spec's openapi.json is not JSON: {e}")));
    let version = doc
        .pointer("/info/version")
        .and_then(Value::as_str)
        .unwrap_or("unknown");
    // The document may come from anywhere (CARBON_API_SPEC_OVERRIDE): nothing of it
    // reaches a cargo directive or generated code unchecked.
    if !carbon_api_spec::naming::is_plain_version(version) {
        fail(&format!(
            "info.version {version:?} is not a plain version (1 to 64 letters, digits, `.`, `-`, `+`)"
        ));
    }
    println!("cargo:rustc-env=CARBON_API_VERSION={version}");
    // The document itself, for `OPENAPI_JSON`: what a running program compares a
    // live document with (`carbon api check`).
    write(out_dir, "openapi.json", &text);
    write(out_dir, "shapes.rs", &shapes::shapes_code(&doc));
    let enums = open_enums(&doc);
    for e in &enums {
        if !carbon_api_spec::naming::is_rust_identifier(&e.name) {
            fail(&format!("enum schema {:?} is not named as a Rust identifier", e.name));
        }
        for (value, variant, _) in &e.values {
            if !carbon_api_spec::naming::is_rust_identifier(variant) {
                fail(&format!(
                    "value {value:?} of enum {} becomes {variant:?}, which is not a Rust identifier",
                    e.name
                ));
            }
        }
    }
    write(out_dir, "enums.rs", &render_enums(&enums));

    let spec: openapiv3::OpenAPI = serde_json::from_value(doc.clone())
        .unwrap_or_else(|e| fail(&format!("carbon-api-spec's openapi.json is not OpenAPI 3.0: {e}")));
    let mut settings = GenerationSettings::default();
    settings
        .with_interface(InterfaceStyle::Builder)
        .with_tag(TagStyle::Merged)
        .with_inner_type(quote! { crate::ClientState })
        .with_hooks(HooksMode::Expected)
        .with_derive("PartialEq");
    // Every date-time is our lenient Timestamp: a timestamp without offset must not
    // fail a whole response.
    settings.with_conversion(
        schemars::schema::SchemaObject {
            instance_type: Some(schemars::schema::InstanceType::String.into()),
            format: Some("date-time".to_string()),
            ..Default::default()
        },
        "crate::Timestamp",
        [TypeImpl::Display, TypeImpl::FromStr].into_iter(),
    );
    for open_enum in &enums {
        settings.with_replacement(
            &open_enum.name,
            format!("crate::enums::{}", open_enum.name),
            [TypeImpl::Display, TypeImpl::FromStr].into_iter(),
        );
    }
    let mut generator = Generator::new(&settings);
    let tokens = generator
        .generate_tokens(&spec)
        .unwrap_or_else(|e| fail(&format!("progenitor could not generate the client: {e}")));
    let mut file: syn::File =
        syn::parse2(tokens).unwrap_or_else(|e| fail(&format!("generated code does not parse: {e}")));
    extras::extend(&mut file, &doc);
    write(out_dir, "client.rs", &prettyplease::unparse(&file));

    if std::env::var_os("CARGO_FEATURE_HTTPMOCK").is_some() {
        // progenitor 0.15.1's mocks do not compile for array query parameters
        // (progenitor issue 1260); generate them from a copy without those.
        let mock_spec: openapiv3::OpenAPI = serde_json::from_value(without_array_query_params(doc))
            .unwrap_or_else(|e| fail(&format!("mock document is not OpenAPI 3.0: {e}")));
        let mut generator = Generator::new(&settings);
        let tokens = generator
            .httpmock(&mock_spec, "crate")
            .unwrap_or_else(|e| fail(&format!("progenitor could not generate the httpmock helpers: {e}")));
        write(out_dir, "mocks.rs", &pretty(tokens));
    }
}

fn fail(message: &str) -> ! {
    eprintln!("carbon-api-gen: {message}");
    eprintln!("carbon-api-gen: run `cargo xtask check` for a diagnosis of the document");
    std::process::exit(1)
}

fn write(dir: &Path, name: &str, contents: &str) {
    std::fs::write(dir.join(name), contents).unwrap_or_else(|e| fail(&format!("cannot write {name}: {e}")));
}

fn pretty(tokens: proc_macro2::TokenStream) -> String {
    let file: syn::File = syn::parse2(tokens).unwrap_or_else(|e| fail(&format!("generated code does not parse: {e}")));
    prettyplease::unparse(&file)
}

/// A string enum schema that becomes an open enum.
struct OpenEnum {
    name: String,
    description: Option<String>,
    /// (wire value, Rust variant, docs)
    values: Vec<(String, String, Option<String>)>,
}

/// Every named string enum schema with more than one value. A single-value enum is
/// a tag (like `action_type`), not a status that can grow: it stays closed.
fn open_enums(doc: &Value) -> Vec<OpenEnum> {
    carbon_api_spec::walk::members(doc, "/components/schemas")
        .filter_map(|(name, schema)| {
            let values = schema.get("enum")?.as_array()?;
            let values: Vec<&str> = values.iter().map(Value::as_str).collect::<Option<_>>()?;
            if values.len() < 2
                || schema
                    .get("type")
                    .and_then(Value::as_str)
                    .is_some_and(|t| t != "string")
            {
                return None;
            }
            let docs = schema.get("x-enum-descriptions");
            Some(OpenEnum {
                name: name.clone(),
                description: schema.get("description").and_then(Value::as_str).map(str::to_string),
                values: values
                    .iter()
                    .map(|v| {
                        let doc = docs.and_then(|d| d.get(*v)).and_then(Value::as_str).map(str::to_string);
                        (v.to_string(), enum_variant_name(v), doc)
                    })
                    .collect(),
            })
        })
        .collect()
}

fn render_enums(enums: &[OpenEnum]) -> String {
    let code: proc_macro2::TokenStream = enums.iter().map(enum_code).collect();
    format!(
        "// Generated by carbon-api-gen's build.rs from carbon-api-spec. Do not edit.\n\n{}",
        pretty(code)
    )
}

/// One open enum: the type, its wire text both ways (`as_str`, `From`, `FromStr`,
/// `Display`) and serde, which reads any text and writes it back unchanged.
fn enum_code(e: &OpenEnum) -> proc_macro2::TokenStream {
    let name = format_ident!("{}", e.name);
    let name_text = &e.name;
    let doc = e
        .description
        .clone()
        .unwrap_or_else(|| format!("The `{name_text}` values of the Carbon API."));
    let open = format!(
        " Open enum: a value this SDK version does not know arrives as [`{name_text}::Unknown`] and is sent back unchanged."
    );
    let values: Vec<&str> = e.values.iter().map(|(value, _, _)| value.as_str()).collect();
    let variants: Vec<proc_macro2::Ident> = e
        .values
        .iter()
        .map(|(_, variant, _)| format_ident!("{variant}"))
        .collect();
    let docs: Vec<String> = e
        .values
        .iter()
        .map(|(value, _, doc)| doc.clone().unwrap_or_else(|| format!("`{value}`")))
        .collect();
    quote! {
        #[doc = #doc]
        #[doc = ""]
        #[doc = #open]
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum #name {
            #(#[doc = #docs] #variants,)*
            /// A value unknown to this version of the SDK, kept as the server sent it.
            Unknown(crate::UnknownValue),
        }

        impl #name {
            /// Every value this SDK version knows, in the document's order.
            pub const KNOWN: &'static [Self] = &[#(Self::#variants),*];

            /// The value as it travels on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    #(Self::#variants => #values,)*
                    Self::Unknown(value) => value.as_str(),
                }
            }

            /// Whether this is a value this SDK version knows.
            pub fn is_known(&self) -> bool {
                !matches!(self, Self::Unknown(_))
            }
        }

        impl crate::OpenEnumValue for #name {
            fn is_known(&self) -> bool {
                Self::is_known(self)
            }
        }

        impl ::std::convert::From<&str> for #name {
            fn from(value: &str) -> Self {
                match value {
                    #(#values => Self::#variants,)*
                    other => Self::Unknown(crate::UnknownValue::new(other)),
                }
            }
        }

        impl ::std::convert::From<::std::string::String> for #name {
            fn from(value: ::std::string::String) -> Self {
                Self::from(value.as_str())
            }
        }

        impl ::std::str::FromStr for #name {
            type Err = ::std::convert::Infallible;
            fn from_str(value: &str) -> ::std::result::Result<Self, Self::Err> {
                Ok(Self::from(value))
            }
        }

        impl ::std::fmt::Display for #name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for #name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for #name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                deserializer.deserialize_str(crate::OpenEnumVisitor::<Self>::new(#name_text))
            }
        }
    }
}

/// A copy of the document without array-typed query parameters (for the mocks).
fn without_array_query_params(mut doc: Value) -> Value {
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for item in paths.values_mut() {
            for op in item.as_object_mut().into_iter().flat_map(|i| i.values_mut()) {
                if let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) {
                    params.retain(|p| {
                        !(p.get("in").and_then(Value::as_str) == Some("query")
                            && p.pointer("/schema/type").and_then(Value::as_str) == Some("array"))
                    });
                }
            }
        }
    }
    doc
}
