//! `carbon api check`: does this build still match the API? The API's document is
//! fetched, made into what `cargo xtask regen` would make of it (normalized,
//! documented, guarded: the same library), and compared with the document this
//! build was generated from. The verdict decides the exit status, so that a
//! nightly job can alert on it: 0 none, 5 additive, 6 breaking.

use std::time::Duration;

use carbon_api_regen::{Diff, Impact};
use carbon_ext::auth::is_loopback;
use serde_json::{Value, json};

use crate::cli::ApiCheckArgs;
use crate::commands::Printing;
use crate::config::{ConfigFile, Connection, Flags};
use crate::failure::{Failure, Outcome};
use crate::output::{Format, write_stdout};

/// The largest document accepted (the API's is about 200 KB).
const MAX_DOCUMENT: usize = 32 << 20;

/// How long reading the document may take in all.
const READ_FOR: Duration = Duration::from_secs(120);

/// Where the document comes from, and its text.
struct Fetched {
    source: String,
    text: String,
    /// Whether it came over the network (a body that is not a document then
    /// means the API could not be read, not bad input).
    fetched: bool,
}

/// Runs `carbon api check`.
pub async fn check(args: &ApiCheckArgs, flags: &Flags, printing: &Printing) -> Outcome {
    if printing.style.fields.is_some() {
        return Err(Failure::usage(
            "--fields does not apply to `carbon api check` (its rows are subject, change, impact)",
        ));
    }
    let source = match &args.from {
        Some(from) => from.clone(),
        // The API publishes its document beside its operations.
        None => {
            let connection = Connection::resolve(flags, &ConfigFile::load()?)?;
            carbon_ext::BaseUrl::parse(&connection.base_url.0)
                .map_err(|e| carbon_ext::Error::Auth(e.into()))?
                .join("api.yaml")
        }
    };
    let fetched = fetch(&source).await?;
    let review = review(&fetched)?;
    print(&review, printing)?;
    match review.impact() {
        Impact::None => Ok(()),
        impact => Err(Failure::ApiChanged {
            impact,
            advice: review.advice(),
        }),
    }
}

/// The comparison of a fetched document with this build's.
struct Review {
    source: String,
    /// The API version this build was generated from.
    built_from: String,
    /// The fetched document's API version.
    found: String,
    /// What changed; empty when the document cannot be made into a client.
    diff: Diff,
    /// Why regen would refuse the document, if it would.
    refused: Option<String>,
}

impl Review {
    fn impact(&self) -> Impact {
        match self.refused {
            Some(_) => Impact::Breaking,
            None => self.diff.verdict(),
        }
    }

    /// What the verdict means for programs built with this SDK, and what to do.
    fn advice(&self) -> String {
        let (found, built) = (plain_version(&self.found), plain_version(&self.built_from));
        let same_version = if found == built {
            " (under the same version number: Carbon changed the document without a new version)"
        } else {
            ""
        };
        if let (Some(found), Some(built)) = (numbers(found), numbers(built))
            && found < built
            && self.refused.is_none()
        {
            return format!(
                "the API's document is older than the one this build was generated from (API {} against {}): \
                 calls to what the API does not have may fail. Check that --from or the base URL points at the \
                 API you meant, or use a carbon-rs release for API {}",
                self.found, self.built_from, self.found
            );
        }
        match (&self.refused, self.impact()) {
            (Some(reason), _) => format!(
                "the API's document can no longer be made into a client ({reason}); programs built with this \
                 SDK keep the API they were built for, but regenerating would fail: report it to the carbon-rs \
                 maintainers with the document"
            ),
            (None, Impact::Breaking) => format!(
                "the API changed or removed what this build knows{same_version}; calls that touch the changes \
                 listed may fail. Upgrade to a carbon-rs release for API {}, or regenerate \
                 (`cargo xtask regen --from {}`) and review the changes",
                self.found, self.source
            ),
            (None, _) => format!(
                "the API added what this build does not know{same_version}; programs built with this SDK keep \
                 working (unknown fields are ignored, new values arrive as `Unknown`). To use the additions, \
                 upgrade to a carbon-rs release for API {}, or regenerate (`cargo xtask regen --from {}`)",
                self.found, self.source
            ),
        }
    }

    fn rows(&self) -> Vec<Value> {
        let mut rows: Vec<Value> = self
            .diff
            .changes
            .iter()
            .map(|c| json!({"subject": c.subject, "change": c.what, "impact": c.impact.to_string()}))
            .collect();
        if let Some(reason) = &self.refused {
            rows.push(json!({"subject": "document", "change": reason, "impact": Impact::Breaking.to_string()}));
        }
        rows
    }
}

/// A version as written, without a leading `v`.
fn plain_version(version: &str) -> &str {
    version.strip_prefix('v').unwrap_or(version)
}

/// A dotted version's numbers (`0.4.17`), when it is one.
fn numbers(version: &str) -> Option<Vec<u64>> {
    version.split('.').map(|n| n.parse().ok()).collect()
}

/// Reads the document at `source`: an `https://` URL, `http://` to this machine
/// (a simulator), or a file.
async fn fetch(source: &str) -> Outcome<Fetched> {
    let fetched = source.starts_with("https://") || source.starts_with("http://");
    let text = if fetched {
        let url = url::Url::parse(source).map_err(|e| Failure::usage(format!("--from {source}: {e}")))?;
        if url.scheme() == "http" && !is_loopback(&url) {
            return Err(Failure::usage(format!(
                "refusing to read the API document over plain http from {}: anyone on the way could change it; \
                 use https:// or a local file",
                url.host_str().unwrap_or_default()
            )));
        }
        tokio::time::timeout(READ_FOR, download(&url)).await.map_err(|_| {
            Failure::Document(format!(
                "cannot read the API document from {url}: it took longer than {} s",
                READ_FOR.as_secs()
            ))
        })??
    } else {
        let bytes = std::fs::read(source).map_err(|e| {
            Failure::usage(format!(
                "--from {source}: {e}; give the path of an API document (YAML or JSON) or an https:// URL"
            ))
        })?;
        if bytes.len() > MAX_DOCUMENT {
            return Err(Failure::usage(format!(
                "{source} is {} bytes; an API document is at most {MAX_DOCUMENT}",
                bytes.len()
            )));
        }
        String::from_utf8(bytes).map_err(|_| Failure::usage(format!("{source} is not UTF-8 text")))?
    };
    Ok(Fetched {
        source: source.to_string(),
        text,
        fetched,
    })
}

async fn download(url: &url::Url) -> Outcome<String> {
    let failed = |reason: String| Failure::Document(format!("cannot read the API document from {url}: {reason}"));
    // Redirects are followed to https, or within this machine; never to plain
    // http elsewhere (the check above would be for nothing).
    // (Within this machine only from this machine: an https server cannot send
    // the reader to a local http service.)
    let from_here = is_loopback(url);
    let policy = reqwest::redirect::Policy::custom(move |attempt| {
        // `previous` holds the first URL too.
        if attempt.previous().len() > 5 {
            attempt.error("more than 5 redirects")
        } else if attempt.url().scheme() == "https" || (from_here && is_loopback(attempt.url())) {
            attempt.follow()
        } else {
            attempt.error("a redirect to plain http, which anyone on the way could change")
        }
    });
    let http = carbon_api_gen::http_client_builder(Duration::from_secs(10), Duration::from_secs(60))
        .map_err(|e| failed(e.to_string()))?
        .redirect(policy)
        .build()
        .map_err(|e| failed(e.to_string()))?;
    let mut response = http
        .get(url.as_str())
        .header("user-agent", carbon_ext::user_agent())
        .send()
        .await
        .map_err(|e| failed(carbon_ext::with_causes(&e)))?;
    let status = response.status();
    if !status.is_success() {
        return Err(failed(format!("the server answered {status}")));
    }
    if response.content_length().is_some_and(|n| n > MAX_DOCUMENT as u64) {
        return Err(failed(format!("it is larger than {MAX_DOCUMENT} bytes")));
    }
    // Read in chunks, so that a body without a length stops at the cap too.
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| failed(e.to_string()))? {
        if bytes.len() + chunk.len() > MAX_DOCUMENT {
            return Err(failed(format!("it is larger than {MAX_DOCUMENT} bytes")));
        }
        bytes.extend_from_slice(&chunk);
    }
    String::from_utf8(bytes).map_err(|_| failed("it is not UTF-8 text".into()))
}

/// Makes the fetched document what regen would, and compares it with this build's.
fn review(fetched: &Fetched) -> Outcome<Review> {
    let upstream = carbon_api_regen::parse(&fetched.source, &fetched.text).map_err(|e| match fetched.fetched {
        // What the server sent is not the document: it could not be read.
        true => Failure::Document(format!("the API document could not be read: {e}")),
        false => Failure::usage(e.to_string()),
    })?;
    let found = carbon_api_regen::api_version(&upstream)
        .unwrap_or("unknown")
        .to_string();
    let overlay = carbon_api_regen::overlay::parse(carbon_api_spec::OVERLAY_YAML)
        .map_err(|e| Failure::usage(format!("this build's overlay: {e}")))?;
    let built: Value = serde_json::from_str(carbon_api_gen::OPENAPI_JSON)
        .map_err(|e| Failure::usage(format!("this build's document: {e}")))?;
    let (diff, refused) = match carbon_api_regen::build(&upstream, &overlay) {
        Ok((doc, _)) => (carbon_api_regen::diff::diff(&built, &doc), None),
        // An API document regen cannot make a client of: breaking.
        Err(e @ carbon_api_regen::Error::Guards(_)) => (Diff::default(), Some(e.to_string())),
        // Not an API document this tool reads (Swagger 2.0, say).
        Err(e) if fetched.fetched => {
            return Err(Failure::Document(format!("the API document could not be read: {e}")));
        }
        Err(e) => return Err(Failure::usage(format!("{}: {e}", fetched.source))),
    };
    Ok(Review {
        source: fetched.source.clone(),
        built_from: carbon_api_gen::API_VERSION.to_string(),
        found,
        diff,
        refused,
    })
}

fn print(review: &Review, printing: &Printing) -> Outcome {
    let text = match printing.style.format {
        Format::Json if printing.style.asked => {
            let document = json!({
                "source": review.source,
                "built_from": review.built_from,
                "found": review.found,
                "verdict": review.impact().to_string(),
                "changes": review.rows(),
            });
            format!("{}\n", serde_json::to_string_pretty(&document).unwrap_or_default())
        }
        Format::Ndjson if printing.style.asked => review.rows().iter().map(|row| format!("{row}\n")).collect(),
        Format::Csv => {
            let mut out = csv::Writer::from_writer(Vec::new());
            out.write_record(["subject", "change", "impact"])
                .map_err(std::io::Error::other)?;
            for row in review.rows() {
                let cell = |name: &str| row[name].as_str().unwrap_or_default().to_string();
                out.write_record([cell("subject"), cell("change"), cell("impact")])
                    .map_err(std::io::Error::other)?;
            }
            String::from_utf8_lossy(&out.into_inner().map_err(|e| e.into_error())?).into_owned()
        }
        _ => {
            let mut text = format!(
                "this build: Carbon API {}\nchecked:    {} (Carbon API {})\n\n",
                review.built_from, review.source, review.found
            );
            match &review.refused {
                Some(reason) => text.push_str(&format!(
                    "regen would refuse the document: {reason}\nsemver: breaking\n"
                )),
                None => text.push_str(&review.diff.to_string()),
            }
            text
        }
    };
    Ok(write_stdout(text.as_bytes())?)
}
