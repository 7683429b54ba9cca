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
    /// `carbon api check`: the API has added what this build does not know.
    pub const API_ADDITIVE: u8 = 5;
    /// `carbon api check`: the API has changed or removed what this build knows.
    pub const API_BREAKING: u8 = 6;
    /// Stopped by Ctrl-C, SIGTERM or a closed terminal (128 + SIGINT, as shells
    /// report Ctrl-C).
    pub const INTERRUPTED: u8 = 130;
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
    /// Stopped by Ctrl-C; what the command says it left behind.
    #[error("interrupted: {0}")]
    Interrupted(String),
    /// The API's document could not be read (`carbon api check`).
    #[error("{0}")]
    Document(String),
    /// `carbon api check` found the API moved: how far, and what to do.
    #[error("{impact} API change: {advice}")]
    ApiChanged {
        /// Additive or breaking.
        impact: carbon_api_regen::Impact,
        /// What it means for programs built with this SDK, and what to do.
        advice: String,
    },
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
            Failure::Interrupted(_) => status::INTERRUPTED,
            Failure::Document(_) => status::API,
            Failure::ApiChanged { impact, .. } => match impact {
                carbon_api_regen::Impact::Breaking => status::API_BREAKING,
                _ => status::API_ADDITIVE,
            },
            Failure::Sdk(e) => match e {
                carbon_ext::Error::InvalidRequest { .. }
                | carbon_ext::Error::InvalidFile { .. }
                | carbon_ext::Error::Auth(_)
                | carbon_ext::Error::Config(_)
                | carbon_ext::Error::State(_)
                | carbon_ext::Error::Io(_) => status::USAGE,
                _ => status::API,
            },
        }
    }

    /// One or two lines for the terminal, in the command line's words: what failed,
    /// and (where the error does not say it already) what to do.
    pub fn report(&self) -> String {
        use carbon_ext::auth::AuthError;
        const BASE_URL: &str = "--base-url, CARBON_BASE_URL or the profile";
        let (message, hint) = match self {
            // A verdict, not an error: said as it is.
            Failure::ApiChanged { .. } => return self.to_string(),
            Failure::Document(_) => (
                self.to_string(),
                Some(format!("check --from, or the base URL ({BASE_URL}), and the network")),
            ),
            // The SDK's own message names an SDK call; say it as the CLI can act on it.
            Failure::Sdk(carbon_ext::Error::Auth(AuthError::InsecureBaseUrl { host })) => (
                format!("refusing to send API tokens over plain http to {host}"),
                Some(format!(
                    "use an https:// base URL ({BASE_URL}); plain http is only for this machine (a local simulator)"
                )),
            ),
            Failure::Sdk(carbon_ext::Error::Auth(AuthError::InvalidBaseUrl { .. })) => (
                self.to_string(),
                Some(format!(
                    "give the API's base URL, such as https://api.carbon3d.com/v1 ({BASE_URL})"
                )),
            ),
            Failure::Sdk(carbon_ext::Error::Auth(AuthError::InvalidLifetime { .. })) => (self.to_string(), None),
            Failure::Sdk(carbon_ext::Error::Auth(_)) => (
                self.to_string(),
                Some(
                    "give a key with --secrets FILE, CARBON_SECRETS_FILE, or a profile (`carbon profile set`)"
                        .to_string(),
                ),
            ),
            Failure::Sdk(carbon_ext::Error::Transport { .. } | carbon_ext::Error::Timeout { .. }) => (
                self.to_string(),
                Some(format!("check the base URL ({BASE_URL}) and the network")),
            ),
            Failure::Sdk(e @ carbon_ext::Error::NotFound { .. }) => {
                // A list has no id to get wrong: its 404 means the base URL is off.
                let names_a_record = carbon_ext::extras::operation(e.operation()).is_some_and(|op| {
                    op.params
                        .iter()
                        .any(|p| p.location == carbon_ext::extras::Location::Path)
                });
                let hint = if names_a_record {
                    format!("check the uuid or serial, and the base URL ({BASE_URL}; it ends in /v1)")
                } else {
                    format!("if this list should be there, check the base URL ({BASE_URL}); it ends in /v1")
                };
                (self.to_string(), Some(hint))
            }
            Failure::Sdk(carbon_ext::Error::Vanished { .. }) => (
                self.to_string(),
                Some("run the same command again: runs the API does not know are started again".to_string()),
            ),
            _ => (self.to_string(), None),
        };
        match hint {
            Some(hint) => format!("error: {message}\n  hint: {hint}"),
            None => format!("error: {message}"),
        }
    }

    /// The process exit code.
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(self.status())
    }
}

/// A command's result.
pub type Outcome<T = ()> = Result<T, Failure>;
