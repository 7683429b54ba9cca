//! A named wait, ready to run: how it polls and what sees each poll are chosen
//! on it, and awaiting it runs the wait (as the AWS SDK's waiters do).

use std::fmt;
use std::future::IntoFuture;

use futures::future::BoxFuture;

use super::{WaitConfig, WaitOutcome};
use crate::{Error, Progress};

/// Runs a wait with the config and progress chosen.
type Run<Output, Seen> =
    Box<dyn FnOnce(WaitConfig, Progress<Seen>) -> BoxFuture<'static, Result<Output, Error>> + Send>;

/// A wait, ready to run: `.await` it, or call
/// [`into_future`](IntoFuture::into_future) for its future (to spawn it, or to
/// put it in a `join_all`: a waiter is not itself a `Future`). It polls as
/// [`WaitConfig::default`] says unless given [`Waiter::config`], and
/// [`Waiter::progress`] sees each poll (nothing does by default). It holds its
/// own handle on the client, so neither it nor its future borrows anything.
/// Nothing is sent before it is awaited; dropping the future stops the wait,
/// with nothing left running.
///
/// ```no_run
/// # async fn run(client: carbon_ext::Client) -> Result<(), carbon_ext::Error> {
/// use std::time::Duration;
/// use carbon_ext::{Progress, WaitConfig};
///
/// let order = client.wait_until_part_order_finished("0e5c...").await?;
/// let printed = client
///     .wait_until_print_order_printed("4a1f...")
///     .config(WaitConfig::with_timeout(Duration::from_secs(3600)))
///     .progress(Progress::new(|order: &carbon_ext::types::PrintOrder| println!("{:?}", order.routed_to)))
///     .await?;
/// # Ok(())
/// # }
/// ```
#[must_use = "a waiter does nothing until it is awaited"]
pub struct Waiter<Output, Seen: ?Sized> {
    config: WaitConfig,
    progress: Progress<Seen>,
    run: Run<Output, Seen>,
}

/// A wait on one record: its outcome holds the record, and its progress sees
/// each one polled.
pub type RecordWaiter<T> = Waiter<WaitOutcome<T>, T>;

impl<Output, Seen: ?Sized> Waiter<Output, Seen> {
    /// A waiter that runs `run` with the config and progress chosen.
    pub(crate) fn new(
        run: impl FnOnce(WaitConfig, Progress<Seen>) -> BoxFuture<'static, Result<Output, Error>> + Send + 'static,
    ) -> Self {
        Self {
            config: WaitConfig::default(),
            progress: Progress::none(),
            run: Box::new(run),
        }
    }

    setters! {
        /// Polls as `config` says (default [`WaitConfig::default`]).
        pub fn config(config: WaitConfig) => config;
        /// Reports to `progress` at each poll.
        pub fn progress(progress: Progress<Seen>) => progress;
    }
}

impl<Output, Seen: ?Sized> IntoFuture for Waiter<Output, Seen> {
    type Output = Result<Output, Error>;
    type IntoFuture = BoxFuture<'static, Result<Output, Error>>;

    fn into_future(self) -> Self::IntoFuture {
        (self.run)(self.config, self.progress)
    }
}

impl<Output, Seen: ?Sized> fmt::Debug for Waiter<Output, Seen> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Waiter")
            .field("config", &self.config)
            .field("progress", &self.progress)
            .finish_non_exhaustive()
    }
}
