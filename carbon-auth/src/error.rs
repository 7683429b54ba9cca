//! The one error type of carbon-auth.

use std::path::PathBuf;

/// Everything that can go wrong loading a key, minting a token or authenticating a
/// request. No variant ever carries secret material.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// The secrets file could not be read.
    #[error(
        "cannot read the API key file {path}: {source}; download secrets.json from the Carbon web app (API keys page) and pass its path"
    )]
    ReadKeyFile {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The key text is not JSON.
    #[error(
        "{origin} is not valid JSON ({reason}); it should be the secrets.json downloaded from the Carbon web app, an object with `client_id` and `client_secret`"
    )]
    NotJson {
        /// Where the text came from.
        origin: String,
        /// The parser's message (positions only, never content).
        reason: String,
    },
    /// A required member is missing or not a string.
    #[error("{origin} has no string `{field}`; a Carbon secrets.json has both `client_id` and `client_secret`")]
    MissingField {
        /// Where the text came from.
        origin: String,
        /// `client_id` or `client_secret`.
        field: &'static str,
    },
    /// Neither `CARBON_SECRETS_FILE` nor `CARBON_CLIENT_ID` + `CARBON_CLIENT_SECRET` is set.
    #[error(
        "no API key in the environment: set CARBON_SECRETS_FILE to the path of secrets.json, or both CARBON_CLIENT_ID and CARBON_CLIENT_SECRET{detail}"
    )]
    MissingEnv {
        /// Which half is missing, if one is set.
        detail: String,
    },
    /// `client_secret` is not PEM text.
    #[error(
        "client_secret is not a PEM key (no `-----BEGIN … -----` block); it must be the RSA private key from secrets.json, unchanged"
    )]
    NotPem,
    /// `client_secret` is a passphrase-protected key.
    #[error(
        "client_secret is an encrypted private key; Carbon keys are unencrypted, so use the secrets.json as downloaded (or decrypt it first, e.g. `openssl pkcs8 -in key.pem -out plain.pem`)"
    )]
    EncryptedKey,
    /// A public key or certificate was given where the private key belongs.
    #[error("client_secret is a {kind}, not a private key; tokens are signed with the private key in secrets.json")]
    PublicKeyGiven {
        /// What was found.
        kind: &'static str,
    },
    /// A private key of another algorithm.
    #[error("client_secret is {kind}, but Carbon tokens are signed RS256 and need an RSA private key")]
    NotRsa {
        /// What was found.
        kind: String,
    },
    /// The PEM block is an RSA key that cannot be used.
    #[error("client_secret is not a usable RSA private key ({reason}); check that secrets.json was not altered")]
    InvalidKey {
        /// What the crypto library said (no key material).
        reason: String,
    },
    /// A token lifetime that cannot be expressed as a future `exp`.
    #[error("token lifetime {lifetime:?} is not usable: {reason}")]
    InvalidLifetime {
        /// The lifetime given.
        lifetime: std::time::Duration,
        /// Why.
        reason: &'static str,
    },
    /// Signing failed.
    #[error("could not sign the token: {reason}")]
    Signing {
        /// What the crypto library said.
        reason: String,
    },
    /// The token cannot go in a header: it holds characters a header value cannot.
    #[error(
        "the bearer token holds characters not allowed in an HTTP header; a JWT is base64url text in three dot-separated parts, so check where the token came from"
    )]
    TokenNotHeaderSafe,
    /// The base URL is not an absolute http(s) URL.
    #[error("base URL {url:?} is invalid: {reason}")]
    InvalidBaseUrl {
        /// The URL given.
        url: String,
        /// Why.
        reason: String,
    },
    /// The bearer would travel unencrypted to another machine.
    #[error(
        "refusing to send API tokens over plain http to {host}: use https, or allow it explicitly with BearerAuth::new_allowing_plain_http (only for hosts you trust, such as a local simulator on another machine)"
    )]
    InsecureBaseUrl {
        /// The host.
        host: String,
    },
}

impl From<carbon_api_gen::InvalidBaseUrl> for AuthError {
    fn from(e: carbon_api_gen::InvalidBaseUrl) -> Self {
        AuthError::InvalidBaseUrl {
            url: e.url,
            reason: e.reason,
        }
    }
}
