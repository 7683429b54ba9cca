//! Running the hand-written commands, and what every command sets up first:
//! logging and the connection.

use carbon_ext::Client;

use crate::cli::{ApiCommand, CompletionArgs, ProfileCommand, TokenArgs, Workflow};
use crate::commands::Printing;
use crate::config::{ConfigFile, Connection, Flags, Key, Source};
use crate::failure::{Failure, Outcome};
use crate::output::{RecordWriter, print_record, write_stdout};
use crate::values::{self, Strictness};
use crate::workflows;
use crate::workflows::order::OrderFlags;

/// Logs to stderr: the SDK's warnings (such as a rate limit that cannot be
/// shared), `-v` also its calls and attempts (operation, method, path without
/// query, status, attempts, waits), `-vv` everything.
pub fn tracing(verbose: u8) {
    use tracing_subscriber::filter::{LevelFilter, Targets};
    use tracing_subscriber::fmt::format::FmtSpan;
    use tracing_subscriber::prelude::*;
    if verbose == 0 {
        let layer = tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .event_format(Warning);
        let _ = tracing_subscriber::registry()
            .with(
                layer.with_filter(
                    Targets::new()
                        .with_target("carbon_ext", LevelFilter::WARN)
                        // Said once, at the end (`main`), not as the answers arrive.
                        .with_target("carbon_ext::drift", LevelFilter::OFF),
                ),
            )
            .try_init();
        return;
    }
    let targets = match verbose {
        1 => Targets::new()
            .with_target("carbon_ext", LevelFilter::DEBUG)
            .with_default(LevelFilter::WARN),
        _ => Targets::new().with_default(LevelFilter::TRACE),
    };
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_span_events(FmtSpan::CLOSE)
        .with_target(false);
    let _ = tracing_subscriber::registry()
        .with(layer.with_filter(targets))
        .try_init();
}

/// A warning as a person reads it: `warning: what happened key=value …`.
struct Warning;

impl<S, N> tracing_subscriber::fmt::FormatEvent<S, N> for Warning
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    N: for<'a> tracing_subscriber::fmt::FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &tracing_subscriber::fmt::FmtContext<'_, S, N>,
        mut writer: tracing_subscriber::fmt::format::Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> std::fmt::Result {
        write!(writer, "warning: ")?;
        ctx.field_format().format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}

/// The client for these flags, environment and profile.
pub fn connect(flags: &Flags) -> Outcome<Client> {
    Connection::resolve(flags, &ConfigFile::load()?)?.client(!flags.no_shared_limit)
}

/// A name for the API origin and key a command uses, for files that belong to
/// one account on one API (the run journal): a hash, holding no secret.
fn journal_scope(connection: &Connection) -> Outcome<String> {
    use sha2::Digest;
    let key = connection.api_key()?;
    let digest = sha2::Sha256::digest(format!("{}\n{}", connection.base_url.0, key.client_id()));
    Ok(digest.iter().take(8).map(|b| format!("{b:02x}")).collect())
}

/// Checks the ids a hand-written command was given, as a resource command's are,
/// before anything is sent.
fn check_ids(workflow: &Workflow, strict: Strictness) -> Outcome {
    let order_ids = |order: &OrderFlags| match &order.application {
        Some(app) => values::id("--application", app, strict),
        None => Ok(()),
    };
    match workflow {
        Workflow::Order(args) => order_ids(&args.order),
        Workflow::HollowOrder(args) => {
            values::id("--model-program", &args.model_program, strict)?;
            order_ids(&args.order)
        }
        Workflow::Wait(args) => values::id("UUID", &args.uuid, strict),
        Workflow::Download(args) => values::id("UUID", &args.uuid, strict),
        _ => Ok(()),
    }
}

/// Runs a hand-written command.
pub async fn workflow(workflow: Workflow, flags: &Flags, printing: &Printing) -> Outcome {
    check_ids(&workflow, printing.strict)?;
    match workflow {
        Workflow::Order(args) => workflows::order::run(&connect(flags)?, &args, printing).await,
        Workflow::HollowOrder(args) => {
            let connection = Connection::resolve(flags, &ConfigFile::load()?)?;
            let scope = journal_scope(&connection)?;
            workflows::hollow::run(&connection.client(!flags.no_shared_limit)?, &args, printing, &scope).await
        }
        Workflow::Export(export) => {
            let shape = workflows::export::check(&export, printing)?;
            workflows::export::run(&connect(flags)?, &export, &shape, printing).await
        }
        Workflow::Wait(args) => workflows::waits::run(&connect(flags)?, &args, printing).await,
        Workflow::Download(args) => workflows::files::download(&connect(flags)?, args.what, &args.uuid, args.out).await,
        Workflow::Token(args) => token(flags, &args),
        Workflow::Api(ApiCommand::Check(args)) => workflows::api::check(&args, flags, printing).await,
        Workflow::Profile(command) => profile(flags, command, printing),
        #[cfg(feature = "sim")]
        Workflow::Sim(args) => crate::sim::run(args).await,
        Workflow::Completions(args) => completions(&args),
    }
}

fn token(flags: &Flags, args: &TokenArgs) -> Outcome {
    let lifetime = args.lifetime;
    let key = Connection::resolve(flags, &ConfigFile::load()?)?.api_key()?;
    let token = carbon_ext::auth::mint(&key, lifetime).map_err(carbon_ext::Error::from)?;
    write_stdout(format!("{}\n", token.expose()).as_bytes())?;
    let until = chrono::DateTime::<chrono::Utc>::from(token.expires_at());
    eprintln!(
        "valid until {}",
        until.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );
    Ok(())
}

fn describe(source: Source) -> &'static str {
    match source {
        Source::Flag => "flag",
        Source::Environment => "environment",
        Source::Profile => "profile",
        Source::Default => "default",
    }
}

/// A Redis URL as it may be shown: without its password.
fn shown_redis_url(url: &str) -> String {
    match carbon_ext::RedisUrl::new(url) {
        Ok(url) => url.to_string(),
        // Not shown: what does not parse may still hold a password.
        Err(_) => "(not a Redis URL: set it again with `carbon profile set NAME --rate-limit-redis URL`)".into(),
    }
}

fn unknown_profile(config: &ConfigFile, name: &str) -> Failure {
    let known: Vec<&str> = config.profiles.keys().map(String::as_str).collect();
    Failure::usage(format!(
        "no profile `{name}` (known: {}); `carbon profile list` shows them",
        if known.is_empty() {
            "none".to_string()
        } else {
            known.join(", ")
        }
    ))
}

fn profile(flags: &Flags, command: ProfileCommand, printing: &Printing) -> Outcome {
    let mut config = ConfigFile::load()?;
    match command {
        ProfileCommand::Set {
            name,
            rate_limit_redis,
            no_rate_limit_redis,
        } => {
            if flags.base_url.is_none() && flags.secrets.is_none() && rate_limit_redis.is_none() && !no_rate_limit_redis
            {
                return Err(Failure::usage(format!(
                    "give what the profile holds: carbon profile set {name} --base-url URL --secrets FILE \
                     [--rate-limit-redis URL]"
                )));
            }
            if let Some(url) = &rate_limit_redis {
                carbon_ext::RedisUrl::new(url.trim())?;
            }
            let profile = config.profiles.entry(name.clone()).or_default();
            if let Some(url) = rate_limit_redis {
                profile.rate_limit_redis = Some(url.trim().to_string());
            }
            if no_rate_limit_redis {
                profile.rate_limit_redis = None;
            }
            if let Some(url) = &flags.base_url {
                profile.base_url = Some(url.clone());
            }
            if let Some(path) = &flags.secrets {
                let absolute = std::path::absolute(path).unwrap_or_else(|_| path.clone());
                carbon_ext::auth::ApiKey::from_file(&absolute).map_err(carbon_ext::Error::from)?;
                profile.secrets = Some(absolute);
            }
            let path = config.save()?;
            eprintln!("profile {name} saved in {}", path.display());
        }
        ProfileCommand::List => {
            let default = config.default_name();
            let mut writer = RecordWriter::new(
                &printing.style,
                None,
                &["default", "name", "base_url", "secrets", "rate_limit_redis"],
                std::io::stdout().lock(),
            );
            for (name, profile) in &config.profiles {
                writer.write(&serde_json::json!({
                    "default": if default == Some(name.as_str()) { "*" } else { "" },
                    "name": name,
                    "base_url": profile.base_url,
                    "secrets": profile.secrets,
                    "rate_limit_redis": profile.rate_limit_redis.as_deref().map(shown_redis_url),
                }))?;
            }
            drop(writer.finish()?);
            if config.profiles.is_empty() && !printing.quiet {
                eprintln!("no profiles yet: `carbon profile set NAME --base-url URL --secrets FILE` makes one");
            }
        }
        ProfileCommand::Use { name } => {
            if !config.profiles.contains_key(&name) {
                return Err(unknown_profile(&config, &name));
            }
            config.default_profile = Some(name.clone());
            config.save()?;
            eprintln!("commands without --profile now use profile {name}");
        }
        ProfileCommand::Show { name } => {
            let flags = Flags {
                profile: name.or_else(|| flags.profile.clone()),
                ..flags.clone()
            };
            let connection = Connection::resolve(&flags, &config)?;
            let key = match &connection.key {
                Some((Key::File(path), source)) => format!("{} ({})", path.display(), describe(*source)),
                Some((Key::Environment, source)) => format!("from the environment ({})", describe(*source)),
                None => "(none)".to_string(),
            };
            let rate_limit = match (&connection.rate_limit_redis, flags.no_shared_limit) {
                (_, true) => "this process only (--no-shared-limit)".to_string(),
                (Some((url, source)), _) => {
                    format!("shared through Redis {} ({})", shown_redis_url(url), describe(*source))
                }
                (None, _) => "shared with the key's processes on this host".to_string(),
            };
            let shown = serde_json::json!({
                "profile": connection.profile.as_deref().unwrap_or("(none)"),
                "base_url": format!("{} ({})", connection.base_url.0, describe(connection.base_url.1)),
                "key": key,
                "rate_limit": rate_limit,
            });
            print_record(&printing.style, &shown, &mut std::io::stdout().lock())?;
        }
        ProfileCommand::Remove { name } => {
            if config.profiles.remove(&name).is_none() {
                return Err(unknown_profile(&config, &name));
            }
            if config.default_profile.as_deref() == Some(name.as_str()) {
                config.default_profile = None;
            }
            config.save()?;
            eprintln!("profile {name} removed");
        }
    }
    Ok(())
}

fn completions(args: &CompletionArgs) -> Outcome {
    let mut command = crate::cli::command();
    // Written whole, so that a reader that goes away is an error we see (clap
    // would panic on it).
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "carbon", &mut script);
    Ok(write_stdout(&script)?)
}
