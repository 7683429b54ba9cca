//! The export engine against the simulator: its rows are the plain join of every
//! printed part with its print.

use std::collections::HashMap;

use carbon_ext::export::PartFilters;
use carbon_ext::prelude::*;
use carbon_ext::types;
use carbon_sim::{Config, Simulator};
use futures::TryStreamExt;
use integration_tests::client;

#[tokio::test]
async fn the_export_is_the_plain_join_of_parts_and_prints() {
    // A finished order's history, and time standing still while it is read.
    let sim = Simulator::start(Config {
        speed: 1e-6,
        printed_parts: 2_500,
        rate_limit: None,
        ..Config::default()
    })
    .await
    .unwrap();
    let c = client(&sim);

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
    let (mut with_print, mut without) = (0, 0);
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
            (None, None) => without += 1,
            (row_print, print) => panic!("{}: exported {row_print:?}, listed {print:?}", row.part.uuid),
        }
    }
    // (Parts without a print, and prints the API does not return: the scripted
    // tests of carbon-ext.)
    assert_eq!((with_print, without), (rows.len(), 0));
}
