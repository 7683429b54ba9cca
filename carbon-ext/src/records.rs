//! Decoding a list page record by record, so that one malformed record costs only
//! itself: the page's envelope (cursor, total) and every other record still decode.

use std::fmt;

use carbon_api_gen::extras::Listing;
use serde_json::Value;

use crate::Error;
use crate::error::Call;
use crate::run::Answer;

/// A record of a list page that does not match the API document. The lenient
/// listings ([`crate::PaginateExt::items_lenient`]) yield one for each such record
/// and go on with the next.
#[derive(Debug, Clone, PartialEq)]
pub struct MalformedRecord {
    /// The list operation, e.g. `get_printed_parts`.
    pub operation: &'static str,
    /// The page it was on (0 for the first).
    pub page: usize,
    /// Its index in that page.
    pub index: usize,
    /// Where in the page's JSON decoding failed, e.g. `printed_parts[3].status`.
    pub path: String,
    /// What the decoder said.
    pub message: String,
    /// The record as the API sent it.
    pub raw: Value,
}

impl MalformedRecord {
    /// The record's `uuid`, when the raw JSON has a string one.
    pub fn uuid(&self) -> Option<&str> {
        self.raw.get("uuid").and_then(Value::as_str)
    }
}

impl fmt::Display for MalformedRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: record {} of page {}{} does not match the API document at `{}`: {}",
            self.operation,
            self.index,
            self.page,
            self.uuid().map(|u| format!(" (uuid {u})")).unwrap_or_default(),
            self.path,
            self.message
        )
    }
}

impl std::error::Error for MalformedRecord {}

impl From<MalformedRecord> for Error {
    /// The error strict listings end with.
    fn from(record: MalformedRecord) -> Self {
        Error::Decode {
            call: Call::new(record.operation),
            path: record.path,
            message: record.message,
            index: Some(record.index),
            not_json: false,
        }
    }
}

/// The records of a page, each decoded or not.
pub(crate) type Records<T> = Vec<Result<T, MalformedRecord>>;

/// Splits a page into what `envelope` reads of it (its cursor and total) and its
/// records. A page whose envelope does not decode is an error: without it there is
/// no way to go on.
pub(crate) fn split_page<P, M>(
    answer: Answer<P::Output>,
    page: usize,
    envelope: impl Fn(&P::Output) -> M,
) -> Result<(M, Records<P::Item>), Error>
where
    P: Listing,
{
    let mut value = match answer {
        Answer::Typed(output) => {
            let meta = envelope(&output);
            return Ok((meta, P::into_items(output).into_iter().map(Ok).collect()));
        }
        Answer::Mismatched(value) => value,
    };
    let raw_items = match value.get_mut(P::ITEMS_FIELD) {
        Some(Value::Array(items)) => std::mem::take(items),
        // Absent, null or of another type: the envelope's decoding says what is wrong.
        _ => Vec::new(),
    };
    let output: P::Output =
        serde_path_to_error::deserialize(&value).map_err(|_| Error::decode_value::<P::Output>(P::NAME, &value))?;
    let meta = envelope(&output);
    let records = raw_items
        .into_iter()
        .enumerate()
        .map(|(index, raw)| {
            serde_path_to_error::deserialize::<_, P::Item>(&raw).map_err(|e| {
                let inner = e.path().to_string();
                MalformedRecord {
                    operation: P::NAME,
                    page,
                    index,
                    path: if inner == "." {
                        format!("{}[{index}]", P::ITEMS_FIELD)
                    } else {
                        format!("{}[{index}].{inner}", P::ITEMS_FIELD)
                    },
                    message: e.inner().to_string(),
                    raw: raw.clone(),
                }
            })
        })
        .collect();
    Ok((meta, records))
}

/// The records of a strict listing: all of them, or the first malformed one as the error.
pub(crate) fn strict<T>(records: Records<T>) -> Result<Vec<T>, Error> {
    records.into_iter().map(|r| r.map_err(Error::from)).collect()
}
