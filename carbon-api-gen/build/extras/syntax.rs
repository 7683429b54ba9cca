//! Reading progenitor's output as syntax: the types inside `Option`, `Vec` and
//! `Result<ResponseValue<_>>`, and a field's type in `mod types`.

/// `Result<ResponseValue<T>, Error<()>>` → `T`.
pub(crate) fn send_output(output: &syn::ReturnType) -> Option<syn::Type> {
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

pub(crate) fn field_type<'a>(types_mod: &'a syn::ItemMod, type_name: &str, field: &str) -> Option<&'a syn::Type> {
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
pub(crate) fn vec_item(ty: &syn::Type) -> Option<syn::Type> {
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
