//! Waiters: poll a record until it reaches the state you need, with backoff, an
//! overall deadline, and a typed outcome.
//!
//! Unlike a `sleep(30)` loop, a waiter never fails on a status it does not know: an
//! unknown status means "not there yet" (and is logged once). Waiting is
//! cancellation-safe: drop the future and nothing is left running.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use futures::TryStreamExt;
use tokio::time::Instant;

use crate::enums::{ModelProgramRunStatus, PartOrderStatus, PrintedPartStatus};
use crate::{Client, Error, types};

/// How to poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitConfig {
    /// First pause between polls.
    pub min_interval: Duration,
    /// Longest pause; each pause is 1.5 times the one before, up to this.
    pub max_interval: Duration,
    /// Give up after this long in total.
    pub timeout: Duration,
}

impl Default for WaitConfig {
    /// 5 s growing to 60 s, for up to 24 hours: packing and printing take hours.
    fn default() -> Self {
        Self {
            min_interval: Duration::from_secs(5),
            max_interval: Duration::from_secs(60),
            timeout: Duration::from_secs(24 * 3600),
        }
    }
}

impl WaitConfig {
    /// Polls between `min` and `max` apart, for at most `timeout`.
    pub fn new(min: Duration, max: Duration, timeout: Duration) -> Self {
        Self {
            min_interval: min,
            max_interval: max.max(min),
            timeout,
        }
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
#[derive(Debug)]
pub struct Pacer {
    deadline: Instant,
    interval: Duration,
    max: Duration,
}

impl Pacer {
    /// Starts the clock.
    pub fn new(config: WaitConfig) -> Self {
        let now = Instant::now();
        // Duration::MAX means "no deadline"; a century is as good.
        let deadline = now
            .checked_add(config.timeout)
            .unwrap_or(now + Duration::from_secs(100 * 365 * 24 * 3600));
        // A zero pause would never grow: poll at least 10 ms apart.
        let interval = config.min_interval.max(MIN_POLL_INTERVAL);
        Self {
            deadline,
            interval,
            max: config.max_interval.max(interval),
        }
    }

    /// Sleeps until the next poll. `false` when the deadline has passed: stop. The
    /// last pause ends at the deadline, so the poll after it is a last look.
    pub async fn pause(&mut self) -> bool {
        let now = Instant::now();
        if now >= self.deadline {
            return false;
        }
        tokio::time::sleep(self.interval.min(self.deadline - now)).await;
        self.interval = self.interval.mul_f64(1.5).min(self.max);
        true
    }
}

/// Polls `check` until it reports done or failed, or `config.timeout` passes. For
/// conditions of your own; errors from `check` end the wait (the client has already
/// retried what can be retried).
pub async fn wait_until<T, F, Fut>(config: WaitConfig, mut check: F) -> Result<WaitOutcome<T>, Error>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Poll<T>, Error>>,
{
    let mut pacer = Pacer::new(config);
    loop {
        let pending = match check().await? {
            Poll::Done(t) => return Ok(WaitOutcome::Done(t)),
            Poll::Failed(t) => return Ok(WaitOutcome::Failed(t)),
            Poll::Pending(t) => t,
        };
        if !pacer.pause().await {
            return Ok(WaitOutcome::TimedOut(Some(pending)));
        }
    }
}

/// Logs each unknown status once per wait.
#[derive(Default)]
struct UnknownStatuses(HashSet<String>);

impl UnknownStatuses {
    fn note(&mut self, what: &str, status: &str) {
        if self.0.insert(status.to_string()) {
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

impl Client {
    /// Waits for a model program run to complete with an output model (`Done`), or
    /// to fail (`Failed`, see its `failure_message`).
    pub async fn wait_for_model_program_run(
        &self,
        run_uuid: &str,
        config: WaitConfig,
    ) -> Result<WaitOutcome<types::ModelProgramRun>, Error> {
        use crate::RunExt;
        let mut unknown = UnknownStatuses::default();
        let mut pacer = Pacer::new(config);
        loop {
            let run = self.get_model_program_run().uuid(run_uuid).run().await?;
            if !run.status.is_known() {
                unknown.note("model program run", run.status.as_str());
            }
            match classify_run(&run) {
                Poll::Done(()) => return Ok(WaitOutcome::Done(run)),
                Poll::Failed(()) => return Ok(WaitOutcome::Failed(run)),
                Poll::Pending(()) => {}
            }
            if !pacer.pause().await {
                return Ok(WaitOutcome::TimedOut(Some(run)));
            }
        }
    }

    /// Waits for several runs at once with the batch look-up (100 per request). The
    /// outcome of each run, keyed by uuid; `TimedOut` for those still running at
    /// the deadline.
    pub async fn wait_for_model_program_runs(
        &self,
        run_uuids: &[String],
        config: WaitConfig,
    ) -> Result<BTreeMap<String, WaitOutcome<types::ModelProgramRun>>, Error> {
        use crate::ChunkExt;
        let mut finished: BTreeMap<String, WaitOutcome<types::ModelProgramRun>> = BTreeMap::new();
        let mut latest: BTreeMap<String, types::ModelProgramRun> = BTreeMap::new();
        let mut unknown = UnknownStatuses::default();
        let mut pacer = Pacer::new(config);
        loop {
            let open: Vec<String> = run_uuids
                .iter()
                .filter(|u| !finished.contains_key(*u))
                .cloned()
                .collect();
            if open.is_empty() {
                return Ok(finished);
            }
            let runs = self
                .get_model_program_runs()
                .chunked(open, |b, chunk| b.uuid(chunk))
                .collect()
                .await?;
            for run in runs {
                let Some(uuid) = run.uuid.clone() else { continue };
                if !run.status.is_known() {
                    unknown.note("model program run", run.status.as_str());
                }
                match classify_run(&run) {
                    Poll::Done(()) => {
                        finished.insert(uuid, WaitOutcome::Done(run));
                    }
                    Poll::Failed(()) => {
                        finished.insert(uuid, WaitOutcome::Failed(run));
                    }
                    Poll::Pending(()) => {
                        latest.insert(uuid, run);
                    }
                }
            }
            if run_uuids.iter().all(|u| finished.contains_key(u)) {
                return Ok(finished);
            }
            if !pacer.pause().await {
                for uuid in run_uuids {
                    if !finished.contains_key(uuid) {
                        finished.insert(uuid.clone(), WaitOutcome::TimedOut(latest.remove(uuid)));
                    }
                }
                return Ok(finished);
            }
        }
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
    /// `printing` or beyond (the vendor's definition). `on_progress` sees each poll's
    /// counts and builds. A canceled order ends the wait as `Failed`.
    pub async fn wait_until_packed(
        &self,
        part_order_uuid: &str,
        config: WaitConfig,
        mut on_progress: impl FnMut(&PackingProgress) + Send,
    ) -> Result<WaitOutcome<(types::PartOrder, PackingProgress)>, Error> {
        let mut unknown = UnknownStatuses::default();
        let mut pacer = Pacer::new(config);
        loop {
            let (order, progress) = self.packing_progress(part_order_uuid).await?;
            on_progress(&progress);
            let mut all_packed = progress.total > 0;
            for status in progress.by_status.keys() {
                match is_packed_status(&PrintedPartStatus::from(status.as_str())) {
                    Some(true) => {}
                    Some(false) => all_packed = false,
                    None => {
                        unknown.note("printed part", status);
                        all_packed = false;
                    }
                }
            }
            if order.status == Some(PartOrderStatus::Canceled) {
                return Ok(WaitOutcome::Failed((order, progress)));
            }
            if all_packed {
                return Ok(WaitOutcome::Done((order, progress)));
            }
            if !pacer.pause().await {
                return Ok(WaitOutcome::TimedOut(Some((order, progress))));
            }
        }
    }

    /// Waits until a part order is finished: `complete` is `Done`; `incomplete` and
    /// `canceled` are `Failed` (with the final record).
    pub async fn wait_until_finished(
        &self,
        part_order_uuid: &str,
        config: WaitConfig,
    ) -> Result<WaitOutcome<types::PartOrder>, Error> {
        use crate::RunExt;
        let mut unknown = UnknownStatuses::default();
        let mut pacer = Pacer::new(config);
        loop {
            let order = self.get_part_order().uuid(part_order_uuid).run().await?;
            match &order.status {
                Some(PartOrderStatus::Complete) => return Ok(WaitOutcome::Done(order)),
                Some(PartOrderStatus::Incomplete | PartOrderStatus::Canceled) => return Ok(WaitOutcome::Failed(order)),
                Some(other) if !other.is_known() => unknown.note("part order", other.as_str()),
                _ => {}
            }
            if !pacer.pause().await {
                return Ok(WaitOutcome::TimedOut(Some(order)));
            }
        }
    }

    /// Waits until a print order's copies printed, summed over its printers, reach its
    /// `total_copies`.
    pub async fn wait_until_printed(
        &self,
        print_order_uuid: &str,
        config: WaitConfig,
    ) -> Result<WaitOutcome<types::PrintOrder>, Error> {
        use crate::RunExt;
        let mut pacer = Pacer::new(config);
        loop {
            let order = self.get_print_order().uuid(print_order_uuid).run().await?;
            let printed: i64 = order
                .routed_to
                .iter()
                .flat_map(|r| r.values())
                .map(|r| r.copies_printed.unwrap_or(0))
                .sum();
            if printed >= order.total_copies {
                return Ok(WaitOutcome::Done(order));
            }
            if !pacer.pause().await {
                return Ok(WaitOutcome::TimedOut(Some(order)));
            }
        }
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
