//! What can go wrong in a command, and the exit status each kind gets.

use std::process::ExitCode;

/// Exit statuses, documented in `carbon --help`.
pub mod status {
    /// The API refused a request, or it could not be reached.
    pub const API: u8 = 1;
    /// Bad usage or input: a flag, a file, a key, a `--body`.
    pub const USAGE: u8 = 2;
    /// A wait reached its timeout.
    pub const TIMED_OUT: u8 = 3;
    /// A wait ended in a state that cannot finish (failed, canceled, incomplete).
    pub const FAILED: u8 = 4;
}

/// A command's failure: what went wrong, what to do, and which exit status.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// Bad usage or input.
    #[error("{0}")]
    Usage(String),
    /// From the SDK (API, transport, local files).
    #[error(transparent)]
    Sdk(#[from] carbon_ext::Error),
    /// A wait timed out.
    #[error("{0}")]
    TimedOut(String),
    /// A wait ended failed.
    #[error("{0}")]
    Failed(String),
    /// Writing output or local files.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl Failure {
    /// A usage failure.
    pub fn usage(message: impl Into<String>) -> Self {
        Failure::Usage(message.into())
    }

    /// The exit status for this failure.
    pub fn status(&self) -> u8 {
        match self {
            Failure::Usage(_) => status::USAGE,
            Failure::TimedOut(_) => status::TIMED_OUT,
            Failure::Failed(_) => status::FAILED,
            Failure::Io(_) => status::USAGE,
            Failure::Sdk(e) => match e {
                carbon_ext::Error::InvalidRequest { .. }
                | carbon_ext::Error::InvalidFile { .. }
                | carbon_ext::Error::Auth(_)
                | carbon_ext::Error::Config(_)
                | carbon_ext::Error::Io(_) => status::USAGE,
                _ => status::API,
            },
        }
    }

    /// One or two lines for the terminal: what failed, and (where the error does not
    /// say it already) what to do.
    pub fn report(&self) -> String {
        let hint = match self {
            Failure::Sdk(carbon_ext::Error::Transport { .. } | carbon_ext::Error::Timeout { .. }) => {
                Some("check the base URL (--base-url, CARBON_BASE_URL or the profile) and the network")
            }
            Failure::Sdk(carbon_ext::Error::NotFound { .. }) => Some("check the uuid or serial"),
            Failure::Sdk(carbon_ext::Error::Auth(_)) => {
                Some("give a key with --secrets FILE, CARBON_SECRETS_FILE, or a profile (`carbon profile set`)")
            }
            _ => None,
        };
        match hint {
            Some(hint) => format!("error: {self}\n  hint: {hint}"),
            None => format!("error: {self}"),
        }
    }

    /// The process exit code.
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(self.status())
    }
}

/// A command's result.
pub type Outcome<T = ()> = Result<T, Failure>;
