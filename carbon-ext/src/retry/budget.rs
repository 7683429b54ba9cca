//! The retry budget: retries draw from it, successes refill it slowly, so that an
//! outage does not multiply the load on the API.

use std::sync::Mutex;

/// What a retry costs.
pub(crate) const RETRY_COST: u32 = 5;
/// What a retry after a timeout costs (timeouts hint at an overloaded server).
pub(crate) const TIMEOUT_RETRY_COST: u32 = 10;

/// Shared by every retry of a client and its clones.
#[derive(Debug)]
pub(crate) struct RetryBudget {
    capacity: u32,
    available: Mutex<u32>,
}

impl RetryBudget {
    pub(crate) fn new(capacity: u32) -> Self {
        Self {
            capacity,
            available: Mutex::new(capacity),
        }
    }

    /// Takes `cost` for a retry; false when the budget is spent. A capacity of 0
    /// means no budget check.
    pub(crate) fn withdraw(&self, cost: u32) -> bool {
        if self.capacity == 0 {
            return true;
        }
        let mut available = self.available.lock().unwrap_or_else(|e| e.into_inner());
        if *available >= cost {
            *available -= cost;
            true
        } else {
            false
        }
    }

    /// Gives back after a success.
    pub(crate) fn deposit(&self, amount: u32) {
        let mut available = self.available.lock().unwrap_or_else(|e| e.into_inner());
        *available = available.saturating_add(amount).min(self.capacity);
    }

    #[cfg(test)]
    pub(crate) fn available(&self) -> u32 {
        *self.available.lock().unwrap()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_out_and_refills() {
        let budget = RetryBudget::new(12);
        assert!(budget.withdraw(RETRY_COST));
        assert!(budget.withdraw(RETRY_COST));
        assert!(!budget.withdraw(RETRY_COST));
        budget.deposit(100);
        assert_eq!(budget.available(), 12);
        assert!(budget.withdraw(TIMEOUT_RETRY_COST));
    }
}
