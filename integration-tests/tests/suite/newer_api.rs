//! Carbon ships 0.4.18: the simulator publishes the newer document and sends
//! what it adds. The SDK keeps working, says what it met (each kind once), and
//! `carbon api check`'s library judges the document additive.

use std::time::Duration;

use carbon_ext::drift::DriftKind;
use carbon_ext::prelude::*;
use carbon_sim::{ApiDocument, Config};
use futures::TryStreamExt;
use serde_json::{Value, json};

/// 0.4.18's additions, and a member added to printers.
fn newer_document() -> Value {
    let mut doc = test_support::api_documents::additive();
    doc["components"]["schemas"]["Printer"]["properties"]["firmware_channel"] = json!({"type": "string"});
    doc
}

#[tokio::test]
async fn the_sdk_keeps_working_against_a_newer_api_and_says_so_once() {
    let sim = integration_tests::frozen(Config {
        printed_parts: 2_500,
        api_document: ApiDocument::new(newer_document().to_string()),
        ..Config::default()
    })
    .await;
    let c = integration_tests::client_builder(&sim).no_rate_limit().build().unwrap();
    let parts: Vec<_> = c.get_printed_parts().limit(1000).items().try_collect().await.unwrap();
    assert_eq!(parts.len(), 2_500, "every page decodes");
    let reworked = parts.iter().filter(|p| p.status.as_str() == "reworked").count();
    assert_eq!(reworked, 3, "the first record of each page carries the new status");
    let printers: Vec<_> = c
        .get_printers()
        .limit(10)
        .offset(0)
        .items()
        .try_collect()
        .await
        .unwrap();
    assert!(!printers.is_empty());

    let mut kinds: Vec<String> = c.drift().seen.iter().map(|d| d.kind.to_string()).collect();
    kinds.sort();
    assert_eq!(
        kinds,
        [
            "PrintedPart.rework_reason",
            "PrintedPartStatus \"reworked\"",
            "Printer.firmware_channel"
        ]
    );
    let printer_field = c
        .drift()
        .seen
        .into_iter()
        .find(|d| matches!(&d.kind, DriftKind::Field { schema: "Printer", .. }))
        .unwrap();
    assert_eq!(printer_field.operation, "get_printers");

    // The document it publishes is judged additive, as `carbon api check` judges it.
    let http = carbon_api_gen::http_client(Duration::from_secs(5), Duration::from_secs(30)).unwrap();
    let published = http
        .get(format!("{}/api.yaml", sim.base_url()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let overlay = carbon_api_regen::overlay::parse(carbon_api_spec::OVERLAY_YAML).unwrap();
    let (doc, _) = carbon_api_regen::build(&carbon_api_regen::parse("sim", &published).unwrap(), &overlay).unwrap();
    let built: Value = serde_json::from_str(carbon_api_gen::OPENAPI_JSON).unwrap();
    assert_eq!(
        carbon_api_regen::diff::diff(&built, &doc).verdict(),
        carbon_api_regen::Impact::Additive
    );
}
