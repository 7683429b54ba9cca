//! The repeat guard: drops a record the listing gives again soon after itself,
//! as a cursor may after an insert, with memory bounded by [`REPEAT_GUARD`].

use std::collections::{HashSet, VecDeque};

use super::REPEAT_GUARD;

/// The uuids of the last [`REPEAT_GUARD`] records.
#[derive(Default)]
pub(super) struct RecentUuids {
    order: VecDeque<String>,
    seen: HashSet<String>,
}

impl RecentUuids {
    /// False when `uuid` came within the guard before; else remembers it.
    pub(super) fn first_time(&mut self, uuid: &str) -> bool {
        if self.seen.contains(uuid) {
            return false;
        }
        if self.order.len() >= REPEAT_GUARD
            && let Some(oldest) = self.order.pop_front()
        {
            self.seen.remove(&oldest);
        }
        self.order.push_back(uuid.to_string());
        self.seen.insert(uuid.to_string());
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_repeat_guard_forgets_what_is_older_than_its_span() {
        let mut guard = RecentUuids::default();
        assert!(guard.first_time("a"));
        assert!(!guard.first_time("a"), "a repeat within the span is dropped");
        for n in 0..REPEAT_GUARD {
            assert!(guard.first_time(&n.to_string()));
        }
        assert_eq!(guard.order.len(), REPEAT_GUARD);
        assert_eq!(guard.seen.len(), REPEAT_GUARD, "bounded");
        assert!(guard.first_time("a"), "forgotten past the span");
    }
}
