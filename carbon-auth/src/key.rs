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
        match env_key(lookup) {
            EnvKey::File(path) => Self::from_file(path),
            EnvKey::Parts(id, secret) => {
                // A PEM in one environment line often has its newlines escaped.
                let secret = if secret.contains("\\n") && !secret.contains('\n') {
                    secret.replace("\\n", "\n")
                } else {
                    secret
                };
                Self::new(id, &secret)
            }
            EnvKey::Half(missing) => Err(AuthError::MissingEnv {
                detail: format!(" ({missing} is not set)"),
            }),
            EnvKey::Nothing => Err(AuthError::MissingEnv { detail: String::new() }),
        }
    }

    /// Whether the environment names a whole key as [`ApiKey::from_env`] reads
    /// it (`CARBON_SECRETS_FILE`, or both `CARBON_CLIENT_ID` and
    /// `CARBON_CLIENT_SECRET`; blank counts as unset), for tools that fall back
    /// to a key of their own otherwise. Says nothing of whether it loads.
    pub fn is_in_env() -> bool {
        Self::is_in_env_with(|name| std::env::var(name).ok())
    }

    /// Like [`ApiKey::is_in_env`], reading variables through `lookup`.
    pub fn is_in_env_with(lookup: impl Fn(&str) -> Option<String>) -> bool {
        matches!(env_key(lookup), EnvKey::File(_) | EnvKey::Parts(..))
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
                let pkcs1 = pkcs8_private_key(der).ok_or_else(|| AuthError::InvalidKey {
                    reason: "its PKCS#8 structure cannot be read".into(),
                })?;
                Ok(EncodingKey::from_rsa_der(pkcs1))
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

/// The key inside a PKCS#8 `PrivateKeyInfo` (for RSA, the PKCS#1 key jsonwebtoken
/// signs with): SEQUENCE { INTEGER version, SEQUENCE algorithm, OCTET STRING key, .. }.
fn pkcs8_private_key(der: &[u8]) -> Option<&[u8]> {
    let (0x30, info, _) = der_element(der)? else {
        return None;
    };
    let (0x02, _, rest) = der_element(info)? else {
        return None;
    };
    let (0x30, _, rest) = der_element(rest)? else {
        return None;
    };
    let (0x04, key, _) = der_element(rest)? else {
        return None;
    };
    Some(key)
}

/// One DER element: its tag, its contents, and what follows it.
fn der_element(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (length, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        // Long form: the next `first & 0x7f` bytes hold the length, big-endian.
        let count = usize::from(first & 0x7f);
        if count == 0 || count > std::mem::size_of::<usize>() || rest.len() < count {
            return None;
        }
        let (digits, rest) = rest.split_at(count);
        (digits.iter().fold(0usize, |n, &d| (n << 8) | usize::from(d)), rest)
    };
    (rest.len() >= length).then(|| (tag, &rest[..length], &rest[length..]))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// What the environment says of a key: one place for the variables and the
/// rule that blank is unset.
enum EnvKey {
    File(String),
    Parts(String, String),
    /// One part without the other: the name of the missing one.
    Half(&'static str),
    Nothing,
}

fn env_key(lookup: impl Fn(&str) -> Option<String>) -> EnvKey {
    let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
    if let Some(path) = get("CARBON_SECRETS_FILE") {
        return EnvKey::File(path);
    }
    match (get("CARBON_CLIENT_ID"), get("CARBON_CLIENT_SECRET")) {
        (Some(id), Some(secret)) => EnvKey::Parts(id, secret),
        (Some(_), None) => EnvKey::Half("CARBON_CLIENT_SECRET"),
        (None, Some(_)) => EnvKey::Half("CARBON_CLIENT_ID"),
        (None, None) => EnvKey::Nothing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PKCS1: &str = include_str!("../tests/fixtures/test-only-rsa-pkcs1.pem");
    const PKCS8: &str = include_str!("../tests/fixtures/test-only-rsa-pkcs8.pem");

    #[test]
    fn a_pkcs8_key_holds_the_same_pkcs1_key() {
        let pkcs1 = pem::parse(PKCS1).unwrap();
        let pkcs8 = pem::parse(PKCS8).unwrap();
        assert_eq!(pkcs8_private_key(pkcs8.contents()), Some(pkcs1.contents()));
        // And the key loads from either form.
        ApiKey::new("id", PKCS8).unwrap();
    }

    #[test]
    fn malformed_der_is_refused_not_misread() {
        let pkcs8 = pem::parse(PKCS8).unwrap();
        let der = pkcs8.contents();
        for cut in [0, 1, 2, 4, 10, 26, der.len() - 1] {
            assert_eq!(pkcs8_private_key(&der[..cut]), None, "cut at {cut}");
        }
        // A length longer than the input, and a length of more bytes than a usize.
        assert_eq!(der_element(&[0x30, 0x82, 0xff, 0xff, 0x00]), None);
        assert_eq!(der_element(&[0x30, 0x89, 1, 1, 1, 1, 1, 1, 1, 1, 1]), None);
        assert_eq!(
            der_element(&[0x04, 0x02, 7, 8, 9]),
            Some((0x04, &[7u8, 8][..], &[9u8][..]))
        );
        // The wrong structure (a PKCS#1 key where PKCS#8 is expected).
        let pkcs1 = pem::parse(PKCS1).unwrap();
        assert_eq!(pkcs8_private_key(pkcs1.contents()), None);
    }
}
