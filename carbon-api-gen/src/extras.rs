//! What the layers above the raw client build on: every operation's parameters as
//! an owned value that can be re-sent (from another task, with another cursor), the
//! paging shape of the paged list operations, and the documented parameter limits.
//!
//! The impls are generated in `build.rs` from the document and progenitor's output;
//! the traits here say what they provide. Most users reach them through `carbon-ext`'s
//! paginators and chunked lookups.

use std::future::Future;

use crate::{Client, Error, ResponseValue};

/// The parameters of one operation, owned (no client borrowed), ready to be bound
/// to a client and sent, as often as needed.
pub trait OperationParams: Send + 'static {
    /// The generated builder these parameters come from.
    type Builder<'a>: IntoParams<'a, Params = Self>;
    /// What a successful call returns.
    type Output: Send + 'static;
    /// The operation as the client names it (its method name), e.g.
    /// `get_builds`: [`OperationInfo::name`], not the document's camelCase
    /// [`OperationInfo::operation_id`].
    const NAME: &'static str;
    /// The HTTP method (`GET`, `POST`, ...).
    const METHOD: &'static str;

    /// The builder again, borrowing `client`.
    fn bind(self, client: &Client) -> Self::Builder<'_>;
    /// Sends the request through `client` (and its hooks).
    fn send(self, client: &Client) -> impl Future<Output = Result<ResponseValue<Self::Output>, Error<()>>> + Send + '_;
    /// A copy to send again, or `None` when a parameter cannot be copied (a streamed
    /// body): such a request can be sent once only.
    fn try_clone(&self) -> Option<Self>
    where
        Self: Sized;
    /// Whether the parameter with this (Rust field) name was given a value.
    fn is_set(&self, param: &str) -> bool;
    /// The first array parameter that was given an empty list although the
    /// document asks for at least one value (its builder method's name). An
    /// empty list is not sent at all, so the request would read as unfiltered.
    fn empty_filter(&self) -> Option<&'static str>;
}

/// A builder that can be split into its client and owned parameters.
pub trait IntoParams<'a> {
    /// The owned parameters.
    type Params: OperationParams;
    /// Splits the builder.
    fn into_params(self) -> (&'a Client, Self::Params);
}

/// An operation whose response is a list: exactly one array of items. Its page
/// and items are JSON (so every `P: Listing` can be decoded without further
/// bounds).
pub trait Listing: OperationParams<Output: serde::de::DeserializeOwned> {
    /// One listed item.
    type Item: serde::de::DeserializeOwned + Send + 'static;
    /// The wire name of the response member that holds the items (`printed_parts`).
    const ITEMS_FIELD: &'static str;
    /// The response's items (none when the API sent `null`).
    fn into_items(page: Self::Output) -> Vec<Self::Item>;
}

/// A record with an id, for de-duplication.
pub trait HasUuid {
    /// The record's `uuid`, if it has one.
    fn uuid(&self) -> Option<&str>;
}

/// Lists of plain ids de-duplicate by value.
impl HasUuid for String {
    fn uuid(&self) -> Option<&str> {
        Some(self)
    }
}

/// A paged list operation: by cursor ([`CursorPaged`]) or by offset
/// ([`OffsetPaged`]), as its [`Paged::Paging`] says, so that one paginator
/// serves both.
pub trait Paged: Listing + Clone {
    /// [`ByCursor`] or [`ByOffset`].
    type Paging;
}

/// Pages that follow each other by cursor (the operation is [`CursorPaged`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByCursor {}

/// Pages that follow each other by offset (the operation is [`OffsetPaged`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByOffset {}

/// A list operation paged by cursor: `limit` + `cursor` in, `next_cursor` out.
pub trait CursorPaged: Paged<Paging = ByCursor> {
    /// Asks for the page after `cursor` (all other parameters unchanged).
    fn set_cursor(&mut self, cursor: String);
    /// The cursor of the next page; absent or empty on the last page.
    fn next_cursor(page: &Self::Output) -> Option<&str>;
    /// The page's `total_count`, which the API caps at 10 000.
    fn total_count(page: &Self::Output) -> Option<u64>;
}

/// A list operation paged by offset: `limit` + `offset` in, `total_count` out.
pub trait OffsetPaged: Paged<Paging = ByOffset> {
    /// Asks for the page starting at `offset`.
    fn set_offset(&mut self, offset: u64);
    /// The offset asked for, if set.
    fn offset(&self) -> Option<u64>;
    /// The page's `total_count`.
    fn total_count(page: &Self::Output) -> Option<u64>;
}

/// What kind of call an operation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CallKind {
    /// A list paged by `cursor`.
    Cursor,
    /// A list paged by `offset`.
    Offset,
    /// One list, not paged (a look-up by ids). Every list operation, paged or
    /// not, is a [`Listing`]; this kind is the unpaged ones.
    Unpaged,
    /// One record (or nothing).
    Single,
    /// The answer is a file.
    Download,
    /// The request body is a file.
    Upload,
}

impl CallKind {
    /// `cursor`, `offset`, `unpaged`, `single`, `download` or `upload`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cursor => "cursor",
            Self::Offset => "offset",
            Self::Unpaged => "unpaged",
            Self::Single => "single",
            Self::Download => "download",
            Self::Upload => "upload",
        }
    }

    /// Whether the answer is a list (paged or not).
    pub fn is_list(self) -> bool {
        matches!(self, Self::Cursor | Self::Offset | Self::Unpaged)
    }

    /// Whether the list comes in pages.
    pub fn is_paged(self) -> bool {
        matches!(self, Self::Cursor | Self::Offset)
    }
}

/// Where a parameter or field travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Location {
    /// In the URL's path.
    Path,
    /// In the query string.
    Query,
    /// In a request header.
    Header,
    /// A member of the JSON request body.
    Body,
}

impl Location {
    /// `path`, `query`, `header` or `body`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Path => "path",
            Self::Query => "query",
            Self::Header => "header",
            Self::Body => "body",
        }
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The type of a value (of its items, for an array).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ValueKind {
    /// Text.
    String,
    /// A whole number.
    Integer,
    /// Any number.
    Number,
    /// `true` or `false`.
    Boolean,
    /// An ISO-8601 date-time.
    DateTime,
    /// A JSON object (or anything the document leaves open).
    Object,
    /// An id: text named `uuid`, `*_uuid` or `*-uuid`. See [`is_uuid_shaped`] for
    /// what such a value looks like.
    Uuid,
}

impl ValueKind {
    /// `string`, `integer`, `number`, `boolean`, `date-time` or `object`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::String => "string",
            Self::Integer => "integer",
            Self::Number => "number",
            Self::Boolean => "boolean",
            Self::DateTime => "date-time",
            Self::Object => "object",
            Self::Uuid => "uuid",
        }
    }
}

/// Whether `text` has the shape of a Carbon id: a UUID written as 32 hex digits
/// in groups of 8-4-4-4-12 (either case), optionally followed by `-` and digits
/// (the API's own examples carry such a suffix, as in `…4808-10`). A value of any
/// other shape can never match a record, so callers can refuse it before sending.
///
/// ```
/// use carbon_api_gen::extras::is_uuid_shaped;
/// assert!(is_uuid_shaped("1cf34076-417e-489f-8863-3438facd4808"));
/// assert!(is_uuid_shaped("1cf34076-417e-489f-8863-3438facd4808-10"));
/// assert!(!is_uuid_shaped("not-a-uuid"));
/// assert!(!is_uuid_shaped("1cf34076417e489f88633438facd4808"));
/// ```
pub fn is_uuid_shaped(text: &str) -> bool {
    let (id, suffix) = match text.get(36..) {
        Some(rest) => (&text[..36], rest),
        None => return false,
    };
    let groups_ok =
        id.split('-').map(str::len).eq([8, 4, 4, 4, 12]) && id.chars().all(|c| c == '-' || c.is_ascii_hexdigit());
    let suffix_ok = suffix.is_empty()
        || suffix
            .strip_prefix('-')
            .is_some_and(|digits| !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()));
    groups_ok && suffix_ok
}

/// The documented limits of one parameter of one operation (generated facts:
/// read them, the generator makes them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ParamRule {
    /// The operation, as progenitor names it in `OperationInfo` (`get_builds`).
    pub operation: &'static str,
    /// The parameter's wire name.
    pub name: &'static str,
    /// The builder's (Rust) name for it (`print_ids` for `printIds`): what
    /// [`OperationParams::is_set`] takes.
    pub field: &'static str,
    /// Where it travels (query, path or header).
    pub location: Location,
    /// Fewest values of an array parameter.
    pub min_items: Option<u64>,
    /// Most values of an array parameter.
    pub max_items: Option<u64>,
    /// Smallest number.
    pub minimum: Option<i64>,
    /// Largest number.
    pub maximum: Option<i64>,
    /// Longest string.
    pub max_length: Option<u64>,
}

/// The documented limits of every parameter that has some.
pub fn param_rules() -> &'static [ParamRule] {
    crate::PARAM_RULES
}

/// The rule for one parameter of one operation (`operation` as in `OperationInfo`).
pub fn param_rule(operation: &str, name: &str) -> Option<&'static ParamRule> {
    crate::PARAM_RULES
        .iter()
        .find(|r| r.operation == operation && r.name == name)
}

/// Checks a built request's query string against the documented limits of its
/// operation, so that a request the API would refuse is never sent. The message says
/// which parameter broke which limit.
pub fn check_query(operation: &str, url: &reqwest::Url) -> Result<(), String> {
    // Most requests have no query, and most operations no limits: nothing to read.
    if url.query().is_none_or(str::is_empty) {
        return Ok(());
    }
    check_values(operation, |name| {
        url.query_pairs()
            .filter(move |(key, _)| key == name)
            .map(|(_, value)| value)
    })
    .map_err(|broken| match broken {
        BrokenLimit::TooManyValues(said) => {
            format!("{said}; split the values into several calls (carbon-ext's chunked lookups do this)")
        }
        BrokenLimit::Value(said) => said,
    })
}

/// A documented limit a request breaks, said as a sentence (its `Display`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BrokenLimit {
    /// An array parameter has more values than the operation takes.
    TooManyValues(String),
    /// A number out of its range, or a text too long.
    Value(String),
}

impl std::fmt::Display for BrokenLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::TooManyValues(said) | Self::Value(said) => f.write_str(said),
        }
    }
}

/// Checks the values of an operation's query parameters against its documented
/// limits, `values_of` giving each parameter's values by wire name: the one rule
/// for the client ([`check_query`]) and for a server that answers as the API
/// does (the simulator).
pub fn check_values<V, I>(operation: &str, values_of: impl Fn(&'static str) -> I) -> Result<(), BrokenLimit>
where
    V: AsRef<str>,
    I: Iterator<Item = V>,
{
    for rule in crate::PARAM_RULES
        .iter()
        .filter(|r| r.operation == operation && r.location == Location::Query)
    {
        let n = values_of(rule.name).count() as u64;
        if let Some(max) = rule.max_items {
            if n > max {
                return Err(BrokenLimit::TooManyValues(format!(
                    "`{}` has {n} values but {operation} accepts at most {max}",
                    rule.name
                )));
            }
        }
        for value in values_of(rule.name) {
            let value = value.as_ref();
            if let Ok(number) = value.parse::<i64>() {
                if rule.minimum.is_some_and(|min| number < min) || rule.maximum.is_some_and(|max| number > max) {
                    let range = match (rule.minimum, rule.maximum) {
                        (Some(min), Some(max)) => format!("{min}..={max}"),
                        (Some(min), None) => format!("at least {min}"),
                        (None, Some(max)) => format!("at most {max}"),
                        (None, None) => String::new(),
                    };
                    return Err(BrokenLimit::Value(format!(
                        "`{}` is {number} but {operation} accepts {range}",
                        rule.name
                    )));
                }
            }
            if rule.max_length.is_some_and(|max| value.chars().count() as u64 > max) {
                return Err(BrokenLimit::Value(format!(
                    "`{}` is {} characters long but {operation} accepts at most {}",
                    rule.name,
                    value.chars().count(),
                    rule.max_length.unwrap_or_default()
                )));
            }
        }
    }
    Ok(())
}

/// The operation a request for `method` and `path` (below the base URL, such
/// as `/part_orders/5c1e…`) is, matching the document's path templates: of
/// those that match, the one with the fewest parameters (`/models/presigned`
/// over `/models/{uuid}`). Allocates nothing: a server may ask on every request.
pub fn route(method: &str, path: &str) -> Option<&'static OperationInfo> {
    let path = path.trim_matches('/');
    let is_param = |t: &str| t.starts_with('{') && t.ends_with('}');
    let fits = |template: &str| {
        let (mut t, mut p) = (template.trim_matches('/').split('/'), path.split('/'));
        loop {
            match (t.next(), p.next()) {
                (None, None) => return true,
                (Some(t), Some(s)) if t == s || (is_param(t) && !s.is_empty()) => {}
                _ => return false,
            }
        }
    };
    crate::OPERATIONS
        .iter()
        .filter(|op| op.method.eq_ignore_ascii_case(method) && fits(op.path))
        .min_by_key(|op| op.path.split('/').filter(|t| is_param(t)).count())
}

/// One operation, described for callers that reach operations by name (a command
/// line, a bridge from another language): generated from the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OperationInfo {
    /// The client's name for it (`get_printed_parts`), also its method name.
    pub name: &'static str,
    /// The document's `operationId` (`getPrintedParts`).
    pub operation_id: &'static str,
    /// `GET`, `POST`, `PATCH`, `DELETE`.
    pub method: &'static str,
    /// The path template, e.g. `/part_orders/{uuid}`.
    pub path: &'static str,
    /// The document's first tag (`PartOrders`).
    pub tag: &'static str,
    /// One line.
    pub summary: &'static str,
    /// More text; may be empty.
    pub description: &'static str,
    /// What kind of call it is.
    pub kind: CallKind,
    /// Path, query and header parameters.
    pub params: &'static [FieldInfo],
    /// The request body, if any.
    pub body: Option<BodyInfo>,
    /// For lists: the response member holding the items (`parts`).
    pub items_field: Option<&'static str>,
    /// For lists: the members of one item, `uuid` first.
    pub item_fields: &'static [&'static str],
}

/// A parameter, or a top-level member of a request body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldInfo {
    /// The wire name.
    pub name: &'static str,
    /// Where it travels.
    pub location: Location,
    /// Its type (of its items, for an array).
    pub kind: ValueKind,
    /// Whether it takes several values.
    pub array: bool,
    /// Whether the API requires it.
    pub required: bool,
    /// The document's description.
    pub description: &'static str,
    /// The values the document lists, for an enum.
    pub values: &'static [&'static str],
    /// For a `sort` parameter: the fields the API documents as sortable, each sent
    /// as `field` (ascending) or `field,desc`. Empty where none are documented.
    pub sort_keys: &'static [&'static str],
    /// The document's default for a single value, as text (`100` for `limit`), if
    /// it gives one.
    pub default: Option<&'static str>,
}

/// A request body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyInfo {
    /// `application/json` or `application/octet-stream`.
    pub content_type: &'static str,
    /// Whether the API requires one.
    pub required: bool,
    /// Its top-level members, for an object body.
    pub fields: &'static [FieldInfo],
}

pub use crate::Operation;

impl OperationInfo {
    /// The operation this describes, as a value to match on.
    pub fn operation(&self) -> Operation {
        Operation::from_name(self.name).expect("every row of the table is an operation")
    }
}

/// Every operation of the document.
pub fn operations() -> &'static [OperationInfo] {
    crate::OPERATIONS
}

/// One operation by its client name (`get_parts`) or `operationId` (`getParts`).
pub fn operation(name: &str) -> Option<&'static OperationInfo> {
    crate::OPERATIONS
        .iter()
        .find(|op| op.name == name || op.operation_id == name)
}

/// An object schema of the document: the members it lists, for noticing the ones
/// a response carries that it does not (generated from the document).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// The schema's name (`PrintedPart`).
    pub name: &'static str,
    /// Its members, sorted by wire name.
    pub fields: &'static [ShapeField],
}

/// A member of a [`Shape`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShapeField {
    /// The wire name.
    pub name: &'static str,
    /// The object schema it holds (itself or as array items), if it holds one.
    pub shape: Option<&'static str>,
}

impl Shape {
    /// The member named `name`, if the schema lists it.
    pub fn field(&self, name: &str) -> Option<&'static ShapeField> {
        self.fields
            .binary_search_by(|f| f.name.cmp(name))
            .ok()
            .map(|i| &self.fields[i])
    }
}

/// The object schema named `name`.
pub fn shape(name: &str) -> Option<&'static Shape> {
    crate::SHAPES
        .binary_search_by(|s| s.name.cmp(name))
        .ok()
        .map(|i| &crate::SHAPES[i])
}

/// The schema an operation (`get_printed_parts`) answers with, when it is an
/// object schema, and the operation's place among the [`answer_slots`]
/// operations that do (for keeping a counter per operation in an array).
pub fn answer_slot(operation: &str) -> Option<(usize, &'static Shape)> {
    let i = crate::RESPONSE_SHAPES
        .binary_search_by(|(op, _)| (*op).cmp(operation))
        .ok()?;
    Some((i, shape(crate::RESPONSE_SHAPES[i].1)?))
}

/// How many operations answer with an object schema.
pub fn answer_slots() -> usize {
    crate::RESPONSE_SHAPES.len()
}
