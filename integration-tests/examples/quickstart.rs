//! The main job, end to end: mint a token, upload a mesh (presigned), make a part and
//! a part order, wait while it is packed and printed, download the build traveler,
//! and export the printed parts as CSV.
//!
//! ```text
//! cargo run --example quickstart                      # against an embedded simulator
//! cargo run --example quickstart -- --secrets secrets.json --base-url https://api.carbon3d.com/v1 \
//!     --part-number YOUR-PART-NUMBER
//! ```

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use carbon_ext::prelude::*;
use carbon_ext::{Destination, Progress, RemoteFile, Transfer, UploadOptions, WaitConfig, WaitOutcome, types};
use clap::Parser;
use futures::TryStreamExt;

/// Upload a mesh, order it, wait until it is printed, fetch the traveler, export CSV.
#[derive(Parser)]
struct Args {
    /// secrets.json of your API key. Without it (and without --base-url) the job runs
    /// against a simulator started inside this program.
    #[arg(long)]
    secrets: Option<PathBuf>,
    /// The API's base URL (with --secrets; default production).
    #[arg(long)]
    base_url: Option<String>,
    /// Part number for the part (must exist in your account on the real API).
    #[arg(long, default_value = "QUICKSTART-1")]
    part_number: String,
    /// Where the traveler and the CSV go.
    #[arg(long, default_value = "quickstart-out")]
    out: PathBuf,
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(Args::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    // 1. A client: the real API with your key, or a local simulator.
    let (_simulator, client, key) = match &args.secrets {
        Some(path) => {
            let key = carbon_ext::auth::ApiKey::from_file(path)?;
            let mut builder = carbon_ext::Client::builder().api_key(key.clone());
            if let Some(url) = &args.base_url {
                builder = builder.base_url(url);
            }
            (None, builder.build()?, key)
        }
        None => {
            // Simulated time runs 600x faster: an order prints in about half a second.
            let config = carbon_sim::Config {
                speed: 600.0,
                ..carbon_sim::Config::default()
            };
            let sim = carbon_sim::Simulator::start(config).await?;
            println!("no --secrets: using a simulator at {}", sim.base_url());
            let key = sim.api_key();
            let client = carbon_ext::Client::builder()
                .base_url(sim.base_url())
                .api_key(key.clone())
                .build()?;
            (Some(sim), client, key)
        }
    };
    std::fs::create_dir_all(&args.out)?;

    // 2. A token, as any other tool would use it (the client mints its own).
    let token = carbon_ext::auth::mint(&key, Duration::from_secs(3600))?;
    println!(
        "minted a token for {} valid until {}",
        key.client_id(),
        chrono::DateTime::<chrono::Utc>::from(token.expires_at()).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );

    // 3. A generated mesh, uploaded through a presigned URL.
    let mesh = args.out.join("cube.stl");
    std::fs::write(&mesh, cube_stl())?;
    let progress = Progress::new(|t: &Transfer| {
        if Some(t.done) == t.total {
            println!("uploaded {} bytes", t.done);
        }
    });
    let model = client
        .upload_model_presigned(&mesh, UploadOptions::default(), progress)
        .await?;
    println!("model {}", model.model_uuid);

    // 4. A part of it, and a part order, both safe to retry.
    let part = client
        .create_part_once(types::PartRequest {
            part_number: args.part_number.clone(),
            model_uuid: model.model_uuid,
            application_uuid: None,
        })
        .await?
        .into_inner();
    let order = client
        .create_part_order_once(types::PartOrderRequest {
            uuid: None,
            part_order_number: format!("QUICKSTART-{}", chrono::Utc::now().format("%Y%m%d%H%M%S")),
            due_date: (chrono::Utc::now() + chrono::Duration::days(1)).into(),
            parts: vec![types::PartOrderRequestParts { uuid: Some(part.uuid) }],
            flush: Some(true),
            packing_group: None,
            build_sop_uuid: None,
        })
        .await?
        .into_inner();
    println!("part order {}", order.uuid);

    // 5. Packed, then printed, with progress.
    let waits = WaitConfig::new(
        Duration::from_millis(100),
        Duration::from_secs(30),
        Duration::from_secs(24 * 3600),
    );
    let report = Progress::new(|p: &carbon_ext::PackingProgress| {
        let counts: Vec<String> = p.by_status.iter().map(|(status, n)| format!("{status}: {n}")).collect();
        println!("  packing: {} ({} build(s))", counts.join(", "), p.build_uuids.len());
    });
    let packed = client
        .wait_until_part_order_packed(&order.uuid)
        .config(waits)
        .progress(report)
        .await?;
    let WaitOutcome::Done((_, progress)) = packed else {
        return Err(format!("not packed: {packed:?}").into());
    };
    let finished = client.wait_until_part_order_finished(&order.uuid).config(waits).await?;
    let WaitOutcome::Done(order) = finished else {
        return Err(format!("not printed: {finished:?}").into());
    };
    println!(
        "printed: order {} is {}",
        order.uuid,
        order.status.map(|s| s.to_string()).unwrap_or_default()
    );

    // 6. The traveler of the first build.
    let build = client.get_build().uuid(&progress.build_uuids[0]).run().await?;
    if let Some(traveler) = build
        .attachments
        .unwrap_or_default()
        .into_iter()
        .find(|a| a.filename.as_deref() == Some("traveler.pdf"))
    {
        // An exact path: a second run replaces the first run's traveler.
        let path = Destination::File(args.out.join("traveler.pdf"));
        let file = client
            .download(
                RemoteFile::Attachment(traveler.uuid.as_deref().unwrap_or_default()),
                path,
                Progress::none(),
            )
            .await?;
        println!("traveler: {}", file.path.display());
    }

    // 7. The printed parts, as CSV.
    let parts: Vec<types::PrintedPart> = client
        .get_printed_parts()
        .limit(1000)
        .part_order_uuid(vec![order.uuid.clone()])
        .items()
        .try_collect()
        .await?;
    let mut csv = String::from("printed_part_uuid,status,serial_number,build_uuid,print_id\n");
    for p in &parts {
        csv.push_str(&format!(
            "{},{},{},{},{}\n",
            p.uuid,
            p.status,
            p.serial_number.as_deref().unwrap_or(""),
            p.build_uuid.as_deref().unwrap_or(""),
            p.print_id.as_deref().unwrap_or("")
        ));
    }
    let csv_path = args.out.join("printed_parts.csv");
    std::fs::write(&csv_path, csv)?;
    println!("exported {} printed part(s) to {}", parts.len(), csv_path.display());
    Ok(())
}

/// A 10 mm cube in ASCII STL.
fn cube_stl() -> String {
    let v = |x: u8, y: u8, z: u8| [f32::from(x) * 10.0, f32::from(y) * 10.0, f32::from(z) * 10.0];
    let faces = [
        [v(0, 0, 0), v(1, 1, 0), v(1, 0, 0)],
        [v(0, 0, 0), v(0, 1, 0), v(1, 1, 0)],
        [v(0, 0, 1), v(1, 0, 1), v(1, 1, 1)],
        [v(0, 0, 1), v(1, 1, 1), v(0, 1, 1)],
        [v(0, 0, 0), v(1, 0, 0), v(1, 0, 1)],
        [v(0, 0, 0), v(1, 0, 1), v(0, 0, 1)],
        [v(0, 1, 0), v(1, 1, 1), v(1, 1, 0)],
        [v(0, 1, 0), v(0, 1, 1), v(1, 1, 1)],
        [v(0, 0, 0), v(0, 0, 1), v(0, 1, 1)],
        [v(0, 0, 0), v(0, 1, 1), v(0, 1, 0)],
        [v(1, 0, 0), v(1, 1, 1), v(1, 0, 1)],
        [v(1, 0, 0), v(1, 1, 0), v(1, 1, 1)],
    ];
    let mut stl = String::from("solid cube\n");
    for face in faces {
        stl.push_str("  facet normal 0 0 0\n    outer loop\n");
        for [x, y, z] in face {
            stl.push_str(&format!("      vertex {x} {y} {z}\n"));
        }
        stl.push_str("    endloop\n  endfacet\n");
    }
    stl.push_str("endsolid cube\n");
    stl
}
