//! The vendor's example workflows, end to end against the simulator: once clean, once
//! with 10% of requests hit by injected faults of every kind.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::time::Duration;

use carbon_ext::enums::PartOrderStatus;
use carbon_ext::prelude::*;
use carbon_ext::{
    Client, Destination, Progress, RemoteFile, RetryPolicy, UploadOptions, WaitConfig, WaitOutcome, types,
};
use carbon_sim::{Config, Faults, Simulator};
use futures::TryStreamExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

async fn simulator(faults: Faults) -> Simulator {
    integration_tests::simulator(Config {
        speed: Config::FAST_FORWARD,
        faults,
        seed: 7,
        ..Config::default()
    })
    .await
}

fn client(sim: &Simulator) -> Client {
    integration_tests::client_builder(sim)
        // Patient enough for 10% faults, quick for a test.
        .retry_policy(
            RetryPolicy::standard()
                .with_max_attempts(6)
                .with_backoff(Duration::from_millis(10), Duration::from_millis(100)),
        )
        .build()
        .unwrap()
}

fn waits() -> WaitConfig {
    WaitConfig::new(
        Duration::from_millis(20),
        Duration::from_millis(100),
        Duration::from_secs(30),
    )
}

fn meshes(dir: &Path, count: usize) -> Vec<std::path::PathBuf> {
    (0..count)
        .map(|i| {
            let path = dir.join(format!("part-{i}.stl"));
            std::fs::write(
                &path,
                format!("solid part{i}\n{}\nendsolid part{i}\n", "facet ".repeat(100 + i)),
            )
            .unwrap();
            path
        })
        .collect()
}

fn upload_options() -> UploadOptions {
    // Attempts come from the client's retry policy (6 here).
    UploadOptions::default()
}

/// Upload, parts, part order, packed, finished, traveler, print order. Returns the
/// order uuid.
async fn custom_part_order(client: &Client, dir: &Path, order_number: &str) -> String {
    let files = meshes(dir, 10);
    let mut model_uuids = Vec::new();
    for (path, result) in client.upload_many(&files, 3, upload_options(), Progress::none()).await {
        model_uuids.push(result.unwrap_or_else(|e| panic!("{}: {e}", path.display())).model_uuid);
    }
    // Every model was resolved from a PUT that stored exactly its file.
    for (path, model_uuid) in files.iter().zip(&model_uuids) {
        let copy = dir.join(format!("{model_uuid}.download"));
        client
            .download(
                RemoteFile::Model(model_uuid),
                Destination::File(copy.clone()),
                Progress::none(),
            )
            .await
            .unwrap();
        assert_eq!(
            std::fs::read(&copy).unwrap(),
            std::fs::read(path).unwrap(),
            "model {model_uuid}"
        );
    }
    let mut parts = Vec::new();
    for model_uuid in &model_uuids {
        let request = types::PartRequest {
            part_number: "PN-1".into(),
            model_uuid: model_uuid.clone(),
            application_uuid: None,
        };
        let part = client.create_part_once(request).await.unwrap().into_inner();
        parts.push(types::PartOrderRequestParts { uuid: Some(part.uuid) });
    }
    let request = types::PartOrderRequest {
        uuid: None,
        part_order_number: order_number.into(),
        due_date: (chrono::Utc::now() + chrono::Duration::days(3)).into(),
        parts,
        flush: Some(true),
        packing_group: None,
        build_sop_uuid: None,
    };
    let order = client.create_part_order_once(request).await.unwrap().into_inner();
    let polls = Arc::new(AtomicUsize::new(0));
    let counter = polls.clone();
    let progress = Progress::new(move |_: &carbon_ext::PackingProgress| {
        counter.fetch_add(1, Ordering::SeqCst);
    });
    let packed = client
        .wait_until_part_order_packed(&order.uuid)
        .config(waits())
        .progress(progress)
        .await
        .unwrap();
    let WaitOutcome::Done((_, progress)) = packed else {
        panic!("not packed: {packed:?}")
    };
    assert_eq!(progress.total, 10);
    assert!(polls.load(Ordering::SeqCst) >= 1);
    let finished = client
        .wait_until_part_order_finished(&order.uuid)
        .config(waits())
        .await
        .unwrap();
    let WaitOutcome::Done(order) = finished else {
        panic!("not finished: {finished:?}")
    };
    assert_eq!(order.status, Some(PartOrderStatus::Complete));

    // The builds, their travelers, and a print order for the first build.
    let build_uuids = order.build_uuids.clone().unwrap();
    assert_eq!(build_uuids.len(), 2, "10 parts make two builds of at most 8");
    let builds: Vec<types::Build> = client
        .get_builds()
        .limit(100)
        .uuid(build_uuids.clone())
        .items()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(builds.len(), 2);
    for build in &builds {
        let traveler = build
            .attachments
            .as_ref()
            .unwrap()
            .iter()
            .find(|a| a.filename.as_deref() == Some("traveler.pdf"))
            .unwrap();
        let file = client
            .download(
                RemoteFile::Attachment(traveler.uuid.as_deref().unwrap()),
                Destination::File(dir.join(format!("traveler-{}.pdf", build.uuid))),
                Progress::none(),
            )
            .await
            .unwrap();
        assert!(std::fs::read(&file.path).unwrap().starts_with(b"%PDF"));
    }
    let print_order = client
        .create_print_order_once(types::PrintOrderRequest {
            uuid: None,
            build_uuid: build_uuids[0].clone(),
            total_copies: std::num::NonZeroU64::new(2).unwrap(),
            route_to: vec!["SIM001".into(), "SIM002".into()],
            print_order_number: Some(format!("{order_number}-P")),
            print_order_tags: None,
            notes: None,
        })
        .await
        .unwrap()
        .into_inner();
    let printed = client
        .wait_until_print_order_printed(print_order.uuid.as_deref().unwrap())
        .config(waits())
        .await
        .unwrap();
    assert!(printed.is_done(), "{printed:?}");
    order.uuid
}

/// Upload, model program runs (one made to fail), parts of the outputs, part order.
async fn hollow_part_order(client: &Client, dir: &Path) {
    let files = meshes(dir, 3);
    let mut runs = Vec::new();
    for (i, (_, result)) in client
        .upload_many(&files, 3, upload_options(), Progress::none())
        .await
        .into_iter()
        .enumerate()
    {
        let model = result.unwrap();
        let program = if i == 2 { "prog-fail" } else { "prog-hollow" };
        let request = types::ModelProgramRunRequest {
            model_program_uuid: program.into(),
            parameters: types::ModelProgramRunRequestParameters::Object(HashMap::from([(
                "~MODEL_UUID~".to_string(),
                model.model_uuid,
            )])),
        };
        // Runs have no idempotency key; a duplicate run is harmless, so retry plainly.
        let run = loop {
            match client.create_model_program_run().body(request.clone()).run().await {
                Ok(run) => break run,
                Err(e) if e.is_retryable() || matches!(e, carbon_ext::Error::Decode { .. }) => continue,
                Err(e) => panic!("{e}"),
            }
        };
        runs.push(run.uuid.unwrap());
    }
    let outcomes = client
        .wait_until_model_program_runs_complete(&runs)
        .config(waits())
        .await
        .unwrap();
    let mut parts = Vec::new();
    for run_uuid in &runs[..2] {
        let WaitOutcome::Done(run) = &outcomes[run_uuid] else {
            panic!("{:?}", outcomes[run_uuid])
        };
        let model_uuid = run.model_uuid.clone().unwrap();
        let part = client
            .create_part_once(types::PartRequest {
                part_number: "PN-H".into(),
                model_uuid,
                application_uuid: None,
            })
            .await
            .unwrap()
            .into_inner();
        parts.push(types::PartOrderRequestParts { uuid: Some(part.uuid) });
    }
    assert!(matches!(&outcomes[&runs[2]], WaitOutcome::Failed(run) if run.failure_message.is_some()));
    client
        .create_part_order_once(types::PartOrderRequest {
            uuid: None,
            part_order_number: "HOLLOW-1".into(),
            due_date: chrono::Utc::now().into(),
            parts,
            flush: None,
            packing_group: None,
            build_sop_uuid: None,
        })
        .await
        .unwrap();
}

/// Printed parts of an order joined with their prints.
async fn export(client: &Client, order_uuid: &str) -> usize {
    let parts: Vec<types::PrintedPart> = client
        .get_printed_parts()
        .limit(3)
        .part_order_uuid(vec![order_uuid.to_string()])
        .items()
        .dedup_by_uuid()
        .try_collect()
        .await
        .unwrap();
    let print_ids: BTreeSet<String> = parts.iter().filter_map(|p| p.print_id.clone()).collect();
    let prints: Vec<types::ModelPrint> = client
        .get_prints()
        .limit(1)
        .chunked(print_ids.iter().cloned().collect::<Vec<_>>(), |b, chunk| {
            b.print_id(chunk)
        })
        .chunk_size(1)
        .items()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(prints.len(), print_ids.len());
    assert!(parts.iter().all(|p| p.serial_number.is_some()));
    parts.len()
}

async fn all_workflows(faults: Faults) {
    let sim = simulator(faults).await;
    let client = client(&sim);
    let dir = tempfile::tempdir().unwrap();
    let order_uuid = custom_part_order(&client, dir.path(), "PO-E2E-1").await;
    hollow_part_order(&client, dir.path()).await;
    assert_eq!(export(&client, &order_uuid).await, 10);

    // Exactly one part order per number, exactly the parts asked for.
    let orders: Vec<_> = client
        .get_part_orders()
        .limit(1000)
        .items()
        .try_collect()
        .await
        .unwrap();
    let mut numbers: Vec<String> = orders.iter().filter_map(|o| o.part_order_number.clone()).collect();
    numbers.sort();
    assert_eq!(numbers, ["HOLLOW-1", "PO-E2E-1"], "no duplicate part order");
    let print_orders: Vec<_> = client
        .get_print_orders()
        .limit(1000)
        .items()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(print_orders.len(), 1, "no duplicate print order");
    let parts: Vec<_> = client.get_parts().limit(1000).items().try_collect().await.unwrap();
    assert_eq!(parts.len(), 12, "no duplicate part");
    let files: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        files.iter().all(|f| !f.ends_with(".part")),
        "no half-written download: {files:?}"
    );
    assert_eq!(files.iter().filter(|f| f.starts_with("traveler-")).count(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workflows_complete_against_a_clean_simulator() {
    all_workflows(Faults::none()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workflows_complete_under_ten_percent_faults_of_every_kind() {
    all_workflows(Faults::all(0.10)).await;
}

#[tokio::test]
async fn requests_without_a_valid_token_are_refused() {
    let sim = simulator(Faults::none()).await;
    let other = carbon_sim::TestKey::generate("someone-else").unwrap();
    let stranger = Client::builder()
        .base_url(sim.base_url())
        .api_key(other.api_key())
        .build()
        .unwrap();
    let err = stranger.get_applications().run().await.unwrap_err();
    assert!(matches!(err, carbon_ext::Error::Unauthorized { .. }), "{err}");
    let none = Client::builder()
        .base_url(sim.base_url())
        .without_credentials()
        .build()
        .unwrap();
    assert!(matches!(
        none.get_applications().run().await.unwrap_err(),
        carbon_ext::Error::Unauthorized { .. }
    ));
    let ok = client(&sim);
    assert_eq!(ok.get_applications().run().await.unwrap().applications.len(), 2);
}

#[tokio::test]
async fn the_rate_limit_answers_429_with_retry_after() {
    let sim = Simulator::start(Config {
        rate_limit: Some((5, Duration::from_secs(60))),
        ..Config::default()
    })
    .await
    .unwrap();
    let client = integration_tests::client_builder(&sim)
        .no_rate_limit()
        .retry_policy(RetryPolicy::standard().with_max_retry_after(Duration::from_secs(1)))
        .build()
        .unwrap();
    for _ in 0..5 {
        client.get_applications().run().await.unwrap();
    }
    let err = client.get_applications().run().await.unwrap_err();
    match err {
        carbon_ext::Error::RateLimited { retry_after, .. } => assert!(retry_after.unwrap() > Duration::from_secs(50)),
        other => panic!("{other}"),
    }
}

#[tokio::test]
async fn seeded_history_pages_with_capped_totals_and_expiring_cursors() {
    let sim = Simulator::start(Config {
        printed_parts: 10_050,
        rate_limit: None,
        // Long enough for any machine; expiry itself is tested with expire_cursors().
        cursor_ttl: Duration::from_secs(3600),
        ..Config::default()
    })
    .await
    .unwrap();
    let client = integration_tests::client_builder(&sim).no_rate_limit().build().unwrap();
    let mut pages = client.get_printed_parts().limit(1000).pages();
    let first = futures::StreamExt::next(&mut pages).await.unwrap().unwrap();
    assert_eq!(first.total, Some(carbon_ext::TotalCount::AtLeast(10_000)));
    let rest: Vec<_> = pages.try_collect().await.unwrap();
    let count: usize = first.items.len() + rest.iter().map(|p| p.items.len()).sum::<usize>();
    assert_eq!(count, 10_050);

    // A cursor used after it expired is refused.
    let page = client.get_printed_parts().limit(10).run().await.unwrap();
    sim.expire_cursors();
    let err = client
        .get_printed_parts()
        .limit(10)
        .cursor(page.next_cursor.unwrap())
        .run()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("cursor expired"), "{err}");
    // Filters over 100 values are refused by the API too (sent raw, past the SDK's check).
    let ids: Vec<String> = (0..101).map(|i| i.to_string()).collect();
    let url = format!(
        "{}/printed_parts?limit=10&{}",
        sim.base_url(),
        ids.iter().map(|i| format!("uuid={i}")).collect::<Vec<_>>().join("&")
    );
    let token = carbon_auth::mint(&sim.api_key(), Duration::from_secs(60)).unwrap();
    let status = carbon_api_gen::http_client(std::time::Duration::from_secs(30), std::time::Duration::from_secs(300))
        .unwrap()
        .get(url)
        .bearer_auth(token.expose())
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 400);
}
