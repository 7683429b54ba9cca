//! Re-running `carbon order` after it crashed at any point of the workflow does no
//! duplicate work and ends in the same state: exactly one model per file, one part
//! per model, one order.

use crate::support;

use support::{Setup, ok, order_args, stderr};

const FILES: usize = 3;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_anywhere_then_a_rerun_ends_with_each_thing_made_once() {
    let mut crashed_at = Vec::new();
    for point in 1..=20u32 {
        // Time stands still: the order stays open between the runs, as it does
        // when a real re-run follows a crash.
        let s = Setup::frozen().await;
        let files = s.meshes(FILES);
        let mut args = order_args(&files, "PN-1", "PO-CRASH");
        args.extend(["--flush", "--quiet"]);

        let point_text = point.to_string();
        let first = s.carbon_with(&args, &[("CARBON_CLI_CRASH_AT", &point_text)]).await;
        if first.status.success() {
            // Past the last checkpoint: the workflow ran through.
            assert!(!stderr(&first).contains("crashing"));
            break;
        }
        assert!(
            stderr(&first).contains(&format!("crashing at checkpoint {point}")),
            "run {point} failed otherwise: {}",
            stderr(&first)
        );
        crashed_at.push(point);

        ok(&s.carbon(&args).await);
        let counts = s.sim.counts();
        assert_eq!(
            (counts.models, counts.parts, counts.part_orders),
            (FILES, FILES, 1),
            "after a crash at checkpoint {point} and a re-run"
        );
        // And once more: still the same.
        ok(&s.carbon(&args).await);
        assert_eq!(s.sim.counts(), counts, "a third run after a crash at {point}");
    }
    assert!(crashed_at.len() >= 10, "crashed at only {crashed_at:?}");
}
