//! The command line: global options, the hand-written commands, and the resource
//! commands built from the API's operations.

use std::path::PathBuf;

use clap::{Args, Command, FromArgMatches, Subcommand};

use crate::output::Format;
pub use crate::workflows::export::Export;
use crate::workflows::hollow::HollowArgs;
use crate::workflows::order::OrderArgs;
use crate::workflows::waits::WaitArgs;

const ABOUT: &str = "The Carbon DLS API from a shell: every operation, crash-safe upload-and-order \
workflows, JSON/CSV/table output.";

const AFTER_HELP: &str = "\
Connection (first found wins): --base-url / --secrets; CARBON_BASE_URL, CARBON_SECRETS_FILE or
CARBON_CLIENT_ID + CARBON_CLIENT_SECRET; the profile (--profile, CARBON_PROFILE, the one
`carbon profile use` chose, or `default`); production (https://api.carbon3d.com/v1).

Output: a table on a terminal, JSON lines when piped; -o table|wide|json|ndjson|csv to choose,
--fields a,b.c to pick fields. Values are checked before sending (--allow-unknown-values).
Progress bars go to stderr, only on a terminal.

Exit status: 0 done; 1 the API refused or could not be reached; 2 bad usage or input (a flag,
a value, a file, a key, --body, an order that cannot be reused); 3 a wait timed out; 4 a wait
ended failed (or some runs did); 5 and 6 `api check` found an additive or a breaking API change; 130 stopped by Ctrl-C, SIGTERM or a closed terminal (an export leaves no file behind).

Examples:
  carbon --profile sim parts list --all -o csv
  carbon order *.stl --part-number BRK-7 --order-number PO-1001 --wait packed
  carbon export printed-parts --started-after 30d --to parts.csv
  carbon part-orders get 5c1e0b2a-…";

/// The root's closing help; the simulator's example only in builds that have it.
fn after_help() -> String {
    let sim = if cfg!(feature = "sim") {
        "  carbon sim                                         # a local simulator and a `sim` profile\n"
    } else {
        ""
    };
    AFTER_HELP.replacen("Examples:\n", &format!("Examples:\n{sim}"), 1)
}

/// Options every command takes.
#[derive(Debug, Clone, Args)]
pub struct Global {
    /// The profile to use (see `carbon profile`).
    #[arg(long, global = true, value_name = "NAME", help_heading = "Global options")]
    pub profile: Option<String>,
    /// The API's base URL.
    #[arg(long, global = true, value_name = "URL", help_heading = "Global options")]
    pub base_url: Option<String>,
    /// The secrets.json with the API key.
    #[arg(long, global = true, value_name = "FILE", help_heading = "Global options")]
    pub secrets: Option<PathBuf>,
    /// How to print records (default: table on a terminal, ndjson when piped);
    /// `wide` is a table with every field.
    #[arg(
        short = 'o',
        long,
        visible_alias = "format",
        global = true,
        value_enum,
        value_name = "FORMAT",
        help_heading = "Global options"
    )]
    pub output: Option<Format>,
    /// Only these fields, in this order, in every format: `serial,status.printer_state`.
    #[arg(long, global = true, value_name = "A,B.C", help_heading = "Global options")]
    pub fields: Option<String>,
    /// Send enum values, sort keys and ids the API document does not know (for a
    /// server newer than this build) instead of refusing them.
    #[arg(long, global = true, help_heading = "Global options")]
    pub allow_unknown_values: bool,
    /// Keep to the API's rate limit alone instead of sharing it with the other
    /// processes of the same key (on this host, or through Redis).
    #[arg(long, global = true, help_heading = "Global options")]
    pub no_shared_limit: bool,
    /// No progress bars or notes on stderr.
    #[arg(short, long, global = true, help_heading = "Global options")]
    pub quiet: bool,
    /// Log requests to stderr (-v: calls and attempts, -vv: everything).
    #[arg(short, long, global = true, action = clap::ArgAction::Count, help_heading = "Global options")]
    pub verbose: u8,
}

/// The hand-written commands.
#[derive(Debug, Clone, Subcommand)]
pub enum Workflow {
    /// Upload files, a part of each, and one part order; safe to re-run.
    Order(OrderArgs),
    /// Upload files, run a model program on each, parts of the outputs, one order.
    HollowOrder(HollowArgs),
    /// Export production data.
    #[command(subcommand)]
    Export(Export),
    /// Wait for an order or a run to get where it should.
    Wait(WaitArgs),
    /// Download a file: an attachment (traveler, video) or a model.
    Download(DownloadArgs),
    /// Print a bearer token for curl or another tool.
    Token(TokenArgs),
    /// Compare the API with the document this build was generated from.
    #[command(subcommand)]
    Api(ApiCommand),
    /// Manage profiles (base URL + key).
    #[command(subcommand)]
    Profile(ProfileCommand),
    /// Run the simulator here and write a `sim` profile for it.
    #[cfg(feature = "sim")]
    Sim(SimArgs),
    /// Print shell completions.
    Completions(CompletionArgs),
}

/// `carbon api`.
#[derive(Debug, Clone, Subcommand)]
pub enum ApiCommand {
    /// Does this build match the API? Reads the API's document, judges what changed
    /// since the one this build was generated from, and says what to do.
    Check(ApiCheckArgs),
}

/// `carbon api check`.
#[derive(Debug, Clone, Args)]
#[command(
    after_help = "Exit status: 0 no change; 5 additive (the API added what this build does not know: it keeps \
working); 6 breaking (the API changed or removed what this build knows); 1 the document could not be read \
(or what the server sent is not one); 2 bad usage (a file that is not an API document).

Examples:
  carbon api check
  carbon api check --from openapi-0.4.18.yaml -o json"
)]
pub struct ApiCheckArgs {
    /// The document: an https:// URL, http:// to this machine, or a file (YAML or
    /// JSON). Default: where the API publishes it, BASE_URL/api.yaml.
    #[arg(long, value_name = "URL|FILE")]
    pub from: Option<String>,
}

/// What `carbon download` fetches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Downloadable {
    /// A build attachment (`Build.attachments[].uuid`).
    Attachment,
    /// A model's file.
    Model,
}

/// `carbon download`.
#[derive(Debug, Clone, Args)]
#[command(after_help = "Example:\n  carbon download attachment 8d1f… --to traveler.pdf")]
pub struct DownloadArgs {
    /// What to download.
    #[arg(value_enum)]
    pub what: Downloadable,
    /// Its uuid.
    pub uuid: String,
    /// A file to write, or a directory for the name the server gives (default: here).
    #[arg(long = "to", value_name = "PATH")]
    pub out: Option<PathBuf>,
}

/// `carbon token`.
#[derive(Debug, Clone, Args)]
#[command(
    after_help = "Example:\n  curl -H \"Authorization: Bearer $(carbon token)\" https://api.carbon3d.com/v1/printers?limit=10&offset=0"
)]
pub struct TokenArgs {
    /// How long the token is valid.
    #[arg(long, default_value = "60m", value_name = "DURATION", value_parser = crate::when::parse_duration)]
    pub lifetime: std::time::Duration,
}

/// `carbon profile ...`.
#[derive(Debug, Clone, Subcommand)]
pub enum ProfileCommand {
    /// Create or change a profile from --base-url, --secrets and --rate-limit-redis.
    #[command(
        after_help = "Examples:\n  carbon profile set prod --base-url https://api.carbon3d.com/v1 --secrets ~/secrets.json\n  \
                      carbon profile set prod --rate-limit-redis redis://cache.internal:6379/0"
    )]
    Set {
        /// The profile's name (`default` is used when none is named).
        name: String,
        /// Share the key's rate limit through this Redis with every process of the
        /// key on any host (`CARBON_RATE_LIMIT_REDIS` overrides it).
        #[arg(long, value_name = "URL", conflicts_with = "no_rate_limit_redis")]
        rate_limit_redis: Option<String>,
        /// Stop sharing the rate limit through Redis (back to this host only).
        #[arg(long)]
        no_rate_limit_redis: bool,
    },
    /// List the profiles (`*` marks the one used when none is named).
    List,
    /// Use this profile when none is named (`--profile`, `CARBON_PROFILE`).
    Use {
        /// The profile's name.
        name: String,
    },
    /// Show a profile, or the connection a command would use now and where each
    /// setting comes from.
    Show {
        /// The profile (default: what the options and environment select).
        name: Option<String>,
    },
    /// Remove a profile.
    Remove {
        /// The profile's name.
        name: String,
    },
}

/// `carbon sim`.
#[derive(Debug, Clone, Args)]
#[command(
    after_help = "Example:\n  carbon sim --printed-parts 10000 --speed 60\n  carbon --profile sim printed-parts list --limit 5"
)]
pub struct SimArgs {
    /// The port (0: a free one).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Printed parts of finished history to seed (part orders over the last 30
    /// days, with builds, prints and measurements).
    #[arg(long, default_value_t = 0)]
    pub printed_parts: usize,
    /// The seed of ids and history: the same seed gives the same records.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Printers to simulate.
    #[arg(long, default_value_t = 3)]
    pub printers: usize,
    /// Share of requests that get an injected fault (0 to 1).
    #[arg(long, default_value_t = 0.0)]
    pub faults: f64,
    /// Simulated time runs this many times faster than real time.
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,
    /// The profile to write.
    #[arg(long = "as", default_value = "sim", value_name = "PROFILE")]
    pub profile_name: String,
}

/// `carbon completions`.
#[derive(Debug, Clone, Args)]
#[command(after_help = "Example:\n  carbon completions bash > ~/.local/share/bash-completion/completions/carbon")]
pub struct CompletionArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `carbon --version`: this build and the API version it was generated from.
fn version() -> String {
    format!(
        "{} (Carbon API {})",
        env!("CARGO_PKG_VERSION"),
        carbon_api_gen::API_VERSION
    )
}

/// The whole command tree.
pub fn command() -> Command {
    let root = Command::new("carbon")
        .version(version())
        .about(ABOUT)
        .after_help(after_help())
        .subcommand_required(true)
        .arg_required_else_help(true);
    let root = Global::augment_args(root);
    // The derive gives the root the enum's doc as its about: set ours after.
    let root = Workflow::augment_subcommands(root).about(ABOUT);
    root.subcommands(crate::resources::resource_commands())
}

/// The hand-written command a parsed line names, if it is one.
pub fn workflow(matches: &clap::ArgMatches) -> Result<Option<Workflow>, clap::Error> {
    match matches.subcommand_name() {
        Some(name) if Workflow::has_subcommand(name) => Workflow::from_arg_matches(matches).map(Some),
        _ => Ok(None),
    }
}

/// The global options of a parsed line.
pub fn global(matches: &clap::ArgMatches) -> Result<Global, clap::Error> {
    Global::from_arg_matches(matches)
}
