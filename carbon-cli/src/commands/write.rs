//! Commands that get one record or change something: a get prints the record; a
//! create, update or delete can be previewed with `--dry-run` (nothing is sent), and
//! a delete says which record it is about and asks first (`--yes` on scripts).

use std::io::IsTerminal;

use carbon_ext::extras::OperationInfo;
use clap::ArgMatches;
use serde_json::{Map, Value, json};

use super::{Connect, Printing, dry_run_requested};
use crate::failure::{Failure, Outcome};
use crate::output::print_record;
use crate::resources::{YES, command_line};

/// Runs a call that is not a list or a file.
pub async fn run(
    connect: Connect<'_>,
    info: &'static OperationInfo,
    args: &Map<String, Value>,
    matches: &ArgMatches,
    printing: &Printing,
) -> Outcome {
    let mut out = std::io::stdout().lock();
    if info.method != "GET" && dry_run_requested(matches) {
        print_record(&printing.style, &request_plan(info, args), &mut out)?;
        return Ok(());
    }
    let client = connect()?;
    if info.method == "DELETE" {
        let name = describe_target(&client, info, args).await?;
        if !confirm(info, &name, matches.get_flag(YES)).await? {
            eprintln!("{name} left as it was");
            return Ok(());
        }
        client.call_by_name(info.name, args).await?;
        eprintln!("{name} {}", past_tense(info.summary));
        return Ok(());
    }
    let answer = client.call_by_name(info.name, args).await?;
    if answer.is_null() {
        eprintln!("{}: done", info.summary);
        return Ok(());
    }
    print_record(&printing.style, &answer, &mut out)?;
    Ok(())
}

/// What a write would send: method, path with its ids, query, headers and body.
fn request_plan(info: &OperationInfo, args: &Map<String, Value>) -> Value {
    let mut path = info.path.to_string();
    let mut query = Map::new();
    let mut headers = Map::new();
    for param in info.params {
        let Some(value) = args.get(param.name) else { continue };
        match param.location {
            carbon_ext::extras::Location::Path => {
                let text = value.as_str().map_or_else(|| value.to_string(), str::to_string);
                path = path.replace(&format!("{{{}}}", param.name), &text);
            }
            carbon_ext::extras::Location::Header => {
                headers.insert(param.name.to_string(), value.clone());
            }
            _ => {
                query.insert(param.name.to_string(), value.clone());
            }
        }
    }
    json!({
        "dry_run": true,
        "would_send": format!("{} {path}", info.method),
        "query": query,
        "headers": headers,
        "body": args.get("body").cloned().unwrap_or(Value::Null),
    })
}

/// "part order PO-1 (5c1e…)": the record a delete is about, read first.
async fn describe_target(
    client: &carbon_ext::Client,
    info: &OperationInfo,
    args: &Map<String, Value>,
) -> Outcome<String> {
    let noun = record_noun(info.tag);
    let id = args.get("uuid").and_then(Value::as_str).unwrap_or_default();
    let getter = carbon_ext::extras::operations()
        .iter()
        .find(|op| op.method == "GET" && op.path == info.path);
    let Some(getter) = getter else {
        return Ok(format!("{noun} {id}"));
    };
    let record = client.call_by_name(getter.name, args).await?;
    let number = record
        .as_object()
        .and_then(|o| o.iter().find(|(k, v)| k.ends_with("_number") && v.is_string()))
        .and_then(|(_, v)| v.as_str());
    Ok(match number {
        Some(number) => format!("{noun} {number} ({id})"),
        None => format!("{noun} {id}"),
    })
}

/// Whether to go ahead: asked on a terminal (a "no" is an answer, not an error);
/// without one, only `--yes` goes ahead.
async fn confirm(info: &OperationInfo, name: &str, yes: bool) -> Outcome<bool> {
    if yes {
        return Ok(true);
    }
    let action = summary_verb(info.summary);
    if !std::io::stdin().is_terminal() {
        return Err(Failure::usage(format!(
            "`{}` would {} {name}: add --{YES} to confirm (there is no terminal to ask on); nothing was changed",
            command_line(info),
            action.to_lowercase()
        )));
    }
    eprint!("{action} {name}? [y/N] ");
    let answer = tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).map(|_| line)
    })
    .await
    .map_err(|e| Failure::usage(e.to_string()))??;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes"))
}

/// The verb an operation's summary starts with (`Cancel a part order` → `Cancel`).
fn summary_verb(summary: &str) -> &str {
    summary.split_whitespace().next().unwrap_or("Delete")
}

/// `PartOrders` → `part order`.
fn record_noun(tag: &str) -> String {
    let mut words = String::new();
    for (i, c) in tag.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            words.push(' ');
        }
        words.push(c.to_ascii_lowercase());
    }
    words.strip_suffix('s').map(str::to_string).unwrap_or(words)
}

/// What the summary's verb did: `Cancel a part order` → `canceled`.
fn past_tense(summary: &str) -> String {
    let verb = summary_verb(summary).to_lowercase();
    match verb.as_str() {
        "cancel" => "canceled".into(),
        v if v.ends_with('e') => format!("{v}d"),
        v => format!("{v}ed"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use carbon_ext::extras::Operation;

    #[test]
    fn deletes_are_said_in_words() {
        assert_eq!(record_noun("PartOrders"), "part order");
        assert_eq!(past_tense(Operation::DeletePartOrder.info().summary), "canceled");
        assert_eq!(past_tense("Delete a thing"), "deleted");
        assert_eq!(past_tense("Remove a thing"), "removed");
    }

    #[test]
    fn a_plan_shows_the_request_with_its_ids() {
        let info = Operation::UpdatePartOrder.info();
        let args = json!({"uuid": "5c1e0b2a-0000-4000-8000-000000000001", "body": {"flush": true}});
        let plan = request_plan(info, args.as_object().unwrap());
        assert_eq!(
            plan["would_send"],
            "PATCH /part_orders/5c1e0b2a-0000-4000-8000-000000000001"
        );
        assert_eq!(plan["body"], json!({"flush": true}));
    }
}
