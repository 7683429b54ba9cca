//! The test-only API key every crate's tests use: a `secrets.json` in Carbon's
//! shape whose `client_secret` is an RSA key made for the tests (the same key as
//! carbon-auth's `tests/fixtures/test-only-rsa-pkcs1.pem`), never a Carbon key.

use std::path::PathBuf;

/// The text of the test-only `secrets.json`.
pub const SECRETS_JSON: &str = include_str!("../fixtures/test-only-secrets.json");

/// The path of that file, for tests that read a key from a file as users do.
pub fn secrets_file() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/test-only-secrets.json")
}
