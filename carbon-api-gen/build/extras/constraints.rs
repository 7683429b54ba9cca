//! The table of documented parameter limits (`PARAM_RULES`).

use std::collections::BTreeMap;

use heck::ToSnakeCase;
use proc_macro2::TokenStream;
use quote::quote;

use super::OpSpec;

pub(super) fn constraints_code(specs: &BTreeMap<String, OpSpec>) -> TokenStream {
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
            // The builder's name for it, as `OperationParams::is_set` takes it.
            let field = rule.name.to_snake_case();
            let location = crate::operations::location_path(&rule.location);
            let (min_items, max_items) = (opt_u(rule.min_items), opt_u(rule.max_items));
            let (minimum, maximum) = (opt_i(rule.minimum), opt_i(rule.maximum));
            let max_length = opt_u(rule.max_length);
            rows.push(quote! {
                crate::extras::ParamRule {
                    operation: #operation,
                    name: #name,
                    field: #field,
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
