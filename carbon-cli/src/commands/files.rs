//! Commands whose request or answer is a file: an upload sends a model file (with
//! the SDK's presigned or direct upload), a download writes one.

use std::path::PathBuf;

use carbon_ext::extras::{Operation, OperationInfo};
use carbon_ext::{Client, UploadOptions};
use clap::ArgMatches;
use serde_json::{Map, Value, json};

use super::{Connect, Printing, dry_run_requested};
use crate::cli::Downloadable;
use crate::failure::{Failure, Outcome};
use crate::output::print_record;
use crate::resources::{DESTINATION, UPLOAD_FILE};

/// The upload's header with the caller's own id for the model.
const EXTERNAL_ID: &str = "external-id";
/// The upload's header naming the model's application.
const APPLICATION: &str = "application-uuid";

/// What the SDK downloads for an operation that answers with a file; `None` for
/// one this version of carbon has no download for.
pub fn downloadable(operation: Operation) -> Option<Downloadable> {
    match operation {
        Operation::GetAttachment => Some(Downloadable::Attachment),
        Operation::DownloadModel => Some(Downloadable::Model),
        _ => None,
    }
}

/// Downloads the file an operation answers with.
pub async fn download(
    connect: Connect<'_>,
    info: &OperationInfo,
    args: &Map<String, Value>,
    matches: &ArgMatches,
) -> Outcome {
    let uuid = args.get("uuid").and_then(Value::as_str).unwrap_or_default().to_string();
    let what = downloadable(info.operation()).ok_or_else(|| {
        Failure::usage(format!(
            "{} answers with a file this version of carbon cannot fetch yet; \
             use a carbon release made for this API version",
            info.operation_id
        ))
    })?;
    let to = matches.get_one::<String>(DESTINATION).map(PathBuf::from);
    crate::workflows::files::download(&connect()?, what, &uuid, to).await
}

/// Uploads a model file: presigned (the default), or direct when it names an
/// application (only a direct upload can).
pub async fn upload(
    connect: Connect<'_>,
    info: &OperationInfo,
    args: &Map<String, Value>,
    matches: &ArgMatches,
    printing: &Printing,
) -> Outcome {
    if info.operation() != Operation::UploadModel {
        return Err(Failure::usage(format!(
            "{} takes a file this version of carbon cannot send yet; use a carbon release made for this API version",
            info.operation_id
        )));
    }
    let file = PathBuf::from(matches.get_one::<String>(UPLOAD_FILE).expect("required by clap"));
    crate::workflows::files::check_files(std::slice::from_ref(&file))?;
    let external_id = args.get(EXTERNAL_ID).and_then(Value::as_str);
    let application = args.get(APPLICATION).and_then(Value::as_str);
    if dry_run_requested(matches) {
        let bytes = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
        let plan = json!({
            "dry_run": true,
            "would": if application.is_some() { "upload directly" } else { "upload presigned" },
            "file": file.display().to_string(),
            "bytes": bytes,
            EXTERNAL_ID: external_id,
            APPLICATION: application,
        });
        print_record(&printing.style, &plan, &mut std::io::stdout().lock())?;
        return Ok(());
    }
    let client: Client = connect()?;
    let mut options = UploadOptions::default();
    if let Some(id) = external_id {
        options = options.external_id(id);
    }
    let progress = crate::progress::bytes(printing.quiet, "uploading");
    let model = match application {
        Some(app) => {
            let options = options.application_uuid(app);
            client.upload_model_direct(&file, options, progress.callback()).await?
        }
        None => {
            let uploaded = client
                .upload_model_presigned(&file, options, progress.callback())
                .await?;
            use carbon_ext::prelude::*;
            client.get_model().uuid(&uploaded.model_uuid).run().await?
        }
    };
    progress.finish();
    let record = serde_json::to_value(&model).map_err(|e| Failure::usage(e.to_string()))?;
    print_record(&printing.style, &record, &mut std::io::stdout().lock())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use carbon_ext::extras::CallKind;

    #[test]
    fn every_operation_that_answers_with_a_file_has_a_download() {
        let files: Vec<&OperationInfo> = carbon_ext::extras::operations()
            .iter()
            .filter(|op| op.kind == CallKind::Download)
            .collect();
        assert!(!files.is_empty());
        for op in files {
            assert!(
                downloadable(op.operation()).is_some(),
                "{} has no download in the CLI",
                op.name
            );
        }
    }

    #[test]
    fn the_upload_headers_are_the_documents() {
        let upload = Operation::UploadModel.info();
        assert_eq!(upload.kind, CallKind::Upload);
        for header in [EXTERNAL_ID, APPLICATION, crate::resources::UPLOAD_NAME] {
            assert!(
                upload.params.iter().any(|p| p.name == header),
                "uploadModel has no {header}"
            );
        }
        let uploads: Vec<_> = carbon_ext::extras::operations()
            .iter()
            .filter(|op| op.kind == CallKind::Upload)
            .collect();
        assert_eq!(uploads.len(), 1, "a new upload operation needs a command");
    }
}
