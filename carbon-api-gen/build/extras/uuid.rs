//! `HasUuid` for the types with a string `uuid`, and for list items without
//! one, so that every list can be merged generically.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::syntax::*;

/// `HasUuid` for every type with a string `uuid` field, and (answering `None`) for
/// list item types without one, so that every list can be merged generically.
pub(super) fn uuid_code(types_mod: &syn::ItemMod, list_items: &[String]) -> TokenStream {
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
