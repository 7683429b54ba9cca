//! A stream fed by a task of its own: the producer runs ahead of the consumer
//! (as far as the channel holds), is started on the first poll, and is aborted
//! when the stream is dropped. A producer that panics ends the stream with an
//! error, never with what would pass for the end of a listing.

use futures::stream::{self, BoxStream, StreamExt};
use tokio::sync::mpsc;

use crate::Error;

/// Where a producer sends what it found.
pub(crate) type Feed<T> = mpsc::Sender<Result<T, Error>>;

/// Runs `producer` in its own task, `ahead` items ahead of the consumer. The
/// stream ends after the first error; `what` names the task in the error a
/// panic becomes ("the pagination task").
pub(crate) fn spawned_stream<T, F, Fut>(
    what: &'static str,
    ahead: usize,
    producer: F,
) -> BoxStream<'static, Result<T, Error>>
where
    T: Send + 'static,
    F: FnOnce(Feed<T>) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    enum State<T, F> {
        NotStarted(F),
        Running(mpsc::Receiver<Result<T, Error>>, AbortOnDrop),
        Done,
    }
    stream::unfold(State::NotStarted(producer), move |state| async move {
        let (mut rx, mut guard) = match state {
            State::NotStarted(producer) => {
                let (tx, rx) = mpsc::channel(ahead.max(1));
                (rx, AbortOnDrop(Some(tokio::spawn(producer(tx)))))
            }
            State::Running(rx, guard) => (rx, guard),
            State::Done => return None,
        };
        match rx.recv().await {
            Some(Ok(item)) => Some((Ok(item), State::Running(rx, guard))),
            Some(Err(e)) => Some((Err(e), State::Done)),
            // The producer is gone: the end if it returned, an error if it panicked.
            None => match guard.0.take()?.await {
                Ok(()) => None,
                Err(e) => Some((
                    Err(Error::Io(std::io::Error::other(format!("{what} failed: {e}")))),
                    State::Done,
                )),
            },
        }
    })
    .boxed()
}

/// Aborts the producer when the stream is dropped before it ends.
struct AbortOnDrop(Option<tokio::task::JoinHandle<()>>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if let Some(task) = &self.0 {
            task.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    use futures::StreamExt;

    use super::*;

    #[tokio::test]
    async fn nothing_runs_until_polled_and_the_stream_ends_with_its_task() {
        let started = Arc::new(AtomicBool::new(false));
        let seen = started.clone();
        let mut numbers = spawned_stream("the test task", 1, move |tx| async move {
            seen.store(true, Ordering::SeqCst);
            for n in 0..3 {
                let _ = tx.send(Ok(n)).await;
            }
        });
        tokio::task::yield_now().await;
        assert!(!started.load(Ordering::SeqCst), "started before the first poll");
        let mut got = Vec::new();
        while let Some(n) = numbers.next().await {
            got.push(n.unwrap());
        }
        assert_eq!(got, [0, 1, 2]);
    }

    #[tokio::test]
    async fn the_first_error_ends_it() {
        let items: Vec<_> = spawned_stream("the test task", 4, |tx| async move {
            let _ = tx.send(Ok(1)).await;
            let _ = tx.send(Err(Error::Config("broken".into()))).await;
            let _ = tx.send(Ok(2)).await;
        })
        .collect()
        .await;
        assert_eq!(items.len(), 2, "{items:?}");
        assert!(matches!(items[1], Err(Error::Config(_))));
    }

    #[tokio::test]
    async fn a_panicking_task_is_an_error_not_an_end() {
        let items: Vec<Result<u8, Error>> = spawned_stream("the test task", 1, |tx| async move {
            let _ = tx.send(Ok(1)).await;
            panic!("the producer broke");
        })
        .collect()
        .await;
        assert!(matches!(items[0], Ok(1)));
        let Err(Error::Io(e)) = &items[1] else {
            panic!("{items:?}")
        };
        assert!(e.to_string().starts_with("the test task failed"), "{e}");
    }

    #[tokio::test]
    async fn dropped_it_stops_its_task() {
        let working = Arc::new(AtomicUsize::new(0));
        let counter = working.clone();
        let mut numbers = spawned_stream("the test task", 1, move |tx| async move {
            let _ = tx.send(Ok(0)).await;
            // Busy without sending again: only an abort stops it.
            loop {
                counter.fetch_add(1, Ordering::SeqCst);
                tokio::task::yield_now().await;
            }
        });
        assert!(matches!(numbers.next().await, Some(Ok(0))));
        drop(numbers);
        tokio::task::yield_now().await;
        let after_drop = working.load(Ordering::SeqCst);
        for _ in 0..20 {
            tokio::task::yield_now().await;
        }
        assert_eq!(working.load(Ordering::SeqCst), after_drop, "it ran on after the drop");
    }
}
