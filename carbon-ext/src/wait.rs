//! Waiters: poll a record until it reaches the state you need, with backoff, an
//! overall deadline, and a typed outcome. Named `wait_until_<resource>_<state>`.
//!
//! Unlike a `sleep(30)` loop, a waiter never fails on a status it does not know: an
//! unknown status means "not there yet" (and is logged once). A transient failure
//! (an outage that outlasts one request's retries) does not end a long wait either,
//! unless it persists past [`WaitConfig::error_budget`]. Waiting is
//! cancellation-safe: drop the future and nothing is left running.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use futures::TryStreamExt;
use tokio::time::Instant;

use crate::enums::{ModelProgramRunStatus, PartOrderStatus, PrintedPartStatus};
use crate::retry::Curve;
use crate::{Client, Error, Progress, types};

/// How to poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct WaitConfig {
    /// First pause between polls.
    pub min_interval: Duration,
    /// Longest pause; each pause is 1.5 times the one before, up to this.
    pub max_interval: Duration,
    /// Give up after this long in total.
    pub timeout: Duration,
    /// How long polls may keep failing with transient errors (after the client's
    /// own retries) before the wait ends with the error.
    pub error_budget: Duration,
}

impl Default for WaitConfig {
    /// 5 s growing to 60 s, for up to 24 hours, riding out 15 minutes of errors:
    /// packing and printing take hours.
    fn default() -> Self {
        Self {
            min_interval: Self::FIRST_INTERVAL,
            max_interval: Self::LONGEST_INTERVAL,
            timeout: Duration::from_secs(24 * 3600),
            error_budget: Duration::from_secs(15 * 60),
        }
    }
}

impl WaitConfig {
    /// The first pause between polls unless told otherwise: 5 s.
    pub const FIRST_INTERVAL: Duration = Duration::from_secs(5);
    /// The longest pause unless told otherwise: a minute.
    pub const LONGEST_INTERVAL: Duration = Duration::from_secs(60);

    /// Polls `first` apart at first, the pauses growing to a minute (or staying
    /// at `first`, if that is longer), for at most `timeout`.
    pub fn every(first: Duration, timeout: Duration) -> Self {
        Self::new(first, Self::LONGEST_INTERVAL, timeout)
    }

    /// Polls between `min` and `max` apart, for at most `timeout` (15 minutes of
    /// error budget).
    pub fn new(min: Duration, max: Duration, timeout: Duration) -> Self {
        Self {
            min_interval: min,
            max_interval: max.max(min),
            timeout,
            ..Self::default()
        }
    }

    /// How long transient errors may persist before the wait ends with one
    /// (`Duration::ZERO`: the first error ends it).
    pub fn with_error_budget(mut self, budget: Duration) -> Self {
        self.error_budget = budget;
        self
    }
}

/// How a wait ended.
#[derive(Debug, Clone, PartialEq)]
pub enum WaitOutcome<T> {
    /// The state was reached; the last record.
    Done(T),
    /// The record reached a state it cannot come back from; the final record.
    Failed(T),
    /// The deadline passed; the last record seen, if any.
    TimedOut(Option<T>),
}

impl<T> WaitOutcome<T> {
    /// The record, whatever the outcome.
    pub fn record(&self) -> Option<&T> {
        match self {
            WaitOutcome::Done(t) | WaitOutcome::Failed(t) => Some(t),
            WaitOutcome::TimedOut(t) => t.as_ref(),
        }
    }

    /// Whether the wait succeeded.
    pub fn is_done(&self) -> bool {
        matches!(self, WaitOutcome::Done(_))
    }
}

/// What a poll found.
#[derive(Debug, Clone, PartialEq)]
pub enum Poll<T> {
    /// Reached.
    Done(T),
    /// Will never be reached.
    Failed(T),
    /// Not yet.
    Pending(T),
}

/// The shortest pause between two polls.
const MIN_POLL_INTERVAL: Duration = Duration::from_millis(10);

/// Paces the polls of one wait: growing pauses, and the deadline.
struct Pacer {
    deadline: Option<Instant>,
    curve: Curve,
    polls: u32,
}

impl Pacer {
    fn new(config: WaitConfig) -> Self {
        // A zero pause would never grow: poll at least 10 ms apart.
        let first = config.min_interval.max(MIN_POLL_INTERVAL);
        Self {
            // No deadline at all when it lies beyond what a clock can hold.
            deadline: Instant::now().checked_add(config.timeout),
            curve: Curve {
                first,
                factor: 1.5,
                cap: config.max_interval.max(first),
            },
            polls: 0,
        }
    }

    /// Sleeps until the next poll. `false` when the deadline has passed: stop. The
    /// last pause ends at the deadline, so the poll after it is a last look.
    async fn pause(&mut self) -> bool {
        self.polls = self.polls.saturating_add(1);
        let pause = self.curve.nth(self.polls);
        self.wait(pause).await
    }

    /// Sleeps `pause`, or until the deadline if that comes first; `false` when the
    /// deadline has passed.
    async fn wait(&self, pause: Duration) -> bool {
        match self.deadline {
            Some(deadline) => {
                let now = Instant::now();
                if now >= deadline {
                    return false;
                }
                tokio::time::sleep(pause.min(deadline - now)).await;
            }
            None => tokio::time::sleep(pause).await,
        }
        true
    }
}

/// Polls `check` until it reports done or failed, or `config.timeout` passes. For
/// conditions of your own. A transient error from `check` (see
/// [`Error::is_retryable`]) is ridden out for up to `config.error_budget`; any other
/// error ends the wait.
pub async fn wait_until<T, F, Fut>(config: WaitConfig, check: F) -> Result<WaitOutcome<T>, Error>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Poll<T>, Error>>,
{
    poll_until(config, &Progress::none(), check).await
}

/// [`wait_until`], reporting every record polled to `progress`.
async fn poll_until<T, F, Fut>(
    config: WaitConfig,
    progress: &Progress<T>,
    mut check: F,
) -> Result<WaitOutcome<T>, Error>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Poll<T>, Error>>,
{
    let mut pacer = Pacer::new(config);
    let mut failing_since: Option<Instant> = None;
    let mut last = None;
    loop {
        match check().await {
            Ok(Poll::Done(t)) => {
                progress.report(&t);
                return Ok(WaitOutcome::Done(t));
            }
            Ok(Poll::Failed(t)) => {
                progress.report(&t);
                return Ok(WaitOutcome::Failed(t));
            }
            Ok(Poll::Pending(t)) => {
                progress.report(&t);
                failing_since = None;
                last = Some(t);
            }
            Err(error) if error.is_retryable() => {
                let since = *failing_since.get_or_insert_with(Instant::now);
                // A 429 that asks for a wait: not before then, and only if it fits.
                let asked = match &error {
                    Error::RateLimited {
                        retry_after: Some(wait),
                        ..
                    } => *wait,
                    _ => Duration::ZERO,
                };
                if since.elapsed().saturating_add(asked) >= config.error_budget {
                    return Err(error);
                }
                tracing::warn!(%error, "polling failed; trying again at the next poll");
                if !pacer.wait(asked).await {
                    return Ok(WaitOutcome::TimedOut(last));
                }
            }
            Err(error) => return Err(error),
        }
        if !pacer.pause().await {
            return Ok(WaitOutcome::TimedOut(last));
        }
    }
}

/// Logs each unknown status once per wait.
#[derive(Default)]
struct UnknownStatuses(std::sync::Mutex<HashSet<String>>);

impl UnknownStatuses {
    fn note(&self, what: &str, status: &str) {
        let first = self
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(status.to_string());
        if first {
            tracing::warn!(
                what,
                status,
                "status unknown to this SDK version; treating it as not finished yet"
            );
        }
    }
}

/// Where a model program run is.
pub fn classify_run(run: &types::ModelProgramRun) -> Poll<()> {
    match &run.status {
        ModelProgramRunStatus::Complete if run.model_uuid.as_deref().is_some_and(|m| !m.is_empty()) => Poll::Done(()),
        ModelProgramRunStatus::Failed | ModelProgramRunStatus::Invalid => Poll::Failed(()),
        // Complete without an output model yet, pending, preparing, anything new.
        _ => Poll::Pending(()),
    }
}

/// Where a part order is with packing: how many printed parts are in each status,
/// and the builds made for it so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PackingProgress {
    /// Printed parts by status (wire value).
    pub by_status: BTreeMap<String, usize>,
    /// Builds the packer has made for the order so far.
    pub build_uuids: Vec<String>,
    /// Printed parts in all.
    pub total: usize,
}

impl PackingProgress {
    /// Printed parts that reached printing or beyond (printing, complete, failed,
    /// canceled).
    pub fn packed(&self) -> usize {
        ["printing", "complete", "failed", "canceled"]
            .iter()
            .map(|s| self.by_status.get(*s).copied().unwrap_or(0))
            .sum()
    }
}

fn is_packed_status(status: &PrintedPartStatus) -> Option<bool> {
    match status {
        PrintedPartStatus::Printing
        | PrintedPartStatus::Complete
        | PrintedPartStatus::Failed
        | PrintedPartStatus::Canceled => Some(true),
        PrintedPartStatus::Waiting | PrintedPartStatus::Preparing | PrintedPartStatus::Queued => Some(false),
        _ => None,
    }
}

/// Copies printed of a print order, summed over its printers.
fn copies_printed(order: &types::PrintOrder) -> i64 {
    order
        .routed_to
        .iter()
        .flat_map(|routes| routes.values())
        .map(|route| route.copies_printed.unwrap_or(0).max(0))
        .fold(0i64, i64::saturating_add)
}

impl Client {
    /// Waits for a model program run to complete with an output model (`Done`), or
    /// to fail (`Failed`, see its `failure_message`). `progress` sees each poll.
    pub async fn wait_until_model_program_run_complete(
        &self,
        run_uuid: &str,
        config: WaitConfig,
        progress: Progress<types::ModelProgramRun>,
    ) -> Result<WaitOutcome<types::ModelProgramRun>, Error> {
        use crate::RunExt;
        let unknown = UnknownStatuses::default();
        poll_until(config, &progress, || async {
            let run = self.get_model_program_run().uuid(run_uuid).run().await?;
            if !run.status.is_known() {
                unknown.note("model program run", run.status.as_str());
            }
            Ok(match classify_run(&run) {
                Poll::Done(()) => Poll::Done(run),
                Poll::Failed(()) => Poll::Failed(run),
                Poll::Pending(()) => Poll::Pending(run),
            })
        })
        .await
    }

    /// Waits for several runs at once with the batch look-up (100 per request). The
    /// outcome of each run, keyed by uuid; `TimedOut` for those still running at
    /// the deadline. `progress` sees the latest record of every run at each poll.
    ///
    /// A run the API stops returning (dropped by the server), or does not return on
    /// two polls in a row (never created), ends the wait with [`Error::Vanished`]
    /// naming every such run, instead of being waited on until the timeout.
    pub async fn wait_until_model_program_runs_complete(
        &self,
        run_uuids: &[String],
        config: WaitConfig,
        progress: Progress<[types::ModelProgramRun]>,
    ) -> Result<BTreeMap<String, WaitOutcome<types::ModelProgramRun>>, Error> {
        use crate::ChunkExt;
        let unknown = UnknownStatuses::default();
        let wanted: HashSet<&String> = run_uuids.iter().collect();
        // The latest record of every run seen; finished runs are not asked for again.
        let latest: std::sync::Mutex<BTreeMap<String, types::ModelProgramRun>> = Default::default();
        let finished = |run: &types::ModelProgramRun| !matches!(classify_run(run), Poll::Pending(()));
        // Runs asked for and not returned on the last poll.
        let absent: std::sync::Mutex<HashSet<String>> = Default::default();
        let outcome = poll_until(config, &Progress::none(), || async {
            let open: Vec<String> = {
                let latest = latest.lock().unwrap_or_else(|e| e.into_inner());
                run_uuids
                    .iter()
                    .filter(|u| !latest.get(*u).is_some_and(finished))
                    .cloned()
                    .collect()
            };
            let runs: Vec<types::ModelProgramRun> = if open.is_empty() {
                Vec::new()
            } else {
                self.get_model_program_runs()
                    .chunked(open.clone(), |b, chunk| b.uuid(chunk))
                    .collect()
                    .await?
            };
            let returned: HashSet<&str> = runs.iter().filter_map(|r| r.uuid.as_deref()).collect();
            let missing: HashSet<String> = open
                .iter()
                .filter(|u| !returned.contains(u.as_str()))
                .cloned()
                .collect();
            {
                // Gone: returned before and not now, or not returned twice in a row.
                let seen = latest.lock().unwrap_or_else(|e| e.into_inner());
                let mut absent = absent.lock().unwrap_or_else(|e| e.into_inner());
                let mut gone: Vec<String> = missing
                    .iter()
                    .filter(|u| absent.contains(*u) || seen.contains_key(*u))
                    .cloned()
                    .collect();
                if !gone.is_empty() {
                    gone.sort();
                    return Err(Error::Vanished {
                        call: crate::error::Call::new("get_model_program_runs"),
                        what: "model program runs",
                        ids: gone,
                    });
                }
                *absent = missing;
            }
            let mut latest = latest.lock().unwrap_or_else(|e| e.into_inner());
            for run in runs {
                let Some(uuid) = run.uuid.clone().filter(|u| wanted.contains(u)) else {
                    continue;
                };
                if !run.status.is_known() {
                    unknown.note("model program run", run.status.as_str());
                }
                latest.insert(uuid, run);
            }
            let snapshot: Vec<types::ModelProgramRun> = latest.values().cloned().collect();
            progress.report(&snapshot);
            let all_finished = run_uuids.iter().all(|u| latest.get(u).is_some_and(finished));
            Ok(if all_finished {
                Poll::Done(latest.clone())
            } else {
                Poll::Pending(latest.clone())
            })
        })
        .await?;
        let latest = match outcome {
            WaitOutcome::Done(latest) | WaitOutcome::Failed(latest) => latest,
            WaitOutcome::TimedOut(latest) => latest.unwrap_or_default(),
        };
        Ok(run_uuids
            .iter()
            .map(|uuid| {
                let outcome = match latest.get(uuid).cloned() {
                    Some(run) => match classify_run(&run) {
                        Poll::Done(()) => WaitOutcome::Done(run),
                        Poll::Failed(()) => WaitOutcome::Failed(run),
                        Poll::Pending(()) => WaitOutcome::TimedOut(Some(run)),
                    },
                    None => WaitOutcome::TimedOut(None),
                };
                (uuid.clone(), outcome)
            })
            .collect())
    }

    /// The packing progress of a part order, from its record and all its printed parts.
    pub async fn packing_progress(&self, part_order_uuid: &str) -> Result<(types::PartOrder, PackingProgress), Error> {
        use crate::{PaginateExt, RunExt};
        let order = self.get_part_order().uuid(part_order_uuid).run().await?;
        let parts: Vec<types::PrintedPart> = self
            .get_printed_parts()
            .limit(1000)
            .part_order_uuid(vec![part_order_uuid.to_string()])
            .items()
            .try_collect()
            .await?;
        let mut progress = PackingProgress {
            total: parts.len(),
            build_uuids: order.build_uuids.clone().unwrap_or_default(),
            ..Default::default()
        };
        for part in &parts {
            *progress.by_status.entry(part.status.as_str().to_string()).or_default() += 1;
        }
        Ok((order, progress))
    }

    /// Waits until a part order is packed: every one of its printed parts has reached
    /// `printing` or beyond (the vendor's definition). `progress` sees each poll's
    /// counts and builds. A canceled order ends the wait as `Failed`.
    pub async fn wait_until_part_order_packed(
        &self,
        part_order_uuid: &str,
        config: WaitConfig,
        progress: Progress<PackingProgress>,
    ) -> Result<WaitOutcome<(types::PartOrder, PackingProgress)>, Error> {
        let unknown = UnknownStatuses::default();
        let outcome = poll_until(config, &Progress::none(), || async {
            let (order, packing) = self.packing_progress(part_order_uuid).await?;
            progress.report(&packing);
            let mut all_packed = packing.total > 0;
            for status in packing.by_status.keys() {
                match is_packed_status(&PrintedPartStatus::from(status.as_str())) {
                    Some(true) => {}
                    Some(false) => all_packed = false,
                    None => {
                        unknown.note("printed part", status);
                        all_packed = false;
                    }
                }
            }
            Ok(if order.status == Some(PartOrderStatus::Canceled) {
                Poll::Failed((order, packing))
            } else if all_packed {
                Poll::Done((order, packing))
            } else {
                Poll::Pending((order, packing))
            })
        })
        .await?;
        Ok(outcome)
    }

    /// Waits until a part order is finished: `complete` is `Done`; `incomplete` and
    /// `canceled` are `Failed` (with the final record). `progress` sees each poll.
    pub async fn wait_until_part_order_finished(
        &self,
        part_order_uuid: &str,
        config: WaitConfig,
        progress: Progress<types::PartOrder>,
    ) -> Result<WaitOutcome<types::PartOrder>, Error> {
        use crate::RunExt;
        let unknown = UnknownStatuses::default();
        poll_until(config, &progress, || async {
            let order = self.get_part_order().uuid(part_order_uuid).run().await?;
            Ok(match &order.status {
                Some(PartOrderStatus::Complete) => Poll::Done(order),
                Some(PartOrderStatus::Incomplete | PartOrderStatus::Canceled) => Poll::Failed(order),
                Some(other) => {
                    if !other.is_known() {
                        unknown.note("part order", other.as_str());
                    }
                    Poll::Pending(order)
                }
                None => Poll::Pending(order),
            })
        })
        .await
    }

    /// Waits until a print order's copies printed, summed over its printers, reach its
    /// `total_copies` (at least one copy, whatever the record says). `Failed` when
    /// the order is routed to no printer at all: nothing will ever print it.
    /// `progress` sees each poll.
    pub async fn wait_until_print_order_printed(
        &self,
        print_order_uuid: &str,
        config: WaitConfig,
        progress: Progress<types::PrintOrder>,
    ) -> Result<WaitOutcome<types::PrintOrder>, Error> {
        use crate::RunExt;
        poll_until(config, &progress, || async {
            let order = self.get_print_order().uuid(print_order_uuid).run().await?;
            let wanted = order.total_copies.max(1);
            let routed = order.routed_to.as_ref().is_some_and(|routes| !routes.is_empty());
            Ok(if copies_printed(&order) >= wanted {
                Poll::Done(order)
            } else if !routed {
                Poll::Failed(order)
            } else {
                Poll::Pending(order)
            })
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn quick() -> WaitConfig {
        WaitConfig::new(
            Duration::from_secs(10),
            Duration::from_secs(60),
            Duration::from_secs(600),
        )
    }

    #[tokio::test(start_paused = true)]
    async fn done_after_some_polls_with_growing_pauses() {
        let polls = Arc::new(AtomicU32::new(0));
        let start = Instant::now();
        let outcome = wait_until(quick(), || {
            let n = polls.fetch_add(1, Ordering::SeqCst) + 1;
            async move { Ok(if n == 4 { Poll::Done(n) } else { Poll::Pending(n) }) }
        })
        .await
        .unwrap();
        assert_eq!(outcome, WaitOutcome::Done(4));
        // Pauses of 10, 15 and 22.5 seconds.
        assert_eq!(Instant::now() - start, Duration::from_millis(47_500));
    }

    #[tokio::test(start_paused = true)]
    async fn no_deadline_and_zero_pauses_are_safe() {
        let mut pacer = Pacer::new(WaitConfig::new(Duration::ZERO, Duration::ZERO, Duration::MAX));
        let start = Instant::now();
        assert!(pacer.pause().await);
        assert_eq!(Instant::now() - start, MIN_POLL_INTERVAL);
    }

    #[tokio::test(start_paused = true)]
    async fn failed_is_final() {
        let outcome = wait_until(quick(), || async { Ok(Poll::Failed("broken")) })
            .await
            .unwrap();
        assert_eq!(outcome, WaitOutcome::Failed("broken"));
    }

    #[tokio::test(start_paused = true)]
    async fn times_out_with_the_last_record() {
        let start = Instant::now();
        let polls = Arc::new(AtomicU32::new(0));
        let outcome = wait_until(quick(), || {
            std::future::ready(Ok(Poll::Pending(polls.fetch_add(1, Ordering::SeqCst))))
        })
        .await
        .unwrap();
        assert!(matches!(outcome, WaitOutcome::TimedOut(Some(_))));
        assert_eq!(Instant::now() - start, Duration::from_secs(600));
    }

    #[tokio::test(start_paused = true)]
    async fn dropping_the_wait_stops_polling() {
        let polls = Arc::new(AtomicU32::new(0));
        let counter = polls.clone();
        let wait = tokio::spawn(async move {
            wait_until(quick(), || {
                std::future::ready(Ok(Poll::Pending(counter.fetch_add(1, Ordering::SeqCst))))
            })
            .await
        });
        tokio::time::sleep(Duration::from_secs(30)).await;
        wait.abort();
        let seen = polls.load(Ordering::SeqCst);
        tokio::time::sleep(Duration::from_secs(600)).await;
        assert_eq!(polls.load(Ordering::SeqCst), seen);
    }

    fn run(status: &str, model: Option<&str>) -> types::ModelProgramRun {
        serde_json::from_value(serde_json::json!({"uuid": "r", "status": status, "progress": 0.5, "model_uuid": model}))
            .unwrap()
    }

    #[test]
    fn runs_are_classified_without_failing_on_new_statuses() {
        assert_eq!(classify_run(&run("complete", Some("m"))), Poll::Done(()));
        assert_eq!(classify_run(&run("complete", None)), Poll::Pending(()));
        assert_eq!(classify_run(&run("complete", Some(""))), Poll::Pending(()));
        assert_eq!(classify_run(&run("failed", None)), Poll::Failed(()));
        assert_eq!(classify_run(&run("invalid", None)), Poll::Failed(()));
        assert_eq!(classify_run(&run("pending", None)), Poll::Pending(()));
        assert_eq!(classify_run(&run("queued_for_gpu", None)), Poll::Pending(()));
    }
}
