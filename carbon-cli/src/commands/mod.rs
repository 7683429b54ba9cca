//! Running a resource command (one per operation of the API): its flags are
//! checked and turned into the operation's arguments before anything is sent or
//! even a key is loaded, then the command runs by what kind of call it is.

mod arguments;
pub mod files;
mod list;
mod write;

use carbon_ext::Client;
use carbon_ext::extras::{CallKind, Operation};
use clap::ArgMatches;

use crate::failure::Outcome;
use crate::output::Style;
use crate::resources::DRY_RUN;
use crate::values::Strictness;

pub use arguments::arguments;

/// How a command prints and checks.
pub struct Printing {
    /// The format, fields and width.
    pub style: Style,
    /// Whether progress may be shown.
    pub quiet: bool,
    /// How strictly flag values are checked.
    pub strict: Strictness,
}

/// Makes the client, when the command gets that far: a refused flag or a dry run
/// never needs a key.
pub type Connect<'a> = &'a (dyn Fn() -> Outcome<Client> + Sync);

/// Whether the command was asked only to show what it would send.
fn dry_run_requested(matches: &ArgMatches) -> bool {
    matches
        .try_get_one::<bool>(DRY_RUN)
        .ok()
        .flatten()
        .copied()
        .unwrap_or(false)
}

/// Runs the resource command of `operation`.
pub async fn run(connect: Connect<'_>, operation: Operation, matches: &ArgMatches, printing: &Printing) -> Outcome {
    let info = operation.info();
    let args = arguments(info, matches, printing.strict)?;
    let unknown = printing.style.unknown_fields(info.item_fields);
    if info.kind.is_list() && !unknown.is_empty() && !printing.strict.allow_unknown {
        return Err(crate::failure::Failure::usage(format!(
            "--fields: {} is not a field of these records (they have {}); nothing was sent \
             ({} prints it anyway, for a field newer than this build)",
            unknown.join(", "),
            info.item_fields.join(", "),
            crate::values::ALLOW_UNKNOWN_FLAG
        )));
    }
    match info.kind {
        CallKind::Download => files::download(connect, info, &args, matches).await,
        CallKind::Upload => files::upload(connect, info, &args, matches, printing).await,
        // A list that is read; a write that answers with a list is a write.
        kind if kind.is_list() && info.method == "GET" => {
            list::run(
                &connect()?,
                info,
                &args,
                matches,
                printing,
                &mut std::io::stdout().lock(),
            )
            .await
        }
        _ => write::run(connect, info, &args, matches, printing).await,
    }
}
