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
//!   members after its list of records are not read. An answer that is not a
//!   success does not count, so a retried call's success is read. The other
//!   answers take the stack's path without a future of its own.

mod scan;

use std::collections::HashSet;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
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
    /// Each kind with the operation that first brought it (at most
    /// [`MAX_KINDS`]).
    pub seen: Vec<Drift>,
    /// How many other kinds were met past [`MAX_KINDS`], not kept (a server
    /// sending a new member name in every answer cannot grow the record
    /// without bound); each counts once, up to [`MAX_COUNTED`].
    pub more: usize,
}

/// The most kinds a client (and the process) keeps and warns about.
pub const MAX_KINDS: usize = 100;

/// The most kinds past [`MAX_KINDS`] that [`DriftReport::more`] counts (it
/// remembers a hash of each, to count it once).
pub const MAX_COUNTED: usize = 10_000;

impl DriftReport {
    /// Whether nothing unknown arrived.
    pub fn is_empty(&self) -> bool {
        self.seen.is_empty() && self.more == 0
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
    seen: Mutex<Kept>,
}

/// What a log keeps: the kinds met (for "once"), in order, and the hashes of
/// the ones past [`MAX_KINDS`] (to count each once).
#[derive(Debug, Default)]
struct Kept {
    order: Vec<Drift>,
    past: HashSet<u64>,
}

impl Kept {
    /// Keeps `kind`; whether it is new and kept.
    fn keep(&mut self, kind: &DriftKind, operation: &'static str) -> bool {
        // At most MAX_KINDS entries: a scan is as quick as a set.
        if self.order.iter().any(|d| &d.kind == kind) {
            return false;
        }
        if self.order.len() >= MAX_KINDS {
            if self.past.len() < MAX_COUNTED {
                let mut hasher = std::collections::hash_map::DefaultHasher::new();
                std::hash::Hash::hash(kind, &mut hasher);
                self.past.insert(std::hash::Hasher::finish(&hasher));
            }
            return false;
        }
        self.order.push(Drift {
            kind: kind.clone(),
            operation,
        });
        true
    }
}

impl DriftLog {
    /// Notes `kind`, brought by `operation`; warns the first time this client
    /// meets it.
    pub(crate) fn note(&self, kind: DriftKind, operation: &'static str) {
        let first = self
            .seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .keep(&kind, operation);
        if !first {
            return;
        }
        // One warning, naming the unknown member as `field` or `value`.
        let (schema, field, value, what) = match &kind {
            DriftKind::Field { schema, field } => (schema, Some(field.as_str()), None, "a field"),
            DriftKind::Value { schema, value } => (schema, None, Some(value.as_str()), "an enum value"),
        };
        let kept = if field.is_some() { "ignored" } else { "kept as Unknown" };
        tracing::warn!(
            schema,
            field,
            value,
            operation,
            api_version = carbon_api_gen::API_VERSION,
            "the API sent {what} this SDK version does not know ({kept}); see `carbon api check`"
        );
        process_log().note_quietly(kind, operation);
    }

    /// What the log holds.
    pub(crate) fn report(&self) -> DriftReport {
        let kept = self.seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        DriftReport {
            seen: kept.order.clone(),
            more: kept.past.len(),
        }
    }

    fn note_quietly(&self, kind: DriftKind, operation: &'static str) {
        self.seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .keep(&kind, operation);
    }

    /// Notes the unknown enum values the answer of `operation` carried.
    pub(crate) fn note_values(
        &self,
        values: Vec<(&'static str, carbon_api_gen::UnknownValue)>,
        operation: &'static str,
    ) {
        for (schema, value) in values {
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
pub const SCAN_EVERY: u32 = 64;

/// A client's drift watch: its log, and how many answers of each operation it
/// has seen (to read the members of the first and then one in [`SCAN_EVERY`]),
/// a counter per operation that answers with an object schema, and whether a
/// read is owed (the answer chosen was not a success).
#[derive(Debug)]
pub(crate) struct DriftWatch {
    pub log: Arc<DriftLog>,
    answers: Box<[AtomicU32]>,
    owed: Box<[AtomicBool]>,
}

impl DriftWatch {
    /// A watch writing to `log`.
    pub(crate) fn new(log: Arc<DriftLog>) -> Self {
        let slots = carbon_api_gen::extras::answer_slots();
        Self {
            log,
            answers: (0..slots).map(|_| AtomicU32::new(0)).collect(),
            owed: (0..slots).map(|_| AtomicBool::new(false)).collect(),
        }
    }

    /// Whether the members of this answer (of the operation in `slot`, see
    /// `extras::answer_slot`) are to be read.
    pub(crate) fn reads(&self, slot: usize) -> bool {
        if self
            .owed
            .get(slot)
            .is_some_and(|owed| owed.swap(false, Ordering::Relaxed))
        {
            return true;
        }
        self.answers
            .get(slot)
            .is_some_and(|seen| seen.fetch_add(1, Ordering::Relaxed).is_multiple_of(SCAN_EVERY))
    }

    /// The answer [`DriftWatch::reads`] chose was not read (not a success, or
    /// the call was dropped): the next answer of the operation is read instead.
    pub(crate) fn owe(&self, slot: usize) {
        if let Some(owed) = self.owed.get(slot) {
            owed.store(true, Ordering::Relaxed);
        }
    }
}

/// Owes a read unless the answer was read (dropped with the call, too).
pub(crate) struct ReadOwed<'w> {
    pub watch: &'w DriftWatch,
    pub slot: usize,
    pub read: bool,
}

impl Drop for ReadOwed<'_> {
    fn drop(&mut self) {
        if !self.read {
            self.watch.owe(self.slot);
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn past_the_kept_kinds_each_other_kind_counts_once() {
        let log = DriftLog::default();
        let field = |i: usize| DriftKind::Field {
            schema: "Part",
            field: format!("new_{i}"),
        };
        for i in 0..MAX_KINDS + 3 {
            log.note(field(i), "get_part");
        }
        // The same unknown members again, in every answer.
        for _ in 0..5 {
            for i in 0..MAX_KINDS + 3 {
                log.note(field(i), "get_part");
            }
        }
        let report = log.report();
        assert_eq!((report.seen.len(), report.more), (MAX_KINDS, 3));
    }
}
