//! Owned parameter sets for every builder, so that a request can be sent again
//! from a spawned task (the next page, a retry), with what the layers above ask
//! of them (`is_set`, `empty_filter`).

use heck::ToSnakeCase;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::syntax::{last_generic_args, strip_option};
use super::{Builder, OpSpec};

pub(super) fn params_code(builder: &Builder, spec: &OpSpec) -> TokenStream {
    let name = &builder.name;
    let params = format_ident!("{}Params", name);
    let output = &builder.output;
    let method_name = spec.operation_id.to_snake_case();
    let field_names: Vec<&syn::Ident> = builder.fields.iter().map(|(i, _)| i).collect();
    let field_types: Vec<&syn::Type> = builder.fields.iter().map(|(_, t)| t).collect();
    // The Rust field names as text: what `is_set` is asked with (not the wire names).
    let field_texts: Vec<String> = field_names.iter().map(|i| i.to_string()).collect();
    let is_set: Vec<TokenStream> = builder
        .fields
        .iter()
        .map(|(field, ty)| {
            let optional = is_optional(ty);
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
            let optional = is_optional(ty);
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
    let doc = format!("The parameters of [`{name}`], owned: `{method_name}` without its client.");
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
            const NAME: &'static str = #method_name;
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
                    #( #field_texts => #is_set, )*
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

/// Whether a builder field (`Result<Option<T>, String>`) is an optional
/// parameter.
fn is_optional(ty: &syn::Type) -> bool {
    last_generic_args(ty)
        .and_then(|args| match args.first() {
            Some(syn::GenericArgument::Type(inner)) => Some(strip_option(inner).0),
            _ => None,
        })
        .unwrap_or(false)
}
