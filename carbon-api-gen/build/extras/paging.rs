//! The paging impls of the list operations (cursor, offset, or one list), read
//! from the document's parameters and progenitor's response types.

use heck::ToSnakeCase;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::Value;

use super::syntax::*;
use super::{Builder, OpSpec};

/// The paging impls of a list operation, and its paging kind: `cursor`, `offset`,
/// or `list` (one array, not paged).
pub(super) fn paging_code(
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
            impl crate::extras::Paged for #params {
                type Paging = crate::extras::ByCursor;
            }
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
            impl crate::extras::Paged for #params {
                type Paging = crate::extras::ByOffset;
            }
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
