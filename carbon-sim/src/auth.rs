//! Checking bearer tokens the way the API does: RS256, `iss`, unexpired `exp`.

use jsonwebtoken::{Algorithm, DecodingKey, Validation};

/// Verifies tokens for one client id.
pub(crate) struct Verifier {
    key: DecodingKey,
    client_id: String,
}

impl Verifier {
    pub(crate) fn new(public_pem: &str, client_id: &str) -> Result<Self, crate::SimError> {
        if jsonwebtoken::crypto::CryptoProvider::try_get_default().is_none() {
            let _ = jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER.install_default();
        }
        let key = DecodingKey::from_rsa_pem(public_pem.as_bytes()).map_err(|e| crate::SimError::Key(e.to_string()))?;
        Ok(Self {
            key,
            client_id: client_id.to_string(),
        })
    }

    /// The client id of a valid `Authorization` header, or why it is not valid.
    pub(crate) fn check(&self, header: Option<&str>) -> Result<String, &'static str> {
        let token = header
            .and_then(|h| h.strip_prefix("Bearer "))
            .ok_or("missing bearer token")?;
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_required_spec_claims(&["exp", "iss"]);
        validation.set_issuer(&[&self.client_id]);
        validation.leeway = 0;
        jsonwebtoken::decode::<serde_json::Value>(token, &self.key, &validation)
            .map(|_| self.client_id.clone())
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => "token expired",
                jsonwebtoken::errors::ErrorKind::InvalidIssuer => "unknown issuer",
                _ => "invalid token",
            })
    }
}
