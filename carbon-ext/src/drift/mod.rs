//! Noticing at run time that the API has moved past the document this SDK was
//! built from: a member a response carries that its schema does not list, or an
//! enum value the SDK does not know (it arrives as `Unknown`, and the program
//! keeps working).
//!
//! Each kind is reported once per client: a `tracing` warning naming the schema,
//! the member or value, and the operation that brought it, and an entry in
//! [`Client::drift`](crate::Client::drift) that a program can read (the process
//! keeps the union of its clients' in [`seen_in_process`], which the `carbon`
//! command line reads at its end).
//!
//! What is looked at, so that the cost stays per request and not per record:
//! - enum values: every value decoded (the decoder notes the unknown ones);
//! - members: the first answer of each operation and then one in
//!   [`SCAN_EVERY`], and in such an answer the first record of a list (with
//!   everything nested in it) or the whole of a single record; an envelope's
//!   members after its list of records are not read. The other answers take the
//!   stack's path without a future of its own.

mod scan;

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock};

pub(crate) use scan::unknown_members;

/// What the API sent that this SDK version does not know.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DriftKind {
    /// A member the schema does not list (`PrintedPart.rework_reason`).
    Field {
        /// The schema (`PrintedPart`).
        schema: &'static str,
        /// The member's wire name.
        field: String,
    },
    /// A value of an open enum this version does not list.
    Value {
        /// The enum's schema (`PrintedPartStatus`).
        schema: &'static str,
        /// The value as sent.
        value: String,
    },
}

impl fmt::Display for DriftKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DriftKind::Field { schema, field } => write!(f, "{schema}.{field}"),
            DriftKind::Value { schema, value } => write!(f, "{schema} {value:?}"),
        }
    }
}

/// One kind of drift, and the operation whose answer first carried it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Drift {
    /// What was unknown.
    pub kind: DriftKind,
    /// The operation (`get_printed_parts`).
    pub operation: &'static str,
}

/// The drift a client (or the process) has met, each kind once, in the order met.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DriftReport {
    /// Each kind with the operation that first brought it.
    pub seen: Vec<Drift>,
}

impl DriftReport {
    /// Whether nothing unknown arrived.
    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }

    /// The unknown members, as `Schema.member`.
    pub fn fields(&self) -> Vec<String> {
        self.of(|k| matches!(k, DriftKind::Field { .. }))
    }

    /// The unknown enum values, as `Schema "value"`.
    pub fn values(&self) -> Vec<String> {
        self.of(|k| matches!(k, DriftKind::Value { .. }))
    }

    fn of(&self, wanted: impl Fn(&DriftKind) -> bool) -> Vec<String> {
        self.seen
            .iter()
            .filter(|d| wanted(&d.kind))
            .map(|d| d.kind.to_string())
            .collect()
    }
}

/// One client's record of what it has reported.
#[derive(Debug, Default)]
pub(crate) struct DriftLog {
    seen: Mutex<(BTreeSet<DriftKind>, Vec<Drift>)>,
}

impl DriftLog {
    /// Notes `kind`, brought by `operation`; warns the first time this client
    /// meets it.
    pub(crate) fn note(&self, kind: DriftKind, operation: &'static str) {
        let first = {
            let mut seen = self.seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let first = seen.0.insert(kind.clone());
            if first {
                seen.1.push(Drift {
                    kind: kind.clone(),
                    operation,
                });
            }
            first
        };
        if !first {
            return;
        }
        match &kind {
            DriftKind::Field { schema, field } => tracing::warn!(
                schema,
                field = field.as_str(),
                operation,
                api_version = carbon_api_gen::API_VERSION,
                "the API sent a field this SDK version does not know (ignored); see `carbon api check`"
            ),
            DriftKind::Value { schema, value } => tracing::warn!(
                schema,
                value = value.as_str(),
                operation,
                api_version = carbon_api_gen::API_VERSION,
                "the API sent an enum value this SDK version does not know (kept as Unknown); see `carbon api check`"
            ),
        }
        process_log().note_quietly(kind, operation);
    }

    /// What the log holds.
    pub(crate) fn report(&self) -> DriftReport {
        let seen = self.seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        DriftReport { seen: seen.1.clone() }
    }

    fn note_quietly(&self, kind: DriftKind, operation: &'static str) {
        let mut seen = self.seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if seen.0.insert(kind.clone()) {
            seen.1.push(Drift { kind, operation });
        }
    }

    /// Notes the enum values decoded on this thread since the last call (in the
    /// same poll as the answer of `operation` was decoded).
    pub(crate) fn take_decoded(&self, operation: &'static str) {
        for (schema, value) in carbon_api_gen::drift::take_unknown_values() {
            self.note(
                DriftKind::Value {
                    schema,
                    value: value.as_str().to_string(),
                },
                operation,
            );
        }
    }
}

/// Answers of an operation whose members are read: the first, then one in this many.
pub const SCAN_EVERY: u32 = 16;

/// A client's drift watch: its log, and how many answers of each operation it
/// has seen (to read the members of the first and then one in [`SCAN_EVERY`]).
#[derive(Debug, Default)]
pub(crate) struct DriftWatch {
    pub log: Arc<DriftLog>,
    answers: Mutex<HashMap<&'static str, u32>>,
}

impl DriftWatch {
    /// A watch writing to `log`.
    pub(crate) fn new(log: Arc<DriftLog>) -> Self {
        Self {
            log,
            answers: Mutex::default(),
        }
    }

    /// Whether the members of this answer of `operation` are to be read.
    pub(crate) fn reads(&self, operation: &'static str) -> bool {
        let mut answers = self.answers.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let seen = answers.entry(operation).or_insert(0);
        let read = seen.is_multiple_of(SCAN_EVERY);
        *seen = seen.wrapping_add(1);
        read
    }
}

fn process_log() -> &'static DriftLog {
    static LOG: OnceLock<DriftLog> = OnceLock::new();
    LOG.get_or_init(DriftLog::default)
}

/// The drift every client of this process has met (each kind once): what a
/// program says at its end (`carbon` prints one line from it).
pub fn seen_in_process() -> DriftReport {
    process_log().report()
}
