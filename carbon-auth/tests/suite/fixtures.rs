//! The test-only key material in `tests/fixtures`, shared by every module of the
//! suite (keys.rs reads further files there by path, as users' files are read),
//! and a token source whose tokens the tests can predict.

use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use carbon_api_gen::BoxFuture;
use carbon_auth::{AuthError, BearerToken, TokenSource};

/// A `secrets.json` with a test-only client id and private key.
pub const SECRETS: &str = test_support::keys::SECRETS_JSON;
/// The public half of the key in [`SECRETS`], to verify tokens with.
pub const PUBLIC: &str = include_str!("../fixtures/test-only-rsa-public.pem");
/// Another private key, whose signatures [`PUBLIC`] must refuse.
pub const OTHER_KEY: &str = include_str!("../fixtures/test-only-rsa-other.pem");

/// Hands out `tok-1`, then `tok-2` once `tok-1` is invalidated (and so on),
/// recording what was invalidated. It has no token at hand (no `fresh`), and
/// minting one takes a turn of the runtime.
#[derive(Default)]
pub struct Rotating {
    pub invalidated: Mutex<Vec<String>>,
}

impl TokenSource for Rotating {
    fn token(&self) -> BoxFuture<'_, Result<BearerToken, AuthError>> {
        let n = self.invalidated.lock().unwrap().len() + 1;
        Box::pin(async move {
            tokio::task::yield_now().await;
            Ok(BearerToken::new(
                format!("tok-{n}"),
                SystemTime::now() + Duration::from_secs(3600),
            ))
        })
    }

    fn invalidate(&self, rejected: &str) {
        self.invalidated.lock().unwrap().push(rejected.to_string());
    }
}
