//! TLS for the API's HTTP client: rustls with the crypto library this crate's
//! features choose (ring by default, aws-lc-rs with the `aws-lc-rs` feature), and
//! the platform's certificate verifier. The provider is given to this client
//! only: nothing is installed process-wide, so an application's own rustls
//! setup is left alone.

use std::sync::Arc;

#[cfg(not(any(feature = "ring", feature = "aws-lc-rs")))]
compile_error!(
    "carbon-rs needs a crypto library for TLS and tokens: enable the `ring` feature (the default) or \
     `aws-lc-rs` of carbon-ext (or of carbon-api-gen / carbon-auth when you depend on them directly)"
);

/// Why the HTTP client could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HttpClientError {
    /// The TLS configuration could not be made (on Linux, for example, when the
    /// system has no CA certificates: install them, e.g. the `ca-certificates`
    /// package).
    #[error("cannot set up TLS: {0}")]
    Tls(#[from] rustls::Error),
    /// reqwest refused the settings.
    #[error("cannot build the HTTP client: {0}")]
    Build(#[from] reqwest::Error),
}

/// The rustls crypto provider the features choose: aws-lc-rs when its feature is
/// on, ring otherwise.
pub fn crypto_provider() -> Arc<rustls::crypto::CryptoProvider> {
    #[cfg(feature = "aws-lc-rs")]
    let provider = rustls::crypto::aws_lc_rs::default_provider();
    #[cfg(all(feature = "ring", not(feature = "aws-lc-rs")))]
    let provider = ring_provider();
    Arc::new(provider)
}

/// ring's provider. rustls deprecates it from 0.23.48 because ring has no
/// post-quantum key exchange; it stays this crate's default (it builds without
/// cmake or a C++ toolchain), and the `aws-lc-rs` feature is the choice for
/// post-quantum key exchange. Allowed here, once, so that no build of an
/// application warns about it.
#[cfg(all(feature = "ring", not(feature = "aws-lc-rs")))]
#[allow(deprecated)]
fn ring_provider() -> rustls::crypto::CryptoProvider {
    rustls::crypto::ring::default_provider()
}

/// A rustls client configuration for the API: [`crypto_provider`], the safe
/// default protocol versions, the platform's verifier and roots, and HTTP/2 or
/// HTTP/1.1 by ALPN.
pub fn tls_config() -> Result<rustls::ClientConfig, rustls::Error> {
    use rustls_platform_verifier::BuilderVerifierExt;
    let mut config = rustls::ClientConfig::builder_with_provider(crypto_provider())
        .with_safe_default_protocol_versions()?
        .with_platform_verifier()?
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_config_offers_http2_and_uses_the_chosen_provider() {
        let config = tls_config().unwrap();
        assert_eq!(config.alpn_protocols, [b"h2".to_vec(), b"http/1.1".to_vec()]);
        let suites: Vec<_> = crypto_provider().cipher_suites.iter().map(|s| s.suite()).collect();
        assert!(!suites.is_empty());
        #[cfg(feature = "aws-lc-rs")]
        let expected = rustls::crypto::aws_lc_rs::default_provider();
        #[cfg(all(feature = "ring", not(feature = "aws-lc-rs")))]
        let expected = ring_provider();
        let expected: Vec<_> = expected.cipher_suites.iter().map(|s| s.suite()).collect();
        assert_eq!(suites, expected);
    }
}
