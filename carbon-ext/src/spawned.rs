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
