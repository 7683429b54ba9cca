//! The test-only key material in `tests/fixtures`, shared by every module of the
//! suite (keys.rs reads further files there by path, as users' files are read).

/// A `secrets.json` with a test-only client id and private key.
pub const SECRETS: &str = test_support::keys::SECRETS_JSON;
/// The public half of the key in [`SECRETS`], to verify tokens with.
pub const PUBLIC: &str = include_str!("../fixtures/test-only-rsa-public.pem");
/// Another private key, whose signatures [`PUBLIC`] must refuse.
pub const OTHER_KEY: &str = include_str!("../fixtures/test-only-rsa-other.pem");
