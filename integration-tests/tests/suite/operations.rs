//! Every operation of the API against the simulator, through the SDK: the simulator
//! answers all 35 with state, in the document's wire format.

use std::collections::HashMap;
use std::time::Duration;

use carbon_ext::enums::{PartOrderStatus, PrintedPartStatus};
use carbon_ext::prelude::*;
use carbon_ext::{Client, Destination, Error, Progress, RemoteFile, UploadOptions, WaitOutcome, types};
use carbon_sim::{Config, Simulator};
use futures::TryStreamExt;
use integration_tests::client;

/// A simulator with a seeded history of 30 printed parts on 3 printers, its
/// time standing still (a test moves it with `skip_time`: however slow the
/// machine, an order stays as the test left it), and a client.
async fn started() -> (Simulator, Client) {
    let sim = integration_tests::frozen(Config {
        printed_parts: 30,
        printers: 3,
        ..Config::default()
    })
    .await;
    let c = client(&sim);
    (sim, c)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn applications_and_models() {
    let (_sim, c) = started().await;
    let dir = tempfile::tempdir().unwrap();

    // Applications.
    let apps = c.get_applications().run().await.unwrap().applications;
    assert_eq!(apps.len(), 2);

    // Models: direct upload, presigned upload, find, get, download.
    let mesh = dir.path().join("m.stl");
    std::fs::write(&mesh, b"solid m\nendsolid m\n").unwrap();
    let direct = c
        .upload_model_direct(&mesh, UploadOptions::default().external_id("ext-d"), Progress::none())
        .await
        .unwrap();
    let presigned = c
        .upload_model_presigned(&mesh, UploadOptions::default().external_id("ext-p"), Progress::none())
        .await
        .unwrap();
    let found = c
        .find_models()
        .uuid(vec![direct.uuid.clone()])
        .external_id(vec!["ext-p".into()])
        .run()
        .await
        .unwrap();
    assert_eq!(found.models.unwrap().len(), 2);
    assert_eq!(
        c.get_model()
            .uuid(&presigned.model_uuid)
            .run()
            .await
            .unwrap()
            .file_size_bytes,
        Some(19)
    );
    let copy = c
        .download(
            RemoteFile::Model(&direct.uuid),
            Destination::File(dir.path().join("copy.stl")),
            Progress::none(),
        )
        .await
        .unwrap();
    assert_eq!(std::fs::read(copy.path).unwrap(), b"solid m\nendsolid m\n");
    let err = c.find_models().run().await.unwrap_err();
    assert!(matches!(err, Error::Api { status, .. } if status == 400));

    // A model's download route.
    c.download_model().uuid(&direct.uuid).send().await.unwrap();
    // A presigned URL and its resolve, by hand: resolving before the PUT is refused.
    let url = c
        .get_presigned_upload_url()
        .body(types::ModelPresignedUploadUrlRequest {
            filename: "x.stl".into(),
        })
        .run()
        .await
        .unwrap();
    let early = c
        .resolve_presigned_model_upload()
        .body(types::ModelResolveUploadRequest {
            filename: "x.stl".into(),
            model_etag: "\"x\"".into(),
            model_uuid: url.model_uuid,
            external_id: None,
        })
        .run()
        .await
        .unwrap_err();
    assert!(matches!(early, Error::Api { status, .. } if status == 400));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn model_program_runs() {
    let (_sim, c) = started().await;
    let model = sim_model(&c).await;

    // Model program runs: create, get, batch get.
    let params = |m: &str| {
        types::ModelProgramRunRequestParameters::Object(HashMap::from([("~MODEL_UUID~".to_string(), m.to_string())]))
    };
    let run = c
        .create_model_program_run()
        .body(types::ModelProgramRunRequest {
            model_program_uuid: "prog".into(),
            parameters: params(&model),
        })
        .run()
        .await
        .unwrap();
    let run_uuid = run.uuid.unwrap();
    c.get_model_program_run().uuid(&run_uuid).run().await.unwrap();
    let runs = c
        .get_model_program_runs()
        .uuid(vec![run_uuid.clone()])
        .run()
        .await
        .unwrap();
    assert_eq!(runs.model_program_runs.len(), 1);
}

/// A part of a new model, numbered `PN`.
async fn sim_part(c: &Client) -> types::Part {
    c.create_part()
        .body(types::PartRequest {
            part_number: "PN".into(),
            model_uuid: sim_model(c).await,
            application_uuid: None,
        })
        .run()
        .await
        .unwrap()
}

/// The request for a part order of `part` keyed `uuid`, in packing group `group-a`.
fn keyed_order(part: &types::Part, uuid: &str) -> types::PartOrderRequest {
    types::PartOrderRequest {
        uuid: Some(uuid.to_string()),
        part_order_number: format!("PO-{uuid}"),
        due_date: chrono::Utc::now().into(),
        parts: vec![types::PartOrderRequestParts {
            uuid: Some(part.uuid.clone()),
        }],
        flush: None,
        packing_group: Some("group-a".parse().unwrap()),
        build_sop_uuid: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parts_and_part_orders() {
    let (_sim, c) = started().await;
    let model = sim_model(&c).await;
    // Parts: create, get, list by model.
    let part = c
        .create_part()
        .body(types::PartRequest {
            part_number: "PN".into(),
            model_uuid: model.clone(),
            application_uuid: None,
        })
        .run()
        .await
        .unwrap();
    assert_eq!(c.get_part().uuid(&part.uuid).run().await.unwrap().part_number, "PN");
    let listed: Vec<_> = c
        .get_parts()
        .limit(10)
        .model_uuid(vec![model.clone()])
        .items()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);

    // Part orders: create, get, update (flush), list, cancel (204), cancel again (405).
    let order_request = |uuid: &str| keyed_order(&part, uuid);
    let order = c
        .create_part_order()
        .body(order_request("order-1"))
        .run()
        .await
        .unwrap();
    assert_eq!(order.status, Some(PartOrderStatus::Open));
    // Each ordered part has a printed part, referenced from the order.
    let refs: Vec<_> = order
        .printed_parts
        .iter()
        .map(|r| (r.part_uuid.as_str(), r.status.clone()))
        .collect();
    assert_eq!(refs, [(part.uuid.as_str(), PrintedPartStatus::Waiting)]);
    let conflict = c
        .create_part_order()
        .body(order_request("order-1"))
        .run()
        .await
        .unwrap_err();
    assert!(matches!(conflict, Error::Conflict { .. }));
    c.update_part_order()
        .uuid("order-1")
        .body(types::PartOrderUpdateRequest { flush: Some(true) })
        .run()
        .await
        .unwrap();
    assert!(
        c.get_part_order()
            .uuid("order-1")
            .run()
            .await
            .unwrap()
            .flushed_at
            .is_some()
    );
    let orders: Vec<_> = c
        .get_part_orders()
        .limit(10)
        .packing_group("group-a".parse::<types::GetPartOrdersPackingGroup>().unwrap())
        .items()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(orders.len(), 1);
    c.create_part_order()
        .body(order_request("order-2"))
        .run()
        .await
        .unwrap();
    c.delete_part_order().uuid("order-2").run().await.unwrap();
    let canceled = c.get_part_order().uuid("order-2").run().await.unwrap();
    assert_eq!(canceled.status, Some(PartOrderStatus::Canceled));
    let printed = &canceled.printed_parts[0];
    assert_eq!(printed.status, PrintedPartStatus::Canceled);
    assert_eq!(
        c.get_printed_part().uuid(&printed.uuid).run().await.unwrap().status,
        PrintedPartStatus::Canceled,
        "the order's reference and the printed part agree"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seeded_history() {
    let (_sim, c) = started().await;

    // The seeded history: printed parts, builds, prints, attachments, quality data.
    let printed: Vec<_> = c
        .get_printed_parts()
        .limit(1000)
        .status(PrintedPartStatus::Complete)
        .items()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(printed.len(), 30);
    let one = c.get_printed_part().uuid(&printed[0].uuid).run().await.unwrap();
    let build = c
        .get_build()
        .uuid(one.build_uuid.as_deref().unwrap())
        .run()
        .await
        .unwrap();
    let builds: Vec<types::Build> = c.get_builds().limit(100).items().try_collect().await.unwrap();
    let seeded: Vec<String> = builds
        .iter()
        .filter(|b| {
            b.part_orders.as_ref().is_some_and(|o| {
                o[0].part_order_number
                    .as_deref()
                    .is_some_and(|n| n.starts_with("SEED-ORDER-"))
            })
        })
        .map(|b| b.uuid.clone())
        .collect();
    let seeded_parts: Vec<usize> = builds
        .iter()
        .filter(|b| seeded.contains(&b.uuid))
        .map(|b| b.parts.len())
        .collect();
    assert_eq!(seeded_parts.iter().sum::<usize>(), 30, "{seeded_parts:?}");
    assert!(
        seeded_parts.iter().all(|&n| (1..=8).contains(&n)),
        "builds of 8 at most: {seeded_parts:?}"
    );
    let attachment = &build.attachments.unwrap()[0];
    let mut traveler = Vec::new();
    c.download_to(
        RemoteFile::Attachment(attachment.uuid.as_deref().unwrap()),
        &mut traveler,
        Progress::none(),
    )
    .await
    .unwrap();
    assert!(traveler.starts_with(b"%PDF"));
    let prints: Vec<_> = c
        .get_prints()
        .limit(100)
        .build_uuid(seeded.clone())
        .items()
        .try_collect()
        .await
        .unwrap();
    // The oldest print of the history (P-1000) is no longer held.
    assert_eq!(prints.len(), seeded.len() - 1);
    assert!(prints.iter().all(|p| p.print_id.as_deref() != Some("P-1000")));
    let print_id = prints[0].print_id.clone().unwrap();
    let quality = c
        .get_print_quality_data()
        .print_ids(vec![print_id.clone()])
        .run()
        .await
        .unwrap();
    assert_eq!(quality.prints.unwrap().len(), 1);

    // Measurements and their templates.
    let templates: Vec<_> = c
        .get_part_measurement_templates()
        .limit(10)
        .items()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(templates.len(), 2);
    let measurements: Vec<types::PartMeasurement> = c
        .get_part_measurements()
        .limit(10)
        .printed_part_uuid(vec![printed[0].uuid.clone()])
        .items()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(measurements.len(), 1);
    assert_eq!(measurements[0].part_measurement_template_uuid, templates[0].uuid);

    // The attachment route itself (the 302 is followed).
    c.get_attachment()
        .uuid(attachment.uuid.as_deref().unwrap())
        .send()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn printers_and_print_orders() {
    let (_sim, c) = started().await;
    // A build of the seeded history to print again.
    let printed: Vec<_> = c
        .get_printed_parts()
        .limit(1)
        .status(PrintedPartStatus::Complete)
        .items()
        .try_collect()
        .await
        .unwrap();
    let build_uuid = printed[0].build_uuid.clone().unwrap();

    // Printers, queues, print orders.
    let printers: Vec<_> = c
        .get_printers()
        .limit(2)
        .offset(0u64)
        .items()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(printers.len(), 3);
    c.get_printer().serial("SIM001").run().await.unwrap();
    assert!(matches!(
        c.get_printer().serial("NOPE99").run().await.unwrap_err(),
        Error::NotFound { .. }
    ));
    let print_order = c
        .create_print_order()
        .body(types::PrintOrderRequest {
            uuid: None,
            build_uuid: build_uuid.clone(),
            total_copies: std::num::NonZeroU64::new(3).unwrap(),
            route_to: vec!["SIM001".into(), "SIM002".into()],
            print_order_number: Some("PRO-1".into()),
            print_order_tags: None,
            notes: None,
        })
        .run()
        .await
        .unwrap();
    let pro_uuid = print_order.uuid.unwrap();
    c.get_print_order().uuid(&pro_uuid).run().await.unwrap();
    let updated = c
        .update_print_order()
        .uuid(&pro_uuid)
        .body(types::PrintOrderUpdateRequest {
            notes: Some("rush".into()),
            ..Default::default()
        })
        .run()
        .await
        .unwrap();
    assert_eq!(updated.notes.as_deref(), Some("rush"));
    let routed: Vec<_> = c
        .get_print_orders()
        .limit(10)
        .printer_serial(vec!["SIM002".into()])
        .items()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(routed.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn printer_queues() {
    let (sim, c) = started().await;
    let part = sim_part(&c).await;

    // A fresh order's prints land in printer queues; move one, then delete it.
    c.create_part_order()
        .body(types::PartOrderRequest {
            flush: Some(true),
            ..keyed_order(&part, "order-3")
        })
        .run()
        .await
        .unwrap();
    // A flushed order's parts print 90 s after it is made; its print runs for
    // minutes after that.
    sim.skip_time(Duration::from_secs(100));
    let packed = c
        .wait_until_part_order_packed("order-3")
        .config(carbon_ext::WaitConfig::new(
            Duration::from_millis(10),
            Duration::from_millis(50),
            Duration::from_secs(10),
        ))
        .await
        .unwrap();
    let WaitOutcome::Done((order3, _)) = packed else {
        panic!("order-3 not packed: {packed:?}")
    };
    // The print of order-3's build: still queued while the order prints.
    let build3 = order3.build_uuids.unwrap()[0].clone();
    let queues = c.get_printer_queues().run().await.unwrap().printer_queues.unwrap();
    let prints3: Vec<types::ModelPrint> = c
        .get_prints()
        .limit(10)
        .build_uuid(vec![build3])
        .status(vec!["queued".into(), "printing".into()])
        .items()
        .try_collect()
        .await
        .unwrap();
    let print_uuid = prints3[0].uuid.clone().unwrap();
    let from = queues
        .iter()
        .find(|q| q.print_uuids.as_ref().is_some_and(|u| u.contains(&print_uuid)))
        .and_then(|q| q.printer_serial.clone())
        .expect("order-3's print is queued");
    let target = if from == "SIM003" { "SIM002" } else { "SIM003" };
    let moved = c
        .update_printer_queue()
        .body(types::PrinterQueueMoveRequest {
            action_type: types::PrinterQueueMoveAction::PrinterQueueMoveRequest,
            printer_serial: target.into(),
            index: 0,
            print_uuids: vec![print_uuid.clone()],
        })
        .run()
        .await
        .unwrap();
    assert_eq!(moved.code, Some(0));
    let target_queue = c
        .get_printer_queues()
        .printer_serial(vec![target.into()])
        .run()
        .await
        .unwrap()
        .printer_queues
        .unwrap();
    assert_eq!(target_queue[0].print_uuids.as_ref().unwrap()[0], print_uuid);
    let deleted = c
        .update_printer_queue()
        .body(types::PrinterQueueDeleteRequest {
            action_type: types::PrinterQueueDeleteAction::PrinterQueueDeleteRequest,
            print_uuids: vec![print_uuid, "no-such-print".into()],
        })
        .run()
        .await
        .unwrap();
    assert_eq!(deleted.code, Some(1), "one of two done");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_that_share_a_build_sop_and_packing_group_share_builds() {
    let sim = integration_tests::frozen(Config::default()).await;
    let c = client(&sim);
    let dir = tempfile::tempdir().unwrap();
    let mut orders = Vec::new();
    for (number, group) in [("MIX-1", "shared"), ("MIX-2", "shared"), ("MIX-3", "apart")] {
        let mesh = dir.path().join(format!("{number}.stl"));
        std::fs::write(&mesh, format!("solid {number}\nendsolid\n")).unwrap();
        let model = c
            .upload_model_presigned(&mesh, UploadOptions::default(), Progress::none())
            .await
            .unwrap();
        let part = c
            .create_part()
            .body(types::PartRequest {
                part_number: "PN".into(),
                model_uuid: model.model_uuid,
                application_uuid: None,
            })
            .run()
            .await
            .unwrap();
        let order = c
            .create_part_order()
            .body(types::PartOrderRequest {
                flush: Some(true),
                packing_group: Some(group.parse().unwrap()),
                ..order_of(&part.uuid, number)
            })
            .run()
            .await
            .unwrap();
        orders.push(order.uuid);
    }
    sim.skip_time(Duration::from_secs(3600));
    let mut builds = Vec::new();
    for uuid in &orders {
        let order = c.get_part_order().uuid(uuid).run().await.unwrap();
        builds.push(order.build_uuids.unwrap_or_default());
    }
    assert_eq!(builds[0].len(), 1, "{builds:?}");
    assert_eq!(builds[0], builds[1], "two flushed orders of one group share a build");
    assert_ne!(builds[0], builds[2], "another packing group is packed apart");
    let shared = c.get_build().uuid(&builds[0][0]).run().await.unwrap();
    let mut numbers: Vec<String> = shared
        .part_orders
        .unwrap_or_default()
        .into_iter()
        .filter_map(|o| o.part_order_number)
        .collect();
    numbers.sort();
    assert_eq!(numbers, ["MIX-1", "MIX-2"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finished_runs_and_orders_past_the_retention_are_dropped_oldest_first() {
    let sim = integration_tests::frozen(Config {
        retention: 2,
        ..Config::default()
    })
    .await;
    let c = client(&sim);
    let part = c
        .create_part()
        .body(types::PartRequest {
            part_number: "PN".into(),
            model_uuid: sim_model(&c).await,
            application_uuid: None,
        })
        .run()
        .await
        .unwrap();
    let mut runs = Vec::new();
    let mut orders = Vec::new();
    for i in 0..4 {
        let run = c
            .create_model_program_run()
            .body(types::ModelProgramRunRequest {
                model_program_uuid: "prog".into(),
                parameters: types::ModelProgramRunRequestParameters::Object(HashMap::new()),
            })
            .run()
            .await
            .unwrap();
        runs.push(run.uuid.unwrap());
        let order = c
            .create_part_order()
            .body(order_of(&part.uuid, format!("KEEP-{i}")))
            .run()
            .await
            .unwrap();
        orders.push(order.uuid);
        // Each pair finishes (an hour on) before the next is made: the first are
        // the oldest finished.
        sim.skip_time(Duration::from_secs(3600));
    }
    // One more request moves the last pair to finished.
    c.get_applications().run().await.unwrap();
    let counts = sim.counts();
    assert_eq!((counts.runs, counts.part_orders), (2, 2), "{counts:?}");
    for (i, uuid) in orders.iter().enumerate() {
        let found = c.get_part_order().uuid(uuid).run().await;
        assert_eq!(found.is_ok(), i >= 2, "order {i}: {found:?}");
    }
    for (i, uuid) in runs.iter().enumerate() {
        let found = c.get_model_program_run().uuid(uuid).run().await;
        assert_eq!(found.is_ok(), i >= 2, "run {i}: {found:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn print_orders_count_a_copy_a_minute_per_route_up_to_those_queued() {
    let sim = integration_tests::frozen(Config {
        // A seeded order, for a build to print.
        printed_parts: 2,
        ..Config::default()
    })
    .await;
    let c = client(&sim);
    let build = c.get_builds().limit(1).items().try_next().await.unwrap().unwrap();
    let mut uuids = Vec::new();
    for (number, copies) in [("PRO-3", 3), ("PRO-40", 40)] {
        let order = c
            .create_print_order()
            .body(types::PrintOrderRequest {
                uuid: None,
                build_uuid: build.uuid.clone(),
                total_copies: std::num::NonZeroU64::new(copies).unwrap(),
                route_to: vec!["SIM001".into(), "SIM002".into()],
                print_order_number: Some(number.into()),
                print_order_tags: None,
                notes: None,
            })
            .run()
            .await
            .unwrap();
        uuids.push(order.uuid.unwrap());
    }
    let printed = |order: types::PrintOrder| -> Vec<(String, Option<i64>, Option<i64>)> {
        let mut routes: Vec<_> = order
            .routed_to
            .unwrap_or_default()
            .into_iter()
            .map(|(serial, route)| (serial, route.copies_queued, route.copies_printed))
            .collect();
        routes.sort();
        routes
    };
    let route = |serial: &str, queued: i64, done: i64| (serial.to_string(), Some(queued), Some(done));
    // Each step: minutes to skip, then copies printed per route, of 3 and of 40.
    let steps: [(u64, [i64; 2], [i64; 2]); 5] = [
        (0, [0, 0], [0, 0]),
        (1, [1, 1], [1, 1]),
        (1, [2, 1], [2, 2]),
        (60, [2, 1], [20, 20]),
        (60, [2, 1], [20, 20]),
    ];
    for (minutes, small, large) in steps {
        sim.skip_time(Duration::from_secs(60 * minutes));
        for (uuid, queued, done) in [(&uuids[0], [2, 1], small), (&uuids[1], [20, 20], large)] {
            let order = c.get_print_order().uuid(uuid).run().await.unwrap();
            assert_eq!(
                printed(order),
                [route("SIM001", queued[0], done[0]), route("SIM002", queued[1], done[1])],
                "after {minutes} more minutes"
            );
        }
    }
}

/// An order for one copy of `part`, numbered `number`, due 2026-12-24, with no
/// flush, packing group or build SOP.
fn order_of(part: &str, number: impl Into<String>) -> types::PartOrderRequest {
    types::PartOrderRequest {
        uuid: None,
        part_order_number: number.into(),
        due_date: "2026-12-24T00:00:00Z".parse().unwrap(),
        parts: vec![types::PartOrderRequestParts {
            uuid: Some(part.to_string()),
        }],
        flush: None,
        packing_group: None,
        build_sop_uuid: None,
    }
}

/// A model uploaded to the simulator, for records that need one.
async fn sim_model(c: &Client) -> String {
    let dir = tempfile::tempdir().unwrap();
    let mesh = dir.path().join("m.stl");
    std::fs::write(&mesh, b"solid m\nendsolid m\n").unwrap();
    c.upload_model_presigned(&mesh, UploadOptions::default(), Progress::none())
        .await
        .unwrap()
        .model_uuid
}
