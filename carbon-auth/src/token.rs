//! Minting bearer tokens.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::{ApiKey, AuthError};

/// The claims of a Carbon bearer token: exactly these two.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The API key's `client_id`.
    pub iss: String,
    /// Expiry, in whole seconds since the Unix epoch.
    pub exp: u64,
}

/// A signed bearer token and when it expires. `Debug` never shows the token; the
/// text is zeroized when the last copy is dropped. Copies share the text, so
/// cloning is cheap (every request takes one).
#[derive(Clone)]
pub struct BearerToken {
    value: Arc<SecretString>,
    expires_at: SystemTime,
}

impl BearerToken {
    /// A token minted elsewhere, valid until `expires_at` (use
    /// `SystemTime::UNIX_EPOCH + Duration::MAX`-like far futures for tokens you
    /// manage yourself).
    pub fn new(value: impl Into<String>, expires_at: SystemTime) -> Self {
        Self {
            value: Arc::new(SecretString::from(value.into())),
            expires_at,
        }
    }

    /// The token text, for the `Authorization: Bearer` header. Keep it out of logs.
    pub fn expose(&self) -> &str {
        self.value.expose_secret()
    }

    /// When the token stops being accepted (its `exp`).
    pub fn expires_at(&self) -> SystemTime {
        self.expires_at
    }
}

impl fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BearerToken")
            .field("value", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

impl PartialEq for BearerToken {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.value, &other.value) || self.expose() == other.expose()
    }
}

/// Mints a token for `key` that expires `lifetime` from now: RS256, claims `iss` and
/// `exp` only. `exp` is rounded down to whole seconds.
pub fn mint(key: &ApiKey, lifetime: Duration) -> Result<BearerToken, AuthError> {
    mint_at(key, lifetime, SystemTime::now())
}

pub(crate) fn mint_at(key: &ApiKey, lifetime: Duration, now: SystemTime) -> Result<BearerToken, AuthError> {
    if lifetime < Duration::from_secs(1) {
        return Err(AuthError::InvalidLifetime {
            lifetime,
            reason: "it must be at least one second",
        });
    }
    let expires_at = now.checked_add(lifetime).ok_or(AuthError::InvalidLifetime {
        lifetime,
        reason: "the expiry would overflow the clock",
    })?;
    let exp = expires_at
        .duration_since(UNIX_EPOCH)
        .map_err(|_| AuthError::InvalidLifetime {
            lifetime,
            reason: "the expiry is before 1970",
        })?
        .as_secs();
    crate::ensure_crypto_provider();
    let claims = Claims {
        iss: key.client_id().to_string(),
        exp,
    };
    let header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    let value = jsonwebtoken::encode(&header, &claims, key.encoding_key())
        .map_err(|e| AuthError::Signing { reason: e.to_string() })?;
    Ok(BearerToken {
        value: Arc::new(SecretString::from(value)),
        expires_at: UNIX_EPOCH + Duration::from_secs(exp),
    })
}
