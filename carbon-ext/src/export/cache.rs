//! A bounded cache of records looked up lately: it saves requests, and nothing
//! an export gives depends on what it still holds.

use std::collections::HashMap;
use std::sync::Arc;

/// The records of recent look-ups, `capacity` at most: two generations, the
/// older dropped when the newer is full.
pub(super) struct Recent<V> {
    capacity: usize,
    newer: HashMap<String, Option<Arc<V>>>,
    older: HashMap<String, Option<Arc<V>>>,
}

impl<V> Recent<V> {
    pub(super) fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(2),
            newer: HashMap::new(),
            older: HashMap::new(),
        }
    }

    /// `Some(None)`: looked up lately and not found.
    pub(super) fn get(&self, id: &str) -> Option<Option<Arc<V>>> {
        self.newer.get(id).or_else(|| self.older.get(id)).cloned()
    }

    pub(super) fn insert(&mut self, id: String, value: Option<Arc<V>>) {
        if self.newer.len() >= self.capacity / 2 {
            self.older = std::mem::take(&mut self.newer);
        }
        self.newer.insert(id, value);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.newer.len() + self.older.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_is_bounded_and_remembers_what_was_not_found() {
        let mut cache = Recent::<u32>::new(100);
        cache.insert("missing".into(), None);
        assert_eq!(cache.get("missing"), Some(None));
        assert_eq!(cache.get("never asked"), None);
        cache.insert("found".into(), Some(Arc::new(7)));
        assert_eq!(cache.get("found"), Some(Some(Arc::new(7))));
        for n in 0..300 {
            cache.insert(n.to_string(), None);
        }
        assert!(cache.len() <= 100);
        assert_eq!(cache.get("missing"), None, "dropped with its generation");
        assert_eq!(cache.get("299"), Some(None), "the latest are kept");
    }
}
