//! The exports against the simulator: their rows are the plain listings joined,
//! and an incremental run gives exactly what changed.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use carbon_ext::enums::PrintedPartStatus;
use carbon_ext::export::{
    Columns, MeasurementFilters, MeasurementRow, PRINT_STATUSES, PartFilters, PlanChoice, Planning, PrintFilters,
    PrintRow, WINDOW_PRINTS,
};
use carbon_ext::prelude::*;
use carbon_ext::{Timestamp, types};
use carbon_sim::{Config, Simulator};
use futures::TryStreamExt;
use integration_tests::client;

#[tokio::test]
async fn the_export_is_the_plain_join_of_parts_and_prints() {
    // A finished order's history, and time standing still while it is read.
    let sim = frozen(2_500).await;
    let c = client(&sim);
    // Parts of an order not packed yet name no print.
    order_copies(&c, "WAITING-1", 5).await;

    let rows: Vec<_> = c
        .export_printed_parts(&PartFilters::default())
        .try_collect()
        .await
        .unwrap();
    // The same, the plain way, after: every part, and every print in any status.
    let parts: Vec<types::PrintedPart> = c.get_printed_parts().limit(1000).items().try_collect().await.unwrap();
    let prints: HashMap<String, types::ModelPrint> = c
        .get_prints()
        .limit(1000)
        .status(vec![
            "queued".to_string(),
            "printing".to_string(),
            "finished".to_string(),
        ])
        .items()
        .try_filter_map(|p| async move { Ok(p.print_id.clone().map(|id| (id, p))) })
        .try_collect()
        .await
        .unwrap();

    assert_eq!(rows.len(), parts.len());
    let by_uuid: HashMap<&str, &types::PrintedPart> = parts.iter().map(|p| (p.uuid.as_str(), p)).collect();
    let (mut with_print, mut missing, mut none_named) = (0, 0, 0);
    for row in &rows {
        let row = row.as_ref().unwrap();
        let part = by_uuid[row.part.uuid.as_str()];
        let print = part.print_id.as_ref().and_then(|id| prints.get(id));
        match (&row.print, print) {
            (Some(facts), Some(print)) => {
                with_print += 1;
                assert_eq!(Some(&facts.print_id), print.print_id.as_ref());
                let serial = print.origin.as_ref().and_then(|o| o.printer_serial.clone());
                assert_eq!(facts.printer_serial, serial);
                assert_eq!(facts.started_at, print.started_at);
                assert_eq!(facts.finished_at, print.finished_at);
            }
            (None, None) if part.print_id.is_some() => missing += 1,
            (None, None) => none_named += 1,
            (row_print, print) => panic!("{}: exported {row_print:?}, listed {print:?}", row.part.uuid),
        }
    }
    // The history's oldest print (P-1000, 8 parts) is no longer held; the new
    // order's 5 parts name none.
    assert_eq!((missing, none_named), (8, 5));
    assert_eq!(with_print, rows.len() - 13);
}

/// A part order of `copies` copies of the account's first part, numbered
/// `number` (neither flushed nor packed yet).
async fn order_copies(c: &carbon_ext::Client, number: &str, copies: usize) -> types::PartOrder {
    let part = c.get_parts().limit(1).run().await.unwrap().parts.unwrap().remove(0);
    c.create_part_order()
        .body(types::PartOrderRequest {
            uuid: None,
            part_order_number: number.into(),
            due_date: "2026-12-24T00:00:00Z".parse().unwrap(),
            parts: vec![types::PartOrderRequestParts { uuid: Some(part.uuid) }; copies],
            flush: None,
            packing_group: None,
            build_sop_uuid: None,
        })
        .run()
        .await
        .unwrap()
}

/// A simulator whose time stands still, holding `printed_parts` of history.
async fn frozen(printed_parts: usize) -> Simulator {
    integration_tests::frozen(Config {
        printed_parts,
        ..Config::default()
    })
    .await
}

#[tokio::test]
async fn the_prints_and_measurements_exports_are_the_plain_listings_joined() {
    let sim = frozen(1_500).await;
    let c = client(&sim);

    // Prints: every print in the default statuses, once each.
    let rows: Vec<PrintRow> = c
        .export_prints(&PrintFilters::default())
        .map_ok(|row| row.unwrap())
        .try_collect()
        .await
        .unwrap();
    let statuses: Vec<String> = PRINT_STATUSES.iter().map(|s| s.to_string()).collect();
    let prints: Vec<types::ModelPrint> = c
        .get_prints()
        .limit(1000)
        .status(statuses)
        .items()
        .try_collect()
        .await
        .unwrap();
    assert!(prints.len() > 100, "{}", prints.len());
    let exported: BTreeMap<String, &types::ModelPrint> =
        rows.iter().map(|r| (r.print.uuid.clone().unwrap(), &r.print)).collect();
    let listed: BTreeMap<String, &types::ModelPrint> = prints.iter().map(|p| (p.uuid.clone().unwrap(), p)).collect();
    assert_eq!((rows.len(), &exported), (prints.len(), &listed));
    let cells = rows[0].cells();
    assert_eq!(cells.len(), PrintRow::COLUMNS.len());
    assert_eq!(cells[0], rows[0].print.print_id.clone().unwrap());

    // Measurements: each with its printed part's serial and number, and its
    // template's name, units and limits.
    let rows: Vec<MeasurementRow> = c
        .export_measurements(&MeasurementFilters::default())
        .map_ok(|row| row.unwrap())
        .try_collect()
        .await
        .unwrap();
    let parts: HashMap<String, types::PrintedPart> = c
        .get_printed_parts()
        .limit(1000)
        .items()
        .map_ok(|p| (p.uuid.clone(), p))
        .try_collect()
        .await
        .unwrap();
    let templates: HashMap<String, types::PartMeasurementTemplate> = c
        .get_part_measurement_templates()
        .limit(1000)
        .items()
        .map_ok(|t| (t.uuid.clone().unwrap(), t))
        .try_collect()
        .await
        .unwrap();
    let measurements: Vec<types::PartMeasurement> = c
        .get_part_measurements()
        .limit(1000)
        .items()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(rows.len(), measurements.len());
    assert_eq!(rows.len(), 1_500);
    let mut uuids = BTreeSet::new();
    for row in &rows {
        assert!(uuids.insert(row.measurement.uuid.clone().unwrap()), "once each");
        let part = &parts[row.measurement.printed_part_uuid.as_ref().unwrap()];
        let facts = row.part.as_ref().expect("its printed part");
        assert_eq!(facts.serial_number, part.serial_number);
        assert_eq!(facts.part_number, part.part_number);
        let template = &templates[row.measurement.part_measurement_template_uuid.as_ref().unwrap()];
        let facts = row.template.as_ref().expect("its template");
        assert_eq!(facts.measurement_name, template.measurement_name);
        assert_eq!(
            (facts.units.as_deref(), facts.min, facts.max),
            (Some("mm"), Some(0.8), Some(1.2))
        );
    }
    // At most a call per page and one per hundred parts or templates asked.
    assert!(sim.stats().requests < 200, "{:?}", sim.stats());
}

#[tokio::test]
async fn an_incremental_run_exports_exactly_what_changed_since_the_last() {
    let sim = frozen(1_200).await;
    let c = client(&sim);
    let listing = || async {
        let all: Vec<types::PrintedPart> = c.get_printed_parts().limit(1000).items().try_collect().await.unwrap();
        all.into_iter()
            .map(|p| (p.uuid, p.updated_at.unwrap()))
            .collect::<BTreeSet<_>>()
    };
    let run = |state| async {
        let mut run = c
            .export_printed_parts_since(&PartFilters::default(), state)
            .await
            .unwrap();
        let rows: Vec<(String, Timestamp)> = (&mut run)
            .map_ok(|row| {
                let part = row.unwrap().part;
                (part.uuid, part.updated_at.unwrap())
            })
            .try_collect()
            .await
            .unwrap();
        (rows, run.next_state().expect("ended without an error"))
    };

    let before = listing().await;
    let (first, state) = run(None).await;
    assert_eq!(
        first.iter().cloned().collect::<BTreeSet<_>>(),
        before,
        "a first run gives everything"
    );
    let (again, state) = run(Some(state)).await;
    assert_eq!(again.len(), 0, "nothing changed");

    // New printed parts of a new order, packed, printed and finished: each
    // changes several times.
    order_copies(&c, "INC-1", 30).await;
    sim.skip_time(std::time::Duration::from_secs(3600));
    let after = listing().await;
    let changed: BTreeSet<_> = after.difference(&before).cloned().collect();
    assert_eq!(changed.len(), 30);

    let (second, state) = run(Some(state)).await;
    assert_eq!(
        second.iter().cloned().collect::<BTreeSet<_>>(),
        changed,
        "exactly the changes"
    );
    assert_eq!(second.len(), changed.len(), "each once");
    let (third, _) = run(Some(state.clone())).await;
    assert_eq!(third.len(), 0, "and nothing twice");

    // A state belongs to its filters: other filters are refused before any request.
    let mut other = PartFilters::default();
    other.status = Some(carbon_ext::enums::PrintedPartStatus::Complete);
    let sent = sim.stats().requests;
    let refused = c.export_printed_parts_since(&other, Some(state)).await.err().unwrap();
    assert!(matches!(refused, carbon_ext::Error::State(_)), "{refused}");
    assert_eq!(sim.stats().requests, sent);
}

/// Every row of an export by part uuid: the print it came with (its id and
/// start), checking that no part comes twice.
async fn export_by_plan(
    c: &carbon_ext::Client,
    filters: &PartFilters,
    plan: PlanChoice,
    window_prints: usize,
) -> BTreeMap<String, Option<(String, Option<Timestamp>)>> {
    let mut planning = Planning::default();
    planning.plan = plan;
    planning.window_prints = window_prints;
    let rows: Vec<_> = c
        .export_printed_parts_planned(filters, &planning)
        .try_collect()
        .await
        .unwrap();
    let mut by_uuid = BTreeMap::new();
    for row in rows {
        let row = row.unwrap();
        let print = row.print.map(|p| (p.print_id.clone(), p.started_at));
        assert!(
            by_uuid.insert(row.part.uuid.clone(), print).is_none(),
            "{} came twice",
            row.part.uuid
        );
    }
    by_uuid
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_plans_give_the_plain_join_in_the_calls_each_promises() {
    let sim = frozen(12_000).await;
    let c = client(&sim);
    // Beside the history: parts not packed yet (no print), and a canceled order.
    for number in ["WAITING-1", "CANCELED-1"] {
        let order = order_copies(&c, number, 7).await;
        if number.starts_with("CANCELED") {
            c.delete_part_order().uuid(&order.uuid).run().await.unwrap();
        }
    }
    // The plain join: every print in the statuses the export asks for, by id.
    let statuses: Vec<String> = PRINT_STATUSES.iter().map(|s| s.to_string()).collect();
    let prints: HashMap<String, Option<Timestamp>> = c
        .get_prints()
        .limit(1000)
        .status(statuses)
        .items()
        .map_ok(|p| (p.print_id.unwrap(), p.started_at))
        .try_collect()
        .await
        .unwrap();
    let week_ago: Timestamp = (chrono::Utc::now() - chrono::Duration::days(7)).into();
    let mut since_a_week = PartFilters::default();
    since_a_week.print_times.started_after = Some(week_ago);
    let mut complete = PartFilters::default();
    complete.status = Some(PrintedPartStatus::Complete);
    let mut waiting = PartFilters::default();
    waiting.status = Some(PrintedPartStatus::Waiting);
    for filters in [PartFilters::default(), since_a_week, complete, waiting] {
        let mut listing = c.get_printed_parts().limit(1000);
        if let Some(t) = filters.print_times.started_after {
            listing = listing.started_after(t);
        }
        if let Some(s) = &filters.status {
            listing = listing.status(s.clone());
        }
        let parts: Vec<types::PrintedPart> = listing.items().try_collect().await.unwrap();
        let plain: BTreeMap<String, Option<(String, Option<Timestamp>)>> = parts
            .into_iter()
            .map(|p| {
                let print = p
                    .print_id
                    .clone()
                    .and_then(|id| prints.get(&id).map(|started| (id, *started)));
                (p.uuid, print)
            })
            .collect();
        assert!(!plain.is_empty(), "{filters:?}");
        // Windows of 700 prints (several), and of the default (one holds all).
        for (plan, window_prints) in [
            (PlanChoice::ById, 700),
            (PlanChoice::ByWindow, 700),
            (PlanChoice::ByWindow, WINDOW_PRINTS),
            (PlanChoice::Auto, 700),
        ] {
            let before = sim.stats().requests;
            let exported = export_by_plan(&c, &filters, plan, window_prints).await;
            let calls = sim.stats().requests - before;
            assert_eq!(exported.len(), plain.len(), "{plan:?} {window_prints} {filters:?}");
            assert!(
                exported == plain,
                "{plan:?} {window_prints} {filters:?}: the rows differ from the plain join"
            );
            if plan == PlanChoice::ByWindow && window_prints == 700 && filters == PartFilters::default() {
                // A page per thousand parts and per thousand prints; a window's
                // last page of parts, and the prints read past its end (its own
                // listing, and the page read ahead); the not-started statuses and
                // their check of failed and canceled parts; the probe.
                let windows = prints.len().div_ceil(700) as u64;
                let fewest = plain.len().div_ceil(1000) as u64 + prints.len().div_ceil(1000) as u64;
                assert!(
                    calls <= fewest + 3 * windows + 5 + 1 + 2,
                    "{calls} calls, fewest {fewest}"
                );
            }
        }
    }
    // The whole account is more than the API counts exactly: Auto lists by window
    // (fewer calls than looking up the prints of every page by id).
    let count = |plan| {
        let c = c.clone();
        let sim = &sim;
        async move {
            let before = sim.stats().requests;
            export_by_plan(&c, &PartFilters::default(), plan, WINDOW_PRINTS).await;
            sim.stats().requests - before
        }
    };
    let (auto, by_id, by_window) = (
        count(PlanChoice::Auto).await,
        count(PlanChoice::ById).await,
        count(PlanChoice::ByWindow).await,
    );
    assert!(
        auto <= by_window + 2 && by_window < by_id,
        "auto {auto}, by window {by_window}, by id {by_id}"
    );
    // An incremental run fetches its prints as it is told to as well (a first
    // run: every part).
    let count_since = |plan| {
        let c = c.clone();
        let sim = &sim;
        async move {
            let mut planning = Planning::default();
            planning.plan = plan;
            let before = sim.stats().requests;
            let run = c
                .export_printed_parts_since_planned(&PartFilters::default(), None, &planning)
                .await
                .unwrap();
            let rows: Vec<_> = run.try_collect().await.unwrap();
            (rows.len(), sim.stats().requests - before)
        }
    };
    let (window_rows, since_by_window) = count_since(PlanChoice::ByWindow).await;
    let (id_rows, since_by_id) = count_since(PlanChoice::ById).await;
    assert_eq!(window_rows, id_rows);
    assert!(
        since_by_window < since_by_id,
        "since, by window {since_by_window}, by id {since_by_id}"
    );
}
