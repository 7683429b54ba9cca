//! Progress callbacks, one style for every long-running workflow: uploads and
//! downloads report a [`Transfer`], waiters report each record they poll.

use std::fmt;
use std::sync::Arc;

/// A callback for the progress of a long operation, called with its latest state.
/// Cheap to clone; [`Progress::none`] (the default) reports nothing.
///
/// ```
/// use carbon_ext::{Progress, Transfer};
///
/// let progress = Progress::new(|t: &Transfer| eprintln!("{} of {:?} bytes", t.done, t.total));
/// progress.report(&Transfer { done: 10, total: Some(100) });
/// ```
pub struct Progress<T: ?Sized>(Option<Callback<T>>);

type Callback<T> = Arc<dyn Fn(&T) + Send + Sync>;

impl<T: ?Sized> Progress<T> {
    /// Calls `f` with each update.
    pub fn new(f: impl Fn(&T) + Send + Sync + 'static) -> Self {
        Self(Some(Arc::new(f)))
    }

    /// Reports nothing.
    pub fn none() -> Self {
        Self(None)
    }

    /// Passes an update to the callback, if there is one.
    pub fn report(&self, update: &T) {
        if let Some(f) = &self.0 {
            f(update);
        }
    }

    /// Whether there is a callback.
    pub fn is_some(&self) -> bool {
        self.0.is_some()
    }
}

impl<T: ?Sized> Clone for Progress<T> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<T: ?Sized> Default for Progress<T> {
    fn default() -> Self {
        Self::none()
    }
}

impl<T: ?Sized> fmt::Debug for Progress<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() {
            "Progress(..)"
        } else {
            "Progress(none)"
        })
    }
}

/// Bytes moved by an upload or a download.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transfer {
    /// Bytes moved so far (starts again from 0 when a transfer is retried).
    pub done: u64,
    /// Bytes in all, when known.
    pub total: Option<u64>,
}
