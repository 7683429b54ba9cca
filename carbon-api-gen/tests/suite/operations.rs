//! Every operation of the API, called once through the generated client against a
//! mock server: method, path, query encoding, headers and body on the way out, a
//! realistic response decoded on the way back. A module per area of the API.

mod models;
mod orders;
mod printing;

const T0: &str = "2026-11-02T10:00:00Z";

fn ts(text: &str) -> carbon_api_gen::Timestamp {
    text.parse().unwrap()
}

/// The operations the tests of this module's areas call. A regen that adds an
/// operation fails here until it has a test.
const COVERED: [&str; 35] = [
    "getApplications",
    "getAttachment",
    "getBuilds",
    "getBuild",
    "getModelProgramRuns",
    "createModelProgramRun",
    "getModelProgramRun",
    "findModels",
    "uploadModel",
    "getPresignedUploadUrl",
    "resolvePresignedModelUpload",
    "getModel",
    "downloadModel",
    "getPartMeasurementTemplates",
    "getPartMeasurements",
    "getPartOrders",
    "createPartOrder",
    "deletePartOrder",
    "getPartOrder",
    "updatePartOrder",
    "getParts",
    "createPart",
    "getPart",
    "getPrintOrders",
    "createPrintOrder",
    "getPrintOrder",
    "updatePrintOrder",
    "getPrintQualityData",
    "getPrintedParts",
    "getPrintedPart",
    "getPrinters",
    "getPrinter",
    "getPrints",
    "getPrinterQueues",
    "updatePrinterQueue",
];

#[test]
fn every_operation_of_the_document_is_covered() {
    let mut covered = COVERED.to_vec();
    covered.sort_unstable();
    assert_eq!(crate::common::document_operation_ids(), covered);
}
