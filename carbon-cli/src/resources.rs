//! One command per operation of the API, built from the generated table of
//! operations: `carbon <resource> [<group>] <verb>`, e.g. `carbon part-orders list`,
//! `carbon printers queues update`. Names, flags and help come from the document, so
//! an operation Carbon adds appears after `cargo xtask regen` with nothing written
//! by hand.

use carbon_ext::extras::{CallKind, FieldInfo, Location, Operation, OperationInfo, ValueKind};
use clap::{Arg, ArgAction, ArgMatches, Command};

/// The flag of every create, update and delete command that shows the request
/// instead of sending it.
pub const DRY_RUN: &str = "dry-run";
/// The flag of a delete command that confirms it without asking.
pub const YES: &str = "yes";
/// The argument of an upload command: the file to send.
pub const UPLOAD_FILE: &str = "file";
/// The upload's header with the file's name, which the file gives.
pub const UPLOAD_NAME: &str = "filename";

/// The flag of every command that writes a file: where (`-o` is the output format).
pub const DESTINATION: &str = "to";
/// The flag of every list command that reads every page.
pub const ALL: &str = "all";
/// The flag of every list command that caps the records printed.
pub const MAX_ITEMS: &str = "max-items";

/// Where an operation sits in the command tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The first path segment, kebab-case (`part-orders`).
    pub resource: String,
    /// A sub-resource (`queues`, `presigned`), if any.
    pub group: Option<String>,
    /// What it does (`list`, `get`, `create`, `update`, `delete`, `download`...).
    pub verb: String,
}

/// `part_order_uuid`, `printIds` → `part-order-uuid`, `print-ids`.
fn kebab(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 4);
    for (i, c) in text.chars().enumerate() {
        match c {
            '_' => out.push('-'),
            c if c.is_ascii_uppercase() => {
                if i > 0 && !out.ends_with('-') {
                    out.push('-');
                }
                out.push(c.to_ascii_lowercase());
            }
            c => out.push(c),
        }
    }
    out
}

/// The command path of an operation, derived from its method and path template.
pub fn route(op: &OperationInfo) -> Route {
    let segments: Vec<&str> = op.path.split('/').filter(|s| !s.is_empty()).collect();
    let resource = kebab(segments.first().copied().unwrap_or(op.name));
    let rest = segments.get(1..).unwrap_or_default();
    let is_param = |s: &&str| s.starts_with('{');
    let has_param = rest.iter().any(is_param);
    let mut literals: Vec<String> = rest.iter().filter(|s| !is_param(s)).map(|s| kebab(s)).collect();
    let ends_in_literal = rest.last().is_some_and(|s| !is_param(s));
    let verb = match op.method {
        _ if op.kind == CallKind::Upload => "upload".to_string(),
        "GET" if has_param && ends_in_literal => literals.pop().unwrap_or_default(),
        "GET" if has_param => "get".into(),
        "GET" if op.operation_id.starts_with("find") => "find".into(),
        "GET" => "list".into(),
        "POST" if literals.len() >= 2 => literals.pop().unwrap_or_default(),
        "POST" => "create".into(),
        "PATCH" | "PUT" => "update".into(),
        "DELETE" => "delete".into(),
        other => other.to_ascii_lowercase(),
    };
    Route {
        resource,
        group: (!literals.is_empty()).then(|| literals.join("-")),
        verb,
    }
}

/// The flag name of a field (`part_order_uuid` → `part-order-uuid`).
pub fn flag_name(field: &FieldInfo, op: &OperationInfo) -> String {
    let name = kebab(field.name);
    // A body member named like a parameter gets a prefix.
    if field.location == Location::Body && op.params.iter().any(|p| kebab(p.name) == name) {
        format!("body-{name}")
    } else {
        name
    }
}

/// The argument id of a field (location + wire name, never clashing).
pub fn arg_id(field: &FieldInfo) -> String {
    format!("{}:{}", field.location, field.name)
}

fn field_help(field: &FieldInfo) -> String {
    let mut help = field
        .description
        .split(". ")
        .next()
        .unwrap_or_default()
        .trim()
        .to_string();
    if help.is_empty() {
        help = format!("The {} {}.", field.location, field.name);
    }
    if !help.ends_with('.') {
        help.push('.');
    }
    match field.kind {
        ValueKind::DateTime if field.location == Location::Body => {
            help.push_str(" RFC 3339, a date, or from now (7d).")
        }
        ValueKind::DateTime => help.push_str(" RFC 3339, a date, or ago (2d)."),
        _ => {}
    }
    if !field.values.is_empty() {
        help.push_str(&format!(" One of: {}.", field.values.join(", ")));
    }
    if !field.sort_keys.is_empty() {
        help.push_str(&format!(" By: {} (add ,desc to reverse).", field.sort_keys.join(", ")));
    }
    if crate::values::splits_on_commas(field) {
        help.push_str(" Repeat, or separate with commas, for several.");
    } else if field.array {
        help.push_str(" Repeat for several.");
    }
    help
}

/// A placeholder for an example value.
fn example_value(field: &FieldInfo) -> String {
    match (field.kind, field.name) {
        (_, name) if name.ends_with("uuid") => "UUID".into(),
        (ValueKind::Integer, "limit") => "100".into(),
        (ValueKind::Integer, _) => "1".into(),
        (ValueKind::DateTime, _) => "7d".into(),
        (ValueKind::Boolean, _) => "true".into(),
        _ => field.name.to_ascii_uppercase(),
    }
}

/// The example line of an operation's help.
fn example(op: &OperationInfo, route: &Route) -> String {
    let mut line = format!("carbon {}", route.resource);
    if let Some(group) = &route.group {
        line.push(' ');
        line.push_str(group);
    }
    line.push(' ');
    line.push_str(&route.verb);
    for p in op.params.iter().filter(|p| p.location == Location::Path) {
        line.push(' ');
        line.push_str(&p.name.to_ascii_uppercase());
    }
    if op.kind == CallKind::Upload {
        line.push_str(" bracket.stl");
    }
    for p in op.params.iter().filter(|p| p.location != Location::Path && p.required) {
        if p.name == "limit" || op.kind == CallKind::Upload {
            continue;
        }
        line.push_str(&format!(" --{} {}", flag_name(p, op), example_value(p)));
    }
    match op.body {
        Some(body) if body.content_type.contains("json") => {
            let required: Vec<&FieldInfo> = body.fields.iter().filter(|f| f.required).collect();
            if required.iter().any(|f| f.kind == ValueKind::Object) || required.is_empty() {
                line.push_str(" --body request.json");
            } else {
                for f in required {
                    line.push_str(&format!(" --{} {}", flag_name(f, op), example_value(f)));
                }
            }
        }
        _ => {}
    }
    if op.kind.is_list() && op.method == "GET" {
        line.push_str(" --all --output csv");
    }
    format!("Example:\n  {line}")
}

fn field_arg(field: &FieldInfo, op: &OperationInfo) -> Arg {
    let mut arg = Arg::new(arg_id(field))
        .long(flag_name(field, op))
        .help(field_help(field))
        .value_name(kebab(field.name).replace('-', "_").to_ascii_uppercase());
    if field.array {
        arg = arg.action(ArgAction::Append);
    }
    // A parameter the API requires is a required flag, unless the document gives
    // it a default (`limit`), which the flag then has. Body members may come from
    // `--body` instead, so they are never required flags.
    if field.required && field.location != Location::Body {
        arg = match field.default {
            Some(default) => arg.default_value(default),
            None => arg.required(true),
        };
    }
    if field.kind == ValueKind::Boolean && !field.array {
        // `--flush` alone means true.
        arg = arg
            .num_args(0..=1)
            .default_missing_value("true")
            .value_parser(clap::value_parser!(bool))
            .value_name("BOOL");
    }
    arg
}

/// The command line of an operation, as help text names it (`carbon part-orders list`).
pub fn command_line(op: &OperationInfo) -> String {
    let route = route(op);
    match &route.group {
        Some(group) => format!("carbon {} {group} {}", route.resource, route.verb),
        None => format!("carbon {} {}", route.resource, route.verb),
    }
}

/// The document's text with each operation id (`getPrintedParts`) replaced by the
/// command that runs it.
fn in_cli_words(text: &str) -> String {
    let mut text = text.to_string();
    for op in carbon_ext::Client::operations() {
        text = text.replace(&format!("`{}`", op.operation_id), &format!("`{}`", command_line(op)));
    }
    text
}

/// The command of one operation.
pub fn operation_command(op: &'static OperationInfo, route: &Route) -> Command {
    let mut about = op.summary.to_string();
    if about.is_empty() {
        about = format!("{} {}", op.method, op.path);
    }
    let mut long = about.clone();
    if !op.description.is_empty() {
        long.push_str("\n\n");
        long.push_str(&in_cli_words(op.description));
    }
    long.push_str(&format!("\n\nAPI: {} {}", op.method, op.path));
    let mut command = Command::new(route.verb.clone())
        .about(about)
        .long_about(long)
        .after_help(example(op, route));
    if op.method == "DELETE" {
        command = command.visible_alias("cancel");
    }
    for p in op.params.iter().filter(|p| p.location == Location::Path) {
        command = command.arg(
            Arg::new(arg_id(p))
                .value_name(p.name.to_ascii_uppercase())
                .help(field_help(p))
                .required(true),
        );
    }
    for p in op.params.iter().filter(|p| p.location != Location::Path) {
        // An upload's file name comes from the file.
        if op.kind == CallKind::Upload && p.name == UPLOAD_NAME {
            continue;
        }
        command = command.arg(field_arg(p, op));
    }
    match op.body {
        Some(body) if body.content_type.contains("json") => {
            command = command.arg(
                Arg::new("body")
                    .long("body")
                    .value_name("FILE")
                    .help("The request body as JSON, from FILE or - (standard input); flags set its members."),
            );
            for field in body.fields.iter().filter(|f| f.kind != ValueKind::Object) {
                command = command.arg(field_arg(field, op));
            }
        }
        Some(_) => {
            command = command.arg(
                Arg::new(UPLOAD_FILE)
                    .value_name("FILE")
                    .help("The model file to upload.")
                    .required(true),
            );
        }
        None => {}
    }
    if op.kind == CallKind::Download {
        command = command.arg(
            Arg::new(DESTINATION)
                .long(DESTINATION)
                .value_name("PATH")
                .help("Where to write the file (default: the name the server gives, in this directory)."),
        );
    }
    if op.method != "GET" {
        command = command.arg(
            Arg::new(DRY_RUN)
                .long(DRY_RUN)
                .action(ArgAction::SetTrue)
                .help("Show the request (method, path, query, body) and send nothing."),
        );
    }
    if op.method == "DELETE" {
        command = command.arg(
            Arg::new(YES)
                .long(YES)
                .short('y')
                .action(ArgAction::SetTrue)
                .help("Do it without asking (needed where there is no terminal to ask on)."),
        );
    }
    if op.kind.is_list() && op.method == "GET" {
        let all_help = if op.kind.is_paged() {
            "Every page, streamed (default: the first page)."
        } else {
            "Every record (this list always comes whole)."
        };
        command = command
            .arg(Arg::new(ALL).long(ALL).action(ArgAction::SetTrue).help(all_help))
            .arg(
                Arg::new(MAX_ITEMS)
                    .long(MAX_ITEMS)
                    .value_name("N")
                    .value_parser(clap::value_parser!(u64).range(1..))
                    .help("At most N records, reading as many pages as that takes (--limit stays the page size)."),
            );
    }
    command
}

/// Every resource command, each with its verbs (and groups of verbs).
pub fn resource_commands() -> Vec<Command> {
    let mut by_resource: std::collections::BTreeMap<String, Vec<(&'static OperationInfo, Route)>> = Default::default();
    for op in carbon_ext::Client::operations() {
        let route = route(op);
        by_resource.entry(route.resource.clone()).or_default().push((op, route));
    }
    by_resource
        .into_iter()
        .map(|(resource, ops)| {
            let tag = ops.first().map(|(op, _)| op.tag).unwrap_or_default();
            let mut command = Command::new(resource.clone())
                .about(format!("{tag}: {}", verbs(&ops)))
                .subcommand_required(true)
                .arg_required_else_help(true);
            let mut groups: std::collections::BTreeMap<String, Command> = Default::default();
            for (op, route) in &ops {
                let sub = operation_command(op, route);
                match &route.group {
                    Some(group) => {
                        let entry = groups.remove(group).unwrap_or_else(|| {
                            Command::new(group.clone())
                                .about(format!("{resource} {group}"))
                                .subcommand_required(true)
                                .arg_required_else_help(true)
                        });
                        groups.insert(group.clone(), entry.subcommand(sub));
                    }
                    None => command = command.subcommand(sub),
                }
            }
            for (_, group) in groups {
                command = command.subcommand(group);
            }
            command
        })
        .collect()
}

fn verbs(ops: &[(&'static OperationInfo, Route)]) -> String {
    let names: Vec<String> = ops
        .iter()
        .map(|(_, r)| match &r.group {
            Some(g) => format!("{g} {}", r.verb),
            None => r.verb.clone(),
        })
        .collect();
    names.join(", ")
}

/// The operation behind each command path (`["printers", "queues", "update"]`),
/// worked out once from the same routes that build the tree.
fn operations_by_path() -> &'static std::collections::HashMap<Vec<String>, Operation> {
    static BY_PATH: std::sync::OnceLock<std::collections::HashMap<Vec<String>, Operation>> = std::sync::OnceLock::new();
    BY_PATH.get_or_init(|| {
        Operation::ALL
            .iter()
            .map(|op| {
                let r = route(op.info());
                let mut path = vec![r.resource];
                path.extend(r.group);
                path.push(r.verb);
                (path, *op)
            })
            .collect()
    })
}

/// The operation a parsed command line names, with its matches, if it is a
/// resource command.
pub fn find(matches: &ArgMatches) -> Option<(Operation, &ArgMatches)> {
    let mut path = Vec::new();
    let mut leaf = matches;
    while let Some((name, sub)) = leaf.subcommand() {
        path.push(name.to_string());
        leaf = sub;
    }
    operations_by_path().get(&path).map(|op| (*op, leaf))
}

/// The positionals and flags a command of `op` cannot go without, with valid
/// placeholder values: for tests that build command lines of every operation.
#[cfg(test)]
pub fn required_args(op: &OperationInfo) -> Vec<String> {
    let mut args = Vec::new();
    for p in op.params.iter().filter(|p| p.location == Location::Path) {
        let value = if p.kind == ValueKind::Uuid {
            "1cf34076-417e-489f-8863-3438facd4808"
        } else {
            "ABC123"
        };
        args.push(value.to_string());
    }
    if op.kind == CallKind::Upload {
        args.push("part.stl".into());
    }
    let flags = op
        .params
        .iter()
        .filter(|p| p.required && p.default.is_none() && p.location != Location::Path)
        .filter(|p| !(op.kind == CallKind::Upload && p.name == UPLOAD_NAME));
    for p in flags {
        args.extend([format!("--{}", flag_name(p, op)), "x".into()]);
    }
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_has_a_command_of_its_own() {
        let mut seen = std::collections::HashSet::new();
        for op in carbon_ext::Client::operations() {
            let r = route(op);
            assert!(
                seen.insert((r.resource.clone(), r.group.clone(), r.verb.clone())),
                "{} shares {r:?}",
                op.operation_id
            );
        }
        let named = |id: &str| route(carbon_ext::extras::operation(id).unwrap());
        let show = |r: Route| {
            format!(
                "{} {}{}",
                r.resource,
                r.group.map(|g| g + " ").unwrap_or_default(),
                r.verb
            )
        };
        assert_eq!(show(named("getPartOrders")), "part-orders list");
        assert_eq!(show(named("deletePartOrder")), "part-orders delete");
        assert_eq!(show(named("updatePrinterQueue")), "printers queues update");
        assert_eq!(show(named("getPrinter")), "printers get");
        assert_eq!(show(named("resolvePresignedModelUpload")), "models presigned resolve");
        assert_eq!(show(named("getPresignedUploadUrl")), "models presigned create");
        assert_eq!(show(named("downloadModel")), "models download");
        assert_eq!(show(named("uploadModel")), "models upload");
        assert_eq!(show(named("findModels")), "models find");
        assert_eq!(show(named("getPrintQualityData")), "print-quality-data list");
    }

    #[test]
    fn every_command_line_finds_its_operation() {
        let root = crate::cli::command();
        for op in Operation::ALL {
            let info = op.info();
            let mut argv: Vec<String> = command_line(info).split(' ').map(str::to_string).collect();
            argv.extend(required_args(info));
            let matches = root
                .clone()
                .try_get_matches_from(&argv)
                .unwrap_or_else(|e| panic!("{argv:?}: {e}"));
            let (found, _) = find(&matches).unwrap_or_else(|| panic!("{argv:?} finds no operation"));
            assert_eq!(found, *op, "{argv:?}");
        }
    }

    #[test]
    fn the_tree_is_a_valid_clap_command() {
        let mut root = Command::new("carbon");
        for command in resource_commands() {
            root = root.subcommand(command);
        }
        root.debug_assert();
    }
}
