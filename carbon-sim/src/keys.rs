//! Key material: fresh test key pairs, and the public half of a given private key.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::KeyPair as _;

use crate::SimError;

/// A key pair in PEM, with the `secrets.json` Carbon would hand out for it.
#[derive(Clone)]
pub struct TestKey {
    /// The `client_id`.
    pub client_id: String,
    /// The private key, PKCS#8 PEM (`client_secret`).
    pub private_pem: String,
    /// The public key, SPKI PEM: what the simulator verifies tokens with.
    pub public_pem: String,
}

impl std::fmt::Debug for TestKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestKey")
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl TestKey {
    /// A fresh RSA-2048 pair for `client_id`.
    pub fn generate(client_id: &str) -> Result<Self, SimError> {
        let pair =
            KeyPair::generate(KeySize::Rsa2048).map_err(|_| SimError::Key("RSA key generation failed".into()))?;
        let private = pair
            .as_der()
            .map_err(|_| SimError::Key("cannot encode the private key".into()))?;
        let public = pair
            .public_key()
            .as_der()
            .map_err(|_| SimError::Key("cannot encode the public key".into()))?;
        Ok(Self {
            client_id: client_id.to_string(),
            private_pem: pem::encode(&pem::Pem::new("PRIVATE KEY", private.as_ref().to_vec())),
            public_pem: pem::encode(&pem::Pem::new("PUBLIC KEY", public.as_ref().to_vec())),
        })
    }

    /// The key of a `secrets.json` text.
    pub fn from_secrets_json(text: &str) -> Result<Self, SimError> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| SimError::Key(format!("secrets.json is not JSON: {e}")))?;
        let field = |name: &str| {
            value
                .get(name)
                .and_then(|v| v.as_str())
                .map(str::to_string)
                .ok_or_else(|| SimError::Key(format!("secrets.json has no `{name}`")))
        };
        let client_id = field("client_id")?;
        let private_pem = field("client_secret")?;
        let public_pem = public_pem_of(&private_pem)?;
        Ok(Self {
            client_id,
            private_pem,
            public_pem,
        })
    }

    /// The `secrets.json` text for this key.
    pub fn secrets_json(&self) -> String {
        serde_json::to_string_pretty(
            &serde_json::json!({"client_id": self.client_id, "client_secret": self.private_pem}),
        )
        .expect("a JSON object serializes")
    }

    /// The key as the SDK loads it.
    pub fn api_key(&self) -> carbon_auth::ApiKey {
        carbon_auth::ApiKey::new(self.client_id.clone(), &self.private_pem).expect("a generated key is a valid API key")
    }
}

/// The SPKI public key PEM of an RSA private key PEM (PKCS#1 or PKCS#8).
pub fn public_pem_of(private_pem: &str) -> Result<String, SimError> {
    let block = pem::parse(private_pem.trim()).map_err(|_| SimError::Key("client_secret is not PEM".into()))?;
    let pair = match block.tag() {
        "PRIVATE KEY" => KeyPair::from_pkcs8(block.contents()),
        "RSA PRIVATE KEY" => KeyPair::from_der(block.contents()),
        other => {
            return Err(SimError::Key(format!(
                "client_secret is a `{other}`, not an RSA private key"
            )));
        }
    }
    .map_err(|_| SimError::Key("client_secret is not a usable RSA private key".into()))?;
    let public = pair
        .public_key()
        .as_der()
        .map_err(|_| SimError::Key("cannot encode the public key".into()))?;
    Ok(pem::encode(&pem::Pem::new("PUBLIC KEY", public.as_ref().to_vec())))
}
