//! Authentication for the Carbon DLS API.
//!
//! Carbon has no token endpoint: the caller mints its own bearer token, a JWT signed
//! RS256 with the RSA private key of an API key (`secrets.json`, downloaded from the
//! Carbon web app), with exactly two claims, `iss` (the key's `client_id`) and `exp`.
//! This crate does that and keeps it right:
//!
//! - [`ApiKey`] loads and validates the key (file, JSON text or environment) and says
//!   precisely what is wrong with a bad one;
//! - [`JwtTokenSource`] mints tokens, caches them, renews them ahead of expiry, mints
//!   once for any number of concurrent callers, and drops a token the server rejected;
//! - [`BearerAuth`] is the request hook: it puts `Authorization: Bearer …` on requests
//!   to the API's origin only, refuses plain `http://` to other hosts unless allowed,
//!   and retries a request once with a fresh token after a 401; [`Authorizer`] is
//!   the part of it for layers that send requests their own way.
//!
//! Secrets never appear in `Debug` output, `Display`, errors or logs.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//! use carbon_auth::{ApiKey, BearerAuth, JwtTokenSource, TokenSource};
//!
//! let key = ApiKey::from_file("secrets.json")?;
//! let tokens = JwtTokenSource::new(key).with_lifetime(Duration::from_secs(60 * 60));
//! println!("{}", tokens.token().await?.expose());
//!
//! let auth = BearerAuth::new(tokens, "https://api.carbon3d.com/v1")?;
//! let http = carbon_api_gen::http_client(Duration::from_secs(10), Duration::from_secs(60))?;
//! let client = auth.into_client(http);
//! let printers = client.get_printers().limit(100).offset(0).send().await?;
//! # let _ = printers;
//! # Ok(())
//! # }
//! ```

mod authorizer;
mod crypto;
mod error;
mod hook;
mod key;
mod source;
mod token;

pub use authorizer::{Authorizer, is_loopback};
pub use error::AuthError;
pub use hook::BearerAuth;
pub use key::ApiKey;
pub use source::{JwtTokenSource, StaticToken, TokenSource};
pub use token::{BearerToken, Claims, mint};

pub(crate) use crypto::ensure_crypto_provider;
pub use crypto::install_rs256_provider;
