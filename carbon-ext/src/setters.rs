//! Builder methods that store their argument as it is, written once.

/// Defines builder methods that each store their one argument in a field and
/// return the builder: `$(#[doc])* pub fn name(argument: Type) => field;`.
/// Methods that check, convert or wrap their argument are written out.
macro_rules! setters {
    ($($(#[$doc:meta])* $vis:vis fn $name:ident($argument:ident: $ty:ty) => $field:ident;)*) => {
        $(
            $(#[$doc])*
            $vis fn $name(mut self, $argument: $ty) -> Self {
                self.$field = $argument;
                self
            }
        )*
    };
}
