//! What Carbon's records mean for a wait (which statuses are done, failed, or
//! not there yet, an unknown one included) and the waiters named for them
//! (`wait_until_<resource>_<state>`), on the poller of the parent module.

use std::collections::{BTreeMap, HashSet};

use futures::future::BoxFuture;
use futures::{FutureExt, TryStreamExt};

use super::waiter::{RecordWaiter, Waiter};
use super::{Poll, WaitConfig, WaitOutcome, poll_until};
use crate::enums::{ModelProgramRunStatus, PartOrderStatus, PrintedPartStatus};
use crate::{Client, Error, Progress, RunExt, types};

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
        self.by_status
            .iter()
            .filter(|(status, _)| is_packed_status(&PrintedPartStatus::from(status.as_str())) == Some(true))
            .map(|(_, count)| count)
            .sum()
    }
}

/// Whether a printed part in `status` is packed: `None` for a status this SDK
/// version does not know.
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
    /// to fail (`Failed`, see its `failure_message`). Await the [`Waiter`].
    pub fn wait_until_model_program_run_complete(&self, uuid: &str) -> RecordWaiter<types::ModelProgramRun> {
        record_waiter(
            self,
            uuid,
            |c, uuid| c.get_model_program_run().uuid(uuid).run().boxed(),
            run_complete,
        )
    }

    /// Waits for several runs at once with the batch look-up (100 per request). The
    /// outcome of each run, keyed by uuid; `TimedOut` for those still running at
    /// the deadline. Its [`Waiter::progress`] sees the latest record of every run
    /// at each poll.
    ///
    /// A run the API stops returning (dropped by the server), or does not return on
    /// two polls in a row (never created), ends the wait with [`Error::Vanished`]
    /// naming every such run, instead of being waited on until the timeout.
    pub fn wait_until_model_program_runs_complete(
        &self,
        uuids: &[String],
    ) -> Waiter<BTreeMap<String, WaitOutcome<types::ModelProgramRun>>, [types::ModelProgramRun]> {
        let (client, run_uuids) = (self.clone(), uuids.to_vec());
        Waiter::new(move |config, progress| {
            async move { client.runs_complete(run_uuids, config, progress).await }.boxed()
        })
    }

    /// The wait of [`Client::wait_until_model_program_runs_complete`].
    async fn runs_complete(
        &self,
        run_uuids: Vec<String>,
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
                    Some(run) => match classify_run(&run).carrying(run) {
                        Poll::Done(run) => WaitOutcome::Done(run),
                        Poll::Failed(run) => WaitOutcome::Failed(run),
                        Poll::Pending(run) => WaitOutcome::TimedOut(Some(run)),
                    },
                    None => WaitOutcome::TimedOut(None),
                };
                (uuid.clone(), outcome)
            })
            .collect())
    }

    /// The packing progress of a part order, from its record and all its printed parts.
    pub async fn packing_progress(&self, part_order_uuid: &str) -> Result<(types::PartOrder, PackingProgress), Error> {
        use crate::PaginateExt;
        let order = self.get_part_order().uuid(part_order_uuid).run().await?;
        // Counted as they come: an order of many parts is never held whole.
        let mut parts = self
            .get_printed_parts()
            .limit(1000)
            .part_order_uuid(vec![part_order_uuid.to_string()])
            .items();
        let mut progress = PackingProgress {
            build_uuids: order.build_uuids.clone().unwrap_or_default(),
            ..Default::default()
        };
        while let Some(part) = parts.try_next().await? {
            progress.total += 1;
            *progress.by_status.entry(part.status.as_str().to_string()).or_default() += 1;
        }
        Ok((order, progress))
    }

    /// Waits until a part order is packed: every one of its printed parts has reached
    /// `printing` or beyond (the vendor's definition). Its [`Waiter::progress`]
    /// sees each poll's counts and builds. A canceled order ends the wait as
    /// `Failed`.
    pub fn wait_until_part_order_packed(
        &self,
        uuid: &str,
    ) -> Waiter<WaitOutcome<(types::PartOrder, PackingProgress)>, PackingProgress> {
        let (client, uuid) = (self.clone(), uuid.to_string());
        Waiter::new(move |config, progress| async move { client.packed(uuid, config, progress).await }.boxed())
    }

    /// The wait of [`Client::wait_until_part_order_packed`].
    async fn packed(
        &self,
        part_order_uuid: String,
        config: WaitConfig,
        progress: Progress<PackingProgress>,
    ) -> Result<WaitOutcome<(types::PartOrder, PackingProgress)>, Error> {
        let unknown = UnknownStatuses::default();
        let outcome = poll_until(config, &Progress::none(), || async {
            let (order, packing) = self.packing_progress(&part_order_uuid).await?;
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
    /// `canceled` are `Failed` (with the final record). Await the [`Waiter`].
    pub fn wait_until_part_order_finished(&self, uuid: &str) -> RecordWaiter<types::PartOrder> {
        record_waiter(
            self,
            uuid,
            |c, uuid| c.get_part_order().uuid(uuid).run().boxed(),
            part_order_finished,
        )
    }

    /// Waits until a print order's copies printed, summed over its printers, reach its
    /// `total_copies` (at least one copy, whatever the record says). `Failed` when
    /// the order is routed to no printer at all: nothing will ever print it.
    /// Await the [`Waiter`].
    pub fn wait_until_print_order_printed(&self, uuid: &str) -> RecordWaiter<types::PrintOrder> {
        record_waiter(
            self,
            uuid,
            |c, uuid| c.get_print_order().uuid(uuid).run().boxed(),
            print_order_printed,
        )
    }
}

/// A model program run waited on: [`classify_run`], noting a status this SDK
/// version does not know.
fn run_complete(run: &types::ModelProgramRun, unknown: &UnknownStatuses) -> Poll<()> {
    if !run.status.is_known() {
        unknown.note("model program run", run.status.as_str());
    }
    classify_run(run)
}

/// A part order waited on until finished.
fn part_order_finished(order: &types::PartOrder, unknown: &UnknownStatuses) -> Poll<()> {
    match &order.status {
        Some(PartOrderStatus::Complete) => Poll::Done(()),
        Some(PartOrderStatus::Incomplete | PartOrderStatus::Canceled) => Poll::Failed(()),
        Some(other) => {
            if !other.is_known() {
                unknown.note("part order", other.as_str());
            }
            Poll::Pending(())
        }
        None => Poll::Pending(()),
    }
}

/// A print order waited on until every copy is printed.
fn print_order_printed(order: &types::PrintOrder, _: &UnknownStatuses) -> Poll<()> {
    let routed = order.routed_to.as_ref().is_some_and(|routes| !routes.is_empty());
    if copies_printed(order) >= order.total_copies.max(1) {
        Poll::Done(())
    } else if !routed {
        Poll::Failed(())
    } else {
        Poll::Pending(())
    }
}

/// A waiter on the record with `uuid`, fetched by `fetch` again at each poll
/// and judged by `judge` (which notes a status unknown to this SDK version in
/// the wait's `UnknownStatuses`).
fn record_waiter<T: Send + 'static>(
    client: &Client,
    uuid: &str,
    fetch: for<'c> fn(&'c Client, &'c str) -> BoxFuture<'c, Result<T, Error>>,
    judge: fn(&T, &UnknownStatuses) -> Poll<()>,
) -> RecordWaiter<T> {
    let (client, uuid) = (client.clone(), uuid.to_string());
    Waiter::new(move |config, progress| {
        async move {
            let unknown = UnknownStatuses::default();
            poll_until(config, &progress, || async {
                let record = fetch(&client, &uuid).await?;
                Ok(judge(&record, &unknown).carrying(record))
            })
            .await
        }
        .boxed()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(status: &str, model: Option<&str>) -> types::ModelProgramRun {
        serde_json::from_value(serde_json::json!({"uuid": "r", "status": status, "progress": 0.5, "model_uuid": model}))
            .unwrap()
    }

    #[test]
    fn packed_counts_the_statuses_the_packed_waiter_counts() {
        let progress = PackingProgress {
            by_status: [("printing", 2), ("waiting", 1), ("complete", 1), ("reworked", 3)]
                .into_iter()
                .map(|(status, n)| (status.to_string(), n))
                .collect(),
            ..Default::default()
        };
        assert_eq!(
            progress.packed(),
            3,
            "a status this version does not know is not packed"
        );
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
