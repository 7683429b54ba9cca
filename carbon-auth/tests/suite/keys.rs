//! Loading API keys: every accepted form and a distinct error for each bad one.

use std::collections::HashMap;
use std::path::PathBuf;

use carbon_auth::{ApiKey, AuthError};

fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(fixture_path(name)).unwrap()
}

fn secrets_with(secret: &str) -> String {
    serde_json::json!({"client_id": "test-client-0001", "client_secret": secret}).to_string()
}

#[test]
fn loads_secrets_json_from_a_file() {
    let key = ApiKey::from_file(test_support::keys::secrets_file()).unwrap();
    assert_eq!(key.client_id(), "test-client-0001");
}

#[test]
fn accepts_pkcs1_and_pkcs8_rsa_keys() {
    for name in ["test-only-rsa-pkcs1.pem", "test-only-rsa-pkcs8.pem"] {
        let key = ApiKey::from_json(&secrets_with(&fixture(name))).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(key.client_id(), "test-client-0001");
    }
}

#[test]
fn each_bad_key_has_its_own_error() {
    let err = |text: &str| ApiKey::from_json(text).unwrap_err();

    assert!(matches!(err("client_id=abc"), AuthError::NotJson { .. }));
    assert!(matches!(
        err(r#"{"client_secret": "x"}"#),
        AuthError::MissingField { field: "client_id", .. }
    ));
    assert!(matches!(
        err(r#"{"client_id": "c"}"#),
        AuthError::MissingField {
            field: "client_secret",
            ..
        }
    ));
    assert!(matches!(
        err(r#"{"client_id": "c", "client_secret": 42}"#),
        AuthError::MissingField {
            field: "client_secret",
            ..
        }
    ));
    assert!(matches!(err(&secrets_with("not a pem at all")), AuthError::NotPem));
    assert!(matches!(
        err(&secrets_with(&fixture("test-only-rsa-encrypted.pem"))),
        AuthError::EncryptedKey
    ));
    assert!(matches!(
        err(&secrets_with(&fixture("test-only-rsa-public.pem"))),
        AuthError::PublicKeyGiven { kind: "public key" }
    ));
    assert!(matches!(
        err(&secrets_with(&fixture("test-only-rsa-public-pkcs1.pem"))),
        AuthError::PublicKeyGiven { kind: "public key" }
    ));
    for (name, kind) in [
        ("test-only-ec-pkcs8.pem", "an EC private key"),
        ("test-only-ec-sec1.pem", "an EC private key"),
        ("test-only-ed25519.pem", "an Ed25519 private key"),
    ] {
        match err(&secrets_with(&fixture(name))) {
            AuthError::NotRsa { kind: found } => assert_eq!(found, kind, "{name}"),
            other => panic!("{name}: {other:?}"),
        }
    }
    // An RSA PEM block whose contents are damaged.
    let damaged = fixture("test-only-rsa-pkcs1.pem").replacen("MII", "MIA", 1);
    assert!(matches!(
        err(&secrets_with(&damaged)),
        AuthError::InvalidKey { .. } | AuthError::NotPem
    ));
}

#[test]
fn errors_say_what_to_do() {
    let text = ApiKey::from_file("/no/such/secrets.json").unwrap_err().to_string();
    assert!(
        text.contains("/no/such/secrets.json") && text.contains("download secrets.json"),
        "{text}"
    );
    let text = ApiKey::from_json(&secrets_with(&fixture("test-only-rsa-public.pem")))
        .unwrap_err()
        .to_string();
    assert!(text.contains("public key, not a private key"), "{text}");
    let text = ApiKey::from_json(&secrets_with(&fixture("test-only-ec-pkcs8.pem")))
        .unwrap_err()
        .to_string();
    assert!(text.contains("need an RSA private key"), "{text}");
    let text = ApiKey::from_json(&secrets_with(&fixture("test-only-rsa-encrypted.pem")))
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("encrypted private key") && text.contains("openssl pkcs8"),
        "{text}"
    );
}

fn env(pairs: &[(&str, String)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
    move |name| map.get(name).cloned()
}

#[test]
fn loads_from_the_environment() {
    let file = test_support::keys::secrets_file().display().to_string();
    let key = ApiKey::from_env_with(env(&[("CARBON_SECRETS_FILE", file)])).unwrap();
    assert_eq!(key.client_id(), "test-client-0001");

    let pem = fixture("test-only-rsa-pkcs8.pem");
    let key = ApiKey::from_env_with(env(&[
        ("CARBON_CLIENT_ID", "env-client".into()),
        ("CARBON_CLIENT_SECRET", pem.clone()),
    ]))
    .unwrap();
    assert_eq!(key.client_id(), "env-client");

    // A PEM squeezed onto one line with escaped newlines, as .env files do.
    let escaped = pem.trim().replace('\n', "\\n");
    let key = ApiKey::from_env_with(env(&[
        ("CARBON_CLIENT_ID", "env-client".into()),
        ("CARBON_CLIENT_SECRET", escaped),
    ]))
    .unwrap();
    assert_eq!(key.client_id(), "env-client");
}

#[test]
fn missing_environment_says_which_variable() {
    let err = ApiKey::from_env_with(env(&[])).unwrap_err().to_string();
    assert!(
        err.contains("CARBON_SECRETS_FILE") && err.contains("CARBON_CLIENT_ID"),
        "{err}"
    );
    let err = ApiKey::from_env_with(env(&[("CARBON_CLIENT_ID", "c".into())]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("CARBON_CLIENT_SECRET is not set"), "{err}");
    let err = ApiKey::from_env_with(env(&[("CARBON_CLIENT_SECRET", "s".into())]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("CARBON_CLIENT_ID is not set"), "{err}");
}

#[test]
fn whether_the_environment_names_a_key_follows_the_same_rule() {
    let named = |pairs: &[(&str, String)]| ApiKey::is_in_env_with(env(pairs));
    assert!(named(&[("CARBON_SECRETS_FILE", "/any/path.json".into())]));
    assert!(named(&[
        ("CARBON_CLIENT_ID", "c".into()),
        ("CARBON_CLIENT_SECRET", "s".into())
    ]));
    // Half a key, blanks and nothing: not a key (a tool falls back to its own).
    assert!(!named(&[("CARBON_CLIENT_ID", "c".into())]));
    assert!(!named(&[("CARBON_SECRETS_FILE", "  ".into())]));
    assert!(!named(&[]));
}
