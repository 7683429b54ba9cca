//! API keys: the `secrets.json` Carbon's web app downloads, loaded and validated.

use std::fmt;
use std::path::Path;

use jsonwebtoken::EncodingKey;
use serde::Deserialize;

use crate::AuthError;

/// An API key: its `client_id` and the RSA private key that signs tokens.
///
/// Validated when loaded: the secret must be an unencrypted RSA private key in PEM
/// (PKCS#1 `RSA PRIVATE KEY` or PKCS#8 `PRIVATE KEY`) that can actually sign.
/// `Debug` shows the client id only.
#[derive(Clone)]
pub struct ApiKey {
    client_id: String,
    encoding_key: EncodingKey,
}

#[derive(Deserialize)]
struct SecretsFile {
    client_id: Option<serde_json::Value>,
    client_secret: Option<serde_json::Value>,
}

const RSA_ENCRYPTION_OID: &[u8] = &[0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const EC_PUBLIC_KEY_OID: &[u8] = &[0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const ED25519_OID: &[u8] = &[0x06, 0x03, 0x2b, 0x65, 0x70];

impl ApiKey {
    /// Loads a `secrets.json` file.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, AuthError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| AuthError::ReadKeyFile {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_json_with_origin(&text, &path.display().to_string())
    }

    /// Parses the text of a `secrets.json`.
    pub fn from_json(text: &str) -> Result<Self, AuthError> {
        Self::from_json_with_origin(text, "the API key JSON")
    }

    fn from_json_with_origin(text: &str, origin: &str) -> Result<Self, AuthError> {
        let parsed: SecretsFile = serde_json::from_str(text).map_err(|e| AuthError::NotJson {
            origin: origin.to_string(),
            // Only the kind and position: serde's messages can quote the input (a whole
            // double-encoded secrets.json, key included).
            reason: format!("{:?} error at line {} column {}", e.classify(), e.line(), e.column()),
        })?;
        let field = |value: Option<serde_json::Value>, field: &'static str| match value {
            Some(serde_json::Value::String(s)) if !s.trim().is_empty() => Ok(s),
            _ => Err(AuthError::MissingField {
                origin: origin.to_string(),
                field,
            }),
        };
        let client_id = field(parsed.client_id, "client_id")?;
        let client_secret = field(parsed.client_secret, "client_secret")?;
        Self::new(client_id, &client_secret)
    }

    /// Reads the key from the environment: `CARBON_SECRETS_FILE` (a path to
    /// `secrets.json`), or else `CARBON_CLIENT_ID` and `CARBON_CLIENT_SECRET`.
    pub fn from_env() -> Result<Self, AuthError> {
        Self::from_env_with(|name| std::env::var(name).ok())
    }

    /// Like [`ApiKey::from_env`], reading variables through `lookup` (for
    /// configuration systems and tests).
    pub fn from_env_with(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, AuthError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        if let Some(path) = get("CARBON_SECRETS_FILE") {
            return Self::from_file(path);
        }
        match (get("CARBON_CLIENT_ID"), get("CARBON_CLIENT_SECRET")) {
            (Some(id), Some(secret)) => {
                // A PEM in one environment line often has its newlines escaped.
                let secret = if secret.contains("\\n") && !secret.contains('\n') {
                    secret.replace("\\n", "\n")
                } else {
                    secret
                };
                Self::new(id, &secret)
            }
            (Some(_), None) => Err(AuthError::MissingEnv {
                detail: " (CARBON_CLIENT_SECRET is not set)".into(),
            }),
            (None, Some(_)) => Err(AuthError::MissingEnv {
                detail: " (CARBON_CLIENT_ID is not set)".into(),
            }),
            (None, None) => Err(AuthError::MissingEnv { detail: String::new() }),
        }
    }

    /// A key from its two parts: `client_id` and the PEM text of `client_secret`.
    pub fn new(client_id: impl Into<String>, client_secret_pem: &str) -> Result<Self, AuthError> {
        let encoding_key = parse_private_key(client_secret_pem)?;
        crate::ensure_crypto_provider();
        // Sign once now, so that a key the crypto library cannot use fails at load
        // time with a clear error instead of at the first request.
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256),
            &"probe",
            &encoding_key,
        )
        .map_err(|e| AuthError::InvalidKey { reason: e.to_string() })?;
        Ok(Self {
            client_id: client_id.into(),
            encoding_key,
        })
    }

    /// The key's client id: the `iss` of every token it mints.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    pub(crate) fn encoding_key(&self) -> &EncodingKey {
        &self.encoding_key
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKey")
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .finish()
    }
}

fn parse_private_key(text: &str) -> Result<EncodingKey, AuthError> {
    let block = pem::parse(text.trim()).map_err(|_| AuthError::NotPem)?;
    let invalid = |e: jsonwebtoken::errors::Error| AuthError::InvalidKey { reason: e.to_string() };
    match block.tag() {
        "RSA PRIVATE KEY" => {
            if block
                .headers()
                .get("Proc-Type")
                .is_some_and(|v| v.contains("ENCRYPTED"))
            {
                return Err(AuthError::EncryptedKey);
            }
            Ok(EncodingKey::from_rsa_der(block.contents()))
        }
        "PRIVATE KEY" => {
            let der = block.contents();
            if contains(der, RSA_ENCRYPTION_OID) {
                EncodingKey::from_rsa_pem(text.trim().as_bytes()).map_err(invalid)
            } else if contains(der, EC_PUBLIC_KEY_OID) {
                Err(AuthError::NotRsa {
                    kind: "an EC private key".into(),
                })
            } else if contains(der, ED25519_OID) {
                Err(AuthError::NotRsa {
                    kind: "an Ed25519 private key".into(),
                })
            } else {
                Err(AuthError::NotRsa {
                    kind: "a PKCS#8 private key of another algorithm".into(),
                })
            }
        }
        "ENCRYPTED PRIVATE KEY" => Err(AuthError::EncryptedKey),
        "PUBLIC KEY" | "RSA PUBLIC KEY" => Err(AuthError::PublicKeyGiven { kind: "public key" }),
        "CERTIFICATE" => Err(AuthError::PublicKeyGiven { kind: "certificate" }),
        "EC PRIVATE KEY" => Err(AuthError::NotRsa {
            kind: "an EC private key".into(),
        }),
        "DSA PRIVATE KEY" => Err(AuthError::NotRsa {
            kind: "a DSA private key".into(),
        }),
        "OPENSSH PRIVATE KEY" => Err(AuthError::NotRsa {
            kind: "an OpenSSH-format key (convert with `ssh-keygen -p -m PEM`, and only if it is RSA)".into(),
        }),
        other => Err(AuthError::NotRsa {
            kind: format!("a PEM block of type `{other}`"),
        }),
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
